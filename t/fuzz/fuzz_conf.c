/*++
 * NAME
 *	fuzz_conf 1t
 * SUMMARY
 *	libFuzzer target: the configuration loader
 * DESCRIPTION
 *	Any text through conf_load_buf(): either a configuration (then
 *	released) or NULL with at least one error reported.
 */

#include <config.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "conf.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
count_err(void *arg, const char *file, int line, const char *msg)
{
	(void) file;
	(void) line;
	(void) msg;
	++*(int *) arg;
}

static void
quiet(enum log_sev sev, const char *line, void *arg)
{
	(void) sev;
	(void) line;
	(void) arg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf *conf;
	char   *text;
	int	errs = 0;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	log_set_hook(quiet, NULL);
	conf = conf_load_buf(text, "fuzz.conf", count_err, &errs);
	if (conf == NULL && errs == 0)
		abort();
	conf_release(conf);
	free(text);
	return 0;
}
