/*++
 * NAME
 *	esmtpguard 8
 * SUMMARY
 *	ESMTP inspection milter: options, privileges, signals, reload
 * SYNOPSIS
 *	esmtpguard [-c FILE] [-p SOCKET] [-u USER[:GROUP]] [-P PIDFILE]
 *		[-f] [-n] [-V] [-h]
 * DESCRIPTION
 *	The order matters: validate the configuration, open the log, the
 *	state directory and the socket while still root, write the pid
 *	file, drop privileges, block the signals and start our signal
 *	thread before libmilter starts any thread (they inherit the mask),
 *	then run libmilter until SIGTERM or SIGINT, and join the signal
 *	thread before exit.
 *
 *	SIGHUP reloads: the file is parsed and validated whole, and only a
 *	good file replaces the running snapshot; sessions keep the one
 *	they started with. socket, user, pidfile and state_dir take effect
 *	only at restart, and a reload that changes them says so.
 *	log_file is reopened at every SIGHUP, good file or bad, so that
 *	log rotation never depends on the configuration.
 * DIAGNOSTICS
 *	Exit status as sysexits(3): 0, EX_USAGE, EX_CONFIG (-n and bad
 *	files), EX_NOUSER, EX_CANTCREAT (socket, pid file, state
 *	directory), EX_OSERR.
 *--*/
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "idalloc.h"
#include "log.h"
#include "milter.h"
#include "session.h"
#include "stats.h"
#include "spf.h"

/* What the command line says beats the file, at start and at reload. */
struct overrides {
	const char *path;
	const char *socket;
	const char *user;
	const char *pidfile;
};

static struct overrides opt = {
	.path = SYSCONFDIR "/esmtpguard.conf",
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: esmtpguard [-c FILE] [-p SOCKET] [-u USER[:GROUP]] "
		"[-P PIDFILE] [-f] [-n] [-V] [-h]\n"
		"  -c FILE     configuration (default %s)\n"
		"  -p SOCKET   listen here (unix:/path, inet:PORT@HOST, ...)\n"
		"  -u USER     drop privileges to USER[:GROUP]\n"
		"  -P PIDFILE  write the process id here\n"
		"  -f          stay in the foreground, log to stderr too\n"
		"  -n          check the configuration and exit (0 or 78)\n"
		"  -V          print versions and exit\n"
		"  -h          this help\n", SYSCONFDIR "/esmtpguard.conf");
}

/* stderr_error - "FILE:LINE: message", as -n promises */

static void
stderr_error(void *arg, const char *file, int line, const char *msg)
{
	(void) arg;
	if (line > 0)
		fprintf(stderr, "%s:%d: %s\n", file, line, msg);
	else
		fprintf(stderr, "%s: %s\n", file, msg);
}

static void
log_conf_error(void *arg, const char *file, int line, const char *msg)
{
	(void) arg;
	if (line > 0)
		log_warn("%s:%d: %s", file, line, msg);
	else
		log_warn("%s: %s", file, msg);
}

/* replace - swap a snapshot string for an override; false on OOM */

static bool
replace(char **field, const char *value)
{
	char   *copy;

	if (value == NULL)
		return true;
	if ((copy = strdup(value)) == NULL)
		return false;
	free(*field);
	*field = copy;
	return true;
}

static struct conf *
load(conf_error_fn *err)
{
	struct conf *conf = conf_load(opt.path, err, NULL);

	if (conf == NULL)
		return NULL;
	if (!replace(&conf->socket, opt.socket) || !replace(&conf->user, opt.user)
	    || !replace(&conf->pidfile, opt.pidfile)) {
		err(NULL, opt.path, 0, "out of memory");
		conf_release(conf);
		return NULL;
	}
	return conf;
}

/* lookup_user - uid/gid of "user[:group]" */

