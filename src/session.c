/*++
 * NAME
 *	session 3
 * SUMMARY
 *	the policy core: one SMTP session, its messages, its log lines
 * DESCRIPTION
 *	See session.h for the contract and for how an unfinished message
 *	is told apart (abort reasons, "lost").
 *
 *	Every log line is built in s->line with strbuf/escape_append, so a
 *	client string is escaped exactly where it is written and no line
 *	is ever cut short. A failed allocation, or an ID that cannot be
 *	reserved, becomes the configured on_internal_error verdict and an
 *	error line: esmtpguard never fails open silently.
 *--*/
#include <config.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "escape.h"
#include "log.h"
#include "session.h"
#include "strbuf.h"

struct msg {
	uint64_t mid;		/* 0: no transaction open */
	unsigned nrcpt;		/* the next RID */
	bool	data;		/* DATA was reached */
	bool	qid_logged;
	bool	have_msgid;
	bool	have_subject;
	char   *qid;
	struct strbuf msgid;	/* escaped, quoted: logged at end of header */
	struct strbuf subject;
	struct strbuf from;	/* escaped, for "ready ... from" */
	uint64_t size;		/* header and body bytes seen */
};

struct session {
	struct conf *conf;
	struct idalloc *ids;
	uint64_t icid;
	struct policy *policy;
	struct msg msg;
	struct strbuf line;	/* the log line being built */
	struct strbuf reply;	/* verdict text */
	struct strbuf idhdr;	/* id_header value */
};

/* Counters since start, for SIGUSR1; updated from any worker thread. */
static struct {
	unsigned long accept, relay, reject;	/* connections by HAT verdict */
	unsigned long done, aborted;		/* messages */
	unsigned long internal;			/* on_internal_error answers */
} stats;

#define COUNT(field)	__atomic_add_fetch(&stats.field, 1, __ATOMIC_RELAXED)
#define READ(field)	__atomic_load_n(&stats.field, __ATOMIC_RELAXED)

static const char *const abort_by_sender = "Receiving aborted by sender";
static const char *const abort_unknown = "Receiving aborted";

/* verdict_clear - "continue", nothing to add */

static void
verdict_clear(struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->kind = VERDICT_CONTINUE;
}

/* internal_error - what on_internal_error answers, and an error line
 * that says so; conf may be NULL only before a snapshot exists */

static void
internal_error(struct session *s, struct conf *conf, struct verdict *v,
	       const char *what)
{
	enum conf_ierr e = conf->on_internal_error;
	uint64_t icid = s ? s->icid : 0;

	verdict_clear(v);
	COUNT(internal);
	log_error("ICID %" PRIu64 " internal error: %s; answering %s "
		  "(on_internal_error)", icid, what, conf_ierr_name(e));
	switch (e) {
	case CONF_IERR_ACCEPT:
		v->kind = VERDICT_ACCEPT;
		break;
	case CONF_IERR_TEMPFAIL:
		v->kind = VERDICT_TEMPFAIL;
		v->rcode = "451";
		v->xcode = "4.3.0";
		v->text = "Internal error, try again later";
		break;
	case CONF_IERR_REJECT:
		v->kind = VERDICT_REJECT;
		v->rcode = "554";
		v->xcode = "5.3.0";
		v->text = "Internal error";
		break;
	}
}

/* emit - log the line built in s->line; false when it could not be built */

static bool
emit(struct session *s, bool built)
{
	if (!built)
		return false;
	log_info("%s", strbuf_str(&s->line));
	strbuf_reset(&s->line);
	return true;
}

/* append_addr - an address without Postfix's "IPv6:" prefix or brackets */

static bool
append_addr(struct strbuf *sb, const char *addr)
{
	size_t	n;

	if (addr == NULL || *addr == 0)
		return strbuf_puts(sb, "unknown");
	if (*addr == '[') {
		addr++;
		n = strcspn(addr, "]");
	} else {
		n = strlen(addr);
	}
	if (n >= 5 && strncasecmp(addr, "IPv6:", 5) == 0) {
		addr += 5;
		n -= 5;
	}
	return escape_append(sb, addr, n);
}

static bool
append_esc(struct strbuf *sb, const char *str)
{
	return escape_append(sb, str, strlen(str));
}

/* msg_reset - the one place message state ends, for eom and abort alike */

