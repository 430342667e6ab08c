#!/usr/bin/env python3
"""Does requirements/micropython.txt pin every wheel of its version? (CI: needs the index.)

    python3 tools/check_pins.py [--fix] [requirements/micropython.txt]

Asks the package index pip is configured with (the one tools/fetch_unittest.py uses) for
every file of the pinned version and checks that each wheel is named on a "# wheel:"
line with its sha256 pinned in the same place of the hash list, and that nothing else is
pinned. A new wheel on the index (say for the next CPython) fails this until it is added:
pip's hash check would otherwise refuse that Python with a message about tampering.
--fix rewrites the wheel lines and the hashes from the index (after a version bump).
"""
import hashlib
import json
import os
import re
import sys
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from check_python import REQUIREMENTS, wheels  # noqa: E402
from fetch_unittest import index_url  # noqa: E402


def pinned(path):
    """(name, version, [sha256, ...]) of the one requirement in the file."""
    with open(path) as f:
        body = re.sub(r"#.*", "", f.read()).replace("\\\n", " ")
    m = re.search(r"^\s*([A-Za-z0-9_.-]+)==(\S+)", body, re.M)
    return m.group(1), m.group(2), re.findall(r"--hash=sha256:([0-9a-f]{64})", body)


def index_wheels(name, version):
    """{wheel tag: sha256} of every wheel of name==version on the index."""
    page = urllib.parse.urljoin(index_url(), re.sub(r"[-_.]+", "-", name).lower() + "/")
    req = urllib.request.Request(page, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        files = json.load(r)["files"]
    prefix = "%s-%s-" % (re.sub(r"[-_.]+", "_", name), version)
    found = {}
    for entry in files:
        filename = entry["filename"]
        if filename.startswith(prefix) and filename.endswith(".whl"):
            digest = entry.get("hashes", {}).get("sha256")
            if not digest:
                with urllib.request.urlopen(urllib.parse.urljoin(page, entry["url"]), timeout=120) as r:
                    digest = hashlib.sha256(r.read()).hexdigest()
            found[filename[len(prefix) : -len(".whl")]] = digest
    return found


def problems(path):
    name, version, hashes = pinned(path)
    named = wheels(path)
    found = index_wheels(name, version)
    said = []
    if not found:
        said.append("the index lists no wheel of %s %s" % (name, version))
    if len(named) != len(hashes):
        said.append("%d '# wheel:' lines but %d hashes" % (len(named), len(hashes)))
    for tag in sorted(set(found) - set(named)):
        said.append("wheel %s (sha256 %s) is not pinned" % (tag, found[tag]))
    for i, (tag, digest) in enumerate(zip(named, hashes)):
        if tag not in found:
            said.append("'# wheel: %s' is no wheel of %s %s" % (tag, name, version))
        elif found[tag] != digest:
            said.append("hash %d is not that of %s (%s)" % (i + 1, tag, found[tag]))
    return name, version, found, said


def fix(path, found):
    with open(path) as f:
        text = f.read()
    tags = sorted(found)
    text = re.sub(r"(^# wheel: \S+\n)+", "".join("# wheel: %s\n" % t for t in tags), text, flags=re.M)
    head = text[: text.index("--hash=")].rstrip().rstrip("\\").rstrip()
    with open(path, "w") as f:
        f.write(head + " \\\n" + " \\\n".join("    --hash=sha256:" + found[t] for t in tags) + "\n")


def main(argv):
    do_fix = "--fix" in argv
    argv = [a for a in argv if a != "--fix"]
    path = argv[0] if argv else REQUIREMENTS
    name, version, found, said = problems(path)
    if said and do_fix:
        fix(path, found)
        print("check_pins: rewrote %s with the %d wheels of %s %s" % (path, len(found), name, version))
        name, version, found, said = problems(path)
    for line in said:
        print("check_pins: " + line)
    if said:
        print("check_pins: python3 tools/check_pins.py --fix rewrites the list from the index")
        return 1
    print("check_pins: %s %s: all %d wheels pinned" % (name, version, len(found)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
