/*++
 * NAME
 *	check_idalloc 1t
 * SUMMARY
 *	unit tests of idalloc: order, persistence, crashes, locking, threads
 *--*/
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "idalloc.h"
#include "unit.h"

static char dir[64];
static char err[256];

/* setup/teardown - a fresh, empty state directory per test */

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/idalloc.XXXXXX",
		 tmp != NULL && strlen(tmp) < 40 ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return (remove(p) < 0 ? -1 : 0);
}

static void
teardown(void)
{
	if (access(dir, F_OK) == 0)
		ck_assert_int_eq(nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
}

static char *
path(const char *name)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return (buf);
}

/* slurp - the state file as it is on disk */

static const char *
slurp(void)
{
	static char buf[256];
	ssize_t	n;
	int	fd;

	ck_assert_int_ge(fd = open(path("ids"), O_RDONLY), 0);
	n = read(fd, buf, sizeof(buf) - 1);
	ck_assert_int_ge(n, 0);
	ck_assert_int_lt(n, (ssize_t)sizeof(buf) - 1);
	buf[n] = '\0';
	close(fd);
	return (buf);
}

static void
spew(const char *name, const char *text, size_t len)
{
	int	fd;

	ck_assert_int_ge(fd = open(path(name), O_WRONLY | O_CREAT | O_TRUNC,
				   0644), 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static struct idalloc *
xopen(unsigned block)
{
	struct idalloc *ida;

	ida = idalloc_open(dir, block, err, sizeof(err));
	ck_assert_msg(ida != NULL, "idalloc_open: %s", err);
	return (ida);
}

static uint64_t
xnext(struct idalloc *ida, enum idalloc_kind kind)
{
	uint64_t id = 0;

	ck_assert_msg(idalloc_next(ida, kind, &id, err, sizeof(err)) == 0,
		      "idalloc_next: %s", err);
	return (id);
}

START_TEST(fresh_starts_at_one)
{
	struct idalloc *ida = xopen(5);

	/* created at open, nothing reserved yet */
	ck_assert_str_eq(slurp(), "icid 1\nmid 1\n");

	/* the block is on disk before its first ID is handed out */
	ck_assert_uint_eq(xnext(ida, IDALLOC_ICID), 1);
	ck_assert_str_eq(slurp(), "icid 6\nmid 1\n");
	ck_assert_uint_eq(xnext(ida, IDALLOC_ICID), 2);
	ck_assert_uint_eq(xnext(ida, IDALLOC_MID), 1);
	ck_assert_str_eq(slurp(), "icid 6\nmid 6\n");
	ck_assert_uint_eq(xnext(ida, IDALLOC_ICID), 3);
	ck_assert_uint_eq(xnext(ida, IDALLOC_ICID), 4);
	ck_assert_uint_eq(xnext(ida, IDALLOC_ICID), 5);
	ck_assert_str_eq(slurp(), "icid 6\nmid 6\n");
	ck_assert_uint_eq(xnext(ida, IDALLOC_ICID), 6);
	ck_assert_str_eq(slurp(), "icid 11\nmid 6\n");
	ck_assert_uint_eq(xnext(ida, IDALLOC_MID), 2);

	/* no temporary file left behind */
	ck_assert_int_eq(access(path("ids.tmp"), F_OK), -1);
	idalloc_close(ida);
}
END_TEST

START_TEST(strictly_increasing)
{
	struct idalloc *ida = xopen(3);
	uint64_t prev = 0, id;
	int	i;

	for (i = 0; i < 1000; i++) {
		id = xnext(ida, i % 3 ? IDALLOC_ICID : IDALLOC_MID);
		if (i % 3) {
			ck_assert_uint_gt(id, prev);
			prev = id;
		}
	}
	idalloc_close(ida);
}
END_TEST

START_TEST(reopen_continues)
{
	struct idalloc *ida = xopen(5);
	int	i;

	for (i = 0; i < 7; i++)
		ck_assert_uint_eq(xnext(ida, IDALLOC_ICID), (uint64_t)i + 1);
	idalloc_close(ida);

	/* a clean close leaves no gap, and never goes back */
	ck_assert_str_eq(slurp(), "icid 8\nmid 1\n");
	ida = xopen(100);
	ck_assert_uint_eq(xnext(ida, IDALLOC_ICID), 8);
	ck_assert_uint_eq(xnext(ida, IDALLOC_MID), 1);
	idalloc_close(ida);

	ida = xopen(100);
	ck_assert_uint_eq(xnext(ida, IDALLOC_ICID), 9);
	ck_assert_uint_eq(xnext(ida, IDALLOC_MID), 2);
	idalloc_close(ida);
}
END_TEST

START_TEST(existing_file_is_used)
{
	struct idalloc *ida;

	spew("ids", "mid 5001\nicid 2001\n", 19);
	ida = xopen(10);
	ck_assert_uint_eq(xnext(ida, IDALLOC_ICID), 2001);
	ck_assert_uint_eq(xnext(ida, IDALLOC_MID), 5001);
	idalloc_close(ida);
}
END_TEST

/*
 * A child allocates and dies without idalloc_close(): _exit, abort and
 * SIGKILL. The parent must resume above every ID the child got.
 */
START_TEST(crash_never_reuses)
{
	struct idalloc *ida;
	struct rlimit nocore = {0, 0};
	uint64_t got[2] = {0, 0};
	int	fds[2], status, i;
	pid_t	pid;

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0) {
		close(fds[0]);
		ida = idalloc_open(dir, 10, err, sizeof(err));
		if (ida == NULL)
			_exit(2);
		for (i = 0; i < 25; i++)
			if (idalloc_next(ida, IDALLOC_ICID, &got[0], err,
					 sizeof(err)) < 0)
				_exit(3);
		for (i = 0; i < 3; i++)
			if (idalloc_next(ida, IDALLOC_MID, &got[1], err,
					 sizeof(err)) < 0)
				_exit(3);
		if (write(fds[1], got, sizeof(got)) != sizeof(got))
			_exit(4);
		switch (_i) {
		case 0:
			_exit(0);
		case 1:
			(void)setrlimit(RLIMIT_CORE, &nocore);
			abort();
		default:
			kill(getpid(), SIGKILL);
		}
		_exit(5);
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], got, sizeof(got)), sizeof(got));
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	if (_i == 0)
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	else
		ck_assert(WIFSIGNALED(status));
	ck_assert_uint_eq(got[0], 25);
	ck_assert_uint_eq(got[1], 3);

	/* the child's lock died with it */
	ida = xopen(10);
	ck_assert_uint_gt(xnext(ida, IDALLOC_ICID), got[0]);
	ck_assert_uint_gt(xnext(ida, IDALLOC_MID), got[1]);
	idalloc_close(ida);
}
END_TEST

