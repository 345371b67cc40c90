#!/bin/sh
# make lint: no function of ext/ over 80 lines or over cyclomatic complexity
# 20 (issue 14: a function reads as the steps of its algorithm). Measured by
# pmccabe (Debian's package; installed here if missing). Prints each
# offender as FILE(LINE): NAME, lines and complexity, and exits 1.
set -u
cd "$(dirname "$0")/../.."
if ! command -v pmccabe > /dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get install -y pmccabe > /dev/null 2>&1 || { apt-get update > /dev/null && apt-get install -y pmccabe > /dev/null; }
  else
    sudo apt-get install -y pmccabe > /dev/null
  fi
fi
MAX_LINES=80
MAX_CCN=20
out=$(pmccabe ext/*.c ext/*/*.c | awk -v L=$MAX_LINES -v C=$MAX_CCN '
  $1 > C || $5 > L { printf "%s: %s, %d lines, complexity %d\n", $6, $7, $5, $1 }
  END { printf "%d functions\n", NR > "/dev/stderr" }' 2> /tmp/functions.$$)
count=$(cat /tmp/functions.$$)
rm -f /tmp/functions.$$
if [ -n "$out" ]; then
  printf '%s\n' "$out"
  echo "functions: the functions above are over $MAX_LINES lines or complexity $MAX_CCN; split them into named steps"
  exit 1
fi
echo "functions: $count, none over $MAX_LINES lines or complexity $MAX_CCN"
