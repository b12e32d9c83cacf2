/*++
 * NAME
 *	conf-options 1
 * SUMMARY
 *	list every configuration option and rule name
 * DESCRIPTION
 *	Prints "SECTION NAME" per line, SECTION being "-" for the top
 *	level, so that t/docs.sh can hold the documentation against the
 *	option table instead of a copy of it. With --replies, the row of
 *	the reply code table of esmtpguard.conf(5) for each rule, as the
 *	man page must write it.
 *--*/
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "rule.h"

static void
print_option(const char *section, const char *name, void *arg)
{
	(void) arg;
	printf("%s %s\n", *section ? section : "-", name);
}

int
main(int argc, char **argv)
{
	int	r;

	if (argc > 1 && strcmp(argv[1], "--replies") == 0) {
		for (r = 0; r < RULE_COUNT; r++)
			printf(".It %s Ta %s 5.%s Ta %s 4.%s Ta %s\n",
			       rule_defs[r].name, rule_defs[r].reject_code,
			       rule_defs[r].xdetail, rule_defs[r].tempfail_code,
			       rule_defs[r].xdetail, rule_defs[r].reason);
		return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	}
	conf_options_walk(print_option, NULL);
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
