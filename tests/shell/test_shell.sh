#!/bin/sh
# distmigrate through the plain sqlite3 shell (make check-shell):
#
#   DM_BUILD=build sh tests/shell/test_shell.sh
#
# Every test runs sqlite3 as a person or a runbook would, in a directory of
# its own, and checks what it printed on stdout and stderr, its exit status,
# and the database it left. The README's shell lines are read from README.md
# itself and run as written, so the README cannot drift from the product.
#
# As root with DM_TEST_SYSTEM_INSTALL=1 (CI) it also runs a real
# `make install`, loads `.load distmigrate` without a path, and uninstalls.
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
self=$root/tests/shell/test_shell.sh
cd "$root" || exit 2
build_rel=${DM_BUILD:-build}
build=$(cd "$build_rel" 2>/dev/null && pwd) || {
  echo "$0: no build folder $build_rel; run make first" >&2
  exit 2
}
ext=$build/distmigrate
[ -f "$ext.so" ] || { echo "$0: $ext.so is missing; run make first" >&2; exit 2; }
SQLITE3=${SQLITE3:-sqlite3}
command -v "$SQLITE3" >/dev/null || { echo "$0: no sqlite3 shell (apt-get install sqlite3)" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dm-shell.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
# No ~/.sqliterc of whoever runs the tests.
HOME=$tmp/home
export HOME
mkdir -p "$HOME"

head=002_add_invalid_responses
# How Debian 12's shell (3.40) frames an error: a statement that fails while
# running, and one that cannot be prepared. What follows is SQLite's message,
# then " (N)" if the code is not SQLITE_ERROR; N is also the exit status.
stepping='Error: stepping, '
in_prepare='Error: in prepare, '

# --- the assertion helpers ------------------------------------------------------

nfail=0
npass=0
current_test=
fail() {
  nfail=$((nfail + 1))
  printf 'FAIL %s: %s\n' "$current_test" "$1" >&2
}
# check WHAT WANT GOT: the texts are equal, or say what was wanted and what came.
check() {
  if [ "$2" = "$3" ]; then
    npass=$((npass + 1))
  else
    fail "$1"
    printf '  want: %s\n' "$2" | sed '2,$s/^/        /' >&2
    printf '  got:  %s\n' "$3" | sed '2,$s/^/        /' >&2
  fi
}
# check_unchanged WHAT FILE COPY: byte for byte.
check_unchanged() {
  if cmp -s "$2" "$3"; then
    npass=$((npass + 1))
  else
    fail "$1: $(basename "$2") changed ($(wc -c <"$3") bytes before, $(wc -c <"$2") after)"
  fi
}

# run CMD...: run it; $out, $err and $rc hold what came back.
run() {
  "$@" >"$tmp/stdout" 2>"$tmp/stderr"
  rc=$?
  out=$(cat "$tmp/stdout")
  err=$(cat "$tmp/stderr")
}
# dm DB SQL...: the shell with the extension loaded, the SQL as arguments.
dm() {
  _db=$1
  shift
  run "$SQLITE3" "$_db" ".load $ext" "$@"
}
# ok WHAT WANT-STDOUT: the last run printed that, nothing on stderr, exit 0.
ok() {
  check "$1: stdout" "$2" "$out"
  check "$1: stderr" "" "$err"
  check "$1: exit status" 0 "$rc"
}
# sql DB SQL: one query through the plain shell, without the extension.
sql() {
  "$SQLITE3" "$1" "$2"
}

# The schema as comparable text: every object but distmigrate's own log,
# sorted, whitespace folded ("( a" = "(a", "a )" = "a)", "a ," = "a,").
schema() {
  "$SQLITE3" "$1" "SELECT type || '|' || name || '|' || tbl_name || '|' ||
      replace(replace(replace(coalesce(sql, ''), char(10), ' '), char(13), ' '), char(9), ' ')
    FROM sqlite_schema WHERE name NOT LIKE 'distmigrate%' ORDER BY type, name" |
    sed -e 's/  */ /g' -e 's/( /(/g' -e 's/ )/)/g' -e 's/ ,/,/g'
}
# The schema Alembic leaves at REV, from tests/alembic/reference/REV.sql.
reference_schema() {
  rm -f "$tmp/reference.db"
  "$SQLITE3" "$tmp/reference.db" ".read $root/tests/alembic/reference/$1.sql" || return 1
  schema "$tmp/reference.db"
}
check_schema() {
  check "$1: the schema is Alembic's at $3" "$(reference_schema "$3")" "$(schema "$2")"
}

# A question and a response, so that "unchanged" and "intact" mean something.
add_rows() {
  sql "$1" "INSERT INTO questions (id, category, question_text, created_at, updated_at)
              VALUES (1, 'math', 'What is 2+2?', '2024-01-01 10:00:00', '2024-01-01 10:00:00');
            INSERT INTO responses (id, question_id, model_name, model_config, answer,
                                   is_correct, created_at, updated_at)
              VALUES (1, 1, 'gpt', '{}', '4', 1, '2024-01-01 10:00:00', '2024-01-01 10:00:00');"
}
rows() {
  sql "$1" "SELECT q.id, q.question_text, r.answer FROM questions q JOIN responses r ON r.question_id = q.id"
}

# The ```sh blocks of README.md in the section whose heading line is $1,
# with continuation lines joined: the commands as a reader would paste them.
readme_sh() {
  awk -v heading="$1" '
    /^```/ {
      if (fence) { fence = 0 } else { fence = 1; sh = ($0 == "```sh") }
      next
    }
    !fence && /^#/ { in_section = ($0 == heading); next }
    fence && sh && in_section {
      if (sub(/\\$/, "")) { joined = joined $0; next }
      print joined $0
      joined = ""
    }
  ' "$root/README.md"
}

