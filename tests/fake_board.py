# Fake `network` and `machine` modules for the firmware builds nic() meets. A fake is a
# claim about hardware: each behaviour below names the source it follows. Sources:
#   mainline  = micropython/micropython (extmod/network_wiznet5k.c, extmod/network_lwip.c,
#               ports/rp2/boards/W5500_EVB_PICO/mpconfigboard.h)
#   fork      = WIZnet-ioNIC/WIZnet-EVB-Pico-micropython, branch WIZnet-EVB-Pico-micropython
#               (extmod/network_wiznet6k.c, ports/rp2/machine_wiznet_pio_spi.c,
#               ports/rp2/mpconfigport.h, ports/rp2/boards/*/mpconfigboard.{h,cmake})
#   ioLibrary = the WIZnet ioLibrary_Driver mainline vendors (Internet/DHCP/dhcp.c)
# What no source backs is marked GUESS. The emulated board (make board-test) runs the real
# mainline W5500_EVB_PICO firmware: where it covers a scenario, it is the authority.
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
# tries DHCP_run() for 3000 ms per round and raises after the 4th failed round.
CHIP_DHCP_ROUND_MS = 3000
CHIP_DHCP_ROUNDS = 4
# lwIP: network_lwip.c mod_network_nic_ifconfig('dhcp') waits up to 10000 ms, then raises;
# dhcp_start() was called and nothing stops it, so a lease may still come later.
LWIP_DHCP_WAIT_MS = 10000
DHCP_TIMEOUT_TEXT = "timeout waiting for DHCP to get IP address"  # both drivers' message
ZERO = "0.0.0.0"


class _Namespace:
    pass


