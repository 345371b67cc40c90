"""distmigrate against the real Alembic (make check-python).

Alembic 1.8 from Debian's python3-alembic runs the seed's migrations
(tests/alembic/, 002's check constraint inline) as a subprocess:

    python3 -m alembic -c tests/alembic/alembic.ini -x db=PATH COMMAND

A database moves between the two in both directions and ends with exactly
the schema and version Alembic gives it (DDL compared with whitespace
folded; distmigrate_log, distmigrate's own table, left out).
"""
import shutil
import sqlite3
import sys
import tempfile
import unittest
from pathlib import Path

from dmsupport import (ALEMBIC_INI, EXTENSION, HEAD, INITIAL, REFERENCE,
                       TempDirTestCase, add_question, add_response,
                       connect, run, schema, value)

ALEMBIC_LOG_PREFIX = "INFO  [alembic.runtime.migration] "
DISTMIGRATE_LOG_PREFIX = "INFO  [distmigrate] "


# Databases Alembic took from nothing to a target, made once per run: what
# distmigrate's must equal.
_alembic_made = {}


def tearDownModule():
    for path in _alembic_made.values():
        shutil.rmtree(path.parent, ignore_errors=True)


class AlembicTestCase(TempDirTestCase):

    def alembic(self, db, *args):
        """Run Alembic on db; its stdout (stderr holds its log lines)."""
        proc = run([sys.executable, "-m", "alembic", "-c", str(ALEMBIC_INI),
                    "-x", f"db={db}", *args])
        self.assertProcessOk(proc, "alembic " + " ".join(args))
        self.last_alembic_log = proc.stderr
        return proc.stdout

    def alembic_database(self, target, name=None):
        """A database Alembic took from nothing to target."""
        path = self.path(name or f"alembic-{target}.db")
        self.alembic(path, "upgrade", target)
        return path

    def versions(self, path):
        con = sqlite3.connect(path)
        try:
            return sorted(r[0] for r in con.execute("SELECT version_num FROM alembic_version"))
        finally:
            con.close()

    def assertSameAsAlembic(self, path, target):
        """path has exactly the schema and version Alembic gives target."""
        if target not in _alembic_made:
            made = Path(tempfile.mkdtemp(prefix="dm-alembic-")) / f"{target}.db"
            self.alembic(made, "upgrade", target)
            _alembic_made[target] = made
        alembic = _alembic_made[target]
        self.assertEqual(schema(path), schema(alembic))
        self.assertEqual(self.versions(path), self.versions(alembic))


class AlembicItself(AlembicTestCase):

    def test_alembic_is_installed(self):
        proc = run([sys.executable, "-m", "alembic", "--version"])
        self.assertProcessOk(proc, "python3 -m alembic --version (apt-get install python3-alembic)")
        self.assertRegex(proc.stdout, r"^alembic 1\.(8|9|\d\d)\.")

    def test_alembic_still_produces_the_reference_schemas(self):
        """tests/alembic/reference/*.sql, byte for byte, as
        tests/alembic/make-reference.sh writes them."""
        db = self.path("reference.db")

        def dump():
            con = sqlite3.connect(db)
            try:
                rows = con.execute("SELECT sql || ';' FROM sqlite_schema "
                                   "WHERE sql IS NOT NULL ORDER BY rowid").fetchall()
            finally:
                con.close()
            return "".join(r[0] + "\n" for r in rows)

        for command, target, revision in [("upgrade", INITIAL, INITIAL),
                                          ("upgrade", "head", HEAD),
                                          ("downgrade", "base", "base")]:
            with self.subTest(revision=revision):
                self.alembic(db, command, target)
                self.assertEqual(dump(), (REFERENCE / f"{revision}.sql").read_text())


VARIANTS = REFERENCE.parent / "variants"


