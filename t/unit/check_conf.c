/*++
 * NAME
 *	check_conf 1
 * SUMMARY
 *	unit tests of the configuration: defaults, rules, every error
 * DESCRIPTION
 *	The defaults are checked against the SPEC example (and the shipped
 *	conf/esmtpguard.conf when top_srcdir is set), each error kind
 *	against the exact FILE:LINE message an administrator will see.
 *--*/
#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "conf.h"
#include "policy.h"
#include "rule.h"
#include "unit.h"

/* The example of SPEC.md "Configuration", verbatim. */
static const char spec_example[] =
"socket            = \"unix:/run/esmtpguard/esmtpguard.sock\"\n"
"state_dir         = \"/var/lib/esmtpguard\"   # ID counters survive restarts and crashes\n"
"syslog_facility   = \"mail\"\n"
"log_file          = \"\"          # also append ESA file-format lines here\n"
"on_internal_error = \"tempfail\"  # accept | tempfail | reject\n"
"id_header         = \"X-ESMTPGuard-ID\"       # \"ICID=.. MID=..\" on accepted mail; \"\" = off\n"
"\n"
"# sender groups: read top-down, first match wins, like an ESA host access table\n"
"sendergroup RELAY_SG { match = { \"192.168.1.1\", \"10.0.0.0/8\", \"2001:db8::/32\" } policy = TRUSTED }\n"
"sendergroup ALL      { match = { \"ALL\" }  policy = DEFAULT }\n"
"\n"
"policy TRUSTED { access = relay }           # trusted gateway: logged, never limited\n"
"policy BLOCKED { access = reject }          # refused at connect\n"
"policy DEFAULT {\n"
"  access = accept\n"
"  match cmd_line_length       { gt = 512 action = drop-connection log = true }\n"
"  match rcpt_count            { gt = 100 action = drop-connection log = true }\n"
"  match body_line_length      { gt = 998 action = log }\n"
"  match header_line_length    { gt = 998 action = drop-connection log = true }\n"
"  match sender_address_length { gt = 320 action = drop-connection log = true }\n"
"  match mime_filename_length  { gt = 255 action = drop-connection log = true }\n"
"  spf { verify = true  helo = true  received_spf_header = true  on_fail = log }\n"
"}\n";

/* Errors as "FILE:LINE: message", in the order reported. */
struct errs {
	char	msgs[32][512];
	size_t	n;
};

static void
collect(void *arg, const char *file, int line, const char *msg)
{
	struct errs *e = arg;

	if (e->n < sizeof(e->msgs) / sizeof(e->msgs[0]))
		snprintf(e->msgs[e->n], sizeof(e->msgs[0]), "%s:%d: %s",
			 file, line, msg);
	e->n++;
}

static struct conf *
load_ok(const char *text)
{
	struct errs e = {.n = 0};
	struct conf *conf = conf_load_buf(text, "t.conf", collect, &e);

	ck_assert_msg(conf != NULL && e.n == 0, "load failed: %s",
		      e.n ? e.msgs[0] : "(no message)");
	return conf;
}

static void
assert_rule(const struct rule *got, bool on, long gt, enum action action,
	    bool log, const char *what)
{
	ck_assert_msg(got->on == on, "%s: on %d want %d", what, got->on, on);
	if (!on)
		return;
	ck_assert_msg(got->gt == gt, "%s: gt %ld want %ld", what, got->gt, gt);
	ck_assert_msg(got->action == action, "%s: action %s want %s", what,
		      action_name(got->action), action_name(action));
	ck_assert_msg(got->log == log, "%s: log %d want %d", what, got->log,
		      log);
}

