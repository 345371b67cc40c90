#!/bin/sh
# Regenerate reference/*.sql: the schema real Alembic leaves at each revision
# of the seed's migrations (002's check constraint inline, the only way SQLite
# can have it). The interoperability test checks that Alembic still agrees.
set -e
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dump() {
  sqlite3 "$tmp/db" "SELECT sql || ';' FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid" > "$here/reference/$1.sql"
}
run() { alembic -c "$here/alembic.ini" -x db="$tmp/db" "$@" >/dev/null 2>&1; }
run upgrade 001_initial_schema && dump 001_initial_schema
run upgrade head && dump 002_add_invalid_responses
run downgrade base && dump base
