// Tests of the W5500 model's socket mode (TCP on the chip, each chip socket carried by a
// host socket), driven through its SPI framing as the ioLibrary's socket.c drives it for
// MicroPython's WIZNET5K without lwIP: socket() = Sn_MR, Sn_PORT, OPEN; connect() =
// Sn_DIPR, Sn_DPORT, CONNECT, then Sn_SR / Sn_IR polled; send() = wiz_send_data at
// Sn_TX_WR, SEND, SENDOK; recv() = Sn_RX_RSR, wiz_recv_data at Sn_RX_RD, RECV. Peers are
// node servers on 127.0.0.1, the chip's SIPR 127.0.0.1. Every wait is bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  W5500, BSB_COMMON, bsbReg, bsbTx, bsbRx, RWB_WRITE, SIPR, RTR, RCR, Sn_MR, Sn_CR, Sn_IR, Sn_SR,
  Sn_PORT, Sn_DIPR, Sn_DPORT, Sn_RXBUF_SIZE, Sn_TXBUF_SIZE, Sn_TX_FSR, Sn_TX_WR, Sn_RX_RSR, Sn_RX_RD,
  Sn_MR_TCP, CR_OPEN, CR_LISTEN, CR_CONNECT, CR_DISCON, CR_CLOSE, CR_SEND, CR_RECV,
  IR_CON, IR_DISCON, IR_RECV, IR_TIMEOUT, IR_SENDOK, SOCK_CLOSED, SOCK_INIT, SOCK_LISTEN,
  SOCK_SYNSENT, SOCK_ESTABLISHED, SOCK_CLOSE_WAIT, SOCK_LAST_ACK, SOCK_FIN_WAIT,
} from '../w5500.mjs';
import { frame, write, read, read8, read16, write16, sleep } from './spi.mjs';


async function until(cond, what, ms = 3000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(5);
  }
}

// The chip-stack driver's bring-up (network_wiznet5k.c wiznet5k_init: 2 KiB per socket;
// ifconfig: SIPR) on a fresh chip carried by node's net module.
function chipStack(opts = {}) {
  const chip = new W5500({ hostNet: net, ...opts });
  for (let n = 0; n < 8; n++) {
    write(chip, bsbReg(n), Sn_RXBUF_SIZE, [2]);
    write(chip, bsbReg(n), Sn_TXBUF_SIZE, [2]);
  }
  write(chip, BSB_COMMON, SIPR, [127, 0, 0, 1]);
  return chip;
}

// ioLibrary socket(sn, Sn_MR_TCP, port, 0): close, Sn_MR, Sn_PORT, OPEN.
function open(chip, n, port = 0xc000) {
  write(chip, bsbReg(n), Sn_CR, [CR_CLOSE]);
  write(chip, bsbReg(n), Sn_IR, [0xff]);
  write(chip, bsbReg(n), Sn_MR, [Sn_MR_TCP]);
  write16(chip, bsbReg(n), Sn_PORT, port);
  write(chip, bsbReg(n), Sn_CR, [CR_OPEN]);
}

// ioLibrary connect(): Sn_DIPR, Sn_DPORT, CONNECT; then Sn_SR until ESTABLISHED, or
// Sn_IR TIMEOUT, or SOCK_CLOSED.
async function connect(chip, n, port) {
  open(chip, n);
  write(chip, bsbReg(n), Sn_DIPR, [127, 0, 0, 1]);
  write16(chip, bsbReg(n), Sn_DPORT, port);
  write(chip, bsbReg(n), Sn_CR, [CR_CONNECT]);
  await until(() => read8(chip, n, Sn_SR) !== SOCK_SYNSENT, 'the end of SYNSENT');
  return read8(chip, n, Sn_SR);
}

// ioLibrary send(): wiz_send_data at Sn_TX_WR, SEND.
function send(chip, n, bytes) {
  const wr = read16(chip, bsbReg(n), Sn_TX_WR);
  for (let i = 0; i < bytes.length; i++) write(chip, bsbTx(n), (wr + i) & 0xffff, [bytes[i]]);
  write16(chip, bsbReg(n), Sn_TX_WR, (wr + bytes.length) & 0xffff);
  write(chip, bsbReg(n), Sn_CR, [CR_SEND]);
}

