# Sphinx configuration. The library imports under CPython 3.11 (wiznet_net/_compat.py),
# so autodoc reads its docstrings directly; the version comes from the package itself.
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import wiznet_net  # noqa: E402

project = "wiznet_net"
author = "wiznet_net authors"
copyright = "2026, " + author
version = release = wiznet_net.__version__

extensions = ["sphinx.ext.autodoc", "backoff_plot", "measured"]
autodoc_member_order = "bysource"
exclude_patterns = ["_build", "_generated"]  # _generated: included, not pages
html_theme = "alabaster"
html_static_path = []
