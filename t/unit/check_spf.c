/*++
 * NAME
 *	check_spf 1t
 * SUMMARY
 *	unit tests of spf: every result, identities, inputs, the Received-SPF
 *	header, the cache and the DNS time budget, against libspf2's zone
 *	layer (no DNS)
 *--*/
#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spf.h"
#include "unit.h"

#define RECEIVER	"mx.test.example"
#define CLIENT		"192.0.2.10"
#define BUDGET		10000		/* ms */

static struct spf *spf;
static struct spf_result res;

/* The zone every test sees. */
static const struct {
	const char *name, *type, *data;
} zone[] = {
	{"pass.test", "TXT", "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"},
	{"fail.test", "TXT", "v=spf1 -all"},
	{"softfail.test", "TXT", "v=spf1 ~all"},
	{"neutral.test", "TXT", "v=spf1 ?all"},
	{"none.test", "TXT", "google-site-verification=abc"},
	{"twice.test", "TXT", "v=spf1 -all"},
	{"twice.test", "TXT", "v=spf1 +all"},
	{"syntax.test", "TXT", "v=spf1 frobnicate:x -all"},
	{"dead.test", "TEMPFAIL", NULL},
	{"incdead.test", "TXT", "v=spf1 include:dead.test -all"},
	{"helo.test", "TXT", "v=spf1 a -all"},
	{"helo.test", "A", "192.0.2.10"},
	/* the budget: each lookup of slow.test costs 3 s of it */
	{"slow.test", "DELAY", "3000"},
	{"slow.test", "A", "192.0.2.99"},
	{"after.test", "TXT", "v=spf1 ip4:192.0.2.10 -all"},
	{"after.test", "A", "192.0.2.10"},
	{"chain.test", "TXT", "v=spf1 a:slow.test a:after.test -all"},
	{"slow2.test", "DELAY", "3000"},
	{"slow2.test", "A", "192.0.2.98"},
	{"twoslow.test", "TXT", "v=spf1 a:slow.test a:slow2.test -all"},
	{"chain2.test", "TXT", "v=spf1 a:slow.test a:helo.test -all"},
};

static void
setup(void)
{
	size_t	i;

	spf = spf_new_zone(RECEIVER);
	ck_assert_ptr_nonnull(spf);
	for (i = 0; i < sizeof(zone) / sizeof(zone[0]); i++)
		ck_assert_msg(spf_zone_add(spf, zone[i].name, zone[i].type,
					   zone[i].data) == 0,
			      "zone entry %s %s", zone[i].name, zone[i].type);
	memset(&res, 0, sizeof(res));
}

static void
teardown(void)
{
	spf_result_free(&res);
	spf_free(spf);
}

/* check_in - spf_check into res, within ms */

static void
check_in(const char *client, const char *helo, const char *from,
	 bool do_helo, unsigned ms)
{
	spf_result_free(&res);
	ck_assert_int_eq(spf_check(spf, client, helo, from, do_helo, ms, &res),
			 0);
}

/* check - with the usual budget */

static void
check(const char *client, const char *helo, const char *from, bool do_helo)
{
	check_in(client, helo, from, do_helo, BUDGET);
}

/* mailfrom_in - the MAIL FROM result for the usual client, within ms */

static enum spf_res
mailfrom_in(const char *from, unsigned ms)
{
	check_in(CLIENT, NULL, from, false, ms);
	return res.mailfrom;
}

/* Every result of the MAIL FROM identity. */
static const struct {
	const char *from;
	enum spf_res want;
	const char *header;	/* how the Received-SPF value begins */
} results[] = {
	{"<a@pass.test>", SPF_PASS, "pass (" RECEIVER ": domain of pass.test "
	 "designates 192.0.2.10 as permitted sender) client-ip=192.0.2.10; "
	 "envelope-from=a@pass.test; helo=client.example;"},
	{"<a@fail.test>", SPF_FAIL, "fail (" RECEIVER ": domain of fail.test "
	 "does not designate 192.0.2.10 as permitted sender)"},
	{"<a@softfail.test>", SPF_SOFTFAIL, "softfail (" RECEIVER ": "
	 "transitioning domain of softfail.test does not designate"},
	{"<a@neutral.test>", SPF_NEUTRAL, "neutral (" RECEIVER ": 192.0.2.10 "
	 "is neither permitted nor denied by domain of neutral.test)"},
	{"<a@none.test>", SPF_NONE, "none (" RECEIVER ": domain of none.test "
	 "does not provide an SPF record)"},
	{"<a@nxdomain.test>", SPF_NONE, "none ("},
	{"<a@twice.test>", SPF_PERMERROR, "permerror (" RECEIVER ": error in "
	 "processing during lookup of domain of twice.test: Multiple SPF"},
	{"<a@syntax.test>", SPF_PERMERROR, "permerror (" RECEIVER ": cannot "
	 "evaluate the SPF record of syntax.test) client-ip=192.0.2.10; "
	 "envelope-from=a@syntax.test; helo=client.example;"},
	{"<a@dead.test>", SPF_TEMPERROR, "temperror (" RECEIVER ": temporary "
	 "DNS error looking up dead.test) client-ip=192.0.2.10;"},
	{"<a@incdead.test>", SPF_TEMPERROR, "temperror (" RECEIVER ": "
	 "encountered temporary error during SPF processing of domain of "
	 "incdead.test)"},
};

