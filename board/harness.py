"""Host side of the board suite (CPython 3.11, standard library only).

Runs *inside* the network namespace that ``board/run.py`` made for this run: every
address here exists only in it. Pieces:

- :class:`Board`: the emulated W5500-EVB-Pico (``node board/sim/board.mjs``): its serial
  port (raw REPL: run code with a timeout, upload files), its control socket (the
  cable, the board clock, saving the filesystem).
- :class:`Dhcp`: dnsmasq on the board's link.
- :class:`FaultPeer`: ``tools/faultpeer.py`` on the namespace's address.
- :func:`fs_image`: a littlefs image with the library on it (.py or .mpy), made once per
  run by uploading through the raw REPL and saving the board's flash.
- :func:`block_syn` / :func:`unblock`: nftables rules that drop the board's SYNs.

Every wait is bounded; a hang or crash raises :class:`BoardError` with the tail of the
board's output and of the emulator's log.
"""
import ast
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOARD_DIR = os.path.join(ROOT, "board")
RUN_DIR = os.environ.get("BOARD_RUN_DIR") or os.path.join(ROOT, "build", "board")
TAP = os.environ.get("BOARD_TAP", "tap0")
HOST_IP = "192.168.77.1"  # the PC's side of the board's link, inside the namespace
BOARD_IP = "192.168.77.2"  # what dnsmasq leases to the board's MAC
BOARD_MAC = "02:00:00:00:00:02"  # the firmware's MAC: the emulated flash has a zero unique ID
NETMASK = "255.255.255.0"
NODE = os.environ.get("NODE", "node")
FIRMWARE_CHIPSTACK = os.path.join(BOARD_DIR, "firmware", "firmware-chipstack.bin")
PYTHON = sys.executable


class BoardError(AssertionError):
    """The board hung, crashed or answered something unexpected."""


def log_tail(path, n=30):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-n:])


def text_tail(data, n=1500):
    s = data.decode("utf-8", "replace") if isinstance(data, (bytes, bytearray)) else data
    return s[-n:]


class Result:
    """What a script printed (``out``), its traceback if it raised (``err``), and the
    ``RESULT`` dictionaries it printed (``results``: ``print("RESULT", {...})``)."""

    def __init__(self, out, err):
        self.out = out
        self.err = err
        self.results = []
        for line in out.splitlines():
            if line.startswith("RESULT "):
                self.results.append(ast.literal_eval(line[7:]))

    @property
    def result(self):
        if not self.results:
            raise BoardError("the script printed no RESULT line; output:\n" + text_tail(self.out) + "\n" + self.err)
        return self.results[-1]

    def __repr__(self):
        return "Result(out=%r, err=%r)" % (text_tail(self.out, 400), self.err)


