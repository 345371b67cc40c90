/*
** dqlite-sql: the smallest client of a dqlite cluster, for make
** test-cluster and the README's recipe. dqlite 1.11 ships no client
** program and no public client API (go-dqlite's is Go, and not in
** Debian), so this speaks dqlite's wire protocol (version 1) itself:
**
**   dqlite-sql NODE[,NODE...] DATABASE SQL...
**       Finds the leader through the nodes given, opens DATABASE there and
**       runs each SQL in turn on that one connection (so that BEGIN, a
**       migration and COMMIT are one transaction), printing each row's
**       values separated by '|'. At the first error it prints
**       "error: MESSAGE" to stderr, rolls back a transaction it left open
**       and exits 1.
**   dqlite-sql --join NODE[,NODE...] ID ADDRESS
**       Adds node ID at ADDRESS to the cluster and makes it a voter.
**   dqlite-sql --leader NODE[,NODE...]
**       Prints the leader's id and address.
**   dqlite-sql --transfer NODE[,NODE...] ID
**       Hands the leadership to node ID (whose copy the next SQL then
**       reads: a client reads the leader's) and waits until it has it.
**
** The protocol: after an 8-byte version, each message is an 8-byte header
** (body length in 8-byte words, type, schema, 2 spare bytes) and a body of
** 64-bit little-endian words; text is NUL-terminated and zero-padded to a
** word. Every request gets one response (FAILURE: code and message).
*/
#include <arpa/inet.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { REQ_LEADER = 0, REQ_OPEN = 3, REQ_EXEC_SQL = 8, REQ_QUERY_SQL = 9, REQ_ADD = 12, REQ_ASSIGN = 13,
       REQ_TRANSFER = 17 };
enum { RES_FAILURE = 0, RES_SERVER = 1, RES_DB = 4, RES_RESULT = 6, RES_ROWS = 7, RES_EMPTY = 8 };
enum { T_INTEGER = 1, T_FLOAT = 2, T_TEXT = 3, T_BLOB = 4, T_NULL = 5, T_UNIXTIME = 9,
       T_ISO8601 = 10, T_BOOLEAN = 11 };
#define ROWS_DONE 0xffffffffffffffffULL
#define ROWS_PART 0xeeeeeeeeeeeeeeeeULL

/* A message being written or read. */
typedef struct Msg Msg;
struct Msg {
  uint8_t *a;
  size_t n, nAlloc, iRead;
  int type;
};

static void die(const char *zWhat) {
  fprintf(stderr, "error: %s\n", zWhat);
  exit(1);
}

static void put(Msg *p, const void *z, size_t n) {
  size_t nWords = (n + 7) / 8 * 8;
  if (p->n + nWords > p->nAlloc) {
    p->nAlloc = (p->n + nWords) * 2 + 64;
    p->a = realloc(p->a, p->nAlloc);
    if (!p->a) die("out of memory");
  }
  memset(p->a + p->n, 0, nWords);
  memcpy(p->a + p->n, z, n);
  p->n += nWords;
}

/* A new request in p, whatever the last response left there. */
static void begin(Msg *p) {
  p->n = 0;
  p->iRead = 0;
}

static void put_u64(Msg *p, uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
  put(p, b, 8);
}

static void put_text(Msg *p, const char *z) {
  put(p, z, strlen(z) + 1);
}

static uint64_t get_u64(Msg *p) {
  if (p->iRead + 8 > p->n) die("a response ends too early");
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p->a[p->iRead + (size_t)i];
  p->iRead += 8;
  return v;
}

static const char *get_text(Msg *p) {
  const char *z = (const char *)p->a + p->iRead;
  size_t n = strnlen(z, p->n - p->iRead);
  if (p->iRead + n >= p->n) die("a response's text is not terminated");
  p->iRead += (n + 1 + 7) / 8 * 8;
  return z;
}

