/*
 * check_measure - the values the rules compare, directly: rebuilt
 * command lines, addresses, SIZE=, the ASA's commands, header fields as
 * they were on the wire (Postfix's bare-LF and Sendmail's CRLF folding).
 */
#include <config.h>

#include <stdint.h>

#include "measure.h"
#include "unit.h"

START_TEST(command_lines)
{
	char   *mail[] = {"<a@x>", "SIZE=10", "BODY=8BITMIME", NULL};
	char   *none[] = {NULL};

	/* "MAIL FROM:<a@x> SIZE=10 BODY=8BITMIME" */
	ck_assert_uint_eq(measure_cmd_line("MAIL FROM:", mail), 37);
	ck_assert_uint_eq(measure_cmd_line("RCPT TO:", none), 8);
	ck_assert_uint_eq(measure_cmd_line("RCPT TO:", NULL), 8);
}
END_TEST

START_TEST(addresses_and_pipes)
{
	char   *clean[] = {"<a@x>", "NOTIFY=NEVER", NULL};
	char   *param[] = {"<a@x>", "ORCPT=rfc822;a|b@x", NULL};

	ck_assert_uint_eq(measure_address("<a@x>"), 3);
	ck_assert_uint_eq(measure_address("<>"), 0);
	ck_assert_uint_eq(measure_address("a@x"), 3);	/* no brackets */
	ck_assert_uint_eq(measure_address("<"), 1);
	ck_assert_ptr_null(measure_pipe_arg(clean));
	ck_assert_str_eq(measure_pipe_arg(param), "ORCPT=rfc822;a|b@x");
	ck_assert_ptr_null(measure_pipe_arg(NULL));
}
END_TEST

START_TEST(declared_sizes)
{
	char   *none[] = {"<a@x>", NULL};
	char   *size[] = {"<a@x>", "size=12345", NULL};
	char   *huge[] = {"<a@x>", "SIZE=99999999999999999999999", NULL};
	char   *junk[] = {"<a@x>", "SIZE=12x", "SIZE=", NULL};
	char   *first[] = {"SIZE=5", NULL};	/* argv[0] is the address */

	ck_assert_uint_eq(measure_declared_size(none), 0);
	ck_assert_uint_eq(measure_declared_size(size), 12345);
	ck_assert_uint_eq(measure_declared_size(huge), UINT64_MAX);
	ck_assert_uint_eq(measure_declared_size(junk), 0);
	ck_assert_uint_eq(measure_declared_size(first), 0);
}
END_TEST

/* found by fuzz_measure: MAIL without arguments (session_mail takes
 * argv[0] NULL as "<>") made it read the argument after the terminator */
START_TEST(declared_size_empty_argv)
{
	char   *empty[] = {NULL, "SIZE=99", NULL};

	ck_assert_uint_eq(measure_declared_size(empty), 0);
	ck_assert_uint_eq(measure_declared_size(NULL), 0);
}
END_TEST

START_TEST(asa_commands)
{
	ck_assert(measure_asa_command("HELP"));
	ck_assert(measure_asa_command("help me"));
	ck_assert(measure_asa_command("Vrfy\tx"));
	ck_assert(!measure_asa_command("XFOO"));
	ck_assert(!measure_asa_command("HELPX"));
	ck_assert(!measure_asa_command("STARTTLS"));
	ck_assert(!measure_asa_command(""));
}
END_TEST

START_TEST(header_fields)
{
	/* "Subject: hi\r\n" with the space given (LEADSPC) or stripped */
	ck_assert_uint_eq(measure_header_size("Subject", " hi", 0), 13);
	ck_assert_uint_eq(measure_header_size("Subject", "hi", 1), 13);
	/* folded: Postfix's bare LF was a CRLF on the wire; Sendmail's CRLF */
	ck_assert_uint_eq(measure_header_size("X", " a\n\tb", 0), 10);
	ck_assert_uint_eq(measure_header_size("X", " a\r\n\tb", 0), 10);
	ck_assert_uint_eq(measure_header_size("X", "", 0), 4);
	/* the longest physical line, its end excluded */
	ck_assert_uint_eq(measure_header_line("X", " abc\n\tdefgh", 0), 6);
	ck_assert_uint_eq(measure_header_line("X", " abc\r\n\tdefgh", 0), 6);
	ck_assert_uint_eq(measure_header_line("Subject", " abcdef\n\tx", 0), 15);
	ck_assert_uint_eq(measure_header_line("X", "", 0), 2);
	ck_assert_uint_eq(measure_header_line("X", "abc", 1), 6);
	ck_assert_uint_eq(measure_header_line("X", " a\n", 0), 4);
}
END_TEST

static Suite *
suite(void)
{
	Suite  *s = suite_create("measure");
	TCase  *tc = tcase_create("measure");

	tcase_add_test(tc, command_lines);
	tcase_add_test(tc, addresses_and_pipes);
	tcase_add_test(tc, declared_sizes);
	tcase_add_test(tc, declared_size_empty_argv);
	tcase_add_test(tc, asa_commands);
	tcase_add_test(tc, header_fields);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
