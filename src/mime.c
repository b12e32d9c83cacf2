/*++
 * NAME
 *	mime 3
 * SUMMARY
 *	streaming MIME scanner: attachment file name lengths, structure anomalies
 * SYNOPSIS
 *	#include "mime.h"
 * DESCRIPTION
 *	See mime.h for the contract. Two machines, both fed one byte or one
 *	span at a time and never looking back:
 *
 *	The line scanner (st, S_*) walks the body: in a body it jumps with
 *	memchr() from '-' to '-' and checks only lines that start with one
 *	against the open boundaries; in a part header it splits lines into
 *	field name and value and hands the values of Content-Type and
 *	Content-Disposition to the field lexer. A line starting with '-'
 *	that the chunk cuts before the scanner can tell it from every
 *	boundary is copied to lbuf (at most 2 + 200 + 2 bytes) and decided
 *	when the rest arrives; in a header the copy is then replayed.
 *
 *	The field lexer (struct mime_field) reads one structured field
 *	value: quoted strings, comments, the type, parameter names, and
 *	values into a sink: the boundary (stored in the next free slot of
 *	the boundary stack, so a pushed multipart costs no copy), or a file
 *	name counter behind an RFC 2047 or an RFC 2231 decoder. The decoders
 *	count, they never store: an encoded word is held back only as two
 *	counters (its literal and its decoded length) until its end shows
 *	which one counts.
 *--*/
#include <config.h>

#include <string.h>
#include <strings.h>

#include "mime.h"

/* Field kinds; values sinks; field phases. */
enum { F_NONE, F_CT, F_CD };
enum { V_NONE, V_BOUNDARY, V_PLAIN, V_SECTION, V_EXT, V_EXT_FIRST };
enum { PH_TYPE, PH_NAME, PH_VALUE, PH_SKIP };

/* RFC 2047 encoded word states: "=?" charset "?" B|Q "?" text "?=" */
enum { EW_NONE, EW_EQ, EW_CS, EW_ENC, EW_ENC2, EW_TEXT, EW_QH1, EW_QH2,
EW_END };

/* Entity kinds. */
enum { K_OTHER, K_MULTI, K_DIGEST, K_MESSAGE };

/* Header fields of a part header. */
enum { H_NONE, H_OTHER, H_CT, H_CD };

/* Line scanner states. */
enum {
	S_HLSTART,			/* header, line start */
	S_HNAME,			/* header, field name */
	S_HCOLON,			/* header, blanks before the colon */
	S_HVALUE,			/* header, Content-Type/-Disposition */
	S_HSKIP,			/* header, any other field */
	S_BLSTART,			/* body, line start */
	S_BMID,				/* body, inside a line */
	S_GATHER,			/* line prefix cut by the chunk end */
	S_LSKIP,			/* rest of the line, then "after" */
	S_DONE,				/* nothing left to find */
};

#define IS_BLANK(c)	((c) == ' ' || (c) == '\t')

static void scan(struct mime_scan *, const unsigned char *,
		         const unsigned char *);

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

/* ---- file name counting ---------------------------------------------- */

/* count - n more bytes of the file name the current value belongs to */

static void
count(struct mime_field *f, size_t n)
{
	if (f->sink == V_PLAIN)
		f->acc_plain = sat_add(f->acc_plain, n);
	else
		f->acc_sec = sat_add(f->acc_sec, n);
}

/* ew_abort - the word held back was not one: its bytes count as they are */

static void
ew_abort(struct mime_field *f)
{
	count(f, sat_add(f->wsp, f->ewlit));
	f->wsp = f->wsq = 0;
	f->ew = EW_NONE;
	f->last_ew = false;
}

/* ew_done - a whole encoded word; blanks after another one are dropped */

static void
ew_done(struct mime_field *f)
{
	count(f, f->last_ew ? f->ewdec : sat_add(f->wsp, f->ewdec));
	f->wsp = f->wsq = 0;
	f->ew = EW_NONE;
	f->last_ew = true;
}

