#!/bin/sh
# make lint: the layers of ext/ (ARCHITECTURE.md) hold. A file may include
# headers of its own folder and of folders below it, never above, and no
# two headers include each other in a circle. Prints each offending
# #include as FILE:LINE and exits 1; prints one line and exits 0 otherwise.
#
#   rank 6  ext/distmigrate.c   the entry point
#   rank 5  ext/dmgen/          the generator (a tool: graph/ and sqltext/ only)
#   rank 4  ext/api/            the SQL surface
#   rank 3  ext/ops/
#   rank 2  ext/alter/
#   rank 1  ext/run/, ext/schema/      (siblings: neither includes the other)
#   rank 0  ext/graph/, ext/sqltext/   (siblings: neither includes the other)
set -u
cd "$(dirname "$0")/../.."

rank() {
  case "$1" in
    distmigrate) echo 6 ;; dmgen) echo 5 ;; api) echo 4 ;; ops) echo 3 ;;
    alter) echo 2 ;; run | schema) echo 1 ;; graph | sqltext) echo 0 ;; *) echo -1 ;;
  esac
}

bad=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
for f in ext/distmigrate.c ext/*/*.c ext/*/*.h; do
  [ -f "$f" ] || continue
  dir=$(dirname "$f")
  from=$(basename "$dir")
  [ "$dir" = ext ] && from=distmigrate
  rfrom=$(rank "$from")
  grep -n '^#include "' "$f" | while IFS= read -r line; do
    n=${line%%:*}
    inc=$(printf '%s\n' "$line" | sed 's/^[0-9]*:#include "\([^"]*\)".*/\1/')
    case "$inc" in sqlite3ext.h | sqlite3.h) continue ;; esac
    to=${inc%%/*}
    if [ "$to" = "$inc" ]; then
      echo "$f:$n: #include \"$inc\": name the folder (\"$from/$inc\")"
      echo bad >> "$edges.bad"
      continue
    fi
    rto=$(rank "$to")
    if [ "$rto" -lt 0 ] || [ "$rto" -gt "$rfrom" ] ||
       { [ "$rto" -eq "$rfrom" ] && [ "$to" != "$from" ]; } ||
       { [ "$from" = dmgen ] && [ "$to" != dmgen ] && [ "$rto" -ne 0 ]; }; then
      echo "$f:$n: #include \"$inc\" points from $from/ up or across to $to/"
      echo bad >> "$edges.bad"
    fi
    echo "$f ext/$inc" >> "$edges"
  done
done
if [ -s "$edges.bad" ]; then bad=1; fi
rm -f "$edges.bad"
# A circle of includes: tsort names the files on it.
if ! tsort "$edges" > /dev/null 2> "$edges.loop"; then
  echo "a circle of #includes:"
  grep -v 'input contains a loop' "$edges.loop" | sed 's/^tsort: /  /'
  bad=1
fi
rm -f "$edges.loop"
if [ "$bad" -ne 0 ]; then
  echo "layers: the includes above break ARCHITECTURE.md's layers"
  exit 1
fi
echo "layers: $(wc -l < "$edges") includes, none up or across, no circle"
