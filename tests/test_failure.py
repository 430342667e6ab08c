# Every row of the classification table: the errno, the phase it happened in, and the
# driver it came from (lwIP, WIZnet chip stack, unix) decide the kind.
import unittest

from support import raises
from wiznet_net import Failure, classify


def kind(code, phase):
    return classify(OSError(code), phase).kind


class OnABoard:
    """classify() as on a board's firmware (lwIP or the chip stack), not the unix port."""

    def __enter__(self):
        from wiznet_net import failure

        self.saved = failure.HOST
        failure.HOST = False

    def __exit__(self, *exc):
        from wiznet_net import failure

        failure.HOST = self.saved


class ConnectPhase(unittest.TestCase):
    def test_refused_lwip_unix_and_chip_stack(self):
        # lwIP answers a RST to its SYN with 104; unix says 111; the chip stack says 4.
        with OnABoard():
            for code in (104, 111, 4):
                self.assertEqual(kind(code, "connect"), "refused", code)
        for code in (111, 4):
            self.assertEqual(kind(code, "connect"), "refused", code)

    def test_chip_stack_4_while_connecting_may_also_be_no_answer(self):
        # ioLibrary connect() reads Sn_IR (TIMEOUT?) and then Sn_SR (CLOSED?) while it
        # waits: a timeout that lands between the two reads comes back as
        # SOCKERR_SOCKCLOSED (4), the code of a refusal (seen on the board's chip-stack
        # firmware: a connect to an address nobody has read 4). Still "refused" - that is
        # what 4 mostly is - but the hint says it may be silence.
        with OnABoard():
            f = classify(OSError(4), "connect", "10.0.0.1:80")
        self.assertEqual(f.kind, "refused")
        self.assertIn("nothing listens on 10.0.0.1:80", f.hint)
        self.assertIn("no answer", f.hint)
        self.assertFalse("no answer" in classify(OSError(104), "connect", "10.0.0.1:80").hint)

    def test_104_while_connecting_on_the_unix_port_is_a_reset(self):
        # The unix port refuses with 111; 104 there means the server accepted and reset
        # at once (the asyncio client sees it as the outcome of its non-blocking connect).
        f = classify(OSError(104), "connect", "pc:1")
        self.assertEqual(f.kind, "reset")

    def test_timeouts(self):
        # 110 lwIP/unix, 13 chip-stack SOCKERR_TIMEOUT, 103 SYN retries exhausted, 115 old lwIP
        for code in (110, 13, 103, 115):
            self.assertEqual(kind(code, "connect"), "timeout", code)

    def test_unreachable(self):
        for code in (113, 101, 118):
            self.assertEqual(kind(code, "connect"), "unreachable", code)

    def test_closed_and_no_memory(self):
        for code in (32, 9, 107):
            self.assertEqual(kind(code, "connect"), "closed", code)
        self.assertEqual(kind(12, "connect"), "no_memory")
        self.assertEqual(kind(105, "connect"), "no_memory")

    def test_out_of_sockets_on_either_stack(self):
        # chip stack: no free hardware socket is EMFILE (network_wiznet5k.c
        # wiznet5k_socket_socket); lwIP: no free TCP slot is ENOMEM (modlwip.c). The hint
        # says what is true on each, and blames the heap for a MemoryError.
        f = classify(OSError(24), "connect", "10.0.0.1:80")
        self.assertEqual(f.kind, "no_memory")
        self.assertIn("hardware socket", f.hint)
        self.assertIn("W5500: 8", f.hint)
        f = classify(OSError(12), "connect", "10.0.0.1:80")
        self.assertEqual(f.kind, "no_memory")
        self.assertIn("lwIP", f.hint)
        self.assertFalse("W5500: 8" in f.hint)
        f = classify(MemoryError(), "recv", "10.0.0.1:80")
        self.assertIn("heap", f.hint)

    def test_reset_codes_mean_nothing_special_while_connecting(self):
        self.assertEqual(kind(7, "connect"), "unknown")
        self.assertEqual(kind(999, "connect"), "unknown")


