"""distmigrate through Python's sqlite3 module (make check-python).

Debian's /usr/bin/python3 loads build/distmigrate.so ($DM_BUILD) into
ordinary connections, as the LLM Distiller does at start-up. This covers
the seed's test_upgrade_downgrade and test_data_migration, translated from
Alembic, and what a Python caller sees: errors, transactions, bookkeeping.
"""
import os
import sqlite3
import sys
import textwrap
import unittest

from dmsupport import (BUILD, HEAD, INITIAL, ROOT, TempDirTestCase,
                       add_question, add_response, file_bytes, load,
                       reference_schema, run, schema, tables, value)

HISTORY_COLUMNS = [
    "revision", "parents", "message", "create_date", "is_head", "is_base",
    "is_branch_point", "is_merge", "branch_labels", "depends_on", "applied",
    "applied_at", "checksum", "file",
]


def readme_block(section, language):
    """The first ```language block under the README heading `section`."""
    lines = (ROOT / "README.md").read_text().splitlines()
    in_section = fence = False
    block = None
    for line in lines:
        if line.startswith("```"):
            if fence:
                if block is not None:
                    return "\n".join(block) + "\n"
                fence = False
            else:
                fence = True
                if in_section and line == "```" + language:
                    block = []
            continue
        if fence:
            if block is not None:
                block.append(line)
        elif line.startswith("#"):
            in_section = line == section
    raise AssertionError(f"README.md has no ```{language} block under {section!r}")


class StartUp(TempDirTestCase):
    """The application start-up pattern, as SPEC section 2 and the README
    give it, run in a Python process of its own."""

    def run_python(self, code, **env):
        proc = run([sys.executable, "-c", code], cwd=self.dir,
                   env={**os.environ, **env})
        self.assertProcessOk(proc, code)
        return proc

    def test_startup_pattern_migrates_to_head(self):
        # load_extension("distmigrate") without a path, as with the installed
        # file: the dynamic loader also searches LD_LIBRARY_PATH.
        startup = textwrap.dedent("""\
            import sqlite3
            con = sqlite3.connect("llm_distiller.db")
            con.enable_load_extension(True)
            con.load_extension("distmigrate")
            con.execute("SELECT migrate_upgrade('head')")
            """)
        proc = self.run_python(startup, LD_LIBRARY_PATH=str(BUILD))
        self.assertEqual((proc.stdout, proc.stderr), ("", ""))
        # No commit() in the pattern: the run committed by itself.
        self.assertEqual(schema(self.path()), reference_schema(HEAD))
        con = sqlite3.connect(self.path())
        self.assertEqual(value(con, "SELECT version_num FROM alembic_version"), HEAD)
        con.close()
        # The next start-up finds the database at head and writes nothing.
        before = file_bytes(self.path())
        self.run_python(startup, LD_LIBRARY_PATH=str(BUILD))
        self.assertEqual(file_bytes(self.path()), before)

    def test_readme_python_snippet_prints_the_head(self):
        snippet = readme_block("## Loading it", "python")
        self.assertIn('con.load_extension("build/distmigrate")', snippet)
        (self.dir / "build").symlink_to(BUILD)
        proc = self.run_python(snippet)
        self.assertEqual((proc.stdout, proc.stderr), (HEAD + "\n", ""))
        self.assertEqual(schema(self.path()), reference_schema(HEAD))

    def test_loading_writes_nothing(self):
        con = sqlite3.connect(self.path())
        con.execute("CREATE TABLE notes (x)")
        con.execute("INSERT INTO notes VALUES ('mine')")
        con.commit()
        con.close()
        before = file_bytes(self.path())
        con = self.connect()
        self.assertIsNone(value(con, "SELECT migrate_current()"))
        self.assertEqual(value(con, "SELECT migrate_heads()"), HEAD)
        self.assertEqual(value(con, "SELECT count(*) FROM migration_history"), 2)
        con.close()
        self.assertEqual(file_bytes(self.path()), before)


