#!/usr/bin/env node
// The emulated W5500-EVB-Pico: the RP2040 running the committed MicroPython firmware, the
// project's W5500 model on SPI0, its Ethernet side bridged to a TAP device.
//
//   node board/sim/board.mjs [--tap NAME] [--ctl PATH] [--cable in|out] [--realtime]
//        [--fs-image FILE] [--tcp PORT] [--firmware FILE] [--bootrom FILE] [--eth-log]
//        [--chip-sockets]
//
// The board's USB serial port is this process's stdin and stdout, byte for byte (the
// REPL; the harness speaks the raw REPL over it). Notes go to stderr, each line starting
// with "[board]". --tcp PORT serves the serial port on 127.0.0.1:PORT instead (for
// `mpremote connect socket://127.0.0.1:PORT`).
//
// --ctl PATH: a Unix socket taking one command a line, answered with one JSON line:
//   cable in | cable out    plug or pull the Ethernet cable now
//   status                  board clock (ms), cable, W5500 and RP2040 counters
//   save-fs FILE            write the littlefs region of flash to FILE
//   quit                    end the emulator
// A path, not a port: it is reachable from outside the network namespace the board is in.
//
// --chip-sockets: the W5500's socket mode (TCP on the chip, for firmware built without
// lwIP: firmware-chipstack.bin) - each chip socket is carried by a host TCP socket of
// this process, bound to the chip's address (SIPR), so that address must exist in the
// namespace (the harness adds it). UDP sockets (the driver's DHCP and DNS clients) and
// the chip's ARP are frames through --tap, as MACRAW's are.
//
// Pins follow the board definition (micropython ports/rp2/boards/W5500_EVB_PICO/
// mpconfigboard.h): SPI0 SCK 18, MOSI 19, MISO 16; CS 17, RST 20, INTN 21.
import fs from 'node:fs';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RP2040Board } from './rp2040.mjs';
import { W5500 } from './w5500.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const PIN_CS = 17, PIN_RST = 20, PIN_INTN = 21;
// littlefs: the last MICROPY_HW_FLASH_STORAGE_BYTES (1408 KiB, mpconfigboard.cmake) of the
// board's 2 MiB flash.
export const FS_OFFSET = 0x200000 - 1408 * 1024, FS_BYTES = 1408 * 1024;

function parse(argv) {
  const o = { firmware: here('../firmware/firmware.bin'), bootrom: here('../firmware/bootrom-b1.bin'),
    cable: true, realtime: false, tap: null, ctl: null, fsImage: null, tcp: 0, ethLog: false,
    chipSockets: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = () => { if (i + 1 >= argv.length) die(`${a} needs a value`); return argv[++i]; };
    if (a === '--firmware') o.firmware = v();
    else if (a === '--bootrom') o.bootrom = v();
    else if (a === '--tap') o.tap = v();
    else if (a === '--ctl') o.ctl = v();
    else if (a === '--fs-image') o.fsImage = v();
    else if (a === '--tcp') o.tcp = Number(v());
    else if (a === '--realtime') o.realtime = true;
    else if (a === '--eth-log') o.ethLog = true;
    else if (a === '--chip-sockets') o.chipSockets = true;
    else if (a === '--cable') { const c = v(); if (c !== 'in' && c !== 'out') die('--cable in|out'); o.cable = c === 'in'; }
    else die(`unknown argument ${a}`);
  }
  return o;
}

function die(msg) { process.stderr.write(`[board] ${msg}\n`); process.exit(2); }
const note = (msg) => process.stderr.write(`[board] ${msg}\n`);

const opts = parse(process.argv.slice(2));
const board = new RP2040Board({ bootrom: opts.bootrom, firmware: opts.firmware, realtime: opts.realtime });
if (opts.fsImage) {
  const img = fs.readFileSync(opts.fsImage);
  if (img.length > FS_BYTES) die(`${opts.fsImage}: larger than the ${FS_BYTES}-byte filesystem`);
  board.loadFlash(FS_OFFSET, img);
}

// ---- the Ethernet side
let tap = null;
const eth = (dir, f) => `${dir} ${Buffer.from(f.subarray(6, 12)).toString('hex')} > ${Buffer.from(f.subarray(0, 6)).toString('hex')} ` +
  `type ${Buffer.from(f.subarray(12, 14)).toString('hex')} len ${f.length} at ${board.ms.toFixed(1)} ms`;
