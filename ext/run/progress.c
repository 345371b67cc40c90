/*
** Verbose mode's lines, and the progress of long work while a run is on:
**
**   INFO  [distmigrate] Running upgrade c3_add_price -> c4_rebuild_items, ...
**   INFO  [distmigrate]   statement 2: SELECT migrate_alter_table('CREATE TABLE ...
**   INFO  [distmigrate]   copy items: 412000 of 1000000 rows (41%), 411000 rows/s, ETA 1.4 s
**   INFO  [distmigrate]   copy items: 824000 of 1000000 rows (82%), 412000 rows/s, ETA 0.4 s
**   INFO  [distmigrate] migrate_alter_table(items): copied 1000000 rows ...
**   INFO  [distmigrate]   index build items: index 2 of 3 (items_sku), 1.0 s
**   INFO  [distmigrate]   step done in 3120.4 ms
**   INFO  [distmigrate]   foreign-key check: table 4 of 9 (orders), 1.0 s
**   INFO  [distmigrate] done in 4.802 s
**
** A helper thread wakes once a second while a step or a phase runs, counted
** from its start, and says where it is: the statement once (the first time
** it is still running at a tick), then the phase, if one is on, with what
** is done of how much, the rate and what is left. What it shows, it reads
** from this struct, which the run keeps up to date: under the mutex, and
** the row count of a counted phase without it (an atomic add per row, from
** the SQL function alter/ puts in its copy and its scans).
**
** On a terminal the thread's line is redrawn in place, with a bar; every
** other line first erases it, so the log keeps only lines that say what
** happened. Elsewhere (a file, a pipe) each tick is a plain line.
**
** Why not sqlite3_progress_handler(): a connection has one progress
** handler, and SQLite offers no way to read it. Installing ours would
** silently replace one the caller set for its own reasons (a timeout, a
** cancel button, its own progress bar) and could not put it back after.
** The thread touches no SQLite object, so the caller's handler, if any,
** keeps working through the migration, untouched.
*/
#include "run/progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sqltext/sqltext.h"

SQLITE_EXTENSION_INIT3

#define PREFIX "INFO  [distmigrate] "

static void print_line(const char *zFormat, va_list ap) {
  char *z = sqlite3_vmprintf(zFormat, ap);
  fprintf(stderr, PREFIX "%s\n", z ? z : "(out of memory)");
  fflush(stderr);
  sqlite3_free(z);
}

#if defined(_WIN32)

/* No progress thread on Windows: the run's own lines remain. */
DmProgress *dm_progress_new(void) { return 0; }
void dm_progress_free(DmProgress *p) { (void)p; }
void dm_progress_event(DmProgress *p, const DmEvent *pEv) {
  (void)p;
  (void)pEv;
}
void dm_verbose_line(DmProgress *p, const char *zFormat, ...) {
  (void)p;
  va_list ap;
  va_start(ap, zFormat);
  print_line(zFormat, ap);
  va_end(ap);
}
void dm_progress_counted(DmProgress *p, const char *zName, sqlite3_int64 nTotal) {
  (void)p;
  (void)zName;
  (void)nTotal;
}
void dm_progress_stepped(DmProgress *p, const char *zName, const char *zUnit, int nItems,
                         sqlite3_int64 nRows) {
  (void)p;
  (void)zName;
  (void)zUnit;
  (void)nItems;
  (void)nRows;
}
void dm_progress_rows(DmProgress *p, sqlite3_int64 nRows) {
  (void)p;
  (void)nRows;
}
void dm_progress_item(DmProgress *p, const char *zItem, sqlite3_int64 nRows) {
  (void)p;
  (void)zItem;
  (void)nRows;
}
void dm_progress_phase_end(DmProgress *p) { (void)p; }

#else

#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

enum { PHASE_NONE, PHASE_COUNTED, PHASE_STEPPED };

