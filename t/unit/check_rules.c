/*
 * check_rules - every inspection rule driven through the policy core at
 * its boundary: the value N = gt passes, N + 1 fires, with each action
 * (the verdict, its reply codes and text, the log lines, how the message
 * ends), log = false, relay clients untouched, counters.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "idalloc.h"
#include "log.h"
#include "logcap.h"
#include "rule.h"
#include "session.h"
#include "stats.h"
#include "unit.h"

#define MAXOPEN	16

static char statedir[64];
static struct idalloc *ids;
static struct conf *conf;
static struct session *opened[MAXOPEN];
static int nopened;
static const char *client = "127.0.0.1";

static void
conf_err(void *arg, const char *file, int line, const char *msg)
{
	(void) arg;
	ck_abort_msg("%s:%d: %s", file, line, msg);
}

static void
load(const char *text)
{
	conf_release(conf);
	conf = conf_load_buf(text, "test.conf", conf_err, NULL);
	ck_assert_ptr_nonnull(conf);
}

static void
setup(void)
{
	char	err[256];

	snprintf(statedir, sizeof(statedir), "/tmp/check_rules.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(statedir));
	ids = idalloc_open(statedir, IDALLOC_BLOCK, err, sizeof(err));
	ck_assert_msg(ids != NULL, "%s", err);
	conf = NULL;
	nopened = 0;
	client = "127.0.0.1";
	logcap_start();
}

static void
teardown(void)
{
	char	cmd[128];

	while (nopened > 0)
		session_close(opened[--nopened]);
	logcap_stop();
	conf_release(conf);
	idalloc_close(ids);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", statedir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct session *
open_session(struct verdict *v)
{
	struct session_conn c = {
		.hostname = "client.test", .client_addr = client,
		.client_resolve = "OK", .client_ptr = "client.test",
		.if_addr = "127.0.0.1", .mta_name = "mx.test",
	};
	struct session *s = session_open(conf, ids, &c, v);

	ck_assert_ptr_nonnull(s);
	ck_assert_int_lt(nopened, MAXOPEN);
	opened[nopened++] = s;
	return s;
}

#define CONTINUES(vp, call) do { \
	call; \
	ck_assert_msg((vp)->kind == VERDICT_CONTINUE, "%s: verdict %d", #call, \
		      (int) (vp)->kind); \
} while (0)

static char *
repeat(int c, long n)
{
	char   *p = malloc((size_t) n + 1);

	ck_assert_ptr_nonnull(p);
	memset(p, c, (size_t) n);
	p[n] = 0;
	return p;
}

static void
mail(struct session *s, struct verdict *v)
{
	CONTINUES(v, session_mail(s, (char *[]) {"<a@x.example>", NULL}, v));
}

static void
rcpt(struct session *s, struct verdict *v)
{
	CONTINUES(v, session_rcpt(s, (char *[]) {"<b@y.example>", NULL}, v));
}

static void
to_data(struct session *s, struct verdict *v)
{
	mail(s, v);
	rcpt(s, v);
	CONTINUES(v, session_data(s, v));
}

/*
 * Drivers: open a session and make the rule measure exactly n at the
 * last call, whose verdict is left in *v; earlier calls must continue.
 */
typedef struct session *driver(long n, struct verdict *v);

static struct session *
d_cmd_line_length(long n, struct verdict *v)
{
	struct session *s = open_session(v);
	char   *name = repeat('h', n - 5);	/* "EHLO " + name */

	session_helo(s, name, v);
	free(name);
	return s;
}

static struct session *
d_rcpt_count(long n, struct verdict *v)
{
	struct session *s = open_session(v);

	mail(s, v);
	while (--n > 0)
		rcpt(s, v);
	session_rcpt(s, (char *[]) {"<last@y.example>", NULL}, v);
	return s;
}

