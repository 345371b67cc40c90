#!/bin/sh
# Regenerate variants/*.sql: the schema real Alembic leaves at 002 when 002
# is written another way (variants/NAME/002_add_invalid_responses.py beside
# the seed's 001): the same meaning, other DDL text. migrate_check() must
# call each of them ok (tests/integration/test_ops.c), and
# tests/python/test_alembic_interop.py checks that Alembic still writes them.
set -e
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for name in check_after_fk batch_mode; do
  rm -rf "$tmp/$name" && mkdir -p "$tmp/$name/versions"
  cp "$here/alembic.ini" "$here/env.py" "$here/script.py.mako" "$tmp/$name/"
  cp "$here/versions/001_initial_schema.py" "$here/variants/$name/002_add_invalid_responses.py" \
    "$tmp/$name/versions/"
  "${PYTHON:-/usr/bin/python3}" -m alembic -c "$tmp/$name/alembic.ini" -x db="$tmp/$name.db" upgrade head >/dev/null 2>&1
  sqlite3 "$tmp/$name.db" "SELECT sql || ';' FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid" \
    > "$here/variants/002_$name.sql"
done
