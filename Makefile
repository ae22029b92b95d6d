# The README's commands. `make demo` sets up everything and runs the demo; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test check vendor bench messages system-deps clean

$(INSTALLED): pyproject.toml
	scripts/bootstrap.sh "$(PYTHON)"
	touch $(INSTALLED)

demo: $(INSTALLED)
	$(BIN)/interschool demo

test: $(INSTALLED)
	scripts/test.sh

check: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/mypy

system-deps:
	scripts/system-deps.sh test

vendor:
	scripts/vendor.sh

messages: $(INSTALLED)
	cd interschool && ../$(BIN)/interschool manage makemessages --no-obsolete --no-location -l ru -l he -l fa -l nl

bench: $(INSTALLED)
	$(BIN)/python benchmarks/generate.py
	$(BIN)/python benchmarks/import_bench.py
	$(BIN)/python benchmarks/pages_bench.py
	$(BIN)/python benchmarks/pages_bench.py --postgres
	$(BIN)/python benchmarks/matching_bench.py
	$(BIN)/python benchmarks/matching_run_bench.py
	$(BIN)/python benchmarks/booking_bench.py

clean:
	rm -rf $(VENV) var test-artifacts
