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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bodyline.h"
#include "escape.h"
#include "log.h"
#include "measure.h"
#include "mime.h"
#include "peer.h"
#include "session.h"
#include "spf.h"
#include "stats.h"
#include "strbuf.h"

struct msg {
	uint64_t mid;		/* 0: no transaction open */
	unsigned nrcpt;		/* recipients accepted: the next RID */
	bool	data;		/* DATA was reached */
	bool	qid_logged;
	bool	have_msgid;
	bool	have_subject;
	char   *qid;
	struct strbuf msgid;	/* escaped, quoted: logged at end of header */
	struct strbuf subject;
	struct strbuf from;	/* escaped, for "ready ... from" */
	uint64_t size;		/* header and body bytes seen */
	uint64_t header_bytes;
	unsigned long to_fields;
	uint32_t fired;		/* log-only rules already reported */
	unsigned mime_reported;	/* MIME anomalies already logged */
	struct bodyline body;
	struct mime_scan mime;
	char   *sender;		/* MAIL FROM as given, for SPF */
	struct spf_result spf;
};

struct session {
	struct conf *conf;
	struct idalloc *ids;
	uint64_t icid;
	struct policy *policy;
	struct stats_policy *stats;
	struct peer *peer;	/* per-IP state, when a rule needs it */
	char   *mta_name;	/* for "NAME closing connection" */
	bool	leadspc;	/* see session_conn.header_leadspc */
	unsigned long messages;	/* transactions begun */
	unsigned long rcpts;	/* recipients accepted */
	unsigned long unknown;	/* commands outside the ASA's fifteen */
	uint32_t fired;		/* connection-level log-only rules reported */
	struct msg msg;
	struct strbuf line;	/* the log line being built */
	struct strbuf reply;	/* verdict text */
	struct strbuf idhdr;	/* id_header value */
	struct strbuf spfhdr;	/* Received-SPF value */
	char   *client_addr;	/* as the MTA gave it, for SPF */
	char   *helo;
	char	xcode[8];	/* verdict enhanced code */
};

static struct spf *spf_checker;		/* see session_set_spf */

/* What a refusal ends: the command alone, or the transaction with it. */
enum scope {
	SCOPE_COMMAND,		/* HELO, RCPT, an unknown command, connect */
	SCOPE_MESSAGE,		/* MAIL, and everything from DATA on */
};

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
	stats_count(STATS_INTERNAL);
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
	log_text(LOG_SEV_INFO, strbuf_str(&s->line));
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
	free(s->msg.sender);
	spf_result_free(&s->msg.spf);
	strbuf_free(&s->msg.from);
	strbuf_free(&s->msg.msgid);
	strbuf_free(&s->msg.subject);
	memset(&s->msg, 0, sizeof(s->msg));
	bodyline_init(&s->msg.body);
	mime_scan_init(&s->msg.mime);
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

/* msg_finish - the closing lines of a message: reason NULL = done; rule,
 * when not NULL, follows the reason */

