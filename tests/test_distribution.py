# What a user does to install: mip fetches package.json from the repository and every
# file it lists. Here the checkout is served over plain http on 127.0.0.1 and the unix
# port's own mip installs it into an empty folder; the echo example then runs from that
# folder alone.
import json
import os
import sys
import unittest

from support import PYTHON, ROOT, Background, closed_port, micropython_only, run_fresh
import wiznet_net

MICROPYTHON = os.getenv("MICROPYTHON") or sys.executable
BUILD = ROOT + "/build/mip"
# only in package-aio.json (and the legacy file): the asyncio client and server
OPTIONAL = ["wiznet_net/_aiowait.py", "wiznet_net/aio.py", "wiznet_net/aioserver.py"]
PLACEHOLDERS = [  # package.json's stand-ins for them
    ["wiznet_net/aio.mpy", "mip-placeholders/aio_absent.mpy"],
    ["wiznet_net/aioserver.mpy", "mip-placeholders/aioserver_absent.mpy"],
]


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


def http_server(directory):
    """`python3 -m http.server` on 127.0.0.1 in the background, serving `directory`."""
    port = closed_port()
    server = Background("http", "%s -m http.server %d --bind 127.0.0.1 --directory '%s'" % (PYTHON, port, directory), port)
    server.port = port
    return server


def demo_from(target, log, *flags):
    """tools/demo.py with wiznet_net imported from `target` only; returns its status."""
    return sh(
        "MICROPYTHON='%s' %s %s/tools/demo.py --check --lib '%s' %s > %s 2>&1"
        % (MICROPYTHON, PYTHON, ROOT, target, " ".join(flags), log)
    )


def mip_install(url, target, fresh=True):
    if fresh:
        sh("rm -rf '%s'" % target)
        os.mkdir(target)
    log = target + ".log"
    status = sh("MICROPYPATH=.frozen %s -m mip install --target '%s' %s > %s 2>&1" % (MICROPYTHON, target, url, log))
    return status, read(log).decode()


class PackageFiles(unittest.TestCase):
    def test_package_json_lists_every_module_relative(self):
        pkg = load("package.json")
        self.assertEqual(pkg["urls"][-len(PLACEHOLDERS) :], PLACEHOLDERS)
        urls = pkg["urls"][: -len(PLACEHOLDERS)]
        self.assertEqual([dest for dest, _ in urls], [m for m in modules() if m not in OPTIONAL])
        for dest, url in urls:
            self.assertEqual(url, dest)  # relative: resolved against package.json by mip 0.4+
        self.assertEqual(pkg["version"], wiznet_net.__version__)

    def test_the_placeholders_are_their_sources_compiled(self):
        # make package-json compiles mip-placeholders/*_absent.py; each message is stored verbatim
        for _, compiled in PLACEHOLDERS:
            source = read(ROOT + "/" + compiled[:-4] + ".py").decode()
            message = "".join(part.split('"')[1] for part in source.split("raise ImportError(")[1].splitlines()[1:-1])
            self.assertIn("package-aio.json", message)
            self.assertIn(message.encode(), read(ROOT + "/" + compiled))

    def test_package_aio_json_adds_the_asyncio_client(self):
        pkg = load("package-aio.json")
        self.assertEqual([dest for dest, _ in pkg["urls"]], modules())
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


class PackageNames(unittest.TestCase):
    def test_from_wiznet_net_import_a_submodule(self):
        # MicroPython asks the package's __getattr__ before it looks for a submodule
        status, out = run_fresh(
            "from wiznet_net import aio, framing, outbox, ethernet\n"
            "import wiznet_net\n"
            "print(aio.__name__, framing.Lines.__name__, outbox.Outbox.__name__, ethernet.nic.__name__)\n"
            "print(hasattr(wiznet_net, 'nosuchname'))\n"
            "try:\n"
            "    from wiznet_net import nosuchname\n"
            "except (AttributeError, ImportError) as e:\n"
            "    print(type(e).__name__, e)\n",
            "package-names",
        )
        self.assertEqual(status, 0, out)
        lines = out.splitlines()
        self.assertEqual(lines[0], "wiznet_net.aio Lines Outbox nic")
        self.assertEqual(lines[1], "False")
        self.assertIn("nosuchname", lines[2])


