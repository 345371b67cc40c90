"""distmigrate against the real Alembic 1.8 on a graph with branches.

tests/fixtures/branches is turned into an Alembic project (alembic_project.py)
whose revisions run the same SQL. Every target form is run by both, from the
same starting state, on two databases: the version rows and the schema must
be the same, and both must accept or refuse it alike -- except for the few
forms where distmigrate deliberately differs, which are checked to differ
exactly as tests/integration/test_branches.c and the README say.

Then the two hand databases to each other: one that Alembic left with two
heads is continued by distmigrate, and one that distmigrate left with two
heads reads correctly in `alembic current`.
"""
import os
import shutil
import sqlite3
import tempfile
import unittest

import alembic_project as ap

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("DM_BUILD", os.path.join(ROOT, "build"))
if not os.path.isabs(BUILD):
    BUILD = os.path.join(ROOT, BUILD)
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "branches")
EXTENSION = os.path.join(BUILD, "fixtures", "branches", "distmigrate")

# (start, call): start is a list of calls that make the starting state.
FORMS = [
    ([], "upgrade heads"),
    ([], "upgrade head"),
    ([], "upgrade left@head"),
    ([], "upgrade right@head"),
    ([], "upgrade net@head"),
    ([], "upgrade net"),
    ([], "upgrade left"),
    ([], "upgrade br_right2"),
    ([], "upgrade br_a"),
    ([], "upgrade br_r"),
    ([], "upgrade br_left1@head"),
    ([], "upgrade net1@head"),
    ([], "upgrade left@heads"),
    ([], "upgrade left@br_left2"),
    ([], "upgrade left@br_right1"),
    ([], "upgrade zzz@head"),
    ([], "upgrade left@+1"),
    ([], "upgrade left@+2"),
    ([], "upgrade net@+1"),
    ([], "upgrade right@+2"),
    ([], "upgrade left@head-1"),
    ([], "upgrade br_after-1"),
    ([], "upgrade br_left1+1"),
    ([], "upgrade br_base+1"),
    ([], "upgrade +1"),
    ([], "upgrade base"),
    ([], "upgrade left@base"),
    (["upgrade br_left2"], "upgrade right@+1"),
    (["upgrade br_left2"], "upgrade br_right1"),
    (["upgrade left@+2"], "upgrade br_right2"),
    (["upgrade br_left2", "upgrade br_right2"], "upgrade left@+1"),
    (["upgrade br_left2", "upgrade br_right2"], "upgrade +1"),
    (["upgrade net@head"], "upgrade left@+1"),
    (["upgrade net@head"], "upgrade heads"),
    (["upgrade net@head"], "upgrade +1"),
    (["upgrade heads"], "upgrade heads"),
    (["upgrade heads"], "downgrade left@-1"),
    (["upgrade heads"], "downgrade net@-1"),
    (["upgrade heads"], "downgrade net@-2"),
    (["upgrade heads"], "downgrade net@head-1"),
    (["upgrade heads"], "downgrade net@base"),
    (["upgrade heads"], "downgrade left@base"),
    (["upgrade heads"], "downgrade base"),
    (["upgrade heads"], "downgrade br_base"),
    (["upgrade heads"], "downgrade br_left1"),
    (["upgrade heads"], "downgrade br_right1"),
    (["upgrade heads"], "downgrade br_merge"),
    (["upgrade heads"], "downgrade br_after-1"),
    (["upgrade heads"], "downgrade net1"),
    (["upgrade heads"], "downgrade left@br_base"),
    (["upgrade heads"], "downgrade right@br_base"),
    (["upgrade heads"], "downgrade head"),
    (["upgrade heads"], "downgrade left@br_after-2"),
    (["upgrade left@head"], "downgrade -1"),
    (["upgrade left@head"], "downgrade -2"),
    (["upgrade left@head"], "downgrade left@-1"),
    (["upgrade net@head"], "downgrade -1"),
    (["upgrade net@head"], "downgrade right@-1"),
    (["upgrade net@head"], "downgrade net@-1"),
    (["upgrade br_right2"], "downgrade -1"),
    (["upgrade br_right2"], "downgrade -2"),
    (["upgrade br_right2"], "downgrade right@-1"),
    (["upgrade br_right2"], "downgrade left@-1"),
    (["upgrade br_right2"], "downgrade left@br_base"),
    (["upgrade br_right2", "upgrade br_left2"], "downgrade left@-1"),
    (["upgrade br_right2", "upgrade br_left2"], "downgrade right@-1"),
    (["upgrade br_right2", "upgrade br_left2"], "downgrade br_left1"),
    ([], "stamp heads"),
    ([], "stamp head"),
    ([], "stamp left@head"),
    ([], "stamp br_right2"),
    (["upgrade heads"], "stamp br_left1"),
    (["upgrade heads"], "stamp net1"),
    (["upgrade heads"], "stamp br_base"),
    (["upgrade heads"], "stamp left@base"),
    (["upgrade heads"], "stamp base"),
    (["upgrade heads"], "stamp br_left2"),
    (["upgrade heads"], "stamp br_merge"),
    (["upgrade br_left2"], "stamp br_right1"),
    (["upgrade br_right2"], "stamp br_merge"),
    (["upgrade br_right2"], "stamp br_right1"),
    (["upgrade net@head"], "stamp br_left1"),
]

