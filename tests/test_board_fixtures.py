# The board suite's binary fixtures (board/firmware/) are the bytes their recipe
# recorded: CI never rebuilds them (it has no access to their sources), so this is what
# ties the committed images to board/firmware/SOURCES.txt and build.sh. Also: the
# emulator's lock file pins every package by integrity hash and names no host.
import binascii
import hashlib
import json
import os

import unittest

from support import ROOT

FW = ROOT + "/board/firmware"
SIM = ROOT + "/board/sim"


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            chunk = f.read(8192)
            if not chunk:
                break
            h.update(chunk)
    return binascii.hexlify(h.digest()).decode()


def recorded():
    sums = {}
    with open(FW + "/SHA256SUMS") as f:
        for line in f:
            if line.strip():
                digest, name = line.split()
                sums[name.lstrip("*")] = digest
    return sums


class Fixtures(unittest.TestCase):
    def test_images_match_their_recorded_sha256(self):
        sums = recorded()
        self.assertEqual(sorted(sums), ["bootrom-b1.bin", "firmware-chipstack.bin", "firmware.bin"])
        for name, digest in sums.items():
            self.assertEqual(sha256_of(FW + "/" + name), digest, name)

    def test_every_binary_is_recorded(self):
        sums = recorded()
        for name in os.listdir(FW):
            if name.endswith(".bin") or name.endswith(".img") or name.endswith(".uf2"):
                self.assertIn(name, sums)

    def test_the_chip_stack_variant_is_recorded_with_its_recipe(self):
        # build.sh builds it with VARIANT=chipstack from the same commits; SOURCES.txt
        # says how (lwIP off through a board variant file).
        with open(FW + "/SOURCES.txt") as f:
            sources = f.read()
        self.assertIn("firmware-chipstack.bin (VARIANT=chipstack build.sh)", sources)
        self.assertIn("set(MICROPY_PY_LWIP 0)", sources)
        with open(FW + "/build.sh") as f:
            script = f.read()
        self.assertIn("set(MICROPY_PY_LWIP 0)", script)
        self.assertIn("BOARD_VARIANT=CHIPSTACK", script)
        # a different image from the lwIP one, and no larger than the flash before the
        # filesystem (2 MiB - 1408 KiB)
        self.assertNotEqual(sha256_of(FW + "/firmware.bin"), sha256_of(FW + "/firmware-chipstack.bin"))
        self.assertTrue(os.stat(FW + "/firmware-chipstack.bin")[6] < 2 * 1024 * 1024 - 1408 * 1024)

    def test_boot_rom_is_16_KiB(self):
        self.assertEqual(os.stat(FW + "/bootrom-b1.bin")[6], 16384)

    def test_sources_name_exact_commits(self):
        repos = []
        with open(FW + "/SOURCES.txt") as f:
            for line in f:
                if line.strip() and not line.startswith("#"):
                    words = line.split()
                    repos.append(words[0])
                    self.assertEqual(len(words[1]), 40, line)
                    int(words[1], 16)  # hex
        for repo in ("micropython+micropython", "raspberrypi+pico-sdk", "lwip-tcpip+lwip", "wokwi+rp2040js"):
            self.assertIn(repo, repos)


class EmulatorLock(unittest.TestCase):
    def test_lock_pins_by_integrity_and_names_no_host(self):
        with open(SIM + "/package-lock.json") as f:
            text = f.read()
        self.assertFalse("://" in text, "a URL in the lock file")
        self.assertFalse('"resolved"' in text, "a resolved field in the lock file")
        lock = json.loads(text)
        for path, pkg in lock["packages"].items():
            if path:
                self.assertTrue(pkg["integrity"].startswith("sha512-"), path)
        self.assertEqual(lock["packages"]["node_modules/rp2040js"]["version"], "1.4.1")

    def test_npmrc_keeps_hosts_out_of_the_lock(self):
        with open(SIM + "/.npmrc") as f:
            self.assertIn("omit-lockfile-registry-resolved=true", f.read())
