# The two commands of the README: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install test demo clean-demo bench browser

$(STAMP): setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The report tests open the HTML pages in Debian's chromium. It is installed here when it is
# missing and can be (root with apt-get); otherwise those tests skip and print why.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium for the report tests (apt-get)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "chromium could not be installed: the browser tests will skip"; \
	  else echo "no chromium and no root apt-get: the browser tests will skip"; fi; }

test: $(STAMP) browser
	$(BIN)/python -m pytest -n 2 --durations=15 tests

demo: $(STAMP)
	$(BIN)/python -m ddsp_train.demo --output demo

clean-demo:
	rm -rf demo

bench: $(STAMP)
	$(BIN)/python scripts/bench.py
