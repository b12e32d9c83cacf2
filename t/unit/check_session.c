/*
 * check_session - the policy core driven without a socket: every
 * lifecycle line of SPEC "The log", in order, for the endings the MTAs
 * produce, sender-group verdicts, escaping and internal errors.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "idalloc.h"
#include "log.h"
#include "logcap.h"
#include "session.h"
#include "stats.h"
#include "unit.h"

static char statedir[64];
static struct idalloc *ids;
static struct conf *conf;

static void
conf_err(void *arg, const char *file, int line, const char *msg)
{
	(void) arg;
	fprintf(stderr, "%s:%d: %s\n", file, line, msg);
}

static const char *base_conf =
	"state_dir = \"/nonexistent\"\n"
	"sendergroup RELAY_SG { match = { \"10.0.0.0/8\", \"2001:db8::/32\" } policy = TRUSTED }\n"
	"sendergroup BLOCKED_SG { match = { \"192.0.2.66\" } policy = BLOCKED }\n"
	"sendergroup NAMED { match = { \"gw.example.net\" } policy = TRUSTED }\n"
	"sendergroup ALL { match = { \"ALL\" } policy = DEFAULT }\n"
	"policy TRUSTED { access = relay }\n"
	"policy BLOCKED { access = reject }\n"
	"policy DEFAULT { access = accept }\n";

static void
setup_with(const char *text, unsigned block)
{
	char	err[256];

	snprintf(statedir, sizeof(statedir), "/tmp/check_session.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(statedir));
	ids = idalloc_open(statedir, block, err, sizeof(err));
	ck_assert_msg(ids != NULL, "%s", err);
	conf = conf_load_buf(text, "test.conf", conf_err, NULL);
	ck_assert_ptr_nonnull(conf);
	logcap_start();
}

static void
setup(void)
{
	setup_with(base_conf, IDALLOC_BLOCK);
}

static void
teardown(void)
{
	char	cmd[128];

	logcap_stop();
	conf_release(conf);
	idalloc_close(ids);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", statedir);
	ck_assert_int_eq(system(cmd), 0);
}

/* expect - the captured lines are exactly want[], in order */

static void
expect(const char *const *want)
{
	int	i;

	for (i = 0; want[i] != NULL; i++) {
		ck_assert_msg(i < logcap_nlines(), "line %d missing: want \"%s\"",
			      i, want[i]);
		ck_assert_str_eq(logcap_line(i), want[i]);
	}
	ck_assert_msg(i == logcap_nlines(), "extra line %d: \"%s\"", i,
		      logcap_nlines() > i ? logcap_line(i) : "");
}

static struct session *
open_client(const char *addr, const char *name, const char *resolve,
	    const char *ptr, struct verdict *v)
{
	struct session_conn c = {
		.hostname = name, .client_addr = addr, .client_resolve = resolve,
		.client_ptr = ptr, .if_addr = "127.0.0.1", .mta_name = "mx.test",
	};

	return session_open(conf, ids, &c, v);
}

static void
envelope(struct session *s, const char *from, const char *to)
{
	char   *mail[] = {(char *) from, "SIZE=100", NULL};
	char   *rcpt[] = {(char *) to, NULL};
	struct verdict v;

	session_mail(s, mail, &v);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	session_rcpt(s, rcpt, &v);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
}

static void
content(struct session *s, const char *subject)
{
	struct verdict v;
	static const char body[] = "hello\r\nworld\r\n";

	session_data(s, &v);
	session_header(s, "Message-ID", "<abc@domain.com>", &v);
	session_header(s, "Subject", subject, &v);
	session_eoh(s, &v);
	session_body(s, (const unsigned char *) body, sizeof(body) - 1, &v);
}

