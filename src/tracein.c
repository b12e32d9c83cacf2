/*++
 * NAME
 *	tracein 3
 * SUMMARY
 *	esmtpguard-trace input: files, gzip, stdin, merged by time, followed
 * DESCRIPTION
 *	See tracein.h. Plain files are read with read(2) into a large
 *	buffer and split with memchr: zlib's transparent mode would copy
 *	every byte once more. Each input keeps its next line parsed (the
 *	"head"), so the merge compares time stamps without parsing twice;
 *	the head points into the input's buffer, which is only compacted
 *	once the head is consumed.
 *--*/
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "tracein.h"
#include "tracemap.h"

#define BUF_SIZE	(1 << 20)
#define POLL_MS		200

struct src {
	char   *name;
	int	fd;
	gzFile	gz;
	bool	eof;			/* nothing more, ever (not following) */
	char   *buf;
	size_t	start, end;		/* unconsumed bytes */
	struct traceline_year year;
	unsigned long lineno;
	bool	have;			/* head is valid */
	struct traceline head;
	unsigned long head_no;
	ino_t	ino;
	off_t	off;			/* bytes read, for truncation */
};

struct tracein {
	struct src *s;
	int	n;
	bool	follow;
};

static int
src_open(struct src *s, bool first)
{
	struct stat st;
	unsigned char magic[2];
	bool	gz = false;

	if (strcmp(s->name, "-") == 0) {
		s->fd = STDIN_FILENO;
		if ((s->gz = gzdopen(dup(STDIN_FILENO), "rb")) == NULL)
			trace_nomem();
		traceline_year_init(&s->year, (int64_t) time(NULL));
		return 0;
	}
	if ((s->fd = open(s->name, O_RDONLY | O_CLOEXEC)) < 0) {
		if (first)
			fprintf(stderr, "esmtpguard-trace: %s: %s\n", s->name, strerror(errno));
		return -1;
	}
	if (fstat(s->fd, &st) == 0) {
		s->ino = st.st_ino;
		if (first)
			traceline_year_init(&s->year, (int64_t) st.st_mtime);
	}
	if (pread(s->fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
		gz = true;
	if (gz) {
		if ((s->gz = gzdopen(s->fd, "rb")) == NULL)
			trace_nomem();
		s->fd = -1;
	}
	s->off = 0;
	return 0;
}

static void
src_close(struct src *s)
{
	if (s->gz != NULL)
		(void) gzclose(s->gz);
	else if (s->fd >= 0 && s->fd != STDIN_FILENO)
		(void) close(s->fd);
	s->gz = NULL;
	s->fd = -1;
}

struct tracein *
tracein_open(char *const *names, int n, bool follow)
{
	static char *const dash[] = {"-"};
	struct tracein *in = trace_alloc(sizeof(*in));
	int	i;

	if (n == 0) {
		names = dash;
		n = 1;
	}
	in->s = trace_alloc((size_t) n * sizeof(*in->s));
	in->n = n;
	in->follow = follow;
	for (i = 0; i < n; i++) {
		struct src *s = &in->s[i];

		s->name = trace_strndup(names[i], strlen(names[i]));
		/* not zeroed: only what read() filled is looked at, and a
		 * short input touches a few of its pages, not all 256 */
		if ((s->buf = malloc(BUF_SIZE)) == NULL)
			trace_nomem();
		if (src_open(s, true) < 0) {
			in->n = i + 1;
			tracein_close(in);
			return NULL;
		}
	}
	return in;
}

/* fill - read more; false at the end (for now) */
static bool
fill(struct src *s)
{
	ssize_t	r;

	if (s->start > 0) {
		memmove(s->buf, s->buf + s->start, s->end - s->start);
		s->end -= s->start;
		s->start = 0;
	}
	if (s->end >= BUF_SIZE)
		return false;
	if (s->gz != NULL) {
		int	k = gzread(s->gz, s->buf + s->end, (unsigned) (BUF_SIZE - s->end));

		if (k < 0) {
			int	e;

			fprintf(stderr, "esmtpguard-trace: %s: %s\n", s->name, gzerror(s->gz, &e));
			return false;
		}
		if (k == 0) {
			/* a truncated gzip file ends here too */
			gzclearerr(s->gz);
			return false;
		}
		s->end += (size_t) k;
		return true;
	}
	do
		r = read(s->fd, s->buf + s->end, BUF_SIZE - s->end);
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		if (r < 0)
			fprintf(stderr, "esmtpguard-trace: %s: %s\n", s->name, strerror(errno));
		return false;
	}
	s->end += (size_t) r;
	s->off += r;
	return true;
}

/* rotated - following: the name now points to another file, or the file
 * shrank; start over with the new one */
static bool
rotated(struct src *s)
{
	struct stat st;

	if (strcmp(s->name, "-") == 0 || stat(s->name, &st) < 0)
		return false;
	if (st.st_ino == s->ino && st.st_size >= s->off)
		return false;
	src_close(s);
	s->start = s->end = 0;
	return src_open(s, false) == 0;
}

/* advance - parse the next line into s->head; false when none (yet) */
static bool
advance(struct tracein *in, struct src *s)
{
	for (;;) {
		char   *p = s->buf + s->start, *nl;
		size_t	avail = s->end - s->start, len;

		nl = memchr(p, '\n', avail);
		if (nl == NULL) {
			if (avail >= TRACEIN_LINE_MAX) {
				/* cut an overlong line; the rest is skipped below */
				nl = p + TRACEIN_LINE_MAX - 1;
				*nl = '\n';
			} else if (!s->eof && fill(s)) {
				continue;
			} else if (in->follow) {
				if (rotated(s))
					continue;
				return false;
			} else {
				s->eof = true;
				if (avail == 0)
					return false;
				nl = p + avail;	/* the last line has no newline */
			}
		}
		len = (size_t) (nl - p);
		s->start += len + (nl < s->buf + s->end ? 1 : 0);
		s->lineno++;
		(void) traceline_parse(&s->head, p, len, &s->year);
		s->head_no = s->lineno;
		s->have = true;
		return true;
	}
}

/* before - a goes first: earlier, or as early and esmtpguard's (within
 * one second esmtpguard's lines of a session precede Postfix's queue
 * and delivery lines for it, whatever order the files were given in) */
static bool
before(const struct traceline *a, const struct traceline *b)
{
	if (b->t < 0)
		return false;
	if (a->t != b->t)
		return a->t < b->t;
	return a->src == TL_SRC_GUARD && b->src != TL_SRC_GUARD;
}

int
tracein_next(struct tracein *in, const struct traceline **l, const char **name,
	     unsigned long *lineno)
{
	int	i, best = -1, tries;

	for (tries = 0;; tries++) {
		bool	live = false;

		for (i = 0; i < in->n; i++) {
			struct src *s = &in->s[i];

			if (!s->have && !s->eof)
				(void) advance(in, s);
			if (s->have) {
				/* a line without a stamp goes at once */
				if (best < 0 || s->head.t < 0 || before(&s->head, &in->s[best].head))
					best = i;
				if (s->head.t < 0)
					break;
			}
			if (!s->eof)
				live = true;
		}
		if (best >= 0)
			break;
		if (!in->follow || !live)
			return -1;
		if (tries > 0)
			return 0;
		{
			struct timespec ts = {0, POLL_MS * 1000000L};

			nanosleep(&ts, NULL);
		}
	}
	*l = &in->s[best].head;
	in->s[best].have = false;
	*name = in->s[best].name;
	*lineno = in->s[best].head_no;
	return 1;
}

void
tracein_close(struct tracein *in)
{
	int	i;

	if (in == NULL)
		return;
	for (i = 0; i < in->n; i++) {
		src_close(&in->s[i]);
		free(in->s[i].buf);
		free(in->s[i].name);
	}
	free(in->s);
	free(in);
}