class AlembicVariants(AlembicTestCase):
    """002 written two other ways (tests/alembic/variants/): Alembic still
    writes the dumps kept there, and distmigrate's drift check calls the
    databases it makes ok, since they mean what 002 means."""

    def alembic_variant(self, name):
        """A database Alembic took to head with variant name's 002."""
        scripts = self.path(f"scripts-{name}")
        (scripts / "versions").mkdir(parents=True)
        for f in ("alembic.ini", "env.py", "script.py.mako"):
            shutil.copy(ALEMBIC_INI.parent / f, scripts / f)
        shutil.copy(ALEMBIC_INI.parent / "versions" / f"{INITIAL}.py", scripts / "versions")
        shutil.copy(VARIANTS / name / f"{HEAD}.py", scripts / "versions")
        db = self.path(f"{name}.db")
        proc = run([sys.executable, "-m", "alembic", "-c", str(scripts / "alembic.ini"),
                    "-x", f"db={db}", "upgrade", "head"])
        self.assertProcessOk(proc, f"alembic upgrade head ({name})")
        return db

    def test_variants_are_what_alembic_writes_and_check_ok(self):
        for name in ("check_after_fk", "batch_mode"):
            with self.subTest(variant=name):
                db = self.alembic_variant(name)
                con = sqlite3.connect(db)
                rows = con.execute("SELECT sql || ';' FROM sqlite_schema "
                                   "WHERE sql IS NOT NULL ORDER BY rowid").fetchall()
                con.close()
                # Batch mode recreates the indexes in no fixed order (a
                # set's): the statements are compared, not their order.
                kept = (VARIANTS / f"002_{name}.sql").read_text().split(";\n")
                self.assertEqual(sorted(r[0] for r in rows), sorted(k + ";" for k in kept if k))
                con = connect(db)
                self.addCleanup(con.close)
                self.assertEqual(value(con, "SELECT migrate_check()"), "ok")

    def test_databases_alembic_migrated_check_ok(self):
        for target in (INITIAL, "head"):
            with self.subTest(target=target):
                con = connect(self.alembic_database(target))
                self.addCleanup(con.close)
                self.assertEqual(value(con, "SELECT migrate_check()"), "ok")


class AlembicThenDistmigrate(AlembicTestCase):

    def test_database_alembic_took_to_001_is_taken_to_head(self):
        path = self.alembic_database(INITIAL, "llm_distiller.db")
        con = connect(path)
        self.addCleanup(con.close)
        add_question(con)
        add_response(con)
        con.commit()
        self.assertEqual(value(con, "SELECT migrate_current()"), INITIAL)
        self.assertEqual(value(con, "SELECT migrate_upgrade('head')"), HEAD)
        con.close()
        self.assertSameAsAlembic(path, "head")
        self.assertEqual(self.alembic(path, "current"), f"{HEAD} (head)\n")
        con = sqlite3.connect(path)
        self.assertEqual(con.execute(
            "SELECT q.question_text, r.answer FROM questions q JOIN responses r "
            "ON r.question_id = q.id").fetchall(), [("What is 2+2?", "4")])
        con.close()

    def test_database_alembic_took_to_head_is_taken_to_base(self):
        path = self.alembic_database("head", "llm_distiller.db")
        con = connect(path)
        self.addCleanup(con.close)
        self.assertEqual(value(con, "SELECT migrate_downgrade('base')"), None)
        con.close()
        self.assertSameAsAlembic(path, "base")


