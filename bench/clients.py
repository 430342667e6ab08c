# The board side of the benchmarks, run under micropython by bench/run.py:
#     micropython bench/clients.py VARIANT MODE PORT [BUFSIZE] [BACKOFF]
# VARIANT: lib (on_data, bytes), lib0 (on_data_into + send(buf, n): zero-copy),
#          raw (the tutorial's loop: s.recv(1024) / s.send), ceiling (the fastest loop by
#          hand: preallocated buffer, non-blocking readinto, write(buf, off, n), poll)
# MODE: echo (until the peer closes), alloc (also print bytes allocated per message),
#       recovery (retry until connected, echo once, print attempt and echo times)
# BACKOFF (lib, recovery): initial,factor,max in ms, e.g. 100,2,2000
import gc
import select
import socket
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 2)[0] if "/" in __file__ else "..")

variant, mode, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
bufsize = int(sys.argv[4]) if len(sys.argv) > 4 else 1024
ADDR = socket.getaddrinfo("127.0.0.1", port)[0][-1]
IPPROTO_TCP, TCP_NODELAY = 6, 1  # Linux numbers: every variant turns Nagle off alike
WARM, COUNT = 200, 1000  # alloc mode: messages before measuring, messages measured


try:
    from micropython import mem_total  # every byte ever allocated, freed or not
except ImportError:

    def mem_total():
        return 0


class Meter:
    """Counts messages; in alloc mode measures the heap allocated for COUNT of them with
    the collector off (so every allocation shows in gc.mem_alloc()), and all that was
    allocated meanwhile, freed again or not (call frames MicroPython puts on the heap)."""

    def __init__(self):
        self.n = 0
        self.m0 = self.t0 = 0

    def tick(self):
        self.n += 1
        if self.n == WARM:
            gc.collect()
            gc.disable()
            self.m0 = gc.mem_alloc()
            self.t0 = mem_total()
        elif self.n == WARM + COUNT:
            total = mem_total() - self.t0
            used = gc.mem_alloc() - self.m0
            gc.enable()
            print("ALLOC %.2f %.2f" % (used / COUNT, total / COUNT))


meter = Meter() if mode == "alloc" else None


def stamp(what):
    print("%s %d" % (what, time.ticks_ms()))


def raw():
    # The tutorial's loop, minus its prints.
    while True:
        s = socket.socket()
        try:
            if mode == "recovery":
                stamp("attempt")
            s.connect(ADDR)
            s.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)
            while True:
                data = s.recv(1024)
                if not data:
                    break
                s.send(data)
                if meter:
                    meter.tick()
                if mode == "recovery":
                    stamp("echoed")
                    s.close()
                    return
        except Exception:
            pass
        s.close()
        if mode != "recovery":
            return
        time.sleep(2)


def ceiling():
    s = socket.socket()
    s.connect(ADDR)
    s.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)
    s.setblocking(False)
    buf = bytearray(bufsize)
    rd = select.poll()
    rd.register(s, select.POLLIN)
    wr = select.poll()
    wr.register(s, select.POLLOUT)
    readinto = s.readinto
    write = s.write
    while True:
        for _ in rd.ipoll(-1):
            break
        n = readinto(buf)
        if n is None:
            continue
        if n == 0:
            break
        off = 0
        while off < n:
            k = write(buf, off, n - off)
            if k:
                off += k
            else:
                for _ in wr.ipoll(-1):
                    break
        if meter:
            meter.tick()
    s.close()


def lib(zero_copy):
    from wiznet_net import Backoff, ReconnectingTCPClient

    class Base:
        def on_connecting(self, client):
            if mode == "recovery":
                stamp("attempt")

        def on_connect(self, client):
            client.socket.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)

        def on_disconnect(self, client, failure):
            client.stop()

    class Echo(Base):
        def on_data(self, client, data):
            client.send(data)
            if meter:
                meter.tick()
            if mode == "recovery":
                stamp("echoed")
                client.stop()

    class EchoInto(Base):
        def on_data_into(self, client, buf, n):
            client.send(buf, n)
            if meter:
                meter.tick()

    backoff = Backoff()
    if len(sys.argv) > 5:
        initial, factor, most = (int(x) for x in sys.argv[5].split(","))
        backoff = Backoff(initial_ms=initial, factor=factor, max_ms=most)
    handler = EchoInto() if zero_copy else Echo()
    ReconnectingTCPClient("127.0.0.1", port, handler, rxbuf=bufsize, backoff=backoff).run()


if variant == "raw":
    raw()
elif variant == "ceiling":
    ceiling()
else:
    lib(variant == "lib0")
