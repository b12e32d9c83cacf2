/*++
 * NAME
 *	check_trace 1t
 * SUMMARY
 *	unit tests of esmtpguard-trace: the line parser on hand-made edge
 *	lines, the correlator on small logs
 *--*/
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"
#include "traceline.h"
#include "traceout.h"
#include "tracestat.h"
#include "unit.h"

static struct traceline_year year;

static enum tl_ev
parse(struct traceline *l, const char *line)
{
	traceline_year_init(&year, traceline_time(2026, 11, 22, 12, 0, 0));
	return traceline_parse(l, line, strlen(line), &year);
}

#define EQ(s, want)	ck_assert_msg(tl_eq((s), (want)), "got '%.*s' want '%s'", \
				      (int) (s).n, (s).p, (want))

/* --- time stamps ---------------------------------------------------------- */

START_TEST(stamps)
{
	struct traceline l;

	ck_assert_int_eq(parse(&l, "Nov 22 13:09:12 mx postfix/smtpd[23323]: connect from localhost[127.0.0.1]"),
			 TL_P_CONNECT);
	ck_assert_int_eq(l.t, traceline_time(2026, 11, 22, 13, 9, 12));
	EQ(l.host, "mx");
	EQ(l.daemon, "smtpd");
	ck_assert_int_eq(l.pid, 23323);
	ck_assert_int_eq(parse(&l, "Sun Nov 22 13:09:12 2026 Info: ICID 1 close"), TL_G_CLOSE);
	ck_assert_int_eq(l.t, traceline_time(2026, 11, 22, 13, 9, 12));
	/* %e pads the day with a space */
	ck_assert_int_eq(parse(&l, "Mon Nov  2 01:02:03 2026 Info: ICID 7 lost"), TL_G_LOST);
	ck_assert_int_eq(l.t, traceline_time(2026, 11, 2, 1, 2, 3));
	ck_assert_int_eq(parse(&l, "Nov  2 01:02:03 h esmtpguard[5]: ICID 7 lost"), TL_G_LOST);
	ck_assert_int_eq(parse(&l, "2026-11-22T13:09:12.123456+01:00 h esmtpguard[5]: ICID 8 close"),
			 TL_G_CLOSE);
	ck_assert_int_eq(l.t, traceline_time(2026, 11, 22, 13, 9, 12));
	/* an ESA appliance's own syslog push */
	ck_assert_int_eq(parse(&l, "Jun 26 10:42:23 ip1out mail_logs: Info: ICID 9 close"), TL_G_CLOSE);
	/* no stamp, bad stamps */
	ck_assert_int_eq(parse(&l, "connect from x[1.2.3.4]"), TL_NONE);
	ck_assert_int_eq(l.t, -1);
	ck_assert_int_eq(parse(&l, "Nov 32 13:09:12 mx postfix/smtpd[1]: x"), TL_NONE);
	ck_assert_int_eq(l.t, -1);
	ck_assert_int_eq(parse(&l, "Xyz 22 13:09:12 mx postfix/smtpd[1]: x"), TL_NONE);
	ck_assert_int_eq(parse(&l, "Nov 22 25:09:12 mx postfix/smtpd[1]: x"), TL_NONE);
	ck_assert_int_eq(parse(&l, ""), TL_NONE);
	/* other programs are not ours */
	ck_assert_int_eq(parse(&l, "Nov 22 13:09:12 mx cron[5]: ICID 1 close"), TL_NONE);
	ck_assert_int_eq(l.src, TL_SRC_OTHER);
}
END_TEST

START_TEST(year_turns)
{
	struct traceline l;
	struct traceline_year y;

	/* a file last written in January that starts in December */
	traceline_year_init(&y, traceline_time(2027, 1, 2, 0, 0, 0));
	traceline_parse(&l, "Dec 31 23:59:59 h esmtpguard[1]: ICID 1 close", 44, &y);
	ck_assert_int_eq(l.t, traceline_time(2026, 12, 31, 23, 59, 59));
	traceline_parse(&l, "Jan  1 00:00:01 h esmtpguard[1]: ICID 2 close", 44, &y);
	ck_assert_int_eq(l.t, traceline_time(2027, 1, 1, 0, 0, 1));
}
END_TEST

/* --- esmtpguard's lines ------------------------------------------------- */

START_TEST(guard_lines)
{
	struct traceline l;

	ck_assert_int_eq(parse(&l, "Sun Nov 22 13:09:12 2026 Info: New SMTP ICID 10293 interface "
			       "Management (192.168.0.199) address 192.168.0.200 reverse dns host "
			       "ns.example.com verified no"), TL_G_NEW);
	EQ(l.icid, "10293");
	EQ(l.iface, "Management (192.168.0.199)");
	EQ(l.addr, "192.168.0.200");
	EQ(l.name, "ns.example.com");
	ck_assert(!l.verified);
	ck_assert_int_eq(parse(&l, "Sun Nov 22 13:09:12 2026 Info: ICID 10293 RELAY SG RELAY_SG "
			       "match 192.168.0.0/24 SBRS not enabled"), TL_G_HAT);
	EQ(l.value, "RELAY");
	EQ(l.sg, "RELAY_SG");
	EQ(l.entry, "192.168.0.0/24");
	ck_assert_int_eq(parse(&l, "Sun Nov 22 13:09:12 2026 Info: MID 1404 ICID 10293 RID 3 To: "
			       "<end_user@example.com>"), TL_G_RCPT);
	EQ(l.rid, "3");
	EQ(l.addr, "<end_user@example.com>");
	ck_assert_int_eq(parse(&l, "Sun Nov 22 13:09:12 2026 Info: MID 1404 ICID 10293 queue ID 4XbC2r1Zq9z5"),
			 TL_G_QID);
	EQ(l.qid, "4XbC2r1Zq9z5");
	ck_assert_int_eq(parse(&l, "Sun Nov 22 13:09:12 2026 Info: MID 1404 ready 4821 bytes from <a@b>"),
			 TL_G_READY);
	ck_assert_uint_eq(l.num, 4821);
	ck_assert_int_eq(parse(&l, "Sun Nov 22 13:09:12 2026 Info: MID 1404 SPF: helo identity "
			       "postmaster@mx.domain.com None"), TL_G_SPF);
	EQ(l.name, "helo");
	EQ(l.addr, "postmaster@mx.domain.com");
	EQ(l.value, "None");
	ck_assert_int_eq(parse(&l, "Sun Nov 22 13:09:12 2026 Info: Message aborted MID 5 Dropped by "
			       "policy header_line_length"), TL_G_ABORTED);
	EQ(l.value, "Dropped by policy header_line_length");
	ck_assert_int_eq(parse(&l, "Sun Nov 22 13:09:12 2026 Info: MID 4 ICID 3 MIME: boundary "
			       "never closed"), TL_G_MIME);
	EQ(l.value, "boundary never closed");
	ck_assert_int_eq(parse(&l, "Sun Nov 22 13:09:12 2026 Info: ICID 3 Unknown command: XFOO"),
			 TL_G_UNKNOWN);
	EQ(l.value, "XFOO");
}
END_TEST

