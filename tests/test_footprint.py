# RAM budgets: what the library keeps on the heap must not creep up unnoticed. Measured
# in a fresh interpreter (this one has everything loaded already), with gc.mem_alloc():
# deterministic for a given MicroPython build, so a budget, not a benchmark. The README
# ("What it costs") has the figures; the budgets leave about 10 % over them.
import os
import sys
import unittest

from support import ROOT

# bytes retained by the README's import line plus one client, on 64- and 32-bit ports
BUDGET = {64: 24 * 1024, 32: 17 * 1024}

MEASURE = """
import gc
gc.collect(); a = gc.mem_alloc()
from wiznet_net import nic, ReconnectingTCPClient, Backoff, classify
class H: pass
c = ReconnectingTCPClient("127.0.0.1", 8082, H(), backoff=Backoff())
f = classify(OSError(104), "connect")
gc.collect(); b = gc.mem_alloc()
print(b - a)
"""


def absolute(path):
    return path if path.startswith("/") else os.getcwd() + "/" + path


class RamBudget(unittest.TestCase):
    def test_import_and_one_client_stay_within_the_budget(self):
        if sys.implementation.name != "micropython":
            raise unittest.SkipTest("MicroPython only: gc.mem_alloc() measures its heap")
        root = absolute(ROOT)
        lib = absolute(os.getenv("WIZNET_NET_LIB") or ROOT)
        out = "%s/build/run/footprint.txt" % root
        os.system("mkdir -p %s/build/run; rm -f %s" % (root, out))
        with open("%s/build/run/footprint.py" % root, "w") as f:
            f.write(MEASURE)
        # Run in /tmp: outside the checkout, so wiznet_net comes from `lib` alone.
        status = os.system("cd /tmp && MICROPYPATH=%s:.frozen %s %s/build/run/footprint.py > %s 2>&1" % (
            lib, sys.executable, root, out))
        with open(out) as f:
            text = f.read().strip()
        self.assertEqual(status, 0, text)
        bits = 64 if sys.maxsize > 1 << 32 else 32
        retained = int(text)
        print("    figures retained by import + one client: %d B (budget %d B, %d-bit)" % (
            retained, BUDGET[bits], bits))
        self.assertTrue(retained <= BUDGET[bits], "%d B retained, budget %d B" % (retained, BUDGET[bits]))