const chip = new W5500({
  cable: opts.cable,
  hostNet: opts.chipSockets ? net : null,
  udpFrames: opts.chipSockets,
  log: opts.chipSockets ? note : null,
  onInt: (level) => board.setInput(PIN_INTN, level),
  onFrame: (f) => {
    if (opts.ethLog) note(eth('tx', f));
    if (tap) { const h = Buffer.alloc(2); h.writeUInt16BE(f.length); tap.stdin.write(Buffer.concat([h, f])); }
  },
});
board.setInput(PIN_INTN, true);
board.attachSpi0(chip, PIN_CS);
board.mirrorOutput(PIN_CS);
board.mirrorOutput(PIN_RST);
board.onLow(PIN_RST, () => chip.hardReset());

if (opts.tap) {
  tap = spawn('python3', [here('./tap_relay.py'), opts.tap], { stdio: ['pipe', 'pipe', 'inherit'] });
  tap.on('exit', (code) => { if (!quitting) { note(`tap relay exited (${code})`); finish(4); } });
  let acc = Buffer.alloc(0);
  tap.stdout.on('data', (d) => {
    acc = acc.length ? Buffer.concat([acc, d]) : d;
    while (acc.length >= 2) {
      const n = acc.readUInt16BE(0);
      if (acc.length < 2 + n) break;
      const f = new Uint8Array(acc.subarray(2, 2 + n));
      acc = acc.subarray(2 + n);
      const kept = chip.receive(f);
      if (opts.ethLog) note(eth(kept ? 'rx' : 'rx-dropped', f));
    }
  });
}

// ---- the serial port
let client = null;   // --tcp: the connected TCP client
board.onSerial = (buf) => {
  if (opts.tcp) { if (client) client.write(Buffer.from(buf)); }
  else process.stdout.write(Buffer.from(buf));
};
board.onConnected = () => note(`usb serial connected at ${board.ms.toFixed(1)} ms`);
if (opts.tcp) {
  net.createServer((sock) => {
    if (client) client.destroy();
    client = sock;
    sock.on('data', (d) => board.write(d));
    sock.on('close', () => { if (client === sock) client = null; });
    sock.on('error', () => {});
  }).listen(opts.tcp, '127.0.0.1', () => note(`serial on tcp 127.0.0.1:${opts.tcp}`));
} else {
  process.stdin.on('data', (d) => board.write(d));
  process.stdin.on('end', () => finish(0));
}

// ---- control
let quitting = false;
function finish(code) {
  if (quitting) return;
  quitting = true;
  board.stop();
  if (tap) tap.kill();
  if (opts.ctl) { try { fs.unlinkSync(opts.ctl); } catch { /* gone already */ } }
  note(`stopped at ${board.ms.toFixed(1)} ms board time; w5500 ${JSON.stringify(chip.stats)}`);
  process.exit(code);
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => finish(128));

function control(line) {
  const [cmd, ...rest] = line.trim().split(/\s+/);
  const state = () => ({ ok: true, ms: Math.round(board.ms * 10) / 10, cable: chip.cable ? 'in' : 'out' });
  if (cmd === 'cable' && (rest[0] === 'in' || rest[0] === 'out')) {
    chip.setCable(rest[0] === 'in');
    note(`cable ${rest[0]} at ${board.ms.toFixed(1)} ms`);
    return state();
  }
  if (cmd === 'status') {
    const s0 = chip.sock[0];
    return { ...state(), w5500: chip.stats, rp2040: board.stats,
      socket0: { sr: s0.r[3], ir: s0.r[2], rxPending: chip.rxUsed(0), intn: chip.intLevel ? 'high' : 'low' },
      sockets: chip.sock.map((s) => ({ mr: s.r[0], sr: s.r[3], ir: s.r[2] })) };
  }
  if (cmd === 'save-fs' && rest.length === 1) {
    fs.writeFileSync(rest[0], board.readFlash(FS_OFFSET, FS_BYTES));
    return { ...state(), saved: rest[0] };
  }
  if (cmd === 'quit') { setImmediate(() => finish(0)); return state(); }
  return { ok: false, error: `unknown command ${JSON.stringify(line.trim())}` };
}
if (opts.ctl) {
  try { fs.unlinkSync(opts.ctl); } catch { /* none yet */ }
  net.createServer((sock) => {
    let acc = '';
    sock.on('data', (d) => {
      acc += d.toString();
      for (let i; (i = acc.indexOf('\n')) >= 0;) {
        const line = acc.slice(0, i); acc = acc.slice(i + 1);
        let reply;
        try { reply = control(line); } catch (e) { reply = { ok: false, error: String(e) }; }
        sock.write(JSON.stringify(reply) + '\n');
      }
    });
    sock.on('error', () => {});
  }).listen(opts.ctl);
}

board.onCrash = () => finish(5);
board.start();
note(`started: cable ${opts.cable ? 'in' : 'out'}${opts.realtime ? ', realtime' : ''}${opts.tap ? ', tap ' + opts.tap : ''}`);
