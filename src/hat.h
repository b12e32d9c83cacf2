/*++
 * NAME
 *	hat 3h
 * SUMMARY
 *	host access table: sender-group entries and first-match lookup
 * DESCRIPTION
 *	Sender groups are read top-down and the first entry that matches
 *	wins, like an ESA HAT. Entry forms (hat_entry_parse):
 *
 *	ALL			every client
 *	192.0.2.7		one IPv4 address
 *	2001:db8::7		one IPv6 address
 *	10.0.0.0/8		CIDR, IPv4 or IPv6 (host bits must be zero)
 *	10/8  192.168/16	CIDR with a partial IPv4 address (ESA): the
 *				octets given, the rest zero
 *	192.0.2.10-20		range in the last given octet; also
 *				"192.0.2-3." and full "192.0.2.10-192.0.3.5";
 *				IPv6 "2001:db8::1-2001:db8::ff"
 *	192.0.2.  10.		partial address (every address below it);
 *	192.0.2   10		the same without the trailing dot, as ESA
 *				has it: a host name cannot have an
 *				all-numeric last label, so a string of
 *				digits and dots is never a host name
 *	mx.example.com		a host name (letters, digits, hyphens)
 *	.example.com		every host name strictly below example.com
 *				(not example.com itself: list both)
 *
 *	IPv4 octets are decimal without leading zeros ("010" is refused:
 *	inet_aton() would read it as octal). "ALL" is case-insensitive.
 *
 *	Addresses are kept as 16-byte IPv6 (IPv4 as ::ffff:a.b.c.d) with an
 *	inclusive [lo, hi] range, so every address form is one compare and
 *	IPv4-mapped IPv6 clients match IPv4 entries.
 *
 *	Host names and domains match only a verified (forward-confirmed)
 *	client name: an attacker controls his own PTR record and must never
 *	earn an exemption with it. Name matches are case-insensitive and a
 *	trailing dot is ignored.
 *--*/
#ifndef ESMTPGUARD_HAT_H
#define ESMTPGUARD_HAT_H

#include <stdbool.h>
#include <stddef.h>

struct policy;

enum hat_kind {
	HAT_ALL,
	HAT_RANGE,		/* address, CIDR, range, partial */
	HAT_HOST,
	HAT_DOMAIN,
};

struct hat_entry {
	enum hat_kind kind;
	char   *text;		/* as written in the configuration, for the log */
	unsigned char lo[16];	/* HAT_RANGE */
	unsigned char hi[16];
	char   *name;		/* HAT_HOST / HAT_DOMAIN, lower case, no
				 * trailing dot; HAT_DOMAIN keeps its
				 * leading dot */
};

struct hat_group {
	char   *name;
	struct policy *policy;
	size_t	nentries;
	struct hat_entry *entries;
};

struct hat_client {
	bool	have_addr;
	unsigned char addr[16];	/* IPv4 as ::ffff:a.b.c.d */
	const char *verified_name;	/* NULL unless forward-confirmed */
};

/* hat_entry_parse - parse one entry; 0, or -1 with a static reason */
int	hat_entry_parse(const char *text, struct hat_entry *entry,
			const char **why);
void	hat_entry_free(struct hat_entry *entry);

/* hat_client_addr - set the client address from text: IPv4, IPv6, an
 * optional "IPv6:" prefix (Postfix) or [brackets] (Sendmail) are
 * accepted; 0, or -1 when it is not an address (have_addr stays false) */
int	hat_client_addr(struct hat_client *client, const char *text);

bool	hat_entry_match(const struct hat_entry *entry,
			const struct hat_client *client);

/* hat_lookup - first group with a matching entry, in order; *matched is
 * set to that entry. NULL when nothing matches. */
const struct hat_group *hat_lookup(const struct hat_group *groups,
				   size_t ngroups,
				   const struct hat_client *client,
				   const struct hat_entry **matched);

#endif
