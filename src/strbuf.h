/*++
 * NAME
 *	strbuf 3h
 * SUMMARY
 *	growable, always NUL-terminated byte strings
 * DESCRIPTION
 *	The answer to fixed buffers that truncate silently. Every append
 *	either succeeds whole or returns false and leaves the buffer as it
 *	was, so callers in the session core can turn an allocation failure
 *	into on_internal_error instead of crashing or losing data.
 *
 *	A zeroed struct strbuf is a valid empty buffer (s may be NULL until
 *	the first append; strbuf_str() never returns NULL).
 *--*/
#ifndef ESMTPGUARD_STRBUF_H
#define ESMTPGUARD_STRBUF_H

#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char   *s;
	size_t	len;
	size_t	cap;
};

bool	strbuf_append(struct strbuf *sb, const char *p, size_t n);
bool	strbuf_puts(struct strbuf *sb, const char *str);
bool	strbuf_printf(struct strbuf *sb, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
bool	strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));
const char *strbuf_str(const struct strbuf *sb);
void	strbuf_reset(struct strbuf *sb);	/* len = 0, keeps memory */
void	strbuf_free(struct strbuf *sb);		/* releases memory, zeroes */

#endif
