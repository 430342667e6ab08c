# The one place that knows MicroPython from CPython. The library runs on MicroPython;
# CPython 3.11 only has to import it (Sphinx autodoc, host tools, coverage).
import sys

MICROPYTHON = sys.implementation.name == "micropython"
# A desktop port (the unix port, CPython): the host's own network stack, not a board's.
HOST_PLATFORMS = ("linux", "darwin", "win32", "cygwin", "freebsd", "openbsd", "netbsd")
HOST = sys.platform in HOST_PLATFORMS

try:
    from micropython import const
except ImportError:  # CPython

    def const(x):
        return x


try:
    from time import ticks_ms, ticks_diff, ticks_add, sleep_ms
    import time as clock  # the default clock: ticks_ms() and sleep_ms(ms)
except ImportError:  # CPython: the same wraparound arithmetic as MicroPython's ticks
    import time as _time

    _PERIOD = 1 << 30
    _HALF = _PERIOD >> 1

    def ticks_ms():
        return int(_time.monotonic() * 1000) & (_PERIOD - 1)

    def ticks_diff(a, b):
        return ((a - b + _HALF) & (_PERIOD - 1)) - _HALF

    def ticks_add(t, delta):
        return (t + delta) & (_PERIOD - 1)

    def sleep_ms(ms):
        if ms > 0:
            _time.sleep(ms / 1000)

    class clock:  # noqa: N801 - stands in for the MicroPython time module
        ticks_ms = staticmethod(ticks_ms)
        sleep_ms = staticmethod(sleep_ms)


def stream_writer(sock):
    """write(buf, offset, count) for a socket: MicroPython streams take those arguments
    natively (no slice, no allocation); CPython gets a memoryview slice."""
    if MICROPYTHON:
        return sock.write
    return lambda buf, off, count: sock.send(memoryview(buf)[off : off + count])


def stream_reader(sock):
    """readinto(buf) for a socket: MicroPython's readinto, CPython's recv_into."""
    return sock.readinto if MICROPYTHON else sock.recv_into


try:
    from random import random as default_rand  # a float in [0, 1)
except ImportError:  # ports built without random.random()
    from random import getrandbits

    def default_rand():
        return getrandbits(24) / 16777216


_PACKAGE = __name__.rsplit(".", 1)[0]  # "wiznet_net", or wherever a firmware put it


def call_cold(module, function, *args, **kwargs):
    """``wiznet_net.<module>.<function>(*args, **kwargs)``, with the module loaded for
    this call only (unless other code imported it already). Code that runs once per
    object or per boot - argument checks, the Ethernet bring-up - then gives its RAM
    back to the application instead of keeping it for the life of the program."""
    name = _PACKAGE + "." + module
    loaded = name in sys.modules
    mod = __import__(name, None, None, (function,))
    try:
        return getattr(mod, function)(*args, **kwargs)
    finally:
        if not loaded:
            sys.modules.pop(name, None)
            try:  # the import also set it as an attribute of the package
                delattr(sys.modules[_PACKAGE], module)
            except (AttributeError, KeyError):
                pass
