#!/bin/sh
# Build two 32-bit MicroPython unix ports, for footprints close to a board's (RP2040 and
# RP2350 are 32-bit; the unix port from PyPI is 64-bit, so its objects are about twice
# as large):
#   build/unix32/micropython         asyncio frozen, as on a board; wiznet_net imported
#   build/unix32/micropython-frozen  wiznet_net frozen in too, through ./manifest.py
# Needs a MicroPython source tree (git clone https://github.com/micropython/micropython;
# no submodules) and gcc that can build -m32 (Debian: apt-get install gcc-multilib).
#     tools/unix32.sh /path/to/micropython
# then `make footprint32` (or MICROPYTHON=build/unix32/micropython make bench).
set -eu
src=$(cd "${1:?usage: tools/unix32.sh /path/to/micropython}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build/unix32
mkdir -p "$out/mplib"
# The unix port refuses to freeze without micropython-lib checked out, even when the
# manifest uses none of it: an empty stand-in satisfies that check.
touch "$out/mplib/README.md"
printf 'include("$(MPY_DIR)/extmod/asyncio")\n' > "$out/asyncio.py"
printf 'include("$(MPY_DIR)/extmod/asyncio")\ninclude("%s/manifest.py")\n' "$root" > "$out/frozen.py"
make -s -C "$src/mpy-cross" -j2 >/dev/null
for kind in asyncio frozen; do
    # no ffi, btree or ssl: they need submodules, and the figures here do not use them
    make -s -C "$src/ports/unix" -j2 VARIANT=standard BUILD="$out/build-$kind" PROG=micropython-$kind \
        MICROPY_PY_FFI=0 MICROPY_PY_BTREE=0 MICROPY_PY_SSL=0 MICROPY_STANDALONE=0 \
        CFLAGS_EXTRA=-m32 LDFLAGS_EXTRA=-m32 MPY_LIB_DIR="$out/mplib" FROZEN_MANIFEST="$out/$kind.py" >/dev/null
done
cp "$out/build-asyncio/micropython-asyncio" "$out/micropython"
cp "$out/build-frozen/micropython-frozen" "$out/micropython-frozen"
"$out/micropython" -c "import sys; print('built: 32-bit' if sys.maxsize < 1 << 32 else 'built: NOT 32-bit')"
