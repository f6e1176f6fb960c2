# Blind Pilot — two commands for a new user: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8080
SOAK_S ?= 600
# empty: the soak's load is chosen from this machine's last `make bench` (see `soak:` below)
SOAK_SESSIONS ?=

.PHONY: run test bench soak lint system-deps test-deps bytecode kernels clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

# Speech (espeak-ng) and the private D-Bus daemon used by the Bluetooth tests; the tests add the
# browser they drive for the companion app (Debian's chromium: never a browser download). Python
# speech works without root through espeakng-loader; the Debian packages (named like the commands
# they bring) are installed only when missing.
SYSTEM_DEPS := espeak-ng dbus-daemon
TEST_DEPS   := $(SYSTEM_DEPS) chromium
system-deps: DEPS = $(SYSTEM_DEPS)
test-deps: DEPS = $(TEST_DEPS)
system-deps test-deps:
	@missing=""; \
	for cmd in $(DEPS); do command -v $$cmd >/dev/null || missing="$$missing $$cmd"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing ..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null 2>&1 \
	      || echo "WARNING: could not install$$missing; speech falls back to espeakng-loader/text-only, browser tests skip"; \
	  else echo "NOTE:$$missing missing and not root; speech uses espeakng-loader, D-Bus and browser tests skip"; fi; \
	fi

# Our modules compiled ahead (the editable install does not, and with PYTHONDONTWRITEBYTECODE set,
# as in some containers, every start would compile them again: ~50 ms of each start-up).
bytecode: $(STAMP)
	@$(PY) -m compileall -q navigator routing beacons voice benchmarks >/dev/null

# numba's machine code into its on-disk cache before anything times a walker's scan or a route:
# the positioner's loops (beacons/kernels.py, scripts/compile_kernels.py: about a minute the
# first time on a busy 2-core machine) and the route search (routing/bidijkstra.py: 5-40 s);
# a few seconds each once cached.
kernels: $(STAMP)
	@$(PY) scripts/compile_kernels.py
	@$(PY) -m routing.bidijkstra

run: $(STAMP) system-deps bytecode kernels
	$(VENV)/bin/blindpilot serve --host $(HOST) --port $(PORT)

test: $(STAMP) test-deps kernels
	$(VENV)/bin/ruff check
	$(VENV)/bin/mypy navigator routing beacons voice
	@scripts/pg.sh start
	@BLINDPILOT_TEST_PG_URL="$$(cat .pg/url 2>/dev/null)" $(PY) -m pytest -q -p no:cacheprovider; \
	  rc=$$?; scripts/pg.sh stop; exit $$rc

bench: $(STAMP) system-deps bytecode kernels
	$(PY) -m benchmarks.run

# Live-guidance soak: walkers (1 scan/s each) at 80 % of one worker's capacity (the last
# `make bench`'s ramp, in benchmarks/results.json, else a stated default; SOAK_SESSIONS= to set
# the count) for SOAK_S seconds against an own one-worker server; reports its memory growth and
# dropped sessions against the goals.
soak: $(STAMP) bytecode kernels
	$(PY) -m benchmarks.loadgen --soak $(SOAK_S) $(if $(SOAK_SESSIONS),--sessions $(SOAK_SESSIONS))

lint: $(STAMP)
	$(VENV)/bin/ruff check
	$(VENV)/bin/mypy navigator routing beacons voice

clean:
	rm -rf $(VENV) .pg .pytest_cache *.egg-info
