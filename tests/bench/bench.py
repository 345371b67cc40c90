"""make bench: the seed's migration patterns on a large LLM Distiller database,
through the extension and, as baselines, as plain SQL through the sqlite3
shell. Every measurement is one sqlite3 process, start-up included: wall
time (median of --runs) and peak RSS (the process's ru_maxrss).

  python3 tests/bench/bench.py --build build --n 200000 --runs 3

The database (N questions, 5N responses, N/10 invalid responses) is made by
generate.sql with recursive CTEs inside SQLite, in build/bench/, and reused
by the next run with the same N while it is still at 002.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SQLITE = "sqlite3"
RSS = None  # build/bench/rss, see rss.c


def run(argv):
    """Run argv through rss; return (wall seconds, peak RSS in MiB, stderr)."""
    with tempfile.NamedTemporaryFile() as res, tempfile.TemporaryFile() as err:
        proc = subprocess.run([RSS, res.name] + argv, stdout=subprocess.DEVNULL, stderr=err)
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
        if proc.returncode != 0:
            sys.exit("bench: %s failed (%d):\n%s" % (" ".join(argv), proc.returncode, text))
        wall, kib = res.read().split()
    return float(wall), int(kib) / 1024.0, text


def query(db, sql, ext=None):
    argv = [SQLITE, "-bail", db]
    if ext:
        argv.append(".load " + ext)
    out = subprocess.run(argv + [sql], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def strategy(log):
    """What migrate_alter_table() chose, from the verbose lines."""
    found = []
    for line in log.splitlines():
        if "migrate_alter_table(" not in line:
            continue
        if "rebuild (copy" in line:
            found.append("rebuild")
        elif "declared types only" in line:
            found.append("writable_schema")
        elif ": add column" in line:
            found.append("ADD COLUMN")
        elif ": drop column" in line:
            found.append("DROP COLUMN")
        elif ": rename column" in line:
            found.append("RENAME COLUMN")
    return ", ".join(dict.fromkeys(found)) or "-"


def generate(args, db, ext):
    """The large database at 002, or the one from a previous run."""
    want = "%d %d 002_add_invalid_responses" % (args.n, 5 * args.n)
    if os.path.exists(db):
        try:
            have = query(db, "SELECT (SELECT count(*) FROM questions) || ' ' || "
                             "(SELECT count(*) FROM responses) || ' ' || "
                             "migrate_current()", ext)
        except subprocess.CalledProcessError:
            have = ""
        if have == want:
            return None
        os.remove(db)
    t0 = time.perf_counter()
    query(db, "SELECT migrate_upgrade('002')", ext)
    subprocess.run([SQLITE, "-bail", db, ".parameter init",
                    ".parameter set :n %d" % args.n,
                    ".read " + os.path.join(HERE, "generate.sql")],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def up_section(path):
    text = open(path).read()
    return text.split("-- migrate:up", 1)[1].split("-- migrate:down", 1)[0]


def empty_to_head_sql(path):
    """The shipped migrations' DDL and the version table, in one transaction."""
    versions = os.path.join(ROOT, "sql", "versions")
    parts = ["BEGIN;"]
    for name in sorted(os.listdir(versions)):
        if name.endswith(".sql"):
            parts.append(up_section(os.path.join(versions, name)))
    parts.append("CREATE TABLE alembic_version (\n\tversion_num VARCHAR(32) NOT NULL, \n"
                 "\tCONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n);")
    parts.append("INSERT INTO alembic_version (version_num) VALUES "
                 "('002_add_invalid_responses');")
    parts.append("COMMIT;")
    with open(path, "w") as f:
        f.write("\n".join(parts))


