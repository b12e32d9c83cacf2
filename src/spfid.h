/*++
 * NAME
 *	spfid 3h
 * SUMMARY
 *	the identities of an SPF check, as the MTA gives them
 * DESCRIPTION
 *	spf_check() takes the client address, the sender and the HELO name
 *	as Postfix and Sendmail send them; these functions normalize them
 *	before anything is asked of libspf2 (spf.c) or of DNS. They are
 *	pure: no DNS, no shared state, safe in any thread.
 *--*/
#ifndef ESMTPGUARD_SPFID_H
#define ESMTPGUARD_SPFID_H

#include <stdbool.h>
#include <netinet/in.h>
#include <arpa/inet.h>

/* a client address, as libspf2 wants it */
struct spfid_client {
	int	family;			/* AF_INET or AF_INET6 */
	struct in_addr v4;
	struct in6_addr v6;
	char	text[INET6_ADDRSTRLEN];	/* the address in its usual form */
};

/* spfid_client - "192.0.2.1", "IPv6:2001:db8::1", "[::ffff:192.0.2.1]"
 * (Postfix's prefix, brackets): false for NULL, "" or anything that is
 * not an address. An IPv4-mapped IPv6 address becomes IPv4, for libspf2
 * would match it against ip6 mechanisms only. */
bool	spfid_client(const char *text, struct spfid_client *c);

/* spfid_sender - the address inside "<...>", without a source route
 * ("<@relay:a@b>" is "a@b"); NULL is taken as "". A malloc'd string,
 * "" for the null sender; NULL only when memory runs out. */
char   *spfid_sender(const char *arg);

/* spfid_domain_ok - a multi-label domain name (a trailing dot allowed)
 * whose labels are 1-63 letters, digits, hyphens or underscores (some SPF
 * zones use them), at most 253 bytes, not all digits in its last label
 * (an address is no domain). Anything else is SPF "none" without a
 * lookup (RFC 7208 4.3). */
bool	spfid_domain_ok(const char *d);

/* spfid_mailfrom - the MAIL FROM identity of sender (spfid_sender's
 * result): the address itself; postmaster@HELO for the null sender (helo
 * may be NULL); postmaster@domain for "@domain" (RFC 7208 2.4 and 4.3, as
 * libspf2 does). A malloc'd string; NULL only when memory runs out. */
char   *spfid_mailfrom(const char *sender, const char *helo);

#endif