static void send_all(int fd, const void *z, size_t n) {
  const uint8_t *a = z;
  while (n > 0) {
    ssize_t k = send(fd, a, n, MSG_NOSIGNAL);
    if (k <= 0) die("the node closed the connection");
    a += k;
    n -= (size_t)k;
  }
}

static void recv_all(int fd, void *z, size_t n) {
  uint8_t *a = z;
  while (n > 0) {
    ssize_t k = recv(fd, a, n, 0);
    if (k <= 0) die("the node closed the connection");
    a += k;
    n -= (size_t)k;
  }
}

/* Send request p (its body written) as type eType, schema iSchema. */
static void request(int fd, Msg *p, int eType, int iSchema) {
  uint8_t h[8] = {0};
  uint32_t nWords = (uint32_t)(p->n / 8);
  for (int i = 0; i < 4; i++) h[i] = (uint8_t)(nWords >> (8 * i));
  h[4] = (uint8_t)eType;
  h[5] = (uint8_t)iSchema;
  send_all(fd, h, 8);
  send_all(fd, p->a, p->n);
  p->n = 0;
}

/* The next response into p, ready to be read. */
static void response(int fd, Msg *p) {
  uint8_t h[8];
  recv_all(fd, h, 8);
  size_t n = (size_t)(h[0] | h[1] << 8 | h[2] << 16 | (uint32_t)h[3] << 24) * 8;
  if (n > p->nAlloc) {
    p->nAlloc = n;
    p->a = realloc(p->a, n);
    if (!p->a) die("out of memory");
  }
  recv_all(fd, p->a, n);
  p->n = n;
  p->iRead = 0;
  p->type = h[4];
}

/*
** The message of a FAILURE response p. dqlite 1.11 answers a query that
** fails after its first step with the start of the rows it was writing
** (the column count and names) before the code and the message: the
** "garbled" errors. Read the message where it is.
*/
static const char *failure(Msg *p) {
  size_t iStart = p->iRead;
  get_u64(p); /* the code */
  const char *zMsg = get_text(p);
  if (p->iRead == p->n) return zMsg;
  p->iRead = iStart;
  uint64_t nCol = get_u64(p);
  for (uint64_t i = 0; i < nCol; i++) get_text(p);
  get_u64(p);
  return get_text(p);
}

static int connect_to(const char *zAddress) {
  char zHost[256];
  const char *zColon = strrchr(zAddress, ':');
  if (!zColon || (size_t)(zColon - zAddress) >= sizeof(zHost)) return -1;
  memcpy(zHost, zAddress, (size_t)(zColon - zAddress));
  zHost[zColon - zAddress] = 0;
  struct addrinfo hints, *pInfo = 0;
  memset(&hints, 0, sizeof(hints));
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(zHost, zColon + 1, &hints, &pInfo) != 0) return -1;
  int fd = socket(pInfo->ai_family, SOCK_STREAM, 0);
  if (fd >= 0 && connect(fd, pInfo->ai_addr, pInfo->ai_addrlen) != 0) {
    close(fd);
    fd = -1;
  }
  freeaddrinfo(pInfo);
  if (fd < 0) return -1;
  Msg m = {0};
  put_u64(&m, 1); /* the protocol version */
  send_all(fd, m.a, m.n);
  free(m.a);
  return fd;
}

/* Ask the node at zAddress who leads: its address into zLeader (empty if
** none is known yet). 0, or -1 if the node cannot be reached. */
static int ask_leader(const char *zAddress, char *zLeader, size_t nLeader, uint64_t *pId) {
  int fd = connect_to(zAddress);
  if (fd < 0) return -1;
  Msg m = {0};
  put_u64(&m, 0);
  request(fd, &m, REQ_LEADER, 0);
  response(fd, &m);
  close(fd);
  zLeader[0] = 0;
  if (m.type == RES_SERVER) {
    *pId = get_u64(&m);
    snprintf(zLeader, nLeader, "%s", get_text(&m));
  }
  free(m.a);
  return 0;
}

