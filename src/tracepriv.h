/*++
 * NAME
 *	tracepriv 3h
 * SUMMARY
 *	esmtpguard-trace's correlator state, shared by trace.c and tracedlv.c
 * DESCRIPTION
 *	Not a public contract: trace.h is. trace.c links esmtpguard's and
 *	Postfix's lines into records; tracedlv.c numbers delivery
 *	connections (DCIDs), keeps the delivery processes and writes the
 *	ESA delivery lines. Both work on struct trace.
 *--*/
#ifndef ESMTPGUARD_TRACEPRIV_H
#define ESMTPGUARD_TRACEPRIV_H

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "strbuf.h"
#include "trace.h"
#include "tracemap.h"

#define DCONN_IDLE	10	/* seconds before an unused DCID is closed */
#define LINK_GRACE	2	/* seconds a Postfix-only record waits for a MID */
#define SWEEP_EVERY	600	/* seconds of log time between sweeps of */
#define PROC_IDLE	3600	/* processes idle this long (pids recycle) */
#define SCAN_MAX	256	/* candidates looked at for an address link */

#define SMTPD_TEXT	128	/* the inline arena of a session's strings */

/* a Postfix smtpd session: "connect from" .. "disconnect from" */
struct smtpd {
	long	pid;
	int64_t	t_connect, t_end;
	struct trace_conn *conn;
	enum trace_end end;
	char   *after, *stats;
	unsigned xclient;
	bool	ended;
	char   *replies[4];
	size_t	nreplies;
	char   *qids[8];
	size_t	nqids;
	struct trace_qlink q;
	/* from here on not zeroed when taken from the spares */
	char	key[224];		/* "host pid" */
	char	conn_addr[TL_ADDR_MAX];	/* at connect ("" unknown) */
	char	addr[TL_ADDR_MAX];	/* latest (XCLIENT changes it) */
	struct trace_arena ar;		/* after, stats, replies, qids */
	char	text[SMTPD_TEXT];
};

/* a delivery connection */
struct dconn {
	uint64_t dcid;
	char   *relay;
	unsigned uses;
	int64_t	last;
	unsigned refs;			/* processes whose cur it is */
	bool	closed;			/* idled out; freed once refs is 0 */
	struct trace_qlink q;
};

/* one ESA delivery transaction waiting to be written (RIDs grouped) */
struct txn_item {
	long	rid;
	char   *rcpt, *status, *dsn, *text;
};

/* an smtp/lmtp/local... process */
struct dproc {
	char   *key;
	struct dconn *cur;		/* counted in cur->refs (tracedlv_set_cur):
					 * may be closed when the log's time
					 * went back past its idle end */
	uint64_t cur_dcid;
	char   *qid;			/* its current transaction */
	char   *relay;
	size_t	qid_cap, relay_cap;	/* their buffers' sizes */
	int64_t	t;
	uint64_t cerr_dcid;		/* its last "connect to ...: error" */
	char   *cerr_target;
	int64_t	cerr_t;
	/* pending ESA lines */
	uint64_t tx_dcid, tx_mid;
	bool	tx_failed;
	char   *tx_from;
	int64_t	tx_t;
	struct txn_item *tx;
	size_t	ntx;
	bool	tx_pending;
	struct dproc *pnext;
};

/* a deadline queue: links in the order pushed */
struct tq {
	struct trace_qlink *head, *tail;
};

#define OWNER(p, type, member) \
	((type *) (void *) ((char *) (p) - offsetof(type, member)))