struct DmProgress {
  pthread_t thread;
  int bThread;             /* The thread runs */
  pthread_mutex_t mutex;
  pthread_cond_t cond;     /* Signalled when tOrigin moves, and to stop */
  int bStop;
  int bTty;                /* stderr is a terminal: one line, redrawn */
  int bBar;                /* ... and the thread's line is on it now */
  struct timespec tOrigin; /* The ticks count from here: the step's start,
                           ** or a phase's outside a step */
  int nTick;               /* Ticks since tOrigin */
  /* The step */
  int bStep;
  int iStatement;          /* 1-based, 0 before the first */
  int bShown;              /* Its line is printed */
  char zStatement[96];     /* One line, cut */
  /* The phase */
  int ePhase;
  char zPhase[96];         /* "copy responses" */
  char zUnit[16];          /* A stepped phase's objects: "index", "table" */
  char zItem[64];          /* ... and the one being worked on */
  int iItem, nItem;
  sqlite3_int64 nItemRows; /* ... its rows, done when the next starts */
  double rItemsDone;       /* Seconds into the phase when the last was done */
  sqlite3_int64 nRows;     /* Rows done: read (atomic), or in objects done */
  sqlite3_int64 nTotal;    /* ... of this many (0: not known) */
  struct timespec tPhase;
};

static double seconds_since(const struct timespec *pStart) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - pStart->tv_sec) +
         (double)(now.tv_nsec - pStart->tv_nsec) / 1e9;
}

/* Erase the thread's line from the terminal, if it is there. */
static void erase_bar(DmProgress *p) {
  if (!p->bBar) return;
  fputs("\r\033[K", stderr);
  p->bBar = 0;
}

/* "[#######-------------] " for a counted phase with a total, on a terminal */
static void append_bar(sqlite3_str *pOut, sqlite3_int64 nDone, sqlite3_int64 nTotal) {
  int nFull = nTotal > 0 ? (int)(20 * (nDone < nTotal ? nDone : nTotal) / nTotal) : 0;
  sqlite3_str_appendchar(pOut, 1, '[');
  sqlite3_str_appendchar(pOut, nFull, '#');
  sqlite3_str_appendchar(pOut, 20 - nFull, '-');
  sqlite3_str_appendall(pOut, "] ");
}

/* What a phase has done: rows, share, then the rate and the time left, or
** the time so far while nothing is done. */
static void append_rows(DmProgress *p, sqlite3_str *pOut) {
  sqlite3_int64 nDone = __atomic_load_n(&p->nRows, __ATOMIC_RELAXED);
  double rSeconds = seconds_since(&p->tPhase);
  /* A stepped phase's rate is that of the objects done, and the one under
  ** way has had some of the time left already. */
  double rSpent = p->ePhase == PHASE_STEPPED ? p->rItemsDone : rSeconds;
  double rRate = rSpent > 0 ? (double)nDone / rSpent : 0;
  if (p->nTotal > 0) {
    sqlite3_str_appendf(pOut, "%lld of %lld rows (%d%%)", nDone, p->nTotal,
                        (int)(100 * (nDone < p->nTotal ? nDone : p->nTotal) / p->nTotal));
  } else {
    sqlite3_str_appendf(pOut, "%lld rows", nDone);
  }
  if (nDone == 0) {
    sqlite3_str_appendf(pOut, ", %.1f s", rSeconds);
    return;
  }
  sqlite3_str_appendf(pOut, ", %lld rows/s", (sqlite3_int64)rRate);
  if (p->nTotal > nDone && rRate > 0) {
    double rLeft = (double)(p->nTotal - nDone) / rRate - (rSeconds - rSpent);
    sqlite3_str_appendf(pOut, ", ETA %.1f s", rLeft > 0 ? rLeft : 0.0);
  }
}

/* The thread's line, without the prefix. */
static char *status_text(DmProgress *p) {
  sqlite3_str *pOut = sqlite3_str_new(0);
  if (p->ePhase != PHASE_NONE) {
    sqlite3_str_appendf(pOut, "  %s: ", p->zPhase);
    if (p->bTty && p->nTotal > 0) {
      append_bar(pOut, __atomic_load_n(&p->nRows, __ATOMIC_RELAXED), p->nTotal);
    }
  }
  if (p->ePhase == PHASE_COUNTED) {
    append_rows(p, pOut);
  } else if (p->ePhase == PHASE_STEPPED) {
    sqlite3_str_appendf(pOut, "%s %d of %d (%s), ", p->zUnit, p->iItem, p->nItem, p->zItem);
    if (p->nTotal > 0) {
      /* Rows are done an object at a time: the rate and what is left
      ** come from the objects done. */
      append_rows(p, pOut);
    } else {
      sqlite3_str_appendf(pOut, "%.1f s", seconds_since(&p->tPhase));
    }
  } else {
    sqlite3_str_appendf(pOut, "  ... %.1f s, statement %d", seconds_since(&p->tOrigin),
                        p->iStatement);
  }
  return sqlite3_str_finish(pOut);
}

