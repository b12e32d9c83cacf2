/*++
 * NAME
 *	check_strbuf 1t
 * SUMMARY
 *	unit tests of strbuf
 *--*/
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "strbuf.h"
#include "unit.h"

START_TEST(zeroed_is_empty)
{
	struct strbuf sb = { 0 };

	ck_assert_ptr_nonnull(strbuf_str(&sb));
	ck_assert_str_eq(strbuf_str(&sb), "");
	ck_assert_uint_eq(sb.len, 0);
	strbuf_reset(&sb);		/* harmless before the first append */
	ck_assert_str_eq(strbuf_str(&sb), "");
	strbuf_free(&sb);
	ck_assert_str_eq(strbuf_str(&sb), "");
}
END_TEST

START_TEST(append_zero_bytes_terminates)
{
	struct strbuf sb = { 0 };

	ck_assert(strbuf_append(&sb, "", 0));
	ck_assert_ptr_nonnull(sb.s);
	ck_assert_str_eq(sb.s, "");
	strbuf_free(&sb);
}
END_TEST

START_TEST(append_keeps_nul_bytes)
{
	struct strbuf sb = { 0 };

	ck_assert(strbuf_append(&sb, "a\0b", 3));
	ck_assert(strbuf_puts(&sb, "cd"));
	ck_assert_uint_eq(sb.len, 5);
	ck_assert_mem_eq(sb.s, "a\0bcd", 6);	/* terminator included */
	strbuf_free(&sb);
}
END_TEST

START_TEST(grows_without_truncation)
{
	struct strbuf sb = { 0 };
	size_t	i;

	for (i = 0; i < 10000; i++)
		ck_assert(strbuf_append(&sb, &"0123456789"[i % 10], 1));
	ck_assert_uint_eq(sb.len, 10000);
	ck_assert_uint_eq(strlen(strbuf_str(&sb)), 10000);
	ck_assert_uint_gt(sb.cap, sb.len);
	for (i = 0; i < 10000; i++)
		ck_assert_int_eq(sb.s[i], (char)('0' + i % 10));
	strbuf_free(&sb);
}
END_TEST

START_TEST(printf_appends)
{
	struct strbuf sb = { 0 };
	char	big[3000];

	ck_assert(strbuf_puts(&sb, "ICID "));
	ck_assert(strbuf_printf(&sb, "%llu MID %d %s", 10293ULL, 1404, "x"));
	ck_assert_str_eq(strbuf_str(&sb), "ICID 10293 MID 1404 x");

	/* longer than any initial allocation: must grow, not cut */
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert(strbuf_printf(&sb, "[%s]", big));
	ck_assert_uint_eq(sb.len, strlen("ICID 10293 MID 1404 x") + 2 +
			  sizeof(big) - 1);
	ck_assert_int_eq(sb.s[sb.len - 1], ']');
	ck_assert_int_eq(sb.s[sb.len], '\0');
	strbuf_free(&sb);
}
END_TEST

START_TEST(printf_empty_on_fresh_buffer)
{
	struct strbuf sb = { 0 };

	ck_assert(strbuf_printf(&sb, "%s", ""));
	ck_assert_str_eq(strbuf_str(&sb), "");
	ck_assert_uint_eq(sb.len, 0);
	strbuf_free(&sb);
}
END_TEST

START_TEST(reset_keeps_memory)
{
	struct strbuf sb = { 0 };
	char   *s;
	size_t	cap;

	ck_assert(strbuf_puts(&sb, "hello"));
	s = sb.s;
	cap = sb.cap;
	strbuf_reset(&sb);
	ck_assert_uint_eq(sb.len, 0);
	ck_assert_str_eq(strbuf_str(&sb), "");
	ck_assert_ptr_eq(sb.s, s);
	ck_assert_uint_eq(sb.cap, cap);
	ck_assert(strbuf_puts(&sb, "again"));
	ck_assert_str_eq(strbuf_str(&sb), "again");
	strbuf_free(&sb);
	ck_assert_ptr_null(sb.s);
	ck_assert_uint_eq(sb.len, 0);
	ck_assert_uint_eq(sb.cap, 0);
}
END_TEST

START_TEST(failure_leaves_buffer_unchanged)
{
	struct strbuf sb = { 0 };
	static const char dummy[1];

	ck_assert(strbuf_puts(&sb, "keep"));

	/* would overflow size_t: must fail, not wrap round */
	ck_assert(!strbuf_append(&sb, dummy, SIZE_MAX));
	ck_assert(!strbuf_append(&sb, dummy, SIZE_MAX - sb.len));
	ck_assert_uint_eq(sb.len, 4);
	ck_assert_str_eq(strbuf_str(&sb), "keep");

	/* representable but not allocatable */
	ck_assert(!strbuf_append(&sb, dummy, SIZE_MAX / 8));
	ck_assert_uint_eq(sb.len, 4);
	ck_assert_str_eq(strbuf_str(&sb), "keep");

	ck_assert(strbuf_puts(&sb, "!"));
	ck_assert_str_eq(strbuf_str(&sb), "keep!");
	strbuf_free(&sb);
}
END_TEST

/* printf into the room a buffer has, and past it: the same text */
START_TEST(printf_fills_room_then_grows)
{
	struct strbuf sb = { 0 };
	char	want[4096];
	size_t	w = 0;
	int	i;

	for (i = 0; i < 200; i++) {
		ck_assert(strbuf_printf(&sb, "%d:%.*s;", i, i % 37,
					"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
		w += (size_t) snprintf(want + w, sizeof(want) - w, "%d:%.*s;", i, i % 37,
				       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		ck_assert_uint_eq(sb.len, w);
		ck_assert_str_eq(strbuf_str(&sb), want);
		if (i % 50 == 49) {	/* reuse: the room is the old capacity */
			strbuf_reset(&sb);
			w = 0;
			want[0] = 0;
		}
	}
	strbuf_free(&sb);
}
END_TEST

static Suite *
suite(void)
{
	Suite  *s = suite_create("strbuf");
	TCase  *tc = tcase_create("strbuf");

	tcase_add_test(tc, zeroed_is_empty);
	tcase_add_test(tc, append_zero_bytes_terminates);
	tcase_add_test(tc, append_keeps_nul_bytes);
	tcase_add_test(tc, grows_without_truncation);
	tcase_add_test(tc, printf_appends);
	tcase_add_test(tc, printf_empty_on_fresh_buffer);
	tcase_add_test(tc, reset_keeps_memory);
	tcase_add_test(tc, failure_leaves_buffer_unchanged);
	tcase_add_test(tc, printf_fills_room_then_grows);
	suite_add_tcase(s, tc);
	return (s);
}

UNIT_MAIN
