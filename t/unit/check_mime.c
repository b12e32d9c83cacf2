/*++
 * NAME
 *	check_mime 1t
 * SUMMARY
 *	unit tests of the streaming MIME scanner: every file name encoding,
 *	nesting and its limit, long and missing boundaries, garbage, and the
 *	same answer for every chunking
 *--*/
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "strbuf.h"
#include "unit.h"

#define CHUNK	65535		/* what Postfix and Sendmail pass at once */
#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))

/* repeat - s, n times, then cut to len bytes (0: no cut); one assertion */

static void
repeat(struct strbuf *sb, const char *s, size_t n, size_t len)
{
	size_t	start = sb->len;
	bool	ok = true;

	while (n-- > 0)
		ok &= strbuf_puts(sb, s);
	ck_assert(ok);
	if (len > 0 && sb->len > start + len) {
		sb->len = start + len;
		sb->s[sb->len] = '\0';
	}
}

struct res {
	size_t	fmax;
	unsigned anom;
};

/*
 * begin - the top-level header of msg as libmilter passes it: one call
 * per field, folded lines joined by join ("\n" Postfix, "\r\n" Sendmail),
 * one leading space stripped. Returns the body (after the empty line).
 */
static const char *
begin(struct mime_scan *m, const char *msg, const char *join)
{
	struct strbuf name = {0}, value = {0};
	const char *p = msg, *eol, *colon;
	bool	have = false;

	mime_scan_init(m);
	for (;;) {
		eol = strstr(p, "\r\n");
		ck_assert_ptr_nonnull(eol);
		if ((*p == ' ' || *p == '\t') && have) {
			ck_assert(strbuf_puts(&value, join));
			ck_assert(strbuf_append(&value, p, (size_t) (eol - p)));
		} else {
			if (have)
				mime_scan_header(m, strbuf_str(&name),
						 strbuf_str(&value));
			if (eol == p)
				break;
			colon = memchr(p, ':', (size_t) (eol - p));
			ck_assert_ptr_nonnull(colon);
			strbuf_reset(&name);
			strbuf_reset(&value);
			ck_assert(strbuf_append(&name, p, (size_t) (colon - p)));
			colon += colon[1] == ' ' ? 2 : 1;
			ck_assert(strbuf_append(&value, colon,
						(size_t) (eol - colon)));
			have = true;
		}
		p = eol + 2;
	}
	strbuf_free(&name);
	strbuf_free(&value);
	return (eol + 2);
}

static struct res
finish(struct mime_scan *m)
{
	struct res r;

	mime_scan_end(m);
	r.fmax = mime_scan_filename_max(m);
	r.anom = mime_scan_anomalies(m);
	return (r);
}

/* run_step - the body of msg in pieces of at most step bytes */

static struct res
run_step(const char *msg, size_t len, const char *join, size_t step)
{
	static struct mime_scan m;	/* not on the stack: proves nothing */
	const char *body = begin(&m, msg, join);
	size_t	off, n, blen = len - (size_t) (body - msg);

	for (off = 0; off < blen; off += n) {
		n = blen - off < step ? blen - off : step;
		mime_scan_feed(&m, (const unsigned char *) body + off, n);
	}
	return (finish(&m));
}

static struct res
run(const char *msg)
{
	return (run_step(msg, strlen(msg), "\n", CHUNK));
}

/* fname - the longest file name of msg, checked against every chunking */

static size_t
fname(const char *msg)
{
	struct res a = run(msg), b, c;

	b = run_step(msg, strlen(msg), "\r\n", 1);
	c = run_step(msg, strlen(msg), "\n", 3);
	ck_assert_uint_eq(a.fmax, b.fmax);
	ck_assert_uint_eq(a.anom, b.anom);
	ck_assert_uint_eq(a.fmax, c.fmax);
	ck_assert_uint_eq(a.anom, c.anom);
	return (a.fmax);
}

/* top - a one-part message whose header has the field given */

static size_t
top(const char *field)
{
	struct strbuf sb = {0};
	size_t	n;

	ck_assert(strbuf_printf(&sb, "From: a@b\r\n%s\r\n\r\nbody\r\n", field));
	n = fname(strbuf_str(&sb));
	ck_assert_uint_eq(run(strbuf_str(&sb)).anom, 0);
	strbuf_free(&sb);
	return (n);
}

/* part - a multipart/mixed message with one part whose header has field */

static size_t
part(const char *field)
{
	struct strbuf sb = {0};
	size_t	n;

	ck_assert(strbuf_printf(&sb,
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
		"preamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
		"--b1\r\n%s\r\n\r\nAAAA\r\n--b1--\r\nepilogue\r\n", field));
	n = fname(strbuf_str(&sb));
	ck_assert_uint_eq(run(strbuf_str(&sb)).anom, 0);
	strbuf_free(&sb);
	return (n);
}

/* both - the same length in the top-level header and in a part header */

static size_t
both(const char *field)
{
	size_t	n = top(field);

	ck_assert_uint_eq(part(field), n);
	return (n);
}

/* A header field and the file name length it must give. */
struct name_case {
	const char *field;
	size_t	want;
};

/* check_names - each field, top-level and in a part header */

static void
check_names(const struct name_case *c, size_t n)
{
	size_t	i, got;

	for (i = 0; i < n; i++) {
		got = both(c[i].field);
		ck_assert_msg(got == c[i].want, "%s: got %zu, want %zu",
			      c[i].field, got, c[i].want);
	}
}

