# Fieldops: two commands on a fresh machine.
#   make serve   serve on embedded defaults (SQLite, in-memory channel layer, console SMS/chat/e-mail,
#                demo data seeded once) with uvicorn on 127.0.0.1:8000
#   make test    lint, layer contracts, types (core, config) and the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test lint schema bench clean system-deps

# WeasyPrint (the PDFs) needs pango from the system: installed from Debian's packages when missing
# (as root; otherwise the command to run is printed). Fonts: DejaVu, which the PDF templates name.
PDF_LIBS := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
system-deps:
	@if ! ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || ! fc-list 2>/dev/null | grep -qi dejavu; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "== installing $(PDF_LIBS) for the PDFs"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_LIBS) >/dev/null; \
	  else \
	    echo "PDFs need pango: sudo apt-get install $(PDF_LIBS)"; exit 1; \
	  fi; \
	fi

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

serve: system-deps $(BIN)/.installed
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py seed_demo
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py serve --host $(HOST) --port $(PORT)

lint: system-deps $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	DEBUG=1 $(BIN)/mypy

test: lint
	$(BIN)/pytest

schema: $(BIN)/.installed
	DEBUG=1 $(BIN)/python manage.py graphql_schema

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
