// Tests of the W5500 model alone, through its SPI framing as the ioLibrary drives it
// (w5500.c: 2 address bytes, a control byte with the block select in bits 7-3, RWB in bit
// 2, variable-length mode; 16-bit registers big-endian). Run: node --test board/sim/test/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  W5500, BSB_COMMON, bsbReg, bsbTx, bsbRx, RWB_WRITE, MR, SHAR, IR, SIMR, SIR, PHYCFGR, VERSIONR,
  RTR, Sn_MR, Sn_CR, Sn_IR, Sn_SR, Sn_RXBUF_SIZE, Sn_TXBUF_SIZE, Sn_TX_FSR, Sn_TX_RD, Sn_TX_WR,
  Sn_RX_RSR, Sn_RX_RD, Sn_IMR, Sn_MR_MACRAW, Sn_MR_MFEN, Sn_MR_MIP6B, CR_OPEN, CR_CLOSE, CR_SEND,
  CR_RECV, IR_SENDOK, IR_RECV, SOCK_MACRAW, SOCK_CLOSED,
} from '../w5500.mjs';
import { frame, write, read, read16, write16 } from './spi.mjs';

const MAC = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];

// The lwIP driver's bring-up: 16 KiB buffers on socket 0 (network_wiznet5k.c
// wiznet5k_init), the MAC, interrupts for socket 0 RECV, socket 0 opened in MACRAW with
// the MAC filter (wiznet5k_netif_init).
function bringUp(chip, mr = Sn_MR_MACRAW | Sn_MR_MFEN) {
  for (let n = 0; n < 8; n++) {
    write(chip, bsbReg(n), Sn_RXBUF_SIZE, [n === 0 ? 16 : 0]);
    write(chip, bsbReg(n), Sn_TXBUF_SIZE, [n === 0 ? 16 : 0]);
  }
  write(chip, BSB_COMMON, SHAR, MAC);
  write(chip, BSB_COMMON, SIMR, [0x01]);
  write(chip, bsbReg(0), Sn_IMR, [IR_RECV]);
  write(chip, bsbReg(0), Sn_MR, [mr]);
  write(chip, bsbReg(0), Sn_CR, [CR_OPEN]);
}

function ethFrame(dst, len, type = [0x08, 0x00], fill = 0x5a) {
  const f = new Uint8Array(len).fill(fill);
  f.set(dst, 0); f.set([0x02, 0, 0, 0, 0, 0x01], 6); f.set(type, 12);
  for (let i = 14; i < len; i++) f[i] = i & 0xff;
  return f;
}

// What recvfrom() in MACRAW does (socket.c): read the 2-byte PACKET-INFO at Sn_RX_RD,
// RECV, read the frame, RECV.
function readFrame(chip) {
  let rd = read16(chip, bsbReg(0), Sn_RX_RD);
  const [h, l] = read(chip, bsbRx(0), rd, 2);
  rd = (rd + 2) & 0xffff; write16(chip, bsbReg(0), Sn_RX_RD, rd);
  write(chip, bsbReg(0), Sn_CR, [CR_RECV]);
  const len = ((h << 8) | l) - 2;
  const data = read(chip, bsbRx(0), rd, len);
  write16(chip, bsbReg(0), Sn_RX_RD, (rd + len) & 0xffff);
  write(chip, bsbReg(0), Sn_CR, [CR_RECV]);
  return Uint8Array.from(data);
}

// What sendto() in MACRAW does (socket.c, w5500.c wiz_send_data): write at Sn_TX_WR,
// advance it, SEND, wait for SENDOK and clear it.
function sendFrame(chip, f) {
  const wr = read16(chip, bsbReg(0), Sn_TX_WR);
  write(chip, bsbTx(0), wr, f);
  write16(chip, bsbReg(0), Sn_TX_WR, (wr + f.length) & 0xffff);
  write(chip, bsbReg(0), Sn_CR, [CR_SEND]);
  const ir = read(chip, bsbReg(0), Sn_IR, 1)[0];
  write(chip, bsbReg(0), Sn_IR, [IR_SENDOK]);
  return ir;
}