START_TEST(rule_lines)
{
	struct traceline l;

	ck_assert_int_eq(parse(&l, "Sun Nov 22 13:09:12 2026 Info: MID 1404 ICID 10293 ESMTP policy "
			       "DEFAULT matched header_line_length gt 998: 1203 action drop-connection"),
			 TL_G_RULE);
	EQ(l.mid, "1404");
	EQ(l.icid, "10293");
	EQ(l.policy, "DEFAULT");
	EQ(l.rule, "header_line_length");
	EQ(l.gt, "998");
	EQ(l.value, "1203");
	EQ(l.action, "drop-connection");
	/* connection-level: no MID */
	ck_assert_int_eq(parse(&l, "Sun Nov 22 13:09:12 2026 Info: ICID 7 ESMTP policy P matched "
			       "connections_per_ip gt 5: 6 action reject"), TL_G_RULE);
	ck_assert_uint_eq(l.mid.n, 0);
	EQ(l.rule, "connections_per_ip");
	/* a client-supplied value holding " action " */
	ck_assert_int_eq(parse(&l, "Sun Nov 22 13:09:12 2026 Info: MID 1 ICID 2 ESMTP policy P "
			       "matched pipe_in_address gt 0: <a|b action x> action log"), TL_G_RULE);
	EQ(l.value, "<a|b action x>");
	EQ(l.action, "log");
	/* without a value */
	ck_assert_int_eq(parse(&l, "Sun Nov 22 13:09:12 2026 Info: MID 1 ICID 2 ESMTP policy P "
			       "matched rcpt_count gt 100 action tempfail"), TL_G_RULE);
	ck_assert_uint_eq(l.value.n, 0);
	/* truncated */
	ck_assert_int_eq(parse(&l, "Sun Nov 22 13:09:12 2026 Info: MID 1 ICID 2 ESMTP policy P "
			       "matched rcpt_count gt 100"), TL_BAD);
	ck_assert_int_eq(parse(&l, "Sun Nov 22 13:09:12 2026 Info: MID 1 ICID 2 ESMTP policy P"),
			 TL_BAD);
}
END_TEST

/* a client address longer than any real one is damage: the line is
 * skipped (and counted), not cut to fit the session's address */
START_TEST(long_client_addr)
{
	char	line[300], addr[TL_ADDR_MAX + 1];
	struct traceline l;

	memset(addr, '1', sizeof(addr) - 1);
	addr[sizeof(addr) - 1] = 0;
	snprintf(line, sizeof(line), "Nov 22 13:09:12 mx postfix/smtpd[1]: connect from h[%s]",
		 addr);
	ck_assert_int_eq(parse(&l, line), TL_BAD);
	snprintf(line, sizeof(line), "Nov 22 13:09:12 mx postfix/smtpd[1]: connect from h[%s]",
		 addr + 1);
	ck_assert_int_eq(parse(&l, line), TL_P_CONNECT);
	ck_assert_uint_eq(l.addr.n, TL_ADDR_MAX - 1);
}
END_TEST

START_TEST(bad_guard_lines)
{
	static const char *bad[] = {
		"Sun Nov 22 13:09:12 2026 Info: New SMTP ICID 12 interface",
		"Sun Nov 22 13:09:12 2026 Info: New SMTP ICID x interface a address b",
		"Sun Nov 22 13:09:12 2026 Info: ICID close",
		"Sun Nov 22 13:09:12 2026 Info: ICID 5 close and more",
		"Sun Nov 22 13:09:12 2026 Info: MID 5 ICID 6 From: a@b",
		"Sun Nov 22 13:09:12 2026 Info: MID 5 ICID 6 RID x To: <a@b>",
		"Sun Nov 22 13:09:12 2026 Info: Start MID 5 ICID",
		"Sun Nov 22 13:09:12 2026 Info: Start MID 5 ICID 6 7",
		"Sun Nov 22 13:09:12 2026 Info: MID 123456789012345678901234 ICID 1 From: <a>",
	};
	struct traceline l;
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ck_assert_msg(parse(&l, bad[i]) == TL_BAD, "%s", bad[i]);
}
END_TEST

/* every prefix of every line, and random bytes: never a crash, never a
 * read past the end (the buffer is exactly the line, no NUL) */
static const char *corpus[] = {
	"Sun Nov 22 13:09:12 2026 Info: New SMTP ICID 1 interface 127.0.0.1 address 127.0.0.1 reverse dns host localhost verified yes",
	"Sun Nov 22 13:09:12 2026 Info: MID 1404 ICID 10293 ESMTP policy DEFAULT matched header_line_length gt 998: 1203 action drop-connection",
	"Nov 22 13:11:35 mx postfix/smtp[27424]: A7BFFA786BB: to=<x@down.example>, orig_to=<y@d>, relay=none, conn_use=2, delay=0.01, delays=0/0.01/0/0, dsn=4.4.1, status=deferred (connect to 127.0.0.1[127.0.0.1]:25264: Connection refused)",
	"Nov 22 13:11:35 mx postfix/smtpd[1]: disconnect from localhost[127.0.0.1] ehlo=1 xclient=1 mail=1 quit=1 commands=4",
	"Nov 22 13:11:35 mx postfix/smtpd[1]: lost connection after DATA (40 bytes) from localhost[127.0.0.1]",
	"Nov 22 13:11:35 mx postfix/bounce[1]: 8A05EA786BB: sender non-delivery notification: 8D22DA786C2",
	"Nov 22 13:11:35 mx postfix/qmgr[1]: 8A05EA786BB: from=<a@sender.example>, status=expired, returned to sender",
	"2026-11-22T13:09:12.5Z h esmtpguard[5]: MID 1 SPF: mailfrom identity a@b Pass",
};

