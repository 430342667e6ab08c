# Bringing up the Ethernet interface of a WIZnet board: which driver, which pins, DHCP or
# static, and a bounded wait that says what is missing (cable or lease) when it gives up.
# network and machine are imported inside nic(): the module imports anywhere, and tests
# can put fake board modules in sys.modules.
from ._compat import call_cold, clock as _clock, ticks_diff
from .failure import LINK, NO_LINK, TIMEOUT, Failure

# The pin maps. "spi": the W5x00/W6100-EVB-Pico(2) boards (hardware SPI0).
# "pio": every W55RP20 board - its W5500 is wired inside the chip to pins that only
# WIZnet's PIO SPI (firmware fork) can drive. "qspi": W6300, fork only.
_PINS = {
    "spi": {"baudrate": 20000000, "sck": 18, "mosi": 19, "miso": 16, "cs": 17, "reset": 20},
    "pio": {"baudrate": 31250000, "sck": 21, "mosi": 23, "miso": 22, "cs": 20, "reset": 25},
    "qspi": {"baudrate": 31250000, "sck": 17, "cs": 16, "io0": 18, "io1": 19, "io2": 20, "io3": 21, "reset": 22},
}

#: Known boards: name (lower case) -> (chip, bus). The bus names a pin map:
#: "spi" hardware SPI0, "pio" WIZnet's PIO SPI (W55RP20), "qspi" (W6300).
BOARDS = {
    "w5100s-evb-pico": ("W5100S", "spi"),
    "w5100s-evb-pico2": ("W5100S", "spi"),
    "w5500-evb-pico": ("W5500", "spi"),
    "w5500-evb-pico2": ("W5500", "spi"),
    "w6100-evb-pico": ("W6100", "spi"),
    "w6100-evb-pico2": ("W6100", "spi"),
    "w55rp20-evb-pico": ("W5500", "pio"),
    "w55rp20-evb-mkr": ("W5500", "pio"),
    "w6300-evb-pico": ("W6300", "qspi"),
    "w6300-evb-pico2": ("W6300", "qspi"),
}
_MAINLINE_CHIPS = ("W5100S", "W5500")  # what mainline's WIZNET5K driver supports
_STEP_MS = 100


def _known():
    return ", ".join(sorted(BOARDS))


def board_info(board):
    """``(name, chip, bus, default_pins)`` for a board name (any case)."""
    if not isinstance(board, str):
        raise TypeError("board: expected a board name such as 'W55RP20-EVB-MKR', got %r" % (board,))
    key = board.strip().lower()
    if key not in BOARDS:
        raise ValueError("board: unknown board %r; known boards: %s" % (board, _known()))
    chip, bus = BOARDS[key]
    return key, chip, bus, _PINS[bus]


def detect_board(machine_name=None):
    """The board this firmware was built for, from ``sys.implementation._machine``, or
    None when the name matches no known board."""
    if machine_name is None:
        import sys

        machine_name = getattr(sys.implementation, "_machine", "")
    name = machine_name.lower().replace("_", "-")
    best = None
    for key in BOARDS:  # the longest match wins: "...-pico2" before "...-pico"
        if key in name and (best is None or len(key) > len(best)):
            best = key
    return best


def check_ipv4(name, value):
    """Raise unless ``value`` is a dotted-quad IPv4 address; return it as 4 ints."""
    if not isinstance(value, str):
        raise TypeError("%s: expected an IPv4 address as a str like '192.168.1.20', got %r" % (name, value))
    parts = value.split(".")
    if len(parts) == 4 and all(p.isdigit() and len(p) <= 3 and int(p) <= 255 for p in parts):
        return [int(p) for p in parts]
    raise ValueError("%s: expected an IPv4 address like '192.168.1.20', got %r" % (name, value))


def _check_netmask(value):
    a, b, c, d = check_ipv4("netmask", value)
    inverted = ~((a << 24) | (b << 16) | (c << 8) | d) & 0xFFFFFFFF
    if inverted & (inverted + 1):  # the ones must be contiguous from the left
        raise ValueError("netmask: expected contiguous ones like '255.255.255.0', got %r" % (value,))


