# WIZnet's loopback server example, on wiznet_net: the board listens on port 5000 and
# sends every client back what it sent - several clients at once. What the library adds
# to the tutorial's listen / accept / recv / send loop: up to 4 clients served together
# (lwIP's 5 TCP slots on the board, one left for an outgoing connection), a fifth turned
# away at once instead of left hanging, a client that goes silent or stops reading loses
# its slot, a pulled cable is noticed, and no socket is left open on any path - Ctrl-C
# included. Drive it from a PC with examples/pc_loopback_client.py.
from wiznet_net import TCPServer, nic

# Your board: None is the board this firmware was built for (see tcp_client_echo.py).
BOARD = None
# The port to listen on (WIZnet's loopback examples use 5000) and the address: "0.0.0.0"
# is every address the board has, whatever DHCP gives it.
PORT = 5000
BIND = "0.0.0.0"
# A client that sends nothing this long loses its slot (None: never - then a silent
# client could keep its slot for ever).
IDLE_TIMEOUT_MS = 60000

try:  # on the unix port (the demo, the tests) the environment may override them
    from os import getenv

    PORT = int(getenv("PORT") or PORT)
    BIND = getenv("BIND") or BIND
    IDLE_TIMEOUT_MS = int(getenv("IDLE_TIMEOUT_MS") or IDLE_TIMEOUT_MS)
except ImportError:  # boards have no getenv
    pass

eth = nic(BOARD, dhcp=True, timeout_ms=15000)
print("IP:", eth.ifconfig()[0])


class Loopback:
    def on_connect(self, conn):
        print("Connected:", conn.peer)

    def on_data_into(self, conn, buf, n):
        # The first n bytes of the server's receive buffer, sent straight back: nothing
        # is copied or allocated per message. (on_data(conn, data) gets a copy instead.)
        conn.send(buf, n)

    def on_disconnect(self, conn, failure):
        if failure is None:
            print("Disconnected:", conn.peer)
        else:
            print("Disconnected:", conn.peer, failure)
            print("  why:", failure.hint)


server = TCPServer(PORT, Loopback(), bind=BIND, max_clients=4, idle_timeout_ms=IDLE_TIMEOUT_MS, nic=eth)
print("Listening on %s:%d" % (eth.ifconfig()[0] if BIND == "0.0.0.0" else BIND, PORT))
try:
    server.run()
except KeyboardInterrupt:  # Ctrl-C in Thonny or a terminal: run() has closed every socket
    print("Stopped:", server.stats)
