/*++
 * NAME
 *	check_fmt 1t
 * SUMMARY
 *	unit tests of fmt: fmt_vsnprintf against vsnprintf, byte for byte
 *--*/
#include <config.h>

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <wchar.h>

#include "fmt.h"
#include "unit.h"

/*
 * same - fmt_vsnprintf and vsnprintf give the same return value and the
 * same bytes (the NUL and what is cut included) for every size from 0
 * to two past the whole line; a canary byte shows nothing is written
 * past size. The number of sizes tried.
 */
static int __attribute__((format(printf, 1, 2)))
same(const char *fmt, ...)
{
	char	want[256], got[256];
	va_list	ap, aq;
	int	n, m;
	size_t	size;

	va_start(ap, fmt);
	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	ck_assert_int_ge(n, 0);
	ck_assert_int_lt(n + 2, (int) sizeof(want));
	for (size = 0; size <= (size_t) n + 2; size++) {
		memset(want, 0x5a, sizeof(want));
		memset(got, 0x5a, sizeof(got));
		va_copy(aq, ap);
		n = vsnprintf(want, size, fmt, aq);
		va_end(aq);
		va_copy(aq, ap);
		m = fmt_vsnprintf(got, size, fmt, aq);
		va_end(aq);
		ck_assert_msg(m == n, "\"%s\" size %zu: %d, vsnprintf %d",
			      fmt, size, m, n);
		ck_assert_msg(memcmp(got, want, sizeof(want)) == 0,
			      "\"%s\" size %zu: \"%.*s\", vsnprintf \"%.*s\"", fmt,
			      size, n + 1, got, n + 1, want);
	}
	va_end(ap);
	return (int) size;
}

START_TEST(literals)
{
	ck_assert_int_eq(same("%s", ""), 3);
	same("no conversion");
	same("100%% done, %%%%");
	same("%%");
}
END_TEST

START_TEST(strings_and_chars)
{
	const char *volatile null = NULL;	/* glibc prints "(null)" */

	same("From: <%s> to %s", "a@example.com", "");
	same("%s%s%s", "a", "bc", "def");
	same("[%s]", null);
	same("%c%c%c", 'a', 0, 'z');	/* a NUL counts and is copied */
	same("%c", 0xe9);
}
END_TEST

START_TEST(integers)
{
	same("%d %d %d %d %i", 0, -1, INT_MIN, INT_MAX, 42);
	same("%u %u", 0u, UINT_MAX);
	same("%ld %ld %lu", LONG_MIN, LONG_MAX, ULONG_MAX);
	same("%lld %lld %llu", LLONG_MIN, LLONG_MAX, ULLONG_MAX);
	same("%zu %zd %zd", SIZE_MAX, (ssize_t) -5, (ssize_t) SSIZE_MAX);
	same("%jd %jd %ju", INTMAX_MIN, INTMAX_MAX, UINTMAX_MAX);
	same("%" PRIu64 " %" PRId64, UINT64_MAX, INT64_MIN);
}
END_TEST

/* the lines esmtpguard writes, as its formats are */
START_TEST(log_lines)
{
	same("MID %" PRIu64 " ICID %" PRIu64 " RID %u To: %s", (uint64_t) 1404,
	     (uint64_t) 10293, 0u, "<end_user@example.com>");
	same("MID %" PRIu64 " ready %" PRIu64 " bytes from %s", (uint64_t) 7,
	     (uint64_t) 2417, "<a@sender.example>");
	same("%sICID=%" PRIu64 " MID=%" PRIu64, " ", (uint64_t) 3, (uint64_t) 5);
}
END_TEST

/* anything else goes to vsnprintf, arguments untouched */
START_TEST(others_to_vsnprintf)
{
	same("%5d|%-5d|%05d", 42, 42, 42);
	same("%.3s|%10s|%-10s|", "abcdef", "r", "l");
	same("%.*s", 2, "abcdef");
	same("%x %X %o %#x", 255u, 255u, 8u, 16u);
	same("%hd %hhu", (short) -3, (unsigned char) 250);
	same("%s %.2f %d", "pi", 3.14159, 7);
	same("%+d % d", 5, 5);
	same("%lc", (wint_t) 'a');
	same("%p", (void *) 0);
	same("%ld then %5s", 9L, "x");	/* ours first, then not */
}
END_TEST

static Suite *
suite(void)
{
	Suite  *s = suite_create("fmt");
	TCase  *tc = tcase_create("fmt");

	tcase_add_test(tc, literals);
	tcase_add_test(tc, strings_and_chars);
	tcase_add_test(tc, integers);
	tcase_add_test(tc, log_lines);
	tcase_add_test(tc, others_to_vsnprintf);
	suite_add_tcase(s, tc);
	return (s);
}

UNIT_MAIN
