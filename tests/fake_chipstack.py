# The socket module of a chip-stack firmware (WIZNET5K built without lwIP): TCP runs on
# the WIZnet chip, MicroPython's socket is extmod/modsocket.c over the driver's
# mod_network_nic_protocol (extmod/network_wiznet5k.c, WIZNET5K_PROVIDED_STACK), which
# calls the ioLibrary (Ethernet/socket.c: connect, send, recv). Sources: mainline
# micropython/micropython; the ioLibrary mainline vendors (andrewleech/wiznet_ioLibrary_Driver).
# No such firmware runs here, so each ChipStackSocket keeps the chip's view of one
# hardware socket - its receive buffer and its state (ESTABLISHED, CLOSE_WAIT, CLOSED) -
# on top of a real loopback socket the test's peer talks to. What no source backs is
# marked GUESS.
import io
import select
import socket
import time

_MP_STREAM_POLL = 3
_POLL_RD = 1  # MP_STREAM_POLL_RD
_POLL_WR = 4  # MP_STREAM_POLL_WR
_POLL_NVAL = 0x20  # MP_STREAM_POLL_NVAL
SOCKETS = 8  # W5500: _WIZCHIP_SOCK_NUM_
TX_MAX = RX_MAX = 2048  # wiznet5k_init(): sn_size 2 KB per socket
ESTABLISHED, CLOSE_WAIT, CLOSED = "established", "close_wait", "closed"
# -SOCKERR_* as the driver passes them on as errno (wiznet5k_socket_*: *_errno = -ret)
# (13 comes from connect(): Sn_IR_TIMEOUT before SOCK_CLOSED. On an open connection the
# chip's retransmission timeout moves Sn_SR to SOCK_CLOSED - W5500 datasheet, Sn_IR - and
# send() / recv() test Sn_SR first: a peer gone silent reads 7 there, as a reset does.)
SOCKCLOSED, SOCKMODE, SOCKSTATUS, TIMEOUT, DATALEN = 4, 5, 7, 13, 14
_EAGAIN, _EINVAL, _EMFILE, _ENOTCONN, _ETIMEDOUT = 11, 22, 24, 107, 110
_BLOCKS_MS = 2000  # a call that would block forever on the chip fails the test after this


class WouldBlockForever(AssertionError):
    """The library made a call that blocks for ever on chip-stack firmware."""