START_TEST(normal_message)
{
	struct verdict v;
	struct session *s;
	char   *rcpt2[] = {"<b@example.com>", "NOTIFY=NEVER", NULL};
	static const char *const want[] = {
		"New SMTP ICID 1 interface 127.0.0.1 address 192.168.0.200 reverse dns host ns.example.com verified yes",
		"ICID 1 ACCEPT SG ALL match ALL SBRS not enabled",
		"Start MID 1 ICID 1",
		"MID 1 ICID 1 From: <user@domain.com>",
		"MID 1 ICID 1 RID 0 To: <end_user@example.com>",
		"MID 1 ICID 1 RID 1 To: <b@example.com>",
		"MID 1 ICID 1 queue ID 4XbC2r1Zq9z5",
		"MID 1 Message-ID '<abc@domain.com>'",
		"MID 1 Subject 'hello folded'",
		"MID 1 ready 71 bytes from <user@domain.com>",
		"Message finished MID 1 done",
		"ICID 1 close",
		NULL,
	};

	s = open_client("192.168.0.200", "ns.example.com", "OK", "ns.example.com", &v);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	session_helo(s, "ns.example.com", &v);
	envelope(s, "<user@domain.com>", "<end_user@example.com>");
	session_set_qid(s, "4XbC2r1Zq9z5");
	session_rcpt(s, rcpt2, &v);
	content(s, "hello\n folded");
	session_eom(s, &v);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	ck_assert_uint_eq(v.nheaders, 1);
	ck_assert_str_eq(v.headers[0].name, "X-ESMTPGuard-ID");
	ck_assert_str_eq(v.headers[0].value, "ICID=1 MID=1");
	ck_assert_uint_eq(session_mid(s), 0);
	session_close(s);
	expect(want);
}
END_TEST

/* the log's order is fixed, whatever order the client wrote */
START_TEST(message_id_before_subject)
{
	struct verdict v;
	struct session *s = open_client("127.0.0.1", "localhost", "OK", "localhost", &v);

	envelope(s, "<a@x>", "<b@x>");
	session_data(s, &v);
	session_header(s, "Subject", "first", &v);
	session_header(s, "subject", "second", &v);
	session_header(s, "MESSAGE-ID", "<m@x>", &v);
	session_eoh(s, &v);
	ck_assert_str_eq(logcap_line(5), "MID 1 Message-ID '<m@x>'");
	ck_assert_str_eq(logcap_line(6), "MID 1 Subject 'first'");
	ck_assert_int_eq(logcap_nlines(), 7);
	session_close(s);
}
END_TEST

START_TEST(quit_before_data)
{
	struct verdict v;
	struct session *s = open_client("127.0.0.1", "localhost", "OK", "localhost", &v);
	static const char *const want[] = {
		"New SMTP ICID 1 interface 127.0.0.1 address 127.0.0.1 reverse dns host localhost verified yes",
		"ICID 1 ACCEPT SG ALL match ALL SBRS not enabled",
		"Start MID 1 ICID 1",
		"MID 1 ICID 1 From: <a@example.com>",
		"MID 1 ICID 1 RID 0 To: <b@example.com>",
		"Message aborted MID 1 Receiving aborted",
		"Message finished MID 1 aborted",
		"ICID 1 close",
		NULL,
	};

	envelope(s, "<a@example.com>", "<b@example.com>");
	session_abort(s);
	session_close(s);
	expect(want);
}
END_TEST

START_TEST(lost_in_data)
{
	struct verdict v;
	struct session *s = open_client("127.0.0.1", "[127.0.0.1]", "FAIL", "unknown", &v);
	static const char *const want[] = {
		"New SMTP ICID 1 interface 127.0.0.1 address 127.0.0.1 reverse dns host unknown verified no",
		"ICID 1 ACCEPT SG ALL match ALL SBRS not enabled",
		"Start MID 1 ICID 1",
		"MID 1 ICID 1 From: <a@example.com>",
		"MID 1 ICID 1 RID 0 To: <b@example.com>",
		"MID 1 ICID 1 queue ID Q1",
		"Message aborted MID 1 Receiving aborted",
		"Message finished MID 1 aborted",
		"ICID 1 lost",
		"ICID 1 close",
		NULL,
	};

	envelope(s, "<a@example.com>", "<b@example.com>");
	session_set_qid(s, "Q1");
	session_data(s, &v);
	session_abort(s);
	session_close(s);
	expect(want);
}
END_TEST

START_TEST(rset_between_messages)
{
	struct verdict v;
	struct session *s = open_client("127.0.0.1", "localhost", "OK", "localhost", &v);

	envelope(s, "<a@example.com>", "<b@example.com>");
	session_set_qid(s, "Q1");
	session_abort(s);
	envelope(s, "<c@example.com>", "<d@example.com>");
	session_set_qid(s, "Q2");
	content(s, "second");
	session_eom(s, &v);
	session_close(s);
	ck_assert_int_eq(logcap_nlines(), 17);
	ck_assert_str_eq(logcap_line(5), "MID 1 ICID 1 queue ID Q1");
	ck_assert_str_eq(logcap_line(6), "Message aborted MID 1 Receiving aborted by sender");
	ck_assert_str_eq(logcap_line(7), "Message finished MID 1 aborted");
	ck_assert_str_eq(logcap_line(8), "Start MID 2 ICID 1");
	ck_assert_str_eq(logcap_line(11), "MID 2 ICID 1 queue ID Q2");
	ck_assert_str_eq(logcap_line(15), "Message finished MID 2 done");
	ck_assert_str_eq(logcap_line(16), "ICID 1 close");
}
END_TEST

