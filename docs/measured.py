"""A Sphinx extension: the figures of the manual, measured while it is built.

Nothing here is pasted by hand. When the build starts, the project's own tools run on
the MicroPython unix port (the one `make docs` sets up in .venv, or $MICROPYTHON):

- tools/footprint.py: flash and heap per module and import   -> _generated/footprint.rst
- tests/run.py faults partition tls chipstack: each scenario prints its figures
                                                              -> _generated/faults.rst
- tools/soak.py: heap and descriptors over thousands of cycles -> _generated/soak.rst, soak.png
- tools/outage.py: what the client does through an outage     -> _generated/outage.rst, outage.png

They run side by side (about 15 s in all). A tool that fails fails the build (a Sphinx
warning, and `make docs` treats warnings as errors): figures are never silently stale.
"""
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from sphinx.util import logging

LOG = logging.getLogger(__name__)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(ROOT, "tools")

# The fault scenarios of tests/test_faults.py and friends, by the name each prints its
# figures under: what it is and what happens. The figures come from the run.
SCENARIOS = (
    ("server down 1.5 s", "server down 1.5 s at start, then up",
     "attempts follow the backoff; the first attempt after the server is up succeeds"),
    ("50 restarts", "server restarts 50 times", "every restart: reconnect, echo works; no descriptor left"),
    ("flapping x20", "flapping (accept, drop at once) x20", "never healthy, so delays keep growing"),
    ("silent peer", "half-open peer, ``idle_timeout_ms=300``", "detected, reconnected"),
    ("partition", "link down mid-stream (two network namespaces, no FIN or RST)",
     "the idle timeout notices; ``unreachable`` while down"),
    ("while down", "... while the link is down", "each attempt fails as ``unreachable``"),
    ("heal", "... and when the link returns", "reconnected"),
    ("heartbeat", "heartbeat 100 ms on a quiet connection", "keepalives flow, the connection stays"),
    ("flood", "the peer floods 10 MB", "every byte arrives, in order; the heap stays flat"),
    ("drip", "the peer sends one byte at a time", "``on_data`` gets each piece as it comes"),
    ("cut frame", "a frame cut in the middle", "a ``protocol`` failure naming the bytes lost"),
    ("soak", "connect / echo / disconnect, as fast as loopback allows", "nothing grows"),
)


def micropython():
    pinned = os.path.join(ROOT, ".venv", "bin", "micropython")
    return os.environ.get("MICROPYTHON") or (pinned if os.path.exists(pinned) else None)


def run(cmd, what, timeout=300):
    env = dict(os.environ, MICROPYTHON=micropython())
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    return out.returncode, out.stdout + out.stderr


def literal(text):
    return "``%s``" % text.replace("``", "")


def md_tables(markdown):
    """The Markdown pipe tables a tool printed, as reStructuredText list-tables."""
    out, rows = [], []

    def flush():
        if rows:
            out.extend([".. list-table::", "   :header-rows: 1", ""])
            for n, row in enumerate(rows):
                for i, cell in enumerate(row):
                    cell = re.sub(r"`([^`]+)`", r"``\1``", cell.strip())
                    if n and i == 0 and re.match(r"^_*[a-z][a-z0-9_]*$", cell):
                        cell = literal(cell)  # a module name: no stray reference markup
                    out.append(("   * - " if i == 0 else "     - ") + cell)
            out.append("")
            rows.clear()

    for line in markdown.splitlines():
        if line.startswith("|"):
            if not re.match(r"^\|[-:| ]+\|$", line):
                rows.append(line.strip().strip("|").split(" | "))
        else:
            flush()
    flush()
    return "\n".join(out)


# -- one function per tool: each returns the reStructuredText it makes ----------------------


def footprint(out_dir):
    status, text = run([sys.executable, os.path.join(TOOLS, "footprint.py")], "footprint")
    if status:
        raise RuntimeError("tools/footprint.py failed:\n" + text)
    version = subprocess.run(
        [micropython(), "-c", "import sys; print('%d.%d.%d' % sys.implementation.version[:3])"],
        capture_output=True, text=True).stdout.strip()
    return "Measured by ``tools/footprint.py`` while this manual was built (MicroPython %s unix port, 64-bit):\n\n%s" % (
        version, md_tables(text))