START_TEST(prefixes_and_noise)
{
	struct traceline l;
	struct traceline_year y;
	size_t	i, n;
	char   *buf;

	traceline_year_init(&y, 0);
	for (i = 0; i < sizeof(corpus) / sizeof(*corpus); i++) {
		size_t	len = strlen(corpus[i]);

		for (n = 0; n <= len; n++) {
			buf = malloc(n ? n : 1);
			memcpy(buf, corpus[i], n);
			(void) traceline_parse(&l, buf, n, &y);
			free(buf);
		}
	}
	srand(7);
	for (i = 0; i < 20000; i++) {
		size_t	len = (size_t) (rand() % 200);
		size_t	k;

		buf = malloc(len ? len : 1);
		/* half of them start like a real line */
		k = (i & 1) ? 31 : 0;
		if (k > len)
			k = len;
		memcpy(buf, corpus[0], k);
		for (n = k; n < len; n++)
			buf[n] = (char) (rand() % 256);
		(void) traceline_parse(&l, buf, len, &y);
		free(buf);
	}
}
END_TEST

/* --- Postfix's lines -------------------------------------------------------- */

START_TEST(postfix_lines)
{
	struct traceline l;

	ck_assert_int_eq(parse(&l, "Nov 22 13:11:35 mx postfix/smtp[27413]: 7ACE4A786BB: to=<x@ok.example>, "
			       "relay=127.0.0.1[127.0.0.1]:25261, conn_use=3, delay=0.02, delays=0.01/0.01/0/0, "
			       "dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as X)"), TL_P_DELIVERY);
	EQ(l.qid, "7ACE4A786BB");
	EQ(l.addr, "<x@ok.example>");
	EQ(l.relay, "127.0.0.1[127.0.0.1]:25261");
	ck_assert_uint_eq(l.num, 3);
	EQ(l.dsn, "2.0.0");
	EQ(l.status, "sent");
	EQ(l.value, "250 2.0.0 Ok: queued as X");
	/* an address with ", " in it, orig_to */
	ck_assert_int_eq(parse(&l, "Nov 22 13:11:35 mx postfix/local[9]: ABCDEF123: to=<\"a, b\"@x>, "
			       "orig_to=<c@x>, relay=local, delay=0, delays=0/0/0/0, dsn=2.0.0, "
			       "status=sent (delivered to mailbox)"), TL_P_DELIVERY);
	EQ(l.addr, "<\"a, b\"@x>");
	EQ(l.name, "<c@x>");
	EQ(l.relay, "local");
	ck_assert_int_eq(parse(&l, "Nov 22 13:11:35 mx postfix/smtp[27424]: connect to "
			       "127.0.0.1[127.0.0.1]:25264: Connection refused"), TL_P_CONNERR);
	EQ(l.relay, "127.0.0.1[127.0.0.1]:25264");
	EQ(l.value, "Connection refused");
	ck_assert_int_eq(parse(&l, "Nov 22 13:09:12 mx postfix/smtpd[1]: disconnect from "
			       "localhost[127.0.0.1] ehlo=1 mail=1 rcpt=1 quit=1 commands=4"), TL_P_DISCONNECT);
	ck_assert(l.quit);
	ck_assert_int_eq(parse(&l, "Nov 22 13:09:12 mx postfix/smtpd[1]: disconnect from "
			       "a.example[192.0.2.10] ehlo=2 xclient=0/1 mail=1 rcpt=0/1 commands=4/5"),
			 TL_P_DISCONNECT);
	ck_assert(!l.quit);
	ck_assert_uint_eq(l.num, 1);
	EQ(l.addr, "192.0.2.10");
	ck_assert_int_eq(parse(&l, "Nov 22 13:09:12 mx postfix/smtpd[1]: lost connection after DATA "
			       "(40 bytes) from localhost[127.0.0.1]"), TL_P_LOST);
	EQ(l.after, "DATA");
	ck_assert_int_eq(parse(&l, "Nov 22 13:09:12 mx postfix/smtpd[1]: timeout after RCPT from "
			       "unknown[192.0.2.1]"), TL_P_LOST);
	EQ(l.value, "timeout");
	ck_assert_int_eq(parse(&l, "Nov 22 13:09:12 mx postfix/smtpd[1]: NOQUEUE: milter-reject: RCPT "
			       "from localhost[127.0.0.1]: 421 4.7.0 mx closing connection: rcpt_count "
			       "exceeds 1 (ICID 12 MID 4); from=<a> to=<b> proto=ESMTP helo=<c>"), TL_P_REJECT);
	ck_assert(l.milter);
	ck_assert_uint_eq(l.qid.n, 0);
	ck_assert_int_eq(parse(&l, "Nov 22 13:09:12 mx postfix/qmgr[1]: 8A05EA786BB: from=<a@s>, "
			       "size=442, nrcpt=1 (queue active)"), TL_P_QFROM);
	ck_assert_uint_eq(l.num, 442);
	ck_assert_int_eq(parse(&l, "Nov 22 13:09:12 mx postfix/qmgr[1]: 8A05EA786BB: from=<a@s>, "
			       "status=expired, returned to sender"), TL_P_EXPIRED);
	ck_assert_int_eq(parse(&l, "Nov 22 13:09:12 mx postfix/bounce[1]: 8A05EA786BB: sender "
			       "non-delivery notification: 8D22DA786C2"), TL_P_NOTIFY);
	EQ(l.name, "8D22DA786C2");
	EQ(l.value, "non-delivery");
	/* a multi-instance syslog_name and a warning that looks like a queue ID */
	ck_assert_int_eq(parse(&l, "Nov 22 13:09:12 mx postfix-out/qmgr[1]: 8A05EA786BB: removed"),
			 TL_P_REMOVED);
	ck_assert_int_eq(parse(&l, "Nov 22 13:09:12 mx postfix/qmgr[1]: warning: to=<x>"), TL_NONE);
	ck_assert_int_eq(parse(&l, "Nov 22 13:09:12 mx postfix/smtp[1]: 8A05EA786BB: to=<x>, "
			       "relay=none, delay=0"), TL_BAD);
}
END_TEST

/* --- the correlator ------------------------------------------------------------ */

struct cap {
	char	out[16384];
	size_t	len;
	char	esa[16384];
	size_t	elen;
	int	records, conns;
};

