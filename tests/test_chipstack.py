# Firmware whose WIZNET5K uses the chip's own TCP stack (no lwIP): its sockets refuse
# settimeout()/setblocking() with EINVAL, poll() works, recv() returns what is there.
# No such chip here, so ChipStackSocket behaves like one on top of a real loopback
# socket, and the client runs against a real peer through it.
import io
import select
import socket

import wiznet_net.client as client_module
from support import Peer, Recorder, SocketTestCase, poll_until, raises
from wiznet_net import Backoff, Failure, ReconnectingTCPClient

_MP_STREAM_POLL = 3


class ChipStackSocket(io.IOBase):
    made = []

    def __init__(self, af=socket.AF_INET, kind=socket.SOCK_STREAM, interrupt_connect=False):
        self.s = socket.socket(af, kind)
        self.poller = select.poll()
        self.poller.register(self.s, select.POLLIN)
        self.interrupt_connect = interrupt_connect
        self.closed_ = False
        ChipStackSocket.made.append(self)

    def settimeout(self, t):
        raise OSError(22)  # EINVAL: the driver has no socket timeouts

    def setblocking(self, flag):
        raise OSError(22)

    def connect(self, addr):
        if self.interrupt_connect:
            raise KeyboardInterrupt  # Ctrl-C while the chip is still trying
        self.s.connect(addr)

    def recv(self, n):
        return self.s.recv(n)

    def write(self, data, off=0, count=None):  # blocking: everything goes, as on the chip
        view = memoryview(data)[off : len(data) if count is None else off + count]
        self.s.sendall(view)
        return len(view)

    send = write

    def close(self):
        self.closed_ = True
        self.s.close()

    def fileno(self):  # CPython's poll
        return self.s.fileno()

    def ioctl(self, request, arg):  # MicroPython's poll
        if request != _MP_STREAM_POLL:
            return 0
        ready = 0
        for _, ev in self.poller.poll(0):
            ready |= ev
        return ready & (arg | select.POLLHUP | select.POLLERR)


class FakeSocketModule:
    SOCK_STREAM = socket.SOCK_STREAM
    getaddrinfo = staticmethod(socket.getaddrinfo)

    def __init__(self, **options):
        self.options = options

    def socket(self, af, kind):
        return ChipStackSocket(af, kind, **self.options)


class ChipStack(SocketTestCase):
    def setUp(self):
        super().setUp()
        ChipStackSocket.made = []
        self.real = client_module.socket
        client_module.socket = FakeSocketModule()
        self.peer = Peer()
        self.handler = Recorder(echo=True)
        self.client = ReconnectingTCPClient(
            "127.0.0.1", self.peer.port, self.handler, backoff=Backoff(initial_ms=10, jitter=0)
        )

    def tearDown(self):
        client_module.socket = self.real
        super().tearDown()  # stops the client, closes the peer, counts descriptors
        self.assertTrue(all(s.closed_ for s in ChipStackSocket.made))

    def test_echo_without_socket_timeouts(self):
        c = self.client
        self.assertTrue(c.poll(0))
        self.peer.accept()
        self.peer.send(b"hello")
        poll_until(c, lambda: self.handler.data == b"hello")
        self.assertEqual(self.peer.recv_exactly(18), b"Client echo: hello")
        self.assertEqual(c.stats["bytes_out"], 18)

    def test_peer_close_and_send_failure(self):
        c = self.client
        c.poll(0)
        self.peer.accept()
        self.peer.close_conn()
        poll_until(c, lambda: not c.connected)
        self.assertEqual(self.handler.events[-1], ("disconnect", None))
        poll_until(c, lambda: c.connected, steps=50, step_ms=20)
        self.peer.accept()
        self.peer.reset()
        import time

        time.sleep_ms(20)
        f = raises(Failure, c.send, b"x" * 100000)
        self.assertEqual((f.kind, f.phase), ("reset", "send"))
        self.assertFalse(c.connected)

    def test_ctrl_c_during_connect_leaks_nothing(self):
        client_module.socket = FakeSocketModule(interrupt_connect=True)
        raises(KeyboardInterrupt, self.client.poll, 0)
        self.assertEqual(len(ChipStackSocket.made), 1)
        self.assertTrue(ChipStackSocket.made[0].closed_)
