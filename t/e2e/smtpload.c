/*++
 * NAME
 *	smtpload 1t
 * SUMMARY
 *	SMTP sessions in parallel, each of a scripted kind, one outcome each
 * SYNOPSIS
 *	t/e2e/smtpload -p PORT -n SESSIONS [-c CONCURRENCY] [-k KIND,...]
 *		[-i PREFIX] [-s FIRST] [-S STOPFILE] [-o OUTFILE]
 * DESCRIPTION
 *	The load of the soak and fault tests (t/e2e/faults.sh, soak.sh):
 *	CONCURRENCY threads (default 4) run SESSIONS SMTP sessions against
 *	127.0.0.1:PORT, numbered from FIRST (default 0); session i is of
 *	the i-th KIND of the list, round robin (default "normal"). Each
 *	message carries its ID, PREFIX-i, in Message-ID, Subject and an
 *	X-Load-ID header, so that a delivery can be matched to what the
 *	client saw. smtp-source cannot do the violations below, nor say
 *	which message got which reply.
 *
 *	Kinds: normal (one message), longbody (a 1200-byte body line),
 *	longhdr (a 1100-byte header line), rcpt101 (101 recipients),
 *	longcmd (EHLO with 600 bytes), longsender (a 321-byte local part),
 *	mimelong (an attachment's 300-byte file name), dropdata (half a
 *	message, then the connection is closed), rset (MAIL, RCPT, RSET,
 *	then a message), quitearly (MAIL, RCPT, QUIT), unknown (XFOO, then
 *	a message).
 *
 *	One line per session on OUTFILE (default stdout), flushed at once so
 *	that a test can count progress:
 *
 *	ID KIND CODE STAGE
 *
 *	CODE STAGE is "250 DOT" for a message accepted at its final dot;
 *	the first refusal otherwise ("451 MAIL", "421 RCPT", "421 DOT",
 *	...); "221 QUIT" for quitearly, "000 DROP" for dropdata; "000 LOST"
 *	when the server closed the connection or did not answer (60 s)
 *	without a reply code. With STOPFILE, no session starts once that
 *	file exists.
 *
 *	Exit status 0, or 2 on a usage or system error.
 *--*/

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

enum kind {
	K_NORMAL, K_LONGBODY, K_LONGHDR, K_RCPT101, K_LONGCMD, K_LONGSENDER,
	K_MIMELONG, K_DROPDATA, K_RSET, K_QUITEARLY, K_UNKNOWN, K_COUNT
};

static const char *const kind_name[K_COUNT] = {
	"normal", "longbody", "longhdr", "rcpt101", "longcmd", "longsender",
	"mimelong", "dropdata", "rset", "quitearly", "unknown",
};

static int port;
static long first, sessions, next_session;
static const char *prefix = "m";
static const char *stopfile;
static enum kind kinds[64];
static int nkinds;
static FILE *out;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

struct conn {
	int	fd;
	char	buf[4096];
	size_t	len;			/* bytes in buf */
	size_t	pos;			/* next unread byte */
};

