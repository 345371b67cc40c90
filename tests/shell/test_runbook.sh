#!/bin/sh
# The README's Runbook, executed line by line exactly as written there.
#
# The lines are read from README.md (the ```sh blocks of "## Runbook"), so
# the test and the documentation cannot drift apart. They run in a scratch
# directory holding llm_distiller.db, with the built extension found by
# ".load distmigrate" through LD_LIBRARY_PATH (as an installed one is found
# in /usr/lib), and with a `date` that gives a new second on each call, so
# that two backups within one second get two names. Each line is recognised
# by what it does and its effect checked; a line the test does not know
# fails it, so a new runbook line needs a check here.
set -eu

BUILD=${DM_BUILD:-build}
root=$(pwd)
ext="$root/$BUILD"
work=$(mktemp -d /tmp/dm-runbook-XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

expect() { # expect NAME GOT WANT
  if [ "$2" != "$3" ]; then
    fail "$1
--- got:
$2
--- want:
$3"
  fi
}

# The commands: continuation lines joined, comments and blank lines dropped.
awk '
  /^## / { section = ($0 == "## Runbook"); next }
  section && /^```sh/ { code = 1; next }
  section && /^```/ { code = 0; next }
  section && code {
    line = $0
    if (pending != "") { line = pending line; pending = "" }
    if (line ~ /\\$/) { pending = substr(line, 1, length(line) - 1); next }
    if (line ~ /^[ \t]*(#|$)/) next
    print line
  }
' README.md > "$work/commands"
count=$(wc -l < "$work/commands")
[ "$count" -ge 5 ] || { echo "FAIL: found only $count runbook lines in README.md" >&2; exit 1; }

mkdir "$work/bin"
cat > "$work/bin/date" <<'EOF'
#!/bin/sh
n=$(cat "$RUNBOOK_CLOCK" 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" > "$RUNBOOK_CLOCK"
printf '20240101_1200%02d\n' "$n"
EOF
chmod +x "$work/bin/date"

# A database at 001 with some data, as production might be.
cd "$work"
sqlite3 llm_distiller.db ".load $ext/distmigrate" "SELECT migrate_upgrade('001')" >/dev/null
sqlite3 llm_distiller.db "INSERT INTO questions (id, category, question_text, created_at, updated_at)
  VALUES (1, 'math', 'What is 2+2?', '2024-01-01', '2024-01-01')"

version() { sqlite3 "$1" 'SELECT group_concat(version_num) FROM alembic_version'; }
dump() { sqlite3 "$1" .dump; }

seen=""
while IFS= read -r cmd; do
  before=$(mktemp "$work/before.XXXXXX")
  cp llm_distiller.db "$before"
  set +e
  out=$(PATH="$work/bin:$PATH" LD_LIBRARY_PATH="$ext" RUNBOOK_CLOCK="$work/clock" \
    sh -c "$cmd" 2>"$work/stderr")
  rc=$?
  set -e
  err=$(cat "$work/stderr")
  if [ $rc -ne 0 ]; then
    fail "exit status $rc: $cmd
$err"
    continue
  fi
  case "$cmd" in
    *migration_plan*)
      seen="$seen plan"
      expect "plan" "$out" "001_initial_schema
1|upgrade|002_add_invalid_responses|Add invalid_responses table"
      ;;
    *"'rehearse'"*)
      seen="$seen rehearse"
      masked=$(printf '%s\n' "$out" | sed 's/[0-9.]* ms$/# ms/')
      expect "rehearse" "$masked" "rehearsal, rolled back: the database is unchanged
upgrade 001_initial_schema -> 002_add_invalid_responses: 4 statements, 0 rows changed, 0 foreign key violations, # ms
a real run would leave the database at 002_add_invalid_responses"
      cmp -s llm_distiller.db "$before" || fail "rehearse changed llm_distiller.db"
      ;;
    *"'backup', "*)
      seen="$seen deploy"
      expect "deploy" "$out" "002_add_invalid_responses
ok"
      masked=$(printf '%s\n' "$err" | sed -e 's/[0-9.]* ms$/# ms/' -e 's/[0-9.]* s$/# s/')
      expect "deploy (stderr)" "$masked" "INFO  [distmigrate] Running upgrade 001_initial_schema -> 002_add_invalid_responses, Add invalid_responses table
INFO  [distmigrate]   step done in # ms
INFO  [distmigrate] done in # s"
      backup=$(ls backup_*.db)
      expect "deploy backup name" "$backup" "backup_20240101_120001.db"
      expect "deploy backup version" "$(version "$backup")" "001_initial_schema"
      expect "deploy backup data" "$(dump "$backup")" "$(dump "$before")"
      # The application goes on writing after the deploy.
      sqlite3 llm_distiller.db "INSERT INTO questions (id, category, question_text, created_at, updated_at)
        VALUES (2, 'math', 'What is 3+3?', '2024-01-02', '2024-01-02')"
      ;;
    *migrate_downgrade*)
      seen="$seen rollback"
      expect "rollback" "$out" "001_initial_schema
ok"
      expect "rollback keeps the data" "$(sqlite3 llm_distiller.db 'SELECT count(*) FROM questions')" "2"
      ;;
    *migrate_restore*)
      seen="$seen restore"
      expect "restore" "$out" "001_initial_schema"
      expect "restore data" "$(dump llm_distiller.db)" "$(dump backup_20240101_120001.db)"
      ;;
    *migrate_backup*)
      seen="$seen backup"
      expect "backup" "$out" "backup_20240101_120002.db"
      expect "backup data" "$(dump backup_20240101_120002.db)" "$(dump llm_distiller.db)"
      # Something to undo for the shell's restore below.
      sqlite3 llm_distiller.db "DELETE FROM questions"
      ;;
    *".restore "*)
      seen="$seen shell-restore"
      expect "shell restore" "$(dump llm_distiller.db)" "$(dump backup_20240101_120002.db)"
      ;;
    *"migrate_sql("*)
      seen="$seen offline"
      expect "offline script" "$(grep -c '^-- Running upgrade 001_initial_schema -> 002_add_invalid_responses$' upgrade.sql)" "1"
      cmp -s llm_distiller.db "$before" || fail "migrate_sql changed llm_distiller.db"
      ;;
    *"-bail"*"<"*)
      seen="$seen apply"
      expect "apply" "$(version llm_distiller.db)" "002_add_invalid_responses"
      expect "apply check" "$(sqlite3 llm_distiller.db ".load $ext/distmigrate" 'SELECT migrate_check()')" "ok"
      ;;
    *distmigrate_log*)
      seen="$seen log"
      # The restored backup's row for 001, then the script's for 002.
      rows=$(printf '%s\n' "$out" | sed -n 's/^| \(00[12]_[a-z_]*\) *| \([a-z]*\) *|.*/\1 \2/p')
      expect "log rows" "$rows" "001_initial_schema upgrade
002_add_invalid_responses upgrade"
      ;;
    *)
      fail "a runbook line this test does not know; add a check for it: $cmd"
      ;;
  esac
  rm -f "$before"
done < "$work/commands"

expect "runbook lines" "$seen" " plan rehearse deploy rollback restore backup shell-restore offline apply log"
if [ "$failures" -ne 0 ]; then
  echo "test_runbook.sh: $failures failure(s)" >&2
  exit 1
fi
echo "test_runbook.sh: $count runbook lines ran as written in README.md"