static const struct name_case plain_names_cases[] = {
	{"Content-Disposition: attachment; filename=\"abc.txt\"", 7},
	{"Content-Disposition: attachment; filename=abc.txt", 7},
	{"Content-Type: application/pdf; name=report.pdf", 10},
	{"Content-Type: application/pdf; name=\"\"", 0},
	{"Content-Type: text/plain; charset=us-ascii", 0},
	/* filename belongs to Content-Disposition, name to Content-Type */
	{"Content-Type: text/plain; filename=abcdef", 0},
	{"Content-Disposition: inline; name=abcdef", 0},
	{"X-Other: attachment; filename=abcdef", 0},
};

START_TEST(plain_names)
{
	check_names(plain_names_cases, NCASES(plain_names_cases));
}
END_TEST

static const struct name_case case_insensitive_cases[] = {
	{"CONTENT-DISPOSITION: ATTACHMENT; FILENAME=abc", 3},
	{"content-type: image/png; NaMe=\"abcd\"", 4},
	{"Content-Disposition: attachment; FileName*=UTF-8''%41%42", 2},
};

START_TEST(case_insensitive)
{
	check_names(case_insensitive_cases, NCASES(case_insensitive_cases));
}
END_TEST

static const struct name_case quoted_strings_cases[] = {
	/* a"b\c */
	{"Content-Disposition: attachment; filename=\"a\\\"b\\\\c\"", 5},
	/* ; and ( inside quotes are text */
	{"Content-Disposition: attachment; filename=\"a;b(c)d\"", 7},
	/* blanks around a value do not count, quoted ones do */
	{"Content-Disposition: attachment; filename=   abc   ", 3},
	{"Content-Disposition: attachment; filename=\" abc \"", 5},
	{"Content-Disposition: attachment; filename=a b  c", 6},
	{"Content-Disposition: attachment; filename = \"abc\" ; size=3", 3},
	/* two filename parameters: two names, the longer counts */
	{"Content-Disposition: attachment; filename=ab; filename=abcd", 4},
};

START_TEST(quoted_strings)
{
	check_names(quoted_strings_cases, NCASES(quoted_strings_cases));
}
END_TEST

static const struct name_case comments_cases[] = {
	{"Content-Disposition: attachment (a comment; filename=xxxxxxxxxx); filename=abc", 3},
	{"Content-Disposition: attachment; filename=(c) \"abc\" (d (nested \\) still) e)", 3},
	{"Content-Disposition: attachment; filename(c)=abcd", 4},
	{"Content-Type: (c) text/plain (x) ; name=abcde", 5},
};

START_TEST(comments)
{
	check_names(comments_cases, NCASES(comments_cases));
}
END_TEST

static const struct name_case rfc2231_cases[] = {
	/* charset and language are not counted; %XX is one byte */
	{"Content-Disposition: attachment; filename*=utf-8''%E2%82%AC.txt", 7},
	{"Content-Disposition: attachment; filename*=UTF-8'en-us'abc", 3},
	{"Content-Disposition: attachment; filename*=''abc", 3},
	{"Content-Type: text/plain; name*=iso-8859-1''caf%e9", 4},
	/* continuations: the sum of the decoded sections, in any order */
	{"Content-Disposition: attachment; filename*0*=utf-8''%E2%82; filename*1*=%AC; filename*2=.txt", 7},
	{"Content-Disposition: attachment; filename*1=def; filename*0=abc", 6},
	{"Content-Disposition: attachment; filename*0=\"abc\"; filename*1=\"d e\"", 6},
	{"Content-Disposition: attachment; filename*2*=%41; filename*0*=us-ascii'en'%41; filename*1=B", 3},
	/* quoted extended values (wrong, but sent) decode the same */
	{"Content-Disposition: attachment; filename*=\"utf-8''%41%42\"", 2},
	/* a broken %: literal */
	{"Content-Disposition: attachment; filename*=utf-8''%4", 2},
	{"Content-Disposition: attachment; filename*=utf-8''%%41", 2},
	{"Content-Disposition: attachment; filename*=utf-8''%G1", 3},
	/* no charset'lang': the value as it is */
	{"Content-Disposition: attachment; filename*=abc%41", 6},
	/* the plain and the RFC 2231 name are two names */
	{"Content-Disposition: attachment; filename=\"fallback.txt\"; filename*=utf-8''%41", 12},
	{"Content-Disposition: attachment; filename=\"a\"; filename*0=abc; filename*1=def", 6},
	/* not file names */
	{"Content-Disposition: attachment; filename*x=abcdef", 0},
	{"Content-Disposition: attachment; filenames=abcdef", 0},
};

START_TEST(rfc2231)
{
	check_names(rfc2231_cases, NCASES(rfc2231_cases));
}
END_TEST

