/*++
 * NAME
 *	check_spfid 1t
 * SUMMARY
 *	unit tests of spfid: the identities of an SPF check as the MTA
 *	gives them, good and malformed
 *--*/
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "spfid.h"
#include "unit.h"

/* client - spfid_client(text) and, when it is an address, its form */
static const char *
client(const char *text, int *family)
{
	static struct spfid_client c;

	if (!spfid_client(text, &c))
		return NULL;
	*family = c.family;
	return c.text;
}

START_TEST(client_forms)
{
	int	f = 0;

	ck_assert_str_eq(client("192.0.2.1", &f), "192.0.2.1");
	ck_assert_int_eq(f, AF_INET);
	ck_assert_str_eq(client("[192.0.2.1]", &f), "192.0.2.1");
	ck_assert_str_eq(client("IPv6:2001:db8::1", &f), "2001:db8::1");
	ck_assert_int_eq(f, AF_INET6);
	ck_assert_str_eq(client("[ipv6:2001:DB8::1]", &f), "2001:db8::1");
	/* IPv4-mapped: checked as IPv4 */
	ck_assert_str_eq(client("IPv6:::ffff:192.0.2.7", &f), "192.0.2.7");
	ck_assert_int_eq(f, AF_INET);
	ck_assert_str_eq(client("[::ffff:192.0.2.7]", &f), "192.0.2.7");
}
END_TEST

START_TEST(client_bad)
{
	char	huge[4096];
	int	f = 0;

	ck_assert_ptr_null(client(NULL, &f));
	ck_assert_ptr_null(client("", &f));
	ck_assert_ptr_null(client("[]", &f));
	ck_assert_ptr_null(client("IPv6:", &f));
	ck_assert_ptr_null(client("unknown", &f));	/* Postfix, no address */
	ck_assert_ptr_null(client("192.0.2.256", &f));
	ck_assert_ptr_null(client("192.0.2.1 ", &f));
	ck_assert_ptr_null(client("2001:db8::1::2", &f));
	memset(huge, '1', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = 0;
	ck_assert_ptr_null(client(huge, &f));
}
END_TEST

/* sender - spfid_sender, compared and freed */
static void
sender(const char *arg, const char *want)
{
	char   *got = spfid_sender(arg);

	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(senders)
{
	char   *big, *got;
	size_t	n = 100000;

	sender("<a@b.example>", "a@b.example");
	sender("a@b.example", "a@b.example");
	sender("<@relay.example:a@b.example>", "a@b.example");
	sender("<@r1,@r2:a@b.example>", "a@b.example");
	sender("<>", "");
	sender("", "");
	sender(NULL, "");
	sender("<", "<");		/* not a pair: taken as it is */
	sender("<a@b", "<a@b");
	sender("<@no-colon>", "@no-colon");
	/* huge: whole, not cut */
	big = malloc(n + 3);
	ck_assert_ptr_nonnull(big);
	big[0] = '<';
	memset(big + 1, 'x', n);
	big[n + 1] = '>';
	big[n + 2] = 0;
	got = spfid_sender(big);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(strlen(got), n);
	free(got);
	free(big);
}
END_TEST

START_TEST(domains)
{
	char	d[300];

	ck_assert(spfid_domain_ok("example.com"));
	ck_assert(spfid_domain_ok("example.com."));
	ck_assert(spfid_domain_ok("_spf.mail-1.example"));
	ck_assert(spfid_domain_ok("3com.example"));
	ck_assert(!spfid_domain_ok(""));
	ck_assert(!spfid_domain_ok("."));
	ck_assert(!spfid_domain_ok("localhost"));	/* one label */
	ck_assert(!spfid_domain_ok("192.0.2.1"));	/* an address */
	ck_assert(!spfid_domain_ok("[192.0.2.1]"));
	ck_assert(!spfid_domain_ok("a..example"));
	ck_assert(!spfid_domain_ok(".example.com"));
	ck_assert(!spfid_domain_ok("exa mple.com"));
	ck_assert(!spfid_domain_ok("ex\x7f" "ample.com"));
	ck_assert(!spfid_domain_ok("ex\xc3\xa9.com"));	/* not IDNA */
	/* a label of 63 is one, of 64 is not */
	memset(d, 'a', 63);
	memcpy(d + 63, ".example", 9);
	ck_assert(spfid_domain_ok(d));
	memset(d, 'a', 64);
	memcpy(d + 64, ".example", 9);
	ck_assert(!spfid_domain_ok(d));
	/* 253 bytes is a name, 254 is not (a trailing dot aside) */
	for (size_t i = 0; i < 253; i++)
		d[i] = (i % 2) ? '.' : 'a';
	d[253] = 0;
	ck_assert(spfid_domain_ok(d));
	memcpy(d + 253, ".", 2);
	ck_assert(spfid_domain_ok(d));
	memcpy(d + 253, "a", 2);
	ck_assert(!spfid_domain_ok(d));
}
END_TEST

/* mailfrom - spfid_mailfrom, compared and freed */
static void
mailfrom(const char *s, const char *helo, const char *want)
{
	char   *got = spfid_mailfrom(s, helo);

	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(mailfrom_identity)
{
	mailfrom("a@b.example", "mx.example", "a@b.example");
	mailfrom("", "mx.example", "postmaster@mx.example");
	mailfrom("", NULL, "postmaster@");
	mailfrom("@b.example", "mx.example", "postmaster@b.example");
	mailfrom("%s%n@b.example", NULL, "%s%n@b.example");	/* not a format */
}
END_TEST

static Suite *
suite(void)
{
	Suite  *s = suite_create("spfid");
	TCase  *tc = tcase_create("spfid");

	tcase_add_test(tc, client_forms);
	tcase_add_test(tc, client_bad);
	tcase_add_test(tc, senders);
	tcase_add_test(tc, domains);
	tcase_add_test(tc, mailfrom_identity);
	suite_add_tcase(s, tc);
	return (s);
}

UNIT_MAIN
