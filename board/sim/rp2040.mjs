// The emulated RP2040 of the board suite: rp2040js with the boot ROM and a firmware image
// loaded, its USB CDC serial port as a byte stream, SPI0 and GPIO for device models, and
// an execution loop of our own. What rp2040js 1.4.1 does not do, and what is done here:
//
//  1. Flash writes: its SSI models no program/erase, so littlefs cannot format or write.
//     The boot ROM's flash_range_erase ('RE') and flash_range_program ('RP') are found
//     through the ROM's function table (RP2040 datasheet 2.8.3: a 16-bit pointer to the
//     table at 0x14; entries are a 2-character code and a 16-bit address, 0-terminated)
//     and done here when the program counter reaches them; the call returns through LR.
//  2. Idle serial: rp2040js's USBCDC answers every OUT-endpoint read at once, with an
//     empty packet if the host has nothing, so the firmware never sleeps. A read is held
//     here until the host has bytes (what a real host does: it NAKs).
//  3. Host input: USBCDC buffers 512 bytes and drops the rest; input waits here instead.
//  4. A pin the firmware drives reads back as the external level (GPIO_IN returns the
//     input side only), where the RP2040 reads its pad, driven or not (datasheet 2.19.2:
//     the input is sampled from the pad whatever the output enable). The firmware's
//     WIZnet interrupt handler reads the chip select it drives (network_wiznet5k.c
//     mpy_wiznet_read_int: "unless the SPI bus is busy") and otherwise skips the frame
//     until lwIP's next 64 ms poll. mirrorOutput(pin) feeds the driven level back.
//  5. Time: the loop runs the CPU, and while the CPU sleeps (WFE/WFI) jumps the clock to
//     the next alarm. With `realtime`, the board's clock never runs ahead of the wall
//     clock (real network peers need it: DHCP, TCP timers), and when the CPU-bound
//     emulation has fallen behind, a sleep starts from "now", so a wait on the board lasts
//     as long in wall time as on the board's clock.
import fs from 'node:fs';
import { Simulator, USBCDC, GPIOPinState, ConsoleLogger, LogLevel } from 'rp2040js';

export { GPIOPinState };
export const FLASH_BASE = 0x10000000;
const CYCLE_NS = 8;              // 125 MHz system clock
const BATCH = 200000;            // instructions between looks at the event loop

function romFunction(rom, c1, c2) {
  const code = c1.charCodeAt(0) | (c2.charCodeAt(0) << 8);
  const view = new DataView(rom.buffer, rom.byteOffset, rom.byteLength);
  for (let p = view.getUint16(0x14, true); p + 4 <= rom.byteLength; p += 4) {
    const c = view.getUint16(p, true);
    if (c === 0) break;
    if (c === code) return view.getUint16(p + 2, true) & ~1;
  }
  throw new Error(`boot ROM has no function ${c1}${c2}`);
}

export class RP2040Board {
  /**
   * @param {object} o
   * @param {string} o.bootrom 16 KiB boot ROM image (.bin)
   * @param {string} o.firmware firmware image (.bin, loaded at the start of flash)
   * @param {boolean} [o.realtime]
   */
  constructor({ bootrom, firmware, realtime = false }) {
    const sim = new Simulator();
    this.mcu = sim.rp2040;
    this.clock = sim.clock;
    this.core = this.mcu.core;
    this.mcu.logger = new ConsoleLogger(LogLevel.Error);
    const rom = fs.readFileSync(bootrom);
    if (rom.length !== 16384) throw new Error(`${bootrom}: ${rom.length} bytes, expected 16384`);
    this.mcu.loadBootrom(new Uint32Array(rom.buffer, rom.byteOffset, 4096));
    this.mcu.flash.set(fs.readFileSync(firmware), 0);
    this.realtime = realtime;
    this.running = false;
    this.stats = { flashErases: 0, flashPrograms: 0, instructions: 0 };
    this.hooks = new Map();
    this.hookFlash(rom);
    this.setupSerial();
  }

  /** Board time in milliseconds since power-on. */
  get ms() { return this.clock.nanos / 1e6; }

  hookFlash(rom) {
    const { mcu, core } = this;
    const back = () => { core.PC = core.LR & ~1; };
    // flash_range_erase(uint32_t addr, size_t count, uint32_t block_size, uint8_t block_cmd)
    this.hooks.set(romFunction(rom, 'R', 'E'), () => {
      const [addr, count] = core.registers;
      mcu.flash.fill(0xff, addr, addr + count);
      this.stats.flashErases++;
      back();
    });
    // flash_range_program(uint32_t addr, const uint8_t *data, size_t count): NOR flash
    // programming can only clear bits.
    this.hooks.set(romFunction(rom, 'R', 'P'), () => {
      const [addr, data, count] = core.registers;
      for (let i = 0; i < count; i++) mcu.flash[addr + i] &= mcu.readUint8(data + i);
      this.stats.flashPrograms++;
      back();
    });
  }

  // ---- serial (USB CDC) ---------------------------------------------------------

  setupSerial() {
    const cdc = this.cdc = new USBCDC(this.mcu.usbCtrl);
    this.input = [];          // host -> board bytes not yet in the CDC FIFO
    this.onSerial = () => {}; // board -> host bytes
    this.onConnected = () => {};
    cdc.onSerialData = (buf) => this.onSerial(buf);
    cdc.onDeviceConnected = () => this.onConnected();
    const usb = cdc.usb, answer = usb.onEndpointRead;
    this.heldRead = null;
    usb.onEndpointRead = (ep, size) => {
      if (ep === cdc.outEndpoint && cdc.txFIFO.empty) { this.heldRead = [ep, size]; return; }
      answer(ep, size);
    };
    this.answerRead = answer;
  }

