/*++
 * NAME
 *	trace 3
 * SUMMARY
 *	the esmtpguard-trace correlator
 * DESCRIPTION
 *	See trace.h. Three kinds of open state, each in a table keyed by
 *	the text the log uses: esmtpguard connections (ICID) and messages
 *	(MID, and queue ID once known), Postfix smtpd sessions and delivery
 *	processes (host + pid). Whatever waits for the other log's side of
 *	a link sits in a FIFO with a deadline (time of the line + window);
 *	trace_feed() advances the clock and expires the heads, so nothing
 *	waits forever and memory follows what is open, not the log's size.
 *
 *	The clock is the largest time stamp seen: a line that comes late
 *	(interleaved files, a syslog relay) is still joined by its IDs;
 *	only the address fallback and the deadlines depend on time.
 *--*/
#include <config.h>

#include "tracepriv.h"

static void msg_check(struct trace *, struct trace_msg *);
static void conn_settle(struct trace *, struct trace_conn *, enum trace_end);

/* --- deadline queues --------------------------------------------------- */

void
trace_tq_push(struct tq *q, struct trace_qlink *l, int64_t deadline)
{
	if (l->on)
		return;
	l->on = true;
	l->deadline = deadline;
	l->next = NULL;
	l->prev = q->tail;
	if (q->tail)
		q->tail->next = l;
	else
		q->head = l;
	q->tail = l;
}

void
trace_tq_remove(struct tq *q, struct trace_qlink *l)
{
	if (!l->on)
		return;
	if (l->prev)
		l->prev->next = l->next;
	else
		q->head = l->next;
	if (l->next)
		l->next->prev = l->prev;
	else
		q->tail = l->prev;
	l->on = false;
	l->prev = l->next = NULL;
}

/* --- small helpers ------------------------------------------------------ */

/* copy - a slice into a buffer: only for a client address, which the
 * parser takes only when it fits (TL_ADDR_MAX) */
static void
copy(char *buf, size_t size, struct tl_str s)
{
	size_t	n = s.n < size - 1 ? s.n : size - 1;

	memcpy(buf, s.p, n);
	buf[n] = 0;
}

/* trace_slice - a slice as a C string, whole: in buf when it fits (the
 * common case costs no malloc), else in memory of its own; then
 * trace_slice_free */
char *
trace_slice(char *buf, size_t size, struct tl_str s)
{
	char   *p = s.n < size ? buf : trace_alloc(s.n + 1);

	memcpy(p, s.p, s.n);
	p[s.n] = 0;
	return p;
}

void
trace_slice_free(char *p, const char *buf)
{
	if (p != buf)
		free(p);
}

/*
 * A record's strings live in its arena (tracemap.h), which sits right
 * after it in one block: a box. Freed boxes are kept for reuse, as many
 * as were ever open at once, so records cost no malloc in the steady
 * state. The text sizes hold a typical record's strings.
 */
#define MSG_TEXT	640
#define CONN_TEXT	256

struct msg_box {
	struct trace_msg m;		/* first: a box is its record */
	struct trace_arena ar;
	char	text[MSG_TEXT];
};

struct conn_box {
	struct trace_conn c;
	struct trace_arena ar;
	char	text[CONN_TEXT];
};

/* spare_get - a zeroed object from the spares or malloc (the first zero
 * bytes zeroed: a box's text needs none) */
static void *
spare_get(void **spare, size_t size, size_t zero)
{
	void   *p = *spare;

	if (p != NULL)
		memcpy(spare, p, sizeof(void *));
	else if ((p = malloc(size)) == NULL)
		trace_nomem();
	return memset(p, 0, zero);
}

static void
spare_put(void **spare, void *p)
{
	if (!TRACE_RECYCLE) {
		free(p);
		return;
	}
	memcpy(p, spare, sizeof(void *));
	*spare = p;
}

static void
spare_free(void **spare)
{
	void   *p, *next;

	for (p = *spare; p != NULL; p = next) {
		memcpy(&next, p, sizeof(void *));
		free(p);
	}
	*spare = NULL;
}

struct trace_arena *
trace_msg_arena(struct trace_msg *m)
{
	return &((struct msg_box *) (void *) m)->ar;
}

static struct trace_arena *
conn_arena(struct trace_conn *c)
{
	return &((struct conn_box *) (void *) c)->ar;
}

/* astr, acopy - a record's own copy, in its arena */
static char *
astr(struct trace_arena *a, struct tl_str s)
{
	return trace_arena_strndup(a, s.p, s.n);
}

static char *
acopy(struct trace_arena *a, const char *s)
{
	return s ? trace_arena_strndup(a, s, strlen(s)) : NULL;
}

#define mstr(m, s)	astr(trace_msg_arena(m), (s))
#define mcopy(m, s)	acopy(trace_msg_arena(m), (s))

/* pack - n strings that belong together in one piece of an arena
 * (a delivery, a rule hit). A NULL string gives a NULL field, except
 * the first: an empty string. */
static void
pack(struct trace_arena *a, char **out[], const char *const *str,
     const size_t *len, size_t n)
{
	size_t	i, total = 0;
	char   *p;

	for (i = 0; i < n; i++)
		total += str[i] ? len[i] + 1 : 0;
	p = trace_arena_alloc(a, total + 1);
	for (i = 0; i < n; i++) {
		if (str[i] == NULL) {
			if (i == 0)
				*p = 0;
			*out[i] = i == 0 ? p++ : NULL;
			continue;
		}
		memcpy(p, str[i], len[i]);
		p[len[i]] = 0;
		*out[i] = p;
		p += len[i] + 1;
	}
}

static uint64_t
num(struct tl_str s)
{
	uint64_t v = 0;
	size_t	i, n = s.n < 20 ? s.n : 20;

	/* cppcheck-suppress knownConditionTrueFalse ; s.n is a field's length */
	for (i = 0; i < n; i++)
		v = v * 10 + (uint64_t) (s.p[i] - '0');
	return v;
}

