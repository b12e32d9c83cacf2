/*++
 * NAME
 *	hat 3
 * SUMMARY
 *	host access table: sender-group entries and first-match lookup
 * SYNOPSIS
 *	#include "hat.h"
 * DESCRIPTION
 *	See hat.h for the entry forms. Every address form is turned into
 *	one inclusive [lo, hi] range of 16-byte addresses at parse time,
 *	so a lookup is two memcmp() calls per entry whatever was written.
 *
 *	IPv4 entries follow the ESA sender-group syntax: one to four
 *	decimal octets, the last one given optionally a range "x-y",
 *	optionally a trailing dot when fewer than four octets are given;
 *	missing octets span 0-255. A string of digits, dots, '-' and '/'
 *	that starts with a digit is always read as an IPv4 entry: a host
 *	name cannot have an all-numeric top-level label, so "10" or
 *	"192.0.2" mean a partial address and never a host. Octets with a
 *	leading zero are refused because inet_aton() and friends would
 *	read them as octal.
 *--*/
#include <config.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hat.h"

#define HOSTNAME_MAX	253
#define LABEL_MAX	63

/* Dotted IPv4 syntax as parsed, before it becomes a range. */
struct v4_parse {
	unsigned char lo[4];
	unsigned char hi[4];
	int	noctets;
	bool	ranged;		/* "x-y" in the last octet given */
	bool	trailing_dot;
};

/* v4_mapped - IPv4 octets as ::ffff:a.b.c.d */

static void
v4_mapped(unsigned char out[16], const unsigned char v4[4])
{
	memset(out, 0, 10);
	out[10] = 0xff;
	out[11] = 0xff;
	memcpy(out + 12, v4, 4);
}

/* range_order - a range written "a-b" must not run backwards */

static int
range_order(const struct hat_entry *entry, const char **why)
{
	if (memcmp(entry->lo, entry->hi, 16) > 0) {
		*why = "range end below start";
		return (-1);
	}
	return (0);
}

/* parse_decimal - strict decimal 0..max, no sign, no leading zero */

static bool
parse_decimal(const char **pp, unsigned max, unsigned *val)
{
	const char *p = *pp;
	unsigned v = 0;

	if (!isdigit((unsigned char)*p))
		return (false);
	if (*p == '0' && isdigit((unsigned char)p[1]))
		return (false);
	for (; isdigit((unsigned char)*p); p++) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > max)
			return (false);
	}
	*val = v;
	*pp = p;
	return (true);
}

/*
 * parse_v4 - dotted IPv4 syntax, stopping at the first character that
 * cannot continue it (left in *end). Missing octets are filled in as
 * 0 (lo) and 255 (hi).
 */
static int
parse_v4(const char *s, struct v4_parse *v, const char **end,
	 const char **why)
{
	const char *p = s;
	unsigned oct, top;
	int	i;

	memset(v, 0, sizeof(*v));
	for (;;) {
		if (!parse_decimal(&p, 255, &oct))
			goto bad;
		v->lo[v->noctets] = v->hi[v->noctets] = (unsigned char)oct;
		v->noctets++;
		if (*p == '-' && isdigit((unsigned char)p[1])) {
			p++;
			if (!parse_decimal(&p, 255, &top))
				goto bad;
			if (top < oct) {
				*why = "range end below start";
				return (-1);
			}
			v->hi[v->noctets - 1] = (unsigned char)top;
			v->ranged = true;
		}
		if (*p != '.')
			break;
		p++;
		if (*p == '\0') {
			if (v->noctets == 4)
				goto bad;
			v->trailing_dot = true;
			break;
		}
		/* a range is allowed in the last octet given only */
		if (v->ranged || v->noctets == 4)
			goto bad;
	}
	for (i = v->noctets; i < 4; i++) {
		v->lo[i] = 0;
		v->hi[i] = 255;
	}
	*end = p;
	return (0);

bad:
	*why = "bad IPv4 address";
	return (-1);
}

/* parse_v4_full - exactly one complete dotted quad, nothing after */

static bool
parse_v4_full(const char *s, unsigned char out[16])
{
	struct v4_parse v;
	const char *end;
	const char *why;

	if (parse_v4(s, &v, &end, &why) < 0 || *end != '\0' ||
	    v.noctets != 4 || v.ranged)
		return (false);
	v4_mapped(out, v.lo);
	return (true);
}

/*
 * prefix_range - [lo, hi] of a CIDR block; the address must have no
 * bits set below the prefix: "10.1.2.3/8" is more likely a typo than a
 * wish for 10.0.0.0/8, and a silent widening would be a hole.
 */
