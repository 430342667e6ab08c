"""Scenario 8: nothing leaks over many connect / echo / disconnect cycles on the board:
neither lwIP's socket slots (how many sockets can be opened until ENOMEM is the same
before and after) nor the heap (flat from cycle to cycle). The real slot limit and the
heap figures are written to build/board/leaks.txt."""
import os

from boardcase import BoardCase
from harness import HOST_IP, RUN_DIR, EchoPeer

CYCLES = 40

SLOTS = """
import socket, gc, time
time.sleep_ms(1000)  # let lwIP finish the closes of what ran before (FIN_WAIT -> TIME_WAIT)
def slots(connect):
    socks = []
    ok = 0
    err = None
    try:
        for i in range(64):
            s = socket.socket()
            socks.append(s)
            if connect:
                s.connect(("{host}", {port}))
            ok += 1
    except OSError as e:
        err = e.errno
    for s in socks:
        s.close()
    gc.collect()
    return ok, err
print("RESULT", {{"open": slots(False), "connected": slots(True)}})
"""

CYCLE = """
import gc, time
from wiznet_net import Backoff, ReconnectingTCPClient
class Once:
    def on_connect(self, c):
        c.send(b"ping")
    def on_data(self, c, data):
        self.got += data
        if self.got == b"ping":
            c.stop()
heaps = [0] * {cycles}  # allocated up front: a growing list would show as a leak
for i in range({cycles}):
    h = Once()
    h.got = b""
    c = ReconnectingTCPClient("{host}", {port}, h, backoff=Backoff(initial_ms=100, max_ms=1000))
    for _ in range(500):
        c.poll(20)
        if c.stopped:
            break
    if not c.stopped:
        raise AssertionError("cycle %d: no echo (got %r, stats %r)" % (i, h.got, c.stats))
    del c, h
    gc.collect()
    heaps[i] = gc.mem_free()
print("RESULT", {{"heaps": heaps}})
"""


class Leaks(BoardCase):
    variant = "mpy"

    def test_slots_and_heap_flat_over_many_cycles(self):
        self.up()
        peer = EchoPeer(8090)
        try:
            before = self.board.run(SLOTS.format(host=HOST_IP, port=8090), 120).result
            heaps = self.board.run(CYCLE.format(host=HOST_IP, port=8090, cycles=CYCLES), 600).result["heaps"]
            after = self.board.run(SLOTS.format(host=HOST_IP, port=8090), 120).result
        finally:
            peer.stop()
        with open(os.path.join(RUN_DIR, "leaks.txt"), "w") as f:
            f.write("sockets until the error (count, errno) before: %r\n" % (before,))
            f.write("after %d cycles: %r\n" % (CYCLES, after))
            f.write("free heap after each cycle: %r\n" % (heaps,))
        self.assertEqual(peer.accepted, CYCLES + 2 * before["connected"][0])
        # lwIP's slots: the same number opens before and after, and running out is ENOMEM
        self.assertEqual(before, after)
        self.assertEqual(before["open"][1], 12)
        # heap: from the 5th cycle on (first-use allocations done) it stays flat
        steady = heaps[4:]
        self.assertLessEqual(max(steady) - min(steady), 64, heaps)
