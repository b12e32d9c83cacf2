/*++
 * NAME
 *	trace 3h
 * SUMMARY
 *	the esmtpguard-trace correlator
 * DESCRIPTION
 *	trace_feed() takes parsed log lines (traceline.h) in time order and
 *	joins them into records:
 *
 *	connection (struct trace_conn): esmtpguard's ICID lines, settled
 *		with Postfix smtpd's own view of how the session ended
 *		(QUIT, lost connection, timeout, closed by Postfix);
 *	message (struct trace_msg): esmtpguard's MID lines, joined through
 *		the queue ID esmtpguard logs ("MID n ICID m queue ID QID")
 *		to Postfix's cleanup, qmgr and delivery lines, with a DCID
 *		for every delivery attempt. Messages esmtpguard never saw
 *		(local submissions, Postfix's own bounces) are records too,
 *		with MID 0.
 *
 *	Links: ICID, MID and queue ID are exact. A Postfix smtpd session
 *	(host + pid, from "connect from" to "disconnect from") is tied to an
 *	ICID by a queue ID both logged, by "(ICID n" in a reply Postfix
 *	logged for it, or failing both by the client address: the oldest
 *	unpaired ending of one side within `window` seconds of the other's
 *	(both end at the same moment: Postfix closes the milter connection
 *	when its SMTP session ends). A session that used XCLIENT also ends
 *	the pre-XCLIENT ICID of its original address.
 *
 *	DCIDs: see dcid_* in trace.c and esmtpguard-trace(1): one per
 *	connection of an smtp or lmtp client, counted from 1 in input order.
 *
 *	Streaming: a record is handed to the sink as soon as it is complete
 *	(message finished, its connection settled, Postfix removed it from
 *	the queue or it never reached the queue), and freed. What is still
 *	open lives in tables that shrink as records complete; when more than
 *	max_open records are open at once the oldest is handed over
 *	incomplete. trace_finish() hands over everything still open.
 *
 *	When the sink asks for it (esa), trace_feed() also writes the input
 *	as an ESA mail_logs stream: esmtpguard's lines unchanged, Postfix's
 *	deliveries as New SMTP DCID, Delivery start, Message done,
 *	Response, Delayed:, Bounced:, Connection Error: and DCID close lines.
 *--*/
#ifndef ESMTPGUARD_TRACE_H
#define ESMTPGUARD_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "traceline.h"

/* a deadline queue link (the correlator's own) */
struct trace_qlink {
	struct trace_qlink *prev, *next;
	int64_t	deadline;
	bool	on;
};

/* a rule that fired (esmtpguard "ESMTP policy P matched RULE ...") */
struct trace_hit {
	int64_t	t;
	uint64_t mid;			/* 0 for a connection-level rule */
	char   *policy, *rule, *gt, *value, *action;
};

struct trace_rcpt {
	long	rid;
	char   *addr;			/* as logged, with <> */
};

/* one delivery attempt of one recipient */
struct trace_dlv {
	int64_t	t;
	uint64_t dcid;			/* 0: no connection (local, DNS, expiry) */
	long	rid;			/* -1 when not known */
	char   *rcpt;			/* <addr> */
	char   *relay;			/* Postfix relay=, or the target host */
	char   *daemon;			/* smtp, lmtp, local, error, qmgr ... */
	char   *dsn;
	char   *status;			/* sent deferred bounced expired ... */
	char   *text;			/* the remote reply or the reason */
	bool	conn_failed;		/* no SMTP conversation (refused, timeout) */
};

enum trace_end {
	TRACE_END_UNKNOWN,		/* no Postfix line settled it */
	TRACE_END_QUIT,			/* the client sent QUIT */
	TRACE_END_LOST,			/* lost connection after X */
	TRACE_END_TIMEOUT,		/* timeout after X */
	TRACE_END_MTA,			/* Postfix ended it (421, errors) */
	TRACE_END_XCLIENT,		/* replaced by XCLIENT in the same session */
};