static struct session *
d_body_line_length(long n, struct verdict *v)
{
	struct session *s = open_session(v);
	char   *line = repeat('b', n + 2);

	to_data(s, v);
	CONTINUES(v, session_header(s, "Subject", "hi", v));
	CONTINUES(v, session_eoh(s, v));
	line[n] = '\r';
	line[n + 1] = '\n';
	session_body(s, (unsigned char *) line, (size_t) n + 2, v);
	free(line);
	return s;
}

static struct session *
d_header_line_length(long n, struct verdict *v)
{
	struct session *s = open_session(v);
	char   *value = repeat('v', n - 3);	/* "X: " + value */

	to_data(s, v);
	session_header(s, "X", value, v);
	free(value);
	return s;
}

static struct session *
d_sender_address_length(long n, struct verdict *v)
{
	struct session *s = open_session(v);
	char   *addr = repeat('s', n + 2);

	addr[0] = '<';
	addr[n + 1] = '>';
	session_mail(s, (char *[]) {addr, NULL}, v);
	free(addr);
	return s;
}

static struct session *
d_mime_filename_length(long n, struct verdict *v)
{
	struct session *s = open_session(v);
	char   *name = repeat('f', n), *value;
	static const char body[] = "x\r\n";

	ck_assert_int_ge(asprintf(&value, " attachment; filename=\"%s\"", name), 0);
	to_data(s, v);
	CONTINUES(v, session_header(s, "Content-Disposition", value, v));
	CONTINUES(v, session_eoh(s, v));
	session_body(s, (const unsigned char *) body, sizeof(body) - 1, v);
	if (v->kind == VERDICT_CONTINUE)
		session_eom(s, v);
	free(value);
	free(name);
	return s;
}

static struct session *
d_header_length(long n, struct verdict *v)
{
	struct session *s = open_session(v);
	char   *value = repeat('v', n - 5);	/* "X: " value CRLF */

	to_data(s, v);
	session_header(s, "X", value, v);
	free(value);
	return s;
}

static struct session *
d_header_to_fields_count(long n, struct verdict *v)
{
	struct session *s = open_session(v);

	to_data(s, v);
	while (--n > 0)
		CONTINUES(v, session_header(s, "To", "<b@y.example>", v));
	session_header(s, "to", "<c@y.example>", v);
	return s;
}

static struct session *
d_body_length(long n, struct verdict *v)
{
	struct session *s = open_session(v);
	char   *size;

	ck_assert_int_ge(asprintf(&size, "SIZE=%ld", n), 0);
	session_mail(s, (char *[]) {"<a@x.example>", size, NULL}, v);
	free(size);
	return s;
}

static struct session *
d_messages_per_connection(long n, struct verdict *v)
{
	struct session *s = open_session(v);

	while (--n > 0)
		mail(s, v);
	session_mail(s, (char *[]) {"<a@x.example>", NULL}, v);
	return s;
}

static struct session *
d_rcpt_per_connection(long n, struct verdict *v)
{
	struct session *s = open_session(v);

	mail(s, v);
	while (--n > 0)
		rcpt(s, v);
	mail(s, v);		/* a second transaction */
	session_rcpt(s, (char *[]) {"<last@y.example>", NULL}, v);
	return s;
}

static struct session *
d_connections_per_ip(long n, struct verdict *v)
{
	while (--n > 0)
		(void) open_session(v);
	return open_session(v);
}

static struct session *
d_rcpt_per_hour_per_ip(long n, struct verdict *v)
{
	struct session *s = open_session(v);

	mail(s, v);
	rcpt(s, v);		/* one in an earlier session */
	s = open_session(v);
	mail(s, v);
	while (--n > 1)
		rcpt(s, v);
	session_rcpt(s, (char *[]) {"<last@y.example>", NULL}, v);
	return s;
}

static struct session *
d_pipe_in_address(long n, struct verdict *v)
{
	struct session *s = open_session(v);

	mail(s, v);
	session_rcpt(s, (char *[]) {n ? "<b|c@y.example>" : "<bc@y.example>",
				    NULL}, v);
	return s;
}

