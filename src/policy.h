/*++
 * NAME
 *	policy 3h
 * SUMMARY
 *	a mail flow policy: access, rules, SPF settings
 * DESCRIPTION
 *	Plain data built by the configuration module. A policy with access
 *	accept has every rule of rule_defs[] that has an ASA default turned
 *	on unless the policy itself changes it; relay and reject policies
 *	enforce nothing.
 *--*/
#ifndef ESMTPGUARD_POLICY_H
#define ESMTPGUARD_POLICY_H

#include <stdbool.h>

#include "rule.h"

enum access {
	ACCESS_ACCEPT,		/* inspected */
	ACCESS_RELAY,		/* exempt from every limit, still logged */
	ACCESS_REJECT,		/* refused at connect */
};

/* SPF results map to these; only log, reject and tempfail are valid. */
struct spf_policy {
	bool	verify;
	bool	helo;
	bool	received_spf_header;
	enum action on_fail;
	enum action on_softfail;
	enum action on_temperror;
	enum action on_permerror;
};

struct policy {
	char   *name;
	enum access access;
	struct rule rules[RULE_COUNT];
	struct spf_policy spf;
};

/* policy_access_name - "accept", "relay", "reject" */
const char *policy_access_name(enum access a);

/* policy_hat_verdict - the ESA HAT word: "ACCEPT", "RELAY", "REJECT" */
const char *policy_hat_verdict(enum access a);

#endif
