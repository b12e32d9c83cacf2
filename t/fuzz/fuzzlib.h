/*++
 * NAME
 *	fuzzlib 3h
 * SUMMARY
 *	what several libFuzzer targets share: chunk plans, strings
 * DESCRIPTION
 *	A chunk plan lets the fuzzer choose where a stream is cut, as an
 *	MTA cuts a body into the chunks it hands the milter: the input
 *	begins with one byte n (0..15), then n bytes, each the size of
 *	one chunk, used in turn and again from the first when they run
 *	out. A size byte below 0xf0 is that many bytes (0 is an empty
 *	feed); 0xf0 and above are 256 << (byte - 0xf0), for chunks that
 *	hold whole lines. No plan (n = 0) feeds everything at once.
 *
 *	fuzz_strndup() and fuzz_memdup() abort when malloc fails: a target
 *	that silently skipped its input would report a pass it never made.
 *--*/
#ifndef ESMTPGUARD_FUZZLIB_H
#define ESMTPGUARD_FUZZLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fuzz_plan {
	const uint8_t *sz;	/* chunk size bytes */
	size_t	n, i;
	bool	progress;	/* some size is not 0 */
};

/* fuzz_plan_take - the plan at the head of *data; *data and *size move
 * past it */
void	fuzz_plan_take(struct fuzz_plan *p, const uint8_t **data,
		       size_t *size);

/* fuzz_plan_next - the next chunk's size, at most left; never 0 forever */
size_t	fuzz_plan_next(struct fuzz_plan *p, size_t left);

/* fuzz_strndup - the first n bytes as a string (cut at a NUL) */
char   *fuzz_strndup(const void *p, size_t n);

/* fuzz_memdup - exactly n bytes on the heap, no terminator, so a read
 * past n is an ASan report */
void   *fuzz_memdup(const void *p, size_t n);

/* fuzz_check - abort with a message when a checked property fails */
#define fuzz_check(cond) \
	((cond) ? (void) 0 : fuzz_fail(__FILE__, __LINE__, #cond))
_Noreturn void fuzz_fail(const char *file, int line, const char *what);

#endif