/* The SPEC table, independent of rule.c. */
static const struct {
	const char *name;
	bool	connection;
	bool	on;
	long	gt;
	enum action action;
} spec_rules[] = {
	{"cmd_line_length", false, true, 512, ACTION_DROP},
	{"rcpt_count", false, true, 100, ACTION_DROP},
	{"body_line_length", false, true, 998, ACTION_LOG},
	{"header_line_length", false, true, 998, ACTION_DROP},
	{"sender_address_length", false, true, 320, ACTION_DROP},
	{"mime_filename_length", false, true, 255, ACTION_DROP},
	{"header_length", false, false, 0, ACTION_LOG},
	{"header_to_fields_count", false, false, 0, ACTION_LOG},
	{"body_length", false, false, 0, ACTION_LOG},
	{"messages_per_connection", true, false, 0, ACTION_LOG},
	{"rcpt_per_connection", true, false, 0, ACTION_LOG},
	{"connections_per_ip", true, false, 0, ACTION_LOG},
	{"rcpt_per_hour_per_ip", true, false, 0, ACTION_LOG},
	{"pipe_in_address", false, true, 0, ACTION_DROP},
	{"unknown_commands", true, true, 0, ACTION_LOG},
};

START_TEST(rule_table)
{
	size_t	i;
	int	id;

	ck_assert_int_eq(sizeof(spec_rules) / sizeof(spec_rules[0]), RULE_COUNT);
	for (i = 0; i < RULE_COUNT; i++) {
		id = rule_by_name(spec_rules[i].name);
		ck_assert_msg(id == (int) i, "%s: id %d", spec_rules[i].name, id);
		ck_assert_int_eq(rule_defs[id].connection, spec_rules[i].connection);
		assert_rule(&rule_defs[id].asa, spec_rules[i].on, spec_rules[i].gt,
			    spec_rules[i].action, true, spec_rules[i].name);
		ck_assert(rule_defs[id].max_gt >= rule_defs[id].asa.gt);
	}
	ck_assert_int_eq(rule_by_name("nonesuch"), -1);
	ck_assert_int_eq(action_parse("drop-connection"), ACTION_DROP);
	ck_assert_int_eq(action_parse("drop"), -1);
	for (i = 0; i < ACTION_COUNT; i++)
		ck_assert_int_eq(action_parse(action_name(i)), (int) i);
	ck_assert_str_eq(policy_access_name(ACCESS_RELAY), "relay");
	ck_assert_str_eq(policy_hat_verdict(ACCESS_ACCEPT), "ACCEPT");
	ck_assert_str_eq(policy_hat_verdict(ACCESS_RELAY), "RELAY");
	ck_assert_str_eq(policy_hat_verdict(ACCESS_REJECT), "REJECT");
}
END_TEST

/* assert_asa_policy - p is the ASA _default_esmtp_map with SPF defaults */

static void
assert_asa_policy(const struct policy *p)
{
	size_t	i;

	ck_assert_int_eq(p->access, ACCESS_ACCEPT);
	for (i = 0; i < RULE_COUNT; i++)
		assert_rule(&p->rules[i], spec_rules[i].on, spec_rules[i].gt,
			    spec_rules[i].action, true, spec_rules[i].name);
	ck_assert(p->spf.verify && p->spf.helo && p->spf.received_spf_header);
	ck_assert_int_eq(p->spf.on_fail, ACTION_LOG);
	ck_assert_int_eq(p->spf.on_softfail, ACTION_LOG);
	ck_assert_int_eq(p->spf.on_temperror, ACTION_LOG);
	ck_assert_int_eq(p->spf.on_permerror, ACTION_LOG);
}

static void
assert_spec_globals(const struct conf *c)
{
	ck_assert_str_eq(c->socket, "unix:/run/esmtpguard/esmtpguard.sock");
	ck_assert_int_eq(c->socket_mode, 0660);
	ck_assert_str_eq(c->user, "esmtpguard");
	ck_assert_str_eq(c->pidfile, "/run/esmtpguard/esmtpguard.pid");
	ck_assert_str_eq(c->state_dir, "/var/lib/esmtpguard");
	ck_assert_int_eq(c->syslog_facility, LOG_MAIL);
	ck_assert_str_eq(c->log_file, "");
	ck_assert_int_eq(c->on_internal_error, CONF_IERR_TEMPFAIL);
	ck_assert_str_eq(c->id_header, "X-ESMTPGuard-ID");
	ck_assert_uint_eq(c->spf_timeout, 8);
}

