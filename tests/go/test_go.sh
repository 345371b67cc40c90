#!/bin/sh
# Go (make check-go): the README's Go program and its build lines, read from
# README.md (tests/snippet.sh) and run as written in a scratch directory,
# with Debian's golang-go and golang-github-mattn-go-sqlite3-dev, offline
# (GOPROXY=off: nothing may be downloaded). "distmigrate" is found through
# LD_LIBRARY_PATH, as an installed one is found in /usr/lib. Go's build
# cache is kept in $DM_BUILD/go-cache, so that a second run takes a second.
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
build=$(cd "${DM_BUILD:-build}" && pwd) || exit 2
head=002_add_invalid_responses
work=$(mktemp -d "${TMPDIR:-/tmp}/dm-go.XXXXXX")
trap 'rm -rf "$work"' EXIT
npass=0
nfail=0

check() { # check LABEL WANT GOT
  if [ "$2" = "$3" ]; then
    npass=$((npass + 1))
  else
    nfail=$((nfail + 1))
    printf 'FAIL: %s\n--- want:\n%s\n--- got:\n%s\n' "$1" "$2" "$3" >&2
  fi
}

command -v go >/dev/null 2>&1 || {
  echo "FAIL: no go: apt-get install golang-go golang-github-mattn-go-sqlite3-dev" >&2
  exit 1
}
sh tests/snippet.sh go-main >"$work/main.go" || exit 1
sh tests/snippet.sh go-build >"$work/build.sh" || exit 1

export LD_LIBRARY_PATH="$build" GOPROXY=off GOCACHE="$build/go-cache" GOFLAGS=
unset GOPATH GO111MODULE
cd "$work" || exit 2

# The build lines and ./migrate, as a reader pastes them.
start=$(date +%s)
out=$(sh -e build.sh 2>"$work/stderr")
check "the README's Go lines exit 0 (stderr: $(cat "$work/stderr"))" 0 "$?"
check "./migrate prints the version it migrated to" "$head" "$out"
echo "check-go: the build lines took $(($(date +%s) - start)) s"
check "alembic_version after ./migrate" "$head" \
  "$(sqlite3 llm_distiller.db 'SELECT version_num FROM alembic_version')"
check "the schema after ./migrate" "$(sqlite3 :memory: ".read $root/tests/alembic/reference/$head.sql" \
  "SELECT type, name, sql FROM sqlite_schema ORDER BY type, name" | tr -s ' \t\n' ' ')" \
  "$(sqlite3 llm_distiller.db "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'distmigrate%' \
  ORDER BY type, name" | tr -s ' \t\n' ' ')"

# The module build used the packaged source, through the replace directive.
check "go-sqlite3 comes from the packaged source" \
  /usr/share/gocode/src/github.com/mattn/go-sqlite3 \
  "$(go list -m -f '{{.Replace.Dir}}' github.com/mattn/go-sqlite3 2>&1)"

# The next start-up finds the database at head and writes nothing.
cp llm_distiller.db before.db
check "./migrate again" "$head" "$(./migrate 2>&1)"
if cmp -s before.db llm_distiller.db; then npass=$((npass + 1)); else
  nfail=$((nfail + 1))
  echo "FAIL: ./migrate at head changed the database" >&2
fi

# The GOPATH build on its own, and an error reaching the program.
rm -f migrate
GO111MODULE=off GOPATH=/usr/share/gocode go build -o migrate main.go
check "the GOPATH build exits 0" 0 "$?"
sqlite3 llm_distiller.db "UPDATE alembic_version SET version_num = '003_from_the_future'"
err=$(./migrate 2>&1)
check "log.Fatal on an error exits 1" 1 "$?"
case $err in
  *"Can't locate revision identified by '003_from_the_future': the database is at a revision this build of distmigrate does not know"*)
    npass=$((npass + 1)) ;;
  *) nfail=$((nfail + 1)); echo "FAIL: the error does not reach Go's caller: $err" >&2 ;;
esac

echo "check-go: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