# Where distmigrate deliberately differs: (start, call) -> (what Alembic
# does, what distmigrate does), each "ok" or the start of its error.
DIFFERENT = {
    # Alembic warns "downgrade -1 from multiple heads is ambiguous; this
    # usage will be disallowed in a future release" and takes the first row.
    (("upgrade heads",), "downgrade -1"):
        ("ok", "Relative revision -1 is ambiguous"),
    (("upgrade br_right2", "upgrade br_left2"), "downgrade -1"):
        ("ok", "Relative revision -1 is ambiguous"),
    # br_left1 is applied only as br_right2's dependency: Alembic finds no
    # row naming it; distmigrate sees where the database is and does nothing.
    (("upgrade br_right2",), "downgrade br_left1"):
        ("Destination br_left1 is not a valid downgrade target", "ok"),
    # Alembic reads 'head' without the branch in a downgrade target.
    (("upgrade heads",), "downgrade left@head"):
        ("Multiple head revisions are present", "ok"),
    (("upgrade heads",), "downgrade heads"):
        ("Multiple head revisions are present", "ok"),
    # Alembic does nothing when an upgrade target is below the database;
    # distmigrate says to use migrate_downgrade.
    (("upgrade heads",), "upgrade left@base"):
        ("ok", "Destination left@base is below the current revision"),
}
FORMS += [(list(start), call) for start, call in DIFFERENT
          if (list(start), call) not in FORMS]


def rows(db):
    con = sqlite3.connect(db)
    try:
        return sorted(r[0] for r in con.execute(
            "SELECT version_num FROM alembic_version"))
    except sqlite3.OperationalError:
        return []
    finally:
        con.close()


def schema(db):
    """sqlite_schema without the bookkeeping tables, whitespace folded."""
    con = sqlite3.connect(db)
    try:
        return sorted(
            (t, n, " ".join((s or "").split())) for t, n, s in con.execute(
                "SELECT type, name, sql FROM sqlite_schema WHERE name NOT "
                "LIKE 'distmigrate%' AND tbl_name <> 'alembic_version'"))
    finally:
        con.close()


def distmigrate(db, call):
    """Run "verb target" through migrate_<verb>(); None or the error."""
    verb, target = call.split(" ", 1)
    con = sqlite3.connect(db, isolation_level=None)
    try:
        con.enable_load_extension(True)
        con.load_extension(EXTENSION)
        con.execute("SELECT migrate_%s(?)" % verb, (target,)).fetchone()
        return None
    except sqlite3.Error as e:
        return str(e)
    finally:
        con.close()


def dm_query(db, sql):
    con = sqlite3.connect(db, isolation_level=None)
    try:
        con.enable_load_extension(True)
        con.load_extension(EXTENSION)
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


class AlembicBranchesTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        # Alembic commits every statement on SQLite: on a real disk the
        # fsyncs cost seconds; a tmpfs makes them free.
        shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
        cls.dir = tempfile.mkdtemp(prefix="dm-branches-", dir=shm)
        cls.ini = ap.make_project(FIXTURE, os.path.join(cls.dir, "project"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def fresh(self, name):
        path = os.path.join(self.dir, name)
        if os.path.exists(path):
            os.unlink(path)
        return path

    def alembic(self, db, call):
        verb, target = call.split(" ", 1)
        return ap.alembic_in_process(self.ini, db, verb, target)

    def test_every_form_as_alembic(self):
        for start, call in FORMS:
            with self.subTest(start=start, call=call):
                a, d = self.fresh("alembic.db"), self.fresh("distmigrate.db")
                for step in start:
                    self.assertIsNone(self.alembic(a, step))
                    self.assertIsNone(distmigrate(d, step))
                err_a = self.alembic(a, call)
                err_d = distmigrate(d, call)
                known = DIFFERENT.get((tuple(start), call))
                if known:
                    for err, want in ((err_a, known[0]), (err_d, known[1])):
                        if want == "ok":
                            self.assertIsNone(err)
                        else:
                            self.assertIsNotNone(err)
                            self.assertTrue(err.startswith(want), err)
                    continue
                self.assertEqual(err_a is None, err_d is None,
                                 "alembic: %s / distmigrate: %s" % (err_a, err_d))
                self.assertEqual(rows(a), rows(d))
                self.assertEqual(schema(a), schema(d))

    def test_distmigrate_continues_a_database_alembic_left_with_two_heads(self):
        db = self.fresh("from-alembic.db")
        self.assertIsNone(self.alembic(db, "upgrade br_left2"))
        self.assertIsNone(self.alembic(db, "upgrade br_right1"))
        self.assertEqual(rows(db), ["br_left2", "br_right1"])
        self.assertEqual(dm_query(db, "SELECT migrate_current()"),
                         "br_left2, br_right1")
        self.assertEqual(dm_query(
            db, "SELECT group_concat(revision, ' ') FROM migration_history "
                "WHERE applied"), "br_right1 br_left2 br_left1 br_base")
        # One branch down, then everything up: Alembic's rows all along.
        self.assertEqual(dm_query(db, "SELECT migrate_downgrade('left@-1')"),
                         "br_left1, br_right1")
        self.assertEqual(rows(db), ["br_left1", "br_right1"])
        self.assertEqual(dm_query(db, "SELECT migrate_upgrade('heads')"),
                         "net2, br_after")
        self.assertEqual(rows(db), ["br_after", "net2"])
        full = self.fresh("alembic-heads.db")
        self.assertIsNone(self.alembic(full, "upgrade heads"))
        self.assertEqual(schema(db), schema(full))

    def test_alembic_reads_a_database_distmigrate_left_with_two_heads(self):
        db = self.fresh("from-distmigrate.db")
        self.assertEqual(dm_query(db, "SELECT migrate_upgrade('heads')"),
                         "net2, br_after")
        # The real command line, as a person would run it.
        code, out, err = ap.alembic(self.ini, db, "current")
        self.assertEqual(code, 0, err)
        self.assertEqual(sorted(out.splitlines()),
                         ["br_after (head)", "net2 (head)"])
        # One branch down in distmigrate; Alembic sees the new rows and
        # takes the database on from there.
        self.assertEqual(dm_query(db, "SELECT migrate_downgrade('net@-1')"),
                         "net1, br_after")
        code, out, err = ap.alembic(self.ini, db, "current")
        self.assertEqual(code, 0, err)
        self.assertEqual(sorted(out.splitlines()), ["br_after (head)", "net1"])
        self.assertIsNone(self.alembic(db, "upgrade heads"))
        self.assertEqual(rows(db), ["br_after", "net2"])
        self.assertIsNone(self.alembic(db, "downgrade base"))
        self.assertEqual(rows(db), [])
        self.assertEqual(schema(db), [])


if __name__ == "__main__":
    unittest.main()
