/*++
 * NAME
 *	fuzz_measure 1t
 * SUMMARY
 *	libFuzzer target: the command-line rebuild and address checks
 * DESCRIPTION
 *	The first input byte picks the verb (MAIL FROM: or RCPT TO:), the
 *	rest is the milter's argv, one argument per line (a NUL ends an
 *	argument early, as it would in C). Checked against the command
 *	line rebuilt here: measure_cmd_line() is its length;
 *	measure_pipe_arg() is the first argument holding '|', the very
 *	pointer; measure_address() drops the angle brackets only when both
 *	are there; measure_declared_size() is the SIZE= a lone SIZE=
 *	parameter declares, with digits read up to the first non-digit
 *	(or UINT64_MAX when it does not fit, or nearly); and
 *	measure_asa_command() of the rebuilt line does not depend on the
 *	verb's case, holds only for a four-letter verb, and stays the same
 *	whatever follows the verb after a blank.
 *--*/
#include <config.h>

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzzlib.h"
#include "measure.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXARGS	32

/* declared - the digits after "SIZE=", or false when they overflow */
static bool
declared(const char *arg, uint64_t *n)
{
	const char *p;

	for (*n = 0, p = arg + 5; *p >= '0' && *p <= '9'; p++)
		if (__builtin_mul_overflow(*n, 10, n)
		    || __builtin_add_overflow(*n, (uint64_t) (*p - '0'), n))
			return false;
	return true;
}

static void
check_size(char *const *argv, size_t argc)
{
	uint64_t got = measure_declared_size(argv), want = 0;
	size_t	i, nsize = 0;
	bool	fits = true;

	for (i = 1; i < argc; i++)
		if (strncasecmp(argv[i], "SIZE=", 5) == 0) {
			nsize++;
			fits = declared(argv[i], &want);
		}
	if (nsize > 1)
		return;			/* which one counts is not specified */
	if (!fits)
		fuzz_check(got == UINT64_MAX);
	else
		/* the overflow guard may give up a digit early */
		fuzz_check(got == want || (got == UINT64_MAX && want > UINT64_MAX / 10 * 10 - 10));
}

static void
check_command(const char *line)
{
	size_t	verb = strcspn(line, " \t"), i;
	bool	asa = measure_asa_command(line);
	struct strbuf sb = {0};

	if (asa) {
		fuzz_check(verb == 4);
		for (i = 0; i < 4; i++)
			fuzz_check(isalpha((unsigned char) line[i]));
	}
	/* the verb in the other case */
	fuzz_check(strbuf_puts(&sb, line));
	for (i = 0; i < verb; i++)
		sb.s[i] = (char) (islower((unsigned char) sb.s[i])
				  ? toupper((unsigned char) sb.s[i])
				  : tolower((unsigned char) sb.s[i]));
	fuzz_check(measure_asa_command(sb.s) == asa);
	/* only the verb counts */
	strbuf_reset(&sb);
	fuzz_check(strbuf_append(&sb, line, verb) && strbuf_puts(&sb, " x"));
	fuzz_check(measure_asa_command(sb.s) == asa);
	strbuf_free(&sb);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const verbs[] = {"MAIL FROM:", "RCPT TO:"};
	char   *args[MAXARGS + 1], **argv;
	const char *verb;
	const uint8_t *end, *nl;
	struct strbuf line = {0};
	size_t	argc = 0, i, n;

	if (size < 1)
		return 0;
	verb = verbs[data[0] % 2];
	data++, size--;
	for (end = data + size; data < end && argc < MAXARGS; data = nl ? nl + 1 : end) {
		nl = memchr(data, '\n', (size_t) (end - data));
		args[argc++] = fuzz_strndup(data, (size_t) ((nl ? nl : end) - data));
	}
	/* exactly argc + 1 on the heap: a read past the NULL is a report */
	args[argc] = NULL;
	argv = fuzz_memdup(args, (argc + 1) * sizeof(*args));

	fuzz_check(strbuf_puts(&line, verb));
	for (i = 0; i < argc; i++)
		fuzz_check((i == 0 || strbuf_puts(&line, " "))
			   && strbuf_puts(&line, argv[i]));
	fuzz_check(measure_cmd_line(verb, argv) == line.len);

	for (i = 0; i < argc && strchr(argv[i], '|') == NULL; i++)
		;
	fuzz_check(measure_pipe_arg(argv) == (i < argc ? argv[i] : NULL));

	if (argc > 0) {
		n = strlen(argv[0]);
		if (n >= 2 && argv[0][0] == '<' && argv[0][n - 1] == '>')
			fuzz_check(measure_address(argv[0]) == n - 2);
		else
			fuzz_check(measure_address(argv[0]) == n);
	}
	check_size(argv, argc);
	check_command(line.s);
	/* the arguments alone, as session_unknown() gets a command;
	 * cppcheck 2.10 wrongly takes argc for 0 after check_command() */
	/* cppcheck-suppress knownConditionTrueFalse ; argc is the input's */
	if (argc > 0)
		check_command(argv[0]);

	/* cppcheck-suppress knownConditionTrueFalse ; argc is the input's */
	for (i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
	strbuf_free(&line);
	return 0;
}
