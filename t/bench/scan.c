/*++
 * NAME
 *	scan 1t
 * SUMMARY
 *	make bench: throughput of the body scanners
 * SYNOPSIS
 *	t/bench/scan [-m MiB] [-r runs]
 * DESCRIPTION
 *	Builds large messages in memory (64 MiB by default) and feeds each
 *	to bodyline and to the MIME scanner in 65535-byte chunks, as
 *	Postfix and Sendmail pass a body, next to the anchor: memchr()
 *	finding every LF of the same buffer in the same chunks. Prints the
 *	median of several runs (7 by default) in MB/s (10^6 bytes):
 *
 *	scanner throughput in MB/s (10^6 bytes/s), 64 MiB bodies in 65535-byte chunks, median of 7 runs
 *	message          memchr-LF   bodyline       mime  check
 *	plain-78             12345      11234        inf  lines 838860 max 78 name 0 anomalies 0
 *	base64-attach        ...
 *	small-parts          ...
 *	dash-lines           ...
 *
 *	plain-78: a text/plain body of 78-byte lines (the MIME scanner is
 *	done after the header: "inf"). base64-attach: multipart/mixed, a
 *	short text part and four base64 attachments of 76-byte lines.
 *	small-parts: multipart/mixed of about 830-byte parts, each with a
 *	Content-Type name and a Content-Disposition filename (plain, RFC
 *	2047 and RFC 2231 in turn). dash-lines: a text part whose every line
 *	starts with "- " or "--", each one compared with the boundary.
 *	The "check" column shows what the scanners found, the same in every
 *	run, so nothing is optimised away and a broken scanner shows.
 *--*/
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bodyline.h"
#include "mime.h"

#define CHUNK		65535
#define BOUNDARY	"=_bench_boundary_0123456789"

struct msg {
	const char *name;
	const char *ctype;		/* top-level Content-Type */
	unsigned char *p;
	size_t	len;
	size_t	cap;
};

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((unsigned) (rng % n));
}

static void
put(struct msg *m, const char *s, size_t n)
{
	if (m->len + n > m->cap)
		n = m->cap - m->len;	/* the last line is cut: fine */
	memcpy(m->p + m->len, s, n);
	m->len += n;
}

static void
puts_msg(struct msg *m, const char *s)
{
	put(m, s, strlen(s));
}

static bool
full(const struct msg *m)
{
	return (m->len == m->cap);
}

/* line - one line of n random characters of alpha, then CRLF */

static void
line(struct msg *m, const char *alpha, size_t n)
{
	char	buf[128];
	size_t	i, k = strlen(alpha);

	for (i = 0; i < n && i < sizeof(buf) - 2; i++)
		buf[i] = alpha[rnd((unsigned) k)];
	buf[i++] = '\r';
	buf[i++] = '\n';
	put(m, buf, i);
}

/* close_multipart - the close delimiter near the end, then an epilogue to fill */

static void
close_multipart(struct msg *m)
{
	puts_msg(m, "--" BOUNDARY "--\r\n");
	while (!full(m))
		line(m, "abcdefghij ", 60);
}

/* room - space left before the close delimiter */

static bool
room(const struct msg *m)
{
	return (m->len + 4096 < m->cap);
}

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char text[] = "abcdefghijklmnopqrstuvwxyz      ,.-";

static void
gen_plain(struct msg *m)
{
	m->ctype = "text/plain; charset=us-ascii";
	while (!full(m))
		line(m, text, 78);
}

static void
gen_base64(struct msg *m)
{
	size_t	part = m->cap / 4, end;
	int	i;

	m->ctype = "multipart/mixed; boundary=\"" BOUNDARY "\"";
	puts_msg(m, "This is a multi-part message in MIME format.\r\n"
		 "--" BOUNDARY "\r\nContent-Type: text/plain\r\n\r\n");
	for (i = 0; i < 20; i++)
		line(m, text, 72);
	for (i = 0; i < 4 && !full(m); i++) {
		puts_msg(m, "--" BOUNDARY "\r\n"
			 "Content-Type: application/pdf; name=\"report.pdf\"\r\n"
			 "Content-Disposition: attachment; filename=\"report.pdf\"\r\n"
			 "Content-Transfer-Encoding: base64\r\n\r\n");
		end = m->len + part - 4096;
		while (m->len < end && !full(m))
			line(m, b64, 76);
	}
	close_multipart(m);
}

static void
gen_small(struct msg *m)
{
	char	hdr[512];
	unsigned n = 0;
	int	i;

	m->ctype = "multipart/mixed; boundary=\"" BOUNDARY "\"";
	while (room(m)) {
		switch (n++ % 3) {
		case 0:
			snprintf(hdr, sizeof(hdr), "--" BOUNDARY "\r\n"
				 "Content-Type: application/octet-stream; name=\"file-%06u.bin\"\r\n"
				 "Content-Disposition: attachment; filename=\"file-%06u.bin\"\r\n",
				 n, n);
			break;
		case 1:
			snprintf(hdr, sizeof(hdr), "--" BOUNDARY "\r\n"
				 "Content-Type: application/octet-stream;\r\n"
				 "\tname=\"=?utf-8?B?w6l0w6k=?= =?utf-8?Q?-%06u.bin?=\"\r\n"
				 "Content-Disposition: attachment;\r\n"
				 "\tfilename=\"=?utf-8?B?w6l0w6k=?= =?utf-8?Q?-%06u.bin?=\"\r\n",
				 n, n);
			break;
		default:
			snprintf(hdr, sizeof(hdr), "--" BOUNDARY "\r\n"
				 "Content-Type: application/octet-stream\r\n"
				 "Content-Disposition: attachment;\r\n"
				 " filename*0*=utf-8''%%C3%%A9t%%C3%%A9;\r\n"
				 " filename*1=\"-%06u.bin\"\r\n", n);
			break;
		}
		puts_msg(m, hdr);
		puts_msg(m, "Content-Transfer-Encoding: base64\r\n\r\n");
		for (i = 0; i < 8; i++)
			line(m, b64, 76);
	}
	close_multipart(m);
}