static struct session *
d_unknown_commands(long n, struct verdict *v)
{
	struct session *s = open_session(v);

	while (--n > 0)
		CONTINUES(v, session_unknown(s, "XFOO", v));
	session_unknown(s, "XBAR", v);
	return s;
}

static const struct rule_case {
	enum rule_id rule;
	long	gt;
	driver *drive;
	bool	ends_message;	/* reject ends the transaction */
} cases[] = {
	{RULE_CMD_LINE_LENGTH, 40, d_cmd_line_length, false},
	{RULE_RCPT_COUNT, 3, d_rcpt_count, false},
	{RULE_BODY_LINE_LENGTH, 50, d_body_line_length, true},
	{RULE_HEADER_LINE_LENGTH, 40, d_header_line_length, true},
	{RULE_SENDER_ADDRESS_LENGTH, 20, d_sender_address_length, true},
	{RULE_MIME_FILENAME_LENGTH, 30, d_mime_filename_length, true},
	{RULE_HEADER_LENGTH, 60, d_header_length, true},
	{RULE_HEADER_TO_FIELDS_COUNT, 2, d_header_to_fields_count, true},
	{RULE_BODY_LENGTH, 1000, d_body_length, true},
	{RULE_MESSAGES_PER_CONNECTION, 2, d_messages_per_connection, true},
	{RULE_RCPT_PER_CONNECTION, 3, d_rcpt_per_connection, false},
	{RULE_CONNECTIONS_PER_IP, 2, d_connections_per_ip, false},
	{RULE_RCPT_PER_HOUR_PER_IP, 4, d_rcpt_per_hour_per_ip, false},
	{RULE_PIPE_IN_ADDRESS, 0, d_pipe_in_address, false},
	{RULE_UNKNOWN_COMMANDS, 1, d_unknown_commands, false},
};

#define NCASES	(sizeof(cases) / sizeof(cases[0]))

static void
load_rule(const struct rule_case *c, const char *action, const char *extra)
{
	char   *text;

	ck_assert_int_ge(asprintf(&text,
		"state_dir = \"/nonexistent\"\n"
		"sendergroup TRUSTED_SG { match = { \"10.0.0.0/8\" } policy = TRUSTED }\n"
		"sendergroup ALL { match = { \"ALL\" } policy = DEFAULT }\n"
		"policy TRUSTED { access = relay }\n"
		"policy DEFAULT { access = accept\n"
		"  match %s { gt = %ld action = %s %s }\n}\n",
		rule_defs[c->rule].name, c->gt, action, extra), 0);
	load(text);
	free(text);
}

static char *
hit_text(const struct rule_case *c, long value, const char *action)
{
	char   *hit;

	if (c->rule == RULE_PIPE_IN_ADDRESS)
		ck_assert_int_ge(asprintf(&hit, "ESMTP policy DEFAULT matched "
			"pipe_in_address gt 0: <b|c@y.example> action %s", action), 0);
	else
		ck_assert_int_ge(asprintf(&hit, "ESMTP policy DEFAULT matched "
			"%s gt %ld: %ld action %s", rule_defs[c->rule].name,
			c->gt, value, action), 0);
	return hit;
}

/* at gt: nothing fires */
START_TEST(boundary_passes)
{
	const struct rule_case *c = &cases[_i];
	struct verdict v;

	load_rule(c, "reject", "");
	(void) c->drive(c->gt, &v);
	ck_assert_msg(v.kind == VERDICT_CONTINUE, "%s at gt: verdict %d",
		      rule_defs[c->rule].name, (int) v.kind);
	ck_assert_int_eq(logcap_count("matched"), 0);
}
END_TEST

