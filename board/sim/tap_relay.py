#!/usr/bin/env python3
"""Relay Ethernet frames between a Linux TAP device and stdin/stdout.

    python3 tap_relay.py TAPNAME

Node cannot issue the TUNSETIFF ioctl, so the emulator runs this beside it. Both
directions carry frames as a 2-byte big-endian length, then the frame. The TAP device
must exist already (``ip tuntap add dev TAPNAME mode tap``, in the namespace this runs
in). Ends when stdin closes.
"""
import fcntl
import os
import selectors
import struct
import sys

TUNSETIFF = 0x400454CA  # linux/if_tun.h
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000  # frames without the 4-byte packet-information prefix


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    os.set_blocking(fd, False)
    return fd


def main():
    tap = open_tap(sys.argv[1])
    out = sys.stdout.fileno()
    inp = sys.stdin.fileno()
    sel = selectors.DefaultSelector()
    sel.register(tap, selectors.EVENT_READ, "tap")
    sel.register(inp, selectors.EVENT_READ, "in")
    pending = bytearray()
    while True:
        for key, _ in sel.select():
            if key.data == "tap":
                while True:
                    try:
                        frame = os.read(tap, 65536)
                    except BlockingIOError:
                        break
                    os.write(out, struct.pack(">H", len(frame)) + frame)
            else:
                chunk = os.read(inp, 65536)
                if not chunk:
                    return
                pending += chunk
                while len(pending) >= 2:
                    n = struct.unpack_from(">H", pending)[0]
                    if len(pending) < 2 + n:
                        break
                    try:
                        os.write(tap, bytes(pending[2 : 2 + n]))
                    except OSError:
                        pass  # interface down: the frame is lost, as on a wire
                    del pending[: 2 + n]


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