/* A connection to the leader, found through the comma-separated zNodes,
** trying for up to 30 s (an election may be under way). */
static int connect_leader(const char *zNodes, char *zLeader, size_t nLeader, uint64_t *pId) {
  for (int iTry = 0; iTry < 300; iTry++) {
    char *zList = strdup(zNodes);
    if (!zList) die("out of memory");
    for (char *zSave = 0, *z = strtok_r(zList, ",", &zSave); z; z = strtok_r(0, ",", &zSave)) {
      if (ask_leader(z, zLeader, nLeader, pId) == 0 && zLeader[0]) {
        int fd = connect_to(zLeader);
        if (fd >= 0) {
          free(zList);
          return fd;
        }
      }
    }
    free(zList);
    nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, 0);
  }
  die("no leader could be reached through the nodes given");
  return -1;
}

static void print_value(Msg *p, int eType) {
  switch (eType) {
    case T_INTEGER:
    case T_UNIXTIME:
    case T_BOOLEAN:
      printf("%lld", (long long)get_u64(p));
      break;
    case T_FLOAT: {
      uint64_t u = get_u64(p);
      double r;
      memcpy(&r, &u, 8);
      printf("%.17g", r);
      break;
    }
    case T_TEXT:
    case T_ISO8601:
      printf("%s", get_text(p));
      break;
    case T_BLOB: {
      uint64_t n = get_u64(p);
      printf("<blob of %llu bytes>", (unsigned long long)n);
      p->iRead += (size_t)(n + 7) / 8 * 8;
      break;
    }
    case T_NULL:
      get_u64(p);
      printf("NULL");
      break;
    default:
      die("a row holds a value of a type this client does not know");
  }
}

/* The rows of ROWS response p: a header of 4-bit types (two a byte, the
** first column in the low bits, padded to a word), then the values. */
static void print_rows(Msg *p) {
  uint64_t nCol = get_u64(p);
  for (uint64_t i = 0; i < nCol; i++) get_text(p);
  for (;;) {
    if (p->iRead + 8 > p->n) die("a response ends too early");
    uint64_t marker;
    memcpy(&marker, p->a + p->iRead, 8);
    if (marker == ROWS_DONE) return;
    if (marker == ROWS_PART) die("a result too large for this client");
    size_t nHeader = ((size_t)nCol + 15) / 16 * 8;
    const uint8_t *aType = p->a + p->iRead;
    p->iRead += nHeader;
    for (uint64_t i = 0; i < nCol; i++) {
      if (i) putchar('|');
      print_value(p, (aType[i / 2] >> (4 * (i % 2))) & 0x0f);
    }
    putchar('\n');
  }
}

/*
** Whether zSql yields rows: dqlite 1.11 fails a query that yields none
** ("not an error") and an exec that yields one ("another row available"),
** so the client must choose. A statement that starts with SELECT, WITH,
** VALUES or EXPLAIN, or a PRAGMA that sets nothing, is a query.
*/
static int is_query(const char *zSql) {
  while (*zSql == ' ' || *zSql == '\t' || *zSql == '\n' || *zSql == '(') zSql++;
  static const char *azQuery[] = {"SELECT", "WITH", "VALUES", "EXPLAIN"};
  for (size_t i = 0; i < sizeof(azQuery) / sizeof(azQuery[0]); i++) {
    if (strncasecmp(zSql, azQuery[i], strlen(azQuery[i])) == 0) return 1;
  }
  return strncasecmp(zSql, "PRAGMA", 6) == 0 && !strchr(zSql, '=');
}

/* Run zSql on database iDb: 0, or the error's message (in p). */
static const char *run(int fd, Msg *p, uint64_t iDb, const char *zSql) {
  begin(p);
  put_u64(p, iDb);
  put_text(p, zSql);
  uint8_t aNoParams[8] = {0};
  put(p, aNoParams, 8);
  request(fd, p, is_query(zSql) ? REQ_QUERY_SQL : REQ_EXEC_SQL, 0);
  response(fd, p);
  if (p->type == RES_FAILURE) return failure(p);
  if (p->type == RES_ROWS) print_rows(p);
  return 0;
}

