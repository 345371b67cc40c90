/*
** dqlite-node: one node of a dqlite cluster, for make test-cluster and the
** README's recipe. dqlite 1.11 (Debian's libdqlite-dev) is a library with
** no server program of its own: this is the smallest host of it, a node
** on libdqlite with distmigrate registered for every connection the node
** opens (sqlite3_auto_extension), so that a client's SQL can call
** migrate_upgrade() on the leader.
**
**   dqlite-node --id N --address HOST:PORT --dir DIR --extension FILE.so
**               [--latency-ms MS]
**
** Node 1 bootstraps a new cluster; others join it through a client
** (dqlite-sql --join). --latency-ms is dqlite's estimate of the network's
** one-way latency, from which it sets the heartbeat and the election
** timeout: raise it so that a long migration does not cost the leader its
** leadership. Runs until SIGTERM or SIGINT, then stops the node cleanly.
*/
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <dqlite.h>
#include <sqlite3.h>

typedef struct Options Options;
struct Options {
  unsigned long long id;
  const char *zAddress, *zDir, *zExtension;
  unsigned latencyMs;
};

static int usage(void) {
  fprintf(stderr,
          "usage: dqlite-node --id N --address HOST:PORT --dir DIR --extension FILE.so "
          "[--latency-ms MS]\n");
  return 2;
}

static int parse(int argc, char **argv, Options *p) {
  memset(p, 0, sizeof(*p));
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--id") == 0) {
      p->id = strtoull(argv[i + 1], 0, 10);
    } else if (strcmp(argv[i], "--address") == 0) {
      p->zAddress = argv[i + 1];
    } else if (strcmp(argv[i], "--dir") == 0) {
      p->zDir = argv[i + 1];
    } else if (strcmp(argv[i], "--extension") == 0) {
      p->zExtension = argv[i + 1];
    } else if (strcmp(argv[i], "--latency-ms") == 0) {
      p->latencyMs = (unsigned)strtoul(argv[i + 1], 0, 10);
    } else {
      return 1;
    }
  }
  return argc % 2 == 0 || !p->id || !p->zAddress || !p->zDir || !p->zExtension;
}

/* The extension's entry point, registered for every new connection. */
static int register_extension(const char *zFile) {
  void *pLib = dlopen(zFile, RTLD_NOW | RTLD_LOCAL);
  if (!pLib) {
    fprintf(stderr, "dqlite-node: cannot load %s: %s\n", zFile, dlerror());
    return 1;
  }
  void *pInit = dlsym(pLib, "sqlite3_distmigrate_init");
  if (!pInit) {
    fprintf(stderr, "dqlite-node: %s has no sqlite3_distmigrate_init\n", zFile);
    return 1;
  }
  return sqlite3_auto_extension((void (*)(void))pInit) != SQLITE_OK;
}

static int start(const Options *p, dqlite_node **ppNode) {
  if (mkdir(p->zDir, 0755) != 0 && errno != EEXIST) {
    fprintf(stderr, "dqlite-node: cannot make %s: %s\n", p->zDir, strerror(errno));
    return 1;
  }
  int rc = dqlite_node_create(p->id, p->zAddress, p->zDir, ppNode);
  if (rc == 0) rc = dqlite_node_set_bind_address(*ppNode, p->zAddress);
  if (rc == 0 && p->latencyMs) rc = dqlite_node_set_network_latency_ms(*ppNode, p->latencyMs);
  if (rc == 0) rc = dqlite_node_start(*ppNode);
  if (rc != 0) {
    fprintf(stderr, "dqlite-node: node %llu at %s: %s\n", p->id, p->zAddress,
            *ppNode ? dqlite_node_errmsg(*ppNode) : "cannot create it");
  }
  return rc;
}

int main(int argc, char **argv) {
  Options opts;
  if (parse(argc, argv, &opts)) return usage();
  if (register_extension(opts.zExtension)) return 1;
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, 0); /* the node's threads inherit it */
  /* A peer that dies mid-write must not take this node with it (libuv
  ** leaves SIGPIPE to the host). */
  signal(SIGPIPE, SIG_IGN);
  dqlite_node *pNode = 0;
  if (start(&opts, &pNode)) return 1;
  printf("dqlite-node %llu: serving %s\n", opts.id, opts.zAddress);
  fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  dqlite_node_stop(pNode);
  dqlite_node_destroy(pNode);
  return 0;
}