#define NRESULTS	(sizeof(results) / sizeof(results[0]))

START_TEST(test_results)
{
	check(CLIENT, "client.example", results[_i].from, false);
	ck_assert(res.checked);
	ck_assert_msg(res.mailfrom == results[_i].want, "%s: got %s, want %s",
		      results[_i].from, spf_res_name(res.mailfrom),
		      spf_res_name(results[_i].want));
	ck_assert_ptr_nonnull(res.header);
	ck_assert_msg(strncmp(res.header, results[_i].header,
			      strlen(results[_i].header)) == 0,
		      "header: %s", res.header);
	ck_assert(!res.helo_checked);
	ck_assert_ptr_null(res.helo_id);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(spf_res_name(SPF_PASS), "Pass");
	ck_assert_str_eq(spf_res_name(SPF_FAIL), "Fail");
	ck_assert_str_eq(spf_res_name(SPF_SOFTFAIL), "SoftFail");
	ck_assert_str_eq(spf_res_name(SPF_NEUTRAL), "Neutral");
	ck_assert_str_eq(spf_res_name(SPF_NONE), "None");
	ck_assert_str_eq(spf_res_name(SPF_TEMPERROR), "TempError");
	ck_assert_str_eq(spf_res_name(SPF_PERMERROR), "PermError");
}
END_TEST

START_TEST(test_helo_identity)
{
	check(CLIENT, "helo.test", "<a@fail.test>", true);
	ck_assert(res.helo_checked);
	ck_assert_str_eq(res.helo_id, "postmaster@helo.test");
	ck_assert_int_eq(res.helo, SPF_PASS);
	ck_assert_str_eq(res.mailfrom_id, "a@fail.test");
	ck_assert_int_eq(res.mailfrom, SPF_FAIL);

	/* the other client is not helo.test's address */
	check("192.0.2.11", "helo.test", "<a@pass.test>", true);
	ck_assert_int_eq(res.helo, SPF_FAIL);
	ck_assert_int_eq(res.mailfrom, SPF_PASS);
}
END_TEST

START_TEST(test_helo_off_or_missing)
{
	check(CLIENT, "helo.test", "<a@pass.test>", false);
	ck_assert(!res.helo_checked);
	ck_assert_ptr_null(res.helo_id);
	check(CLIENT, NULL, "<a@pass.test>", true);
	ck_assert(!res.helo_checked);
	ck_assert_int_eq(res.mailfrom, SPF_PASS);
	check(CLIENT, "", "<a@pass.test>", true);
	ck_assert(!res.helo_checked);
}
END_TEST

START_TEST(test_null_sender)
{
	check(CLIENT, "helo.test", "<>", true);
	ck_assert_str_eq(res.mailfrom_id, "postmaster@helo.test");
	ck_assert_int_eq(res.mailfrom, SPF_PASS);
	ck_assert_int_eq(res.helo, SPF_PASS);
	ck_assert_msg(strstr(res.header, "envelope-from=postmaster@helo.test;")
		      != NULL, "%s", res.header);

	check(CLIENT, "fail.test", "", false);
	ck_assert_str_eq(res.mailfrom_id, "postmaster@fail.test");
	ck_assert_int_eq(res.mailfrom, SPF_FAIL);

	/* no HELO at all: nothing to check it against */
	check(CLIENT, NULL, "<>", true);
	ck_assert_str_eq(res.mailfrom_id, "postmaster@");
	ck_assert_int_eq(res.mailfrom, SPF_NONE);
}
END_TEST