static const struct name_case rfc2047_cases[] = {
	/* "école.txt" in UTF-8: 10 bytes */
	{"Content-Disposition: attachment; filename=\"=?utf-8?B?w6ljb2xlLnR4dA==?=\"", 10},
	{"Content-Disposition: attachment; filename=\"=?UTF-8?b?w6ljb2xlLnR4dA?=\"", 10},
	/* "café au lait.txt" in Latin-1: 16 bytes */
	{"Content-Type: text/plain; name=\"=?iso-8859-1?Q?caf=E9_au_lait.txt?=\"", 16},
	{"Content-Type: text/plain; name=\"=?ISO-8859-1?q?caf=e9?=\"", 4},
	/* unquoted */
	{"Content-Disposition: attachment; filename==?utf-8?Q?abc?=", 3},
	/* blanks between adjacent encoded words are dropped, others not */
	{"Content-Disposition: attachment; filename=\"=?utf-8?Q?ab?=  =?utf-8?B?YWJj?=\"", 5},
	{"Content-Disposition: attachment; filename=\"=?utf-8?Q?ab?= cd\"", 5},
	{"Content-Disposition: attachment; filename=\"ab =?utf-8?Q?cd?=\"", 5},
	{"Content-Disposition: attachment; filename=\"x=?utf-8?Q?ab?=y\"", 4},
	/* around text and an equal sign */
	{"Content-Disposition: attachment; filename=\"a=b.txt\"", 7},
	/* language in the charset (RFC 2231 section 5) */
	{"Content-Disposition: attachment; filename=\"=?utf-8*en?Q?ab?=\"", 2},
	/* malformed words count literally */
	{"Content-Disposition: attachment; filename=\"=?utf-8?X?abc?=\"", 15},
	{"Content-Disposition: attachment; filename=\"=?utf-8?B?abc\"", 13},
	{"Content-Disposition: attachment; filename=\"=?utf-8?Q?a=ZZ?=\"", 16},
	{"Content-Disposition: attachment; filename=\"=?utf-8?B?a*b?=\"", 15},
	{"Content-Disposition: attachment; filename=\"=??Q?ab?=\"", 9},
	{"Content-Disposition: attachment; filename=\"=?utf-8?Q?a b?=\"", 15},
	{"Content-Disposition: attachment; filename=\"=?utf-8?Q?ab?\"", 13},
	/* a broken word does not take the next good one with it */
	{"Content-Disposition: attachment; filename=\"=?x=?utf-8?Q?ab?=\"", 5},
	/* in a non-extended RFC 2231 section too */
	{"Content-Disposition: attachment; filename*0=\"=?utf-8?Q?ab?=\"; filename*1=c", 3},
};

START_TEST(rfc2047)
{
	check_names(rfc2047_cases, NCASES(rfc2047_cases));
}
END_TEST

/* Postfix joins folded lines with LF, Sendmail with CRLF: same names */

START_TEST(folding)
{
	static const char *msg =
		"Content-Disposition: attachment;\r\n"
		"\tfilename=\"=?utf-8?Q?ab?=\r\n"
		" =?utf-8?Q?cd?=\"\r\n"
		"Content-Type: text/plain;\r\n"
		"  name=\"a\r\n b\"\r\n\r\nbody\r\n";

	ck_assert_uint_eq(run_step(msg, strlen(msg), "\n", CHUNK).fmax, 4);
	ck_assert_uint_eq(run_step(msg, strlen(msg), "\r\n", CHUNK).fmax, 4);
	ck_assert_uint_eq(fname(msg), 4);
	/* the same folds in a part header */
	ck_assert_uint_eq(part(
		"Content-Disposition: attachment;\r\n"
		"\tfilename=\"=?utf-8?Q?ab?=\r\n"
		" =?utf-8?Q?cd?=\"\r\n"
		"Content-Type: text/plain;\r\n"
		"  name=\"a\r\n b\""), 4);
}
END_TEST

/* N passes, N+1 fires: the exact length on both sides of 255 */

START_TEST(rule_boundary)
{
	struct strbuf f = {0};
	size_t	n, i;

	for (n = 254; n <= 257; n++) {
		strbuf_reset(&f);
		ck_assert(strbuf_puts(&f, "Content-Disposition: attachment; filename=\""));
		repeat(&f, "x", n, 0);
		ck_assert(strbuf_puts(&f, "\""));
		ck_assert_uint_eq(both(strbuf_str(&f)), n);

		/* the same length as RFC 2231 %XX sections of 10 bytes */
		strbuf_reset(&f);
		ck_assert(strbuf_puts(&f, "Content-Disposition: attachment"));
		for (i = 0; i < n; i++) {
			if (i % 10 == 0)
				ck_assert(strbuf_printf(&f, ";\r\n filename*%zu*=%s",
						   i / 10, i ? "" : "utf-8''"));
			ck_assert(strbuf_puts(&f, "%c3"));
		}
		ck_assert_uint_eq(both(strbuf_str(&f)), n);
	}
	strbuf_free(&f);
}
END_TEST

/*
 * A 1 MB Content-Disposition field: the exact length with the fixed
 * memory of the struct, and growing while its chunks arrive.
 */
START_TEST(huge_field)
{
	static struct mime_scan m;
	const size_t n = 1 << 20;
	struct strbuf sb = {0};
	const char *body;
	size_t	off, len, last = 0, grew = 0;

	ck_assert(strbuf_puts(&sb, "attachment; filename=\""));
	repeat(&sb, "abcdefgh", n / 8, 0);
	ck_assert(strbuf_puts(&sb, "\""));
	mime_scan_init(&m);
	mime_scan_header(&m, "Content-Disposition", strbuf_str(&sb));
	ck_assert_uint_eq(mime_scan_filename_max(&m), n);

	/* the same as one part of a multipart, fed in MTA chunks */
	strbuf_reset(&sb);
	ck_assert(strbuf_puts(&sb, "Content-Type: multipart/mixed; boundary=B\r\n\r\n"
			      "--B\r\nContent-Disposition: attachment; filename=\""));
	repeat(&sb, "abcdefgh", n / 8, 0);
	ck_assert(strbuf_puts(&sb, "\"; filename*=utf-8''"));
	repeat(&sb, "%41", n, 0);
	ck_assert(strbuf_puts(&sb, "\r\n\r\nbody\r\n--B--\r\n"));
	body = begin(&m, strbuf_str(&sb), "\n");
	len = sb.len - (size_t) (body - sb.s);
	for (off = 0; off < len; off += CHUNK) {
		mime_scan_feed(&m, (const unsigned char *) body + off,
			       len - off < CHUNK ? len - off : CHUNK);
		if (mime_scan_filename_max(&m) > last)
			grew++;
		last = mime_scan_filename_max(&m);
	}
	ck_assert_uint_gt(grew, 10);
	ck_assert_uint_eq(finish(&m).fmax, n);
	ck_assert_uint_eq(finish(&m).anom, 0);

	/* a 1 MB encoded word: 3/4 of it decoded */
	strbuf_reset(&sb);
	ck_assert(strbuf_puts(&sb, "attachment; filename=\"=?utf-8?B?"));
	repeat(&sb, "Q", n, 0);
	ck_assert(strbuf_puts(&sb, "?=\""));
	mime_scan_init(&m);
	mime_scan_header(&m, "Content-Disposition", strbuf_str(&sb));
	ck_assert_uint_eq(mime_scan_filename_max(&m), n / 4 * 3);

	/* ... counted while it arrives, in a part header */
	strbuf_reset(&sb);
	ck_assert(strbuf_puts(&sb, "--B\r\nContent-Disposition: attachment; filename=\"=?utf-8?B?"));
	repeat(&sb, "Q", n, 0);
	mime_scan_init(&m);
	mime_scan_header(&m, "Content-Type", "multipart/mixed; boundary=B");
	mime_scan_feed(&m, (const unsigned char *) sb.s, sb.len);
	ck_assert_uint_eq(mime_scan_filename_max(&m), n / 4 * 3);
	mime_scan_feed(&m, (const unsigned char *) "?=\"\r\n\r\n--B--\r\n", 14);
	ck_assert_uint_eq(finish(&m).fmax, n / 4 * 3);
	strbuf_free(&sb);
}
END_TEST

