/*++
 * NAME
 *	tracedlv 3
 * SUMMARY
 *	esmtpguard-trace: delivery connections (DCIDs), delivery processes,
 *	the ESA delivery lines
 * DESCRIPTION
 *	See esmtpguard-trace(1) for the DCID rule. The correlator (trace.c)
 *	hands each delivery line of Postfix's smtp, lmtp, local...
 *	processes, each connection error and each expiry to the
 *	tracedlv_delivery, tracedlv_connerr and tracedlv_expired handlers
 *	here, which add the deliveries to the message and write the ESA
 *	delivery lines.
 *--*/
#include <config.h>

#include "tracepriv.h"

/* --- ESA output ------------------------------------------------------------ */

void
tracedlv_esa_emit(struct trace *tr, int64_t t)
{
	if (tr->esa.len > 0 || tr->esa.s != NULL)
		tr->sink.esa(t, strbuf_str(&tr->esa), tr->esa.len, tr->sink.arg);
	strbuf_reset(&tr->esa);
}

void
tracedlv_esa_printf(struct trace *tr, int64_t t, const char *fmt, ...)
{
	va_list	ap;
	bool	ok;

	/* a long reply text is written whole, never cut */
	va_start(ap, fmt);
	ok = strbuf_vprintf(&tr->esa, fmt, ap);
	va_end(ap);
	if (!ok)
		trace_nomem();
	tracedlv_esa_emit(tr, t);
}

/* esa_put, esa_lit, esa_u64, esa_long - the common ESA lines are put
 * together piece by piece: vsnprintf costs more than the rest of a
 * delivery line's work */
static void
esa_put(struct trace *tr, const char *s, size_t n)
{
	if (!strbuf_append(&tr->esa, s, n))
		trace_nomem();
}

static void
esa_lit(struct trace *tr, const char *s)
{
	esa_put(tr, s, strlen(s));
}

static void
esa_u64(struct trace *tr, uint64_t v)
{
	char	buf[24];

	esa_put(tr, buf, trace_u64str(buf, v));
}

static void
esa_long(struct trace *tr, long v)
{
	if (v < 0) {
		esa_lit(tr, "-");
		esa_u64(tr, (uint64_t) -(v + 1) + 1);
	} else {
		esa_u64(tr, (uint64_t) v);
	}
}

/* esa_ids - "DCID d MID m" */
static void
esa_ids(struct trace *tr, const char *what, uint64_t dcid, uint64_t mid)
{
	esa_lit(tr, what);
	esa_lit(tr, " DCID ");
	esa_u64(tr, dcid);
	esa_lit(tr, " MID ");
	esa_u64(tr, mid);
}

/* esa_rids - "to RID [r, r]": all of the transaction's, or those sent */
static void
esa_rids(struct trace *tr, const struct dproc *p, bool sent)
{
	size_t	i, k = 0;

	esa_lit(tr, " to RID [");
	for (i = 0; i < p->ntx; i++) {
		if (sent && strcmp(p->tx[i].status, "sent") != 0)
			continue;
		if (k++ > 0)
			esa_lit(tr, ", ");
		esa_long(tr, p->tx[i].rid);
	}
	esa_lit(tr, "]");
}

/* esa_queued - "MID m queued for delivery" */
void
tracedlv_esa_queued(struct trace *tr, int64_t t, uint64_t mid)
{
	esa_lit(tr, "MID ");
	esa_u64(tr, mid);
	esa_lit(tr, " queued for delivery");
	tracedlv_esa_emit(tr, t);
}

/* reply_split - "host h[a] said: 450 4.3.0 text (in reply to ...)" to
 * code "450" and "4.3.0 text"; "000" and the whole text otherwise */
void
tracedlv_reply_split(const char *text, char code[4], const char **rtext, size_t *rlen)
{
	const char *p = text, *q;
	size_t	n;

	memcpy(code, "000", 4);
	if ((q = strstr(p, " said: ")) != NULL)
		p = q + 7;
	if (p[0] >= '2' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9'
	    && p[2] >= '0' && p[2] <= '9' && (p[3] == ' ' || p[3] == '-')) {
		memcpy(code, p, 3);
		p += 4;
	} else {
		p = text;
	}
	n = strlen(p);
	if ((q = strstr(p, " (in reply to ")) != NULL)
		n = (size_t) (q - p);
	*rtext = p;
	*rlen = n;
}

