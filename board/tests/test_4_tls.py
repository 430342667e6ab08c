"""Scenario 4: TLS with a verifying context (the board's own mbedTLS) to a TLS server in
the namespace (tools/faultpeer.py with a throwaway certificate made here with openssl),
and the heap a TLS connection takes on the board. The board's RTC starts at 2021-01-01:
without setting it, verification fails (the certificate is not valid yet); with the clock
set - through machine.RTC(), or by wiznet_net.sync_time() from a time server in the
namespace - the echo works; with no time server answering, sync_time() fails with kind
timeout, phase ntp. The figures go to build/board/tls.txt."""
import os
import subprocess
import time
import unittest

from boardcase import BoardCase
from harness import HOST_IP, RUN_DIR, FaultPeer, TimePeer, fresh_dir

HOSTNAME = "board-peer"

SCRIPT = """
import gc, ssl, time, machine
from wiznet_net import Backoff, Failure, ReconnectingTCPClient
CA = {ca!r}
def context():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.verify_mode = ssl.CERT_REQUIRED
    c.load_verify_locations(cadata=CA)
    return c
class Echo:
    def on_data(self, c, data):
        c.send(b"Client echo: " + data)
        self.done = True
def connect(port, tls, hostname="{hostname}"):
    h = Echo()
    h.done = False
    gc.collect()
    before = gc.mem_free()
    c = ReconnectingTCPClient("{host}", port, h, tls=tls, server_hostname=hostname, max_attempts=1,
                              backoff=Backoff(initial_ms=200))
    t = time.ticks_ms()
    try:
        for _ in range(300):
            c.poll(50)
            if c.connected:
                break
    except Failure as f:
        return None, {{"kind": f.kind, "phase": f.phase, "errno": f.errno, "retryable": f.retryable,
                      "cause": repr(f.cause), "hint": f.hint}}
    took = time.ticks_diff(time.ticks_ms(), t)
    gc.collect()
    return (c, h), {{"heap": before - gc.mem_free(), "connect_ms": took, "connected": c.connected}}
"""

STEP_UNSET = """
print("RESULT", {{"year": time.localtime()[0], "outcome": connect({tls_port}, context())[1]}})
"""

STEP_WRONG_NAME = """
print("RESULT", {{"outcome": connect({tls_port}, context(), hostname="not-{hostname}")[1]}})
"""

STEP_SET = """
machine.RTC().datetime({now!r})
plain, plain_fig = connect({plain_port}, None)
plain[0].stop()
del plain
pair, tls_fig = connect({tls_port}, context())
print("CONNECTED", tls_fig)
if pair is None:
    raise AssertionError("TLS with the clock set (%r): %r" % (time.localtime(), tls_fig))
c, h = pair
for _ in range(400):
    c.poll(50)
    if h.done:
        break
c.poll(200)
c.stop()
print("RESULT", {{"year": time.localtime()[0], "plain": plain_fig, "tls": tls_fig, "echoed": h.done}})
"""


def make_cert(directory):
    pem, key, der = (os.path.join(directory, "peer." + ext) for ext in ("pem", "key", "der"))
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", key, "-out", pem, "-days", "2", "-subj", "/CN=" + HOSTNAME,
         "-addext", "subjectAltName=DNS:%s,IP:%s" % (HOSTNAME, HOST_IP)],
        check=True, capture_output=True, timeout=30,
    )
    subprocess.run(["openssl", "x509", "-in", pem, "-outform", "DER", "-out", der], check=True, capture_output=True, timeout=30)
    with open(der, "rb") as f:
        return pem, key, f.read()


