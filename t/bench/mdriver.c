/*++
 * NAME
 *	mdriver 1t
 * SUMMARY
 *	make bench: a milter protocol driver, straight to a filter's socket
 * SYNOPSIS
 *	t/bench/mdriver SOCKET PID HOLD [SESSIONS MESSAGES BODY]
 * DESCRIPTION
 *	Speaks the milter protocol (version 6) to the unix SOCKET of the
 *	filter running as PID, as Postfix would, without an MTA in the way.
 *
 *	First it opens HOLD sessions (negotiation, connect, HELO) and holds
 *	them, then reads the filter's VmRSS and thread count; then it closes
 *	them (with MDRIVER_KEEP in the environment, only at the end: the
 *	messages then run beside HOLD idle sessions). With SESSIONS, it then
 *	runs SESSIONS threads, each opening a session and sending its share
 *	of MESSAGES messages (MAIL, RCPT, ten headers, a BODY-byte body in
 *	65535-byte chunks, end of message), and reads the filter's CPU time
 *	(utime+stime) around that. Prints one line:
 *
 *	hold N rss_kb R threads T [msgs M msg_per_s X cpu_us_per_msg C]
 *
 *	Exit status 1 when the filter answers anything but continue/accept
 *	(or a header change at end of message), or a socket fails or stays
 *	silent for MDRIVER_TIMEOUT seconds (environment, default 30).
 */

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

static const char *sock_path;
static long msgs_per_session;
static size_t body_len;
static int failed;
static struct timeval io_timeout = {30, 0};

static int
writen(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t) n;
	}
	return 0;
}

static int
readn(int fd, void *buf, size_t len)
{
	char   *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t) n;
	}
	return 0;
}

/* packet - send one command: length, command byte, data */

static int
packet(int fd, char cmd, const void *data, size_t len)
{
	uint32_t nlen = htonl((uint32_t) len + 1);

	if (writen(fd, &nlen, 4) < 0 || writen(fd, &cmd, 1) < 0)
		return -1;
	return len ? writen(fd, data, len) : 0;
}

/* reply - read packets up to the filter's verdict; 0 on continue/accept */

static int
reply(int fd)
{
	char	buf[65536];	/* per thread: the workers share nothing */

	for (;;) {
		uint32_t nlen;
		size_t	len;

		if (readn(fd, &nlen, 4) < 0)
			return -1;
		len = ntohl(nlen);
		if (len == 0 || len > sizeof(buf) || readn(fd, buf, len) < 0)
			return -1;
		switch (buf[0]) {
		case 'c':
		case 'a':
		case 'O':
			return 0;
		case 'h':		/* add header (the ID header), then the verdict */
		case 'i':		/* insert header (Received-SPF) */
		case 'p':		/* progress */
			continue;
		default:
			fprintf(stderr, "mdriver: filter answered '%c'\n", buf[0]);
			return -1;
		}
	}
}

/* cmd - a command with NUL-separated strings, and its reply */

static int
cmd(int fd, char c, const char *strs, size_t len, int want_reply)
{
	if (packet(fd, c, strs, len) < 0)
		return -1;
	return want_reply ? reply(fd) : 0;
}

#define S(lit) lit, sizeof(lit)		/* with the final NUL */

/*
 * macros - send a stage's macros (SMFIC_MACRO: the stage's command byte,
 * then NAME NUL VALUE NUL ...), built from name/value pairs. Not written
 * as one string literal: "\0" followed by a digit is an octal escape
 * ("{daemon_addr}\0127.0.0.1" is "{daemon_addr}\n7.0.0.1"), which gave
 * the filter an odd number of strings, and libmilter's smfi_getsymval()
 * steps through the list two at a time past its end (the SIGSEGV of
 * BENCHMARKS.md). An MTA always sends pairs. No reply.
 */