struct trace {
	struct trace_sink sink;
	int64_t	window;
	size_t	max_open;
	int64_t	now;
	uint64_t next_dcid;
	struct tracemap conns, msgs, qids, qsmtpd, smtpds, dprocs;
	struct tracemap dconns;		/* open DCIDs by "relay\1uses" */
	/* creation order, for eviction */
	struct trace_msg *mfirst, *mlast;
	struct trace_conn *cfirst, *clast;
	size_t	nmsgs, nconns;
	/* deadlines */
	struct tq cq;			/* connections closed, not settled */
	struct tq mq;			/* messages waiting for Postfix */
	struct tq sq;			/* smtpd sessions ended, not linked */
	struct tq dq;			/* open DCIDs */
	struct dproc *pend_all;		/* ESA transactions to write */
	int64_t	swept;			/* last sweep of idle processes */
	struct strbuf esa;
	void   *spare_msgs, *spare_conns;	/* freed records, for reuse */
	void   *spare_smtpds;
};

/* trace.c */
size_t	trace_u64str(char *buf, uint64_t v);
void	trace_msg_emit(struct trace *tr, struct trace_msg *m);
size_t	trace_pkey(char *buf, size_t size, const struct traceline *l);
void	trace_tq_push(struct tq *q, struct trace_qlink *l, int64_t deadline);
void	trace_tq_remove(struct tq *q, struct trace_qlink *l);
/* slice - a slice as a C string, whole: in buf when it fits, else in
 * memory of its own; trace_slice_free after */
char   *trace_slice(char *buf, size_t size, struct tl_str s);
void	trace_slice_free(char *p, const char *buf);
struct trace_msg *trace_qid_msg(struct trace *tr, struct tl_str qid, int64_t t,
				bool create);
struct trace_arena *trace_msg_arena(struct trace_msg *m);
void   *trace_grow(void *arr, size_t n, size_t size);
void   *trace_agrow(struct trace_arena *a, void *arr, size_t n, size_t size);
void	trace_dlv_pack(struct trace_msg *m, struct trace_dlv *d, const char *rcpt,
		       size_t rl, const char *relay, size_t yl, const char *daemon,
		       size_t dl, const char *dsn, size_t sl, const char *status,
		       size_t tl, const char *text, size_t xl);

/* tracedlv.c */

/* tracedlv_esa_on - the ESA stream is asked for (inline: several times a
 * line) */
static inline bool
tracedlv_esa_on(const struct trace *tr)
{
	return tr->sink.esa != NULL;
}

void	tracedlv_esa_emit(struct trace *tr, int64_t t);
void	tracedlv_esa_printf(struct trace *tr, int64_t t, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	tracedlv_esa_queued(struct trace *tr, int64_t t, uint64_t mid);
void	tracedlv_reply_split(const char *text, char code[4],
			     const char **rtext, size_t *rlen);
char	tracedlv_quote_char(const char *s, size_t n);
void	tracedlv_tx_flush(struct trace *tr, struct dproc *p);
void	tracedlv_tx_flush_all(struct trace *tr, struct dproc *keep);
void	tracedlv_dconn_use(struct trace *tr, struct dconn *d);
struct dconn *tracedlv_dconn_new(struct trace *tr, const char *relay,
				 int64_t t);
void	tracedlv_dconn_close(struct trace *tr, struct dconn *d);
void	tracedlv_set_cur(struct dproc *p, struct dconn *d);
struct dconn *tracedlv_dconn_reuse(struct trace *tr, const char *relay,
				   uint64_t uses);
void	tracedlv_new_dcid(struct trace *tr, struct dconn *d, int64_t t);
void	tracedlv_conn_error(struct trace *tr, uint64_t dcid,
			    const char *target, const char *details, int64_t t);
struct dproc *tracedlv_dproc_get(struct trace *tr, const struct traceline *l);
struct dproc *tracedlv_dproc_peek(struct trace *tr, const struct traceline *l);
bool	tracedlv_conn_target(char *text, const char **target, const char **why);
bool	tracedlv_connectionless(const struct traceline *l);
void	tracedlv_delivery(struct trace *tr, const struct traceline *l);
void	tracedlv_connerr(struct trace *tr, const struct traceline *l);
void	tracedlv_expired(struct trace *tr, const struct traceline *l);

#endif