/* quote - ESA's quoting: 'x', or "x" when x holds a quote */
char
tracedlv_quote_char(const char *s, size_t n)
{
	return memchr(s, '\'', n) ? '"' : '\'';
}

void
tracedlv_tx_flush(struct trace *tr, struct dproc *p)
{
	size_t	i, nsent = 0;
	char	code[4];
	const char *rt;
	size_t	rl;
	char	q;

	if (!p->tx_pending)
		return;
	p->tx_pending = false;
	for (i = 0; i < p->ntx; i++)
		if (strcmp(p->tx[i].status, "sent") == 0)
			nsent++;
	/* a connection that failed delivered nothing: no start */
	if ((p->tx_dcid != 0 || nsent > 0) && p->ntx > 0 && !p->tx_failed) {
		esa_ids(tr, "Delivery start", p->tx_dcid, p->tx_mid);
		esa_rids(tr, p, false);
		tracedlv_esa_emit(tr, p->tx_t);
	}
	if (nsent > 0) {
		esa_ids(tr, "Message done", p->tx_dcid, p->tx_mid);
		esa_rids(tr, p, true);
		tracedlv_esa_emit(tr, p->tx_t);
		for (i = 0; i < p->ntx; i++) {
			if (strcmp(p->tx[i].status, "sent") != 0)
				continue;
			tracedlv_reply_split(p->tx[i].text, code, &rt, &rl);
			q = tracedlv_quote_char(rt, rl);
			esa_lit(tr, "MID ");
			esa_u64(tr, p->tx_mid);
			esa_lit(tr, " RID [");
			esa_long(tr, p->tx[i].rid);
			esa_lit(tr, "] Response ");
			esa_put(tr, &q, 1);
			esa_put(tr, rt, rl);
			esa_put(tr, &q, 1);
			tracedlv_esa_emit(tr, p->tx_t);
		}
	}
	for (i = 0; i < p->ntx; i++) {
		struct txn_item *it = &p->tx[i];
		bool	soft = strcmp(it->status, "deferred") == 0;
		bool	hard = strcmp(it->status, "bounced") == 0
		    || strcmp(it->status, "expired") == 0;

		if (soft || hard) {
			tracedlv_reply_split(it->text, code, &rt, &rl);
			q = tracedlv_quote_char(rt, rl);
			tracedlv_esa_printf(tr, p->tx_t, "%s: DCID %" PRIu64 " MID %" PRIu64
				   " From: %s To: %s RID %ld - %s - %s ('%s', [%c%.*s%c])%s",
				   soft ? "Delayed" : "Bounced", p->tx_dcid, p->tx_mid,
				   p->tx_from ? p->tx_from : "<>", it->rcpt, it->rid,
				   it->dsn, trace_esa_class(it->dsn, it->status), code,
				   q, (int) rl, rt, q, hard ? " []" : "");
		}
		free(it->rcpt);
		free(it->status);
		free(it->dsn);
		free(it->text);
	}
	p->ntx = 0;
	free(p->tx_from);
	p->tx_from = NULL;
}

/* tx_flush_all - write every pending transaction but keep's */
void
tracedlv_tx_flush_all(struct trace *tr, struct dproc *keep)
{
	struct dproc *p, *next;

	for (p = tr->pend_all; p != NULL; p = next) {
		next = p->pnext;
		p->pnext = NULL;
		if (p == keep)
			continue;
		tracedlv_tx_flush(tr, p);
	}
	tr->pend_all = NULL;
	if (keep != NULL && keep->tx_pending) {
		keep->pnext = NULL;
		tr->pend_all = keep;
	}
}

/* --- DCIDs ------------------------------------------------------------------ */

