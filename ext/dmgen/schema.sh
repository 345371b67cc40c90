#!/bin/sh
# The declared schema, sql/schema.sql (the counterpart of Alembic's models),
# against the schema at head, which the extension gets by replaying its
# compiled-in migrations into a private :memory: database. The Makefile's
# schema targets call this; the extension does the comparing and the diff.
#
#   schema.sh dump EXT OUT           make schema: OUT from head
#   schema.sh check EXT SCHEMA       make check-schema: exit 1 and print the
#                                    differences when SCHEMA is not head
#   schema.sh diff EXT SCHEMA UP DOWN
#                                    make revision AUTOGENERATE=1: the up
#                                    (head -> SCHEMA) and the down (SCHEMA ->
#                                    head) into the files UP and DOWN
#
# EXT is the extension without its suffix (build/distmigrate).
set -eu

SQLITE3=${SQLITE3:-sqlite3}

# The schema the migrations make: what migrate_check() compares, in an
# order that replays (tables first, in the order they were made, then
# indexes, views and triggers). SQLite's own objects, the bookkeeping and
# the shadow tables of virtual tables are left out.
schema_query="SELECT sql || ';' FROM sqlite_schema AS o
 WHERE sql IS NOT NULL AND name NOT GLOB 'sqlite_*'
   AND lower(tbl_name) <> 'alembic_version' AND tbl_name NOT GLOB 'distmigrate_*'
   AND NOT EXISTS (SELECT 1 FROM sqlite_schema AS v
                    WHERE v.type = 'table' AND v.sql GLOB 'CREATE VIRTUAL TABLE*'
                      AND o.type = 'table' AND o.name GLOB v.name || '_*'
                      AND o.name <> v.name)
 ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END,
          rowid"

# Head's schema as SQL text on stdout.
head_schema() {
  "$SQLITE3" -batch :memory: ".load $1" ".output /dev/null" \
    "SELECT migrate_upgrade('head');" ".output stdout" "$schema_query"
}

usage() {
  echo "usage: schema.sh dump EXT OUT | check EXT SCHEMA | diff EXT SCHEMA UP DOWN" >&2
  exit 2
}

need_schema() {
  if [ ! -f "$1" ]; then
    echo "$1: no such file; write it from head with: make schema" >&2
    exit 1
  fi
}

cmd=${1:-}
[ $# -ge 3 ] || usage
ext=$2
case "$cmd" in
dump)
  out=$3
  tmp="$out.tmp.$$"
  trap 'rm -f "$tmp"' EXIT
  {
    echo "-- The declared schema: what the migrations should make (Alembic's models)."
    echo "-- Edit it, then write the migration with: make revision MSG=\"...\" AUTOGENERATE=1"
    echo "-- Rename a table, column or index with a hint on its line: -- @renamed from=old_name"
    echo "-- make check-schema (part of make test) fails while head and this file differ."
    echo
    head_schema "$ext"
  } > "$tmp"
  mv "$tmp" "$out"
  trap - EXIT
  echo "wrote $out from head"
  ;;
check)
  schema=$3
  need_schema "$schema"
  # sql/schema.sql made into a database stamped at head: migration_drift
  # compares it with the migrations replayed to head, a row a difference.
  out=$("$SQLITE3" -batch -bail :memory: ".load $ext" ".read $schema" ".output /dev/null" \
    "SELECT migrate_stamp('head');" ".output stdout" \
    "SELECT '  ' || difference FROM migration_drift;" 2>&1) || {
    printf '%s: %s\n' "$schema" "$out" >&2
    exit 1
  }
  if [ -n "$out" ]; then
    # migrate_check() names the two sides "the migrations" and "the
    # database"; here they are head and the declared schema.
    echo "$schema and the schema at head differ:" >&2
    printf '%s\n' "$out" | sed -e "s|in the migrations|at head|g" \
      -e "s|in the database|in $schema|g" >&2
    echo "write the migration with: make revision MSG=\"...\" AUTOGENERATE=1" >&2
    echo "(or, if the migrations are right: make schema)" >&2
    exit 1
  fi
  echo "check-schema: $schema is the schema at head"
  ;;
diff)
  [ $# -eq 5 ] || usage
  schema=$3
  need_schema "$schema"
  head_sql=$(mktemp)
  trap 'rm -f "$head_sql"' EXIT
  head_schema "$ext" > "$head_sql"
  "$SQLITE3" -batch :memory: ".load $ext" ".output $4" \
    "SELECT migrate_diff(readfile('$head_sql'), readfile('$schema'));" \
    ".output $5" "SELECT migrate_diff(readfile('$schema'), readfile('$head_sql'));"
  ;;
*) usage ;;
esac