test('common registers: reset values, write and read back over SPI', () => {
  const chip = new W5500();
  assert.equal(read(chip, BSB_COMMON, VERSIONR, 1)[0], 0x04);
  assert.equal(read16(chip, BSB_COMMON, RTR), 0x07d0);
  write(chip, BSB_COMMON, SHAR, MAC);
  assert.deepEqual(read(chip, BSB_COMMON, SHAR, 6), MAC);
  write(chip, BSB_COMMON, VERSIONR, [0x99]);   // read-only
  assert.equal(read(chip, BSB_COMMON, VERSIONR, 1)[0], 0x04);
});

test('fixed-length data mode: one, two and four bytes, then the next frame', () => {
  const chip = new W5500();
  chip.select();
  // FDM 2 bytes (OM = 10): write 0x12 0x34 to GAR, then at once a 1-byte read of GAR
  for (const b of [0x00, 0x01, (BSB_COMMON << 3) | RWB_WRITE | 0x02, 0x12, 0x34]) chip.transfer(b);
  for (const b of [0x00, 0x01, (BSB_COMMON << 3) | 0x01]) chip.transfer(b);
  assert.equal(chip.transfer(0), 0x12);
  chip.deselect();
});

test('socket registers: buffer sizes, OPEN in MACRAW, CLOSE', () => {
  const chip = new W5500();
  assert.equal(read(chip, bsbReg(3), Sn_RXBUF_SIZE, 1)[0], 2);
  assert.equal(read16(chip, bsbReg(0), Sn_TX_FSR), 2048);
  bringUp(chip);
  assert.equal(read(chip, bsbReg(0), Sn_SR, 1)[0], SOCK_MACRAW);
  assert.equal(read16(chip, bsbReg(0), Sn_TX_FSR), 16384);
  assert.equal(read(chip, bsbReg(0), Sn_CR, 1)[0], 0, 'a command is taken at once');
  write(chip, bsbReg(0), Sn_CR, [CR_CLOSE]);
  assert.equal(read(chip, bsbReg(0), Sn_SR, 1)[0], SOCK_CLOSED);
});

