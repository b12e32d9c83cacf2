/*++
 * NAME
 *	mime 3h
 * SUMMARY
 *	streaming MIME scanner: attachment file name lengths, structure anomalies
 * DESCRIPTION
 *	The mime_filename_length rule. The scanner is given the top-level
 *	header fields one by one (mime_scan_header), then the body in the
 *	chunks the MTA passes (mime_scan_feed, split anywhere), then the end
 *	(mime_scan_end). It never buffers the message: its memory is the
 *	struct mime_scan itself, fixed size, no allocation at all, whatever
 *	the input: sizeof(struct mime_scan) is 3688 bytes on LP64, nearly
 *	all of it the boundary stack (MIME_DEPTH_MAX * MIME_BOUNDARY_MAX).
 *
 *	What it reads. The Content-Type and Content-Disposition fields of
 *	the top-level header and of every part header, also the headers of
 *	message/rfc822 (and message/global) parts, and the parts of a
 *	multipart/digest, whose default type is message/rfc822. Header and
 *	parameter names are case-insensitive. In those fields: comments in
 *	parentheses (nested, with backslash escapes) are dropped, quoted
 *	strings lose their quotes and backslashes, folding is undone (the
 *	field lexer and the decoders below are mimefield.c).
 *
 *	File names. Content-Disposition "filename" and Content-Type "name",
 *	each measured in bytes after decoding, without charset transcoding:
 *	- a plain value (token or quoted string, as above) has its RFC 2047
 *	  encoded words decoded, also inside quotes: B and Q, either case;
 *	  whitespace between two adjacent encoded words is dropped; an
 *	  encoded word that is malformed (bad charset token, encoding other
 *	  than B or Q, bad base64 or =XX, unterminated) counts literally;
 *	- RFC 2231: "filename*=charset'lang'%XX.." (charset and language
 *	  are not counted, %XX is one byte) and continuations "filename*0=",
 *	  "filename*1*=", .. in any order: the name's length is the sum of
 *	  its sections' decoded bytes, so no section is stored (a section
 *	  without '*' is decoded as a plain value). An extended value
 *	  without the two quotes of charset'lang' counts literally.
 *	A plain parameter and its RFC 2231 form are two names; the longer
 *	one counts. Blanks around a value are not part of it, blanks inside
 *	an unquoted value are. mime_scan_filename_max() is the longest name
 *	so far; a name being read counts with the bytes decoded so far, so a
 *	1 MB Content-Disposition field is seen growing chunk by chunk.
 *
 *	Structure. Boundaries are found on raw lines, innermost first, by
 *	prefix ("--" boundary, then "--" for the close delimiter, then
 *	anything up to the line end), as Postfix does; a boundary of an
 *	outer multipart also closes the inner ones. Lines are recognised at
 *	LF; a CR is an ordinary byte except that it is dropped from header
 *	values and a line starting with CR ends a header. Content-Transfer-
 *	Encoding is not decoded: a boundary broken by a quoted-printable soft
 *	line break is not a boundary (the encoder must not produce one).
 *	A part header ends at the empty line, at a boundary line, or at the
 *	first line that is not a header field (MIME_ANOMALY_HEADER_GARBAGE;
 *	that line belongs to the body). When a header repeats Content-Type,
 *	the first one decides the structure (MIME_ANOMALY_CTYPE_REPEATED);
 *	file names are read in all of them.
 *
 *	Limits. Nesting depth: the top-level message is level 0; the parts
 *	of a multipart and the header of a message/rfc822 body are one level
 *	below their container. A container whose contents would be deeper
 *	than MIME_DEPTH_MAX (16) is not followed: its body is skipped like a
 *	leaf's, and MIME_ANOMALY_DEPTH is set. A boundary longer than
 *	MIME_BOUNDARY_MAX (200, RFC 2046 allows 70) is not followed either
 *	(MIME_ANOMALY_BOUNDARY_LONG), nor a multipart without one
 *	(MIME_ANOMALY_NO_BOUNDARY). Lengths saturate at SIZE_MAX.
 *
 *	Garbage. NUL bytes, binary junk, lone CRs, missing boundaries or
 *	closing delimiters never make the scanner fail, allocate or loop:
 *	every byte is looked at a bounded number of times (at most
 *	MIME_DEPTH_MAX boundary comparisons per line starting with '-').
 *
 *	Speed. Outside headers only lines starting with '-' are looked at:
 *	memchr() finds the '-' bytes and the line ends after them, so a
 *	base64 attachment passes at memchr() speed. A message that is not
 *	multipart and not message/rfc822 costs nothing after its header.
 *
 *	Order: mime_scan_init(), mime_scan_header() for each top-level
 *	field, mime_scan_feed() for each chunk, mime_scan_end(); the getters
 *	at any time. A header given after the first feed, and a feed after
 *	the end, are ignored; mime_scan_init() starts over. A scanner is
 *	used by one thread at a time.
 *--*/
