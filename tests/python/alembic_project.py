"""An Alembic project made from a distmigrate migration directory.

Each ``*.sql`` file becomes an Alembic revision with the same id,
``down_revision``, ``branch_labels`` and ``depends_on``, whose upgrade and
downgrade execute the file's sections statement by statement. The real
Alembic (Debian's python3-alembic) then runs the same graph as distmigrate,
so both can be compared on the same database.
"""
import os
import shutil
import sqlite3
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ALEMBIC_DIR = os.path.join(os.path.dirname(HERE), "alembic")


def parse_migration(path):
    """Header fields and the two sections of one migration file."""
    fields = {}
    sections = {"up": [], "down": []}
    current = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            stripped = line.strip()
            if stripped == "-- migrate:up":
                current = "up"
            elif stripped == "-- migrate:down":
                current = "down"
            elif current:
                sections[current].append(line)
            elif stripped.startswith("--") and ":" in stripped:
                key, _, value = stripped[2:].partition(":")
                fields[key.strip()] = value.strip()
    return fields, "".join(sections["up"]), "".join(sections["down"])


def split_statements(sql):
    """Statements as SQLite splits them (sqlite3.complete_statement)."""
    statements, pending = [], ""
    for line in sql.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                statements.append(pending.strip())
            pending = ""
    return statements


def _ids(value):
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        return None
    return items[0] if len(items) == 1 else tuple(items)


REVISION_TEMPLATE = '''"""{message}

Revision ID: {revision}
Revises: {revises}
Create Date: {create_date}

"""
from alembic import op

revision = {revision!r}
down_revision = {down_revision!r}
branch_labels = {branch_labels!r}
depends_on = {depends_on!r}


def upgrade():
    for statement in {up!r}:
        op.execute(statement)


def downgrade():
    for statement in {down!r}:
        op.execute(statement)
'''


def make_project(migrations_dir, dest):
    """Write an Alembic project for migrations_dir into dest; return its ini."""
    os.makedirs(os.path.join(dest, "versions"), exist_ok=True)
    for name in ("alembic.ini", "env.py", "script.py.mako"):
        shutil.copy(os.path.join(ALEMBIC_DIR, name), dest)
    for name in sorted(os.listdir(migrations_dir)):
        if not name.endswith(".sql"):
            continue
        fields, up, down = parse_migration(os.path.join(migrations_dir, name))
        with open(os.path.join(dest, "versions", name[:-4] + ".py"), "w",
                  encoding="utf-8") as f:
            f.write(REVISION_TEMPLATE.format(
                message=name,
                revision=fields["Revision ID"],
                revises=fields.get("Revises", ""),
                create_date=fields.get("Create Date", ""),
                down_revision=_ids(fields.get("Revises", "")),
                branch_labels=_ids(fields.get("Branch Labels", "")),
                depends_on=_ids(fields.get("Depends On", "")),
                up=split_statements(up),
                down=split_statements(down)))
    return os.path.join(dest, "alembic.ini")


def alembic(ini, db, *args):
    """Run the real alembic command; return (exit code, stdout, stderr)."""
    proc = subprocess.run(
        ["/usr/bin/python3", "-m", "alembic", "-c", ini, "-x", "db=" + db]
        + list(args),
        capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def alembic_in_process(ini, db, verb, target):
    """Run alembic VERB TARGET in this process (much faster than the CLI).

    Returns None on success, else the message `alembic` would print after
    FAILED:.
    """
    import argparse
    import contextlib
    import io
    import warnings

    from alembic import command
    from alembic.config import Config
    from alembic.util import CommandError

    cfg = Config(ini)
    cfg.cmd_opts = argparse.Namespace(x=["db=" + db])
    # env.py's logging writes INFO lines to stderr; keep test output clean.
    try:
        with warnings.catch_warnings(), \
                contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            getattr(command, verb)(cfg, target)
    except CommandError as e:
        return str(e)
    return None
