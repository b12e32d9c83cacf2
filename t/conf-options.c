/*++
 * NAME
 *	conf-options 1
 * SUMMARY
 *	list every configuration option and rule name
 * DESCRIPTION
 *	Prints "SECTION NAME" per line, SECTION being "-" for the top
 *	level, so that t/docs.sh can hold the documentation against the
 *	option table instead of a copy of it.
 *--*/
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "conf.h"

static void
print_option(const char *section, const char *name, void *arg)
{
	(void) arg;
	printf("%s %s\n", *section ? section : "-", name);
}

int
main(void)
{
	conf_options_walk(print_option, NULL);
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
