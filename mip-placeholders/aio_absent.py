# What `import wiznet_net.aio` finds in a blocking-only install (package.json): mip puts
# this, compiled, at wiznet_net/aio.mpy. MicroPython prefers aio.py to aio.mpy, so once
# package-aio.json has added the real wiznet_net/aio.py this file is never loaded again,
# whatever order the packages are installed in. Rebuilt by `make package-json`.
raise ImportError(
    "wiznet_net.aio (the asyncio client) is not installed: package.json leaves it out. "
    "Install package-aio.json: mpremote mip install github:org/wiznet_net/package-aio.json, "
    "or mip.install('github:org/wiznet_net/package-aio.json') on the board "
    "(a fork: its own path in place of org/wiznet_net)"
)
