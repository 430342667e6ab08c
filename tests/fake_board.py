# Fake `network` and `machine` modules for the firmware builds nic() meets. A fake is a
# claim about hardware: each behaviour below names the source it follows. Sources:
#   mainline  = micropython/micropython (extmod/network_wiznet5k.c, extmod/network_lwip.c,
#               ports/rp2/boards/W5500_EVB_PICO/mpconfigboard.h)
#   fork      = WIZnet-ioNIC/WIZnet-EVB-Pico-micropython, branch WIZnet-EVB-Pico-micropython
#               (extmod/network_wiznet6k.c, ports/rp2/machine_wiznet_pio_spi.c,
#               ports/rp2/mpconfigport.h, ports/rp2/boards/*/mpconfigboard.{h,cmake})
#   ioLibrary = the WIZnet ioLibrary_Driver mainline vendors as lib/wiznet5k
#               (andrewleech/wiznet_ioLibrary_Driver 0803fc51: Internet/DHCP/dhcp.c)
#   lwIP      = lib/lwip, src/core/ipv4/dhcp.c (dhcp_discover's retry schedule)
# What no source backs is marked GUESS. The emulated board (make board-test) runs the real
# mainline W5500_EVB_PICO firmware: where it covers a scenario, it is the authority, and
# "BOARD:" marks what was checked there (v1.29.0-preview, board/firmware/SOURCES.txt).
import sys

# One entry per firmware build: driver class name, lwIP or the chip's own stack, whether
# the build defines board pins (MICROPY_HW_WIZNET_SPI_ID), whether it has
# machine.WIZNET_PIO_SPI, ipconfig(), and the name sys.implementation._machine reports
# (MICROPY_HW_BOARD_NAME + " with " + the MCU).
BUILDS = {
    # mainline W5500_EVB_PICO / W5100S_EVB_PICO: WIZNET5K over lwIP, board pins incl. INTN 21
    "mainline/W5500_EVB_PICO": ("WIZNET5K", True, True, False, True, "W5500-EVB-Pico with RP2040"),
    "mainline/W5100S_EVB_PICO": ("WIZNET5K", True, True, False, True, "W5100S-EVB-Pico with RP2040"),
    # the same before v1.23: ipconfig() was added to the WIZNET5K locals table in 1c6012b0b5
    # (2023-10, first released in v1.23)
    "mainline-1.22/W5500_EVB_PICO": ("WIZNET5K", True, True, False, False, "W5500-EVB-Pico with RP2040"),
    # WIZNET5K without lwIP (WIZNET5K_PROVIDED_STACK): mainline builds it on stm32 (PYBV11
    # NETWORK variant), which defines no board pins; no rp2 WIZnet board ships it.
    "mainline/chip-stack": ("WIZNET5K", False, False, False, False, "PYBv1.1 with STM32F405RG"),
    # fork, PIO builds (MICROPY_WIZNET_PIO 1): W55RP20 and W6300 define only PIO pins on
    # the RP2040 boards, so WIZNET6K() without arguments is a TypeError there
    "fork/W55RP20_EVB_PICO": ("WIZNET6K", True, False, True, True, "W55RP20-EVB-Pico with RP2040"),
    "fork/W6300_EVB_PICO": ("WIZNET6K", True, False, True, True, "W6300-EVB-Pico with RP2040"),
    # W6300_EVB_PICO2 also defines MICROPY_HW_WIZNET_SPI_ID (hardware SPI pins 17/18/19), so
    # WIZNET6K() constructs - but the chip is reached only through the PIO QSPI handle
    # that WIZNET_PIO_SPI() sets up (network_wiznet6k.c wiz_cs_select / reg_wizchip_qspi_cbfunc)
    "fork/W6300_EVB_PICO2": ("WIZNET6K", True, True, True, True, "W6300-EVB-Pico2 with RP2350"),
    # fork, hardware-SPI builds (MICROPY_WIZNET_PIO 0): board pins, no WIZNET_PIO_SPI
    "fork/W5500_EVB_PICO": ("WIZNET6K", True, True, False, True, "W5500-EVB-Pico with RP2040"),
    "fork/W5500_EVB_PICO2": ("WIZNET6K", True, True, False, True, "W5500-EVB-Pico2 with RP2350"),
    "fork/W5100S_EVB_PICO": ("WIZNET6K", True, True, False, True, "W5100S-EVB-Pico with RP2040"),
    "fork/W6100_EVB_PICO": ("WIZNET6K", True, True, False, True, "W6100-EVB-Pico with RP2040"),
    "fork/W6100_EVB_PICO2": ("WIZNET6K", True, True, False, True, "W6100-EVB-Pico2 with RP2350"),
}