static bool
send_all(struct conn *c, const char *p, size_t n)
{
	ssize_t	w;

	while (n > 0) {
		if ((w = send(c->fd, p, n, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += w;
		n -= (size_t) w;
	}
	return true;
}

static bool
__attribute__((format(printf, 2, 3)))
sendf(struct conn *c, const char *fmt, ...)
{
	char	line[2048];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t) n >= sizeof(line))
		return false;
	return send_all(c, line, (size_t) n);
}

/* read_line - one line without its end; false on EOF, error or timeout */

static bool
read_line(struct conn *c, char *line, size_t size)
{
	size_t	n = 0;
	ssize_t	r;
	char	ch;

	for (;;) {
		if (c->pos == c->len) {
			do
				r = recv(c->fd, c->buf, sizeof(c->buf), 0);
			while (r < 0 && errno == EINTR);
			if (r <= 0)
				return false;
			c->len = (size_t) r;
			c->pos = 0;
		}
		ch = c->buf[c->pos++];
		if (ch == '\n')
			break;
		if (ch != '\r' && n + 1 < size)
			line[n++] = ch;
	}
	line[n] = 0;
	return true;
}

/* reply - the code of a (multi-line) reply; 0 when none came */

static int
reply(struct conn *c)
{
	char	line[1024];

	do {
		if (!read_line(c, line, sizeof(line)) || strlen(line) < 3)
			return 0;
	/* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult): strlen >= 3 */
	} while (line[3] == '-');
	return atoi(line);
}

/* cmd - send a command line, return the reply code */

static int
cmd(struct conn *c, const char *line)
{
	if (!sendf(c, "%s\r\n", line))
		return 0;
	return reply(c);
}

static void
record(const char *id, enum kind k, int code, const char *stage)
{
	pthread_mutex_lock(&lock);
	fprintf(out, "%s %s %03d %s\n", id, kind_name[k], code,
		code == 0 && strcmp(stage, "DROP") != 0 ? "LOST" : stage);
	(void) fflush(out);		/* errors: checked by fclose at the end */
	pthread_mutex_unlock(&lock);
}

static void
repeat(char *dst, int ch, size_t n)
{
	memset(dst, ch, n);
	dst[n] = 0;
}

/* message - MAIL, RCPT(s), DATA and the content; 250 or the refusal */

static int
message(struct conn *c, const char *id, enum kind k, const char **stage)
{
	char	big[1300], line[1400];
	int	code, i, nrcpt = k == K_RCPT101 ? 101 : 1;

	*stage = "MAIL";
	if (k == K_LONGSENDER) {
		repeat(big, 's', 321);
		snprintf(line, sizeof(line), "MAIL FROM:<%s@sender.example>", big);
	} else
		snprintf(line, sizeof(line), "MAIL FROM:<a@sender.example>");
	if ((code = cmd(c, line)) != 250)
		return code;
	*stage = "RCPT";
	for (i = 0; i < nrcpt; i++) {
		snprintf(line, sizeof(line), "RCPT TO:<r%d@rcpt.example>", i);
		if ((code = cmd(c, line)) != 250)
			return code;
	}
	if (k == K_QUITEARLY) {
		*stage = "QUIT";
		return cmd(c, "QUIT");
	}
	*stage = "DATA";
	if ((code = cmd(c, "DATA")) != 354)
		return code;
	if (!sendf(c, "From: <a@sender.example>\r\nTo: <r0@rcpt.example>\r\n"
		   "Subject: %s\r\nMessage-ID: <%s@load.test>\r\n"
		   "X-Load-ID: %s\r\n", id, id, id))
		return 0;
	if (k == K_LONGHDR) {
		repeat(big, 'v', 1100);
		if (!sendf(c, "X-Long: %s\r\n", big))
			return 0;
	}
	if (k == K_MIMELONG) {
		repeat(big, 'f', 300);
		if (!sendf(c, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed;"
			   " boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain"
			   "\r\n\r\nsee the attachment\r\n--b\r\nContent-Type: "
			   "application/octet-stream\r\nContent-Disposition: "
			   "attachment; filename=\"%s\"\r\n\r\naGVsbG8K\r\n--b--"
			   "\r\n", big))
			return 0;
	} else if (!sendf(c, "\r\n"))
		return 0;
	for (i = 0; i < 10; i++)
		if (!sendf(c, "line %d of the body of %s, load test\r\n", i, id))
			return 0;
	if (k == K_DROPDATA) {
		*stage = "DROP";
		return 0;
	}
	if (k == K_LONGBODY) {
		repeat(big, 'b', 1200);
		if (!sendf(c, "%s\r\n", big))
			return 0;
	}
	*stage = "DOT";
	return cmd(c, ".");
}

static void
session(long n)
{
	struct sockaddr_in sa = {0};
	struct timeval tv = {.tv_sec = 60};
	struct conn c = {.fd = -1};
	enum kind k = kinds[n % nkinds];
	const char *stage = "CONNECT";
	char	id[128], big[700];
	int	code;

	snprintf(id, sizeof(id), "%s-%ld", prefix, n);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short) port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((c.fd = socket(AF_INET, SOCK_STREAM, 0)) < 0
	    || setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0
	    || setsockopt(c.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0
	    || connect(c.fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
		code = 0;
		goto done;
	}
	if ((code = reply(&c)) != 220)
		goto done;
	stage = "EHLO";
	if (k == K_LONGCMD) {
		repeat(big, 'h', 600);
		snprintf(big + 600 - 5, 6, "%s", ".test");
		if (!sendf(&c, "EHLO %s\r\n", big))
			code = 0;
		else
			code = reply(&c);
	} else
		code = cmd(&c, "EHLO client.test.example");
	if (code != 250)
		goto done;
	if (k == K_UNKNOWN) {
		stage = "XFOO";
		if ((code = cmd(&c, "XFOO bar")) < 500)
			goto done;
	}
	if (k == K_RSET) {
		stage = "MAIL";
		if ((code = cmd(&c, "MAIL FROM:<a@sender.example>")) != 250)
			goto done;
		stage = "RCPT";
		if ((code = cmd(&c, "RCPT TO:<r0@rcpt.example>")) != 250)
			goto done;
		stage = "RSET";
		if ((code = cmd(&c, "RSET")) != 250)
			goto done;
	}
	code = message(&c, id, k, &stage);
	if (code == 0 || code == 421 || k == K_QUITEARLY)
		goto done;
	(void) cmd(&c, "QUIT");

done:
	record(id, k, code, stage);
	if (c.fd >= 0)
		close(c.fd);
}

static void *
worker(void *arg)
{
	long	n;

	(void) arg;
	for (;;) {
		if (stopfile != NULL && access(stopfile, F_OK) == 0)
			return NULL;
		pthread_mutex_lock(&lock);
		n = next_session < first + sessions ? next_session++ : -1;
		pthread_mutex_unlock(&lock);
		if (n < 0)
			return NULL;
		session(n);
	}
}

static bool
parse_kinds(char *list)
{
	char   *name, *save = NULL;
	int	k;

	nkinds = 0;
	for (name = strtok_r(list, ",", &save); name != NULL;
	     name = strtok_r(NULL, ",", &save)) {
		for (k = 0; k < K_COUNT && strcmp(name, kind_name[k]) != 0; k++)
			continue;
		if (k == K_COUNT || nkinds == (int) (sizeof(kinds) / sizeof(kinds[0]))) {
			fprintf(stderr, "smtpload: unknown kind or too many: %s\n", name);
			return false;
		}
		kinds[nkinds++] = (enum kind) k;
	}
	return nkinds > 0;
}

int
main(int argc, char **argv)
{
	pthread_t tid[256];
	int	ch, i, conc = 4;

	out = stdout;
	kinds[nkinds++] = K_NORMAL;
	while ((ch = getopt(argc, argv, "p:n:c:k:i:s:S:o:")) != -1) {
		switch (ch) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'n':
			sessions = atol(optarg);
			break;
		case 'c':
			conc = atoi(optarg);
			break;
		case 'k':
			if (!parse_kinds(optarg))
				return 2;
			break;
		case 'i':
			prefix = optarg;
			break;
		case 's':
			first = atol(optarg);
			break;
		case 'S':
			stopfile = optarg;
			break;
		case 'o':
			if ((out = fopen(optarg, "a")) == NULL) {
				perror(optarg);
				return 2;
			}
			break;
		default:
			goto usage;
		}
	}
	if (port <= 0 || sessions <= 0 || conc <= 0
	    || conc > (int) (sizeof(tid) / sizeof(tid[0])) || optind != argc)
		goto usage;
	next_session = first;
	for (i = 0; i < conc; i++)
		if ((errno = pthread_create(&tid[i], NULL, worker, NULL)) != 0) {
			perror("pthread_create");
			return 2;
		}
	for (i = 0; i < conc; i++)
		pthread_join(tid[i], NULL);
	/* the test reads this file: a lost write must not pass silently */
	if (out != stdout && fclose(out) != 0) {
		perror("smtpload: output");
		return 2;
	}
	return 0;

usage:
	fprintf(stderr, "usage: smtpload -p PORT -n SESSIONS [-c CONCURRENCY] "
		"[-k KIND,...] [-i PREFIX] [-s FIRST] [-S STOPFILE] [-o OUTFILE]\n");
	return 2;
}