  /** Bytes from the host to the board's serial port. */
  write(bytes) {
    for (const b of bytes) this.input.push(b);
    this.feed();
  }

  feed() {
    const { cdc, input } = this;
    let i = 0;
    while (i < input.length && !cdc.txFIFO.full) cdc.sendSerialByte(input[i++]);
    if (i) input.splice(0, i);
    if (this.heldRead && !cdc.txFIFO.empty) {
      const r = this.heldRead;
      this.heldRead = null;
      this.answerRead(...r);
    }
  }

  // ---- devices ----------------------------------------------------------------------

  /** An SPI device on SPI0 with its chip select on GPIO `cs`: {select, transfer, deselect}.
   *  A byte completes one byte-time after it was sent (8 bits at the programmed SCK
   *  rate): completed at once, TX DMA runs ahead of RX DMA and the RP2040's receive FIFO
   *  overruns (the firmware's machine_spi.c then raises EIO). */
  attachSpi0(device, cs) {
    const { mcu } = this, spi = mcu.spi[0];
    let selected = false, miso = 0;
    mcu.gpio[cs].addListener((state) => {
      const low = state === GPIOPinState.Low;
      if (low && !selected) { selected = true; device.select(); }
      else if (!low && selected) { selected = false; device.deselect(); }
    });
    const done = this.clock.createAlarm(() => spi.completeTransmit(miso));
    spi.onTransmit = (mosi) => {
      miso = selected ? device.transfer(mosi) & 0xff : 0xff;
      const hz = spi.clockFrequency;
      done.schedule(hz > 0 ? Math.max(8, Math.round(8e9 / hz)) : 400);
    };
  }

  /** Let the firmware read back the level it drives on `pin` (see 4 above). */
  mirrorOutput(pin) {
    const gpio = this.mcu.gpio[pin];
    gpio.addListener((state) => {
      if (state === GPIOPinState.High || state === GPIOPinState.Low) gpio.setInputValue(state === GPIOPinState.High);
    });
  }

  /** Drive an input pin from outside (a device's output). */
  setInput(pin, level) { this.mcu.gpio[pin].setInputValue(!!level); }

  /** Call fn() when the firmware drives `pin` low. */
  onLow(pin, fn) {
    this.mcu.gpio[pin].addListener((state, old) => { if (state === GPIOPinState.Low && old !== GPIOPinState.Low) fn(); });
  }

  // ---- flash regions ---------------------------------------------------------------

  loadFlash(offset, bytes) { this.mcu.flash.set(bytes, offset); }
  readFlash(offset, length) { return Buffer.from(this.mcu.flash.subarray(offset, offset + length)); }

  // ---- the execution loop -------------------------------------------------------------

  start() {
    this.running = true;
    // Start at boot2, the first 256 bytes of the image (as rp2040js's demo does): the
    // ROM's reset path would read boot2 through the SSI, which rp2040js does not model.
    // The ROM stays in use: its function tables, float routines and flash functions.
    this.core.PC = FLASH_BASE;
    this.wall0 = performance.now();
    this.sim0 = this.ms;
    this.sleeping = false;
    this.loop();
  }

  stop() { this.running = false; }

  loop() {
    if (!this.running) return;
    try {
      if (this.batch()) setImmediate(() => this.loop());
    } catch (e) {
      this.running = false;
      process.stderr.write(`[rp2040] emulation stopped: ${e.stack || e}\n`);
      this.onCrash?.(e);
    }
  }

  /** Runs up to BATCH steps. Returns true to continue at once; false when it arranged to
   *  continue later (a paced sleep). */
  batch() {
    const { core, clock, hooks } = this;
    let n = 0;
    while (n < BATCH) {
      if (this.input.length) this.feed();
      if (core.waiting) {
        const dt = clock.nanosToNextAlarm;
        if (this.realtime) {
          const now = performance.now();
          if (!this.sleeping) {
            this.sleeping = true;
            // A sleep begins: if the board's clock has fallen behind the wall clock, start
            // this sleep from now rather than skip through it to catch up.
            if (now - this.wall0 > this.ms - this.sim0 + 5) { this.wall0 = now; this.sim0 = this.ms; }
          }
          const allowed = this.sim0 + (now - this.wall0);   // board ms the wall clock permits
          const wake = this.ms + dt / 1e6;
          if (dt <= 0 || wake > allowed) {
            if (allowed > this.ms) clock.tick((allowed - this.ms) * 1e6);   // no alarm is due before `allowed`
            const wait = dt <= 0 ? 5 : Math.min(wake - allowed, 20);
            setTimeout(() => this.loop(), Math.max(1, wait));
            return false;
          }
        } else if (dt <= 0) {   // nothing scheduled: only the outside world can wake the CPU
          setTimeout(() => this.loop(), 1);
          return false;
        }
        clock.tick(dt);
        n += 64;
        continue;
      }
      this.sleeping = false;
      const pc = core.PC;
      if (pc < 0x4000) {
        const hook = hooks.get(pc);
        if (hook) { hook(); n++; continue; }
      }
      clock.tick(core.executeInstruction() * CYCLE_NS);
      n++;
    }
    this.stats.instructions += n;
    return true;
  }
}
