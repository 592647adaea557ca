#!/usr/bin/env bash
# Starts the local services a make target needs when they are not already answering.
#
#   scripts/services.sh redis        Redis on 127.0.0.1:6379 (render-job tests, the worker)
#   scripts/services.sh postgresql   PostgreSQL on 127.0.0.1:5432 with a database "test" (CI, bench, load)
#
# Exit 1 with one line saying what failed when a service cannot be started.
set -euo pipefail

PG_HOST=127.0.0.1
PG_PORT=5432
REDIS_PORT=6379

redis_up() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; }
pg_up() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" 2>/dev/null; }

start_redis() {
  redis_up && return 0
  echo "Redis is not answering on 127.0.0.1:${REDIS_PORT}; starting it."
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save "" --appendonly no >/dev/null
  for _ in $(seq 1 20); do redis_up && return 0; sleep 0.5; done
  echo "FAIL: Redis could not be started on 127.0.0.1:${REDIS_PORT}." >&2
  return 1
}

start_postgresql() {
  if ! pg_up; then
    echo "PostgreSQL is not answering on ${PG_HOST}:${PG_PORT}; starting it."
    local version
    version="$(ls /etc/postgresql | sort -V | tail -n 1)"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
  if ! pg_up; then
    echo "FAIL: PostgreSQL could not be started on ${PG_HOST}:${PG_PORT}." >&2
    return 1
  fi
  if ! psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'test'" \
      | grep -q 1; then
    createdb -h "$PG_HOST" -p "$PG_PORT" -U postgres test
  fi
}

for service in "$@"; do
  case "$service" in
    redis) start_redis ;;
    postgresql) start_postgresql ;;
    *) echo "services: unknown service '$service' (redis, postgresql)" >&2; exit 2 ;;
  esac
done