class DistmigrateThenAlembic(AlembicTestCase):

    def distmigrate_database(self, target):
        path = self.path()
        con = connect(path)
        self.addCleanup(con.close)
        con.execute(f"SELECT migrate_upgrade('{target}')")
        return path, con

    def test_alembic_current_reads_distmigrates_head(self):
        path, con = self.distmigrate_database("head")
        self.assertEqual(self.alembic(path, "current"), f"{HEAD} (head)\n")
        self.assertSameAsAlembic(path, "head")

    def test_alembic_downgrades_it_and_distmigrate_continues(self):
        path, con = self.distmigrate_database("head")
        add_question(con)
        con.commit()
        con.close()
        self.alembic(path, "downgrade", "-1")
        self.assertSameAsAlembic(path, INITIAL)
        con = connect(path)
        self.addCleanup(con.close)
        self.assertEqual(value(con, "SELECT migrate_current()"), INITIAL)
        self.assertEqual(value(con, "SELECT migrate_upgrade('head')"), HEAD)
        self.assertEqual(value(con, "SELECT count(*) FROM questions"), 1)
        self.assertEqual(value(con, "PRAGMA integrity_check"), "ok")
        con.close()
        self.assertSameAsAlembic(path, "head")
        self.assertEqual(self.alembic(path, "current"), f"{HEAD} (head)\n")

    def test_after_distmigrate_downgrades_to_base_alembic_starts_over(self):
        path, con = self.distmigrate_database("head")
        self.assertIsNone(value(con, "SELECT migrate_downgrade('base')"))
        con.close()
        self.assertEqual(self.alembic(path, "current"), "")
        self.assertSameAsAlembic(path, "base")
        self.alembic(path, "upgrade", "head")
        self.assertSameAsAlembic(path, "head")
        con = connect(path)
        self.addCleanup(con.close)
        self.assertEqual(value(con, "SELECT migrate_current()"), HEAD)

    def test_alembic_stamp_and_distmigrate_agree(self):
        path, con = self.distmigrate_database(INITIAL)
        con.close()
        self.alembic(path, "stamp", "head")
        con = connect(path)
        self.addCleanup(con.close)
        self.assertEqual(value(con, "SELECT migrate_current()"), HEAD)
        self.assertEqual(value(con, "SELECT migrate_stamp('001')"), INITIAL)
        self.assertEqual(self.alembic(path, "current"), f"{INITIAL}\n")


class VerboseLines(AlembicTestCase):
    """distmigrate's verbose lines are Alembic's, logger name aside."""

    def running_lines(self, log, prefix):
        return [line[len(prefix):] for line in log.splitlines()
                if line.startswith(prefix + "Running ")]

    def test_verbose_lines_match_alembics(self):
        alembic_db = self.path("alembic.db")
        self.alembic(alembic_db, "upgrade", "head")
        alembic_up = self.running_lines(self.last_alembic_log, ALEMBIC_LOG_PREFIX)
        self.alembic(alembic_db, "downgrade", "base")
        alembic_down = self.running_lines(self.last_alembic_log, ALEMBIC_LOG_PREFIX)
        self.assertEqual(alembic_up, [
            "Running upgrade  -> 001_initial_schema, Create initial database schema",
            "Running upgrade 001_initial_schema -> 002_add_invalid_responses, "
            "Add invalid_responses table",
        ])

        # The extension writes to the process's stderr: a process of its own.
        script = (
            "import sqlite3, sys\n"
            "con = sqlite3.connect(sys.argv[1])\n"
            "con.enable_load_extension(True)\n"
            "con.load_extension(sys.argv[2])\n"
            "con.execute('SELECT migrate_verbose(1)')\n"
            "print(con.execute(sys.argv[3]).fetchone()[0])\n")
        db = str(self.path())
        up = run([sys.executable, "-c", script, db, str(EXTENSION),
                  "SELECT migrate_upgrade('head')"])
        self.assertProcessOk(up, "verbose upgrade")
        self.assertEqual(up.stdout, HEAD + "\n")
        down = run([sys.executable, "-c", script, db, str(EXTENSION),
                    "SELECT migrate_downgrade('base')"])
        self.assertProcessOk(down, "verbose downgrade")
        self.assertEqual(self.running_lines(up.stderr, DISTMIGRATE_LOG_PREFIX), alembic_up)
        self.assertEqual(self.running_lines(down.stderr, DISTMIGRATE_LOG_PREFIX), alembic_down)
        # Nothing else on stderr but one "step done in" line per step, and
        # "done in" for the whole call at the end.
        for proc in (up, down):
            others = [line for line in proc.stderr.splitlines()
                      if not line.startswith(DISTMIGRATE_LOG_PREFIX + "Running ")]
            self.assertEqual(len(others), 3, proc.stderr)
            for line in others[:2]:
                self.assertRegex(line, r"^INFO  \[distmigrate\]   step done in \d+\.\d ms$")
            self.assertRegex(others[2], r"^INFO  \[distmigrate\] done in \d+\.\d{3} s$")


if __name__ == "__main__":
    unittest.main()
