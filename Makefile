# Two commands on a fresh machine: `make demo` and `make test`. Both install first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test bench bench-scale screenshots clean

install: $(STAMP)

# Reinstall only when the dependency list or the tested versions change.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: install
	$(BIN)/tenderwatch demo

test: install
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/run_all.py

# The growth curve 10k → 100k → 1M notices (PostgreSQL; SQLite to 100k). Databases tw_scale_* and
# data/bench/scale/ are kept and reused; `$(BIN)/python bench/bench_scale.py --drop` removes them.
bench-scale: install
	nice $(BIN)/python bench/bench_scale.py $(BENCH_SCALE_ARGS)

screenshots: install
	$(BIN)/python tools/site_screenshots.py --out screenshots
	$(BIN)/python tools/digest_screenshot.py --out screenshots

clean:
	rm -rf $(VENV) data/tenderwatch.db* screenshots