/*
 * The rule (esmtpguard-trace(1), DCIDS): a DCID names one connection an
 * smtp or lmtp client made, counted from 1 in input order. The lines of
 * one delivery transaction (one process, one queue ID, one relay, one
 * after another) share it; a line with conn_use=N (N > 1) continues the
 * open connection to that relay that has carried N-1 transactions (the
 * connection cache hands a connection from process to process); a
 * failed connection ("connect to ...: Connection refused") is a DCID of
 * its own, shared by the relay=none lines of the same process and
 * target that report it. No connection, no DCID: local, virtual, pipe,
 * discard, error and retry deliveries, failures before any connection
 * (DNS) and expiry get DCID 0, as ESA logs DNS failures.
 */

/* dconn_key - "relay\1uses": where conn_use=N finds the connection */
static size_t
dconn_key(char *buf, size_t size, const char *relay, uint64_t uses)
{
	size_t	n = strlen(relay);

	if (n > size - 24)
		n = size - 24;
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): '\1' and a number follow */
	memcpy(buf, relay, n);
	buf[n] = '\1';
	return n + 1 + trace_u64str(buf + n + 1, uses);
}

/* dconn_index - d carried one more transaction */
void
tracedlv_dconn_use(struct trace *tr, struct dconn *d)
{
	char	key[320];
	size_t	n;

	if (d->uses > 0) {
		n = dconn_key(key, sizeof(key), d->relay, d->uses);
		tracemap_del_val(&tr->dconns, key, n, d);
	}
	d->uses++;
	n = dconn_key(key, sizeof(key), d->relay, d->uses);
	tracemap_put(&tr->dconns, key, n, d);
}

struct dconn *
tracedlv_dconn_new(struct trace *tr, const char *relay, int64_t t)
{
	struct dconn *d = trace_alloc(sizeof(*d));

	d->dcid = ++tr->next_dcid;
	d->relay = trace_strndup(relay, strlen(relay));
	d->last = t;
	trace_tq_push(&tr->dq, &d->q, t + DCONN_IDLE);
	return d;
}

void
tracedlv_dconn_close(struct trace *tr, struct dconn *d)
{
	char	key[320];
	size_t	n = dconn_key(key, sizeof(key), d->relay, d->uses);

	tracemap_del_val(&tr->dconns, key, n, d);
	trace_tq_remove(&tr->dq, &d->q);
	if (tracedlv_esa_on(tr) && d->uses > 0) {
		esa_lit(tr, "DCID ");
		esa_u64(tr, d->dcid);
		esa_lit(tr, " close");
		tracedlv_esa_emit(tr, d->last);
	}
	d->closed = true;
	if (d->refs == 0) {
		free(d->relay);
		free(d);
	}
}

/* set_cur - p's current connection is now d (NULL: none). A process
 * keeps its connection across lines; the connection can idle out in
 * between when the log's time goes back (merged hosts, a DST change),
 * so it stays allocated, closed, until no process holds it. */
void
tracedlv_set_cur(struct dproc *p, struct dconn *d)
{
	struct dconn *old = p->cur;

	if (old == d)
		return;
	if (d != NULL)
		d->refs++;
	p->cur = d;
	if (old != NULL && --old->refs == 0 && old->closed) {
		free(old->relay);
		free(old);
	}
}

/* dconn_reuse - the open connection to relay that carried uses-1 */
struct dconn *
tracedlv_dconn_reuse(struct trace *tr, const char *relay, uint64_t uses)
{
	char	key[320];
	size_t	n = dconn_key(key, sizeof(key), relay, uses - 1);

	return tracemap_get(&tr->dconns, key, n);
}

/* relay_parts - "host[1.2.3.4]:25" as slices of relay, whole */
struct relay_parts {
	struct tl_str host, ip, port;
};

static struct tl_str
part(const char *p, size_t n)
{
	struct tl_str s = {p, n};

	return s;
}

static void
relay_parts(const char *relay, struct relay_parts *x)
{
	const char *b = strchr(relay, '['), *e = b ? strchr(b, ']') : NULL;

	if (b == NULL || e == NULL) {
		x->host = x->ip = part(relay, strlen(relay));
		x->port = part("", 0);
		return;
	}
	x->host = part(relay, (size_t) (b - relay));
	x->ip = part(b + 1, (size_t) (e - b - 1));
	x->port = e[1] == ':' ? part(e + 2, strlen(e + 2)) : part("25", 2);
}

