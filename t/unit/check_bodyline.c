/*++
 * NAME
 *	check_bodyline 1t
 * SUMMARY
 *	unit tests of bodyline: line lengths at the boundaries, lines and
 *	CRLFs straddling chunks, and the same answer for every chunking
 *--*/
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bodyline.h"
#include "unit.h"

#define CHUNK	65535		/* what Postfix and Sendmail pass at once */

/* ref_max - the definition, byte by byte over the whole body */

static size_t
ref_max(const unsigned char *p, size_t len)
{
	size_t	max = 0, cur = 0, i;

	for (i = 0; i < len; i++) {
		if (p[i] == '\n') {
			if (cur > 0 && p[i - 1] == '\r')
				cur--;
			if (cur > max)
				max = cur;
			cur = 0;
		} else
			cur++;
	}
	if (cur > 0 && p[len - 1] == '\r')	/* held back, see bodyline.h */
		cur--;
	return (cur > max ? cur : max);
}

/* chunked - bodyline_max after feeding p in pieces of at most step */

static size_t
chunked(const unsigned char *p, size_t len, size_t step)
{
	struct bodyline b;
	size_t	off, n;

	bodyline_init(&b);
	for (off = 0; off < len; off += n) {
		n = len - off < step ? len - off : step;
		bodyline_feed(&b, p + off, n);
	}
	return (bodyline_max(&b));
}

static size_t
whole(const char *s)
{
	return (chunked((const unsigned char *) s, strlen(s), SIZE_MAX));
}

/* body_with_line - lead bytes of short lines, a line of n bytes, "y\r\n" */

static unsigned char *
body_with_line(size_t lead, size_t n, size_t *len)
{
	unsigned char *p = malloc(lead + n + 8);
	size_t	i;

	ck_assert_ptr_nonnull(p);
	for (i = 0; i < lead; i++)	/* short lines */
		p[i] = i % 10 == 8 ? '\r' : i % 10 == 9 ? '\n' : 'a';
	if (lead >= 2) {
		p[lead - 2] = '\r';
		p[lead - 1] = '\n';
	}
	memset(p + i, 'L', n);
	i += n;
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): bytes, with a length */
	memcpy(p + i, "\r\ny\r\n", 5);
	*len = i + 5;
	return (p);
}

START_TEST(empty_and_short)
{
	struct bodyline b;

	bodyline_init(&b);
	ck_assert_uint_eq(bodyline_max(&b), 0);
	bodyline_feed(&b, (const unsigned char *) "", 0);
	ck_assert_uint_eq(bodyline_max(&b), 0);
	ck_assert_uint_eq(whole("\r\n"), 0);
	ck_assert_uint_eq(whole("\r\n\r\n\n"), 0);
	ck_assert_uint_eq(whole("abc\r\n"), 3);
	ck_assert_uint_eq(whole("abc\n"), 3);		/* bare LF ends a line */
	ck_assert_uint_eq(whole("abc\r\nabcdef\r\nab\r\n"), 6);
	ck_assert_uint_eq(whole("a\rb\r\n"), 3);	/* a bare CR is a byte */
	ck_assert_uint_eq(whole("\r\r\n"), 1);
	ck_assert_uint_eq(whole("ab\r\r\r\n"), 4);
	ck_assert_uint_eq(whole("abcd"), 4);		/* no LF at all */
	ck_assert_uint_eq(whole("x\r\nabcd"), 4);
}
END_TEST

/* N passes and N+1 fires: the value is exact on both sides of 998 */

START_TEST(rule_boundary)
{
	static const size_t lens[] = {997, 998, 999, 1000, 65534, 65535,
	65536};
	unsigned char *p;
	size_t	i, len;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		p = body_with_line(10, lens[i], &len);
		ck_assert_uint_eq(chunked(p, len, SIZE_MAX), lens[i]);
		ck_assert_uint_eq(chunked(p, len, CHUNK), lens[i]);
		ck_assert_uint_eq(chunked(p, len, 7), lens[i]);
		free(p);
	}
}
END_TEST

/* A 998/999-byte line placed across the 65535-byte chunk boundary at
 * every offset near it, CR and LF included. */

START_TEST(straddles_chunk)
{
	unsigned char *p;
	size_t	n, lead, len;

	for (n = 998; n <= 999; n++)
		for (lead = CHUNK - n - 4; lead <= CHUNK + 2; lead++) {
			p = body_with_line(lead, n, &len);
			ck_assert_uint_eq(chunked(p, len, CHUNK), n);
			ck_assert_uint_eq(chunked(p, len, CHUNK),
					  ref_max(p, len));
			free(p);
		}
}
END_TEST

/* The CR of a CRLF ends one chunk, the LF starts the next. */

