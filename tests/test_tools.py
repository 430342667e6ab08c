# The tools a newcomer meets before any library code runs: the check that names the way
# out when no pinned unix-port wheel fits this Python, and the pin list it reads.
# (tools/check_pins.py compares that list with the package index; CI runs it, as tests
# reach only 127.0.0.1.) The tools are CPython programs: run here as a user runs them.
import os
import unittest

from support import PYTHON, ROOT

BUILD = ROOT + "/build/tools"


def sh(cmd, log):
    """Run cmd with its output in `log`; return (exit status, output)."""
    os.system("mkdir -p '%s'" % BUILD)
    status = os.system("%s > '%s' 2>&1" % (cmd, log))
    with open(log) as f:
        return status, f.read()


def read(path):
    with open(path) as f:
        return f.read()


def check_python(tags, this="CPython 3.9 on Linux aarch64"):
    return sh(
        "%s %s/tools/check_python.py --tags %s --this '%s'" % (PYTHON, ROOT, ",".join(tags), this),
        BUILD + "/check_python.log",
    )


class PinnedUnixPort(unittest.TestCase):
    def pins(self):
        text = read(ROOT + "/requirements/micropython.txt")
        wheels = [line[len("# wheel: "):] for line in text.splitlines() if line.startswith("# wheel: ")]
        hashes = [line.split("sha256:")[1].split()[0] for line in text.splitlines() if "--hash=sha256:" in line]
        return wheels, hashes

    def test_every_cpython_310_to_314_on_x86_64_linux_has_its_wheel_and_hash(self):
        wheels, hashes = self.pins()
        self.assertEqual(len(wheels), len(hashes))
        self.assertEqual(len(set(hashes)), len(hashes))
        for minor in range(10, 15):
            self.assertIn("cp3%d-cp3%d-manylinux_2_28_x86_64" % (minor, minor), wheels)

    def test_a_python_a_wheel_fits_passes(self):
        for tag in ("cp312-cp312-manylinux_2_28_x86_64", "cp310-cp310-manylinux_2_28_x86_64"):
            status, out = check_python(["cp312-cp312-manylinux_2_36_x86_64", tag, "py3-none-any"])
            self.assertEqual(status, 0, out)
            self.assertEqual(out, "")

    def test_any_other_python_gets_one_sentence_naming_the_way_out(self):
        status, out = check_python(["cp39-cp39-manylinux_2_36_aarch64", "py3-none-any"])
        self.assertNotEqual(status, 0)
        self.assertEqual(len(out.strip().splitlines()), 1, out)
        self.assertIn("not for this CPython 3.9 on Linux aarch64", out)
        self.assertIn("CPython 3.10-3.14 on Linux x86_64 (glibc 2.28+)", out)
        self.assertIn("make demo MICROPYTHON=/path/to/micropython", out)
        self.assertFalse("hash" in out.lower(), out)

    def test_the_makefile_asks_before_pip_installs_the_port(self):
        # make -n prints what `make env` would run in a fresh clone, in order
        status, out = sh("env -u MICROPYTHON make -n -C '%s' env VENV=build/tools/no-venv" % ROOT, BUILD + "/make-n.log")
        self.assertEqual(status, 0, out)
        lines = out.splitlines()
        check = [i for i, line in enumerate(lines) if "tools/check_python.py" in line]
        pip = [i for i, line in enumerate(lines) if "pip install" in line and "micropython.txt" in line]
        self.assertTrue(check and pip, out)
        self.assertTrue(check[0] < pip[0], out)
