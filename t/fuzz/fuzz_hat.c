/*++
 * NAME
 *	fuzz_hat 1t
 * SUMMARY
 *	libFuzzer target: the sender-group parser and matcher
 * DESCRIPTION
 *	The input is split at the first newline: an entry as written in a
 *	sendergroup's match list, and a client address as the MTA passes
 *	it. Both are parsed and, when both parse, matched, also with the
 *	rest of the input as a verified host name.
 */

#include <config.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "hat.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hat_entry e;
	struct hat_client c = {0};
	const char *why = NULL;
	char   *text, *addr;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	if ((addr = strchr(text, '\n')) != NULL)
		*addr++ = 0;
	else
		addr = text;
	memset(&e, 0, sizeof(e));
	if (hat_entry_parse(text, &e, &why) == 0) {
		(void) hat_client_addr(&c, addr);
		(void) hat_entry_match(&e, &c);
		c.verified_name = addr;
		(void) hat_entry_match(&e, &c);
		hat_entry_free(&e);
	} else if (why == NULL) {
		abort();		/* a refusal always says why */
	}
	free(text);
	return 0;
}