class MipInstall(unittest.TestCase):
    def setUp(self):
        micropython_only("mip is MicroPython's")
        sh("mkdir -p '%s'" % BUILD)
        self.server = http_server(ROOT)

    def tearDown(self):
        self.server.stop()

    def install(self, package, target, urls, fresh=True):
        """mip-install the served `package` into `target`; check that every file of
        `urls` arrived byte for byte (mip exits 0 even when a file is missing)."""
        status, log = mip_install("http://127.0.0.1:%d/%s" % (self.server.port, package), target, fresh)
        self.assertEqual(status, 0, log)
        for dest, url in urls:
            source = url if ":" not in url else dest  # relative: the served file itself
            self.assertTrue(exists(target + "/" + dest), dest + " missing; mip said: " + log)
            self.assertTrue(read(target + "/" + dest) == read(ROOT + "/" + source), dest + " differs")

    def import_aio(self, target, module="aio"):
        """What `import wiznet_net.<module>` does with wiznet_net from `target` only."""
        if not target.startswith("/"):
            target = os.getcwd() + "/" + target
        log = target + ".import.log"
        sh("cd /tmp && MICROPYPATH='%s:.frozen' %s -c 'import wiznet_net.%s as a; print(a.__file__)' > %s 2>&1"
           % (target, MICROPYTHON, module, log))
        return read(log).decode()

    def test_blocking_only_install_says_what_to_install_for_asyncio(self):
        target = BUILD + "/lib-blocking"
        self.install("package.json", target, load("package.json")["urls"])
        said = self.import_aio(target)
        self.assertIn("ImportError: wiznet_net.aio (the asyncio client) is not installed", said)
        self.assertIn("mpremote mip install github:org/wiznet_net/package-aio.json", said)
        said = self.import_aio(target, "aioserver")
        self.assertIn("ImportError: wiznet_net.aioserver (the asyncio server) is not installed", said)

    def test_the_asyncio_client_wins_whichever_package_came_last(self):
        target = BUILD + "/lib-both"
        self.install("package-aio.json", target, load("package-aio.json")["urls"])
        self.install("package.json", target, load("package.json")["urls"], fresh=False)  # an update
        self.assertIn("/lib-both/wiznet_net/aio.py", self.import_aio(target))
        target = BUILD + "/lib-both-reversed"
        self.install("package.json", target, load("package.json")["urls"])
        self.install("package-aio.json", target, load("package-aio.json")["urls"], fresh=False)
        self.assertIn("/lib-both-reversed/wiznet_net/aio.py", self.import_aio(target))
        self.assertIn("/lib-both-reversed/wiznet_net/aioserver.py", self.import_aio(target, "aioserver"))

    def test_install_from_served_checkout_then_run_the_example_from_it(self):
        target = BUILD + "/lib"
        self.install("package.json", target, load("package.json")["urls"])
        demo = BUILD + "/demo.log"
        status = demo_from(target, demo)
        self.assertEqual(status, 0, "the example failed from the mip folder; see " + demo)
        self.assertIn("board | Replied: b'Client echo: hello'", read(demo).decode())
        self.assertFalse(exists(target + "/wiznet_net/aio.py"))  # blocking-only: no asyncio client

    def test_aio_install_runs_the_async_example(self):
        target = BUILD + "/lib-aio"
        self.install("package-aio.json", target, load("package-aio.json")["urls"])
        demo = BUILD + "/demo-aio.log"
        status = demo_from(target, demo, "--async")
        self.assertEqual(status, 0, "the async example failed from the mip folder; see " + demo)

    def test_legacy_file_installs_too(self):
        # Old mip fetches absolute URLs; point them at the local server instead of GitHub.
        text = read(ROOT + "/package-legacy.json").decode()
        pkg = json.loads(text)
        prefix = pkg["urls"][0][1][: -len(pkg["urls"][0][0])]
        served = BUILD + "/served"
        sh("rm -rf '%s' && mkdir -p '%s' && cp -r '%s/wiznet_net' '%s/'" % (served, served, ROOT, served))
        self.server.stop()
        self.server = http_server(served)
        with open(served + "/package-legacy.json", "w") as f:
            f.write(text.replace(prefix, "http://127.0.0.1:%d/" % self.server.port))
        self.install("package-legacy.json", BUILD + "/lib-legacy", pkg["urls"])
