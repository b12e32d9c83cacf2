/*++
 * NAME
 *	measure 3
 * SUMMARY
 *	the values the inspection rules compare, from what the MTA passes
 * DESCRIPTION
 *	Pure functions over the milter's arguments; session.c decides
 *	which rule each value goes to and when. The body and MIME values
 *	come from the streaming scanners (bodyline.c, mime.c).
 *--*/
#include <config.h>

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "measure.h"

/* The fifteen commands the ASA lets through; anything else that reaches
 * the milter is an unknown command. */
static const char *const asa_commands[] = {
	"DATA", "HELO", "MAIL", "NOOP", "QUIT", "RCPT", "RSET",
	"AUTH", "EHLO", "ETRN", "HELP", "SAML", "SEND", "SOML", "VRFY",
};

/* measure_cmd_line - the command line rebuilt from the milter arguments:
 * "MAIL FROM:<a> SIZE=10" (verb given with its colon) */

uint64_t
measure_cmd_line(const char *verb, char *const *argv)
{
	uint64_t n = strlen(verb);
	size_t	i;

	for (i = 0; argv != NULL && argv[i] != NULL; i++)
		n += (i > 0) + strlen(argv[i]);
	return n;
}

/* measure_pipe_arg - the first argument with a '|', or NULL */

const char *
measure_pipe_arg(char *const *argv)
{
	size_t	i;

	for (i = 0; argv != NULL && argv[i] != NULL; i++)
		if (strchr(argv[i], '|') != NULL)
			return argv[i];
	return NULL;
}

/* measure_address - bytes of the address inside its angle brackets */

uint64_t
measure_address(const char *arg)
{
	size_t	n = strlen(arg);

	if (n >= 2 && arg[0] == '<' && arg[n - 1] == '>')
		return n - 2;
	return n;
}

/* measure_declared_size - the SIZE= parameter of MAIL, 0 when absent; a number
 * too large to hold is as large as can be */

uint64_t
measure_declared_size(char *const *argv)
{
	uint64_t n = 0;
	const char *p;
	size_t	i;

	/* no address, no parameters: argv[1] is past the end */
	if (argv == NULL || argv[0] == NULL)
		return 0;
	for (i = 1; argv[i] != NULL; i++) {
		if (strncasecmp(argv[i], "SIZE=", 5) != 0)
			continue;
		for (n = 0, p = argv[i] + 5; *p >= '0' && *p <= '9'; p++) {
			if (n > (UINT64_MAX - 9) / 10)
				return UINT64_MAX;
			n = n * 10 + (uint64_t) (*p - '0');
		}
	}
	return n;
}

/* measure_asa_command - is the verb of cmd one of the ASA's fifteen */

bool
measure_asa_command(const char *cmd)
{
	size_t	n = strcspn(cmd, " \t"), i;

	for (i = 0; i < sizeof(asa_commands) / sizeof(asa_commands[0]); i++)
		if (n == 4 && strncasecmp(cmd, asa_commands[i], 4) == 0)
			return true;
	return false;
}

/* measure_header_size - bytes of "Name:value\r\n" as on the wire: the MTA joins
 * folded lines with a bare LF, which was a CRLF; space: the byte the MTA
 * stripped after the colon */

uint64_t
measure_header_size(const char *name, const char *value, unsigned space)
{
	uint64_t n = strlen(name) + 1 + space + strlen(value) + 2;
	const char *p;

	for (p = value; (p = strchr(p, '\n')) != NULL; p++)
		if (p == value || p[-1] != '\r')
			n++;
	return n;
}

/* measure_header_line - the longest physical line of a header field:
 * "Name:" and the first line of the value, then each folded
 * continuation on its own, line ends excluded */

uint64_t
measure_header_line(const char *name, const char *value, unsigned space)
{
	uint64_t longest = 0, n;
	const char *p = value;
	size_t	len;

	n = strlen(name) + 1 + space;
	for (;;) {
		len = strcspn(p, "\n");
		n += len;
		if (len > 0 && p[len - 1] == '\r')
			n--;
		if (n > longest)
			longest = n;
		if (p[len] == 0)
			return longest;
		p += len + 1;
		n = 0;
	}
}
