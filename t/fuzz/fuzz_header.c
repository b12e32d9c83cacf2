/*++
 * NAME
 *	fuzz_header 1t
 * SUMMARY
 *	libFuzzer target: the header field measurements
 * DESCRIPTION
 *	The input is a flags byte, a chunk plan (fuzzlib.h), then a
 *	message header as on the wire, up to its empty line. It is cut
 *	into fields as the MTA does (a line starting with a blank
 *	continues the field; a line without a colon is no field and is
 *	left out) and each field is handed over as libmilter passes it:
 *	name without colon, the value after the colon with its lines
 *	joined by LF or, with flag 1, CRLF; with flag 2 the MTA has
 *	stripped the space after the colon (SMFIP_HDR_LEADSPC off).
 *
 *	measure_header_size() must give the field's bytes on the wire,
 *	CRLFs included, and measure_header_line() its longest physical
 *	line, exactly. The fields kept, written out with CRLF, are fed to
 *	the body line scanner in the plan's chunks: its longest line must
 *	be the longest measure_header_line() of them all, and the sizes
 *	must add up to the bytes written.
 *
 *	A wire line whose content ends in CR ("a\r\r\n") is ambiguous once
 *	joined with LF, and a NUL cannot pass through libmilter: both
 *	bytes become '_' here.
 *--*/
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bodyline.h"
#include "fuzzlib.h"
#include "measure.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define F_CRLF_JOIN	1
#define F_STRIPPED	2

struct field {
	bool	open;
	struct strbuf name;
	struct strbuf value;	/* after the colon, lines joined */
	uint64_t wire;		/* bytes on the wire, CRLFs included */
	uint64_t longest;	/* longest wire line, CRLF excluded */
};

static void
put(struct strbuf *sb, const void *p, size_t n)
{
	fuzz_check(strbuf_append(sb, p, n));
}

/* field_done - compare what measure.c says with what the wire held */
static uint64_t
field_done(struct field *f, unsigned flags)
{
	const char *v = strbuf_str(&f->value);
	unsigned space = 0;

	if (!f->open)
		return 0;
	f->open = false;
	if ((flags & F_STRIPPED) && *v == ' ') {
		v++;
		space = 1;
	}
	fuzz_check(measure_header_size(strbuf_str(&f->name), v, space) == f->wire);
	fuzz_check(measure_header_line(strbuf_str(&f->name), v, space) == f->longest);
	strbuf_reset(&f->name);
	strbuf_reset(&f->value);
	return f->longest;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct field f = {0};
	struct fuzz_plan plan;
	struct strbuf wire = {0};
	struct bodyline b;
	unsigned flags;
	uint64_t total = 0, longest = 0, n;
	const uint8_t *end, *lf;
	char   *line, *colon;
	size_t	len, i, off, chunk;

	if (size < 1)
		return 0;
	flags = data[0];
	data++, size--;
	fuzz_plan_take(&plan, &data, &size);
	for (end = data + size; data < end; data = lf ? lf + 1 : end) {
		lf = memchr(data, '\n', (size_t) (end - data));
		len = (size_t) ((lf ? lf : end) - data);
		if (len > 0 && data[len - 1] == '\r')
			len--;
		if (len == 0)
			break;			/* the empty line: end of header */
		if ((line = malloc(len + 1)) == NULL)
			fuzz_fail(__FILE__, __LINE__, "out of memory");
		memcpy(line, data, len);
		line[len] = 0;
		for (i = 0; i < len; i++)
			if (line[i] == 0)
				line[i] = '_';
		if (line[len - 1] == '\r')
			line[len - 1] = '_';
		if (line[0] == ' ' || line[0] == '\t') {
			if (f.open) {
				put(&f.value, (flags & F_CRLF_JOIN) ? "\r\n" : "\n",
				    (flags & F_CRLF_JOIN) ? 2 : 1);
				put(&f.value, line, len);
			}
		} else {
			n = field_done(&f, flags);
			longest = n > longest ? n : longest;
			if ((colon = strchr(line, ':')) != NULL && colon > line) {
				f.open = true;
				put(&f.name, line, (size_t) (colon - line));
				put(&f.value, colon + 1, len - (size_t) (colon + 1 - line));
				f.wire = 0;
				f.longest = 0;
			}
		}
		if (f.open) {
			put(&wire, line, len);
			put(&wire, "\r\n", 2);
			f.wire += len + 2;
			total += len + 2;
			f.longest = len > f.longest ? len : f.longest;
		}
		free(line);
	}
	n = field_done(&f, flags);
	longest = n > longest ? n : longest;
	fuzz_check(total == wire.len);

	bodyline_init(&b);
	for (off = 0; off < wire.len; off += chunk) {
		chunk = fuzz_plan_next(&plan, wire.len - off);
		bodyline_feed(&b, (const unsigned char *) wire.s + off, chunk);
	}
	fuzz_check(bodyline_max(&b) == longest);

	strbuf_free(&f.name);
	strbuf_free(&f.value);
	strbuf_free(&wire);
	return 0;
}
