"""Scenario 6: installing as the README says, on a board that has nothing of the
library yet. (a) The board's own mip over its own network: mip.install() of the
checkout's package.json (relative URLs) served by an HTTP server in the namespace, then
the echo example from the installed files. (b) From the PC side: `mpremote connect
socket://... mip install` of the same package.json, then `mpremote run` of the example."""
import hashlib
import json
import os
import subprocess
import tempfile

from boardcase import BoardCase, EchoServer
from harness import HOST_IP, PYTHON, ROOT, Board, Process, example_source, port_open, wait_until

HTTP_PORT = 8000
URL = "http://%s:%d/package.json" % (HOST_IP, HTTP_PORT)
MPREMOTE = os.path.join(ROOT, ".venv", "bin", "mpremote")

NET = """
import network, time
n = network.WIZNET5K()
n.active(True)
n.ipconfig(dhcp4=True)
for _ in range(300):
    if n.isconnected():
        break
    time.sleep_ms(50)
print("RESULT", n.ifconfig())
"""

HASHES = """
import hashlib, binascii, os
out = {}
for name in sorted(os.listdir("/lib/wiznet_net")):
    h = hashlib.sha256()
    with open("/lib/wiznet_net/" + name, "rb") as f:
        h.update(f.read())
    out[name] = binascii.hexlify(h.digest()).decode()
print("RESULT", out)
"""


def package_files():
    with open(os.path.join(ROOT, "package.json")) as f:
        urls = json.load(f)["urls"]
    want = {}
    for dest, src in urls:
        with open(os.path.join(ROOT, src), "rb") as f:
            want[os.path.basename(dest)] = hashlib.sha256(f.read()).hexdigest()
    return want


class Install(BoardCase):
    @classmethod
    def setUpClass(cls):
        cls.http = Process(
            "http", [PYTHON, "-m", "http.server", str(HTTP_PORT), "--bind", HOST_IP, "--directory", ROOT],
            ready=lambda: port_open(HOST_IP, HTTP_PORT),
        )
        cls.fs = None  # a blank flash: the firmware formats its filesystem at boot
        from harness import Dhcp

        cls.dhcp_server = Dhcp()
        cls.board = None

    @classmethod
    def tearDownClass(cls):
        cls.http.stop()
        super().tearDownClass()

    def check_installed(self, board):
        got = board.run(HASHES, 60).result
        self.assertEqual(got, package_files())

    def echo_with(self, board):
        server = EchoServer()
        try:
            board.start(example_source("tcp_client_echo.py"))
            server.wait_clients(1, 90)
            self.assertTrue(server.say("hello"))
            board.interrupt()
            r = board.finish(30)
            self.assertEqual(r.err, "")
            self.assertIn("Stopped: connection closed", r.out)
        finally:
            server.stop()

    def test_a_board_mip_install_then_the_example(self):
        with Board(name="MipOnBoard") as b:
            b.raw()
            self.assertFalse(b.run("import os\nprint('RESULT', 'lib' in os.listdir('/'))").result)  # nothing yet
            b.run(NET, 60)
            r = b.run("import mip\nmip.install(%r, target='/lib')" % URL, 300)
            self.assertIn("Done", r.out)
            self.check_installed(b)
            b.soft_reset()  # a fresh interpreter: the example imports from /lib
            self.echo_with(b)

    def test_b_mpremote_mip_install_then_run(self):
        port = 2217
        with Board(name="MipFromPC", tcp=port) as b:
            wait_until(lambda: port_open("127.0.0.1", port), 20, what="the board's serial port on tcp")
            dev = ["connect", "socket://127.0.0.1:%d" % port]
            r = subprocess.run([MPREMOTE] + dev + ["mip", "install", "--target", "/lib", URL],
                               capture_output=True, text=True, timeout=300)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            r = subprocess.run([MPREMOTE] + dev + ["exec", HASHES], capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            line = [x for x in r.stdout.splitlines() if x.startswith("RESULT ")][0]
            self.assertEqual(eval(line[7:], {}), package_files())
            # Deploy and run the example from the PC, as a user would with mpremote.
            server = EchoServer()
            with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
                f.write(example_source("tcp_client_echo.py"))
            proc = subprocess.Popen([MPREMOTE] + dev + ["run", f.name], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            try:
                server.wait_clients(1, 120)
                self.assertTrue(server.say("hello"))
            finally:
                proc.terminate()
                try:
                    proc.communicate(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.communicate()
                server.stop()
                os.unlink(f.name)
