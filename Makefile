# Fieldops: two commands on a fresh machine.
#   make serve   serve on embedded defaults (SQLite, in-memory channel layer, console SMS/chat/e-mail,
#                demo data seeded once) with uvicorn on 127.0.0.1:8000
#   make test    lint, layer contracts and the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test lint schema bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

serve: $(BIN)/.installed
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py seed_demo
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py serve --host $(HOST) --port $(PORT)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

schema: $(BIN)/.installed
	DEBUG=1 $(BIN)/python manage.py graphql_schema

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
