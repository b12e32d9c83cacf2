/*++
 * NAME
 *	mimefield 3
 * SUMMARY
 *	one Content-Type or Content-Disposition value, read byte by byte
 * SYNOPSIS
 *	#include "mimefield.h"
 * DESCRIPTION
 *	See mimefield.h, and mime.h for the rules. The value goes through
 *	two layers: the lexer (mimefield_byte) strips quotes, escapes and
 *	comments and splits type, parameter names and values; each value
 *	goes to a sink: the boundary buffer, or a file name counter behind
 *	an RFC 2047 or an RFC 2231 decoder. The decoders count, they never
 *	store: an encoded word is held back only as two counters (its
 *	literal and its decoded length) until its end shows which counts.
 *--*/
#include <config.h>

#include <string.h>

#include "mimefield.h"

/* Value sinks; field phases. */
enum { V_NONE, V_BOUNDARY, V_PLAIN, V_SECTION, V_EXT, V_EXT_FIRST };
enum { PH_TYPE, PH_NAME, PH_VALUE, PH_SKIP };

/* RFC 2047 encoded word states: "=?" charset "?" B|Q "?" text "?=" */
enum { EW_NONE, EW_EQ, EW_CS, EW_ENC, EW_ENC2, EW_TEXT, EW_QH1, EW_QH2,
EW_END };

#define IS_BLANK(c)	((c) == ' ' || (c) == '\t')

/* sat_add - a + b, SIZE_MAX instead of wrapping round */

static size_t
sat_add(size_t a, size_t b)
{
	return (a > SIZE_MAX - b ? SIZE_MAX : a + b);
}

static size_t
max_size(size_t a, size_t b)
{
	return (a > b ? a : b);
}

static int
lower(int c)
{
	return (c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	c = lower(c);
	return (c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1);
}

/* b64val - is c in the base64 alphabet */

static bool
b64val(int c)
{
	return ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
		|| (c >= '0' && c <= '9') || c == '+' || c == '/');
}

/* ew_token - may c be in an RFC 2047 charset (token, no especials) */

static bool
ew_token(int c)
{
	return (c > 0x20 && c < 0x7f && strchr("()<>@,;:\"/[]?.=", c) == NULL);
}

/* append_lower - add c to a small name buffer, or note it overflowed */

static void
append_lower(char *buf, size_t size, uint8_t *len, bool *over, int c)
{
	if (*len < size)
		buf[(*len)++] = (char) lower(c);
	else
		*over = true;
}

static bool
name_is(const char *buf, size_t len, bool over, const char *want)
{
	return (!over && len == strlen(want) && memcmp(buf, want, len) == 0);
}

/* ---- file name counting ---- */

/* count - n more bytes of the file name the current value belongs to */

static void
count(struct mimefield *f, size_t n)
{
	if (f->sink == V_PLAIN)
		f->acc_plain = sat_add(f->acc_plain, n);
	else
		f->acc_sec = sat_add(f->acc_sec, n);
}

/* ew_abort - the word held back was not one: its bytes count as they are */

static void
ew_abort(struct mimefield *f)
{
	count(f, sat_add(f->wsp, f->ewlit));
	f->wsp = f->wsq = 0;
	f->ew = EW_NONE;
	f->last_ew = false;
}

/* ew_done - a whole encoded word; blanks after another one are dropped */

static void
ew_done(struct mimefield *f)
{
	count(f, f->last_ew ? f->ewdec : sat_add(f->wsp, f->ewdec));
	f->wsp = f->wsq = 0;
	f->ew = EW_NONE;
	f->last_ew = true;
}

/* ew_step - c continues the word held back; false: c breaks it */

static bool
ew_step(struct mimefield *f, int c)
{
	switch (f->ew) {
	case EW_EQ:
		if (c != '?')
			return (false);
		f->ew = EW_CS;
		f->ewcs = false;
		break;
	case EW_CS:
		if (c == '?' && f->ewcs)
			f->ew = EW_ENC;
		else if (ew_token(c))
			f->ewcs = true;
		else
			return (false);
		break;
	case EW_ENC:
		if (lower(c) != 'b' && lower(c) != 'q')
			return (false);
		f->ewq = lower(c) == 'q';
		f->ew = EW_ENC2;
		break;
	case EW_ENC2:
		if (c != '?')
			return (false);
		f->ew = EW_TEXT;
		f->ewn = 0;
		f->ewpad = false;
		f->ewdec = 0;
		break;
	case EW_TEXT:
		if (c == '?')
			f->ew = EW_END;
		else if (c <= 0x20 || c >= 0x7f)
			return (false);	/* NOLINT(bugprone-branch-clone): reads best */
		else if (f->ewq) {
			if (c == '=')
				f->ew = EW_QH1;
			else
				f->ewdec++;
		} else if (c == '=')
			f->ewpad = true;
		else if (b64val(c) && !f->ewpad) {
			/* every base64 character but each fourth's first adds a byte */
			if (f->ewn != 0)
				f->ewdec++;
			f->ewn = (uint8_t) ((f->ewn + 1) & 3);
		} else
			return (false);
		break;
	case EW_QH1:
	case EW_QH2:
		if (hexval(c) < 0)
			return (false);
		if (f->ew == EW_QH2)
			f->ewdec++;
		f->ew = f->ew == EW_QH1 ? EW_QH2 : EW_TEXT;
		break;
	case EW_END:
		if (c != '=')
			return (false);
		f->ewlit++;
		ew_done(f);
		return (true);
	}
	f->ewlit++;
	return (true);
}

