/*++
 * NAME
 *	rule 3h
 * SUMMARY
 *	the inspection rules, their actions and the ASA defaults
 * DESCRIPTION
 *	One table (rule_defs[], in rule.c) names every rule of the SPEC and
 *	gives the default of Cisco's _default_esmtp_map where there is one.
 *	The configuration, the man page test and the enforcement all read
 *	this table; nothing else lists rules.
 *--*/
#ifndef ESMTPGUARD_RULE_H
#define ESMTPGUARD_RULE_H

#include <stdbool.h>

enum rule_id {
	RULE_CMD_LINE_LENGTH,
	RULE_RCPT_COUNT,
	RULE_BODY_LINE_LENGTH,
	RULE_HEADER_LINE_LENGTH,
	RULE_SENDER_ADDRESS_LENGTH,
	RULE_MIME_FILENAME_LENGTH,
	RULE_HEADER_LENGTH,
	RULE_HEADER_TO_FIELDS_COUNT,
	RULE_BODY_LENGTH,
	RULE_MESSAGES_PER_CONNECTION,
	RULE_RCPT_PER_CONNECTION,
	RULE_CONNECTIONS_PER_IP,
	RULE_RCPT_PER_HOUR_PER_IP,
	RULE_PIPE_IN_ADDRESS,
	RULE_UNKNOWN_COMMANDS,
	RULE_COUNT,
};

enum action {
	ACTION_LOG,
	ACTION_REJECT,
	ACTION_TEMPFAIL,
	ACTION_DROP,		/* "drop-connection": 421, MTA closes */
	ACTION_COUNT,
};

/* A rule as configured in one policy. */
struct rule {
	bool	on;
	long	gt;		/* fires when the measured value > gt */
	enum action action;
	bool	log;
};

struct rule_def {
	const char *name;	/* as in esmtpguard.conf: "cmd_line_length" */
	bool	connection;	/* connection-level: log lines omit "MID n" */
	struct rule asa;	/* the ASA default; .on false = off by default */
	long	max_gt;		/* largest gt the configuration accepts */
	/* the reply when the action is reject or tempfail (RFC 5321 codes,
	 * RFC 3463 enhanced code "subject.detail" after the class digit);
	 * drop-connection always answers 421 4.7.0 */
	const char *reject_code;	/* "552" */
	const char *tempfail_code;	/* "452" */
	const char *xdetail;	/* "5.3": 5.5.3 or 4.5.3 */
	const char *reason;	/* "Too many recipients" */
};

extern const struct rule_def rule_defs[RULE_COUNT];

/* rule_by_name - rule id, or -1 */
int	rule_by_name(const char *name);

/* action_name - "log", "reject", "tempfail", "drop-connection" */
const char *action_name(enum action a);

/* action_parse - action by name, or -1 */
int	action_parse(const char *name);

#endif
