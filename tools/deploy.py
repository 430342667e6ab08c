#!/usr/bin/env python3
"""Put wiznet_net and an example (or your script) on a board over USB and run it: `make
deploy` calls this, with the pinned mpremote from .venv.

    python3 tools/deploy.py --port /dev/ttyACM0 [SCRIPT] [--pc-ip IP] [--pc-port PORT]
                            [--board NAME] [--no-run] [--dry-run] [--mpremote PATH] [--mpy DIR]
    make deploy PORT=/dev/ttyACM0 [SCRIPT=...] [PC_IP=...] [PC_PORT=...] [BOARD=...] [DRY_RUN=1]

1. removes /lib/wiznet_net on the board (a .py left there from another install would be
   imported in place of the new .mpy) and copies the .mpy build (make mpy) into it;
2. copies SCRIPT (default examples/tcp_client_echo.py) to the board's root; with --pc-ip,
   --pc-port or --board, a copy whose PC_IP / PC_PORT / BOARD line at the top says so;
3. runs it (import), showing what it prints. Ctrl-C here stops it on the board too (a
   soft reset, which interrupts it: its KeyboardInterrupt handler closes the connection).

--dry-run prints the files and the mpremote commands and runs nothing. --no-run stops
after copying: the script stays on the board for Thonny or `mpremote exec`. The commands
run in the checkout, with paths relative to it: the printed ones can be copied. --mpy
takes the .mpy files from another folder than build/mpy/wiznet_net.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MPY = os.path.join(ROOT, "build", "mpy", "wiznet_net")
LIB = "/lib/wiznet_net"

# Runs on the board before the copy: an empty /lib/wiznet_net. R is the root ("" on a board).
PREPARE = """import os
R = ""
def rm(p):
    try:
        for n in os.listdir(p):
            rm(p + "/" + n)
        os.rmdir(p)
    except OSError:
        try:
            os.remove(p)
        except OSError:
            pass
rm(R + "/lib/wiznet_net")
for d in ("/lib", "/lib/wiznet_net"):
    try:
        os.mkdir(R + d)
    except OSError:
        pass
"""


def here(path):
    """The path relative to the checkout, where the commands run (absolute if outside)."""
    path = os.path.abspath(path)
    return os.path.relpath(path, ROOT) if path.startswith(ROOT + os.sep) else path


def files(script, staged, mpy=MPY):
    """[(local path, path on the board)]: the .mpy build, then the script (or its copy
    with the settings applied, `staged`)."""
    mpys = sorted(n for n in os.listdir(mpy) if n.endswith(".mpy")) if os.path.isdir(mpy) else []
    if not mpys:
        raise SystemExit("deploy: no .mpy build in %s - run make mpy (make deploy does)" % mpy)
    found = [(here(os.path.join(mpy, n)), "%s/%s" % (LIB, n)) for n in mpys]
    return found + [(here(staged or script), "/" + os.path.basename(script))]


def settings(args):
    """{name: Python literal} for the settings to write into the script's copy."""
    chosen = {}
    if args.board:
        chosen["BOARD"] = '"%s"' % args.board.replace('"', "")
    if args.pc_ip:
        chosen["PC_IP"] = '"%s"' % args.pc_ip.replace('"', "")
    if args.pc_port:
        chosen["PC_PORT"] = str(args.pc_port)
    return chosen


def stage(script, chosen, where):
    """A copy of the script with each `NAME = ...` line of `chosen` rewritten; its path."""
    with open(script) as f:
        text = f.read()
    for name, value in chosen.items():
        text, n = re.subn(r"^%s = .*$" % name, "%s = %s" % (name, value), text, count=1, flags=re.M)
        if not n:
            raise SystemExit("deploy: %s has no '%s = ...' line at its top to set" % (script, name))
    os.makedirs(where, exist_ok=True)
    path = os.path.join(where, os.path.basename(script))
    with open(path, "w") as f:
        f.write(text)
    return path


def commands(mpremote, port, copies, module, run=True):
    """The mpremote command lines: install (one connection), run, and stop (on Ctrl-C)."""
    connect = [mpremote, "connect", port]
    install = connect + ["exec", PREPARE]
    for local, remote in copies:
        install += ["+", "cp", local, ":" + remote]
    found = [install]
    if run:
        line = "import " + module if module.isidentifier() else "__import__(%r)" % module
        found.append(connect + ["exec", line])
    return found, connect + ["soft-reset"]


def show(cmd):
    return " ".join(shlex.quote(part) for part in cmd)


def main(argv):
    ap = argparse.ArgumentParser(prog="tools/deploy.py", description=__doc__.split("\n")[0])
    ap.add_argument("--port", required=True, help="the board's serial port: /dev/ttyACM0, COM5, ...")
    ap.add_argument("script", nargs="?", default=os.path.join(ROOT, "examples", "tcp_client_echo.py"))
    ap.add_argument("--pc-ip", help="write PC_IP = this into the script's copy")
    ap.add_argument("--pc-port", type=int, help="write PC_PORT = this into the script's copy")
    ap.add_argument("--board", help="write BOARD = this into the script's copy")
    ap.add_argument("--no-run", action="store_true", help="copy only")
    ap.add_argument("--dry-run", action="store_true", help="print the files and commands, run nothing")
    ap.add_argument("--mpremote", default="mpremote", help="the mpremote to use (make deploy: the pinned one)")
    ap.add_argument("--mpy", default=MPY, help="where the .mpy files are (default: build/mpy/wiznet_net)")
    args = ap.parse_args(argv)
    if not os.path.isfile(args.script):
        ap.error("no such script: %s" % args.script)
    chosen = settings(args)
    staged = stage(args.script, chosen, os.path.join(ROOT, "build", "deploy")) if chosen else None
    copies = files(args.script, staged, args.mpy)
    module = os.path.basename(args.script)[:-3] if args.script.endswith(".py") else os.path.basename(args.script)
    todo, stop = commands(args.mpremote, args.port, copies, module, run=not args.no_run)

    print("deploy: %d files to the board on %s%s" % (
        len(copies), args.port, "".join(", %s = %s" % kv for kv in chosen.items())))
    for local, remote in copies:
        print("  %s -> :%s" % (local, remote))
    print("deploy: %s" % ("would run" if args.dry_run else "running"))
    for cmd in todo:
        print("  " + show(cmd))
    if not args.no_run:
        print("  on Ctrl-C: " + show(stop))
    sys.stdout.flush()
    if args.dry_run:
        return 0
    for i, cmd in enumerate(todo):
        try:
            status = subprocess.call(cmd, cwd=ROOT)
        except KeyboardInterrupt:
            if i == len(todo) - 1 and not args.no_run:  # while the script runs: stop it there too
                print("\ndeploy: stopping it on the board: " + show(stop))
                return subprocess.call(stop, cwd=ROOT)
            raise
        except FileNotFoundError:
            raise SystemExit("deploy: no %s - make deploy installs the pinned mpremote into .venv" % cmd[0])
        if status:
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