static void
msg_reset(struct session *s)
{
	free(s->msg.qid);
	strbuf_free(&s->msg.from);
	strbuf_free(&s->msg.msgid);
	strbuf_free(&s->msg.subject);
	memset(&s->msg, 0, sizeof(s->msg));
}

/* log_qid - the queue ID line, once per message, as soon as known */

static bool
log_qid(struct session *s)
{
	struct msg *m = &s->msg;

	if (m->mid == 0 || m->qid == NULL || m->qid_logged)
		return true;
	m->qid_logged = true;
	return emit(s, strbuf_printf(&s->line, "MID %" PRIu64 " ICID %" PRIu64
				     " queue ID ", m->mid, s->icid)
		    && append_esc(&s->line, m->qid));
}

/* msg_finish - the closing lines of a message: reason NULL = done */

static bool
msg_finish(struct session *s, const char *reason)
{
	uint64_t mid = s->msg.mid;
	bool	ok = log_qid(s);

	if (reason != NULL) {
		COUNT(aborted);
		log_info("Message aborted MID %" PRIu64 " %s", mid, reason);
	} else
		COUNT(done);
	log_info("Message finished MID %" PRIu64 " %s", mid,
		 reason ? "aborted" : "done");
	msg_reset(s);
	return ok;
}

/* msg_settle - a new transaction or HELO: an open message was reset by
 * the sender */

static bool
msg_settle(struct session *s)
{
	if (s->msg.mid == 0)
		return true;
	return msg_finish(s, abort_by_sender);
}

/* open_lines - the "New SMTP ICID" and HAT verdict lines */

static bool
open_lines(struct session *s, const struct session_conn *c,
	   const struct hat_group *group, const struct hat_entry *entry,
	   const char *verified)
{
	const char *host = "unknown";
	bool	ok;

	if (verified != NULL)
		host = verified;
	else if (c->client_ptr != NULL && *c->client_ptr != 0
		 && *c->client_ptr != '[' && strcmp(c->client_ptr, "unknown") != 0)
		host = c->client_ptr;
	else if (c->client_resolve == NULL && c->hostname != NULL
		 && *c->hostname != 0 && *c->hostname != '[')
		host = c->hostname;

	ok = strbuf_printf(&s->line, "New SMTP ICID %" PRIu64 " interface ", s->icid)
	    && append_addr(&s->line, c->if_addr)
	    && strbuf_puts(&s->line, " address ")
	    && append_addr(&s->line, c->client_addr)
	    && strbuf_puts(&s->line, " reverse dns host ")
	    && append_esc(&s->line, host)
	    && strbuf_puts(&s->line, verified ? " verified yes" : " verified no");
	if (!emit(s, ok))
		return false;
	return emit(s, strbuf_printf(&s->line, "ICID %" PRIu64 " %s SG %s match %s"
				     " SBRS not enabled", s->icid,
				     policy_hat_verdict(s->policy->access),
				     group ? group->name : "None",
				     entry ? entry->text : "ALL"));
}

/* verified_name - the client's name when the MTA confirmed it forward */

static const char *
verified_name(const struct session_conn *c)
{
	if (c->client_resolve == NULL || strcmp(c->client_resolve, "OK") != 0)
		return NULL;
	if (c->hostname == NULL || *c->hostname == 0 || *c->hostname == '[')
		return NULL;
	return c->hostname;
}

struct session *
session_open(struct conf *conf, struct idalloc *ids,
	     const struct session_conn *c, struct verdict *v)
{
	struct session *s;
	struct hat_client client;
	const struct hat_group *group;
	const struct hat_entry *entry = NULL;
	char	err[256];

	verdict_clear(v);
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		internal_error(NULL, conf, v, "out of memory");
		return NULL;
	}
	if (idalloc_next(ids, IDALLOC_ICID, &s->icid, err, sizeof(err)) < 0) {
		free(s);
		internal_error(NULL, conf, v, err);
		return NULL;
	}
	s->conf = conf_retain(conf);
	s->ids = ids;

	memset(&client, 0, sizeof(client));
	if (c->client_addr != NULL)
		(void) hat_client_addr(&client, c->client_addr);
	client.verified_name = verified_name(c);
	group = hat_lookup(conf->groups, conf->ngroups, &client, &entry);
	s->policy = group ? group->policy : conf->fallback;

	if (!open_lines(s, c, group, entry, client.verified_name)) {
		internal_error(s, conf, v, "out of memory");
		return s;
	}
	switch (s->policy->access) {
	case ACCESS_ACCEPT:
		COUNT(accept);
		break;
	case ACCESS_RELAY:
		COUNT(relay);
		break;
	case ACCESS_REJECT:
		COUNT(reject);
		break;
	}
	if (s->policy->access == ACCESS_REJECT) {
		v->kind = VERDICT_REJECT;
		v->rcode = "554";
		v->xcode = "5.7.1";
		if (strbuf_printf(&s->reply, "Access denied (ICID %" PRIu64 ")",
				  s->icid))
			v->text = strbuf_str(&s->reply);
	}
	return s;
}