/*
 * nest - depth multiparts, each the only part of the one above; no
 * boundary is a prefix of another (RFC 2046 5.1.1)
 */
static void
nest(struct strbuf *sb, int depth, const char *inner)
{
	bool	ok = true;
	int	i;

	strbuf_reset(sb);
	ck_assert(strbuf_puts(sb, "Content-Type: multipart/mixed; boundary=\"L0000\"\r\n\r\n"));
	for (i = 1; i < depth; i++)
		ok &= strbuf_printf(sb, "--L%04d\r\nContent-Type: multipart/related; boundary=L%04d\r\n\r\n",
				    i - 1, i);
	ok &= strbuf_printf(sb, "--L%04d\r\n%s\r\n\r\ndata\r\n", depth - 1, inner);
	for (i = depth - 1; i >= 0; i--)
		ok &= strbuf_printf(sb, "--L%04d--\r\n", i);
	ck_assert(ok);
}

START_TEST(nested)
{
	struct strbuf sb = {0};
	struct res r;

	nest(&sb, 3, "Content-Disposition: attachment; filename=abcdef");
	ck_assert_uint_eq(fname(strbuf_str(&sb)), 6);
	ck_assert_uint_eq(run(strbuf_str(&sb)).anom, 0);

	/* a message/rfc822 part: its header is a part header */
	strbuf_reset(&sb);
	ck_assert(strbuf_puts(&sb,
		"Content-Type: multipart/mixed; boundary=outer\r\n\r\n"
		"--outer\r\nContent-Type: text/plain\r\n\r\ntext\r\n"
		"--outer\r\nContent-Type: message/rfc822\r\n\r\n"
		"From: x@y\r\nSubject: fwd\r\n"
		"Content-Type: multipart/mixed;\r\n boundary=\"inner\"\r\n\r\n"
		"--inner\r\nContent-Type: application/zip;\r\n name=\"abcdefgh.zip\"\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\nUEsDBA==\r\n"
		"--inner--\r\n"
		"--outer\r\nContent-Disposition: attachment; filename=abc\r\n\r\nx\r\n"
		"--outer--\r\n"));
	r = run(strbuf_str(&sb));
	ck_assert_uint_eq(fname(strbuf_str(&sb)), 12);
	ck_assert_uint_eq(r.anom, 0);

	/* a top-level message/rfc822 with a name in the inner header */
	ck_assert_uint_eq(fname("Content-Type: message/rfc822\r\n\r\n"
				"Content-Type: text/plain; name=abcde\r\n\r\nbody\r\n"), 5);

	/* digest parts are message/rfc822 unless they say otherwise */
	ck_assert_uint_eq(fname("Content-Type: multipart/digest; boundary=d\r\n\r\n"
				"--d\r\n\r\nSubject: one\r\nContent-Type: text/plain; name=abcd\r\n\r\nx\r\n"
				"--d\r\nContent-Type: text/plain\r\n\r\nContent-Type: text/plain; name=abcdefghij\r\n"
				"--d--\r\n"), 4);
	strbuf_free(&sb);
}
END_TEST

START_TEST(depth_limit)
{
	struct strbuf sb = {0};
	struct res r;
	char	msg[200];

	/* 16 levels are followed */
	nest(&sb, MIME_DEPTH_MAX, "Content-Disposition: attachment; filename=abcdef");
	r = run(strbuf_str(&sb));
	ck_assert_uint_eq(r.fmax, 6);
	ck_assert_uint_eq(r.anom, 0);

	/* the 17th is not, and says so */
	nest(&sb, MIME_DEPTH_MAX + 1, "Content-Disposition: attachment; filename=abcdef");
	r = run(strbuf_str(&sb));
	ck_assert_uint_eq(fname(strbuf_str(&sb)), 0);
	ck_assert_uint_eq(r.anom, MIME_ANOMALY_DEPTH);

	/* message/rfc822 counts toward the depth */
	nest(&sb, MIME_DEPTH_MAX, "Content-Type: message/rfc822\r\n\r\n"
	     "Content-Disposition: attachment; filename=abcdef");
	r = run(strbuf_str(&sb));
	ck_assert_uint_eq(r.fmax, 0);
	ck_assert_uint_eq(r.anom, MIME_ANOMALY_DEPTH);
	nest(&sb, MIME_DEPTH_MAX - 1, "Content-Type: message/rfc822\r\n\r\n"
	     "Content-Disposition: attachment; filename=abcdef");
	r = run(strbuf_str(&sb));
	ck_assert_uint_eq(r.fmax, 6);
	ck_assert_uint_eq(r.anom, 0);

	/* a thousand levels: no more memory, no crash */
	nest(&sb, 1000, "Content-Disposition: attachment; filename=abcdef");
	r = run(strbuf_str(&sb));
	ck_assert_uint_eq(fname(strbuf_str(&sb)), 0);
	ck_assert_uint_eq(r.anom, MIME_ANOMALY_DEPTH);

	snprintf(msg, sizeof(msg), "%s", mime_scan_anomaly_text(MIME_ANOMALY_DEPTH));
	ck_assert_str_eq(msg, "MIME nesting deeper than 16");
	strbuf_free(&sb);
}
END_TEST

