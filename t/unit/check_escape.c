/*++
 * NAME
 *	check_escape 1t
 * SUMMARY
 *	unit tests of escape
 *--*/
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "unit.h"

/* Inputs carry their length so that embedded NUL bytes can be tested. */
#define IN(s)	s, sizeof(s) - 1

static const struct {
	const char *in;
	size_t	len;
	const char *out;
} cases[] = {
	{IN(""), ""},
	{IN("plain ASCII <user@example.com>"), "plain ASCII <user@example.com>"},
	{IN("~ and space"), "~ and space"},
	/* backslash doubled, so "\x41" in input cannot pass for an escape */
	{IN("a\\b"), "a\\\\b"},
	{IN("\\x41"), "\\\\x41"},
	/* control bytes and DEL */
	{IN("a\0b"), "a\\x00b"},
	{IN("\0"), "\\x00"},
	{IN("\x01\x1f\x7f"), "\\x01\\x1f\\x7f"},
	{IN("tab\there"), "tab\\x09here"},
	{IN("\x1b[31mred"), "\\x1b[31mred"},
	/* log forging: a fake line after CR/LF */
	{IN("x\r\nICID 1 RELAY SG RELAY_SG"), "x\\x0d\\x0aICID 1 RELAY SG RELAY_SG"},
	{IN("x\nMessage finished MID 1 done"), "x\\x0aMessage finished MID 1 done"},
	/* valid UTF-8 at the boundaries of each length */
	/* C1 controls are escaped: U+009B is a terminal's CSI */
	{IN("\xc2\x80"), "\\xc2\\x80"},			/* U+0080 */
	{IN("\xc2\x9b[2J"), "\\xc2\\x9b[2J"},		/* U+009B */
	{IN("\xc2\xa0"), "\xc2\xa0"},			/* U+00A0 */
	{IN("\xdf\xbf"), "\xdf\xbf"},			/* U+07FF */
	{IN("\xe0\xa0\x80"), "\xe0\xa0\x80"},		/* U+0800 */
	{IN("\xed\x9f\xbf"), "\xed\x9f\xbf"},		/* U+D7FF */
	{IN("\xee\x80\x80"), "\xee\x80\x80"},		/* U+E000 */
	{IN("\xef\xbf\xbf"), "\xef\xbf\xbf"},		/* U+FFFF */
	{IN("\xf0\x90\x80\x80"), "\xf0\x90\x80\x80"},	/* U+10000 */
	{IN("\xf4\x8f\xbf\xbf"), "\xf4\x8f\xbf\xbf"},	/* U+10FFFF */
	{IN("J\xc3\xbcrgen \xe2\x82\xac \xf0\x9f\x98\x80"),
	 "J\xc3\xbcrgen \xe2\x82\xac \xf0\x9f\x98\x80"},
	/* overlongs */
	{IN("\xc0\xaf"), "\\xc0\\xaf"},			/* '/' in 2 bytes */
	{IN("\xc1\xbf"), "\\xc1\\xbf"},
	{IN("\xc0\x8a"), "\\xc0\\x8a"},			/* LF in 2 bytes */
	{IN("\xe0\x80\xaf"), "\\xe0\\x80\\xaf"},
	{IN("\xe0\x9f\xbf"), "\\xe0\\x9f\\xbf"},	/* U+07FF in 3 bytes */
	{IN("\xf0\x80\x80\xaf"), "\\xf0\\x80\\x80\\xaf"},
	{IN("\xf0\x8f\xbf\xbf"), "\\xf0\\x8f\\xbf\\xbf"},	/* U+FFFF in 4 */
	/* surrogates */
	{IN("\xed\xa0\x80"), "\\xed\\xa0\\x80"},	/* U+D800 */
	{IN("\xed\xbf\xbf"), "\\xed\\xbf\\xbf"},	/* U+DFFF */
	{IN("\xed\xa0\xbd\xed\xb8\x80"),		/* CESU-8 pair */
	 "\\xed\\xa0\\xbd\\xed\\xb8\\x80"},
	/* beyond U+10FFFF */
	{IN("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80"},	/* U+110000 */
	{IN("\xf5\x80\x80\x80"), "\\xf5\\x80\\x80\\x80"},
	{IN("\xf8\x88\x80\x80\x80"), "\\xf8\\x88\\x80\\x80\\x80"},
	{IN("\xfe\xff"), "\\xfe\\xff"},
	/* stray continuation bytes */
	{IN("\x80"), "\\x80"},
	{IN("a\xbf" "b"), "a\\xbfb"},
	/* truncated at the end of the input */
	{IN("\xc3"), "\\xc3"},
	{IN("\xe2\x82"), "\\xe2\\x82"},
	{IN("\xf0\x9f\x98"), "\\xf0\\x9f\\x98"},
	/* invalid continuation: the next valid character survives */
	{IN("\xc3" "A"), "\\xc3A"},
	{IN("\xe2\x82" "A"), "\\xe2\\x82A"},
	{IN("\xe2\xc3\xa9"), "\\xe2\xc3\xa9"},
	{IN("\xf0\x9f\x98\n"), "\\xf0\\x9f\\x98\\x0a"},
	{IN("\xc3\x0a"), "\\xc3\\x0a"},
};

START_TEST(table)
{
	struct strbuf sb = {0};

	ck_assert(strbuf_puts(&sb, "pre:"));
	ck_assert(escape_append(&sb, cases[_i].in, cases[_i].len));
	ck_assert_msg(strncmp(strbuf_str(&sb), "pre:", 4) == 0,
		      "case %d: prefix lost", _i);
	ck_assert_msg(strcmp(strbuf_str(&sb) + 4, cases[_i].out) == 0,
		      "case %d: got \"%s\", want \"%s\"", _i,
		      strbuf_str(&sb) + 4, cases[_i].out);
	ck_assert_uint_eq(sb.len, 4 + strlen(cases[_i].out));
	strbuf_free(&sb);
}
END_TEST

/* Whatever goes in, the result has no control byte and no lone '\'. */
START_TEST(every_byte)
{
	struct strbuf sb = {0};
	char	in[256];
	const char *s;
	int	c;

	for (c = 0; c < 256; c++)
		in[c] = (char)c;
	ck_assert(escape_append(&sb, in, sizeof(in)));
	for (s = strbuf_str(&sb); *s; s++) {
		ck_assert_msg((unsigned char)*s >= 0x20 && *s != 0x7f,
			      "control byte 0x%02x in output",
			      (unsigned char)*s);
		ck_assert_msg((unsigned char)*s < 0x80,
			      "lone byte 0x%02x copied", (unsigned char)*s);
		if (*s == '\\') {
			s++;
			ck_assert(*s == '\\' || *s == 'x');
		}
	}
	ck_assert_uint_eq(sb.len, strlen(strbuf_str(&sb)));
	strbuf_free(&sb);
}
END_TEST

START_TEST(str)
{
	char   *s;

	s = escape_str("a\r\nb\\\xff");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "a\\x0d\\x0ab\\\\\\xff");
	free(s);
	s = escape_str("");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

static Suite *
suite(void)
{
	Suite  *s = suite_create("escape");
	TCase  *tc = tcase_create("escape");

	tcase_add_loop_test(tc, table, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, every_byte);
	tcase_add_test(tc, str);
	suite_add_tcase(s, tc);
	return (s);
}

UNIT_MAIN