/* Never silently restart numbering. Lengths given for embedded NULs. */
#define IN(s)	{s, sizeof(s) - 1}

static const struct {
	const char *text;
	size_t	len;
} malformed[] = {
	IN(""),
	IN("\n"),
	IN("icid 1\n"),
	IN("mid 1\n"),
	IN("icid 1\nmid 1"),
	IN("icid 1\nmid 1\nmid 2\n"),
	IN("icid 1\nicid 1\nmid 1\n"),
	IN("icid 1\nmid 1\nfoo 3\n"),
	IN("icid x\nmid 1\n"),
	IN("icid 0\nmid 1\n"),
	IN("icid -1\nmid 1\n"),
	IN("icid +1\nmid 1\n"),
	IN("icid 01\nmid 1\n"),
	IN("icid  1\nmid 1\n"),
	IN("icid\t1\nmid 1\n"),
	IN("icid 1 \nmid 1\n"),
	IN("icid 1\r\nmid 1\r\n"),
	IN("ICID 1\nmid 1\n"),
	IN("icid 1\n\nmid 1\n"),
	IN("icid 18446744073709551616\nmid 1\n"),	/* 2^64 */
	IN("icid 99999999999999999999999\nmid 1\n"),
	IN("icid 1\nmid 1\n\0"),
	IN("icid 1\0\nmid 1\n"),
	IN("icidd 1\nmid 1\n"),
	IN("ic"),
};

