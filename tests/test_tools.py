# The tools a newcomer meets before any library code runs: the check that names the way
# out when no pinned unix-port wheel fits this Python, and the pin list it reads.
# (tools/check_pins.py compares that list with the package index; CI runs it, as tests
# reach only 127.0.0.1.) The tools are CPython programs: run here as a user runs them.
import os
import sys
import time
import unittest

from support import PYTHON, ROOT, Peer

BUILD = ROOT + "/build/tools"


def sh(cmd, log):
    """Run cmd with its output in `log`; return (exit status, output)."""
    os.system("mkdir -p '%s'" % BUILD)
    log = absolute(log)
    status = os.system("%s > '%s' 2>&1" % (cmd, log))
    with open(log) as f:
        return status, f.read()


def read(path):
    with open(path) as f:
        return f.read()


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def absolute(path):
    return path if path.startswith("/") else os.getcwd() + "/" + path


def micropython():
    return os.getenv("MICROPYTHON") or sys.executable


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


class RunAScript(unittest.TestCase):
    """tools/run.py (make run): any script on the unix port, wiznet_net importable, the
    server of the user's choosing in PC_IP / PC_PORT."""

    def test_a_script_of_your_own_finds_the_library_and_the_server_settings(self):
        script = BUILD + "/my_script.py"
        os.system("mkdir -p '%s'" % BUILD)
        with open(script, "w") as f:
            f.write(
                "import os, sys, asyncio\n"  # asyncio: the firmware's own modules stay importable
                "import wiznet_net\n"
                "print('lib', wiznet_net.__file__)\n"
                "print('server', os.getenv('PC_IP'), os.getenv('PC_PORT'))\n"
                "sys.exit(3)\n"
            )
        status, out = sh(
            "MICROPYTHON='%s' %s %s/tools/run.py --pc-ip 10.1.2.3 --pc-port 9000 '%s'"
            % (micropython(), PYTHON, ROOT, script),
            BUILD + "/run-own.log",
        )
        self.assertEqual(status >> 8, 3, out)  # the script's own exit status
        lib = out.split("with wiznet_net from ")[1].split(",")[0]  # the checkout, absolute
        self.assertEqual(lib, absolute(ROOT).replace("/./", "/").rstrip("/."))
        self.assertIn("lib %s/wiznet_net/__init__.py" % lib, out)
        self.assertIn("server 10.1.2.3 9000", out)

    def test_the_echo_example_against_a_server_on_a_port_we_chose(self):
        peer = Peer()
        log = BUILD + "/run-echo.log"
        done = BUILD + "/run-echo.status"
        os.system("mkdir -p '%s'; rm -f '%s'" % (BUILD, done))
        # in the background, with Ctrl-C after 3 s; its exit status lands in `done`
        os.system(
            "(MICROPYTHON='%s' %s %s/tools/run.py --for 3 --pc-ip 127.0.0.1 --pc-port %d %s/examples/tcp_client_echo.py"
            " > '%s' 2>&1; echo $? > '%s') &" % (micropython(), PYTHON, ROOT, peer.port, ROOT, log, done)
        )
        try:
            peer.accept(timeout_ms=5000)
            peer.send(b"hello")
            reply = peer.recv_exactly(len(b"Client echo: hello"), timeout_ms=5000)
        finally:
            peer.close_conn()
        status = None
        for _ in range(100):  # the tool ends by itself within 3 s plus the stop
            if exists(done) and read(done).strip():
                status = int(read(done))
                break
            time.sleep_ms(100)
        peer.close()
        self.assertEqual(reply, b"Client echo: hello")
        self.assertEqual(status, 0, read(log))
        out = read(log)
        self.assertIn("PC_IP=127.0.0.1, PC_PORT=%d" % peer.port, out)
        self.assertIn("Received command: b'hello'", out)

    def test_make_run_names_what_it_needs(self):
        status, out = sh("make -s -C '%s' run" % ROOT, BUILD + "/make-run.log")
        self.assertNotEqual(status, 0)
        self.assertIn("make run needs SCRIPT=", out)


