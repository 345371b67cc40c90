/*
** Foreign-key order: parents before children, for CREATE; the reverse,
** children before parents, for DROP. SQLite does not check a foreign key
** when a table is created, so a cycle is legal: it is broken where the
** walk (tables by name) meets a table it is still inside.
*/
#include <string.h>

#include "schema/diff_int.h"

SQLITE_EXTENSION_INIT3

typedef struct Walk Walk;
struct Walk {
  const DmSchema *p;
  unsigned char *aState; /* 0 unseen, 1 inside, 2 placed */
  int *aOrder;
  int nOrder;
};

static int table_index(const DmSchema *p, const char *zName) {
  for (int i = 0; i < p->nTable; i++) {
    if (sqlite3_stricmp(p->aTable[i].zName, zName) == 0) return i;
  }
  return -1;
}

/* Place table i after its parents, depth first (as deep as the longest
** chain of foreign keys). */
static void place(Walk *w, int i) {
  if (w->aState[i]) return;
  w->aState[i] = 1;
  const DmSchemaTable *t = &w->p->aTable[i];
  for (int k = 0; k < t->nFk; k++) {
    int iParent = table_index(w->p, t->aFk[k].zParent);
    if (iParent >= 0 && iParent != i) place(w, iParent);
  }
  w->aState[i] = 2;
  w->aOrder[w->nOrder++] = i;
}

int dm_diff_fk_order(const DmSchema *p, int **paOrder) {
  Walk w;
  memset(&w, 0, sizeof(w));
  w.p = p;
  *paOrder = 0;
  w.aOrder = sqlite3_malloc64(sizeof(int) * (sqlite3_uint64)(p->nTable + 1));
  w.aState = sqlite3_malloc64((sqlite3_uint64)p->nTable + 1);
  if (!w.aOrder || !w.aState) {
    sqlite3_free(w.aOrder);
    sqlite3_free(w.aState);
    return SQLITE_NOMEM;
  }
  memset(w.aState, 0, (size_t)p->nTable + 1);
  for (int i = 0; i < p->nTable; i++) place(&w, i);
  sqlite3_free(w.aState);
  *paOrder = w.aOrder;
  return SQLITE_OK;
}