class SeedTests(TempDirTestCase):
    """The seed's tests/test_migrations.py, with distmigrate for Alembic."""

    def test_upgrade_downgrade(self):
        """Test full upgrade and downgrade cycle"""
        con = self.connect()
        self.assertEqual(value(con, "SELECT migrate_upgrade('head')"), HEAD)
        names = tables(con)
        self.assertIn("questions", names)
        self.assertIn("responses", names)
        self.assertIn("invalid_responses", names)
        self.assertIsNone(value(con, "SELECT migrate_downgrade('base')"))
        names = tables(con)
        self.assertNotIn("questions", names)
        self.assertNotIn("responses", names)
        self.assertNotIn("invalid_responses", names)
        self.assertEqual(schema(con), reference_schema("base"))

    def test_data_migration(self):
        """Test migration with existing data.

        The seed creates every table with create_all() and then runs
        `upgrade head`, which fails in Alembic too ("table questions already
        exists"); its intent is a database holding data at the initial
        schema, migrated to head with the data intact."""
        con = self.connect()
        self.assertEqual(value(con, "SELECT migrate_upgrade('001_initial_schema')"), INITIAL)
        con.execute("""
            INSERT INTO questions (category, question_text, created_at, updated_at)
            VALUES ('test', 'What is 2+2?', datetime('now'), datetime('now'))
        """)
        con.execute("""
            INSERT INTO responses (question_id, model_name, model_config, answer,
                                   is_correct, created_at, updated_at)
            VALUES (1, 'gpt-4', '{"temperature": 0}', '4', 1,
                    datetime('now'), datetime('now'))
        """)
        con.commit()
        before_q = con.execute("SELECT * FROM questions").fetchall()
        before_r = con.execute("SELECT * FROM responses").fetchall()

        self.assertEqual(value(con, "SELECT migrate_upgrade('head')"), HEAD)

        self.assertEqual(value(con, "SELECT COUNT(*) FROM questions"), 1)
        self.assertEqual(con.execute("SELECT * FROM questions").fetchall(), before_q)
        self.assertEqual(con.execute("SELECT * FROM responses").fetchall(), before_r)
        self.assertEqual(
            con.execute("SELECT id, category, question_text FROM questions").fetchall(),
            [(1, "test", "What is 2+2?")])
        self.assertEqual(schema(con), reference_schema(HEAD))
        # The new table takes rows that point at the old ones.
        con.execute("""
            INSERT INTO invalid_responses (question_id, model_name, model_config,
                answer, validation_error, error_type, created_at, updated_at)
            VALUES (1, 'gpt-4', '{}', 'four', 'not JSON', 'JSON_PARSE_ERROR',
                    datetime('now'), datetime('now'))
        """)
        with self.assertRaisesRegex(sqlite3.IntegrityError,
                                    "^CHECK constraint failed: check_error_type$"):
            con.execute("""
                INSERT INTO invalid_responses (question_id, model_name,
                    model_config, answer, validation_error, error_type,
                    created_at, updated_at)
                VALUES (1, 'm', '{}', 'a', 'e', 'NO_SUCH_TYPE', 1, 1)
            """)
        con.commit()
        self.assertEqual(value(con, "PRAGMA integrity_check"), "ok")