static int run_all(const char *zNodes, const char *zDb, int nSql, char **azSql) {
  char zLeader[256];
  uint64_t iLeader = 0;
  int fd = connect_leader(zNodes, zLeader, sizeof(zLeader), &iLeader);
  Msg m = {0};
  put_text(&m, zDb);
  put_u64(&m, 0);
  put_text(&m, "volatile");
  request(fd, &m, REQ_OPEN, 0);
  response(fd, &m);
  if (m.type == RES_FAILURE) die(failure(&m));
  if (m.type != RES_DB) die("the node did not open the database");
  uint64_t iDb = get_u64(&m) & 0xffffffffu;
  for (int i = 0; i < nSql; i++) {
    const char *zErr = run(fd, &m, iDb, azSql[i]);
    if (zErr) {
      fprintf(stderr, "error: %s\n", zErr);
      fflush(stderr);
      run(fd, &m, iDb, "ROLLBACK"); /* fails harmlessly if none is open */
      close(fd);
      free(m.a);
      return 1;
    }
  }
  fflush(stdout);
  close(fd);
  free(m.a);
  return 0;
}

/* Add node iId at zAddress as a voter, through the leader. */
static int join(const char *zNodes, uint64_t iId, const char *zAddress) {
  char zLeader[256];
  uint64_t iLeader = 0;
  int fd = connect_leader(zNodes, zLeader, sizeof(zLeader), &iLeader);
  Msg m = {0};
  put_u64(&m, iId);
  put_text(&m, zAddress);
  request(fd, &m, REQ_ADD, 0);
  response(fd, &m);
  const char *zErr = m.type == RES_FAILURE ? failure(&m) : 0;
  if (zErr && strcmp(zErr, "server ID already in use") != 0) die(zErr);
  begin(&m);
  put_u64(&m, iId);
  request(fd, &m, REQ_ASSIGN, 0); /* schema 0: make it a voter */
  response(fd, &m);
  if (m.type == RES_FAILURE) die(failure(&m));
  close(fd);
  free(m.a);
  return 0;
}

/* Hand the leadership to node iId, and wait until it has it. */
static int transfer(const char *zNodes, uint64_t iId) {
  char zLeader[256];
  uint64_t iLeader = 0;
  int fd = connect_leader(zNodes, zLeader, sizeof(zLeader), &iLeader);
  if (iLeader != iId) {
    Msg m = {0};
    put_u64(&m, iId);
    request(fd, &m, REQ_TRANSFER, 0);
    response(fd, &m);
    if (m.type == RES_FAILURE) die(failure(&m));
    free(m.a);
  }
  close(fd);
  for (int iTry = 0; iTry < 300 && iLeader != iId; iTry++) {
    nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, 0);
    close(connect_leader(zNodes, zLeader, sizeof(zLeader), &iLeader));
  }
  if (iLeader != iId) die("the leadership did not move");
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "--transfer") == 0) {
    return transfer(argv[2], strtoull(argv[3], 0, 10));
  }
  if (argc == 5 && strcmp(argv[1], "--join") == 0) {
    return join(argv[2], strtoull(argv[3], 0, 10), argv[4]);
  }
  if (argc == 3 && strcmp(argv[1], "--leader") == 0) {
    char zLeader[256];
    uint64_t iLeader = 0;
    close(connect_leader(argv[2], zLeader, sizeof(zLeader), &iLeader));
    printf("%llu|%s\n", (unsigned long long)iLeader, zLeader);
    return 0;
  }
  if (argc >= 4 && argv[1][0] != '-') return run_all(argv[1], argv[2], argc - 3, argv + 3);
  fprintf(stderr,
          "usage: dqlite-sql NODE[,NODE...] DATABASE SQL...\n"
          "       dqlite-sql --join NODE[,NODE...] ID ADDRESS\n"
          "       dqlite-sql --leader NODE[,NODE...]\n"
          "       dqlite-sql --transfer NODE[,NODE...] ID\n");
  return 2;
}
