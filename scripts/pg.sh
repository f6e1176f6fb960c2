#!/usr/bin/env bash
# Start or stop a private PostgreSQL server for the test suite on a free loopback port.
# Installs Debian's postgresql package when no server binaries exist. Writes the URL to .pg/url;
# when PostgreSQL cannot be had it says so loudly and writes no URL (the PostgreSQL tests skip).
# The cluster itself lives under /tmp, not in the checkout: as root the server runs as the
# postgres user, which may not be allowed into the folder the checkout sits in.
set -u
cd "$(dirname "$0")/.."
STATE="$PWD/.pg"
PORT="${BLINDPILOT_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

as_owner() {  # initdb and postgres refuse to run as root
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop() {
  local bin root; bin="$(find_bin)"
  root="$(cat "$STATE/cluster" 2>/dev/null)"
  if [ -n "$bin" ] && [ -n "$root" ] && [ -f "$root/data/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$root/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  [ -n "$root" ] && rm -rf "$root"
  rm -rf "$STATE"
}

die() {  # PostgreSQL is installed but broken: that is a failure, not a reason to skip
  echo "PostgreSQL failed: $1" >&2
  exit 1
}

loud() {
  echo "##############################################################################" >&2
  echo "# PostgreSQL NOT AVAILABLE: $1" >&2
  echo "# The PostgreSQL storage/API tests will be SKIPPED in this run." >&2
  echo "##############################################################################" >&2
  exit 0
}

start() {
  stop
  local bin root; bin="$(find_bin)"
  if [ -z "$bin" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "installing PostgreSQL (Debian package postgresql)..." >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) \
        >/dev/null 2>&1 || loud "apt-get install postgresql failed"
      bin="$(find_bin)"
    fi
    [ -n "$bin" ] || loud "no PostgreSQL server binaries and no root/apt to install them"
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home postgres || loud "cannot create the postgres user"
  fi
  mkdir -p "$STATE"
  root="$(mktemp -d /tmp/blindpilot-pg.XXXXXX)" || die "cannot make a folder under /tmp"
  echo "$root" >"$STATE/cluster"
  chmod 755 "$root"
  [ "$(id -u)" = 0 ] && chown postgres "$root"
  as_owner "$bin/initdb" -D "$root/data" -U postgres --auth=trust -E UTF8 >"$STATE/initdb.log" 2>&1 \
    || die "initdb failed: $(tail -n 3 "$STATE/initdb.log")"
  as_owner "$bin/pg_ctl" -D "$root/data" -l "$root/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -c port=$PORT -k $root -c fsync=off" start >/dev/null \
    || die "the server did not start: $(tail -n 3 "$root/server.log")"
  echo "postgresql://postgres@127.0.0.1:$PORT/postgres" >"$STATE/url"
  echo "private PostgreSQL running on 127.0.0.1:$PORT (cluster in $root)" >&2
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
