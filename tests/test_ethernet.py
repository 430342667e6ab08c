# nic() on fake board modules (network, machine): the unix port has no WIZnet hardware.
# fake_board.py models each firmware build from the driver sources it cites: mainline
# WIZNET5K over lwIP, the same before v1.23, the chip-stack WIZNET5K, and WIZnet's fork
# (WIZNET6K, with machine.WIZNET_PIO_SPI on its W55RP20 and W6300 builds).
import unittest

from fake_board import BoardWithoutWiznet, FakeBoard
from support import FakeClock, Quiet, raises
from wiznet_net import Failure, nic
from wiznet_net.ethernet import BOARDS, HostNIC, detect_board


def bring_up(board, name="W55RP20-EVB-MKR", **kw):
    with board, Quiet() as out:
        drv = nic(name, clock=board.clock, **kw)
    return drv, out.lines


class Boards(unittest.TestCase):
    def setUp(self):
        self.clock = FakeClock()

    def test_w55rp20_mkr_on_wiznet_firmware_uses_pio_spi_and_the_interrupt_pin(self):
        b = FakeBoard(self.clock, "fork/W55RP20_EVB_PICO")
        drv, lines = bring_up(b, "W55RP20-EVB-MKR")
        P = b.Pin
        self.assertEqual(
            b.made[0],
            ("WIZNET_PIO_SPI", (), {"baudrate": 31250000, "sck": P(21), "cs": P(20), "mosi": P(23), "miso": P(22)}),
        )
        # INTN is GPIO 24 (fork W55RP20_EVB_PICO/mpconfigboard.h): without it lwIP reads
        # received frames only on its 64 ms timer.
        self.assertEqual(b.made[1], ("WIZNET6K", (("PIO", b.made[0][2]), P(20), P(25), P(24)), {}))
        self.assertIs(drv, b.nics[0])  # the driver object itself
        self.assertEqual(drv.ifconfig()[0], "10.0.0.2")
        self.assertEqual(b.dhcp_calls, 1)  # the board's way: ipconfig(dhcp4=True)
        self.assertIn("MAC Address: 02:90:86:88:4d:56", lines)

    def test_every_w55rp20_board_shares_the_pin_map(self):
        for name in ("w55rp20-evb-pico", "W55RP20-EVB-MKR", "  w55rp20-EVB-mkr "):
            b = FakeBoard(FakeClock(), "fork/W55RP20_EVB_PICO")
            bring_up(b, name)
            self.assertEqual(b.made[1][1][1:], (b.Pin(20), b.Pin(25), b.Pin(24)), name)

    def test_pico_boards_on_wiznet_firmware_use_the_firmware_pins(self):
        for build, name in (
            ("fork/W5100S_EVB_PICO", "W5100S-EVB-Pico"),
            ("fork/W5500_EVB_PICO", "W5500-EVB-Pico"),
            ("fork/W6100_EVB_PICO", "W6100-EVB-Pico"),
            ("fork/W5500_EVB_PICO2", "W5500-EVB-Pico2"),
            ("fork/W6100_EVB_PICO2", "W6100-EVB-Pico2"),
        ):
            b = FakeBoard(FakeClock(), build)
            bring_up(b, name)
            self.assertEqual(b.made, [("WIZNET6K", (), {})], name)

    def test_w6300_uses_quad_spi_on_both_builds(self):
        # W6300_EVB_PICO2 also accepts WIZNET6K() with no arguments, but the chip is reached
        # only through the PIO QSPI handle: the bus must be made first on both builds.
        for build, name in (("fork/W6300_EVB_PICO", "W6300-EVB-Pico"), ("fork/W6300_EVB_PICO2", "W6300-EVB-Pico2")):
            b = FakeBoard(FakeClock(), build)
            drv, _ = bring_up(b, name)
            P = b.Pin
            kw = b.made[0][2]
            self.assertEqual(b.made[0][0], "WIZNET_PIO_SPI", build)
            self.assertEqual((kw["sck"], kw["cs"], kw["io0"], kw["io3"]), (P(17), P(16), P(18), P(21)))
            self.assertEqual(b.made[1][1][1:], (P(16), P(22), P(15)))
            self.assertTrue(drv.isconnected())

    def test_mainline_board_firmware_wires_its_own_pins_interrupt_included(self):
        # WIZNET5K() with no arguments: SPI0, CS 17, RST 20 and INTN 21 from the board's
        # mpconfigboard.h. Three arguments would leave the interrupt pin unwired.
        for build, name in (("mainline/W5500_EVB_PICO", "W5500-EVB-Pico"), ("mainline/W5100S_EVB_PICO", "W5100S-EVB-Pico")):
            b = FakeBoard(FakeClock(), build)
            bring_up(b, name)
            self.assertEqual(b.made, [("WIZNET5K", (), {})], build)

    def test_pins_overridden_on_mainline_build_spi0_and_pass_the_interrupt_pin(self):
        b = FakeBoard(self.clock, "mainline/W5500_EVB_PICO")
        bring_up(b, "W5500-EVB-Pico", cs=5, reset=6, baudrate=10000000)
        P = b.Pin
        self.assertEqual(b.made[0], ("SPI", (0,), {"baudrate": 10000000, "sck": P(18), "mosi": P(19), "miso": P(16)}))
        self.assertEqual(b.made[1][1][1:], (P(5), P(6), P(21)))
        b = FakeBoard(FakeClock(), "mainline/W5500_EVB_PICO")
        bring_up(b, "W5500-EVB-Pico", intn=None)  # unwired on purpose
        self.assertEqual(b.made[1][1][1:], (b.Pin(17), b.Pin(20)))
        # on WIZnet firmware an override means building the SPI bus explicitly
        b = FakeBoard(FakeClock(), "fork/W5500_EVB_PICO")
        bring_up(b, "W5500-EVB-Pico", sck=2)
        self.assertEqual(b.made[0][0], "SPI")
        self.assertEqual(b.made[0][2]["sck"], b.Pin(2))

    def test_chip_stack_driver_takes_exactly_three_arguments(self):
        # WIZNET5K_PROVIDED_STACK: mp_arg_check_num(n_args, n_kw, 3, 3) - no interrupt pin.
        b = FakeBoard(self.clock, "mainline/chip-stack")
        bring_up(b, "W5500-EVB-Pico")
        P = b.Pin
        self.assertEqual(b.made[1], ("WIZNET5K", (("SPI", (0,)), P(17), P(20)), {}))

    def test_a_ready_spi_object(self):
        b = FakeBoard(self.clock, "mainline/W5500_EVB_PICO")
        bring_up(b, "W5500-EVB-Pico", spi="my-spi", cs=9)
        self.assertEqual(b.made, [("WIZNET5K", ("my-spi", b.Pin(9), b.Pin(20), b.Pin(21)), {})])

    def test_a_board_the_firmware_was_not_built_for_is_named(self):
        # The chip is fixed when the firmware is built: a W5500-EVB-Pico build cannot drive
        # a W55RP20 (PIO SPI) or a W6100 - say which firmware it is, before touching pins.
        for name in ("W55RP20-EVB-MKR", "W6100-EVB-Pico"):
            b = FakeBoard(FakeClock(), "mainline/W5500_EVB_PICO")
            e = raises(ValueError, bring_up, b, name)
            self.assertIn("built for w5500-evb-pico", str(e))
            self.assertIn(name.lower(), str(e))
            self.assertEqual(b.made, [])

    def test_mainline_driver_cannot_drive_fork_only_chips(self):
        # A firmware that names no known board (here the chip-stack build) and has only
        # WIZNET5K: a W6100 needs WIZnet's WIZNET6K, a W55RP20 its PIO SPI.
        for name, needs in (("W6100-EVB-Pico", "WIZNET6K"), ("W55RP20-EVB-MKR", "WIZNET_PIO_SPI")):
            b = FakeBoard(FakeClock(), "mainline/chip-stack")
            e = raises(RuntimeError, bring_up, b, name)
            self.assertIn(needs, str(e))
            self.assertIn("WIZnet-EVB-Pico-micropython", str(e))
            self.assertEqual(b.made, [])

    def test_unknown_pin_is_a_type_error(self):
        b = FakeBoard(self.clock)
        e = raises(TypeError, bring_up, b, "W5500-EVB-Pico", io0=3)
        self.assertIn("io0", str(e))
        e = raises(TypeError, bring_up, FakeBoard(self.clock), "W5500-EVB-Pico", cs=None)
        self.assertIn("cs", str(e))
        self.assertEqual(b.made, [])

    def test_unknown_board_lists_the_known_ones(self):
        b = FakeBoard(self.clock)
        e = raises(ValueError, bring_up, b, "W5500-EVB-Nano")
        for name in BOARDS:
            self.assertIn(name, str(e))
        raises(TypeError, bring_up, FakeBoard(self.clock), 5500)

    def test_board_from_the_firmware_name(self):
        self.assertEqual(detect_board("W5500-EVB-Pico2 with RP2350"), "w5500-evb-pico2")
        self.assertEqual(detect_board("W55RP20-EVB-Pico with RP2040"), "w55rp20-evb-pico")
        self.assertEqual(detect_board("W5100S_EVB_PICO with RP2040"), "w5100s-evb-pico")
        self.assertIsNone(detect_board("Raspberry Pi Pico with RP2040"))
        b = FakeBoard(self.clock, "fork/W55RP20_EVB_PICO")
        with b, Quiet():
            nic(clock=self.clock)  # board=None: the board the firmware was built for
        self.assertEqual(b.made[0][0], "WIZNET_PIO_SPI")
        # a firmware that names no known board: board=None is an error listing them
        b = FakeBoard(FakeClock(), "mainline/chip-stack")
        with b, Quiet():
            e = raises(ValueError, nic, clock=b.clock)
        self.assertIn("w55rp20-evb-mkr", str(e))


