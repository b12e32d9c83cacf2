/*++
 * NAME
 *	log 3
 * SUMMARY
 *	the one logging module
 * DESCRIPTION
 *	See log.h. A line is formatted once, then handed to the test hook
 *	or to syslog, stderr and the ESA-format file. The file is written
 *	whole lines at a time, with one write(2) on an O_APPEND descriptor
 *	(a line, or the lines a thread held over a callback: log_hold), so
 *	lines from several threads (or a rotated file reopened on SIGHUP)
 *	never interleave.
 *	Syslog is a client of our own on the local socket that sends what
 *	syslog(3) sends (see log_syslog_line for why).
 *
 *	Threads write and send their lines side by side, under log_lock
 *	taken for reading: a mutex held across the write(2) made every
 *	thread of a busy filter queue behind the others' system calls,
 *	and the futex waits and wake-ups cost more than the lines. The
 *	lock is taken for writing only to change where lines go, to
 *	(re)connect the syslog socket, and to call the test hook, which
 *	needs lines one at a time.
 * DIAGNOSTICS
 *	A line that cannot be formatted for lack of memory is replaced by
 *	a fixed one saying so: the log never silently loses that fact.
 *--*/
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "fmt.h"
#include "log.h"

static pthread_rwlock_t log_lock = PTHREAD_RWLOCK_INITIALIZER;
static bool log_stderr;
static int log_fd = -1;
static log_hook_fn *log_hook;
static void *log_hook_arg;

/* syslog: our own client of the local socket (see log_syslog_line) */
static char log_sys_path[sizeof(((struct sockaddr_un *) 0)->sun_path)]
	= _PATH_LOG;
static int log_sys_fd = -1;
static int log_sys_type;		/* SOCK_DGRAM, or SOCK_STREAM */
static int log_sys_facility = LOG_USER;	/* syslog(3)'s default */
static time_t log_sys_retry;		/* no socket: next attempt */
static pid_t log_pid;			/* 0: not known in this process (atomic) */
static __thread struct log_batch *log_held;	/* log_hold, or NULL */
static pthread_mutex_t log_stamp_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct {
	const char *name;
	int	code;
} facilities[] = {
	{"mail", LOG_MAIL}, {"daemon", LOG_DAEMON}, {"user", LOG_USER},
	{"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
	{"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
	{"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

/* log_facility_parse - facility code by name */

int
log_facility_parse(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcmp(facilities[i].name, name) == 0)
			return facilities[i].code;
	return -1;
}

/* log_sys_close - drop the syslog socket; log_lock held for writing */

static void
log_sys_close(void)
{
	if (log_sys_fd >= 0)
		close(log_sys_fd);
	log_sys_fd = -1;
}

/* log_sys_connect - connect to the syslog socket, datagram first, as
 * openlog() does; log_lock held for writing */

static void
log_sys_connect(void)
{
	struct sockaddr_un sun;
	int	type = SOCK_DGRAM, fd, err;

	log_sys_close();
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, log_sys_path, sizeof(sun.sun_path));
	for (;;) {
		if ((fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) < 0)
			return;
		if (connect(fd, (struct sockaddr *) &sun, sizeof(sun)) == 0) {
			log_sys_fd = fd;
			log_sys_type = type;
			return;
		}
		err = errno;
		close(fd);
		if (err != EPROTOTYPE || type == SOCK_STREAM)
			return;
		type = SOCK_STREAM;
	}
}

/*
 * log_fork_prepare, log_fork_parent, log_forked - no fork while another
 * thread holds the stamps' lock (the child would wait for it forever);
 * and a child (daemonize) has another process ID
 */
static void
log_fork_prepare(void)
{
	pthread_mutex_lock(&log_stamp_lock);
}

static void
log_fork_parent(void)
{
	pthread_mutex_unlock(&log_stamp_lock);
}

static void
log_forked(void)
{
	pthread_mutex_unlock(&log_stamp_lock);
	__atomic_store_n(&log_pid, 0, __ATOMIC_RELAXED);
}

static void
log_atfork(void)
{
	(void) pthread_atfork(log_fork_prepare, log_fork_parent, log_forked);
}

/* log_open_at - (re)open syslog at another socket than /dev/log */

void
log_open_at(int facility, const char *path)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	(void) pthread_once(&once, log_atfork);
	pthread_rwlock_wrlock(&log_lock);
	log_sys_facility = facility;
	snprintf(log_sys_path, sizeof(log_sys_path), "%s", path);
	log_sys_connect();
	log_sys_retry = 0;
	pthread_rwlock_unlock(&log_lock);
}

/* log_open - (re)open syslog */

void
log_open(int facility)
{
	log_open_at(facility, _PATH_LOG);
}

void
log_set_stderr(bool on)
{
	pthread_rwlock_wrlock(&log_lock);
	log_stderr = on;
	pthread_rwlock_unlock(&log_lock);
}

/* log_set_file - switch the ESA-format file; the old one stays on error */

int
log_set_file(const char *path)
{
	int	fd = -1;
	int	old;

	if (path != NULL && *path != 0) {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd < 0)
			return -1;
	}
	pthread_rwlock_wrlock(&log_lock);
	old = log_fd;
	log_fd = fd;
	pthread_rwlock_unlock(&log_lock);
	if (old >= 0)
		close(old);
	return 0;
}