/* bmsg - a multipart whose boundary has n bytes, a name inside */

static void
bmsg(struct strbuf *sb, size_t n)
{
	struct strbuf b = {0};

	repeat(&b, "0123456789'()+_,-./:=?", n / 22 + 1, n);
	strbuf_reset(sb);
	ck_assert(strbuf_printf(sb, "Content-Type: multipart/mixed;\r\n"
			       " boundary=\"%s\"\r\n\r\n"
			       "--%s\r\nContent-Disposition: attachment; filename=abc\r\n\r\nx\r\n"
			       "--%s--\r\n", strbuf_str(&b), strbuf_str(&b),
			       strbuf_str(&b)));
	strbuf_free(&b);
}

START_TEST(long_boundary)
{
	struct strbuf sb = {0};
	struct res r;

	bmsg(&sb, 70);
	r = run(strbuf_str(&sb));
	ck_assert_uint_eq(fname(strbuf_str(&sb)), 3);
	ck_assert_uint_eq(r.anom, 0);
	bmsg(&sb, MIME_BOUNDARY_MAX);
	r = run(strbuf_str(&sb));
	ck_assert_uint_eq(fname(strbuf_str(&sb)), 3);
	ck_assert_uint_eq(r.anom, 0);
	bmsg(&sb, MIME_BOUNDARY_MAX + 1);
	r = run(strbuf_str(&sb));
	ck_assert_uint_eq(fname(strbuf_str(&sb)), 0);
	ck_assert_uint_eq(r.anom, MIME_ANOMALY_BOUNDARY_LONG);
	/* blanks after an unquoted value are not part of it */
	strbuf_reset(&sb);
	ck_assert(strbuf_puts(&sb, "Content-Type: multipart/mixed; boundary="));
	repeat(&sb, "x", MIME_BOUNDARY_MAX, 0);
	ck_assert(strbuf_puts(&sb, "   ; charset=x\r\n\r\n--"));
	repeat(&sb, "x", MIME_BOUNDARY_MAX, 0);
	ck_assert(strbuf_puts(&sb, "\r\nContent-Type: text/plain; name=abc\r\n\r\n--"));
	repeat(&sb, "x", MIME_BOUNDARY_MAX, 0);
	ck_assert(strbuf_puts(&sb, "--\r\n"));
	r = run(strbuf_str(&sb));
	ck_assert_uint_eq(fname(strbuf_str(&sb)), 3);
	ck_assert_uint_eq(r.anom, 0);
	bmsg(&sb, 100000);
	r = run(strbuf_str(&sb));
	ck_assert_uint_eq(fname(strbuf_str(&sb)), 0);
	ck_assert_uint_eq(r.anom, MIME_ANOMALY_BOUNDARY_LONG);
	ck_assert_str_eq(mime_scan_anomaly_text(MIME_ANOMALY_BOUNDARY_LONG),
			 "multipart boundary longer than 200 bytes");
	strbuf_free(&sb);
}
END_TEST

