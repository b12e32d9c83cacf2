/*++
 * NAME
 *	rule 3
 * SUMMARY
 *	the inspection rules, their actions and the ASA defaults
 * SYNOPSIS
 *	#include "rule.h"
 * DESCRIPTION
 *	rule_defs[] is the one list of rules. The rules that Cisco's
 *	_default_esmtp_map sets carry its thresholds and actions, each
 *	with "log" as the ASA writes it; the anomaly checks the ASA
 *	always applies (a pipe in an address, commands outside its
 *	fifteen) are on with threshold 0; the rest are off until a
 *	policy sets them.
 *
 *	max_gt keeps a threshold within what the measurement can reach
 *	and what a long holds on every platform, so a typo with too many
 *	zeros is an error instead of a rule that silently never fires.
 *--*/
#include <config.h>

#include <string.h>

#include "rule.h"

/* Bounds: protocol quantities get a generous ceiling, sizes 2 GiB - 1. */
#define MAX_SIZE	2147483647L
#define MAX_LINE	(1L << 30)
#define MAX_COUNT	100000000L

#define ASA_ON(g, a)	{ .on = true, .gt = (g), .action = (a), .log = true }
#define ASA_OFF		{ .on = false, .gt = 0, .action = ACTION_LOG, .log = true }

/*
 * Reply codes: a size that is too large is 552/452 X.3.4 and too many
 * recipients 552/452 X.5.3, as Postfix answers them; a malformed command
 * or address is a syntax error (X.5.x, X.1.x); what is wrong with the
 * content is a media error (X.6.0); rates are policy (X.7.x).
 */
const struct rule_def rule_defs[RULE_COUNT] = {
	[RULE_CMD_LINE_LENGTH] = {
		"cmd_line_length", false, ASA_ON(512, ACTION_DROP), MAX_LINE,
		"500", "451", "5.2", "Command line too long"},
	[RULE_RCPT_COUNT] = {
		"rcpt_count", false, ASA_ON(100, ACTION_DROP), MAX_COUNT,
		"552", "452", "5.3", "Too many recipients"},
	[RULE_BODY_LINE_LENGTH] = {
		"body_line_length", false, ASA_ON(998, ACTION_LOG), MAX_LINE,
		"554", "451", "6.0", "Message body line too long"},
	[RULE_HEADER_LINE_LENGTH] = {
		"header_line_length", false, ASA_ON(998, ACTION_DROP), MAX_LINE,
		"554", "451", "6.0", "Message header line too long"},
	[RULE_SENDER_ADDRESS_LENGTH] = {
		"sender_address_length", false, ASA_ON(320, ACTION_DROP), MAX_LINE,
		"553", "451", "1.7", "Sender address too long"},
	[RULE_MIME_FILENAME_LENGTH] = {
		"mime_filename_length", false, ASA_ON(255, ACTION_DROP), MAX_LINE,
		"554", "451", "6.0", "Attachment file name too long"},
	[RULE_HEADER_LENGTH] = {
		"header_length", false, ASA_OFF, MAX_SIZE,
		"552", "452", "3.4", "Message header too large"},
	[RULE_HEADER_TO_FIELDS_COUNT] = {
		"header_to_fields_count", false, ASA_OFF, MAX_COUNT,
		"554", "451", "6.0", "Too many To: header fields"},
	[RULE_BODY_LENGTH] = {
		"body_length", false, ASA_OFF, MAX_SIZE,
		"552", "452", "3.4", "Message size exceeds fixed limit"},
	[RULE_MESSAGES_PER_CONNECTION] = {
		"messages_per_connection", true, ASA_OFF, MAX_COUNT,
		"554", "451", "7.0", "Too many messages in this connection"},
	[RULE_RCPT_PER_CONNECTION] = {
		"rcpt_per_connection", true, ASA_OFF, MAX_COUNT,
		"552", "452", "5.3", "Too many recipients in this connection"},
	[RULE_CONNECTIONS_PER_IP] = {
		"connections_per_ip", true, ASA_OFF, MAX_COUNT,
		"554", "451", "7.0", "Too many connections from your address"},
	[RULE_RCPT_PER_HOUR_PER_IP] = {
		"rcpt_per_hour_per_ip", true, ASA_OFF, MAX_COUNT,
		"550", "450", "7.1", "Too many recipients from your address"},
	/* A yes/no anomaly: any pipe is one too many, so gt stays 0. */
	[RULE_PIPE_IN_ADDRESS] = {
		"pipe_in_address", false, ASA_ON(0, ACTION_DROP), 0,
		"553", "451", "1.0", "Invalid character in address"},
	[RULE_UNKNOWN_COMMANDS] = {
		"unknown_commands", true, ASA_ON(0, ACTION_LOG), MAX_COUNT,
		"500", "451", "5.1", "Too many unknown commands"},
};

static const char *const action_names[ACTION_COUNT] = {
	[ACTION_LOG] = "log",
	[ACTION_REJECT] = "reject",
	[ACTION_TEMPFAIL] = "tempfail",
	[ACTION_DROP] = "drop-connection",
};

/* rule_by_name - rule id, or -1 */

int
rule_by_name(const char *name)
{
	int	i;

	for (i = 0; i < RULE_COUNT; i++)
		if (strcmp(rule_defs[i].name, name) == 0)
			return i;
	return -1;
}

/* action_name - the configuration word for an action */

const char *
action_name(enum action a)
{
	if ((unsigned) a >= ACTION_COUNT)
		return "unknown";
	return action_names[a];
}

/* action_parse - action by name, or -1 */

int
action_parse(const char *name)
{
	int	i;

	for (i = 0; i < ACTION_COUNT; i++)
		if (strcmp(action_names[i], name) == 0)
			return i;
	return -1;
}