/* One tick: the statement once, then where the work is. Under the mutex. */
static void tick(DmProgress *p) {
  if (p->bStep && p->iStatement > 0 && !p->bShown) {
    erase_bar(p);
    fprintf(stderr, PREFIX "  statement %d: %s\n", p->iStatement, p->zStatement);
    p->bShown = 1;
  }
  char *zStatus = status_text(p);
  if (!zStatus) return;
  if (p->bTty) {
    fprintf(stderr, "\r" PREFIX "%s\033[K", zStatus);
    p->bBar = 1;
  } else {
    fprintf(stderr, PREFIX "%s\n", zStatus);
  }
  fflush(stderr);
  sqlite3_free(zStatus);
}

static void *progress_main(void *pArg) {
  DmProgress *p = pArg;
  pthread_mutex_lock(&p->mutex);
  while (!p->bStop) {
    if (!p->bStep && p->ePhase == PHASE_NONE) {
      pthread_cond_wait(&p->cond, &p->mutex);
      continue;
    }
    /* Deadlines counted from the origin, so late wake-ups do not add up. */
    struct timespec deadline = p->tOrigin;
    deadline.tv_sec += p->nTick + 1;
    int rc = pthread_cond_timedwait(&p->cond, &p->mutex, &deadline);
    if (p->bStop) break;
    if (rc != ETIMEDOUT || (!p->bStep && p->ePhase == PHASE_NONE)) continue;
    /* The origin may have moved while this thread waited for the mutex. */
    double rSince = seconds_since(&p->tOrigin);
    if (rSince < p->nTick + 1) continue;
    p->nTick = (int)rSince;
    tick(p);
  }
  pthread_mutex_unlock(&p->mutex);
  return 0;
}

DmProgress *dm_progress_new(void) {
  DmProgress *p = sqlite3_malloc(sizeof(*p));
  if (!p) return 0;
  memset(p, 0, sizeof(*p));
  pthread_condattr_t attr;
  int bOk = pthread_condattr_init(&attr) == 0;
  if (bOk) {
    bOk = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
          pthread_cond_init(&p->cond, &attr) == 0;
    pthread_condattr_destroy(&attr);
  }
  if (bOk && pthread_mutex_init(&p->mutex, 0) != 0) {
    pthread_cond_destroy(&p->cond);
    bOk = 0;
  }
  if (!bOk) {
    sqlite3_free(p);
    return 0;
  }
  p->bTty = isatty(2);
  return p;
}

/* The thread starts with the first step or phase. Under the mutex. */
static void start_thread(DmProgress *p) {
  if (p->bThread) return;
  /* No thread, no progress lines; the migration itself is unaffected. */
  p->bThread = pthread_create(&p->thread, 0, progress_main, p) == 0;
}

/* Ticks count from now. Under the mutex. */
static void restart_clock(DmProgress *p) {
  clock_gettime(CLOCK_MONOTONIC, &p->tOrigin);
  p->nTick = 0;
  start_thread(p);
  pthread_cond_signal(&p->cond);
}

void dm_progress_free(DmProgress *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mutex);
  p->bStop = 1;
  pthread_cond_signal(&p->cond);
  erase_bar(p);
  pthread_mutex_unlock(&p->mutex);
  if (p->bThread) pthread_join(p->thread, 0);
  pthread_mutex_destroy(&p->mutex);
  pthread_cond_destroy(&p->cond);
  sqlite3_free(p);
}

/*
** The statement on one line, cut after 80 characters: dm_sql_line() keeps
** a string's line breaks (a CREATE TABLE given to migrate_alter_table() has
** them); here they and the indentation after them become one space.
*/
static char *statement_line(const DmEvent *pEv) {
  char *zLine = dm_sql_line(pEv->zSql, pEv->nSql, 0);
  if (!zLine) return 0;
  int j = 0;
  for (int i = 0; zLine[i]; i++) {
    if (zLine[i] == '\n' || zLine[i] == '\r' || zLine[i] == '\t') {
      while (j > 0 && zLine[j - 1] == ' ') j--;
      while (zLine[i + 1] == ' ' || zLine[i + 1] == '\n' || zLine[i + 1] == '\r' ||
             zLine[i + 1] == '\t') {
        i++;
      }
      /* As dm_sql_line() spaces SQL: none after "(" or before ")" and ",". */
      int bTight = (j > 0 && zLine[j - 1] == '(') || zLine[i + 1] == ')' || zLine[i + 1] == ',';
      if (!bTight) zLine[j++] = ' ';
    } else {
      zLine[j++] = zLine[i];
    }
  }
  zLine[j] = 0;
  if (j <= 80) return zLine;
  char *zCut = sqlite3_mprintf("%.80s...", zLine);
  sqlite3_free(zLine);
  return zCut;
}

