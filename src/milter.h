/*++
 * NAME
 *	milter 3h
 * SUMMARY
 *	libmilter glue: the only file that includes libmilter/mfapi.h
 * DESCRIPTION
 *	milter_open() registers the callbacks and opens the listening
 *	socket (replacing a stale unix socket, applying socket_mode) while
 *	the process still has the privileges to do so; milter_run() then
 *	enters smfi_main() until milter_stop() is called.
 *--*/
#ifndef ESMTPGUARD_MILTER_H
#define ESMTPGUARD_MILTER_H

#include <stddef.h>
#include <sys/types.h>

#include "idalloc.h"

/* milter_open - 0, or -1 with a reason in err */
int	milter_open(const char *spec, mode_t mode, char *err, size_t errlen);

/* milter_run - smfi_main(); returns when stopped. ids is used for every
 * session. */
int	milter_run(struct idalloc *ids);

/* milter_stop - stop accepting; milter_run returns (thread-safe) */
void	milter_stop(void);

/* milter_unix_path - the socket path of a unix:/local: spec, else NULL */
const char *milter_unix_path(const char *spec);

/* milter_version - "libmilter 1.0.1" */
const char *milter_version(void);

#endif
