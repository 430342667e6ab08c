# nic() on fake board modules (network, machine): the unix port has no WIZnet hardware.
# The fakes behave like the drivers: mainline WIZNET5K with lwIP, WIZnet's WIZNET6K fork
# with machine.WIZNET_PIO_SPI, and the chip-stack WIZNET5K whose DHCP blocks and raises.
import unittest

from support import FakeBoard, FakeClock, NoNetwork, Quiet, raises
from wiznet_net import Failure, nic
from wiznet_net.ethernet import BOARDS, HostNIC, detect_board


def bring_up(board, name="W55RP20-EVB-MKR", **kw):
    with board, Quiet() as out:
        drv = nic(name, clock=board.clock, **kw)
    return drv, out.lines


class Boards(unittest.TestCase):
    def setUp(self):
        self.clock = FakeClock()

    def made(self, board):
        return [(what, args, kw) for what, args, kw in board.made]

    def test_w55rp20_mkr_on_wiznet_firmware_uses_pio_spi(self):
        b = FakeBoard(self.clock, driver="WIZNET6K")
        drv, lines = bring_up(b, "W55RP20-EVB-MKR")
        P = b.Pin
        self.assertEqual(
            b.made[0],
            ("WIZNET_PIO_SPI", (), {"baudrate": 31250000, "sck": P(21), "cs": P(20), "mosi": P(23), "miso": P(22)}),
        )
        self.assertEqual(b.made[1], ("WIZNET6K", (("PIO", b.made[0][2]), P(20), P(25)), {}))
        self.assertIs(drv, b.nics[0])  # the driver object itself
        self.assertEqual(drv.ifconfig()[0], "10.0.0.2")
        self.assertIn("MAC Address: 02:90:86:88:4d:56", lines)

    def test_every_w55rp20_board_shares_the_pin_map(self):
        for name in ("w55rp20-evb-pico", "W55RP20-EVB-MKR", "  w55rp20-EVB-mkr "):
            b = FakeBoard(FakeClock(), driver="WIZNET6K")
            bring_up(b, name)
            self.assertEqual(b.made[1][1][1:], (b.Pin(20), b.Pin(25)), name)

    def test_pico_boards_on_wiznet_firmware_use_the_firmware_pins(self):
        for name in ("W5100S-EVB-Pico", "W5500-EVB-Pico", "W6100-EVB-Pico", "W5500-EVB-Pico2", "W6100-EVB-Pico2"):
            b = FakeBoard(FakeClock(), driver="WIZNET6K")
            bring_up(b, name)
            self.assertEqual(b.made, [("WIZNET6K", (), {})], name)

    def test_w6300_uses_quad_spi(self):
        b = FakeBoard(self.clock, driver="WIZNET6K")
        bring_up(b, "W6300-EVB-Pico2")
        P = b.Pin
        kw = b.made[0][2]
        self.assertEqual((kw["sck"], kw["cs"], kw["io0"], kw["io3"]), (P(17), P(16), P(18), P(21)))
        self.assertEqual(b.made[1][1][1:], (P(16), P(22)))

    def test_mainline_firmware_builds_spi0(self):
        for name in ("W5500-EVB-Pico", "W5100S-EVB-Pico", "W5100S-EVB-Pico2"):
            b = FakeBoard(FakeClock(), driver="WIZNET5K")
            bring_up(b, name)
            P = b.Pin
            self.assertEqual(
                b.made[0], ("SPI", (0,), {"baudrate": 20000000, "sck": P(18), "mosi": P(19), "miso": P(16)})
            )
            self.assertEqual(b.made[1], ("WIZNET5K", (("SPI", (0,)), P(17), P(20)), {}))

    def test_mainline_cannot_drive_fork_only_boards(self):
        for name, needs in (("W55RP20-EVB-MKR", "WIZNET_PIO_SPI"), ("W6100-EVB-Pico", "WIZNET6K")):
            b = FakeBoard(FakeClock(), driver="WIZNET5K")
            e = raises(RuntimeError, bring_up, b, name)
            self.assertIn(needs, str(e))
            self.assertEqual(b.made, [])

    def test_pins_can_be_overridden(self):
        b = FakeBoard(self.clock, driver="WIZNET5K")
        bring_up(b, "W5500-EVB-Pico", cs=5, reset=6, baudrate=10000000)
        P = b.Pin
        self.assertEqual(b.made[0][2]["baudrate"], 10000000)
        self.assertEqual(b.made[1][1][1:], (P(5), P(6)))
        # on WIZnet firmware an override means building the SPI bus explicitly
        b = FakeBoard(FakeClock(), driver="WIZNET6K")
        bring_up(b, "W5500-EVB-Pico", sck=2)
        self.assertEqual(b.made[0][0], "SPI")
        self.assertEqual(b.made[0][2]["sck"], b.Pin(2))

    def test_a_ready_spi_object(self):
        b = FakeBoard(self.clock, driver="WIZNET5K")
        bring_up(b, "W5500-EVB-Pico", spi="my-spi", cs=9)
        self.assertEqual(b.made, [("WIZNET5K", ("my-spi", b.Pin(9), b.Pin(20)), {})])

    def test_unknown_pin_is_a_type_error(self):
        b = FakeBoard(self.clock)
        e = raises(TypeError, bring_up, b, "W5500-EVB-Pico", io0=3)
        self.assertIn("io0", str(e))
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
        # this (unix) firmware names no board: with a driver present that is an error
        b = FakeBoard(self.clock)
        with b, Quiet():
            e = raises(ValueError, nic, clock=self.clock)
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
        b = FakeBoard(self.clock, driver="WIZNET6K", link=False)
        f = raises(Failure, bring_up, b, "W55RP20-EVB-MKR", timeout_ms=1000)
        self.assertEqual((f.kind, f.phase), ("no_link", "link"))
        self.assertIn("cable", f.hint)

    def test_chip_stack_dhcp_blocks_and_raises_but_the_lease_still_counts(self):
        # The chip-stack driver's ifconfig('dhcp') gives up after 12 s with a message;
        # a lease that comes at 13 s is still within our 15 s.
        b = FakeBoard(self.clock, chipstack=True, lease_after_ms=13000)
        drv, lines = bring_up(b, "W5500-EVB-Pico", timeout_ms=15000)
        self.assertTrue(drv.isconnected())
        b = FakeBoard(FakeClock(), chipstack=True, lease_after_ms=None)
        f = raises(Failure, bring_up, b, "W5500-EVB-Pico", timeout_ms=15000)
        self.assertEqual(f.kind, "timeout")

    def test_static(self):
        b = FakeBoard(self.clock)
        drv, _ = bring_up(
            b, "W5500-EVB-Pico", ip="192.168.1.20", netmask="255.255.255.0", gateway="192.168.1.1", dns="8.8.8.8"
        )
        self.assertEqual(drv.config_, ("192.168.1.20", "255.255.255.0", "192.168.1.1", "8.8.8.8"))
        b = FakeBoard(FakeClock())
        drv, _ = bring_up(b, "W5500-EVB-Pico", ip="10.1.2.3", gateway="10.1.2.254")
        self.assertEqual(drv.config_, ("10.1.2.3", "255.255.255.0", "10.1.2.254", "10.1.2.254"))

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

    def test_firmware_without_wiznet_drivers_gets_it_too(self):
        with NoNetwork(), Quiet():
            drv = nic()
        self.assertIsInstance(drv, HostNIC)

    def test_board_names_are_still_checked_on_the_host(self):
        with Quiet():
            raises(ValueError, nic, "W9999")
            raises(ValueError, nic, "W5500-EVB-Pico", ip="1.2.3")