START_TEST(malformed_rejected)
{
	const char *text = malformed[_i].text;
	size_t	len = malformed[_i].len;

	spew("ids", text, len);
	err[0] = '\0';
	ck_assert_ptr_null(idalloc_open(dir, 10, err, sizeof(err)));
	ck_assert_msg(strstr(err, "malformed") != NULL, "case %d: reason: %s",
		      _i, err);
	ck_assert_msg(strstr(err, path("ids")) != NULL, "reason: %s", err);
	/* and it is left as it was, for the administrator to look at */
	ck_assert_int_eq(memcmp(slurp(), text, len), 0);
}
END_TEST

START_TEST(large_file_rejected)
{
	static char big[8192];

	memset(big, '1', sizeof(big));
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): a file's bytes */
	memcpy(big, "icid ", 5);
	spew("ids", big, sizeof(big));
	ck_assert_ptr_null(idalloc_open(dir, 10, err, sizeof(err)));
	ck_assert_msg(strstr(err, "malformed") != NULL, "reason: %s", err);
}
END_TEST

START_TEST(missing_dir)
{
	char	gone[128];

	snprintf(gone, sizeof(gone), "%s/not-there", dir);
	ck_assert_ptr_null(idalloc_open(gone, 10, err, sizeof(err)));
	ck_assert_msg(strstr(err, gone) != NULL, "reason: %s", err);
	ck_assert_msg(strstr(err, strerror(ENOENT)) != NULL, "reason: %s", err);
	/* not created behind the administrator's back */
	ck_assert_int_eq(access(gone, F_OK), -1);

	/* a file where the directory should be */
	spew("plain", "x", 1);
	snprintf(gone, sizeof(gone), "%s/plain", dir);
	ck_assert_ptr_null(idalloc_open(gone, 10, err, sizeof(err)));
	ck_assert_msg(strstr(err, strerror(ENOTDIR)) != NULL, "reason: %s",
		      err);
}
END_TEST

START_TEST(bad_block)
{
	ck_assert_ptr_null(idalloc_open(dir, 0, err, sizeof(err)));
	ck_assert_str_ne(err, "");
}
END_TEST

START_TEST(state_file_is_directory)
{
	ck_assert_int_eq(mkdir(path("ids"), 0755), 0);
	ck_assert_ptr_null(idalloc_open(dir, 10, err, sizeof(err)));
	ck_assert_msg(strstr(err, path("ids")) != NULL, "reason: %s", err);
}
END_TEST

/* The state file cannot be replaced mid-run: fail, hand out nothing. */
START_TEST(unwritable_fails)
{
	struct idalloc *ida = xopen(2);
	uint64_t id = 0;

	ck_assert_uint_eq(xnext(ida, IDALLOC_ICID), 1);
	ck_assert_uint_eq(xnext(ida, IDALLOC_ICID), 2);
	ck_assert_int_eq(unlink(path("ids")), 0);
	ck_assert_int_eq(mkdir(path("ids"), 0755), 0);
	err[0] = '\0';
	ck_assert_int_eq(idalloc_next(ida, IDALLOC_ICID, &id, err,
				      sizeof(err)), -1);
	ck_assert_uint_eq(id, 0);
	ck_assert_msg(strstr(err, dir) != NULL, "reason: %s", err);
	/* still failing, and still nothing handed out */
	ck_assert_int_eq(idalloc_next(ida, IDALLOC_ICID, &id, err,
				      sizeof(err)), -1);
	ck_assert_int_eq(access(path("ids.tmp"), F_OK), -1);

	/* once the directory is fixed, numbering resumes where it was */
	ck_assert_int_eq(rmdir(path("ids")), 0);
	ck_assert_uint_eq(xnext(ida, IDALLOC_ICID), 3);
	ck_assert_str_eq(slurp(), "icid 5\nmid 1\n");
	idalloc_close(ida);
}
END_TEST