static int
macros(int fd, char stage, const char *const *pairs)
{
	char	buf[1024];
	size_t	len = 0;

	buf[len++] = stage;
	for (; pairs[0] != NULL; pairs += 2) {
		size_t	n = strlen(pairs[0]) + 1, v;

		if (pairs[1] == NULL)
			abort();		/* a name without its value */
		v = strlen(pairs[1]) + 1;
		if (len + n + v > sizeof(buf))
			abort();
		memcpy(buf + len, pairs[0], n);
		memcpy(buf + len + n, pairs[1], v);
		len += n + v;
	}
	return packet(fd, 'D', buf, len);
}

static int
session_open(int n)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	unsigned char opt[12];
	uint32_t v[3] = {htonl(6), htonl(0x1ff), htonl(0x1fffff)};
	char	conn[128], addr[32];
	const char *conn_macros[] = {"j", "mx.test.example",
		"{client_addr}", addr, "{client_ptr}", "client.example",
		"{client_resolve}", "OK", "{daemon_addr}", "127.0.0.1",
		"{if_addr}", "127.0.0.1", NULL};
	int	fd, len;

	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return -1;
	/* a filter that stops answering fails the run instead of hanging it */
	(void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &io_timeout, sizeof(io_timeout));
	(void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &io_timeout, sizeof(io_timeout));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	if (connect(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0) {
		close(fd);
		return -1;
	}
	memcpy(opt, v, sizeof(opt));
	/* Postfix sends connect macros, then CONNECT: host, family, port, addr */
	snprintf(addr, sizeof(addr), "192.0.2.%d", 1 + n % 250);
	len = snprintf(conn, sizeof(conn), "client%d.example%c4%c%c%s",
		       n, 0, 0x30, 0x39, addr);
	if (cmd(fd, 'O', (char *) opt, sizeof(opt), 1) < 0
	    || macros(fd, 'C', conn_macros) < 0
	    || cmd(fd, 'C', conn, (size_t) len + 1, 1) < 0
	    || cmd(fd, 'H', S("client.example"), 1) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
message(int fd, const char *body)
{
	static const char *hdrs[] = {"From", "To", "Subject", "Date",
		"Message-ID", "MIME-Version", "Content-Type", "X-Mailer",
	"Received", "Received"};
	static const char *const mail_macros[] = {"i", "ABC123",
		"{mail_addr}", "a@sender.example", NULL};
	static const char *const rcpt_macros[] = {"i", "ABC123",
		"{rcpt_addr}", "b@rcpt.example", NULL};
	char	h[256];
	size_t	i, off;
	int	len;

	if (macros(fd, 'M', mail_macros) < 0
	    || cmd(fd, 'M', S("<a@sender.example>"), 1) < 0
	    || macros(fd, 'R', rcpt_macros) < 0
	    || cmd(fd, 'R', S("<b@rcpt.example>"), 1) < 0
	    || cmd(fd, 'T', "", 0, 1) < 0)
		return -1;
	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		len = snprintf(h, sizeof(h), "%s%c some value for header number %zu",
			       hdrs[i], 0, i);
		if (cmd(fd, 'L', h, (size_t) len + 1, 1) < 0)
			return -1;
	}
	if (cmd(fd, 'N', "", 0, 1) < 0)
		return -1;
	for (off = 0; off < body_len; off += 65535) {
		size_t	n = body_len - off < 65535 ? body_len - off : 65535;

		if (cmd(fd, 'B', body + off, n, 1) < 0)
			return -1;
	}
	return cmd(fd, 'E', "", 0, 1);
}

static void *
worker(void *arg)
{
	const char *body = arg;
	int	fd = session_open(0);
	long	i;

	if (fd < 0) {
		__atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	for (i = 0; i < msgs_per_session; i++)
		if (message(fd, body) < 0) {
			__atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
			break;
		}
	(void) packet(fd, 'Q', "", 0);
	close(fd);
	return NULL;
}

static long
status_kb(long pid, const char *field)
{
	char	path[64], line[256];
	long	v = -1;
	FILE   *fp;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp))
		if (strncmp(line, field, strlen(field)) == 0)
			v = atol(line + strlen(field) + 1);
	(void) fclose(fp);		/* read only */
	return v;
}