/* ew_step - c continues the word held back; false: c breaks it */

static bool
ew_step(struct mime_field *f, int c)
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
			return (false);
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
plain_char(struct mime_field *f, int c, bool quoted)
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
ext_char(struct mime_field *f, int c, bool quoted)
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

/* ---- the field lexer ------------------------------------------------- */

/* param_begin - '=' after a parameter name: where does its value go */

static void
param_begin(struct mime_scan *m)
{
	struct mime_field *f = &m->f;
	const char *star = memchr(f->pname, '*', f->pnlen);
	size_t	base = star ? (size_t) (star - f->pname) : f->pnlen;
	size_t	i, end = f->pnlen;
	bool	ext = false, first = true;
	const char *want = f->kind == F_CT ? "name" : "filename";

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
	if (star == NULL && f->kind == F_CT && !f->dup && !m->ent_bnd_seen
	    && name_is(f->pname, f->pnlen, false, "boundary")) {
		m->ent_bnd_seen = true;
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

/* boundary_char - a byte of the boundary, stored in the next stack slot */

static void
boundary_char(struct mime_scan *m, int c, bool quoted)
{
	struct mime_field *f = &m->f;

	if (m->nb < MIME_DEPTH_MAX && f->btot < MIME_BOUNDARY_MAX)
		m->stack[m->nb].b[f->btot] = (unsigned char) c;
	f->btot = sat_add(f->btot, 1);
	if (quoted || !IS_BLANK(c))
		f->btrim = f->btot;
}

/* value_end - ';' or the end of the field after a parameter value */

static void
value_end(struct mime_scan *m)
{
	struct mime_field *f = &m->f;

	switch (f->sink) {
	case V_BOUNDARY:
		if (f->btrim > MIME_BOUNDARY_MAX)
			m->ent_bnd_long = true;
		else if (m->nb < MIME_DEPTH_MAX)
			m->stack[m->nb].len = (uint8_t) f->btrim;
		break;
	case V_PLAIN:
	case V_SECTION:
		if (f->ew != EW_NONE)
			ew_abort(f);
		count(f, f->wsq);	/* quoted blanks at the end count */
		if (f->sink == V_PLAIN) {
			m->fmax = max_size(m->fmax, f->acc_plain);
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
type_end(struct mime_scan *m)
{
	struct mime_field *f = &m->f;

	if (f->kind != F_CT || f->dup)
		return;
	if (f->tlen >= 10 && memcmp(f->type, "multipart/", 10) == 0)
		m->ent_kind = name_is(f->type, f->tlen, f->tover,
				    "multipart/digest") ? K_DIGEST : K_MULTI;
	else if (name_is(f->type, f->tlen, f->tover, "message/rfc822")
		 || name_is(f->type, f->tlen, f->tover, "message/global"))
		m->ent_kind = K_MESSAGE;
	else
		m->ent_kind = K_OTHER;
}

/* phase_end - ';' or the end of the field */

static void
phase_end(struct mime_scan *m)
{
	if (m->f.phase == PH_TYPE)
		type_end(m);
	else if (m->f.phase == PH_VALUE)
		value_end(m);
}

/* field_char - a byte of the field outside comments; quoted or not */

static void
field_char(struct mime_scan *m, int c, bool quoted)
{
	struct mime_field *f = &m->f;

	switch (f->phase) {
	case PH_TYPE:
		if (!IS_BLANK(c))
			append_lower(f->type, sizeof(f->type), &f->tlen, &f->tover, c);
		break;
	case PH_NAME:
		if (IS_BLANK(c)) {
			if (f->pnlen > 0 || f->pnover)
				f->pnclosed = true;
		} else if (c == '=')
			param_begin(m);
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
			boundary_char(m, c, quoted);
		else if (f->sink == V_PLAIN || f->sink == V_SECTION)
			plain_char(f, c, quoted);
		else if (f->sink != V_NONE)
			ext_char(f, c, quoted);
		break;
	}
}

/* field_begin - a Content-Type or Content-Disposition field starts */

static void
field_begin(struct mime_scan *m, int kind)
{
	struct mime_field *f = &m->f;

	memset(f, 0, sizeof(*f));
	f->kind = (uint8_t) kind;
	f->phase = PH_TYPE;
	if (kind == F_CT) {
		if (m->ent_ct_seen) {
			f->dup = true;
			m->anomalies |= MIME_ANOMALY_CTYPE_REPEATED;
		}
		m->ent_ct_seen = true;
	}
}

/* field_byte - the next byte of the unfolded field value */

static void
field_byte(struct mime_scan *m, int c)
{
	struct mime_field *f = &m->f;

	if (f->quote) {
		if (f->quote == 2 || (c != '\\' && c != '"')) {
			f->quote = 1;
			field_char(m, c, true);
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
		phase_end(m);
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
		field_char(m, c, false);
	}
}

/* field_end - the field is complete: names read in it are final */

static void
field_end(struct mime_scan *m)
{
	struct mime_field *f = &m->f;

	if (f->kind == F_NONE)
		return;
	phase_end(m);
	m->fmax = max_size(m->fmax, f->acc_sec);
	f->acc_sec = 0;
	f->kind = F_NONE;
}

/* ---- entities and boundaries ---------------------------------------- */

static void
entity_reset(struct mime_scan *m, int kind)
{
	m->ent_kind = (uint8_t) kind;
	m->ent_ct_seen = false;
	m->ent_bnd_seen = false;
	m->ent_bnd_long = false;
	m->hfield = H_NONE;
	if (m->nb < MIME_DEPTH_MAX)
		m->stack[m->nb].len = 0;
}

/* need_update - bytes of a line start that tell every boundary apart */

static void
need_update(struct mime_scan *m)
{
	unsigned i, len = 0;

	for (i = 0; i < m->nb; i++)
		if (m->stack[i].len > len)
			len = m->stack[i].len;
	m->need = (uint16_t) (2 + len + 2);
}

/* header_end - the entity's header is complete; the state of its body */

static int
header_end(struct mime_scan *m)
{
	struct mime_bound *b;

	switch (m->ent_kind) {
	case K_MULTI:
	case K_DIGEST:
		if (m->level >= MIME_DEPTH_MAX) {
			m->anomalies |= MIME_ANOMALY_DEPTH;
			break;
		}
		b = &m->stack[m->nb];	/* nb <= level < MIME_DEPTH_MAX */
		if (m->ent_bnd_long) {
			m->anomalies |= MIME_ANOMALY_BOUNDARY_LONG;
			break;
		}
		if (b->len == 0) {
			m->anomalies |= MIME_ANOMALY_NO_BOUNDARY;
			break;
		}
		b->level = (uint8_t) (m->level + 1);
		b->digest = m->ent_kind == K_DIGEST;
		m->nb++;
		need_update(m);
		return (S_BLSTART);		/* the preamble */
	case K_MESSAGE:
		if (m->level >= MIME_DEPTH_MAX) {
			m->anomalies |= MIME_ANOMALY_DEPTH;
			break;
		}
		m->level++;
		entity_reset(m, K_OTHER);
		return (S_HLSTART);
	}
	return (m->nb > 0 ? S_BLSTART : S_DONE);
}

/* boundary_match - innermost boundary p[0..n) starts with, or -1 */

static int
boundary_match(const struct mime_scan *m, const unsigned char *p, size_t n,
	       bool *close)
{
	const struct mime_bound *b;
	int	i;

	/*
	 * n is m->need, or the line ends (LF) within p[0..n): no boundary
	 * contains a LF, so comparing bytes past a LF cannot match.
	 */
	if (n < 2 || p[0] != '-' || p[1] != '-')
		return (-1);
	for (i = m->nb - 1; i >= 0; i--) {
		b = &m->stack[i];
		if (n >= 2u + b->len && memcmp(p + 2, b->b, b->len) == 0) {
			*close = n >= 4u + b->len && p[2 + b->len] == '-'
				&& p[3 + b->len] == '-';
			return (i);
		}
	}
	return (-1);
}

/* boundary_apply - a delimiter line of stack[i]; the state after the line */

static int
boundary_apply(struct mime_scan *m, int i, bool close)
{
	if (i + 1 < m->nb)
		m->anomalies |= MIME_ANOMALY_UNTERMINATED;
	m->nb = (uint8_t) (i + 1);
	m->level = m->stack[i].level;
	if (close) {
		m->nb--;
		need_update(m);
		return (m->nb > 0 ? S_BLSTART : S_DONE);	/* epilogue */
	}
	need_update(m);
	entity_reset(m, m->stack[i].digest ? K_MESSAGE : K_OTHER);
	return (S_HLSTART);
}

/* skip_line - rest of the line, then state next; p is in the line */

static const unsigned char *
skip_line(struct mime_scan *m, const unsigned char *p, int next)
{
	m->after = (uint8_t) next;
	m->st = next == S_DONE ? S_DONE : S_LSKIP;
	return (p);
}

/*
 * line_boundary - p starts a line with '-': a delimiter line or not.
 * NULL: not one, nothing consumed. Else where to go on (state set);
 * the line may have been gathered into lbuf to decide later.
 */
static const unsigned char *
line_boundary(struct mime_scan *m, const unsigned char *p,
	      const unsigned char *end, bool hdr)
{
	size_t	n = (size_t) (end - p);
	const unsigned char *lf;
	bool	close;
	int	i;

	if (n >= m->need)
		n = m->need;
	else if ((lf = memchr(p, '\n', n)) != NULL)
		n = (size_t) (lf - p) + 1;
	else {
		memcpy(m->lbuf, p, n);
		m->lbuf_len = (uint16_t) n;
		m->gather_hdr = hdr;
		m->st = S_GATHER;
		return (end);
	}
	if ((i = boundary_match(m, p, n, &close)) < 0)
		return (NULL);
	return (skip_line(m, p + 2, boundary_apply(m, i, close)));
}

/* gather - more of a line cut by the chunk end; decide when enough */

static const unsigned char *
gather(struct mime_scan *m, const unsigned char *p, const unsigned char *end)
{
	unsigned char line[sizeof(m->lbuf)];
	size_t	n = (size_t) (end - p), len;
	const unsigned char *lf;
	bool	close;
	int	i;

	if (n > (size_t) (m->need - m->lbuf_len))
		n = m->need - m->lbuf_len;
	if ((lf = memchr(p, '\n', n)) != NULL)
		n = (size_t) (lf - p) + 1;
	memcpy(m->lbuf + m->lbuf_len, p, n);
	m->lbuf_len = (uint16_t) (m->lbuf_len + n);
	p += n;
	if (lf == NULL && m->lbuf_len < m->need)
		return (p);
	len = m->lbuf_len;
	if ((i = boundary_match(m, m->lbuf, len, &close)) >= 0) {
		i = boundary_apply(m, i, close);
		if (lf != NULL)
			m->st = (uint8_t) i;
		else
			skip_line(m, p, i);
		return (p);
	}
	if (!m->gather_hdr) {
		m->st = lf != NULL ? S_BLSTART : S_BMID;
		return (p);
	}
	/* a header line after all: read it as one (it holds at most one LF) */
	memcpy(line, m->lbuf, len);
	m->st = S_HLSTART;
	m->nocheck = true;
	scan(m, line, line + len);
	return (p);
}

/* ---- the line scanner ------------------------------------------------ */

/* hfield_end - the header field being read ends (not a continuation) */

static void
hfield_end(struct mime_scan *m)
{
	if (m->hfield == H_CT || m->hfield == H_CD)
		field_end(m);
	m->hfield = H_NONE;
}

/* header_garbage - a line that is no header field ends the header */

static const unsigned char *
header_garbage(struct mime_scan *m, const unsigned char *p)
{
	m->anomalies |= MIME_ANOMALY_HEADER_GARBAGE;
	hfield_end(m);
	return (skip_line(m, p, header_end(m)));
}

/* header_lstart - a line of a header starts at *p */

static const unsigned char *
header_lstart(struct mime_scan *m, const unsigned char *p,
	      const unsigned char *end)
{
	const unsigned char *q;
	int	c = *p;

	if (IS_BLANK(c)) {			/* folded */
		if (m->hfield == H_NONE)
			return (header_garbage(m, p));
		m->st = m->hfield == H_OTHER ? S_HSKIP : S_HVALUE;
		return (p);
	}
	hfield_end(m);
	if (c == '\n' || c == '\r')		/* the empty line */
		return (skip_line(m, p, header_end(m)));
	if (c == '-' && !m->nocheck && m->nb > 0
	    && (q = line_boundary(m, p, end, true)) != NULL)
		return (q);
	m->nocheck = false;
	m->st = S_HNAME;
	m->hnlen = 0;
	m->hnover = false;
	return (p);
}

/* header_name - bytes of a field name, up to the colon */

static const unsigned char *
header_name(struct mime_scan *m, const unsigned char *p,
	    const unsigned char *end)
{
	int	c;

	for (; p < end; p++) {
		c = *p;
		if (c == ':' && (m->hnlen > 0 || m->hnover)) {
			if (name_is(m->hname, m->hnlen, m->hnover, "content-type"))
				m->hfield = H_CT;
			else if (name_is(m->hname, m->hnlen, m->hnover,
					 "content-disposition"))
				m->hfield = H_CD;
			else
				m->hfield = H_OTHER;
			if (m->hfield != H_OTHER)
				field_begin(m, m->hfield == H_CT ? F_CT : F_CD);
			m->st = m->hfield == H_OTHER ? S_HSKIP : S_HVALUE;
			return (p + 1);
		}
		if (IS_BLANK(c) && (m->hnlen > 0 || m->hnover))
			m->st = S_HCOLON;	/* "Name :", obsolete syntax */
		else if (c <= 0x20 || c >= 0x7f || c == ':'
			 || m->st == S_HCOLON)
			return (header_garbage(m, p));
		else
			append_lower(m->hname, sizeof(m->hname), &m->hnlen,
				     &m->hnover, c);
	}
	return (p);
}

/* body_skip - inside a body line: on to the next line starting with '-' */

static const unsigned char *
body_skip(struct mime_scan *m, const unsigned char *p,
	  const unsigned char *end)
{
	const unsigned char *q, *lf;

	/* Most bodies have few '-', base64 has none: jump between them. */
	if ((q = memchr(p, '-', (size_t) (end - p))) == NULL) {
		m->st = end[-1] == '\n' ? S_BLSTART : S_BMID;
		return (end);
	}
	if (q > p && q[-1] == '\n') {
		m->st = S_BLSTART;
		return (q);
	}
	if ((lf = memchr(q, '\n', (size_t) (end - q))) == NULL)
		return (end);
	m->st = S_BLSTART;
	return (lf + 1);
}

/* scan - the line scanner over p[0..end) */

static void
scan(struct mime_scan *m, const unsigned char *p, const unsigned char *end)
{
	const unsigned char *q;

	while (p < end) {
		switch (m->st) {
		case S_DONE:
			return;
		case S_BMID:
			p = body_skip(m, p, end);
			break;
		case S_BLSTART:
			if (*p != '-' || (q = line_boundary(m, p, end, false)) == NULL) {
				m->st = S_BMID;
				p += *p == '-';		/* a line start no longer */
			} else
				p = q;
			break;
		case S_GATHER:
			p = gather(m, p, end);
			break;
		case S_LSKIP:
		case S_HSKIP:
			if ((q = memchr(p, '\n', (size_t) (end - p))) == NULL)
				return;
			m->st = m->st == S_LSKIP ? m->after : S_HLSTART;
			p = q + 1;
			break;
		case S_HLSTART:
			p = header_lstart(m, p, end);
			break;
		case S_HNAME:
		case S_HCOLON:
			p = header_name(m, p, end);
			break;
		case S_HVALUE:
			for (; p < end && *p != '\n'; p++)
				if (*p != '\r')
					field_byte(m, *p);
			if (p < end) {
				m->st = S_HLSTART;
				p++;
			}
			break;
		}
	}
}

/* start - the top-level header is complete */

static void
start(struct mime_scan *m)
{
	m->started = true;
	m->st = (uint8_t) header_end(m);
}

/* ---- interface ------------------------------------------------------- */

void
mime_scan_init(struct mime_scan *m)
{
	memset(m, 0, sizeof(*m));
	entity_reset(m, K_OTHER);
}

void
mime_scan_header(struct mime_scan *m, const char *name, const char *value)
{
	int	kind;

	if (m->started || name == NULL || value == NULL)
		return;
	if (strcasecmp(name, "content-type") == 0)
		kind = F_CT;
	else if (strcasecmp(name, "content-disposition") == 0)
		kind = F_CD;
	else
		return;
	field_begin(m, kind);
	for (; *value != '\0'; value++)
		if (*value != '\r' && *value != '\n')	/* folding */
			field_byte(m, (unsigned char) *value);
	field_end(m);
}

void
mime_scan_feed(struct mime_scan *m, const unsigned char *p, size_t len)
{
	if (m->ended)
		return;
	if (!m->started)
		start(m);
	if (len > 0)
		scan(m, p, p + len);
}

void
mime_scan_end(struct mime_scan *m)
{
	if (m->ended)
		return;
	if (!m->started)
		start(m);

	/*
	 * A line still being gathered changes nothing: it is shorter than
	 * need, so it is not the close delimiter of the only open multipart
	 * (that line is exactly need bytes), and any other delimiter leaves
	 * one open; as a header line it starts with '-' and is neither
	 * Content-Type nor Content-Disposition.
	 */
	if (m->st <= S_HSKIP)			/* a header without end */
		hfield_end(m);
	if (m->nb > 0)
		m->anomalies |= MIME_ANOMALY_UNTERMINATED;
	m->ended = true;
	m->st = S_DONE;
}

size_t
mime_scan_filename_max(const struct mime_scan *m)
{
	const struct mime_field *f = &m->f;
	size_t	plain = f->acc_plain, sec = f->acc_sec;

	/* a name being read counts with what is decoded of it so far */
	if (f->ew >= EW_TEXT) {
		if (f->sink == V_PLAIN)
			plain = sat_add(plain, f->ewdec);
		else
			sec = sat_add(sec, f->ewdec);
	}
	return (max_size(m->fmax, max_size(plain, sec)));
}

unsigned
mime_scan_anomalies(const struct mime_scan *m)
{
	return (m->anomalies);
}

#define STR(x)	#x
#define XSTR(x)	STR(x)

const char *
mime_scan_anomaly_text(unsigned bit)
{
	switch (bit) {
	case MIME_ANOMALY_DEPTH:
		return ("MIME nesting deeper than " XSTR(MIME_DEPTH_MAX));
	case MIME_ANOMALY_BOUNDARY_LONG:
		return ("multipart boundary longer than "
			XSTR(MIME_BOUNDARY_MAX) " bytes");
	case MIME_ANOMALY_NO_BOUNDARY:
		return ("multipart without boundary parameter");
	case MIME_ANOMALY_UNTERMINATED:
		return ("multipart without closing boundary");
	case MIME_ANOMALY_HEADER_GARBAGE:
		return ("part header line that is no header field");
	case MIME_ANOMALY_CTYPE_REPEATED:
		return ("Content-Type repeated in one header");
	default:
		return ("unknown MIME anomaly");
	}
}