void dm_progress_event(DmProgress *p, const DmEvent *pEv) {
  if (!p) return;
  char *zLine = 0;
  if (pEv->eType == DM_EVENT_STATEMENT) zLine = statement_line(pEv);
  pthread_mutex_lock(&p->mutex);
  switch (pEv->eType) {
    case DM_EVENT_STEP:
      p->bStep = 1;
      p->iStatement = 0;
      p->bShown = 0;
      restart_clock(p);
      break;
    case DM_EVENT_STATEMENT:
      p->iStatement++;
      p->bShown = 0;
      sqlite3_snprintf((int)sizeof(p->zStatement), p->zStatement, "%s", zLine ? zLine : "");
      break;
    case DM_EVENT_STEP_DONE:
      p->bStep = 0;
      p->ePhase = PHASE_NONE;
      erase_bar(p);
      break;
    default:
      break;
  }
  pthread_mutex_unlock(&p->mutex);
  sqlite3_free(zLine);
}

void dm_verbose_line(DmProgress *p, const char *zFormat, ...) {
  va_list ap;
  va_start(ap, zFormat);
  if (p) {
    pthread_mutex_lock(&p->mutex);
    erase_bar(p);
    print_line(zFormat, ap);
    pthread_mutex_unlock(&p->mutex);
  } else {
    print_line(zFormat, ap);
  }
  va_end(ap);
}

/* A phase starts: its name, and the clock if no step runs. Under the mutex. */
static void phase_start(DmProgress *p, int ePhase, const char *zName) {
  p->ePhase = ePhase;
  sqlite3_snprintf((int)sizeof(p->zPhase), p->zPhase, "%s", zName);
  clock_gettime(CLOCK_MONOTONIC, &p->tPhase);
  if (!p->bStep) restart_clock(p);
}

void dm_progress_counted(DmProgress *p, const char *zName, sqlite3_int64 nTotal) {
  if (!p) return;
  pthread_mutex_lock(&p->mutex);
  p->nTotal = nTotal;
  __atomic_store_n(&p->nRows, 0, __ATOMIC_RELAXED);
  phase_start(p, PHASE_COUNTED, zName);
  pthread_mutex_unlock(&p->mutex);
}

void dm_progress_stepped(DmProgress *p, const char *zName, const char *zUnit, int nItems,
                         sqlite3_int64 nRows) {
  if (!p) return;
  pthread_mutex_lock(&p->mutex);
  sqlite3_snprintf((int)sizeof(p->zUnit), p->zUnit, "%s", zUnit);
  p->zItem[0] = 0;
  p->iItem = 0;
  p->nItem = nItems;
  p->nItemRows = 0;
  p->rItemsDone = 0;
  p->nTotal = nRows;
  __atomic_store_n(&p->nRows, 0, __ATOMIC_RELAXED);
  phase_start(p, PHASE_STEPPED, zName);
  pthread_mutex_unlock(&p->mutex);
}

void dm_progress_rows(DmProgress *p, sqlite3_int64 nRows) {
  if (p) __atomic_add_fetch(&p->nRows, nRows, __ATOMIC_RELAXED);
}

void dm_progress_item(DmProgress *p, const char *zItem, sqlite3_int64 nRows) {
  if (!p) return;
  pthread_mutex_lock(&p->mutex);
  if (p->iItem > 0) {
    __atomic_add_fetch(&p->nRows, p->nItemRows, __ATOMIC_RELAXED);
    p->rItemsDone = seconds_since(&p->tPhase);
  }
  p->nItemRows = nRows;
  p->iItem++;
  sqlite3_snprintf((int)sizeof(p->zItem), p->zItem, "%s", zItem);
  pthread_mutex_unlock(&p->mutex);
}

void dm_progress_phase_end(DmProgress *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mutex);
  p->ePhase = PHASE_NONE;
  erase_bar(p);
  pthread_mutex_unlock(&p->mutex);
}

#endif