class Errors(TempDirTestCase):
    """Errors arrive as sqlite3.OperationalError carrying the exact message,
    and the database file is byte for byte as it was."""

    CASES = [
        # (start, sql, parameters, message)
        ("base", "SELECT migrate_upgrade('zzz')", (),
         "Can't locate revision identified by 'zzz'"),
        ("base", "SELECT migrate_upgrade('0')", (),
         "Multiple revisions start with '0': '001_initial_schema', "
         "'002_add_invalid_responses'; give more of the revision id"),
        ("base", "SELECT migrate_upgrade(?)", (None,),
         "migrate_upgrade(NULL): the target is NULL; give 'head', a revision "
         "id, or a relative step such as '+1'"),
        ("base", "SELECT migrate_upgrade(?)", (2,),
         "migrate_upgrade(2): give the target as text, e.g. "
         "migrate_upgrade('head'), migrate_upgrade('+1') for one step or "
         "migrate_upgrade('002') for a revision"),
        ("base", "SELECT migrate_upgrade()", (),
         "wrong number of arguments (0): use migrate_upgrade('head')"),
        ("head", "SELECT migrate_downgrade(?)", (-3,),
         "Relative revision -3 didn't produce 3 migrations: the database (at "
         "002_add_invalid_responses) is only 2 steps above base"),
        ("head", "SELECT migrate_downgrade(?)", (1.5,),
         "migrate_downgrade(1.5): a step count must be a whole number, as in "
         "migrate_downgrade(-1)"),
        ("head", "SELECT migrate_downgrade(?)", ("-x",),
         "'-x' is not a valid relative revision: write +N or -N for N steps "
         "from the current revision, or REV+N or REV-N for N steps from "
         "revision REV, with N a whole number, as in '+1', '-1' or 'head-1'"),
        ("head", "SELECT migrate_upgrade(?)", ("001",),
         "Destination 001_initial_schema is below the current revision "
         "002_add_invalid_responses: migrate_upgrade only goes up; to go "
         "down, use migrate_downgrade('001_initial_schema')"),
        ("001", "SELECT migrate_downgrade('002')", (),
         "Destination 002_add_invalid_responses is not below the current "
         "revision 001_initial_schema (it is not applied here): "
         "migrate_downgrade only goes down; to go up, use "
         "migrate_upgrade('002_add_invalid_responses')"),
    ]

    def test_bad_input_raises_operational_error_and_changes_nothing(self):
        for start, sql, params, message in self.CASES:
            with self.subTest(start=start, sql=sql, params=params):
                path = self.path(f"bad-{start}.db")
                path.unlink(missing_ok=True)
                con = sqlite3.connect(path)
                load(con)
                if start == "base":
                    con.execute("CREATE TABLE notes (x)")
                else:
                    con.execute(f"SELECT migrate_upgrade('{start}')")
                    add_question(con)
                con.commit()
                before = file_bytes(path)
                with self.assertRaises(sqlite3.OperationalError) as caught:
                    con.execute(sql, params)
                self.assertEqual(str(caught.exception), message)
                self.assertEqual(caught.exception.sqlite_errorname, "SQLITE_ERROR")
                self.assertFalse(con.in_transaction)
                con.close()
                self.assertEqual(file_bytes(path), before)

    def test_unknown_revision_in_the_database_is_refused(self):
        con = self.connect()
        con.execute("SELECT migrate_upgrade('head')")
        con.execute("UPDATE alembic_version SET version_num = '003_from_the_future'")
        con.commit()
        before = file_bytes(self.path())
        with self.assertRaises(sqlite3.OperationalError) as caught:
            con.execute("SELECT migrate_upgrade('head')")
        self.assertEqual(
            str(caught.exception),
            "Can't locate revision identified by '003_from_the_future': the "
            "database is at a revision this build of distmigrate does not "
            "know (a newer build migrated it?); alembic_version holds "
            "'003_from_the_future'; load the distmigrate that carries "
            "'003_from_the_future', or, if the schema is at a revision this "
            "build knows, record that with SELECT migrate_stamp('<rev>', "
            "'purge')")
        self.assertEqual(value(con, "SELECT migrate_current()"), "003_from_the_future")
        con.close()
        self.assertEqual(file_bytes(self.path()), before)

    def test_failing_fixture_set_raises_and_leaves_the_file_unchanged(self):
        con = self.connect(fixture="failing")
        con.execute("CREATE TABLE notes (x)")
        con.commit()
        before = file_bytes(self.path())
        with self.assertRaises(sqlite3.OperationalError) as caught:
            con.execute("SELECT migrate_upgrade('head')")
        self.assertEqual(
            str(caught.exception),
            "upgrade f1_ok -> f2_breaks failed: no such table: missing_table\n"
            "  at tests/fixtures/failing/f2_breaks.sql:11: INSERT INTO "
            "missing_table (x) VALUES (1);\n"
            "  the run was rolled back: the database is still at base")
        self.assertFalse(con.in_transaction)
        self.assertEqual(tables(con), ["notes"])
        self.assertIsNone(value(con, "SELECT migrate_current()"))
        con.close()
        self.assertEqual(file_bytes(self.path()), before)

    def test_call_while_a_cursor_is_open_is_refused(self):
        con = self.connect()
        con.execute("SELECT migrate_upgrade('head')")
        add_question(con, 1)
        add_question(con, 2, "And 3+3?")
        con.commit()
        before = file_bytes(self.path())
        cursor = con.execute("SELECT id FROM questions")
        self.assertEqual(cursor.fetchone(), (1,))
        with self.assertRaises(sqlite3.OperationalError) as caught:
            con.execute("SELECT migrate_downgrade(-1)")
        self.assertEqual(
            str(caught.exception),
            "migrate_downgrade() must be called on its own, as in SELECT "
            "migrate_downgrade(...); here it runs inside a statement that "
            "reads a table (or while another statement on this connection is "
            "still running), and SQLite cannot change the schema under an "
            "open cursor (\"database table is locked\")")
        self.assertEqual(caught.exception.sqlite_errorname, "SQLITE_LOCKED")
        # The cursor reads on; once it is done the call works.
        self.assertEqual(cursor.fetchall(), [(2,)])
        self.assertEqual(file_bytes(self.path()), before)
        self.assertEqual(value(con, "SELECT migrate_downgrade(-1)"), INITIAL)

    def test_busy_database_raises_sqlite_busy_after_the_timeout(self):
        con = self.connect(timeout=0.05)
        other = sqlite3.connect(self.path(), isolation_level=None)
        self.addCleanup(other.close)
        other.execute("BEGIN IMMEDIATE")
        other.execute("CREATE TABLE theirs (x)")
        with self.assertRaises(sqlite3.OperationalError) as caught:
            con.execute("SELECT migrate_upgrade('head')")
        self.assertEqual(
            str(caught.exception),
            "migrate_upgrade(): database is locked: another connection is "
            "writing to it (waited 50 ms, this connection's busy timeout); "
            "try again, or wait longer with PRAGMA busy_timeout = 10000")
        # A caller can tell "retry" from "wrong": the code stays SQLITE_BUSY.
        self.assertEqual(caught.exception.sqlite_errorname, "SQLITE_BUSY")
        self.assertFalse(con.in_transaction)
        other.execute("COMMIT")
        self.assertEqual(value(con, "SELECT migrate_upgrade('head')"), HEAD)
        self.assertEqual(tables(con), ["alembic_version", "distmigrate_log",
                                       "invalid_responses", "questions",
                                       "responses", "theirs"])


