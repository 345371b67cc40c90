#!/bin/sh
# Print the README snippet named NAME: the fenced block right after the line
# "<!-- snippet: NAME ... -->" in README.md, without its fences. The client
# tests (tests/go/, tests/node/) run what this prints, so that README.md
# cannot drift from what is tested. Fails when there is no such snippet.
#   sh tests/snippet.sh NAME [README.md]
set -eu
[ $# -ge 1 ] || { echo "usage: $0 NAME [README.md]" >&2; exit 2; }
awk -v name="$1" '
  index($0, "<!-- snippet: " name " ") == 1 || $0 == "<!-- snippet: " name " -->" { armed = 1; next }
  armed && !fence && /^```/ { fence = 1; next }
  fence && /^```$/ { found = 1; exit }
  fence { print }
  END { if (!found) { print "README.md has no snippet \"" name "\"" > "/dev/stderr"; exit 1 } }
' "${2:-README.md}"