/* one more: reject, with the rule's codes, its text and the IDs */
START_TEST(one_more_rejects)
{
	const struct rule_case *c = &cases[_i];
	const struct rule_def *def = &rule_defs[c->rule];
	struct verdict v;
	struct session *s;
	char   *hit, *want, xcode[8];

	load_rule(c, "reject", "");
	s = c->drive(c->gt + 1, &v);
	ck_assert_msg(v.kind == VERDICT_REJECT, "%s: verdict %d", def->name,
		      (int) v.kind);
	ck_assert_str_eq(v.rcode, def->reject_code);
	ck_assert_int_eq(v.rcode[0], '5');
	snprintf(xcode, sizeof(xcode), "5.%s", def->xdetail);
	ck_assert_str_eq(v.xcode, xcode);
	hit = hit_text(c, c->gt + 1, "reject");
	ck_assert_msg(logcap_find_in(hit) >= 0, "no line: %s", hit);
	if (def->max_gt == 0)
		ck_assert_int_ge(asprintf(&want, "%s: %s (ICID", def->reason,
					  def->name), 0);
	else
		ck_assert_int_ge(asprintf(&want, "%s: %s exceeds %ld (ICID",
					  def->reason, def->name, c->gt), 0);
	ck_assert_msg(strncmp(v.text, want, strlen(want)) == 0, "text \"%s\"",
		      v.text);
	if (session_mid(s) != 0 || c->ends_message)
		ck_assert_ptr_nonnull(strstr(v.text, " MID "));
	/* the hit line carries the MID unless the rule is connection-level */
	ck_assert_int_eq(strncmp(logcap_line(logcap_find_in(hit)), "MID ", 4)
			 == 0,
			 !def->connection && strstr(v.text, " MID ") != NULL);
	free(want);
	if (c->ends_message) {
		ck_assert_int_ge(asprintf(&want, "Rejected by policy %s", def->name), 0);
		ck_assert_msg(logcap_find_in(want) >= 0, "no \"%s\"", want);
		ck_assert_uint_eq(session_mid(s), 0);
		free(want);
	} else
		ck_assert_int_eq(logcap_count(" by policy "), 0);
	free(hit);
}
END_TEST

START_TEST(one_more_tempfails)
{
	const struct rule_case *c = &cases[_i];
	const struct rule_def *def = &rule_defs[c->rule];
	struct verdict v;
	char   *hit, xcode[8];

	load_rule(c, "tempfail", "");
	(void) c->drive(c->gt + 1, &v);
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
	ck_assert_str_eq(v.rcode, def->tempfail_code);
	ck_assert_int_eq(v.rcode[0], '4');
	snprintf(xcode, sizeof(xcode), "4.%s", def->xdetail);
	ck_assert_str_eq(v.xcode, xcode);
	hit = hit_text(c, c->gt + 1, "tempfail");
	ck_assert_msg(logcap_find_in(hit) >= 0, "no line: %s", hit);
	free(hit);
}
END_TEST

/* drop-connection: 421 4.7.0 "NAME closing connection: ...", and an open
 * message ends as dropped */
START_TEST(one_more_drops)
{
	const struct rule_case *c = &cases[_i];
	const struct rule_def *def = &rule_defs[c->rule];
	struct verdict v;
	struct session *s;
	char   *hit, *want;
	bool	had_message;

	load_rule(c, "drop-connection", "");
	s = c->drive(c->gt + 1, &v);
	ck_assert_int_eq(v.kind, VERDICT_DROP);
	ck_assert_str_eq(v.rcode, "421");
	ck_assert_str_eq(v.xcode, "4.7.0");
	ck_assert_msg(strncmp(v.text, "mx.test closing connection: ", 28) == 0,
		      "text \"%s\"", v.text);
	hit = hit_text(c, c->gt + 1, "drop-connection");
	ck_assert_msg(logcap_find_in(hit) >= 0, "no line: %s", hit);
	had_message = logcap_find_in("Start MID") >= 0;
	ck_assert_int_ge(asprintf(&want, "Dropped by policy %s", def->name), 0);
	ck_assert_int_eq(logcap_find_in(want) >= 0, had_message);
	ck_assert_uint_eq(session_mid(s), 0);
	free(want);
	free(hit);
}
END_TEST

