/*++
 * NAME
 *	tracestat 3h
 * SUMMARY
 *	esmtpguard-trace: the --rejects and --hosts tables
 * DESCRIPTION
 *	Counts what finished records show, within a time range:
 *	--rejects	rule hits per policy, rule and action; HAT REJECT
 *			verdicts per sender group; the client addresses with
 *			the most of both.
 *	--hosts		per recipient domain, like ESA's tophosts: recipients
 *			still active (deferred, in the queue when the log
 *			ends), delivered, soft bounced (deferral events), hard
 *			bounced (bounced and expired recipients), whether the
 *			last attempt failed to connect (down), the last error.
 *	Tables are bounded (max_keys); what does not fit is counted under
 *	"(other)", so a day of random client addresses cannot exhaust
 *	memory.
 *--*/
#ifndef ESMTPGUARD_TRACESTAT_H
#define ESMTPGUARD_TRACESTAT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "trace.h"

struct tracestat;

struct tracestat *tracestat_new(int64_t since, int64_t until, size_t max_keys);
void	tracestat_msg(struct tracestat *st, const struct trace_msg *m);
void	tracestat_conn(struct tracestat *st, const struct trace_conn *c);
void	tracestat_rejects(FILE *fp, const struct tracestat *st, bool json, size_t top);
void	tracestat_hosts(FILE *fp, const struct tracestat *st, bool json, int64_t now);
void	tracestat_free(struct tracestat *st);

#endif