def faults(out_dir):
    status, text = run([micropython(), "tests/run.py", "faults", "partition", "tls", "chipstack"], "faults")
    figures = dict(re.findall(r"^\s+figures ([^:]+): (.*)$", text, re.M))
    if not figures:
        raise RuntimeError("the fault tests printed no figures:\n" + text)
    passed = re.search(r"^(\d+ passed, \d+ failed)$", text, re.M)
    lines = [".. list-table::", "   :header-rows: 1", "   :widths: 25 30 45", "",
             "   * - Scenario", "     - What happens", "     - Figures of this build"]
    for name, scenario, happens in SCENARIOS:
        lines += ["   * - " + scenario, "     - " + happens,
                  "     - " + (literal(figures[name]) if name in figures else "not measured in this build")]
    lines += ["", "The run: %s (``tests/run.py faults partition tls chipstack``)." % (
        passed.group(1) if passed else "no summary line")]
    return "\n".join(lines) + "\n"


def soak(out_dir):
    data = os.path.join(out_dir, "soak.json")
    status, text = run([sys.executable, os.path.join(TOOLS, "soak.py"), "--json", data], "soak")
    if status:
        raise RuntimeError("tools/soak.py failed:\n" + text)
    with open(data) as f:
        result = json.load(f)
    samples = result["samples"]
    draw_soak(samples, result["heap"], os.path.join(out_dir, "soak.png"))
    return "%s\n\n.. image:: /_generated/soak.png\n   :alt: heap in use and open descriptors over %d cycles\n" % (
        md_tables(text), samples[-1][0])


def outage(out_dir):
    data = os.path.join(out_dir, "outage.json")
    status, text = run([sys.executable, os.path.join(TOOLS, "outage.py"), "--json", data], "outage")
    if status:
        raise RuntimeError("tools/outage.py failed:\n" + text)
    with open(data) as f:
        timeline = json.load(f)
    recoveries = draw_outage(timeline, os.path.join(out_dir, "outage.png"))
    said = "; ".join("server up at %.1f s, connected %.2f s later" % r for r in recoveries)
    listing = "\n".join("   " + line for line in text.splitlines())
    return (".. image:: /_generated/outage.png\n   :alt: the server's state and the client's attempts over 10 s\n\n"
            "This run: %s. What the board side printed, timed on the PC side::\n\n%s\n" % (said, listing))


