/*++
 * NAME
 *	fuzz_trace 1t
 * SUMMARY
 *	libFuzzer target: esmtpguard-trace fed whole logs
 * DESCRIPTION
 *	Two bytes of settings (the correlator's window and max_open, text
 *	or JSON), then up to two logs separated by the first NUL byte:
 *	typically esmtpguard's log_file and Postfix's maillog (a log that
 *	starts with gzip's magic bytes is the only one). They reach
 *	the correlator as in esmtpguard-trace: through tracein (as files,
 *	memfds here, merged by time; gzip when the bytes say so) to
 *	trace_feed(), and every record and connection that comes out is
 *	printed by traceout (to /dev/null), counted by tracestat and
 *	matched against a query; the ESA stream is written too.
 *
 *	Checked: the records open never exceed max_open by more than one
 *	line's worth (memory stays bounded, whatever the log), and none is
 *	left after trace_finish(); LSan sees that all of it is freed.
 *--*/
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzzlib.h"
#include "trace.h"
#include "tracein.h"
#include "traceout.h"
#include "tracestat.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* records one line can open beyond max_open before the next eviction */
#define OPEN_SLACK	4

struct run {
	FILE   *out;
	bool	json;
	struct traceout_query q;
	struct tracestat *st;
	unsigned long records;
};

static void
sink_record(const struct trace_msg *m, void *arg)
{
	struct run *r = arg;

	fuzz_check(m->nrcpts == 0 || m->rcpts != NULL);
	fuzz_check(m->ndlvs == 0 || m->dlvs != NULL);
	fuzz_check(m->nhits == 0 || m->hits != NULL);
	r->records++;
	tracestat_msg(r->st, m);
	(void) traceout_match(&r->q, m);
	(void) traceout_status(m);
	traceout_msg(r->out, m, r->json);
}

static void
sink_conn(const struct trace_conn *c, void *arg)
{
	struct run *r = arg;

	fuzz_check(c->nhits == 0 || c->hits != NULL);
	tracestat_conn(r->st, c);
	(void) traceout_match_conn(&r->q, c);
	traceout_conn(r->out, c, r->json);
}

static void
sink_esa(int64_t t, const char *text, size_t len, void *arg)
{
	struct run *r = arg;

	traceout_esa(r->out, t, text, len);
}

/* memfile - the bytes as a file tracein can open by name */
static int
memfile(const uint8_t *p, size_t n, char *name, size_t size)
{
	int	fd;

	if ((fd = memfd_create("fuzz_trace", MFD_CLOEXEC)) < 0)
		fuzz_fail(__FILE__, __LINE__, "memfd_create");
	fuzz_check(n == 0 || write(fd, p, n) == (ssize_t) n);
	snprintf(name, size, "/proc/self/fd/%d", fd);
	return fd;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct run r;
	struct trace_sink sink = {sink_record, sink_conn, sink_esa, &r};
	struct trace *tr;
	struct tracein *in;
	const struct traceline *l;
	const uint8_t *nul;
	char	names[2][64], *argv[2] = {names[0], names[1]};
	const char *name;
	unsigned long lineno;
	int	fd[2] = {-1, -1}, n = 1;
	size_t	max_open;
	int64_t	window, last = 0;

	if (size < 2)
		return 0;
	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		fuzz_fail(__FILE__, __LINE__, "/dev/null");
	memset(&r, 0, sizeof(r));
	r.out = devnull;
	r.json = data[1] & 0x80;
	traceout_query_init(&r.q);
	r.q.ip = "192.0.2.7";
	r.q.rcpt = "r@y";
	window = 1 + data[0] % 120;
	max_open = 1 + data[1] % 8;
	r.st = tracestat_new(INT64_MIN, INT64_MAX, 4);
	data += 2, size -= 2;

	/* gzip holds NULs: a gzip file is the only input */
	nul = size >= 2 && data[0] == 0x1f && data[1] == 0x8b ? NULL
	    : memchr(data, 0, size);
	if (nul != NULL) {
		fd[0] = memfile(data, (size_t) (nul - data), names[0], sizeof(names[0]));
		fd[1] = memfile(nul + 1, size - (size_t) (nul + 1 - data),
				names[1], sizeof(names[1]));
		n = 2;
	} else {
		fd[0] = memfile(data, size, names[0], sizeof(names[0]));
	}
	if ((in = tracein_open(argv, n, false)) == NULL)
		fuzz_fail(__FILE__, __LINE__, "tracein_open");
	tr = trace_new(&sink, window, max_open);
	while (tracein_next(in, &l, &name, &lineno) == 1) {
		if (l->t < 0 || l->ev == TL_BAD)
			continue;
		last = l->t > last ? l->t : last;
		trace_feed(tr, l);
		fuzz_check(trace_open_count(tr) <= 2 * (max_open + OPEN_SLACK));
	}
	trace_tick(tr, last + window);
	trace_finish(tr);
	fuzz_check(trace_open_count(tr) == 0);
	trace_free(tr);
	tracein_close(in);
	tracestat_rejects(devnull, r.st, r.json, 3);
	tracestat_hosts(devnull, r.st, r.json, last);
	tracestat_free(r.st);
	close(fd[0]);
	if (fd[1] >= 0)
		close(fd[1]);
	return 0;
}
