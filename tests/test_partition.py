# A partition without FIN or RST, made by the kernel: two network namespaces joined by
# a veth pair, the peer in one, the client in the other, and the client's link set down
# mid-stream (tests/partition_scenario.py). Needs root and iproute2; skipped otherwise.
# The addresses are TEST-NET-1 (192.0.2.0/24, reserved for documentation): they exist
# only inside the two namespaces this test makes and removes.
import os
import sys
import unittest

from support import PYTHON, ROOT, closed_port, micropython_only

MICROPYTHON = os.getenv("MICROPYTHON") or sys.executable
LOG = ROOT + "/build/run/partition.log"


def sh(cmd):
    return os.system(cmd + " >> %s 2>&1" % LOG)


class Partition(unittest.TestCase):
    def setUp(self):
        micropython_only("the scenario runs under micropython in its namespace")
        os.system("mkdir -p %s/build/run && : > %s" % (ROOT, LOG))
        tag = "%x" % (int.from_bytes(os.urandom(3), "big"))
        self.board, self.pc = "wzb" + tag, "wzp" + tag
        self.made = False
        if os.system("[ \"$(id -u)\" = 0 ] && command -v ip > /dev/null") != 0:
            raise unittest.SkipTest("needs root and iproute2 to make network namespaces")
        steps = (
            "ip netns add %s" % self.board,
            "ip netns add %s" % self.pc,
            "ip link add vb%s netns %s type veth peer name vp%s netns %s" % (tag, self.board, tag, self.pc),
            "ip -n %s addr add 192.0.2.1/24 dev vb%s" % (self.board, tag),
            "ip -n %s addr add 192.0.2.2/24 dev vp%s" % (self.pc, tag),
            "ip -n %s link set lo up" % self.board,
            "ip -n %s link set lo up" % self.pc,
            "ip -n %s link set vb%s up" % (self.board, tag),
            "ip -n %s link set vp%s up" % (self.pc, tag),
        )
        self.made = True
        for cmd in steps:
            if sh(cmd) != 0:
                self.tearDown()
                raise unittest.SkipTest("network namespaces cannot be made here (%s); see %s" % (cmd, LOG))
        self.iface = "vb" + tag
        self.port, self.control = closed_port(), closed_port()
        sh(
            "ip netns exec %s %s %s/tools/faultpeer.py --host 192.0.2.2 --port %d --control %d &"
            % (self.pc, PYTHON, ROOT, self.port, self.control)
        )

    def tearDown(self):
        if self.made:
            os.system("ip netns pids %s 2>/dev/null | xargs -r kill 2>/dev/null" % self.pc)
            os.system("ip netns pids %s 2>/dev/null | xargs -r kill 2>/dev/null" % self.board)
            sh("ip netns del %s; ip netns del %s" % (self.board, self.pc))
            self.made = False

    def test_link_down_mid_stream_is_detected_and_healed(self):
        # the peer needs a moment to listen; the scenario retries its first connect anyway
        status = os.system(
            "sleep 0.5; ip netns exec %s %s %s/tests/partition_scenario.py 192.0.2.2 %d %d %s >> %s 2>&1"
            % (self.board, MICROPYTHON, ROOT, self.port, self.control, self.iface, LOG)
        )
        with open(LOG) as f:
            log = f.read()
        for line in log.splitlines():
            if line.startswith("figures") or line.startswith("ok") or line.startswith("FAIL"):
                print("    " + line)
        self.assertEqual(status, 0, "the partition scenario failed; see " + LOG)
        self.assertIn("ok    as an idle timeout, not a hang", log)