START_TEST(boundary_forms)
{
	/* quoted with a blank, trailing blanks on the delimiter line */
	ck_assert_uint_eq(fname("Content-Type: multipart/mixed; boundary=\"a b\"\r\n\r\n"
				"--a b  \r\nContent-Type: text/plain; name=abc\r\n\r\nx\r\n--a b--\r\n"), 3);
	/* unquoted blanks after the value are not part of it */
	ck_assert_uint_eq(fname("Content-Type: multipart/mixed; boundary=ab  ; charset=x\r\n\r\n"
				"--ab\r\nContent-Type: text/plain; name=abc\r\n\r\nx\r\n--ab--\r\n"), 3);
	/* the first boundary parameter wins */
	ck_assert_uint_eq(fname("Content-Type: multipart/mixed; boundary=one; boundary=two\r\n\r\n"
				"--two\r\nContent-Type: text/plain; name=abcd\r\n\r\n"
				"--one\r\nContent-Type: text/plain; name=abc\r\n\r\nx\r\n--one--\r\n"), 3);
	/* a boundary is a prefix match; an outer one closes the inner */
	ck_assert_uint_eq(run("Content-Type: multipart/mixed; boundary=o\r\n\r\n"
			      "--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n"
			      "--i\r\n\r\nx\r\n"
			      "--o\r\nContent-Type: text/plain; name=abc\r\n\r\nx\r\n--o--\r\n").anom,
			  MIME_ANOMALY_UNTERMINATED);
	ck_assert_uint_eq(fname("Content-Type: multipart/mixed; boundary=o\r\n\r\n"
				"--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n"
				"--i\r\n\r\nx\r\n"
				"--o\r\nContent-Type: text/plain; name=abc\r\n\r\nx\r\n--o--\r\n"), 3);
	/* innermost first: an inner boundary the outer one is a prefix of */
	ck_assert_uint_eq(run("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
			      "--b\r\nContent-Type: multipart/mixed; boundary=bb\r\n\r\n"
			      "--bb\r\nContent-Type: text/plain; name=abcd\r\n\r\n"
			      "--bb--\r\n--b--\r\n").anom, 0);
	/* a part header ended by the next boundary: an empty part */
	ck_assert_uint_eq(fname("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
				"--b\r\nContent-Type: text/plain; name=ab\r\n"
				"--b\r\nContent-Type: text/plain; name=abcd\r\n\r\n--b--\r\n"), 4);
	/* at the very end, without a final CRLF, whatever the chunks */
	ck_assert_uint_eq(fname("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
				"--b\r\nContent-Type: text/plain; name=a\r\n\r\nx\r\n--b--"), 1);
	ck_assert_uint_eq(run("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
			      "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--").anom, 0);
	/* part header lines starting with '-', longer than a boundary */
	ck_assert_uint_eq(fname("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
				"--b\r\n-----Content-Disposition: attachment; filename=abcdef\r\n"
				"-X: y\r\nContent-Type: text/plain; name=abc\r\n\r\n--b--\r\n"), 3);
	/* a boundary in a quoted-printable soft line break is none */
	ck_assert_uint_eq(fname("Content-Type: multipart/mixed; boundary=bound\r\n\r\n"
				"--bound\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
				"x=\r\n--bou=\r\nnd\r\nContent-Type: text/plain; name=abcdef\r\n\r\n"
				"--bound\r\nContent-Type: text/plain; name=abc\r\n\r\n--bound--\r\n"), 3);
	/* body lines that look like boundaries but are not */
	ck_assert_uint_eq(fname("Content-Type: multipart/mixed; boundary=bound\r\n\r\n"
				"--boun\r\n-- \r\n---\r\n-\r\n--\r\n"
				"--bound\r\n-- \r\nContent-Type: text/plain; name=abcdef\r\n\r\n"
				"--bound\r\nContent-Type: text/plain; name=abc\r\n\r\n--bound--\r\n"), 3);
}
END_TEST

START_TEST(anomalies)
{
	struct res r;
	unsigned bit;

	r = run("Content-Type: multipart/mixed\r\n\r\n--b\r\n"
		"Content-Type: text/plain; name=abc\r\n\r\n--b--\r\n");
	ck_assert_uint_eq(r.anom, MIME_ANOMALY_NO_BOUNDARY);
	ck_assert_uint_eq(r.fmax, 0);
	ck_assert_uint_eq(run("Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n").anom,
			  MIME_ANOMALY_NO_BOUNDARY);
	ck_assert_uint_eq(run("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
			      "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n").anom,
			  MIME_ANOMALY_UNTERMINATED);
	ck_assert_uint_eq(run("Content-Type: multipart/mixed; boundary=b\r\n\r\n").anom,
			  MIME_ANOMALY_UNTERMINATED);

	/* a line without colon ends a part header and is body */
	r = run("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
		"--b\r\nContent-Type: text/plain\r\nnot a header\r\n"
		"Content-Disposition: attachment; filename=abcdef\r\n\r\n"
		"--b\r\nX-Y : z\r\nContent-Disposition: attachment; filename=abc\r\n\r\n"
		"--b--\r\n");
	ck_assert_uint_eq(r.anom, MIME_ANOMALY_HEADER_GARBAGE);
	ck_assert_uint_eq(r.fmax, 3);

	/* a blank inside a field name */
	r = run("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
		"--b\r\nContent -Disposition: attachment; filename=abcdef\r\n\r\n--b--\r\n");
	ck_assert_uint_eq(r.anom, MIME_ANOMALY_HEADER_GARBAGE);
	ck_assert_uint_eq(r.fmax, 0);

	/* a folded line without a field before it */
	r = run("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
		"--b\r\n Content-Disposition: attachment; filename=abcdef\r\n"
		"Content-Disposition: attachment; filename=abcd\r\n\r\n--b--\r\n");
	ck_assert_uint_eq(r.anom, MIME_ANOMALY_HEADER_GARBAGE);
	ck_assert_uint_eq(r.fmax, 0);

	/* the first Content-Type decides, names are read in all */
	r = run("Content-Type: text/plain; name=abcd\r\n"
		"Content-Type: multipart/mixed; boundary=b; name=ab\r\n\r\n"
		"--b\r\nContent-Type: text/plain; name=abcdefgh\r\n\r\n--b--\r\n");
	ck_assert_uint_eq(r.anom, MIME_ANOMALY_CTYPE_REPEATED);
	ck_assert_uint_eq(r.fmax, 4);

	for (bit = 1; bit <= MIME_ANOMALY_ALL; bit <<= 1)
		ck_assert_str_ne(mime_scan_anomaly_text(bit), "unknown MIME anomaly");
	ck_assert_str_eq(mime_scan_anomaly_text(MIME_ANOMALY_ALL + 1),
			 "unknown MIME anomaly");
	ck_assert_str_eq(mime_scan_anomaly_text(0), "unknown MIME anomaly");
}
END_TEST

/* A message with a bit of everything, for the chunking tests. */

