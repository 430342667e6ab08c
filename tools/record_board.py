"""Keep the emulated board's figures for the manual: `make board-record`.

The board suite needs root and about ten minutes, so `make docs` cannot measure them as
it measures the unix port's (docs/measured.py). Instead `make board-test` and
`make board-bench` write their figures under build/board/, and this copies them to
docs/recorded/board/ with a header naming the library they measured (a hash of
wiznet_net/*.py). The manual
includes those files verbatim; docs/measured.py warns while building when the library
has changed since, so stale figures are seen, never silently printed.
"""
import datetime
import hashlib
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = os.path.join(ROOT, "build", "board")
OUT = os.path.join(ROOT, "docs", "recorded", "board")

# file under build/board -> what wrote it
FIGURES = (
    ("bench.md", "make board-bench: heap and speed on the board firmware"),
    ("server.txt", "make board-test, test_9_server: lwIP slots, the storm, heap"),
    ("server-example.txt", "make board-test, test_9_server: the loopback example"),
    ("client-failures.txt", "make board-test, test_3_failures: the client's failures"),
    ("errno-table.txt", "make board-test, test_3_failures: errno as lwIP reports it"),
    ("leaks.txt", "make board-test, test_8_leaks: slots and heap over many cycles"),
    ("tls.txt", "make board-test, test_4_tls: verified TLS and the clock"),
)


def library_hash():
    """A hash of the library's sources: what the figures were measured with."""
    h = hashlib.sha256()
    lib = os.path.join(ROOT, "wiznet_net")
    for name in sorted(os.listdir(lib)):
        if name.endswith(".py"):
            h.update(name.encode())
            with open(os.path.join(lib, name), "rb") as f:
                h.update(f.read())
    return h.hexdigest()[:12]


def main():
    missing = [name for name, _ in FIGURES if not os.path.exists(os.path.join(RUN, name))]
    if missing:
        sys.exit("record_board: no %s under build/board: run make board-test and make board-bench first"
                 % ", ".join(missing))
    lib_dir = os.path.join(ROOT, "wiznet_net")
    changed = max(os.path.getmtime(os.path.join(lib_dir, n)) for n in os.listdir(lib_dir) if n.endswith(".py"))
    stale = [name for name, _ in FIGURES if os.path.getmtime(os.path.join(RUN, name)) < changed]
    if stale:
        sys.exit("record_board: the library changed after %s were measured: run make board-test and make "
                 "board-bench again" % ", ".join(stale))
    os.makedirs(OUT, exist_ok=True)
    lib = library_hash()
    for name, source in FIGURES:
        path = os.path.join(RUN, name)
        when = datetime.datetime.fromtimestamp(os.path.getmtime(path), datetime.timezone.utc)
        with open(path) as f:
            body = f.read()
        with open(os.path.join(OUT, name), "w") as f:
            f.write("# %s, %s UTC, library %s\n" % (source, when.strftime("%Y-%m-%d %H:%M"), lib))
            f.write(body if body.endswith("\n") else body + "\n")
    with open(os.path.join(OUT, "LIBRARY"), "w") as f:
        f.write(lib + "\n")
    print("record_board: %d files in docs/recorded/board (library %s)" % (len(FIGURES), lib))


if __name__ == "__main__":
    main()