/* idkey - an ICID or MID as the key of its table: the number itself,
 * its eight bytes (a record is removed by its number; the log's text may
 * say "007" or more than 64 bits hold). No decimal to write, and one
 * word to hash and compare. */
static size_t
idkey(uint64_t id, char key[32])
{
	memcpy(key, &id, sizeof(id));
	return sizeof(id);
}

void *
trace_grow(void *arr, size_t n, size_t size)
{
	/* capacity doubles at powers of two */
	if (n == 0 || (n & (n - 1)) == 0) {
		void   *p = realloc(arr, (n ? n * 2 : 1) * size);

		if (p == NULL)
			trace_nomem();
		return p;
	}
	return arr;
}

/* trace_agrow - trace_grow() for an array in a record's arena: the old one stays
 * behind, at most as big as the new one */
void *
trace_agrow(struct trace_arena *a, void *arr, size_t n, size_t size)
{
	void   *p;

	if (n != 0 && (n & (n - 1)) != 0)
		return arr;
	p = trace_arena_array(a, (n ? n * 2 : 1) * size);
	if (n > 0)
		memcpy(p, arr, n * size);
	return p;
}

/* trace_u64str - decimal digits of v, as a key (no printf on the hot path) */
size_t
trace_u64str(char *buf, uint64_t v)
{
	/* two digits per division, from the end */
	static const char d2[] =
	    "0001020304050607080910111213141516171819"
	    "2021222324252627282930313233343536373839"
	    "4041424344454647484950515253545556575859"
	    "6061626364656667686970717273747576777879"
	    "8081828384858687888990919293949596979899";
	char	tmp[24], *p = tmp + sizeof(tmp);
	size_t	n;

	while (v >= 100) {
		p -= 2;
		memcpy(p, d2 + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, d2 + 2 * v, 2);
	} else {
		*--p = (char) ('0' + v);
	}
	n = (size_t) (tmp + sizeof(tmp) - p);
	memcpy(buf, p, n);
	buf[n] = 0;
	return n;
}

/* pkey - "host pid" of a Postfix process. A host name longer than
 * PKEY_HOST (only a damaged log has one) keeps its head and a digest of
 * all of it, so that two such hosts that differ only in their tails stay
 * two keys instead of one cut key */
#define PKEY_HOST	200
#define PKEY_HEAD	(PKEY_HOST - 17)	/* '#' and 16 hex digits */

size_t
trace_pkey(char *buf, size_t size, const struct traceline *l)
{
	/* the key is a C string where it is freed (strlen): a NUL in a
	 * damaged log's host name must end it here too */
	size_t	h = strnlen(l->host.p, l->host.n);

	(void) size;			/* >= PKEY_HOST + 22 */
	if (h <= PKEY_HOST) {
		memcpy(buf, l->host.p, h);
	} else {
		uint64_t d = 14695981039346656037ULL;	/* FNV-1a */
		size_t	i;

		for (i = 0; i < h; i++)
			d = (d ^ (unsigned char) l->host.p[i]) * 1099511628211ULL;
		memcpy(buf, l->host.p, PKEY_HEAD);
		buf[PKEY_HEAD] = '#';
		for (i = 0; i < 16; i++)
			buf[PKEY_HOST - 1 - i] = "0123456789abcdef"[(d >> (4 * i)) & 15];
		h = PKEY_HOST;
	}
	buf[h] = ' ';
	return h + 1 + trace_u64str(buf + h + 1, (uint64_t) (l->pid < 0 ? 0 : l->pid));
}

/* addr_eq - two addresses in the forms the logs use ("IPv6:" aside) */
static bool
addr_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return false;
	if (strncasecmp(a, "IPv6:", 5) == 0)
		a += 5;
	if (strncasecmp(b, "IPv6:", 5) == 0)
		b += 5;
	return strcasecmp(a, b) == 0;
}

const char *
trace_esa_class(const char *dsn, const char *status)
{
	/* ESA's own words where they are known (cisco-asa-esa.md 2.4), RFC
	 * 3463's subject names otherwise */
	if (status != NULL && strcmp(status, "expired") == 0)
		return "Delivery expired (message too old)";
	if (dsn == NULL || strlen(dsn) < 3 || dsn[1] != '.')
		return "Other error";
	switch (dsn[2]) {
	case '1':
		if (strncmp(dsn + 2, "1.2", 3) == 0)
			return "Bad destination host";
		return "Unknown address error";
	case '2':
		return "Mailbox error";
	case '3':
		if (strncmp(dsn + 2, "3.2", 3) == 0)
			return "Not accepting messages at this time";
		return "Mail system error";
	case '4':
		if (strncmp(dsn + 2, "4.7", 3) == 0)
			return "Delivery expired (message too old)";
		return "Other network problem";
	case '5':
		return "Protocol error";
	case '6':
		return "Message content error";
	case '7':
		return "Security or policy error";
	default:
		return "Other error";
	}
}

/* --- records: creation, lookup ------------------------------------------ */

/* evict - more open than max_open: the oldest go out as they are */
static void
evict(struct trace *tr)
{
	while (tr->nmsgs > tr->max_open && tr->mfirst != NULL) {
		tr->mfirst->incomplete = true;
		trace_msg_emit(tr, tr->mfirst);
	}
	while (tr->nconns > tr->max_open && tr->cfirst != NULL) {
		struct trace_conn *c = tr->cfirst;
		size_t	i;

		c->evicted = true;
		for (i = 0; i < c->nopen; i++)
			if (c->msgs[i] != NULL)
				c->msgs[i]->incomplete = true;
		conn_settle(tr, c, TRACE_END_UNKNOWN);
	}
}

