/*++
 * NAME
 *	measure 3h
 * SUMMARY
 *	the values the inspection rules compare, from what the MTA passes
 * DESCRIPTION
 *	Pure functions, no state: the rebuilt command line
 *	(cmd_line_length), the address without its brackets
 *	(sender_address_length), a '|' in an argument (pipe_in_address),
 *	the SIZE= a client declares (body_length), whether a command is
 *	one of the ASA's fifteen (unknown_commands), and a header field's
 *	bytes and longest physical line as on the wire (header_length,
 *	header_line_length). argv is the milter's NULL-terminated list:
 *	the address as the client gave it, then ESMTP parameters.
 *--*/
#ifndef ESMTPGUARD_MEASURE_H
#define ESMTPGUARD_MEASURE_H

#include <stdbool.h>
#include <stdint.h>

/* measure_cmd_line - bytes of "VERB" + argv joined by spaces, CRLF
 * excluded; verb with its colon: "MAIL FROM:" */
uint64_t measure_cmd_line(const char *verb, char *const *argv);

/* measure_pipe_arg - the first argument holding a '|', or NULL */
const char *measure_pipe_arg(char *const *argv);

/* measure_address - bytes of an address inside its angle brackets */
uint64_t measure_address(const char *arg);

/* measure_declared_size - SIZE= of MAIL's parameters, 0 when absent,
 * UINT64_MAX when too large to hold */
uint64_t measure_declared_size(char *const *argv);

/* measure_asa_command - is cmd's verb one of the ASA's fifteen */
bool	measure_asa_command(const char *cmd);

/* measure_header_size - bytes of "Name:value\r\n" on the wire; the MTA
 * joined folded lines with a bare LF (which was a CRLF); space is the
 * byte the MTA stripped after the colon (0 or 1) */
uint64_t measure_header_size(const char *name, const char *value,
			     unsigned space);

/* measure_header_line - the longest physical line of the field: "Name:"
 * and the value's first line, then each folded continuation on its own,
 * line ends excluded */
uint64_t measure_header_line(const char *name, const char *value,
			     unsigned space);

#endif
