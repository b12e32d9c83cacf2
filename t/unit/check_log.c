/*++
 * NAME
 *	check_log 1t
 * SUMMARY
 *	unit tests of log: the syslog datagram and the ESA file line
 * DESCRIPTION
 *	A syslog "daemon" of the test's own is a datagram socket in a
 *	temporary directory (log_open_at); the file is a temporary file.
 *--*/
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "unit.h"

static char dir[64];
static char sock_path[96];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_log.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock_path, sizeof(sock_path), "%s/log", dir);
}

static void
teardown(void)
{
	char	path[112];

	log_set_file(NULL);
	unlink(sock_path);
	snprintf(path, sizeof(path), "%s/file", dir);
	unlink(path);
	rmdir(dir);
}

/* listener - a syslog daemon's socket at sock_path */

static int
listener(void)
{
	struct sockaddr_un sun;
	int	fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	unlink(sock_path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *) &sun, sizeof(sun)), 0);
	return fd;
}

/* receive - one datagram as a string, within 5 s */

static char *
receive(int fd)
{
	static char buf[8192];
	struct timeval tv = {5, 0};
	ssize_t	n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = 0;
	return buf;
}

static void
assert_matches(const char *s, const char *ere)
{
	regex_t	re;

	ck_assert_int_eq(regcomp(&re, ere, REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_msg(regexec(&re, s, 0, NULL, 0) == 0, "'%s' !~ /%s/", s, ere);
	regfree(&re);
}

#define SYS_STAMP "[A-Z][a-z]{2} [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9]"
#define ESA_STAMP "[A-Z][a-z]{2} [A-Z][a-z]{2} [ 1-3][0-9] " \
	"[0-2][0-9]:[0-5][0-9]:[0-6][0-9] [0-9]{4}"

START_TEST(syslog_sends_what_syslog3_sends)
{
	int	fd = listener();
	char	want[64];

	log_open_at(LOG_MAIL, sock_path);
	log_info("ICID %d close", 7);
	snprintf(want, sizeof(want), " esmtpguard[%ld]: ICID 8 close",
		 (long) getpid());
	assert_matches(receive(fd), "^<22>" SYS_STAMP);
	log_info("ICID %d close", 8);
	ck_assert_str_eq(strstr(receive(fd), " esmtpguard["), want);
	log_warn("odd");
	assert_matches(receive(fd), "^<20>" SYS_STAMP " esmtpguard\\[[0-9]+\\]: odd$");
	log_open_at(LOG_LOCAL3, sock_path);
	log_error("bad");
	assert_matches(receive(fd), "^<155>" SYS_STAMP " esmtpguard\\[[0-9]+\\]: bad$");
	close(fd);
}
END_TEST

/* a syslog daemon that restarts gets the next line on its new socket */
START_TEST(syslog_reconnects_after_restart)
{
	int	fd = listener();

	log_open_at(LOG_MAIL, sock_path);
	log_info("before");
	assert_matches(receive(fd), ": before$");
	close(fd);
	fd = listener();
	log_info("after");
	assert_matches(receive(fd), ": after$");
	close(fd);
}
END_TEST

/* the child of a fork (daemonize) logs its own process ID */
START_TEST(syslog_pid_after_fork)
{
	int	fd = listener(), status;
	pid_t	child;
	char	want[64];

	log_open_at(LOG_MAIL, sock_path);
	log_info("parent");
	(void) receive(fd);
	if ((child = fork()) == 0) {
		log_info("child");
		_exit(0);
	}
	ck_assert_int_gt(child, 0);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	snprintf(want, sizeof(want), "esmtpguard[%ld]: child", (long) child);
	ck_assert_str_eq(strstr(receive(fd), "esmtpguard["), want);
	close(fd);
}
END_TEST

/* read_file - the whole log file */

static char *
read_file(void)
{
	static char buf[16384];
	char	path[112];
	ssize_t	n;
	int	fd;

	snprintf(path, sizeof(path), "%s/file", dir);
	ck_assert_int_ge(fd = open(path, O_RDONLY), 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ck_assert_int_ge(n, 0);
	buf[n] = 0;
	return buf;
}

/* the file's lines, a long one whole, whether syslog listens or not */
START_TEST(file_lines_whole)
{
	char	path[112], *big, *got, *nl;
	size_t	i;

	snprintf(path, sizeof(path), "%s/file", dir);
	log_open_at(LOG_MAIL, sock_path);	/* nobody listens */
	ck_assert_int_eq(log_set_file(path), 0);
	big = malloc(5001);
	ck_assert_ptr_nonnull(big);
	for (i = 0; i < 5000; i++)
		big[i] = (char) ('a' + i % 26);
	big[5000] = 0;
	log_info("MID 1 Subject '%s'", big);
	log_error("ICID 2 internal error: %s", "x");
	log_warn("w");
	log_text(LOG_SEV_INFO, big);		/* a built line: no format */
	log_text(LOG_SEV_INFO, "100% built");
	got = read_file();
	nl = strchr(got, '\n');
	ck_assert_ptr_nonnull(nl);
	*nl = 0;
	assert_matches(got, "^" ESA_STAMP " Info: MID 1 Subject 'abc");
	ck_assert_uint_eq(strlen(strstr(got, "Info: ")), 6 + 15 + 5000 + 1);
	got = nl + 1;
	nl = strchr(strchr(got, '\n') + 1, '\n');
	*nl = 0;
	assert_matches(got, "^" ESA_STAMP " Critical: ICID 2 internal error: x\n"
		       ESA_STAMP " Warning: w$");
	got = nl + 1;
	nl = strchr(got, '\n');
	ck_assert_ptr_nonnull(nl);
	*nl = 0;
	ck_assert_str_eq(strstr(got, "Info: ") + 6, big);
	assert_matches(nl + 1, "^" ESA_STAMP " Info: 100% built\n$");
	free(big);
}
END_TEST

/* file_size - bytes in the log file now */

static long
file_size(void)
{
	char	path[112];
	struct stat st;

	snprintf(path, sizeof(path), "%s/file", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	return (long) st.st_size;
}

/*
 * Held lines reach the file at log_release, in order; lines that would
 * overflow the batch go out first, and a long one after them.
 */
START_TEST(held_lines_at_release)
{
	struct log_batch lb;
	char	path[112], *big, *got;
	size_t	i;

	snprintf(path, sizeof(path), "%s/file", dir);
	log_open_at(LOG_MAIL, sock_path);	/* nobody listens */
	ck_assert_int_eq(log_set_file(path), 0);
	big = malloc(LOG_BATCH + 1);
	ck_assert_ptr_nonnull(big);
	for (i = 0; i < LOG_BATCH; i++)
		big[i] = (char) ('a' + i % 26);
	big[LOG_BATCH] = 0;
	log_hold(&lb);
	log_info("MID 1 ready");
	log_warn("odd");
	ck_assert_int_eq(file_size(), 0);
	log_release(&lb);
	got = read_file();
	assert_matches(got, "^" ESA_STAMP " Info: MID 1 ready\n"
		       ESA_STAMP " Warning: odd\n$");
	log_hold(&lb);
	log_info("one");
	log_text(LOG_SEV_INFO, big);		/* bigger than the batch */
	log_info("two");
	got = read_file();
	ck_assert_ptr_nonnull(strstr(got, "Info: one\n"));
	ck_assert_ptr_nonnull(strstr(got, big));
	ck_assert_ptr_null(strstr(got, "two"));
	log_release(&lb);
	got = read_file();
	ck_assert_ptr_nonnull(strstr(strstr(strstr(got, "Info: one\n"), big),
				     "Info: two\n"));
	log_info("after");			/* not held */
	ck_assert_ptr_nonnull(strstr(read_file(), "Info: after\n"));
	free(big);
}
END_TEST

/* a fatal line ends the process: it and the held lines reach the file */
START_TEST(held_lines_before_fatal)
{
	struct log_batch lb;
	char	path[112];

	snprintf(path, sizeof(path), "%s/file", dir);
	log_open_at(LOG_MAIL, sock_path);
	ck_assert_int_eq(log_set_file(path), 0);
	if (fork() == 0) {
		log_hold(&lb);
		log_info("held");
		log_fatal(3, "gone");
	}
	ck_assert_int_ge(wait(NULL), 0);
	assert_matches(read_file(), "^" ESA_STAMP " Info: held\n"
		       ESA_STAMP " Critical: gone\n$");
}
END_TEST

/*
 * Threads log side by side while the file is switched and syslog
 * reopened (both take the lock for writing), some holding their lines:
 * every line reaches one of the files whole, once, and
 * in each thread's order; every datagram is one whole line.
 */
#define TH_THREADS	4
#define TH_LINES	3000

static void *
th_logger(void *arg)
{
	int	t = (int) (long) arg, n;
	struct log_batch lb;

	for (n = 0; n < TH_LINES; n++) {
		/* odd threads hold their lines seven at a time, as callbacks do */
		if (t % 2 && n % 7 == 0)
			log_hold(&lb);
		log_info("T%d L%d %s", t, n, "padding padding padding padding");
		if (t % 2 && (n % 7 == 6 || n == TH_LINES - 1))
			log_release(&lb);
	}
	return NULL;
}

static int th_stop;

static void
nap(long usec)
{
	struct timespec ts = {0, usec * 1000};

	(void) nanosleep(&ts, NULL);
}
static int th_dgrams;

static void *
th_syslogd(void *arg)
{
	int	fd = (int) (long) arg;
	char	buf[512];
	ssize_t	n;

	while (!__atomic_load_n(&th_stop, __ATOMIC_ACQUIRE)
	       || recv(fd, buf, 1, MSG_PEEK | MSG_DONTWAIT) > 0) {
		if ((n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) <= 0) {
			nap(100);
			continue;
		}
		buf[n] = 0;
		assert_matches(buf, "^<22>" SYS_STAMP " esmtpguard\\[[0-9]+\\]: "
			       "T[0-9] L[0-9]+ padding padding padding padding$");
		th_dgrams++;
	}
	return NULL;
}

/* th_collect - check the lines of file N, marking seen[thread][line] */

static int
th_collect(int n, unsigned char seen[][TH_LINES])
{
	char	path[112], *line = NULL;
	size_t	cap = 0;
	int	last[TH_THREADS], t, l, got = 0;
	FILE   *fp;

	for (t = 0; t < TH_THREADS; t++)
		last[t] = -1;
	snprintf(path, sizeof(path), "%s/file%d", dir, n);
	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	while (getline(&line, &cap, fp) > 0) {
		assert_matches(line, "^" ESA_STAMP " Info: T[0-9] L[0-9]+ "
			       "padding padding padding padding\n$");
		ck_assert_int_eq(sscanf(strstr(line, "Info: "), "Info: T%d L%d",
					&t, &l), 2);
		ck_assert(t >= 0 && t < TH_THREADS && l >= 0 && l < TH_LINES);
		ck_assert_msg(l > last[t], "T%d L%d after L%d", t, l, last[t]);
		last[t] = l;
		ck_assert_int_eq(seen[t][l], 0);
		seen[t][l] = 1;
		got++;
	}
	free(line);
	(void) fclose(fp);
	unlink(path);
	return got;
}

START_TEST(threads_lines_whole)
{
	static unsigned char seen[TH_THREADS][TH_LINES];
	pthread_t th[TH_THREADS], sysd;
	char	path[112];
	int	fd = listener(), i, got;

	log_open_at(LOG_MAIL, sock_path);
	th_stop = 0;
	th_dgrams = 0;
	ck_assert_int_eq(pthread_create(&sysd, NULL, th_syslogd, (void *) (long) fd), 0);
	snprintf(path, sizeof(path), "%s/file0", dir);
	ck_assert_int_eq(log_set_file(path), 0);
	for (i = 0; i < TH_THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, th_logger,
						(void *) (long) i), 0);
	for (i = 1; i <= 6; i++) {
		nap(2000);
		snprintf(path, sizeof(path), "%s/file%d", dir, i % 2);
		ck_assert_int_eq(log_set_file(path), 0);
		log_open_at(LOG_MAIL, sock_path);
	}
	for (i = 0; i < TH_THREADS; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
	__atomic_store_n(&th_stop, 1, __ATOMIC_RELEASE);
	ck_assert_int_eq(pthread_join(sysd, NULL), 0);
	close(fd);
	log_set_file(NULL);
	got = th_collect(0, seen) + th_collect(1, seen);
	ck_assert_int_eq(got, TH_THREADS * TH_LINES);
	ck_assert_int_gt(th_dgrams, 0);
}
END_TEST

static Suite *
suite(void)
{
	Suite  *s = suite_create("log");
	TCase  *tc = tcase_create("log");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, syslog_sends_what_syslog3_sends);
	tcase_add_test(tc, syslog_reconnects_after_restart);
	tcase_add_test(tc, syslog_pid_after_fork);
	tcase_add_test(tc, file_lines_whole);
	tcase_add_test(tc, threads_lines_whole);
	tcase_add_test(tc, held_lines_at_release);
	tcase_add_test(tc, held_lines_before_fatal);
	suite_add_tcase(s, tc);
	return (s);
}

UNIT_MAIN
