// Tests of the W5500 model's UDP socket mode (udpFrames): datagrams as frames on the wire
// with the chip's own ARP, driven as the ioLibrary's sendto()/recvfrom() (socket.c) drive
// it for the DHCP client of MicroPython's chip-stack WIZNET5K: Sn_MR UDP, Sn_PORT, OPEN;
// Sn_DIPR, Sn_DPORT, the bytes at Sn_TX_WR, SEND, then SENDOK or TIMEOUT; the 8-byte
// PACKET-INFO (source IP, port, length) then the data in the RX buffer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  W5500, BSB_COMMON, bsbReg, bsbTx, bsbRx, RWB_WRITE, SHAR, SIPR, SUBR, GAR, RTR, RCR, Sn_MR, Sn_CR,
  Sn_IR, Sn_SR, Sn_PORT, Sn_DIPR, Sn_DPORT, Sn_TX_WR, Sn_RX_RSR, Sn_RX_RD, Sn_MR_UDP, CR_OPEN,
  CR_SEND, CR_RECV, CR_CLOSE, IR_SENDOK, IR_TIMEOUT, IR_RECV, SOCK_UDP,
} from '../w5500.mjs';
import { frame, write, read, read8, read16, write16, sleep } from './spi.mjs';

const MAC = [0x02, 0, 0, 0, 0, 0x02], PEER_MAC = [0x02, 0, 0, 0, 0, 0x01];

function sum16(b) {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (i + 1 < b.length ? b[i + 1] : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >> 16);
  return s;
}

function udpChip(ip = [192, 168, 77, 2]) {
  const out = [];
  const chip = new W5500({ udpFrames: true, onFrame: (f) => out.push(f) });
  write(chip, BSB_COMMON, SHAR, MAC);
  write(chip, BSB_COMMON, SIPR, ip);
  write(chip, BSB_COMMON, SUBR, [255, 255, 255, 0]);
  write(chip, BSB_COMMON, GAR, [192, 168, 77, 1]);
  return { chip, out };
}

function openUdp(chip, n, port) {
  write(chip, bsbReg(n), Sn_CR, [CR_CLOSE]);
  write(chip, bsbReg(n), Sn_MR, [Sn_MR_UDP]);
  write16(chip, bsbReg(n), Sn_PORT, port);
  write(chip, bsbReg(n), Sn_CR, [CR_OPEN]);
}

function sendto(chip, n, ip, port, bytes) {
  write(chip, bsbReg(n), Sn_DIPR, ip);
  write16(chip, bsbReg(n), Sn_DPORT, port);
  const wr = read16(chip, bsbReg(n), Sn_TX_WR);
  write(chip, bsbTx(n), wr, bytes);
  write16(chip, bsbReg(n), Sn_TX_WR, (wr + bytes.length) & 0xffff);
  write(chip, bsbReg(n), Sn_CR, [CR_SEND]);
}

// A UDP/IPv4 frame from the peer (checksum 0: none, as IPv4 allows).
function udpIn(dstMac, src, dst, sport, dport, data) {
  const f = new Uint8Array(42 + data.length);
  f.set(dstMac, 0); f.set(PEER_MAC, 6); f[12] = 8; f[13] = 0;
  f.set([0x45, 0, 0, 28 + data.length, 0, 0, 0, 0, 64, 17, 0, 0], 14);
  f.set(src, 26); f.set(dst, 30);
  f.set([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, 0, 8 + data.length, 0, 0], 34);
  f.set(data, 42);
  return f;
}

test('UDP OPEN is SOCK_UDP; a datagram to 255.255.255.255 leaves as a broadcast frame with valid checksums', () => {
  const { chip, out } = udpChip([0, 0, 0, 0]);   // DHCP_init clears SIPR before DISCOVER
  openUdp(chip, 1, 68);
  assert.equal(read8(chip, 1, Sn_SR), SOCK_UDP);
  sendto(chip, 1, [255, 255, 255, 255], 67, [1, 2, 3, 4, 5]);
  assert.ok(read8(chip, 1, Sn_IR) & IR_SENDOK);
  assert.equal(out.length, 1);
  const f = out[0];
  assert.deepEqual([...f.subarray(0, 6)], [255, 255, 255, 255, 255, 255]);
  assert.deepEqual([...f.subarray(6, 12)], MAC);
  assert.equal(f[23], 17);
  assert.deepEqual([...f.subarray(26, 30)], [0, 0, 0, 0]);
  assert.deepEqual([...f.subarray(30, 34)], [255, 255, 255, 255]);
  assert.equal(sum16(f.subarray(14, 34)), 0xffff, 'IPv4 header checksum');
  assert.equal((f[34] << 8) | f[35], 68);
  assert.equal((f[36] << 8) | f[37], 67);
  const pseudo = [...f.subarray(26, 34), 0, 17, f[38], f[39], ...f.subarray(34)];
  assert.equal(sum16(Uint8Array.from(pseudo)), 0xffff, 'UDP checksum');
  assert.deepEqual([...f.subarray(42)], [1, 2, 3, 4, 5]);
});