struct trace_conn {
	uint64_t icid;
	int64_t	t_open, t_close;
	char   *iface, *addr, *name;
	bool	verified;
	char   *verdict, *sg, *entry;	/* HAT: ACCEPT SG ALL match ALL */
	struct trace_hit *hits;		/* connection-level rules */
	size_t	nhits;
	char   *unknown[4];		/* the first unknown commands */
	size_t	nunknown;
	bool	closed, lost;		/* esmtpguard's close and lost lines */
	enum trace_end end;		/* settled from Postfix */
	char   *end_after;		/* "DATA", "RCPT" ... */
	char   *end_stats;		/* Postfix's disconnect counters */
	long	smtpd_pid;		/* -1 when not linked */
	char   *replies[4];		/* Postfix's reject replies in this session */
	size_t	nreplies;
	size_t	nmsgs;			/* messages started in it */
	/* correlator's own */
	size_t	refs;
	bool	settled, evicted;
	struct trace_msg **msgs;	/* its messages still open */
	size_t	nopen;
	struct trace_qlink q;
	struct trace_conn *prev, *next;
};

enum trace_state {
	TRACE_MSG_OPEN,			/* still being received */
	TRACE_MSG_DONE,			/* accepted (Message finished done) */
	TRACE_MSG_ABORTED,
};

struct trace_msg {
	uint64_t mid;			/* 0: a message esmtpguard did not see */
	uint64_t icid;
	int64_t	t_start, t_last;
	struct trace_conn *conn;
	char   *from;
	struct trace_rcpt *rcpts;
	size_t	nrcpts;
	char   *qid, *msgid, *subject;
	uint64_t size;			/* esmtpguard's "ready N bytes" */
	char   *spf_helo_id, *spf_helo, *spf_from_id, *spf_from;
	struct trace_hit *hits;
	size_t	nhits;
	char   *mime[4];		/* MIME anomalies esmtpguard logged */
	size_t	nmime;
	enum trace_state state;
	char   *abort_logged;		/* the reason esmtpguard logged */
	char   *abort;			/* the settled reason */
	/* Postfix */
	char   *pf_from, *pf_msgid, *reject;
	uint64_t pf_size;
	bool	queued, removed, expired;
	char   *notify_qid, *notify_kind;	/* Postfix's DSN about it */
	char   *orig_qid;		/* this is Postfix's DSN about orig_qid */
	struct trace_dlv *dlvs;
	size_t	ndlvs;
	bool	incomplete;		/* handed over before it was complete */
	/* correlator's own */
	struct trace_qlink q;
	bool	waited;			/* its wait for the other log is over */
	struct trace_msg *prev, *next;
};

struct trace_sink {
	void	(*record)(const struct trace_msg *m, void *arg);
	void	(*conn_done)(const struct trace_conn *c, void *arg);
	void	(*esa)(int64_t t, const char *text, size_t len, void *arg);
	void   *arg;
};

struct trace;

/* trace_new - window: seconds to wait for the other log's side of a link
 * (default 60); max_open: records open at once before the oldest is
 * handed over incomplete */
struct trace *trace_new(const struct trace_sink *sink, int64_t window,
			size_t max_open);

/* trace_feed - one parsed line; l->t < 0 lines are ignored */
void	trace_feed(struct trace *tr, const struct traceline *l);

/* trace_tick - the clock moves on without a line (following, idle) */
void	trace_tick(struct trace *tr, int64_t now);

/* trace_finish - hand over everything still open (end of input) */
void	trace_finish(struct trace *tr);

/* trace_free - after trace_finish */
void	trace_free(struct trace *tr);

/* trace_open_count - records open now (for tests) */
size_t	trace_open_count(const struct trace *tr);

/* trace_esa_class - ESA's wording for a DSN class ("5.1.1" -> "Unknown
 * address error") */
const char *trace_esa_class(const char *dsn, const char *status);

#endif
