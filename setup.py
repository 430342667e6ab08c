"""PyPI packaging, in the micropython-lib naming convention: micropython-wiznet-net.

The version is read from wiznet_net/__init__.py, its one home. The wheel carries the
type stubs (wiznet_net/*.pyi, py.typed: PEP 561) for editors and type checkers.
    python -m build --no-isolation && twine check dist/*
"""
import re

from setuptools import setup

with open("wiznet_net/__init__.py") as f:
    VERSION = re.search(r'^__version__ = "([^"]+)"', f.read(), re.M).group(1)

with open("README.md") as f:
    README = f.read()

setup(
    name="micropython-wiznet-net",
    version=VERSION,
    description="Resilient TCP client and Ethernet bring-up for WIZnet boards on MicroPython",
    long_description=README,
    long_description_content_type="text/markdown",
    url="https://github.com/org/wiznet_net",
    author="wiznet_net authors",
    license="MIT",
    packages=["wiznet_net"],
    package_data={"wiznet_net": ["*.pyi", "py.typed"]},
    python_requires=">=3.8",
    classifiers=[
        "Development Status :: 4 - Beta",
        "Programming Language :: Python :: Implementation :: MicroPython",
        "Topic :: System :: Networking",
        "Topic :: Software Development :: Embedded Systems",
    ],
)
