# Transparansi RT — the README's commands. Everything installs into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PO     := transparency/translations/id/LC_MESSAGES/messages.po
MO     := $(PO:.po=.mo)
HOST   ?= 127.0.0.1
PORT   ?= 5000
export FLASK_APP := wsgi

.PHONY: run test bench lint format setup messages clean

## make run: set up, migrate, seed the demo city, print the logins and serve on :5000
run: setup
	$(BIN)/flask db upgrade
	$(BIN)/flask demo seed
	$(BIN)/flask demo logins
	@echo "Serving on http://$(HOST):$(PORT)"
	$(BIN)/gunicorn --workers 2 --threads 4 --bind $(HOST):$(PORT) --access-logfile - wsgi:app

## make test: set up and run the whole suite (PostgreSQL with TEST_DATABASE_URL)
test: setup
	$(BIN)/python -m pytest

## make bench: the speed and memory benchmarks (figures go to docs/PERFORMANCE.md)
bench: setup
	$(BIN)/python -m benchmarks

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

setup: $(VENV)/.installed $(MO)

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(MO): $(PO) $(VENV)/.installed
	$(BIN)/pybabel compile -d transparency/translations

## make messages: extract new strings, merge them into the Indonesian catalogue
messages: setup
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l --no-location --sort-output \
		-o transparency/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i transparency/translations/messages.pot \
		-d transparency/translations
	$(BIN)/python scripts/translate.py

clean:
	rm -rf $(VENV) instance .pytest_cache