# -- pictures ----------------------------------------------------------------------------------


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def draw_soak(samples, heap, path):
    plt = _pyplot()
    cycles = [s[0] for s in samples]
    fig, ax = plt.subplots(figsize=(7, 3), dpi=100)
    ax.plot(cycles, [s[1] / 1024 for s in samples], "b.-", lw=1, ms=3, label="heap in use (KiB)")
    ax.set_ylim(0, max(s[1] for s in samples) / 1024 * 1.5)
    ax.set_xlabel("connect / echo / disconnect cycles")
    ax.set_ylabel("heap in use after gc.collect() (KiB)")
    fds = ax.twinx()
    fds.step(cycles, [s[2] for s in samples], "g-", where="post", lw=1, label="open descriptors")
    fds.set_ylim(0, max(s[2] for s in samples) * 2 + 1)
    fds.set_ylabel("open descriptors")
    ax.set_title("A soak on the unix port with a board's heap (-X heapsize=%s)" % heap, fontsize=9)
    handles = ax.get_legend_handles_labels()[0] + fds.get_legend_handles_labels()[0]
    ax.legend(handles, ["heap in use (KiB)", "open descriptors"], fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def draw_outage(timeline, path):
    """The server's state on one row, the client's attempts and connections on another.
    Returns (server up at, seconds until connected) for each time the server came up."""
    plt = _pyplot()
    server = timeline["server"]
    board = timeline["board"]
    end = server[-1][0]
    fig, ax = plt.subplots(figsize=(8, 2.8), dpi=100)
    for (t0, state), (t1, _) in zip(server, server[1:]):
        ax.broken_barh([(t0, t1 - t0)], (1.6, 0.6), color="#9c9" if state == "up" else "#e99")
        ax.text((t0 + t1) / 2, 1.9, "server " + state, ha="center", va="center", fontsize=7)
    up_since = None
    recoveries = []
    ups = [t for t, state in server if state == "up"]
    attempts = [e[0] for e in board if e[1] == "connecting"]

    def wait_arrow(t, label):  # from t to the next attempt: the backoff delay in force
        after = [a for a in attempts if a > t]
        if after:
            ax.annotate("", xy=(after[0], 0.75), xytext=(t, 0.75),
                        arrowprops=dict(arrowstyle="->", color="#888", lw=0.8))
            ax.text((t + after[0]) / 2, 0.6, label, ha="center", fontsize=6, color="#555")

    for event in board:
        t, name, rest = event[0], event[1], event[2:]
        if name == "failed":
            ax.plot(t, 0.9, "rx", ms=7)
            if rest[1] != "None":
                wait_arrow(t, rest[1])
        elif name == "disconnected":
            ax.plot(t, 0.9, "k|", ms=10)
            wait_arrow(t, "%d" % round((min([a for a in attempts if a > t] or [t]) - t) * 1000, -1))
        elif name == "connected":
            ax.plot(t, 0.9, "go", ms=6)
            up_since = t
            before = [u for u in ups if u <= t]
            if before:
                recoveries.append((before[-1], t - before[-1]))
        elif name == "echoed":
            ax.plot(t, 1.15, "bD", ms=4)
        if name in ("disconnected", "stopped") and up_since is not None:
            ax.broken_barh([(up_since, t - up_since)], (0.82, 0.16), color="#6a6", alpha=0.5)
            up_since = None
    for u, wait in recoveries:
        ax.axvline(u, color="#393", lw=0.6, ls=":")
        ax.text(u + wait / 2, 1.3, "%.2f s" % wait, ha="center", fontsize=7, color="#363")
    ax.plot([], [], "rx", label="attempt refused (arrow: backoff delay, ms)")
    ax.plot([], [], "go", label="connected")
    ax.plot([], [], "k|", label="disconnected")
    ax.plot([], [], "bD", label="message echoed")
    ax.set_xlim(0, end + 0.2)
    ax.set_ylim(0.4, 2.3)
    ax.set_yticks([0.9, 1.9])
    ax.set_yticklabels(["client", "server"])
    ax.set_xlabel("seconds")
    ax.set_title("Backoff(initial_ms=250, factor=2, max_ms=2000, jitter=0) through an outage", fontsize=9)
    ax.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=4, frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return recoveries


# -- the build ------------------------------------------------------------------------------


PARTS = {"footprint": footprint, "faults": faults, "soak": soak, "outage": outage}


def board_recorded(out_dir):
    """The emulated board's figures are recorded, not measured here (they need root and
    ten minutes: tools/record_board.py). Say which library they measured, and whether it
    is this one."""
    sys.path.insert(0, TOOLS)
    try:
        from record_board import OUT, library_hash
    finally:
        sys.path.pop(0)
    try:
        with open(os.path.join(OUT, "LIBRARY")) as f:
            recorded = f.read().strip()
    except OSError:
        recorded = None
    now = library_hash()
    if recorded == now:
        text = "*Recorded with this library (sources %s).*\n" % now
    else:
        text = ("*Recorded with an earlier library (sources %s; these are %s): "
                "``make board-test board-bench board-record`` records them again.*\n" % (recorded, now))
    with open(os.path.join(out_dir, "board_recorded.rst"), "w") as f:
        f.write(text)


def generate(app):
    out_dir = os.path.join(app.srcdir, "_generated")
    os.makedirs(out_dir, exist_ok=True)
    board_recorded(out_dir)
    if micropython() is None:
        LOG.warning("measured: no MicroPython unix port (run `make docs`, which sets one up, or set MICROPYTHON)")
        for name in PARTS:
            with open(os.path.join(out_dir, name + ".rst"), "w") as f:
                f.write("*Not measured: this build of the manual had no MicroPython unix port.*\n")
        return
    with ThreadPoolExecutor(len(PARTS)) as pool:
        jobs = {name: pool.submit(make, out_dir) for name, make in PARTS.items()}
    for name, job in jobs.items():
        try:
            text = job.result()
        except Exception as e:  # noqa: BLE001 - reported as a build warning, which fails -W
            LOG.warning("measured: %s: %s", name, e)
            text = "*Not measured: %s failed in this build.*\n" % name
        with open(os.path.join(out_dir, name + ".rst"), "w") as f:
            f.write(text)


def setup(app):
    app.connect("builder-inited", generate)
    return {"parallel_read_safe": True}