static void
cap_record(const struct trace_msg *m, void *arg)
{
	struct cap *c = arg;
	FILE   *fp;

	c->records++;
	if (sizeof(c->out) - c->len < 2048) {
		/* full: keep the first records, count the rest */
		if (m->incomplete && strstr(c->out, "(record incomplete)") == NULL)
			c->len = 0;
		else
			return;
	}
	fp = fmemopen(c->out + c->len, sizeof(c->out) - c->len - 1, "w");
	ck_assert(fp != NULL);
	traceout_msg(fp, m, false);
	c->len += (size_t) ftell(fp);
	ck_assert_int_eq(fclose(fp), 0);
}

static void
cap_conn(const struct trace_conn *cn, void *arg)
{
	struct cap *c = arg;

	(void) cn;
	c->conns++;
}

static void
cap_esa(int64_t t, const char *text, size_t len, void *arg)
{
	struct cap *c = arg;

	(void) t;
	if (c->elen + len + 2 < sizeof(c->esa)) {
		memcpy(c->esa + c->elen, text, len);
		c->elen += len;
		c->esa[c->elen++] = '\n';
		c->esa[c->elen] = 0;
	}
}

/* run - feed the lines (NULL-terminated) in order */
static void
run(struct cap *c, const char *const *lines, size_t max_open)
{
	struct trace_sink sink = {cap_record, cap_conn, cap_esa, c};
	struct trace *tr = trace_new(&sink, 60, max_open);
	struct traceline_year y;
	struct traceline l;

	memset(c, 0, sizeof(*c));
	traceline_year_init(&y, traceline_time(2026, 11, 22, 23, 0, 0));
	for (; *lines; lines++) {
		traceline_parse(&l, *lines, strlen(*lines), &y);
		trace_feed(tr, &l);
	}
	trace_finish(tr);
	ck_assert_uint_eq(trace_open_count(tr), 0);
	trace_free(tr);
}

#define G(t, s)	"Sun Nov 22 10:00:" t " 2026 Info: " s
#define P(t, d, s) "Nov 22 10:00:" t " mx postfix/" d ": " s

/* run_msg - the lines (up to two) of one queued message's life, between
 * its qmgr "queue active" and "removed" */
static void
run_msg(struct cap *c, const char *a, const char *b)
{
	const char *lines[] = {
		P("01", "qmgr[3]", "ABCDE12345: from=<s@x>, size=300, nrcpt=1 (queue active)"),
		a, b != NULL ? b : P("02", "qmgr[3]", "ABCDE12345: removed"),
		b != NULL ? P("02", "qmgr[3]", "ABCDE12345: removed") : NULL,
		NULL,
	};

	run(c, lines, 100);
}

static const char *const quit_lost[] = {
	P("01", "smtpd[10]", "connect from a[192.0.2.7]"),
	G("01", "New SMTP ICID 1 interface 10.0.0.1 address 192.0.2.7 reverse dns host a verified no"),
	G("01", "ICID 1 ACCEPT SG ALL match ALL SBRS not enabled"),
	G("02", "Start MID 1 ICID 1"),
	G("02", "MID 1 ICID 1 From: <s@x>"),
	G("02", "MID 1 ICID 1 RID 0 To: <r@y>"),
	G("03", "Message aborted MID 1 Receiving aborted"),
	G("03", "Message finished MID 1 aborted"),
	G("03", "ICID 1 close"),
	/* Postfix's side comes after (another file, merged late) */
	P("03", "smtpd[10]", "disconnect from a[192.0.2.7] ehlo=1 mail=1 rcpt=1 quit=1 commands=4"),
	P("04", "smtpd[10]", "connect from a[192.0.2.7]"),
	G("04", "New SMTP ICID 2 interface 10.0.0.1 address 192.0.2.7 reverse dns host a verified no"),
	G("04", "Start MID 2 ICID 2"),
	G("04", "MID 2 ICID 2 From: <s@x>"),
	P("05", "smtpd[10]", "lost connection after RCPT from a[192.0.2.7]"),
	P("05", "smtpd[10]", "disconnect from a[192.0.2.7] ehlo=1 mail=1 rcpt=1 commands=3"),
	G("05", "Message aborted MID 2 Receiving aborted"),
	G("05", "Message finished MID 2 aborted"),
	G("05", "ICID 2 close"),
	NULL,
};

START_TEST(settle_quit_lost)
{
	struct cap c;

	run(&c, quit_lost, 1000);
	ck_assert_int_eq(c.records, 2);
	ck_assert_msg(strstr(c.out, "MID 1 ICID 1") != NULL, "%s", c.out);
	ck_assert_msg(strstr(c.out, "received:     aborted: Receiving aborted by sender "
			     "(esmtpguard logged: Receiving aborted)") != NULL, "%s", c.out);
	ck_assert_msg(strstr(c.out, "connection:   quit (smtpd[10]") != NULL, "%s", c.out);
	ck_assert_msg(strstr(c.out, "connection:   lost after RCPT (smtpd[10]") != NULL, "%s", c.out);
	ck_assert_msg(strstr(c.out, "received:     aborted: Receiving aborted\n") != NULL, "%s", c.out);
}
END_TEST