static const char mixed[] =
	"From: a@b\r\nContent-Type: multipart/mixed;\r\n boundary=\"==outer==\"\r\n"
	"MIME-Version: 1.0\r\n\r\n"
	"This is a preamble\r\n--not\r\n"
	"--==outer==\r\nContent-Type: multipart/alternative; boundary=alt\r\n\r\n"
	"--alt\r\nContent-Type: text/plain\r\n\r\nhello\r\n-- \r\nsig\r\n"
	"--alt\r\nContent-Type: text/html\r\n\r\n<p>hello</p>\r\n--alt--\r\n"
	"--==outer==\r\nContent-Type: application/octet-stream;\r\n"
	"\tname=\"=?utf-8?B?UsOpc3Vtw6kgMjAyNC5wZGY=?=\"\r\n"
	"Content-Disposition: attachment;\r\n filename*0*=utf-8''R%C3%A9sum%C3%A9;\r\n"
	" filename*1=\" 2024 (final) version.pdf\"\r\n"
	"Content-Transfer-Encoding: base64\r\n\r\n"
	"UEsDBBQAAAAIAAAAIQB8\r\nUEsDBBQAAAAIAAAAIQB8\r\n"
	"--==outer==\r\nContent-Type: message/rfc822\r\n\r\n"
	"Subject: inner\r\nContent-Type: multipart/mixed; boundary=in\r\n\r\n"
	"--in\r\nContent-Disposition: inline; filename=\"a\\\"b\"\r\n\r\nx\r\n--in--\r\n"
	"\r\n--==outer==--\r\nepilogue\r\n";

START_TEST(every_chunking)
{
	static struct mime_scan m;
	struct res want = run(mixed), r;
	const char *body;
	size_t	len, i, j, step;

	/* "Résumé" 8 bytes + " 2024 (final) version.pdf" 25 */
	ck_assert_uint_eq(want.fmax, 33);
	ck_assert_uint_eq(want.anom, 0);
	body = begin(&m, mixed, "\n");
	len = strlen(body);
	for (step = 1; step <= len; step++) {
		r = run_step(mixed, sizeof(mixed) - 1, "\n", step);
		ck_assert_uint_eq(r.fmax, want.fmax);
		ck_assert_uint_eq(r.anom, want.anom);
	}
	for (i = 0; i <= len; i++) {		/* two pieces */
		begin(&m, mixed, "\r\n");
		mime_scan_feed(&m, (const unsigned char *) body, i);
		mime_scan_feed(&m, (const unsigned char *) body + i, len - i);
		r = finish(&m);
		ck_assert_uint_eq(r.fmax, want.fmax);
		ck_assert_uint_eq(r.anom, want.anom);
	}
	for (i = 0; i <= len; i += 7)		/* three pieces */
		for (j = i; j <= len; j++) {
			begin(&m, mixed, "\n");
			mime_scan_feed(&m, (const unsigned char *) body, i);
			mime_scan_feed(&m, (const unsigned char *) body + i, j - i);
			mime_scan_feed(&m, (const unsigned char *) body + j, len - j);
			r = finish(&m);
			ck_assert_uint_eq(r.fmax, want.fmax);
			ck_assert_uint_eq(r.anom, want.anom);
		}
}
END_TEST

/* Lines straddling the 65535-byte chunk boundary, boundary lines too. */

START_TEST(straddles_chunk)
{
	static const char hdr[] =
		"Content-Type: multipart/mixed; boundary=\"b-b\"\r\n\r\n";
	struct strbuf sb = {0};
	struct res r;
	size_t	pad;

	/* the chunk ends at every byte of the last three lines but one */
	for (pad = CHUNK - 60; pad < CHUNK + 2; pad++) {
		strbuf_reset(&sb);
		ck_assert(strbuf_puts(&sb, hdr));
		ck_assert(strbuf_puts(&sb, "--b-b\r\nContent-Type: text/plain\r\n\r\n"));
		repeat(&sb, "-", sizeof(hdr) - 1 + pad - sb.len, 0);
		ck_assert(strbuf_puts(&sb, "\r\n--b-b\r\nContent-Type: text/plain; name=abcdef\r\n"
				      "\r\n--b-b--\r\n"));
		r = run(strbuf_str(&sb));
		ck_assert_uint_eq(r.fmax, 6);
		ck_assert_uint_eq(r.anom, 0);
	}
	strbuf_free(&sb);
}
END_TEST

/* Re-fed in random pieces, the answer is the same; no crash, no loop. */

static uint32_t seed = 4242;

static uint32_t
rnd(uint32_t n)
{
	seed = seed * 1103515245u + 12345u;
	return ((seed >> 8) % n);
}

static void
check_rechunked(const unsigned char *body, size_t len, const char *ctype)
{
	static struct mime_scan a, b, c;
	size_t	off, n;

	mime_scan_init(&a);
	mime_scan_init(&b);
	mime_scan_init(&c);
	mime_scan_header(&a, "Content-Type", ctype);
	mime_scan_header(&b, "Content-Type", ctype);
	mime_scan_header(&c, "Content-Type", ctype);
	mime_scan_feed(&a, body, len);
	mime_scan_end(&a);
	for (off = 0; off < len; off += n) {
		n = rnd(40);
		if (n > len - off)
			n = len - off;
		mime_scan_feed(&b, body + off, n);
	}
	mime_scan_end(&b);
	for (off = 0; off < len; off++)
		mime_scan_feed(&c, body + off, 1);
	mime_scan_end(&c);
	ck_assert_uint_eq(mime_scan_filename_max(&a), mime_scan_filename_max(&b));
	ck_assert_uint_eq(mime_scan_anomalies(&a), mime_scan_anomalies(&b));
	ck_assert_uint_eq(mime_scan_filename_max(&a), mime_scan_filename_max(&c));
	ck_assert_uint_eq(mime_scan_anomalies(&a), mime_scan_anomalies(&c));
	ck_assert_uint_eq(mime_scan_anomalies(&a) & ~MIME_ANOMALY_ALL, 0);
	ck_assert_uint_le(mime_scan_filename_max(&a), len + 100);
}

