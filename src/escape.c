/*++
 * NAME
 *	escape 3
 * SUMMARY
 *	make client-supplied strings safe to log
 * SYNOPSIS
 *	#include "escape.h"
 * DESCRIPTION
 *	See escape.h. UTF-8 is checked against the well-formed byte
 *	sequences of the Unicode standard (table 3-7), so overlong forms,
 *	surrogates and code points above U+10FFFF are rejected by the
 *	ranges of the second byte alone, without decoding.
 *
 *	A sequence that is not well-formed has only its first byte
 *	escaped; scanning resumes at the next byte. A truncated sequence
 *	thus comes out as one \xHH per byte, and a valid character right
 *	after a broken lead byte is still copied as it is.
 *--*/
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "escape.h"

/* utf8_len - length of the well-formed sequence at p, 0 if there is none */

static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;	/* second-byte range */
	size_t	len, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		if (p[0] == 0xc2)
			lo = 0xa0;	/* below: C1 controls, e.g. U+009B CSI */
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;	/* below: overlong */
		else if (p[0] == 0xed)
			hi = 0x9f;	/* above: surrogates */
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		if (p[0] == 0xf0)
			lo = 0x90;	/* below: overlong */
		else if (p[0] == 0xf4)
			hi = 0x8f;	/* above: beyond U+10FFFF */
	} else
		return (0);		/* ASCII, continuation, C0/C1, F5-FF */
	if (n < len || p[1] < lo || p[1] > hi)
		return (0);
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return (0);
	return (len);
}

/* escape_append - append the escaped form of p[0..n) to sb */

bool
escape_append(struct strbuf *sb, const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)p;
	size_t	start = sb->len;
	size_t	i, run, len;
	char	esc[4];

	/*
	 * Copy runs of safe bytes in one append; a client line is mostly
	 * printable ASCII.
	 */
	for (i = 0; i < n; i += len) {
		for (run = i; run < n && u[run] >= 0x20 && u[run] < 0x7f &&
		     u[run] != '\\'; run++)
			;
		if (run > i && !strbuf_append(sb, p + i, run - i))
			goto fail;
		if ((i = run) >= n)
			break;
		if (u[i] == '\\') {
			len = 1;
			if (!strbuf_append(sb, "\\\\", 2))
				goto fail;
		} else if ((len = utf8_len(u + i, n - i)) > 0) {
			if (!strbuf_append(sb, p + i, len))
				goto fail;
		} else {
			len = 1;
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[u[i] >> 4];
			esc[3] = hex[u[i] & 0xf];
			if (!strbuf_append(sb, esc, sizeof(esc)))
				goto fail;
		}
	}
	return (true);

fail:
	/* All or nothing, like the strbuf it works on. */
	sb->len = start;
	if (sb->s != NULL)
		sb->s[start] = '\0';
	return (false);
}

/* escape_str - the escaped form of a C string, malloc'd */

char   *
escape_str(const char *str)
{
	struct strbuf sb = {0};

	if (!escape_append(&sb, str, strlen(str)) ||
	    !strbuf_append(&sb, "", 0)) {
		strbuf_free(&sb);
		return (NULL);
	}
	return (sb.s);
}