/* log: the hit is logged, the mail goes on */
START_TEST(one_more_logs)
{
	const struct rule_case *c = &cases[_i];
	struct verdict v;
	char   *hit;

	load_rule(c, "log", "");
	(void) c->drive(c->gt + 1, &v);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	hit = hit_text(c, c->gt + 1, "log");
	ck_assert_msg(logcap_find_in(hit) >= 0, "no line: %s", hit);
	ck_assert_int_eq(logcap_count(" by policy "), 0);
	free(hit);
}
END_TEST

/* log = false silences the hit, not the action */
START_TEST(log_false_keeps_the_action)
{
	const struct rule_case *c = &cases[_i];
	struct verdict v;

	load_rule(c, "reject", "log = false");
	(void) c->drive(c->gt + 1, &v);
	ck_assert_int_eq(v.kind, VERDICT_REJECT);
	ck_assert_int_eq(logcap_count("matched"), 0);
}
END_TEST

/* the same traffic from a relay client passes untouched */
START_TEST(relay_untouched)
{
	const struct rule_case *c = &cases[_i];
	struct verdict v;

	load_rule(c, "reject", "");
	client = "10.1.2.3";
	(void) c->drive(c->gt + 1, &v);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	ck_assert_int_eq(logcap_count("matched"), 0);
	ck_assert_ptr_nonnull(strstr(logcap_line(1), " RELAY SG TRUSTED_SG "));
}
END_TEST

/* ASA defaults apply to an accept policy that says nothing */
START_TEST(asa_defaults)
{
	struct verdict v;
	struct session *s;
	char   *addr;

	load("policy DEFAULT { access = accept }\n");
	s = open_session(&v);
	addr = repeat('a', 323);
	addr[0] = '<';
	addr[322] = '>';
	session_mail(s, (char *[]) {addr, NULL}, &v);
	free(addr);
	/* "MAIL FROM:" + 323 is within 512; the address (321) is not */
	ck_assert_int_eq(v.kind, VERDICT_DROP);
	ck_assert_int_ge(logcap_find_in("matched sender_address_length gt 320: 321 "
			      "action drop-connection"), 0);
	ck_assert_int_ge(logcap_find_in("Dropped by policy sender_address_length"), 0);
}
END_TEST

/* a log-only rule reports its first hit in a message, not every line */
START_TEST(log_only_once_per_message)
{
	struct verdict v;
	struct session *s;
	char   *line = repeat('b', 1200);

	load("policy DEFAULT { access = accept }\n");
	s = open_session(&v);
	to_data(s, &v);
	CONTINUES(&v, session_eoh(s, &v));
	line[1198] = '\r';
	line[1199] = '\n';
	CONTINUES(&v, session_body(s, (unsigned char *) line, 1200, &v));
	CONTINUES(&v, session_body(s, (unsigned char *) line, 1200, &v));
	CONTINUES(&v, session_eom(s, &v));
	ck_assert_int_eq(logcap_count("matched body_line_length gt 998: 1198 action log"), 1);
	ck_assert_int_ge(logcap_find_in("Message finished MID 1 done"), 0);
	free(line);
}
END_TEST

