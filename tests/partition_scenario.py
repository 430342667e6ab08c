# Run by test_partition.py inside a network namespace of its own ("the board"):
#     micropython tests/partition_scenario.py PEER_IP PORT CONTROL_PORT IFACE
# The peer (tools/faultpeer.py) runs in a second namespace at the other end of a veth
# pair. Mid-stream this script takes its own link down: no FIN, no RST, packets simply
# vanish - a partition the kernel itself makes. Prints one line per step and exits 1 if
# a step fails.
import json
import os
import socket
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 2)[0] if "/" in __file__ else "..")
from wiznet_net import Backoff, ReconnectingTCPClient  # noqa: E402

peer_ip, port, control, iface = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ok = True


def step(good, text):
    global ok
    print(("ok    " if good else "FAIL  ") + text)
    ok = ok and good


def command(line):
    s = socket.socket()
    s.settimeout(5)
    try:
        s.connect(socket.getaddrinfo(peer_ip, control)[0][-1])
        s.send((line + "\n").encode())
        return json.loads(s.recv(65536))
    finally:
        s.close()


class Echo:
    def __init__(self):
        self.events = []
        self.data = b""

    def on_data(self, client, data):
        self.data += data
        client.send(b"Client echo: " + data)

    def on_heartbeat(self, client):
        client.send(b"\n")

    def on_disconnect(self, client, failure):
        self.events.append(("disconnect", failure and failure.kind, failure and failure.phase))

    def on_connect_failed(self, client, failure, retry_in_ms):
        self.events.append(("failed", failure.kind, failure.errno))


def run_until(client, cond, ms):
    start = time.ticks_ms()
    while not cond() and time.ticks_diff(time.ticks_ms(), start) < ms:
        client.poll(50)
    return cond()


echo = Echo()
client = ReconnectingTCPClient(
    peer_ip,
    port,
    echo,
    idle_timeout_ms=1500,
    heartbeat_ms=500,
    connect_timeout_ms=1000,
    backoff=Backoff(initial_ms=100, max_ms=400),
)
step(run_until(client, lambda: client.connected, 5000), "connected to %s:%d across the veth pair" % (peer_ip, port))
command("send hello")
step(run_until(client, lambda: echo.data == b"hello", 3000), "received hello")
time.sleep_ms(200)
step(command("received")["data"].endswith("Client echo: hello"), "the peer got the echo")

os.system("ip link set %s down" % iface)
cut = time.ticks_ms()
step(run_until(client, lambda: not client.connected, 10000), "the partition was detected")
detected = time.ticks_diff(time.ticks_ms(), cut)
print("figures partition: idle_timeout_ms=1500 heartbeat_ms=500 detected_after_ms=%d first=%r" % (detected, echo.events[:1]))
step(bool(echo.events) and echo.events[0][1:] == ("timeout", "recv"), "as an idle timeout, not a hang")
run_until(client, lambda: len(echo.events) >= 3, 3000)
print("figures while down: %r" % (echo.events[1:4],))

os.system("ip link set %s up" % iface)
healed = time.ticks_ms()
step(run_until(client, lambda: client.connected, 15000), "reconnected after the link came back")
print("figures heal: reconnected_after_ms=%d attempts=%d" % (time.ticks_diff(time.ticks_ms(), healed), client.stats["connect_failures"]))
command("send again")
step(run_until(client, lambda: echo.data.endswith(b"again"), 3000), "echo works again")
client.stop()
sys.exit(0 if ok else 1)