void
log_set_hook(log_hook_fn *hook, void *arg)
{
	pthread_rwlock_wrlock(&log_lock);
	log_hook = hook;
	log_hook_arg = arg;
	pthread_rwlock_unlock(&log_lock);
}

/*
 * A line is formatted once, after LOG_PREFIX bytes of room in which the
 * file's "stamp level: " prefix is put, and with room for the newline,
 * so that the file gets it with one write(2) and nothing is copied.
 * Ordinary lines fit the caller's stack buffer; a longer one is
 * formatted again into memory of its size.
 */
#define LOG_PREFIX	64	/* "<191>Aug 14 11:04:31 esmtpguard[2147483647]: " */
#define LOG_STACK	1024

/* log_format - the line at *text in buf, or in new memory (*heap) */

static bool
log_format(char *buf, size_t size, char **heap, char **text,
	   const char *fmt, va_list ap)
{
	va_list	ap2;
	int	n;

	*heap = NULL;
	*text = buf + LOG_PREFIX;
	va_copy(ap2, ap);
	n = fmt_vsnprintf(*text, size - LOG_PREFIX - 1, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return false;
	if ((size_t) n < size - LOG_PREFIX - 1)
		return true;
	if ((*heap = malloc(LOG_PREFIX + (size_t) n + 2)) == NULL)
		return false;
	*text = *heap + LOG_PREFIX;
	(void) fmt_vsnprintf(*text, (size_t) n + 1, fmt, ap);	/* measured above */
	return true;
}

/* log_write_all - write(2) until done; a log file must not lose tails */

static void
log_write_all(int fd, const char *p, size_t n)
{
	ssize_t	w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += w;
		n -= (size_t) w;
	}
}

/* the stamps of one second, for one process */
struct log_stamps {
	time_t	when;
	pid_t	pid;
	size_t	slen;
	char	file[32];
	char	sys[64];
};

/* the newest stamps, made by the first thread to need a new second */
static struct log_stamps log_stamp_shared = {.when = (time_t) -1};

/* log_stamp_make - the stamps of now for pid, in st */

static void
log_stamp_make(struct log_stamps *st, time_t now, pid_t pid)
{
	struct tm tm;
	char	when[32];
	int	n;

	st->when = now;
	st->pid = pid;
	if (localtime_r(&now, &tm) == NULL) {
		st->file[0] = when[0] = 0;
	} else {
		if (strftime(st->file, sizeof(st->file),
			     "%a %b %e %H:%M:%S %Y", &tm) == 0)
			st->file[0] = 0;
		if (strftime(when, sizeof(when), "%b %e %H:%M:%S", &tm) == 0)
			when[0] = 0;
	}
	n = snprintf(st->sys, sizeof(st->sys), "%s esmtpguard[%ld]: ", when,
		     (long) pid);
	st->slen = n < 0 ? 0 : (size_t) n;
}

/*
 * log_stamp - the stamps of the second: "Thu Aug 14 11:04:31 2014" for
 * the file and "Aug 14 11:04:31 esmtpguard[PID]: " for syslog (what
 * syslog(3) writes after "<PRI>"). localtime_r(), strftime() and
 * snprintf() cost more than the rest of a line, and their deep stack
 * frames page-fault on the fresh stack of every worker thread libmilter
 * starts (behind Postfix, more than one a message): so the stamps are
 * made once a second (or when the process ID changed) by one thread,
 * and each thread copies them under a lock of its own, once a second.
 */