static struct trace_conn *
conn_get(struct trace *tr, struct tl_str icid, int64_t t)
{
	char	key[32];
	uint64_t id = num(icid);
	size_t	kn = idkey(id, key);
	struct trace_conn *c = tracemap_get(&tr->conns, key, kn);

	if (c != NULL)
		return c;
	c = spare_get(&tr->spare_conns, sizeof(struct conn_box), sizeof(struct conn_box));
	trace_arena_init(conn_arena(c), ((struct conn_box *) (void *) c)->text, CONN_TEXT);
	c->icid = id;
	c->t_open = c->t_close = t;
	c->smtpd_pid = -1;
	c->refs = 1;
	tracemap_put(&tr->conns, key, kn, c);
	c->prev = tr->clast;
	if (tr->clast)
		tr->clast->next = c;
	else
		tr->cfirst = c;
	tr->clast = c;
	tr->nconns++;
	return c;
}

static void
conn_unref(struct trace *tr, struct trace_conn *c)
{
	if (--c->refs > 0)
		return;
	trace_arena_free(conn_arena(c));
	spare_put(&tr->spare_conns, c);
}

static struct trace_msg *
msg_new(struct trace *tr, uint64_t mid, int64_t t)
{
	struct trace_msg *m = spare_get(&tr->spare_msgs, sizeof(struct msg_box),
					offsetof(struct msg_box, text));

	trace_arena_init(trace_msg_arena(m), ((struct msg_box *) (void *) m)->text, MSG_TEXT);
	m->mid = mid;
	m->t_start = m->t_last = t;
	m->prev = tr->mlast;
	if (tr->mlast)
		tr->mlast->next = m;
	else
		tr->mfirst = m;
	tr->mlast = m;
	tr->nmsgs++;
	return m;
}

static struct trace_msg *
msg_get(struct trace *tr, struct tl_str mid, int64_t t)
{
	char	key[32];
	uint64_t id = num(mid);
	size_t	kn = idkey(id, key);
	struct trace_msg *m = tracemap_get(&tr->msgs, key, kn);

	if (m != NULL) {
		if (t > m->t_last)
			m->t_last = t;
		return m;
	}
	m = msg_new(tr, id, t);
	tracemap_put(&tr->msgs, key, kn, m);
	return m;
}

/* msg_attach - a message of a connection */
static void
msg_attach(struct trace *tr, struct trace_msg *m, struct tl_str icid, int64_t t)
{
	if (m->conn != NULL || icid.n == 0)
		return;
	m->conn = conn_get(tr, icid, t);
	m->icid = m->conn->icid;
	m->conn->refs++;
	m->conn->nmsgs++;
	m->conn->msgs = trace_agrow(conn_arena(m->conn), m->conn->msgs, m->conn->nopen,
			      sizeof(*m->conn->msgs));
	m->conn->msgs[m->conn->nopen++] = m;
}


static void
msg_free(struct trace *tr, struct trace_msg *m)
{
	size_t	i;
	char	key[32];
	int	n;

	if (m->prev)
		m->prev->next = m->next;
	else
		tr->mfirst = m->next;
	if (m->next)
		m->next->prev = m->prev;
	else
		tr->mlast = m->prev;
	tr->nmsgs--;
	trace_tq_remove(&tr->mq, &m->q);
	/* also MID 0 (a log can say so): only m itself is removed */
	n = (int) idkey(m->mid, key);
	tracemap_del_val(&tr->msgs, key, (size_t) n, m);
	if (m->qid != NULL)
		tracemap_del_val(&tr->qids, m->qid, strlen(m->qid), m);
	if (m->conn) {
		for (i = 0; i < m->conn->nopen; i++)
			if (m->conn->msgs[i] == m)
				m->conn->msgs[i] = NULL;
		conn_unref(tr, m->conn);
	}
	trace_arena_free(trace_msg_arena(m));
	spare_put(&tr->spare_msgs, m);
}

/* msg_emit - hand the record over and free it */
void
trace_msg_emit(struct trace *tr, struct trace_msg *m)
{
	if (m->abort_logged != NULL) {
		/* the milter cannot tell QUIT from a dropped connection:
		 * Postfix's own view settles "Receiving aborted" */
		if (strcmp(m->abort_logged, "Receiving aborted") == 0 && m->conn
		    && m->conn->end == TRACE_END_QUIT)
			m->abort = mcopy(m, "Receiving aborted by sender");
		else
			m->abort = mcopy(m, m->abort_logged);
	}
	if (tr->sink.record && (m->mid != 0 || m->queued || m->reject))
		tr->sink.record(m, tr->sink.arg);
	msg_free(tr, m);
}

/* msg_ready - complete: received (or not), its connection settled and
 * Postfix done with it */
static bool
msg_ready(const struct trace *tr, const struct trace_msg *m)
{
	(void) tr;
	if (m->incomplete)
		return true;
	if (m->mid == 0)
		/* a grace period: esmtpguard's line naming its MID may come
		 * a moment later from another file */
		return m->waited && (m->removed || !m->queued);
	if (m->state == TRACE_MSG_OPEN)
		return false;
	if (m->conn == NULL && !m->waited)
		return false;		/* its Start line may come late */
	if (m->conn != NULL && !m->conn->settled)
		return false;
	if (m->state == TRACE_MSG_ABORTED || m->removed || m->qid == NULL)
		return true;
	/* accepted: wait for Postfix's delivery lines unless none come */
	return !m->queued && m->waited;
}

