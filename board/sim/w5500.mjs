// A behavioural model of the WIZnet W5500, as far as MicroPython's WIZNET5K driver in
// lwIP mode uses it: socket 0 in MACRAW carries every Ethernet frame, lwIP does the rest.
// Pure JavaScript, no emulator inside: the SPI side is select() / transfer(byte) /
// deselect(), the wire side is receive(frame) and the onFrame callback, the board side is
// hardReset() (the RSTn pin) and the onInt(level) callback (the INTn pin, active low).
//
// Sources each behaviour follows (cited below as [ds], [h], [c], [sock], [conf], [drv]):
//  [ds]   W5500 Datasheet v1.0.9 (WIZnet): SPI frame (sect. 2), register map and reset
//         values (sect. 3-4), MACRAW PACKET-INFO (Sn_MR, sect. 4.2).
//  [h]    ioLibrary Ethernet/W5500/w5500.h (andrewleech/wiznet_ioLibrary_Driver 0803fc51,
//         the copy the firmware builds): addresses, block select bits, bit names.
//  [c]    same, w5500.c: WIZCHIP_READ/WRITE(_BUF) framing, getSn_RX_RSR/TX_FSR read twice.
//  [sock] same, Ethernet/socket.c: socket(), close(), sendto()/recvfrom() in MACRAW.
//  [conf] same, Ethernet/wizchip_conf.c: wizchip_init(), wizchip_sw_reset(),
//         wizchip_clrinterrupt(), wizphy_getphylink().
//  [drv]  micropython extmod/network_wiznet5k.c (af47daf3): what the driver reads and
//         writes: 16 KiB buffers on socket 0, Sn_IMR = RECV, SIMR = socket 0, MFEN,
//         MIP6B, recvfrom(0, buf, 1514), status()/isconnected() from PHYCFGR.LNK.
// Behaviour no source states is marked GUESS.

// Common register block offsets [h]
export const MR = 0x00, GAR = 0x01, SUBR = 0x05, SHAR = 0x09, SIPR = 0x0f, INTLEVEL = 0x13,
  IR = 0x15, IMR = 0x16, SIR = 0x17, SIMR = 0x18, RTR = 0x19, RCR = 0x1b, PTIMER = 0x1c,
  PHYCFGR = 0x2e, VERSIONR = 0x39;
// Socket register block offsets [h]
export const Sn_MR = 0x00, Sn_CR = 0x01, Sn_IR = 0x02, Sn_SR = 0x03, Sn_PORT = 0x04,
  Sn_DHAR = 0x06, Sn_MSSR = 0x12, Sn_TTL = 0x16, Sn_RXBUF_SIZE = 0x1e, Sn_TXBUF_SIZE = 0x1f,
  Sn_TX_FSR = 0x20, Sn_TX_RD = 0x22, Sn_TX_WR = 0x24, Sn_RX_RSR = 0x26, Sn_RX_RD = 0x28,
  Sn_RX_WR = 0x2a, Sn_IMR = 0x2c, Sn_FRAG = 0x2d;
// Sn_MR bits and protocols, Sn_CR commands, Sn_IR bits, Sn_SR states [h]
export const MR_RST = 0x80, Sn_MR_MFEN = 0x80, Sn_MR_BCASTB = 0x40, Sn_MR_MMB = 0x20,
  Sn_MR_MIP6B = 0x10, Sn_MR_CLOSE = 0x00, Sn_MR_TCP = 0x01, Sn_MR_UDP = 0x02,
  Sn_MR_MACRAW = 0x04;
export const CR_OPEN = 0x01, CR_LISTEN = 0x02, CR_CONNECT = 0x04, CR_DISCON = 0x08,
  CR_CLOSE = 0x10, CR_SEND = 0x20, CR_SEND_MAC = 0x21, CR_SEND_KEEP = 0x22, CR_RECV = 0x40;
export const IR_SENDOK = 0x10, IR_TIMEOUT = 0x08, IR_RECV = 0x04, IR_DISCON = 0x02, IR_CON = 0x01;
export const SOCK_CLOSED = 0x00, SOCK_INIT = 0x13, SOCK_UDP = 0x22, SOCK_MACRAW = 0x42;
// Block select (control byte bits 7-3) [h]: 0 common, 1+4n socket n registers,
// 2+4n socket n TX buffer, 3+4n socket n RX buffer; RWB is bit 2, OM bits 1-0 [ds 2.2].
export const BSB_COMMON = 0, bsbReg = (n) => 1 + 4 * n, bsbTx = (n) => 2 + 4 * n, bsbRx = (n) => 3 + 4 * n;
export const RWB_WRITE = 0x04;