START_TEST(defaults_empty)
{
	struct conf *c = load_ok("");

	assert_spec_globals(c);
	ck_assert_uint_eq(c->ngroups, 0);
	ck_assert_uint_eq(c->npolicies, 0);
	ck_assert_ptr_nonnull(c->fallback);
	ck_assert_str_eq(c->fallback->name, "DEFAULT");
	assert_asa_policy(c->fallback);
	ck_assert_ptr_null(conf_policy(c, "DEFAULT"));
	ck_assert_int_eq(c->refs, 1);
	conf_release(c);
}
END_TEST

/* assert_spec_example - c is what the SPEC example describes */

static void
assert_spec_example(const struct conf *c)
{
	const struct policy *p;
	size_t	i;

	assert_spec_globals(c);
	ck_assert_uint_eq(c->ngroups, 2);
	ck_assert_str_eq(c->groups[0].name, "RELAY_SG");
	ck_assert_uint_eq(c->groups[0].nentries, 3);
	ck_assert_str_eq(c->groups[0].entries[1].text, "10.0.0.0/8");
	ck_assert_str_eq(c->groups[0].policy->name, "TRUSTED");
	ck_assert_str_eq(c->groups[1].name, "ALL");
	ck_assert_uint_eq(c->groups[1].nentries, 1);
	ck_assert_int_eq(c->groups[1].entries[0].kind, HAT_ALL);
	ck_assert_ptr_eq(c->groups[1].policy, c->fallback);

	ck_assert_uint_eq(c->npolicies, 3);
	p = conf_policy(c, "TRUSTED");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->access, ACCESS_RELAY);
	for (i = 0; i < RULE_COUNT; i++)
		ck_assert(!p->rules[i].on);
	ck_assert_int_eq(conf_policy(c, "BLOCKED")->access, ACCESS_REJECT);
	p = conf_policy(c, "DEFAULT");
	ck_assert_ptr_eq(p, c->fallback);
	assert_asa_policy(p);
}

START_TEST(defaults_spec_example)
{
	struct conf *c = load_ok(spec_example);

	assert_spec_example(c);
	conf_release(c);
}
END_TEST

/* The shipped, annotated file says the same as the SPEC example. */
START_TEST(defaults_shipped_file)
{
	const char *top = getenv("top_srcdir");
	struct errs e = {.n = 0};
	struct conf *c;
	char	path[4096];

	if (top == NULL)
		top = "..";
	snprintf(path, sizeof(path), "%s/conf/esmtpguard.conf", top);
	c = conf_load(path, collect, &e);
	ck_assert_msg(c != NULL, "%s", e.n ? e.msgs[0] : path);
	assert_spec_example(c);
	ck_assert_str_eq(c->path, path);
	conf_release(c);
}
END_TEST

/* Each rule parses with every field given. */
START_TEST(rule_parses)
{
	char	text[512];
	struct conf *c;
	const struct rule *r;
	long	gt = rule_defs[_i].max_gt < 7 ? rule_defs[_i].max_gt : 7;

	snprintf(text, sizeof(text),
		 "policy P {\n match %s { gt = %ld action = tempfail log = false }\n}\n",
		 rule_defs[_i].name, gt);
	c = load_ok(text);
	r = &conf_policy(c, "P")->rules[_i];
	assert_rule(r, true, gt, ACTION_TEMPFAIL, false, rule_defs[_i].name);
	conf_release(c);
}
END_TEST

