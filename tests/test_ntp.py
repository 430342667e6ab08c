# sync_time(): one SNTP exchange with a time server on 127.0.0.1 (a thread of this
# process), the answer checked (mode, stratum, our nonce echoed) before the clock is set;
# silence, a stale or forged answer and a "kiss of death" end in a bounded timeout.
import socket
import struct
import sys
import time
import unittest

from support import LOOPBACK, Quiet, raises
from wiznet_net import Failure, classify
import wiznet_net.ntp as ntp

TO_1970 = 2208988800
WHEN = 1795610096  # 2026-11-25 12:34:56 UTC, a Wednesday


class TimeServer:
    """Answers SNTP requests on a UDP port of 127.0.0.1 in a thread, as `mode` says:
    "good", "silent", "stale" (wrong originate time), "kiss" (stratum 0), "client"
    (mode 3 back), or a list of those, one per request."""

    def __init__(self, mode="good", seconds=WHEN + TO_1970):
        import _thread

        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for port in range(32123, 32323):
            try:
                self.s.bind(socket.getaddrinfo(LOOPBACK, port)[0][-1])
                break
            except OSError:
                pass
        self.port = port
        self.s.settimeout(0.05)
        self.modes = mode if isinstance(mode, list) else None
        self.mode = mode
        self.seconds = seconds
        self.requests = 0
        self.running = True
        self.done = False
        _thread.start_new_thread(self._serve, ())

    def _serve(self):
        for _ in range(200):  # bounded: 10 s at most
            if not self.running:
                break
            try:
                data, peer = self.s.recvfrom(64)
            except OSError:
                continue
            self.requests += 1
            mode = self.modes.pop(0) if self.modes else self.mode
            if mode == "silent":
                continue
            reply = bytearray(48)
            reply[0] = 0x24 if mode != "client" else 0x23  # version 4, mode 4 (server)
            reply[1] = 0 if mode == "kiss" else 2  # stratum
            reply[24:32] = data[40:48] if mode != "stale" else b"\x01" * 8
            reply[40:44] = struct.pack(">I", self.seconds & 0xFFFFFFFF)
            self.s.sendto(reply, peer)
        self.done = True

    def close(self):
        self.running = False
        for _ in range(100):
            if self.done:
                break
            time.sleep_ms(10)
        self.s.close()


class Sync(unittest.TestCase):
    def setUp(self):
        self.server = None
        self.set = []

    def tearDown(self):
        if self.server is not None:
            self.server.close()

    def sync(self, mode="good", **kw):
        self.server = TimeServer(mode, **kw.pop("server", {}))
        kw.setdefault("timeout_ms", 600)
        return ntp.sync_time(LOOPBACK, self.server.port, set_rtc=self.set.append, **kw)

    def test_the_clock_is_set_from_a_good_answer(self):
        self.assertEqual(self.sync(), WHEN)
        # machine.RTC().datetime's order: year, month, day, weekday, hour, minute, second, subsecond
        self.assertEqual(self.set, [(2026, 11, 25, 2, 12, 34, 56, 0)])
        self.assertEqual(self.server.requests, 1)

    def test_no_answer_is_a_timeout_within_the_bound(self):
        start = time.ticks_ms()
        f = raises(Failure, self.sync, "silent", timeout_ms=300, tries=3)
        took = time.ticks_diff(time.ticks_ms(), start)
        self.assertEqual((f.kind, f.phase, f.retryable), ("timeout", "ntp", True))
        self.assertIn("UDP port 123", f.hint)
        self.assertEqual(self.server.requests, 3)
        self.assertTrue(took < 1000, took)
        self.assertEqual(self.set, [])

    def test_answers_not_to_trust_are_ignored(self):
        # stale or forged (the nonce not echoed), a kiss of death, a client's packet:
        # none sets the clock; a good answer to a later try does.
        for bad in ("stale", "kiss", "client"):
            f = raises(Failure, self.sync, bad, timeout_ms=200, tries=2)
            self.assertEqual(f.kind, "timeout", bad)
            self.server.close()
        self.assertEqual(self.set, [])
        self.assertEqual(self.sync(["stale", "good"], tries=2), WHEN)

    def test_seconds_after_2036_are_in_ntp_s_next_era(self):
        later = 2177452800 + 100  # 2039-01-01 00:01:40 UTC: NTP seconds wrapped past 2**32
        self.assertEqual(self.sync(server={"seconds": later + TO_1970 - 0x100000000}), later)
        self.assertEqual(self.set[0][:3], (2039, 1, 1))

    def test_a_name_that_does_not_resolve(self):
        class NoDns:
            SOCK_DGRAM = socket.SOCK_DGRAM
            AF_INET = socket.AF_INET

            socket = staticmethod(socket.socket)  # (asked whether this is the chip stack: no)

            def getaddrinfo(self, *args):
                raise OSError(-2)

        saved = ntp.socket
        ntp.socket = NoDns()
        try:
            f = raises(Failure, ntp.sync_time, "time.example", set_rtc=self.set.append)
        finally:
            ntp.socket = saved
        self.assertEqual((f.kind, f.phase), ("dns", "ntp"))
        self.assertIn("time.example", f.hint)

    def test_bad_arguments(self):
        for kw, exc, name in (
            ({"host": None}, TypeError, "host"),
            ({"port": 0}, ValueError, "port"),
            ({"timeout_ms": 1 << 29}, ValueError, "timeout_ms"),
            ({"tries": 0}, ValueError, "tries"),
        ):
            e = raises(exc, ntp.sync_time, **kw)
            self.assertIn(name, str(e))

    def test_loaded_for_the_call_only(self):
        import wiznet_net

        name = "wiznet_net.ntp"
        saved = sys.modules.pop(name)
        delattr(wiznet_net, "ntp")
        try:
            raises(ValueError, wiznet_net.sync_time, tries=0)
            self.assertFalse(name in sys.modules)
        finally:
            sys.modules[name] = saved
            wiznet_net.ntp = saved


class TlsHintNamesTheClock(unittest.TestCase):
    def test_a_board_whose_clock_was_never_set(self):
        class Time2021:
            def gmtime(self, *args):
                return (2021, 1, 1, 0, 0, 7, 4, 1)

        import time as real

        sys.modules["time"] = Time2021()
        try:
            hint = classify(OSError(-9984), "tls", "pc:443").hint
        finally:
            sys.modules["time"] = real
        self.assertIn("clock says 2021", hint)
        self.assertIn("sync_time", hint)
        self.assertFalse("clock says" in classify(OSError(-9984), "tls", "pc:443").hint)  # 2026 here