START_TEST(client_strings_escaped)
{
	struct verdict v;
	struct session *s = open_client("127.0.0.1", "localhost", "OK", "localhost", &v);

	envelope(s, "<a\r\nICID 9 close@x>", "<b\\c@example.com>");
	session_unknown(s, "XFOO\x1b[2J", &v);
	content(s, "it's \x01 \xff");
	session_eom(s, &v);
	session_close(s);
	ck_assert_str_eq(logcap_line(3), "MID 1 ICID 1 From: <a\\x0d\\x0aICID 9 close@x>");
	ck_assert_str_eq(logcap_line(4), "MID 1 ICID 1 RID 0 To: <b\\\\c@example.com>");
	ck_assert_str_eq(logcap_line(5), "ICID 1 Unknown command: XFOO\\x1b[2J");
	ck_assert_str_eq(logcap_line(6), "ICID 1 ESMTP policy DEFAULT matched "
			 "unknown_commands gt 0: 1 action log");
	ck_assert_str_eq(logcap_line(8), "MID 1 Subject \"it's \\x01 \\xff\"");
}
END_TEST

/* sender groups: table of client -> expected HAT line and verdict */
static const struct hat_case {
	const char *addr, *name, *resolve, *ptr;
	const char *hat;
	enum verdict_kind kind;
} hat_cases[] = {
	{"10.1.2.3", "[10.1.2.3]", "FAIL", "unknown",
	 "ICID 1 RELAY SG RELAY_SG match 10.0.0.0/8 SBRS not enabled", VERDICT_CONTINUE},
	{"IPv6:2001:db8::5", "[2001:db8::5]", "FAIL", "unknown",
	 "ICID 1 RELAY SG RELAY_SG match 2001:db8::/32 SBRS not enabled", VERDICT_CONTINUE},
	{"::ffff:10.9.9.9", "[::ffff:10.9.9.9]", "TEMP", "unknown",
	 "ICID 1 RELAY SG RELAY_SG match 10.0.0.0/8 SBRS not enabled", VERDICT_CONTINUE},
	{"192.0.2.66", "[192.0.2.66]", "FAIL", "unknown",
	 "ICID 1 REJECT SG BLOCKED_SG match 192.0.2.66 SBRS not enabled", VERDICT_REJECT},
	{"198.51.100.7", "gw.example.net", "OK", "gw.example.net",
	 "ICID 1 RELAY SG NAMED match gw.example.net SBRS not enabled", VERDICT_CONTINUE},
	/* a PTR the MTA could not confirm forward earns nothing */
	{"198.51.100.8", "[198.51.100.8]", "FAIL", "gw.example.net",
	 "ICID 1 ACCEPT SG ALL match ALL SBRS not enabled", VERDICT_CONTINUE},
	{"198.51.100.9", "gw.example.net", "FORGED", "gw.example.net",
	 "ICID 1 ACCEPT SG ALL match ALL SBRS not enabled", VERDICT_CONTINUE},
	{"198.51.100.9", "gw.example.net", NULL, NULL,
	 "ICID 1 ACCEPT SG ALL match ALL SBRS not enabled", VERDICT_CONTINUE},
};

START_TEST(sender_groups)
{
	const struct hat_case *c = &hat_cases[_i];
	struct verdict v;
	struct session *s = open_client(c->addr, c->name, c->resolve, c->ptr, &v);

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(v.kind, c->kind);
	ck_assert_int_ge(logcap_nlines(), 2);
	ck_assert_str_eq(logcap_line(1), c->hat);
	if (c->kind == VERDICT_REJECT) {
		ck_assert_str_eq(v.rcode, "554");
		ck_assert_ptr_nonnull(strstr(v.text, "ICID 1"));
	}
	session_close(s);
}
END_TEST