static time_t
log_stamp(const char **file, const char **sys, size_t *syslen)
{
	static __thread struct log_stamps mine = {.when = (time_t) -1};
	time_t	now = time(NULL);
	pid_t	pid = __atomic_load_n(&log_pid, __ATOMIC_RELAXED);

	if (pid == 0) {
		pid = getpid();
		__atomic_store_n(&log_pid, pid, __ATOMIC_RELAXED);
	}
	if (now != mine.when || pid != mine.pid) {
		pthread_mutex_lock(&log_stamp_lock);
		if (now != log_stamp_shared.when || pid != log_stamp_shared.pid)
			log_stamp_make(&log_stamp_shared, now, pid);
		mine = log_stamp_shared;
		pthread_mutex_unlock(&log_stamp_lock);
	}
	*file = mine.file;
	*sys = mine.sys;
	*syslen = mine.slen;
	return now;
}

/*
 * log_pri - "<v>" in buf, v a priority and facility (at most 191), and
 * its length: by hand, for snprintf() here was a tenth of esmtpguard's
 * instructions per message (callgrind)
 */
static size_t
log_pri(char *buf, int v)
{
	char   *p = buf;

	*p++ = '<';
	if (v >= 100)
		*p++ = (char) ('0' + v / 100);
	if (v >= 10)
		*p++ = (char) ('0' + v / 10 % 10);
	*p++ = (char) ('0' + v % 10);
	*p++ = '>';
	return (size_t) (p - buf);
}

/*
 * log_syslog_line - send "<PRI>stamp esmtpguard[PID]: text" to the
 * syslog socket, the header put in the LOG_PREFIX bytes before text.
 *
 * This is what syslog(3) sends, without its cost per line (it formats
 * the stamp and the line again, and asks for the PID) and without its
 * cost when nothing listens: syslog(3) then tries socket() and connect()
 * again for every line; we try again at most once a second. A socket
 * that fails (the syslog daemon restarted) is reconnected and the line
 * sent again once, as syslog(3) does. Lines nobody can take are lost, as
 * with syslog(3): log_file is the record that does not depend on it.
 *
 * With log_lock held for reading (excl false) it only sends on a
 * connected socket, and says false when the socket must be connected
 * or dropped, which needs the lock for writing (excl true); then the
 * caller calls it again so. Under log_lock, then.
 */
static bool
log_syslog_line(int prio, char *text, size_t len, bool excl)
{
	const char *fstamp, *sstamp;
	char	pri[8];
	size_t	slen, plen, n;
	time_t	now = log_stamp(&fstamp, &sstamp, &slen);
	char   *p;
	int	try;

	plen = log_pri(pri, (prio & LOG_PRIMASK) | log_sys_facility);
	p = text - slen - plen;
	memcpy(p, pri, plen);
	memcpy(p + plen, sstamp, slen);
	n = (size_t) (text + len - p);
	for (try = 0; try < 2; try++) {
		if (log_sys_fd < 0) {
			if (now < log_sys_retry)
				return true;
			if (!excl)
				return false;
			log_sys_connect();
			if (log_sys_fd < 0) {
				log_sys_retry = now + 1;
				return true;
			}
		}
		/* a stream socket takes the NUL as the end of the message */
		if (send(log_sys_fd, p, n + (log_sys_type == SOCK_STREAM),
			 MSG_NOSIGNAL) >= 0)
			return true;
		if (!excl)
			return false;
		log_sys_close();
	}
	return true;
}

/* log_held_write - write out what lb holds; under log_lock */

static void
log_held_write(struct log_batch *lb)
{
	if (lb->len > 0 && log_fd >= 0)
		log_write_all(log_fd, lb->buf, lb->len);
	lb->len = 0;
}

/*
 * log_file_line - one ESA mail_logs line: "Thu Aug 14 11:04:31 2014 Info: "
 * put in the LOG_PREFIX bytes before text, and a newline after it (the
 * caller's buffer has room for both), written or added to this thread's
 * held lines; under log_lock
 */
