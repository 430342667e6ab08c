# Sending while disconnected. Without an outbox: ENOTCONN, nothing queued. With one:
# bounded in bytes, flushed in order right after the next on_connect, and every message
# that does not fit is counted in stats - nothing is dropped without a counter going up.
import unittest

from support import FakeClock, Peer, Recorder, SocketTestCase, poll_until, raises
from wiznet_net import Backoff, Failure, ReconnectingTCPClient
from wiznet_net.outbox import Outbox


class Queue(unittest.TestCase):
    def test_drop_oldest_keeps_the_newest(self):
        box = Outbox(size=10, policy="drop-oldest")
        self.assertEqual(box.put(b"aaaa"), (0, 0))
        self.assertEqual(box.put(b"bbbb"), (0, 0))
        self.assertEqual(box.put(b"cccc"), (1, 4))  # 'aaaa' made room
        self.assertEqual((len(box), box.queued_bytes), (2, 8))
        self.assertEqual([box.pop(), box.pop()], [b"bbbb", b"cccc"])

    def test_drop_newest_keeps_the_queue(self):
        box = Outbox(size=8, policy="drop-newest")
        box.put(b"aaaa")
        box.put(b"bbbb")
        self.assertEqual(box.put(b"c"), (1, 1))
        self.assertEqual([box.pop(), box.pop()], [b"aaaa", b"bbbb"])

    def test_raise_refuses_with_enobufs(self):
        box = Outbox(size=4, policy="raise")
        box.put(b"abcd")
        f = raises(Failure, box.put, b"e")
        self.assertEqual((f.kind, f.errno), ("closed", 105))
        self.assertIn("outbox is full", f.hint)

    def test_a_message_larger_than_the_box_is_dropped(self):
        box = Outbox(size=4)
        box.put(b"ab")
        self.assertEqual(box.put(b"123456"), (1, 6))
        self.assertEqual(box.pop(), b"ab")

    def test_messages_are_copied(self):
        box = Outbox(size=16)
        buf = bytearray(b"abc")
        box.put(buf)
        buf[0] = ord("X")
        self.assertEqual(box.pop(), b"abc")

    def test_bad_arguments(self):
        self.assertIn("size", str(raises(ValueError, Outbox, size=0)))
        self.assertIn("policy", str(raises(ValueError, Outbox, policy="drop-all")))


class WithClient(SocketTestCase):
    def setUp(self):
        super().setUp()
        self.peer = Peer()
        self.handler = Recorder()

    def make(self, outbox):
        backoff = Backoff(initial_ms=100, jitter=0)
        self.client = ReconnectingTCPClient(
            "127.0.0.1", self.peer.port, self.handler, outbox=outbox, backoff=backoff, clock=FakeClock()
        )
        return self.client

    def test_without_outbox_send_raises_and_nothing_is_queued(self):
        c = self.make(None)
        f = raises(Failure, c.send, b"lost?")
        self.assertEqual(f.errno, 107)
        c.poll(0)
        self.peer.accept()
        c.send(b"now")
        self.assertEqual(self.peer.recv_exactly(3), b"now")

    def test_flushed_in_order_after_on_connect(self):
        class Hello(Recorder):
            def on_connect(self, client):
                client.send(b"HELLO;")  # a login goes out before the queued data

        self.handler = Hello()
        c = self.make(Outbox(size=64))
        for msg in (b"one;", b"two;", b"three;"):
            c.send(msg)
        self.assertEqual(c.stats["dropped"], 0)
        c.poll(0)
        self.peer.accept()
        self.assertEqual(self.peer.recv_exactly(20), b"HELLO;one;two;three;")
        self.assertEqual(len(c.outbox), 0)
        self.assertEqual(c.stats["bytes_out"], 20)

    def test_overflow_is_counted(self):
        c = self.make(Outbox(size=8, policy="drop-oldest"))
        for i in range(5):
            c.send(b"m%d;" % i)  # 3 bytes each: two fit
        self.assertEqual((c.stats["dropped"], c.stats["dropped_bytes"]), (3, 9))
        c.poll(0)
        self.peer.accept()
        self.assertEqual(self.peer.recv_exactly(6), b"m3;m4;")

    def test_raise_policy_counts_and_raises(self):
        c = self.make(Outbox(size=3, policy="raise"))
        c.send(b"abc")
        f = raises(Failure, c.send, b"d")
        self.assertEqual(f.errno, 105)
        self.assertEqual((c.stats["dropped"], c.stats["dropped_bytes"]), (1, 1))

    def test_sends_during_an_outage_wait_for_the_reconnect(self):
        c = self.make(Outbox(size=64))
        c.send(b"a")
        c.poll(0)
        self.peer.accept()
        self.assertEqual(self.peer.recv_exactly(1), b"a")
        self.peer.reset()
        poll_until(c, lambda: not c.connected)
        c.send(b"b")
        c.send(b"c")
        self.assertEqual(len(c.outbox), 2)
        poll_until(c, lambda: c.connected, steps=5, step_ms=100000)
        self.peer.accept()
        self.assertEqual(self.peer.recv_exactly(2), b"bc")
