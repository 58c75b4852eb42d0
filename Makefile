# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint translations bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Concierge needs Python 3.11 or newer (set PYTHON=...)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/concierge demo --database demo.db

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

translations: $(STAMP)
	$(BIN)/pybabel extract -F locales/babel.cfg -o locales/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i locales/messages.pot -d locales --no-fuzzy-matching
	$(BIN)/pybabel compile -d locales --statistics

bench: $(STAMP)
	$(BIN)/python -m bench.import_purchases

clean:
	rm -rf $(VENV) demo.db *.egg-info .pytest_cache .ruff_cache
