# Bringing up the Ethernet interface of a WIZnet board: which driver, which pins, DHCP or
# static, and a bounded wait that says what is missing (cable or lease) when it gives up.
# network and machine are imported inside nic(): the module imports anywhere, and tests
# can put fake board modules in sys.modules.
from ._compat import HOST_PLATFORMS as _HOST_PLATFORMS, call_cold, clock as _clock, ticks_diff
from .failure import LINK, NO_LINK, TIMEOUT, Failure

# The pin maps, from the firmware's board files. "spi": hardware SPI0 of the
# W5x00/W6100-EVB-Pico(2) (mainline ports/rp2/boards/W5500_EVB_PICO/mpconfigboard.h).
# "pio": every W55RP20 board - its W5500 is wired inside the chip to pins only WIZnet's
# PIO SPI drives (fork ports/rp2/boards/W55RP20_EVB_PICO/mpconfigboard.h). "qspi": W6300,
# fork only (W6300_EVB_PICO/mpconfigboard.h). "intn": the chip's interrupt line; without it
# lwIP reads received frames only on its 64 ms timer. The PIO buses' 31.25 MHz is what
# WIZnet's own helper passes (wiznet_init.py in WIZnet-ioNIC/WIZnet-EVB-Pico-micropython-
# examples); the fork's board files name 20 MHz, but its WIZNET_PIO_SPI never reads that.
_PINS = {
    "spi": {"baudrate": 20000000, "sck": 18, "mosi": 19, "miso": 16, "cs": 17, "reset": 20, "intn": 21},
    "pio": {"baudrate": 31250000, "sck": 21, "mosi": 23, "miso": 22, "cs": 20, "reset": 25, "intn": 24},
    "qspi": {
        "baudrate": 31250000,
        "sck": 17,
        "cs": 16,
        "io0": 18,
        "io1": 19,
        "io2": 20,
        "io3": 21,
        "reset": 22,
        "intn": 15,
    },
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
_FIRMWARE = "WIZnet's MicroPython firmware (github.com/WIZnet-ioNIC/WIZnet-EVB-Pico-micropython)"


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


def _firmware():
    """(sys.platform, sys.implementation._machine): which port, and the board the
    firmware was built for ("W5500-EVB-Pico with RP2040"). Tests replace it."""
    import sys

    return sys.platform, getattr(sys.implementation, "_machine", "")


def detect_board(machine_name=None):
    """The board this firmware was built for, from ``sys.implementation._machine``, or
    None when the name matches no known board."""
    if machine_name is None:
        machine_name = _firmware()[1]
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
    """Stands in for the WIZnet driver on the unix (desktop) port, so the same firmware
    code runs on a PC unchanged. The host's own network does the work;
    ``ifconfig()[0]`` is the loopback address. Never used on a board."""

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
    link and an address (a DHCP lease is a non-zero address), printing progress as
    WIZnet's examples do, and raises a :class:`~wiznet_net.failure.Failure` (an OSError)
    of kind ``"no_link"`` (no cable) or ``"timeout"`` (no lease) when it does not. A
    cable plugged in during the wait restarts DHCP at once. On chip-stack firmware (a
    ``WIZNET5K`` without lwIP) each DHCP try blocks inside the driver for up to 12 s (on
    lwIP firmware before v1.23 the restart blocks up to 10 s), so the wait can end that
    much after ``timeout_ms``.

    Pins: ``sck``, ``mosi``, ``miso``, ``cs``, ``reset``, ``intn``, ``baudrate``
    (``io0``-``io3`` on W6300) override the board's map; ``intn=None`` leaves the
    interrupt line unwired. ``spi=`` hands over a ready SPI object (then ``cs``,
    ``reset`` and ``intn`` are pins of it).

    On the unix port (a PC) returns a :class:`HostNIC`. On a board whose firmware has no
    WIZnet driver, raises RuntimeError naming the firmware to flash.
    """
    # Every argument is checked before any hardware is touched.
    call_cold("_checks", "check_ms", "timeout_ms", timeout_ms, 1)
    if dhcp is None:
        dhcp = ip is None
    if dhcp and ip is not None:
        raise ValueError("ip: a static address and dhcp=True exclude each other")
    static = None
    if not dhcp:
        if ip is None:
            raise ValueError("ip: dhcp=False needs a static address, e.g. ip='192.168.1.20'")
        check_ipv4("ip", ip)
        _check_netmask(netmask)
        gateway = gateway or "0.0.0.0"
        check_ipv4("gateway", gateway)
        dns = dns or gateway
        check_ipv4("dns", dns)
        static = (ip, netmask, gateway, dns)
    driver5, driver6 = _drivers()
    platform, machine_name = _firmware()
    if board is not None:
        key, chip, bus, defaults = board_info(board)
        _check_pins(key, defaults, pins)
    if not (driver5 or driver6):
        if platform not in _HOST_PLATFORMS:
            raise RuntimeError(
                "this firmware (%s) has no WIZnet driver: flash %s, or mainline MicroPython's "
                "W5500_EVB_PICO / W5100S_EVB_PICO build for those two boards" % (machine_name or platform, _FIRMWARE)
            )
        drv = HostNIC()
    else:
        built_for = detect_board(machine_name)
        if board is None:
            if built_for is None:
                raise ValueError("board: this firmware does not name a known board; pass one of: " + _known())
            key, chip, bus, defaults = board_info(built_for)
            _check_pins(key, defaults, pins)
        elif built_for is not None and BOARDS[built_for] != (chip, bus):
            raise ValueError(
                "board: this firmware was built for %s (a %s on %s); %s has a %s on %s - flash the "
                "firmware built for it, or pass board=None" % ((built_for,) + BOARDS[built_for] + (key, chip, bus))
            )
        drv = _make_driver(key, chip, bus, defaults, pins, spi, driver5, driver6)
    try:
        drv.active(True)
    except AttributeError:  # some builds are active from the start
        pass
    _bring_up(drv, static, timeout_ms, clock or _clock, verbose)
    if verbose:
        try:
            print("MAC Address:", ":".join("%02x" % b for b in drv.config("mac")))
        except (AttributeError, ValueError, OSError):
            pass
        print("IP Address:", drv.ifconfig())
    return drv


def _check_pins(key, defaults, pins):
    for name in pins:
        if name not in defaults:
            raise TypeError("%s: not a pin of %s; its pins are %s" % (name, key, ", ".join(sorted(defaults))))
        if pins[name] is None and name != "intn":
            raise TypeError("%s: expected a pin number, got None (only intn may be None)" % name)


def _drivers():
    try:
        import network
    except ImportError:
        return None, None
    return getattr(network, "WIZNET5K", None), getattr(network, "WIZNET6K", None)


def _lwip(driver):
    # Only lwIP builds have send_ethernet() (mainline extmod/network_wiznet5k.c and the
    # fork's network_wiznet6k.c locals tables). ipconfig() is no test: lwIP builds before
    # v1.23 lack it too.
    return hasattr(driver, "send_ethernet")


def _make_driver(key, chip, bus, defaults, pins, spi, driver5, driver6):
    import machine

    if driver6 is None and chip not in _MAINLINE_CHIPS:
        raise RuntimeError("%s has a %s: it needs %s (network.WIZNET6K)" % (key, chip, _FIRMWARE))
    driver = driver6 or driver5
    if spi is None and bus == "spi" and not pins:
        # The firmware's own board pins (MICROPY_HW_WIZNET_*), the interrupt line included
        # on lwIP builds: network_wiznet5k.c / network_wiznet6k.c make_new() with no
        # arguments. A build that defines no board pins raises TypeError.
        try:
            return driver()
        except TypeError:
            pass
    cfg = dict(defaults)
    cfg.update(pins)
    Pin = machine.Pin
    if spi is None:
        if bus == "spi":
            spi = machine.SPI(0, baudrate=cfg["baudrate"], sck=Pin(cfg["sck"]), mosi=Pin(cfg["mosi"]), miso=Pin(cfg["miso"]))
        else:
            pio_spi = getattr(machine, "WIZNET_PIO_SPI", None)
            if pio_spi is None:
                raise RuntimeError("%s needs machine.WIZNET_PIO_SPI from %s; flash it, or pass spi=, cs= and reset=" % (key, _FIRMWARE))
            # The fork's WIZNET_PIO_SPI takes its pins as keywords only (ValueError else).
            if bus == "pio":
                lanes = {"mosi": Pin(cfg["mosi"]), "miso": Pin(cfg["miso"])}
            else:  # qspi
                lanes = {"io%d" % i: Pin(cfg["io%d" % i]) for i in range(4)}
            spi = pio_spi(cfg["baudrate"], sck=Pin(cfg["sck"]), cs=Pin(cfg["cs"]), **lanes)
    args = [spi, Pin(cfg["cs"]), Pin(cfg["reset"])]
    if cfg["intn"] is not None and _lwip(driver):  # the chip-stack driver takes 3 arguments
        args.append(Pin(cfg["intn"]))
    return driver(*args)


# -- bring-up ---------------------------------------------------------------------------


def _bring_up(drv, static, timeout_ms, clock, verbose):
    """Configure the address and wait, bounded, for link and address."""
    start = clock.ticks_ms()
    # chip: the chip stack, where DHCP runs only inside the blocking ifconfig('dhcp') and
    # the chip may still hold an address from an earlier activation (the driver writes
    # back what it kept: a previous lease, or its defaults 192.168.0.18 - network_wiznet5k.c
    # wiznet5k_init): no address counts until a DHCP try has succeeded.
    chip = leased = False
    lwip_dhcp = False
    if static is not None:
        drv.ifconfig(static)
    elif _lwip(drv):
        # lwIP: DHCP started with active(True) (wiznet5k_lwip_init) and runs by itself;
        # ipconfig (v1.23+) restarts it and returns. Before v1.23 there is only the
        # blocking ifconfig('dhcp') (up to 10 s, whatever timeout_ms says): not needed.
        lwip_dhcp = True
        if hasattr(drv, "ipconfig"):
            drv.ipconfig(dhcp4=True)
    elif not isinstance(drv, HostNIC):
        chip = True
    link_was = _link_up(drv)
    shown = 0
    while True:
        if (leased or not chip) and _has_address(drv):
            return
        waited = ticks_diff(clock.ticks_ms(), start)
        if waited >= timeout_ms:
            raise _bringup_failure(drv, static is None, timeout_ms)
        if verbose and waited >= shown:
            print("Waiting for the network to connect...")
            shown = waited + 1000
        link = _link_up(drv)
        if chip and link is not False:
            # Nothing runs DHCP between calls on the chip stack: try again while time
            # remains (each try blocks up to 4 x 3 s and raises when no lease came).
            try:
                drv.ifconfig("dhcp")
                leased = True
            except OSError:
                pass
            continue
        if lwip_dhcp and link and link_was is False:
            # The cable just came in: lwIP's DHCP retries back off (DISCOVERs at 0, 2,
            # 6, 14, 30 s...), so without a restart the lease waits for the next one.
            _restart_dhcp(drv)
        link_was = link
        clock.sleep_ms(min(_STEP_MS, timeout_ms - waited))


def _restart_dhcp(drv):
    try:
        if hasattr(drv, "ipconfig"):
            drv.ipconfig(dhcp4=True)
        else:  # before v1.23: restarts DHCP and waits for it, up to 10 s
            drv.ifconfig("dhcp")
    except OSError:
        pass


def _has_address(drv):
    # isconnected() is link && active on the chip stack (no address check there): an
    # address is a non-zero ifconfig()[0].
    return drv.isconnected() and drv.ifconfig()[0] != "0.0.0.0"


def _link_up(drv):
    """True/False where the driver tells the PHY link state, else None."""
    try:
        return drv.status() != 0  # WIZNET5K: 0 = no link, 1 = link, 2 = link and active
    except (AttributeError, TypeError, ValueError, OSError):
        return None


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
