/*++
 * NAME
 *	spf 3h
 * SUMMARY
 *	SPF checks of the HELO and MAIL FROM identities (libspf2 behind our
 *	own interface)
 * DESCRIPTION
 *	spf.c is the only file that includes spf2/spf.h. Callers see our
 *	result enum, identities as plain strings and the Received-SPF
 *	header value; nothing of libspf2.
 *
 *	One struct spf serves the whole process: libspf2's server is
 *	reusable by concurrent requests, its cache layer locks its table,
 *	and the resolver layer below keeps one resolver state per thread
 *	(see spf.c). It is made once, after privileges are dropped, and
 *	never per message.
 *
 *	spf_check() evaluates both identities of one message under one DNS
 *	time budget (timeout_ms): no DNS query starts once the budget is
 *	spent, and each query is given at most what is left of it, so a
 *	dead or slow DNS server costs the caller at most the budget. What
 *	could not be looked up in time is TempError. The MAIL FROM identity
 *	is evaluated first (RFC 7208 requires it, HELO is only recommended)
 *	and the HELO identity gets what it leaves.
 *
 *	Inputs are taken as the MTA gives them and normalized (spfid.h): the
 *	client address may carry Postfix's "IPv6:" prefix or brackets, and
 *	an IPv4-mapped IPv6 address is checked as IPv4; the sender may be
 *	"<a@b>", "a@b", "<@relay:a@b>" or "<>". A null sender is checked
 *	as postmaster@HELO (RFC 7208 2.4). A HELO name or sender domain
 *	that is not a multi-label domain name (an address literal, one
 *	label, bad characters) is None without any DNS query (RFC 7208
 *	4.3). A loopback client is Pass ("localhost is always allowed" in
 *	libspf2), without DNS.
 *
 *	spf_check() is thread-safe. The zone functions are for tests and
 *	must be called before the first check.
 * DIAGNOSTICS
 *	spf_check() returns -1 only when memory runs out; a DNS failure is
 *	a result (TempError), not an error. libspf2's own warnings are
 *	logged (escaped) as warnings; its internal assertion failures are
 *	esmtpguard panics.
 *--*/
#ifndef ESMTPGUARD_SPF_H
#define ESMTPGUARD_SPF_H

#include <stdbool.h>

/* RFC 7208 results, in the order of libspf2's own enum (not its values) */
enum spf_res {
	SPF_NONE,
	SPF_NEUTRAL,
	SPF_PASS,
	SPF_FAIL,
	SPF_SOFTFAIL,
	SPF_TEMPERROR,
	SPF_PERMERROR,
};

/* What spf_check() computed for one message. Strings are malloc'd and
 * released by spf_result_free(); identities are raw client text (escape
 * them before logging). */
struct spf_result {
	bool	checked;	/* false: no usable client address, nothing
				 * checked, every other field empty */
	bool	helo_checked;	/* the HELO identity was asked for and a
				 * HELO name was given */
	enum spf_res helo;
	enum spf_res mailfrom;
	char   *helo_id;	/* "postmaster@HELO" */
	char   *mailfrom_id;	/* "user@domain", or "postmaster@HELO" */
	char   *header;		/* Received-SPF value for the MAIL FROM
				 * identity, one line, printable ASCII */
};

struct spf;

/* spf_new - the process's SPF checker, asking DNS through the system
 * resolver configuration; receiver names this host in Received-SPF.
 * NULL when out of memory. */
struct spf *spf_new(const char *receiver);

/* spf_new_zone - tests: answers come from a zone filled with
 * spf_zone_add() instead of DNS; names not in it do not exist */
struct spf *spf_new_zone(const char *receiver);

/* spf_zone_add - tests: add a record to a spf_new_zone() checker. type is
 * "TXT", "A", "AAAA", "MX" or "PTR" with its data as text; "TEMPFAIL"
 * (data NULL) makes every lookup of name fail temporarily, as a server
 * that does not answer; "DELAY" with data "N" makes each lookup of name
 * cost N milliseconds of the budget (a virtual clock: nothing sleeps).
 * 0, or -1 on a bad type or data. */
int	spf_zone_add(struct spf *spf, const char *name, const char *type,
		     const char *data);

/* spf_lookups - tests: DNS lookups that reached the zone or resolver
 * layer (below the cache) so far */
unsigned long spf_lookups(const struct spf *spf);

void	spf_free(struct spf *spf);	/* NULL ok */

/* spf_check - evaluate the HELO identity (when check_helo) and the MAIL
 * FROM identity within timeout_ms; helo and mail_from may be NULL. 0, or
 * -1 out of memory (out is then empty). */
int	spf_check(struct spf *spf, const char *client_addr, const char *helo,
		  const char *mail_from, bool check_helo, unsigned timeout_ms,
		  struct spf_result *out);

void	spf_result_free(struct spf_result *res);	/* zeroes it */

/* spf_res_name - "Pass", "Fail", "SoftFail", "Neutral", "None",
 * "TempError", "PermError" (as ESA logs them) */
const char *spf_res_name(enum spf_res res);

/* spf_version - "libspf2 1.2.10" */
const char *spf_version(void);

#endif