START_TEST(rule_override_disable)
{
	struct conf *c = load_ok(
		"policy DEFAULT {\n"
		"  match body_line_length { gt = 2000 }\n"
		"  match cmd_line_length { action = reject }\n"
		"  match header_line_length { enabled = false }\n"
		"  match rcpt_count { log = false }\n"
		"  match header_length { gt = 65536 }\n"
		"  match body_length { gt = 10485760 action = reject }\n"
		"  spf { on_fail = reject on_temperror = tempfail helo = false }\n"
		"}\n");
	const struct policy *p = c->fallback;

	ck_assert_str_eq(p->name, "DEFAULT");
	assert_rule(&p->rules[RULE_BODY_LINE_LENGTH], true, 2000, ACTION_LOG,
		    true, "override gt");
	assert_rule(&p->rules[RULE_CMD_LINE_LENGTH], true, 512, ACTION_REJECT,
		    true, "override action");
	assert_rule(&p->rules[RULE_HEADER_LINE_LENGTH], false, 0, 0, 0,
		    "disabled");
	assert_rule(&p->rules[RULE_RCPT_COUNT], true, 100, ACTION_DROP, false,
		    "override log");
	assert_rule(&p->rules[RULE_HEADER_LENGTH], true, 65536, ACTION_LOG,
		    true, "new rule");
	assert_rule(&p->rules[RULE_BODY_LENGTH], true, 10485760, ACTION_REJECT,
		    true, "new rule action");
	/* untouched defaults stay */
	assert_rule(&p->rules[RULE_PIPE_IN_ADDRESS], true, 0, ACTION_DROP,
		    true, "untouched");
	assert_rule(&p->rules[RULE_HEADER_TO_FIELDS_COUNT], false, 0, 0, 0,
		    "untouched off");
	ck_assert_int_eq(p->spf.on_fail, ACTION_REJECT);
	ck_assert_int_eq(p->spf.on_temperror, ACTION_TEMPFAIL);
	ck_assert_int_eq(p->spf.on_softfail, ACTION_LOG);
	ck_assert(!p->spf.helo && p->spf.verify);
	conf_release(c);
}
END_TEST

START_TEST(relay_reject_policies)
{
	struct conf *c = load_ok(
		"policy R { access = relay }\n"
		"policy X { access = reject }\n"
		"policy A { }\n");
	size_t	i;

	ck_assert_int_eq(conf_policy(c, "R")->access, ACCESS_RELAY);
	ck_assert_int_eq(conf_policy(c, "X")->access, ACCESS_REJECT);
	for (i = 0; i < RULE_COUNT; i++) {
		ck_assert(!conf_policy(c, "R")->rules[i].on);
		ck_assert(!conf_policy(c, "X")->rules[i].on);
	}
	assert_asa_policy(conf_policy(c, "A"));
	/* no DEFAULT: the built-in one, not one of the file's */
	ck_assert_str_eq(c->fallback->name, "DEFAULT");
	for (i = 0; i < c->npolicies; i++)
		ck_assert_ptr_ne(c->fallback, &c->policies[i]);
	assert_asa_policy(c->fallback);
	conf_release(c);
}
END_TEST

START_TEST(fallback_default_policy)
{
	struct conf *c = load_ok(
		"sendergroup G { match = { \"192.0.2.0/24\" } policy = DEFAULT }\n"
		"policy DEFAULT { access = relay }\n");

	ck_assert_ptr_eq(c->fallback, conf_policy(c, "DEFAULT"));
	ck_assert_int_eq(c->fallback->access, ACCESS_RELAY);
	ck_assert_ptr_eq(c->groups[0].policy, c->fallback);
	conf_release(c);
}
END_TEST

START_TEST(group_order)
{
	struct conf *c = load_ok(
		"sendergroup Z { match = { \"192.0.2.1\" } policy = P }\n"
		"sendergroup A { match = { \"192.0.2.2\", \".example.com\" } policy = P }\n"
		"sendergroup M { match = { \"ALL\" } policy = P }\n"
		"policy P { }\n");

	ck_assert_uint_eq(c->ngroups, 3);
	ck_assert_str_eq(c->groups[0].name, "Z");
	ck_assert_str_eq(c->groups[1].name, "A");
	ck_assert_str_eq(c->groups[2].name, "M");
	ck_assert_uint_eq(c->groups[1].nentries, 2);
	ck_assert_int_eq(c->groups[1].entries[1].kind, HAT_DOMAIN);
	conf_release(c);
}
END_TEST