static void
msg_check(struct trace *tr, struct trace_msg *m)
{
	if (msg_ready(tr, m)) {
		trace_msg_emit(tr, m);
		return;
	}
	/* not in the queue (yet): how long to wait for Postfix's side */
	if (m->mid == 0 && m->removed)
		trace_tq_push(&tr->mq, &m->q, tr->now + LINK_GRACE);
	else if (m->mid != 0 && m->conn == NULL && m->state != TRACE_MSG_OPEN)
		/* NOLINTNEXTLINE(bugprone-branch-clone): two reasons to wait */
		trace_tq_push(&tr->mq, &m->q, tr->now + tr->window);
	else if (!m->queued && (m->mid == 0 || m->state == TRACE_MSG_DONE))
		trace_tq_push(&tr->mq, &m->q, tr->now + tr->window);
	else if (m->queued)
		trace_tq_remove(&tr->mq, &m->q);
}

/* --- connections ---------------------------------------------------------- */

static void
conn_settle(struct trace *tr, struct trace_conn *c, enum trace_end end)
{
	char	key[32];
	int	n;
	size_t	i;

	if (c->settled)
		return;
	c->settled = true;
	if (c->end == TRACE_END_UNKNOWN)
		c->end = end;
	trace_tq_remove(&tr->cq, &c->q);
	n = (int) idkey(c->icid, key);
	tracemap_del_val(&tr->conns, key, (size_t) n, c);
	if (c->prev)
		c->prev->next = c->next;
	else if (tr->cfirst == c)
		tr->cfirst = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else if (tr->clast == c)
		tr->clast = c->prev;
	c->prev = c->next = NULL;
	tr->nconns--;
	if (tr->sink.conn_done)
		tr->sink.conn_done(c, tr->sink.arg);
	c->refs++;			/* msg_check may free messages */
	for (i = 0; i < c->nopen; i++)
		if (c->msgs[i] != NULL)
			msg_check(tr, c->msgs[i]);
	c->refs--;
	conn_unref(tr, c);		/* the "open" reference */
}

static void
conn_add_reply(struct trace_conn *c, const char *text, size_t len)
{
	if (c->nreplies < 4)
		c->replies[c->nreplies] = trace_arena_strndup(conn_arena(c), text, len);
	c->nreplies++;
}

/* --- Postfix smtpd sessions ------------------------------------------------ */

static void
smtpd_free(struct trace *tr, struct smtpd *s)
{
	size_t	i;

	trace_tq_remove(&tr->sq, &s->q);
	tracemap_del_val(&tr->smtpds, s->key, strlen(s->key), s);
	for (i = 0; i < s->nqids; i++) {
		tracemap_del_val(&tr->qsmtpd, s->qids[i], strlen(s->qids[i]), s);
	}
	if (s->conn)
		conn_unref(tr, s->conn);
	trace_arena_free(&s->ar);
	spare_put(&tr->spare_smtpds, s);
}

/* smtpd_apply - the session's end settles its connection */
static void
smtpd_apply(struct trace *tr, struct smtpd *s)
{
	struct trace_conn *c = s->conn;

	c->end = s->end;
	c->end_after = acopy(conn_arena(c), s->after);
	c->end_stats = acopy(conn_arena(c), s->stats);
	if (c->closed)
		conn_settle(tr, c, s->end);
	smtpd_free(tr, s);
}

/* smtpd_link - this session is that connection */
static void
smtpd_link(struct trace *tr, struct smtpd *s, struct trace_conn *c)
{
	size_t	i;

	if (s->conn != NULL || c->settled || c->smtpd_pid >= 0)
		return;
	s->conn = c;
	c->refs++;
	c->smtpd_pid = s->pid;
	for (i = 0; i < s->nreplies && i < 4; i++)
		conn_add_reply(c, s->replies[i], strlen(s->replies[i]));
	if (s->ended)
		smtpd_apply(tr, s);
}

static struct smtpd *
smtpd_get(struct trace *tr, const struct traceline *l, bool create)
{
	char	key[256];
	size_t	n = trace_pkey(key, sizeof(key), l);
	struct smtpd *s = tracemap_get(&tr->smtpds, key, n);

	if (s != NULL || !create)
		return s;
	s = spare_get(&tr->spare_smtpds, sizeof(*s), offsetof(struct smtpd, key));
	s->conn_addr[0] = s->addr[0] = 0;
	trace_arena_init(&s->ar, s->text, SMTPD_TEXT);
	memcpy(s->key, key, n);
	s->key[n] = 0;
	s->pid = l->pid;
	s->t_connect = l->t;
	tracemap_put(&tr->smtpds, key, n, s);
	return s;
}

/* icid_in - "(ICID 123" in a reply esmtpguard wrote */
static bool
icid_in(struct tl_str text, struct tl_str *icid)
{
	const char *p = text.p, *e = text.p + text.n;

	for (; e - p > 6; p++) {
		if (memcmp(p, "(ICID ", 6) == 0) {
			const char *d = p + 6, *q = d;

			while (q < e && *q >= '0' && *q <= '9')
				q++;
			if (q > d && q - d <= 20) {
				icid->p = d;
				icid->n = (size_t) (q - d);
				return true;
			}
		}
	}
	return false;
}

/* match_close - the oldest closed, unsettled connection from addr whose
 * close is within the window of t */
static struct trace_conn *
match_close(struct trace *tr, const char *addr, int64_t t, int64_t lo)
{
	struct trace_qlink *l;
	int	n = 0;

	for (l = tr->cq.head; l != NULL && n < SCAN_MAX; l = l->next, n++) {
		struct trace_conn *c = OWNER(l, struct trace_conn, q);

		if (c->smtpd_pid < 0 && addr_eq(c->addr, addr)
		    && c->t_close >= lo && c->t_close <= t + tr->window)
			return c;
	}
	return NULL;
}

