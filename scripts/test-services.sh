# Start throw-away PostgreSQL and Redis servers on loopback for the test suite.
# Usage: source scripts/test-services.sh; start_test_services; ...; stop_test_services
# Exports MB_TEST_POSTGRES_URL and MB_TEST_REDIS_URL. Needs root or the postgres user.

MB_PG_PORT=${MB_PG_PORT:-55432}
MB_REDIS_PORT=${MB_REDIS_PORT:-56379}

start_test_services() {
  local pgbin
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  MB_PGDATA=$(mktemp -d /tmp/mb-pg.XXXXXX)
  chown postgres:postgres "$MB_PGDATA"
  su postgres -s /bin/sh -c "$pgbin/initdb -D $MB_PGDATA -A trust -U postgres >/dev/null"
  su postgres -s /bin/sh -c "$pgbin/pg_ctl -D $MB_PGDATA -l $MB_PGDATA/server.log -w \
    -o '-c listen_addresses=127.0.0.1 -p $MB_PG_PORT -k $MB_PGDATA -c fsync=off -c max_connections=300' start >/dev/null"
  "$pgbin/psql" -h 127.0.0.1 -p "$MB_PG_PORT" -U postgres -qc "CREATE DATABASE mb_test" >/dev/null
  redis-server --port "$MB_REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
    --pidfile "$MB_PGDATA/redis.pid" --logfile "$MB_PGDATA/redis.log"
  export MB_PGDATA
  export MB_TEST_POSTGRES_URL="postgresql+asyncpg://postgres@127.0.0.1:$MB_PG_PORT/mb_test"
  export MB_TEST_REDIS_URL="redis://127.0.0.1:$MB_REDIS_PORT/0"
  echo "test services: PostgreSQL on 127.0.0.1:$MB_PG_PORT, Redis on 127.0.0.1:$MB_REDIS_PORT"
}

stop_test_services() {
  local pgbin
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  [ -f "$MB_PGDATA/redis.pid" ] && kill "$(cat "$MB_PGDATA/redis.pid")" 2>/dev/null || true
  su postgres -s /bin/sh -c "$pgbin/pg_ctl -D $MB_PGDATA -m immediate stop >/dev/null" 2>/dev/null || true
  rm -rf "$MB_PGDATA"
}