# A directory of the test's own, holding `build` -> the build folder, so that
# the README's relative `.load build/distmigrate` works there.
enter() {
  current_test=$1
  dir=$tmp/$1
  mkdir -p "$dir"
  ln -s "$build" "$dir/build"
  cd "$dir" || exit 2
}

# --- the tests ----------------------------------------------------------------

# The issue's "done means": upgrade prints the head, the schema is Alembic's,
# the two downgrades undo it exactly.
test_upgrade_then_downgrades_undo_it_exactly() {
  run "$SQLITE3" t.db '.load build/distmigrate' "SELECT migrate_upgrade('head')"
  ok "upgrade head" "$head"
  check_schema "upgrade head" t.db "$head"
  check "alembic_version" "$head" "$(sql t.db 'SELECT version_num FROM alembic_version')"
  run "$SQLITE3" t.db '.load build/distmigrate' "SELECT migrate_downgrade(-1)"
  ok "downgrade -1" 001_initial_schema
  check_schema "downgrade -1" t.db 001_initial_schema
  run "$SQLITE3" t.db '.load build/distmigrate' "SELECT migrate_downgrade('base')"
  # NULL at base: the shell prints an empty line.
  ok "downgrade base" ""
  check "downgrade base: one line" 1 "$(wc -l <"$tmp/stdout")"
  check_schema "downgrade base" t.db base
  check "alembic_version at base" 0 "$(sql t.db 'SELECT count(*) FROM alembic_version')"
  check "log" "001_initial_schema upgrade
002_add_invalid_responses upgrade
002_add_invalid_responses downgrade
001_initial_schema downgrade" "$(sql t.db 'SELECT revision, direction FROM distmigrate_log ORDER BY id' | tr '|' ' ')"
}