class ChipStackSocket(io.IOBase):
    made = []  # every socket of the current test
    in_use = 0  # hardware sockets taken (all ChipStackSockets share one chip)

    def __init__(self, af=socket.AF_INET, kind=socket.SOCK_STREAM, interrupt_connect=False, timeout_race=False):
        self.s = socket.socket(af, kind)
        self.state = None  # modsocket.c socket_make_new: no NIC and no chip socket yet
        self.rx = bytearray()  # the chip's receive buffer (Sn_RX_RSR = its length)
        self.sending = False  # ioLibrary send(): sock_is_sending
        self.interrupt_connect = interrupt_connect
        self.timeout_race = timeout_race
        self.taken = False  # the driver's DHCP or DNS reopened this chip socket (take())
        self.closed_ = False
        self.hw = False
        self.eof = False  # recv() gave b'' and closed the chip's socket
        ChipStackSocket.made.append(self)

    # -- before and after connect --------------------------------------------------------

    def settimeout(self, t):
        # modsocket.c socket_settimeout: no NIC bound yet (before connect) -> ENOTCONN
        # (MICROPY_PY_SOCKET_EXTENDED_STATE is on only for NINA-W10 builds); after
        # connect the driver's wiznet5k_socket_settimeout() is a TODO returning EINVAL.
        raise OSError(_ENOTCONN if not self.hw else _EINVAL)

    def setblocking(self, flag):
        self.settimeout(None if flag else 0)  # modsocket.c socket_setblocking

    def connect(self, addr):
        # modsocket.c socket_select_nic -> wiznet5k_socket_socket: the first free hardware
        # socket, else EMFILE.
        if ChipStackSocket.in_use >= SOCKETS:
            raise OSError(_EMFILE)
        ChipStackSocket.in_use += 1
        self.hw = True
        if self.interrupt_connect:
            raise KeyboardInterrupt  # Ctrl-C while the chip is still trying
        try:
            self.s.connect(addr)
        except OSError as e:
            # ioLibrary connect(): SOCK_CLOSED (a RST answered the SYN) -> SOCKERR_SOCKCLOSED;
            # Sn_IR_TIMEOUT -> SOCKERR_TIMEOUT; the driver then closes the chip socket.
            # Its wait loop reads Sn_IR, then Sn_SR: a timeout (which sets both at once)
            # between the two reads is SOCKERR_SOCKCLOSED too (timeout_race; seen on the
            # board's chip-stack firmware, board/tests/test_10_chipstack.py).
            self._free()
            timed_out = e.args[0] == _ETIMEDOUT and not self.timeout_race
            raise OSError(TIMEOUT if timed_out else SOCKCLOSED)
        self.state = ESTABLISHED
        self.s.setblocking(False)  # the fake's own pumping; the chip's sockets block

    def take(self):
        # The driver's DHCP (ifconfig('dhcp'): DHCP_init(1, ...)) or a name lookup
        # (DNS_init(2, ...)) opens this chip socket in UDP mode (ioLibrary socket() closes
        # it first) without asking the driver's socket_used (network_wiznet5k.c). The
        # ioLibrary's send()/recv() then fail CHECK_SOCKMODE: SOCKERR_SOCKMODE, errno 5,
        # and the driver closes the socket (board: test_10_chipstack.py). The peer sees a
        # close; its data is not read.
        self.taken = True
        self.state = CLOSED
        self.rx = bytearray()
        self.s.close()

    # -- what the chip saw on the wire ---------------------------------------------------

    def _pump(self):
        # Move what the peer sent into the chip's receive buffer; a FIN moves the socket
        # to CLOSE_WAIT, a RST to CLOSED (W5500 datasheet, Sn_SR).
        while self.state == ESTABLISHED and len(self.rx) < RX_MAX:
            try:
                data = self.s.recv(RX_MAX - len(self.rx))
            except OSError as e:
                if e.args[0] == _EAGAIN:
                    return
                self.state = CLOSED
                return
            if not data:
                self.state = CLOSE_WAIT
                return
            self.rx += data

    def ioctl(self, request, arg):  # MicroPython's select.poll asks through here
        if request != _MP_STREAM_POLL:
            # Above all MP_STREAM_GET_FILENO (10), which the unix port's poll asks first:
            # a descriptor would make it poll that fd (0 is stdin) instead of asking us.
            return -1  # MP_STREAM_ERROR
        if self.closed_:
            return _POLL_NVAL  # modsocket.c socket_ioctl: closed socket
        if self.taken:
            return arg & _POLL_WR  # the UDP socket: nothing received, its TX buffer free
        self._pump()
        ready = 0
        # wiznet5k_socket_ioctl: readable iff Sn_RX_RSR != 0, writable iff Sn_TX_FSR != 0.
        # Never hang-up, never error: a FIN or a RST while idle is invisible here.
        if arg & _POLL_RD and self.rx:
            ready |= _POLL_RD
        if arg & _POLL_WR and self.state != CLOSED:
            ready |= _POLL_WR  # GUESS: the TX buffer always has room on loopback
        return ready

    # -- reading -------------------------------------------------------------------------

    def recv(self, n):
        # ioLibrary recv() as lib/wiznet5k vendors it (andrewleech/wiznet_ioLibrary_Driver
        # 0803fc51, blocking mode): data -> up to n of it; CLOSE_WAIT with nothing left and
        # every byte sent acknowledged (Sn_TX_FSR == TxMAX) -> closes the chip socket and
        # returns 0 (dpgeorge's "orderly shutdown" branch: recv() gives b''; the driver's
        # socket_used bit stays until close()); any other state -> closes it,
        # SOCKERR_SOCKSTATUS (7, the driver frees the socket); ESTABLISHED with nothing ->
        # waits for ever. GUESS: loopback acknowledges at once, so TX_FSR is always full.
        # Unreachable through the client: poll() never calls this socket readable then.
        if self.taken:
            self._free()
            raise OSError(SOCKMODE)
        deadline = time.ticks_add(time.ticks_ms(), _BLOCKS_MS)
        while True:
            self._pump()
            if self.rx:
                data = bytes(self.rx[: min(n, RX_MAX)])
                self.rx = self.rx[len(data) :]
                return data
            if self.state == CLOSE_WAIT:
                self.state = CLOSED  # WIZCHIP close(sn): the chip's socket is gone
                self.eof = True
                return b""
            if self.state != ESTABLISHED:
                self._free()
                raise OSError(SOCKSTATUS)
            if time.ticks_diff(deadline, time.ticks_ms()) <= 0:
                raise WouldBlockForever("recv() with nothing to read blocks for ever on the chip stack")
            time.sleep_ms(5)

    def readinto(self, buf):
        # py/stream.c mp_stream_rw on a blocking socket loops until buf is full.
        raise WouldBlockForever("readinto() on a chip-stack socket reads until the buffer is full")

    # -- writing -------------------------------------------------------------------------

    def _send(self, view):
        # ioLibrary send(): len 0 -> SOCKERR_DATALEN (and the driver closes the socket);
        # not ESTABLISHED/CLOSE_WAIT -> SOCKERR_SOCKSTATUS; the previous SEND not yet
        # SENDOK -> SOCK_BUSY (0, also in blocking mode); else at most TxMAX bytes, waiting
        # for room. GUESS: SENDOK is in by the call after a busy one.
        if self.taken:  # CHECK_SOCKMODE comes before CHECK_SOCKDATA
            self._free()
            raise OSError(SOCKMODE)
        if not len(view):
            self._free()
            raise OSError(DATALEN)
        self._pump()
        if self.state == CLOSED:
            self._free()
            raise OSError(SOCKSTATUS)
        if self.sending:
            self.sending = False
            return 0
        chunk = view[:TX_MAX]
        self.s.setblocking(True)
        self.s.settimeout(_BLOCKS_MS / 1000)
        try:
            sent = self.s.send(chunk)  # loopback takes it whole or waits for room
        except OSError as e:
            if e.args[0] in (_ETIMEDOUT, _EAGAIN):
                raise WouldBlockForever("send() waits for the peer's window for ever on the chip stack")
            # the peer's RST after data sent in CLOSE_WAIT: the chip goes to SOCK_CLOSED
            self.state = CLOSED
            self._free()
            raise OSError(SOCKSTATUS)
        finally:
            self.s.setblocking(False)
        self.sending = True
        return sent

    def write(self, data, off=0, count=None):
        # py/stream.c mp_stream_rw: calls the driver's send until all is written, an error
        # comes, or it returns 0 (then write() returns the count so far).
        view = memoryview(data)[off : len(data) if count is None else off + count]
        done = 0
        while done < len(view):
            k = self._send(view[done:])
            if not k:
                break
            done += k
        return done

    def send(self, data):  # modsocket.c socket_send: one driver send
        return self._send(memoryview(data))

    # -- closing -------------------------------------------------------------------------

    def _free(self):
        if self.hw:
            self.hw = False
            ChipStackSocket.in_use -= 1

    def close(self):
        self._free()
        self.state = CLOSED
        if not self.closed_:
            self.closed_ = True
            if not self.taken:
                self.s.close()

    # No fileno(): the unix port's select.poll would then watch the host socket's
    # descriptor (POSIX poll) and report the kernel's readiness, EOF included, instead
    # of asking ioctl() as a board's poll asks the driver.


class FakeSocketModule:
    """Stands in for the `socket` module a client module imported."""

    SOCK_STREAM = socket.SOCK_STREAM
    AF_INET = socket.AF_INET
    getaddrinfo = staticmethod(socket.getaddrinfo)

    def __init__(self, **options):
        self.options = options

    def socket(self, af=socket.AF_INET, kind=socket.SOCK_STREAM, *args):
        return ChipStackSocket(af, kind, **self.options)