START_TEST(removed_dir_fails)
{
	struct idalloc *ida = xopen(1);
	uint64_t id = 0;

	ck_assert_uint_eq(xnext(ida, IDALLOC_MID), 1);
	teardown();
	ck_assert_int_eq(idalloc_next(ida, IDALLOC_MID, &id, err, sizeof(err)),
			 -1);
	ck_assert_uint_eq(id, 0);
	ck_assert_msg(strstr(err, strerror(ENOENT)) != NULL, "reason: %s", err);
	idalloc_close(ida);
}
END_TEST

START_TEST(lock_excludes_second_open)
{
	struct idalloc *ida = xopen(10);
	int	status;
	pid_t	pid;

	/* same process */
	ck_assert_ptr_null(idalloc_open(dir, 10, err, sizeof(err)));
	ck_assert_msg(strstr(err, "ids.lock") != NULL, "reason: %s", err);
	ck_assert_msg(strstr(err, "another esmtpguard") != NULL, "reason: %s",
		      err);

	/* another process */
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0)
		_exit(idalloc_open(dir, 10, err, sizeof(err)) == NULL ? 0 : 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* the failed opens did not disturb the holder */
	ck_assert_uint_eq(xnext(ida, IDALLOC_ICID), 1);
	idalloc_close(ida);

	ida = xopen(10);
	ck_assert_uint_eq(xnext(ida, IDALLOC_ICID), 2);
	idalloc_close(ida);
}
END_TEST

#define NTHREADS	8
#define PERTHREAD	2000

struct worker {
	struct idalloc *ida;
	uint64_t ids[PERTHREAD];
	int	failed;
};

