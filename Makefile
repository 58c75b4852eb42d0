# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo office screenshots test translations bench browser clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Concierge needs Python 3.11 or newer (set PYTHON=...)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/concierge chat --demo

# The back office on the demo club and its last fourteen months (office.db, made anew each run).
office: $(STAMP)
	$(BIN)/concierge office --demo

# A PNG of each back-office page, under docs/screenshots/ (needs Chromium: make browser).
screenshots: $(STAMP)
	CONCIERGE_SCREENSHOTS=docs/screenshots $(BIN)/pytest -p no:cacheprovider -o addopts="" -q tests/web/test_office_screenshots.py

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

# Debian's Chromium, for the back office's browser test (it skips, saying why, without it):
# installed when missing and run as root; Playwright drives it by its path, downloads none.
CHROMIUM := /usr/bin/chromium

browser:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then (apt-get update -q && apt-get install -y -q chromium) \
		|| echo "could not install chromium: the browser test skips"; \
	else echo "$(CHROMIUM) missing: run make browser as root, or the browser test skips"; fi

# Extract, update and compile the catalogs; a second run changes no file. The template is
# replaced only when more than its creation date differs; one catalog per club language.
POT := locales/messages.pot
CLUB_LANGUAGES = $(BIN)/python -c 'from bot.settings import load_program; print(*load_program(None).club.languages)'

translations: $(STAMP)
	$(BIN)/pybabel extract -F locales/babel.cfg -o $(POT).new --no-location --sort-output \
		--project=Concierge --header-comment='# Concierge messages: translate in the .po files.' .
	@if diff -q -I '^"POT-Creation-Date: ' $(POT) $(POT).new >/dev/null 2>&1; \
	then rm $(POT).new; else mv $(POT).new $(POT); fi
	@languages="$$($(CLUB_LANGUAGES))" && for language in $$languages; do \
		$(BIN)/pybabel update -i $(POT) -d locales -l $$language --init-missing \
			--no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date || exit 1; \
	done
	$(BIN)/pybabel compile -d locales --statistics

bench: $(STAMP)
	$(BIN)/python -m bench.import_purchases
	$(BIN)/python -m bench.webhooks
	$(BIN)/python -m bench.occasions
	$(BIN)/python -m bench.memory
	$(BIN)/python -m bench.outbound
	$(BIN)/python -m bench.redemptions
	$(BIN)/python -m bench.figures
	$(BIN)/python -m bench.aiogram_router

clean:
	rm -rf $(VENV) demo.db office.db* *.egg-info .pytest_cache .ruff_cache .mypy_cache
