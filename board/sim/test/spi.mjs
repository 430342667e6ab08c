// The SPI side of the W5500 model's tests: one frame (chip select low, address, control
// byte, data, chip select high) and register reads and writes built on it.
import { bsbReg, RWB_WRITE } from '../w5500.mjs';

// One SPI frame; returns the data phase's MISO bytes.
export function frame(chip, addr, ctrl, data) {
  chip.select();
  chip.transfer(addr >> 8); chip.transfer(addr & 0xff); chip.transfer(ctrl);
  const out = data.map((b) => chip.transfer(b));
  chip.deselect();
  return out;
}
export const write = (chip, bsb, addr, bytes) => frame(chip, addr, (bsb << 3) | RWB_WRITE, [...bytes]);
export const read = (chip, bsb, addr, n) => frame(chip, addr, bsb << 3, new Array(n).fill(0));
export const read8 = (chip, n, reg) => read(chip, bsbReg(n), reg, 1)[0];
export const read16 = (chip, bsb, addr) => { const [h, l] = read(chip, bsb, addr, 2); return (h << 8) | l; };
export const write16 = (chip, bsb, addr, v) => write(chip, bsb, addr, [v >> 8, v & 0xff]);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