class Addressing(unittest.TestCase):
    def setUp(self):
        self.clock = FakeClock()

    def test_dhcp_that_answers_late(self):
        b = FakeBoard(self.clock, lease_after_ms=3000)
        drv, lines = bring_up(b, "W5500-EVB-Pico", timeout_ms=15000)
        self.assertTrue(drv.isconnected())
        self.assertEqual(lines.count("Waiting for the network to connect..."), 3)
        self.assertEqual(self.clock.sleeps, [100] * 30)
        self.assertIn("IP Address: ('10.0.0.2', '255.255.255.0', '10.0.0.1', '10.0.0.1')", lines)

    def test_dhcp_that_never_answers(self):
        b = FakeBoard(self.clock, lease_after_ms=None)
        f = raises(Failure, bring_up, b, "W5500-EVB-Pico", timeout_ms=2000)
        self.assertIsInstance(f, OSError)
        self.assertEqual((f.kind, f.phase, f.errno), ("timeout", "link", 110))
        self.assertIn("link is up", f.hint)
        self.assertIn("DHCP", f.hint)
        self.assertEqual(sum(self.clock.sleeps), 2000)  # bounded by timeout_ms exactly

    def test_no_cable(self):
        b = FakeBoard(self.clock, "fork/W55RP20_EVB_PICO", link=False)
        f = raises(Failure, bring_up, b, "W55RP20-EVB-MKR", timeout_ms=1000)
        self.assertEqual((f.kind, f.phase), ("no_link", "link"))
        self.assertIn("cable", f.hint)

    def test_chip_stack_without_a_dhcp_server_is_a_timeout_not_success(self):
        # There isconnected() is link && active only: it says True with address 0.0.0.0.
        # A lease is a non-zero address; DHCP runs only inside ifconfig('dhcp'), so it is
        # tried again while time remains (each try blocks 4 x 3 s in the driver).
        b = FakeBoard(self.clock, "mainline/chip-stack", lease_after_ms=None)
        f = raises(Failure, bring_up, b, "W5500-EVB-Pico", timeout_ms=15000)
        self.assertEqual((f.kind, f.phase), ("timeout", "link"))
        self.assertIn("DHCP", f.hint)
        self.assertEqual(b.dhcp_calls, 2)  # at 0 s, and at 12 s with 3 s left
        self.assertEqual(b.nics[0].ifconfig()[0], "0.0.0.0")

    def test_chip_stack_lease_on_a_later_try(self):
        b = FakeBoard(self.clock, "mainline/chip-stack", lease_after_ms=13000)
        drv, lines = bring_up(b, "W5500-EVB-Pico", timeout_ms=15000)
        self.assertEqual(drv.ifconfig()[0], "10.0.0.2")
        self.assertEqual(b.dhcp_calls, 2)

    def test_chip_stack_waits_for_the_cable_before_dhcp(self):
        b = FakeBoard(self.clock, "mainline/chip-stack", link=False)
        f = raises(Failure, bring_up, b, "W5500-EVB-Pico", timeout_ms=1000)
        self.assertEqual(f.kind, "no_link")
        self.assertEqual(b.dhcp_calls, 0)
        self.assertEqual(sum(self.clock.sleeps), 1000)

    def test_lwip_before_1_23_keeps_dhcp_running_after_ifconfig_gives_up(self):
        # No ipconfig(): ifconfig('dhcp') waits 10 s and raises, but lwIP's DHCP goes on.
        b = FakeBoard(self.clock, "mainline-1.22/W5500_EVB_PICO", lease_after_ms=12000)
        drv, _ = bring_up(b, "W5500-EVB-Pico", timeout_ms=15000)
        self.assertEqual(drv.ifconfig()[0], "10.0.0.2")
        self.assertEqual(b.dhcp_calls, 1)

    def test_static(self):
        b = FakeBoard(self.clock)
        drv, _ = bring_up(
            b, "W5500-EVB-Pico", ip="192.168.1.20", netmask="255.255.255.0", gateway="192.168.1.1", dns="8.8.8.8"
        )
        self.assertEqual(drv.static, ("192.168.1.20", "255.255.255.0", "192.168.1.1", "8.8.8.8"))
        self.assertEqual(b.dhcp_calls, 0)
        b = FakeBoard(FakeClock(), "mainline/chip-stack")
        drv, _ = bring_up(b, "W5500-EVB-Pico", ip="10.1.2.3", gateway="10.1.2.254")
        self.assertEqual(drv.static, ("10.1.2.3", "255.255.255.0", "10.1.2.254", "10.1.2.254"))
        self.assertEqual(b.dhcp_calls, 0)

    def test_static_without_cable(self):
        b = FakeBoard(self.clock, link=False)
        f = raises(Failure, bring_up, b, "W5500-EVB-Pico", ip="192.168.1.20", timeout_ms=500)
        self.assertEqual(f.kind, "no_link")

    def test_bad_addresses_name_the_field_before_touching_hardware(self):
        cases = (
            (ValueError, "ip", {"ip": "192.168.1"}),
            (ValueError, "ip", {"ip": "192.168.1.256"}),
            (ValueError, "ip", {"ip": "a.b.c.d"}),
            (TypeError, "ip", {"ip": (192, 168, 1, 20)}),
            (ValueError, "netmask", {"ip": "192.168.1.20", "netmask": "255.0.255.0"}),
            (ValueError, "gateway", {"ip": "192.168.1.20", "gateway": "300.1.1.1"}),
            (TypeError, "dns", {"ip": "192.168.1.20", "dns": 8}),
            (ValueError, "ip", {"ip": "192.168.1.20", "dhcp": True}),
            (ValueError, "ip", {"dhcp": False}),
            (ValueError, "timeout_ms", {"timeout_ms": 0}),
            (TypeError, "timeout_ms", {"timeout_ms": "15s"}),
        )
        for exc, name, kw in cases:
            b = FakeBoard(self.clock)
            e = raises(exc, bring_up, b, "W5500-EVB-Pico", **kw)
            self.assertIn(name, str(e))
            self.assertEqual(b.made, [], kw)


