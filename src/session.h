/*++
 * NAME
 *	session 3h
 * SUMMARY
 *	the policy core: one SMTP session, its messages, its log lines
 * DESCRIPTION
 *	milter.c translates each libmilter callback into one call here and
 *	each verdict back into a reply; nothing in this module knows about
 *	libmilter or sockets, so Check drives it directly.
 *
 *	A session is created at connect (session_open) with the
 *	configuration snapshot current then, which it keeps to the end.
 *	Message state is reset from one place (msg_reset in session.c) for
 *	end of message and abort alike. session_close() may be given NULL
 *	(libmilter calls close without connect).
 *
 *	The session writes the ESA mail_logs lines of SPEC "The log"
 *	through log.c, escaping every client-supplied string.
 *
 *	Ending a message that did not finish: session_abort() alone cannot
 *	tell why the MTA aborted, so the "Message aborted" line waits for
 *	the next event. A new MAIL or HELO means the sender reset
 *	("Receiving aborted by sender"); close means the client left, and
 *	if DATA had begun the connection was certainly lost ("Receiving
 *	aborted", then "ICID n lost"). Before DATA, Postfix shows QUIT and
 *	a dropped connection alike, so esmtpguard logs "Receiving aborted"
 *	and no "lost" line; esmtpguard-trace settles it from Postfix's log.
 *
 *	Inspection (SPEC rule table): each rule of the session's policy is
 *	measured at the earliest callback that knows its value; see
 *	esmtpguard.conf(5) for where. A hit is logged ("ESMTP policy P
 *	matched RULE gt N: VALUE action A") unless the rule says log =
 *	false, and counted (stats.h); an action other than log ends what
 *	it applies to: reject and tempfail refuse the command (one
 *	recipient at RCPT, the whole transaction at MAIL and from DATA on),
 *	drop-connection answers 421 and the MTA closes the session. A
 *	log-only rule reports its first hit per message (per connection
 *	for connection-level rules). Relay policies are never inspected.
 *
 *	A session is used by one callback at a time (libmilter serializes
 *	callbacks of one connection), not necessarily on one thread.
 *
 *	SPF (spf.h) is checked at DATA, for accept policies with spf {
 *	verify = true }: the queue ID is known there, so the result lines
 *	follow it as SPEC "The log" orders them, and the MTA has already
 *	refused the recipients it refuses anyway, so no DNS is spent on
 *	them. A reject or tempfail there refuses the whole transaction
 *	("Rejected by policy spf") before its content is sent. The
 *	Received-SPF header comes with the verdict at end of message, to be
 *	inserted on top of the header (it is a trace field).
 *--*/
#ifndef ESMTPGUARD_SESSION_H
#define ESMTPGUARD_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "idalloc.h"

/* What the MTA told us at connect; any field may be NULL. */
struct session_conn {
	const char *hostname;	/* connect's hostname argument */
	const char *client_addr;	/* text; "IPv6:" / [..] allowed */
	const char *client_resolve;	/* {client_resolve}: OK, FAIL, ... */
	const char *client_ptr;	/* {client_ptr} */
	const char *if_addr;	/* {daemon_addr} or {if_addr} */
	const char *mta_name;	/* j: the MTA's host name, for replies */
	bool	header_leadspc;	/* SMFIP_HDR_LEADSPC: header values come
				 * raw, added ones must bring their space */
};

enum verdict_kind {
	VERDICT_CONTINUE,
	VERDICT_ACCEPT,		/* stop inspecting this message, let it in */
	VERDICT_REJECT,		/* 5xx */
	VERDICT_TEMPFAIL,	/* 4xx */
	VERDICT_DROP,		/* 421: the MTA closes the session */
};

#define VERDICT_HEADERS	4

/* Strings are valid until the next call on the session. */
struct verdict {
	enum verdict_kind kind;
	const char *rcode;	/* "550"; NULL = the MTA's default reply */
	const char *xcode;	/* "5.7.1" */
	const char *text;
	size_t	nheaders;	/* eom only: headers to add, in this order */
	struct {
		const char *name;
		const char *value;
		bool	top;	/* insert above all (trace field), not append */
	}	headers[VERDICT_HEADERS];
};

struct session;
struct spf;

/* session_set_spf - the process's SPF checker for the sessions opened from
 * now on; NULL (the default) checks nothing. Set before sessions start. */
void	session_set_spf(struct spf *spf);

struct session *session_open(struct conf *conf, struct idalloc *ids,
			     const struct session_conn *conn,
			     struct verdict *v);
void	session_helo(struct session *s, const char *name, struct verdict *v);
/* argv[0] is the address as the client gave it ("<a@b>"), then ESMTP
 * parameters; NULL-terminated */
void	session_mail(struct session *s, char *const *argv, struct verdict *v);
void	session_rcpt(struct session *s, char *const *argv, struct verdict *v);
void	session_data(struct session *s, struct verdict *v);
void	session_unknown(struct session *s, const char *cmd,
			struct verdict *v);
/* value as on the wire after the colon when header_leadspc (else with
 * one leading space stripped, and a space is assumed when measuring),
 * folded lines joined by "\n" or "\r\n" */
void	session_header(struct session *s, const char *name, const char *value,
		       struct verdict *v);
void	session_eoh(struct session *s, struct verdict *v);
void	session_body(struct session *s, const unsigned char *p, size_t len,
		     struct verdict *v);
void	session_eom(struct session *s, struct verdict *v);
void	session_abort(struct session *s);
void	session_close(struct session *s);	/* frees; NULL ok */

/* session_set_qid - the MTA queue ID ({i}) as soon as it is known;
 * ignored outside a transaction and once set for this message */
void	session_set_qid(struct session *s, const char *qid);

/* session_icid / session_mid - current IDs (mid 0 outside a message) */
uint64_t session_icid(const struct session *s);
uint64_t session_mid(const struct session *s);

#endif
