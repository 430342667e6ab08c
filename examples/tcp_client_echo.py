# The W55RP20-EVB-MKR TCP client tutorial, on wiznet_net: get an address by DHCP,
# connect to the PC's TCP server, answer every message with "Client echo: ...".
# What the library adds: bounded DHCP wait, backoff instead of a fixed 2 s retry, the
# reason for each failure in plain words, no leaked socket, no hang in recv().
from wiznet_net import Backoff, ReconnectingTCPClient, nic

# Your board: None is the board this firmware was built for (WIZnet's and mainline
# firmware name it), or a name such as "W55RP20-EVB-MKR", "W5500-EVB-Pico",
# "W6100-EVB-Pico2" - put one here if nic() says the firmware names no known board.
BOARD = None
# IP address and listening port of the computer's TCP server
PC_IP = "192.168.1.119"
PC_PORT = 8082

try:  # on the unix port (the demo, the tests) the environment may override them
    from os import getenv

    PC_IP = getenv("PC_IP") or PC_IP
    PC_PORT = int(getenv("PC_PORT") or PC_PORT)
except ImportError:  # boards have no getenv
    pass

# Bring up the board's Ethernet; dhcp=True gets the address from the router
eth = nic(BOARD, dhcp=True, timeout_ms=15000)
print("IP:", eth.ifconfig()[0])


class Echo:
    def on_connecting(self, client):
        print("Preparing to connect to computer...")

    def on_connect(self, client):
        print("Connected to computer, waiting for data from computer...")

    def on_data(self, client, data):
        # data is whatever piece of the byte stream has arrived: a message may come in
        # several pieces (a slow sender: one byte at a time), or several in one piece.
        # For whole lines, wrap the handler: framing.Lines(Echo()) calls
        # on_message(client, line) once per line (see wiznet_net.framing).
        print("Received command:", data)
        reply = b"Client echo: " + data
        client.send(reply)
        print("Replied:", reply)

    def on_disconnect(self, client, failure):
        if client.stopped:
            print("Stopped: connection closed")
        elif failure is None:
            print("Computer actively disconnected")
        else:
            print("Connection failed or disconnected:", failure)
            print("  why:", failure.hint)
        if not client.stopped:  # the next attempt waits the backoff delay, at most this
            print("  reconnecting within %d ms" % client.backoff.ceiling_ms)

    def on_connect_failed(self, client, failure, retry_in_ms):
        print("Connection failed or disconnected:", failure)
        print("  why:", failure.hint)
        if retry_in_ms is not None:
            print("  retrying in %d ms" % retry_in_ms)


client = ReconnectingTCPClient(
    PC_IP,
    PC_PORT,
    Echo(),
    backoff=Backoff(initial_ms=500, factor=2, max_ms=30000),
    connect_timeout_ms=5000,
    idle_timeout_ms=None,  # the PC may stay silent for hours; set a bound if it must not
    nic=eth,
)
try:
    client.run()
except KeyboardInterrupt:  # Ctrl-C in Thonny or a terminal
    client.stop()
