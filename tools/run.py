#!/usr/bin/env python3
"""Run an example, or your own script, on the MicroPython unix port with wiznet_net
importable, against the server you name: `make run` calls this.

    python3 tools/run.py [--pc-ip IP] [--pc-port PORT] [--lib DIR] [--for SECONDS] SCRIPT [ARGS...]
    make run SCRIPT=examples/tcp_client_echo.py PC_IP=127.0.0.1 PC_PORT=8082

--pc-ip / --pc-port: put into the environment as PC_IP and PC_PORT, which the examples
read on the unix port in place of the values at their top (your script can too:
os.getenv("PC_IP")). --lib: import wiznet_net from DIR (the .mpy build, build/mpy, or
a folder mip installed into) instead of this checkout. --for: press Ctrl-C for you after
that many seconds. The MicroPython is $MICROPYTHON, else the pinned one in .venv (make
env installs it), else `micropython` on PATH. Exits with the script's exit status.
"""
import argparse
import os
import signal
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def micropython():
    pinned = os.path.join(ROOT, ".venv", "bin", "micropython")
    return os.environ.get("MICROPYTHON") or (pinned if os.path.exists(pinned) else "micropython")


def command(args):
    """(argv, environment) that run the script as asked."""
    env = dict(os.environ)
    # MICROPYPATH replaces the search path after the script's own folder: keep .frozen,
    # or asyncio and mip vanish.
    env["MICROPYPATH"] = os.path.abspath(args.lib or ROOT) + ":.frozen"
    if args.pc_ip:
        env["PC_IP"] = args.pc_ip
    if args.pc_port:
        env["PC_PORT"] = str(args.pc_port)
    return [micropython(), args.script] + args.args, env


def main(argv):
    ap = argparse.ArgumentParser(
        prog="tools/run.py", description="Run a script on the MicroPython unix port with wiznet_net importable."
    )
    ap.add_argument("--pc-ip", help="the server's address, as PC_IP in the environment")
    ap.add_argument("--pc-port", type=int, help="the server's port, as PC_PORT in the environment")
    ap.add_argument("--lib", help="import wiznet_net from this folder instead of the checkout")
    ap.add_argument("--for", dest="seconds", type=float, help="send Ctrl-C after this many seconds")
    ap.add_argument("script", help="an example (examples/...) or your own script")
    ap.add_argument("args", nargs=argparse.REMAINDER, help="passed on to the script")
    args = ap.parse_args(argv)
    if not os.path.isfile(args.script):
        ap.error("no such script: %s" % args.script)
    cmd, env = command(args)
    print("run: %s with wiznet_net from %s%s" % (
        " ".join(cmd), env["MICROPYPATH"].split(":")[0],
        "".join(", %s=%s" % (k, env[k]) for k in ("PC_IP", "PC_PORT") if k in env and getattr(args, k.lower()))),
        file=sys.stderr, flush=True)
    proc = subprocess.Popen(cmd, env=env)
    try:
        try:
            return proc.wait(args.seconds)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal does
            return proc.wait(10)
    except KeyboardInterrupt:
        # Ctrl-C in the terminal reached the script too: let it stop as it does on a board
        try:
            return proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