START_TEST(crlf_split)
{
	struct bodyline b;

	bodyline_init(&b);
	bodyline_feed(&b, (const unsigned char *) "abc\r", 4);
	ck_assert_uint_eq(bodyline_max(&b), 3);		/* CR held back */
	bodyline_feed(&b, (const unsigned char *) "\nxy\r\n", 5);
	ck_assert_uint_eq(bodyline_max(&b), 3);

	/* the held-back CR turns out to be a bare CR */
	bodyline_init(&b);
	bodyline_feed(&b, (const unsigned char *) "abc\r", 4);
	bodyline_feed(&b, (const unsigned char *) "d\r\n", 3);
	ck_assert_uint_eq(bodyline_max(&b), 5);

	/* a CR after the held-back one: the first is a byte */
	bodyline_init(&b);
	bodyline_feed(&b, (const unsigned char *) "ab\r", 3);
	bodyline_feed(&b, (const unsigned char *) "\r", 1);
	ck_assert_uint_eq(bodyline_max(&b), 3);
	bodyline_feed(&b, (const unsigned char *) "\n", 1);
	ck_assert_uint_eq(bodyline_max(&b), 3);

	/* empty chunks change nothing, the CR stays held back */
	bodyline_init(&b);
	bodyline_feed(&b, (const unsigned char *) "ab\r", 3);
	bodyline_feed(&b, (const unsigned char *) "", 0);
	bodyline_feed(&b, (const unsigned char *) "\n", 1);
	ck_assert_uint_eq(bodyline_max(&b), 2);
}
END_TEST

/* A huge line is seen while it arrives, before any LF. */

START_TEST(unterminated_seen_early)
{
	static unsigned char chunk[CHUNK];
	struct bodyline b;

	memset(chunk, 'x', sizeof(chunk));
	bodyline_init(&b);
	bodyline_feed(&b, (const unsigned char *) "short\r\n", 7);
	bodyline_feed(&b, chunk, sizeof(chunk));
	ck_assert_uint_eq(bodyline_max(&b), CHUNK);
	bodyline_feed(&b, chunk, sizeof(chunk));
	ck_assert_uint_eq(bodyline_max(&b), 2 * CHUNK);
	bodyline_feed(&b, (const unsigned char *) "\r\nend\r\n", 7);
	ck_assert_uint_eq(bodyline_max(&b), 2 * CHUNK);
}
END_TEST

/* Every chunking gives the answer of the whole body at once. */

static const char msg[] =
	"Hello,\r\n\r\nthis is a body with\ra bare CR\r\n"
	"and a bare LF\nand \r\r\n double CR, then an empty line:\r\n\r\n"
	"the longest line of them all, fifty-nine bytes long, right?\r\n"
	"\r\n.\r\nend\r";

START_TEST(every_chunking)
{
	const unsigned char *p = (const unsigned char *) msg;
	size_t	len = sizeof(msg) - 1;
	size_t	want = ref_max(p, len);
	struct bodyline b;
	size_t	i, j, step;

	ck_assert_uint_eq(want, 59);
	for (step = 1; step <= len; step++)
		ck_assert_uint_eq(chunked(p, len, step), want);
	for (i = 0; i <= len; i++) {		/* two pieces */
		bodyline_init(&b);
		bodyline_feed(&b, p, i);
		bodyline_feed(&b, p + i, len - i);
		ck_assert_uint_eq(bodyline_max(&b), want);
	}
	for (i = 0; i <= len; i++)		/* three pieces */
		for (j = i; j <= len; j++) {
			bodyline_init(&b);
			bodyline_feed(&b, p, i);
			bodyline_feed(&b, p + i, j - i);
			bodyline_feed(&b, p + j, len - j);
			ck_assert_uint_eq(bodyline_max(&b), want);
		}
}
END_TEST

/* Random bodies of a, CR and LF, random chunkings, against ref_max(). */

START_TEST(fuzz)
{
	static const unsigned char alpha[] = "aaaaaaaa\r\r\n\n";
	unsigned char buf[600];
	uint32_t seed = 12345;
	struct bodyline b;
	size_t	len, i, off, n;
	int	round;

	for (round = 0; round < 5000; round++) {
		seed = seed * 1103515245u + 12345u;
		len = (seed >> 8) % sizeof(buf);
		for (i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = alpha[(seed >> 16) % (sizeof(alpha) - 1)];
		}
		bodyline_init(&b);
		for (off = 0; off < len; off += n) {
			seed = seed * 1103515245u + 12345u;
			n = (seed >> 16) % 9;
			if (n > len - off)
				n = len - off;
			bodyline_feed(&b, buf + off, n);
		}
		ck_assert_uint_eq(bodyline_max(&b), ref_max(buf, len));
	}
}
END_TEST

static Suite *
suite(void)
{
	Suite  *s = suite_create("bodyline");
	TCase  *tc = tcase_create("bodyline");

	tcase_add_test(tc, empty_and_short);
	tcase_add_test(tc, rule_boundary);
	tcase_add_test(tc, straddles_chunk);
	tcase_add_test(tc, crlf_split);
	tcase_add_test(tc, unterminated_seen_early);
	tcase_add_test(tc, every_chunking);
	tcase_add_test(tc, fuzz);
	suite_add_tcase(s, tc);
	return (s);
}

UNIT_MAIN