static void
on_disconnect(struct trace *tr, const struct traceline *l)
{
	struct smtpd *s = smtpd_get(tr, l, true);
	struct trace_conn *c;
	unsigned i;

	copy(s->addr, sizeof(s->addr), l->addr);
	if (s->conn_addr[0] == 0)
		copy(s->conn_addr, sizeof(s->conn_addr), l->addr);
	s->stats = astr(&s->ar, l->value);
	s->xclient = (unsigned) (l->num > 8 ? 8 : l->num);
	s->t_end = l->t;
	s->ended = true;
	if (l->quit)
		s->end = TRACE_END_QUIT;
	else if (s->end == TRACE_END_UNKNOWN)
		s->end = TRACE_END_MTA;
	/* the milter connections XCLIENT replaced end with this session */
	for (i = 0; i < s->xclient; i++) {
		if ((c = match_close(tr, s->conn_addr, l->t, s->t_connect - 1)) == NULL)
			break;
		c->end = TRACE_END_XCLIENT;
		c->smtpd_pid = s->pid;
		conn_settle(tr, c, TRACE_END_XCLIENT);
	}
	if (s->conn != NULL) {
		smtpd_apply(tr, s);
		return;
	}
	if ((c = match_close(tr, s->addr, l->t, l->t - tr->window)) != NULL) {
		smtpd_link(tr, s, c);
		return;
	}
	/* esmtpguard's close may come later (the other file) */
	tracemap_del(&tr->smtpds, s->key, strlen(s->key));
	trace_tq_push(&tr->sq, &s->q, l->t + tr->window);
}

/* on_close - esmtpguard's last line of a connection */
static void
on_close(struct trace *tr, struct trace_conn *c, int64_t t)
{
	struct trace_qlink *l;
	int	n = 0;

	c->closed = true;
	c->t_close = t;
	if (c->smtpd_pid >= 0 && c->end != TRACE_END_UNKNOWN) {
		conn_settle(tr, c, c->end);
		return;
	}
	if (c->smtpd_pid >= 0) {
		/* linked; the session's end is still to come */
		trace_tq_push(&tr->cq, &c->q, t + tr->window);
		return;
	}
	for (l = tr->sq.head; l != NULL && n < SCAN_MAX; l = l->next, n++) {
		struct smtpd *s = OWNER(l, struct smtpd, q);

		if (addr_eq(s->addr, c->addr) && s->t_end >= t - tr->window) {
			smtpd_link(tr, s, c);
			return;
		}
	}
	trace_tq_push(&tr->cq, &c->q, t + tr->window);
}

/* --- messages and queue IDs -------------------------------------------------- */

/* trace_qid_msg - the record of a queue ID, a Postfix-only one if need be */
struct trace_msg *
trace_qid_msg(struct trace *tr, struct tl_str qid, int64_t t, bool create)
{
	struct trace_msg *m = tracemap_get(&tr->qids, qid.p, qid.n);

	if (m != NULL || !create) {
		if (m != NULL && t > m->t_last)
			m->t_last = t;
		return m;
	}
	m = msg_new(tr, 0, t);
	m->qid = mstr(m, qid);
	tracemap_put(&tr->qids, qid.p, qid.n, m);
	return m;
}

/* merge - what Postfix said about a queue ID before esmtpguard's line
 * tying it to a MID arrived */
static void
merge(struct trace *tr, struct trace_msg *from, struct trace_msg *to)
{
#define TAKE(f) do { if (to->f == NULL) to->f = mcopy(to, from->f); } while (0)
	size_t	i;

	TAKE(pf_from);
	TAKE(pf_msgid);
	TAKE(reject);
	TAKE(notify_qid);
	TAKE(notify_kind);
	TAKE(orig_qid);
#undef TAKE
	to->pf_size = to->pf_size ? to->pf_size : from->pf_size;
	to->queued = to->queued || from->queued;
	to->removed = to->removed || from->removed;
	to->expired = to->expired || from->expired;
	for (i = 0; i < from->ndlvs; i++) {
		struct trace_dlv *d = &from->dlvs[i], *e;

		to->dlvs = trace_agrow(trace_msg_arena(to), to->dlvs, to->ndlvs, sizeof(*to->dlvs));
		e = &to->dlvs[to->ndlvs++];
		*e = *d;
		trace_dlv_pack(to, e, d->rcpt, strlen(d->rcpt), d->relay, strlen(d->relay),
			 d->daemon, strlen(d->daemon), d->dsn, strlen(d->dsn),
			 d->status, strlen(d->status), d->text, strlen(d->text));
	}
	/* msg_free must not remove the MID's entry under this queue ID */
	tracemap_del(&tr->qids, from->qid, strlen(from->qid));
	from->qid = NULL;
	msg_free(tr, from);
}

static void
on_qid(struct trace *tr, struct trace_msg *m, const struct traceline *l)
{
	struct trace_msg *old;
	struct smtpd *s;

	/* One queue ID per message: a second one for the same MID (two
	 * esmtpguards numbering alike into one log, a lost state_dir) is
	 * another message. Mapping it here would leave the map pointing at
	 * this record after msg_free, which removes m->qid only. */
	if (m->qid != NULL && !tl_eq(l->qid, m->qid))
		return;
	old = tracemap_get(&tr->qids, l->qid.p, l->qid.n);
	if (m->qid == NULL)
		m->qid = mstr(m, l->qid);
	if (old != NULL && old != m)
		merge(tr, old, m);
	tracemap_put(&tr->qids, l->qid.p, l->qid.n, m);
	if (m->conn && (s = tracemap_get(&tr->qsmtpd, l->qid.p, l->qid.n)) != NULL)
		smtpd_link(tr, s, m->conn);
}