class Transactions(TempDirTestCase):
    """Python's implicit transactions: with the default isolation_level an
    INSERT opens a transaction, and a run inside it is a SAVEPOINT that
    commits or rolls back with the caller; a SELECT alone opens none, and
    the run is its own transaction."""

    def setUp(self):
        super().setUp()
        con = self.connect()
        con.execute("SELECT migrate_upgrade('001')")
        con.close()

    def observer(self):
        """Another connection, seeing only what is committed."""
        con = sqlite3.connect(self.path())
        self.addCleanup(con.close)
        return con

    def committed_version(self):
        return value(self.observer(), "SELECT group_concat(version_num) FROM alembic_version")

    def test_select_alone_commits_by_itself(self):
        con = self.connect()
        self.assertEqual(con.isolation_level, "")
        self.assertEqual(value(con, "SELECT migrate_upgrade('head')"), HEAD)
        self.assertFalse(con.in_transaction)
        self.assertEqual(self.committed_version(), HEAD)

    def test_after_an_insert_the_run_commits_with_the_caller(self):
        con = self.connect()
        add_question(con)
        self.assertTrue(con.in_transaction)
        self.assertEqual(value(con, "SELECT migrate_upgrade('head')"), HEAD)
        # Still the caller's transaction, no savepoint of ours left open.
        self.assertTrue(con.in_transaction)
        with self.assertRaisesRegex(sqlite3.OperationalError,
                                    "^no such savepoint: distmigrate$"):
            con.execute("RELEASE distmigrate")
        self.assertEqual(value(con, "SELECT migrate_current()"), HEAD)
        self.assertEqual(self.committed_version(), INITIAL)
        self.assertEqual(value(self.observer(), "SELECT count(*) FROM questions"), 0)
        con.commit()
        self.assertEqual(self.committed_version(), HEAD)
        self.assertEqual(value(self.observer(), "SELECT count(*) FROM questions"), 1)
        self.assertEqual(schema(self.path()), reference_schema(HEAD))

    def test_after_an_insert_the_run_rolls_back_with_the_caller(self):
        con = self.connect()
        add_question(con)
        self.assertEqual(value(con, "SELECT migrate_upgrade('head')"), HEAD)
        con.rollback()
        self.assertEqual(value(con, "SELECT migrate_current()"), INITIAL)
        self.assertEqual(value(con, "SELECT count(*) FROM questions"), 0)
        self.assertNotIn("invalid_responses", tables(con))
        self.assertEqual(value(con, "SELECT count(*) FROM distmigrate_log"), 1)
        self.assertEqual(schema(con), reference_schema(INITIAL))

    def test_with_block_commits_the_rows_and_the_run_together(self):
        con = self.connect()
        with con:
            add_question(con)
            con.execute("SELECT migrate_upgrade('head')")
        self.assertFalse(con.in_transaction)
        self.assertEqual(self.committed_version(), HEAD)
        self.assertEqual(value(self.observer(), "SELECT count(*) FROM questions"), 1)

    def test_with_block_rolls_back_the_rows_when_the_run_fails(self):
        # The failing set is another history: start from a file of its own.
        con = self.connect("failing.db", fixture="failing")
        con.execute("CREATE TABLE notes (x)")
        con.commit()
        before = file_bytes(self.path("failing.db"))
        with self.assertRaisesRegex(sqlite3.OperationalError, "^upgrade f1_ok -> f2_breaks failed"):
            with con:
                con.execute("INSERT INTO notes VALUES ('mine')")
                con.execute("SELECT migrate_upgrade('head')")
        self.assertFalse(con.in_transaction)
        self.assertEqual(value(con, "SELECT count(*) FROM notes"), 0)
        self.assertEqual(file_bytes(self.path("failing.db")), before)

    def test_failed_run_keeps_the_callers_work_in_the_transaction(self):
        con = self.connect("failing.db", fixture="failing")
        con.execute("CREATE TABLE notes (x)")
        con.commit()
        con.execute("INSERT INTO notes VALUES ('mine')")
        with self.assertRaises(sqlite3.OperationalError):
            con.execute("SELECT migrate_upgrade('head')")
        self.assertTrue(con.in_transaction)
        self.assertEqual(value(con, "SELECT x FROM notes"), "mine")
        self.assertEqual(tables(con), ["notes"])
        con.commit()
        self.assertEqual(value(self.observer_of("failing.db"), "SELECT x FROM notes"), "mine")

    def observer_of(self, name):
        con = sqlite3.connect(self.path(name))
        self.addCleanup(con.close)
        return con

    def test_isolation_level_none_is_autocommit(self):
        con = self.connect(isolation_level=None)
        add_question(con)
        self.assertFalse(con.in_transaction)
        self.assertEqual(value(con, "SELECT migrate_upgrade('head')"), HEAD)
        self.assertFalse(con.in_transaction)
        self.assertEqual(self.committed_version(), HEAD)
        # An explicit BEGIN makes it the caller's transaction again.
        con.execute("BEGIN")
        self.assertEqual(value(con, "SELECT migrate_downgrade(-1)"), INITIAL)
        self.assertEqual(self.committed_version(), HEAD)
        con.execute("ROLLBACK")
        self.assertEqual(value(con, "SELECT migrate_current()"), HEAD)

    def test_foreign_keys_setting_is_restored(self):
        con = self.connect()
        con.execute("PRAGMA foreign_keys = ON")
        self.assertEqual(value(con, "SELECT migrate_upgrade('head')"), HEAD)
        self.assertEqual(value(con, "PRAGMA foreign_keys"), 1)
        # And cascades still work afterwards.
        add_question(con)
        add_response(con)
        con.execute("DELETE FROM questions")
        self.assertEqual(value(con, "SELECT count(*) FROM responses"), 0)


