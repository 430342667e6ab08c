# TLS against a local TLS server (tools/faultpeer.py with a throwaway self-signed
# certificate that this test makes with openssl): the echo, a wrong hostname and a wrong
# certificate (classified "tls", not retried forever as if transient), and a reconnect
# after the server restarts.
import os
import ssl
import unittest

from support import ROOT, FaultPeer, Quiet, Recorder, SocketTestCase, micropython_only, poll_until, raises
from wiznet_net import Backoff, Failure, ReconnectingTCPClient

DIR = ROOT + "/build/tls"


def make_cert(name):
    """A self-signed EC certificate for localhost / 127.0.0.1; returns (pem, key, der)."""
    pem, key, der = ("%s/%s.%s" % (DIR, name, ext) for ext in ("pem", "key", "der"))
    status = os.system(
        "mkdir -p %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        " -keyout %s -out %s -days 2 -subj /CN=localhost"
        " -addext subjectAltName=DNS:localhost,IP:127.0.0.1 > %s/openssl.log 2>&1"
        " && openssl x509 -in %s -outform DER -out %s" % (DIR, key, pem, DIR, pem, der)
    )
    if status != 0:
        raise unittest.SkipTest("openssl could not make a test certificate (see %s/openssl.log)" % DIR)
    return pem, key, der


def context(der):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = ssl.CERT_REQUIRED
    with open(der, "rb") as f:
        ctx.load_verify_locations(cadata=f.read())
    return ctx


class Tls(SocketTestCase):
    def setUp(self):
        micropython_only("CPython's non-blocking TLS reads raise SSLWantReadError")
        super().setUp()
        self.pem, self.key, self.der = make_cert("server")
        self.peer = FaultPeer(self.pem, self.key)

    def make(self, **kw):
        self.handler = Recorder(echo=True)
        kw.setdefault("backoff", Backoff(initial_ms=10, max_ms=100))
        self.client = ReconnectingTCPClient("127.0.0.1", self.peer.port, self.handler, **kw)
        return self.client

    def echo(self, text):
        c = self.client
        n = len(self.handler.data)
        self.peer.cmd("send " + text)
        poll_until(c, lambda: len(self.handler.data) >= n + len(text), steps=300)
        want = ("Client echo: " + text).encode()
        for _ in range(200):
            c.poll(10)
            if self.peer.received().endswith(want):
                return True
        return False

    def test_verified_echo_and_reconnect_after_restart(self):
        c = self.make(tls=context(self.der), server_hostname="localhost")
        poll_until(c, lambda: c.connected, steps=300)
        self.assertTrue(self.echo("hello"))
        self.peer.cmd("restart")
        poll_until(c, lambda: c.stats["connects"] == 2, steps=500)
        self.assertTrue(self.echo("hello again"))
        self.assertEqual(self.peer.stats()["tls_failures"], 0)

    def test_unverified_tls_true_still_encrypts_and_says_so_once(self):
        c = self.make(tls=True, server_hostname="localhost")
        with Quiet() as out:
            poll_until(c, lambda: c.connected, steps=300)
            self.assertTrue(self.echo("hi"))
            self.peer.cmd("restart")
            poll_until(c, lambda: c.stats["connects"] == 2, steps=500)
        warnings = [line for line in out.lines if "NOT authenticated" in line]
        self.assertEqual(len(warnings), 1)
        self.assertIn("127.0.0.1:%d" % self.peer.port, warnings[0])

    def test_a_server_restarting_mid_handshake_is_retried_until_it_is_back(self):
        # It reads the ClientHello and exits, or sends half a record and closes: the
        # handshake was cut, not refused - retried until the server is whole again.
        for mode in ("hello-close", "half-record"):
            self.peer.cmd("mode " + mode)
            c = self.make(tls=context(self.der), server_hostname="localhost")
            poll_until(c, lambda: c.stats["connect_failures"] >= 3, steps=500)
            kinds = set(e[1] for e in self.handler.named("failed"))
            self.assertEqual(kinds, {"reset"}, mode)
            self.assertFalse(c.stopped)
            self.peer.cmd("mode serve")
            poll_until(c, lambda: c.connected, steps=500)
            self.assertTrue(self.echo("back " + mode))
            c.stop()

    def test_wrong_hostname_is_not_retried(self):
        c = self.make(tls=context(self.der), server_hostname="not-the-server")
        f = raises(Failure, c.run)
        self.assertEqual((f.kind, f.phase, f.retryable), ("tls", "tls", False))
        self.assertIn("certificate", f.hint)
        self.assertEqual(c.stats["connect_failures"], 1)  # stopped, not hammering
        self.assertFalse(c.connected)

    def test_wrong_certificate_is_not_retried(self):
        other = make_cert("other")[2]  # a different self-signed certificate for the same name
        c = self.make(tls=context(other), server_hostname="localhost")
        f = raises(Failure, c.run)
        self.assertEqual((f.kind, f.retryable), ("tls", False))
        self.assertEqual(c.stats["connect_failures"], 1)
