#!/usr/bin/env python3
"""Fetch the pinned micropython-unittest module for the test suite.

`pip install` and `pip download` refuse this package (its sdist has neither setup.py
nor pyproject.toml), so this script fetches the sdist from the package index pip is
configured with, checks the pinned sha256 and extracts unittest.py.

    python3 tools/fetch_unittest.py DEST_DIR
"""
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import urllib.parse
import urllib.request

NAME = "micropython-unittest"
VERSION = "0.4"
SHA256 = "83b4a65c44b2f6382bc3dd8fbbe002b5679dbfc3744b99eaa59802e6fd14cf67"
MEMBER = "micropython-unittest-0.4/unittest.py"


def index_url():
    """The simple index pip uses here: PIP_INDEX_URL, pip's config, or pip's default."""
    url = os.environ.get("PIP_INDEX_URL")
    if not url:
        got = subprocess.run(
            [sys.executable, "-m", "pip", "config", "get", "global.index-url"],
            capture_output=True,
            text=True,
        )
        url = got.stdout.strip() if got.returncode == 0 else ""
    if not url:
        from pip._internal.models.index import PyPI

        url = PyPI.simple_url
    return url.rstrip("/") + "/"


def fetch(dest):
    filename = "%s-%s.tar.gz" % (NAME, VERSION)
    page_url = urllib.parse.urljoin(index_url(), NAME + "/")
    req = urllib.request.Request(page_url, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        files = json.load(r)["files"]
    entry = [f for f in files if f["filename"] == filename]
    if not entry:
        sys.exit("fetch_unittest: %s not on the index at %s" % (filename, page_url))
    with urllib.request.urlopen(urllib.parse.urljoin(page_url, entry[0]["url"]), timeout=60) as r:
        data = r.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256:
        sys.exit("fetch_unittest: %s has sha256 %s, expected %s" % (filename, digest, SHA256))
    source = tarfile.open(fileobj=io.BytesIO(data)).extractfile(MEMBER).read()
    os.makedirs(dest, exist_ok=True)
    with open(os.path.join(dest, "unittest.py"), "wb") as f:
        f.write(source)
    print("fetch_unittest: %s %s (sha256 checked) -> %s/unittest.py" % (NAME, VERSION, dest))


if __name__ == "__main__":
    fetch(sys.argv[1] if len(sys.argv) > 1 else "build/lib")
