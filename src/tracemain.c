/*++
 * NAME
 *	tracemain 3
 * SUMMARY
 *	esmtpguard-trace: options, the read loop, the outputs
 * DESCRIPTION
 *	Reads the inputs (tracein), feeds every line to the correlator
 *	(trace) and routes what comes out: matching tracking records
 *	(traceout), the --rejects and --hosts tables (tracestat), the --esa
 *	stream. See esmtpguard-trace(1).
 *
 *	Exit: 0; 1 when a query (--ip --icid --mid --from --rcpt --qid)
 *	matched no record, as grep(1) does; 64 usage; 66 an input cannot
 *	be opened; 71 out of memory.
 *--*/
#include <config.h>

#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "trace.h"
#include "tracein.h"
#include "tracemap.h"
#include "traceout.h"
#include "tracestat.h"

struct run {
	struct traceout_query q;
	bool	json, esa, rejects, hosts, records;
	struct tracestat *st;
	unsigned long matched;
	int64_t	last_t;
};

static volatile sig_atomic_t stop;

/* stdout's buffer when it is not a terminal and not followed */
static char out_buf[1 << 16];

static void
on_signal(int sig)
{
	(void) sig;
	stop = 1;
}

static void
sink_record(const struct trace_msg *m, void *arg)
{
	struct run *r = arg;

	if (r->st)
		tracestat_msg(r->st, m);
	if (r->records && traceout_match(&r->q, m)) {
		traceout_msg(stdout, m, r->json);
		r->matched++;
	}
}

static void
sink_conn(const struct trace_conn *c, void *arg)
{
	struct run *r = arg;

	if (r->st)
		tracestat_conn(r->st, c);
	if (r->records && c->nmsgs == 0 && traceout_match_conn(&r->q, c)) {
		traceout_conn(stdout, c, r->json);
		r->matched++;
	}
}

static void
sink_esa(int64_t t, const char *text, size_t len, void *arg)
{
	struct run *r = arg;

	if (t >= r->q.since && t <= r->q.until)
		traceout_esa(stdout, t, text, len);
}

static void
usage(FILE *fp)
{
	fputs("usage: esmtpguard-trace [options] [FILE...]\n"
	      "  queries (tracking records; several combine with AND):\n"
	      "    --ip ADDR  --icid N  --mid N  --from ADDR  --rcpt ADDR  --qid ID\n"
	      "    --since TIME  --until TIME   (YYYY-MM-DD[ HH:MM[:SS]])\n"
	      "  reports:\n"
	      "    --rejects      rule hits per policy, rule, action; top clients\n"
	      "    --hosts        per recipient host, like ESA's tophosts\n"
	      "    --esa          the input as an ESA mail_logs stream\n"
	      "  output:  --json  --top N\n"
	      "  input:   -f (follow)  --window SECONDS  --max-open N  -v\n"
	      "  FILE: plain or gzip; several are merged by time; none or - is stdin\n",
	      fp);
}

static int
parse_u64(const char *s, uint64_t *v)
{
	char   *end;

	if (*s < '0' || *s > '9')
		return -1;
	*v = strtoull(s, &end, 10);
	return *end == 0 ? 0 : -1;
}

