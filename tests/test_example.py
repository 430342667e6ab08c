# The echo example end to end: tools/demo.py runs examples/tcp_client_echo.py under this
# same micropython against examples/pc_server.py on 127.0.0.1 - server down at start,
# hello -> Client echo: hello, an outage, the recovery, Ctrl-C - and checks every step.
import os
import sys
import unittest

from support import ROOT, micropython_only

LOG = ROOT + "/build/demo.log"


class EchoExample(unittest.TestCase):
    def test_demo_end_to_end(self):
        micropython_only("the demo runs the example under micropython")
        python = os.getenv("PYTHON") or "python3"
        micropython = os.getenv("MICROPYTHON") or sys.executable
        status = os.system("MICROPYTHON='%s' %s %s/tools/demo.py --check > %s 2>&1" % (micropython, python, ROOT, LOG))
        with open(LOG) as f:
            log = f.read()
        failed = [line for line in log.splitlines() if "FAIL" in line]
        self.assertEqual(status, 0, "the demo failed (%s); its transcript is in %s" % (failed, LOG))
        for line in (
            "board | Preparing to connect to computer...",
            "board | Connection failed or disconnected: refused in connect",
            "board |   why: nothing listens on 127.0.0.1:",
            "board | Connected to computer, waiting for data from computer...",
            "board |   reconnecting within ",  # after the outage's disconnect: when it retries
            "board | Received command: b'hello'",
            "board | Replied: b'Client echo: hello'",
            "board | Received command: b'hello again'",
            "board | Replied: b'Client echo: hello again'",
            "demo  | every step passed",
        ):
            self.assertIn(line, log)

    def test_async_demo_end_to_end(self):
        # The same scenario for the asyncio example; its heartbeat task must keep time.
        micropython_only("the demo runs the example under micropython")
        python = os.getenv("PYTHON") or "python3"
        micropython = os.getenv("MICROPYTHON") or sys.executable
        log_path = ROOT + "/build/demo-async.log"
        status = os.system(
            "MICROPYTHON='%s' %s %s/tools/demo.py --check --async > %s 2>&1" % (micropython, python, ROOT, log_path)
        )
        with open(log_path) as f:
            log = f.read()
        failed = [line for line in log.splitlines() if "FAIL" in line]
        self.assertEqual(status, 0, "the async demo failed (%s); its transcript is in %s" % (failed, log_path))
        self.assertIn("board | Replied: b'Client echo: hello again'", log)
        self.assertIn("demo  | ok:   heartbeat kept its rhythm", log)


class LoopbackServerExample(unittest.TestCase):
    def test_loopback_demo_end_to_end(self):
        # make demo-server: examples/tcp_server_loopback.py under this micropython, driven
        # by examples/pc_loopback_client.py - clients at once, a storm, a silent client.
        micropython_only("the demo runs the example under micropython")
        python = os.getenv("PYTHON") or "python3"
        micropython = os.getenv("MICROPYTHON") or sys.executable
        log_path = ROOT + "/build/demo-server.log"
        status = os.system(
            "MICROPYTHON='%s' %s %s/tools/loopback_demo.py --check > %s 2>&1" % (micropython, python, ROOT, log_path)
        )
        with open(log_path) as f:
            log = f.read()
        failed = [line for line in log.splitlines() if "FAIL" in line]
        self.assertEqual(status, 0, "the server demo failed (%s); its transcript is in %s" % (failed, log_path))
        for line in (
            "pc    | 3 clients x 20 messages of 200 bytes: 60 came back whole",
            "pc    | storm of 12 connects: 4 served, 8 rejected at once, 0 unanswered",
            "board | Stopped: ",
            "demo  | every step passed",
        ):
            self.assertIn(line, log)

    def test_the_board_is_a_setting_at_the_top(self):
        with open(ROOT + "/examples/tcp_server_loopback.py") as f:
            code = f.read()
        self.assertIn("\nBOARD = None\n", code)
        self.assertIn("nic(BOARD,", code)


def bring_up_part(example):
    """The example's code up to its handler: settings, imports and the nic() call."""
    with open(ROOT + "/examples/" + example) as f:
        source = f.read()
    return source[: source.index("\nclass Echo")]


class ExampleSettings(unittest.TestCase):
    def test_the_board_is_a_setting_beside_pc_ip_and_pc_port(self):
        for example in ("tcp_client_echo.py", "tcp_client_echo_async.py"):
            code = bring_up_part(example)
            settings = [line.split(" =")[0] for line in code.splitlines() if line[:1].isupper() and " = " in line]
            self.assertEqual(settings[:3], ["BOARD", "PC_IP", "PC_PORT"])
            self.assertIn("\nBOARD = None\n", code)
            self.assertIn("nic(BOARD,", code)

    def test_the_echo_example_comes_up_on_a_w5500_evb_pico_unchanged(self):
        # The report: on a W5500-EVB-Pico (mainline firmware) the example ended in
        # "w55rp20-evb-mkr needs machine.WIZNET_PIO_SPI". With BOARD = None it takes the
        # board the firmware names (sys.implementation._machine, faked here).
        from fake_board import FakeBoard
        from support import FakeClock, Quiet

        with FakeBoard(FakeClock(), "mainline/W5500_EVB_PICO") as board, Quiet():
            scope = {}
            exec(bring_up_part("tcp_client_echo.py"), scope)
        # the board's own pins, its interrupt line included: WIZNET5K() with no arguments
        self.assertEqual(board.made, [("WIZNET5K", (), {})])
        self.assertTrue(scope["eth"].isconnected())

    def test_the_asyncio_example_under_cpython_says_it_needs_micropython(self):
        python = os.getenv("PYTHON") or "python3"
        log = ROOT + "/build/async-on-cpython.log"
        status = os.system(
            "cd '%s' && PYTHONPATH=. PC_IP=127.0.0.1 PC_PORT=9 timeout 20 %s examples/tcp_client_echo_async.py > %s 2>&1"
            % (ROOT, python, log)
        )
        with open(log) as f:
            out = f.read()
        self.assertNotEqual(status, 0)
        self.assertIn("RuntimeError: AsyncReconnectingTCPClient needs MicroPython's asyncio", out)
        self.assertFalse("unknown in connect" in out, out)