/* plain_char - a byte of a plain value: literal or RFC 2047 */

static void
plain_char(struct mimefield *f, int c, bool quoted)
{
	if (f->ew != EW_NONE) {
		if (ew_step(f, c))
			return;
		ew_abort(f);		/* then c on its own */
	}
	if (IS_BLANK(c)) {
		f->wsp++;
		if (quoted)
			f->wsq++;
	} else if (c == '=') {
		f->ew = EW_EQ;		/* the blanks before wait with it */
		f->ewlit = 1;
		f->ewdec = 0;
	} else {
		count(f, sat_add(f->wsp, 1));
		f->wsp = f->wsq = 0;
		f->last_ew = false;
	}
}

/* ext_char - a byte of an RFC 2231 extended value */

static void
ext_char(struct mimefield *f, int c, bool quoted)
{
	if (f->sink == V_EXT_FIRST && f->pfx < 2) {	/* charset'lang' */
		f->pfxlit++;
		if (c == '\'' && ++f->pfx == 2)
			f->pfxlit = 0;
		return;
	}
	if (f->pct > 0) {
		if (hexval(c) >= 0 && f->pct == 1) {
			f->pct = 2;
			return;
		}
		count(f, hexval(c) >= 0 ? 1 : f->pct);	/* %XX, or % and %X */
		f->pct = 0;
		if (hexval(c) >= 0)
			return;
	}
	if (IS_BLANK(c)) {
		f->wsp++;
		if (quoted)
			f->wsq++;
		return;
	}
	count(f, f->wsp);
	f->wsp = f->wsq = 0;
	if (c == '%')
		f->pct = 1;
	else
		count(f, 1);
}

/* ---- the field lexer ---- */

/* param_begin - '=' after a parameter name: where does its value go */

static void
param_begin(struct mimefield *f)
{
	const char *star = memchr(f->pname, '*', f->pnlen);
	size_t	base = star ? (size_t) (star - f->pname) : f->pnlen;
	size_t	i, end = f->pnlen;
	bool	ext = false, first = true;
	const char *want = f->kind == MIMEFIELD_CT ? "name" : "filename";

	f->phase = PH_VALUE;
	f->sink = V_NONE;
	f->vcontent = false;
	f->wsp = f->wsq = 0;
	f->ew = EW_NONE;
	f->last_ew = false;
	f->pct = f->pfx = 0;
	f->pfxlit = 0;
	if (f->pnover)
		return;
	if (star == NULL && f->kind == MIMEFIELD_CT && f->structure
	    && !f->bnd_seen && name_is(f->pname, f->pnlen, false, "boundary")) {
		f->bnd_seen = true;
		f->sink = V_BOUNDARY;
		f->btot = f->btrim = 0;
		return;
	}
	if (!name_is(f->pname, base, false, want))
		return;
	if (star == NULL) {
		f->sink = V_PLAIN;
		f->acc_plain = 0;
		return;
	}
	/* name*, name*N, name*N*: N decimal */
	if (end > base + 1 && f->pname[end - 1] == '*') {
		ext = true;
		end--;
	} else if (end == base + 1)
		ext = true;
	for (i = base + 1; i < end; i++) {
		if (f->pname[i] < '0' || f->pname[i] > '9')
			return;
		if (f->pname[i] != '0')
			first = false;
	}
	f->sink = !ext ? V_SECTION : first ? V_EXT_FIRST : V_EXT;
}

/* boundary_char - a byte of the boundary, stored if there is a buffer */

static void
boundary_char(struct mimefield *f, int c, bool quoted)
{
	if (f->bnd != NULL && f->btot < MIMEFIELD_BOUNDARY_MAX)
		f->bnd[f->btot] = (unsigned char) c;
	f->btot = sat_add(f->btot, 1);
	if (quoted || !IS_BLANK(c))
		f->btrim = f->btot;
}

/* value_end - ';' or the end of the field after a parameter value */

