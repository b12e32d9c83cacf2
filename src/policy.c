/*++
 * NAME
 *	policy 3
 * SUMMARY
 *	mail flow policy names
 * SYNOPSIS
 *	#include "policy.h"
 * DESCRIPTION
 *	The configuration word and the ESA host access table verdict of
 *	each access mode. The verdict is upper case because ESA logs it
 *	so ("ICID 10293 RELAY SG RELAY_SG match ...") and scripts grep it.
 *--*/
#include <config.h>

#include "policy.h"

/* policy_access_name - "accept", "relay", "reject" */

const char *
policy_access_name(enum access a)
{
	switch (a) {
	case ACCESS_ACCEPT:
		return "accept";
	case ACCESS_RELAY:
		return "relay";
	case ACCESS_REJECT:
		return "reject";
	}
	return "unknown";
}

/* policy_hat_verdict - the ESA HAT word */

const char *
policy_hat_verdict(enum access a)
{
	switch (a) {
	case ACCESS_ACCEPT:
		return "ACCEPT";
	case ACCESS_RELAY:
		return "RELAY";
	case ACCESS_REJECT:
		return "REJECT";
	}
	return "UNKNOWN";
}