START_TEST(globals_set)
{
	struct conf *c = load_ok(
		"socket = \"inet:8891@127.0.0.1\"\n"
		"socket_mode = \"0600\"\n"
		"user = \"milter:mail\"\n"
		"pidfile = \"\"\n"
		"state_dir = \"/tmp/x\"\n"
		"syslog_facility = \"local3\"\n"
		"log_file = \"/var/log/esmtpguard.log\"\n"
		"on_internal_error = \"accept\"\n"
		"id_header = \"\"\n"
		"spf_timeout = 20\n");

	ck_assert_str_eq(c->socket, "inet:8891@127.0.0.1");
	ck_assert_int_eq(c->socket_mode, 0600);
	ck_assert_str_eq(c->user, "milter:mail");
	ck_assert_str_eq(c->pidfile, "");
	ck_assert_int_eq(c->syslog_facility, LOG_LOCAL3);
	ck_assert_str_eq(c->log_file, "/var/log/esmtpguard.log");
	ck_assert_int_eq(c->on_internal_error, CONF_IERR_ACCEPT);
	ck_assert_str_eq(conf_ierr_name(c->on_internal_error), "accept");
	ck_assert_str_eq(c->id_header, "");
	ck_assert_uint_eq(c->spf_timeout, 20);
	conf_release(c);
}
END_TEST

/* Each error kind: the text, and the first message it must produce. */
static const struct {
	const char *text;
	const char *want;
} bad[] = {
	{"socket = \"unix:/s\"\nbogus = 1\n",
	 "t.conf:2: no such option 'bogus'"},
	{"policy P {\n  access = accept\n  bogus = 1\n}\n",
	 "t.conf:3: no such option 'bogus' (in policy P)"},
	{"sendergroup G {\n  match = { \"ALL\", \"192.0.2.300\" }\n  policy = P\n}\npolicy P { }\n",
	 "t.conf:2: bad address entry '192.0.2.300' in sendergroup G: "},
	{"sendergroup G { match = { \"ALL\" } policy = P }\n\n"
	 "sendergroup H {\n  match = { \"ALL\" }\n  policy = NOPE\n}\npolicy P { }\n",
	 "t.conf:5: sendergroup H: unknown policy 'NOPE'"},
	{"sendergroup G { match = { \"ALL\" } }\n",
	 "t.conf:1: sendergroup G has no policy"},
	{"policy P { }\nsendergroup G { policy = P }\nsendergroup G { policy = P }\n",
	 "t.conf:3: duplicate sendergroup 'G'"},
	{"policy P { }\n\npolicy P { access = relay }\n",
	 "t.conf:3: duplicate policy 'P'"},
	{"policy P {\n match rcpt_count { gt = 5 }\n match rcpt_count { gt = 6 }\n}\n",
	 "t.conf:3: duplicate rule 'rcpt_count' in policy P"},
	{"policy P {\n  match rcpt_count {\n    action = bounce\n  }\n}\n",
	 "t.conf:3: bad action 'bounce' for rule rcpt_count (log, reject, tempfail, drop-connection)"},
	{"policy P {\n  match rcpt_cnt { gt = 5 }\n}\n",
	 "t.conf:2: unknown rule 'rcpt_cnt' in policy P"},
	{"policy P {\n  match rcpt_count { gt = -1 }\n}\n",
	 "t.conf:2: gt -1 for rule rcpt_count is out of range (0 to 100000000)"},
	{"policy P {\n  match pipe_in_address { gt = 1 }\n}\n",
	 "t.conf:2: gt 1 for rule pipe_in_address is out of range (0 to 0)"},
	{"policy P {\n  match body_length { gt = 99999999999999999999 }\n}\n",
	 "t.conf:2: gt 99999999999999999999 for rule body_length is out of range (0 to 2147483647)"},
	{"policy P {\n  match body_length { gt = 10k }\n}\n",
	 "t.conf:2: gt '10k' for rule body_length is not a number"},
	{"policy P {\n  match body_length { action = reject }\n}\n",
	 "t.conf:2: rule body_length in policy P needs gt (it has no ASA default)"},
	{"policy P {\n  access = relay\n  match rcpt_count { gt = 5 }\n}\n",
	 "t.conf:3: rule rcpt_count in policy P has no effect: only access = accept is inspected"},
	{"\nsocket_mode = \"0999\"\n",
	 "t.conf:2: socket_mode '0999' is not an octal file mode such as 0660"},
	{"socket_mode = \"rw-rw----\"\n",
	 "t.conf:1: socket_mode 'rw-rw----' is not an octal file mode such as 0660"},
	{"syslog_facility = \"mial\"\n",
	 "t.conf:1: unknown syslog_facility 'mial' (mail, daemon, user, local0 to local7)"},
	{"on_internal_error = \"ignore\"\n",
	 "t.conf:1: bad on_internal_error 'ignore' (accept, tempfail, reject)"},
	{"policy P {\n  access = allow\n}\n",
	 "t.conf:2: bad access 'allow' in policy P (accept, relay, reject)"},
	{"policy P {\n  spf {\n    on_fail = drop-connection\n  }\n}\n",
	 "t.conf:3: bad spf on_fail 'drop-connection' (log, reject, tempfail)"},
	{"socket = \"/run/x.sock\"\nsocket = \"tcp:25\"\n",
	 "t.conf:2: socket 'tcp:25' is not unix:/PATH, local:/PATH, inet:PORT@HOST or inet6:PORT@HOST"},
	{"state_dir = \"var/lib\"\n",
	 "t.conf:1: state_dir 'var/lib' is not an absolute path"},
	{"user = \"a:b:c\"\n",
	 "t.conf:1: user 'a:b:c' is not USER or USER:GROUP"},
	{"id_header = \"X-Guard: 1\"\n",
	 "t.conf:1: id_header 'X-Guard: 1' is not a header field name"},
	{"spf_timeout = 0\n",
	 "t.conf:1: spf_timeout '0' is not a number of seconds from 1 to 60"},
	{"\nspf_timeout = 61\n",
	 "t.conf:2: spf_timeout '61' is not a number of seconds from 1 to 60"},
	{"spf_timeout = 5s\n",
	 "t.conf:1: spf_timeout '5s' is not a number of seconds from 1 to 60"},
	{"policy P {\n  match rcpt_count { gt = 5 }\n",
	 "t.conf:2: premature end of file: a section is not closed"},
	{"sendergroup G { match = { \"ALL\"",
	 "t.conf:1: premature end of file: a section is not closed"},
	{"policy P { }\n}\n",
	 "t.conf:2: unexpected closing brace"},
	{"socket =",
	 "t.conf:1: premature end of file"},
	/* comments do not shift lines (libconfuse 3.3 miscounts them) */
	{"# one\n// two\n/* three\n four */ # five\npolicy P { access = \"#x\" }\n",
	 "t.conf:5: bad access '#x' in policy P"},
	{"policy P {\n  match rcpt_count { gt = 5 log = maybe }\n}\n",
	 "t.conf:2: invalid boolean value for option 'log' (in match rcpt_count)"},
};