class FakeBoard:
    """Installs fake `network` and `machine` modules (and sys.implementation._machine's
    board name, seen through ``machine_name``) for one firmware build of BUILDS.

    link: the cable is in; lease_after_ms: a DHCP server answers from that long after the
    board was made (None: no server). ``made`` records every SPI/driver construction.
    """

    def __init__(self, clock, build="mainline/W5500_EVB_PICO", link=True, lease_after_ms=0):
        if build not in BUILDS:
            raise ValueError("unknown build %r" % (build,))
        self.clock = clock
        self.build = build
        self.link = link
        self.lease_after_ms = lease_after_ms
        self.made = []  # (what, args, kwargs)
        self.nics = []
        self.dhcp_calls = 0
        self.t0 = clock.now
        driver, lwip, board_pins, pio, has_ipconfig, machine_name = BUILDS[build]
        self.driver_name = driver
        self.lwip = lwip
        self.machine_name = machine_name
        board = self
        pio_handle = []  # set by WIZNET_PIO_SPI(): the fork keeps it in a global

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
            # pins MP_ARG_KW_ONLY; "must specify all of sck/cs/mosi/miso" (ValueError)
            # when one is missing (W6300 builds: sck/cs/io0/io1, then io2/io3).
            needed = ("sck", "cs", "io0", "io1", "io2", "io3") if "W6300" in build else ("sck", "cs", "mosi", "miso")
            for name in kw:
                if name not in needed:
                    raise TypeError("unexpected keyword argument '%s'" % name)
            if any(name not in kw for name in needed):
                raise ValueError("must specify all of " + "/".join(needed))
            kw = dict(kw)
            if baudrate is not None:
                kw["baudrate"] = baudrate
            board.made.append(("WIZNET_PIO_SPI", (), kw))
            pio_handle.append(kw)
            return ("PIO", kw)

        class Driver:
            def __init__(self, *args, **kw):
                # make_new: no arguments only where MICROPY_HW_WIZNET_SPI_ID is defined
                # (then the board's SPI, CS, RST and, on lwIP, INTN); else
                # mp_arg_check_num(n_args, n_kw, 3, lwIP ? 4 : 3) - a TypeError.
                if kw:
                    raise TypeError("function doesn't take keyword arguments")
                if not args and not board_pins:
                    raise TypeError("function takes 3 positional arguments but 0 were given")
                if args and not 3 <= len(args) <= (4 if lwip else 3):
                    raise TypeError("function takes %s positional arguments but %d were given" % ("3" if not lwip else "3 to 4", len(args)))
                board.made.append((driver, args, {}))
                board.nics.append(self)
                self.args = args
                self.is_active = False
                self.ip = ZERO
                self.static = None
                self.dhcp_at = None  # when DHCP started (lwIP: at activation)

            def active(self, on=None):
                if on is None:
                    return self.is_active
                if on and not self.is_active:
                    if pio and not pio_handle:
                        # GUESS: the fork reaches the chip only through the PIO handle;
                        # without WIZNET_PIO_SPI() first, active(True) cannot work.
                        raise OSError("PIO SPI not initialised")
                    self.is_active = True
                    if lwip:
                        # network_wiznet5k.c wiznet5k_lwip_init(): dhcp_start() on
                        # activation; DHCP then runs in the background (lwIP timers).
                        self.dhcp_at = board.clock.now
                else:
                    self.is_active = bool(on)
                return None

            # -- the address --------------------------------------------------------

            def _lease(self):
                # lwIP: DHCP runs in the background once started; a lease comes as soon
                # as the server answers (GUESS, a simplification: DHCP's own
                # retransmission schedule is not modelled).
                if self.static is None and self.dhcp_at is not None and board.server_up():
                    self.ip = "10.0.0.2"

            def isconnected(self):
                # lwIP: link && active && non-zero IPv4; chip stack: link && active ONLY
                # (network_wiznet5k.c wiznet5k_isconnected: the address test is under
                # WIZNET5K_WITH_LWIP_STACK).
                if lwip:
                    self._lease()
                    return board.link and self.is_active and self.ip != ZERO
                return board.link and self.is_active

            def status(self, *args):
                # wiznet5k_status(): 0 no PHY link, 1 link, 2 link and active.
                if args:
                    raise ValueError("unknown status param")
                return (2 if self.is_active else 1) if board.link else 0

            def ifconfig(self, config=None):
                if config is None:
                    if lwip:
                        self._lease()
                    if self.ip == ZERO:
                        return (ZERO, ZERO, ZERO, ZERO)
                    return (self.ip, "255.255.255.0", "10.0.0.1", "10.0.0.1")
                if config == "dhcp":
                    board.dhcp_calls += 1
                    self.static = None
                    return self._blocking_dhcp()
                self.static = config
                self.ip = config[0]
                return None

            def _blocking_dhcp(self):
                if lwip:
                    # network_lwip.c: dhcp_stop + dhcp_start, then wait up to 10 s
                    self.dhcp_at = board.clock.now
                    for _ in range(LWIP_DHCP_WAIT_MS // 100):
                        self._lease()
                        if self.ip != ZERO:
                            return None
                        board.clock.advance(100)
                    raise OSError(DHCP_TIMEOUT_TEXT)
                # chip stack: wiznet5k_dhcp_init(), ioLibrary DHCP_run() rounds; the chip's
                # address reads 0.0.0.0 while DHCP runs (ioLibrary dhcp.c sets SIPR to zero)
                self.ip = ZERO
                for _ in range(CHIP_DHCP_ROUNDS * CHIP_DHCP_ROUND_MS // 100):
                    if board.server_up():
                        self.ip = "10.0.0.2"
                        return (self.ip, "255.255.255.0", "10.0.0.1", "10.0.0.1")
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
            # ... and ipconfig(dhcp4=True): network_lwip.c mod_network_nic_ipconfig restarts
            # DHCP (dhcp_release_and_stop + dhcp_start) and returns at once.
            def ipconfig(self, *args, **kw):
                if kw.get("dhcp4"):
                    board.dhcp_calls += 1
                    self.static = None
                    self.ip = ZERO
                    self.dhcp_at = board.clock.now
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

    def server_up(self):
        # A DHCP answer needs the cable and a server that is up.
        wait = self.lease_after_ms
        return self.link and wait is not None and self.clock.now - self.t0 >= wait

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