static bool
msg_finish(struct session *s, const char *reason, const char *rule)
{
	uint64_t mid = s->msg.mid;
	bool	ok = log_qid(s);

	if (reason != NULL) {
		stats_count(STATS_ABORTED);
		log_info("Message aborted MID %" PRIu64 " %s%s", mid, reason,
			 rule ? rule : "");
	} else
		stats_count(STATS_DONE);
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
	return msg_finish(s, abort_by_sender, NULL);
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

/* ids_text - " (ICID n MID m)" or " (ICID n)" for replies */

static bool
ids_text(struct session *s)
{
	if (s->msg.mid != 0)
		return strbuf_printf(&s->reply, " (ICID %" PRIu64 " MID %" PRIu64 ")",
				     s->icid, s->msg.mid);
	return strbuf_printf(&s->reply, " (ICID %" PRIu64 ")", s->icid);
}

/* hit_line - "[MID m ]ICID n ESMTP policy P matched RULE gt N: VALUE
 * action A"; shown is the offending value for threshold-free rules */

static bool
hit_line(struct session *s, enum rule_id r, uint64_t value, const char *shown)
{
	const struct rule *rule = &s->policy->rules[r];
	bool	ok = true;

	if (!rule_defs[r].connection && s->msg.mid != 0)
		ok = strbuf_printf(&s->line, "MID %" PRIu64 " ", s->msg.mid);
	ok = ok && strbuf_printf(&s->line, "ICID %" PRIu64 " ESMTP policy %s "
				 "matched %s gt %ld: ", s->icid,
				 s->policy->name, rule_defs[r].name, rule->gt);
	if (shown != NULL)
		ok = ok && append_esc(&s->line, shown);
	else
		ok = ok && strbuf_printf(&s->line, "%" PRIu64, value);
	return emit(s, ok && strbuf_printf(&s->line, " action %s",
					   action_name(rule->action)));
}

/*
 * reply_name_ok - whether the MTA's {j} may open a 421 reply. libmilter
 * refuses a reply text with CR or LF, or longer than its 980 bytes, and
 * the MTA then answers a plain tempfail instead of closing: a name that
 * could do that, or is no host name at all, is left out of the reply.
 */
static bool
reply_name_ok(const char *name)
{
	size_t	n;

	if (name == NULL)
		return false;
	for (n = 0; name[n] != 0; n++)
		if (n == 255 || (unsigned char) name[n] <= ' '
		    || (unsigned char) name[n] > '~')
			return false;
	return n > 0;
}

/* refuse - the verdict of a rule whose action is not log */

static bool
refuse(struct session *s, enum rule_id r, struct verdict *v)
{
	const struct rule_def *def = &rule_defs[r];
	const struct rule *rule = &s->policy->rules[r];
	bool	ok;

	strbuf_reset(&s->reply);
	switch (rule->action) {
	case ACTION_DROP:
		v->kind = VERDICT_DROP;
		v->rcode = "421";
		v->xcode = "4.7.0";
		ok = (s->mta_name == NULL
		      || strbuf_printf(&s->reply, "%s ", s->mta_name))
		    && strbuf_puts(&s->reply, "closing connection: ");
		break;
	case ACTION_TEMPFAIL:
		v->kind = VERDICT_TEMPFAIL;
		v->rcode = def->tempfail_code;
		snprintf(s->xcode, sizeof(s->xcode), "4.%s", def->xdetail);
		v->xcode = s->xcode;
		ok = strbuf_printf(&s->reply, "%s: ", def->reason);
		break;
	default:
		v->kind = VERDICT_REJECT;
		v->rcode = def->reject_code;
		snprintf(s->xcode, sizeof(s->xcode), "5.%s", def->xdetail);
		v->xcode = s->xcode;
		ok = strbuf_printf(&s->reply, "%s: ", def->reason);
		break;
	}
	/* threshold-free rules have nothing to exceed */
	if (def->max_gt == 0)
		ok = ok && strbuf_puts(&s->reply, def->name);
	else
		ok = ok && strbuf_printf(&s->reply, "%s exceeds %ld", def->name,
					 rule->gt);
	ok = ok && ids_text(s);
	v->text = ok ? strbuf_str(&s->reply) : NULL;
	return ok;
}

/*
 * check - compare one measured value with rule r of the session's
 * policy: count it, log a hit, and for an action other than log set the
 * verdict and end what the refusal ends (scope). True when the caller
 * must stop and return the verdict.
 */
static bool
check(struct session *s, enum rule_id r, uint64_t value, const char *shown,
      enum scope scope, struct verdict *v)
{
	const struct rule *rule = &s->policy->rules[r];
	uint32_t bit = UINT32_C(1) << r;
	uint32_t *fired;

	if (s->policy->access != ACCESS_ACCEPT || !rule->on)
		return false;
	stats_rule_evaluated(s->stats, r);
	if (value <= (uint64_t) rule->gt)
		return false;
	fired = rule_defs[r].connection || s->msg.mid == 0 ? &s->fired
	    : &s->msg.fired;
	if (rule->action == ACTION_LOG && (*fired & bit) != 0)
		return false;
	*fired |= bit;
	stats_rule_matched(s->stats, r, rule->action);
	if (rule->log && !hit_line(s, r, value, shown)) {
		internal_error(s, s->conf, v, "out of memory");
		return true;
	}
	if (rule->action == ACTION_LOG)
		return false;
	if (!refuse(s, r, v)) {
		internal_error(s, s->conf, v, "out of memory");
		return true;
	}
	if (s->msg.mid != 0 && (scope == SCOPE_MESSAGE
				|| rule->action == ACTION_DROP))
		(void) msg_finish(s, rule->action == ACTION_DROP
				  ? "Dropped by policy " : "Rejected by policy ",
				  rule_defs[r].name);
	return true;
}

/* enforcing - does the policy inspect at all (saves the measuring) */

static bool
enforcing(const struct session *s)
{
	return s->policy->access == ACCESS_ACCEPT;
}

static bool
rule_on(const struct session *s, enum rule_id r)
{
	return enforcing(s) && s->policy->rules[r].on;
}

struct session *
session_open(struct conf *conf, struct idalloc *ids,
	     const struct session_conn *c, struct verdict *v)
{
	struct session *s;
	struct hat_client client;
	const struct hat_group *group;
	const struct hat_entry *entry = NULL;
	unsigned long conns;
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
	s->leadspc = c->header_leadspc;
	msg_reset(s);
	/* NULL only costs the SPF check */
	s->client_addr = c->client_addr ? strdup(c->client_addr) : NULL;

	memset(&client, 0, sizeof(client));
	if (c->client_addr != NULL)
		(void) hat_client_addr(&client, c->client_addr);
	client.verified_name = verified_name(c);
	group = hat_lookup(conf->groups, conf->ngroups, &client, &entry);
	s->policy = group ? group->policy : conf->fallback;
	s->stats = stats_policy(s->policy->name);
	stats_policy_connection(s->stats);

	if (!open_lines(s, c, group, entry, client.verified_name)
	    || (reply_name_ok(c->mta_name)
		&& (s->mta_name = strdup(c->mta_name)) == NULL)) {
		internal_error(s, conf, v, "out of memory");
		return s;
	}
	stats_count(s->policy->access == ACCESS_ACCEPT ? STATS_ACCEPT
		    : s->policy->access == ACCESS_RELAY ? STATS_RELAY
		    : STATS_REJECT);
	if (s->policy->access == ACCESS_REJECT) {
		v->kind = VERDICT_REJECT;
		v->rcode = "554";
		v->xcode = "5.7.1";
		if (strbuf_printf(&s->reply, "Access denied (ICID %" PRIu64 ")",
				  s->icid))
			v->text = strbuf_str(&s->reply);
		return s;
	}
	if (client.have_addr && (rule_on(s, RULE_CONNECTIONS_PER_IP)
				 || rule_on(s, RULE_RCPT_PER_HOUR_PER_IP))) {
		if ((s->peer = peer_connect(client.addr, &conns)) == NULL) {
			internal_error(s, conf, v, "out of memory");
			return s;
		}
		(void) check(s, RULE_CONNECTIONS_PER_IP, conns, NULL,
			     SCOPE_COMMAND, v);
	}
	return s;
}

/* helo_stage - a new HELO settles an open message; its command length */

void
session_helo(struct session *s, const char *name, struct verdict *v)
{
	verdict_clear(v);
	free(s->helo);
	s->helo = name ? strdup(name) : NULL;
	if (!msg_settle(s) || (name != NULL && s->helo == NULL)) {
		internal_error(s, s->conf, v, "out of memory");
		return;
	}
	/* "EHLO name" and "HELO name" are the same length */
	(void) check(s, RULE_CMD_LINE_LENGTH, 5 + strlen(name ? name : ""),
		     NULL, SCOPE_COMMAND, v);
}

void
session_mail(struct session *s, char *const *argv, struct verdict *v)
{
	struct msg *m = &s->msg;
	const char *addr = argv && argv[0] ? argv[0] : "<>";
	const char *piped;
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
	s->messages++;
	log_info("Start MID %" PRIu64 " ICID %" PRIu64, m->mid, s->icid);
	if ((m->sender = strdup(addr)) == NULL
	    || !append_esc(&m->from, addr)
	    || !emit(s, strbuf_printf(&s->line, "MID %" PRIu64 " ICID %" PRIu64
				      " From: %s", m->mid, s->icid,
				      strbuf_str(&m->from)))) {
		internal_error(s, s->conf, v, "out of memory");
		return;
	}
	if (!enforcing(s))
		return;
	piped = measure_pipe_arg(argv);
	(void) (check(s, RULE_CMD_LINE_LENGTH,
		      measure_cmd_line("MAIL FROM:", argv), NULL, SCOPE_MESSAGE, v)
		|| check(s, RULE_SENDER_ADDRESS_LENGTH, measure_address(addr),
			 NULL, SCOPE_MESSAGE, v)
		|| check(s, RULE_PIPE_IN_ADDRESS, piped != NULL, piped,
			 SCOPE_MESSAGE, v)
		|| check(s, RULE_BODY_LENGTH, measure_declared_size(argv), NULL,
			 SCOPE_MESSAGE, v)
		|| check(s, RULE_MESSAGES_PER_CONNECTION, s->messages, NULL,
			 SCOPE_MESSAGE, v));
}

void
session_rcpt(struct session *s, char *const *argv, struct verdict *v)
{
	struct msg *m = &s->msg;
	const char *addr = argv && argv[0] ? argv[0] : "<>";
	const char *piped;
	bool	ok;

	verdict_clear(v);
	if (m->mid == 0)
		return;
	if (enforcing(s)) {
		piped = measure_pipe_arg(argv);
		if (check(s, RULE_CMD_LINE_LENGTH,
			  measure_cmd_line("RCPT TO:", argv), NULL, SCOPE_COMMAND, v)
		    || check(s, RULE_PIPE_IN_ADDRESS, piped != NULL, piped,
			     SCOPE_COMMAND, v)
		    || (s->peer != NULL
			&& check(s, RULE_RCPT_PER_HOUR_PER_IP,
				 peer_rcpt_hour(s->peer, time(NULL), 1), NULL,
				 SCOPE_COMMAND, v))
		    || check(s, RULE_RCPT_COUNT, m->nrcpt + 1ULL, NULL,
			     SCOPE_COMMAND, v)
		    || check(s, RULE_RCPT_PER_CONNECTION, s->rcpts + 1ULL, NULL,
			     SCOPE_COMMAND, v))
			return;
	}
	ok = strbuf_printf(&s->line, "MID %" PRIu64 " ICID %" PRIu64 " RID %u To: ",
			   m->mid, s->icid, m->nrcpt)
	    && append_esc(&s->line, addr);
	m->nrcpt++;
	s->rcpts++;
	if (!emit(s, ok))
		internal_error(s, s->conf, v, "out of memory");
}

/* spf_action - what the policy does with one result */

static enum action
spf_action(const struct spf_policy *sp, enum spf_res res)
{
	switch (res) {
	case SPF_FAIL:
		return sp->on_fail;
	case SPF_SOFTFAIL:
		return sp->on_softfail;
	case SPF_TEMPERROR:
		return sp->on_temperror;
	case SPF_PERMERROR:
		return sp->on_permerror;
	default:
		return ACTION_LOG;
	}
}

/* spf_line - "MID n SPF: KIND identity ID RESULT" */

static bool
spf_line(struct session *s, const char *kind, const char *id,
	 enum spf_res res)
{
	return emit(s, strbuf_printf(&s->line, "MID %" PRIu64 " SPF: %s "
				     "identity ", s->msg.mid, kind)
		    && append_esc(&s->line, id)
		    && strbuf_printf(&s->line, " %s", spf_res_name(res)));
}

/* spf_run - the message's SPF check and what its policy does with it;
 * false out of memory */

static bool
spf_run(struct session *s, struct verdict *v)
{
	const struct spf_policy *sp = &s->policy->spf;
	struct spf_result *r = &s->msg.spf;
	enum action act;

	if (spf_checker == NULL || !enforcing(s) || !sp->verify)
		return true;
	if (spf_check(spf_checker, s->client_addr, s->helo, s->msg.sender,
		      sp->helo, s->conf->spf_timeout * 1000, r) < 0)
		return false;
	if (!r->checked)
		return true;
	if ((r->helo_checked && !spf_line(s, "helo", r->helo_id, r->helo))
	    || !spf_line(s, "mailfrom", r->mailfrom_id, r->mailfrom))
		return false;
	/* the stronger of the identities' actions: reject, tempfail, log */
	act = spf_action(sp, r->mailfrom);
	if (r->helo_checked && act != ACTION_REJECT
	    && spf_action(sp, r->helo) != ACTION_LOG)
		act = spf_action(sp, r->helo);
	if (act == ACTION_LOG)
		return true;
	strbuf_reset(&s->reply);
	if (act == ACTION_REJECT) {
		v->kind = VERDICT_REJECT;
		v->rcode = "550";
		v->xcode = "5.7.1";
		if (!strbuf_puts(&s->reply, "SPF unauthorized mail is prohibited"))
			return false;
	} else {
		v->kind = VERDICT_TEMPFAIL;
		v->rcode = "451";
		v->xcode = "4.4.3";
		if (!strbuf_puts(&s->reply, "Temporary error occurred during "
				 "SPF verification"))
			return false;
	}
	if (!ids_text(s))
		return false;
	v->text = strbuf_str(&s->reply);
	return msg_finish(s, "Rejected by policy ", "spf");
}

void
session_data(struct session *s, struct verdict *v)
{
	verdict_clear(v);
	/* DATA again in the same transaction (a client retrying after a
	 * refusal at DATA): SPF was checked and logged the first time */
	if (s->msg.mid == 0 || s->msg.data)
		return;
	s->msg.data = true;
	if (!log_qid(s) || !spf_run(s, v))
		internal_error(s, s->conf, v, "out of memory");
}

void
session_unknown(struct session *s, const char *cmd, struct verdict *v)
{
	verdict_clear(v);
	if (cmd == NULL)
		cmd = "";
	/* Postfix passes HELP here; the ASA knows it */
	if (!measure_asa_command(cmd)) {
		s->unknown++;
		if (!emit(s, strbuf_printf(&s->line, "ICID %" PRIu64
					   " Unknown command: ", s->icid)
			  && append_esc(&s->line, cmd))) {
			internal_error(s, s->conf, v, "out of memory");
			return;
		}
	}
	(void) (check(s, RULE_CMD_LINE_LENGTH, strlen(cmd), NULL,
		      SCOPE_COMMAND, v)
		|| check(s, RULE_UNKNOWN_COMMANDS, s->unknown, NULL,
			 SCOPE_COMMAND, v));
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
	const char *shown = value;
	unsigned space = 0;
	uint64_t size;
	bool	ok = true;

	verdict_clear(v);
	if (m->mid == 0)
		return;
	/* Without LEADSPC the MTA took one space after the colon away, or
	 * none: "Name: value" is by far the common form. */
	if (s->leadspc && *value == ' ')
		shown++;
	else if (!s->leadspc && *value != 0 && *value != ' ' && *value != '\t')
		space = 1;
	size = measure_header_size(name, value, space);
	m->size += size;
	m->header_bytes += size;
	if (!m->have_msgid && strcasecmp(name, "Message-ID") == 0) {
		m->have_msgid = true;
		ok = quote_header(&m->msgid, shown);
	} else if (!m->have_subject && strcasecmp(name, "Subject") == 0) {
		m->have_subject = true;
		ok = quote_header(&m->subject, shown);
	}
	if (!ok) {
		internal_error(s, s->conf, v, "out of memory");
		return;
	}
	if (!enforcing(s))
		return;
	if (strcasecmp(name, "To") == 0)
		m->to_fields++;
	if (rule_on(s, RULE_MIME_FILENAME_LENGTH))
		mime_scan_header(&m->mime, name, shown);
	(void) (check(s, RULE_HEADER_LINE_LENGTH,
		      measure_header_line(name, value, space), NULL,
		      SCOPE_MESSAGE, v)
		|| check(s, RULE_HEADER_LENGTH, m->header_bytes, NULL,
			 SCOPE_MESSAGE, v)
		|| check(s, RULE_HEADER_TO_FIELDS_COUNT, m->to_fields, NULL,
			 SCOPE_MESSAGE, v)
		|| check(s, RULE_BODY_LENGTH, m->size, NULL, SCOPE_MESSAGE, v));
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

/* mime_anomalies - log each new kind of MIME anomaly once per message */

static void
mime_anomalies(struct session *s)
{
	struct msg *m = &s->msg;
	unsigned seen = mime_scan_anomalies(&m->mime), bit;

	for (bit = 1; bit != 0 && (seen & ~m->mime_reported) != 0; bit <<= 1)
		if ((seen & bit) != 0 && (m->mime_reported & bit) == 0) {
			m->mime_reported |= bit;
			log_info("MID %" PRIu64 " ICID %" PRIu64 " MIME: %s",
				 m->mid, s->icid, mime_scan_anomaly_text(bit));
		}
}

/* body_checks - the rules measured over the body so far */

static bool
body_checks(struct session *s, struct verdict *v)
{
	struct msg *m = &s->msg;

	mime_anomalies(s);
	return check(s, RULE_BODY_LINE_LENGTH, bodyline_max(&m->body), NULL,
		     SCOPE_MESSAGE, v)
	    || check(s, RULE_MIME_FILENAME_LENGTH,
		     mime_scan_filename_max(&m->mime), NULL, SCOPE_MESSAGE, v)
	    || check(s, RULE_BODY_LENGTH, m->size, NULL, SCOPE_MESSAGE, v);
}

void
session_body(struct session *s, const unsigned char *p, size_t len,
	     struct verdict *v)
{
	struct msg *m = &s->msg;

	verdict_clear(v);
	if (m->mid == 0)
		return;
	m->size += len;
	if (!enforcing(s))
		return;
	if (rule_on(s, RULE_BODY_LINE_LENGTH))
		bodyline_feed(&m->body, p, len);
	if (rule_on(s, RULE_MIME_FILENAME_LENGTH))
		mime_scan_feed(&m->mime, p, len);
	(void) body_checks(s, v);
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
	if (enforcing(s)) {
		if (rule_on(s, RULE_MIME_FILENAME_LENGTH))
			mime_scan_end(&m->mime);
		if (body_checks(s, v))
			return;
	}
	if (!log_qid(s)) {
		internal_error(s, s->conf, v, "out of memory");
		return;
	}
	log_info("MID %" PRIu64 " ready %" PRIu64 " bytes from %s",
		 mid, m->size, strbuf_str(&m->from));
	if (hdr != NULL && *hdr != 0) {
		strbuf_reset(&s->idhdr);
		if (!strbuf_printf(&s->idhdr, "%sICID=%" PRIu64 " MID=%" PRIu64,
				   s->leadspc ? " " : "", s->icid, mid)) {
			internal_error(s, s->conf, v, "out of memory");
			return;
		}
		v->headers[v->nheaders].name = hdr;
		v->headers[v->nheaders++].value = strbuf_str(&s->idhdr);
	}
	if (m->spf.header != NULL && s->policy->spf.received_spf_header) {
		strbuf_reset(&s->spfhdr);
		if (!strbuf_printf(&s->spfhdr, "%s%s", s->leadspc ? " " : "",
				   m->spf.header)) {
			internal_error(s, s->conf, v, "out of memory");
			return;
		}
		v->headers[v->nheaders].name = "Received-SPF";
		v->headers[v->nheaders].top = true;
		v->headers[v->nheaders++].value = strbuf_str(&s->spfhdr);
	}
	(void) msg_finish(s, NULL, NULL);
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
		(void) msg_finish(s, abort_unknown, NULL);
	if (lost)
		log_info("ICID %" PRIu64 " lost", s->icid);
	log_info("ICID %" PRIu64 " close", s->icid);
	peer_disconnect(s->peer);
	strbuf_free(&s->line);
	strbuf_free(&s->reply);
	strbuf_free(&s->idhdr);
	strbuf_free(&s->spfhdr);
	free(s->client_addr);
	free(s->helo);
	free(s->mta_name);
	conf_release(s->conf);
	free(s);
}

void
session_set_spf(struct spf *spf)
{
	spf_checker = spf;
}

void
session_set_qid(struct session *s, const char *qid)
{
	if (s->msg.mid == 0 || s->msg.qid != NULL || qid == NULL || *qid == 0)
		return;
	s->msg.qid = strdup(qid);	/* NULL only costs the queue ID line */
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
