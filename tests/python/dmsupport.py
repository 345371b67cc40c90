"""Shared helpers for the Python suites (make check-python).

The suites run under Debian's /usr/bin/python3, whose sqlite3 module can
load extensions; $DM_BUILD names the build folder (default "build").
Nothing here skips a test: whatever is missing is a failure that says what
to install.
"""
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = (ROOT / os.environ.get("DM_BUILD", "build")).resolve()
EXTENSION = BUILD / "distmigrate"
HEAD = "002_add_invalid_responses"
INITIAL = "001_initial_schema"
REFERENCE = ROOT / "tests" / "alembic" / "reference"
ALEMBIC_INI = ROOT / "tests" / "alembic" / "alembic.ini"


def extension(fixture=None):
    """The built extension, or the one carrying tests/fixtures/NAME."""
    if fixture is None:
        return EXTENSION
    return BUILD / "fixtures" / fixture / "distmigrate"


def load(con, fixture=None):
    """Load distmigrate into con as an application would."""
    if not hasattr(con, "enable_load_extension"):
        raise AssertionError(
            f"{sys.executable}'s sqlite3 module cannot load extensions (pyenv "
            "and some other builds leave it out); run the tests with Debian's "
            "/usr/bin/python3")
    path = extension(fixture)
    if not Path(str(path) + ".so").exists():
        raise AssertionError(f"{path}.so is missing; run make (or make fixtures)")
    con.enable_load_extension(True)
    con.load_extension(str(path))
    con.enable_load_extension(False)


def connect(path, fixture=None, **kwargs):
    con = sqlite3.connect(str(path), **kwargs)
    load(con, fixture)
    return con


def value(con, sql, params=()):
    """The first column of the first row (None if there is no row)."""
    row = con.execute(sql, params).fetchone()
    return row[0] if row else None


def normalise(sql):
    """DDL with whitespace folded: "( a" = "(a", "a )" = "a)", "a ," = "a,"."""
    sql = re.sub(r"\s+", " ", sql or "")
    sql = re.sub(r"\( ", "(", sql)
    return re.sub(r" ([),])", r"\1", sql)


def schema(path_or_con):
    """sqlite_schema in creation order, distmigrate's own log left out,
    whitespace folded: two databases with the same schema give the same
    list whoever created them."""
    con = path_or_con
    if not isinstance(con, sqlite3.Connection):
        con = sqlite3.connect(str(path_or_con))
    try:
        return [
            (t, n, tbl, normalise(sql))
            for t, n, tbl, sql in con.execute(
                "SELECT type, name, tbl_name, sql FROM main.sqlite_schema "
                "WHERE name NOT LIKE 'distmigrate%' ORDER BY rowid")
        ]
    finally:
        if con is not path_or_con:
            con.close()


def reference_schema(revision):
    """The schema real Alembic leaves at revision (tests/alembic/reference)."""
    con = sqlite3.connect(":memory:")
    con.executescript((REFERENCE / f"{revision}.sql").read_text())
    try:
        return schema(con)
    finally:
        con.close()


def tables(con):
    return [r[0] for r in con.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")]


def file_bytes(path):
    """The bytes of a file, None if it does not exist."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        return None


def add_question(con, id=1, text="What is 2+2?"):
    con.execute(
        "INSERT INTO questions (id, category, question_text, created_at, "
        "updated_at) VALUES (?, 'math', ?, '2024-01-01 10:00:00', "
        "'2024-01-01 10:00:00')", (id, text))


def add_response(con, id=1, question_id=1, answer="4"):
    con.execute(
        "INSERT INTO responses (id, question_id, model_name, model_config, "
        "answer, is_correct, created_at, updated_at) VALUES (?, ?, 'gpt', "
        "'{}', ?, 1, '2024-01-01 10:00:00', '2024-01-01 10:00:00')",
        (id, question_id, answer))


def run(args, **kwargs):
    """A subprocess, text in and out, never raising on its exit status."""
    return subprocess.run(args, capture_output=True, text=True, **kwargs)


class TempDirTestCase(unittest.TestCase):
    """Each test in a temporary directory of its own."""

    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="dm-python-"))
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)

    def path(self, name="llm_distiller.db"):
        return self.dir / name

    def connect(self, name="llm_distiller.db", fixture=None, **kwargs):
        con = connect(self.path(name), fixture, **kwargs)
        self.addCleanup(con.close)
        return con

    def assertProcessOk(self, proc, what):
        self.assertEqual(
            proc.returncode, 0,
            f"{what} exited {proc.returncode}\n--- stdout:\n{proc.stdout}"
            f"\n--- stderr:\n{proc.stderr}")
