#!/bin/sh
# Install, on Debian, the packages that building (deps.sh build), testing
# (deps.sh all), make check-go (deps.sh go) or make test-valgrind
# (deps.sh sanitize) needs and that are
# missing. Runs apt-get as root, or through sudo; elsewhere it says what to
# install and leaves it to you.
set -e
build="gcc make libc6-dev sqlite3 libsqlite3-dev"
tests="libcmocka-dev python3 python3-alembic"
case "${1:-all}" in
  build) want="$build" ;;
  all) want="$build $tests" ;;
  sanitize) want="$build $tests valgrind" ;;
  go) want="$build golang-go golang-github-mattn-go-sqlite3-dev" ;;
  *) echo "usage: $0 build|all|sanitize|go" >&2; exit 2 ;;
esac

if ! command -v dpkg >/dev/null 2>&1; then
  echo "deps.sh: not a Debian system; make sure these are installed: $want" >&2
  exit 0
fi
missing=""
for p in $want; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

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
# A fresh machine may have no package lists yet.
$as_root apt-get install -y -qq $missing >/dev/null 2>&1 || {
  $as_root apt-get update -qq
  $as_root apt-get install -y -qq $missing
}
