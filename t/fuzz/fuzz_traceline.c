/*++
 * NAME
 *	fuzz_traceline 1t
 * SUMMARY
 *	libFuzzer target: esmtpguard-trace's log line parser
 * DESCRIPTION
 *	The first byte picks the month of the reference time (a file's
 *	mtime), the rest is a log, one line per LF; the lines share one
 *	struct traceline_year, so the year turns as in a real file. Each
 *	line is parsed from a heap copy of exactly its bytes, without a
 *	NUL: reading past len is an ASan report.
 *
 *	Checked: every field is a slice of the line or a constant string
 *	of the parser; the event belongs to the source (esmtpguard events
 *	from esmtpguard lines, Postfix ones from Postfix); a time stamp
 *	lies within the day that traceline_civil() gives for it.
 *--*/
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzlib.h"
#include "traceline.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check_slice - in the line, or a NUL-terminated constant of the parser */
static void
check_slice(struct tl_str s, const char *line, size_t len)
{
	if (s.n == 0)
		return;
	fuzz_check(s.p != NULL);
	if (s.p >= line && s.p <= line + len) {
		fuzz_check(s.n <= (size_t) (line + len - s.p));
		return;
	}
	fuzz_check(strlen(s.p) == s.n);
}

static void
check_line(const struct traceline *l, const char *line, size_t len)
{
	const struct tl_str *all[] = {
		&l->host, &l->prog, &l->daemon, &l->text, &l->icid, &l->mid,
		&l->rid, &l->qid, &l->addr, &l->name, &l->iface, &l->value,
		&l->sg, &l->entry, &l->policy, &l->rule, &l->gt, &l->action,
		&l->relay, &l->port, &l->dsn, &l->status, &l->after,
	};
	size_t	i;
	int	y, m, d;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		check_slice(*all[i], line, len);
	fuzz_check(l->pid >= -1);
	if (l->ev >= TL_G_NEW && l->ev <= TL_G_CLOSE)
		fuzz_check(l->src == TL_SRC_GUARD);
	if (l->ev >= TL_P_CONNECT)
		fuzz_check(l->ev <= TL_P_PICKUP && l->src == TL_SRC_POSTFIX);
	if (l->t >= 0) {
		traceline_civil(l->t, &y, &m, &d);
		fuzz_check(m >= 1 && m <= 12 && d >= 1 && d <= 31);
		fuzz_check(l->t >= traceline_time(y, m, d, 0, 0, 0));
		fuzz_check(l->t < traceline_time(y, m, d, 0, 0, 0) + 86400);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct traceline_year year;
	struct traceline l;
	const uint8_t *end, *nl;
	char   *line;
	size_t	len;

	if (size < 1)
		return 0;
	traceline_year_init(&year, traceline_time(2026, 1 + data[0] % 12, 15,
						  12, 0, 0));
	data++, size--;
	for (end = data + size; data < end; data = nl ? nl + 1 : end) {
		nl = memchr(data, '\n', (size_t) (end - data));
		len = (size_t) ((nl ? nl : end) - data);
		line = fuzz_memdup(data, len);
		(void) traceline_parse(&l, line, len, &year);
		check_line(&l, line, len);
		free(line);
	}
	return 0;
}
