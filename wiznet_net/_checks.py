# Argument checks for the constructors. They run once per object, so this module is
# loaded for the call and dropped after it (_compat.call_cold): on a board its bytecode
# and strings would otherwise keep about 1.5 KB of RAM for the life of the program.

HOOKS = (
    "on_connecting",
    "on_connect",
    "on_data",
    "on_data_into",
    "on_disconnect",
    "on_connect_failed",
    "on_heartbeat",
)


def check_int(name, value, minimum):
    """Raise TypeError unless value is an int, ValueError unless it is >= minimum."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("%s: expected an int, got %r" % (name, value))
    if value < minimum:
        raise ValueError("%s: expected >= %d, got %d" % (name, minimum, value))


def backoff_args(initial_ms, factor, max_ms, jitter, stable_ms, rand):
    check_int("initial_ms", initial_ms, 1)
    check_int("max_ms", max_ms, initial_ms)
    check_int("stable_ms", stable_ms, 0)
    if not isinstance(factor, (int, float)) or isinstance(factor, bool):
        raise TypeError("factor: expected a number, got %r" % (factor,))
    if factor < 1:
        raise ValueError("factor: expected >= 1, got %r" % (factor,))
    if not isinstance(jitter, (int, float)) or not 0 <= jitter <= 1:
        raise ValueError("jitter: expected a number from 0.0 to 1.0, got %r" % (jitter,))
    if rand is not None and not callable(rand):
        raise TypeError("rand: expected a function returning a float in [0, 1), got %r" % (rand,))


def package_attr(package, name):
    """The package's __getattr__ for what it does not know itself. MicroPython looks a
    name up on the package before it looks for a submodule, so `from wiznet_net import
    framing` comes here: the submodule is imported (an optional one that is not installed
    says so, e.g. aio); anything else is an AttributeError."""
    if name[:1] != "_":
        try:
            return __import__(package + "." + name, None, None, (name,))
        except ImportError as e:
            if "o module named" not in str(e):  # the module exists and said why it cannot load
                raise
    raise AttributeError("module '%s' has no attribute '%s'" % (package, name))


def aio_args(asyncio, options):
    """What only the asyncio client asks for: no TLS yet, and MicroPython's asyncio (it
    parks tasks on that asyncio's I/O queue; CPython's would fail later, in connect)."""
    if options.get("tls"):
        raise ValueError("tls: not supported by AsyncReconnectingTCPClient yet; use ReconnectingTCPClient")
    if not hasattr(asyncio, "wait_for_ms"):
        raise RuntimeError(
            "AsyncReconnectingTCPClient needs MicroPython's asyncio, not this Python's: run it on "
            "MicroPython (on a PC: make run SCRIPT=...), or use ReconnectingTCPClient"
        )


def client_args(host, port, handler, backoff, timeouts, max_attempts, nic, rxbuf, outbox, tls):
    """Check a client's arguments; return the handler's hooks, in the order of HOOKS
    (None for each method the handler lacks)."""
    if not isinstance(host, str):
        raise TypeError("host: expected a str (IP address or name), got %r" % (host,))
    if not host:
        raise ValueError("host: expected an IP address or name, got an empty string")
    if not isinstance(port, int) or isinstance(port, bool):
        raise TypeError("port: expected an int, got %r" % (port,))
    if not 0 < port < 65536:
        raise ValueError("port: expected 1-65535, got %d" % port)
    if handler is None:
        raise TypeError("handler: expected an object with on_data() and friends, got None")
    from .backoff import Backoff  # here: package_attr() must not load it

    if backoff is not None and not isinstance(backoff, Backoff):
        raise TypeError("backoff: expected a Backoff, got %r" % (backoff,))
    for name, value in timeouts:
        if value is not None:
            check_int(name, value, 1)
    if max_attempts is not None:
        check_int("max_attempts", max_attempts, 1)
    if nic is not None and not callable(getattr(nic, "isconnected", None)):
        raise TypeError("nic: expected a network interface with isconnected(), got %r" % (nic,))
    if isinstance(rxbuf, int) and not isinstance(rxbuf, bool):
        check_int("rxbuf", rxbuf, 1)
    elif not isinstance(rxbuf, bytearray) or not rxbuf:
        raise TypeError("rxbuf: expected a size in bytes or a non-empty bytearray, got %r" % (rxbuf,))
    if outbox is not None and not callable(getattr(outbox, "put", None)):
        raise TypeError("outbox: expected an Outbox, got %r" % (outbox,))
    if tls not in (None, False, True) and not callable(getattr(tls, "wrap_socket", None)):
        raise TypeError("tls: expected True or an SSLContext, got %r" % (tls,))
    hooks = []
    for name in HOOKS:
        fn = getattr(handler, name, None)
        if fn is not None and not callable(fn):
            raise TypeError("handler.%s: expected a method, got %r" % (name, fn))
        hooks.append(fn)
    return hooks