START_TEST(error_kinds)
{
	struct errs e = {.n = 0};
	struct conf *c = conf_load_buf(bad[_i].text, "t.conf", collect, &e);

	ck_assert_ptr_null(c);
	ck_assert_msg(e.n >= 1, "case %d: no error reported", _i);
	ck_assert_msg(strncmp(e.msgs[0], bad[_i].want, strlen(bad[_i].want)) == 0,
		      "case %d:\n got: %s\nwant: %s", _i, e.msgs[0], bad[_i].want);
}
END_TEST

START_TEST(errors_all_reported)
{
	static const char text[] =
		"syslog_facility = \"mial\"\n"			/* 1 */
		"on_internal_error = \"maybe\"\n"		/* 2 */
		"sendergroup G { match = { \"ALL\", \"1.2.3.4/33\" } policy = NOPE }\n"
		"policy P {\n"					/* 4 */
		"  match rcpt_count { gt = -5 action = nuke }\n"	/* 5 */
		"  match nonesuch { gt = 1 }\n"			/* 6 */
		"  match header_length { }\n"			/* 7 */
		"  spf { on_permerror = drop-connection }\n"	/* 8 */
		"}\n";
	static const char *const want[] = {
		"t.conf:1: unknown syslog_facility",
		"t.conf:2: bad on_internal_error",
		"t.conf:3: bad address entry '1.2.3.4/33'",
		"t.conf:5: gt -5 for rule rcpt_count",
		"t.conf:5: bad action 'nuke'",
		"t.conf:8: bad spf on_permerror",
		"t.conf:6: unknown rule 'nonesuch'",
		"t.conf:7: rule header_length in policy P needs gt",
		"t.conf:3: sendergroup G: unknown policy 'NOPE'",
	};
	struct errs e = {.n = 0};
	size_t	i;

	ck_assert_ptr_null(conf_load_buf(text, "t.conf", collect, &e));
	ck_assert_uint_eq(e.n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < e.n; i++)
		ck_assert_msg(strncmp(e.msgs[i], want[i], strlen(want[i])) == 0,
			      "error %zu:\n got: %s\nwant: %s", i, e.msgs[i],
			      want[i]);
}
END_TEST