class Unloading(unittest.TestCase):
    def test_bring_up_code_is_dropped_after_use(self):
        import sys

        import wiznet_net

        saved = sys.modules.pop("wiznet_net.ethernet")
        del wiznet_net.ethernet  # as on a board where nothing imported it yet
        try:
            with Quiet():
                drv = wiznet_net.nic("W55RP20-EVB-MKR")
            self.assertEqual(drv.ifconfig()[0], "127.0.0.1")
            self.assertFalse("wiznet_net.ethernet" in sys.modules)
            # not hasattr(): the package's __getattr__ imports a submodule asked for by name
            self.assertFalse("ethernet" in wiznet_net.__dict__)
        finally:
            sys.modules["wiznet_net.ethernet"] = saved
            wiznet_net.ethernet = saved

    def test_kept_when_imported_by_other_code(self):
        import sys

        import wiznet_net

        with Quiet():
            wiznet_net.nic()
        self.assertIn("wiznet_net.ethernet", sys.modules)


class Host(unittest.TestCase):
    def test_unix_port_gets_the_host_stand_in(self):
        # The unix port has no network module at all.
        with Quiet():
            drv = nic("W55RP20-EVB-MKR", dhcp=True, timeout_ms=15000)
        self.assertIsInstance(drv, HostNIC)
        self.assertEqual(drv.ifconfig()[0], "127.0.0.1")
        self.assertTrue(drv.isconnected())

    def test_a_board_without_wiznet_driver_names_the_firmware_to_flash(self):
        # Plain RPI_PICO2 or Pico W firmware: no stand-in with 127.0.0.1 and "success".
        with BoardWithoutWiznet("Raspberry Pi Pico2 with RP2350"), Quiet():
            e = raises(RuntimeError, nic, "W5500-EVB-Pico2")
        self.assertIn("Raspberry Pi Pico2 with RP2350", str(e))
        self.assertIn("WIZnet-EVB-Pico-micropython", str(e))

    def test_board_names_are_still_checked_on_the_host(self):
        with Quiet():
            raises(ValueError, nic, "W9999")
            raises(ValueError, nic, "W5500-EVB-Pico", ip="1.2.3")
