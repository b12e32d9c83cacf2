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

const struct rule_def rule_defs[RULE_COUNT] = {
	[RULE_CMD_LINE_LENGTH] = {
		"cmd_line_length", false, ASA_ON(512, ACTION_DROP), MAX_LINE},
	[RULE_RCPT_COUNT] = {
		"rcpt_count", false, ASA_ON(100, ACTION_DROP), MAX_COUNT},
	[RULE_BODY_LINE_LENGTH] = {
		"body_line_length", false, ASA_ON(998, ACTION_LOG), MAX_LINE},
	[RULE_HEADER_LINE_LENGTH] = {
		"header_line_length", false, ASA_ON(998, ACTION_DROP), MAX_LINE},
	[RULE_SENDER_ADDRESS_LENGTH] = {
		"sender_address_length", false, ASA_ON(320, ACTION_DROP), MAX_LINE},
	[RULE_MIME_FILENAME_LENGTH] = {
		"mime_filename_length", false, ASA_ON(255, ACTION_DROP), MAX_LINE},
	[RULE_HEADER_LENGTH] = {
		"header_length", false, ASA_OFF, MAX_SIZE},
	[RULE_HEADER_TO_FIELDS_COUNT] = {
		"header_to_fields_count", false, ASA_OFF, MAX_COUNT},
	[RULE_BODY_LENGTH] = {
		"body_length", false, ASA_OFF, MAX_SIZE},
	[RULE_MESSAGES_PER_CONNECTION] = {
		"messages_per_connection", true, ASA_OFF, MAX_COUNT},
	[RULE_RCPT_PER_CONNECTION] = {
		"rcpt_per_connection", true, ASA_OFF, MAX_COUNT},
	[RULE_CONNECTIONS_PER_IP] = {
		"connections_per_ip", true, ASA_OFF, MAX_COUNT},
	[RULE_RCPT_PER_HOUR_PER_IP] = {
		"rcpt_per_hour_per_ip", true, ASA_OFF, MAX_COUNT},
	/* A yes/no anomaly: any pipe is one too many, so gt stays 0. */
	[RULE_PIPE_IN_ADDRESS] = {
		"pipe_in_address", false, ASA_ON(0, ACTION_DROP), 0},
	[RULE_UNKNOWN_COMMANDS] = {
		"unknown_commands", true, ASA_ON(0, ACTION_LOG), MAX_COUNT},
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
