#!/usr/bin/env bash
# Rebuild the board suite's firmware fixture: MicroPython's rp2 port for W5500_EVB_PICO
# (mainline WIZNET5K driver, lwIP in MACRAW mode), from local snapshots of its public
# sources, with no network access. CI never runs this: it uses the committed image and
# checks its sha256 (board/firmware/SHA256SUMS).
#
#   MIRRORS=/path/to/snapshots board/firmware/build.sh [OUT_DIR]
#   VARIANT=chipstack MIRRORS=... board/firmware/build.sh [OUT_DIR]
#
# VARIANT=chipstack builds firmware-chipstack.bin instead: the same sources and board
# with lwIP off (MICROPY_PY_LWIP=0), so extmod/network_wiznet5k.c takes its
# WIZNET5K_PROVIDED_STACK path and sockets are the chip's own (the ioLibrary's
# Ethernet/socket.c under extmod/modsocket.c). The board's mpconfigboard.cmake sets
# MICROPY_PY_LWIP with a plain set(), which a -D on the cmake line cannot override, and
# ports/rp2/CMakeLists.txt includes a board variant's cmake file after it: so the switch
# is a variant file written into the unpacked tree (BOARD_VARIANT=CHIPSTACK). Without
# lwIP the rp2 CMakeLists.txt leaves WIZCHIP_USE_MAX_BUFFER undefined: the ioLibrary's
# default 2 KiB per socket for all 8 sockets.
#
# MIRRORS holds one bare git directory per repository, at MIRRORS/<owner>+<name>/repo
# (the layout of the project's snapshot tool; a folder of `git clone --mirror` copies
# renamed that way works too). The repositories and exact commits are in SOURCES.txt.
# Needs (Debian): gcc-arm-none-eabi libnewlib-arm-none-eabi cmake build-essential python3.
# Output: OUT_DIR (default: this folder)/firmware.bin and firmware.elf. About 3 min on
# 2 CPUs. Then: (cd board/firmware && sha256sum firmware.bin bootrom-b1.bin > SHA256SUMS)
set -euo pipefail
: "${MIRRORS:?set MIRRORS to the folder holding the repository snapshots}"
here=$(cd "$(dirname "$0")" && pwd)
out=$(mkdir -p "${1:-$here}" && cd "${1:-$here}" && pwd)
work=${WORK:-$(mktemp -d /tmp/w5500-fw.XXXXXX)}
jobs=$(nproc)
variant=${VARIANT:-}
case "$variant" in
    "") name=firmware; build=build-W5500_EVB_PICO; make_variant=() ;;
    chipstack) name=firmware-chipstack; build=build-W5500_EVB_PICO-CHIPSTACK; make_variant=(BOARD_VARIANT=CHIPSTACK) ;;
    *) echo "unknown VARIANT=$variant (known: chipstack)" >&2; exit 1 ;;
esac

# commit_of NAME: the commit SOURCES.txt names for a repository (one source of truth).
commit_of() { awk -v r="$1" '$1 == r { print $2 }' "$here/SOURCES.txt"; }

# unpack OWNER+NAME DEST: the tree of that commit into DEST. A snapshot may lack a few
# large blobs nobody builds from (test vectors, docs images); `git archive` stops at the
# first missing one, so those paths are listed and excluded by name.
unpack() {
    local repo=$MIRRORS/$1/repo commit dest=$2
    commit=$(commit_of "$1")
    [ -n "$commit" ] || { echo "no commit for $1 in SOURCES.txt" >&2; exit 1; }
    local -a skip=()
    while IFS=$'\t' read -r meta path; do
        set -- $meta   # mode type object
        if [ "$2" = blob ] && ! git --git-dir="$repo" cat-file -e "$3" 2>/dev/null; then
            skip+=(":(exclude)$path")
        fi
    done < <(git --git-dir="$repo" ls-tree -r "$commit")
    rm -rf "$dest" && mkdir -p "$dest"
    git --git-dir="$repo" archive "$commit" -- . "${skip[@]}" | tar -x -C "$dest"
    echo "unpacked $(basename "$(dirname "$repo")")@$commit -> $dest (${#skip[@]} absent blobs skipped)"
}

unpack micropython+micropython "$work/micropython"
cd "$work/micropython"
unpack raspberrypi+pico-sdk lib/pico-sdk
unpack hathach+tinyusb lib/tinyusb
unpack lwip-tcpip+lwip lib/lwip
unpack andrewleech+wiznet_ioLibrary_Driver lib/wiznet5k
unpack Mbed-TLS+mbedtls lib/mbedtls
unpack micropython+micropython-lib lib/micropython-lib

# The build date printed in the banner is the micropython commit's date, not today's:
# the same sources give the same bytes on any day.
export SOURCE_DATE_EPOCH=$(git --git-dir="$MIRRORS/micropython+micropython/repo" log -1 --format=%ct "$(commit_of micropython+micropython)")
make -C mpy-cross -j"$jobs"
# picotool would be downloaded by the SDK's cmake: PICO_NO_PICOTOOL=1 (the .bin is all the
# emulator needs). CMAKE_ARGS goes through the environment: given on make's command line
# it replaces the port Makefile's own -DMICROPY_BOARD and a plain Pico firmware results.
if [ "$variant" = chipstack ]; then
    # Included by ports/rp2/CMakeLists.txt right after the board's mpconfigboard.cmake.
    printf '%s\n' '# wiznet_net board suite: W5500_EVB_PICO without lwIP (the chip'"'"'s own sockets).' \
        'set(MICROPY_PY_LWIP 0)' > ports/rp2/boards/W5500_EVB_PICO/mpconfigvariant_CHIPSTACK.cmake
fi
env CMAKE_ARGS=-DPICO_NO_PICOTOOL=1 make -C ports/rp2 BOARD=W5500_EVB_PICO "${make_variant[@]}" -j"$jobs"
cp "ports/rp2/$build/firmware.bin" "$out/$name.bin"
cp "ports/rp2/$build/firmware.elf" "$out/$name.elf"
sha256sum "$out/$name.bin"