static const char *const deliveries[] = {
	G("01", "New SMTP ICID 5 interface 10.0.0.1 address 192.0.2.7 reverse dns host a verified no"),
	G("01", "Start MID 9 ICID 5"),
	G("01", "MID 9 ICID 5 From: <s@x>"),
	G("01", "MID 9 ICID 5 RID 0 To: <r1@y>"),
	G("01", "MID 9 ICID 5 RID 1 To: <r2@y>"),
	G("01", "MID 9 ICID 5 RID 2 To: <r3@z>"),
	G("01", "MID 9 ICID 5 RID 3 To: <me@local>"),
	P("01", "smtpd[10]", "ABCDE12345: client=a[192.0.2.7]"),
	G("01", "MID 9 ICID 5 queue ID ABCDE12345"),
	G("01", "Message finished MID 9 done"),
	G("01", "ICID 5 close"),
	P("01", "smtpd[10]", "disconnect from a[192.0.2.7] ehlo=1 mail=1 rcpt=4 data=1 quit=1 commands=8"),
	P("02", "qmgr[3]", "ABCDE12345: from=<s@x>, size=300, nrcpt=4 (queue active)"),
	/* one transaction, two recipients: one DCID */
	P("02", "smtp[20]", "ABCDE12345: to=<r1@y>, relay=mx.y[192.0.2.20]:25, delay=1, delays=0/0/0/0, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as Q1)"),
	P("02", "smtp[20]", "ABCDE12345: to=<r2@y>, relay=mx.y[192.0.2.20]:25, delay=1, delays=0/0/0/0, dsn=5.1.1, status=bounced (host mx.y[192.0.2.20] said: 550 5.1.1 <r2@y>: unknown (in reply to RCPT TO command))"),
	/* a refused connection, logged twice: one DCID of its own */
	P("02", "smtp[21]", "connect to mx.z[192.0.2.30]:25: Connection refused"),
	P("02", "smtp[21]", "ABCDE12345: to=<r3@z>, relay=none, delay=1, delays=0/0/0/0, dsn=4.4.1, status=deferred (connect to mx.z[192.0.2.30]:25: Connection refused)"),
	/* local delivery: no connection, DCID 0 */
	P("02", "local[22]", "ABCDE12345: to=<me@local>, relay=local, delay=1, delays=0/0/0/0, dsn=2.0.0, status=sent (delivered to mailbox)"),
	/* later: a reused connection (another process, conn_use=2) */
	P("03", "smtp[23]", "ABCDE12345: to=<r3@z>, relay=mx.z[192.0.2.31]:25, delay=2, delays=0/0/0/0, dsn=2.0.0, status=sent (250 ok)"),
	P("03", "qmgr[3]", "ABCDE12345: removed"),
	P("04", "qmgr[3]", "FFFFF00001: from=<s@x>, size=300, nrcpt=1 (queue active)"),
	P("04", "smtp[24]", "FFFFF00001: to=<r9@z>, relay=mx.z[192.0.2.31]:25, conn_use=2, delay=2, delays=0/0/0/0, dsn=2.0.0, status=sent (250 ok)"),
	P("04", "qmgr[3]", "FFFFF00001: removed"),
	NULL,
};

START_TEST(dcids)
{
	struct cap c;

	run(&c, deliveries, 1000);
	ck_assert_int_eq(c.records, 2);
	ck_assert_msg(strstr(c.out, "DCID 1 RID 0 <r1@y> sent") != NULL, "%s", c.out);
	ck_assert_msg(strstr(c.out, "DCID 1 RID 1 <r2@y> bounced dsn 5.1.1") != NULL, "%s", c.out);
	ck_assert_msg(strstr(c.out, "DCID 2 RID 2 <r3@z> deferred") != NULL, "%s", c.out);
	ck_assert_msg(strstr(c.out, "DCID 0 RID 3 <me@local> sent") != NULL, "%s", c.out);
	ck_assert_msg(strstr(c.out, "DCID 3 RID 2 <r3@z> sent") != NULL, "%s", c.out);
	ck_assert_msg(strstr(c.out, "DCID 3 RID 0 <r9@z> sent") != NULL, "conn_use=2 reuses DCID 3: %s", c.out);
	ck_assert_msg(strstr(c.out, "status:       partly delivered, bounced") != NULL, "%s", c.out);
	/* the ESA stream */
	ck_assert_msg(strstr(c.esa, "New SMTP DCID 1 interface unknown address 192.0.2.20 port 25\n"
			     "Delivery start DCID 1 MID 9 to RID [0, 1]\n"
			     "Message done DCID 1 MID 9 to RID [0]\n"
			     "MID 9 RID [0] Response '2.0.0 Ok: queued as Q1'\n"
			     "Bounced: DCID 1 MID 9 From: <s@x> To: <r2@y> RID 1 - 5.1.1 - Unknown address error "
			     "('550', ['5.1.1 <r2@y>: unknown']) []\n") != NULL, "%s", c.esa);
	ck_assert_msg(strstr(c.esa, "Connection Error: DCID: 2 domain: mx.z IP: 192.0.2.30 port: 25 "
			     "details: Connection refused interface: unknown reason: network error\n") != NULL,
		      "%s", c.esa);
	ck_assert_msg(strstr(c.esa, "Delayed: DCID 2 MID 9 From: <s@x> To: <r3@z> RID 2 - 4.4.1 - "
			     "Other network problem ('000', ['connect to mx.z[192.0.2.30]:25: Connection refused'])\n")
		      != NULL, "%s", c.esa);
	ck_assert_msg(strstr(c.esa, "Delivery start DCID 0 MID 9 to RID [3]\n") != NULL, "%s", c.esa);
	ck_assert_msg(strstr(c.esa, "Delivery start DCID 2 ") == NULL,
		      "no delivery on a refused connection: %s", c.esa);
	ck_assert_msg(strstr(c.esa, "DCID 3 close\n") != NULL, "%s", c.esa);
	ck_assert_msg(strstr(c.esa, "DCID 2 close") == NULL, "a failed connection is never closed: %s", c.esa);
	ck_assert_msg(strstr(c.esa, "New SMTP DCID 4") == NULL, "%s", c.esa);
}
END_TEST

/* a connection error's reason reaches the ESA line whole, however long
 * (it was cut at 1 KB, silently), in both of Postfix's forms: the
 * "connect to" line and a deferral with relay=none */
START_TEST(long_connect_error)
{
	static char why[1500], l1[1700], l2[1800];
	static struct cap c;
	char	want[1700];

	memset(why, 'w', sizeof(why) - 1);
	why[sizeof(why) - 1] = 0;
	snprintf(l1, sizeof(l1), P("01", "smtp[21]", "connect to mx.z[192.0.2.30]:25: %s"), why);
	snprintf(l2, sizeof(l2), P("02", "smtp[22]", "ABCDE12345: to=<r@z>, relay=none, "
				   "delay=1, delays=0/0/0/0, dsn=4.4.1, status=deferred "
				   "(connect to mx.y[192.0.2.31]:25: %s)"), why);
	run_msg(&c, l1, l2);
	ck_assert_int_eq(c.records, 1);
	snprintf(want, sizeof(want), "Connection Error: DCID: 1 domain: mx.z IP: 192.0.2.30 port: 25 "
		 "details: %s interface: unknown", why);
	ck_assert_msg(strstr(c.esa, want) != NULL, "%s", c.esa);
	snprintf(want, sizeof(want), "Connection Error: DCID: 2 domain: mx.y IP: 192.0.2.31 port: 25 "
		 "details: %s interface: unknown", why);
	ck_assert_msg(strstr(c.esa, want) != NULL, "%s", c.esa);
}
END_TEST

