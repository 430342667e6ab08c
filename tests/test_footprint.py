# RAM budgets: what the library keeps on the heap must not creep up unnoticed. Measured
# in a fresh interpreter (this one has everything loaded already), with gc.mem_alloc():
# deterministic for a given MicroPython build and script, so a budget, not a benchmark.
# The manual (docs/footprint.rst, "What it costs") has the figures. The budgets leave about 20 % over them:
# interned names live in pools that grow in doubling steps, so what a script interned
# before the import moves the figure by a KiB or two.
import sys
import unittest

from support import run_fresh

# bytes retained by the import line of docs/footprint.rst plus one client, on 64- and 32-bit ports
BUDGET = {64: 27 * 1024, 32: 20 * 1024}

MEASURE = """
import gc, sys
bits = 64 if sys.maxsize > 1 << 32 else 32
gc.collect(); a = gc.mem_alloc()
from wiznet_net import nic, ReconnectingTCPClient, Backoff, classify
class H: pass
c = ReconnectingTCPClient("127.0.0.1", 8082, H(), backoff=Backoff())
f = classify(OSError(104), "connect")
gc.collect(); b = gc.mem_alloc()
print(bits, b - a)
"""


class RamBudget(unittest.TestCase):
    def test_import_and_one_client_stay_within_the_budget(self):
        if sys.implementation.name != "micropython":
            raise unittest.SkipTest("MicroPython only: gc.mem_alloc() measures its heap")
        status, text = run_fresh(MEASURE, "footprint")
        self.assertEqual(status, 0, text)
        bits, retained = (int(x) for x in text.split())
        print("    figures retained by import + one client: %d B (budget %d B, %d-bit)" % (
            retained, BUDGET[bits], bits))
        self.assertTrue(retained <= BUDGET[bits], "%d B retained, budget %d B" % (retained, BUDGET[bits]))


# bytes retained by `from wiznet_net import TCPServer` plus one server (its 1 KiB buffer,
# pollers and slots): about 28 KB on the 64-bit port; the board (32-bit, .mpy) measured
# 10 KB (docs/server.rst)
SERVER_BUDGET = {64: 34 * 1024, 32: 20 * 1024}

SERVER_MEASURE = """
import gc, sys
bits = 64 if sys.maxsize > 1 << 32 else 32
gc.collect(); a = gc.mem_alloc()
from wiznet_net import TCPServer
class H: pass
s = TCPServer(31778, H(), bind="127.0.0.1")
gc.collect(); b = gc.mem_alloc()
s.stop()
print(bits, b - a)
"""


class ServerRamBudget(unittest.TestCase):
    def test_import_and_one_server_stay_within_the_budget(self):
        if sys.implementation.name != "micropython":
            raise unittest.SkipTest("MicroPython only: gc.mem_alloc() measures its heap")
        status, text = run_fresh(SERVER_MEASURE, "footprint-server")
        self.assertEqual(status, 0, text)
        bits, retained = (int(x) for x in text.split())
        print("    figures retained by import + one server: %d B (budget %d B, %d-bit)" % (
            retained, SERVER_BUDGET[bits], bits))
        self.assertTrue(retained <= SERVER_BUDGET[bits], "%d B retained, budget %d B" % (retained, SERVER_BUDGET[bits]))

    def test_a_server_only_program_loads_no_client(self):
        status, text = run_fresh(
            "import sys\nfrom wiznet_net import TCPServer\n"
            "print(sorted(m for m in sys.modules if m.startswith('wiznet_net')))\n", "loaded-server")
        self.assertEqual(status, 0, text)
        self.assertFalse("session" in text or "client" in text or "backoff" in text, text)