static void
gen_dash(struct msg *m)
{
	m->ctype = "multipart/alternative; boundary=\"" BOUNDARY "\"";
	puts_msg(m, "--" BOUNDARY "\r\nContent-Type: text/plain\r\n\r\n");
	while (room(m)) {
		put(m, rnd(4) ? "- " : "--", 2);
		line(m, text, 70);
	}
	close_multipart(m);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double) ts.tv_sec + (double) ts.tv_nsec / 1e9);
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *) a, y = *(const double *) b;

	return ((x > y) - (x < y));
}

/* The three scanners over one message; each returns what it found. */

static size_t
run_memchr(const struct msg *m)
{
	size_t	off, n, lines = 0;
	const unsigned char *p, *end;

	for (off = 0; off < m->len; off += n) {
		n = m->len - off < CHUNK ? m->len - off : CHUNK;
		for (p = m->p + off, end = p + n;
		     (p = memchr(p, '\n', (size_t) (end - p))) != NULL; p++)
			lines++;
	}
	return (lines);
}

static size_t
run_bodyline(const struct msg *m)
{
	struct bodyline b;
	size_t	off, n;

	bodyline_init(&b);
	for (off = 0; off < m->len; off += n) {
		n = m->len - off < CHUNK ? m->len - off : CHUNK;
		bodyline_feed(&b, m->p + off, n);
	}
	return (bodyline_max(&b));
}

static struct mime_scan ms;

static size_t
run_mime(const struct msg *m)
{
	size_t	off, n;

	mime_scan_init(&ms);
	mime_scan_header(&ms, "Content-Type", m->ctype);
	for (off = 0; off < m->len; off += n) {
		n = m->len - off < CHUNK ? m->len - off : CHUNK;
		mime_scan_feed(&ms, m->p + off, n);
	}
	mime_scan_end(&ms);
	return (mime_scan_filename_max(&ms));
}

/* median_mbs - median throughput of fn over m, in MB/s; *out its result */

static double
median_mbs(size_t (*fn) (const struct msg *), const struct msg *m,
	   int runs, size_t *out)
{
	double	t[64], t0, dt;
	int	i;

	for (i = 0; i < runs; i++) {
		t0 = now();
		*out = fn(m);
		dt = now() - t0;
		t[i] = dt > 0 ? (double) m->len / 1e6 / dt : 1e12;
	}
	/* cppcheck-suppress uninitvar ; main() holds runs to 1..64: all set */
	qsort(t, (size_t) runs, sizeof(t[0]), cmp_double);
	return (t[runs / 2]);
}

static void
print_mbs(double v)
{
	if (v >= 1e6)
		printf(" %10s", "inf");	/* nothing left to scan */
	else
		printf(" %10.0f", v);
}

int
main(int argc, char **argv)
{
	static void (*const gen[]) (struct msg *) = {
		gen_plain, gen_base64, gen_small, gen_dash,
	};
	static const char *const names[] = {
		"plain-78", "base64-attach", "small-parts", "dash-lines",
	};
	struct msg m;
	size_t	mib = 64, lines, max, fname;
	int	runs = 7, ch;
	unsigned i;
	double	a, b, c;

	while ((ch = getopt(argc, argv, "m:r:")) != -1) {
		switch (ch) {
		case 'm':
			mib = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			runs = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-m MiB] [-r runs]\n", argv[0]);
			return (2);
		}
	}
	if (mib < 1 || mib > 4096 || runs < 1 || runs > 64) {
		fprintf(stderr, "%s: -m 1..4096, -r 1..64\n", argv[0]);
		return (2);
	}
	printf("scanner throughput in MB/s (10^6 bytes/s), %zu MiB bodies in %d-byte chunks, median of %d runs\n",
	       mib, CHUNK, runs);
	printf("%-16s %10s %10s %10s  %s\n", "message", "memchr-LF",
	       "bodyline", "mime", "check");
	for (i = 0; i < sizeof(gen) / sizeof(gen[0]); i++) {
		memset(&m, 0, sizeof(m));
		m.name = names[i];
		m.cap = mib << 20;
		if ((m.p = malloc(m.cap)) == NULL) {
			perror("malloc");
			return (1);
		}
		gen[i](&m);
		a = median_mbs(run_memchr, &m, runs, &lines);
		b = median_mbs(run_bodyline, &m, runs, &max);
		c = median_mbs(run_mime, &m, runs, &fname);
		printf("%-16s", m.name);
		print_mbs(a);
		print_mbs(b);
		print_mbs(c);
		printf("  lines %zu max %zu name %zu anomalies %#x\n", lines,
		       max, fname, mime_scan_anomalies(&ms));
		free(m.p);
	}
	return (0);
}