# ioLibrary DHCP as the chip-stack driver runs it: network_wiznet5k.c wiznet5k_dhcp_init()
# tries DHCP_run() for 3000 ms per round and raises after the 4th failed round. (The
# ioLibrary's own retries never fire there: nothing calls DHCP_time_handler(), so
# dhcp_tick_1s stays 0 and check_DHCP_timeout() never resends or fails.)
CHIP_DHCP_ROUND_MS = 3000
CHIP_DHCP_ROUNDS = 4
# chip stack: the values wiznet5k_init() stores in wiznet5k_obj.netinfo *after* writing the
# previous ones to the chip - what the chip holds after its next activation.
CHIP_DEFAULTS = ("192.168.0.18", "255.255.255.0", "192.168.0.1", "8.8.8.8")
# lwIP: network_lwip.c mod_network_nic_ifconfig('dhcp') waits up to 10000 ms, then raises;
# dhcp_start() was called and nothing stops it, so a lease may still come later.
LWIP_DHCP_WAIT_MS = 10000
DHCP_TIMEOUT_TEXT = "timeout waiting for DHCP to get IP address"  # both drivers' message
ZERO = "0.0.0.0"
LEASE = ("10.0.0.2", "255.255.255.0", "10.0.0.1", "10.0.0.1")


def discover_gap_ms(tries):
    """lwIP dhcp_discover(): after a DISCOVER, tries += 1 and the next one is due in
    (tries < 6 ? 1 << tries : 60) s - DISCOVERs at 0, 2, 6, 14, 30, 62 s, then every 60 s.
    BOARD: cable plugged 8 s after active(True), lease 5.6 s later (the DISCOVER at 14 s)."""
    return (1 << tries if tries < 6 else 60) * 1000


class _Namespace:
    pass