class ConnectedPhases(unittest.TestCase):
    def test_reset(self):
        for phase in ("recv", "send"):
            for code in (104, 7):
                self.assertEqual(kind(code, phase), "reset", (code, phase))

    def test_timeout(self):
        for phase in ("recv", "send"):
            for code in (110, 13, 11):
                self.assertEqual(kind(code, phase), "timeout", (code, phase))

    def test_lwip_giving_up_on_an_open_connection_is_a_timeout(self):
        # 103 once connected: tcp_slowtmr ran out of retransmissions (ERR_ABRT ->
        # ECONNABORTED, modlwip.c error_lookup_table): silence, not a reset.
        for phase in ("recv", "send"):
            f = classify(OSError(103), phase, "10.0.0.1:80")
            self.assertEqual(f.kind, "timeout", phase)
            self.assertIn("gave up retransmitting", f.hint)

    def test_closed_unreachable_no_memory(self):
        for phase in ("recv", "send"):
            for code in (32, 9, 107):
                self.assertEqual(kind(code, phase), "closed", (code, phase))
            self.assertEqual(kind(113, phase), "unreachable")
            self.assertEqual(kind(12, phase), "no_memory")

    def test_refused_codes_are_not_refusals_once_connected(self):
        self.assertEqual(kind(111, "recv"), "unknown")
        self.assertEqual(kind(4, "send"), "unknown")

    def test_link_down(self):
        self.assertEqual(kind(100, "send"), "no_link")

    def test_chip_stack_5_once_connected_is_a_socket_the_driver_took(self):
        # The chip-stack driver's DHCP (ifconfig('dhcp'): DHCP_init(1, ...)) and name
        # lookups (DNS_init(2, ...)) reopen chip sockets 1 and 2 in UDP mode without
        # asking (network_wiznet5k.c); the ioLibrary's send()/recv() on the TCP socket
        # that was there then fail CHECK_SOCKMODE: SOCKERR_SOCKMODE, errno 5 (seen on the
        # board's chip-stack firmware). The connection is gone at our end: closed.
        for phase in ("recv", "send"):
            f = classify(OSError(5), phase, "10.0.0.1:80")
            self.assertEqual(f.kind, "closed", phase)
            self.assertIn("DHCP", f.hint)
            self.assertIn("DNS", f.hint)
        self.assertEqual(kind(5, "connect"), "unknown")


class DnsAndOddExceptions(unittest.TestCase):
    def test_any_error_while_resolving_is_dns(self):
        for exc in (OSError(-2), OSError("[addrinfo error -2]"), OSError(110), IndexError("empty")):
            f = classify(exc, "dns", "example.invalid:80")
            self.assertEqual(f.kind, "dns")
            self.assertIn("example.invalid:80", f.hint)
        self.assertEqual(classify(OSError(-2), "dns").errno, -2)
        self.assertIsNone(classify(OSError("[addrinfo error -2]"), "dns").errno)

    def test_message_only_oserror(self):
        f = classify(OSError("timeout waiting for DHCP to get IP address"), "link")
        self.assertEqual((f.kind, f.errno, f.retryable), ("timeout", None, True))
        self.assertEqual(classify(OSError("timed out"), "connect").kind, "timeout")  # CPython's wording
        f = classify(OSError("something odd"), "recv")
        self.assertEqual((f.kind, f.errno), ("unknown", None))

    def test_memory_error(self):
        f = classify(MemoryError(), "recv")
        self.assertEqual((f.kind, f.retryable), ("no_memory", True))

    def test_memory_error_while_resolving_is_the_heap_not_dns(self):
        # getaddrinfo() allocates its answer: with a full heap that is a MemoryError,
        # which "could not resolve - check the name and the DNS server" would misread.
        f = classify(MemoryError(), "dns", "example.com:80")
        self.assertEqual((f.kind, f.retryable), ("no_memory", True))
        self.assertIn("heap", f.hint)

    def test_programming_errors_are_not_retryable(self):
        f = classify(TypeError("bad"), "connect")
        self.assertEqual((f.kind, f.retryable), ("unknown", False))
        self.assertIsInstance(f.cause, TypeError)

    def test_bool_is_not_an_errno(self):
        self.assertIsNone(classify(OSError(True), "recv").errno)

    def test_tls_phase(self):
        # mbedTLS reports certificate problems with negative codes or a ValueError
        for exc in (OSError(-9984), ValueError("The certificate Common Name (CN) does not match")):
            f = classify(exc, "tls")
            self.assertEqual((f.kind, f.retryable), ("tls", False))
            self.assertIn("certificate", f.hint)
        self.assertEqual(classify(OSError(104), "tls").kind, "reset")  # the server went away
        self.assertTrue(classify(OSError(110), "tls").retryable)

    def test_a_handshake_cut_short_is_retryable(self):
        # A server restarting mid-handshake: mbedTLS says CONN_EOF (-0x7280) or
        # PEER_CLOSE_NOTIFY (-0x7880), or TIMEOUT (-0x6800). Only a refusal is final.
        for code, expected in ((-0x7280, "reset"), (-0x7880, "reset"), (-0x6800, "timeout")):
            f = classify(OSError(code, "MBEDTLS_ERR"), "tls", "pc:1")
            self.assertEqual((f.kind, f.retryable), (expected, True), code)

    def test_bad_phase_names_the_argument(self):
        e = raises(ValueError, classify, OSError(104), "read")
        self.assertIn("phase", str(e))


