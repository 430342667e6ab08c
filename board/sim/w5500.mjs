// A behavioural model of the WIZnet W5500, as far as MicroPython's WIZNET5K driver uses
// it: in lwIP mode socket 0 in MACRAW carries every Ethernet frame and lwIP does the
// rest; built without lwIP, the chip's own TCP and UDP sockets (socket mode, below).
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
//  [tcp]  socket mode (TCP on sockets 0-7), as the ioLibrary's socket(), connect(),
//         send(), recv(), disconnect(), close() and listen() (socket.c) drive it for
//         MicroPython's WIZNET5K without lwIP (network_wiznet5k.c WIZNET5K_PROVIDED_STACK):
//         datasheet sect. 4 (Sn_MR, Sn_CR, Sn_IR, Sn_SR, Sn_DIPR/Sn_DPORT, Sn_TX_FSR,
//         Sn_RX_RSR) and sect. 3.1 (RTR, RCR: the retransmission timeout).
//  [udp]  socket mode, UDP (udpFrames): the chip's own ARP and UDP/IPv4 on the wire, as
//         the ioLibrary's sendto()/recvfrom() (socket.c) and its DHCP client
//         (Internet/DHCP/dhcp.c) use them: datasheet sect. 4 (Sn_MR UDP, Sn_DIPR,
//         Sn_DPORT, Sn_PORT; the 8-byte UDP PACKET-INFO in the RX buffer), 3.1 (ARPTO).
// Behaviour no source states is marked GUESS.
//
// Socket mode needs `hostNet` (node's `net` module, or a stand-in with the same
// connect()/createServer()): each chip TCP socket is carried by a host TCP socket (the
// emulator runs inside the test's network namespace, so a peer there is reached as it
// would be through the cable). The bytes on the wire are the host's, not the chip's:
// GUESS for every segment-level detail (windows, retransmissions, the source port,
// what a CLOSE puts on the wire). Without `hostNet` a TCP socket opens and carries
// nothing, as before.

// Common register block offsets [h]
export const MR = 0x00, GAR = 0x01, SUBR = 0x05, SHAR = 0x09, SIPR = 0x0f, INTLEVEL = 0x13,
  IR = 0x15, IMR = 0x16, SIR = 0x17, SIMR = 0x18, RTR = 0x19, RCR = 0x1b, PTIMER = 0x1c,
  PHYCFGR = 0x2e, VERSIONR = 0x39;
// Socket register block offsets [h]
export const Sn_MR = 0x00, Sn_CR = 0x01, Sn_IR = 0x02, Sn_SR = 0x03, Sn_PORT = 0x04,
  Sn_DHAR = 0x06, Sn_DIPR = 0x0c, Sn_DPORT = 0x10, Sn_MSSR = 0x12, Sn_TTL = 0x16, Sn_RXBUF_SIZE = 0x1e, Sn_TXBUF_SIZE = 0x1f,
  Sn_TX_FSR = 0x20, Sn_TX_RD = 0x22, Sn_TX_WR = 0x24, Sn_RX_RSR = 0x26, Sn_RX_RD = 0x28,
  Sn_RX_WR = 0x2a, Sn_IMR = 0x2c, Sn_FRAG = 0x2d;
// Sn_MR bits and protocols, Sn_CR commands, Sn_IR bits, Sn_SR states [h]
export const MR_RST = 0x80, Sn_MR_MFEN = 0x80, Sn_MR_BCASTB = 0x40, Sn_MR_MMB = 0x20,
  Sn_MR_MIP6B = 0x10, Sn_MR_CLOSE = 0x00, Sn_MR_TCP = 0x01, Sn_MR_UDP = 0x02,
  Sn_MR_MACRAW = 0x04;
export const CR_OPEN = 0x01, CR_LISTEN = 0x02, CR_CONNECT = 0x04, CR_DISCON = 0x08,
  CR_CLOSE = 0x10, CR_SEND = 0x20, CR_SEND_MAC = 0x21, CR_SEND_KEEP = 0x22, CR_RECV = 0x40;
