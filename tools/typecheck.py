#!/usr/bin/env python3
"""`make typecheck`: the type stubs (wiznet_net/*.pyi) checked with mypy against the code
users write - the examples that use wiznet_net and the README's complete example.

    python3 tools/typecheck.py        # with the mypy of requirements/dev.txt

The examples are MicroPython programs: they call time.ticks_ms() or asyncio.sleep_ms(),
which CPython's standard library (mypy's typeshed) lacks. mypy runs with a copy of its
own typeshed in build/typeshed to which the few MicroPython names the examples use are
added (MICROPYTHON below) - the way micropython-stubs' stdlib package extends it.
"""
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build", "typecheck")

# What MicroPython's standard modules have beyond CPython's, as far as the code checked
# here uses it. Add a line when an example starts to use another such name.
MICROPYTHON = {
    "stdlib/time.pyi": """
def ticks_ms() -> int: ...
def ticks_us() -> int: ...
def ticks_add(ticks: int, delta: int) -> int: ...
def ticks_diff(ticks1: int, ticks2: int) -> int: ...
def sleep_ms(ms: int) -> None: ...
def sleep_us(us: int) -> None: ...
""",
    "stdlib/asyncio/__init__.pyi": """
async def sleep_ms(t: int) -> None: ...
async def wait_for_ms(aw: Awaitable[_T], timeout: int) -> _T: ...
""",
}


def typeshed():
    """mypy's typeshed with the MicroPython additions, in build/typeshed."""
    import mypy

    source = os.path.join(os.path.dirname(mypy.__file__), "typeshed")
    target = os.path.join(ROOT, "build", "typeshed")
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    for path, extra in MICROPYTHON.items():
        full = os.path.join(target, path)
        with open(full) as f:
            text = f.read()
        if "asyncio" in path:  # the names the additions use
            text += "\nfrom collections.abc import Awaitable\nfrom typing import TypeVar\n_T = TypeVar('_T')\n"
        with open(full, "w") as f:
            f.write(text + "\n# MicroPython (tools/typecheck.py)" + extra)
    return target


def readme_example():
    """The README's complete example (its Python block that builds a client), as a file."""
    with open(os.path.join(ROOT, "README.md")) as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    chosen = [b for b in blocks if "ReconnectingTCPClient(" in b]
    if not chosen:
        raise SystemExit("typecheck: the README has no Python block with a ReconnectingTCPClient")
    os.makedirs(BUILD, exist_ok=True)
    path = os.path.join(BUILD, "readme_example.py")
    with open(path, "w") as f:
        f.write(chosen[0])
    return path


def main():
    examples = sorted(
        os.path.join("examples", n) for n in os.listdir(os.path.join(ROOT, "examples"))
        if n.endswith(".py") and "wiznet_net" in open(os.path.join(ROOT, "examples", n)).read()
    )  # the board-side ones: pc_server.py is plain CPython and uses no stub
    targets = examples + [os.path.relpath(readme_example(), ROOT)]
    stubs = sorted(os.path.join("wiznet_net", n) for n in os.listdir(os.path.join(ROOT, "wiznet_net")) if n.endswith(".pyi"))
    cmd = [
        sys.executable, "-m", "mypy",
        "--custom-typeshed-dir", os.path.relpath(typeshed(), ROOT),
        "--cache-dir", os.path.join("build", "typecheck", "cache"),
        "--check-untyped-defs",  # the examples have no annotations: check their bodies anyway
        "--warn-unused-ignores",
        "--pretty",
    ] + stubs + targets
    print("typecheck: mypy on the stubs, %s" % ", ".join(targets), flush=True)
    return subprocess.call(cmd, cwd=ROOT, env=dict(os.environ, MYPYPATH=ROOT))


if __name__ == "__main__":
    sys.exit(main())