test_reading_functions_and_history() {
  run "$SQLITE3" t.db '.load build/distmigrate' "SELECT migrate_current()" \
    "SELECT migrate_heads()" "SELECT revision, applied FROM migration_history"
  ok "at base" "
$head
$head|0
001_initial_schema|0"
  check "loading and reading created nothing" 0 "$(sql t.db 'SELECT count(*) FROM sqlite_schema')"
  run "$SQLITE3" t.db '.load build/distmigrate' "SELECT migrate_upgrade('+1')" \
    "SELECT migrate_current()" "SELECT revision, applied FROM migration_history"
  ok "at 001" "001_initial_schema
001_initial_schema
$head|0
001_initial_schema|1"
}

# bad START SQL MESSAGE [EXIT]: from a database at START (with rows unless at
# base), SQL prints exactly MESSAGE on stderr, nothing on stdout, exits
# non-zero (EXIT if given), and the file stays byte for byte as it was.
bad() {
  rm -f bad.db
  if [ "$1" = base ]; then
    sql bad.db "CREATE TABLE notes (x); INSERT INTO notes VALUES ('mine')"
  else
    dm bad.db "SELECT migrate_upgrade('$1')"
    add_rows bad.db
  fi
  cp bad.db before.db
  dm bad.db "$2"
  check "$2: stderr" "$3" "$err"
  check "$2: stdout" "" "$out"
  if [ "$rc" -eq 0 ]; then fail "$2: exit status 0, want non-zero"; fi
  if [ $# -ge 4 ]; then check "$2: exit status" "$4" "$rc"; fi
  check_unchanged "$2" bad.db before.db
}

test_bad_input_prints_the_error_and_changes_nothing() {
  bad base "SELECT migrate_upgrade('zzz')" \
    "${stepping}Can't locate revision identified by 'zzz'"
  bad base "SELECT migrate_upgrade('0')" \
    "${stepping}Multiple revisions start with '0': '001_initial_schema', '002_add_invalid_responses'; give more of the revision id"
  bad base "SELECT migrate_upgrade()" \
    "${stepping}wrong number of arguments (0): use migrate_upgrade('head')"
  bad base "SELECT migrate_upgrade(2)" \
    "${stepping}migrate_upgrade(2): give the target as text, e.g. migrate_upgrade('head'), migrate_upgrade('+1') for one step or migrate_upgrade('002') for a revision"
  bad 001 "SELECT migrate_upgrade('+2')" \
    "${stepping}Relative revision +2 didn't produce 2 migrations: the database (at 001_initial_schema) is only 1 step below the head"
  bad head "SELECT migrate_downgrade(-3)" \
    "${stepping}Relative revision -3 didn't produce 3 migrations: the database (at $head) is only 2 steps above base"
  bad head "SELECT migrate_upgrade('001')" \
    "${stepping}Destination 001_initial_schema is below the current revision $head: migrate_upgrade only goes up; to go down, use migrate_downgrade('001_initial_schema')"
  bad head "SELECT migrate_downgrade(NULL)" \
    "${stepping}migrate_downgrade(NULL): the target is NULL; give 'base', a revision id, or a relative step such as '-1'"
  bad head "SELECT migrate_downgrade('-x')" \
    "${stepping}'-x' is not a valid relative revision: write +N or -N for N steps from the current revision, or REV+N or REV-N for N steps from revision REV, with N a whole number, as in '+1', '-1' or 'head-1'"
  bad head "SELECT migrate_downgrade(1.5)" \
    "${stepping}migrate_downgrade(1.5): a step count must be a whole number, as in migrate_downgrade(-1)"
  bad head "SELECT migrate_downgrade(-1) FROM questions" \
    "${stepping}migrate_downgrade() must be called on its own, as in SELECT migrate_downgrade(...); here it runs inside a statement that reads a table (or while another statement on this connection is still running), and SQLite cannot change the schema under an open cursor (\"database table is locked\") (6)" 6
}

test_unknown_revision_in_the_database_is_refused() {
  dm t.db "SELECT migrate_upgrade('head')"
  sql t.db "UPDATE alembic_version SET version_num = '003_from_the_future'"
  cp t.db before.db
  for call in "migrate_upgrade('head')" "migrate_downgrade(-1)" "migrate_stamp('head')"; do
    dm t.db "SELECT $call"
    check "$call: stderr" "${stepping}Can't locate revision identified by '003_from_the_future': the database is at a revision this build of distmigrate does not know (a newer build migrated it?); alembic_version holds '003_from_the_future'; load the distmigrate that carries '003_from_the_future', or, if the schema is at a revision this build knows, record that with SELECT migrate_stamp('<rev>', 'purge')" "$err"
    check "$call: exit status" 1 "$rc"
    check_unchanged "$call" t.db before.db
  done
}

test_table_made_by_hand_fails_and_names_the_statement() {
  sql t.db "CREATE TABLE responses (id INTEGER PRIMARY KEY, note TEXT)"
  cp t.db before.db
  dm t.db "SELECT migrate_upgrade('head')"
  check "stderr" "${stepping}upgrade <base> -> 001_initial_schema failed: table responses already exists
  at sql/versions/001_initial_schema.sql:25: CREATE TABLE responses ( id INTEGER NOT NULL, question_id INTEGER NOT NULL, model_name VARCHAR(100) NOT NULL, model_config TEXT NOT NULL, reasoning TEXT, answer ...
  the run was rolled back: the database is still at base" "$err"
  check "exit status" 1 "$rc"
  check_unchanged "upgrade" t.db before.db
}

test_failing_migration_leaves_the_file_unchanged() {
  run "$SQLITE3" f.db ".load $build/fixtures/failing/distmigrate" "SELECT migrate_upgrade('+1')"
  ok "f1 alone" f1_ok
  cp f.db before.db
  run "$SQLITE3" f.db ".load $build/fixtures/failing/distmigrate" "SELECT migrate_upgrade('head')"
  check "stderr" "${stepping}upgrade f1_ok -> f2_breaks failed: no such table: missing_table
  at tests/fixtures/failing/f2_breaks.sql:11: INSERT INTO missing_table (x) VALUES (1);
  the run was rolled back: the database is still at f1_ok" "$err"
  check "exit status" 1 "$rc"
  check_unchanged "failed upgrade" f.db before.db
  check "f1's rows" "1 2 3" "$(sql f.db 'SELECT x FROM t1' | tr '\n' ' ' | sed 's/ $//')"
}

# The shell's exit status is SQLite's code: a script can tell "read-only".
test_read_only_database_exits_with_sqlite_readonly() {
  dm t.db "SELECT migrate_upgrade('head')"
  cp t.db before.db
  run "$SQLITE3" -readonly t.db ".load $ext" "SELECT migrate_downgrade('base')"
  check "stderr" "${stepping}migrate_downgrade(): the database is read-only (attempt to write a readonly database); migrating writes to it: open it read-write, as a user who may write the file and its directory (8)" "$err"
  check "exit status (SQLITE_READONLY)" 8 "$rc"
  check_unchanged "read-only" t.db before.db
}

# check_verbose WHAT WANT-RUNNING-LINES: $err holds exactly those lines, each
# followed by its "step done in N ms" line, then one "done in N s" line for
# the whole call.
step_done='^INFO  \[distmigrate\]   step done in [0-9][0-9]*\.[0-9] ms$'
call_done='^INFO  \[distmigrate\] done in [0-9][0-9]*\.[0-9][0-9][0-9] s$'
check_verbose() {
  check "$1: the Running lines" "$2" "$(printf '%s\n' "$err" | grep -v -e "$step_done" -e "$call_done")"
  check "$1: one done line per step" "$(printf '%s\n' "$2" | wc -l)" \
    "$(printf '%s\n' "$err" | grep -c "$step_done")"
  check "$1: each step is followed by its done line, the call by its own" \
    "$(printf '%s\n' "$2" | sed 's/.*/R\nD/'; echo C)" \
    "$(printf '%s\n' "$err" | sed -e 's/^INFO  \[distmigrate\] Running .*/R/' \
      -e 's/^INFO  \[distmigrate\]   step done in .*/D/' -e 's/^INFO  \[distmigrate\] done in .*/C/')"
  check "$1: exit status" 0 "$rc"
}

test_verbose_prints_alembics_lines() {
  run env DISTMIGRATE_VERBOSE=1 "$SQLITE3" t.db ".load $ext" "SELECT migrate_upgrade('head')"
  check "DISTMIGRATE_VERBOSE=1: stdout" "$head" "$out"
  check_verbose "DISTMIGRATE_VERBOSE=1" \
"INFO  [distmigrate] Running upgrade  -> 001_initial_schema, Create initial database schema
INFO  [distmigrate] Running upgrade 001_initial_schema -> 002_add_invalid_responses, Add invalid_responses table"
  # migrate_verbose(1) returns the previous setting.
  dm t.db "SELECT migrate_verbose(1)" "SELECT migrate_downgrade('base')"
  check "migrate_verbose(1): stdout" "0" "$out"
  check_verbose "migrate_verbose(1)" \
"INFO  [distmigrate] Running downgrade 002_add_invalid_responses -> 001_initial_schema, Add invalid_responses table
INFO  [distmigrate] Running downgrade 001_initial_schema -> , Create initial database schema"
  # Off by default, off again with migrate_verbose(0) or DISTMIGRATE_VERBOSE=0.
  dm t.db "SELECT migrate_upgrade('+1')"
  ok "not verbose" 001_initial_schema
  dm t.db "SELECT migrate_verbose(1)" "SELECT migrate_verbose(0)" "SELECT migrate_downgrade(-1)"
  ok "migrate_verbose(0)" "0
1"
  run env DISTMIGRATE_VERBOSE=0 "$SQLITE3" t.db ".load $ext" "SELECT migrate_upgrade('+1')"
  ok "DISTMIGRATE_VERBOSE=0" 001_initial_schema
}

# A hostile database: a view and a trigger that would migrate whoever opens
# it with distmigrate loaded. DIRECTONLY: SQLite refuses to run them.
test_view_and_trigger_cannot_migrate() {
  dm t.db "SELECT migrate_upgrade('head')"
  add_rows t.db
  # Written without the extension, as an attacker's copy would be.
  sql t.db "CREATE VIEW innocent AS SELECT migrate_downgrade('base') AS x;
            CREATE TRIGGER on_response AFTER INSERT ON responses
            BEGIN SELECT migrate_downgrade('base'); END;"
  cp t.db before.db
  dm t.db "SELECT * FROM innocent"
  check "view: stderr" "${in_prepare}unsafe use of migrate_downgrade()" "$err"
  check "view: exit status" 1 "$rc"
  dm t.db "PRAGMA trusted_schema = ON" "SELECT * FROM innocent"
  check "view, trusted_schema on: stderr" "${in_prepare}unsafe use of migrate_downgrade()" "$err"
  dm t.db "INSERT INTO responses (question_id, model_name, model_config, answer, created_at, updated_at)
           VALUES (1, 'm', '{}', 'a', '2024-01-01', '2024-01-01')"
  check "trigger: stderr" "${in_prepare}unsafe use of migrate_downgrade()" "$err"
  check "trigger: exit status" 1 "$rc"
  check_unchanged "view and trigger" t.db before.db
  check "every table intact" "alembic_version distmigrate_log invalid_responses questions responses " \
    "$(sql t.db "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name" | tr '\n' ' ')"
  check "version" "$head" "$(sql t.db 'SELECT version_num FROM alembic_version')"
  check "rows" "1|What is 2+2?|4" "$(rows t.db)"
}

# make_quiet ARGS...: make in the project, output kept for when it fails.
make_quiet() {
  env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$root" BUILD="$build_rel" "$@" >"$tmp/make.log" 2>&1 || {
    fail "make $*:"
    sed 's/^/    /' "$tmp/make.log" >&2
    return 1
  }
}

test_make_install_honours_destdir_and_prefix() {
  make_quiet install DESTDIR="$dir/d1"
  check "installed files (DESTDIR)" "$dir/d1/usr/lib/distmigrate.so" "$(find "$dir/d1" -type f)"
  check_unchanged "installed copy" "$dir/d1/usr/lib/distmigrate.so" "$ext.so"
  check "mode" 644 "$(stat -c %a "$dir/d1/usr/lib/distmigrate.so")"
  make_quiet install PREFIX=/opt/x DESTDIR="$dir/d2"
  check "installed files (PREFIX)" "$dir/d2/opt/x/lib/distmigrate.so" "$(find "$dir/d2" -type f)"
  # Loaded by its full path, with and without the suffix.
  run "$SQLITE3" :memory: ".load $dir/d1/usr/lib/distmigrate.so" "SELECT migrate_heads()"
  ok "load by full path" "$head"
  run "$SQLITE3" t.db ".load $dir/d2/opt/x/lib/distmigrate" "SELECT migrate_upgrade('head')"
  ok "load by full path without .so" "$head"
  make_quiet uninstall DESTDIR="$dir/d1"
  check "uninstalled" "" "$(find "$dir/d1" -type f)"
}

# The README's lines, read from README.md, run as written.
test_readme_first_command_prints_what_the_readme_shows() {
  readme_sh '# distmigrate' >lines
  cmd=$(grep '^sqlite3 ' lines)
  shown=$(grep -A1 '^sqlite3 ' lines | sed -n 2p)
  check "the README's first sqlite3 line" "sqlite3 llm_distiller.db '.load build/distmigrate' \"SELECT migrate_upgrade('head')\"" "$cmd"
  run sh -c "$cmd"
  ok "$cmd" "$shown"
  check_schema "$cmd" llm_distiller.db "$head"
}

test_readme_shell_loading_line() {
  readme_sh '## Loading it' >lines
  cmd=$(grep '^sqlite3 ' lines)
  check "the README's .load line" "sqlite3 llm_distiller.db '.load distmigrate' \"SELECT migrate_upgrade('head')\"" "$cmd"
  run env LD_LIBRARY_PATH="$build" sh -c "$cmd"
  ok "$cmd" "$head"
}

# A real `make install` into /usr/lib, then `.load distmigrate` with no path
# and no LD_LIBRARY_PATH: only as root, and only when asked (CI).
test_system_install_loads_without_a_path() {
  if [ "$(id -u)" != 0 ] || [ "${DM_TEST_SYSTEM_INSTALL:-}" != 1 ]; then
    echo "  (not run: needs root and DM_TEST_SYSTEM_INSTALL=1)"
    return
  fi
  installed=/usr/lib/distmigrate.so
  if [ -e "$installed" ]; then cp -p "$installed" "$dir/previous.so"; fi
  make_quiet install && {
    check_unchanged "installed copy" "$installed" "$ext.so"
    run env -u LD_LIBRARY_PATH "$SQLITE3" :memory: '.load distmigrate' "SELECT migrate_heads()"
    ok ".load distmigrate, installed" "$head"
    readme_sh '## Loading it' >lines
    run env -u LD_LIBRARY_PATH sh -c "$(grep '^sqlite3 ' lines)"
    ok "the README's .load line, installed" "$head"
  }
  make_quiet uninstall
  if [ -e "$installed" ]; then fail "make uninstall left $installed"; fi
  if [ -e "$dir/previous.so" ]; then cp -p "$dir/previous.so" "$installed"; fi
}

# --- run them -------------------------------------------------------------------

tests=$(grep -o '^test_[a-z_]*()' "$self" | tr -d '()')
for t in $tests; do
  before=$nfail
  enter "$t"
  "$t"
  cd "$root" || exit 2
  if [ "$nfail" -eq "$before" ]; then echo "ok   $t"; else echo "FAIL $t"; fi
done
echo "shell tests: $(echo "$tests" | wc -l) tests, $npass checks passed, $nfail failed"
[ "$nfail" -eq 0 ]