START_TEST(fuzz)
{
	static const char *frag[] = {
		"--a\r\n", "--a--\r\n", "--b\r\n", "--b--\r\n", "--a", "-",
		"\r\n", "\n", "\r", "\0", "\r\n\r\n", " ", "\t", "\"", "\\",
		"(", ")", ";", "=", "?", "'", "%", "*", "%4", "=?", "?=",
		"=?utf-8?B?", "=?x?Q?", "YWJj", "=41",
		"Content-Type: ", "content-type:multipart/mixed; boundary=",
		"Content-Type: multipart/mixed; boundary=b\r\n",
		"Content-Type: message/rfc822\r\n\r\n",
		"Content-Type: multipart/digest; boundary=\"a\"\r\n",
		"Content-Disposition: attachment; filename=",
		"Content-Disposition: attachment; filename*0*=utf-8''",
		"; filename*1=", "; name=", "x", "abcdef", "\xff\xfe",
		"Subject: x\r\n", "no colon\r\n", " folded\r\n",
	};
	static const char *ctypes[] = {
		"multipart/mixed; boundary=a", "multipart/mixed; boundary=\"b\"",
		"message/rfc822", "text/plain", "multipart/digest; boundary=a",
		"multipart/mixed",
	};
	unsigned char buf[2048];
	size_t	len, n, k;
	int	round, i;

	for (round = 0; round < 3000; round++) {
		len = 0;
		k = rnd(60);
		for (i = 0; i < (int) k; i++) {
			const char *f = frag[rnd(NCASES(frag))];

			n = *f ? strlen(f) : 1;		/* "\0" is a NUL byte */
			if (len + n > sizeof(buf))
				break;
			memcpy(buf + len, f, n);
			len += n;
		}
		if (round % 4 == 3)			/* and plain noise */
			for (n = rnd(300); n > 0 && len < sizeof(buf); n--)
				buf[len++] = (unsigned char) rnd(256);
		check_rechunked(buf, len, ctypes[rnd(NCASES(ctypes))]);
	}
}
END_TEST

/* Random top-level values: no crash, and bounded by their length. */

START_TEST(fuzz_header)
{
	static const char alpha[] = "a=?\"\\();*'%BQ0 \t\r\nfilename*0";
	static struct mime_scan m;
	char	v[200];
	size_t	len, i;
	int	round;

	for (round = 0; round < 3000; round++) {
		len = rnd(sizeof(v) - 20);
		memcpy(v, "x; filename=", 12);
		for (i = 12; i < len + 12; i++)
			v[i] = alpha[rnd(sizeof(alpha) - 1)];
		v[i] = '\0';
		mime_scan_init(&m);
		mime_scan_header(&m, "Content-Disposition", v);
		mime_scan_end(&m);
		ck_assert_uint_le(mime_scan_filename_max(&m), strlen(v));
		ck_assert_uint_eq(mime_scan_anomalies(&m), 0);
	}
}
END_TEST

START_TEST(lifecycle)
{
	static struct mime_scan m;

	/* fixed size, documented in mime.h */
	ck_assert_uint_lt(sizeof(struct mime_scan), 4096);

	/* nothing fed: no name, no anomaly; end twice is harmless */
	mime_scan_init(&m);
	mime_scan_end(&m);
	mime_scan_end(&m);
	ck_assert_uint_eq(mime_scan_filename_max(&m), 0);
	ck_assert_uint_eq(mime_scan_anomalies(&m), 0);

	/* after the end, and headers after the body, are ignored */
	mime_scan_init(&m);
	mime_scan_feed(&m, (const unsigned char *) "x\r\n", 3);
	mime_scan_header(&m, "Content-Disposition", "attachment; filename=abc");
	ck_assert_uint_eq(mime_scan_filename_max(&m), 0);
	mime_scan_end(&m);
	mime_scan_feed(&m, (const unsigned char *) "x\r\n", 3);
	ck_assert_uint_eq(mime_scan_filename_max(&m), 0);

	/* a part header cut by the end of the message still counts */
	ck_assert_uint_eq(run("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
			      "--b\r\nContent-Type: text/plain; name=abcd").fmax, 4);

	/* ... also when it ends inside a would-be encoded word: literal */
	ck_assert_uint_eq(run("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
			      "--b\r\nContent-Type: text/plain; name==?utf-8?Q?abcdef").fmax, 16);

	/* init again starts from scratch */
	mime_scan_init(&m);
	mime_scan_header(&m, "Content-Type", "text/plain; name=ab");
	ck_assert_uint_eq(mime_scan_filename_max(&m), 2);
	mime_scan_init(&m);
	ck_assert_uint_eq(mime_scan_filename_max(&m), 0);
}
END_TEST

static Suite *
suite(void)
{
	Suite  *s = suite_create("mime");
	TCase  *tc = tcase_create("names");
	TCase  *ts = tcase_create("structure");
	TCase  *tr = tcase_create("robustness");

	tcase_add_test(tc, plain_names);
	tcase_add_test(tc, case_insensitive);
	tcase_add_test(tc, quoted_strings);
	tcase_add_test(tc, comments);
	tcase_add_test(tc, rfc2231);
	tcase_add_test(tc, rfc2047);
	tcase_add_test(tc, folding);
	tcase_add_test(tc, rule_boundary);
	tcase_add_test(tc, huge_field);
	suite_add_tcase(s, tc);
	tcase_add_test(ts, nested);
	tcase_add_test(ts, depth_limit);
	tcase_add_test(ts, long_boundary);
	tcase_add_test(ts, boundary_forms);
	tcase_add_test(ts, anomalies);
	suite_add_tcase(s, ts);
	tcase_add_test(tr, every_chunking);
	tcase_add_test(tr, straddles_chunk);
	tcase_add_test(tr, fuzz);
	tcase_add_test(tr, fuzz_header);
	tcase_add_test(tr, lifecycle);
	suite_add_tcase(s, tr);
	return (s);
}

UNIT_MAIN