static int
lookup_user(const char *spec, uid_t *uid, gid_t *gid, char **name)
{
	char   *user = strdup(spec), *group;
	struct passwd *pw;
	struct group *gr;

	if (user == NULL)
		log_fatal(EX_OSERR, "out of memory");
	if ((group = strchr(user, ':')) != NULL)
		*group++ = 0;
	if ((pw = getpwnam(user)) == NULL) {
		fprintf(stderr, "esmtpguard: unknown user %s\n", user);
		free(user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL) {
			fprintf(stderr, "esmtpguard: unknown group %s\n", group);
			free(user);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	*name = user;
	return 0;
}

static void
drop_privileges(const char *name, uid_t uid, gid_t gid)
{
	if (initgroups(name, gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		log_fatal(EX_OSERR, "cannot drop privileges to %s: %s", name,
			  strerror(errno));
	if (uid != 0 && setuid(0) == 0)
		log_fatal(EX_OSERR, "privileges could be regained after dropping them");
}

/* prepare_state_dir - make it exist and belong to the user we become */

static void
prepare_state_dir(const char *dir, bool chown_it, uid_t uid, gid_t gid)
{
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		log_fatal(EX_CANTCREAT, "state_dir %s: %s", dir, strerror(errno));
	if (chown_it && chown(dir, uid, gid) < 0)
		log_fatal(EX_CANTCREAT, "state_dir %s: chown: %s", dir,
			  strerror(errno));
}

/*
 * raise_nofile - every SMTP session holds one descriptor, the MTA's
 * connection to the milter socket. Short of descriptors libmilter
 * neither logs nor refuses: its listener retries accept() at full CPU
 * while the MTA's connections wait in the listen queue until the MTA's
 * milter timeouts expire. Take the whole hard limit (no privilege
 * needed) and log what we have, so the limit is never a silent one.
 */
static void
raise_nofile(void)
{
	struct rlimit rl;
	rlim_t	was;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		log_warn("open files limit: getrlimit: %s", strerror(errno));
		return;
	}
	was = rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			log_warn("open files limit: cannot raise %llu to the hard "
				 "limit %llu: %s", (unsigned long long) was,
				 (unsigned long long) rl.rlim_max, strerror(errno));
			rl.rlim_cur = was;
		}
	}
	if (rl.rlim_cur == RLIM_INFINITY)
		log_info("open files limit: unlimited (one per SMTP session)");
	else
		log_info("open files limit %llu (one per SMTP session)",
			 (unsigned long long) rl.rlim_cur);
}

static void
write_pidfile(const char *path)
{
	FILE   *fp;

	if (path == NULL || *path == 0)
		return;
	if ((fp = fopen(path, "w")) == NULL
	    || fprintf(fp, "%ld\n", (long) getpid()) < 0 || fclose(fp) != 0)
		log_fatal(EX_CANTCREAT, "pidfile %s: %s", path, strerror(errno));
}

static void
daemonize(void)
{
	pid_t	pid;
	int	fd;

	if ((pid = fork()) < 0)
		log_fatal(EX_OSERR, "fork: %s", strerror(errno));
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		log_fatal(EX_OSERR, "setsid: %s", strerror(errno));
	if (chdir("/") < 0)
		log_fatal(EX_OSERR, "chdir /: %s", strerror(errno));
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		(void) dup2(fd, 0);
		(void) dup2(fd, 1);
		(void) dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

static bool
same(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* reload - SIGHUP: a bad file leaves the running snapshot in force */

static void
reload(void)
{
	struct conf *old = conf_acquire();
	struct conf *conf = load(log_conf_error);

	if (conf == NULL) {
		/* logrotate's SIGHUP must not depend on the file being good:
		 * reopen the running log_file, then say why the reload failed */
		if (log_set_file(old->log_file) < 0)
			log_warn("reload: log_file %s: %s; keeping the old one",
				 old->log_file, strerror(errno));
		log_warn("reload of %s failed; the running configuration stays "
			 "in force", opt.path);
		conf_release(old);
		return;
	}
	if (!same(old->socket, conf->socket) || !same(old->user, conf->user)
	    || !same(old->pidfile, conf->pidfile)
	    || !same(old->state_dir, conf->state_dir))
		log_warn("reload: socket, user, pidfile and state_dir change "
			 "only at restart");
	if (log_set_file(conf->log_file) < 0)
		log_warn("reload: log_file %s: %s; keeping the old one",
			 conf->log_file, strerror(errno));
	log_open(conf->syslog_facility);
	conf_release(old);
	conf_install(conf);
	log_info("reloaded configuration from %s", opt.path);
}

static void *
signal_thread(void *arg)
{
	sigset_t *set = arg;
	struct conf *conf;
	int	sig;

	for (;;) {
		if ((sig = sigwaitinfo(set, NULL)) < 0)
			continue;
		switch (sig) {
		case SIGHUP:
			reload();
			break;
		case SIGUSR1:
			conf = conf_acquire();
			stats_log(conf);
			conf_release(conf);
			break;
		default:
			log_info("stopping on signal %d", sig);
			milter_stop();
			return NULL;
		}
	}
}

/* host_name - this host's name, the receiver in Received-SPF (libspf2's
 * own default, made explicit; the MTA's name arrives per session, but the
 * server's receiver is set once for all threads) */

static const char *
host_name(void)
{
	static char name[256];

	if (gethostname(name, sizeof(name) - 1) < 0 || *name == 0)
		strcpy(name, "localhost");
	return name;
}

static void
version(void)
{
	printf("esmtpguard %s\n%s\n%s\nlibconfuse %s\n", PACKAGE_VERSION,
	       milter_version(), spf_version(), conf_library_version());
}

int
main(int argc, char **argv)
{
	bool	foreground = false, check_only = false, root;
	struct conf *conf;
	struct idalloc *ids;
	struct spf *spf;
	static sigset_t set;
	pthread_t tid;
	uid_t	uid = 0;
	gid_t	gid = 0;
	char   *user = NULL;
	char	err[512];
	char   *sock = NULL, *pidfile;
	int	ch, rc;

	while ((ch = getopt(argc, argv, "c:p:u:P:fnVh")) != -1) {
		switch (ch) {
		case 'c':
			opt.path = optarg;
			break;
		case 'p':
			opt.socket = optarg;
			break;
		case 'u':
			opt.user = optarg;
			break;
		case 'P':
			opt.pidfile = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'n':
			check_only = true;
			break;
		case 'V':
			version();
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if ((conf = load(stderr_error)) == NULL)
		return EX_CONFIG;
	if (check_only) {
		conf_release(conf);
		return 0;
	}

	root = geteuid() == 0;
	if (root && *conf->user != 0
	    && lookup_user(conf->user, &uid, &gid, &user) < 0)
		return EX_NOUSER;

	log_open(conf->syslog_facility);
	log_set_stderr(foreground);
	if (log_set_file(conf->log_file) < 0) {
		fprintf(stderr, "esmtpguard: log_file %s: %s\n", conf->log_file,
			strerror(errno));
		free(user);
		return EX_CANTCREAT;
	}
	raise_nofile();
	prepare_state_dir(conf->state_dir, user != NULL, uid, gid);
	if (milter_open(conf->socket, conf->socket_mode, err, sizeof(err)) < 0) {
		fprintf(stderr, "esmtpguard: %s\n", err);
		free(user);
		return EX_CANTCREAT;
	}
	/* copies: a reload may free the snapshot these came from */
	if (milter_unix_path(conf->socket) != NULL
	    && (sock = strdup(milter_unix_path(conf->socket))) == NULL)
		log_fatal(EX_OSERR, "out of memory");
	if ((pidfile = strdup(conf->pidfile)) == NULL)
		log_fatal(EX_OSERR, "out of memory");
	if (user != NULL && sock != NULL && chown(sock, uid, gid) < 0)
		log_fatal(EX_CANTCREAT, "socket %s: chown: %s", sock, strerror(errno));
	if (!foreground)
		daemonize();
	write_pidfile(conf->pidfile);
	if (user != NULL)
		drop_privileges(user, uid, gid);

	/* after the drop, so that the state file belongs to the user */
	if ((ids = idalloc_open(conf->state_dir, IDALLOC_BLOCK, err,
				sizeof(err))) == NULL)
		log_fatal(EX_CANTCREAT, "%s", err);
	/* after the drop too: nothing of libspf2 or DNS runs as root */
	if ((spf = spf_new(host_name())) == NULL)
		log_fatal(EX_OSERR, "out of memory");
	session_set_spf(spf);

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	if ((rc = pthread_sigmask(SIG_BLOCK, &set, NULL)) != 0
	    || (rc = pthread_create(&tid, NULL, signal_thread, &set)) != 0)
		log_fatal(EX_OSERR, "signal thread: %s", strerror(rc));

	conf_install(conf);
	log_info("esmtpguard %s listening on %s (%s)", PACKAGE_VERSION,
		 conf->socket, opt.path);
	rc = milter_run(ids);
	/* Join the signal thread: its smfi_stop() is then ordered before
	 * exit's destructors, which destroy libmilter's mutexes (TSan saw the
	 * race). It has returned after a SIGTERM or SIGINT; when libmilter
	 * stopped on its own, the SIGTERM makes it return. */
	/* blocked in every thread: its sigwaitinfo() takes it, nothing dies */
	/* NOLINTNEXTLINE(bugprone-bad-signal-to-kill-thread,cert-pos44-c) */
	if ((errno = pthread_kill(tid, SIGTERM)) != 0
	    || (errno = pthread_join(tid, NULL)) != 0)
		log_warn("signal thread: %s", strerror(errno));

	if (sock != NULL && unlink(sock) < 0 && errno != ENOENT)
		log_warn("socket %s: unlink: %s", sock, strerror(errno));
	if (*pidfile != 0 && unlink(pidfile) < 0 && errno != ENOENT)
		log_warn("pidfile %s: unlink: %s", pidfile, strerror(errno));
	log_info("esmtpguard stopped");
	/* ids and spf stay: libmilter's session threads are detached, and one
	 * may still ask for an ID or be inside a check; once stopped, the
	 * allocator refuses (the session answers on_internal_error) rather
	 * than hand out a number the restart would reuse; exit frees both */
	idalloc_stop(ids);
	free(sock);
	free(pidfile);
	free(user);
	return rc == 0 ? 0 : EX_SOFTWARE;
}
