#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on localhost for the store's tests and prints its URL.
# Needs Debian's postgresql package (`.ci/run` installs it). The cluster lives in a temporary
# folder owned by the `postgres` user, so it also works when the tests run as root.
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "postgres.sh: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
port=${WORLDMIND_PG_PORT:-54329}
dir=${WORLDMIND_PG_DIR:-/tmp/worldmind-pg-$port}
run() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
if ! run "$bin/pg_isready -q -h localhost -p $port"; then
    if [ ! -s "$dir/PG_VERSION" ]; then
        mkdir -p "$dir"
        [ "$(id -u)" = 0 ] && chown postgres "$dir"
        run "$bin/initdb -D $dir -A trust -U postgres" >/dev/null
    fi
    run "$bin/pg_ctl -D $dir -l $dir/server.log -o '-p $port -k /tmp -c listen_addresses=localhost -c fsync=off' -w -s start" >&2
fi
echo "postgresql+psycopg://postgres@localhost:$port/postgres"
