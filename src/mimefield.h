/*++
 * NAME
 *	mimefield 3h
 * SUMMARY
 *	one Content-Type or Content-Disposition value, read byte by byte
 * DESCRIPTION
 *	The lexer under the MIME scanner (mime.h has the rules it follows,
 *	as seen by the mime_filename_length rule). It is given the bytes of
 *	one unfolded field value, without line ends, and takes it apart:
 *	quoted strings, comments, the type/subtype, the parameters. Of those
 *	it keeps only what the scanner needs: the class of the type, the
 *	first "boundary" parameter (stored in a buffer of the caller's), and
 *	the longest decoded file name ("filename" of Content-Disposition,
 *	"name" of Content-Type), counted without being stored.
 *
 *	Memory: the struct itself, no allocation. Names longer than SIZE_MAX
 *	saturate.
 *--*/
#ifndef ESMTPGUARD_MIMEFIELD_H
#define ESMTPGUARD_MIMEFIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MIMEFIELD_BOUNDARY_MAX	200	/* bytes of a boundary stored */

/* Fields. */
#define MIMEFIELD_NONE		0	/* no field being read */
#define MIMEFIELD_CT		1	/* Content-Type */
#define MIMEFIELD_CD		2	/* Content-Disposition */

/* Type classes. */
#define MIMEFIELD_OTHER		0
#define MIMEFIELD_MULTI		1	/* any multipart type */
#define MIMEFIELD_DIGEST	2	/* multipart/digest */
#define MIMEFIELD_MESSAGE	3	/* message/rfc822, message/global */

struct mimefield {
	bool	structure;		/* type and boundary wanted */

	/* results, valid after mimefield_end() */
	uint8_t	type;			/* MIMEFIELD_OTHER etc. */
	bool	bnd_seen;		/* a boundary parameter */
	bool	bnd_long;		/* longer than MIMEFIELD_BOUNDARY_MAX */
	uint8_t	bnd_len;		/* bytes in bnd */
	size_t	name_max;		/* longest file name */

	/* the rest is private to mimefield.c */
	uint8_t	kind;			/* MIMEFIELD_CT, _CD, _NONE */
	unsigned char *bnd;		/* caller's buffer, or NULL */
	uint8_t	phase;			/* PH_*: type, parameter name, value */
	uint8_t	sink;			/* V_*: what the value is for */
	uint8_t	quote;			/* in a quoted string; 2: after '\' */
	bool	cesc;			/* after '\' in a comment */
	uint32_t cdepth;		/* comment nesting */
	uint8_t	tlen;			/* type/subtype, lower case */
	bool	tover;
	char	tname[24];
	uint8_t	pnlen;			/* parameter name, lower case */
	bool	pnover;
	bool	pnclosed;		/* blank after the name */
	char	pname[24];
	bool	vcontent;		/* the value has begun */
	size_t	wsp;			/* blanks held back */
	size_t	wsq;			/* of which quoted */
	uint8_t	ew;			/* RFC 2047 word: EW_* */
	bool	ewq;			/* Q, not B */
	bool	ewcs;			/* charset not empty */
	uint8_t	ewn;			/* base64 characters mod 4 */
	bool	ewpad;			/* base64 '=' seen */
	bool	last_ew;		/* only blanks since an encoded word */
	size_t	ewlit;			/* bytes of the word so far */
	size_t	ewdec;			/* its decoded bytes so far */
	uint8_t	pct;			/* RFC 2231 %XX: hex digits pending */
	uint8_t	pfx;			/* quotes of charset'lang' seen */
	size_t	pfxlit;			/* bytes of charset'lang' */
	size_t	btot;			/* boundary bytes, trailing blanks */
	size_t	btrim;			/* boundary bytes, without them */
	size_t	acc_plain;		/* plain name being read */
	size_t	acc_sec;		/* RFC 2231 name: sum of sections */
};

/*
 * mimefield_begin - a field starts. kind: MIMEFIELD_CT or _CD. structure:
 * read the type and the boundary (false for a repeated Content-Type;
 * file names are read anyway). bnd: where the boundary goes
 * (MIMEFIELD_BOUNDARY_MAX bytes), or NULL to measure it only.
 */
void	mimefield_begin(struct mimefield *f, int kind, bool structure,
			unsigned char *bnd);

/* mimefield_byte - the next byte of the value */
void	mimefield_byte(struct mimefield *f, int c);

/* mimefield_end - the value is complete; results are final */
void	mimefield_end(struct mimefield *f);

/* mimefield_name_so_far - longest name, the one being read included */
size_t	mimefield_name_so_far(const struct mimefield *f);

#endif
