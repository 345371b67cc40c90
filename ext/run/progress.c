/*
** Progress of long steps in verbose mode:
**
**   INFO  [distmigrate] Running upgrade c3_add_price -> c4_rebuild_items, ...
**   INFO  [distmigrate]   ... 1.0 s, statement 2: INSERT INTO items_new (id, ...
**   INFO  [distmigrate]   ... 2.0 s, statement 2: INSERT INTO items_new (id, ...
**   INFO  [distmigrate] done in 2304.7 ms
**
** A helper thread wakes once a second while a step runs and prints where
** the step is, from what the runner last told it (under a mutex).
**
** Why not sqlite3_progress_handler(): a connection has one progress
** handler, and SQLite offers no way to read it. Installing ours would
** silently replace one the caller set for its own reasons (a timeout, a
** cancel button, its own progress bar) and could not put it back after.
** The thread touches no SQLite object, so the caller's handler, if any,
** keeps working through the migration, untouched.
*/
#include "run/progress.h"

#include <stdio.h>
#include <string.h>

#include "sqltext/sqltext.h"

SQLITE_EXTENSION_INIT3

#if defined(_WIN32)

/* No progress lines on Windows: the per-step durations remain. */
void dm_progress_event(DmProgress **pp, const DmEvent *pEv) {
  (void)pp;
  (void)pEv;
}
void dm_progress_end(DmProgress **pp) { (void)pp; }

#else

#include <errno.h>
#include <pthread.h>
#include <time.h>

struct DmProgress {
  pthread_t thread;
  pthread_mutex_t mutex;
  pthread_cond_t cond;   /* Signalled when the step ends */
  struct timespec start; /* CLOCK_MONOTONIC, when the step began */
  int bStop;
  int iStatement;        /* 1-based, 0 before the first */
  char zStatement[96];   /* The statement, one line, cut */
};

static double seconds_since(const struct timespec *pStart) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - pStart->tv_sec) +
         (double)(now.tv_nsec - pStart->tv_nsec) / 1e9;
}

static void *progress_main(void *pArg) {
  DmProgress *p = pArg;
  pthread_mutex_lock(&p->mutex);
  for (int nTick = 1; !p->bStop; nTick++) {
    /* Deadlines counted from the start, so late wake-ups do not add up. */
    struct timespec deadline = p->start;
    deadline.tv_sec += nTick;
    int rc = 0;
    while (!p->bStop && rc != ETIMEDOUT) {
      rc = pthread_cond_timedwait(&p->cond, &p->mutex, &deadline);
    }
    if (p->bStop) break;
    fprintf(stderr, "INFO  [distmigrate]   ... %.1f s, statement %d: %s\n",
            seconds_since(&p->start), p->iStatement, p->zStatement);
    fflush(stderr);
  }
  pthread_mutex_unlock(&p->mutex);
  return 0;
}

static DmProgress *progress_start(void) {
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
  clock_gettime(CLOCK_MONOTONIC, &p->start);
  if (pthread_create(&p->thread, 0, progress_main, p) != 0) {
    /* No thread, no progress lines; the migration itself is unaffected. */
    pthread_mutex_destroy(&p->mutex);
    pthread_cond_destroy(&p->cond);
    sqlite3_free(p);
    return 0;
  }
  return p;
}

void dm_progress_end(DmProgress **pp) {
  DmProgress *p = *pp;
  if (!p) return;
  *pp = 0;
  pthread_mutex_lock(&p->mutex);
  p->bStop = 1;
  pthread_cond_signal(&p->cond);
  pthread_mutex_unlock(&p->mutex);
  pthread_join(p->thread, 0);
  pthread_mutex_destroy(&p->mutex);
  pthread_cond_destroy(&p->cond);
  sqlite3_free(p);
}

void dm_progress_event(DmProgress **pp, const DmEvent *pEv) {
  switch (pEv->eType) {
    case DM_EVENT_STEP:
      dm_progress_end(pp);
      *pp = progress_start();
      break;
    case DM_EVENT_STATEMENT:
      if (*pp) {
        char *zLine = dm_sql_line(pEv->zSql, pEv->nSql, 80);
        DmProgress *p = *pp;
        pthread_mutex_lock(&p->mutex);
        p->iStatement++;
        sqlite3_snprintf((int)sizeof(p->zStatement), p->zStatement, "%s",
                         zLine ? zLine : "");
        pthread_mutex_unlock(&p->mutex);
        sqlite3_free(zLine);
      }
      break;
    case DM_EVENT_STEP_DONE:
      dm_progress_end(pp);
      break;
    default:
      break;
  }
}

#endif
