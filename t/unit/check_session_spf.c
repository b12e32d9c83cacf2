/*
 * check_session_spf - SPF in the policy core, against libspf2's zone
 * layer: the result lines after the queue ID, each action of each result
 * (reply, "Rejected by policy spf"), the stronger of two identities,
 * the Received-SPF header on top, the policy switches, relay clients and
 * the configured budget.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "idalloc.h"
#include "logcap.h"
#include "session.h"
#include "spf.h"
#include "unit.h"

static char statedir[64];
static struct idalloc *ids;
static struct conf *conf;
static struct spf *spf;
static struct session *sess;
static struct verdict v;

static void
conf_err(void *arg, const char *file, int line, const char *msg)
{
	(void) arg;
	ck_abort_msg("%s:%d: %s", file, line, msg);
}

/* The sender groups pick the policy by client address. */
static const char *conf_text =
	"spf_timeout = 2\n"
	"sendergroup RELAY { match = { \"10.0.0.0/8\" } policy = TRUSTED }\n"
	"sendergroup REJ { match = { \"192.0.2.20\" } policy = REJ }\n"
	"sendergroup TMP { match = { \"192.0.2.30\" } policy = TMP }\n"
	"sendergroup MIX { match = { \"192.0.2.40\" } policy = MIX }\n"
	"sendergroup OFF { match = { \"192.0.2.50\" } policy = OFF }\n"
	"sendergroup NOHELO { match = { \"192.0.2.60\" } policy = NOHELO }\n"
	"sendergroup NOHDR { match = { \"192.0.2.70\" } policy = NOHDR }\n"
	"policy TRUSTED { access = relay }\n"
	"policy REJ { spf { on_fail = reject on_temperror = tempfail } }\n"
	"policy TMP { spf { on_fail = tempfail on_softfail = tempfail } }\n"
	"policy MIX { spf { on_fail = tempfail on_permerror = reject } }\n"
	"policy OFF { spf { verify = false on_fail = reject } }\n"
	"policy NOHELO { spf { helo = false on_fail = reject } }\n"
	"policy NOHDR { spf { received_spf_header = false } }\n"
	"policy DEFAULT { access = accept }\n";

static const struct {
	const char *name, *type, *data;
} zone[] = {
	{"pass.test", "TXT", "v=spf1 ip4:192.0.2.0/24 ip4:10.0.0.0/8 -all"},
	{"fail.test", "TXT", "v=spf1 -all"},
	{"soft.test", "TXT", "v=spf1 ~all"},
	{"twice.test", "TXT", "v=spf1 -all"},
	{"twice.test", "TXT", "v=spf1 +all"},
	{"dead.test", "TEMPFAIL", NULL},
	{"slow.test", "TXT", "v=spf1 a:slowhost.test -all"},
	{"slowhost.test", "DELAY", "1500"},
	{"slowhost.test", "A", "192.0.2.10"},
	{"slow2.test", "TXT", "v=spf1 a:slowhost2.test a:slowhost3.test -all"},
	{"slowhost2.test", "DELAY", "1500"},
	{"slowhost3.test", "DELAY", "1500"},
};