/* What the MTA passes as the sender. */
static const struct {
	const char *arg;
	const char *id;
	enum spf_res want;
} senders[] = {
	{"<a@pass.test>", "a@pass.test", SPF_PASS},
	{"a@pass.test", "a@pass.test", SPF_PASS},
	{"<@relay.example,@r2.example:a@pass.test>", "a@pass.test", SPF_PASS},
	{"<\"a@b\"@fail.test>", "\"a@b\"@fail.test", SPF_FAIL},
	{"<@pass.test>", "postmaster@pass.test", SPF_PASS},
	{"<unqualified>", "unqualified", SPF_NONE},
	{"<a@>", "a@", SPF_NONE},
};

START_TEST(test_sender_forms)
{
	check(CLIENT, "client.example", senders[_i].arg, false);
	ck_assert_str_eq(res.mailfrom_id, senders[_i].id);
	ck_assert_msg(res.mailfrom == senders[_i].want, "%s: %s",
		      senders[_i].arg, spf_res_name(res.mailfrom));
}
END_TEST

/* The client address as Postfix and Sendmail pass it. */
static const struct {
	const char *addr;
	enum spf_res want;	/* for a@pass.test */
	const char *ip;		/* client-ip= in the header */
} clients[] = {
	{"192.0.2.10", SPF_PASS, "192.0.2.10"},
	{"[192.0.2.10]", SPF_PASS, "192.0.2.10"},
	{"198.51.100.1", SPF_FAIL, "198.51.100.1"},
	{"IPv6:2001:db8::5", SPF_PASS, "2001:db8::5"},
	{"ipv6:2001:DB8::5", SPF_PASS, "2001:db8::5"},
	{"2001:db8::5", SPF_PASS, "2001:db8::5"},
	{"2001:db9::5", SPF_FAIL, "2001:db9::5"},
	/* IPv4-mapped: checked as the IPv4 address */
	{"::ffff:192.0.2.10", SPF_PASS, "192.0.2.10"},
	{"IPv6:::ffff:198.51.100.1", SPF_FAIL, "198.51.100.1"},
	/* loopback: libspf2 passes it without asking DNS */
	{"127.0.0.1", SPF_PASS, "127.0.0.1"},
	{"::1", SPF_PASS, "::1"},
};

START_TEST(test_client_forms)
{
	char	want[64];

	check(clients[_i].addr, "client.example", "<a@pass.test>", false);
	ck_assert(res.checked);
	ck_assert_msg(res.mailfrom == clients[_i].want, "%s: %s",
		      clients[_i].addr, spf_res_name(res.mailfrom));
	snprintf(want, sizeof(want), "client-ip=%s;", clients[_i].ip);
	ck_assert_msg(strstr(res.header, want) != NULL, "%s", res.header);
}
END_TEST

START_TEST(test_loopback_is_localhost)
{
	unsigned long before = spf_lookups(spf);

	check("127.0.0.2", "client.example", "<a@fail.test>", true);
	ck_assert_int_eq(res.mailfrom, SPF_PASS);
	ck_assert_int_eq(res.helo, SPF_PASS);
	ck_assert_msg(strstr(res.header, "localhost is always allowed") != NULL,
		      "%s", res.header);
	ck_assert_uint_eq(spf_lookups(spf), before);
}
END_TEST

START_TEST(test_no_client_address)
{
	const char *bad[] = {NULL, "", "unknown", "local", "[]", "IPv6:",
	"192.0.2.300"};
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		check(bad[i], "client.example", "<a@pass.test>", true);
		ck_assert_msg(!res.checked, "%s", bad[i] ? bad[i] : "NULL");
		ck_assert_ptr_null(res.mailfrom_id);
		ck_assert_ptr_null(res.header);
	}
}
END_TEST

/* Names that are no domain: None, and DNS is never asked. */
START_TEST(test_not_a_domain)
{
	const char *helos[] = {"[192.0.2.1]", "localhost", "192.0.2.1",
		"a..test", ".test", "bad_char!.test", "ctl\x01.test",
		"x.123"};
	unsigned long before;
	size_t	i;

	for (i = 0; i < sizeof(helos) / sizeof(helos[0]); i++) {
		before = spf_lookups(spf);
		check(CLIENT, helos[i], "<>", true);
		ck_assert_msg(res.helo_checked && res.helo == SPF_NONE
			      && res.mailfrom == SPF_NONE, "%s", helos[i]);
		ck_assert_msg(spf_lookups(spf) == before, "%s: DNS was asked",
			      helos[i]);
		ck_assert_msg(strncmp(res.header, "none (" RECEIVER ": not a "
				      "valid domain name:", 33) == 0, "%s",
			      res.header);
	}
	/* a trailing dot and underscores are fine */
	check(CLIENT, "pass.test.", "<>", true);
	ck_assert_int_eq(res.helo, SPF_PASS);
}
END_TEST