static int
prefix_range(struct hat_entry *entry, unsigned plen, const char **why)
{
	int	i;
	unsigned bits;
	unsigned char mask;

	for (i = 0; i < 16; i++) {
		bits = plen > 8u * (unsigned)i ? plen - 8u * (unsigned)i : 0;
		mask = bits >= 8 ? 0xff : (unsigned char)(0xff00u >> bits);
		if (entry->lo[i] & ~mask) {
			*why = "host bits set in CIDR block";
			return (-1);
		}
		entry->hi[i] = entry->lo[i] | (unsigned char)~mask;
	}
	return (0);
}

/* parse_cidr_len - the text after '/', max bits */

static bool
parse_cidr_len(const char *p, unsigned max, unsigned *plen)
{
	return (parse_decimal(&p, max, plen) && *p == '\0');
}

/* parse_ipv4_entry - address, CIDR, range or partial IPv4 entry */

static int
parse_ipv4_entry(const char *text, struct hat_entry *entry, const char **why)
{
	struct v4_parse v;
	const char *end;
	const char *dash;
	unsigned plen;

	/* "a.b.c.d-e.f.g.h" */
	if ((dash = strchr(text, '-')) != NULL && strchr(dash, '.') != NULL &&
	    parse_v4_full(dash + 1, entry->hi)) {
		char   *left;
		bool	ok;

		if ((left = strndup(text, (size_t)(dash - text))) == NULL) {
			*why = "out of memory";
			return (-1);
		}
		ok = parse_v4_full(left, entry->lo);
		free(left);
		if (!ok) {
			*why = "bad IPv4 address";
			return (-1);
		}
		return (range_order(entry, why));
	}
	if (parse_v4(text, &v, &end, why) < 0)
		return (-1);
	if (*end == '/') {
		/* "n/c" ... "n.n.n.n/c": the octets given, then zeros */
		if (v.ranged || v.trailing_dot) {
			*why = "bad IPv4 address";
			return (-1);
		}
		if (!parse_cidr_len(end + 1, 32, &plen)) {
			*why = "bad CIDR prefix length";
			return (-1);
		}
		v4_mapped(entry->lo, v.lo);
		return (prefix_range(entry, 96 + plen, why));
	}
	if (*end != '\0') {
		*why = "bad IPv4 address";
		return (-1);
	}
	v4_mapped(entry->lo, v.lo);
	v4_mapped(entry->hi, v.hi);
	return (0);
}

/* parse_ipv6_addr - inet_pton() of the n bytes at s */

static bool
parse_ipv6_addr(const char *s, size_t n, unsigned char out[16])
{
	char	buf[INET6_ADDRSTRLEN];

	/* Longer than any IPv6 text form: not an address, no need to copy. */
	if (n >= sizeof(buf))
		return (false);
	memcpy(buf, s, n);
	buf[n] = '\0';
	return (inet_pton(AF_INET6, buf, out) == 1);
}

/* parse_ipv6_entry - address, CIDR or "a-b" range */

static int
parse_ipv6_entry(const char *text, struct hat_entry *entry, const char **why)
{
	const char *sep;
	size_t	len = strlen(text);
	unsigned plen;

	if ((sep = strchr(text, '/')) != NULL) {
		if (!parse_ipv6_addr(text, (size_t)(sep - text), entry->lo)) {
			*why = "bad IPv6 address";
			return (-1);
		}
		if (!parse_cidr_len(sep + 1, 128, &plen)) {
			*why = "bad CIDR prefix length";
			return (-1);
		}
		return (prefix_range(entry, plen, why));
	}
	if ((sep = strchr(text, '-')) != NULL) {
		if (!parse_ipv6_addr(text, (size_t)(sep - text), entry->lo) ||
		    !parse_ipv6_addr(sep + 1, len - (size_t)(sep + 1 - text),
				     entry->hi)) {
			*why = "bad IPv6 address";
			return (-1);
		}
		return (range_order(entry, why));
	}
	if (!parse_ipv6_addr(text, len, entry->lo)) {
		*why = "bad IPv6 address";
		return (-1);
	}
	memcpy(entry->hi, entry->lo, 16);
	return (0);
}

/*
 * valid_hostname - LDH labels of 1-63 bytes, no hyphen at either end,
 * at most 253 bytes, and a top-level label that is not all digits (so
 * that no host name can be mistaken for a partial IPv4 address).
 */
static bool
valid_hostname(const char *s, size_t len)
{
	size_t	i, label = 0;
	bool	alldigit = true;

	if (len == 0 || len > HOSTNAME_MAX)
		return (false);
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return (false);
			label = 0;
			alldigit = true;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return (false);
		if (s[i] == '-' && label == 0)
			return (false);
		if (!isdigit((unsigned char)s[i]))
			alldigit = false;
		if (++label > LABEL_MAX)
			return (false);
	}
	return (label > 0 && s[len - 1] != '-' && !alldigit);
}

/* parse_name_entry - host name or ".domain", stored lower case */