static void
add_hit(struct trace_arena *a, struct trace_hit **hits, size_t *n,
	const struct traceline *l, uint64_t mid)
{
	struct trace_hit *h;

	*hits = trace_agrow(a, *hits, *n, sizeof(**hits));
	h = &(*hits)[(*n)++];
	h->t = l->t;
	h->mid = mid;
	{
		char  **out[] = {&h->policy, &h->rule, &h->gt, &h->value, &h->action};
		const char *str[] = {l->policy.p, l->rule.p, l->gt.n ? l->gt.p : NULL,
				     l->value.n ? l->value.p : NULL, l->action.p};
		const size_t len[] = {l->policy.n, l->rule.n, l->gt.n, l->value.n, l->action.n};

		pack(a, out, str, len, 5);
	}
}

/* trace_dlv_pack - a delivery's six strings, in m's arena */
void
trace_dlv_pack(struct trace_msg *m, struct trace_dlv *d, const char *rcpt, size_t rl,
	 const char *relay, size_t yl, const char *daemon, size_t dl,
	 const char *dsn, size_t sl, const char *status, size_t tl,
	 const char *text, size_t xl)
{
	char  **out[] = {&d->rcpt, &d->relay, &d->daemon, &d->dsn, &d->status, &d->text};
	const char *str[] = {rcpt, relay, daemon, dsn, status, text};
	const size_t len[] = {rl, yl, dl, sl, tl, xl};

	pack(trace_msg_arena(m), out, str, len, 6);
}

/* --- the clock ------------------------------------------------------------- */

static void free_dproc(const char *, size_t, void *, void *);

struct sweep {
	int64_t	before;
	void  **v;
	size_t	n;
};

static void
sweep_dproc(const char *k, size_t n, void *v, void *arg)
{
	struct sweep *sw = arg;
	struct dproc *p = v;

	(void) k;
	(void) n;
	if (p->t < sw->before && !p->tx_pending)
		sw->v[sw->n++] = p;
}

static void
sweep_smtpd(const char *k, size_t n, void *v, void *arg)
{
	struct sweep *sw = arg;
	struct smtpd *s = v;

	(void) k;
	(void) n;
	if (s->t_connect < sw->before)
		sw->v[sw->n++] = s;
}

/* sweep - forget processes that went quiet: Postfix's delivery agents
 * and smtpd sessions whose end was never logged (a crash, a cut log);
 * pids come back, and the tables must not grow with the log */
static void
sweep(struct trace *tr)
{
	struct sweep sw;
	size_t	i;

	sw.before = tr->now - PROC_IDLE;
	sw.v = trace_alloc((tr->dprocs.n + tr->smtpds.n + 1) * sizeof(*sw.v));
	sw.n = 0;
	tracemap_walk(&tr->dprocs, sweep_dproc, &sw);
	for (i = 0; i < sw.n; i++) {
		struct dproc *p = sw.v[i];

		(void) tracemap_del(&tr->dprocs, p->key, strlen(p->key));
		free_dproc(NULL, 0, p, NULL);
	}
	sw.n = 0;
	tracemap_walk(&tr->smtpds, sweep_smtpd, &sw);
	for (i = 0; i < sw.n; i++)
		smtpd_free(tr, sw.v[i]);
	free(sw.v);
	tr->swept = tr->now;
}

static void
tick(struct trace *tr, int64_t t)
{
	struct trace_qlink *l;

	if (t <= tr->now)
		return;
	tr->now = t;
	tracedlv_tx_flush_all(tr, NULL);
	while ((l = tr->cq.head) != NULL && l->deadline <= t)
		conn_settle(tr, OWNER(l, struct trace_conn, q), TRACE_END_UNKNOWN);
	while ((l = tr->sq.head) != NULL && l->deadline <= t)
		smtpd_free(tr, OWNER(l, struct smtpd, q));
	while ((l = tr->mq.head) != NULL && l->deadline <= t) {
		struct trace_msg *m = OWNER(l, struct trace_msg, q);

		trace_tq_remove(&tr->mq, l);
		m->waited = true;	/* msg_ready: the wait is over */
		if (msg_ready(tr, m))
			trace_msg_emit(tr, m);
		else
			m->waited = false;
	}
	while ((l = tr->dq.head) != NULL && l->deadline <= t)
		tracedlv_dconn_close(tr, OWNER(l, struct dconn, q));
	if (tr->swept == 0)
		tr->swept = t;
	else if (t - tr->swept >= SWEEP_EVERY)
		sweep(tr);
}

/* --- the lines ------------------------------------------------------------- */