void
tracedlv_new_dcid(struct trace *tr, struct dconn *d, int64_t t)
{
	struct relay_parts x;

	if (!tracedlv_esa_on(tr))
		return;
	relay_parts(d->relay, &x);
	esa_lit(tr, "New SMTP DCID ");
	esa_u64(tr, d->dcid);
	esa_lit(tr, " interface unknown address ");
	esa_put(tr, x.ip.p, x.ip.n);
	if (x.port.n > 0) {
		esa_lit(tr, " port ");
		esa_put(tr, x.port.p, x.port.n);
	}
	tracedlv_esa_emit(tr, t);
}

void
tracedlv_conn_error(struct trace *tr, uint64_t dcid, const char *target,
	       const char *details, int64_t t)
{
	struct relay_parts x;

	if (!tracedlv_esa_on(tr))
		return;
	relay_parts(target, &x);
	if (x.port.n == 0)
		x.port = part("25", 2);
	tracedlv_esa_printf(tr, t, "Connection Error: DCID: %" PRIu64 " domain: %.*s IP: %.*s"
			    " port: %.*s details: %s interface: unknown reason: network error",
			    dcid, (int) x.host.n, x.host.p, (int) x.ip.n, x.ip.p,
			    (int) x.port.n, x.port.p, details);
}

struct dproc *
tracedlv_dproc_get(struct trace *tr, const struct traceline *l)
{
	char	key[256];
	size_t	n = trace_pkey(key, sizeof(key), l);
	struct dproc *p = tracemap_get(&tr->dprocs, key, n);

	if (p == NULL) {
		p = trace_alloc(sizeof(*p));
		p->key = trace_strndup(key, n);
		tracemap_put(&tr->dprocs, key, n, p);
	}
	return p;
}

struct dproc *
tracedlv_dproc_peek(struct trace *tr, const struct traceline *l)
{
	char	key[256];
	size_t	n = trace_pkey(key, sizeof(key), l);

	return tracemap_get(&tr->dprocs, key, n);
}

/* conn_target - "connect to host[ip]:port: reason" in a status text, split
 * in place: target and why point into text, cut at the ": " */
bool
tracedlv_conn_target(char *text, const char **target, const char **why)
{
	char   *p = strstr(text, "connect to "), *q;

	if (p == NULL)
		return false;
	p += 11;
	if ((q = strstr(p, ": ")) == NULL || memchr(p, '[', (size_t) (q - p)) == NULL)
		return false;
	*q = 0;
	*target = p;
	*why = q + 2;
	return true;
}

bool
tracedlv_connectionless(const struct traceline *l)
{
	return !(tl_eq(l->daemon, "smtp") || tl_eq(l->daemon, "lmtp"));
}

/* --- delivery lines --------------------------------------------------------- */

/* rid_of - the RID esmtpguard gave this recipient; a new one if none */
static long
rid_of(struct trace_msg *m, struct tl_str to, struct tl_str orig)
{
	size_t	i;

	for (i = 0; i < m->nrcpts; i++) {
		const char *a = m->rcpts[i].addr;

		if ((orig.n && strlen(a) == orig.n && strncasecmp(a, orig.p, orig.n) == 0)
		    || (strlen(a) == to.n && strncasecmp(a, to.p, to.n) == 0))
			return m->rcpts[i].rid;
	}
	m->rcpts = trace_agrow(trace_msg_arena(m), m->rcpts, m->nrcpts, sizeof(*m->rcpts));
	m->rcpts[m->nrcpts].rid = (long) m->nrcpts;
	{
		struct tl_str a = orig.n ? orig : to;

		m->rcpts[m->nrcpts].addr = trace_arena_strndup(trace_msg_arena(m), a.p, a.n);
	}
	return (long) m->nrcpts++;
}


