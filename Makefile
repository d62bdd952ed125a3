# Two commands on a fresh machine: `make demo` and `make test`. Both install first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test bench screenshots clean

install: $(STAMP)

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: install
	$(BIN)/tenderwatch demo

test: install
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/run_all.py

screenshots: install
	$(BIN)/python -m web.screenshots --out screenshots
	$(BIN)/python tools/digest_screenshot.py --out screenshots

clean:
	rm -rf $(VENV) data/tenderwatch.db* screenshots