static void
guard_line(struct trace *tr, const struct traceline *l)
{
	struct trace_conn *c;
	struct trace_msg *m;

	switch (l->ev) {
	case TL_G_NEW:
		c = conn_get(tr, l->icid, l->t);
		c->t_open = l->t;
		{
			char  **out[] = {&c->iface, &c->addr, &c->name};
			const char *str[] = {l->iface.p, l->addr.p, l->name.p};
			const size_t len[] = {l->iface.n, l->addr.n, l->name.n};

			pack(conn_arena(c), out, str, len, 3);
		}
		c->verified = l->verified;
		break;
	case TL_G_HAT:
		c = conn_get(tr, l->icid, l->t);
		{
			char  **out[] = {&c->verdict, &c->sg, &c->entry};
			const char *str[] = {l->value.p, l->sg.p, l->entry.p};
			const size_t len[] = {l->value.n, l->sg.n, l->entry.n};

			pack(conn_arena(c), out, str, len, 3);
		}
		break;
	case TL_G_UNKNOWN:
		c = conn_get(tr, l->icid, l->t);
		if (c->nunknown < 4)
			c->unknown[c->nunknown] = astr(conn_arena(c), l->value);
		c->nunknown++;
		break;
	case TL_G_LOST:
		conn_get(tr, l->icid, l->t)->lost = true;
		break;
	case TL_G_CLOSE:
		c = conn_get(tr, l->icid, l->t);
		if (!c->closed)
			on_close(tr, c, l->t);
		break;
	case TL_G_RULE:
		if (l->mid.n) {
			m = msg_get(tr, l->mid, l->t);
			msg_attach(tr, m, l->icid, l->t);
			add_hit(trace_msg_arena(m), &m->hits, &m->nhits, l, m->mid);
		} else {
			c = conn_get(tr, l->icid, l->t);
			add_hit(conn_arena(c), &c->hits, &c->nhits, l, 0);
		}
		break;
	case TL_G_START:
		m = msg_get(tr, l->mid, l->t);
		m->t_start = l->t;
		msg_attach(tr, m, l->icid, l->t);
		break;
	case TL_G_FROM:
		m = msg_get(tr, l->mid, l->t);
		msg_attach(tr, m, l->icid, l->t);
		m->from = mstr(m, l->addr);
		break;
	case TL_G_RCPT:
		m = msg_get(tr, l->mid, l->t);
		msg_attach(tr, m, l->icid, l->t);
		m->rcpts = trace_agrow(trace_msg_arena(m), m->rcpts, m->nrcpts, sizeof(*m->rcpts));
		m->rcpts[m->nrcpts].rid = (long) num(l->rid);
		m->rcpts[m->nrcpts++].addr = mstr(m, l->addr);
		break;
	case TL_G_QID:
		m = msg_get(tr, l->mid, l->t);
		msg_attach(tr, m, l->icid, l->t);
		on_qid(tr, m, l);
		break;
	case TL_G_MSGID:
		m = msg_get(tr, l->mid, l->t);
		m->msgid = mstr(m, l->value);
		break;
	case TL_G_SUBJECT:
		m = msg_get(tr, l->mid, l->t);
		m->subject = mstr(m, l->value);
		break;
	case TL_G_READY:
		msg_get(tr, l->mid, l->t)->size = l->num;
		break;
	case TL_G_SPF:
		m = msg_get(tr, l->mid, l->t);
		if (tl_eq(l->name, "helo")) {
			m->spf_helo_id = mstr(m, l->addr);
			m->spf_helo = mstr(m, l->value);
		} else {
			m->spf_from_id = mstr(m, l->addr);
			m->spf_from = mstr(m, l->value);
		}
		break;
	case TL_G_MIME:
		m = msg_get(tr, l->mid, l->t);
		msg_attach(tr, m, l->icid, l->t);
		if (m->nmime < 4)
			m->mime[m->nmime++] = mstr(m, l->value);
		break;
	case TL_G_ABORTED:
		m = msg_get(tr, l->mid, l->t);
		m->abort_logged = mstr(m, l->value);
		m->state = TRACE_MSG_ABORTED;
		break;
	case TL_G_FINISHED:
		m = msg_get(tr, l->mid, l->t);
		if (tl_eq(l->value, "done") && m->abort_logged == NULL)
			m->state = TRACE_MSG_DONE;
		else
			m->state = TRACE_MSG_ABORTED;
		msg_check(tr, m);
		break;
	default:
		break;
	}
}

static void
postfix_line(struct trace *tr, const struct traceline *l)
{
	struct trace_msg *m;
	struct smtpd *s;
	struct trace_conn *c;
	struct tl_str icid;

	switch (l->ev) {
	case TL_P_CONNECT:
		if ((s = smtpd_get(tr, l, false)) != NULL)
			smtpd_free(tr, s);	/* its end was never logged */
		s = smtpd_get(tr, l, true);
		copy(s->conn_addr, sizeof(s->conn_addr), l->addr);
		copy(s->addr, sizeof(s->addr), l->addr);
		break;
	case TL_P_LOST:
		s = smtpd_get(tr, l, true);
		s->end = tl_eq(l->value, "timeout") ? TRACE_END_TIMEOUT : TRACE_END_LOST;
		s->after = astr(&s->ar, l->after);
		break;
	case TL_P_DISCONNECT:
		on_disconnect(tr, l);
		break;
	case TL_P_CLIENT:
		s = smtpd_get(tr, l, true);
		copy(s->addr, sizeof(s->addr), l->addr);
		if (s->conn_addr[0] == 0)
			copy(s->conn_addr, sizeof(s->conn_addr), l->addr);
		m = trace_qid_msg(tr, l->qid, l->t, true);
		if (s->nqids < 8) {
			s->qids[s->nqids++] = astr(&s->ar, l->qid);
			tracemap_put(&tr->qsmtpd, l->qid.p, l->qid.n, s);
		}
		if (m->mid != 0 && m->conn != NULL)
			smtpd_link(tr, s, m->conn);
		msg_check(tr, m);
		break;
	case TL_P_REJECT:
		m = l->qid.n ? trace_qid_msg(tr, l->qid, l->t, false) : NULL;
		if (m != NULL)
			m->reject = mstr(m, l->value);
		s = tl_eq(l->daemon, "smtpd") ? smtpd_get(tr, l, true) : NULL;
		c = NULL;
		if (icid_in(l->value, &icid)) {
			char	key[32];

			c = tracemap_get(&tr->conns, key, idkey(num(icid), key));
		}
		if (c == NULL && m != NULL)
			c = m->conn;
		if (s != NULL && c != NULL)
			smtpd_link(tr, s, c);
		if (c != NULL) {
			conn_add_reply(c, l->value.p, l->value.n);
		} else if (s != NULL && s->nreplies < 4) {
			s->replies[s->nreplies++] = astr(&s->ar, l->value);
		}
		break;
	case TL_P_MSGID:
		m = trace_qid_msg(tr, l->qid, l->t, true);
		m->pf_msgid = mstr(m, l->value);
		msg_check(tr, m);
		break;
	case TL_P_PICKUP:
		m = trace_qid_msg(tr, l->qid, l->t, true);
		if (l->addr.n)
			m->pf_from = mstr(m, l->addr);
		msg_check(tr, m);
		break;
	case TL_P_QFROM:
		m = trace_qid_msg(tr, l->qid, l->t, true);
		m->pf_from = mstr(m, l->addr);
		m->pf_size = l->num;
		if (!m->queued && m->mid != 0 && tracedlv_esa_on(tr))
			tracedlv_esa_queued(tr, l->t, m->mid);
		m->queued = true;
		trace_tq_remove(&tr->mq, &m->q);
		break;
	case TL_P_EXPIRED:
		tracedlv_expired(tr, l);
		break;
	case TL_P_DELIVERY:
		tracedlv_delivery(tr, l);
		break;
	case TL_P_CONNERR:
		tracedlv_connerr(tr, l);
		break;
	case TL_P_NOTIFY:
		m = trace_qid_msg(tr, l->qid, l->t, true);
		m->notify_qid = mstr(m, l->name);
		m->notify_kind = mstr(m, l->value);
		{
			struct trace_msg *n = trace_qid_msg(tr, l->name, l->t, true);

			n->orig_qid = mstr(n, l->qid);
			msg_check(tr, n);
		}
		break;
	case TL_P_REMOVED:
		if ((m = trace_qid_msg(tr, l->qid, l->t, false)) != NULL) {
			m->removed = true;
			m->queued = true;
			msg_check(tr, m);
		}
		break;
	default:
		break;
	}
}