// ioLibrary recv() once Sn_RX_RSR != 0: read at Sn_RX_RD, advance it, RECV.
function recv(chip, n, max = 4096) {
  const len = Math.min(max, read16(chip, bsbReg(n), Sn_RX_RSR));
  const rd = read16(chip, bsbReg(n), Sn_RX_RD);
  const data = read(chip, bsbRx(n), rd, len);
  write16(chip, bsbReg(n), Sn_RX_RD, (rd + len) & 0xffff);
  write(chip, bsbReg(n), Sn_CR, [CR_RECV]);
  return Buffer.from(data);
}

// A peer on 127.0.0.1: its connections, and what each received.
async function peer(onConn = () => {}) {
  const conns = [], got = [];
  const server = net.createServer({ allowHalfOpen: true }, (c) => {
    conns.push(c);
    const i = got.push(Buffer.alloc(0)) - 1;
    c.on('data', (d) => { got[i] = Buffer.concat([got[i], d]); });
    c.on('error', () => {});
    onConn(c);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, conns, got, port: server.address().port, close: () => { conns.forEach((c) => c.destroy()); server.close(); } };
}

test('retransmission timeouts follow the datasheet formula (reset values: TCPTO 31.8 s, ARPTO 1.8 s)', () => {
  const chip = new W5500();
  assert.equal(chip.tcpTimeoutMs(), 31800);
  assert.equal(chip.arpTimeoutMs(), 1800);
});

test('without hostNet a TCP socket opens and carries nothing (the lwIP firmware never asks more)', () => {
  const chip = new W5500();
  open(chip, 1);
  assert.equal(read8(chip, 1, Sn_SR), SOCK_INIT);
  write(chip, bsbReg(1), Sn_CR, [CR_CONNECT]);
  assert.equal(read8(chip, 1, Sn_SR), SOCK_INIT);
  assert.ok(chip.stats.unsupported >= 2);
});

test('CONNECT: SYNSENT, then ESTABLISHED with CON; the peer sees the chip\'s address', async () => {
  const p = await peer();
  const chip = chipStack();
  try {
    open(chip, 3);
    assert.equal(read8(chip, 3, Sn_SR), SOCK_INIT);
    write(chip, bsbReg(3), Sn_DIPR, [127, 0, 0, 1]);
    write16(chip, bsbReg(3), Sn_DPORT, p.port);
    write(chip, bsbReg(3), Sn_CR, [CR_CONNECT]);
    assert.equal(read8(chip, 3, Sn_SR), SOCK_SYNSENT);
    await until(() => read8(chip, 3, Sn_SR) === SOCK_ESTABLISHED, 'ESTABLISHED');
    assert.ok(read8(chip, 3, Sn_IR) & IR_CON);
    await until(() => p.conns.length === 1, 'the peer\'s accept');
    assert.equal(p.conns[0].remoteAddress.replace(/^::ffff:/, ''), '127.0.0.1');
    assert.equal(read16(chip, bsbReg(3), Sn_TX_FSR), 2048);
  } finally { chip.hardReset(); p.close(); }
});

test('data out: SEND carries Sn_TX_RD..Sn_TX_WR to the peer, SENDOK, Sn_TX_FSR back to full', async () => {
  const p = await peer();
  const chip = chipStack();
  try {
    assert.equal(await connect(chip, 0, p.port), SOCK_ESTABLISHED);
    send(chip, 0, Buffer.from('hello'));
    await until(() => read8(chip, 0, Sn_IR) & IR_SENDOK, 'SENDOK');
    write(chip, bsbReg(0), Sn_IR, [IR_SENDOK]);
    assert.equal(read8(chip, 0, Sn_IR) & IR_SENDOK, 0, 'SENDOK clears on a write of 1');
    assert.equal(read16(chip, bsbReg(0), Sn_TX_FSR), 2048);
    // wrap-around of the 2 KiB TX buffer: 3 sends of 1000 bytes
    const big = Buffer.alloc(1000, 0x41);
    for (let i = 0; i < 3; i++) {
      send(chip, 0, big);
      await until(() => read8(chip, 0, Sn_IR) & IR_SENDOK, 'SENDOK');
      write(chip, bsbReg(0), Sn_IR, [IR_SENDOK]);
    }
    await until(() => p.got[0].length === 3005, 'the peer to get 3005 bytes');
    assert.equal(p.got[0].subarray(0, 5).toString(), 'hello');
    assert.ok(p.got[0].subarray(5).every((b) => b === 0x41));
  } finally { chip.hardReset(); p.close(); }
});

test('data in: Sn_RX_RSR, RECV; at most the 2 KiB buffer is taken until the host reads', async () => {
  const p = await peer((c) => c.write(Buffer.alloc(5000, 0x5a)));
  const chip = chipStack();
  try {
    assert.equal(await connect(chip, 2, p.port), SOCK_ESTABLISHED);
    await until(() => read16(chip, bsbReg(2), Sn_RX_RSR) === 2048, 'a full RX buffer');
    assert.ok(read8(chip, 2, Sn_IR) & IR_RECV);
    await sleep(50);
    assert.equal(read16(chip, bsbReg(2), Sn_RX_RSR), 2048, 'never more than the buffer');
    let total = 0;
    while (total < 5000) {
      await until(() => read16(chip, bsbReg(2), Sn_RX_RSR) > 0, 'more data');
      const d = recv(chip, 2);
      assert.ok(d.every((b) => b === 0x5a));
      total += d.length;
    }
    assert.equal(total, 5000);
  } finally { chip.hardReset(); p.close(); }
});

test('peer closes: DISCON set, CLOSE_WAIT, data before the FIN still readable, sending allowed', async () => {
  const p = await peer((c) => c.end('bye'));
  const chip = chipStack();
  try {
    assert.ok([SOCK_ESTABLISHED, SOCK_CLOSE_WAIT].includes(await connect(chip, 1, p.port)));
    await until(() => read8(chip, 1, Sn_SR) === SOCK_CLOSE_WAIT, 'CLOSE_WAIT');
    assert.ok(read8(chip, 1, Sn_IR) & IR_DISCON);
    assert.equal(recv(chip, 1).toString(), 'bye');
    send(chip, 1, Buffer.from('late'));
    await until(() => read8(chip, 1, Sn_IR) & IR_SENDOK, 'SENDOK in CLOSE_WAIT');
    await until(() => p.got[0].toString() === 'late', 'the peer to get the late bytes');
    // DISCON in CLOSE_WAIT: LAST_ACK, then SOCK_CLOSED
    write(chip, bsbReg(1), Sn_CR, [CR_DISCON]);
    assert.equal(read8(chip, 1, Sn_SR), SOCK_LAST_ACK);
    await until(() => read8(chip, 1, Sn_SR) === SOCK_CLOSED, 'CLOSED after DISCON');
  } finally { chip.hardReset(); p.close(); }
});

test('DISCON while ESTABLISHED: FIN_WAIT, the peer sees the end, CLOSED once it closes too', async () => {
  const p = await peer();
  const chip = chipStack();
  try {
    assert.equal(await connect(chip, 4, p.port), SOCK_ESTABLISHED);
    await until(() => p.conns.length === 1, 'accept');
    let ended = false;
    p.conns[0].on('end', () => { ended = true; p.conns[0].end(); });
    write(chip, bsbReg(4), Sn_CR, [CR_DISCON]);
    assert.equal(read8(chip, 4, Sn_SR), SOCK_FIN_WAIT);
    await until(() => ended, 'the peer to see the FIN');
    await until(() => read8(chip, 4, Sn_SR) === SOCK_CLOSED, 'CLOSED');
    assert.ok(read8(chip, 4, Sn_IR) & IR_DISCON);
  } finally { chip.hardReset(); p.close(); }
});

test('bytes sent in CLOSE_WAIT to a peer that closed: its RST closes the chip socket', async () => {
  const p = await peer((c) => { c.on('data', () => {}); c.end(); setTimeout(() => c.destroy(), 5); });
  const chip = chipStack();
  try {
    await connect(chip, 2, p.port);
    await until(() => read8(chip, 2, Sn_SR) === SOCK_CLOSE_WAIT, 'CLOSE_WAIT');
    await sleep(30);
    send(chip, 2, Buffer.from('x'));
    await until(() => read8(chip, 2, Sn_SR) === SOCK_CLOSED, 'CLOSED after the RST answering the bytes');
    assert.ok(read8(chip, 2, Sn_IR) & IR_DISCON);
  } finally { chip.hardReset(); p.close(); }
});

test('peer resets: SOCK_CLOSED with DISCON (GUESS), not TIMEOUT', async () => {
  const p = await peer();
  const chip = chipStack();
  try {
    assert.equal(await connect(chip, 5, p.port), SOCK_ESTABLISHED);
    await until(() => p.conns.length === 1, 'accept');
    p.conns[0].resetAndDestroy();
    await until(() => read8(chip, 5, Sn_SR) === SOCK_CLOSED, 'CLOSED after the RST');
    const ir = read8(chip, 5, Sn_IR);
    assert.ok(ir & IR_DISCON);
    assert.equal(ir & IR_TIMEOUT, 0);
  } finally { chip.hardReset(); p.close(); }
});

test('refused connect: SOCK_CLOSED, no TIMEOUT (ioLibrary connect() then says SOCKERR_SOCKCLOSED)', async () => {
  const p = await peer();
  const port = p.port;
  await new Promise((r) => p.server.close(r));
  const chip = chipStack();
  try {
    assert.equal(await connect(chip, 6, port), SOCK_CLOSED);
    assert.equal(read8(chip, 6, Sn_IR) & IR_TIMEOUT, 0);
  } finally { chip.hardReset(); }
});

test('no link: CONNECT ends with TIMEOUT after ARPTO (RTR 10 ms, RCR 2: 30 ms)', async () => {
  const chip = chipStack({ cable: false });
  try {
    write16(chip, BSB_COMMON, RTR, 100);
    write(chip, BSB_COMMON, RCR, [2]);
    const t = Date.now();
    assert.equal(await connect(chip, 7, 9), SOCK_CLOSED);
    assert.ok(read8(chip, 7, Sn_IR) & IR_TIMEOUT);
    assert.ok(Date.now() - t >= 25);
  } finally { chip.hardReset(); }
});

test('CLOSE: SOCK_CLOSED at once; the peer sees the connection end; late events change nothing', async () => {
  const p = await peer();
  const chip = chipStack();
  try {
    assert.equal(await connect(chip, 0, p.port), SOCK_ESTABLISHED);
    await until(() => p.conns.length === 1, 'accept');
    let ended = false;
    p.conns[0].on('end', () => { ended = true; });
    p.conns[0].on('close', () => { ended = true; });
    write(chip, bsbReg(0), Sn_CR, [CR_CLOSE]);
    assert.equal(read8(chip, 0, Sn_SR), SOCK_CLOSED);
    await until(() => ended, 'the peer to see the end');
    p.conns[0].destroy();
    await sleep(20);
    assert.equal(read8(chip, 0, Sn_SR), SOCK_CLOSED);
    assert.equal(read16(chip, bsbReg(0), Sn_RX_RSR), 0);
  } finally { chip.hardReset(); p.close(); }
});

test('LISTEN: a client\'s connect makes it ESTABLISHED with CON and the client in Sn_DIPR/Sn_DPORT', async () => {
  const chip = chipStack();
  const probe = net.createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const port = probe.address().port;
  await new Promise((r) => probe.close(r));
  let client = null;
  try {
    open(chip, 1, port);
    write(chip, bsbReg(1), Sn_CR, [CR_LISTEN]);
    assert.equal(read8(chip, 1, Sn_SR), SOCK_LISTEN);
    await sleep(20);
    client = net.connect({ host: '127.0.0.1', port });
    client.on('error', () => {});
    await until(() => read8(chip, 1, Sn_SR) === SOCK_ESTABLISHED, 'ESTABLISHED on the listener');
    assert.ok(read8(chip, 1, Sn_IR) & IR_CON);
    assert.deepEqual(read(chip, bsbReg(1), Sn_DIPR, 4), [127, 0, 0, 1]);
    assert.equal(read16(chip, bsbReg(1), Sn_DPORT), client.localPort);
    client.write('ping');
    await until(() => read16(chip, bsbReg(1), Sn_RX_RSR) === 4, 'the client\'s bytes');
    assert.equal(recv(chip, 1).toString(), 'ping');
  } finally { if (client) client.destroy(); chip.hardReset(); }
});

test('hard reset drops every host connection (RSTn, MR.RST)', async () => {
  const p = await peer();
  const chip = chipStack();
  try {
    assert.equal(await connect(chip, 0, p.port), SOCK_ESTABLISHED);
    await until(() => p.conns.length === 1, 'accept');
    let gone = false;
    p.conns[0].on('close', () => { gone = true; });
    p.conns[0].on('end', () => { gone = true; });
    chip.hardReset();
    assert.equal(read8(chip, 0, Sn_SR), SOCK_CLOSED);
    await until(() => gone, 'the peer to see the connection go');
  } finally { chip.hardReset(); p.close(); }
});
