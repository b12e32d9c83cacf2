/*++
 * NAME
 *	traceout 3
 * SUMMARY
 *	esmtpguard-trace: query matching and record output
 * DESCRIPTION
 *	See traceout.h.
 *--*/
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "traceline.h"
#include "traceout.h"

void
traceout_query_init(struct traceout_query *q)
{
	memset(q, 0, sizeof(*q));
	q->since = INT64_MIN;
	q->until = INT64_MAX;
}

bool
traceout_narrow(const struct traceout_query *q)
{
	return q->ip || q->from || q->rcpt || q->qid || q->has_icid || q->has_mid;
}

/* addr_match - "<a@b>" against a@b or <a@b>, without regard to case */
static bool
addr_match(const char *logged, const char *want)
{
	size_t	n, w;

	if (logged == NULL)
		return false;
	if (*logged == '<')
		logged++;
	n = strlen(logged);
	if (n > 0 && logged[n - 1] == '>')
		n--;
	if (*want == '<')
		want++;
	w = strlen(want);
	if (w > 0 && want[w - 1] == '>')
		w--;
	return n == w && strncasecmp(logged, want, n) == 0;
}

static bool
ip_match(const char *addr, const char *want)
{
	if (addr == NULL)
		return false;
	if (strncasecmp(addr, "IPv6:", 5) == 0)
		addr += 5;
	return strcasecmp(addr, want) == 0;
}

bool
traceout_match(const struct traceout_query *q, const struct trace_msg *m)
{
	size_t	i;
	bool	hit;

	if (m->t_start < q->since || m->t_start > q->until)
		return false;
	if (q->has_mid && m->mid != q->mid)
		return false;
	if (q->has_icid && (m->mid == 0 || m->icid != q->icid))
		return false;
	if (q->ip && (m->conn == NULL || !ip_match(m->conn->addr, q->ip)))
		return false;
	if (q->qid && !((m->qid && strcmp(m->qid, q->qid) == 0)
			|| (m->orig_qid && strcmp(m->orig_qid, q->qid) == 0)))
		return false;
	if (q->from && !addr_match(m->from, q->from) && !addr_match(m->pf_from, q->from))
		return false;
	if (q->rcpt) {
		hit = false;
		for (i = 0; i < m->nrcpts && !hit; i++)
			hit = addr_match(m->rcpts[i].addr, q->rcpt);
		for (i = 0; i < m->ndlvs && !hit; i++)
			hit = addr_match(m->dlvs[i].rcpt, q->rcpt);
		if (!hit)
			return false;
	}
	return true;
}

bool
traceout_match_conn(const struct traceout_query *q, const struct trace_conn *c)
{
	if (c->t_open < q->since || c->t_open > q->until)
		return false;
	if (q->from || q->rcpt || q->qid || q->has_mid)
		return false;
	if (q->has_icid && c->icid != q->icid)
		return false;
	if (q->ip && !ip_match(c->addr, q->ip))
		return false;
	return true;
}