static void
setup(void)
{
	char	err[256];
	size_t	i;

	snprintf(statedir, sizeof(statedir), "/tmp/check_sspf.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(statedir));
	ids = idalloc_open(statedir, IDALLOC_BLOCK, err, sizeof(err));
	ck_assert_msg(ids != NULL, "%s", err);
	conf = conf_load_buf(conf_text, "test.conf", conf_err, NULL);
	ck_assert_ptr_nonnull(conf);
	spf = spf_new_zone("mx.test.example");
	ck_assert_ptr_nonnull(spf);
	for (i = 0; i < sizeof(zone) / sizeof(zone[0]); i++)
		ck_assert_int_eq(spf_zone_add(spf, zone[i].name, zone[i].type,
					      zone[i].data), 0);
	session_set_spf(spf);
	sess = NULL;
	logcap_start();
}

static void
teardown(void)
{
	char	cmd[128];

	session_close(sess);
	session_set_spf(NULL);
	logcap_stop();
	spf_free(spf);
	conf_release(conf);
	idalloc_close(ids);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", statedir);
	ck_assert_int_eq(system(cmd), 0);
}

/* logged - a line ending with str was logged */

static void
logged(const char *str)
{
	ck_assert_msg(logcap_find(str) >= 0, "not logged: %s", str);
}

/* to_data - a session from client, HELO helo, MAIL FROM from, one RCPT,
 * queue ID QID1, then DATA, whose verdict stays in v */

static void
to_data(const char *client, const char *helo, const char *from, bool lead)
{
	struct session_conn c = {
		.hostname = "client.test", .client_addr = client,
		.client_resolve = "OK", .if_addr = "127.0.0.1",
		.mta_name = "mx.test", .header_leadspc = lead,
	};

	sess = session_open(conf, ids, &c, &v);
	ck_assert_ptr_nonnull(sess);
	if (helo != NULL)
		session_helo(sess, helo, &v);
	session_mail(sess, (char *[]) {(char *) from, NULL}, &v);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	session_rcpt(sess, (char *[]) {"<b@rcpt.example>", NULL}, &v);
	session_set_qid(sess, "QID1");
	session_data(sess, &v);
}

/* finish - header, end of header, end of message; the verdict in v */

static void
finish(void)
{
	session_header(sess, "Message-ID", "<m@x>", &v);
	session_eoh(sess, &v);
	session_eom(sess, &v);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
}

/* spf_header - the Received-SPF entry of the eom verdict, or NULL */

static const char *
spf_header(void)
{
	size_t	i;

	for (i = 0; i < v.nheaders; i++)
		if (strcmp(v.headers[i].name, "Received-SPF") == 0) {
			ck_assert(v.headers[i].top);
			return v.headers[i].value;
		}
	return NULL;
}

START_TEST(test_lines_in_order)
{
	int	qid, helo, from, msgid;

	to_data("192.0.2.10", "pass.test", "<a@pass.test>", false);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	finish();
	qid = logcap_find(" queue ID QID1");
	helo = logcap_find("MID 1 SPF: helo identity postmaster@pass.test "
			   "Pass");
	from = logcap_find("MID 1 SPF: mailfrom identity a@pass.test Pass");
	msgid = logcap_find("MID 1 Message-ID '<m@x>'");
	ck_assert_msg(qid >= 0 && helo > qid && from > helo && msgid > from,
		      "order: qid %d helo %d mailfrom %d msgid %d", qid, helo,
		      from, msgid);
	ck_assert_int_eq(logcap_count(" SPF: "), 2);
	ck_assert_ptr_nonnull(spf_header());
	ck_assert_msg(strncmp(spf_header(), "pass (mx.test.example: ", 23) == 0,
		      "%s", spf_header());
	logged("Message finished MID 1 done");
}
END_TEST

/* found by fuzz_session: DATA twice in one transaction checked SPF
 * again over the first result, which leaked (LSan), and logged it twice */
START_TEST(test_data_twice)
{
	to_data("192.0.2.10", "pass.test", "<a@pass.test>", false);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	session_data(sess, &v);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	finish();
	ck_assert_int_eq(logcap_count(" SPF: "), 2);
	ck_assert_ptr_nonnull(spf_header());
	logged("Message finished MID 1 done");
}
END_TEST

/* A result whose action is log changes nothing but the log. */
START_TEST(test_log_only)
{
	to_data("192.0.2.10", "fail.test", "<a@fail.test>", false);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	logged("MID 1 SPF: helo identity postmaster@fail.test Fail");
	logged("MID 1 SPF: mailfrom identity a@fail.test Fail");
	finish();
	ck_assert_msg(strncmp(spf_header(), "fail (", 6) == 0, "%s",
		      spf_header());
}
END_TEST

/* Each action on the reply, and how the message ends. */
static const struct {
	const char *client, *helo, *from;
	enum verdict_kind kind;
	const char *rcode, *xcode, *text;
} refusals[] = {
	{"192.0.2.20", "x.test", "<a@fail.test>", VERDICT_REJECT, "550",
	 "5.7.1", "SPF unauthorized mail is prohibited (ICID 1 MID 1)"},
	{"192.0.2.20", "x.test", "<a@dead.test>", VERDICT_TEMPFAIL, "451",
	 "4.4.3", "Temporary error occurred during SPF verification "
	 "(ICID 1 MID 1)"},
	{"192.0.2.30", "x.test", "<a@fail.test>", VERDICT_TEMPFAIL, "451",
	 "4.4.3", "Temporary error occurred during SPF verification "
	 "(ICID 1 MID 1)"},
	{"192.0.2.30", "x.test", "<a@soft.test>", VERDICT_TEMPFAIL, "451",
	 "4.4.3", NULL},
	/* the HELO identity alone fails: its action counts */
	{"192.0.2.20", "fail.test", "<a@pass.test>", VERDICT_REJECT, "550",
	 "5.7.1", NULL},
	/* the stronger of two actions: reject beats tempfail */
	{"192.0.2.40", "fail.test", "<a@twice.test>", VERDICT_REJECT, "550",
	 "5.7.1", NULL},
	{"192.0.2.40", "twice.test", "<a@fail.test>", VERDICT_REJECT, "550",
	 "5.7.1", NULL},
	/* the null sender is postmaster@HELO */
	{"192.0.2.20", "fail.test", "<>", VERDICT_REJECT, "550", "5.7.1",
	 NULL},
};

START_TEST(test_refusals)
{
	to_data(refusals[_i].client, refusals[_i].helo, refusals[_i].from,
		false);
	ck_assert_int_eq(v.kind, refusals[_i].kind);
	ck_assert_str_eq(v.rcode, refusals[_i].rcode);
	ck_assert_str_eq(v.xcode, refusals[_i].xcode);
	if (refusals[_i].text != NULL)
		ck_assert_str_eq(v.text, refusals[_i].text);
	logged("Message aborted MID 1 Rejected by policy spf");
	logged("Message finished MID 1 aborted");
	ck_assert_int_eq(session_mid(sess), 0);
	session_abort(sess);
	session_close(sess);
	sess = NULL;
	ck_assert_int_eq(logcap_find("ICID 1 lost"), -1);
	ck_assert_int_eq(logcap_count("Message finished"), 1);
}
END_TEST

/* A pass under a strict policy goes through. */
START_TEST(test_strict_pass)
{
	to_data("192.0.2.20", "pass.test", "<a@pass.test>", false);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	finish();
}
END_TEST

START_TEST(test_relay_not_checked)
{
	to_data("10.1.2.3", "fail.test", "<a@fail.test>", false);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	finish();
	ck_assert_int_eq(logcap_count(" SPF: "), 0);
	ck_assert_ptr_null(spf_header());
}
END_TEST

START_TEST(test_verify_off)
{
	to_data("192.0.2.50", "fail.test", "<a@fail.test>", false);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	finish();
	ck_assert_int_eq(logcap_count(" SPF: "), 0);
	ck_assert_ptr_null(spf_header());
}
END_TEST

/* helo = false: the HELO identity is neither checked nor acted on */
START_TEST(test_helo_off)
{
	to_data("192.0.2.60", "fail.test", "<a@pass.test>", false);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	ck_assert_int_eq(logcap_count(" SPF: helo identity"), 0);
	logged("MID 1 SPF: mailfrom identity a@pass.test Pass");
}
END_TEST

START_TEST(test_header_off)
{
	to_data("192.0.2.70", "pass.test", "<a@pass.test>", false);
	finish();
	ck_assert_int_eq(logcap_count(" SPF: "), 2);
	ck_assert_ptr_null(spf_header());
}
END_TEST

/* With SMFIP_HDR_LEADSPC an added header brings its own space. */
START_TEST(test_header_leadspc)
{
	to_data("192.0.2.10", "pass.test", "<a@pass.test>", true);
	finish();
	ck_assert_msg(strncmp(spf_header(), " pass (", 7) == 0, "%s",
		      spf_header());
}
END_TEST

/* No checker (SPF off in the daemon), no HELO, no usable address. */
START_TEST(test_nothing_to_check)
{
	session_set_spf(NULL);
	to_data("192.0.2.20", "fail.test", "<a@fail.test>", false);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	finish();
	session_close(sess);
	sess = NULL;
	session_set_spf(spf);

	to_data("192.0.2.10", NULL, "<a@pass.test>", false);
	ck_assert_int_eq(logcap_count(" SPF: helo identity"), 0);
	logged("SPF: mailfrom identity a@pass.test Pass");
	session_close(sess);
	sess = NULL;

	to_data("unknown", "pass.test", "<a@pass.test>", false);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	ck_assert_int_eq(logcap_count(" SPF: "), 1);
}
END_TEST

START_TEST(test_identity_escaped)
{
	to_data("192.0.2.10", "pass.test", "<a\x01\\@pass.test>", false);
	logged("SPF: mailfrom identity a\\x01\\\\@pass.test Pass");
}
END_TEST

/* spf_timeout = 2 s: a 1.5 s lookup fits, two do not. */
START_TEST(test_budget_from_conf)
{
	to_data("192.0.2.10", "x.test", "<a@slow.test>", false);
	logged("SPF: mailfrom identity a@slow.test Pass");
	session_close(sess);
	sess = NULL;
	to_data("192.0.2.20", "x.test", "<a@slow2.test>", false);
	logged("SPF: mailfrom identity a@slow2.test TempError");
	/* REJ: on_temperror = tempfail */
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
}
END_TEST

static Suite *
suite(void)
{
	Suite  *s = suite_create("session_spf");
	TCase  *tc = tcase_create("spf");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_lines_in_order);
	tcase_add_test(tc, test_data_twice);
	tcase_add_test(tc, test_log_only);
	tcase_add_loop_test(tc, test_refusals, 0,
			    sizeof(refusals) / sizeof(refusals[0]));
	tcase_add_test(tc, test_strict_pass);
	tcase_add_test(tc, test_relay_not_checked);
	tcase_add_test(tc, test_verify_off);
	tcase_add_test(tc, test_helo_off);
	tcase_add_test(tc, test_header_off);
	tcase_add_test(tc, test_header_leadspc);
	tcase_add_test(tc, test_nothing_to_check);
	tcase_add_test(tc, test_identity_escaped);
	tcase_add_test(tc, test_budget_from_conf);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
