# What `import wiznet_net.aioserver` finds in a blocking-only install (package.json): mip
# puts this, compiled, at wiznet_net/aioserver.mpy. MicroPython prefers aioserver.py to
# aioserver.mpy, so once package-aio.json has added the real one this file is never loaded
# again, whatever order the packages are installed in. Rebuilt by `make package-json`.
raise ImportError(
    "wiznet_net.aioserver (the asyncio server) is not installed: package.json leaves it out. "
    "Install package-aio.json: mpremote mip install github:org/wiznet_net/package-aio.json, "
    "or mip.install('github:org/wiznet_net/package-aio.json') on the board "
    "(a fork: its own path in place of org/wiznet_net)"
)
