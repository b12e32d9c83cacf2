/*++
 * NAME
 *	fuzz_bodyline 1t
 * SUMMARY
 *	libFuzzer target: the body line scanner
 * DESCRIPTION
 *	A chunk plan (fuzzlib.h), then a body. The body goes through
 *	bodyline_feed() cut as the plan says, whole, and one byte at a
 *	time; every way must end with the longest line the definition in
 *	bodyline.h gives, computed here line by line. While the chunks
 *	arrive bodyline_max() never decreases and never exceeds that
 *	final answer (a held-back CR is not counted early).
 *--*/
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bodyline.h"
#include "fuzzlib.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* longest - the definition: lines end at LF, a CR just before the LF is
 * part of the line end; the unterminated rest counts without a last CR */
static size_t
longest(const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len, *lf;
	size_t	max = 0, n;

	while (p < end) {
		lf = memchr(p, '\n', (size_t) (end - p));
		n = (size_t) ((lf ? lf : end) - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > max)
			max = n;
		if (lf == NULL)
			break;
		p = lf + 1;
	}
	return max;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_plan plan;
	struct bodyline b;
	size_t	want, off, n, seen = 0;
	uint8_t *body;

	fuzz_plan_take(&plan, &data, &size);
	body = fuzz_memdup(data, size);
	want = longest(body, size);

	bodyline_init(&b);
	for (off = 0; off < size; off += n) {
		n = fuzz_plan_next(&plan, size - off);
		bodyline_feed(&b, body + off, n);
		fuzz_check(bodyline_max(&b) >= seen);
		seen = bodyline_max(&b);
		fuzz_check(seen <= want);
	}
	fuzz_check(bodyline_max(&b) == want);

	bodyline_init(&b);
	bodyline_feed(&b, body, size);
	fuzz_check(bodyline_max(&b) == want);

	bodyline_init(&b);
	for (off = 0; off < size; off++)
		bodyline_feed(&b, body + off, 1);
	fuzz_check(bodyline_max(&b) == want);

	free(body);
	return 0;
}
