/*++
 * NAME
 *	fuzzlib 3
 * SUMMARY
 *	what several libFuzzer targets share
 * DESCRIPTION
 *	See fuzzlib.h.
 *--*/
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzlib.h"

void
fuzz_plan_take(struct fuzz_plan *p, const uint8_t **data, size_t *size)
{
	size_t	i;

	p->sz = NULL;
	p->n = p->i = 0;
	p->progress = false;
	if (*size == 0)
		return;
	p->n = (*data)[0] % 16;
	if (p->n > *size - 1)
		p->n = *size - 1;
	p->sz = *data + 1;
	for (i = 0; i < p->n; i++)
		if (p->sz[i] != 0)
			p->progress = true;
	*data += 1 + p->n;
	*size -= 1 + p->n;
}

size_t
fuzz_plan_next(struct fuzz_plan *p, size_t left)
{
	uint8_t	b;
	size_t	n;

	if (!p->progress)
		return left;
	b = p->sz[p->i++ % p->n];
	n = b < 0xf0 ? b : (size_t) 256 << (b - 0xf0);
	return n < left ? n : left;
}

char   *
fuzz_strndup(const void *p, size_t n)
{
	char   *s;

	n = strnlen(p, n);
	if ((s = malloc(n + 1)) == NULL)
		fuzz_fail(__FILE__, __LINE__, "out of memory");
	memcpy(s, p, n);
	s[n] = 0;
	return s;
}

void   *
fuzz_memdup(const void *p, size_t n)
{
	void   *d;

	/* malloc(0) may return NULL: one byte, never read */
	if ((d = malloc(n ? n : 1)) == NULL)
		fuzz_fail(__FILE__, __LINE__, "out of memory");
	if (n > 0)
		memcpy(d, p, n);
	return d;
}

void
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
	abort();
}