void
traceout_time(char *buf, size_t size, int64_t t, bool iso)
{
	static const char *mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	static const char *wday[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
	int64_t	days = (t >= 0 ? t : t - 86399) / 86400, sec = t - days * 86400;
	int	y, m, d;
	int	wd = (int) (((days % 7) + 7) % 7);

	traceline_civil(t, &y, &m, &d);
	if (iso)
		snprintf(buf, size, "%04d-%02d-%02d %02d:%02d:%02d", y, m, d,
			 (int) (sec / 3600), (int) (sec / 60 % 60), (int) (sec % 60));
	else
		snprintf(buf, size, "%s %s %2d %02d:%02d:%02d %04d", wday[wd],
			 mon[m - 1], d, (int) (sec / 3600), (int) (sec / 60 % 60),
			 (int) (sec % 60), y);
}

int64_t
traceout_parse_time(const char *s, int64_t *out)
{
	int	y, mo, d, h = 0, mi = 0, se = 0, n = 0;
	char	sep;

	/* NOLINTNEXTLINE(cert-err34-c): %4d, %2d cannot overflow an int */
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
		return -1;
	s += n;
	if (*s == ' ' || *s == 'T') {
		sep = *s++;
		(void) sep;
		n = 0;
		/* NOLINTNEXTLINE(cert-err34-c): %2d cannot overflow */
		if (sscanf(s, "%2d:%2d%n", &h, &mi, &n) != 2)
			return -1;
		s += n;
		if (*s == ':') {
			n = 0;
			/* NOLINTNEXTLINE(cert-err34-c): %2d cannot overflow */
			if (sscanf(s + 1, "%2d%n", &se, &n) != 1)
				return -1;
			s += 1 + n;
		}
	}
	if (*s != 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59
	    || se > 60 || h < 0 || mi < 0 || se < 0)
		return -1;
	*out = traceline_time(y, mo, d, h, mi, se);
	return 0;
}

void
traceout_json_str(FILE *fp, const char *s)
{
	traceout_json_strn(fp, s, s ? strlen(s) : 0);
}

void
traceout_json_strn(FILE *fp, const char *s, size_t n)
{
	size_t	i;

	putc('"', fp);
	/* s may be NULL with n 0 (a field the log never gave): no s + n then,
	 * which is undefined for a null pointer even when n is 0 */
	for (i = 0; s != NULL && i < n; i++) {
		unsigned char c = (unsigned char) s[i];

		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\u%04x", c);
		else
			putc(c, fp);
	}
	putc('"', fp);
}

/* final - the last delivery line of each recipient decides */
const char *
traceout_status(const struct trace_msg *m)
{
	size_t	i, j;
	int	sent = 0, bounced = 0, deferred = 0;

	if (m->mid != 0 && m->state == TRACE_MSG_ABORTED)
		return "aborted";
	if (m->mid != 0 && m->state == TRACE_MSG_OPEN)
		return "receiving";
	for (i = 0; i < m->ndlvs; i++) {
		bool	later = false;

		for (j = i + 1; j < m->ndlvs; j++)
			if (m->dlvs[j].rid == m->dlvs[i].rid)
				later = true;
		if (later)
			continue;
		if (strcmp(m->dlvs[i].status, "sent") == 0)
			sent++;
		else if (strcmp(m->dlvs[i].status, "deferred") == 0)
			deferred++;
		else
			bounced++;
	}
	if (deferred > 0 && !m->removed)
		return sent || bounced ? "partly delivered, deferred" : "deferred";
	if (sent > 0 && bounced > 0)
		return "partly delivered, bounced";
	if (sent > 0)
		return "delivered";
	if (bounced > 0)
		return "bounced";
	if (m->reject != NULL)
		return "rejected";
	if (m->queued && !m->removed)
		return "queued";
	return m->queued ? "removed" : "no delivery logged";
}

static const char *
end_name(enum trace_end e)
{
	switch (e) {
	case TRACE_END_QUIT:
		return "quit";
	case TRACE_END_LOST:
		return "lost";
	case TRACE_END_TIMEOUT:
		return "timeout";
	case TRACE_END_MTA:
		return "closed by the MTA";
	case TRACE_END_XCLIENT:
		return "replaced by XCLIENT";
	default:
		return "unknown";
	}
}

/* --- text ----------------------------------------------------------------- */

static void
text_hit(FILE *fp, const struct trace_hit *h)
{
	fprintf(fp, "  rule:         policy %s matched %s", h->policy, h->rule);
	if (h->gt)
		fprintf(fp, " gt %s", h->gt);
	if (h->value)
		fprintf(fp, ": %s", h->value);
	fprintf(fp, " action %s\n", h->action);
}

static void
text_conn(FILE *fp, const struct trace_conn *c)
{
	size_t	i;

	fprintf(fp, "  client:       %s reverse dns host %s verified %s\n",
		c->addr ? c->addr : "unknown", c->name ? c->name : "unknown",
		c->verified ? "yes" : "no");
	if (c->iface)
		fprintf(fp, "  interface:    %s\n", c->iface);
	if (c->verdict)
		fprintf(fp, "  sender group: %s SG %s match %s\n", c->verdict,
			c->sg ? c->sg : "None", c->entry ? c->entry : "");
	for (i = 0; i < c->nhits; i++)
		text_hit(fp, &c->hits[i]);
	for (i = 0; i < c->nunknown && i < 4; i++)
		fprintf(fp, "  unknown cmd:  %s\n", c->unknown[i]);
	if (c->nunknown > 4)
		fprintf(fp, "  unknown cmd:  ... %zu in all\n", c->nunknown);
	for (i = 0; i < c->nreplies && i < 4; i++)
		fprintf(fp, "  MTA reply:    %s\n", c->replies[i]);
	fprintf(fp, "  connection:   %s", end_name(c->end));
	if (c->end_after)
		fprintf(fp, " after %s", c->end_after);
	if (c->smtpd_pid >= 0)
		fprintf(fp, " (smtpd[%ld]%s%s)", c->smtpd_pid, c->end_stats ? ": " : "",
			c->end_stats ? c->end_stats : "");
	if (c->lost)
		fprintf(fp, "; esmtpguard logged lost");
	if (!c->closed)
		fprintf(fp, "; not closed in the log");
	putc('\n', fp);
}

static void
text_msg(FILE *fp, const struct trace_msg *m)
{
	char	t[32];
	size_t	i;

	traceout_time(t, sizeof(t), m->t_start, true);
	if (m->mid)
		fprintf(fp, "MID %" PRIu64 " ICID %" PRIu64 " %s\n", m->mid, m->icid, t);
	else
		fprintf(fp, "queue ID %s %s (not seen by esmtpguard)\n",
			m->qid ? m->qid : "?", t);
	if (m->conn)
		text_conn(fp, m->conn);
	if (m->from || m->pf_from)
		fprintf(fp, "  from:         %s\n", m->from ? m->from : m->pf_from);
	for (i = 0; i < m->nrcpts; i++)
		fprintf(fp, "  rcpt:         RID %ld %s\n", m->rcpts[i].rid, m->rcpts[i].addr);
	if (m->qid)
		fprintf(fp, "  queue ID:     %s\n", m->qid);
	if (m->orig_qid)
		fprintf(fp, "  notification: about queue ID %s\n", m->orig_qid);
	if (m->msgid)
		fprintf(fp, "  Message-ID:   %s\n", m->msgid);
	else if (m->pf_msgid)
		fprintf(fp, "  Message-ID:   '%s'\n", m->pf_msgid);
	if (m->subject)
		fprintf(fp, "  Subject:      %s\n", m->subject);
	if (m->size)
		fprintf(fp, "  size:         %" PRIu64 " bytes\n", m->size);
	if (m->spf_helo)
		fprintf(fp, "  SPF:          helo identity %s %s\n", m->spf_helo_id, m->spf_helo);
	if (m->spf_from)
		fprintf(fp, "  SPF:          mailfrom identity %s %s\n", m->spf_from_id, m->spf_from);
	for (i = 0; i < m->nhits; i++)
		text_hit(fp, &m->hits[i]);
	for (i = 0; i < m->nmime; i++)
		fprintf(fp, "  MIME:         %s\n", m->mime[i]);
	if (m->mid) {
		fprintf(fp, "  received:     %s", m->state == TRACE_MSG_DONE ? "done"
			: m->state == TRACE_MSG_ABORTED ? "aborted" : "not finished");
		if (m->abort)
			fprintf(fp, ": %s", m->abort);
		if (m->abort && m->abort_logged && strcmp(m->abort, m->abort_logged) != 0)
			fprintf(fp, " (esmtpguard logged: %s)", m->abort_logged);
		putc('\n', fp);
	}
	if (m->reject)
		fprintf(fp, "  MTA reject:   %s\n", m->reject);
	for (i = 0; i < m->ndlvs; i++) {
		const struct trace_dlv *d = &m->dlvs[i];

		traceout_time(t, sizeof(t), d->t, true);
		fprintf(fp, "  delivery:     %s DCID %" PRIu64 " RID %ld %s %s dsn %s"
			" relay %s (%s)\n", t, d->dcid, d->rid, d->rcpt, d->status,
			d->dsn, d->relay, d->text);
	}
	if (m->notify_qid)
		fprintf(fp, "  notification: %s notification queued as %s\n",
			m->notify_kind ? m->notify_kind : "sender", m->notify_qid);
	fprintf(fp, "  status:       %s%s\n", traceout_status(m),
		m->incomplete ? " (record incomplete)" : "");
	putc('\n', fp);
}

/* --- JSON ----------------------------------------------------------------- */

static void
jkey(FILE *fp, const char *k, const char *v, bool *first)
{
	if (v == NULL)
		return;
	fprintf(fp, "%s\"%s\":", *first ? "" : ",", k);
	traceout_json_str(fp, v);
	*first = false;
}

/* junquoted - a value esmtpguard logged in ESA's quotes, without them */
static void
junquoted(FILE *fp, const char *k, const char *v, bool *first)
{
	size_t	n;

	if (v == NULL)
		return;
	n = strlen(v);
	fprintf(fp, "%s\"%s\":", *first ? "" : ",", k);
	if (n >= 2 && (v[0] == '\'' || v[0] == '"') && v[n - 1] == v[0])
		traceout_json_strn(fp, v + 1, n - 2);
	else
		traceout_json_strn(fp, v, n);
	*first = false;
}

static void
jhits(FILE *fp, const struct trace_hit *h, size_t n)
{
	size_t	i;
	bool	f;

	putc('[', fp);
	for (i = 0; i < n; i++) {
		f = true;
		fputs(i ? ",{" : "{", fp);
		jkey(fp, "policy", h[i].policy, &f);
		jkey(fp, "rule", h[i].rule, &f);
		jkey(fp, "gt", h[i].gt, &f);
		jkey(fp, "value", h[i].value, &f);
		jkey(fp, "action", h[i].action, &f);
		putc('}', fp);
	}
	putc(']', fp);
}

static void
json_conn(FILE *fp, const struct trace_conn *c)
{
	char	t[32];
	bool	f = true;
	size_t	i;

	fprintf(fp, "{\"icid\":%" PRIu64, c->icid);
	f = false;
	traceout_time(t, sizeof(t), c->t_open, true);
	jkey(fp, "time", t, &f);
	jkey(fp, "address", c->addr, &f);
	jkey(fp, "reverse_dns", c->name, &f);
	fprintf(fp, ",\"verified\":%s", c->verified ? "true" : "false");
	jkey(fp, "interface", c->iface, &f);
	jkey(fp, "verdict", c->verdict, &f);
	jkey(fp, "sender_group", c->sg, &f);
	jkey(fp, "match", c->entry, &f);
	fputs(",\"rules\":", fp);
	jhits(fp, c->hits, c->nhits);
	fputs(",\"unknown_commands\":[", fp);
	for (i = 0; i < c->nunknown && i < 4; i++) {
		if (i)
			putc(',', fp);
		traceout_json_str(fp, c->unknown[i]);
	}
	fprintf(fp, "],\"unknown_count\":%zu", c->nunknown);
	fputs(",\"mta_replies\":[", fp);
	for (i = 0; i < c->nreplies && i < 4; i++) {
		if (i)
			putc(',', fp);
		traceout_json_str(fp, c->replies[i]);
	}
	putc(']', fp);
	jkey(fp, "end", end_name(c->end), &f);
	jkey(fp, "end_after", c->end_after, &f);
	if (c->smtpd_pid >= 0)
		fprintf(fp, ",\"smtpd_pid\":%ld", c->smtpd_pid);
	fprintf(fp, ",\"lost_logged\":%s,\"closed\":%s}", c->lost ? "true" : "false",
		c->closed ? "true" : "false");
}

static void
json_msg(FILE *fp, const struct trace_msg *m)
{
	char	t[32];
	bool	f = false;
	size_t	i;

	traceout_time(t, sizeof(t), m->t_start, true);
	fprintf(fp, "{\"mid\":%" PRIu64 ",\"icid\":%" PRIu64, m->mid, m->icid);
	jkey(fp, "time", t, &f);
	if (m->conn) {
		fputs(",\"connection\":", fp);
		json_conn(fp, m->conn);
	}
	jkey(fp, "from", m->from ? m->from : m->pf_from, &f);
	fputs(",\"rcpts\":[", fp);
	for (i = 0; i < m->nrcpts; i++) {
		fprintf(fp, "%s{\"rid\":%ld,\"addr\":", i ? "," : "", m->rcpts[i].rid);
		traceout_json_str(fp, m->rcpts[i].addr);
		putc('}', fp);
	}
	putc(']', fp);
	jkey(fp, "queue_id", m->qid, &f);
	jkey(fp, "notification_of", m->orig_qid, &f);
	junquoted(fp, "message_id", m->msgid, &f);
	jkey(fp, "mta_message_id", m->pf_msgid, &f);
	junquoted(fp, "subject", m->subject, &f);
	if (m->size)
		fprintf(fp, ",\"size\":%" PRIu64, m->size);
	if (m->spf_helo || m->spf_from) {
		bool	g = true;

		fputs(",\"spf\":{", fp);
		jkey(fp, "helo_identity", m->spf_helo_id, &g);
		jkey(fp, "helo", m->spf_helo, &g);
		jkey(fp, "mailfrom_identity", m->spf_from_id, &g);
		jkey(fp, "mailfrom", m->spf_from, &g);
		putc('}', fp);
	}
	fputs(",\"rules\":", fp);
	jhits(fp, m->hits, m->nhits);
	fputs(",\"mime\":[", fp);
	for (i = 0; i < m->nmime; i++) {
		if (i)
			putc(',', fp);
		traceout_json_str(fp, m->mime[i]);
	}
	putc(']', fp);
	if (m->mid)
		jkey(fp, "received", m->state == TRACE_MSG_DONE ? "done"
		     : m->state == TRACE_MSG_ABORTED ? "aborted" : "open", &f);
	jkey(fp, "abort_reason", m->abort, &f);
	jkey(fp, "abort_logged", m->abort_logged, &f);
	jkey(fp, "mta_reject", m->reject, &f);
	fputs(",\"deliveries\":[", fp);
	for (i = 0; i < m->ndlvs; i++) {
		const struct trace_dlv *d = &m->dlvs[i];
		bool	g = false;

		traceout_time(t, sizeof(t), d->t, true);
		fprintf(fp, "%s{\"dcid\":%" PRIu64 ",\"rid\":%ld", i ? "," : "", d->dcid, d->rid);
		jkey(fp, "time", t, &g);
		jkey(fp, "rcpt", d->rcpt, &g);
		jkey(fp, "status", d->status, &g);
		jkey(fp, "dsn", d->dsn, &g);
		jkey(fp, "relay", d->relay, &g);
		jkey(fp, "via", d->daemon, &g);
		jkey(fp, "reply", d->text, &g);
		fprintf(fp, ",\"connection_failed\":%s}", d->conn_failed ? "true" : "false");
	}
	putc(']', fp);
	jkey(fp, "notification", m->notify_qid, &f);
	jkey(fp, "status", traceout_status(m), &f);
	fprintf(fp, ",\"complete\":%s}\n", m->incomplete ? "false" : "true");
}

void
traceout_msg(FILE *fp, const struct trace_msg *m, bool json)
{
	if (json)
		json_msg(fp, m);
	else
		text_msg(fp, m);
}

void
traceout_conn(FILE *fp, const struct trace_conn *c, bool json)
{
	char	t[32];

	if (json) {
		json_conn(fp, c);
		putc('\n', fp);
		return;
	}
	traceout_time(t, sizeof(t), c->t_open, true);
	fprintf(fp, "ICID %" PRIu64 " %s (no message)\n", c->icid, t);
	text_conn(fp, c);
	putc('\n', fp);
}

void
traceout_esa(FILE *fp, int64_t t, const char *text, size_t len)
{
	/* many lines share their second: format the stamp once, at the
	 * front of a line buffer, so that a line is one fwrite */
	static int64_t last = INT64_MIN;
	static char line[1024];
	static size_t tslen;

	if (t != last) {
		traceout_time(line, 32 - 7, t, false);
		tslen = strlen(line);
		memcpy(line + tslen, " Info: ", 8);
		tslen += 7;
		last = t;
	}
	if (len < sizeof(line) - tslen) {
		memcpy(line + tslen, text, len);
		line[tslen + len] = '\n';
		fwrite(line, 1, tslen + len + 1, fp);
		return;
	}
	fwrite(line, 1, tslen, fp);
	fwrite(text, 1, len, fp);
	putc('\n', fp);
}
