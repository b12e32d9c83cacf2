/*++
 * NAME
 *	fuzz_escape 1t
 * SUMMARY
 *	libFuzzer target: the log escaper
 * DESCRIPTION
 *	Any bytes through escape_append(): the result must hold no control
 *	character and no DEL (valid UTF-8 passes through), and escape_str()
 *	of the same bytes, when they hold no NUL, must agree with it.
 */

#include <config.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "escape.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf sb = {0};
	size_t	i, n = strnlen((const char *) data, size);
	char   *copy, *s;

	if (!escape_append(&sb, (const char *) data, size))
		abort();
	for (i = 0; i < sb.len; i++)
		if ((unsigned char) sb.s[i] < 0x20 || sb.s[i] == 0x7f)
			abort();
	if ((copy = malloc(n + 1)) == NULL)
		return 0;
	memcpy(copy, data, n);
	copy[n] = 0;
	s = escape_str(copy);
	if (s != NULL && n == size && (strlen(s) != sb.len
				       || (sb.len > 0 && memcmp(s, sb.s, sb.len) != 0)))
		abort();
	free(s);
	free(copy);
	strbuf_free(&sb);
	return 0;
}