static struct trace_dlv *
add_dlv(struct trace_msg *m, const struct traceline *l, uint64_t dcid, long rid,
	const char *status)
{
	struct trace_dlv *d;

	m->dlvs = trace_agrow(trace_msg_arena(m), m->dlvs, m->ndlvs, sizeof(*m->dlvs));
	d = &m->dlvs[m->ndlvs++];
	memset(d, 0, sizeof(*d));
	d->t = l->t;
	d->dcid = dcid;
	d->rid = rid;
	trace_dlv_pack(m, d, l->addr.p, l->addr.n, l->relay.p, l->relay.n, l->daemon.p,
		 l->daemon.n, l->dsn.p, l->dsn.n, status, strlen(status), l->value.p,
		 l->value.n);
	return d;
}

/* keep - *dst becomes s[0..n): a process's queue ID and relay change
 * with every transaction, and its buffers are reused when big enough */
static void
keep(char **dst, size_t *cap, const char *s, size_t n)
{
	if (*dst == NULL || n >= *cap) {
		free(*dst);
		*cap = n < 32 ? 32 : n + 1;
		if ((*dst = malloc(*cap)) == NULL)
			trace_nomem();
	}
	memcpy(*dst, s, n);
	(*dst)[n] = 0;
}

static void
tx_add(struct trace *tr, struct dproc *p, const struct trace_msg *m,
       uint64_t dcid, const struct trace_dlv *d)
{
	struct txn_item *it;

	if (!tracedlv_esa_on(tr))
		return;
	if (p->tx_pending && (p->tx_dcid != dcid || p->tx_mid != m->mid
			      || p->tx_t != d->t))
		tracedlv_tx_flush(tr, p);
	if (!p->tx_pending) {
		p->tx_pending = true;
		p->tx_dcid = dcid;
		p->tx_mid = m->mid;
		p->tx_t = d->t;
		p->tx_failed = d->conn_failed;
		free(p->tx_from);
		p->tx_from = trace_strndup(m->from ? m->from : m->pf_from ? m->pf_from : "<>",
					   strlen(m->from ? m->from : m->pf_from ? m->pf_from : "<>"));
		p->pnext = tr->pend_all;
		tr->pend_all = p;
	}
	p->tx = trace_grow(p->tx, p->ntx, sizeof(*p->tx));
	it = &p->tx[p->ntx++];
	it->rid = d->rid;
	it->rcpt = trace_strndup(d->rcpt, strlen(d->rcpt));
	it->status = trace_strndup(d->status, strlen(d->status));
	it->dsn = trace_strndup(d->dsn, strlen(d->dsn));
	it->text = trace_strndup(d->text, strlen(d->text));
}

void
tracedlv_delivery(struct trace *tr, const struct traceline *l)
{
	struct trace_msg *m = trace_qid_msg(tr, l->qid, l->t, true);
	struct dproc *p = tracedlv_dproc_get(tr, l);
	char	sbuf[32], rbuf[320], vbuf[1024], *status, *relay, *value = NULL;
	const char *target, *why;
	uint64_t dcid = 0;
	bool	failed = false, same;
	struct trace_dlv *d;
	long	rid;

	status = trace_slice(sbuf, sizeof(sbuf), l->status);
	relay = trace_slice(rbuf, sizeof(rbuf), l->relay);
	m->queued = true;
	trace_tq_remove(&tr->mq, &m->q);
	same = p->qid != NULL && strlen(p->qid) == l->qid.n
	    && memcmp(p->qid, l->qid.p, l->qid.n) == 0 && p->t == l->t
	    && p->relay != NULL && strcmp(p->relay, relay) == 0;
	if (tracedlv_connectionless(l)) {
		dcid = 0;
	} else if (tl_eq(l->relay, "none")) {
		value = trace_slice(vbuf, sizeof(vbuf), l->value);
		if (tracedlv_conn_target(value, &target, &why)) {
			failed = true;
			if (same && p->cerr_dcid != 0)
				/* NOLINTNEXTLINE(bugprone-branch-clone): two ways to match */
				dcid = p->cerr_dcid;
			else if (p->cerr_dcid != 0 && p->cerr_target != NULL
				 && strcmp(p->cerr_target, target) == 0
				 && l->t - p->cerr_t <= 2) {
				dcid = p->cerr_dcid;
			} else {
				dcid = ++tr->next_dcid;
				tracedlv_conn_error(tr, dcid, target, why, l->t);
			}
			p->cerr_dcid = dcid;
			free(p->cerr_target);
			p->cerr_target = trace_strndup(target, strlen(target));
			p->cerr_t = l->t;
		}
	} else {
		struct dconn *dc = NULL;

		if (same && p->cur != NULL && !p->cur->closed)
			dc = p->cur;
		else if (l->num > 1)
			dc = tracedlv_dconn_reuse(tr, relay, l->num);
		if (dc == NULL) {
			dc = tracedlv_dconn_new(tr, relay, l->t);
			tracedlv_new_dcid(tr, dc, l->t);
		}
		if (!same || p->cur_dcid != dc->dcid)
			tracedlv_dconn_use(tr, dc);
		dc->last = l->t;
		trace_tq_remove(&tr->dq, &dc->q);
		trace_tq_push(&tr->dq, &dc->q, l->t + DCONN_IDLE);
		tracedlv_set_cur(p, dc);
		p->cur_dcid = dc->dcid;
		dcid = dc->dcid;
	}
	keep(&p->qid, &p->qid_cap, l->qid.p, l->qid.n);
	keep(&p->relay, &p->relay_cap, relay, strlen(relay));
	p->t = l->t;
	rid = rid_of(m, l->addr, l->name);
	d = add_dlv(m, l, dcid, rid, status);
	d->conn_failed = failed;
	tx_add(tr, p, m, dcid, d);
	trace_slice_free(status, sbuf);
	trace_slice_free(relay, rbuf);
	if (value != NULL)
		trace_slice_free(value, vbuf);
}