const SOCKETS = 8;           // [ds 1]
const KB = 1024;
const MAX_FRAME = 1514;      // recvfrom() closes the socket on a longer PACKET-INFO [sock]

export class W5500 {
  /**
   * @param {object} opts
   * @param {(frame: Uint8Array) => void} [opts.onFrame] a frame the chip put on the wire
   * @param {(level: boolean) => void} [opts.onInt] the INTn pin level (false = asserted)
   * @param {boolean} [opts.cable] the Ethernet cable at power-on (default: plugged in)
   * @param {(msg: string) => void} [opts.log]
   */
  constructor({ onFrame = () => {}, onInt = () => {}, cable = true, log = null } = {}) {
    this.onFrame = onFrame;
    this.onInt = onInt;
    this.log = log;
    this.cable = !!cable;    // outside the chip: survives resets
    this.intLevel = true;
    this.stats = { spiFrames: 0, txFrames: 0, rxFrames: 0, rxOverflow: 0, rxFiltered: 0,
      txNoLink: 0, rxNoLink: 0, resets: 0, linkChanges: 0, unsupported: 0, interrupts: 0 };
    this.hardReset();
  }

  // ---- reset -------------------------------------------------------------------------

  /** RSTn low, or MR.RST [ds 3.1]: every register to its reset value. */
  hardReset() {
    this.stats.resets++;
    const c = this.common = new Uint8Array(0x40);
    // Reset values [ds 3.1]: RTR 0x07D0 (200 ms), RCR 8, PTIMER 0x28, VERSIONR 0x04;
    // PHYCFGR bits 7-3 = 1 0111 (no PHY reset, OPMDC "all capable, auto-negotiation").
    c[RTR] = 0x07; c[RTR + 1] = 0xd0; c[RCR] = 0x08; c[PTIMER] = 0x28;
    c[PHYCFGR] = 0xb8; c[VERSIONR] = 0x04;
    this.sock = [];
    for (let n = 0; n < SOCKETS; n++) {
      const r = new Uint8Array(0x30);
      // Reset values [ds 4]: Sn_DHAR FF:FF:FF:FF:FF:FF, Sn_TTL 0x80, Sn_RXBUF_SIZE and
      // Sn_TXBUF_SIZE 2 (KB), Sn_IMR 0xFF, Sn_FRAG 0x4000; the rest 0.
      r.fill(0xff, Sn_DHAR, Sn_DHAR + 6);
      r[Sn_TTL] = 0x80; r[Sn_RXBUF_SIZE] = 2; r[Sn_TXBUF_SIZE] = 2; r[Sn_IMR] = 0xff;
      r[Sn_FRAG] = 0x40;
      this.sock.push({
        r, tx: new Uint8Array(16 * KB), rx: new Uint8Array(16 * KB),
        txRd: 0, txWr: 0,    // TX pointers (Sn_TX_WR is written by the host)
        rxWr: 0, rxRd: 0,    // rxRd: Sn_RX_RD as of the last RECV command
      });
    }
    this.spi = { phase: 0, addr: 0, ctrl: 0, left: -1 };
    this.updateInt();
  }

  // ---- the cable -----------------------------------------------------------------

  /** Plug (true) or pull (false) the cable. The PHY reports it in PHYCFGR.LNK at once
   *  (GUESS: a real PHY needs up to a few seconds of auto-negotiation to report link up). */
  setCable(plugged) {
    plugged = !!plugged;
    if (plugged !== this.cable) { this.cable = plugged; this.stats.linkChanges++; }
  }

  // ---- SPI side [ds 2.2, c] -------------------------------------------------------

  /** SCSn falls: a new SPI frame starts with two address bytes and a control byte. */
  select() { this.spi.phase = 0; this.stats.spiFrames++; }

  /** SCSn rises: the frame ends (variable-length data mode ends here). */
  deselect() { this.spi.phase = 0; this.updateInt(); }

