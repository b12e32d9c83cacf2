/*++
 * NAME
 *	traceline 3h
 * SUMMARY
 *	parse one mail log line for esmtpguard-trace
 * DESCRIPTION
 *	traceline_parse() splits a line into its time stamp, host, program
 *	and pid, and then recognises the text of esmtpguard's session lines
 *	(SPEC "The log") and of the Postfix lines the correlator needs
 *	(smtpd, cleanup, qmgr, smtp, lmtp, local, virtual, pipe, error,
 *	retry, discard, bounce, pickup, postsuper). It copies nothing and
 *	allocates nothing: every field is a slice of the caller's line, valid
 *	as long as the line is.
 *
 *	Time stamps, three forms:
 *	syslog (also Postfix's maillog_file)	"Nov 22 13:09:12 host prog[pid]: text"
 *	RFC 3339 (rsyslog)	"2026-11-22T13:09:12.5+01:00 host prog[pid]: text"
 *	ESA file (esmtpguard's log_file)	"Sun Nov 22 13:09:12 2026 Info: text"
 *	The time is the wall clock the line shows, counted in seconds as if
 *	it were UTC; zones are not converted, so lines written by one host
 *	in its local time compare as they should. A syslog stamp has no
 *	year: struct traceline_year carries it per input file (the year of
 *	the file's modification time at first; a month earlier than the
 *	previous line's by more than one means the year turned).
 *
 *	Lines of other programs get TL_OTHER; lines of ours that cannot
 *	be read (bad IDs, a truncated field) get TL_BAD, so the caller can
 *	count and report them. Nothing here can crash on any input: the
 *	parser never reads past len and needs no NUL terminator.
 *--*/
#ifndef ESMTPGUARD_TRACELINE_H
#define ESMTPGUARD_TRACELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct tl_str {
	const char *p;
	size_t	n;
};

/*
 * The longest client address a Postfix "name[addr]" field may have, NUL
 * included: an IPv6 address with its "IPv6:" form and a zone fits many
 * times over. A longer one is damage, and the line is TL_BAD.
 */
#define TL_ADDR_MAX	64

enum tl_src {
	TL_SRC_OTHER,		/* a line of some other program */
	TL_SRC_GUARD,		/* esmtpguard (syslog or ESA file form) */
	TL_SRC_POSTFIX,		/* postfix/<daemon> */
};

enum tl_ev {
	TL_NONE,		/* recognised source, text of no interest */
	TL_BAD,			/* looks like ours, cannot be read */
	/* esmtpguard */
	TL_G_NEW,		/* New SMTP ICID: icid iface addr name verified */
	TL_G_HAT,		/* ICID n VERDICT SG sg match entry: icid value sg entry */
	TL_G_START,		/* Start MID: mid icid */
	TL_G_FROM,		/* mid icid addr */
	TL_G_RCPT,		/* mid icid rid addr */
	TL_G_QID,		/* mid icid qid */
	TL_G_MSGID,		/* mid value (quoted as logged) */
	TL_G_SUBJECT,		/* mid value */
	TL_G_READY,		/* mid num addr */
	TL_G_SPF,		/* mid name=identity kind addr=identity value=result */
	TL_G_MIME,		/* MID m ICID n MIME: value (a structure anomaly) */
	TL_G_RULE,		/* [mid] icid policy rule gt value action */
	TL_G_ABORTED,		/* Message aborted MID: mid value=reason */
	TL_G_FINISHED,		/* Message finished MID: mid value=done|aborted */
	TL_G_UNKNOWN,		/* ICID n Unknown command: icid value */
	TL_G_LOST,		/* icid */
	TL_G_CLOSE,		/* icid */
	/* Postfix */
	TL_P_CONNECT,		/* smtpd connect from name[addr] */
	TL_P_DISCONNECT,	/* name addr quit num=xclient count, value=stats */
	TL_P_LOST,		/* lost connection|timeout after X: after name addr value="lost"|"timeout" */
	TL_P_CLIENT,		/* qid: client=name[addr] */
	TL_P_REJECT,		/* [qid] reject text: qid value (after "reject: ") milter */
	TL_P_MSGID,		/* cleanup qid: message-id=value */
	TL_P_QFROM,		/* qmgr qid: from=<addr>, size=num */
	TL_P_EXPIRED,		/* qmgr qid: from=<addr>, status=expired */
	TL_P_REMOVED,		/* qid: removed */
	TL_P_DELIVERY,		/* qid: to=<addr>, [orig_to=<name>,] relay=relay,
				 * [conn_use=num,] dsn=dsn, status=status (value) */
	TL_P_CONNERR,		/* connect to relay[addr]:port: value */
	TL_P_NOTIFY,		/* bounce qid: sender ... notification: name=newqid value=kind */
	TL_P_PICKUP,		/* pickup qid: uid=.. from=<addr> */
};

struct traceline_year {
	int	year;		/* current guess */
	int	mon;		/* month of the previous line, 0 = none yet */
	int	ref_mon;	/* month of the reference time (file mtime) */
	char	last[16];	/* the previous syslog stamp, and its time: */
	int64_t	last_t;		/* most lines share their second */
};

struct traceline {
	int64_t	t;		/* seconds; -1 when the line has no stamp */
	struct tl_str host, prog, daemon, text;
	long	pid;		/* -1 when none */
	enum tl_src src;
	enum tl_ev ev;
	/* event fields; unused ones are empty */
	struct tl_str icid, mid, rid, qid;
	struct tl_str addr, name, iface, value, sg, entry;
	struct tl_str policy, rule, gt, action;
	struct tl_str relay, port, dsn, status, after;
	bool	verified, quit, milter;
	uint64_t num;		/* bytes, size, conn_use, xclient count */
};

/* traceline_year_init - reference time: a file's mtime (or now) */
void	traceline_year_init(struct traceline_year *y, int64_t ref);

/* traceline_parse - fill l from line[0..len) (no newline); returns l->ev */
enum tl_ev traceline_parse(struct traceline *l, const char *line, size_t len,
			   struct traceline_year *y);

/* traceline_time - seconds from y-m-d H:M:S (proleptic Gregorian) */
int64_t	traceline_time(int y, int m, int d, int hh, int mm, int ss);

/* traceline_civil - the date of a time */
void	traceline_civil(int64_t t, int *year, int *mon, int *mday);

/* traceline_mon - month 1..12 from "Jan".."Dec"; 0 otherwise */
int	traceline_mon(const char *p);

/* tl_eq - slice equals the NUL-terminated string (inline: the string is
 * mostly a literal, whose length is then known) */
static inline bool
tl_eq(struct tl_str s, const char *str)
{
	size_t	n = strlen(str);

	return s.n == n && memcmp(s.p, str, n) == 0;
}

#endif
