/*++
 * NAME
 *	stats 3h
 * SUMMARY
 *	counters since start, logged on SIGUSR1
 * DESCRIPTION
 *	Connections by HAT verdict, messages done and aborted, internal
 *	errors, and per policy and rule: evaluations (each value compared:
 *	a command, a recipient, a header field, a body chunk, a connection),
 *	matches, and matches by the action taken.
 *
 *	Rule counters are kept by policy name, not in the configuration
 *	snapshot, so a reload (SIGHUP) neither resets them nor loses what
 *	sessions still on the old snapshot count. A registry entry is
 *	made the first time a policy name is seen and kept until exit: the
 *	names an administrator ever configured bound it.
 *
 *	Every function is thread-safe; counting is lock-free.
 *--*/
#ifndef ESMTPGUARD_STATS_H
#define ESMTPGUARD_STATS_H

#include "conf.h"
#include "rule.h"

enum stats_global {
	STATS_ACCEPT, STATS_RELAY, STATS_REJECT,	/* connections */
	STATS_DONE, STATS_ABORTED,			/* messages */
	STATS_INTERNAL,				/* on_internal_error answers */
	STATS_GLOBAL_COUNT,
};

struct stats_policy;

/* stats_count - one more of a global counter */
void	stats_count(enum stats_global which);

/* stats_policy - the counters of a policy name, made on first use;
 * NULL when out of memory (counting is then skipped) */
struct stats_policy *stats_policy(const char *name);

/* stats_policy_connection - one more connection under the policy */
void	stats_policy_connection(struct stats_policy *sp);

/* stats_rule_evaluated / stats_rule_matched - NULL sp ok */
void	stats_rule_evaluated(struct stats_policy *sp, enum rule_id r);
void	stats_rule_matched(struct stats_policy *sp, enum rule_id r,
			   enum action a);

/* stats_log - log every counter; the rules of the policies in conf
 * (with their current threshold and action), in the form of the ASA's
 * "show service-policy inspect esmtp" */
void	stats_log(const struct conf *conf);

#endif
