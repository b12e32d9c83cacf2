/*++
 * NAME
 *	idalloc 3h
 * SUMMARY
 *	ICID and MID numbers that never repeat, across restarts and crashes
 * DESCRIPTION
 *	IDs are decimal, start at 1 and strictly increase on a host. They
 *	are handed out from blocks reserved in the state file
 *	STATE_DIR/ids: before the first ID of a block is handed out, the
 *	block's end is written to a temporary file, fsync'ed and renamed
 *	over the state file (and the directory fsync'ed). After a restart
 *	or a kill -9 allocation resumes at the reserved end, so at most one
 *	block of numbers is skipped and none is ever reused.
 *
 *	The state file is text, one "NAME NEXT" line per kind, e.g.
 *	"icid 2001\nmid 5001\n", where NEXT is the first number not yet
 *	reserved. A missing file starts both kinds at 1; a malformed file is
 *	an error (never silently restart numbering).
 *
 *	While open, STATE_DIR/ids.lock is held with flock(2) so that two
 *	daemons cannot share one state directory.
 *
 *	idalloc_next() is thread-safe.
 * DIAGNOSTICS
 *	Functions that fail return -1 (or NULL) and put a one-line reason,
 *	naming the file and errno text, in the caller's buffer.
 *--*/
#ifndef ESMTPGUARD_IDALLOC_H
#define ESMTPGUARD_IDALLOC_H

#include <stddef.h>
#include <stdint.h>

enum idalloc_kind {
	IDALLOC_ICID,
	IDALLOC_MID,
	IDALLOC_KINDS,
};

#define IDALLOC_BLOCK	1000	/* IDs reserved per state-file write */

struct idalloc;

/* idalloc_open - open (creating if needed) state_dir/ids; block = IDs per
 * reservation (IDALLOC_BLOCK in the daemon, small in tests) */
struct idalloc *idalloc_open(const char *state_dir, unsigned block,
			    char *err, size_t errlen);

/* idalloc_next - next ID of kind; 0 on success, -1 when the state file
 * cannot be written (no ID is handed out that was not reserved) */
int	idalloc_next(struct idalloc *ida, enum idalloc_kind kind, uint64_t *id,
		     char *err, size_t errlen);


/* idalloc_stop - the daemon's exit: record the first unused IDs (as
 * idalloc_close does); from then on idalloc_next fails. Nothing is freed
 * and the lock stays until the process exits: libmilter's session threads
 * are detached and may still ask for an ID while main() returns. */
void	idalloc_stop(struct idalloc *ida);

/* idalloc_close - record the first unused IDs, unlock, free; only when no
 * other thread can still call idalloc_next (after idalloc_stop too) */
void	idalloc_close(struct idalloc *ida);

#endif