  /** One byte each way while selected: returns the MISO byte for this MOSI byte. */
  transfer(mosi) {
    const s = this.spi;
    switch (s.phase) {
      // GUESS: what MISO carries during the address and control phases; the driver
      // discards those bytes (WIZCHIP_READ writes 3 bytes, then reads [c]).
      case 0: s.addr = mosi << 8; s.phase = 1; return 0;
      case 1: s.addr |= mosi; s.phase = 2; return 0;
      case 2: {
        s.ctrl = mosi; s.phase = 3;
        const om = mosi & 3;   // 00 variable length (the driver's only mode [c]); 01/10/11: 1/2/4 bytes
        s.left = om === 0 ? -1 : [0, 1, 2, 4][om];
        return 0;
      }
      default: {
        const bsb = s.ctrl >> 3, write = (s.ctrl & RWB_WRITE) !== 0;
        let miso = 0;
        if (write) this.write(bsb, s.addr, mosi); else miso = this.read(bsb, s.addr);
        s.addr = (s.addr + 1) & 0xffff;   // the offset increases by one per data byte [ds 2.2]
        if (s.left > 0 && --s.left === 0) s.phase = 0;   // fixed length: next frame follows
        return miso;
      }
    }
  }

  // ---- registers ---------------------------------------------------------------

  bufSize(n, which) { return Math.min(this.sock[n].r[which], 16) * KB; }

  read(bsb, a) {
    if (bsb === BSB_COMMON) return this.readCommon(a);
    const n = (bsb - 1) >> 2, kind = (bsb - 1) & 3;
    if (n >= SOCKETS || kind === 3) return 0;   // reserved blocks [ds 2.2.2]
    const s = this.sock[n];
    if (kind === 1) { const size = this.bufSize(n, Sn_TXBUF_SIZE); return size ? s.tx[a & (size - 1)] : 0; }
    if (kind === 2) { const size = this.bufSize(n, Sn_RXBUF_SIZE); return size ? s.rx[a & (size - 1)] : 0; }
    if (a >= 0x30) return 0;
    const hi = (v) => (a & 1) ? v & 0xff : v >> 8;   // 16-bit registers, big-endian [ds 4]
    switch (a) {
      case Sn_CR: return 0;   // a command is taken at once, so the register reads 0 [sock: while(getSn_CR(sn))]
      case Sn_TX_FSR: case Sn_TX_FSR + 1: return hi(this.txFree(n));
      case Sn_TX_RD: case Sn_TX_RD + 1: return hi(s.txRd);
      case Sn_TX_WR: case Sn_TX_WR + 1: return hi(s.txWr);
      case Sn_RX_RSR: case Sn_RX_RSR + 1: return hi(this.rxUsed(n));
      case Sn_RX_WR: case Sn_RX_WR + 1: return hi(s.rxWr);
      default: return s.r[a];
    }
  }

  readCommon(a) {
    if (a === PHYCFGR) {
      // LNK (bit 0), SPD (bit 1: 100 Mbit/s), DPX (bit 2: full duplex) are read-only status
      // [ds 3.1, h PHYCFGR_*]; wizphy_getphylink() tests LNK [conf]. GUESS: SPD and DPX
      // read 0 while there is no link.
      return (this.common[PHYCFGR] & 0xf8) | (this.cable ? 0x07 : 0x00);
    }
    if (a === SIR) return this.sir();
    return a < 0x40 ? this.common[a] : 0;
  }

  write(bsb, a, v) {
    if (bsb === BSB_COMMON) return this.writeCommon(a, v);
    const n = (bsb - 1) >> 2, kind = (bsb - 1) & 3;
    if (n >= SOCKETS || kind === 3) return;
    const s = this.sock[n];
    if (kind === 1) { const size = this.bufSize(n, Sn_TXBUF_SIZE); if (size) s.tx[a & (size - 1)] = v; return; }
    if (kind === 2) { const size = this.bufSize(n, Sn_RXBUF_SIZE); if (size) s.rx[a & (size - 1)] = v; return; }
    if (a >= 0x30) return;
    switch (a) {
      case Sn_CR: return this.command(n, v);
      case Sn_IR: s.r[Sn_IR] &= ~v; this.updateInt(); return;   // write 1 to clear [ds 4]
      case Sn_TX_WR: s.txWr = (v << 8) | (s.txWr & 0xff); return;
      case Sn_TX_WR + 1: s.txWr = (s.txWr & 0xff00) | v; return;
      // read-only [ds 4]: status, free size, TX read pointer, received size, RX write pointer
      case Sn_SR: case Sn_TX_FSR: case Sn_TX_FSR + 1: case Sn_TX_RD: case Sn_TX_RD + 1:
      case Sn_RX_RSR: case Sn_RX_RSR + 1: case Sn_RX_WR: case Sn_RX_WR + 1: return;
      case Sn_IMR: s.r[a] = v; this.updateInt(); return;
      default: s.r[a] = v;   // Sn_RX_RD is kept here and taken by the next RECV
    }
  }

