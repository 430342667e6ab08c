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


# time.ticks_add() takes a delta below half the ticks period (2**29 ms on a board, about
# 6.2 days) and raises OverflowError beyond: every duration must stay below it.
MAX_MS = (1 << 29) - 1


def check_int(name, value, minimum, maximum=None):
    """Raise TypeError unless value is an int, ValueError unless it is >= minimum (and
    <= maximum)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("%s: expected an int, got %r" % (name, value))
    if value < minimum:
        raise ValueError("%s: expected >= %d, got %d" % (name, minimum, value))
    if maximum is not None and value > maximum:
        raise ValueError("%s: expected <= %d, got %d" % (name, maximum, value))


def check_ms(name, value, minimum):
    """A duration in ms: an int from minimum to MAX_MS."""
    check_int(name, value, minimum, MAX_MS)


def backoff_args(initial_ms, factor, max_ms, jitter, stable_ms, rand):
    """Check Backoff's arguments; return rand's first value (checked), or None."""
    check_ms("initial_ms", initial_ms, 1)
    check_ms("max_ms", max_ms, initial_ms)
    check_ms("stable_ms", stable_ms, 0)
    if not isinstance(factor, (int, float)) or isinstance(factor, bool):
        raise TypeError("factor: expected a number, got %r" % (factor,))
    if not 1 <= factor <= 1000:  # also refuses nan and inf
        raise ValueError("factor: expected a number from 1 to 1000, got %r" % (factor,))
    if not isinstance(jitter, (int, float)) or isinstance(jitter, bool) or not 0 <= jitter <= 1:
        raise ValueError("jitter: expected a number from 0.0 to 1.0, got %r" % (jitter,))
    if rand is None:
        return None
    if not callable(rand):
        raise TypeError("rand: expected a function returning a float in [0, 1), got %r" % (rand,))
    first = rand()  # asked once now, so a wrong one fails here and not in an outage
    if not isinstance(first, (int, float)) or isinstance(first, bool) or not 0 <= first <= 1:
        raise ValueError("rand: expected a function returning a float in [0, 1), it returned %r" % (first,))
    return first


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


def chip_stack(socket):
    """Whether this firmware's WIZNET5K runs TCP on the chip (no lwIP): there setblocking()
    raises ENOTCONN before connect - no NIC is bound yet (modsocket.c socket_settimeout) -
    and nowhere else. False when no socket is free to ask (the attempts will say so)."""
    try:
        s = socket.socket()
    except OSError:
        return False
    try:
        s.setblocking(False)
    except OSError as e:
        return bool(e.args) and e.args[0] == 107  # ENOTCONN
    finally:
        s.close()
    return False


def host_name_args(what, host, socket):
    """A host name (not an IPv4 address) is refused on chip-stack firmware: there a
    lookup nobody answers never returns, not even to Ctrl-C - the vendored ioLibrary's
    DNS_run() counts its timeout in seconds only DNS_time_handler() advances, which
    nothing in MicroPython calls, and its wait loop never lets the VM run (Internet/DNS/
    dns.c; board scenario 10). One DNS server down would stop the device for good."""
    parts = host.split(".")
    if len(parts) == 4 and all(p.isdigit() for p in parts):
        return
    if chip_stack(socket):
        raise RuntimeError(
            "%s: %r is a name, and on this firmware (WIZNET5K without lwIP) a DNS lookup nobody "
            "answers never returns, not even to Ctrl-C: give an IP address, or use lwIP "
            "firmware (every rp2 WIZnet firmware)" % (what, host)
        )


def aio_args(asyncio, socket, options):
    """What only the asyncio client asks for: no TLS yet, MicroPython's asyncio (it parks
    tasks on that asyncio's I/O queue; CPython's would fail later, in connect), and
    sockets that can be non-blocking before connect."""
    if options.get("tls"):
        raise ValueError("tls: not supported by AsyncReconnectingTCPClient yet; use ReconnectingTCPClient")
    if not hasattr(asyncio, "wait_for_ms"):
        raise RuntimeError(
            "AsyncReconnectingTCPClient needs MicroPython's asyncio, not this Python's: run it on "
            "MicroPython (on a PC: make run SCRIPT=...), or use ReconnectingTCPClient"
        )
    # On chip-stack firmware setblocking() raises ENOTCONN before connect and EINVAL after
    # (network_wiznet5k.c): every attempt would fail as "closed in connect".
    if chip_stack(socket):
        raise RuntimeError(
            "AsyncReconnectingTCPClient needs firmware whose sockets are lwIP's (every rp2 "
            "WIZnet firmware): this one's WIZNET5K runs TCP on the chip, whose sockets cannot "
            "be non-blocking - use ReconnectingTCPClient"
        )


def _hooks(handler, names):
    """The handler's methods of those names, None for each it lacks; a TypeError for one
    that is not callable."""
    hooks = []
    for name in names:
        fn = getattr(handler, name, None)
        if fn is not None and not callable(fn):
            raise TypeError("handler.%s: expected a method, got %r" % (name, fn))
        hooks.append(fn)
    return hooks


def _nic(nic):
    if nic is not None and not callable(getattr(nic, "isconnected", None)):
        raise TypeError("nic: expected a network interface with isconnected(), got %r" % (nic,))


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
            check_ms(name, value, 1)
    if max_attempts is not None:
        check_int("max_attempts", max_attempts, 1)
    _nic(nic)
    if isinstance(rxbuf, int) and not isinstance(rxbuf, bool):
        check_int("rxbuf", rxbuf, 1)
    elif not isinstance(rxbuf, bytearray) or not rxbuf:
        raise TypeError("rxbuf: expected a size in bytes or a non-empty bytearray, got %r" % (rxbuf,))
    if outbox is not None and not callable(getattr(outbox, "put", None)):
        raise TypeError("outbox: expected an Outbox, got %r" % (outbox,))
    if tls not in (None, False, True):
        if not callable(getattr(tls, "wrap_socket", None)):
            raise TypeError("tls: expected True or an SSLContext, got %r" % (tls,))
        if getattr(tls, "verify_mode", None) == 0:
            # ssl.CERT_NONE, MicroPython's default for PROTOCOL_TLS_CLIENT: a context given
            # a CA with load_verify_locations() would still accept any certificate.
            raise ValueError(
                "tls: this SSLContext does not verify the server (verify_mode is CERT_NONE): set "
                "ctx.verify_mode = ssl.CERT_REQUIRED, or pass tls=True for encryption without authentication"
            )
    return _hooks(handler, HOOKS)


SERVER_HOOKS = ("on_connect", "on_data", "on_data_into", "on_disconnect")


def server_args(port, handler, bind, max_clients, idle_timeout_ms, send_timeout_ms, nic, backlog, rxbuf):
    """Check a server's arguments; return the handler's hooks, in the order of
    SERVER_HOOKS (None for each method the handler lacks)."""
    from ._compat import call_cold

    check_int("port", port, 1, 65535)  # 0 would be a port nobody can learn: no getsockname()
    if handler is None:
        raise TypeError("handler: expected an object with on_data() and friends, got None")
    call_cold("ethernet", "check_ipv4", "bind", bind)  # a name would be resolved (DNS) on a board
    check_int("max_clients", max_clients, 1, 255)
    if idle_timeout_ms is not None:
        check_ms("idle_timeout_ms", idle_timeout_ms, 1)
    check_ms("send_timeout_ms", send_timeout_ms, 1)  # None too: a send must be bounded
    _nic(nic)
    check_int("backlog", backlog, 1, 255)
    check_int("rxbuf", rxbuf, 1)
    return _hooks(handler, SERVER_HOOKS)


def chip_stack_server(name):
    # modsocket.c socket_setblocking before bind: ENOTCONN, no NIC bound yet - the sign
    # of a WIZNET5K without lwIP (network_wiznet5k.c), where a server cannot keep its
    # promises: accept() loops until a client is ESTABLISHED with no timeout
    # (wiznet5k_socket_accept), the listener polls readable only once Sn_RX_RSR != 0, so a
    # client that connects and says nothing holds the only listening chip socket unseen,
    # and the re-listen after an accept ignores a lack of free chip sockets.
    return (
        "%s needs firmware whose sockets are lwIP's (every rp2 WIZnet firmware): this one's WIZNET5K "
        "runs TCP on the chip, where accept() blocks with no timeout and a client that connects and "
        "says nothing holds the only listening socket unseen - see the manual's server page" % name
    )


def ntp_args(host, port, timeout_ms, tries, socket):
    if not isinstance(host, str) or not host:
        raise TypeError("host: expected a time server's name or address, got %r" % (host,))
    host_name_args("host", host, socket)
    check_int("port", port, 1, 65535)
    check_ms("timeout_ms", timeout_ms, 1)
    check_int("tries", tries, 1, 100)


def send_args(data, n):
    """send(data, n) of anything but bytes, bytearray or memoryview, or with an n out of
    range: the size it means, or a TypeError / ValueError naming the argument."""
    if isinstance(data, str):
        raise TypeError("data: expected bytes, bytearray or memoryview, got str - encode it first")
    size = len(data)
    if size and not isinstance(data, (bytes, bytearray, memoryview)):
        # An array("H") has a len() of items but goes out as its bytes: refused, else a
        # part of it would be written and the rest silently lost.
        width = len(bytes(memoryview(data)[:1]))
        if width != 1:
            raise TypeError("data: items of %d bytes (an array?); send() counts bytes - pass bytes(data)" % width)
    if n is None:
        return size
    if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= size:
        raise ValueError("n: expected 0 <= n <= len(data) = %d, got %r" % (size, n))
    return n
