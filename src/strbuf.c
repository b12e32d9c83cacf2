/*++
 * NAME
 *	strbuf 3
 * SUMMARY
 *	growable, always NUL-terminated byte strings
 * SYNOPSIS
 *	#include "strbuf.h"
 * DESCRIPTION
 *	See strbuf.h. Growth is geometric so that a long series of small
 *	appends (the escaper works a byte at a time) stays linear. Sizes
 *	are checked before every addition: a request that would overflow
 *	size_t fails like an allocation failure instead of wrapping round
 *	into a short buffer.
 *
 *	On failure the buffer is left exactly as it was, so a caller may
 *	keep the partial line it already had and report the error.
 *--*/
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "strbuf.h"

#define STRBUF_MIN	64

/* strbuf_reserve - make room for n more bytes plus the terminator */

static bool
strbuf_reserve(struct strbuf *sb, size_t n)
{
	size_t	need;
	size_t	cap;
	char   *s;

	if (n > SIZE_MAX - 1 - sb->len) {
		errno = ENOMEM;
		return (false);
	}
	need = sb->len + n + 1;
	if (sb->s != NULL && need <= sb->cap)
		return (true);
	cap = sb->cap < STRBUF_MIN ? STRBUF_MIN : sb->cap;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if ((s = realloc(sb->s, cap)) == NULL)
		return (false);
	if (sb->s == NULL)
		s[0] = '\0';
	sb->s = s;
	sb->cap = cap;
	return (true);
}

/* strbuf_append - append n bytes, which may include NUL */

bool
strbuf_append(struct strbuf *sb, const char *p, size_t n)
{
	if (!strbuf_reserve(sb, n))
		return (false);
	if (n > 0)
		memcpy(sb->s + sb->len, p, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
	return (true);
}

/* strbuf_puts - append a C string */

bool
strbuf_puts(struct strbuf *sb, const char *str)
{
	return (strbuf_append(sb, str, strlen(str)));
}

/* strbuf_printf - append formatted text */

bool
strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list	ap;
	bool	ok;

	va_start(ap, fmt);
	ok = strbuf_vprintf(sb, fmt, ap);
	va_end(ap);
	return (ok);
}

/* strbuf_vprintf - strbuf_printf with a va_list */

bool
strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list	aq;
	int	n;
	char	probe[1];

	/*
	 * Into the room already there first: a buffer that is reused
	 * (reset, not freed) formats each line once. What did not fit is
	 * cut off again (the terminator back at len), then measured and
	 * formatted into reserved space, so a failure never leaves half a
	 * line behind.
	 */
	if (sb->s != NULL && sb->cap > sb->len + 1) {
		va_copy(aq, ap);
		/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_copy'd */
		n = fmt_vsnprintf(sb->s + sb->len, sb->cap - sb->len, fmt, aq);
		va_end(aq);
		if (n >= 0 && (size_t)n < sb->cap - sb->len) {
			sb->len += (size_t)n;
			return (true);
		}
		sb->s[sb->len] = '\0';
	} else {
		va_copy(aq, ap);
		/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_copy'd */
		n = fmt_vsnprintf(probe, sizeof(probe), fmt, aq);
		va_end(aq);
	}
	if (n < 0)
		return (false);
	if (!strbuf_reserve(sb, (size_t)n))
		return (false);
	n = fmt_vsnprintf(sb->s + sb->len, sb->cap - sb->len, fmt, ap);
	if (n < 0) {
		sb->s[sb->len] = '\0';
		return (false);
	}
	sb->len += (size_t)n;
	return (true);
}

/* strbuf_str - the contents; "" for a buffer never appended to */

const char *
strbuf_str(const struct strbuf *sb)
{
	return (sb->s != NULL ? sb->s : "");
}

/* strbuf_reset - empty the buffer, keep its memory for reuse */

void
strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->s != NULL)
		sb->s[0] = '\0';
}

/* strbuf_free - release memory; the buffer is a valid empty one after */

void
strbuf_free(struct strbuf *sb)
{
	free(sb->s);
	sb->s = NULL;
	sb->len = 0;
	sb->cap = 0;
}