void
trace_feed(struct trace *tr, const struct traceline *l)
{
	if (l->t < 0 || l->ev == TL_BAD)
		return;
	tick(tr, l->t);
	/* over the bound: the oldest go now, between lines, while no
	 * handler holds a record */
	if (tr->nmsgs > tr->max_open || tr->nconns > tr->max_open)
		evict(tr);
	/* a pending ESA delivery transaction is written before any other
	 * line, so the stream keeps the log's order */
	if (tracedlv_esa_on(tr) && tr->pend_all != NULL)
		tracedlv_tx_flush_all(tr, l->ev == TL_P_DELIVERY ? tracedlv_dproc_peek(tr, l) : NULL);
	if (l->src == TL_SRC_GUARD) {
		if (tracedlv_esa_on(tr)) {
			if (!strbuf_append(&tr->esa, l->text.p, l->text.n))
				trace_nomem();
			tracedlv_esa_emit(tr, l->t);
		}
		guard_line(tr, l);
	} else if (l->src == TL_SRC_POSTFIX) {
		postfix_line(tr, l);
	}
}

struct trace *
trace_new(const struct trace_sink *sink, int64_t window, size_t max_open)
{
	struct trace *tr = trace_alloc(sizeof(*tr));

	tr->sink = *sink;
	tr->window = window > 0 ? window : 60;
	tr->max_open = max_open > 0 ? max_open : 1;
	tr->now = INT64_MIN;
	return tr;
}

void
trace_tick(struct trace *tr, int64_t now)
{
	tick(tr, now);
}

size_t
trace_open_count(const struct trace *tr)
{
	return tr->nmsgs + tr->nconns;
}

static void
collect(const char *k, size_t n, void *v, void *arg)
{
	struct smtpd ***pp = arg;

	(void) k;
	(void) n;
	*(*pp)++ = v;
}

void
trace_finish(struct trace *tr)
{
	struct trace_qlink *l;

	tracedlv_tx_flush_all(tr, NULL);
	/* connections first: their messages then see them settled */
	while (tr->cfirst != NULL) {
		struct trace_conn *c = tr->cfirst;
		size_t	i;

		for (i = 0; i < c->nopen; i++)
			if (c->msgs[i] != NULL && !msg_ready(tr, c->msgs[i]))
				c->msgs[i]->incomplete = !c->closed
				    || c->msgs[i]->state == TRACE_MSG_OPEN;
		conn_settle(tr, c, TRACE_END_UNKNOWN);
	}
	/* the rest: still in Postfix's queue (queued, not removed), or the
	 * log ends while it was being received (incomplete) */
	while (tr->mfirst != NULL) {
		struct trace_msg *m = tr->mfirst;

		if (m->state == TRACE_MSG_OPEN && m->mid != 0)
			m->incomplete = true;
		trace_msg_emit(tr, m);
	}
	while ((l = tr->sq.head) != NULL)
		smtpd_free(tr, OWNER(l, struct smtpd, q));
	while ((l = tr->dq.head) != NULL)
		tracedlv_dconn_close(tr, OWNER(l, struct dconn, q));
	if (tr->smtpds.n > 0) {
		struct smtpd **all = trace_alloc(tr->smtpds.n * sizeof(*all)), **p = all;
		size_t	i, n = tr->smtpds.n;

		tracemap_walk(&tr->smtpds, collect, &p);
		for (i = 0; i < n; i++)
			smtpd_free(tr, all[i]);
		free(all);
	}
}

static void
free_dproc(const char *k, size_t n, void *v, void *arg)
{
	struct dproc *p = v;

	(void) k;
	(void) n;
	(void) arg;
	tracedlv_set_cur(p, NULL);
	free(p->key);
	free(p->qid);
	free(p->relay);
	free(p->cerr_target);
	free(p->tx_from);
	free(p->tx);
	free(p);
}

void
trace_free(struct trace *tr)
{
	if (tr == NULL)
		return;
	tracemap_walk(&tr->dprocs, free_dproc, NULL);
	tracemap_free(&tr->dprocs);
	tracemap_free(&tr->dconns);
	tracemap_free(&tr->smtpds);
	tracemap_free(&tr->qsmtpd);
	tracemap_free(&tr->conns);
	tracemap_free(&tr->msgs);
	tracemap_free(&tr->qids);
	strbuf_free(&tr->esa);
	spare_free(&tr->spare_msgs);
	spare_free(&tr->spare_conns);
	spare_free(&tr->spare_smtpds);
	free(tr);
}
