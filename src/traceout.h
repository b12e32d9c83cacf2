/*++
 * NAME
 *	traceout 3h
 * SUMMARY
 *	esmtpguard-trace: which records a query wants, and how they print
 * DESCRIPTION
 *	traceout_match() applies the query options (--ip --icid --mid --from
 *	--rcpt --qid --since --until) to a finished record; the print
 *	functions write a tracking record as text (one "key: value" line per
 *	fact, greppable) or as one JSON object per line, and an ESA
 *	mail_logs line with its "Thu Aug 14 11:04:31 2014 Info: " stamp.
 *	Times are the wall clock the log showed (see traceline.h).
 *--*/
#ifndef ESMTPGUARD_TRACEOUT_H
#define ESMTPGUARD_TRACEOUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "trace.h"

struct traceout_query {
	const char *ip, *from, *rcpt, *qid;
	uint64_t icid, mid;
	bool	has_icid, has_mid;
	int64_t	since, until;		/* INT64_MIN / INT64_MAX when unset */
};

/* traceout_query_init - a query that matches everything */
void	traceout_query_init(struct traceout_query *q);

/* traceout_narrow - the query names a message (not only a time range) */
bool	traceout_narrow(const struct traceout_query *q);

bool	traceout_match(const struct traceout_query *q, const struct trace_msg *m);

/* traceout_match_conn - a connection that carried no message */
bool	traceout_match_conn(const struct traceout_query *q, const struct trace_conn *c);

void	traceout_msg(FILE *fp, const struct trace_msg *m, bool json);
void	traceout_conn(FILE *fp, const struct trace_conn *c, bool json);

/* traceout_esa - one ESA mail_logs line */
void	traceout_esa(FILE *fp, int64_t t, const char *text, size_t len);

/* traceout_time - "2026-11-22 13:09:12" (iso) or ESA's "Sun Nov 22 13:09:12 2026" */
void	traceout_time(char *buf, size_t size, int64_t t, bool iso);

/* traceout_parse_time - "YYYY-MM-DD[ |T]HH:MM[:SS]" or "YYYY-MM-DD"; -1 if bad */
int64_t	traceout_parse_time(const char *s, int64_t *out);

/* traceout_json_str - a JSON string literal; NULL writes "" */
void	traceout_json_str(FILE *fp, const char *s);
/* traceout_json_strn - the same for n bytes (s need not end there) */
void	traceout_json_strn(FILE *fp, const char *s, size_t n);

/* traceout_status - one word for where a message ended up */
const char *traceout_status(const struct trace_msg *m);

#endif