static double
cpu_s(long pid)
{
	char	path[64];
	unsigned long ut = 0, st = 0;
	FILE   *fp;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	/* the command name has no spaces here: esmtpguard, noop */
	if (fscanf(fp, "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		   &ut, &st) != 2)
		ut = st = 0;
	(void) fclose(fp);		/* read only */
	return (double) (ut + st) / (double) sysconf(_SC_CLK_TCK);
}

static void
close_all(int *fds, long n)
{
	long	i;

	for (i = 0; i < n; i++) {
		(void) packet(fds[i], 'Q', "", 0);
		close(fds[i]);
	}
	free(fds);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct rlimit rl = {65536, 65536};
	long	pid, hold, i, sessions, msgs, settle;
	int    *fds;
	const char *timeout;
	int	keep;

	if (argc != 4 && argc != 7) {
		fprintf(stderr, "usage: mdriver SOCKET PID HOLD [SESSIONS MESSAGES BODY]\n");
		return 64;
	}
	if ((timeout = getenv("MDRIVER_TIMEOUT")) != NULL)
		io_timeout.tv_sec = atol(timeout);
	sock_path = argv[1];
	pid = atol(argv[2]);
	hold = atol(argv[3]);
	(void) setrlimit(RLIMIT_NOFILE, &rl);
	if ((fds = calloc((size_t) hold + 1, sizeof(*fds))) == NULL)
		return 1;
	for (i = 0; i < hold; i++)
		if ((fds[i] = session_open((int) i)) < 0) {
			fprintf(stderr, "mdriver: session %ld of %ld: %s\n", i + 1,
				hold, strerror(errno));
			free(fds);
			return 1;
		}
	/*
	 * Let the filter settle: a libmilter built with its worker pool
	 * (Debian's) hands an idle session back to its poll() thread, one
	 * built without has a thread per session still starting.
	 */
	for (settle = 0; hold > 0 && settle < 20; settle++)
		nanosleep(&(struct timespec) {.tv_nsec = 50000000}, NULL);
	printf("hold %ld rss_kb %ld threads %ld", hold, status_kb(pid, "VmRSS"),
	       status_kb(pid, "Threads"));
	keep = getenv("MDRIVER_KEEP") != NULL;
	if (!keep)
		close_all(fds, hold);
	if (argc == 7) {
		pthread_t *tid;
		char   *body;
		double	t0, t1, c0, c1;

		sessions = atol(argv[4]);
		msgs = atol(argv[5]);
		body_len = (size_t) atol(argv[6]);
		msgs_per_session = msgs / sessions;
		msgs = msgs_per_session * sessions;
		body = malloc(body_len + 1);
		tid = calloc((size_t) sessions, sizeof(*tid));
		if (body == NULL || tid == NULL)
			exit(1);		/* exit frees what is held */
		for (i = 0; i < (long) body_len; i++)
			body[i] = (char) (i % 72 == 71 ? '\n' : (i % 72 == 70 ? '\r' : 'a' + i % 26));
		c0 = cpu_s(pid);
		t0 = now();
		for (i = 0; i < sessions; i++)
			if (pthread_create(&tid[i], NULL, worker, body) != 0)
				exit(1);
		for (i = 0; i < sessions; i++)
			pthread_join(tid[i], NULL);
		t1 = now();
		c1 = cpu_s(pid);
		printf(" msgs %ld msg_per_s %.0f cpu_us_per_msg %.1f", msgs,
		       msgs / (t1 - t0), (c1 - c0) * 1e6 / msgs);
		free(body);
		free(tid);
	}
	printf("\n");
	if (keep)
		close_all(fds, hold);
	return failed;
}
