/*++
 * NAME
 *	spfid 3
 * SUMMARY
 *	the identities of an SPF check, as the MTA gives them
 * SYNOPSIS
 *	#include "spfid.h"
 * DESCRIPTION
 *	See spfid.h. Split from spf.c, which keeps libspf2 and DNS: nothing
 *	here needs either.
 *--*/
#include <config.h>

#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spfid.h"
#include "strbuf.h"

bool
spfid_client(const char *text, struct spfid_client *c)
{
	char	buf[INET6_ADDRSTRLEN + 8];
	size_t	n;

	if (text == NULL)
		return false;
	if (*text == '[')
		text++;
	if (strncasecmp(text, "IPv6:", 5) == 0)
		text += 5;
	n = strcspn(text, "]");
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, text, n);
	buf[n] = 0;
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, buf, &c->v4) == 1) {
		c->family = AF_INET;
	} else if (inet_pton(AF_INET6, buf, &c->v6) == 1) {
		c->family = AF_INET6;
		if (IN6_IS_ADDR_V4MAPPED(&c->v6)) {
			c->family = AF_INET;
			memcpy(&c->v4, &c->v6.s6_addr[12], 4);
		}
	} else {
		return false;
	}
	if (c->family == AF_INET)
		inet_ntop(AF_INET, &c->v4, c->text, sizeof(c->text));
	else
		inet_ntop(AF_INET6, &c->v6, c->text, sizeof(c->text));
	return true;
}

char *
spfid_sender(const char *arg)
{
	const char *p = arg ? arg : "";
	size_t	n = strlen(p);
	const char *colon;

	if (n >= 2 && p[0] == '<' && p[n - 1] == '>') {
		p++;
		n -= 2;
	}
	if (n > 0 && p[0] == '@' && (colon = memchr(p, ':', n)) != NULL) {
		n -= colon + 1 - p;
		p = colon + 1;
	}
	return strndup(p, n);
}

bool
spfid_domain_ok(const char *d)
{
	size_t	len = strlen(d), label = 0, labels = 0;
	bool	digits = true;
	const char *p;

	if (len > 0 && d[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	for (p = d; p < d + len; p++) {
		if (*p == '.') {
			if (label == 0)
				return false;
			labels++;
			label = 0;
			digits = true;
			continue;
		}
		if (!isalnum((unsigned char) *p) && *p != '-' && *p != '_')
			return false;
		if (!isdigit((unsigned char) *p))
			digits = false;
		if (++label > 63)
			return false;
	}
	return label > 0 && labels >= 1 && !digits;
}

char *
spfid_mailfrom(const char *sender, const char *helo)
{
	struct strbuf sb = {0};
	char   *out = NULL;
	bool	ok;

	if (*sender == 0)
		ok = strbuf_printf(&sb, "postmaster@%s", helo ? helo : "");
	else if (*sender == '@')
		ok = strbuf_printf(&sb, "postmaster%s", sender);
	else
		ok = strbuf_puts(&sb, sender);
	if (ok)
		out = strdup(strbuf_str(&sb));
	strbuf_free(&sb);
	return out;
}