class HostNIC:
    """Stands in for the WIZnet driver where the firmware has none (the unix port on a
    PC), so the same firmware code runs there unchanged. The host's own network does the
    work; ``ifconfig()[0]`` is the loopback address."""

    def active(self, on=None):
        return True

    def isconnected(self):
        return True

    def status(self, *args):
        return 2  # link up, interface active, as the WIZnet driver reports it

    def ifconfig(self, config=None):
        if config is None:
            return ("127.0.0.1", "255.0.0.0", "127.0.0.1", "127.0.0.1")

    def config(self, name):
        raise ValueError("the host stand-in has no %r" % (name,))  # no MAC of its own to show


def nic(
    board=None,
    dhcp=None,
    ip=None,
    netmask="255.255.255.0",
    gateway=None,
    dns=None,
    timeout_ms=15000,
    spi=None,
    verbose=True,
    clock=None,
    **pins
):
    """Bring up the Ethernet interface of a WIZnet board and return the driver object.

    ``board``: a name from :data:`BOARDS` in any case, e.g. ``"W55RP20-EVB-MKR"``; None
    picks the board the firmware was built for. Static addressing with ``ip=`` (and
    ``netmask``, ``gateway``, ``dns``), else DHCP. Waits up to ``timeout_ms`` for the
    interface to connect, printing progress as WIZnet's examples do, and raises a
    :class:`~wiznet_net.failure.Failure` (an OSError) of kind ``"no_link"`` (no cable) or
    ``"timeout"`` (no DHCP lease) when it does not. Pins: ``sck``, ``mosi``, ``miso``,
    ``cs``, ``reset``, ``baudrate`` (``io0``-``io3`` on W6300) override the board's map;
    ``spi=`` hands over a ready SPI object (then ``cs`` and ``reset`` are pins of it).

    Where the firmware has no WIZnet driver (the unix port), returns a :class:`HostNIC`.
    """
    # Every argument is checked before any hardware is touched.
    call_cold("_checks", "check_int", "timeout_ms", timeout_ms, 1)
    if dhcp is None:
        dhcp = ip is None
    if dhcp and ip is not None:
        raise ValueError("ip: a static address and dhcp=True exclude each other")
    if not dhcp:
        if ip is None:
            raise ValueError("ip: dhcp=False needs a static address, e.g. ip='192.168.1.20'")
        check_ipv4("ip", ip)
        _check_netmask(netmask)
        gateway = gateway or "0.0.0.0"
        check_ipv4("gateway", gateway)
        dns = dns or gateway
        check_ipv4("dns", dns)
    driver5, driver6 = _drivers()
    if board is None and (driver5 or driver6):
        board = detect_board()
        if board is None:
            raise ValueError("board: this firmware does not name a known board; pass one of: " + _known())
    if board is not None:
        key, chip, bus, defaults = board_info(board)
        for name in pins:
            if name not in defaults:
                raise TypeError("%s: not a pin of %s; its pins are %s" % (name, key, ", ".join(sorted(defaults))))
    if not (driver5 or driver6):
        drv = HostNIC()
    else:
        drv = _make_driver(key, chip, bus, defaults, pins, spi, driver5, driver6)
    try:
        drv.active(True)
    except AttributeError:  # some builds are active from the start
        pass
    clock = clock or _clock
    if dhcp:
        _start_dhcp(drv)
    else:
        drv.ifconfig((ip, netmask, gateway, dns))
    _wait_connected(drv, dhcp, timeout_ms, clock, verbose)
    if verbose:
        try:
            print("MAC Address:", ":".join("%02x" % b for b in drv.config("mac")))
        except (AttributeError, ValueError, OSError):
            pass
        print("IP Address:", drv.ifconfig())
    return drv