static void
log_file_line(int fd, enum log_sev sev, char *text, size_t len)
{
	static const char *const level[] = {
		[LOG_SEV_INFO] = "Info",
		[LOG_SEV_WARN] = "Warning",
		[LOG_SEV_ERROR] = "Critical",
		[LOG_SEV_FATAL] = "Critical",
		[LOG_SEV_PANIC] = "Critical",
	};
	struct log_batch *lb = log_held;
	const char *stamp, *sys;
	size_t	slen, llen = strlen(level[sev]), n;
	char   *p;

	(void) log_stamp(&stamp, &sys, &slen);
	slen = strlen(stamp);
	p = text - (slen + 1 + llen + 2);
	memcpy(p, stamp, slen);
	p[slen] = ' ';
	memcpy(p + slen + 1, level[sev], llen);
	p[slen + 1 + llen] = ':';
	p[slen + 1 + llen + 1] = ' ';
	text[len] = '\n';
	n = (size_t) (text + len + 1 - p);
	if (lb != NULL) {
		if (lb->len + n > sizeof(lb->buf) || sev >= LOG_SEV_FATAL)
			log_held_write(lb);
		if (n <= sizeof(lb->buf) && sev < LOG_SEV_FATAL) {
			memcpy(lb->buf + lb->len, p, n);
			lb->len += n;
			n = 0;
		}
	}
	log_write_all(fd, p, n);
	text[len] = 0;
}

void
log_hold(struct log_batch *lb)
{
	lb->len = 0;
	log_held = lb;
}

void
log_release(struct log_batch *lb)
{
	log_held = NULL;
	if (lb->len == 0)
		return;
	pthread_rwlock_rdlock(&log_lock);
	log_held_write(lb);
	pthread_rwlock_unlock(&log_lock);
}

/*
 * log_emit - hand text (in a buffer with LOG_PREFIX bytes of room before
 * it and one after) to the hook or to syslog, stderr and the file. With
 * log_lock held for reading (excl false), false when that needs it held
 * for writing; then nothing was written yet.
 */
static bool
log_emit(enum log_sev sev, char *text, size_t len, bool excl)
{
	static const int prio[] = {
		[LOG_SEV_INFO] = LOG_INFO,
		[LOG_SEV_WARN] = LOG_WARNING,
		[LOG_SEV_ERROR] = LOG_ERR,
		[LOG_SEV_FATAL] = LOG_CRIT,
		[LOG_SEV_PANIC] = LOG_CRIT,
	};

	if (log_hook != NULL) {
		if (!excl)
			return false;
		log_hook(sev, text, log_hook_arg);
		return true;
	}
	if (!log_syslog_line(prio[sev], text, len, excl))
		return false;
	if (log_stderr)
		fprintf(stderr, "esmtpguard: %s\n", text);
	if (log_fd >= 0)
		log_file_line(log_fd, sev, text, len);
	return true;
}

static void
log_put(enum log_sev sev, char *text, size_t len)
{
	bool	done;

	pthread_rwlock_rdlock(&log_lock);
	done = log_emit(sev, text, len, false);
	pthread_rwlock_unlock(&log_lock);
	if (!done) {
		pthread_rwlock_wrlock(&log_lock);
		(void) log_emit(sev, text, len, true);
		pthread_rwlock_unlock(&log_lock);
	}
}

static const char log_oom[] = "log: out of memory formatting a line";

void
log_vmsg(enum log_sev sev, const char *fmt, va_list ap)
{
	char	buf[LOG_STACK];
	char   *heap, *text;

	if (!log_format(buf, sizeof(buf), &heap, &text, fmt, ap)) {
		text = buf + LOG_PREFIX;
		memcpy(text, log_oom, sizeof(log_oom));
	}
	log_put(sev, text, strlen(text));
	free(heap);
}

void
log_text(enum log_sev sev, const char *line)
{
	char	buf[LOG_STACK];
	char   *heap = NULL, *text = buf + LOG_PREFIX;
	size_t	len = strlen(line);

	if (len >= sizeof(buf) - LOG_PREFIX - 1) {
		if ((heap = malloc(LOG_PREFIX + len + 2)) != NULL)
			text = heap + LOG_PREFIX;
		else {
			line = log_oom;
			len = sizeof(log_oom) - 1;
		}
	}
	memcpy(text, line, len + 1);
	log_put(sev, text, len);
	free(heap);
}

#define LOG_FN(fn, sev) \
void \
fn(const char *fmt, ...) \
{ \
	va_list	ap; \
 \
	va_start(ap, fmt); \
	log_vmsg(sev, fmt, ap); \
	va_end(ap); \
}

LOG_FN(log_info, LOG_SEV_INFO)
LOG_FN(log_warn, LOG_SEV_WARN)
LOG_FN(log_error, LOG_SEV_ERROR)

void
log_fatal(int status, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(LOG_SEV_FATAL, fmt, ap);
	va_end(ap);
	exit(status);
}

void
log_panic(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(LOG_SEV_PANIC, fmt, ap);
	va_end(ap);
	abort();
}