class TlsPeers(BoardCase):
    """A board with a TLS peer and a plain one in the namespace (no tests of its own)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tls_peer = cls.plain_peer = None
        try:
            cls.pem, cls.key, cls.der = make_cert(fresh_dir(os.path.join(RUN_DIR, "tls")))
            cls.tls_peer = FaultPeer(9443, 9444, tls_cert=cls.pem, tls_key=cls.key)
            cls.plain_peer = FaultPeer(9080, 9081)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for p in (cls.tls_peer, cls.plain_peer):
            if p is not None:
                p.stop()
        super().tearDownClass()

    def fmt(self, step, **kw):
        return (SCRIPT + step).format(ca=self.der, hostname=HOSTNAME, host=HOST_IP, tls_port=9443, plain_port=9080, **kw)


class Tls(TlsPeers):
    def test_verified_tls_clock_unset_then_set(self):
        self.up()
        # 1. The clock as the board boots: 2021, before the certificate's validity.
        unset = self.board.run(self.fmt(STEP_UNSET), 120).result
        self.assertEqual(unset["year"], 2021)
        self.assertEqual((unset["outcome"]["kind"], unset["outcome"]["phase"], unset["outcome"]["retryable"]), ("tls", "tls", False))
        # 2. A wrong hostname with the clock still unset: the same kind.
        wrong = self.board.run(self.fmt(STEP_WRONG_NAME), 120).result
        self.assertEqual(wrong["outcome"]["kind"], "tls")
        # 3. The clock set (as a PC tool would): the verified connection works, and echoes.
        t = time.gmtime()
        now = (t.tm_year, t.tm_mon, t.tm_mday, t.tm_wday, t.tm_hour, t.tm_min, t.tm_sec, 0)
        self.board.start(self.fmt(STEP_SET, now=now))
        self.board.wait_for("CONNECTED", 120)
        self.tls_peer.cmd("send hello")
        r = self.board.finish(120)
        self.assertEqual(r.err, "", r.out)
        res = r.result
        self.assertTrue(res["tls"]["connected"] and res["echoed"], res)
        self.assertTrue(self.tls_peer.cmd("received")["data"].endswith("Client echo: hello"))
        self.assertEqual(self.tls_peer.cmd("stats")["tls_failures"], 2)  # steps 1 and 2 refused the certificate
        with open(os.path.join(RUN_DIR, "tls.txt"), "w") as f:
            f.write("clock unset (year %d): %r\n" % (unset["year"], unset["outcome"]))
            f.write("wrong hostname: %r\n" % (wrong["outcome"],))
            f.write("clock set: plain client connected, heap %d bytes; TLS client connected, heap %d bytes, "
                    "handshake + connect %d board ms\n" % (res["plain"]["heap"], res["tls"]["heap"], res["tls"]["connect_ms"]))


class SyncTime(TlsPeers):
    def test_sync_time_sets_the_unset_clock_and_verified_tls_works(self):
        self.up()
        peer = TimePeer(123)
        try:
            # No server on that port: a bounded timeout of kind timeout, phase ntp.
            silent = self.board.run(
                "from wiznet_net import sync_time, Failure\n"
                "import time\nt = time.ticks_ms()\n"
                "try:\n    sync_time('%s', port=124, timeout_ms=2000)\n    r = {'ok': True}\n"
                "except Failure as f:\n    r = {'kind': f.kind, 'phase': f.phase, 'hint': f.hint,"
                " 'ms': time.ticks_diff(time.ticks_ms(), t)}\nprint('RESULT', r)" % HOST_IP,
                120,
            ).result
            self.assertEqual((silent["kind"], silent["phase"]), ("timeout", "ntp"), silent)
            self.assertIn("UDP port 123", silent["hint"])
            self.assertTrue(2000 <= silent["ms"] < 4000, silent)
            # The time server answers: the clock is set, and the verified connection works.
            step = """
from wiznet_net import sync_time
year_before = time.localtime()[0]
sync_time("{host}")
pair, fig = connect({tls_port}, context())
print("CONNECTED", fig)
c, h = pair
for _ in range(400):
    c.poll(50)
    if h.done:
        break
c.stop()
print("RESULT", {{"before": year_before, "after": time.localtime()[0], "fig": fig, "echoed": h.done}})
"""
            self.board.start(self.fmt(step))
            self.board.wait_for("CONNECTED", 120)
            self.tls_peer.cmd("send hello")
            res = self.board.finish(120).result
        finally:
            peer.stop()
        self.assertEqual(res["before"], 2021)
        self.assertEqual(res["after"], time.gmtime().tm_year)
        self.assertTrue(res["fig"]["connected"] and res["echoed"], res)
        self.assertGreaterEqual(peer.answered, 1)


if __name__ == "__main__":
    unittest.main()
