# musiccluster — the two commands a new user needs: `make book` and `make test`.
# Each creates .venv/ and installs requirements.txt on first use (and again only
# when requirements.txt or pyproject.toml change).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BOOK_HTML := _build/html/index.html
# `make test` runs the fast suite; SLOW=1 (used by CI) adds the end-to-end tests.
PYTEST_ARGS ?=
ifeq ($(SLOW),1)
PYTEST_MARK :=
else
PYTEST_MARK := -m "not slow"
endif

.PHONY: book test test-all rerun chapter-params clean-book clean help

help:
	@echo "make book   build the HTML book (book/_build/html/index.html)"
	@echo "make test   run the fast test suite (SLOW=1: everything, as CI does)"
	@echo "make rerun NAME=gtzan PARAMS=\"data_dir=/data/gtzan/genres epochs=50\"   rerun the whole book"

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build book --keep-going
	@test -f $(BOOK_HTML) && echo "The book: file://$(CURDIR)/$(BOOK_HTML)"

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_MARK) $(PYTEST_ARGS)

test-all:
	$(MAKE) test SLOW=1

rerun: $(STAMP)
	@test -n "$(NAME)" || (echo "usage: make rerun NAME=<name> PARAMS=\"name=value ...\"" && exit 2)
	$(BIN)/musiccluster report --name "$(NAME)" $(PARAMS)

# after changing a default in musiccluster.params: rewrite every chapter's parameters cell
chapter-params: $(STAMP)
	$(BIN)/python -m musiccluster.book.params --write book

clean-book:
	rm -rf _build book/_build

clean: clean-book
	rm -rf $(VENV) .pytest_cache
