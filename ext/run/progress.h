/*
** Verbose mode's progress lines for long steps (see progress.c).
*/
#ifndef DM_PROGRESS_H
#define DM_PROGRESS_H

#include "run/runner.h"

typedef struct DmProgress DmProgress;

/*
** Follow a run's events: while a step runs longer than a second, a line
** on stderr each second says how long and which statement it is in. *pp
** holds the state between events (0 when no step runs).
*/
void dm_progress_event(DmProgress **pp, const DmEvent *pEv);

/* Stop following and free the state; harmless if nothing runs. */
void dm_progress_end(DmProgress **pp);

#endif
