/*
** Print a generated migration table as text, for tests/gen/run.sh: linked
** with what dmgen wrote, it shows what the C compiler made of it (order,
** indexes, and every string after C's escapes), so a case's `table` file
** can be compared with it.
*/
#include <stdio.h>
#include <string.h>

#include "graph/migrations.h"

/* Text with its bytes made visible: \n \r \t \\ and \xNN for the rest. */
static void put_text(const char *z) {
  putchar('"');
  for (; *z; z++) {
    unsigned char c = (unsigned char)*z;
    if (c == '\n') fputs("\\n", stdout);
    else if (c == '\r') fputs("\\r", stdout);
    else if (c == '\t') fputs("\\t", stdout);
    else if (c == '\\') fputs("\\\\", stdout);
    else if (c < 0x20 || c >= 0x7f) printf("\\x%02x", c);
    else putchar(c);
  }
  putchar('"');
}

static void put_indexes(const char *zName, int n, const int *a) {
  printf("  %s:", zName);
  for (int j = 0; j < n; j++) printf(" %d=%s", a[j], dm_set.aRev[a[j]].zId);
  putchar('\n');
}

int main(void) {
  printf("source: ");
  put_text(dm_set.zSource);
  printf("\nrevisions: %d\n", dm_set.nRev);
  for (int i = 0; i < dm_set.nRev; i++) {
    const DmRevision *p = &dm_set.aRev[i];
    printf("%d: %s\n  message: ", i, p->zId);
    put_text(p->zMessage);
    printf("\n  date: ");
    put_text(p->zCreateDate);
    printf("\n  file: %s\n", p->zFile);
    put_indexes("parents", p->nParent, p->aParent);
    put_indexes("depends", p->nDepend, p->aDepend);
    printf("  labels:");
    for (int j = 0; j < p->nLabel; j++) printf(" %s", p->azLabel[j]);
    printf("\n  up (line %d): ", p->iUpLine);
    put_text(p->zUp);
    printf("\n  down (line %d): ", p->iDownLine);
    put_text(p->zDown);
    /* The value is pinned by the parser's unit tests; here only its form. */
    int bHex = strlen(p->zChecksum) == 64;
    for (int j = 0; bHex && j < 64; j++) {
      bHex = strchr("0123456789abcdef", p->zChecksum[j]) != 0;
    }
    printf("\n  checksum: %s\n", bHex ? "64 hex digits" : p->zChecksum);
  }
  return 0;
}
