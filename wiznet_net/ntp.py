# The board's clock from a time server. A TLS certificate is valid from a date, and a
# board's RTC starts at 2021-01-01 on every boot: a device in a cabinet that nobody set
# the clock of (no Thonny, no mpremote) fails every verified TLS handshake with
# "certificate validity starts in the future". One SNTP query (RFC 4330) over UDP,
# bounded in time, with the answer checked before the clock is set.
import select
import socket
import struct

from ._compat import call_cold, clock as _clock, default_rand, stream_reader, ticks_diff
from .failure import DNS, NTP, TIMEOUT, Failure, classify

_TO_1970 = 2208988800  # seconds from 1900-01-01 (NTP's era 0) to 1970-01-01
_TO_2000 = 946684800  # seconds from 1970 to 2000, the epoch of ports built before v1.22
_MODE_SERVER = 4
_PACKET = 48


def sync_time(host="pool.ntp.org", port=123, timeout_ms=5000, tries=3, set_rtc=None, clock=None):
    """Ask ``host`` for the time (SNTP) and set the board's clock to it, in UTC.

    Opt-in: call it once after :func:`~wiznet_net.nic` when the device verifies TLS
    certificates. ``tries`` requests share ``timeout_ms`` in all. Returns the time set,
    in seconds since 1970. Raises a :class:`~wiznet_net.Failure` of phase ``"ntp"``:
    kind ``"dns"`` (the name did not resolve), ``"timeout"`` (no valid answer in
    time: UDP port 123 blocked, no route, or a server that refuses to serve), or
    another kind from the socket's error. ``set_rtc(datetime_tuple)`` replaces
    ``machine.RTC().datetime`` (tests, or a port without machine.RTC).
    """
    call_cold("_checks", "ntp_args", host, port, timeout_ms, tries, socket)
    clock = clock or _clock
    where = "%s:%d" % (host, port)
    try:
        addr = socket.getaddrinfo(host, port, 0, socket.SOCK_DGRAM)[0][-1]
    except Exception as e:
        raise Failure(DNS, NTP, None, where, e)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        seconds = _ask(s, addr, timeout_ms, tries, clock, where)
    finally:
        s.close()
    _set(seconds, set_rtc)
    return seconds


def _ask(s, addr, timeout_ms, tries, clock, where):
    poller = select.poll()
    poller.register(s, select.POLLIN)
    request = bytearray(_PACKET)
    request[0] = 0x23  # LI 0, version 4, mode 3 (client)
    answer = bytearray(_PACKET)
    readinto = stream_reader(s)
    start = clock.ticks_ms()
    for i in range(tries):
        # A random transmit time, which a true answer echoes as its originate time: a
        # late answer to an earlier request, or a forged one, does not match.
        nonce = struct.pack(">II", int(default_rand() * 0xFFFFFFFF), int(default_rand() * 0xFFFFFFFF))
        request[40:48] = nonce
        try:
            s.sendto(request, addr)
        except OSError as e:
            raise classify(e, NTP, where)
        # this try's share of what is left
        while True:
            left = timeout_ms - ticks_diff(clock.ticks_ms(), start)
            wait = left // (tries - i)
            if wait <= 0 or not poller.poll(wait):
                break
            try:
                n = readinto(answer)
            except OSError as e:
                raise classify(e, NTP, where)
            seconds = _check(answer, n, nonce)
            if seconds is not None:
                return seconds
    raise Failure(TIMEOUT, NTP, 110, where)


def _check(answer, n, nonce):
    """Seconds since 1970 from a server's answer, or None if it is not one to trust."""
    if n is None or n < _PACKET or answer[0] & 7 != _MODE_SERVER:
        return None
    if answer[1] == 0 or answer[24:32] != nonce:  # stratum 0: "kiss of death"; not ours
        return None
    seconds = struct.unpack(">I", answer[40:44])[0]
    if not seconds:
        return None
    # NTP seconds wrap in 2036 (era 1): a value below 1970's is from the next era.
    return seconds - _TO_1970 if seconds >= _TO_1970 else seconds + 0x100000000 - _TO_1970


def _set(seconds, set_rtc):
    import time

    if set_rtc is None:
        import machine

        set_rtc = machine.RTC().datetime
    # time.gmtime() counts from the port's epoch: 1970 from v1.22 on, 2000 before
    epoch = 0 if time.gmtime(0)[0] == 1970 else _TO_2000
    year, month, day, hour, minute, second, weekday = time.gmtime(seconds - epoch)[:7]
    set_rtc((year, month, day, weekday, hour, minute, second, 0))