class FailureObject(unittest.TestCase):
    def test_is_an_oserror_with_errno(self):
        f = classify(OSError(111), "connect", "192.168.1.119:8082")
        self.assertIsInstance(f, OSError)
        self.assertEqual((f.errno, f.phase, f.kind, f.retryable), (111, "connect", "refused", True))
        e = raises(OSError, self._raise, f)
        self.assertIs(e, f)

    def _raise(self, f):
        raise f

    def test_str_names_kind_phase_and_code(self):
        f = classify(OSError(104), "recv")
        self.assertEqual(str(f), "reset in recv [errno 104]")
        self.assertEqual(str(Failure("no_link", "link")), "no_link in link")

    def test_hints_are_specific(self):
        with OnABoard():
            f = classify(OSError(104), "connect", "192.168.1.119:8082")
        self.assertEqual(f.hint, "nothing listens on 192.168.1.119:8082 - is the server started and the port right?")
        self.assertIn("reset", classify(OSError(104), "recv", "pc:1").hint)
        self.assertIn("idle", Failure("timeout", "recv").hint)
        self.assertIn("cable", Failure("no_link", "link").hint)
        for code, phase in ((110, "connect"), (113, "connect"), (32, "send"), (12, "recv"), (999, "recv")):
            hint = classify(OSError(code), phase).hint
            self.assertTrue(len(hint) > 20 and "%s" not in hint, hint)

    def test_hint_texts_are_not_kept_in_memory(self):
        # Read when asked for, then dropped: the texts are not resident on a board.
        import sys

        import wiznet_net

        f = classify(OSError(104), "connect", "pc:1")
        self.assertFalse("wiznet_net._hints" in sys.modules)
        self.assertIn("pc:1", f.hint)
        self.assertIn("pc:1", f.hint)  # made once, kept by the Failure
        self.assertFalse("wiznet_net._hints" in sys.modules)
        self.assertFalse(hasattr(wiznet_net, "_hints"))

    def test_hint_when_the_texts_cannot_be_loaded(self):
        # No RAM left for them (or _hints.py was not copied): still a hint, not a crash.
        from wiznet_net import failure

        def no_memory(*args):
            raise MemoryError

        saved = failure.call_cold
        failure.call_cold = no_memory
        try:
            f = classify(OSError(111), "connect", "pc:1")
            self.assertEqual(f.hint, "see failure.kind and failure.errno")
            self.assertEqual(f.kind, "refused")
        finally:
            failure.call_cold = saved
        self.assertIn("pc:1", f.hint)  # asked again once the RAM is there

    def test_failure_passes_through(self):
        f = Failure("reset", "recv", 104)
        self.assertIs(classify(f, "connect"), f)
