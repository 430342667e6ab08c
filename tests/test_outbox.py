# Sending while disconnected. Without an outbox: ENOTCONN, nothing queued. With one:
# bounded in bytes of RAM (one ring buffer, 2 bytes of header per message), flushed in
# order right after the next on_connect, and every message that does not fit is counted
# in stats - nothing is dropped without a counter going up.
import gc
import sys
import unittest

from support import FakeClock, Peer, Recorder, SocketTestCase, poll_until, raises
from wiznet_net import Backoff, Failure, ReconnectingTCPClient
from wiznet_net.outbox import Outbox


class Queue(unittest.TestCase):
    def test_drop_oldest_keeps_the_newest(self):
        box = Outbox(size=12, policy="drop-oldest")  # two 4-byte messages and their headers
        self.assertEqual(box.put(b"aaaa"), (0, 0))
        self.assertEqual(box.put(b"bbbb"), (0, 0))
        self.assertEqual(box.put(b"cccc"), (1, 4))  # 'aaaa' made room
        self.assertEqual((len(box), box.queued_bytes), (2, 8))
        self.assertEqual([box.pop(), box.pop()], [b"bbbb", b"cccc"])

    def test_drop_newest_keeps_the_queue(self):
        box = Outbox(size=12, policy="drop-newest")
        box.put(b"aaaa")
        box.put(b"bbbb")
        self.assertEqual(box.put(b"c"), (1, 1))
        self.assertEqual([box.pop(), box.pop()], [b"aaaa", b"bbbb"])

    def test_raise_refuses_with_enobufs(self):
        box = Outbox(size=6, policy="raise")
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
        self.assertIn("size", str(raises(ValueError, Outbox, size=2)))  # not even 1 byte fits
        self.assertIn("size", str(raises(ValueError, Outbox, size=65536)))  # lengths are 2 bytes
        self.assertIn("size", str(raises(TypeError, Outbox, size="2k")))
        self.assertIn("policy", str(raises(ValueError, Outbox, policy="drop-all")))
        box = Outbox(size=16)
        self.assertIn("str", str(raises(TypeError, box.put, "h\xe9llo")))  # 5 characters, 6 bytes
        self.assertEqual(len(box), 0)
        self.assertRaises(IndexError, box.pop)

    def test_empty_messages_are_no_ops(self):
        for policy in ("drop-oldest", "drop-newest", "raise"):
            box = Outbox(size=3, policy=policy)
            box.put(b"x")  # full
            for _ in range(1000):
                self.assertEqual(box.put(b""), (0, 0))
            self.assertEqual((len(box), box.queued_bytes), (1, 1))
            self.assertEqual(box.pop(), b"x")

    def test_a_message_of_size_minus_2_fits_exactly(self):
        for policy in ("drop-oldest", "drop-newest", "raise"):
            box = Outbox(size=10, policy=policy)
            self.assertEqual(box.put(b"12345678"), (0, 0))
            if policy == "raise":
                self.assertIn("never fit", raises(Failure, box.put, b"123456789").hint)
            else:
                self.assertEqual(box.put(b"123456789"), (1, 9))  # never fits: dropped alone
            self.assertEqual(box.pop(), b"12345678")
        box = Outbox(size=10)
        box.put(b"ab")
        self.assertEqual(box.put(b"12345678"), (1, 2))  # drop-oldest empties the ring for it
        self.assertEqual((len(box), box.pop()), (1, b"12345678"))

    def test_a_view_is_copied_when_queued(self):
        box = Outbox(size=16)
        buf = bytearray(b"abcdef")
        box.put(memoryview(buf)[1:4])
        buf[1:4] = b"XYZ"
        self.assertEqual(box.pop(), b"bcd")

    def test_every_length_at_every_offset_of_the_ring(self):
        # An empty ring may start anywhere (_head is set to reach each offset directly):
        # each message, the largest included, comes back whole wherever it wraps - in its
        # header or in its payload - and a second one after it too.
        size = 11
        for start in range(size):
            for n in range(1, size - 1):
                box = Outbox(size=size)
                box._head = start
                first = bytes(range(1, n + 1))
                self.assertEqual(box.put(first), (0, 0))
                second = b"z" * (size - n - 4) if size - n - 4 > 0 else b""
                self.assertEqual(box.put(second), (0, 0))
                self.assertEqual(box.pop(), first)
                if second:
                    self.assertEqual(box.pop(), second)
                self.assertEqual((len(box), box.queued_bytes), (0, 0))

    def test_ring_against_a_list(self):
        # Against a plain list as the model, over every policy: the same drops, counts
        # and messages, in order, after hundreds of puts and pops that wrap the ring.
        for size in (7, 8, 13):
            for policy in ("drop-oldest", "drop-newest", "raise"):
                self.against_model(size, policy)

    def against_model(self, size, policy):
        box = Outbox(size=size, policy=policy)
        model = []
        state = [size * 7919 + len(policy)]

        def rand(k):  # deterministic
            state[0] = (state[0] * 1103515245 + 12345) & 0x7FFFFFFF
            return (state[0] >> 16) % k  # the high bits: the low ones cycle fast

        for step in range(1000):
            if model and rand(3) == 0:
                self.assertEqual(box.pop(), model.pop(0))
                continue
            n = rand(size + 1) if rand(4) == 0 else rand(4)  # mostly small: several fit
            msg = bytes((step + i) & 0xFF for i in range(n))
            fits = n == 0 or sum(len(m) + 2 for m in model) + n + 2 <= size
            if not fits and policy == "raise":
                self.assertEqual(raises(Failure, box.put, msg).errno, 105)
                continue
            dropped = box.put(msg)
            if fits:
                expect = (0, 0)
                if n:
                    model.append(msg)
            elif policy == "drop-newest" or n + 2 > size:
                expect = (1, n)
            else:
                expect = [0, 0]
                while sum(len(m) + 2 for m in model) + n + 2 > size:
                    expect[0] += 1
                    expect[1] += len(model.pop(0))
                expect = tuple(expect)
                model.append(msg)
            self.assertEqual(dropped, expect)
            self.assertEqual((len(box), box.queued_bytes), (len(model), sum(len(m) for m in model)))
        while model:
            self.assertEqual(box.pop(), model.pop(0))

    def test_ram_held_is_the_size(self):
        # The bound holds in memory: a 2048-byte outbox full of 1-byte messages, and
        # 20 000 empty sends on top, keep about 2 KB of heap (no object per message).
        if sys.implementation.name != "micropython":
            raise unittest.SkipTest("MicroPython only: gc.mem_alloc() measures its heap")
        one = bytearray(b"x")
        gc.collect()
        before = gc.mem_alloc()
        box = Outbox(size=2048)
        for _ in range(3000):
            box.put(one)
        for _ in range(20000):
            box.put(b"")
        gc.collect()
        kept = gc.mem_alloc() - before
        print("    figures outbox of 2048 B, full of 1-byte messages: %d B of heap kept" % kept)
        self.assertTrue(kept <= 2048 + 256, "%d B kept" % kept)
        self.assertEqual((len(box), box.queued_bytes), (682, 682))  # 2048 // 3


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
        c = self.make(Outbox(size=10, policy="drop-oldest"))
        for i in range(5):
            c.send(b"m%d;" % i)  # 3 bytes each, 5 with the header: two fit
        self.assertEqual((c.stats["dropped"], c.stats["dropped_bytes"]), (3, 9))
        c.poll(0)
        self.peer.accept()
        self.assertEqual(self.peer.recv_exactly(6), b"m3;m4;")

    def test_raise_policy_counts_and_raises(self):
        c = self.make(Outbox(size=5, policy="raise"))
        c.send(b"abc")
        f = raises(Failure, c.send, b"d")
        self.assertEqual(f.errno, 105)
        self.assertEqual((c.stats["dropped"], c.stats["dropped_bytes"]), (1, 1))

    def test_empty_sends_while_disconnected_queue_nothing(self):
        c = self.make(Outbox(size=64))
        for _ in range(20000):
            c.send(b"")
        self.assertEqual((len(c.outbox), c.stats["dropped"]), (0, 0))
        c.send(b"after")
        c.poll(0)
        self.peer.accept()
        self.assertEqual(self.peer.recv_exactly(5), b"after")

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