void
session_helo(struct session *s, const char *name, struct verdict *v)
{
	(void) name;
	verdict_clear(v);
	if (!msg_settle(s))
		internal_error(s, s->conf, v, "out of memory");
}

void
session_mail(struct session *s, char *const *argv, struct verdict *v)
{
	struct msg *m = &s->msg;
	const char *addr = argv && argv[0] ? argv[0] : "<>";
	char	err[256];

	verdict_clear(v);
	if (!msg_settle(s)) {
		internal_error(s, s->conf, v, "out of memory");
		return;
	}
	if (idalloc_next(s->ids, IDALLOC_MID, &m->mid, err, sizeof(err)) < 0) {
		m->mid = 0;
		internal_error(s, s->conf, v, err);
		return;
	}
	log_info("Start MID %" PRIu64 " ICID %" PRIu64, m->mid, s->icid);
	if (!append_esc(&m->from, addr)
	    || !emit(s, strbuf_printf(&s->line, "MID %" PRIu64 " ICID %" PRIu64
				      " From: %s", m->mid, s->icid,
				      strbuf_str(&m->from))))
		internal_error(s, s->conf, v, "out of memory");
}

void
session_rcpt(struct session *s, char *const *argv, struct verdict *v)
{
	struct msg *m = &s->msg;
	const char *addr = argv && argv[0] ? argv[0] : "<>";
	bool	ok;

	verdict_clear(v);
	if (m->mid == 0)
		return;
	ok = strbuf_printf(&s->line, "MID %" PRIu64 " ICID %" PRIu64 " RID %u To: ",
			   m->mid, s->icid, m->nrcpt)
	    && append_esc(&s->line, addr);
	m->nrcpt++;
	if (!emit(s, ok))
		internal_error(s, s->conf, v, "out of memory");
}

void
session_data(struct session *s, struct verdict *v)
{
	verdict_clear(v);
	if (s->msg.mid == 0)
		return;
	s->msg.data = true;
	if (!log_qid(s))
		internal_error(s, s->conf, v, "out of memory");
}

void
session_unknown(struct session *s, const char *cmd, struct verdict *v)
{
	verdict_clear(v);
	if (!emit(s, strbuf_printf(&s->line, "ICID %" PRIu64 " Unknown command: ",
				   s->icid)
		  && append_esc(&s->line, cmd ? cmd : "")))
		internal_error(s, s->conf, v, "out of memory");
}

/* append_unfolded - a header value with folding line breaks removed
 * (RFC 5322 unfolding), escaped */

static bool
append_unfolded(struct strbuf *sb, const char *value)
{
	const char *p = value;
	size_t	n;

	while (*p != 0) {
		n = strcspn(p, "\r\n");
		if (!escape_append(sb, p, n))
			return false;
		p += n;
		if ((p[0] == '\r' || p[0] == '\n') && p[1] != 0
		    && strchr("\r\n \t", p[1]) != NULL)
			p++;
		else if (*p != 0) {
			if (!escape_append(sb, p, 1))
				return false;
			p++;
		}
	}
	return true;
}

/* header_size - bytes of "Name: value\r\n" as on the wire (the MTA joins
 * folded lines with a bare LF and strips the space after the colon) */

static uint64_t
header_size(const char *name, const char *value)
{
	uint64_t n = strlen(name) + 1 + strlen(value) + 2;
	const char *p;

	if (*value != ' ' && *value != '\t' && *value != 0)
		n++;
	for (p = value; (p = strchr(p, '\n')) != NULL; p++)
		if (p == value || p[-1] != '\r')
			n++;
	return n;
}