def _drivers():
    try:
        import network
    except ImportError:
        return None, None
    return getattr(network, "WIZNET5K", None), getattr(network, "WIZNET6K", None)


def _make_driver(key, chip, bus, defaults, pins, spi, driver5, driver6):
    import machine

    cfg = dict(defaults)
    cfg.update(pins)
    if driver6 is None and chip not in _MAINLINE_CHIPS:
        raise RuntimeError("%s has a %s: it needs WIZnet's MicroPython firmware (network.WIZNET6K)" % (key, chip))
    driver = driver6 or driver5
    pio_spi = getattr(machine, "WIZNET_PIO_SPI", None)
    if spi is None:
        if bus == "spi":
            if driver6 is not None and not pins:
                return driver6()  # WIZnet's firmware knows its own board's pins
            spi = machine.SPI(
                0,
                baudrate=cfg["baudrate"],
                sck=machine.Pin(cfg["sck"]),
                mosi=machine.Pin(cfg["mosi"]),
                miso=machine.Pin(cfg["miso"]),
            )
        elif pio_spi is None:
            raise RuntimeError(
                "%s needs machine.WIZNET_PIO_SPI from WIZnet's MicroPython firmware; "
                "flash it, or pass spi=, cs= and reset=" % key
            )
        elif bus == "pio":
            spi = pio_spi(
                baudrate=cfg["baudrate"],
                sck=machine.Pin(cfg["sck"]),
                cs=machine.Pin(cfg["cs"]),
                mosi=machine.Pin(cfg["mosi"]),
                miso=machine.Pin(cfg["miso"]),
            )
        else:  # qspi
            spi = pio_spi(
                baudrate=cfg["baudrate"],
                sck=machine.Pin(cfg["sck"]),
                cs=machine.Pin(cfg["cs"]),
                io0=machine.Pin(cfg["io0"]),
                io1=machine.Pin(cfg["io1"]),
                io2=machine.Pin(cfg["io2"]),
                io3=machine.Pin(cfg["io3"]),
            )
    return driver(spi, machine.Pin(cfg["cs"]), machine.Pin(cfg["reset"]))


def _start_dhcp(drv):
    # lwIP's ipconfig(dhcp4=True) starts DHCP and returns; ifconfig('dhcp') blocks up to
    # 10 s (lwIP) or 12 s (chip stack) and raises if no lease came. Either way the wait
    # that counts is ours, below.
    try:
        if hasattr(drv, "ipconfig"):
            drv.ipconfig(dhcp4=True)
        else:
            drv.ifconfig("dhcp")
    except OSError:
        pass


def _link_up(drv):
    """True/False where the driver tells the PHY link state, else None."""
    try:
        return drv.status() != 0  # WIZNET5K: 0 = no link, 1 = link, 2 = link and active
    except (AttributeError, TypeError, ValueError, OSError):
        return None


def _wait_connected(drv, dhcp, timeout_ms, clock, verbose):
    start = clock.ticks_ms()
    waited = 0
    shown = 0
    while not drv.isconnected():
        if waited >= timeout_ms:
            raise _bringup_failure(drv, dhcp, timeout_ms)
        if verbose and waited >= shown:
            print("Waiting for the network to connect...")
            shown += 1000
        clock.sleep_ms(min(_STEP_MS, timeout_ms - waited))
        waited = ticks_diff(clock.ticks_ms(), start)


def _bringup_failure(drv, dhcp, timeout_ms):
    link = _link_up(drv)
    if link is False:
        return Failure(
            NO_LINK,
            LINK,
            110,
            hint="no Ethernet link after %d ms - is the cable plugged into a powered switch or router?" % timeout_ms,
        )
    if dhcp:
        hint = "no DHCP lease came within %d ms - is a DHCP server on this network? Or pass ip="
    else:
        hint = "the interface did not come up within %d ms - check ip, netmask and gateway"
    if link:
        hint = "the link is up, but " + hint
    return Failure(TIMEOUT, LINK, 110, hint=hint % timeout_ms)