test('a frame out: the TX buffer from Sn_TX_RD to Sn_TX_WR leaves as one frame, SENDOK', () => {
  const out = [];
  const chip = new W5500({ onFrame: (f) => out.push(f) });
  bringUp(chip);
  const f = ethFrame([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 342);
  assert.equal(sendFrame(chip, f) & IR_SENDOK, IR_SENDOK);
  assert.equal(out.length, 1);
  assert.deepEqual(out[0], f);
  assert.equal(read16(chip, bsbReg(0), Sn_TX_RD), 342);
  assert.equal(read16(chip, bsbReg(0), Sn_TX_FSR), 16384);
  assert.equal(read(chip, bsbReg(0), Sn_IR, 1)[0] & IR_SENDOK, 0, 'SENDOK cleared by writing 1');
});

test('a frame in: PACKET-INFO + frame in the RX buffer, Sn_RX_RSR, RECV, INTn', () => {
  const ints = [];
  const chip = new W5500({ onInt: (level) => ints.push(level) });
  bringUp(chip);
  const f = ethFrame(MAC, 60);
  assert.equal(chip.receive(f), true);
  assert.equal(read16(chip, bsbReg(0), Sn_RX_RSR), 62, 'frame + 2-byte length');
  assert.equal(read(chip, bsbReg(0), Sn_IR, 1)[0] & IR_RECV, IR_RECV);
  assert.equal(read(chip, BSB_COMMON, SIR, 1)[0], 0x01);
  assert.deepEqual(ints, [false], 'INTn asserted (low)');
  assert.deepEqual(readFrame(chip), f);
  assert.equal(read16(chip, bsbReg(0), Sn_RX_RSR), 0);
  // wizchip_clrinterrupt(IK_SOCK_0): IR write, then Sn_IR = 0xFF
  write(chip, BSB_COMMON, IR, [0]);
  write(chip, bsbReg(0), Sn_IR, [0xff]);
  assert.deepEqual(ints, [false, true], 'INTn released');
});

test('frames in wrap around the end of the 16 KiB RX buffer intact', () => {
  const chip = new W5500();
  bringUp(chip);
  for (let i = 0; i < 40; i++) {   // 40 x 1516 bytes: past 16 KiB three times
    const f = ethFrame(MAC, 1514, [0x08, 0x00], i);
    assert.equal(chip.receive(f), true);
    assert.deepEqual(readFrame(chip), f, `frame ${i}`);
  }
});

test('RX buffer full: a frame that does not fit is lost, counted', () => {
  const chip = new W5500();
  bringUp(chip);
  let kept = 0;
  for (let i = 0; i < 12; i++) kept += chip.receive(ethFrame(MAC, 1514)) ? 1 : 0;
  assert.equal(kept, 10, '10 x 1516 bytes fit in 16384');
  assert.equal(chip.stats.rxOverflow, 2);
});

test('MAC filter (MFEN): another station\'s unicast is dropped; broadcast passes; MIP6B drops IPv6', () => {
  const chip = new W5500();
  bringUp(chip, Sn_MR_MACRAW | Sn_MR_MFEN | Sn_MR_MIP6B);
  assert.equal(chip.receive(ethFrame([0x02, 0, 0, 0, 0, 0x09], 60)), false);
  assert.equal(chip.receive(ethFrame([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 60)), true);
  assert.equal(chip.receive(ethFrame(MAC, 60, [0x86, 0xdd])), false);
  assert.equal(chip.receive(ethFrame(MAC, 60)), true);
});

test('the cable: PHYCFGR.LNK follows it; without it no frame passes either way', () => {
  const out = [];
  const chip = new W5500({ cable: false, onFrame: (f) => out.push(f) });
  assert.equal(read(chip, BSB_COMMON, PHYCFGR, 1)[0], 0xb8, 'no link: LNK, SPD, DPX clear');
  bringUp(chip);
  assert.equal(chip.receive(ethFrame(MAC, 60)), false);
  assert.equal(sendFrame(chip, ethFrame(MAC, 60)) & IR_SENDOK, IR_SENDOK, 'the send completes');
  assert.equal(out.length, 0, '... but the frame is lost');
  chip.setCable(true);
  assert.equal(read(chip, BSB_COMMON, PHYCFGR, 1)[0], 0xbf, 'link, 100 Mbit/s, full duplex');
  assert.equal(chip.receive(ethFrame(MAC, 60)), true);
  sendFrame(chip, ethFrame(MAC, 60));
  assert.equal(out.length, 1);
  chip.setCable(false);
  assert.equal(read(chip, BSB_COMMON, PHYCFGR, 1)[0] & 0x01, 0);
  assert.equal(chip.stats.linkChanges, 2);
});

test('reset: RSTn and MR.RST restore the reset values; the cable stays as it is', () => {
  const chip = new W5500({ cable: false });
  bringUp(chip);
  chip.hardReset();
  assert.deepEqual(read(chip, BSB_COMMON, SHAR, 6), [0, 0, 0, 0, 0, 0]);
  assert.equal(read(chip, bsbReg(0), Sn_SR, 1)[0], SOCK_CLOSED);
  bringUp(chip);
  write(chip, BSB_COMMON, MR, [0x80]);
  assert.equal(read(chip, BSB_COMMON, MR, 1)[0], 0, 'MR.RST clears itself');
  assert.equal(read(chip, bsbReg(0), Sn_RXBUF_SIZE, 1)[0], 2);
  assert.equal(read(chip, BSB_COMMON, PHYCFGR, 1)[0] & 1, 0);
});