static void *
worker(void *arg)
{
	struct worker *w = arg;
	char	werr[256];
	int	i;

	for (i = 0; i < PERTHREAD; i++)
		if (idalloc_next(w->ida, IDALLOC_MID, &w->ids[i], werr,
				 sizeof(werr)) < 0 ||
		    (i > 0 && w->ids[i] <= w->ids[i - 1]))
			w->failed++;
	return (NULL);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

START_TEST(threads_unique)
{
	static struct worker w[NTHREADS];
	static uint64_t all[NTHREADS * PERTHREAD];
	pthread_t tid[NTHREADS];
	struct idalloc *ida = xopen(50);
	int	t;
	size_t	i;

	for (t = 0; t < NTHREADS; t++) {
		w[t].ida = ida;
		ck_assert_int_eq(pthread_create(&tid[t], NULL, worker, &w[t]),
				 0);
	}
	for (t = 0; t < NTHREADS; t++) {
		ck_assert_int_eq(pthread_join(tid[t], NULL), 0);
		ck_assert_int_eq(w[t].failed, 0);
		memcpy(all + t * PERTHREAD, w[t].ids, sizeof(w[t].ids));
	}

	/* no duplicate and, within one process, no gap either */
	qsort(all, NTHREADS * PERTHREAD, sizeof(all[0]), cmp_u64);
	for (i = 0; i < NTHREADS * PERTHREAD; i++)
		ck_assert_uint_eq(all[i], i + 1);
	idalloc_close(ida);
	ck_assert_str_eq(slurp(), "icid 1\nmid 16001\n");
}
END_TEST

START_TEST(stop_records_and_refuses)
{
	struct idalloc *ida = xopen(10);
	uint64_t id = 0;
	int	i;

	for (i = 0; i < 3; i++)
		xnext(ida, IDALLOC_ICID);
	xnext(ida, IDALLOC_MID);
	idalloc_stop(ida);
	ck_assert_str_eq(slurp(), "icid 4\nmid 2\n");
	ck_assert_int_eq(idalloc_next(ida, IDALLOC_ICID, &id, err,
				      sizeof(err)), -1);
	ck_assert_msg(strstr(err, "stopping") != NULL, "reason: %s", err);
	ck_assert_int_eq(idalloc_next(ida, IDALLOC_MID, &id, err,
				      sizeof(err)), -1);
	idalloc_stop(ida);
	idalloc_close(ida);
	ck_assert_str_eq(slurp(), "icid 4\nmid 2\n");

	/* the next run continues there */
	ida = xopen(10);
	ck_assert_uint_eq(xnext(ida, IDALLOC_ICID), 4);
	idalloc_close(ida);
}
END_TEST

/* A thread that asks for IDs while the daemon stops gets either a number
 * below the one recorded, or a refusal: never one the restart reuses. */

struct stopper {
	struct idalloc *ida;
	uint64_t max;
	unsigned long got;
	int	refused;
};

static void *
ask_until_refused(void *arg)
{
	struct stopper *w = arg;
	char	werr[256];
	uint64_t id;

	while (idalloc_next(w->ida, IDALLOC_MID, &id, werr, sizeof(werr)) == 0) {
		if (id > w->max)
			w->max = id;
		__atomic_add_fetch(&w->got, 1, __ATOMIC_RELAXED);
	}
	w->refused = strstr(werr, "stopping") != NULL;
	return (NULL);
}

START_TEST(stop_under_threads)
{
	static struct stopper w[NTHREADS];
	pthread_t tid[NTHREADS];
	struct idalloc *ida = xopen(7);
	unsigned long got;
	uint64_t max = 0;
	char	want[64];
	int	t;

	for (t = 0; t < NTHREADS; t++) {
		w[t].ida = ida;
		ck_assert_int_eq(pthread_create(&tid[t], NULL,
						ask_until_refused, &w[t]), 0);
	}
	/* stop while they are busy: after a few blocks in every thread */
	do {
		sched_yield();
		for (got = ~0UL, t = 0; t < NTHREADS; t++)
			if (__atomic_load_n(&w[t].got, __ATOMIC_RELAXED) < got)
				got = __atomic_load_n(&w[t].got, __ATOMIC_RELAXED);
	} while (got < 20);
	idalloc_stop(ida);
	for (t = 0; t < NTHREADS; t++) {
		ck_assert_int_eq(pthread_join(tid[t], NULL), 0);
		ck_assert_msg(w[t].refused, "thread %d: not refused as stopping", t);
		if (w[t].max > max)
			max = w[t].max;
	}
	/* recorded: the number after the last one handed out */
	snprintf(want, sizeof(want), "icid 1\nmid %" PRIu64 "\n", max + 1);
	ck_assert_str_eq(slurp(), want);
	idalloc_close(ida);
}
END_TEST

static Suite *
suite(void)
{
	Suite  *s = suite_create("idalloc");
	TCase  *tc = tcase_create("idalloc");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, fresh_starts_at_one);
	tcase_add_test(tc, strictly_increasing);
	tcase_add_test(tc, reopen_continues);
	tcase_add_test(tc, existing_file_is_used);
	tcase_add_loop_test(tc, crash_never_reuses, 0, 3);
	tcase_add_loop_test(tc, malformed_rejected, 0,
			    sizeof(malformed) / sizeof(malformed[0]));
	tcase_add_test(tc, large_file_rejected);
	tcase_add_test(tc, missing_dir);
	tcase_add_test(tc, bad_block);
	tcase_add_test(tc, state_file_is_directory);
	tcase_add_test(tc, unwritable_fails);
	tcase_add_test(tc, removed_dir_fails);
	tcase_add_test(tc, lock_excludes_second_open);
	tcase_add_test(tc, threads_unique);
	tcase_add_test(tc, stop_records_and_refuses);
	tcase_add_test(tc, stop_under_threads);
	suite_add_tcase(s, tc);
	return (s);
}

UNIT_MAIN
