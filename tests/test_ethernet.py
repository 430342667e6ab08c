# nic() on fake board modules (network, machine): the unix port has no WIZnet hardware.
# fake_board.py models each firmware build from the driver sources it cites: mainline
# WIZNET5K over lwIP, the same before v1.23, the chip-stack WIZNET5K, and WIZnet's fork
# (WIZNET6K, with machine.WIZNET_PIO_SPI on its W55RP20 and W6300 builds).
import unittest

from fake_board import CHIP_DEFAULTS, DHCP_TIMEOUT_TEXT, LEASE, BoardWithoutWiznet, FakeBoard
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
        # The server is up from 3 s; lwIP's next DISCOVER goes out at 6 s (0, 2, 6, 14 s).
        b = FakeBoard(self.clock, lease_after_ms=3000)
        drv, lines = bring_up(b, "W5500-EVB-Pico", timeout_ms=15000)
        self.assertTrue(drv.isconnected())
        self.assertEqual(lines.count("Waiting for the network to connect..."), 6)
        self.assertEqual(self.clock.sleeps, [100] * 60)
        self.assertIn("IP Address: ('10.0.0.2', '255.255.255.0', '10.0.0.1', '10.0.0.1')", lines)

    def test_a_cable_plugged_in_during_the_wait_restarts_dhcp(self):
        # lwIP's DHCP backs off while the cable is out: plugged at 8 s, its next DISCOVER
        # would go at 14 s (board: lease 5.6 s after the plug). nic() restarts DHCP when
        # the link appears (board: lease 50 ms after the plug), on every lwIP build.
        for build in ("mainline/W5500_EVB_PICO", "mainline-1.22/W5500_EVB_PICO", "fork/W5500_EVB_PICO"):
            clock = FakeClock()
            b = FakeBoard(clock, build, link=False, plug_at_ms=8000)
            t0 = clock.now
            drv, _ = bring_up(b, "W5500-EVB-Pico", timeout_ms=15000)
            self.assertEqual(drv.ifconfig()[0], "10.0.0.2", build)
            self.assertTrue(clock.now - t0 <= 8100, (build, clock.now - t0))

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

    def test_lwip_before_1_23_waits_for_the_dhcp_that_active_started(self):
        # No ipconfig(): DHCP runs since active(True) (wiznet5k_lwip_init: dhcp_start), so
        # nic() just waits; the blocking ifconfig('dhcp') would hold it 10 s whatever
        # timeout_ms says. Server up from 12 s: lwIP's DISCOVER at 14 s gets the lease.
        b = FakeBoard(self.clock, "mainline-1.22/W5500_EVB_PICO", lease_after_ms=12000)
        drv, _ = bring_up(b, "W5500-EVB-Pico", timeout_ms=15000)
        self.assertEqual(drv.ifconfig()[0], "10.0.0.2")
        self.assertEqual(b.dhcp_calls, 0)
        self.assertEqual(sum(self.clock.sleeps), 14000)

    def test_lwip_before_1_23_without_cable_fails_after_timeout_ms_not_10_s(self):
        b = FakeBoard(self.clock, "mainline-1.22/W5500_EVB_PICO", link=False)
        t0 = self.clock.now
        f = raises(Failure, bring_up, b, "W5500-EVB-Pico", timeout_ms=3000)
        self.assertEqual(f.kind, "no_link")
        self.assertEqual(self.clock.now - t0, 3000)

    def test_chip_stack_a_second_nic_takes_a_new_lease_not_the_kept_address(self):
        # The driver writes back what it kept at each activation (wiznet5k_init): its
        # defaults (192.168.0.18) after a failed try, or the previous lease. Such an
        # address is no lease: nic() runs DHCP before it trusts any address.
        b = FakeBoard(self.clock, "mainline/chip-stack", lease_after_ms=None)
        raises(Failure, bring_up, b, "W5500-EVB-Pico", timeout_ms=1000)
        calls = b.dhcp_calls
        f = raises(Failure, bring_up, b, "W5500-EVB-Pico", timeout_ms=1000)
        self.assertEqual(f.kind, "timeout")
        self.assertEqual(b.dhcp_calls, calls + 1)
        self.assertIs(b.nics[0], b.nics[1])  # make_new returns the driver's one object
        b.lease_after_ms = 0
        drv, _ = bring_up(b, "W5500-EVB-Pico")
        self.assertEqual(drv.ifconfig()[0], "10.0.0.2")
        self.assertEqual(b.dhcp_calls, calls + 2)  # a fresh lease, not 192.168.0.18

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


