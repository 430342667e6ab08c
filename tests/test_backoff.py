import unittest

from support import lcg, raises
from wiznet_net import Backoff


class Sequence(unittest.TestCase):
    def test_doubles_up_to_the_cap_without_jitter(self):
        b = Backoff(initial_ms=500, factor=2, max_ms=30000, jitter=0)
        self.assertEqual([b.next_ms() for _ in range(9)], [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000])
        self.assertEqual(b.attempt, 9)

    def test_fractional_factor_stays_integer(self):
        b = Backoff(initial_ms=100, factor=1.5, max_ms=1000, jitter=0)
        got = [b.next_ms() for _ in range(8)]
        self.assertEqual(got, [100, 150, 225, 337, 506, 759, 1000, 1000])  # 100 * 1.5**n
        self.assertTrue(all(isinstance(d, int) for d in got))

    def test_a_gentle_factor_still_grows(self):
        # The ceiling was grown as int(ceiling * factor): with a factor below
        # 1 + 1/ceiling that is the ceiling again, so Backoff(10, 1.05) retried every
        # 10 ms forever. It follows initial_ms * factor**n, as documented.
        for initial, factor in ((10, 1.05), (1, 1.5), (500, 1.001)):
            b = Backoff(initial_ms=initial, factor=factor, max_ms=30000, jitter=0)
            for n in range(200):
                # within 1 ms: a product grown step by step may round apart from a power
                d = b.next_ms()
                self.assertTrue(abs(d - min(30000, int(initial * factor**n))) <= 1, (initial, factor, n, d))

    def test_rand_extremes_hit_both_ends_of_the_range(self):
        low = Backoff(initial_ms=100, max_ms=10000, rand=lambda: 0.0)
        self.assertEqual([low.next_ms() for _ in range(4)], [100, 200, 400, 800])
        high = Backoff(initial_ms=100, max_ms=10000, rand=lambda: 0.9999)
        self.assertEqual([high.next_ms() for _ in range(4)], [100, 101, 101, 101])

    def test_full_jitter_stays_within_floor_and_ceiling(self):
        b = Backoff(initial_ms=200, factor=2, max_ms=5000, rand=lcg(7))
        seen = set()
        for _ in range(500):
            ceiling = b.ceiling_ms
            d = b.next_ms()
            self.assertTrue(200 <= d <= ceiling <= 5000, (d, ceiling))
            seen.add(d)
        self.assertTrue(len(seen) > 100, "jitter should spread the delays")

    def test_half_jitter(self):
        b = Backoff(initial_ms=1000, factor=2, max_ms=9000, jitter=0.5, rand=lambda: 0.9999)
        b.next_ms()
        # ceiling 2000, half of the 1000 ms range is random
        self.assertEqual(b.next_ms(), 2000 - int(0.5 * 0.9999 * 1000))

    def test_same_rand_same_sequence(self):
        a = Backoff(rand=lcg(3))
        b = Backoff(rand=lcg(3))
        self.assertEqual([a.next_ms() for _ in range(20)], [b.next_ms() for _ in range(20)])

    def test_reset_starts_over(self):
        b = Backoff(initial_ms=300, jitter=0)
        for _ in range(5):
            b.next_ms()
        b.reset()
        self.assertEqual((b.attempt, b.next_ms(), b.next_ms()), (0, 300, 600))


class Arguments(unittest.TestCase):
    def test_bad_arguments_name_themselves(self):
        cases = (
            (TypeError, "initial_ms", {"initial_ms": 0.5}),
            (ValueError, "initial_ms", {"initial_ms": 0}),
            (ValueError, "max_ms", {"initial_ms": 1000, "max_ms": 10}),
            (ValueError, "factor", {"factor": 0.5}),
            (TypeError, "factor", {"factor": "2"}),
            (ValueError, "jitter", {"jitter": 1.5}),
            (ValueError, "stable_ms", {"stable_ms": -1}),
            (TypeError, "rand", {"rand": 4}),
            (TypeError, "max_ms", {"max_ms": True}),
        )
        for exc, name, kwargs in cases:
            e = raises(exc, Backoff, **kwargs)
            self.assertIn(name, str(e))

    def test_repr_shows_the_settings(self):
        self.assertIn("initial_ms=500", repr(Backoff()))