class Deploy(unittest.TestCase):
    """tools/deploy.py (make deploy): what it would copy and run on a board, without one.
    A stand-in .mpy build keeps the test independent of mpy-cross; a stand-in mpremote
    records what it is asked to do."""

    def setUp(self):
        self.mpy = BUILD + "/deploy-mpy"
        os.system("rm -rf '%s' && mkdir -p '%s'" % (self.mpy, self.mpy))
        self.modules = ["__init__.mpy", "client.mpy", "session.mpy"]
        for name in self.modules + ["notes.txt"]:
            with open(self.mpy + "/" + name, "w") as f:
                f.write("stand-in")

    def deploy(self, args, log, mpremote="mpremote"):
        return sh(
            "%s %s/tools/deploy.py --port /dev/ttyACM0 --mpy '%s' --mpremote '%s' %s"
            % (PYTHON, ROOT, absolute(self.mpy), mpremote, args),
            BUILD + "/" + log,
        )

    def test_dry_run_lists_the_files_and_commands_and_runs_nothing(self):
        status, out = self.deploy("--dry-run", "deploy-dry.log", mpremote="/nonexistent/mpremote")
        self.assertEqual(status, 0, out)
        lines = out.splitlines()
        self.assertEqual(lines[0], "deploy: 4 files to the board on /dev/ttyACM0")
        copied = [line.strip().split(" -> ") for line in lines[1:5]]
        self.assertEqual([remote for _, remote in copied],
                         [":/lib/wiznet_net/" + n for n in self.modules] + [":/tcp_client_echo.py"])
        self.assertEqual(copied[-1][0], "examples/tcp_client_echo.py")  # relative to the checkout
        self.assertIn("deploy: would run", out)
        self.assertIn("  /nonexistent/mpremote connect /dev/ttyACM0 exec 'import os\n", out)
        self.assertIn(" + cp examples/tcp_client_echo.py :/tcp_client_echo.py\n", out)
        self.assertIn("  /nonexistent/mpremote connect /dev/ttyACM0 exec 'import tcp_client_echo'\n", out)
        self.assertIn("  on Ctrl-C: /nonexistent/mpremote connect /dev/ttyACM0 soft-reset", out)
        self.assertFalse("notes.txt" in out, out)

    def test_settings_are_written_into_a_copy_of_the_script(self):
        status, out = self.deploy(
            "--dry-run --pc-ip 192.168.1.50 --pc-port 9000 --board W5500-EVB-Pico", "deploy-settings.log")
        self.assertEqual(status, 0, out)
        self.assertIn("build/deploy/tcp_client_echo.py -> :/tcp_client_echo.py", out)
        original = read(ROOT + "/examples/tcp_client_echo.py").splitlines()
        copy = read(ROOT + "/build/deploy/tcp_client_echo.py").splitlines()
        changed = [(a, b) for a, b in zip(original, copy) if a != b]
        self.assertEqual(len(original), len(copy))
        self.assertEqual([b for _, b in changed],
                         ['BOARD = "W5500-EVB-Pico"', 'PC_IP = "192.168.1.50"', "PC_PORT = 9000"])

    def test_a_script_without_the_setting_is_refused(self):
        script = BUILD + "/no_settings.py"
        with open(script, "w") as f:
            f.write("print('hi')\n")
        status, out = self.deploy("--dry-run --pc-ip 10.0.0.1 '%s'" % script, "deploy-refused.log")
        self.assertNotEqual(status, 0)
        self.assertIn("has no 'PC_IP = ...' line at its top to set", out)

    def test_it_runs_the_commands_it_printed(self):
        fake = BUILD + "/fake-mpremote"
        calls = BUILD + "/fake-mpremote.calls"
        os.system("rm -f '%s'" % calls)
        with open(fake, "w") as f:  # one line per call: its arguments, newlines escaped
            f.write("#!/bin/sh\nfor a in \"$@\"; do printf '%%s|' \"$a\" | tr '\\n' '~'; done >> '%s'\necho >> '%s'\n"
                    % (absolute(calls), absolute(calls)))
        os.system("chmod +x '%s'" % fake)
        status, out = self.deploy("", "deploy-run.log", mpremote=absolute(fake))
        self.assertEqual(status, 0, out)
        made = [line.split("|")[:-1] for line in read(calls).splitlines()]
        self.assertEqual(len(made), 2)
        install, run = made
        self.assertEqual(install[:3], ["connect", "/dev/ttyACM0", "exec"])
        self.assertIn("os.rmdir(p)", install[3])
        mpy = "build/tools/deploy-mpy"  # relative to the checkout, where the commands run
        self.assertEqual(install[4:], ["+", "cp", mpy + "/__init__.mpy", ":/lib/wiznet_net/__init__.mpy",
                                       "+", "cp", mpy + "/client.mpy", ":/lib/wiznet_net/client.mpy",
                                       "+", "cp", mpy + "/session.mpy", ":/lib/wiznet_net/session.mpy",
                                       "+", "cp", "examples/tcp_client_echo.py", ":/tcp_client_echo.py"])
        self.assertIn("  " + " ".join(["'%s'" % a if " " in a else a for a in [absolute(fake)] + run]), out)
        self.assertEqual(run, ["connect", "/dev/ttyACM0", "exec", "import tcp_client_echo"])

    def test_the_board_side_preparation_empties_lib_wiznet_net(self):
        # The code deploy runs on the board, run here on the unix port under a stand-in root
        # holding a stale install (.py files would be imported before the new .mpy).
        board = absolute(BUILD) + "/fake-board"
        os.system("rm -rf '%s' && mkdir -p '%s/lib/wiznet_net/sub'" % (board, board))
        for name in ("lib/wiznet_net/client.py", "lib/wiznet_net/aio.mpy", "lib/wiznet_net/sub/x", "lib/other.py"):
            with open(board + "/" + name, "w") as f:
                f.write("stale")
        status, code = sh(
            "%s -c \"import sys; sys.path.insert(0, '%s/tools'); import deploy; print(deploy.PREPARE)\""
            % (PYTHON, ROOT),
            BUILD + "/prepare.py",
        )
        self.assertEqual(status, 0, code)
        self.assertIn('\nR = ""\n', code)
        with open(BUILD + "/prepare.py", "w") as f:
            f.write(code.replace('\nR = ""\n', '\nR = "%s"\n' % board))
        status, out = sh("cd /tmp && %s '%s/prepare.py'" % (micropython(), absolute(BUILD)), BUILD + "/prepare.log")
        self.assertEqual(status, 0, out)
        self.assertEqual(os.listdir(board + "/lib/wiznet_net"), [])
        self.assertEqual(sorted(os.listdir(board + "/lib")), ["other.py", "wiznet_net"])

    def test_make_deploy_names_what_it_needs(self):
        status, out = sh("make -s -C '%s' deploy" % ROOT, BUILD + "/make-deploy.log")
        self.assertNotEqual(status, 0)
        self.assertIn("make deploy needs PORT=, the board's serial port", out)