/* quote_header - 'value' (or "value" when it holds a quote), unfolded and
 * escaped, kept until the end of the header so that Message-ID and
 * Subject are logged in that order, whatever order the client used */

static bool
quote_header(struct strbuf *sb, const char *value)
{
	const char *q = strchr(value, '\'') ? "\"" : "'";

	return strbuf_puts(sb, q) && append_unfolded(sb, value)
	    && strbuf_puts(sb, q);
}

void
session_header(struct session *s, const char *name, const char *value,
	       struct verdict *v)
{
	struct msg *m = &s->msg;
	bool	ok = true;

	verdict_clear(v);
	if (m->mid == 0)
		return;
	m->size += header_size(name, value);
	if (!m->have_msgid && strcasecmp(name, "Message-ID") == 0) {
		m->have_msgid = true;
		ok = quote_header(&m->msgid, value);
	} else if (!m->have_subject && strcasecmp(name, "Subject") == 0) {
		m->have_subject = true;
		ok = quote_header(&m->subject, value);
	}
	if (!ok)
		internal_error(s, s->conf, v, "out of memory");
}

void
session_eoh(struct session *s, struct verdict *v)
{
	struct msg *m = &s->msg;

	verdict_clear(v);
	if (m->mid == 0)
		return;
	m->size += 2;		/* the empty line after the header */
	if (m->have_msgid)
		log_info("MID %" PRIu64 " Message-ID %s", m->mid,
			 strbuf_str(&m->msgid));
	if (m->have_subject)
		log_info("MID %" PRIu64 " Subject %s", m->mid,
			 strbuf_str(&m->subject));
}

void
session_body(struct session *s, const unsigned char *p, size_t len,
	     struct verdict *v)
{
	(void) p;
	verdict_clear(v);
	if (s->msg.mid != 0)
		s->msg.size += len;
}

void
session_eom(struct session *s, struct verdict *v)
{
	struct msg *m = &s->msg;
	const char *hdr = s->conf->id_header;
	uint64_t mid = m->mid;

	verdict_clear(v);
	if (mid == 0)
		return;
	if (!log_qid(s)) {
		internal_error(s, s->conf, v, "out of memory");
		return;
	}
	log_info("MID %" PRIu64 " ready %" PRIu64 " bytes from %s",
		 mid, m->size, strbuf_str(&m->from));
	if (hdr != NULL && *hdr != 0) {
		strbuf_reset(&s->idhdr);
		if (!strbuf_printf(&s->idhdr, "ICID=%" PRIu64 " MID=%" PRIu64,
				   s->icid, mid)) {
			internal_error(s, s->conf, v, "out of memory");
			return;
		}
		v->add_header_name = hdr;
		v->add_header_value = strbuf_str(&s->idhdr);
	}
	(void) msg_finish(s, NULL);
}

/* session_abort - the message stays open: only the next event (MAIL,
 * HELO or close) tells why the MTA aborted it (see session.h) */

void
session_abort(struct session *s)
{
	(void) s;
}

void
session_close(struct session *s)
{
	bool	lost;

	if (s == NULL)
		return;
	lost = s->msg.mid != 0 && s->msg.data;
	if (s->msg.mid != 0)
		(void) msg_finish(s, abort_unknown);
	if (lost)
		log_info("ICID %" PRIu64 " lost", s->icid);
	log_info("ICID %" PRIu64 " close", s->icid);
	strbuf_free(&s->line);
	strbuf_free(&s->reply);
	strbuf_free(&s->idhdr);
	conf_release(s->conf);
	free(s);
}

void
session_set_qid(struct session *s, const char *qid)
{
	if (s->msg.mid == 0 || s->msg.qid != NULL || qid == NULL || *qid == 0)
		return;
	s->msg.qid = strdup(qid);	/* NULL only costs the queue ID line */
}

void
session_stats_log(void)
{
	log_info("counters: connections accept %lu relay %lu reject %lu, "
		 "messages done %lu aborted %lu, internal errors %lu",
		 READ(accept), READ(relay), READ(reject), READ(done),
		 READ(aborted), READ(internal));
}

uint64_t
session_icid(const struct session *s)
{
	return s->icid;
}

uint64_t
session_mid(const struct session *s)
{
	return s->msg.mid;
}
