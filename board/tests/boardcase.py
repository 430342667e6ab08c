"""What the board tests share: a board per test class (booted from the filesystem image
with the library), dnsmasq when the class wants DHCP, the scripts that bring the
interface up on the board, and the PC-side echo server of the tutorial."""
import importlib.util
import os
import time
import unittest

from harness import BOARD_IP, HOST_IP, ROOT, Board, Dhcp, fs_image, wait_until



def load_pc_server():
    spec = importlib.util.spec_from_file_location("pc_server", os.path.join(ROOT, "examples", "pc_server.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class EchoServer:
    """examples/pc_server.py's PCServer on the namespace's address, quiet, restartable."""

    def __init__(self, port=8082):
        self.port = port
        self.lines = []
        self.server = None
        self.start()

    def start(self):
        mod = load_pc_server()
        self.server = mod.PCServer(HOST_IP, self.port, log=self.lines.append)
        self.server.start()

    def stop(self):
        if self.server is not None:
            self.server.stop()
            self.server = None

    def restart(self):
        self.stop()
        self.start()

    def replies(self):
        return b"".join(data for _, data in self.server.replies)

    def wait_clients(self, n, timeout):
        wait_until(lambda: self.server.clients >= n, timeout, what="%d board connection(s) to the echo server" % n)

    def wait_no_clients(self, timeout):
        wait_until(lambda: self.server.clients == 0, timeout, what="the board's connection to close")

    def say(self, text, timeout=20):
        """Send `text` to every connected board; wait for 'Client echo: text' back."""
        want = b"Client echo: " + text.encode()
        before = len(self.replies())
        if not self.server.send_all(text.encode()):
            raise AssertionError("no board connected to the echo server")
        wait_until(lambda: want in self.replies()[before:], timeout, what="the echo of %r" % text)
        return True


UP = """
from wiznet_net import nic
eth = nic("W5500-EVB-Pico", {args})
print("RESULT", {{"ifconfig": eth.ifconfig(), "status": eth.status()}})
"""


class BoardCase(unittest.TestCase):
    """A test class with its own board. Class attributes: `variant` ("py" or "mpy": the
    library's files on the board), `cable` (plugged at power-on), `dhcp` (run dnsmasq),
    `firmware` (None: firmware.bin; harness.FIRMWARE_CHIPSTACK: the WIZNET5K without lwIP)."""

    variant = "py"
    cable = True
    dhcp = True
    firmware = None

    @classmethod
    def setUpClass(cls):
        cls.fs, _ = fs_image(cls.variant)
        cls.dhcp_server = Dhcp() if cls.dhcp else None
        cls.board = None
        try:
            cls.board = Board(cable=cls.cable, fs=cls.fs, name=cls.__name__, firmware=cls.firmware)
            cls.board.raw(timeout=30)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.board is not None:
            cls.board.close()
        if cls.dhcp_server is not None:
            cls.dhcp_server.stop()

    def up(self, args="dhcp=True, timeout_ms=15000", timeout=60):
        """nic() on the board; the interface is `eth` in the board's globals afterwards."""
        r = self.board.run(UP.format(args=args), timeout=timeout).result
        self.assertEqual(r["ifconfig"][0], BOARD_IP if "ip=" not in args else r["ifconfig"][0])
        return r


def board_ms_since(board, t0):
    return board.clock_ms() - t0


def sleep_wall(s):
    time.sleep(s)