class Bookkeeping(TempDirTestCase):
    """alembic_version, distmigrate_log and migration_history."""

    def test_alembic_version_is_alembics_table(self):
        con = self.connect()
        con.execute("SELECT migrate_upgrade('+1')")
        self.assertEqual(
            value(con, "SELECT sql FROM sqlite_schema WHERE name = 'alembic_version'"),
            "CREATE TABLE alembic_version (\n"
            "\tversion_num VARCHAR(32) NOT NULL, \n"
            "\tCONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n"
            ")")
        self.assertEqual(con.execute("SELECT * FROM alembic_version").fetchall(),
                         [(INITIAL,)])
        con.execute("SELECT migrate_upgrade('head')")
        self.assertEqual(con.execute("SELECT * FROM alembic_version").fetchall(),
                         [(HEAD,)])
        con.execute("SELECT migrate_downgrade('base')")
        self.assertEqual(con.execute("SELECT * FROM alembic_version").fetchall(), [])
        self.assertEqual(con.execute("SELECT migrate_stamp('head')").fetchall(), [(HEAD,)])
        self.assertEqual(con.execute("SELECT * FROM alembic_version").fetchall(),
                         [(HEAD,)])
        self.assertEqual(tables(con), ["alembic_version", "distmigrate_log"])

    def test_log_has_a_row_per_step(self):
        con = self.connect()
        con.execute("SELECT migrate_upgrade('head')")
        con.execute("SELECT migrate_downgrade(-1)")
        con.execute("SELECT migrate_stamp('head')")
        rows = con.execute(
            "SELECT revision, direction, from_version, to_version FROM "
            "distmigrate_log ORDER BY id").fetchall()
        self.assertEqual(rows, [
            (INITIAL, "upgrade", None, INITIAL),
            (HEAD, "upgrade", INITIAL, HEAD),
            (HEAD, "downgrade", HEAD, INITIAL),
            # A stamp runs no revision's SQL: it has no revision of its own.
            (None, "stamp", INITIAL, HEAD),
        ])
        checksums = dict(con.execute("SELECT revision, checksum FROM migration_history"))
        for revision, checksum, started_at, duration_ms in con.execute(
                "SELECT revision, checksum, started_at, duration_ms FROM "
                "distmigrate_log WHERE direction != 'stamp' ORDER BY id"):
            self.assertEqual(checksum, checksums[revision])
            self.assertRegex(checksum, "^[0-9a-f]{64}$")
            self.assertRegex(started_at,
                             r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$")
            self.assertIsInstance(duration_ms, float)
            self.assertGreaterEqual(duration_ms, 0)
        self.assertEqual(
            value(con, "SELECT count(*) FROM distmigrate_log WHERE julianday(started_at) "
                       "BETWEEN julianday('now', '-1 hour') AND julianday('now', '+1 minute')"),
            4)

    def test_migration_history_rows(self):
        con = self.connect()
        cursor = con.execute("SELECT * FROM migration_history")
        self.assertEqual([d[0] for d in cursor.description], HISTORY_COLUMNS)
        rows = [dict(zip(HISTORY_COLUMNS, r)) for r in cursor]
        checksums = [r.pop("checksum") for r in rows]
        for c in checksums:
            self.assertRegex(c, "^[0-9a-f]{64}$")
        self.assertNotEqual(checksums[0], checksums[1])
        self.assertEqual(rows, [
            dict(revision=HEAD, parents=INITIAL, message="Add invalid_responses table",
                 create_date="2024-01-01 11:00:00.000000", is_head=1, is_base=0,
                 is_branch_point=0, is_merge=0, branch_labels=None, depends_on=None,
                 applied=0, applied_at=None, file="sql/versions/002_add_invalid_responses.sql"),
            dict(revision=INITIAL, parents=None, message="Create initial database schema",
                 create_date="2024-01-01 10:00:00.000000", is_head=0, is_base=1,
                 is_branch_point=0, is_merge=0, branch_labels=None, depends_on=None,
                 applied=0, applied_at=None, file="sql/versions/001_initial_schema.sql"),
        ])
        con.execute("SELECT migrate_upgrade('+1')")
        applied = con.execute(
            "SELECT revision, applied, applied_at FROM migration_history").fetchall()
        self.assertEqual([(r, a) for r, a, _ in applied], [(HEAD, 0), (INITIAL, 1)])
        self.assertIsNone(applied[0][2])
        self.assertEqual(applied[1][2], value(
            con, "SELECT started_at FROM distmigrate_log WHERE revision = ?", (INITIAL,)))


if __name__ == "__main__":
    unittest.main()
