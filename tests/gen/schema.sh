#!/bin/sh
# The declared schema's workflow, end to end through the Makefile, as a
# developer runs it (make check-autogenerate):
#
#   make schema                     sql/schema.sql from head
#   make check-schema               ok while the two agree; fails, with the
#                                   differences, once schema.sql is edited
#   make revision AUTOGENERATE=1    the next revision from the difference:
#                                   it builds, upgrades a database with rows
#                                   to the declared schema keeping them, and
#                                   its down brings the rows back
#
# On a copy of sql/versions/ in a BUILD= of its own, so the main build/ and
# the shipped set are left alone.
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
MAKE=${MAKE:-make}
SQLITE3=${SQLITE3:-sqlite3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dm-schema-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

npass=0
nfail=0
ok() { npass=$((npass + 1)); }
bad() {
  nfail=$((nfail + 1))
  printf 'FAIL: %s\n' "$*" >&2
}
# same_text LABEL WANT FILE: FILE holds WANT and a newline.
same_text() {
  printf '%s\n' "$2" >"$tmp/want"
  if cmp -s "$tmp/want" "$3"; then ok; else
    bad "$1"
    diff -u "$tmp/want" "$3" | sed 's/^/    /' >&2
  fi
}
# mk OUT ARGS...: make in the root with this test's set and build; stderr
# then "exit N" into OUT, stdout into OUT.stdout.
mk() {
  _out=$1
  shift
  $MAKE -s --no-print-directory -C "$root" BUILD="$tmp/build" MIGRATIONS="$tmp/versions" \
    SCHEMA="$tmp/schema.sql" "$@" >"$_out.stdout" 2>"$_out"
  echo "exit $?" >>"$_out"
}
q() { "$SQLITE3" -batch -bail "$@"; }

mkdir "$tmp/versions"
cp "$root"/sql/versions/*.sql "$tmp/versions/"
ext=$tmp/build/distmigrate

# --- make schema, make check-schema -------------------------------------------

mk "$tmp/schema.got" schema
same_text "make schema: exit status" "exit 0" "$tmp/schema.got"
if cmp -s "$root/sql/schema.sql" "$tmp/schema.sql"; then ok; else
  bad "make schema on the shipped set does not give sql/schema.sql (run make schema)"
  diff -u "$root/sql/schema.sql" "$tmp/schema.sql" | sed 's/^/    /' >&2
fi
mk "$tmp/check.got" check-schema
same_text "make check-schema: head and schema.sql agree" "exit 0" "$tmp/check.got"

# --- a database at head with rows, for the revision to carry ------------------

db=$tmp/app.db
q "$db" ".load $ext" ".output /dev/null" "SELECT migrate_upgrade('head');" \
  "INSERT INTO questions (id, json_id, category, question_text, golden_answer, created_at, updated_at)
     VALUES (1, 'q1', 'math', 'What is 1+1?', '2', '2024-01-01', '2024-01-01'),
            (2, 'q2', 'geo', 'Capital of France?', 'Paris', '2024-01-02', '2024-01-02');" \
  "INSERT INTO responses (id, question_id, model_name, model_config, answer, created_at, updated_at)
     VALUES (10, 1, 'm', '{}', '2', '2024-01-03', '2024-01-03');"
rows_before=$(q "$db" "SELECT id, json_id, category, golden_answer FROM questions ORDER BY id;
  SELECT id, question_id, answer FROM responses ORDER BY id;")

# --- edit the declared schema ---------------------------------------------------

# golden_answer renamed (with the hint), a column and a table added, an index.
sed -e 's/^    golden_answer TEXT,$/    reference_answer TEXT, -- @renamed from=golden_answer/' \
    -e 's/^    answer_schema TEXT,$/    answer_schema TEXT,\n    difficulty INTEGER NOT NULL DEFAULT 1,/' \
    "$tmp/schema.sql" >"$tmp/schema.new"
cat >>"$tmp/schema.new" <<'EOF'
CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    question_id INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    tag VARCHAR(50) NOT NULL
);
CREATE INDEX idx_tags_question_id ON tags (question_id);
EOF
mv "$tmp/schema.new" "$tmp/schema.sql"
if grep -q 'reference_answer' "$tmp/schema.sql" && grep -q 'difficulty' "$tmp/schema.sql"; then ok; else
  bad "the test's own edit of schema.sql did not apply (sed)"
fi

mk "$tmp/check2.got" check-schema
if tail -n 1 "$tmp/check2.got" | grep -qx 'exit 2'; then ok; else
  bad "make check-schema passes while schema.sql and head differ"; cat "$tmp/check2.got" >&2
fi
sed -n '1,/^write the migration/p' "$tmp/check2.got" >"$tmp/check2.lines"
same_text "make check-schema names each difference" "$tmp/schema.sql and the schema at head differ:
  questions.golden_answer: at head, not in $tmp/schema.sql
  questions.reference_answer: in $tmp/schema.sql, not at head
  questions.difficulty: in $tmp/schema.sql, not at head
  table tags: in $tmp/schema.sql, not at head
  index idx_tags_question_id: in $tmp/schema.sql, not at head
write the migration with: make revision MSG=\"...\" AUTOGENERATE=1" "$tmp/check2.lines"

# --- make revision AUTOGENERATE=1 -----------------------------------------------

mk "$tmp/rev.got" revision MSG="Tags and difficulty" AUTOGENERATE=1
same_text "make revision AUTOGENERATE=1: exit status" "exit 0" "$tmp/rev.got"
new=$tmp/versions/003_tags_and_difficulty.sql
if [ -f "$new" ]; then ok; else bad "make revision AUTOGENERATE=1 wrote no $new"; fi
# difficulty comes before created_at, so the table is rebuilt, golden_answer
# carried into reference_answer by the mapping the hint gives.
if grep -qF "', '{\"reference_answer\": \"golden_answer\"}');" "$new"; then ok; else
  bad "the autogenerated up does not carry golden_answer into reference_answer"; cat "$new" >&2
fi
if sed -n '/^-- migrate:down/,$p' "$new" | grep -qx 'ALTER TABLE questions RENAME COLUMN reference_answer TO golden_answer;'; then ok; else
  bad "the autogenerated down does not rename reference_answer back"; cat "$new" >&2
fi
if grep -qx 'warning: destructive: drops table tags and every row in it' "$tmp/rev.got"; then
  bad "make revision warned of the down's destructive steps as if they were the up's"
else ok; fi

# The set builds with it; the database with rows upgrades to the declared
# schema and keeps its rows; check-schema agrees; the down brings them back.
mk "$tmp/build.got" all
same_text "the set with the autogenerated revision builds" "exit 0" "$tmp/build.got"
q "$db" ".load $ext" "SELECT migrate_upgrade('head');" >"$tmp/up.got" 2>&1
same_text "upgrade to the autogenerated revision" "003_tags_and_difficulty" "$tmp/up.got"
q "$db" "SELECT id, json_id, category, reference_answer, difficulty FROM questions ORDER BY id;
  SELECT id, question_id, answer FROM responses ORDER BY id;
  SELECT count(*) FROM tags;" >"$tmp/rows_up.got"
same_text "rows after the upgrade: golden_answer's values in reference_answer" "1|q1|math|2|1
2|q2|geo|Paris|1
10|1|2
0" "$tmp/rows_up.got"
q "$db" ".load $ext" "SELECT migrate_check();" >"$tmp/up_check.got" 2>&1
same_text "migrate_check() after the upgrade" "ok" "$tmp/up_check.got"
mk "$tmp/check3.got" check-schema
same_text "make check-schema after the revision" "exit 0" "$tmp/check3.got"
q "$db" ".load $ext" "SELECT migrate_downgrade(-1);" >"$tmp/down.got" 2>&1
same_text "downgrade the autogenerated revision" "002_add_invalid_responses" "$tmp/down.got"
q "$db" "SELECT id, json_id, category, golden_answer FROM questions ORDER BY id;
  SELECT id, question_id, answer FROM responses ORDER BY id;" >"$tmp/rows_down.got"
same_text "rows after the downgrade are the rows before" "$rows_before" "$tmp/rows_down.got"
q "$db" ".load $ext" "SELECT migrate_check();" >"$tmp/down_check.got" 2>&1
same_text "migrate_check() after the downgrade" "ok" "$tmp/down_check.got"

# --- nothing to generate ------------------------------------------------------

ls "$tmp/versions" >"$tmp/ls.before"
mk "$tmp/none.got" revision MSG="Nothing" AUTOGENERATE=1
head -n 2 "$tmp/none.got" >"$tmp/none.head"
same_text "AUTOGENERATE=1 without a change says so" \
  "make revision AUTOGENERATE=1: $tmp/schema.sql is the schema at head: no change to write
(for an empty revision leave out AUTOGENERATE=1)" "$tmp/none.head"
if tail -n 1 "$tmp/none.got" | grep -qx 'exit 2'; then ok; else
  bad "AUTOGENERATE=1 without a change did not fail"; cat "$tmp/none.got" >&2
fi
ls "$tmp/versions" >"$tmp/ls.after"
if cmp -s "$tmp/ls.before" "$tmp/ls.after"; then ok; else bad "a refused AUTOGENERATE wrote a file"; fi

# --- a destructive step is printed as a warning ------------------------------

grep -v '^    answer_schema TEXT,$' "$tmp/schema.sql" >"$tmp/schema.new"
mv "$tmp/schema.new" "$tmp/schema.sql"
mk "$tmp/drop.got" revision MSG="Drop answer_schema" AUTOGENERATE=1
if grep -qx 'warning: destructive: drops column questions.answer_schema and its values' \
     "$tmp/drop.got" && tail -n 1 "$tmp/drop.got" | grep -qx 'exit 0'; then ok; else
  bad "make revision AUTOGENERATE=1 does not warn of the column it drops"; cat "$tmp/drop.got" >&2
fi

echo "schema tests: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