static int
parse_name_entry(const char *text, struct hat_entry *entry, const char **why)
{
	bool	domain = text[0] == '.';
	const char *name = domain ? text + 1 : text;
	size_t	len = strlen(name);
	size_t	i;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (!valid_hostname(name, len)) {
		*why = domain ? "bad domain" : "bad host name";
		return (-1);
	}
	entry->kind = domain ? HAT_DOMAIN : HAT_HOST;
	if ((entry->name = strndup(text, len + (domain ? 1 : 0))) == NULL) {
		*why = "out of memory";
		return (-1);
	}
	for (i = 0; entry->name[i]; i++)
		entry->name[i] = (char)tolower((unsigned char)entry->name[i]);
	return (0);
}

/* hat_entry_parse - parse one sender-group entry */

int
hat_entry_parse(const char *text, struct hat_entry *entry, const char **why)
{
	int	ret;

	memset(entry, 0, sizeof(*entry));
	if (*text == '\0') {
		*why = "empty entry";
		return (-1);
	}
	if (strcasecmp(text, "ALL") == 0) {
		entry->kind = HAT_ALL;
		ret = 0;
	} else if (strchr(text, ':') != NULL) {
		entry->kind = HAT_RANGE;
		ret = parse_ipv6_entry(text, entry, why);
	} else if (isdigit((unsigned char)text[0]) &&
		   text[strspn(text, "0123456789.-/")] == '\0') {
		entry->kind = HAT_RANGE;
		ret = parse_ipv4_entry(text, entry, why);
	} else
		ret = parse_name_entry(text, entry, why);
	if (ret == 0 && (entry->text = strdup(text)) == NULL) {
		*why = "out of memory";
		ret = -1;
	}
	if (ret < 0)
		hat_entry_free(entry);
	return (ret);
}

/* hat_entry_free - release an entry's memory; the entry is zeroed */

void
hat_entry_free(struct hat_entry *entry)
{
	free(entry->text);
	free(entry->name);
	memset(entry, 0, sizeof(*entry));
}

/* hat_client_addr - the client address as the MTA hands it over */

int
hat_client_addr(struct hat_client *client, const char *text)
{
	const char *p = text;
	size_t	len = strlen(text);
	unsigned char v4[4];
	char	buf[INET6_ADDRSTRLEN];
	bool	v6tag = false;

	client->have_addr = false;
	if (len >= 2 && p[0] == '[' && p[len - 1] == ']') {
		p++;
		len -= 2;
	}
	if (len > 5 && strncasecmp(p, "IPv6:", 5) == 0) {
		p += 5;
		len -= 5;
		v6tag = true;
	}
	if (len >= sizeof(buf))
		return (-1);
	memcpy(buf, p, len);
	buf[len] = '\0';
	if (!v6tag && inet_pton(AF_INET, buf, v4) == 1)
		v4_mapped(client->addr, v4);
	else if (inet_pton(AF_INET6, buf, client->addr) != 1)
		return (-1);
	client->have_addr = true;
	return (0);
}

/* name_len - length of a client name without its trailing dot */

static size_t
name_len(const char *name)
{
	size_t	len = strlen(name);

	return (len > 0 && name[len - 1] == '.' ? len - 1 : len);
}

/* hat_entry_match - does the entry cover this client? */

bool
hat_entry_match(const struct hat_entry *entry, const struct hat_client *client)
{
	size_t	len, elen;

	switch (entry->kind) {
	case HAT_ALL:
		return (true);
	case HAT_RANGE:
		return (client->have_addr &&
			memcmp(client->addr, entry->lo, 16) >= 0 &&
			memcmp(client->addr, entry->hi, 16) <= 0);
	case HAT_HOST:
	case HAT_DOMAIN:
		/* Never an unverified name: the client owns its PTR record. */
		if (client->verified_name == NULL)
			return (false);
		len = name_len(client->verified_name);
		elen = strlen(entry->name);
		if (entry->kind == HAT_HOST)
			return (len == elen && strncasecmp(client->verified_name,
						entry->name, len) == 0);
		/* ".example.com": strictly below, on a label boundary */
		return (len > elen &&
			strncasecmp(client->verified_name + len - elen,
				    entry->name, elen) == 0);
	}
	return (false);
}

/* hat_lookup - first group, in order, with an entry that matches */

const struct hat_group *
hat_lookup(const struct hat_group *groups, size_t ngroups,
	   const struct hat_client *client, const struct hat_entry **matched)
{
	size_t	g, e;

	for (g = 0; g < ngroups; g++) {
		for (e = 0; e < groups[g].nentries; e++) {
			if (hat_entry_match(&groups[g].entries[e], client)) {
				if (matched != NULL)
					*matched = &groups[g].entries[e];
				return (&groups[g]);
			}
		}
	}
	if (matched != NULL)
		*matched = NULL;
	return (NULL);
}