/* a line split across chunks, CR and LF in different chunks */
START_TEST(body_line_across_chunks)
{
	struct verdict v;
	struct session *s;
	char   *a = repeat('b', 600), *b = repeat('c', 399);

	load("policy DEFAULT { access = accept\n"
	     "  match body_line_length { gt = 998 action = reject } }\n");
	s = open_session(&v);
	to_data(s, &v);
	CONTINUES(&v, session_eoh(s, &v));
	b[398] = '\r';		/* 600 + 398 = 998 bytes, then CR | LF */
	CONTINUES(&v, session_body(s, (unsigned char *) a, 600, &v));
	CONTINUES(&v, session_body(s, (unsigned char *) b, 399, &v));
	CONTINUES(&v, session_body(s, (const unsigned char *) "\nx", 2, &v));
	CONTINUES(&v, session_body(s, (unsigned char *) a, 600, &v));
	session_body(s, (unsigned char *) b, 399, &v);	/* 999 + 1: fires */
	ck_assert_int_eq(v.kind, VERDICT_REJECT);
	ck_assert_int_ge(logcap_find_in("matched body_line_length gt 998: 999 action reject"), 0);
	free(a);
	free(b);
}
END_TEST

/* folded header: each physical line measured on its own */
START_TEST(folded_header_lines)
{
	struct verdict v;
	struct session *s;
	char   *value;
	char   *part = repeat('p', 900);

	load("policy DEFAULT { access = accept }\n");
	s = open_session(&v);
	to_data(s, &v);
	/* "Subject: " + 900, then "\t" + 900 + "\n\t" + 900: all < 998 */
	ck_assert_int_ge(asprintf(&value, "%s\n\t%s\r\n\t%s", part, part, part), 0);
	CONTINUES(&v, session_header(s, "Subject", value, &v));
	free(value);
	/* a continuation line of 999 bytes: "\t" + 998 */
	free(part);
	part = repeat('q', 998);
	ck_assert_int_ge(asprintf(&value, "short\n\t%s", part), 0);
	session_header(s, "Subject", value, &v);
	ck_assert_int_eq(v.kind, VERDICT_DROP);
	ck_assert_int_ge(logcap_find_in("matched header_line_length gt 998: 999 "
			      "action drop-connection"), 0);
	free(value);
	free(part);
}
END_TEST

/* a {j} that libmilter would refuse in a reply (CR, LF, over its length)
 * or that is no host name is left out of the 421, which stays a 421 */
START_TEST(drop_reply_names)
{
	static const char *const bad[] = {
		"mx\r\n250 2.0.0 Ok", "mx test", "", "mx\x7f", "\xc3\xa9.test",
	};
	struct session_conn c = {.client_addr = "127.0.0.1"};
	struct verdict v;
	struct session *s;
	char   *value = repeat('v', 1100), *longname = repeat('a', 256);
	size_t	i;

	load("policy DEFAULT { access = accept }\n");
	for (i = 0; i <= sizeof(bad) / sizeof(bad[0]); i++) {
		c.mta_name = i < sizeof(bad) / sizeof(bad[0]) ? bad[i] : longname;
		s = session_open(conf, ids, &c, &v);
		ck_assert_int_lt(nopened, MAXOPEN);
		opened[nopened++] = s;
		to_data(s, &v);
		session_header(s, "X", value, &v);
		ck_assert_int_eq(v.kind, VERDICT_DROP);
		ck_assert_str_eq(v.rcode, "421");
		ck_assert_msg(strncmp(v.text, "closing connection: ", 20) == 0,
			      "name %zu: text \"%s\"", i, v.text);
	}
	/* 255 bytes is still a name */
	longname[255] = 0;
	c.mta_name = longname;
	s = session_open(conf, ids, &c, &v);
	opened[nopened++] = s;
	to_data(s, &v);
	session_header(s, "X", value, &v);
	ck_assert_int_eq(v.kind, VERDICT_DROP);
	ck_assert_msg(strncmp(v.text, longname, 255) == 0 && v.text[255] == ' ',
		      "text \"%s\"", v.text);
	free(longname);
	free(value);
}
END_TEST

