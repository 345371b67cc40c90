#!/bin/sh
# The generator's tests (make check-gen):  sh tests/gen/run.sh build/dmgen
#
# 1. Cases. tests/gen/cases/NAME/ is a migration set. dmgen runs on it from
#    tests/gen/cases (so its messages say NAME/file.sql:LINE), and what it
#    writes to stderr, followed by a line "exit STATUS", must equal
#    NAME/expected byte for byte. A set that fails leaves no output file; a
#    set that passes gives C that compiles with -Wall -Wextra -Werror. If
#    NAME/table exists, tests/gen/dump.c linked with that C must print it
#    (order, indexes and every string as the compiler read it); if
#    NAME/heads exists, `dmgen --heads NAME` must print it.
#    DMGEN_BLESS=1 writes those files from what dmgen does now: read the diff.
# 2. An empty or missing directory, the usage, --heads on a broken set.
# 3. `dmgen --revision` (make revision) on copies of sets.
# 4. The Makefile: MIGRATIONS= switches the compiled-in set, a broken set
#    fails the build, make revision end to end; in a BUILD= of its own so
#    that the main build/ is left alone.
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -eq 1 ] || { echo "usage: $0 path/to/dmgen" >&2; exit 2; }
dmgen=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[ -x "$dmgen" ] || { echo "$0: $1 is not an executable" >&2; exit 2; }
CC=${CC:-cc}
MAKE=${MAKE:-make}
SQLITE3=${SQLITE3:-sqlite3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dmgen-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

npass=0
nfail=0
ok() { npass=$((npass + 1)); }
bad() {
  nfail=$((nfail + 1))
  printf 'FAIL: %s\n' "$*" >&2
}
# same LABEL WANT GOT: the two files are equal, or show the difference.
same() {
  if cmp -s "$2" "$3"; then
    ok
  else
    bad "$1"
    diff -u "$2" "$3" | sed 's/^/    /' >&2
  fi
}
# same_text LABEL WANT-TEXT GOT-FILE
same_text() {
  printf '%s\n' "$2" >"$tmp/want"
  same "$1" "$tmp/want" "$3"
}
# run_dmgen OUT ARGS...: stderr then "exit N" into OUT, stdout into OUT.stdout
run_dmgen() {
  _out=$1
  shift
  "$dmgen" "$@" >"$_out.stdout" 2>"$_out"
  echo "exit $?" >>"$_out"
}

# --- 1. the cases -------------------------------------------------------------

cd "$root/tests/gen/cases" || exit 2
for dir in */; do
  name=${dir%/}
  got=$tmp/$name.got
  outc=$tmp/$name.c
  run_dmgen "$got" "$name" "$outc"
  if [ "${DMGEN_BLESS:-}" = 1 ]; then cp "$got" "$name/expected"; fi
  if [ ! -f "$name/expected" ]; then
    bad "$name: no $name/expected (DMGEN_BLESS=1 writes it)"
    continue
  fi
  same "$name: stderr and exit status" "$name/expected" "$got"
  if [ -s "$got.stdout" ]; then bad "$name: dmgen wrote to stdout"; else ok; fi
  if [ "$(tail -n 1 "$name/expected")" != "exit 0" ]; then
    if [ -e "$outc" ]; then bad "$name: a failed set wrote $outc"; else ok; fi
    continue
  fi
  if [ ! -s "$outc" ]; then
    bad "$name: no output file"
    continue
  fi
  if "$CC" -std=c11 -Wall -Wextra -Werror -I"$root/ext" -c -o "$tmp/$name.o" \
    "$outc" 2>"$tmp/cc.err"; then
    ok
  else
    bad "$name: the generated C does not compile"
    sed 's/^/    /' "$tmp/cc.err" >&2
    continue
  fi
  if [ -f "$name/table" ] || [ "${DMGEN_BLESS:-}" = 1 ]; then
    if "$CC" -std=c11 -I"$root/ext" -o "$tmp/dump" "$root/tests/gen/dump.c" \
      "$outc" 2>"$tmp/cc.err"; then
      "$tmp/dump" >"$tmp/table"
      if [ "${DMGEN_BLESS:-}" = 1 ]; then cp "$tmp/table" "$name/table"; fi
      same "$name: the compiled table" "$name/table" "$tmp/table"
    else
      bad "$name: the generated C does not link with tests/gen/dump.c"
      sed 's/^/    /' "$tmp/cc.err" >&2
    fi
  fi
  if [ -f "$name/heads" ] || [ "${DMGEN_BLESS:-}" = 1 ]; then
    "$dmgen" --heads "$name" >"$tmp/heads" 2>&1
    if [ "${DMGEN_BLESS:-}" = 1 ]; then cp "$tmp/heads" "$name/heads"; fi
    same "$name: dmgen --heads" "$name/heads" "$tmp/heads"
  fi
done

# --- 2. directories and usage --------------------------------------------------

cd "$tmp" || exit 2
mkdir empty
run_dmgen "$tmp/empty.got" empty "$tmp/empty.c"
same_text "an empty directory is refused" 'empty:0: no migration files (*.sql); make revision MSG="..." writes the first one
dmgen: empty: 1 error; nothing written
exit 1' "$tmp/empty.got"
if [ -e "$tmp/empty.c" ]; then bad "an empty directory wrote output"; else ok; fi

run_dmgen "$tmp/missing.got" missing "$tmp/missing.c"
same_text "a missing directory is refused" 'missing:0: cannot read the migrations directory: No such file or directory
dmgen: missing: 1 error; nothing written
exit 1' "$tmp/missing.got"

run_dmgen "$tmp/usage.got" --bogus x
same_text "an unknown option prints the usage" 'usage: dmgen [--multiple-heads=warn|error|ok] DIR OUT.c [SYMBOL]
                                   write the migration table
       dmgen --heads DIR           print the head revisions
       dmgen --revision DIR TEMPLATE MESSAGE [--head=REV]
             [--branch-label=NAME] [--depends-on=REV] [--splice]
             [--upgrades=FILE] [--downgrades=FILE]
                                   write the next migration file
       dmgen --merge DIR TEMPLATE MESSAGE [REV...]
                                   write a merge of REVs (all heads)
exit 2' "$tmp/usage.got"

# --heads on a broken set: the same messages, nothing on stdout.
(cd "$root/tests/gen/cases" && run_dmgen "$tmp/heads_broken.got" --heads two_bases)
same_text "dmgen --heads refuses a broken set" "two_bases/002_b.sql:4: 'b1' is a second base revision (empty 'Revises:'; the first is 'a1' in two_bases/001_a.sql) and no merge joins them: give it a parent, or add a merge revision that revises both branches
exit 1" "$tmp/heads_broken.got"
if [ -s "$tmp/heads_broken.got.stdout" ]; then bad "dmgen --heads printed heads of a broken set"; else ok; fi

# --- 3. dmgen --revision (make revision) ----------------------------------------

tmpl=$root/sql/script.sql.tmpl
# new_file LABEL GOT PATH: dmgen said exit 0 and printed PATH; PATH exists.
new_file() {
  same_text "$1: exit status" "exit 0" "$2"
  same_text "$1: prints the new file's path" "$3" "$2.stdout"
  if [ -f "$3" ]; then ok; else bad "$1: $3 was not written"; fi
}
# builds LABEL DIR HEADS: DIR is a valid set whose heads are HEADS.
builds() {
  if "$dmgen" "$2" "$tmp/built.c" 2>"$tmp/built.err"; then ok; else
    bad "$1: the set no longer builds"
    sed 's/^/    /' "$tmp/built.err" >&2
  fi
  "$dmgen" --heads "$2" >"$tmp/built.heads" 2>&1
  same_text "$1: heads" "$3" "$tmp/built.heads"
}
# listing DIR: the names in DIR, for "nothing was written".
listing() { (cd "$1" && ls -a); }

mkdir rev
cp "$root"/sql/versions/*.sql rev/
before=$(date +%s)
run_dmgen "$tmp/rev1.got" --revision rev "$tmpl" "Add foo to questions"
after=$(date +%s)
new=rev/003_add_foo_to_questions.sql
new_file "revision after 002" "$tmp/rev1.got" "$new"
stamp=$(sed -n 's/^-- Create Date: //p' "$new")
if printf '%s\n' "$stamp" |
  grep -Eqx '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}'; then
  ok
else
  bad "revision: Create Date '$stamp' is not YYYY-MM-DD HH:MM:SS.ffffff"
fi
# The clock read between the two `date` calls, in local time as Alembic.
stamp_s=$(date -d "$stamp" +%s 2>/dev/null || echo 0)
if [ "$stamp_s" -ge "$before" ] && [ "$stamp_s" -le "$after" ]; then ok; else
  bad "revision: Create Date $stamp is not the time of the run ($before..$after)"
fi
sed 's/^-- Create Date: .*/-- Create Date: DATE/' "$new" >"$tmp/rev1.file"
same_text "revision: the file is the template filled in" "-- Add foo to questions
--
-- Revision ID: 003_add_foo_to_questions
-- Revises: 002_add_invalid_responses
-- Create Date: DATE

-- migrate:up


-- migrate:down
" "$tmp/rev1.file"
for f in "$root"/sql/versions/*.sql; do
  same "revision: $(basename "$f") is left as it was" "$f" "rev/$(basename "$f")"
done
builds "revision after 002" rev 003_add_foo_to_questions

# --upgrades/--downgrades (make revision AUTOGENERATE=1): the files fill
# ${upgrades} and ${downgrades}; a template without them is refused.
mkdir auto
cp "$root"/sql/versions/*.sql auto/
printf 'ALTER TABLE questions ADD COLUMN foo TEXT;\n\n' >"$tmp/auto.up"
printf 'ALTER TABLE questions DROP COLUMN foo;\n' >"$tmp/auto.down"
run_dmgen "$tmp/auto.got" --revision auto "$tmpl" "Add foo" \
  --upgrades="$tmp/auto.up" --downgrades="$tmp/auto.down"
new_file "autogenerated revision" "$tmp/auto.got" auto/003_add_foo.sql
sed 's/^-- Create Date: .*/-- Create Date: DATE/' auto/003_add_foo.sql >"$tmp/auto.file"
same_text "autogenerated revision: the sections are the files" "-- Add foo
--
-- Revision ID: 003_add_foo
-- Revises: 002_add_invalid_responses
-- Create Date: DATE

-- migrate:up
ALTER TABLE questions ADD COLUMN foo TEXT;


-- migrate:down
ALTER TABLE questions DROP COLUMN foo;
" "$tmp/auto.file"
builds "autogenerated revision" auto 003_add_foo
grep -v 'upgrades' "$tmpl" >"$tmp/old.tmpl"
(cd auto && listing .) >"$tmp/auto.before"
run_dmgen "$tmp/auto_old.got" --revision auto "$tmp/old.tmpl" "More" --upgrades="$tmp/auto.up"
same_text "a template without \${upgrades} is refused" "make revision: the template $tmp/old.tmpl has no \${upgrades} to put the generated SQL in; add it on the line after '-- migrate:up' (see sql/script.sql.tmpl)
exit 1" "$tmp/auto_old.got"
(cd auto && listing .) >"$tmp/auto.after"
same "a refused autogenerated revision writes nothing" "$tmp/auto.before" "$tmp/auto.after"

run_dmgen "$tmp/rev2.got" --revision rev "$tmpl" "Second one"
new_file "second revision" "$tmp/rev2.got" rev/004_second_one.sql
if grep -qx -- '-- Revises: 003_add_foo_to_questions' rev/004_second_one.sql; then ok; else
  bad "second revision: does not revise 003_add_foo_to_questions"
fi
builds "second revision" rev 004_second_one

# The id is at most 32 characters: the slug is cut, and never ends in '_'.
run_dmgen "$tmp/rev3.got" --revision rev "$tmpl" "Add a very long columns name to the questions table"
new_file "long message" "$tmp/rev3.got" rev/005_add_a_very_long_columns_name.sql
builds "long message" rev 005_add_a_very_long_columns_name
run_dmgen "$tmp/rev4.got" --revision rev "$tmpl" "Add a very long column name to it"
new_file "long message cut at a word end" "$tmp/rev4.got" rev/006_add_a_very_long_column_name.sql
builds "long message cut at a word end" rev 006_add_a_very_long_column_name

# Refusals write nothing.
listing rev >"$tmp/rev.before"
run_dmgen "$tmp/rev5.got" --revision rev "$tmpl" "!!! ???"
same_text "revision: a message without a letter or digit is refused" 'make revision: MSG="..." must hold a letter or digit, e.g. make revision MSG="add foo to questions"
exit 1' "$tmp/rev5.got"
run_dmgen "$tmp/rev6.got" --revision rev "$tmpl" ""
same_text "revision: an empty message is refused" 'make revision: MSG="..." must hold a letter or digit, e.g. make revision MSG="add foo to questions"
exit 1' "$tmp/rev6.got"
run_dmgen "$tmp/rev7.got" --revision rev "$tmpl" "Two
lines"
same_text "revision: a message that breaks the header is refused" "make revision: the template gives a file that does not parse: rev/007_two_lines.sql:2: SQL before '-- migrate:up': statements belong in the '-- migrate:up' or '-- migrate:down' section
exit 1" "$tmp/rev7.got"
# A HEAD= that names no revision: the nearest ones, as every target says it.
run_dmgen "$tmp/rev8.got" --revision rev "$tmpl" "Next" --head=003_add_foo_to_qestions
same_text "revision: an unknown HEAD= suggests the nearest" "make revision: HEAD=003_add_foo_to_qestions: Can't locate revision identified by '003_add_foo_to_qestions'; did you mean 003_add_foo_to_questions?
exit 1" "$tmp/rev8.got"
listing rev >"$tmp/rev.after"
same "revision: refusals write nothing" "$tmp/rev.before" "$tmp/rev.after"

# Numbered after the highest prefix, revising the one head (a merge).
mkdir numbered
cp "$root"/tests/gen/cases/two_bases_merged/*.sql numbered/
mv numbered/003_m.sql numbered/017_m.sql
run_dmgen "$tmp/num.got" --revision numbered "$tmpl" "Next"
new_file "numbering" "$tmp/num.got" numbered/018_next.sql
if grep -qx -- '-- Revises: m1' numbered/018_next.sql; then ok; else
  bad "numbering: 018_next does not revise m1"
fi

# Several heads: as alembic revision, a new revision must say which head it
# revises (tests/integration/test_branches.c covers --head and friends);
# --merge (make merge) revises them all.
mkdir twoheads
cp "$root"/tests/fixtures/graph/g1_base.sql "$root"/tests/fixtures/graph/g2a_left.sql \
  "$root"/tests/fixtures/graph/g2b_right.sql twoheads/
run_dmgen "$tmp/twoheads.got" --revision twoheads "$tmpl" "Next"
same_text "two heads: a revision must name its head" 'make revision: several heads are present (g2a_left, g2b_right); name the one the new revision revises, as in HEAD=g2a_left, or merge them first with make merge
exit 1' "$tmp/twoheads.got"
run_dmgen "$tmp/merge.got" --merge twoheads "$tmpl" "Merge branches"
new_file "two heads" "$tmp/merge.got" twoheads/001_merge_branches.sql
if grep -qx -- '-- Revises: g2a_left, g2b_right' twoheads/001_merge_branches.sql; then ok; else
  bad "two heads: the new revision does not revise both heads"
fi
builds "two heads" twoheads 001_merge_branches

# An empty directory gets its base revision.
mkdir first
run_dmgen "$tmp/first.got" --revision first "$tmpl" "Initial schema"
new_file "first revision" "$tmp/first.got" first/001_initial_schema.sql
if grep -qx -- '-- Revises: *' first/001_initial_schema.sql; then ok; else
  bad "first revision: Revises: is not empty"
fi
builds "first revision" first 001_initial_schema

# A broken set gets no new revision; what is in the way is not replaced.
mkdir broken
cp "$root"/tests/gen/cases/unknown_parent/*.sql broken/
listing broken >"$tmp/broken.before"
run_dmgen "$tmp/broken.got" --revision broken "$tmpl" "More"
same_text "revision: a broken set is refused" "broken/002_b.sql:4: Revises: unknown revision 'zz9' (no file in broken has 'Revision ID: zz9')
exit 1" "$tmp/broken.got"
listing broken >"$tmp/broken.after"
same "revision: a broken set gets no file" "$tmp/broken.before" "$tmp/broken.after"
mkdir inway
cp "$root"/sql/versions/*.sql inway/
mkdir inway/003_add_foo_to_questions.sql
run_dmgen "$tmp/inway.got" --revision inway "$tmpl" "Add foo to questions"
same_text "revision: a directory in the way is not replaced" "inway/003_add_foo_to_questions.sql:0: cannot read: Is a directory
exit 1" "$tmp/inway.got"
if [ -d inway/003_add_foo_to_questions.sql ]; then ok; else bad "revision: replaced what was in the way"; fi

# --- 4. the Makefile ----------------------------------------------------------------

b=$tmp/build
# run_make ARGS...: make in the repository with BUILD=$b; output in $tmp/make.out.
# Variables given to an outer make (make test MIGRATIONS=...) reach this one
# through MAKEFLAGS and the environment; it must see the Makefile's defaults.
unset MIGRATIONS TEMPLATE MSG
run_make() {
  MAKEFLAGS= MFLAGS= "$MAKE" -C "$root" --no-print-directory BUILD="$b" "$@" \
    >"$tmp/make.out" 2>&1
}
# heads_of LABEL WANT: the extension in $b answers migrate_heads() with WANT.
heads_of() {
  "$SQLITE3" :memory: ".load $b/distmigrate" "SELECT migrate_heads()" >"$tmp/sq.out" 2>&1
  same_text "$1: migrate_heads()" "$2" "$tmp/sq.out"
}
# make_ok LABEL ARGS...
make_ok() {
  _label=$1
  shift
  if run_make "$@"; then ok; else
    bad "$_label: make $* failed"
    sed 's/^/    /' "$tmp/make.out" >&2
  fi
}

make_ok "make MIGRATIONS=graph" MIGRATIONS=tests/fixtures/graph
heads_of "make MIGRATIONS=graph" g4_after
make_ok "make with the default set again" all
heads_of "make with the default set again" 002_add_invalid_responses

if run_make MIGRATIONS=tests/gen/cases/two_bases; then
  bad "make MIGRATIONS=<broken set> succeeded"
else
  ok
fi
if grep -Fqx "tests/gen/cases/two_bases/002_b.sql:4: 'b1' is a second base revision (empty 'Revises:'; the first is 'a1' in tests/gen/cases/two_bases/001_a.sql) and no merge joins them: give it a parent, or add a merge revision that revises both branches" "$tmp/make.out"; then
  ok
else
  bad "make MIGRATIONS=<broken set> does not say file:line: reason"
  sed 's/^/    /' "$tmp/make.out" >&2
fi
heads_of "a failed build keeps the last extension" 002_add_invalid_responses

mkdir mk
cp "$root"/sql/versions/*.sql mk/
make_ok "make revision" revision MSG="Add foo to questions" MIGRATIONS="$tmp/mk"
if [ -f mk/003_add_foo_to_questions.sql ] &&
  grep -qx -- '-- Revises: 002_add_invalid_responses' mk/003_add_foo_to_questions.sql; then
  ok
else
  bad "make revision did not write mk/003_add_foo_to_questions.sql revising 002"
  sed 's/^/    /' "$tmp/make.out" >&2
fi
make_ok "make with the new revision" MIGRATIONS="$tmp/mk"
heads_of "make with the new revision" 003_add_foo_to_questions

if run_make revision MIGRATIONS="$tmp/mk"; then bad "make revision without MSG succeeded"; else ok; fi
if grep -Fqx 'usage: make revision MSG="add foo to questions"' "$tmp/make.out"; then ok; else
  bad "make revision without MSG does not print its usage"
  sed 's/^/    /' "$tmp/make.out" >&2
fi

# MSG as typed: its case, quotes, '$', backquotes and a ' reach the header
# and migration_history untouched; only the file name's slug is lower case.
msg='Add "Quoted" Name, $HOME, `id` and it'"'"'s Case'
make_ok "make revision with quotes and \$ in MSG" revision MSG="$msg" MIGRATIONS="$tmp/mk"
new=mk/004_add_quoted_name_home_id_and.sql
if [ -f "$new" ]; then
  head -n 1 "$new" >"$tmp/msg-line"
  same_text "make revision keeps MSG as typed in the header" "-- $msg" "$tmp/msg-line"
  make_ok "make with a message full of quotes" MIGRATIONS="$tmp/mk"
  "$SQLITE3" :memory: ".load $b/distmigrate" \
    "SELECT message FROM migration_history WHERE revision = '004_add_quoted_name_home_id_and'" \
    >"$tmp/sq.out" 2>&1
  same_text "migration_history keeps MSG as typed" "$msg" "$tmp/sq.out"
else
  bad "make revision MSG='$msg' did not write $new"
  sed 's/^/    /' "$tmp/make.out" >&2
fi

# ------------------------------------------------------------------------------------

echo "check-gen: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