  writeCommon(a, v) {
    switch (a) {
      case MR:
        // MR.RST resets every register and clears itself [ds 3.1]; wizchip_sw_reset()
        // saves SHAR, GAR, SUBR, SIPR around it [conf].
        if (v & MR_RST) { this.hardReset(); return; }
        this.common[MR] = v; return;
      case IR: this.common[IR] &= ~v; this.updateInt(); return;   // write 1 to clear [ds 3.1]
      case SIR: case VERSIONR: return;                              // read-only [ds 3.1]
      case IMR: case SIMR: this.common[a] = v; this.updateInt(); return;
      case PHYCFGR:
        // Bits 7-3 are writable; RST (bit 7) written 0 resets the PHY and reads 1 again
        // once done [ds 3.1]. GUESS: the PHY reset is instantaneous here.
        this.common[PHYCFGR] = (v & 0x78) | 0x80; return;
      default: if (a < 0x40) this.common[a] = v;
    }
  }

  // ---- socket commands [ds 4, sock] ---------------------------------------------------

  txFree(n) {
    const s = this.sock[n], size = this.bufSize(n, Sn_TXBUF_SIZE);
    return Math.max(0, size - ((s.txWr - s.txRd) & 0xffff));
  }

  rxUsed(n) { const s = this.sock[n]; return (s.rxWr - s.rxRd) & 0xffff; }

  command(n, cmd) {
    const s = this.sock[n], proto = s.r[Sn_MR] & 0x0f;
    if (this.log) this.log(`S${n} CR=0x${cmd.toString(16)} MR=0x${s.r[Sn_MR].toString(16)}`);
    switch (cmd) {
      case CR_OPEN:
        // OPEN initialises the pointers and sets Sn_SR by protocol [ds 4: Sn_CR OPEN];
        // MACRAW exists on socket 0 only [ds 4: Sn_MR].
        s.txRd = s.txWr = s.rxRd = s.rxWr = 0;
        s.r[Sn_RX_RD] = s.r[Sn_RX_RD + 1] = 0;
        if (proto === Sn_MR_MACRAW && n === 0) s.r[Sn_SR] = SOCK_MACRAW;
        else if (proto === Sn_MR_UDP) { s.r[Sn_SR] = SOCK_UDP; this.unsupported(n, 'UDP socket (opened, carries nothing)'); }
        else if (proto === Sn_MR_TCP) { s.r[Sn_SR] = SOCK_INIT; this.unsupported(n, 'TCP socket (opened, carries nothing)'); }
        else this.unsupported(n, `OPEN in mode 0x${proto.toString(16)}`);
        break;
      case CR_CLOSE:
        s.r[Sn_SR] = SOCK_CLOSED;
        break;
      case CR_SEND: {
        // The bytes from Sn_TX_RD to Sn_TX_WR leave as one frame in MACRAW; then
        // Sn_TX_RD = Sn_TX_WR and SENDOK is set [ds 4: Sn_CR SEND; sock: sendto()].
        const size = this.bufSize(n, Sn_TXBUF_SIZE), len = (s.txWr - s.txRd) & 0xffff;
        const frame = new Uint8Array(len);
        for (let i = 0; i < len; i++) frame[i] = s.tx[(s.txRd + i) & (size - 1)];
        s.txRd = s.txWr;
        // GUESS: without a link the frame is lost but the send still completes (SENDOK):
        // a TIMEOUT here would make the driver print "fatal error" and take lwIP's
        // interface down for good [drv: wiznet5k_send_ethernet], which boards in the
        // field do not show after a pulled cable.
        s.r[Sn_IR] |= IR_SENDOK;
        if (s.r[Sn_SR] !== SOCK_MACRAW) { this.unsupported(n, 'SEND outside MACRAW (dropped)'); break; }
        if (!this.cable) { this.stats.txNoLink++; break; }
        this.stats.txFrames++;
        this.onFrame(frame);
        break;
      }
      case CR_RECV:
        // RECV tells the chip the host has read up to Sn_RX_RD [ds 4: Sn_CR RECV].
        s.rxRd = (s.r[Sn_RX_RD] << 8) | s.r[Sn_RX_RD + 1];
        // GUESS: data still waiting after RECV raises RECV again, so no frame is stranded
        // between the driver's last Sn_RX_RSR read and its interrupt clear.
        if (this.rxUsed(n)) s.r[Sn_IR] |= IR_RECV;
        break;
      default:
        this.unsupported(n, `command 0x${cmd.toString(16)}`);
    }
    this.updateInt();
  }

