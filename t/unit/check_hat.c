/*++
 * NAME
 *	check_hat 1t
 * SUMMARY
 *	unit tests of hat: entry syntax, client addresses, matching, lookup
 *--*/
#include <config.h>

#include <arpa/inet.h>
#include <string.h>

#include "hat.h"
#include "unit.h"

/* addr16 - the 16-byte form of an IPv6 text address, for expectations */

static void
addr16(const char *text, unsigned char out[16])
{
	ck_assert_msg(inet_pton(AF_INET6, text, out) == 1,
		      "test bug: bad address %s", text);
}

/* Every entry form: what it parses to, or why it is refused. */
static const struct {
	const char *text;
	enum hat_kind kind;
	const char *lo;		/* HAT_RANGE; name for HAT_HOST/DOMAIN */
	const char *hi;
	const char *why;	/* non-NULL: must fail with this reason */
} parse_cases[] = {
	{"ALL", HAT_ALL, NULL, NULL, NULL},
	{"all", HAT_ALL, NULL, NULL, NULL},
	/* single addresses */
	{"192.0.2.7", HAT_RANGE, "::ffff:192.0.2.7", "::ffff:192.0.2.7", NULL},
	{"0.0.0.0", HAT_RANGE, "::ffff:0.0.0.0", "::ffff:0.0.0.0", NULL},
	{"255.255.255.255", HAT_RANGE, "::ffff:255.255.255.255",
	 "::ffff:255.255.255.255", NULL},
	{"2001:db8::7", HAT_RANGE, "2001:db8::7", "2001:db8::7", NULL},
	{"2001:DB8::A", HAT_RANGE, "2001:db8::a", "2001:db8::a", NULL},
	{"::ffff:192.0.2.7", HAT_RANGE, "::ffff:192.0.2.7", "::ffff:192.0.2.7",
	 NULL},
	/* CIDR */
	{"10.0.0.0/8", HAT_RANGE, "::ffff:10.0.0.0", "::ffff:10.255.255.255",
	 NULL},
	{"192.0.2.128/25", HAT_RANGE, "::ffff:192.0.2.128",
	 "::ffff:192.0.2.255", NULL},
	{"192.0.2.7/32", HAT_RANGE, "::ffff:192.0.2.7", "::ffff:192.0.2.7",
	 NULL},
	{"0.0.0.0/0", HAT_RANGE, "::ffff:0.0.0.0", "::ffff:255.255.255.255",
	 NULL},
	{"10/8", HAT_RANGE, "::ffff:10.0.0.0", "::ffff:10.255.255.255", NULL},
	{"172.16/12", HAT_RANGE, "::ffff:172.16.0.0", "::ffff:172.31.255.255",
	 NULL},
	{"192.0.2/24", HAT_RANGE, "::ffff:192.0.2.0", "::ffff:192.0.2.255",
	 NULL},
	{"2001:db8::/32", HAT_RANGE, "2001:db8::",
	 "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", NULL},
	{"2001:db8:0:1::/63", 0, NULL, NULL, "host bits set in CIDR block"},
	{"2001:db8:0:2::/63", HAT_RANGE, "2001:db8:0:2::",
	 "2001:db8:0:3:ffff:ffff:ffff:ffff", NULL},
	{"2001:db8::7/128", HAT_RANGE, "2001:db8::7", "2001:db8::7", NULL},
	{"::/0", HAT_RANGE, "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	 NULL},
	{"::ffff:192.0.2.0/120", HAT_RANGE, "::ffff:192.0.2.0",
	 "::ffff:192.0.2.255", NULL},
	/* ranges */
	{"192.0.2.10-20", HAT_RANGE, "::ffff:192.0.2.10", "::ffff:192.0.2.20",
	 NULL},
	{"192.0.2.10-10", HAT_RANGE, "::ffff:192.0.2.10", "::ffff:192.0.2.10",
	 NULL},
	{"192.0.2-3.", HAT_RANGE, "::ffff:192.0.2.0", "::ffff:192.0.3.255",
	 NULL},
	{"192.0.2-3", HAT_RANGE, "::ffff:192.0.2.0", "::ffff:192.0.3.255",
	 NULL},
	{"10-11.", HAT_RANGE, "::ffff:10.0.0.0", "::ffff:11.255.255.255",
	 NULL},
	{"10-11", HAT_RANGE, "::ffff:10.0.0.0", "::ffff:11.255.255.255",
	 NULL},
	{"192.0.2.10-192.0.3.5", HAT_RANGE, "::ffff:192.0.2.10",
	 "::ffff:192.0.3.5", NULL},
	{"2001:db8::1-2001:db8::ff", HAT_RANGE, "2001:db8::1", "2001:db8::ff",
	 NULL},
	/* partial addresses */
	{"192.0.2.", HAT_RANGE, "::ffff:192.0.2.0", "::ffff:192.0.2.255", NULL},
	{"192.0.2", HAT_RANGE, "::ffff:192.0.2.0", "::ffff:192.0.2.255", NULL},
	{"192.0.", HAT_RANGE, "::ffff:192.0.0.0", "::ffff:192.0.255.255", NULL},
	{"10.", HAT_RANGE, "::ffff:10.0.0.0", "::ffff:10.255.255.255", NULL},
	{"10", HAT_RANGE, "::ffff:10.0.0.0", "::ffff:10.255.255.255", NULL},
	/* names, lower-cased, trailing dot dropped */
	{"mx.example.com", HAT_HOST, "mx.example.com", NULL, NULL},
	{"MX.Example.COM.", HAT_HOST, "mx.example.com", NULL, NULL},
	{"localhost", HAT_HOST, "localhost", NULL, NULL},
	{"a-b.x1.example", HAT_HOST, "a-b.x1.example", NULL, NULL},
	{"1.2.3.4a", HAT_HOST, "1.2.3.4a", NULL, NULL},
	{".example.com", HAT_DOMAIN, ".example.com", NULL, NULL},
	{".Example.Com.", HAT_DOMAIN, ".example.com", NULL, NULL},
	/* garbage */
	{"", 0, NULL, NULL, "empty entry"},
	{"1.2.3.4/33", 0, NULL, NULL, "bad CIDR prefix length"},
	{"1.2.3.4/", 0, NULL, NULL, "bad CIDR prefix length"},
	{"1.2.3.4/-1", 0, NULL, NULL, "bad CIDR prefix length"},
	{"1.2.3.4/08", 0, NULL, NULL, "bad CIDR prefix length"},
	{"1.2.3.4/24", 0, NULL, NULL, "host bits set in CIDR block"},
	{"10.1/8", 0, NULL, NULL, "host bits set in CIDR block"},
	{"10./8", 0, NULL, NULL, "bad IPv4 address"},
	{"10.1-2/8", 0, NULL, NULL, "bad IPv4 address"},
	{"1.2.3.256", 0, NULL, NULL, "bad IPv4 address"},
	{"300.", 0, NULL, NULL, "bad IPv4 address"},
	{"1.2.3.4.", 0, NULL, NULL, "bad IPv4 address"},
	{"1.2.3.4.5", 0, NULL, NULL, "bad IPv4 address"},
	{"1..2", 0, NULL, NULL, "bad IPv4 address"},
	{".1.2", 0, NULL, NULL, "bad domain"},
	{"192.168.010.1", 0, NULL, NULL, "bad IPv4 address"},
	{"1-2.3", 0, NULL, NULL, "bad IPv4 address"},
	{"1.2.3.4-5.6.7", 0, NULL, NULL, "bad IPv4 address"},
	{"1.2.3.4-", 0, NULL, NULL, "bad IPv4 address"},
	{"192.0.2.1-192.0.2.256", 0, NULL, NULL, "bad IPv4 address"},
	{"-", 0, NULL, NULL, "bad host name"},
	{"/", 0, NULL, NULL, "bad host name"},
	{"192.0.2.20-10", 0, NULL, NULL, "range end below start"},
	{"192.0.3-2.", 0, NULL, NULL, "range end below start"},
	{"192.0.3.5-192.0.2.10", 0, NULL, NULL, "range end below start"},
	{"2001:db8::ff-2001:db8::1", 0, NULL, NULL, "range end below start"},
	{"2001:db8::/129", 0, NULL, NULL, "bad CIDR prefix length"},
	{"2001:db8::/", 0, NULL, NULL, "bad CIDR prefix length"},
	{"2001:db8::1/64", 0, NULL, NULL, "host bits set in CIDR block"},
	{"2001:db8:::1", 0, NULL, NULL, "bad IPv6 address"},
	{"2001:db8::1-", 0, NULL, NULL, "bad IPv6 address"},
	{"2001:db8::1-ff", 0, NULL, NULL, "bad IPv6 address"},
	{"IPv6:2001:db8::1", 0, NULL, NULL, "bad IPv6 address"},
	{"2001:db8::g", 0, NULL, NULL, "bad IPv6 address"},
	{"a..b", 0, NULL, NULL, "bad host name"},
	{"mx.example.com..", 0, NULL, NULL, "bad host name"},
	{"-mx.example.com", 0, NULL, NULL, "bad host name"},
	{"mx-.example.com", 0, NULL, NULL, "bad host name"},
	{"mx_1.example.com", 0, NULL, NULL, "bad host name"},
	{"mx example.com", 0, NULL, NULL, "bad host name"},
	{" 192.0.2.7", 0, NULL, NULL, "bad host name"},
	{"mx.example.123", 0, NULL, NULL, "bad host name"},
	{"x.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	 0, NULL, NULL, "bad host name"},	/* 64-byte label */
	{".", 0, NULL, NULL, "bad domain"},
	{"..example.com", 0, NULL, NULL, "bad domain"},
	{".-example.com", 0, NULL, NULL, "bad domain"},
};

START_TEST(parse)
{
	const char *text = parse_cases[_i].text;
	struct hat_entry e;
	const char *why = NULL;
	unsigned char want[16];
	int	ret;

	memset(&e, 0x5a, sizeof(e));	/* parse must not rely on zeroing */
	ret = hat_entry_parse(text, &e, &why);
	if (parse_cases[_i].why != NULL) {
		ck_assert_msg(ret == -1, "\"%s\" accepted", text);
		ck_assert_ptr_nonnull(why);
		ck_assert_msg(strcmp(why, parse_cases[_i].why) == 0,
			      "\"%s\": reason \"%s\", want \"%s\"", text, why,
			      parse_cases[_i].why);
		/* nothing left to free */
		ck_assert_ptr_null(e.text);
		ck_assert_ptr_null(e.name);
		return;
	}
	ck_assert_msg(ret == 0, "\"%s\" refused: %s", text, why);
	ck_assert_int_eq(e.kind, parse_cases[_i].kind);
	ck_assert_str_eq(e.text, text);
	switch (e.kind) {
	case HAT_RANGE:
		ck_assert_ptr_null(e.name);
		addr16(parse_cases[_i].lo, want);
		ck_assert_msg(memcmp(e.lo, want, 16) == 0, "\"%s\": lo", text);
		addr16(parse_cases[_i].hi, want);
		ck_assert_msg(memcmp(e.hi, want, 16) == 0, "\"%s\": hi", text);
		break;
	case HAT_HOST:
	case HAT_DOMAIN:
		ck_assert_str_eq(e.name, parse_cases[_i].lo);
		break;
	case HAT_ALL:
		break;
	}
	hat_entry_free(&e);
	ck_assert_ptr_null(e.text);
	ck_assert_ptr_null(e.name);
}
END_TEST

/* The longest legal names still parse. */
START_TEST(parse_name_limits)
{
	char	name[300];
	struct hat_entry e;
	const char *why;

	/* 63-byte label */
	memset(name, 'a', 63);
	memcpy(name + 63, ".example", sizeof(".example"));
	ck_assert_int_eq(hat_entry_parse(name, &e, &why), 0);
	hat_entry_free(&e);

	/* 253 bytes: labels of 63, 63, 63 and 61 */
	memset(name, 'b', 253);
	name[63] = name[127] = name[191] = '.';
	name[253] = '\0';
	ck_assert_int_eq(hat_entry_parse(name, &e, &why), 0);
	ck_assert_uint_eq(strlen(e.name), 253);
	hat_entry_free(&e);
	/* and its FQDN form with the trailing dot */
	name[253] = '.';
	name[254] = '\0';
	ck_assert_int_eq(hat_entry_parse(name, &e, &why), 0);
	ck_assert_uint_eq(strlen(e.name), 253);
	hat_entry_free(&e);
	/* 254 bytes is too long */
	name[253] = 'b';
	ck_assert_int_eq(hat_entry_parse(name, &e, &why), -1);
	ck_assert_str_eq(why, "bad host name");
}
END_TEST

/* What the MTAs hand over as the client address. */
static const struct {
	const char *text;
	const char *addr;	/* NULL: refused */
} client_cases[] = {
	{"192.0.2.7", "::ffff:192.0.2.7"},
	{"2001:db8::7", "2001:db8::7"},
	{"IPv6:2001:db8::7", "2001:db8::7"},		/* Postfix */
	{"ipv6:2001:db8::7", "2001:db8::7"},
	{"[192.0.2.7]", "::ffff:192.0.2.7"},		/* Sendmail */
	{"[IPv6:2001:db8::7]", "2001:db8::7"},
	{"[2001:db8::7]", "2001:db8::7"},
	{"::ffff:192.0.2.7", "::ffff:192.0.2.7"},
	{"IPv6:::ffff:192.0.2.7", "::ffff:192.0.2.7"},
	{"::1", "::1"},
	{"", NULL},
	{"[]", NULL},
	{"[192.0.2.7", NULL},
	{"192.0.2.7]", NULL},
	{"IPv6:", NULL},
	{"IPv6:192.0.2.7", NULL},
	{"192.0.2", NULL},
	{"192.0.2.256", NULL},
	{"010.0.0.1", NULL},
	{"mx.example.com", NULL},
	{"2001:db8::7%eth0", NULL},
	{"2001:db8:0:0:0:0:0:0:7", NULL},
	{"[IPv6:2001:db8:0000:0000:0000:0000:0000:0007:extra]", NULL},
};

START_TEST(client_addr)
{
	struct hat_client c;
	unsigned char want[16];

	memset(&c, 0, sizeof(c));
	c.have_addr = true;	/* a refusal must clear it */
	if (client_cases[_i].addr == NULL) {
		ck_assert_msg(hat_client_addr(&c, client_cases[_i].text) == -1,
			      "\"%s\" accepted", client_cases[_i].text);
		ck_assert(!c.have_addr);
		return;
	}
	ck_assert_msg(hat_client_addr(&c, client_cases[_i].text) == 0,
		      "\"%s\" refused", client_cases[_i].text);
	ck_assert(c.have_addr);
	addr16(client_cases[_i].addr, want);
	ck_assert_msg(memcmp(c.addr, want, 16) == 0, "\"%s\": wrong address",
		      client_cases[_i].text);
}
END_TEST

/* Matching, boundaries in and out. */
static const struct {
	const char *entry;
	const char *addr;	/* NULL: client without an address */
	const char *name;	/* verified name, or NULL */
	bool	match;
} match_cases[] = {
	{"ALL", "192.0.2.7", NULL, true},
	{"ALL", NULL, NULL, true},
	{"192.0.2.7", "192.0.2.7", NULL, true},
	{"192.0.2.7", "192.0.2.6", NULL, false},
	{"192.0.2.7", "192.0.2.8", NULL, false},
	{"192.0.2.7", "::ffff:192.0.2.7", NULL, true},
	{"192.0.2.7", "IPv6:::ffff:192.0.2.7", NULL, true},
	{"192.0.2.7", "::192.0.2.7", NULL, false},	/* compatible, not mapped */
	{"192.0.2.7", NULL, "mx.example.com", false},
	{"192.0.2.10-20", "192.0.2.9", NULL, false},
	{"192.0.2.10-20", "192.0.2.10", NULL, true},
	{"192.0.2.10-20", "192.0.2.20", NULL, true},
	{"192.0.2.10-20", "192.0.2.21", NULL, false},
	{"192.0.2-3.", "192.0.1.255", NULL, false},
	{"192.0.2-3.", "192.0.2.0", NULL, true},
	{"192.0.2-3.", "192.0.3.255", NULL, true},
	{"192.0.2-3.", "192.0.4.0", NULL, false},
	{"192.0.2.10-192.0.3.5", "192.0.2.9", NULL, false},
	{"192.0.2.10-192.0.3.5", "192.0.2.255", NULL, true},
	{"192.0.2.10-192.0.3.5", "192.0.3.5", NULL, true},
	{"192.0.2.10-192.0.3.5", "192.0.3.6", NULL, false},
	{"10.0.0.0/8", "9.255.255.255", NULL, false},
	{"10.0.0.0/8", "10.0.0.0", NULL, true},
	{"10.0.0.0/8", "10.255.255.255", NULL, true},
	{"10.0.0.0/8", "11.0.0.0", NULL, false},
	{"10.0.0.0/8", "::ffff:10.1.2.3", NULL, true},
	{"10.0.0.0/8", "::a00:1", NULL, false},
	{"10.0.0.0/8", "2001:db8::a00:1", NULL, false},
	{"0.0.0.0/0", "2001:db8::1", NULL, false},	/* IPv4 only */
	{"0.0.0.0/0", "255.255.255.255", NULL, true},
	{"192.0.2.", "192.0.2.255", NULL, true},
	{"192.0.2.", "192.0.3.0", NULL, false},
	{"192.0.2", "192.0.2.0", NULL, true},
	{"192.0.2", "192.0.20.1", NULL, false},
	{"10.", "10.200.1.1", NULL, true},
	{"10", "100.0.0.1", NULL, false},
	{"2001:db8::/32", "2001:db8::", NULL, true},
	{"2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", NULL,
	 true},
	{"2001:db8::/32", "2001:db9::", NULL, false},
	{"2001:db8::/32", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", NULL,
	 false},
	{"2001:db8::/32", "[IPv6:2001:db8::25]", NULL, true},
	{"2001:db8::1-2001:db8::ff", "2001:db8::", NULL, false},
	{"2001:db8::1-2001:db8::ff", "2001:db8::1", NULL, true},
	{"2001:db8::1-2001:db8::ff", "2001:db8::ff", NULL, true},
	{"2001:db8::1-2001:db8::ff", "2001:db8::100", NULL, false},
	{"::ffff:192.0.2.0/120", "192.0.2.99", NULL, true},
	/* names: only ever a verified name */
	{"mx.example.com", "192.0.2.7", "mx.example.com", true},
	{"mx.example.com", "192.0.2.7", "MX.EXAMPLE.COM", true},
	{"mx.example.com", "192.0.2.7", "mx.example.com.", true},
	{"mx.example.com.", "192.0.2.7", "mx.example.com", true},
	{"mx.example.com", "192.0.2.7", NULL, false},
	{"mx.example.com", NULL, NULL, false},
	{"mx.example.com", "192.0.2.7", "mx.example.co", false},
	{"mx.example.com", "192.0.2.7", "mx.example.com.evil", false},
	{"mx.example.com", "192.0.2.7", "x.mx.example.com", false},
	{"mx.example.com", "192.0.2.7", "", false},
	{".example.com", "192.0.2.7", "mx.example.com", true},
	{".example.com", "192.0.2.7", "a.b.EXAMPLE.com.", true},
	{".example.com", "192.0.2.7", "example.com", false},
	{".example.com", "192.0.2.7", "example.com.", false},
	{".example.com", "192.0.2.7", "badexample.com", false},
	{".example.com", "192.0.2.7", "mx.example.com.evil", false},
	{".example.com", "192.0.2.7", NULL, false},
	{".example.com", "192.0.2.7", "", false},
	{".example.com", "192.0.2.7", ".", false},
};

START_TEST(match)
{
	struct hat_entry e;
	struct hat_client c = {0};
	const char *why;

	ck_assert_msg(hat_entry_parse(match_cases[_i].entry, &e, &why) == 0,
		      "test bug: %s: %s", match_cases[_i].entry, why);
	if (match_cases[_i].addr != NULL)
		ck_assert(hat_client_addr(&c, match_cases[_i].addr) == 0);
	c.verified_name = match_cases[_i].name;
	ck_assert_msg(hat_entry_match(&e, &c) == match_cases[_i].match,
		      "entry \"%s\" client %s name %s: want %s",
		      match_cases[_i].entry,
		      match_cases[_i].addr ? match_cases[_i].addr : "(none)",
		      match_cases[_i].name ? match_cases[_i].name : "(none)",
		      match_cases[_i].match ? "match" : "no match");
	hat_entry_free(&e);
}
END_TEST

/* Groups built from entry texts, in order. */
#define MAXENT	4
struct fixture {
	struct hat_entry entries[3][MAXENT];
	struct hat_group groups[3];
};

static void
build(struct fixture *f, const char *names[3], const char *texts[3][MAXENT])
{
	int	g, i;
	const char *why;

	memset(f, 0, sizeof(*f));
	for (g = 0; g < 3; g++) {
		f->groups[g].name = (char *)names[g];
		f->groups[g].entries = f->entries[g];
		for (i = 0; i < MAXENT && texts[g][i] != NULL; i++)
			ck_assert(hat_entry_parse(texts[g][i],
						  &f->entries[g][i], &why) == 0);
		f->groups[g].nentries = (size_t)i;
	}
}

static void
unbuild(struct fixture *f)
{
	int	g;
	size_t	i;

	for (g = 0; g < 3; g++)
		for (i = 0; i < f->groups[g].nentries; i++)
			hat_entry_free(&f->entries[g][i]);
}

START_TEST(lookup_first_match)
{
	static const char *names[3] = {"RELAY_SG", "BLOCKED_SG", "ALL"};
	static const char *texts[3][MAXENT] = {
		{"192.168.1.1", "10.0.0.0/8", ".trusted.example", NULL},
		{"10.1.", "192.168.1.", "bad.trusted.example", NULL},
		{"ALL", NULL},
	};
	struct fixture f;
	struct hat_client c = {0};
	const struct hat_group *g;
	const struct hat_entry *m;

	build(&f, names, texts);

	/* 10.1.2.3 is in both RELAY_SG and BLOCKED_SG: the first wins */
	ck_assert(hat_client_addr(&c, "10.1.2.3") == 0);
	g = hat_lookup(f.groups, 3, &c, &m);
	ck_assert_ptr_eq(g, &f.groups[0]);
	ck_assert_ptr_eq(m, &f.entries[0][1]);
	ck_assert_str_eq(m->text, "10.0.0.0/8");

	ck_assert(hat_client_addr(&c, "192.168.1.2") == 0);
	g = hat_lookup(f.groups, 3, &c, &m);
	ck_assert_ptr_eq(g, &f.groups[1]);
	ck_assert_str_eq(m->text, "192.168.1.");

	/* a verified name below .trusted.example: RELAY_SG by its domain */
	ck_assert(hat_client_addr(&c, "198.51.100.1") == 0);
	c.verified_name = "bad.trusted.example";
	g = hat_lookup(f.groups, 3, &c, &m);
	ck_assert_ptr_eq(g, &f.groups[0]);
	ck_assert_str_eq(m->text, ".trusted.example");

	/* the same name unverified earns nothing */
	c.verified_name = NULL;
	g = hat_lookup(f.groups, 3, &c, &m);
	ck_assert_ptr_eq(g, &f.groups[2]);
	ck_assert_str_eq(m->text, "ALL");

	/* without the ALL group nothing matches */
	m = &f.entries[0][0];
	ck_assert_ptr_null(hat_lookup(f.groups, 2, &c, &m));
	ck_assert_ptr_null(m);
	ck_assert_ptr_null(hat_lookup(f.groups, 0, &c, NULL));

	/* matched may be NULL */
	ck_assert_ptr_eq(hat_lookup(f.groups, 3, &c, NULL), &f.groups[2]);
	unbuild(&f);
}
END_TEST

static Suite *
suite(void)
{
	Suite  *s = suite_create("hat");
	TCase  *tc = tcase_create("hat");

	tcase_add_loop_test(tc, parse, 0,
			    sizeof(parse_cases) / sizeof(parse_cases[0]));
	tcase_add_test(tc, parse_name_limits);
	tcase_add_loop_test(tc, client_addr, 0,
			    sizeof(client_cases) / sizeof(client_cases[0]));
	tcase_add_loop_test(tc, match, 0,
			    sizeof(match_cases) / sizeof(match_cases[0]));
	tcase_add_test(tc, lookup_first_match);
	suite_add_tcase(s, tc);
	return (s);
}

UNIT_MAIN
