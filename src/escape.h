/*++
 * NAME
 *	escape 3h
 * SUMMARY
 *	make client-supplied strings safe to log
 * DESCRIPTION
 *	Nobody may forge a log line: every byte a client controls passes
 *	through escape_append() before it is logged. Control bytes
 *	(0x00-0x1f, 0x7f), the C1 controls U+0080-U+009F (a terminal
 *	reads U+009B as an escape sequence) and bytes that are not part of well-formed UTF-8
 *	(overlongs, surrogates, > U+10FFFF, truncated sequences) become
 *	"\xHH" (lower-case hex); a backslash becomes "\\". Everything else,
 *	valid multibyte UTF-8 included, is copied as it is.
 *--*/
#ifndef ESMTPGUARD_ESCAPE_H
#define ESMTPGUARD_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

/* escape_append - append the escaped form of p[0..n) to sb; false on OOM */
bool	escape_append(struct strbuf *sb, const char *p, size_t n);

/* escape_str - the escaped form as a new malloc'd string; NULL on OOM */
char   *escape_str(const char *str);

#endif