static void
value_end(struct mimefield *f)
{
	switch (f->sink) {
	case V_BOUNDARY:
		if (f->btrim > MIMEFIELD_BOUNDARY_MAX)
			f->bnd_long = true;
		else
			f->bnd_len = (uint8_t) f->btrim;
		break;
	case V_PLAIN:
	case V_SECTION:
		if (f->ew != EW_NONE)
			ew_abort(f);
		count(f, f->wsq);	/* quoted blanks at the end count */
		if (f->sink == V_PLAIN) {
			f->name_max = max_size(f->name_max, f->acc_plain);
			f->acc_plain = 0;
		}
		break;
	case V_EXT:
	case V_EXT_FIRST:
		if (f->sink == V_EXT_FIRST && f->pfx < 2)
			count(f, f->pfxlit);	/* no charset'lang': literal */
		else
			count(f, (size_t) f->pct + f->wsq);
		break;
	}
	f->sink = V_NONE;
	f->ew = EW_NONE;
}

/* type_end - the type/subtype of a Content-Type is complete */

static void
type_end(struct mimefield *f)
{
	if (f->kind != MIMEFIELD_CT || !f->structure)
		return;
	if (f->tlen >= 10 && memcmp(f->tname, "multipart/", 10) == 0)
		f->type = name_is(f->tname, f->tlen, f->tover,
				  "multipart/digest") ? MIMEFIELD_DIGEST : MIMEFIELD_MULTI;
	else if (name_is(f->tname, f->tlen, f->tover, "message/rfc822")
		 || name_is(f->tname, f->tlen, f->tover, "message/global"))
		f->type = MIMEFIELD_MESSAGE;
	else
		f->type = MIMEFIELD_OTHER;
}

/* phase_end - ';' or the end of the field */

static void
phase_end(struct mimefield *f)
{
	if (f->phase == PH_TYPE)
		type_end(f);
	else if (f->phase == PH_VALUE)
		value_end(f);
}

/* field_char - a byte of the field outside comments; quoted or not */

static void
field_char(struct mimefield *f, int c, bool quoted)
{
	switch (f->phase) {
	case PH_TYPE:
		if (!IS_BLANK(c))
			append_lower(f->tname, sizeof(f->tname), &f->tlen, &f->tover, c);
		break;
	case PH_NAME:
		if (IS_BLANK(c)) {
			if (f->pnlen > 0 || f->pnover)
				f->pnclosed = true;
		} else if (c == '=')
			param_begin(f);
		else if (f->pnclosed)
			f->phase = PH_SKIP;
		else
			append_lower(f->pname, sizeof(f->pname), &f->pnlen,
				     &f->pnover, c);
		break;
	case PH_VALUE:
		if (!quoted && IS_BLANK(c) && !f->vcontent)
			break;		/* blanks before the value */
		f->vcontent = true;
		if (f->sink == V_BOUNDARY)
			boundary_char(f, c, quoted);
		else if (f->sink == V_PLAIN || f->sink == V_SECTION)
			plain_char(f, c, quoted);
		else if (f->sink != V_NONE)
			ext_char(f, c, quoted);
		break;
	}
}

void
mimefield_begin(struct mimefield *f, int kind, bool structure,
		unsigned char *bnd)
{
	memset(f, 0, sizeof(*f));
	f->kind = (uint8_t) kind;
	f->structure = structure;
	f->bnd = bnd;
	f->phase = PH_TYPE;
}

void
mimefield_byte(struct mimefield *f, int c)
{
	if (f->quote) {
		if (f->quote == 2 || (c != '\\' && c != '"')) {
			f->quote = 1;
			field_char(f, c, true);
		} else
			f->quote = c == '\\' ? 2 : 0;
		return;
	}
	if (f->cdepth > 0) {
		if (f->cesc)
			f->cesc = false;
		else if (c == '\\')
			f->cesc = true;
		else if (c == '(' && f->cdepth < UINT32_MAX)
			f->cdepth++;
		else if (c == ')')
			f->cdepth--;
		return;
	}
	switch (c) {
	case '(':
		f->cdepth = 1;
		if (f->phase == PH_NAME && (f->pnlen > 0 || f->pnover))
			f->pnclosed = true;
		break;
	case ';':
		phase_end(f);
		f->phase = PH_NAME;
		f->pnlen = 0;
		f->pnover = f->pnclosed = false;
		break;
	case '"':
		f->quote = 1;
		if (f->phase == PH_NAME)
			f->phase = PH_SKIP;	/* a quote in a name: junk */
		else if (f->phase == PH_VALUE)
			f->vcontent = true;
		break;
	default:
		field_char(f, c, false);
	}
}

void
mimefield_end(struct mimefield *f)
{
	if (f->kind == MIMEFIELD_NONE)
		return;
	phase_end(f);
	f->name_max = max_size(f->name_max, f->acc_sec);
	f->acc_sec = 0;
	f->kind = MIMEFIELD_NONE;
}

size_t
mimefield_name_so_far(const struct mimefield *f)
{
	size_t	plain = f->acc_plain, sec = f->acc_sec;

	/* a name being read counts with what is decoded of it so far */
	if (f->ew >= EW_TEXT) {
		if (f->sink == V_PLAIN)
			plain = sat_add(plain, f->ewdec);
		else
			sec = sat_add(sec, f->ewdec);
	}
	return (max_size(f->name_max, max_size(plain, sec)));
}