#ifndef ESMTPGUARD_MIME_H
#define ESMTPGUARD_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mimefield.h"

#define MIME_DEPTH_MAX		16	/* nesting levels followed */
#define MIME_BOUNDARY_MAX	MIMEFIELD_BOUNDARY_MAX	/* 200 bytes */

/* Anomalies: bits of mime_scan_anomalies(). */
#define MIME_ANOMALY_DEPTH		(1u << 0)
#define MIME_ANOMALY_BOUNDARY_LONG	(1u << 1)
#define MIME_ANOMALY_NO_BOUNDARY	(1u << 2)
#define MIME_ANOMALY_UNTERMINATED	(1u << 3)	/* no close delimiter */
#define MIME_ANOMALY_HEADER_GARBAGE	(1u << 4)
#define MIME_ANOMALY_CTYPE_REPEATED	(1u << 5)
#define MIME_ANOMALY_ALL		((1u << 6) - 1)

/* The rest is private to mime.c; it is here so callers can embed it. */

struct mime_bound {			/* one open multipart */
	unsigned char b[MIME_BOUNDARY_MAX];
	uint8_t	len;
	uint8_t	level;			/* level of its parts */
	bool	digest;			/* parts default to message/rfc822 */
};

struct mime_scan {
	size_t	fmax;			/* longest file name, committed */
	unsigned anomalies;
	bool	started;		/* top-level header done */
	bool	ended;
	uint8_t	st;			/* line scanner state: S_* */
	uint8_t	after;			/* state after the line skipped */
	bool	gather_hdr;		/* line being gathered is a header's */
	bool	nocheck;		/* line start already checked for "--" */
	uint8_t	level;			/* of the entity being read */
	uint8_t	nb;			/* open multiparts */
	uint16_t need;			/* line prefix to tell any boundary */
	uint16_t lbuf_len;
	unsigned char lbuf[2 + MIME_BOUNDARY_MAX + 2];
	uint8_t	hfield;			/* header field being read: H_* */
	uint8_t	hnlen;			/* its name, lower case */
	bool	hnover;
	char	hname[20];
	uint8_t	ent_kind;		/* entity being read: MIMEFIELD_MULTI.. */
	bool	ent_ct_seen;
	uint8_t	ent_bnd_len;		/* its boundary, in stack[nb] */
	bool	ent_bnd_long;
	struct mimefield f;
	struct mime_bound stack[MIME_DEPTH_MAX];
};

/* mime_scan_init - start a new message */
void	mime_scan_init(struct mime_scan *m);

/*
 * mime_scan_header - a top-level header field as libmilter passes it:
 * name without colon; value with one leading space stripped (or not),
 * folded lines joined by "\n" or "\r\n", no trailing CRLF.
 */
void	mime_scan_header(struct mime_scan *m, const char *name,
			 const char *value);

/* mime_scan_feed - the next body bytes (after the top-level header) */
void	mime_scan_feed(struct mime_scan *m, const unsigned char *p,
		       size_t len);

/* mime_scan_end - end of message: names being read are final */
void	mime_scan_end(struct mime_scan *m);

/* mime_scan_filename_max - longest decoded file name so far, bytes */
size_t	mime_scan_filename_max(const struct mime_scan *m);

/* mime_scan_anomalies - MIME_ANOMALY_* bits seen so far */
unsigned mime_scan_anomalies(const struct mime_scan *m);

/* mime_scan_anomaly_text - one bit in words; never NULL */
const char *mime_scan_anomaly_text(unsigned bit);

#endif
