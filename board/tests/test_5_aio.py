"""Scenario 5: the asyncio client (examples/tcp_client_echo_async.py: the echo client
as a task beside a heartbeat task) through a server outage on the real firmware. During
the outage the server's SYNs are dropped, so a connect attempt waits its full
connect_timeout_ms: the heartbeat must keep beating while it does - the client never
blocks the event loop - and the echo works again once the server is back."""
from boardcase import BoardCase, EchoServer
from harness import SynBlock, example_source


class AsyncEcho(BoardCase):
    def setUp(self):
        self.server = EchoServer()
        self.block = None

    def tearDown(self):
        if self.block is not None:
            self.block.remove()
        if self.board.running is not None:
            self.board.interrupt()
            self.board.finish(30)
        self.server.stop()

    def test_heartbeat_keeps_beating_through_an_outage(self):
        b = self.board
        b.start(example_source("tcp_client_echo_async.py"))
        b.wait_for("Connected to computer", 90)
        self.server.wait_clients(1, 20)
        self.assertTrue(self.server.say("hello"))

        self.block = SynBlock(8082)  # connects now hang until connect_timeout_ms
        self.server.stop()
        b.wait_for("timeout in connect", 120)
        self.block.remove()
        self.block = None
        self.server.start()
        self.server.wait_clients(1, 90)
        self.assertTrue(self.server.say("hello again"))
        b.interrupt()
        r = b.finish(30)
        self.assertEqual(r.err, "")
        lines = r.out.splitlines()

        # The attempt that timed out: heartbeats went on while it waited.
        failed = next(i for i, line in enumerate(lines) if "timeout in connect" in line)
        started = max(i for i in range(failed) if lines[i].startswith("Preparing to connect"))
        beats_during = [line for line in lines[started:failed] if line.startswith("heartbeat")]
        self.assertGreaterEqual(len(beats_during), 2, "\n".join(lines[started : failed + 1]))
        # Every beat is there, numbered 1, 2, 3, ... in order.
        numbers = [int(line.split()[1].rstrip(":")) for line in lines if line.startswith("heartbeat")]
        self.assertEqual(numbers, list(range(1, len(numbers) + 1)))
        self.assertIn("Replied: b'Client echo: hello again'", r.out)
        gaps = [int(line.split()[2]) for line in lines if line.startswith("heartbeat")]
        with open(self.board.log_path + ".gaps", "w") as f:  # a figure for the docs, not asserted
            f.write("heartbeats %d, longest gap %d ms, during the hanging connect %d\n" % (len(gaps), max(gaps), len(beats_during)))