  unsupported(n, what) {
    this.stats.unsupported++;
    if (this.log) this.log(`S${n}: ${what} is not modelled`);
  }

  // ---- the wire side -------------------------------------------------------------

  /** A frame from the wire (destination MAC first, no FCS). Returns true if stored. */
  receive(frame) {
    const n = 0, s = this.sock[n], mr = s.r[Sn_MR];
    if (s.r[Sn_SR] !== SOCK_MACRAW) return false;
    if (!this.cable) { this.stats.rxNoLink++; return false; }
    if (frame.length < 14 || frame.length > MAX_FRAME) { this.stats.rxFiltered++; return false; }
    const bcast = frame[0] === 0xff && frame[1] === 0xff && frame[2] === 0xff &&
      frame[3] === 0xff && frame[4] === 0xff && frame[5] === 0xff;
    const mcast = !bcast && (frame[0] & 1) === 1;
    // In MACRAW: MFEN passes only frames to SHAR, broadcast and multicast; BCASTB blocks
    // broadcast, MMB multicast, MIP6B IPv6 (EtherType 0x86DD) [ds 4: Sn_MR].
    let drop = false;
    if (mr & Sn_MR_MFEN) {
      let mine = true;
      for (let i = 0; i < 6; i++) if (frame[i] !== this.common[SHAR + i]) { mine = false; break; }
      drop = !mine && !bcast && !mcast;
    }
    if ((mr & Sn_MR_BCASTB) && bcast) drop = true;
    if ((mr & Sn_MR_MMB) && mcast) drop = true;
    if ((mr & Sn_MR_MIP6B) && frame[12] === 0x86 && frame[13] === 0xdd) drop = true;
    if (drop) { this.stats.rxFiltered++; return false; }
    // Stored as a 2-byte big-endian PACKET-INFO (the frame length plus these 2 bytes),
    // then the frame [ds 4: MACRAW; sock: recvfrom() subtracts 2]. A frame that does not
    // fit in the free buffer is lost [ds: Sn_RX_RSR].
    const size = this.bufSize(n, Sn_RXBUF_SIZE), total = frame.length + 2;
    if (size - this.rxUsed(n) < total) { this.stats.rxOverflow++; return false; }
    const put = (i, b) => { s.rx[(s.rxWr + i) & (size - 1)] = b; };
    put(0, total >> 8); put(1, total & 0xff);
    for (let i = 0; i < frame.length; i++) put(i + 2, frame[i]);
    s.rxWr = (s.rxWr + total) & 0xffff;
    s.r[Sn_IR] |= IR_RECV;
    this.stats.rxFrames++;
    this.updateInt();
    return true;
  }

  // ---- interrupts [ds 3.1: IR, IMR, SIR, SIMR; 4: Sn_IR, Sn_IMR] -----------------------

  /** SIR bit n: socket n has an interrupt that Sn_IMR lets through. GUESS on the role of
   *  Sn_IMR: it masks SIR and INTn, not Sn_IR itself - sendto() waits for SENDOK in Sn_IR
   *  while the driver's Sn_IMR holds RECV only [sock, drv], so SENDOK must still be set. */
  sir() {
    let v = 0;
    for (let n = 0; n < SOCKETS; n++) if (this.sock[n].r[Sn_IR] & this.sock[n].r[Sn_IMR]) v |= 1 << n;
    return v;
  }

  /** INTn is low while any unmasked interrupt is pending. Not modelled: INTLEVEL, the
   *  minimum time INTn stays high between two interrupts. */
  updateInt() {
    const c = this.common;
    const pending = (this.sir() & c[SIMR]) !== 0 || (c[IR] & c[IMR] & 0xf0) !== 0;
    const level = !pending;
    if (level !== this.intLevel) {
      this.intLevel = level;
      if (!level) this.stats.interrupts++;
      this.onInt(level);
    }
  }
}
