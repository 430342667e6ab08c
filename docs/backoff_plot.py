"""A Sphinx extension that draws the backoff picture at build time from the library's
own Backoff (never by hand), so the documentation cannot drift from the code."""
import os


def draw(app):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from wiznet_net import Backoff

    out = os.path.join(app.srcdir, "_generated")
    os.makedirs(out, exist_ok=True)
    steps = list(range(1, 13))
    settings = dict(initial_ms=500, factor=2, max_ms=30000)
    ceiling = Backoff(jitter=0, **settings)
    ceilings = [ceiling.next_ms() / 1000 for _ in steps]
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=100)
    ax.fill_between(steps, [0.5] * len(steps), ceilings, color="#cde", label="range of the full-jitter delay")
    ax.plot(steps, ceilings, "k-", lw=1, label="ceiling: min(max_ms, initial_ms * factor**n)")
    for seed, marker in ((1, "o"), (2, "s"), (3, "^")):
        state = [seed]

        def rand():  # a fixed LCG: the picture is the same on every build
            state[0] = (state[0] * 1103515245 + 12345) & 0x7FFFFFFF
            return state[0] / 0x80000000

        b = Backoff(rand=rand, **settings)
        ax.plot(steps, [b.next_ms() / 1000 for _ in steps], marker + "--", ms=4, lw=0.8, label="a device, seed %d" % seed)
    ax.plot(steps, [2] * len(steps), "r:", lw=1.5, label="the tutorial: fixed 2 s")
    ax.set_xlabel("consecutive failed attempt")
    ax.set_ylabel("delay before the next (s)")
    ax.set_title("Backoff(initial_ms=500, factor=2, max_ms=30000)")
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "backoff.png"))
    plt.close(fig)


def setup(app):
    app.connect("builder-inited", draw)
    return {"parallel_read_safe": True}
