/*
** What a person probably meant by a revision this set does not have: the
** nearest revision ids, branch labels and symbols (head, heads, base).
** Like revision.c it knows nothing of connections.
*/
#ifndef DM_NEAREST_H
#define DM_NEAREST_H

#include "graph/revision.h"

/* The most suggestions one message makes. */
#define DM_MAX_SUGGESTIONS 3

/*
** The candidates nearest to z[0..n), at most DM_MAX_SUGGESTIONS, nearest
** first (ties in the set's order: ids, then labels, then symbols), into
** azOut. A candidate is near when, letter case ignored, z is a substring
** of it (z of 4 characters or more), or its edit distance (insertions,
** deletions, substitutions, swaps of two neighbours) to the candidate, or
** to the candidate's first n characters (a mistyped prefix), is at most
** n/3. aAmong limits the revisions to its members (a branch's lineage);
** 0 means all. Returns how many.
*/
int dm_nearest(const DmSet *pSet, const DmFlags *aAmong, const char *z, int n,
               const char **azOut);

/*
** "; did you mean a, b or c?" for dm_nearest()'s candidates, or "" when
** none is near. sqlite3_malloc'd; 0 on OOM.
*/
char *dm_did_you_mean(const DmSet *pSet, const DmFlags *aAmong, const char *z, int n);

#endif