/* a relay's host name and address go into the ESA lines whole: past
 * 255 and 127 bytes they used to be cut to fit */
START_TEST(long_relay_parts)
{
	static char host[400], ip[200], l1[1000], l2[1000];
	static struct cap c;
	char	want[1000];

	memset(host, 'h', sizeof(host) - 1);
	memset(ip, '1', sizeof(ip) - 1);
	snprintf(l1, sizeof(l1), P("01", "smtp[21]", "connect to %s[192.0.2.30]:25: "
				   "Connection refused"), host);
	snprintf(l2, sizeof(l2), P("02", "smtp[22]", "ABCDE12345: to=<r@z>, relay=mx.z[%s]:25, "
				   "delay=1, delays=0/0/0/0, dsn=2.0.0, status=sent (250 ok)"), ip);
	run_msg(&c, l1, l2);
	snprintf(want, sizeof(want), "Connection Error: DCID: 1 domain: %s IP: 192.0.2.30 ", host);
	ck_assert_msg(strstr(c.esa, want) != NULL, "%s", c.esa);
	snprintf(want, sizeof(want), "New SMTP DCID 2 interface unknown address %s port 25", ip);
	ck_assert_msg(strstr(c.esa, want) != NULL, "%s", c.esa);
}
END_TEST

/* a status word past the 31 bytes of any Postfix status is kept whole,
 * as the log has it, not cut to a different word */
START_TEST(long_status)
{
	static char st[100], l1[400];
	static struct cap c;

	memset(st, 's', sizeof(st) - 1);
	st[sizeof(st) - 1] = 0;
	snprintf(l1, sizeof(l1), P("02", "smtp[22]", "ABCDE12345: to=<r@z>, relay=mx.z[192.0.2.30]:25, "
				   "delay=1, delays=0/0/0/0, dsn=2.0.0, status=%s (250 ok)"), st);
	run_msg(&c, l1, NULL);
	ck_assert_int_eq(c.records, 1);
	ck_assert_msg(strstr(c.out, st) != NULL, "%s", c.out);
}
END_TEST

/* the memory bound: more open messages than allowed go out incomplete */
START_TEST(bounded)
{
	static char lines[300][128];
	const char *v[301];
	struct cap c;
	int	i;

	for (i = 0; i < 300; i++) {
		snprintf(lines[i], sizeof(lines[i]), G("01", "Start MID %d ICID %d"), i + 1, i + 1);
		v[i] = lines[i];
	}
	v[300] = NULL;
	run(&c, v, 50);
	ck_assert_int_eq(c.records, 300);
	ck_assert_msg(strstr(c.out, "(record incomplete)") != NULL, "%s", c.out);
}
END_TEST

/* open records follow what is open, not the log's length: a Postfix
 * bounce notice whose own queue ID is never seen again, and an
 * accepted message with no Postfix line, both go after the window */
START_TEST(memory_flat)
{
	struct cap c;
	struct trace_sink sink = {cap_record, cap_conn, NULL, &c};
	struct trace *tr = trace_new(&sink, 60, 1000000);
	struct traceline_year y;
	struct traceline l;
	size_t	peak = 0;
	int	i, j;

	memset(&c, 0, sizeof(c));
	traceline_year_init(&y, traceline_time(2026, 11, 22, 23, 0, 0));
	for (i = 0; i < 5000; i++) {
		int	t = 3600 + i / 5;	/* five sessions a second */
		int	n[5];
		char	v[5][160];

#define TS	"Nov 22 %02d:%02d:%02d mx "
#define HMS	t / 3600, t / 60 % 60, t % 60
		n[0] = snprintf(v[0], sizeof(v[0]), TS "esmtpguard[1]: Start MID %d ICID %d",
				HMS, i + 1, i + 1);
		n[1] = snprintf(v[1], sizeof(v[1]), TS "esmtpguard[1]: Message finished MID %d done",
				HMS, i + 1);
		n[2] = snprintf(v[2], sizeof(v[2]), TS "esmtpguard[1]: ICID %d close", HMS, i + 1);
		n[3] = snprintf(v[3], sizeof(v[3]), TS "postfix/bounce[2]: Q%05dAB: sender "
				"non-delivery notification: N%05dAB", HMS, i + 1, i + 1);
		n[4] = snprintf(v[4], sizeof(v[4]), TS "postfix/qmgr[3]: Q%05dAB: removed",
				HMS, i + 1);
#undef TS
#undef HMS
		for (j = 0; j < 5; j++) {
			traceline_parse(&l, v[j], (size_t) n[j], &y);
			trace_feed(tr, &l);
		}
		if (trace_open_count(tr) > peak)
			peak = trace_open_count(tr);
	}
	/* about a window's worth (60 s = 300 sessions) of each kind */
	ck_assert_msg(peak < 1500, "peak %zu open records", peak);
	trace_finish(tr);
	ck_assert_uint_eq(trace_open_count(tr), 0);
	trace_free(tr);
}
END_TEST

/* lines of one session out of order and with junk in between */
static const char *const shuffled[] = {
	G("09", "Message finished MID 3 done"),
	G("09", "MID 3 ICID 8 From: <late@x>"),
	"garbage",
	G("09", "Start MID 3 ICID 8"),
	G("09", "ICID 8 close"),
	G("09", "New SMTP ICID 8 interface 10.0.0.1 address 192.0.2.9 reverse dns host b verified no"),
	P("09", "smtpd[11]", "disconnect from b[192.0.2.9] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5"),
	G("09", "ICID 8 close"),
	NULL,
};

START_TEST(out_of_order)
{
	struct cap c;

	run(&c, shuffled, 1000);
	ck_assert_int_eq(c.records, 1);
	ck_assert_msg(strstr(c.out, "from:         <late@x>") != NULL, "%s", c.out);
	ck_assert_msg(strstr(c.out, "client:       192.0.2.9") != NULL, "%s", c.out);
}
END_TEST

/* found by fuzz_trace: a second queue ID for one MID stayed in the
 * queue-ID map after the record was freed; Postfix's next line for it
 * read the freed record (a double free in esmtpguard-trace) */
static const char *const two_qids[] = {
	G("01", "Start MID 1 ICID 1"),
	G("01", "MID 1 ICID 1 queue ID 4XbC2r1Zq9z5"),
	G("01", "MID 1 ICID 1 queue ID 8A05EA786BB"),
	G("02", "Start MID 2 ICID 2"),
	G("03", "Start MID 3 ICID 3"),
	P("05", "qmgr[1]", "8A05EA786BB: removed"),
	P("05", "qmgr[1]", "4XbC2r1Zq9z5: removed"),
	NULL,
};