/* The header is one printable line, whatever the client sent. */
START_TEST(test_header_printable)
{
	const char *p;

	check(CLIENT, "client.example", "<a\x01\x80\xff@pass.test>", false);
	ck_assert_int_eq(res.mailfrom, SPF_PASS);
	for (p = res.header; *p != 0; p++)
		ck_assert_msg(*p >= 0x20 && *p <= 0x7e, "byte 0x%02x in %s",
			      (unsigned char) *p, res.header);
	check(CLIENT, "client.example", "<a\x01@syntax.test>", false);
	for (p = res.header; *p != 0; p++)
		ck_assert_msg(*p >= 0x20 && *p <= 0x7e, "byte 0x%02x in %s",
			      (unsigned char) *p, res.header);
}
END_TEST

START_TEST(test_cache)
{
	unsigned long first;

	check(CLIENT, "client.example", "<a@pass.test>", false);
	first = spf_lookups(spf);
	ck_assert_uint_gt(first, 0);
	check(CLIENT, "client.example", "<b@pass.test>", false);
	ck_assert_int_eq(res.mailfrom, SPF_PASS);
	ck_assert_uint_eq(spf_lookups(spf), first);
}
END_TEST

/*
 * The budget. Each lookup of slow.test costs 3 s of virtual time.
 */

/* Out of time in the middle of a lookup: the query is cut where the
 * budget ends, the result is TempError. */
START_TEST(test_budget_runs_out)
{
	ck_assert_int_eq(mailfrom_in("<a@chain.test>", 2000), SPF_TEMPERROR);
	ck_assert_msg(strncmp(res.header, "temperror (", 11) == 0, "%s",
		      res.header);
}
END_TEST

/* A cut query counts as a server that did not answer: it is cached, so
 * the next message does not wait for it again. */
START_TEST(test_budget_cut_is_cached)
{
	unsigned long before;

	ck_assert_int_eq(mailfrom_in("<a@chain.test>", 2000), SPF_TEMPERROR);
	before = spf_lookups(spf);
	ck_assert_int_eq(mailfrom_in("<a@chain.test>", BUDGET), SPF_TEMPERROR);
	ck_assert_uint_eq(spf_lookups(spf), before);
}
END_TEST

/* The budget spent exactly: the lookup after it is never made, and that
 * refusal is not cached, because it says nothing about the name. */
START_TEST(test_budget_refusal_not_cached)
{
	unsigned long before;

	ck_assert_int_eq(mailfrom_in("<a@chain.test>", 3000), SPF_TEMPERROR);
	before = spf_lookups(spf);
	ck_assert_int_eq(mailfrom_in("<a@chain.test>", BUDGET), SPF_PASS);
	ck_assert_uint_gt(spf_lookups(spf), before);
}
END_TEST

/* The budget spent: what the cache holds is still answered. */
START_TEST(test_budget_spent_cache_answers)
{
	check(CLIENT, "helo.test", "<>", true);		/* caches helo.test */
	ck_assert_int_eq(res.mailfrom, SPF_PASS);
	ck_assert_int_eq(mailfrom_in("<a@chain2.test>", 3000), SPF_PASS);
}
END_TEST

/* Enough time: the slow lookup is paid for and the record completes. */
START_TEST(test_budget_enough)
{
	ck_assert_int_eq(mailfrom_in("<a@chain.test>", 4000), SPF_PASS);
}
END_TEST

/* Two slow lookups cost 6 s: a 5 s budget pays for the first only, 7 s
 * for both. */
START_TEST(test_budget_two_slow)
{
	ck_assert_int_eq(mailfrom_in("<a@twoslow.test>", 5000), SPF_TEMPERROR);
}
END_TEST

START_TEST(test_budget_two_slow_paid)
{
	ck_assert_int_eq(mailfrom_in("<a@twoslow.test>", 7000), SPF_FAIL);
}
END_TEST

