/*++
 * NAME
 *	conf 3h
 * SUMMARY
 *	esmtpguard.conf: one option table, immutable refcounted snapshots
 * DESCRIPTION
 *	conf.c is the only file that includes <confuse.h>. Its cfg_opt_t
 *	tables are the single definition of every option (name, default,
 *	bounds); conf_options_walk() lists them so that a test can check the
 *	man page and the annotated conf/esmtpguard.conf against them.
 *
 *	conf_load() parses and validates a whole file into a new snapshot.
 *	A snapshot never changes after it is built. The daemon installs one
 *	as current (conf_install); each session pins the one current at its
 *	connect (conf_acquire) and lets it go at close (conf_release), so a
 *	reload on SIGHUP affects new sessions only. These three are
 *	thread-safe; conf_load() serializes itself (libconfuse's lexer
 *	keeps global state).
 *
 *	When no sender group matches a client, the implicit last row
 *	"ALL" applies with conf->fallback: the policy named DEFAULT when the
 *	file defines one, else a built-in accept policy with the ASA
 *	defaults.
 * DIAGNOSTICS
 *	conf_load() reports every problem it finds, not just the first, as
 *	(file, line, message) through the caller's function and returns
 *	NULL if there was any.
 *--*/
#ifndef ESMTPGUARD_CONF_H
#define ESMTPGUARD_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "hat.h"
#include "policy.h"

enum conf_ierr {
	CONF_IERR_ACCEPT,
	CONF_IERR_TEMPFAIL,
	CONF_IERR_REJECT,
};

/* spf_timeout: under the tightest default reply timeout of the MTAs
 * (Sendmail's milter R=10s; Postfix's milter_command_timeout is 30s) */
#define CONF_SPF_TIMEOUT	8
#define CONF_SPF_TIMEOUT_MAX	60

struct conf {
	char   *path;
	char   *socket;		/* "unix:/path", "inet:port@host", ... */
	mode_t	socket_mode;	/* for unix sockets */
	char   *user;		/* "user" or "user:group"; "" = stay */
	char   *pidfile;	/* "" = none */
	char   *state_dir;
	int	syslog_facility;	/* LOG_MAIL etc. */
	char   *log_file;	/* "" = off */
	enum conf_ierr on_internal_error;
	char   *id_header;	/* "" = off */
	unsigned spf_timeout;	/* seconds of DNS per message's SPF check */
	size_t	npolicies;
	struct policy *policies;
	size_t	ngroups;
	struct hat_group *groups;
	struct policy *fallback;	/* see DESCRIPTION */
	int	refs;		/* atomic; see conf_retain */
};

typedef void conf_error_fn(void *arg, const char *file, int line,
			   const char *msg);

/* conf_load - parse path into a new snapshot (refs = 1), or NULL after
 * reporting every problem through err */
struct conf *conf_load(const char *path, conf_error_fn *err, void *arg);

/* conf_load_buf - the same from a string, for tests; name is used as
 * FILE in messages */
struct conf *conf_load_buf(const char *text, const char *name,
			   conf_error_fn *err, void *arg);

struct conf *conf_retain(struct conf *conf);
void	conf_release(struct conf *conf);	/* frees at refs 0; NULL ok */

/* conf_install - make conf current (takes over the caller's reference) */
void	conf_install(struct conf *conf);

/* conf_acquire - the current snapshot, retained; NULL before install */
struct conf *conf_acquire(void);

/* conf_policy - policy by name, or NULL */
struct policy *conf_policy(const struct conf *conf, const char *name);

/* conf_library_version - libconfuse's version string */
const char *conf_library_version(void);

/* conf_ierr_name - "accept", "tempfail", "reject" */
const char *conf_ierr_name(enum conf_ierr e);

/* conf_options_walk - call fn for every option and section of the table,
 * with its name and the enclosing section path ("" for globals,
 * "policy", "policy|match", "policy|spf", "sendergroup"); rule names
 * (the titles of match sections) are listed with section "rule". */
void	conf_options_walk(void (*fn)(const char *section, const char *name,
				     void *arg), void *arg);

#endif