START_TEST(second_qid)
{
	struct cap c;

	run(&c, two_qids, 1);
	ck_assert_msg(strstr(c.out, "queue ID:     4XbC2r1Zq9z5") != NULL, "%s", c.out);
	ck_assert_msg(strstr(c.out, "8A05EA786BB") == NULL, "%s", c.out);
}
END_TEST

/* found by fuzz_trace: a delivery process kept a pointer to its
 * connection after the connection idled out, which a log whose time
 * goes back lets happen between two recipients of one transaction */
static const char *const time_back[] = {
	P("01", "smtp[5]", "ABCDE12345: to=<a@x>, relay=mx.x[192.0.2.1]:25, delay=1, delays=0/0/0/0, dsn=2.0.0, status=sent (250 ok)"),
	P("30", "qmgr[3]", "FFFFF00001: removed"),
	P("01", "smtp[5]", "ABCDE12345: to=<b@x>, relay=mx.x[192.0.2.1]:25, delay=1, delays=0/0/0/0, dsn=2.0.0, status=sent (250 ok)"),
	P("31", "qmgr[3]", "ABCDE12345: removed"),
	NULL,
};

START_TEST(dconn_after_idle)
{
	struct cap c;

	run(&c, time_back, 1000);
	ck_assert_msg(strstr(c.out, "DCID 1 RID 0 <a@x> sent") != NULL, "%s", c.out);
	ck_assert_msg(strstr(c.out, "DCID 2 RID 1 <b@x> sent") != NULL, "%s", c.out);
}
END_TEST

/* found by fuzz_trace: a NUL in the host name of a damaged log (a file
 * padded with NULs after a crash) cut the session's key short where it
 * was removed from its table: the freed session stayed in it */
START_TEST(nul_in_host)
{
	static const char line[] = "Nov 22 10:00:01 m\0x postfix/smtpd[7]: disconnect from a[192.0.2.7]";
	struct trace_sink sink = {0};
	struct trace *tr = trace_new(&sink, 60, 1000);
	struct traceline_year y;
	struct traceline l;

	traceline_year_init(&y, traceline_time(2026, 11, 22, 23, 0, 0));
	ck_assert_int_eq(traceline_parse(&l, line, sizeof(line) - 1, &y), TL_P_DISCONNECT);
	ck_assert_uint_eq(l.host.n, 3);
	trace_feed(tr, &l);
	trace_finish(tr);
	ck_assert_uint_eq(trace_open_count(tr), 0);
	trace_free(tr);
}
END_TEST

/* two Postfix hosts whose names differ only past the 200 bytes of a
 * process key (a damaged log), with the same smtpd pid at once: two
 * sessions, each ending its own connection */
#define H50	"hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"
#define H250	H50 H50 H50 H50 H50
#define HP(h, t, s)	"Nov 22 10:00:" t " " H250 h " postfix/smtpd[10]: " s
static const char *const long_hosts[] = {
	HP("a", "01", "connect from a[192.0.2.7]"),
	G("01", "New SMTP ICID 1 interface 10.0.0.1 address 192.0.2.7 reverse dns host a verified no"),
	G("01", "Start MID 1 ICID 1"),
	G("01", "MID 1 ICID 1 From: <s@x>"),
	HP("b", "02", "connect from b[192.0.2.8]"),
	G("02", "New SMTP ICID 2 interface 10.0.0.1 address 192.0.2.8 reverse dns host b verified no"),
	G("02", "Start MID 2 ICID 2"),
	G("02", "MID 2 ICID 2 From: <s@x>"),
	HP("b", "03", "lost connection after RCPT from b[192.0.2.8]"),
	HP("a", "03", "disconnect from a[192.0.2.7] ehlo=1 mail=1 quit=1 commands=3"),
	HP("b", "03", "disconnect from b[192.0.2.8] ehlo=1 mail=1 rcpt=1 commands=3"),
	G("04", "Message aborted MID 1 Receiving aborted"),
	G("04", "Message finished MID 1 aborted"),
	G("04", "ICID 1 close"),
	G("04", "Message aborted MID 2 Receiving aborted"),
	G("04", "Message finished MID 2 aborted"),
	G("04", "ICID 2 close"),
	NULL,
};

START_TEST(long_hosts_two_keys)
{
	struct cap c;
	const char *m1, *m2;

	run(&c, long_hosts, 1000);
	ck_assert_int_eq(c.records, 2);
	m1 = strstr(c.out, "MID 1 ICID 1");
	m2 = strstr(c.out, "MID 2 ICID 2");
	ck_assert_msg(m1 != NULL && m2 != NULL, "%s", c.out);
	/* each record's connection line, whichever comes first */
	ck_assert_msg(strstr(m1, "connection:   quit (smtpd[10]") != NULL
		      && (m2 < m1 || strstr(m1, "connection:   quit (smtpd[10]") < m2),
		      "%s", c.out);
	ck_assert_msg(strstr(m2, "connection:   lost after RCPT (smtpd[10]") != NULL
		      && (m1 < m2 || strstr(m2, "connection:   lost after RCPT") < m1),
		      "%s", c.out);
}
END_TEST

/* found by fuzz_trace: records were filed under the MID or ICID as the
 * log wrote it ("007", "0") but removed under the number's decimal, so a
 * freed record stayed in its table */
static const char *const odd_ids[] = {
	G("01", "Start MID 007 ICID 0"),
	G("01", "Start MID 0 ICID 01"),
	G("02", "Start MID 2 ICID 2"),
	G("03", "Start MID 3 ICID 3"),
	G("04", "MID 007 ICID 0 From: <a@b>"),
	G("04", "MID 0 ICID 01 From: <c@d>"),
	G("05", "ICID 0 close"),
	G("05", "ICID 01 close"),
	NULL,
};

START_TEST(odd_ids_evicted)
{
	struct cap c;

	run(&c, odd_ids, 1);
	ck_assert_int_ge(c.records, 4);
}
END_TEST

/* --- --rejects ------------------------------------------------------------ */


