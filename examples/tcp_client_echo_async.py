# The echo client of tcp_client_echo.py as an asyncio task, next to a second task that
# prints a heartbeat every second: firmware that also reads sensors or drives relays
# while it stays connected. The heartbeat keeps its rhythm through outages and connect
# attempts - the client never blocks the event loop (use an IP address: resolving a
# name is the one thing MicroPython cannot do without blocking).
import asyncio
import time

from wiznet_net import Backoff, nic
from wiznet_net.aio import AsyncReconnectingTCPClient

# Your board (None: the one this firmware was built for) and the computer's TCP server:
# see tcp_client_echo.py.
BOARD = None
PC_IP = "192.168.1.119"
PC_PORT = 8082

try:  # on the unix port (the demo, the tests) the environment may override them
    from os import getenv

    PC_IP = getenv("PC_IP") or PC_IP
    PC_PORT = int(getenv("PC_PORT") or PC_PORT)
except ImportError:
    pass

eth = nic(BOARD, dhcp=True, timeout_ms=15000)
print("IP:", eth.ifconfig()[0])


class Echo:
    def on_connecting(self, client):
        print("Preparing to connect to computer...")

    def on_connect(self, client):
        print("Connected to computer, waiting for data from computer...")

    async def on_data(self, client, data):  # a coroutine: it may await; data: any piece of the stream
        print("Received command:", data)
        reply = b"Client echo: " + data
        await client.send(reply)
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


async def heartbeat():
    # Stands for the rest of the firmware: it must never wait for the network.
    last = time.ticks_ms()
    beat = 0
    while True:
        await asyncio.sleep_ms(1000)
        now = time.ticks_ms()
        beat += 1
        print("heartbeat %d: %d ms since the last" % (beat, time.ticks_diff(now, last)))
        last = now


client = AsyncReconnectingTCPClient(
    PC_IP,
    PC_PORT,
    Echo(),
    backoff=Backoff(initial_ms=500, factor=2, max_ms=30000),
    connect_timeout_ms=5000,
    nic=eth,
)


async def main():
    beat = asyncio.create_task(heartbeat())
    try:
        await client.run()
    finally:
        beat.cancel()


try:
    asyncio.run(main())
except KeyboardInterrupt:  # Ctrl-C in Thonny or a terminal
    client.stop()
