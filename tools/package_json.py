#!/usr/bin/env python3
"""Write the mip package files from the modules in wiznet_net/ and its __version__.

    python3 tools/package_json.py [--repo org/wiznet_net]

- package.json: relative URLs, resolved against package.json's own location by mip 0.4+
  (firmware v1.25 and later). `mip install github:<repo>` fetches this one; it names no
  repository, so forks need no change. In place of the asyncio client it installs
  mip-placeholders/aio_absent.mpy as wiznet_net/aio.mpy (and aioserver_absent.mpy as
  wiznet_net/aioserver.mpy): `import wiznet_net.aio` then says to install
  package-aio.json instead of a bare ImportError. MicroPython prefers aio.py to aio.mpy,
  so the real module wins whichever package was installed last.
- package-aio.json: the same plus the optional asyncio client and server (wiznet_net/aio.py,
  aioserver.py and their _aiowait.py):
  `mip install github:<repo>/package-aio.json`. A blocking-only install never carries it.
- package-legacy.json: absolute github: URLs for mip 0.2/0.3 (firmware v1.22-v1.24), which
  do not resolve relative URLs: everything, `mip install github:<repo>/package-legacy.json`.
The test suite fails when any of them is out of date.
"""
import argparse
import json
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_REPO = "org/wiznet_net"
# modules only package-aio.json (and legacy) install: the asyncio client and server
OPTIONAL = ("wiznet_net/_aiowait.py", "wiznet_net/aio.py", "wiznet_net/aioserver.py")
# What package.json installs in their place: [dest, source] (make package-json compiles them)
PLACEHOLDERS = (
    ("wiznet_net/aio.mpy", "mip-placeholders/aio_absent.mpy"),
    ("wiznet_net/aioserver.mpy", "mip-placeholders/aioserver_absent.mpy"),
)


def version():
    with open(os.path.join(ROOT, "wiznet_net", "__init__.py")) as f:
        return re.search(r'^__version__ = "([^"]+)"', f.read(), re.M).group(1)


def modules():
    return sorted("wiznet_net/" + n for n in os.listdir(os.path.join(ROOT, "wiznet_net")) if n.endswith(".py"))


def render(url_of, optional=True):
    chosen = [m for m in modules() if optional or m not in OPTIONAL]
    urls = [[m, url_of(m)] for m in chosen]
    if not optional:
        urls += [[dest, url_of(source)] for dest, source in PLACEHOLDERS]
    package = {"urls": urls, "deps": [], "version": version()}
    lines = ",\n".join("    " + json.dumps(pair) for pair in package["urls"])
    return '{\n  "urls": [\n%s\n  ],\n  "deps": [],\n  "version": "%s"\n}\n' % (lines, package["version"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", default=DEFAULT_REPO, help="owner/name of the GitHub repository")
    repo = ap.parse_args().repo
    files = {
        "package.json": render(lambda m: m, optional=False),
        "package-aio.json": render(lambda m: m),
        "package-legacy.json": render(lambda m: "github:%s/%s" % (repo, m)),
    }
    for name, text in files.items():
        with open(os.path.join(ROOT, name), "w") as f:
            f.write(text)
        print("wrote", name)


if __name__ == "__main__":
    main()
