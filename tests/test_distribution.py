# What a user does to install: mip fetches package.json from the repository and every
# file it lists. Here the checkout is served over plain http on 127.0.0.1 and the unix
# port's own mip installs it into an empty folder; the echo example then runs from that
# folder alone.
import json
import os
import socket
import sys
import time
import unittest

from support import ROOT, closed_port
import wiznet_net

PYTHON = os.getenv("PYTHON") or "python3"
MICROPYTHON = os.getenv("MICROPYTHON") or sys.executable
BUILD = ROOT + "/build/mip"


def modules():
    return sorted("wiznet_net/" + n for n in os.listdir(ROOT + "/wiznet_net") if n.endswith(".py"))


def load(name):
    with open(ROOT + "/" + name) as f:
        return json.load(f)


def sh(cmd):
    return os.system(cmd)


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def read(path):
    with open(path, "rb") as f:
        return f.read()


class HttpServer:
    """`python3 -m http.server` on 127.0.0.1 in the background, serving `directory`."""

    def __init__(self, directory):
        self.port = closed_port()
        self.pidfile = BUILD + "/http.pid"
        sh(
            "%s -m http.server %d --bind 127.0.0.1 --directory '%s' > %s/http.log 2>&1 & echo $! > %s"
            % (PYTHON, self.port, directory, BUILD, self.pidfile)
        )
        for _ in range(100):  # up to 5 s for it to listen
            s = socket.socket()
            try:
                s.connect(socket.getaddrinfo("127.0.0.1", self.port)[0][-1])
                return
            except OSError:
                time.sleep_ms(50)
            finally:
                s.close()
        self.stop()
        raise AssertionError("http.server did not start")

    def stop(self):
        sh("kill $(cat %s) 2>/dev/null" % self.pidfile)


def mip_install(url, target):
    sh("rm -rf '%s'" % target)
    os.mkdir(target)
    log = target + ".log"
    status = sh("MICROPYPATH=.frozen %s -m mip install --target '%s' %s > %s 2>&1" % (MICROPYTHON, target, url, log))
    return status, read(log).decode()


class PackageFiles(unittest.TestCase):
    def test_package_json_lists_every_module_relative(self):
        pkg = load("package.json")
        self.assertEqual([dest for dest, _ in pkg["urls"]], modules())
        for dest, url in pkg["urls"]:
            self.assertEqual(url, dest)  # relative: resolved against package.json by mip 0.4+
        self.assertEqual(pkg["version"], wiznet_net.__version__)

    def test_legacy_file_matches_with_absolute_urls(self):
        pkg = load("package-legacy.json")
        self.assertEqual([dest for dest, _ in pkg["urls"]], modules())
        prefix = pkg["urls"][0][1][: -len(pkg["urls"][0][0])]
        self.assertTrue(prefix.startswith("github:") and prefix.count("/") == 2, prefix)
        for dest, url in pkg["urls"]:
            self.assertEqual(url, prefix + dest)
        self.assertEqual(pkg["version"], wiznet_net.__version__)

    def test_version_lives_in_one_place(self):
        text = read(ROOT + "/setup.py").decode()
        self.assertIn("__version__", text)  # setup.py reads it from the package
        self.assertTrue(wiznet_net.__version__ not in text, "setup.py must not repeat the version")


class MipInstall(unittest.TestCase):
    def setUp(self):
        sh("mkdir -p '%s'" % BUILD)
        self.server = HttpServer(ROOT)

    def tearDown(self):
        self.server.stop()

    def test_install_from_served_checkout_then_run_the_example_from_it(self):
        target = BUILD + "/lib"
        status, log = mip_install("http://127.0.0.1:%d/package.json" % self.server.port, target)
        self.assertEqual(status, 0, log)
        # mip exits 0 even when a file is missing: check every listed file, byte for byte
        for dest, _ in load("package.json")["urls"]:
            self.assertTrue(exists(target + "/" + dest), dest + " missing; mip said: " + log)
            self.assertTrue(read(target + "/" + dest) == read(ROOT + "/" + dest), dest + " differs")
        demo = BUILD + "/demo.log"
        status = sh(
            "MICROPYTHON='%s' %s %s/tools/demo.py --check --lib '%s' > %s 2>&1" % (MICROPYTHON, PYTHON, ROOT, target, demo)
        )
        self.assertEqual(status, 0, "the example failed from the mip folder; see " + demo)
        self.assertIn("board | Replied: b'Client echo: hello'", read(demo).decode())

    def test_legacy_file_installs_too(self):
        # Old mip fetches absolute URLs; point them at the local server instead of GitHub.
        text = read(ROOT + "/package-legacy.json").decode()
        pkg = json.loads(text)
        prefix = pkg["urls"][0][1][: -len(pkg["urls"][0][0])]
        served = BUILD + "/served"
        sh("rm -rf '%s' && mkdir -p '%s' && cp -r '%s/wiznet_net' '%s/'" % (served, served, ROOT, served))
        self.server.stop()
        self.server = HttpServer(served)
        with open(served + "/package-legacy.json", "w") as f:
            f.write(text.replace(prefix, "http://127.0.0.1:%d/" % self.server.port))
        target = BUILD + "/lib-legacy"
        status, log = mip_install("http://127.0.0.1:%d/package-legacy.json" % self.server.port, target)
        self.assertEqual(status, 0, log)
        for dest, _ in pkg["urls"]:
            self.assertTrue(exists(target + "/" + dest), dest + " missing; mip said: " + log)