class Stubs(unittest.TestCase):
    """tools/check_stubs.py: the .pyi stubs beside the code describe every public name,
    member and constructor parameter. Checked on the checkout, then on copies of it into
    which an API change was made without touching the stubs."""

    def check(self, log, change=None):
        copy = BUILD + "/stubs-" + log
        os.system("rm -rf '%s' && mkdir -p '%s' && cp -r '%s/wiznet_net' '%s/'" % (copy, copy, ROOT, copy))
        if change:
            path, old, new = change
            text = read(copy + "/wiznet_net/" + path) if exists(copy + "/wiznet_net/" + path) else ""
            self.assertTrue(old in text, "%s no longer holds %r" % (path, old))
            with open(copy + "/wiznet_net/" + path, "w") as f:
                f.write(text.replace(old, new, 1))
        return sh("%s %s/tools/check_stubs.py --code '%s/wiznet_net'" % (PYTHON, ROOT, copy), BUILD + "/stubs-%s.log" % log)

    def test_the_stubs_describe_the_code(self):
        status, out = self.check("as-is")
        self.assertEqual(status, 0, out)

    def test_a_new_constructor_parameter_needs_its_stub(self):
        status, out = self.check("param", ("session.py", "        clock=None,\n", "        clock=None,\n        keepalive_ms=None,\n"))
        self.assertNotEqual(status, 0)
        self.assertIn("client.pyi: ReconnectingTCPClient.__init__: parameter keepalive_ms=None is in the code", out)
        self.assertIn("aio.pyi: AsyncReconnectingTCPClient.__init__: parameter keepalive_ms=None is in the code", out)

    def test_a_new_method_needs_its_stub(self):
        status, out = self.check("method", ("client.py", "    def run(self):", "    def connect_now(self):\n        pass\n\n    def run(self):"))
        self.assertNotEqual(status, 0)
        self.assertIn("client.pyi: ReconnectingTCPClient: member connect_now is in the code, not in the stub", out)

    def test_a_new_public_function_or_module_needs_its_stub(self):
        status, out = self.check("function", ("outbox.py", "class Outbox:", "def drain(outbox):\n    pass\n\n\nclass Outbox:"))
        self.assertNotEqual(status, 0)
        self.assertIn("outbox.pyi: drain is public in the code, not in the stub", out)
        status, out = self.check("module", ("relay.py", "", "class Relay:\n    pass\n"))
        self.assertNotEqual(status, 0)
        self.assertIn("wiznet_net/relay.pyi is missing", out)

    def test_a_changed_default_needs_its_stub(self):
        status, out = self.check("default", ("backoff.py", "max_ms=30000", "max_ms=60000"))
        self.assertNotEqual(status, 0)
        self.assertIn("Backoff.__init__: max_ms defaults to 60000 in the code, the stub says 30000", out)