void
tracedlv_connerr(struct trace *tr, const struct traceline *l)
{
	struct dproc *p = tracedlv_dproc_get(tr, l);
	char	tbuf[320], wbuf[1024];
	char   *target = trace_slice(tbuf, sizeof(tbuf), l->relay);
	char   *why = trace_slice(wbuf, sizeof(wbuf), l->value);

	p->cerr_dcid = ++tr->next_dcid;
	free(p->cerr_target);
	p->cerr_target = trace_strndup(target, strlen(target));
	p->cerr_t = l->t;
	free(p->qid);
	p->qid = NULL;
	tracedlv_conn_error(tr, p->cerr_dcid, target, why, l->t);
	trace_slice_free(target, tbuf);
	trace_slice_free(why, wbuf);
}

void
tracedlv_expired(struct trace *tr, const struct traceline *l)
{
	struct trace_msg *m = trace_qid_msg(tr, l->qid, l->t, true);
	size_t	i, j, n = m->ndlvs;

	m->expired = true;
	m->queued = true;
	/* every recipient whose last word was "deferred" is returned */
	for (i = 0; i < n; i++) {
		struct trace_dlv *d = &m->dlvs[i], *e;
		bool	later = false;

		for (j = i + 1; j < n; j++)
			if (m->dlvs[j].rid == d->rid)
				later = true;
		if (later || strcmp(d->status, "deferred") != 0)
			continue;
		m->dlvs = trace_agrow(trace_msg_arena(m), m->dlvs, m->ndlvs, sizeof(*m->dlvs));
		d = &m->dlvs[i];
		e = &m->dlvs[m->ndlvs++];
		memset(e, 0, sizeof(*e));
		e->t = l->t;
		e->rid = d->rid;
		trace_dlv_pack(m, e, d->rcpt, strlen(d->rcpt), d->relay, strlen(d->relay),
			 "qmgr", 4, "5.4.7", 5, "expired", 7, d->text, strlen(d->text));
		if (tracedlv_esa_on(tr)) {
			char	code[4];
			const char *rt;
			size_t	rl;
			char	q;

			tracedlv_reply_split(e->text, code, &rt, &rl);
			q = tracedlv_quote_char(rt, rl);
			tracedlv_esa_printf(tr, l->t, "Bounced: DCID 0 MID %" PRIu64 " From: %s To: %s"
				   " RID %ld - 5.4.7 - %s ('%s', [%c%.*s%c]) []", m->mid,
				   m->from ? m->from : m->pf_from ? m->pf_from : "<>",
				   e->rcpt, e->rid, trace_esa_class("5.4.7", "expired"),
				   code, q, (int) rl, rt, q);
		}
	}
}