enum {
	OPT_IP = 256, OPT_ICID, OPT_MID, OPT_FROM, OPT_RCPT, OPT_QID, OPT_SINCE,
	OPT_UNTIL, OPT_REJECTS, OPT_HOSTS, OPT_ESA, OPT_JSON, OPT_WINDOW,
	OPT_MAXOPEN, OPT_TOP,
};

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"ip", required_argument, NULL, OPT_IP},
		{"icid", required_argument, NULL, OPT_ICID},
		{"mid", required_argument, NULL, OPT_MID},
		{"from", required_argument, NULL, OPT_FROM},
		{"rcpt", required_argument, NULL, OPT_RCPT},
		{"qid", required_argument, NULL, OPT_QID},
		{"since", required_argument, NULL, OPT_SINCE},
		{"until", required_argument, NULL, OPT_UNTIL},
		{"rejects", no_argument, NULL, OPT_REJECTS},
		{"hosts", no_argument, NULL, OPT_HOSTS},
		{"esa", no_argument, NULL, OPT_ESA},
		{"json", no_argument, NULL, OPT_JSON},
		{"follow", no_argument, NULL, 'f'},
		{"window", required_argument, NULL, OPT_WINDOW},
		{"max-open", required_argument, NULL, OPT_MAXOPEN},
		{"top", required_argument, NULL, OPT_TOP},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct run r;
	struct trace_sink sink;
	struct trace *tr;
	struct tracein *in;
	const struct traceline *l;
	const char *name;
	unsigned long lineno, bad = 0;
	uint64_t window = 60, max_open = 1000000, top = 10;
	bool	follow = false, verbose = false;
	time_t	last_wall = time(NULL);
	int	c, rc;

	memset(&r, 0, sizeof(r));
	traceout_query_init(&r.q);
	while ((c = getopt_long(argc, argv, "fvhV", opts, NULL)) != -1) {
		switch (c) {
		case OPT_IP:
			r.q.ip = optarg;
			break;
		case OPT_ICID:
			if (parse_u64(optarg, &r.q.icid) < 0)
				goto bad_arg;
			r.q.has_icid = true;
			break;
		case OPT_MID:
			if (parse_u64(optarg, &r.q.mid) < 0)
				goto bad_arg;
			r.q.has_mid = true;
			break;
		case OPT_FROM:
			r.q.from = optarg;
			break;
		case OPT_RCPT:
			r.q.rcpt = optarg;
			break;
		case OPT_QID:
			r.q.qid = optarg;
			break;
		case OPT_SINCE:
			if (traceout_parse_time(optarg, &r.q.since) < 0)
				goto bad_arg;
			break;
		case OPT_UNTIL:
			if (traceout_parse_time(optarg, &r.q.until) < 0)
				goto bad_arg;
			/* a date alone means the whole day */
			if (strlen(optarg) == 10)
				r.q.until += 86399;
			break;
		case OPT_REJECTS:
			r.rejects = true;
			break;
		case OPT_HOSTS:
			r.hosts = true;
			break;
		case OPT_ESA:
			r.esa = true;
			break;
		case OPT_JSON:
			r.json = true;
			break;
		case 'f':
			follow = true;
			break;
		case OPT_WINDOW:
			if (parse_u64(optarg, &window) < 0 || window == 0 || window > 86400)
				goto bad_arg;
			break;
		case OPT_MAXOPEN:
			if (parse_u64(optarg, &max_open) < 0 || max_open == 0)
				goto bad_arg;
			break;
		case OPT_TOP:
			if (parse_u64(optarg, &top) < 0 || top == 0)
				goto bad_arg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("esmtpguard-trace %s (zlib %s)\n", PACKAGE_VERSION, zlibVersion());
			return 0;
		default:
			usage(stderr);
			return 64;
		}
		continue;
bad_arg:
		for (rc = 0; opts[rc].name != NULL && opts[rc].val != c; rc++)
			;
		fprintf(stderr, "esmtpguard-trace: bad value for --%s: %s\n",
			opts[rc].name ? opts[rc].name : "?", optarg);
		return 64;
	}
	if (r.esa && r.json) {
		fputs("esmtpguard-trace: --esa and --json do not go together\n", stderr);
		return 64;
	}
	r.records = traceout_narrow(&r.q) || !(r.rejects || r.hosts || r.esa);
	if (r.rejects || r.hosts)
		r.st = tracestat_new(r.q.since, r.q.until, 100000);
	if ((in = tracein_open(argv + optind, argc - optind, follow)) == NULL)
		return 66;

	memset(&sink, 0, sizeof(sink));
	sink.record = sink_record;
	sink.conn_done = sink_conn;
	sink.esa = r.esa ? sink_esa : NULL;
	sink.arg = &r;
	tr = trace_new(&sink, (int64_t) window, (size_t) max_open);

	(void) signal(SIGINT, on_signal);
	(void) signal(SIGTERM, on_signal);
	/* a record as soon as it is complete when following; else stdio's
	 * 4 KiB made --esa's output one write(2) per ~50 lines (glibc takes
	 * a size only with a buffer) */
	if (follow)
		(void) setvbuf(stdout, NULL, _IOLBF, 0);
	else if (!isatty(STDOUT_FILENO))
		(void) setvbuf(stdout, out_buf, _IOFBF, sizeof(out_buf));
	while (!stop && (rc = tracein_next(in, &l, &name, &lineno)) != -1) {
		if (rc == 0) {
			/* following and idle: the log's clock moves on with the
			 * wall clock, so deadlines pass and records come out */
			if (r.last_t > 0)
				trace_tick(tr, r.last_t + (int64_t) (time(NULL) - last_wall));
			continue;
		}
		if (follow)
			last_wall = time(NULL);
		if (l->t < 0 || l->ev == TL_BAD) {
			bad++;
			if (verbose)
				fprintf(stderr, "esmtpguard-trace: %s:%lu: %s line skipped\n",
					name, lineno, l->t < 0 ? "unreadable" : "malformed");
			continue;
		}
		if (l->t > r.last_t)
			r.last_t = l->t;
		trace_feed(tr, l);
	}
	trace_finish(tr);
	trace_free(tr);
	tracein_close(in);
	if (r.rejects)
		tracestat_rejects(stdout, r.st, r.json, (size_t) top);
	if (r.hosts) {
		if (r.rejects && !r.json)
			putchar('\n');
		tracestat_hosts(stdout, r.st, r.json, r.last_t);
	}
	tracestat_free(r.st);
	if (bad > 0)
		fprintf(stderr, "esmtpguard-trace: %lu line%s skipped (no time stamp or"
			" malformed)%s\n", bad, bad == 1 ? "" : "s",
			verbose ? "" : "; -v lists them");
	if (fflush(stdout) != 0) {
		perror("esmtpguard-trace: stdout");
		return 74;
	}
	if (traceout_narrow(&r.q) && r.matched == 0)
		return 1;
	return 0;
}
