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
 *	The line scanner here (st, S_*) walks the body: in a body it jumps
 *	with memchr() from '-' to '-' and checks only lines that start with one
 *	against the open boundaries; in a part header it splits lines into
 *	field name and value and hands the values of Content-Type and
 *	Content-Disposition to the field lexer. A line starting with '-'
 *	that the chunk cuts before the scanner can tell it from every
 *	boundary is copied to lbuf (at most 2 + 200 + 2 bytes) and decided
 *	when the rest arrives; in a header the copy is then replayed.
 *
 *	The field lexer (mimefield.c) reads one Content-Type or
 *	Content-Disposition value; its boundary goes straight into the next
 *	free slot of the boundary stack, so a pushed multipart costs no copy.
 *--*/
#include <config.h>

#include <string.h>
#include <strings.h>

#include "mime.h"
#include "mimefield.h"

/* Header fields of a part header. */
enum { H_NONE, H_CT = MIMEFIELD_CT, H_CD = MIMEFIELD_CD, H_OTHER };

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

static size_t
max_size(size_t a, size_t b)
{
	return (a > b ? a : b);
}

/* field_begin - a Content-Type or Content-Disposition field starts */

static void
field_begin(struct mime_scan *m, int kind)
{
	bool	structure = false;

	if (kind == MIMEFIELD_CT) {
		if (m->ent_ct_seen)
			m->anomalies |= MIME_ANOMALY_CTYPE_REPEATED;
		else
			structure = true;
		m->ent_ct_seen = true;
	}
	mimefield_begin(&m->f, kind, structure, m->nb < MIME_DEPTH_MAX ?
			m->stack[m->nb].b : NULL);
}

/* field_end - the field is complete: what it says about the entity */

static void
field_end(struct mime_scan *m)
{
	struct mimefield *f = &m->f;
	bool	structure = f->structure;

	if (f->kind == MIMEFIELD_NONE)
		return;
	mimefield_end(f);
	m->fmax = max_size(m->fmax, f->name_max);
	if (structure) {
		m->ent_kind = f->type;
		m->ent_bnd_len = f->bnd_seen ? f->bnd_len : 0;
		m->ent_bnd_long = f->bnd_long;
	}
}

/* ---- entities and boundaries ---------------------------------------- */

static void
entity_reset(struct mime_scan *m, int kind)
{
	m->ent_kind = (uint8_t) kind;
	m->ent_ct_seen = false;
	m->ent_bnd_len = 0;
	m->ent_bnd_long = false;
	m->hfield = H_NONE;
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
	case MIMEFIELD_MULTI:
	case MIMEFIELD_DIGEST:
		if (m->level >= MIME_DEPTH_MAX) {
			m->anomalies |= MIME_ANOMALY_DEPTH;
			break;
		}
		b = &m->stack[m->nb];	/* nb <= level < MIME_DEPTH_MAX */
		if (m->ent_bnd_long) {
			m->anomalies |= MIME_ANOMALY_BOUNDARY_LONG;
			break;
		}
		if (m->ent_bnd_len == 0) {
			m->anomalies |= MIME_ANOMALY_NO_BOUNDARY;
			break;
		}
		b->len = m->ent_bnd_len;	/* the bytes are there already */
		b->level = (uint8_t) (m->level + 1);
		b->digest = m->ent_kind == MIMEFIELD_DIGEST;
		m->nb++;
		need_update(m);
		return (S_BLSTART);		/* the preamble */
	case MIMEFIELD_MESSAGE:
		if (m->level >= MIME_DEPTH_MAX) {
			m->anomalies |= MIME_ANOMALY_DEPTH;
			break;
		}
		m->level++;
		entity_reset(m, MIMEFIELD_OTHER);
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
	entity_reset(m, m->stack[i].digest ? MIMEFIELD_MESSAGE
		     : MIMEFIELD_OTHER);
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

/* gather - more of a line cut by the chunk end; decide when enough.
 * A gathered header line is scanned again through scan() with nocheck
 * set, so it never reaches line_boundary() and gather() again: the
 * recursion is two calls deep at most. */

static const unsigned char *	/* NOLINTNEXTLINE(misc-no-recursion): see above */
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

/* hname_field - which field the name read is */

static int
hname_field(const struct mime_scan *m)
{
	if (m->hnover)
		return (H_OTHER);
	if (m->hnlen == 12 && strncasecmp(m->hname, "content-type", 12) == 0)
		return (H_CT);
	if (m->hnlen == 19
	    && strncasecmp(m->hname, "content-disposition", 19) == 0)
		return (H_CD);
	return (H_OTHER);
}

/* header_name - bytes of a field name, up to the colon */

static const unsigned char *
header_name(struct mime_scan *m, const unsigned char *p,
	    const unsigned char *end)
{
	int	c;

	for (; p < end; p++) {
		c = *p;
		if (c == ':' && m->hnlen > 0) {
			m->hfield = (uint8_t) hname_field(m);
			if (m->hfield != H_OTHER)
				field_begin(m, m->hfield);
			m->st = m->hfield == H_OTHER ? S_HSKIP : S_HVALUE;
			return (p + 1);
		}
		if (IS_BLANK(c) && m->hnlen > 0)
			m->st = S_HCOLON;	/* "Name :", obsolete syntax */
		else if (c <= 0x20 || c >= 0x7f || c == ':'
			 || m->st == S_HCOLON)
			return (header_garbage(m, p));
		else if (m->hnlen < sizeof(m->hname))
			m->hname[m->hnlen++] = (char) c;
		else
			m->hnover = true;
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

static void	/* NOLINTNEXTLINE(misc-no-recursion): two deep, see gather() */
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
					mimefield_byte(&m->f, *p);
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
	entity_reset(m, MIMEFIELD_OTHER);
}

void
mime_scan_header(struct mime_scan *m, const char *name, const char *value)
{
	int	kind;

	if (m->started || name == NULL || value == NULL)
		return;
	if (strcasecmp(name, "content-type") == 0)
		kind = MIMEFIELD_CT;
	else if (strcasecmp(name, "content-disposition") == 0)
		kind = MIMEFIELD_CD;
	else
		return;
	field_begin(m, kind);
	for (; *value != '\0'; value++)
		if (*value != '\r' && *value != '\n')	/* folding */
			mimefield_byte(&m->f, (unsigned char) *value);
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
	return (max_size(m->fmax, mimefield_name_so_far(&m->f)));
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
