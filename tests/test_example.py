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