class FakeBoard:
    """Installs fake `network` and `machine` modules (and sys.implementation._machine's
    board name, seen through ``machine_name``) for one firmware build of BUILDS.

    link: the cable is in (assignable); plug_at_ms: the cable goes in that long after the
    board was made; lease_after_ms: a DHCP server answers from that long after the board
    was made (None: no server). ``made`` records every SPI/driver construction.
    """

    def __init__(self, clock, build="mainline/W5500_EVB_PICO", link=True, lease_after_ms=0, plug_at_ms=None):
        if build not in BUILDS:
            raise ValueError("unknown build %r" % (build,))
        self.clock = clock
        self.build = build
        self._link = link
        self.plug_at_ms = plug_at_ms
        self.lease_after_ms = lease_after_ms
        self.made = []  # (what, args, kwargs)
        self.nics = []  # one entry per construction: the same object each time
        self.dhcp_calls = 0
        self.t0 = clock.now
        self.registered = False  # the chip's SPI callbacks, set by the first active(True)
        self.netinfo = (ZERO, ZERO, ZERO, ZERO)  # chip stack: wiznet5k_obj.netinfo (static: zero at power-on)
        driver, lwip, board_pins, pio, has_ipconfig, machine_name = BUILDS[build]
        self.driver_name = driver
        self.lwip = lwip
        self.machine_name = machine_name
        board = self
        pio_handle = []  # set by WIZNET_PIO_SPI(): the fork keeps it in a global
        the_nic = []  # network_wiznet5k.c: one static wiznet5k_obj; make_new returns it

        class Pin:
            def __init__(self, n, *args, **kw):
                self.n = n

            def __eq__(self, other):
                return isinstance(other, Pin) and other.n == self.n

            def __repr__(self):
                return "Pin(%d)" % self.n

        def spi(*args, **kw):
            board.made.append(("SPI", args, kw))
            return ("SPI", args)

        def wiznet_pio_spi(baudrate=None, **kw):
            # fork machine_wiznet_pio_spi.c make_new: baudrate positional or keyword, the
            # pins MP_ARG_KW_ONLY (an unknown keyword: mp_arg_parse_all's TypeError);
            # a missing pin: ValueError "must specify all of sck/cs/mosi/miso" (W55RP20),
            # on W6300 (QSPI_QUAD_MODE, the default) "must specify all of sck/cs/io0/io1",
            # then "must specify all of io2/io3".
            groups = (("sck", "cs", "io0", "io1"), ("io2", "io3")) if "W6300" in build else (("sck", "cs", "mosi", "miso"),)
            for name in kw:
                if not any(name in g for g in groups):
                    raise TypeError("unexpected keyword argument '%s'" % name)
            for group in groups:
                if any(name not in kw for name in group):
                    raise ValueError("must specify all of " + "/".join(group))
            kw = dict(kw)
            if baudrate is not None:
                kw["baudrate"] = baudrate
            board.made.append(("WIZNET_PIO_SPI", (), kw))
            pio_handle.append(kw)
            return ("PIO", kw)

        class Driver:
            def __new__(cls, *args, **kw):
                if not the_nic:
                    obj = object.__new__(cls)
                    obj.is_active = False
                    obj.ip = ZERO  # lwIP: netif.ip_addr; chip stack: the chip's SIPR
                    obj.rest = (ZERO, ZERO, ZERO)
                    obj.static = None
                    obj.dhcp_at = None  # lwIP: when DHCP (re)started; None: off
                    obj.next_discover = None
                    obj.tries = 0
                    the_nic.append(obj)
                return the_nic[0]

            def __init__(self, *args, **kw):
                # make_new: no arguments only where MICROPY_HW_WIZNET_SPI_ID is defined
                # (then the board's SPI, CS, RST and, on lwIP, INTN); else
                # mp_arg_check_num(n_args, n_kw, 3, lwIP ? 4 : 3) (py/argcheck.c texts,
                # BOARD: the same three messages).
                if kw:
                    raise TypeError("function doesn't take keyword arguments")
                if args or not board_pins:
                    if not lwip and len(args) != 3:  # min == max: the other message
                        raise TypeError("function takes 3 positional arguments but %d were given" % len(args))
                    if len(args) < 3:
                        raise TypeError("function missing %d required positional arguments" % (3 - len(args)))
                    if len(args) > 4:
                        raise TypeError("function expected at most 4 arguments, got %d" % len(args))
                board.made.append((driver, args, {}))
                board.nics.append(self)
                self.args = args
                # make_new brings the interface down (lwIP: netif.flags = 0; chip stack:
                # active = false, socket_used = 0); the address stays until the next
                # activation. BOARD: a second WIZNET5K() is the same object, active()
                # False, ifconfig() still the old lease.
                self.is_active = False

            def active(self, on=None):
                if on is None:
                    return self.is_active
                if on and not self.is_active:
                    if pio and not pio_handle:
                        # GUESS in kind: the fork's PIO builds reach the chip only through
                        # wiznet_pio_spi_handle, NULL until WIZNET_PIO_SPI() is made
                        # (machine_wiznet_pio_spi.c), and wiznet6k_active() dereferences it:
                        # a crash on the board, an OSError here so a test notices.
                        raise OSError("PIO SPI not initialised")
                    board.registered = True  # reg_wizchip_*_cbfunc
                    self.is_active = True
                    self.static = None
                    if lwip:
                        # wiznet5k_init(): netif re-added with 0.0.0.0 (wiznet5k_deinit,
                        # wiznet5k_lwip_init), dhcp_start() there: DHCP runs in the
                        # background (lwIP timers) with no call from Python. BOARD: lease
                        # 1.65 s after active(True), nothing else called.
                        self.ip, self.rest = ZERO, (ZERO, ZERO, ZERO)
                        self._dhcp_start()
                    else:
                        # wiznet5k_init(): ctlnetwork(CN_SET_NETINFO, &wiznet5k_obj.netinfo)
                        # writes what the driver kept from before - zeros at power-on, then
                        # the defaults it stores right after (192.168.0.18), or the lease
                        # wiznet5k_dhcp_init() copied in - to the freshly reset chip.
                        self.ip, self.rest = board.netinfo[0], board.netinfo[1:]
                        board.netinfo = CHIP_DEFAULTS
                elif not on:
                    self.is_active = False
                return None

            # -- the address --------------------------------------------------------

            def _dhcp_start(self):
                # dhcp_start(): the first DISCOVER at once, then discover_gap_ms().
                self.dhcp_at = board.clock.now
                self.next_discover = board.clock.now
                self.tries = 0

            def _lease(self):
                # lwIP: each DISCOVER that finds the cable in and a server up gets a lease
                # (GUESS: at once; BOARD: 50-100 ms on the namespace's dnsmasq). DISCOVERs
                # due since the last look are judged now, with the link as it was then.
                if not lwip or self.static is not None or self.dhcp_at is None or self.ip != ZERO:
                    return
                while self.next_discover <= board.clock.now:
                    if board.server_up(self.next_discover):
                        self.ip, self.rest = LEASE[0], LEASE[1:]
                        return
                    self.tries += 1
                    self.next_discover += discover_gap_ms(self.tries)

            def isconnected(self):
                # lwIP: link && active && non-zero IPv4; chip stack: link && active ONLY
                # (network_wiznet5k.c wiznet5k_isconnected: the address test is under
                # WIZNET5K_WITH_LWIP_STACK). BOARD: False before active(True), False with
                # the cable out although the lease stays.
                self._lease()
                if lwip:
                    return board.phy_link() and self.is_active and self.ip != ZERO
                return board.phy_link() and self.is_active

            def status(self, *args):
                # wiznet5k_status(): 0 no PHY link, 1 link, 2 link and active; an argument
                # is ValueError "unknown status param". BOARD: 0 before the first
                # active(True) with the cable in (wizphy_getphylink() before
                # reg_wizchip_spi_cbfunc reads the default callbacks' zeros).
                if args:
                    raise ValueError("unknown status param")
                return (2 if self.is_active else 1) if board.phy_link() else 0

            def ifconfig(self, config=None):
                if config is None:
                    # lwIP: netif address, netmask, gw and dns_getserver(0); chip stack:
                    # the chip's registers. BOARD: four zeros before a lease; a pulled
                    # cable keeps the lease.
                    self._lease()
                    return (self.ip,) + self.rest
                if config == "dhcp":
                    board.dhcp_calls += 1
                    return self._blocking_dhcp()
                self.static = config
                self.ip, self.rest = config[0], tuple(config[1:])
                if lwip:
                    self.dhcp_at = None  # dhcp_release + dhcp_stop
                return None

            def _blocking_dhcp(self):
                if lwip:
                    # network_lwip.c mod_network_nic_ifconfig('dhcp'): a supplied address
                    # is renewed and kept (returns at once; BOARD: 1 ms); else dhcp_stop +
                    # dhcp_start, then wait up to 10 s in 100 ms steps and raise.
                    self._lease()
                    if self.ip != ZERO and self.static is None and self.dhcp_at is not None:
                        return None
                    self.static = None
                    self.ip, self.rest = ZERO, (ZERO, ZERO, ZERO)
                    self._dhcp_start()
                    waited = 0
                    while True:
                        self._lease()
                        if self.ip != ZERO:
                            return None
                        if waited > LWIP_DHCP_WAIT_MS:
                            raise OSError(DHCP_TIMEOUT_TEXT)
                        board.clock.advance(100)
                        waited += 100
                # chip stack: wiznet5k_dhcp_init(), ioLibrary DHCP_run() rounds; DHCP_init
                # zeroes the chip's SIPR and GAR, so after a failure the address is 0.0.0.0.
                # The server must answer within a round (GUESS: at once when it is up).
                self.static = None
                self.ip = ZERO
                self.rest = (self.rest[0], ZERO, self.rest[2])
                for _ in range(CHIP_DHCP_ROUNDS * CHIP_DHCP_ROUND_MS // 100):
                    if board.server_up(board.clock.now):
                        self.ip, self.rest = LEASE[0], LEASE[1:]
                        board.netinfo = LEASE  # ctlnetwork(CN_GET_NETINFO, &self->netinfo)
                        return LEASE
                    board.clock.advance(100)
                raise OSError(DHCP_TIMEOUT_TEXT)

            def config(self, name):
                if name == "mac":
                    return b"\x02\x90\x86\x88\x4d\x56"
                raise ValueError("unknown config param")

        if lwip:
            # lwIP builds only: send_ethernet() (both drivers' locals tables) ...
            def send_ethernet(self, buf):
                pass

            Driver.send_ethernet = send_ethernet
        if has_ipconfig:
            # ... and ipconfig(): network_lwip.c mod_network_nic_ipconfig. dhcp4=True renews
            # a supplied address (kept; BOARD: kept) or restarts DHCP
            # (dhcp_release_and_stop + dhcp_start) and returns at once. BOARD: restarted
            # when the cable came in, the lease came 50 ms later instead of 5.6 s.
            def ipconfig(self, *args, **kw):
                if args:
                    self._lease()
                    if args[0] == "dhcp4":
                        return self.dhcp_at is not None  # BOARD: True right after active(True)
                    if args[0] == "has_dhcp4":
                        return self.ip != ZERO and self.static is None
                    if args[0] == "addr4":
                        return (self.ip, self.rest[0])
                    raise ValueError("unexpected key")
                if kw.get("dhcp4"):
                    board.dhcp_calls += 1
                    self._lease()
                    if self.ip != ZERO and self.static is None and self.dhcp_at is not None:
                        return None
                    self.static = None
                    self.ip, self.rest = ZERO, (ZERO, ZERO, ZERO)
                    self._dhcp_start()
                return None

            Driver.ipconfig = ipconfig

        network = _Namespace()
        setattr(network, driver, Driver)
        machine = _Namespace()
        machine.Pin = Pin
        machine.SPI = spi
        if pio:
            # fork ports/rp2/mpconfigport.h: MICROPY_PY_MACHINE_WIZNET_PIO_SPI only where
            # MICROPY_WIZNET_PIO == 1
            machine.WIZNET_PIO_SPI = wiznet_pio_spi
        self.Pin = Pin
        self.network = network
        self.machine = machine

    @property
    def link(self):
        return self.link_at(self.clock.now)

    @link.setter
    def link(self, value):
        self._link = value
        self.plug_at_ms = None

    def link_at(self, when):
        plugged = self.plug_at_ms is not None and when - self.t0 >= self.plug_at_ms
        return bool(self._link or plugged)

    def phy_link(self):
        # What wizphy_getphylink() reads: the cable, once the driver's SPI callbacks exist.
        return self.registered and self.link

    def server_up(self, when):
        # A DHCP answer at `when` needs the cable and a server that is up.
        wait = self.lease_after_ms
        return self.link_at(when) and wait is not None and when - self.t0 >= wait

    def __enter__(self):
        import wiznet_net.ethernet as ethernet

        sys.modules["network"] = self.network
        sys.modules["machine"] = self.machine
        self._saved = getattr(ethernet, "_firmware", None)
        ethernet._firmware = lambda: ("rp2", self.machine_name)
        return self

    def __exit__(self, *exc):
        import wiznet_net.ethernet as ethernet

        ethernet._firmware = self._saved
        for name in ("network", "machine"):
            if name in sys.modules:
                del sys.modules[name]
        return False


class BoardWithoutWiznet:
    """A board firmware without WIZnet drivers (e.g. RPI_PICO2 or RPI_PICO_W): `network`
    imports but has neither WIZNET5K nor WIZNET6K; sys.platform is 'rp2'."""

    def __init__(self, machine_name="Raspberry Pi Pico W with RP2040"):
        self.machine_name = machine_name

    def __enter__(self):
        import wiznet_net.ethernet as ethernet

        sys.modules["network"] = _Namespace()
        self._saved = getattr(ethernet, "_firmware", None)
        ethernet._firmware = lambda: ("rp2", self.machine_name)
        return self

    def __exit__(self, *exc):
        import wiznet_net.ethernet as ethernet

        ethernet._firmware = self._saved
        del sys.modules["network"]
        return False