/* The budget covers both identities, and MAIL FROM goes first: a HELO
 * domain that eats the budget costs the HELO result only... */
START_TEST(test_budget_shared_helo_slow)
{
	check_in(CLIENT, "chain.test", "<a@pass.test>", true, 3000);
	ck_assert_int_eq(res.mailfrom, SPF_PASS);
	ck_assert_int_eq(res.helo, SPF_TEMPERROR);
}
END_TEST

/* ...a MAIL FROM domain that eats it leaves the HELO identity nothing... */
START_TEST(test_budget_shared_mailfrom_slow)
{
	check_in(CLIENT, "helo.test", "<a@chain.test>", true, 3000);
	ck_assert_int_eq(res.mailfrom, SPF_TEMPERROR);
	ck_assert_int_eq(res.helo, SPF_TEMPERROR);

	/* ...and each check has its own budget */
	check_in(CLIENT, "helo.test", "<a@pass.test>", true, 3000);
	ck_assert_int_eq(res.mailfrom, SPF_PASS);
	ck_assert_int_eq(res.helo, SPF_PASS);
}
END_TEST

/* One checker, several threads at once (the daemon's case): each thread
 * has its own budget and gets its own right answers through the shared
 * cache. */
#define THREADS	4
#define ROUNDS	100

static void *
checker_thread(void *arg)
{
	struct spf_result r;
	long	n = (long) arg;
	int	i;

	for (i = 0; i < ROUNDS; i++) {
		size_t	k = (size_t) (n + i) % NRESULTS;

		if (spf_check(spf, CLIENT, "helo.test", results[k].from, true,
			      BUDGET, &r) < 0 || r.mailfrom != results[k].want
		    || r.helo != SPF_PASS) {
			spf_result_free(&r);
			return (void *) 1;
		}
		spf_result_free(&r);
	}
	return NULL;
}

START_TEST(test_threads)
{
	pthread_t tid[THREADS];
	void   *rc;
	long	i;

	for (i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&tid[i], NULL, checker_thread,
						(void *) i), 0);
	for (i = 0; i < THREADS; i++) {
		ck_assert_int_eq(pthread_join(tid[i], &rc), 0);
		ck_assert_msg(rc == NULL, "thread %ld got a wrong result", i);
	}
}
END_TEST

START_TEST(test_zone_add_bad)
{
	ck_assert_int_eq(spf_zone_add(spf, "x.test", "NS", "ns.test"), -1);
	ck_assert_int_eq(spf_zone_add(spf, "x.test", "TXT", NULL), -1);
	ck_assert_int_eq(spf_zone_add(spf, "x.test", "DELAY", "soon"), -1);
	ck_assert_int_eq(spf_zone_add(spf, "x.test", "DELAY", "-1"), -1);
}
END_TEST

START_TEST(test_version)
{
	ck_assert_msg(strncmp(spf_version(), "libspf2 1.", 10) == 0, "%s",
		      spf_version());
}
END_TEST

static Suite *
suite(void)
{
	Suite  *s = suite_create("spf");
	TCase  *tc = tcase_create("spf");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_results, 0, NRESULTS);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_helo_identity);
	tcase_add_test(tc, test_helo_off_or_missing);
	tcase_add_test(tc, test_null_sender);
	tcase_add_loop_test(tc, test_sender_forms, 0,
			    sizeof(senders) / sizeof(senders[0]));
	tcase_add_loop_test(tc, test_client_forms, 0,
			    sizeof(clients) / sizeof(clients[0]));
	tcase_add_test(tc, test_loopback_is_localhost);
	tcase_add_test(tc, test_no_client_address);
	tcase_add_test(tc, test_not_a_domain);
	tcase_add_test(tc, test_header_printable);
	tcase_add_test(tc, test_cache);
	tcase_add_test(tc, test_budget_runs_out);
	tcase_add_test(tc, test_budget_cut_is_cached);
	tcase_add_test(tc, test_budget_refusal_not_cached);
	tcase_add_test(tc, test_budget_spent_cache_answers);
	tcase_add_test(tc, test_budget_enough);
	tcase_add_test(tc, test_budget_two_slow);
	tcase_add_test(tc, test_budget_two_slow_paid);
	tcase_add_test(tc, test_budget_shared_helo_slow);
	tcase_add_test(tc, test_budget_shared_mailfrom_slow);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_zone_add_bad);
	tcase_add_test(tc, test_version);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