/* report - --rejects (top 10) or --hosts of st as text or JSON, in a string */
static char *
report(const struct tracestat *st, bool hosts, bool json)
{
	char   *out = NULL;
	size_t	len = 0;
	FILE   *fp = open_memstream(&out, &len);

	ck_assert_ptr_nonnull(fp);
	if (hosts)
		tracestat_hosts(fp, st, json, 0);
	else
		tracestat_rejects(fp, st, json, 10);
	ck_assert_int_eq(fclose(fp), 0);
	return out;
}

#define rejects(st, json)	report(st, false, json)
#define hosts(st, json)		report(st, true, json)

/* found by fuzz_trace (CI, UBSan: a null pointer plus 0 in the JSON
 * writer): a host whose only delivery expired unattempted has no relay;
 * --hosts --json says null. And no key is cut: policy names that differ
 * past 512 bytes are two policies, a 300-byte domain is one host */
START_TEST(hosts_expired_only_and_long_keys)
{
	struct tracestat *st = tracestat_new(INT64_MIN, INT64_MAX, 100);
	char	rcpt[320], p1[700], p2[700], *out;
	struct trace_dlv d = {.t = 5, .rid = 0, .rcpt = "<b@far.example>",
			      .status = "expired", .text = "message expired"};
	struct trace_dlv sent = {.t = 5, .rid = 0, .rcpt = rcpt, .status = "sent",
				 .relay = "mx.far.example[192.0.2.9]:25",
				 .text = "250 2.0.0 Ok"};
	struct trace_msg m = {.mid = 1, .dlvs = &d, .ndlvs = 1};
	struct trace_hit h[2] = {
		{.t = 1, .policy = p1, .rule = "rcpt_count", .gt = "100", .value = "101",
		 .action = "log"},
		{.t = 1, .policy = p2, .rule = "rcpt_count", .gt = "100", .value = "101",
		 .action = "log"},
	};
	struct trace_conn c = {.icid = 1, .addr = "192.0.2.7", .hits = h, .nhits = 2};

	tracestat_msg(st, &m);
	out = hosts(st, true);
	ck_assert_msg(strstr(out, "\"host\":\"far.example\"") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "\"last_relay\":null") != NULL, "%s", out);
	free(out);

	memset(rcpt, 'd', sizeof(rcpt));
	memcpy(rcpt, "<b@", 3);
	memcpy(rcpt + sizeof(rcpt) - 2, ">", 2);
	m.dlvs = &sent;
	tracestat_msg(st, &m);
	out = hosts(st, true);
	ck_assert_msg(strstr(out, "\"last_relay\":\"mx.far.example[192.0.2.9]:25\"") != NULL,
		      "%s", out);
	ck_assert_msg(strstr(out, rcpt + 3) == NULL, "the domain kept its '>': %s", out);
	rcpt[sizeof(rcpt) - 2] = 0;
	ck_assert_msg(strstr(out, rcpt + 3) != NULL, "a long domain was cut: %s", out);
	free(out);

	memset(p1, 'P', sizeof(p1) - 1);
	p1[sizeof(p1) - 1] = 0;
	memcpy(p2, p1, sizeof(p2));
	p2[600] = 'Q';
	tracestat_conn(st, &c);
	out = rejects(st, true);
	ck_assert_msg(strstr(out, "PQP") != NULL, "the two policies were counted as one: %s", out);
	ck_assert_msg(strstr(out, "\"rule\":\"rcpt_count\",\"action\":\"log\"") != NULL,
		      "%s", out);
	free(out);
	tracestat_free(st);
}
END_TEST

/* found by fuzz_trace: a log with no rule hit or no delivery at all
 * (memcpy from the NULL array of an empty table, a UBSan report: this
 * test fails in the sanitized build of run-all.sh), and a policy name
 * longer than the 512-byte key it was cut to then, which lost its
 * tabs and crashed --rejects */
START_TEST(rejects_empty_and_long_policy)
{
	struct tracestat *st = tracestat_new(INT64_MIN, INT64_MAX, 100);
	char	policy[700];
	struct trace_hit h = {.t = 1, .policy = policy, .rule = "unknown_commands",
			      .gt = "0", .value = "1", .action = "log"};
	struct trace_conn c = {.icid = 1, .addr = "192.0.2.7", .hits = &h, .nhits = 1};
	char   *out;

	out = rejects(st, false);
	free(out);
	out = rejects(st, true);
	ck_assert_msg(strstr(out, "\"rules\":[]") != NULL, "%s", out);
	free(out);
	out = hosts(st, true);
	ck_assert_msg(strstr(out, "\"hosts\":[]") != NULL, "%s", out);
	free(out);

	memset(policy, 'P', sizeof(policy) - 1);
	policy[sizeof(policy) - 1] = 0;
	tracestat_conn(st, &c);
	out = rejects(st, false);
	ck_assert_msg(strstr(out, "PPPP") != NULL && strstr(out, "192.0.2.7") != NULL, "%s", out);
	free(out);
	out = rejects(st, true);
	ck_assert_msg(strstr(out, "{\"count\":1,\"policy\":\"PPPP") != NULL, "%s", out);
	free(out);
	tracestat_free(st);
}
END_TEST

static Suite *
suite(void)
{
	Suite  *s = suite_create("trace");
	TCase  *tc = tcase_create("parser");

	tcase_add_test(tc, stamps);
	tcase_add_test(tc, year_turns);
	tcase_add_test(tc, guard_lines);
	tcase_add_test(tc, rule_lines);
	tcase_add_test(tc, bad_guard_lines);
	tcase_add_test(tc, long_client_addr);
	tcase_add_test(tc, prefixes_and_noise);
	tcase_add_test(tc, postfix_lines);
	suite_add_tcase(s, tc);
	tc = tcase_create("correlator");
	tcase_add_test(tc, settle_quit_lost);
	tcase_add_test(tc, dcids);
	tcase_add_test(tc, long_connect_error);
	tcase_add_test(tc, long_status);
	tcase_add_test(tc, long_relay_parts);
	tcase_add_test(tc, bounded);
	tcase_add_test(tc, memory_flat);
	tcase_add_test(tc, out_of_order);
	tcase_add_test(tc, second_qid);
	tcase_add_test(tc, dconn_after_idle);
	tcase_add_test(tc, nul_in_host);
	tcase_add_test(tc, long_hosts_two_keys);
	tcase_add_test(tc, odd_ids_evicted);
	suite_add_tcase(s, tc);
	tc = tcase_create("tables");
	tcase_add_test(tc, rejects_empty_and_long_policy);
	tcase_add_test(tc, hosts_expired_only_and_long_keys);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
