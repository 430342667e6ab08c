#!/usr/bin/env python3
"""Write the RP2040 B1 boot ROM as a 16 KiB .bin from the TypeScript data module that
wokwi/rp2040js publishes in its demo folder (demo/bootrom.ts: `export const bootromB1 =
new Uint32Array([0x..., ...])`, the chip's ROM as 4096 little-endian words).

    git --git-dir=$MIRRORS/wokwi+rp2040js/repo show COMMIT:demo/bootrom.ts \
        | python3 board/firmware/bootrom_from_ts.py > board/firmware/bootrom-b1.bin

Why not built from raspberrypi/pico-bootrom-rp2040 (tag b1) here: with Debian's
arm-none-eabi-gcc 12.2 and the tag's own flags (-Os -flto) the code is 16568 bytes, 184
more than the 16 KiB ROM; the chip's image was built with GCC 9.3.1 (the tag's README).
The data used here is that chip image (it carries the chip's GIT_REV 0x00a4a191 at 0x50).
"""
import re
import struct
import sys

ROM_BYTES = 16384


def words(text):
    body = text.split("new Uint32Array([", 1)[1].split("])", 1)[0]
    return [int(w, 16) for w in re.findall(r"0x([0-9a-fA-F]{1,8})", body)]


def main():
    w = words(sys.stdin.read())
    if len(w) * 4 != ROM_BYTES:
        sys.exit("expected %d words, found %d" % (ROM_BYTES // 4, len(w)))
    sys.stdout.buffer.write(struct.pack("<%dI" % len(w), *w))


if __name__ == "__main__":
    main()
