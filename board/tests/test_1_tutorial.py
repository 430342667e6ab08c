"""Scenario 1: the tutorial end to end on the real firmware. The echo example
(examples/tcp_client_echo.py, with the emulated board's name and the namespace's PC
address put in at its top) gets its address by DHCP, connects to examples/pc_server.py,
answers "hello" with "Client echo: hello", survives a server restart and echoes again."""
from boardcase import BoardCase, EchoServer
from harness import BOARD_IP, example_source


class Tutorial(BoardCase):
    def setUp(self):
        self.server = EchoServer()

    def tearDown(self):
        self.server.stop()

    def test_echo_example_end_to_end_with_a_server_restart(self):
        b = self.board
        b.start(example_source("tcp_client_echo.py"))
        out = b.wait_for("Connected to computer", 60)
        self.assertIn("IP: " + BOARD_IP, out)
        self.server.wait_clients(1, 20)
        self.assertTrue(self.server.say("hello"))

        self.server.stop()  # the PC's server goes away: a clean close reaches the board
        b.wait_for("Computer actively disconnected", 30)
        self.server.start()
        self.server.wait_clients(1, 60)  # the example reconnects by itself
        self.assertTrue(self.server.say("hello"))

        b.interrupt()  # Ctrl-C, as in Thonny: the example stops its client
        r = b.finish(30)
        self.assertEqual(r.err, "")
        self.assertIn("Received command: b'hello'", r.out)
        self.assertEqual(r.out.count("Replied: b'Client echo: hello'"), 2)
        self.assertIn("Stopped: connection closed", r.out)
        self.server.wait_no_clients(10)
