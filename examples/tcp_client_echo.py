# The W55RP20-EVB-MKR TCP client tutorial, on wiznet_net: get an address by DHCP,
# connect to the PC's TCP server, answer every message with "Client echo: ...".
# What the library adds: bounded DHCP wait, backoff instead of a fixed 2 s retry, the
# reason for each failure in plain words, no leaked socket, no hang in recv().
from wiznet_net import Backoff, ReconnectingTCPClient, nic

# IP address and listening port of the computer's TCP server
PC_IP = "192.168.1.119"
PC_PORT = 8082

try:  # on the unix port (the demo, the tests) the environment may override them
    from os import getenv

    PC_IP = getenv("PC_IP") or PC_IP
    PC_PORT = int(getenv("PC_PORT") or PC_PORT)
except ImportError:  # boards have no getenv
    pass

# Initialize the W55RP20-EVB-MKR network; dhcp=True gets the address from the router
eth = nic("W55RP20-EVB-MKR", dhcp=True, timeout_ms=15000)
print("IP:", eth.ifconfig()[0])


class Echo:
    def on_connecting(self, client):
        print("Preparing to connect to computer...")

    def on_connect(self, client):
        print("Connected to computer, waiting for data from computer...")

    def on_data(self, client, data):
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
