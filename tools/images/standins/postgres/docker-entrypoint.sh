#!/bin/sh
# The official postgres image's start-up, reduced to what the chart uses: initialise PGDATA on first start with
# POSTGRES_USER and the password from POSTGRES_PASSWORD_FILE, run /docker-entrypoint-initdb.d/*.sql once, then run
# postgres in the foreground listening on every address with scram-sha-256 passwords.
set -eu
[ "${1:-postgres}" = postgres ] || exec "$@"
[ "$(id -u)" != 0 ] || { echo "standin-postgres: refusing to run as root" >&2; exit 1; }
user=${POSTGRES_USER:-postgres}
if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then password=$(cat "$POSTGRES_PASSWORD_FILE"); else password=${POSTGRES_PASSWORD:?POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE is needed}; fi
# initdb needs a passwd entry for the running uid; as the official image does, give it one with nss_wrapper
if ! getent passwd "$(id -u)" >/dev/null; then
  NSS_WRAPPER_PASSWD=$(mktemp) NSS_WRAPPER_GROUP=$(mktemp)
  echo "postgres:x:$(id -u):$(id -g):PostgreSQL:$PGDATA:/bin/false" >"$NSS_WRAPPER_PASSWD"
  echo "postgres:x:$(id -g):" >"$NSS_WRAPPER_GROUP"
  export LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
fi
mkdir -p "$PGDATA" && chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp) && printf '%s\n' "$password" >"$pwfile"
  # UTF8 as the official image (its LANG is en_US.utf8); without it initdb picks SQL_ASCII from the C locale
  initdb --username="$user" --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 -D "$PGDATA" >/dev/null
  rm -f "$pwfile"
  printf "host all all all scram-sha-256\n" >>"$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  for f in /docker-entrypoint-initdb.d/*.sql; do
    [ -e "$f" ] || continue
    echo "standin-postgres: running $f"
    psql -v ON_ERROR_STOP=1 --username "$user" --dbname postgres -f "$f"
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "standin-postgres: database initialised"
fi
[ $# -eq 0 ] || shift
exec postgres -c listen_addresses='*' "$@"
