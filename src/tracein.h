/*++
 * NAME
 *	tracein 3h
 * SUMMARY
 *	esmtpguard-trace input: files, gzip, stdin, merged by time, followed
 * DESCRIPTION
 *	Every input (a file name, or "-" for stdin) is a stream of lines,
 *	plain or gzip-compressed (recognised by its magic bytes, so a
 *	rotated "maillog.2.gz" needs no option). When there are several,
 *	tracein_next() returns their lines merged by time stamp: the
 *	earliest head line of all inputs first, the earlier argument on a
 *	tie. That reads esmtpguard's log_file beside Postfix's maillog as
 *	one stream, and rotated files given in any order as their
 *	concatenation.
 *
 *	A line longer than TRACEIN_LINE_MAX is cut there (and reported as
 *	malformed by the caller if it then fails to parse); a last line
 *	without a newline is still a line, except when following.
 *
 *	Following (-f): at the end of an input, wait for it to grow, and
 *	reopen it when it was replaced (rotation) or truncated. tracein_next
 *	returns 0 when nothing arrived within the poll interval, so the
 *	caller can advance its clock and check for signals.
 *--*/
#ifndef ESMTPGUARD_TRACEIN_H
#define ESMTPGUARD_TRACEIN_H

#include <stdbool.h>

#include "traceline.h"

#define TRACEIN_LINE_MAX	65536

struct tracein;

/* tracein_open - NULL with a message on stderr when an input cannot be
 * opened */
struct tracein *tracein_open(char *const *names, int n, bool follow);

/* tracein_next - 1 and the next line (parsed, valid until the next
 * call), -1 at the end of all input, 0 when following and nothing new
 * arrived. *name and *lineno say where the line came from. */
int	tracein_next(struct tracein *in, const struct traceline **l,
		     const char **name, unsigned long *lineno);

void	tracein_close(struct tracein *in);

#endif