/* a repeated title must not hide the problems after it (libconfuse
 * stops at one when CFGF_NO_TITLE_DUPES is set) */
START_TEST(errors_after_duplicate_reported)
{
	static const char text[] =
		"sendergroup D { match = { \"10.0.0.0/8\" } policy = P }\n"	/* 1 */
		"sendergroup D { match = { \"10.1.0.0/16\" } policy = P }\n"	/* 2 */
		"policy P { match rcpt_count { gt = 1 }\n"			/* 3 */
		"  match rcpt_count { gt = 2 } }\n"				/* 4 */
		"policy \"P\" { access = relay }\n"				/* 5 */
		"sendergroup X { match = { \"300.1.2.3\" } policy = P }\n";	/* 6 */
	static const char *const want[] = {
		"t.conf:2: duplicate sendergroup 'D'",
		"t.conf:4: duplicate rule 'rcpt_count' in policy P",
		"t.conf:5: duplicate policy 'P'",
		"t.conf:6: bad address entry '300.1.2.3'",
	};
	struct errs e = {.n = 0};
	size_t	i;

	ck_assert_ptr_null(conf_load_buf(text, "t.conf", collect, &e));
	ck_assert_uint_ge(e.n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(strncmp(e.msgs[i], want[i], strlen(want[i])) == 0,
			      "error %zu:\n got: %s\nwant: %s", i, e.msgs[i],
			      want[i]);
}
END_TEST

START_TEST(load_missing_file)
{
	struct errs e = {.n = 0};

	ck_assert_ptr_null(conf_load("/nonexistent/esmtpguard.conf", collect, &e));
	ck_assert_uint_eq(e.n, 1);
	ck_assert_str_eq(e.msgs[0],
	    "/nonexistent/esmtpguard.conf:0: cannot open: No such file or directory");
}
END_TEST

START_TEST(load_file_lines)
{
	char	path[] = "/tmp/check_conf.XXXXXX";
	char	want[128];
	struct errs e = {.n = 0};
	FILE   *fp;
	int	fd;

	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_ptr_nonnull(fp = fdopen(fd, "w"));
	fputs("# comment\n\npolicy P {\n  match rcpt_count { gt = x }\n}\n", fp);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_ptr_null(conf_load(path, collect, &e));
	unlink(path);
	snprintf(want, sizeof(want), "%s:4: gt 'x' for rule rcpt_count", path);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_msg(strncmp(e.msgs[0], want, strlen(want)) == 0, "%s", e.msgs[0]);
}
END_TEST

START_TEST(snapshot_refs)
{
	struct conf *a = load_ok("policy A { }\n");
	struct conf *b = load_ok("policy B { }\n");
	struct conf *s1, *s2;

	ck_assert_ptr_null(conf_acquire());
	ck_assert_ptr_eq(conf_retain(a), a);
	ck_assert_int_eq(a->refs, 2);
	conf_release(a);
	ck_assert_int_eq(a->refs, 1);

	conf_install(a);			/* takes the reference */
	s1 = conf_acquire();			/* a session pins a */
	ck_assert_ptr_eq(s1, a);
	ck_assert_int_eq(a->refs, 2);

	conf_install(b);			/* reload: a lives on in s1 */
	ck_assert_int_eq(a->refs, 1);
	ck_assert_ptr_nonnull(conf_policy(s1, "A"));
	s2 = conf_acquire();
	ck_assert_ptr_eq(s2, b);
	ck_assert_int_eq(b->refs, 2);

	conf_release(s1);			/* frees a */
	conf_release(s2);
	ck_assert_int_eq(b->refs, 1);
	conf_install(NULL);			/* frees b */
	ck_assert_ptr_null(conf_acquire());
	conf_release(NULL);
}
END_TEST

/*
 * Reload under load: readers pin and drop snapshots while the main thread
 * installs new ones, as milter threads do during SIGHUP. Each pinned
 * snapshot must stay whole until released; the TSan build runs this.
 */
#define READERS	4
#define READS	3000
#define RELOADS	200

static void *
reader(void *arg)
{
	long   *seen = arg;
	int	i;

	for (i = 0; i < READS; i++) {
		struct conf *c = conf_acquire();

		if (c != NULL && (conf_policy(c, "A") || conf_policy(c, "B")))
			++*seen;
		conf_release(c);
	}
	return NULL;
}

START_TEST(snapshot_reload_threads)
{
	pthread_t tid[READERS];
	long	seen[READERS] = {0};
	int	i;

	conf_install(load_ok("policy A { }\n"));
	for (i = 0; i < READERS; i++)
		ck_assert_int_eq(pthread_create(&tid[i], NULL, reader, &seen[i]), 0);
	for (i = 0; i < RELOADS; i++)
		conf_install(load_ok(i % 2 ? "policy A { }\n" : "policy B { }\n"));
	for (i = 0; i < READERS; i++) {
		ck_assert_int_eq(pthread_join(tid[i], NULL), 0);
		ck_assert_int_eq(seen[i], READS);
	}
	conf_install(NULL);
	ck_assert_ptr_null(conf_acquire());
}
END_TEST

static int option_count;

static void
count_option(const char *section, const char *name, void *arg)
{
	(void) arg;
	ck_assert_ptr_nonnull(section);
	ck_assert_ptr_nonnull(name);
	if (strcmp(section, "policy|match") == 0 && strcmp(name, "enabled") == 0)
		option_count += 100;
	else if (strcmp(section, "rule") == 0)
		option_count += 1000;
	else
		option_count++;
}

START_TEST(options_walk)
{
	option_count = 0;
	conf_options_walk(count_option, NULL);
	/* 12 top level, 2+2 sendergroup/policy bodies, 3 match, 7 spf */
	ck_assert_int_eq(option_count, RULE_COUNT * 1000 + 100 + 12 + 2 + 3 + 3 + 7);
}
END_TEST

static Suite *
suite(void)
{
	Suite  *s = suite_create("conf");
	TCase  *tc;

	tc = tcase_create("rules");
	tcase_add_test(tc, rule_table);
	tcase_add_loop_test(tc, rule_parses, 0, RULE_COUNT);
	tcase_add_test(tc, rule_override_disable);
	suite_add_tcase(s, tc);

	tc = tcase_create("defaults");
	tcase_add_test(tc, defaults_empty);
	tcase_add_test(tc, defaults_spec_example);
	tcase_add_test(tc, defaults_shipped_file);
	tcase_add_test(tc, relay_reject_policies);
	tcase_add_test(tc, fallback_default_policy);
	tcase_add_test(tc, group_order);
	tcase_add_test(tc, globals_set);
	tcase_add_test(tc, options_walk);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, error_kinds, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, errors_all_reported);
	tcase_add_test(tc, errors_after_duplicate_reported);
	tcase_add_test(tc, load_missing_file);
	tcase_add_test(tc, load_file_lines);
	suite_add_tcase(s, tc);

	tc = tcase_create("snapshots");
	tcase_add_test(tc, snapshot_refs);
	tcase_add_test(tc, snapshot_reload_threads);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
