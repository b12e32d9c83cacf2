/*++
 * NAME
 *	bodyline 3
 * SUMMARY
 *	longest body line, measured while the body streams past
 * SYNOPSIS
 *	#include "bodyline.h"
 * DESCRIPTION
 *	See bodyline.h. Only the line ends are looked at, with memchr(),
 *	so the cost is that of finding the LFs; the length of a line is
 *	its LF's offset plus what earlier chunks contributed.
 *--*/
#include <config.h>

#include <stdint.h>
#include <string.h>

#include "bodyline.h"

/* sat_add - a + b, SIZE_MAX instead of wrapping round */

static size_t
sat_add(size_t a, size_t b)
{
	return (a > SIZE_MAX - b ? SIZE_MAX : a + b);
}

void
bodyline_init(struct bodyline *b)
{
	b->max = 0;
	b->cur = 0;
	b->cr = false;
}

/* bodyline_end - the current line ends after n more bytes */

static void
bodyline_end(struct bodyline *b, size_t n)
{
	n = sat_add(b->cur, n);
	if (n > b->max)
		b->max = n;
	b->cur = 0;
}

void
bodyline_feed(struct bodyline *b, const unsigned char *p, size_t len)
{
	const unsigned char *end = p + len;
	const unsigned char *lf;
	size_t	n;

	if (len == 0)
		return;

	/* A CR held back from the previous chunk: line end or line byte. */
	if (b->cr) {
		b->cr = false;
		if (*p == '\n') {
			bodyline_end(b, 0);
			p++;
		} else
			b->cur = sat_add(b->cur, 1);
	}
	while ((lf = memchr(p, '\n', (size_t) (end - p))) != NULL) {
		n = (size_t) (lf - p);
		if (n > 0 && lf[-1] == '\r')
			n--;
		bodyline_end(b, n);
		p = lf + 1;
	}
	if (p < end) {
		n = (size_t) (end - p);
		if (end[-1] == '\r') {
			b->cr = true;
			n--;
		}
		b->cur = sat_add(b->cur, n);
	}
}

size_t
bodyline_max(const struct bodyline *b)
{
	return (b->cur > b->max ? b->cur : b->max);
}
