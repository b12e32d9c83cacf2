/*++
 * NAME
 *	fuzz_mime 1t
 * SUMMARY
 *	libFuzzer target: the MIME scanner
 * DESCRIPTION
 *	The input is a message: top-level header fields up to the first
 *	empty line go to mime_scan_header(), the rest to mime_scan_feed()
 *	in chunks whose sizes come from the first input byte, as a milter
 *	receives a body split anywhere. The scanner's state is a fixed
 *	struct: nothing it reads may overrun it. The same message fed in
 *	one piece and byte by byte must give the same longest file name
 *	and the same anomalies.
 */

#include <config.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mime.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* scan - the header fields, then the body in chunks of at most step
 * bytes; the scanner at the end */
static void
scan(struct mime_scan *m, const uint8_t *data, size_t size, size_t step)
{
	size_t	off = 0, n;
	char   *hdr, *colon;

	mime_scan_init(m);
	/* header: "Name: value" lines up to an empty one */
	while (off < size) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t	len = nl ? (size_t) (nl - (data + off)) : size - off;

		/* cppcheck-suppress knownConditionTrueFalse ; nl == data + off: an empty line */
		if (len == 0) {
			off++;
			break;
		}
		if ((hdr = malloc(len + 1)) == NULL)
			abort();
		memcpy(hdr, data + off, len);
		hdr[len] = 0;
		if ((colon = strchr(hdr, ':')) != NULL) {
			*colon = 0;
			mime_scan_header(m, hdr, colon + 1);
		}
		free(hdr);
		off += len + (nl != NULL);
	}
	while (off < size) {
		n = size - off < step ? size - off : step;
		mime_scan_feed(m, data + off, n);
		off += n;
	}
	mime_scan_end(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_scan m, whole, bytes;
	unsigned a;

	if (size < 1)
		return 0;
	scan(&m, data + 1, size - 1, 1 + data[0] % 64);
	a = mime_scan_anomalies(&m);
	if (a != 0)
		(void) mime_scan_anomaly_text(a & -a);
	/* the MTA splits the body anywhere: the answer must not move */
	scan(&whole, data + 1, size - 1, SIZE_MAX);
	scan(&bytes, data + 1, size - 1, 1);
	if (mime_scan_filename_max(&m) != mime_scan_filename_max(&whole)
	    || mime_scan_filename_max(&bytes) != mime_scan_filename_max(&whole)
	    || a != mime_scan_anomalies(&whole)
	    || mime_scan_anomalies(&bytes) != mime_scan_anomalies(&whole))
		abort();
	return 0;
}
