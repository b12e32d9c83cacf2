/*++
 * NAME
 *	bodyline 3h
 * SUMMARY
 *	longest body line, measured while the body streams past
 * DESCRIPTION
 *	The body_line_length rule: the MTA hands the body over in chunks
 *	(65535 bytes from Postfix and Sendmail) split anywhere, mid-line
 *	and between the CR and the LF of a line end. bodyline_feed() takes
 *	the chunks in order and bodyline_max() answers at any time with the
 *	longest line so far, in bytes, its line end excluded.
 *
 *	A line ends at LF. The CR immediately before that LF is part of the
 *	line end and not counted, also when it ends one chunk and the LF
 *	starts the next; any other CR (a bare CR inside a line) is an
 *	ordinary byte of the line. A bare LF ends a line as CRLF does.
 *
 *	The current, not yet terminated line counts too, so a huge line
 *	without LF is seen as soon as its bytes arrive, not at its end. A
 *	CR that is the last byte fed so far is held back: it is not counted
 *	until the next byte shows whether it is the CR of a CRLF (it then
 *	never is) or a bare CR (it then is). bodyline_max() thus never
 *	reports more than the finished line will have. A body that ends
 *	with a bare CR reports that CR uncounted; an SMTP body always ends
 *	with CRLF.
 *
 *	No allocation, no failure: a struct bodyline is three words, meant
 *	to be embedded in the per-message state and reset with
 *	bodyline_init(). Lengths saturate at SIZE_MAX instead of wrapping.
 *	Cost: one memchr() per line.
 *--*/
#ifndef ESMTPGUARD_BODYLINE_H
#define ESMTPGUARD_BODYLINE_H

#include <stdbool.h>
#include <stddef.h>

struct bodyline {
	size_t	max;		/* longest finished line */
	size_t	cur;		/* current line so far, held-back CR excluded */
	bool	cr;		/* the last byte fed was a CR, held back */
};

/* bodyline_init - start a new body */
void	bodyline_init(struct bodyline *b);

/* bodyline_feed - the next len bytes of the body; len may be 0 */
void	bodyline_feed(struct bodyline *b, const unsigned char *p, size_t len);

/* bodyline_max - longest line so far, the unterminated current one included */
size_t	bodyline_max(const struct bodyline *b);

#endif