/* with SMFIP_HDR_LEADSPC the value is exactly what followed the colon */
START_TEST(raw_header_values)
{
	struct session_conn c = {
		.client_addr = "127.0.0.1", .mta_name = "mx.test",
		.header_leadspc = true,
	};
	struct verdict v;
	struct session *s;
	char   *value = repeat('v', 997);

	load("policy DEFAULT { access = accept }\n");
	s = session_open(conf, ids, &c, &v);
	opened[nopened++] = s;
	to_data(s, &v);
	/* "X:" + 997 = 999 without a space after the colon */
	session_header(s, "X", value, &v);
	ck_assert_int_eq(v.kind, VERDICT_DROP);
	ck_assert_int_ge(logcap_find_in("matched header_line_length gt 998: 999"), 0);
	free(value);
	s = session_open(conf, ids, &c, &v);
	opened[nopened++] = s;
	to_data(s, &v);
	CONTINUES(&v, session_header(s, "Subject", " hello", &v));
	CONTINUES(&v, session_eoh(s, &v));
	ck_assert_int_ge(logcap_find_in("Subject 'hello'"), 0);
	CONTINUES(&v, session_eom(s, &v));
	/* with LEADSPC the header we add brings its own space */
	ck_assert_str_eq(v.headers[0].value, " ICID=2 MID=2");
}
END_TEST

/* a refused recipient gets no RID; the message goes on with the others */
START_TEST(rcpt_refusal_keeps_message)
{
	struct verdict v;
	struct session *s;

	load("policy DEFAULT { access = accept\n"
	     "  match rcpt_count { gt = 1 action = reject } }\n");
	s = open_session(&v);
	mail(s, &v);
	rcpt(s, &v);
	session_rcpt(s, (char *[]) {"<second@y.example>", NULL}, &v);
	ck_assert_int_eq(v.kind, VERDICT_REJECT);
	ck_assert_str_eq(v.rcode, "552");
	ck_assert_str_eq(v.xcode, "5.5.3");
	ck_assert_int_eq(logcap_find_in("To: <second@y.example>"), -1);
	CONTINUES(&v, session_data(s, &v));
	CONTINUES(&v, session_eoh(s, &v));
	CONTINUES(&v, session_eom(s, &v));
	ck_assert_int_ge(logcap_find_in("Message finished MID 1 done"), 0);
}
END_TEST

/* connections_per_ip: a closed connection makes room again */
START_TEST(connections_released_on_close)
{
	struct verdict v;
	struct session *s;

	load("policy DEFAULT { access = accept\n"
	     "  match connections_per_ip { gt = 1 action = tempfail } }\n");
	client = "192.0.2.9";
	s = open_session(&v);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	(void) open_session(&v);
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
	ck_assert_str_eq(v.rcode, "451");
	session_close(opened[--nopened]);
	session_close(opened[--nopened]);
	(void) s;
	(void) open_session(&v);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	client = "192.0.2.10";	/* another address has its own count */
	(void) open_session(&v);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	/* an IPv4-mapped IPv6 address is the same client */
	client = "::ffff:192.0.2.9";
	(void) open_session(&v);
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
}
END_TEST

/* unknown commands: the ASA's fifteen do not count */
START_TEST(help_is_not_unknown)
{
	struct verdict v;
	struct session *s;

	load("policy DEFAULT { access = accept }\n");
	s = open_session(&v);
	CONTINUES(&v, session_unknown(s, "HELP", &v));
	CONTINUES(&v, session_unknown(s, "help me", &v));
	ck_assert_int_eq(logcap_count("Unknown command"), 0);
	ck_assert_int_eq(logcap_count("matched"), 0);
	CONTINUES(&v, session_unknown(s, "XFOO", &v));
	CONTINUES(&v, session_unknown(s, "XBAR", &v));
	ck_assert_int_eq(logcap_count("Unknown command"), 2);
	/* log-only: once per connection */
	ck_assert_int_eq(logcap_count("matched unknown_commands gt 0: 1 action log"), 1);
	ck_assert_int_eq(strncmp(logcap_line(logcap_find_in("matched")), "ICID ", 5), 0);
}
END_TEST