def fmt_row(cols, widths):
    return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                     for i, (c, w) in enumerate(zip(cols, widths)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--n", type=int, default=200000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    global RSS
    RSS = os.path.join(build, "bench", "rss")
    ext = os.path.join(build, "fixtures", "patterns", "distmigrate")
    shipped = os.path.join(build, "distmigrate")
    work = os.path.join(build, "bench")
    os.makedirs(work, exist_ok=True)
    db = os.path.join(work, "llm_distiller_n%d.db" % args.n)
    base = os.path.join(HERE, "baseline")
    t_start = time.perf_counter()

    generated = generate(args, db, ext)
    size = os.path.getsize(db) / 1e9
    version = query(db, "SELECT sqlite_version()")
    print("distmigrate bench: N=%d questions, %d responses, %d invalid responses; "
          "%.2f GB; %s; SQLite %s; median of %d runs; peak RSS of the sqlite3 process"
          % (args.n, 5 * args.n, args.n // 10, size,
             "generated in %.1f s" % generated if generated is not None else "reused",
             version, args.runs))
    print()

    ext_argv = lambda *extra: [SQLITE, "-bail", db] + list(extra) + [
        ".load " + ext, "PRAGMA foreign_keys = ON"]
    shell_argv = lambda script: [SQLITE, "-bail", db, ".read " + script]

    def measure(pairs):
        """pairs: [(label, argv_up, argv_down)], alternated run by run so
        both see the same cache and freelist; returns medians per label."""
        got = {label: {"up": [], "down": [], "log": ""} for label, _, _ in pairs}
        for _ in range(args.runs):
            for label, up, down in pairs:
                for direction, argv in (("up", up), ("down", down)):
                    wall, rss, log = run(argv)
                    got[label][direction].append((wall, rss))
                    if direction == "up" and "migrate_alter_table" in log:
                        got[label]["log"] = log
                    elif direction == "down" and "migrate_alter_table" in log:
                        got[label]["log_down"] = log
        return got

    def med(samples):
        return (statistics.median(w for w, _ in samples), max(r for _, r in samples))

    widths = [44, 10, 9, 10, 9, 8, 8]
    print(fmt_row(["pattern / direction (strategy)", "extension", "RSS MB",
                   "12-step", "RSS MB", "time x", "RSS x"], widths))
    print(fmt_row(["-" * 44, "-" * 10, "-" * 9, "-" * 10, "-" * 9, "-" * 8, "-" * 8], widths))
    fk_variant = os.path.join(work, "004_up_fk_check.sql")
    with open(os.path.join(base, "004_up.sql")) as f:
        text = f.read()
    with open(fk_variant, "w") as f:
        f.write(text.replace("COMMIT;", "PRAGMA foreign_key_check;\nCOMMIT;"))

    rows = [
        ("003 add new_field NOT NULL", "003", []),
        ("004 widen category", "004", []),
        ("004 widen category, defensive mode", "004", [".dbconfig defensive on"]),
        ("005 move evaluations", "005", []),
    ]
    for i, (label, rev, extra) in enumerate(rows):
        ext_up = ext_argv(*extra) + ["SELECT migrate_upgrade('+1')"]
        ext_down = ext_argv(*extra) + ["SELECT migrate_downgrade(-1)"]
        pairs = [("ext", ext_up, ext_down),
                 ("sql", shell_argv(os.path.join(base, rev + "_up.sql")),
                  shell_argv(os.path.join(base, rev + "_down.sql")))]
        os.environ["DISTMIGRATE_VERBOSE"] = "1"
        got = measure(pairs)
        del os.environ["DISTMIGRATE_VERBOSE"]
        for direction in ("up", "down"):
            e_t, e_r = med(got["ext"][direction])
            s_t, s_r = med(got["sql"][direction])
            how = strategy(got["ext"].get("log" if direction == "up" else "log_down", ""))
            print(fmt_row(["%s %s (%s)" % (label, direction, how), "%.3f s" % e_t,
                           "%.1f" % e_r, "%.3f s" % s_t, "%.1f" % s_r,
                           "%.3f" % (e_t / s_t), "%.2f" % (e_r / s_r)], widths), flush=True)
        if rev == "004" and not extra:
            # The same 12 steps with step 10, the whole-database check.
            samples = []
            for _ in range(args.runs):
                samples.append(run(shell_argv(fk_variant))[:2])
                run(shell_argv(os.path.join(base, "004_down.sql")))
            t, r = med(samples)
            print(fmt_row(["  (12-step 004 up with foreign_key_check)", "", "", "%.3f s" % t,
                           "%.1f" % r, "", ""], widths), flush=True)
        if i + 1 < len(rows) and rows[i + 1][1] != rev:
            run(ext_argv() + ["SELECT migrate_upgrade('+1')"])  # on to the next pattern
    run(ext_argv() + ["SELECT migrate_downgrade('002')"])

    # Empty database to head: the shipped set through the extension against
    # the same DDL through the shell in one transaction, start-up included.
    ddl = os.path.join(work, "empty_to_head.sql")
    empty_to_head_sql(ddl)
    fresh = os.path.join(work, "empty.db")
    e, s = [], []
    for _ in range(max(11, args.runs)):
        for argv, out in (([SQLITE, "-bail", fresh, ".load " + shipped,
                            "SELECT migrate_upgrade('head')"], e),
                          ([SQLITE, "-bail", fresh, ".read " + ddl], s)):
            if os.path.exists(fresh):
                os.remove(fresh)
            out.append(run(argv)[:2])
    e_t, e_r = med(e)
    s_t, s_r = med(s)
    print(fmt_row(["empty database to head (shipped 001, 002)", "%.4f s" % e_t, "%.1f" % e_r,
                   "%.4f s" % s_t, "%.1f" % s_r, "%.2f" % (e_t / s_t), "%.2f" % (e_r / s_r)],
                  widths))
    os.remove(fresh)
    print()
    print("extension: sqlite3 DB '.load %s' 'PRAGMA foreign_keys = ON' "
          "\"SELECT migrate_upgrade('+1')\" (the fixture set tests/fixtures/patterns)"
          % os.path.relpath(ext, ROOT))
    print("12-step:   sqlite3 DB '.read tests/bench/baseline/REV_up.sql' (no whole-database "
          "foreign_key_check)")
    print("bench took %.0f s" % (time.perf_counter() - t_start))


if __name__ == "__main__":
    main()
