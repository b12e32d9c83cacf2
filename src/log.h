/*++
 * NAME
 *	log 3h
 * SUMMARY
 *	the one logging module
 * DESCRIPTION
 *	Every line esmtpguard writes goes through here: to syslog (ident
 *	"esmtpguard", the configured facility), optionally to stderr (-f),
 *	and, when log_file is set, appended to that file in ESA mail_logs
 *	form: "Thu Aug 14 11:04:31 2014 Info: <text>".
 *
 *	Severities mean something:
 *	info	the session record administrators grep (ICID/MID lines).
 *	warn	something odd that esmtpguard handled (bad reload, client
 *		trouble).
 *	error	esmtpguard could not do what it should; the configured
 *		on_internal_error answered instead.
 *	fatal	the environment is broken; the process exits (EX_* code).
 *	panic	esmtpguard's own bug; the process aborts for a core dump.
 *
 *	Callers escape client-supplied strings (escape_append) before they
 *	reach a format; this module writes what it is given, whole lines
 *	in each write(2), so concurrent threads never interleave inside a
 *	line.
 *	All functions are thread-safe.
 *--*/
#ifndef ESMTPGUARD_LOG_H
#define ESMTPGUARD_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_sev {
	LOG_SEV_INFO,
	LOG_SEV_WARN,
	LOG_SEV_ERROR,
	LOG_SEV_FATAL,
	LOG_SEV_PANIC,
};

#define LOG_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* log_facility_parse - syslog facility by name ("mail", "local0".."local7",
 * "daemon", "user"); -1 when unknown */
int	log_facility_parse(const char *name);

/* log_open - (re)open syslog with the given facility code: lines go to
 * the local socket /dev/log as syslog(3) sends them, "<PRI>Mmm dd
 * hh:mm:ss esmtpguard[PID]: text"; when nothing listens there, lines
 * are dropped and a new connection is tried at most once a second */
void	log_open(int facility);

/* log_open_at - log_open with another socket than /dev/log (tests) */
void	log_open_at(int facility, const char *path);

/* log_set_stderr - also copy every line to stderr (foreground mode) */
void	log_set_stderr(bool on);

/* log_set_file - append ESA-format lines to path; "" or NULL turns it off.
 * Returns 0, or -1 with errno set (the previous file stays in use). */
int	log_set_file(const char *path);

/* log_hook - tests capture lines here instead of syslog; NULL removes it */
typedef void log_hook_fn(enum log_sev sev, const char *line, void *arg);
void	log_set_hook(log_hook_fn *hook, void *arg);

void	log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void	log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
void	log_error(const char *fmt, ...) LOG_PRINTF(1, 2);
_Noreturn void log_fatal(int status, const char *fmt, ...) LOG_PRINTF(2, 3);
_Noreturn void log_panic(const char *fmt, ...) LOG_PRINTF(1, 2);
void	log_vmsg(enum log_sev sev, const char *fmt, va_list ap) LOG_PRINTF(2, 0);

/*
 * log_hold, log_release - the file lines this thread logs from log_hold
 * to log_release go to the file together, with one write(2) at
 * log_release: milter.c holds them over each callback, so the lines of
 * a callback (a message's "ready" and "Message finished", say) cost one
 * system call, and are in the file before the MTA gets the reply they
 * explain. Lines that would overflow lb go out first; a fatal line goes
 * out at once with those before it (the process ends). Syslog and
 * stderr are not held. Not nested; lb must outlive the hold.
 */
#define LOG_BATCH	4096
struct log_batch {
	size_t	len;
	char	buf[LOG_BATCH];
};
void	log_hold(struct log_batch *lb);
void	log_release(struct log_batch *lb);

/* log_text - a line built already (escaped by the caller): log_info("%s",
 * line) without formatting it again */
void	log_text(enum log_sev sev, const char *line);

#endif