/* MIME structure anomalies are logged once per kind, the mail goes on */
START_TEST(mime_anomaly_logged_once)
{
	struct verdict v;
	struct session *s;
	char	body[4096];
	size_t	n = 0;
	int	i;

	load("policy DEFAULT { access = accept }\n");
	s = open_session(&v);
	to_data(s, &v);
	CONTINUES(&v, session_header(s, "Content-Type",
				     " multipart/mixed; boundary=\"b0\"", &v));
	CONTINUES(&v, session_eoh(s, &v));
	/* 20 levels, deeper than the scanner follows */
	for (i = 1; i <= 20; i++)
		n += (size_t) snprintf(body + n, sizeof(body) - n,
			"--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n",
			i - 1, i);
	CONTINUES(&v, session_body(s, (unsigned char *) body, n, &v));
	CONTINUES(&v, session_body(s, (unsigned char *) body, n, &v));
	CONTINUES(&v, session_eom(s, &v));
	ck_assert_int_eq(logcap_count("MID 1 ICID 1 MIME: "), logcap_count("MIME: "));
	ck_assert_int_ge(logcap_find_in("MIME: MIME nesting deeper than 16"), 0);
	ck_assert_int_eq(logcap_count("MIME: MIME nesting deeper than 16"), 1);
	ck_assert_int_ge(logcap_find_in("Message finished MID 1 done"), 0);
}
END_TEST

/* SIGUSR1: per policy and rule counters */
START_TEST(counters_per_rule)
{
	struct verdict v;

	load_rule(&cases[1], "reject", "");	/* rcpt_count gt 3 */
	(void) d_rcpt_count(4, &v);
	logcap_start();
	stats_log(conf);
	ck_assert_int_ge(logcap_find_in("Inspect: esmtp policy DEFAULT, connections 1, "
			      "matched 1, log 0, reject 1, tempfail 0, "
			      "drop-connection 0"), 0);
	ck_assert_int_ge(logcap_find_in("Inspect: esmtp policy DEFAULT match rcpt_count "
			      "gt 3 reject log: evaluated 4, matched 1, log 0, "
			      "reject 1, tempfail 0, drop-connection 0"), 0);
	ck_assert_int_ge(logcap_find_in("Inspect: esmtp policy TRUSTED, connections 0"), 0);
	/* counters survive a reload under the same policy name */
	load_rule(&cases[1], "tempfail", "");
	(void) d_rcpt_count(4, &v);
	logcap_start();
	stats_log(conf);
	ck_assert_int_ge(logcap_find_in("match rcpt_count gt 3 tempfail log: evaluated 8, "
			      "matched 2, log 0, reject 1, tempfail 1"), 0);
}
END_TEST

static Suite *
suite(void)
{
	Suite  *s = suite_create("rules");
	TCase  *tc = tcase_create("rules");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, boundary_passes, 0, NCASES);
	tcase_add_loop_test(tc, one_more_rejects, 0, NCASES);
	tcase_add_loop_test(tc, one_more_tempfails, 0, NCASES);
	tcase_add_loop_test(tc, one_more_drops, 0, NCASES);
	tcase_add_loop_test(tc, one_more_logs, 0, NCASES);
	tcase_add_loop_test(tc, log_false_keeps_the_action, 0, NCASES);
	tcase_add_loop_test(tc, relay_untouched, 0, NCASES);
	tcase_add_test(tc, asa_defaults);
	tcase_add_test(tc, log_only_once_per_message);
	tcase_add_test(tc, body_line_across_chunks);
	tcase_add_test(tc, folded_header_lines);
	tcase_add_test(tc, raw_header_values);
	tcase_add_test(tc, drop_reply_names);
	tcase_add_test(tc, rcpt_refusal_keeps_message);
	tcase_add_test(tc, connections_released_on_close);
	tcase_add_test(tc, help_is_not_unknown);
	tcase_add_test(tc, mime_anomaly_logged_once);
	tcase_add_test(tc, counters_per_rule);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