test('unicast: ARP first; no answer -> RCR+1 requests, then TIMEOUT (ARPTO), nothing sent', async () => {
  const { chip, out } = udpChip();
  write16(chip, BSB_COMMON, RTR, 50);   // 5 ms
  write(chip, BSB_COMMON, RCR, [3]);     // ioLibrary check_DHCP_leasedIP() uses RCR 3
  openUdp(chip, 1, 68);
  sendto(chip, 1, [192, 168, 77, 2], 5000, [0x43]);
  assert.equal(read8(chip, 1, Sn_IR) & (IR_SENDOK | IR_TIMEOUT), 0);
  const end = Date.now() + 2000;
  while (!(read8(chip, 1, Sn_IR) & IR_TIMEOUT) && Date.now() < end) await sleep(2);
  assert.ok(read8(chip, 1, Sn_IR) & IR_TIMEOUT);
  assert.equal(read8(chip, 1, Sn_IR) & IR_SENDOK, 0);
  assert.equal(out.length, 4);
  for (const f of out) {
    assert.equal((f[12] << 8) | f[13], 0x0806);
    assert.deepEqual([...f.subarray(38, 42)], [192, 168, 77, 2]);
  }
});

test('unicast: an ARP reply lets the datagram go to the learnt MAC; off the subnet it goes to the gateway', async () => {
  const { chip, out } = udpChip();
  openUdp(chip, 2, 5353);
  sendto(chip, 2, [8, 8, 8, 8], 53, [9]);
  assert.equal(out.length, 1);
  assert.deepEqual([...out[0].subarray(38, 42)], [192, 168, 77, 1], 'ARP for the gateway');
  const reply = new Uint8Array(42);
  reply.set(MAC, 0); reply.set(PEER_MAC, 6); reply[12] = 8; reply[13] = 6;
  reply.set([0, 1, 8, 0, 6, 4, 0, 2], 14); reply.set(PEER_MAC, 22); reply.set([192, 168, 77, 1], 28);
  reply.set(MAC, 32); reply.set([192, 168, 77, 2], 38);
  assert.ok(chip.receive(reply));
  const end = Date.now() + 2000;
  while (!(read8(chip, 2, Sn_IR) & IR_SENDOK) && Date.now() < end) await sleep(2);
  assert.ok(read8(chip, 2, Sn_IR) & IR_SENDOK);
  const f = out[out.length - 1];
  assert.deepEqual([...f.subarray(0, 6)], PEER_MAC);
  assert.deepEqual([...f.subarray(30, 34)], [8, 8, 8, 8]);
  chip.hardReset();
});

test('a datagram to Sn_PORT is stored as PACKET-INFO (IP, port, length) then the data; other ports are not', () => {
  const { chip } = udpChip();
  openUdp(chip, 1, 68);
  assert.equal(chip.receive(udpIn(MAC, [192, 168, 77, 1], [192, 168, 77, 2], 67, 99, [1])), false);
  assert.ok(chip.receive(udpIn([255, 255, 255, 255, 255, 255], [192, 168, 77, 1], [255, 255, 255, 255], 67, 68, [7, 8, 9])));
  assert.ok(read8(chip, 1, Sn_IR) & IR_RECV);
  assert.equal(read16(chip, bsbReg(1), Sn_RX_RSR), 11);
  const rd = read16(chip, bsbReg(1), Sn_RX_RD);
  assert.deepEqual(read(chip, bsbRx(1), rd, 11), [192, 168, 77, 1, 0, 67, 0, 3, 7, 8, 9]);
  write16(chip, bsbReg(1), Sn_RX_RD, rd + 11);
  write(chip, bsbReg(1), Sn_CR, [CR_RECV]);
  assert.equal(read16(chip, bsbReg(1), Sn_RX_RSR), 0);
  // another host's unicast MAC: not ours
  assert.equal(chip.receive(udpIn([2, 0, 0, 0, 0, 9], [192, 168, 77, 1], [192, 168, 77, 2], 67, 68, [1])), false);
});

test('an ARP request for SIPR is answered by the chip; for another address it is not', () => {
  const { chip, out } = udpChip();
  const req = (ip) => {
    const f = new Uint8Array(42);
    f.fill(0xff, 0, 6); f.set(PEER_MAC, 6); f[12] = 8; f[13] = 6;
    f.set([0, 1, 8, 0, 6, 4, 0, 1], 14); f.set(PEER_MAC, 22); f.set([192, 168, 77, 1], 28); f.set(ip, 38);
    return f;
  };
  chip.receive(req([192, 168, 77, 3]));
  assert.equal(out.length, 0);
  chip.receive(req([192, 168, 77, 2]));
  assert.equal(out.length, 1);
  const r = out[0];
  assert.deepEqual([...r.subarray(0, 6)], PEER_MAC);
  assert.equal((r[20] << 8) | r[21], 2);
  assert.deepEqual([...r.subarray(22, 28)], MAC);
  assert.deepEqual([...r.subarray(28, 32)], [192, 168, 77, 2]);
});