START_TEST(unverified_ptr_logged_as_not_verified)
{
	struct verdict v;
	struct session *s = open_client("198.51.100.8", "[198.51.100.8]", "FAIL",
					"gw.example.net", &v);

	ck_assert_str_eq(logcap_line(0), "New SMTP ICID 1 interface 127.0.0.1 address 198.51.100.8 reverse dns host gw.example.net verified no");
	session_close(s);
}
END_TEST

START_TEST(ids_increase_per_session)
{
	struct verdict v;
	struct session *a = open_client("127.0.0.1", "localhost", "OK", "localhost", &v);
	struct session *b = open_client("127.0.0.1", "localhost", "OK", "localhost", &v);

	ck_assert_uint_eq(session_icid(a), 1);
	ck_assert_uint_eq(session_icid(b), 2);
	envelope(a, "<a@x>", "<b@x>");
	envelope(b, "<a@x>", "<b@x>");
	ck_assert_uint_eq(session_mid(a), 1);
	ck_assert_uint_eq(session_mid(b), 2);
	session_close(a);
	session_close(b);
}
END_TEST

START_TEST(counters)
{
	struct verdict v;
	struct session *s = open_client("10.1.2.3", "[10.1.2.3]", "FAIL", "unknown", &v);

	envelope(s, "<a@x>", "<b@x>");
	content(s, "x");
	session_eom(s, &v);
	envelope(s, "<a@x>", "<b@x>");
	session_close(s);
	s = open_client("192.0.2.66", "[192.0.2.66]", "FAIL", "unknown", &v);
	session_close(s);
	logcap_start();
	stats_log(NULL);
	/* each test runs in its own process: the counts start at zero */
	ck_assert_str_eq(logcap_line(0), "counters: connections accept 0 relay 1 "
			 "reject 1, messages done 1 aborted 1, internal errors 0");
}
END_TEST

START_TEST(close_without_connect)
{
	session_close(NULL);
	ck_assert_int_eq(logcap_nlines(), 0);
}
END_TEST

/* the state directory vanishes mid-run: on_internal_error answers */
START_TEST(internal_error_when_ids_cannot_be_reserved)
{
	struct verdict v;
	struct session *s;
	char	cmd[128];

	teardown();
	setup_with(base_conf, 1);
	s = open_client("127.0.0.1", "localhost", "OK", "localhost", &v);
	ck_assert_ptr_nonnull(s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", statedir);
	ck_assert_int_eq(system(cmd), 0);
	session_mail(s, (char *[]) {"<a@x>", NULL}, &v);
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
	ck_assert_str_eq(v.rcode, "451");
	ck_assert_ptr_nonnull(strstr(logcap_line(logcap_nlines() - 1), "internal error"));
	ck_assert_ptr_nonnull(strstr(logcap_line(logcap_nlines() - 1), "tempfail"));
	session_close(s);
	ck_assert_int_eq(mkdir(statedir, 0700), 0);
}
END_TEST

START_TEST(id_header_off)
{
	struct verdict v;
	struct session *s;

	teardown();
	setup_with("id_header = \"\"\n", IDALLOC_BLOCK);
	s = open_client("127.0.0.1", "localhost", "OK", "localhost", &v);
	envelope(s, "<a@x>", "<b@x>");
	content(s, "x");
	session_eom(s, &v);
	ck_assert_uint_eq(v.nheaders, 0);
	ck_assert_str_eq(logcap_line(1), "ICID 1 ACCEPT SG None match ALL SBRS not enabled");
	session_close(s);
}
END_TEST

static Suite *
suite(void)
{
	Suite  *s = suite_create("session");
	TCase  *tc = tcase_create("lifecycle");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, normal_message);
	tcase_add_test(tc, message_id_before_subject);
	tcase_add_test(tc, quit_before_data);
	tcase_add_test(tc, lost_in_data);
	tcase_add_test(tc, rset_between_messages);
	tcase_add_test(tc, client_strings_escaped);
	tcase_add_loop_test(tc, sender_groups, 0,
			    sizeof(hat_cases) / sizeof(hat_cases[0]));
	tcase_add_test(tc, unverified_ptr_logged_as_not_verified);
	tcase_add_test(tc, ids_increase_per_session);
	tcase_add_test(tc, counters);
	tcase_add_test(tc, close_without_connect);
	tcase_add_test(tc, internal_error_when_ids_cannot_be_reserved);
	tcase_add_test(tc, id_header_off);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