export const IR_SENDOK = 0x10, IR_TIMEOUT = 0x08, IR_RECV = 0x04, IR_DISCON = 0x02, IR_CON = 0x01;
export const SOCK_CLOSED = 0x00, SOCK_INIT = 0x13, SOCK_LISTEN = 0x14, SOCK_SYNSENT = 0x15,
  SOCK_SYNRECV = 0x16, SOCK_ESTABLISHED = 0x17, SOCK_FIN_WAIT = 0x18, SOCK_CLOSING = 0x1a,
  SOCK_TIME_WAIT = 0x1b, SOCK_CLOSE_WAIT = 0x1c, SOCK_LAST_ACK = 0x1d, SOCK_UDP = 0x22,
  SOCK_MACRAW = 0x42;
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
  constructor({ onFrame = () => {}, onInt = () => {}, cable = true, log = null, hostNet = null,
    bindLocal = true, udpFrames = false } = {}) {
    this.udpFrames = udpFrames; // UDP sockets send and receive frames on the wire [udp]
    this.arp = new Map();       // [udp] IPv4 address -> MAC learnt from ARP replies
    this.hostNet = hostNet;     // socket mode: see the header
    this.bindLocal = bindLocal; // a host socket's local address is SIPR (the chip's own)
    this.onFrame = onFrame;
    this.onInt = onInt;
    this.log = log;
    this.cable = !!cable;    // outside the chip: survives resets
    this.intLevel = true;
    this.stats = { spiFrames: 0, txFrames: 0, rxFrames: 0, rxOverflow: 0, rxFiltered: 0,
      txNoLink: 0, rxNoLink: 0, resets: 0, linkChanges: 0, unsupported: 0, interrupts: 0,
      tcpConnects: 0, tcpAccepts: 0, tcpTxBytes: 0, tcpRxBytes: 0 };
    this.sock = [];
    this.hardReset();
  }

  // ---- reset -------------------------------------------------------------------------

  /** RSTn low, or MR.RST [ds 3.1]: every register to its reset value. */
  hardReset() {
    this.stats.resets++;
    for (const old of this.sock) this.dropHost(old);
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
        txNext: 0,           // socket mode: Sn_TX_RD of the next SEND (bytes in flight before it)
        conn: null, server: null, timer: null, pending: [],   // socket mode: the host side
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
    if (this.log && cmd !== CR_SEND && cmd !== CR_RECV) this.log(`S${n} CR=0x${cmd.toString(16)} MR=0x${s.r[Sn_MR].toString(16)}`);
    switch (cmd) {
      case CR_OPEN:
        // OPEN initialises the pointers and sets Sn_SR by protocol [ds 4: Sn_CR OPEN];
        // MACRAW exists on socket 0 only [ds 4: Sn_MR].
        // GUESS: OPEN on an open socket drops what it carried (socket() closes first [sock]).
        this.dropHost(s);
        s.txRd = s.txWr = s.txNext = s.rxRd = s.rxWr = 0;
        s.r[Sn_RX_RD] = s.r[Sn_RX_RD + 1] = 0;
        if (proto === Sn_MR_MACRAW && n === 0) s.r[Sn_SR] = SOCK_MACRAW;
        else if (proto === Sn_MR_UDP) {
          // UDP: SOCK_UDP [ds 4: Sn_SR]; with udpFrames its datagrams are frames on the wire.
          s.r[Sn_SR] = SOCK_UDP;
          if (!this.udpFrames) this.unsupported(n, 'UDP socket (opened, carries nothing)');
        }
        else if (proto === Sn_MR_TCP) {
          // TCP: SOCK_INIT, then LISTEN or CONNECT [ds 4: Sn_CR OPEN, Sn_SR].
          s.r[Sn_SR] = SOCK_INIT;
          if (!this.hostNet) this.unsupported(n, 'TCP socket (opened, carries nothing: no hostNet)');
        }
        else this.unsupported(n, `OPEN in mode 0x${proto.toString(16)}`);
        break;
      case CR_CLOSE:
        // CLOSE: Sn_SR is SOCK_CLOSED at once, whatever the state [ds 4: Sn_CR CLOSE, Sn_SR
        // SOCK_CLOSED]. GUESS: what the peer sees - the host socket is destroyed, which
        // sends a FIN (a RST if received bytes are unread); the chip itself may send nothing.
        this.dropHost(s);
        s.r[Sn_SR] = SOCK_CLOSED;
        break;
      case CR_LISTEN: this.tcpListen(n); break;
      case CR_CONNECT: this.tcpConnect(n); break;
      case CR_DISCON: this.tcpDiscon(n); break;
      case CR_SEND:
        if (proto === Sn_MR_TCP) this.tcpSend(n);
        else if (proto === Sn_MR_UDP && this.udpFrames) this.udpSend(n);
        else this.rawSend(n);
        break;
      case CR_RECV:
        // RECV tells the chip the host has read up to Sn_RX_RD [ds 4: Sn_CR RECV].
        s.rxRd = (s.r[Sn_RX_RD] << 8) | s.r[Sn_RX_RD + 1];
        if (proto === Sn_MR_TCP) this.tcpFill(n);   // room again: the window opens
        // GUESS: data still waiting after RECV raises RECV again, so no frame is stranded
        // between the driver's last Sn_RX_RSR read and its interrupt clear.
        if (this.rxUsed(n)) s.r[Sn_IR] |= IR_RECV;
        break;
      default:
        this.unsupported(n, `command 0x${cmd.toString(16)}`);
    }
    this.updateInt();
  }

  /** SEND in MACRAW (and in the modes not modelled, where the bytes are dropped). */
  rawSend(n) {
    const s = this.sock[n];
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
  if (s.r[Sn_SR] !== SOCK_MACRAW) { this.unsupported(n, 'SEND outside MACRAW (dropped)'); return; }
  if (!this.cable) { this.stats.txNoLink++; return; }
  this.stats.txFrames++;
  this.onFrame(frame);
  }

  // ---- socket mode: TCP on a host socket [tcp] -------------------------------------

  ip(base) { return Array.from(base.subarray(0, 4)).join('.'); }

  /** The retransmission timeout after which a connect or a send gives up, in ms:
   *  TCPTO = (RTR x 0.1 ms) x ((2^(M+1) - 1) + (RCR - M) x 2^M), M the least number with
   *  RTR x 2^(M+1) > 65535 [ds 3.1: RCR] (reset values: 31.8 s). */
  tcpTimeoutMs() {
    const c = this.common, rtr = (c[RTR] << 8) | c[RTR + 1], rcr = c[RCR];
    let m = 0;
    while (m < 16 && rtr * 2 ** (m + 1) <= 65535) m++;
    if (m > rcr) m = rcr;   // GUESS: fewer retries than doublings stop at RCR
    return (rtr / 10) * ((2 ** (m + 1) - 1) + (rcr - m) * 2 ** m);
  }

  /** ARP's timeout, for a destination nobody answers: ARPTO = (RTR x 0.1 ms) x (RCR + 1)
   *  [ds 3.1: RCR] (reset values: 1.8 s). */
  arpTimeoutMs() {
    const c = this.common, rtr = (c[RTR] << 8) | c[RTR + 1];
    return (rtr / 10) * (c[RCR] + 1);
  }

  /** Forget the host side of a chip socket (a later event from it changes nothing). */
  dropHost(s) {
    if (s.timer) { clearTimeout(s.timer); s.timer = null; }
    if (s.conn) { const c = s.conn; s.conn = null; c.removeAllListeners(); c.on('error', () => {}); c.destroy(); }
    if (s.server) { const v = s.server; s.server = null; v.removeAllListeners(); v.on('error', () => {}); v.close(); }
    s.pending = [];
  }

  /** The socket is gone: Sn_SR = SOCK_CLOSED and the interrupt bits `ir` [ds 4: Sn_SR]. */
  tcpClosed(n, ir, why) {
    const s = this.sock[n];
    this.dropHost(s);
    s.r[Sn_SR] = SOCK_CLOSED;
    s.r[Sn_IR] |= ir;
    if (this.log) this.log(`S${n} closed: ${why}`);
    this.updateInt();
  }

  /** A host socket now carries chip socket n: its events move Sn_SR and Sn_IR. */
  tcpAttach(n, conn) {
    const s = this.sock[n];
    s.conn = conn;
    conn.setNoDelay(true);   // GUESS: the chip sends a SEND's bytes at once (no Nagle)
    conn.on('data', (d) => {
      if (s.conn !== conn) return;
      this.stats.tcpRxBytes += d.length;
      s.pending.push(d);
      this.tcpFill(n);
    });
    conn.on('end', () => {
      if (s.conn !== conn) return;
      // The peer's FIN: DISCON is set [ds 4: Sn_IR DISCON "FIN or FIN/ACK received"];
      // ESTABLISHED becomes CLOSE_WAIT [ds 4: Sn_SR]. After our own DISCON (FIN_WAIT)
      // the socket closes once both FINs are acknowledged (the host's 'close').
      s.r[Sn_IR] |= IR_DISCON;
      if (s.r[Sn_SR] === SOCK_ESTABLISHED) s.r[Sn_SR] = SOCK_CLOSE_WAIT;
      this.updateInt();
    });
    conn.on('error', (e) => {
      if (s.conn !== conn) return;
      // A RST from the peer (ECONNRESET, EPIPE on a send after it): SOCK_CLOSED. GUESS:
      // DISCON is set for it as for a FIN (the datasheet names only FIN for DISCON).
      // A retransmission that ran out (ETIMEDOUT): TIMEOUT [ds 4: Sn_IR TIMEOUT].
      const timeout = e.code === 'ETIMEDOUT' || e.code === 'EHOSTUNREACH';
      this.tcpClosed(n, timeout ? IR_TIMEOUT : IR_DISCON, e.code || String(e));
    });
    conn.on('close', () => {
      if (s.conn !== conn) return;
      // Both sides' FINs done (after DISCON, or the peer's FIN then our DISCON): closed.
      // GUESS: no TIME_WAIT is shown (the host keeps it).
      this.tcpClosed(n, 0, 'closed');
    });
  }

  /** Move bytes the host received into the RX buffer while it has room; pause the host
   *  socket while it has none (the chip's window is its free RX buffer [ds 4: Sn_RX_RSR]). */
  tcpFill(n) {
    const s = this.sock[n], size = this.bufSize(n, Sn_RXBUF_SIZE);
    let moved = 0;
    while (s.pending.length && size - this.rxUsed(n) > 0) {
      const d = s.pending[0], k = Math.min(d.length, size - this.rxUsed(n));
      for (let i = 0; i < k; i++) s.rx[(s.rxWr + i) & (size - 1)] = d[i];
      s.rxWr = (s.rxWr + k) & 0xffff;
      moved += k;
      if (k === d.length) s.pending.shift(); else s.pending[0] = d.subarray(k);
    }
    if (moved) s.r[Sn_IR] |= IR_RECV;   // RECV: data received [ds 4: Sn_IR]
    if (s.conn) { if (s.pending.length) s.conn.pause(); else s.conn.resume(); }
    this.updateInt();
  }

  /** CONNECT in SOCK_INIT: a SYN to Sn_DIPR:Sn_DPORT; SYNSENT, then ESTABLISHED and CON,
   *  or SOCK_CLOSED with TIMEOUT (ARPTO/TCPTO) [ds 4: Sn_CR CONNECT, Sn_IR CON/TIMEOUT]. */
  tcpConnect(n) {
    const s = this.sock[n];
    if ((s.r[Sn_MR] & 0x0f) !== Sn_MR_TCP || s.r[Sn_SR] !== SOCK_INIT) {
      this.unsupported(n, 'CONNECT outside SOCK_INIT'); return;   // GUESS: ignored
    }
    if (!this.hostNet) { this.unsupported(n, 'CONNECT (no hostNet)'); return; }
    const host = this.ip(s.r.subarray(Sn_DIPR)), port = (s.r[Sn_DPORT] << 8) | s.r[Sn_DPORT + 1];
    s.r[Sn_SR] = SOCK_SYNSENT;
    this.stats.tcpConnects++;
    if (this.log) this.log(`S${n} CONNECT ${host}:${port}`);
    if (!this.cable) {
      // No link: ARP goes unanswered [ds 3.1: ARPTO]. GUESS: the cable plugged in during
      // the wait does not save this attempt.
      s.timer = setTimeout(() => this.tcpClosed(n, IR_TIMEOUT, 'ARP timeout (no link)'), this.arpTimeoutMs());
      return;
    }
    const opts = { host, port, allowHalfOpen: true };
    if (this.bindLocal) opts.localAddress = this.ip(this.common.subarray(SIPR));
    const conn = this.hostNet.connect(opts);
    s.conn = conn;
    s.timer = setTimeout(() => this.tcpClosed(n, IR_TIMEOUT, 'TCP timeout in SYNSENT'), this.tcpTimeoutMs());
    const early = (e) => {
      if (s.conn !== conn) return;
      // A RST answers the SYN (ECONNREFUSED): SOCK_CLOSED (ioLibrary connect() returns
      // SOCKERR_SOCKCLOSED on it [sock]); GUESS: DISCON set, TIMEOUT not. Nobody there
      // (EHOSTUNREACH: the host's ARP failed): TIMEOUT, as ARPTO [ds 3.1]. The host's
      // SYN timeout (ETIMEDOUT) is longer than the chip's TCPTO, whose timer ends it first.
      const timeout = e.code === 'EHOSTUNREACH' || e.code === 'ETIMEDOUT' || e.code === 'ENETUNREACH';
      this.tcpClosed(n, timeout ? IR_TIMEOUT : IR_DISCON, `connect: ${e.code || e}`);
    };
    conn.once('error', early);
    conn.once('connect', () => {
      if (s.conn !== conn) return;
      conn.off('error', early);
      clearTimeout(s.timer); s.timer = null;
      s.r[Sn_SR] = SOCK_ESTABLISHED;
      s.r[Sn_IR] |= IR_CON;   // CON: the connection is established [ds 4: Sn_IR]
      this.tcpAttach(n, conn);
      this.updateInt();
    });
  }

  /** LISTEN in SOCK_INIT: SOCK_LISTEN; the first SYN to Sn_PORT makes it ESTABLISHED with
   *  CON, Sn_DIPR/Sn_DPORT the client's [ds 4: Sn_CR LISTEN, Sn_SR]. A chip socket serves
   *  one connection: further SYNs find no listening socket (reset; GUESS: host-level). */
  tcpListen(n) {
    const s = this.sock[n];
    if ((s.r[Sn_MR] & 0x0f) !== Sn_MR_TCP || s.r[Sn_SR] !== SOCK_INIT) {
      // ioLibrary listen() closes the socket when Sn_SR is not LISTEN afterwards [sock].
      this.unsupported(n, 'LISTEN outside SOCK_INIT'); return;
    }
    if (!this.hostNet) { this.unsupported(n, 'LISTEN (no hostNet)'); return; }
    s.r[Sn_SR] = SOCK_LISTEN;
    const port = (s.r[Sn_PORT] << 8) | s.r[Sn_PORT + 1];
    const server = this.hostNet.createServer({ allowHalfOpen: true });
    s.server = server;
    server.on('connection', (conn) => {
      if (s.server !== server || s.r[Sn_SR] !== SOCK_LISTEN) { conn.on('error', () => {}); conn.resetAndDestroy ? conn.resetAndDestroy() : conn.destroy(); return; }
      s.server = null;
      server.removeAllListeners('connection');
      server.on('connection', (c) => { c.on('error', () => {}); c.resetAndDestroy ? c.resetAndDestroy() : c.destroy(); });
      server.close();
      this.stats.tcpAccepts++;
      const parts = (conn.remoteAddress || '0.0.0.0').replace(/^::ffff:/, '').split('.').map(Number);
      for (let i = 0; i < 4; i++) s.r[Sn_DIPR + i] = parts[i] & 0xff;
      s.r[Sn_DPORT] = conn.remotePort >> 8; s.r[Sn_DPORT + 1] = conn.remotePort & 0xff;
      s.r[Sn_SR] = SOCK_ESTABLISHED;
      s.r[Sn_IR] |= IR_CON;
      this.tcpAttach(n, conn);
      this.updateInt();
    });
    server.on('error', (e) => { if (s.server === server) this.tcpClosed(n, 0, `listen: ${e.code || e}`); });
    const host = this.bindLocal ? this.ip(this.common.subarray(SIPR)) : '0.0.0.0';
    server.listen({ host, port });
  }

  /** SEND: the bytes from Sn_TX_RD to Sn_TX_WR go to the peer; SENDOK once they left,
   *  and Sn_TX_FSR grows as they are taken [ds 4: Sn_CR SEND, Sn_IR SENDOK, Sn_TX_FSR].
   *  GUESS: "taken" is the host socket's write callback, not the peer's ACK. */
  tcpSend(n) {
    const s = this.sock[n], size = this.bufSize(n, Sn_TXBUF_SIZE);
    const len = (s.txWr - s.txNext) & 0xffff;
    const st = s.r[Sn_SR];
    if (!s.conn || (st !== SOCK_ESTABLISHED && st !== SOCK_CLOSE_WAIT)) {
      this.unsupported(n, `SEND in state 0x${st.toString(16)} (ignored)`); return;   // GUESS
    }
    const data = Buffer.alloc(len);
    for (let i = 0; i < len; i++) data[i] = s.tx[(s.txNext + i) & (size - 1)];
    s.txNext = s.txWr;
    const conn = s.conn;
    this.stats.tcpTxBytes += len;
    conn.write(data, (err) => {
      if (s.conn !== conn || err) return;   // an error arrives through 'error'
      s.txRd = (s.txRd + len) & 0xffff;
      s.r[Sn_IR] |= IR_SENDOK;
      this.updateInt();
      if (s.r[Sn_SR] === SOCK_CLOSE_WAIT) {
        // A peer that closed its socket answers these bytes with a RST, which closes the
        // chip's socket (ioLibrary send()/recv() then see it in Sn_SR [sock]). The host
        // stopped reading at the peer's FIN, so it reports that RST only to a write: an
        // empty one, shortly after (GUESS on the timing: 20 ms, loopback-fast).
        setTimeout(() => { if (s.conn === conn && !conn.destroyed) conn.write(Buffer.alloc(0)); }, 20);
      }
    });
  }

  /** DISCON: our FIN; ESTABLISHED -> FIN_WAIT, CLOSE_WAIT -> LAST_ACK, then SOCK_CLOSED
   *  [ds 4: Sn_CR DISCON, Sn_SR]. */
  tcpDiscon(n) {
    const s = this.sock[n], st = s.r[Sn_SR];
    if (!s.conn || (st !== SOCK_ESTABLISHED && st !== SOCK_CLOSE_WAIT)) {
      // GUESS: DISCON anywhere else closes the socket at once.
      this.tcpClosed(n, 0, 'DISCON outside a connection'); return;
    }
    s.r[Sn_SR] = st === SOCK_ESTABLISHED ? SOCK_FIN_WAIT : SOCK_LAST_ACK;
    s.conn.end();
  }


  // ---- socket mode: UDP as frames on the wire [udp] --------------------------------

  macBytes() { return this.common.subarray(SHAR, SHAR + 6); }

  /** The MAC a datagram to `ip` goes to: broadcast for 255.255.255.255 and the subnet's
   *  broadcast address; else the destination's (on the subnet) or the gateway's, from ARP
   *  [ds 3.1: GAR, SUBR; 4: Sn_CR SEND "ARP before the first send"]. */
  nextHop(ip) {
    const c = this.common, sub = c.subarray(SUBR, SUBR + 4), me = c.subarray(SIPR, SIPR + 4);
    if (ip.every((b) => b === 255)) return { mac: new Uint8Array(6).fill(0xff) };
    let onNet = true, bcast = true;
    for (let i = 0; i < 4; i++) {
      if ((ip[i] & sub[i]) !== (me[i] & sub[i])) onNet = false;
      if ((ip[i] | sub[i]) !== 0xff) bcast = false;
    }
    if (onNet && bcast) return { mac: new Uint8Array(6).fill(0xff) };
    const hop = onNet ? ip : c.subarray(GAR, GAR + 4);
    return { ip: Uint8Array.from(hop), mac: this.arp.get(this.ip(hop)) };
  }

  frameOut(f) {
    if (!this.cable) { this.stats.txNoLink++; return; }
    this.stats.txFrames++;
    this.onFrame(f);
  }

  /** An ARP request for `ip` from SHAR/SIPR [RFC 826; the chip resolves by itself]. */
  arpRequest(ip) {
    const f = new Uint8Array(42);
    f.fill(0xff, 0, 6); f.set(this.macBytes(), 6); f[12] = 0x08; f[13] = 0x06;
    f.set([0, 1, 8, 0, 6, 4, 0, 1], 14); f.set(this.macBytes(), 22);
    f.set(this.common.subarray(SIPR, SIPR + 4), 28); f.set(ip, 38);
    this.frameOut(f);
  }

  /** SEND on a UDP socket: one datagram, Sn_PORT -> Sn_DIPR:Sn_DPORT, then SENDOK; no ARP
   *  answer within ARPTO: TIMEOUT instead [ds 4: Sn_CR SEND, Sn_IR; 3.1: RCR]. */
  udpSend(n) {
    const s = this.sock[n], size = this.bufSize(n, Sn_TXBUF_SIZE);
    const len = (s.txWr - s.txRd) & 0xffff, data = new Uint8Array(len);
    for (let i = 0; i < len; i++) data[i] = s.tx[(s.txRd + i) & (size - 1)];
    s.txRd = s.txWr;
    const dip = Uint8Array.from(s.r.subarray(Sn_DIPR, Sn_DIPR + 4));
    const dport = (s.r[Sn_DPORT] << 8) | s.r[Sn_DPORT + 1], sport = (s.r[Sn_PORT] << 8) | s.r[Sn_PORT + 1];
    const go = (mac) => {
      this.frameOut(this.udpFrame(mac, dip, sport, dport, data, s.r[Sn_TTL]));
      s.r[Sn_IR] |= IR_SENDOK;
      this.updateInt();
    };
    const hop = this.nextHop(dip);
    if (hop.mac) { go(hop.mac); return; }
    // Resolve first; RCR+1 requests RTR apart, then TIMEOUT [ds 3.1: RTR, RCR, ARPTO].
    const key = this.ip(hop.ip), rtr = ((this.common[RTR] << 8) | this.common[RTR + 1]) / 10;
    let tries = 0;
    const attempt = () => {
      if (s.r[Sn_SR] !== SOCK_UDP) return;
      const mac = this.arp.get(key);
      if (mac) { go(mac); return; }
      if (tries++ > this.common[RCR]) { s.r[Sn_IR] |= IR_TIMEOUT; this.updateInt(); return; }
      this.arpRequest(hop.ip);
      s.timer = setTimeout(attempt, rtr);
    };
    attempt();
  }

  udpFrame(mac, dip, sport, dport, data, ttl = 0x80) {
    const f = new Uint8Array(14 + 20 + 8 + data.length);
    f.set(mac, 0); f.set(this.macBytes(), 6); f[12] = 0x08; f[13] = 0x00;
    const ip = 14, total = 20 + 8 + data.length;
    // IPv4 header: TTL from Sn_TTL, DF clear, ID 0 (GUESS: the chip's ID sequence)
    f.set([0x45, 0, total >> 8, total & 0xff, 0, 0, 0, 0, 0x80, 17, 0, 0], ip);
    f[ip + 8] = ttl;
    f.set(this.common.subarray(SIPR, SIPR + 4), ip + 12); f.set(dip, ip + 16);
    const hs = sum16(f, ip, 20); f[ip + 10] = hs >> 8; f[ip + 11] = hs & 0xff;
    const u = ip + 20, ulen = 8 + data.length;
    f.set([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, ulen >> 8, ulen & 0xff, 0, 0], u);
    f.set(data, u + 8);
    // UDP checksum over the pseudo-header (the chip computes it [ds 1: hardwired UDP])
    const pseudo = new Uint8Array(12 + ulen + (ulen & 1));
    pseudo.set(f.subarray(ip + 12, ip + 20), 0); pseudo[9] = 17; pseudo[10] = ulen >> 8; pseudo[11] = ulen & 0xff;
    pseudo.set(f.subarray(u, u + ulen), 12);
    let cs = sum16(pseudo, 0, pseudo.length); if (cs === 0) cs = 0xffff;
    f[u + 6] = cs >> 8; f[u + 7] = cs & 0xff;
    return f;
  }

  /** A frame from the wire while no socket is in MACRAW: ARP (answered for SIPR, replies
   *  learnt) and UDP to an open UDP socket's Sn_PORT, stored after the 8-byte PACKET-INFO
   *  (source IP, source port, length) that recvfrom() reads [ds 4: UDP; sock recvfrom()].
   *  GUESS: frames for other MACs, IPv4 fragments and options are dropped. */
  udpReceive(frame) {
    if (!this.cable) { this.stats.rxNoLink++; return false; }
    if (frame.length < 42) return false;
    const me = this.macBytes();
    const bcast = frame.subarray(0, 6).every((b) => b === 0xff);
    if (!bcast && !frame.subarray(0, 6).every((b, i) => b === me[i])) return false;
    const type = (frame[12] << 8) | frame[13], sipr = this.common.subarray(SIPR, SIPR + 4);
    if (type === 0x0806) {
      const op = (frame[20] << 8) | frame[21], spa = frame.subarray(28, 32), tpa = frame.subarray(38, 42);
      if (op === 2) this.arp.set(this.ip(spa), Uint8Array.from(frame.subarray(22, 28)));
      if (op === 1 && !sipr.every((b) => b === 0) && tpa.every((b, i) => b === sipr[i])) {
        const r = new Uint8Array(42);
        r.set(frame.subarray(6, 12), 0); r.set(me, 6); r[12] = 0x08; r[13] = 0x06;
        r.set([0, 1, 8, 0, 6, 4, 0, 2], 14); r.set(me, 22); r.set(sipr, 28);
        r.set(frame.subarray(22, 28), 32); r.set(spa, 38);
        this.frameOut(r);
      }
      return true;
    }
    if (type !== 0x0800 || frame[14] !== 0x45 || frame[23] !== 17) return false;
    if (((frame[20] & 0x3f) | frame[21]) !== 0) return false;   // fragments
    const dst = frame.subarray(30, 34);
    const toMe = dst.every((b, i) => b === sipr[i]) || dst.every((b) => b === 255) ||
      dst.every((b, i) => (b | this.common[SUBR + i]) === 0xff);
    if (!toMe) return false;
    const sport = (frame[34] << 8) | frame[35], dport = (frame[36] << 8) | frame[37];
    const plen = ((frame[38] << 8) | frame[39]) - 8;
    if (plen < 0 || 42 + plen > frame.length) return false;
    for (let n = 0; n < SOCKETS; n++) {
      const s = this.sock[n];
      if (s.r[Sn_SR] !== SOCK_UDP || ((s.r[Sn_PORT] << 8) | s.r[Sn_PORT + 1]) !== dport) continue;
      const size = this.bufSize(n, Sn_RXBUF_SIZE), total = 8 + plen;
      if (size - this.rxUsed(n) < total) { this.stats.rxOverflow++; return false; }
      const head = [...frame.subarray(26, 30), sport >> 8, sport & 0xff, plen >> 8, plen & 0xff];
      for (let i = 0; i < 8; i++) s.rx[(s.rxWr + i) & (size - 1)] = head[i];
      for (let i = 0; i < plen; i++) s.rx[(s.rxWr + 8 + i) & (size - 1)] = frame[42 + i];
      s.rxWr = (s.rxWr + total) & 0xffff;
      s.r[Sn_IR] |= IR_RECV;
      this.stats.rxFrames++;
      this.updateInt();
      return true;
    }
    return false;
  }


  unsupported(n, what) {
    this.stats.unsupported++;
    if (this.log) this.log(`S${n}: ${what} is not modelled`);
  }

  // ---- the wire side -------------------------------------------------------------

  /** A frame from the wire (destination MAC first, no FCS). Returns true if stored. */
  receive(frame) {
    const n = 0, s = this.sock[n], mr = s.r[Sn_MR];
    if (s.r[Sn_SR] !== SOCK_MACRAW) return this.udpFrames ? this.udpReceive(frame) : false;
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

/** The Internet checksum (RFC 1071) of `len` bytes of `b` from `off`. */
function sum16(b, off, len) {
  let sum = 0;
  for (let i = 0; i < len; i += 2) sum += (b[off + i] << 8) | (i + 1 < len ? b[off + i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return (~sum) & 0xffff;
}
