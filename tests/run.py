# The suite's entry point on the MicroPython unix port:
#     micropython tests/run.py [name-fragment ...]
# micropython-unittest 0.4 gives TestCase; its main() exits 1 even when every test
# passes and counts errors as failures, so discovery, the count and the exit code live here.
# Environment: WIZNET_NET_LIB puts a folder (e.g. the .mpy build) before the sources.
import gc
import os
import sys

_here = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
ROOT = _here.rsplit("/", 1)[0] if "/" in _here else "."
sys.path.insert(0, ROOT + "/build/lib")  # the pinned unittest module
sys.path.insert(0, _here)
sys.path.insert(0, ROOT)
if os.getenv("WIZNET_NET_LIB"):
    sys.path.insert(0, os.getenv("WIZNET_NET_LIB"))

import unittest  # noqa: E402

if sys.implementation.name != "micropython":
    # CPython runs the suite only to measure line coverage (make coverage); MicroPython
    # stays the authority. Give it the few MicroPython functions the tests use.
    import time
    import traceback

    from wiznet_net import _compat

    for _name in ("ticks_ms", "ticks_diff", "ticks_add", "sleep_ms"):
        setattr(time, _name, getattr(_compat, _name))
    sys.print_exception = lambda e, f=sys.stdout: traceback.print_exception(type(e), e, e.__traceback__, file=f)


def _check_lib():
    # With WIZNET_NET_LIB set, the package must come from there (e.g. the .mpy build).
    import wiznet_net

    lib = os.getenv("WIZNET_NET_LIB")
    print("wiznet_net %s from %s" % (wiznet_net.__version__, wiznet_net.__file__))
    if lib and not wiznet_net.__file__.startswith(lib):
        raise SystemExit("wiznet_net was not imported from WIZNET_NET_LIB=" + lib)


def _test_cases(module):
    for name in sorted(dir(module)):
        obj = getattr(module, name)
        if isinstance(obj, type) and issubclass(obj, unittest.TestCase) and obj is not unittest.TestCase:
            yield name, obj


def _run_one(cls, method, label, counts):
    case = cls()
    outcome = "ok"
    error = None
    try:
        getattr(case, "setUp", lambda: None)()
        try:
            getattr(case, method)()
        finally:
            getattr(case, "tearDown", lambda: None)()
    except unittest.SkipTest as e:
        outcome = "skipped: %s" % (e.args[0] if e.args else "")
    except AssertionError as e:
        outcome, error = "FAIL", e
    except Exception as e:
        outcome, error = "ERROR", e
    print("%s ... %s" % (label, outcome))
    if error is not None:
        sys.print_exception(error)
        counts[1] += 1
    elif outcome == "ok":
        counts[0] += 1
    else:
        counts[2] += 1
    gc.collect()


def main(filters):
    _check_lib()
    names = sorted(n[:-3] for n in os.listdir(_here) if n.startswith("test_") and n.endswith(".py"))
    counts = [0, 0, 0]  # passed, failed (failures and errors), skipped
    for mod_name in names:
        if filters and not any(f in mod_name for f in filters):
            continue
        try:
            module = __import__(mod_name)
        except Exception as e:
            print("%s ... ERROR while importing" % mod_name)
            sys.print_exception(e)
            counts[1] += 1
            continue
        for cls_name, cls in _test_cases(module):
            for method in sorted(dir(cls)):
                if method.startswith("test"):
                    _run_one(cls, method, "%s.%s.%s" % (mod_name, cls_name, method), counts)
    if counts[2]:
        print("%d skipped" % counts[2])
    print("%d passed, %d failed" % (counts[0], counts[1]))
    return counts[1]


if __name__ == "__main__":
    sys.exit(1 if main(sys.argv[1:]) else 0)