class FakeFollowsTheBoard(unittest.TestCase):
    # What fake_board.py claims and the emulated board (real W5500_EVB_PICO firmware)
    # showed; a change to the fake that breaks one of these contradicts the board.
    def test_mainline_lwip_driver_as_the_board_shows_it(self):
        clock = FakeClock()
        b = FakeBoard(clock, lease_after_ms=None)
        with b:
            import network

            for args, kw, text in (
                ((1, 2), {}, "function missing 1 required positional arguments"),
                ((1, 2, 3, 4, 5), {}, "function expected at most 4 arguments, got 5"),
                ((), {"spi": 1}, "function doesn't take keyword arguments"),
            ):
                self.assertEqual(str(raises(TypeError, network.WIZNET5K, *args, **kw)), text)
            eth = network.WIZNET5K()
            self.assertEqual((eth.active(), eth.isconnected(), eth.status()), (False, False, 0))
            eth.active(True)
            self.assertEqual((eth.isconnected(), eth.status(), eth.ifconfig()), (False, 2, ("0.0.0.0",) * 4))
            self.assertEqual((eth.ipconfig("dhcp4"), eth.ipconfig("has_dhcp4")), (True, False))
            raises(ValueError, eth.status, "x")
            t0 = clock.now
            self.assertEqual(str(raises(OSError, eth.ifconfig, "dhcp")), DHCP_TIMEOUT_TEXT)
            self.assertTrue(10000 <= clock.now - t0 <= 10200)
            b.lease_after_ms = 0
            clock.advance(4000)  # the DISCOVER 14 s after the restart (board: lease 3.3 s after the server came)
            self.assertTrue(eth.isconnected())
            eth.ipconfig(dhcp4=True)  # renewed, kept
            self.assertEqual(eth.ifconfig()[0], "10.0.0.2")
            t0 = clock.now
            self.assertIsNone(eth.ifconfig("dhcp"))
            self.assertEqual(clock.now, t0)
            b.link = False  # the lease stays, the link goes
            self.assertEqual((eth.isconnected(), eth.status(), eth.ifconfig()[0]), (False, 0, "10.0.0.2"))
            b.link = True
            again = network.WIZNET5K()
            self.assertIs(again, eth)
            self.assertEqual((again.active(), again.status(), again.ifconfig()[0]), (False, 1, "10.0.0.2"))
            b.lease_after_ms = None  # (the fake's lease comes at once, the board's in ms)
            again.active(True)
            self.assertEqual(again.ifconfig()[0], "0.0.0.0")

    def test_chip_stack_driver_keeps_its_netinfo_across_activations(self):
        b = FakeBoard(FakeClock(), "mainline/chip-stack")
        with b:
            import network

            raises(TypeError, network.WIZNET5K)  # no board pins
            e = raises(TypeError, network.WIZNET5K, 1, 2, 3, 4)
            self.assertEqual(str(e), "function takes 3 positional arguments but 4 were given")
            eth = network.WIZNET5K(1, 2, 3)
            eth.active(True)
            self.assertEqual(eth.ifconfig()[0], "0.0.0.0")  # zeros at power-on
            self.assertTrue(eth.isconnected())  # link && active: no address needed
            network.WIZNET5K(1, 2, 3).active(True)
            self.assertEqual(eth.ifconfig(), CHIP_DEFAULTS)
            self.assertEqual(eth.ifconfig("dhcp"), LEASE)
            network.WIZNET5K(1, 2, 3).active(True)
            self.assertEqual(eth.ifconfig()[0], "10.0.0.2")  # the old lease, written back

    def test_wiznet_pio_spi_pins_are_keywords_and_all_needed(self):
        for build, full in (
            ("fork/W55RP20_EVB_PICO", {"sck": 1, "cs": 2, "mosi": 3, "miso": 4}),
            ("fork/W6300_EVB_PICO", {"sck": 1, "cs": 2, "io0": 3, "io1": 4, "io2": 5, "io3": 6}),
        ):
            b = FakeBoard(FakeClock(), build)
            with b:
                import machine
                import network

                raises(TypeError, network.WIZNET6K)  # only PIO pins in the board file
                part = dict(full)
                del part["cs"]
                self.assertIn("sck/cs", str(raises(ValueError, machine.WIZNET_PIO_SPI, 1000000, **part)))
                raises(TypeError, machine.WIZNET_PIO_SPI, 1000000, sclk=1, **full)
                spi = machine.WIZNET_PIO_SPI(1000000, **full)
                network.WIZNET6K(spi, 2, 3, 4).active(True)
