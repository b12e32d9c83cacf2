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
 *	struct: nothing it reads may overrun it.
 */

#include <config.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mime.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_scan m;
	size_t	chunk, off = 0;
	char   *hdr, *line, *next, *colon;

	if (size < 1)
		return 0;
	chunk = 1 + data[0] % 64;
	data++, size--;
	mime_scan_init(&m);
	/* header: "Name: value" lines up to an empty one */
	while (off < size) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t	len = nl ? (size_t) (nl - (data + off)) : size - off;

		if (len == 0) {
			off++;
			break;
		}
		if ((hdr = malloc(len + 1)) == NULL)
			return 0;
		memcpy(hdr, data + off, len);
		hdr[len] = 0;
		line = hdr;
		if ((colon = strchr(line, ':')) != NULL) {
			*colon = 0;
			next = colon + 1;
			mime_scan_header(&m, line, next);
		}
		free(hdr);
		off += len + (nl != NULL);
	}
	while (off < size) {
		size_t	n = size - off < chunk ? size - off : chunk;

		mime_scan_feed(&m, data + off, n);
		off += n;
	}
	mime_scan_end(&m);
	if (mime_scan_anomalies(&m) != 0)
		(void) mime_scan_anomaly_text(mime_scan_anomalies(&m) & -mime_scan_anomalies(&m));
	(void) mime_scan_filename_max(&m);
	return 0;
}