class Board:
    """One emulated W5500-EVB-Pico. ``cable``: plugged in at power-on; ``fs``: a littlefs
    image to start from (a copy is used: the board's writes do not change it);
    ``firmware``: another image than firmware.bin (FIRMWARE_CHIPSTACK: the WIZNET5K
    without lwIP, whose TCP runs on the chip - the model's socket mode is then on)."""

    counter = 0

    def __init__(self, cable=True, fs=None, name=None, eth_log=False, tcp=None, firmware=None):
        Board.counter += 1
        self.name = name or "board%d" % Board.counter
        os.makedirs(RUN_DIR, exist_ok=True)
        self.ctl_path = os.path.join(RUN_DIR, self.name + ".ctl")
        self.log_path = os.path.join(RUN_DIR, self.name + ".log")
        self.serial_path = os.path.join(RUN_DIR, self.name + ".serial")
        cmd = [NODE, os.path.join(BOARD_DIR, "sim", "board.mjs"), "--tap", TAP, "--ctl", self.ctl_path, "--realtime"]
        cmd += ["--cable", "in" if cable else "out"]
        if fs:
            cmd += ["--fs-image", fs]
        if eth_log:
            cmd += ["--eth-log"]
        if tcp:
            cmd += ["--tcp", str(tcp)]
        if firmware:
            cmd += ["--firmware", firmware]
            if firmware == FIRMWARE_CHIPSTACK:
                cmd += ["--chip-sockets"]
        self._buf = bytearray()
        self._pos = 0  # parse cursor into _buf
        self._cond = threading.Condition()
        self._log = open(self.log_path, "wb")
        self._serial_log = open(self.serial_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.started = time.monotonic()
        self.in_raw = False
        self.running = None  # the code a start() left running
        self._wait_ctl()

    # -- plumbing -------------------------------------------------------------------

    def _read(self):
        fd = self.proc.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            with self._cond:
                if not chunk:
                    self._cond.notify_all()
                    return
                self._buf += chunk
                self._serial_log.write(chunk)
                self._serial_log.flush()
                self._cond.notify_all()

    def _wait_ctl(self, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(self.ctl_path):
                return
            if self.proc.poll() is not None:
                raise self._error("the emulator exited at start")
            time.sleep(0.05)
        raise self._error("the emulator's control socket did not appear in %d s" % timeout)

    def _error(self, what):
        with self._cond:
            seen = bytes(self._buf)
        return BoardError(
            "%s: %s\n--- board output (tail)\n%s\n--- emulator log (tail)\n%s"
            % (self.name, what, text_tail(seen), log_tail(self.log_path))
        )

    def _send(self, data):
        if self.proc.poll() is not None:
            raise self._error("the emulator has exited (code %s)" % self.proc.returncode)
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise self._error("the emulator stopped reading its serial input")

    def _expect(self, marker, timeout, what):
        """Wait for `marker` after the cursor; return the bytes before it and move past."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                i = self._buf.find(marker, self._pos)
                if i >= 0:
                    before = bytes(self._buf[self._pos : i])
                    self._pos = i + len(marker)
                    return before
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                if self.proc.poll() is not None and not self._reader.is_alive():
                    break
                self._cond.wait(min(left, 0.5))
        if self.proc.poll() is not None:
            raise self._error("the emulator exited (code %s) while waiting for %s" % (self.proc.returncode, what))
        raise self._error("no %s within %g s" % (what, timeout))

    def output(self):
        """Everything the board printed so far (the serial stream, decoded)."""
        with self._cond:
            return self._buf.decode("utf-8", "replace")

    # -- control socket ---------------------------------------------------------------

    def ctl(self, line, timeout=10):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(self.ctl_path)
            s.sendall(line.encode() + b"\n")
            reply = b""
            while not reply.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                reply += chunk
        except OSError as e:
            raise self._error("control %r failed: %s" % (line, e))
        finally:
            s.close()
        r = json.loads(reply)
        if not r.get("ok"):
            raise self._error("control %r: %s" % (line, r))
        return r

    def cable(self, plugged):
        """Plug (True) or pull (False) the Ethernet cable; returns the board clock (ms)."""
        return self.ctl("cable in" if plugged else "cable out")["ms"]

    def clock_ms(self):
        return self.ctl("status")["ms"]

    def status(self):
        return self.ctl("status")

    def save_fs(self, path):
        self.ctl("save-fs " + os.path.abspath(path), timeout=30)

    # -- the raw REPL (MicroPython docs: "raw REPL" / pyboard.py protocol) ------------

    def raw(self, timeout=30):
        """Interrupt whatever runs and enter the raw REPL."""
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                self._pos = len(self._buf)
            self._send(b"\r\x03\x03\x01")  # Ctrl-C twice, then Ctrl-A: raw REPL
            try:
                self._expect(b"raw REPL; CTRL-B to exit\r\n>", min(3, max(0.1, deadline - time.monotonic())), "raw REPL banner")
                self.in_raw = True
                return
            except BoardError:
                if time.monotonic() >= deadline:
                    raise

    def start(self, code):
        """Start `code` on the board and return at once (see wait_for, interrupt, finish)."""
        if not self.in_raw:
            self.raw()
        if self.running is not None:
            raise BoardError("start(): a script is still running")
        data = code.encode() if isinstance(code, str) else code
        # Raw REPL: the code, then Ctrl-D; the board answers "OK" and runs it.
        for i in range(0, len(data), 256):
            self._send(data[i : i + 256])
        self._send(b"\x04")
        head = self._expect(b"OK", 30, "OK from the raw REPL")
        if head.strip(b">\r\n "):
            raise self._error("raw REPL answered %r before OK" % head)
        self.running = code
        with self._cond:
            self._out_start = self._pos

    def wait_for(self, text, timeout):
        """Wait until the running script has printed `text`; return its output so far."""
        marker = text.encode()
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                seen = self._buf[self._out_start :]
                if marker in seen:
                    return seen.decode("utf-8", "replace")
                if self._buf.find(b"\x04", self._out_start) >= 0:
                    break  # the script ended without printing it
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    break
                self._cond.wait(min(left, 0.5))
        raise self._error("the script did not print %r within %g s" % (text, timeout))

    def interrupt(self):
        """Ctrl-C: a KeyboardInterrupt in the running script."""
        self._send(b"\x03")

    def finish(self, timeout):
        """Wait for the running script to end; return a Result. On timeout the script is
        interrupted and BoardError raised with the tail of its output."""
        try:
            out = self._expect(b"\x04", timeout, "end of the script (it may hang)")
        except BoardError as e:
            self.running = None
            try:
                self.interrupt()
                self._expect(b"\x04", 5, "end after Ctrl-C")
                self._expect(b"\x04", 5, "end of the traceback")
                self._expect(b">", 5, "raw prompt")
            except BoardError:
                self.in_raw = False
            raise e
        err = self._expect(b"\x04", 30, "end of the script's error output")
        self._expect(b">", 10, "raw REPL prompt")
        self.running = None
        return Result(out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))

    def run(self, code, timeout=60, check=True):
        """Run `code` to its end. With check, a traceback raises BoardError."""
        self.start(code)
        r = self.finish(timeout)
        if check and r.err:
            raise self._error("the script raised:\n" + r.err + "\n--- its output\n" + text_tail(r.out))
        return r

    def soft_reset(self):
        """Ctrl-D at the raw prompt: a fresh interpreter (the filesystem stays)."""
        if not self.in_raw:
            self.raw()
        self._send(b"\x04")
        self._expect(b"soft reboot", 10, "soft reboot")
        self._expect(b"raw REPL; CTRL-B to exit\r\n>", 20, "raw REPL after soft reboot")

    def put(self, remote, data, chunk=2048):
        """Write `data` (bytes) to the board's file `remote`."""
        lines = ["import binascii", "f = open(%r, 'wb')" % remote, "w = f.write", "d = binascii.a2b_base64"]
        for i in range(0, len(data), chunk):
            lines.append("w(d(%r))" % base64.b64encode(data[i : i + chunk]).decode())
        lines.append("f.close()")
        # One exec per 16 chunks keeps the board's compile buffer small.
        head, body = lines[:4], lines[4:-1]
        self.run("\n".join(head), timeout=20)
        for i in range(0, len(body), 16):
            self.run("\n".join(body[i : i + 16]), timeout=60)
        self.run("f.close()\ndel f, w, d", timeout=20)

    def mkdir(self, path):
        self.run("import os\ntry:\n    os.mkdir(%r)\nexcept OSError:\n    pass" % path, timeout=20)

    def close(self):
        """Stop the emulator (bounded) and close the logs."""
        if self.proc.poll() is None:
            try:
                self.ctl("quit", timeout=3)
            except BoardError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        self._reader.join(5)
        self.proc.stdout.close()
        self._log.close()
        self._serial_log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# -- peers and network tools ------------------------------------------------------------


class Process:
    """A helper process of the test run (inside the namespace), stopped by stop()."""

    def __init__(self, name, cmd, ready=None, timeout=10):
        os.makedirs(RUN_DIR, exist_ok=True)
        self.name = name
        self.log_path = os.path.join(RUN_DIR, name + ".log")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if ready is not None:
            deadline = time.monotonic() + timeout
            while not ready():
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise BoardError("%s did not start:\n%s" % (name, log_tail(self.log_path)))
                time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


def port_open(host, port):
    s = socket.socket()
    s.settimeout(0.5)
    try:
        s.connect((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


class Dhcp(Process):
    """dnsmasq answering DHCP on the board's link only: no DNS (--port=0), no ping
    check before an offer (--no-ping: the offer then takes no 3 s), the board's MAC
    always gets BOARD_IP."""

    def __init__(self):
        leases = os.path.join(RUN_DIR, "dnsmasq.leases")
        if os.path.exists(leases):
            os.unlink(leases)
        cmd = [
            "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--port=0", "--no-ping",
            "--interface=" + TAP, "--bind-interfaces", "--except-interface=lo", "--log-dhcp",
            "--log-facility=-", "--user=root", "--group=root", "--pid-file=",
            "--dhcp-leasefile=" + leases, "--dhcp-authoritative",
            "--dhcp-range=192.168.77.50,192.168.77.99,%s,1h" % NETMASK,
            "--dhcp-host=%s,%s" % (BOARD_MAC, BOARD_IP),
            "--dhcp-option=option:router,%s" % HOST_IP,
        ]
        super().__init__("dnsmasq", cmd)
        time.sleep(0.2)
        if self.proc.poll() is not None:
            raise BoardError("dnsmasq did not start:\n" + log_tail(self.log_path))


class FaultPeer(Process):
    """tools/faultpeer.py listening on HOST_IP:port, its control port beside it."""

    def __init__(self, port=9000, control=9001, tls_cert=None, tls_key=None):
        self.port, self.control = port, control
        cmd = [PYTHON, os.path.join(ROOT, "tools", "faultpeer.py"), "--host", HOST_IP, "--port", str(port), "--control", str(control)]
        if tls_cert:
            # the emulated CPU is slower than a board's: its handshake may take seconds of wall time
            cmd += ["--tls-cert", tls_cert, "--tls-key", tls_key, "--tls-timeout", "60"]
        super().__init__("faultpeer-%d" % port, cmd, ready=lambda: port_open(HOST_IP, control))
        self.sock = socket.create_connection((HOST_IP, control), timeout=5)

    def cmd(self, line):
        self.sock.sendall(line.encode() + b"\n")
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = self.sock.recv(65536)
            if not chunk:
                raise BoardError("faultpeer closed its control connection")
            reply += chunk
        r = json.loads(reply)
        if not r.get("ok"):
            raise BoardError("faultpeer %r: %r" % (line, r))
        return r

    def stop(self):
        try:
            self.sock.close()
        except OSError:
            pass
        super().stop()


class EchoPeer:
    """A plain TCP echo server on HOST_IP:port in a thread of the test process: every
    byte that arrives goes back. Counts connections and bytes."""

    def __init__(self, port):
        import selectors

        self.port = port
        self.accepted = 0
        self.bytes = 0
        self._sel = selectors.DefaultSelector()
        self._ls = socket.socket()
        self._ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._ls.bind((HOST_IP, port))
        self._ls.listen(16)
        self._ls.setblocking(False)
        self._sel.register(self._ls, selectors.EVENT_READ)
        self._running = True
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        import selectors

        while self._running:
            for key, _ in self._sel.select(0.1):
                s = key.fileobj
                if s is self._ls:
                    try:
                        c, _ = s.accept()
                    except OSError:
                        continue
                    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    self.accepted += 1
                    self._sel.register(c, selectors.EVENT_READ)
                    continue
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if data:
                    self.bytes += len(data)
                    try:
                        s.sendall(data)
                    except OSError:
                        data = b""
                if not data:
                    self._sel.unregister(s)
                    s.close()

    def stop(self):
        self._running = False
        self._thread.join(5)
        for key in list(self._sel.get_map().values()):
            key.fileobj.close()
        self._sel.close()


class TimePeer:
    """An SNTP server (RFC 4330) on HOST_IP:port, in a thread of the test process: answers
    each client request with this PC's clock, echoing the client's transmit time as the
    originate time, as a server does. Counts the requests it answered."""

    TO_1970 = 2208988800  # seconds from 1900 (NTP's epoch) to 1970

    def __init__(self, port=123):
        self.port = port
        self.answered = 0
        self._s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._s.bind((HOST_IP, port))
        self._s.settimeout(0.1)
        self._running = True
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        import struct

        while self._running:
            try:
                data, peer = self._s.recvfrom(512)
            except OSError:
                continue
            if len(data) < 48 or data[0] & 7 != 3:  # not a client's request
                continue
            now = time.time()
            seconds = int(now) + self.TO_1970
            fraction = int((now % 1) * (1 << 32))
            reply = bytearray(48)
            reply[0] = 0x24  # version 4, mode 4: server
            reply[1] = 2  # stratum
            reply[24:32] = data[40:48]  # originate: the client's transmit time
            reply[32:40] = reply[40:48] = struct.pack(">II", seconds, fraction)  # received, transmitted
            self._s.sendto(bytes(reply), peer)
            self.answered += 1

    def stop(self):
        self._running = False
        self._thread.join(5)
        self._s.close()


class SynBlock:
    """nftables: drop every SYN the board sends to `port` (its connects then time out).
    A table of our own in the namespace, removed by remove()."""

    TABLE = "wiznet_board"

    def __init__(self, port):
        rules = (
            "table inet %s {\n  chain input {\n    type filter hook input priority 0;\n"
            "    tcp dport %d tcp flags & (syn | ack) == syn drop\n  }\n}\n" % (self.TABLE, port)
        )
        subprocess.run(["nft", "-f", "-"], input=rules.encode(), check=True, timeout=10)

    def remove(self):
        subprocess.run(["nft", "delete", "table", "inet", self.TABLE], timeout=10)


class Vanish:
    """nftables: every packet between the board's TCP `port` and the PC's `peer_port`
    dropped, both ways - the PC's end of that connection is gone without a FIN or RST,
    as when a PC crashes or its cable is pulled: a half-open connection, seen from the
    board. A table of our own in the namespace, removed by remove()."""

    TABLE = "wiznet_vanish"

    def __init__(self, port, peer_port):
        rules = (
            "table inet %s {\n"
            "  chain input {\n    type filter hook input priority 0;\n"
            "    tcp sport %d tcp dport %d drop\n  }\n"
            "  chain output {\n    type filter hook output priority 0;\n"
            "    tcp sport %d tcp dport %d drop\n  }\n}\n" % (self.TABLE, port, peer_port, peer_port, port)
        )
        subprocess.run(["nft", "-f", "-"], input=rules.encode(), check=True, timeout=10)

    def remove(self):
        subprocess.run(["nft", "delete", "table", "inet", self.TABLE], timeout=10)


def wait_until(cond, timeout, step=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(step)
    if not cond():
        raise BoardError("%s not reached within %g s" % (what, timeout))


# -- the library on the board -------------------------------------------------------------


def library_files(variant):
    """[(local path, board path)] for the library as .py or as .mpy (make mpy)."""
    files = []
    if variant == "py":
        src = os.path.join(ROOT, "wiznet_net")
        ext = ".py"
    else:
        src = os.path.join(ROOT, "build", "mpy", "wiznet_net")
        ext = ".mpy"
    for name in sorted(os.listdir(src)):
        if name.endswith(ext):
            files.append((os.path.join(src, name), "/lib/wiznet_net/" + name))
    if not files:
        raise BoardError("no %s files in %s (make mpy?)" % (ext, src))
    return files


def fs_image(variant):
    """A littlefs image with the library (``py`` or ``mpy``) in /lib: made once per
    version of the library's files by booting a board with a blank filesystem (the firmware formats it), uploading over
    the raw REPL and saving the flash region. Returns (path, seconds the upload took)."""
    # Named after what is in it: an image made from other library files (an earlier
    # checkout) is never reused.
    import hashlib

    digest = hashlib.sha256()
    for local, remote in library_files(variant):
        with open(local, "rb") as f:
            digest.update(remote.encode() + b"\0" + f.read())
    path = os.path.join(RUN_DIR, "fs-%s-%s.img" % (variant, digest.hexdigest()[:12]))
    if os.path.exists(path):
        return path, 0.0
    for old in os.listdir(RUN_DIR) if os.path.isdir(RUN_DIR) else ():
        if old.startswith("fs-%s" % variant) and old.endswith(".img"):
            os.unlink(os.path.join(RUN_DIR, old))
    with Board(cable=False, name="mkfs-" + variant) as b:
        b.raw(timeout=30)
        t = time.monotonic()
        b.mkdir("/lib")
        b.mkdir("/lib/wiznet_net")
        for local, remote in library_files(variant):
            with open(local, "rb") as f:
                b.put(remote, f.read())
        took = time.monotonic() - t
        listing = b.run("import os\nprint('RESULT', sorted(os.listdir('/lib/wiznet_net')))").result
        want = sorted(os.path.basename(r) for _, r in library_files(variant))
        if listing != want:
            raise BoardError("upload incomplete: %r != %r" % (listing, want))
        b.save_fs(path + ".tmp")
    os.replace(path + ".tmp", path)
    with open(os.path.join(RUN_DIR, "upload-%s.txt" % variant), "w") as f:
        f.write("%.1f\n" % took)
    return path, took


def example_source(name, board="W5500-EVB-Pico", pc_ip=HOST_IP, pc_port=8082):
    """An example from examples/, as uploaded for this board: the settings at its top
    (BOARD, PC_IP, PC_PORT) set to the emulated board's."""
    with open(os.path.join(ROOT, "examples", name)) as f:
        src = f.read()
    for old, new in (
        ("\nBOARD = None\n", '\nBOARD = "%s"\n' % board),
        ('PC_IP = "192.168.1.119"', 'PC_IP = "%s"' % pc_ip),
        ("PC_PORT = 8082", "PC_PORT = %d" % pc_port),
    ):
        if old in src:
            src = src.replace(old, new, 1)
    if ('BOARD = "%s"' % board) not in src or ("PC_IP" in src and ('PC_IP = "%s"' % pc_ip) not in src):
        raise BoardError("examples/%s no longer has the settings the board suite replaces (BOARD, PC_IP)" % name)
    return src


def fresh_dir(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path
