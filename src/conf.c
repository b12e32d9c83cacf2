/*++
 * NAME
 *	conf 3
 * SUMMARY
 *	esmtpguard.conf: one option table, immutable refcounted snapshots
 * SYNOPSIS
 *	#include "conf.h"
 * DESCRIPTION
 *	See conf.h. Loading is two passes over one libconfuse parse.
 *
 *	While libconfuse parses, the value callbacks check each value on
 *	its own (an action name, a threshold against its rule, an address
 *	entry) and report a bad one with the line it is on, but let the
 *	parse go on, so that one run of "esmtpguard -n" lists every bad
 *	value. Syntax errors, unknown options and duplicate titles stop
 *	libconfuse itself; those are reported one at a time. Repeated
 *	titles are left for libconfuse to merge and reported by a scan of
 *	the text before the parse (conftext.c), so they stop nothing.
 *
 *	After the parse, the snapshot is built from the tree and the
 *	checks that need the whole file run: a sender group naming a
 *	policy defined further down is fine, one naming no policy at all
 *	is not. libconfuse keeps no line per option, so the callbacks
 *	note where each value was read and these checks report that line.
 *
 *	The built-in fallback policy is made by adding an empty "policy
 *	DEFAULT" section to the parsed tree, so its defaults come from
 *	the same option table as everything else.
 * BUGS
 *	libconfuse callbacks take no user argument: the load in progress
 *	is a file-scope pointer, which is safe only because loads are
 *	serialized anyway (the libconfuse lexer keeps global state).
 *--*/
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <confuse.h>

#include "conf.h"
#include "conftext.h"
#include "hat.h"
#include "log.h"
#include "policy.h"
#include "rule.h"

/* Where a value was read: libconfuse keeps lines for sections only. */
struct line_note {
	const cfg_t *sec;
	const char *opt;		/* static: the option table's name */
	int	line;
};

struct load {
	conf_error_fn *err;
	void   *arg;
	int	errors;
	struct line_note *notes;
	size_t	nnotes;
	size_t	anotes;
	int	last_line;		/* of the text proper */
	int	sentinel_line;		/* see SENTINEL */
	const char *name;		/* the file, for conftext's reports */
	bool	sentinel_seen;
};

static pthread_mutex_t parse_lock = PTHREAD_MUTEX_INITIALIZER;
static struct load *cur_load;		/* under parse_lock */

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct conf *current;		/* under current_lock */

#define NOMEM	"out of memory"

/* vformat - malloc'ed printf (vasprintf: GNU, BSD), NULL out of memory */

static char *
vformat(const char *fmt, va_list ap)
{
	char   *buf;

	return vasprintf(&buf, fmt, ap) < 0 ? NULL : buf;
}

/* report - one problem, at file:line */

static void	report(struct load *, const char *, int, const char *,...)
		__attribute__((format(printf, 4, 5)));

static void
report(struct load *ld, const char *file, int line, const char *fmt,...)
{
	va_list	ap;
	char   *msg;

	va_start(ap, fmt);
	msg = vformat(fmt, ap);
	va_end(ap);
	ld->errors++;
	if (ld->err)
		ld->err(ld->arg, file ? file : "", line, msg ? msg : NOMEM);
	free(msg);
}

/* note_line - remember where the value of opt in sec was read */

static void
note_line(cfg_t *sec, cfg_opt_t *opt)
{
	struct load *ld = cur_load;
	struct line_note *n;
	size_t	na;

	if (ld->nnotes == ld->anotes) {
		na = ld->anotes ? 2 * ld->anotes : 32;
		n = realloc(ld->notes, na * sizeof(*n));
		/* Without a note the check falls back to the section's line. */
		if (n == NULL)
			return;
		ld->notes = n;
		ld->anotes = na;
	}
	n = &ld->notes[ld->nnotes++];
	n->sec = sec;
	n->opt = opt->name;
	n->line = sec->line;
}

/* line_of - line of opt's value in sec; opt NULL: first noted line */

static int
line_of(const struct load *ld, const cfg_t *sec, const char *opt)
{
	size_t	i;
	int	line = 0;

	for (i = 0; i < ld->nnotes; i++) {
		if (ld->notes[i].sec != sec)
			continue;
		if (opt == NULL) {
			if (line == 0 || ld->notes[i].line < line)
				line = ld->notes[i].line;
		} else if (strcmp(ld->notes[i].opt, opt) == 0)
			line = ld->notes[i].line;
	}
	return line ? line : sec->line;
}

/* where - " in policy DEFAULT" for messages from inside a section */

static const char *
where_kind(const cfg_t *cfg)
{
	return cfg->title ? cfg->name : "";
}

/* cfg_error_cb - libconfuse's own messages, with file and line */

static void
cfg_error_cb(cfg_t *cfg, const char *fmt, va_list ap)
{
	struct load *ld = cur_load;
	char   *msg;
	int	line;

	if (cfg->line >= ld->sentinel_line && cfg->title == NULL
	    && strcmp(fmt, "unexpected closing brace") == 0) {
		ld->sentinel_seen = true;
		return;
	}
	/* Anything else at the sentinel: the file stopped mid-statement. */
	if (cfg->line >= ld->sentinel_line) {
		report(ld, cfg->filename, ld->last_line, "premature end of file");
		return;
	}
	line = cfg->line;
	msg = vformat(fmt, ap);
	report(ld, cfg->filename, line, "%s%s%s%s%s%s",
	       msg ? msg : NOMEM, cfg->title ? " (in " : "", where_kind(cfg),
	       cfg->title ? " " : "", cfg->title ? cfg->title : "",
	       cfg->title ? ")" : "");
	free(msg);
}

/*
 * Value callbacks: check, report, and keep parsing (see DESCRIPTION).
 * Each string option has a checker; STR_CB wraps it into the callback
 * libconfuse wants, which notes the line and keeps the value as it is.
 */

/* bad_value - report a bad value at the line being parsed */

static void	bad_value(cfg_t *, const char *,...)
		__attribute__((format(printf, 2, 3)));

static void
bad_value(cfg_t *cfg, const char *fmt,...)
{
	va_list	ap;
	char   *msg;

	va_start(ap, fmt);
	msg = vformat(fmt, ap);
	va_end(ap);
	report(cur_load, cfg->filename, cfg->line, "%s", msg ? msg : NOMEM);
	free(msg);
}

#define STR_CB(name, check) \
static int \
name(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result) \
{ \
	note_line(cfg, opt); \
	check(cfg, opt, value); \
	*(const char **) result = value; \
	return 0; \
}

#define TITLE(cfg)	((cfg)->title ? (cfg)->title : "")
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const ierr_names[] = {
	[CONF_IERR_ACCEPT] = "accept",
	[CONF_IERR_TEMPFAIL] = "tempfail",
	[CONF_IERR_REJECT] = "reject",
};

static const char *const access_names[] = {
	[ACCESS_ACCEPT] = "accept",
	[ACCESS_RELAY] = "relay",
	[ACCESS_REJECT] = "reject",
};

/* word_index - index of value in names[], or -1 */

static int
word_index(const char *const *names, size_t n, const char *value)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], value) == 0)
			return (int) i;
	return -1;
}

static int
parse_mode(const char *value, mode_t *mode)
{
	unsigned long m = 0;
	const char *p;

	if (*value == 0 || strlen(value) > 4)
		return -1;
	for (p = value; *p; p++) {
		if (*p < '0' || *p > '7')
			return -1;
		m = m * 8 + (unsigned long) (*p - '0');
	}
	if (m > 0777)
		return -1;
	*mode = (mode_t) m;
	return 0;
}

static void
check_socket_mode(cfg_t *cfg, cfg_opt_t *opt, const char *value)
{
	mode_t	mode;

	(void) opt;
	if (parse_mode(value, &mode) < 0)
		bad_value(cfg, "socket_mode '%s' is not an octal file mode "
			  "such as 0660", value);
}

static void
check_socket(cfg_t *cfg, cfg_opt_t *opt, const char *value)
{
	static const char *const prefixes[] = {
		"unix:/", "local:/", "inet:", "inet6:", "/",
	};
	size_t	i;

	(void) opt;
	for (i = 0; i < NELEM(prefixes); i++)
		if (strncmp(value, prefixes[i], strlen(prefixes[i])) == 0)
			return;
	bad_value(cfg, "socket '%s' is not unix:/PATH, local:/PATH, "
		  "inet:PORT@HOST or inet6:PORT@HOST", value);
}

/* The daemon chdirs to /: a relative path would mean something else. */

static void
check_path(cfg_t *cfg, cfg_opt_t *opt, const char *value)
{
	if (*value != '/')
		bad_value(cfg, "%s '%s' is not an absolute path", opt->name,
			  value);
}

static void
check_path_or_off(cfg_t *cfg, cfg_opt_t *opt, const char *value)
{
	if (*value != 0 && *value != '/')
		bad_value(cfg, "%s '%s' is not an absolute path or \"\"",
			  opt->name, value);
}

static void
check_user(cfg_t *cfg, cfg_opt_t *opt, const char *value)
{
	const char *colon = strchr(value, ':');

	(void) opt;
	if (colon && (colon == value || colon[1] == 0 || strchr(colon + 1, ':')))
		bad_value(cfg, "user '%s' is not USER or USER:GROUP", value);
}

static void
check_facility(cfg_t *cfg, cfg_opt_t *opt, const char *value)
{
	(void) opt;
	if (log_facility_parse(value) < 0)
		bad_value(cfg, "unknown syslog_facility '%s' (mail, daemon, "
			  "user, local0 to local7)", value);
}

static void
check_ierr(cfg_t *cfg, cfg_opt_t *opt, const char *value)
{
	(void) opt;
	if (word_index(ierr_names, NELEM(ierr_names), value) < 0)
		bad_value(cfg, "bad on_internal_error '%s' (accept, tempfail, "
			  "reject)", value);
}

static void
check_id_header(cfg_t *cfg, cfg_opt_t *opt, const char *value)
{
	const char *p;

	(void) opt;
	/* RFC 5322 field name: printable US-ASCII except ':' */
	for (p = value; *p; p++)
		if (*p < 33 || *p > 126 || *p == ':')
			break;
	if (*p)
		bad_value(cfg, "id_header '%s' is not a header field name",
			  value);
}

static void
check_entry(cfg_t *cfg, cfg_opt_t *opt, const char *value)
{
	struct hat_entry entry;
	const char *why = "invalid";

	(void) opt;
	if (hat_entry_parse(value, &entry, &why) < 0)
		bad_value(cfg, "bad address entry '%s' in sendergroup %s: %s",
			  value, TITLE(cfg), why);
	else
		hat_entry_free(&entry);
}

/* The policy a group names may come later in the file. */

static void
check_later(cfg_t *cfg, cfg_opt_t *opt, const char *value)
{
	(void) cfg;
	(void) opt;
	(void) value;
}

static void
check_access(cfg_t *cfg, cfg_opt_t *opt, const char *value)
{
	(void) opt;
	if (word_index(access_names, NELEM(access_names), value) < 0)
		bad_value(cfg, "bad access '%s' in policy %s (accept, relay, "
			  "reject)", value, TITLE(cfg));
}

static void
check_action(cfg_t *cfg, cfg_opt_t *opt, const char *value)
{
	(void) opt;
	if (action_parse(value) < 0)
		bad_value(cfg, "bad action '%s' for rule %s (log, reject, "
			  "tempfail, drop-connection)", value, TITLE(cfg));
}

/* SPF has no connection to drop: the answer is to one transaction. */

static int
spf_action_parse(const char *value)
{
	int	a = action_parse(value);

	return a == ACTION_DROP ? -1 : a;
}

static void
check_spf_action(cfg_t *cfg, cfg_opt_t *opt, const char *value)
{
	if (spf_action_parse(value) < 0)
		bad_value(cfg, "bad spf %s '%s' (log, reject, tempfail)",
			  opt->name, value);
}

STR_CB(cb_socket, check_socket)
STR_CB(cb_socket_mode, check_socket_mode)
STR_CB(cb_path, check_path)
STR_CB(cb_path_or_off, check_path_or_off)
STR_CB(cb_user, check_user)
STR_CB(cb_facility, check_facility)
STR_CB(cb_ierr, check_ierr)
STR_CB(cb_id_header, check_id_header)
STR_CB(cb_entry, check_entry)
STR_CB(cb_note, check_later)
STR_CB(cb_access, check_access)
STR_CB(cb_action, check_action)
STR_CB(cb_spf_action, check_spf_action)

/* cb_gt - the threshold, within the bounds of its rule */

static int
cb_gt(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	const char *rule = TITLE(cfg);
	char   *end;
	long	n;
	int	id;

	note_line(cfg, opt);
	*(long *) result = 0;
	errno = 0;
	n = strtol(value, &end, 10);
	if (*value == 0 || *end != 0) {
		bad_value(cfg, "gt '%s' for rule %s is not a number", value,
			  rule);
		return 0;
	}
	if ((id = rule_by_name(rule)) < 0)
		return 0;			/* reported with the section */
	if (errno == ERANGE || n < 0 || n > rule_defs[id].max_gt) {
		bad_value(cfg, "gt %s for rule %s is out of range (0 to %ld)",
			  value, rule, rule_defs[id].max_gt);
		return 0;
	}
	*(long *) result = n;
	return 0;
}

/* cb_spf_timeout - whole seconds, at least 1, at most SPF_TIMEOUT_MAX */

static int
cb_spf_timeout(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	char   *end;
	long	n;

	note_line(cfg, opt);
	errno = 0;
	n = strtol(value, &end, 10);
	*(long *) result = CONF_SPF_TIMEOUT;
	if (*value == 0 || *end != 0 || errno == ERANGE || n < 1
	    || n > CONF_SPF_TIMEOUT_MAX)
		bad_value(cfg, "spf_timeout '%s' is not a number of seconds "
			  "from 1 to %d", value, CONF_SPF_TIMEOUT_MAX);
	else
		*(long *) result = n;
	return 0;
}

/*
 * The option table: the one definition of every option, its default
 * and its check. The man page and conf/esmtpguard.conf are tested
 * against it (t/docs.sh).
 */
static cfg_opt_t rule_opts[] = {
	CFG_INT_CB("gt", 0, CFGF_NODEFAULT, cb_gt),
	CFG_STR_CB("action", 0, CFGF_NODEFAULT, cb_action),
	CFG_BOOL("log", cfg_true, CFGF_NODEFAULT),
	CFG_BOOL("enabled", cfg_true, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t spf_opts[] = {
	CFG_BOOL("verify", cfg_true, CFGF_NONE),
	CFG_BOOL("helo", cfg_true, CFGF_NONE),
	CFG_BOOL("received_spf_header", cfg_true, CFGF_NONE),
	CFG_STR_CB("on_fail", "log", CFGF_NONE, cb_spf_action),
	CFG_STR_CB("on_softfail", "log", CFGF_NONE, cb_spf_action),
	CFG_STR_CB("on_temperror", "log", CFGF_NONE, cb_spf_action),
	CFG_STR_CB("on_permerror", "log", CFGF_NONE, cb_spf_action),
	CFG_END()
};

static cfg_opt_t policy_opts[] = {
	CFG_STR_CB("access", "accept", CFGF_NONE, cb_access),
	CFG_SEC("match", rule_opts, CFGF_MULTI | CFGF_TITLE),
	CFG_SEC("spf", spf_opts, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t group_opts[] = {
	CFG_STR_LIST_CB("match", 0, CFGF_NODEFAULT, cb_entry),
	CFG_STR_CB("policy", 0, CFGF_NODEFAULT, cb_note),
	CFG_END()
};

static cfg_opt_t top_opts[] = {
	CFG_STR_CB("socket", "unix:/run/esmtpguard/esmtpguard.sock", CFGF_NONE,
		   cb_socket),
	CFG_STR_CB("socket_mode", "0660", CFGF_NONE, cb_socket_mode),
	CFG_STR_CB("user", "esmtpguard", CFGF_NONE, cb_user),
	CFG_STR_CB("pidfile", "/run/esmtpguard/esmtpguard.pid", CFGF_NONE,
		   cb_path_or_off),
	CFG_STR_CB("state_dir", "/var/lib/esmtpguard", CFGF_NONE, cb_path),
	CFG_STR_CB("syslog_facility", "mail", CFGF_NONE, cb_facility),
	CFG_STR_CB("log_file", "", CFGF_NONE, cb_path_or_off),
	CFG_STR_CB("on_internal_error", "tempfail", CFGF_NONE, cb_ierr),
	CFG_STR_CB("id_header", "X-ESMTPGuard-ID", CFGF_NONE, cb_id_header),
	CFG_INT_CB("spf_timeout", CONF_SPF_TIMEOUT, CFGF_NONE, cb_spf_timeout),
	CFG_SEC("sendergroup", group_opts,
		CFGF_MULTI | CFGF_TITLE),
	CFG_SEC("policy", policy_opts,
		CFGF_MULTI | CFGF_TITLE),
	CFG_END()
};

/* xstrdup - strdup that counts an out-of-memory as a problem */

static char *
xstrdup(struct load *ld, const char *s)
{
	char   *d = strdup(s ? s : "");

	if (d == NULL)
		report(ld, NULL, 0, NOMEM);
	return d;
}

/* word_or - the index of a word already checked by its callback */

static int
word_or(int idx, int dflt)
{
	return idx < 0 ? dflt : idx;
}

/* rule_build - one "match RULE { }" block into p->rules */

static void
rule_build(struct load *ld, struct policy *p, cfg_t *msec)
{
	const char *title = cfg_title(msec);
	const struct rule_def *def;
	struct rule r;
	int	id;

	if ((id = rule_by_name(title)) < 0) {
		report(ld, msec->filename, line_of(ld, msec, NULL),
		       "unknown rule '%s' in policy %s", title, p->name);
		return;
	}
	def = &rule_defs[id];
	if (p->access != ACCESS_ACCEPT) {
		report(ld, msec->filename, line_of(ld, msec, NULL),
		       "rule %s in policy %s has no effect: only access = "
		       "accept is inspected", title, p->name);
		return;
	}
	if (!cfg_getbool(msec, "enabled")) {
		p->rules[id].on = false;
		return;
	}
	/* Unset fields: the ASA default, else (rules it lacks) log, log. */
	r = def->asa;
	r.on = true;
	if (cfg_size(msec, "gt") > 0)
		r.gt = cfg_getint(msec, "gt");
	else if (!def->asa.on)
		report(ld, msec->filename, line_of(ld, msec, NULL),
		       "rule %s in policy %s needs gt (it has no ASA default)",
		       title, p->name);
	if (cfg_size(msec, "action") > 0)
		r.action = word_or(action_parse(cfg_getstr(msec, "action")),
				   r.action);
	if (cfg_size(msec, "log") > 0)
		r.log = cfg_getbool(msec, "log");
	p->rules[id] = r;
}

static enum action
spf_action(cfg_t *spf, const char *name)
{
	return word_or(spf_action_parse(cfg_getstr(spf, name)), ACTION_LOG);
}

/* policy_build - a policy section into p; 0, or -1 out of memory */

static int
policy_build(struct load *ld, cfg_t *psec, struct policy *p)
{
	cfg_t  *spf;
	unsigned i, n;
	int	id;

	if ((p->name = xstrdup(ld, cfg_title(psec))) == NULL)
		return -1;
	p->access = word_or(word_index(access_names, NELEM(access_names),
				       cfg_getstr(psec, "access")),
			    ACCESS_ACCEPT);
	/* relay and reject enforce nothing (policy.h). */
	for (id = 0; id < RULE_COUNT; id++) {
		p->rules[id] = rule_defs[id].asa;
		if (p->access != ACCESS_ACCEPT)
			p->rules[id].on = false;
	}
	n = cfg_size(psec, "match");
	for (i = 0; i < n; i++)
		rule_build(ld, p, cfg_getnsec(psec, "match", i));

	spf = cfg_getsec(psec, "spf");
	p->spf.verify = cfg_getbool(spf, "verify");
	p->spf.helo = cfg_getbool(spf, "helo");
	p->spf.received_spf_header = cfg_getbool(spf, "received_spf_header");
	p->spf.on_fail = spf_action(spf, "on_fail");
	p->spf.on_softfail = spf_action(spf, "on_softfail");
	p->spf.on_temperror = spf_action(spf, "on_temperror");
	p->spf.on_permerror = spf_action(spf, "on_permerror");
	return 0;
}

/* group_build - a sendergroup section into g; 0, or -1 out of memory */

static int
group_build(struct load *ld, struct conf *conf, cfg_t *gsec,
	    struct hat_group *g)
{
	const char *pname, *why;
	unsigned i, n;

	if ((g->name = xstrdup(ld, cfg_title(gsec))) == NULL)
		return -1;
	if (cfg_size(gsec, "policy") == 0) {
		report(ld, gsec->filename, gsec->line,
		       "sendergroup %s has no policy", g->name);
	} else {
		pname = cfg_getstr(gsec, "policy");
		if ((g->policy = conf_policy(conf, pname)) == NULL)
			report(ld, gsec->filename, line_of(ld, gsec, "policy"),
			       "sendergroup %s: unknown policy '%s'", g->name,
			       pname);
	}
	n = cfg_size(gsec, "match");
	if (n == 0)
		return 0;
	if ((g->entries = calloc(n, sizeof(*g->entries))) == NULL) {
		report(ld, NULL, 0, NOMEM);
		return -1;
	}
	for (i = 0; i < n; i++)
		/* A bad entry was reported by cb_entry; leave it out. */
		if (hat_entry_parse(cfg_getnstr(gsec, "match", i),
				    &g->entries[g->nentries], &why) == 0)
			g->nentries++;
	return 0;
}

/* conf_build - the snapshot from a parsed tree; NULL if anything failed */

static struct conf *
conf_build(struct load *ld, cfg_t *cfg, const char *name)
{
	struct conf *conf;
	cfg_t  *fsec;
	unsigned i, n;
	int	fac;

	if ((conf = calloc(1, sizeof(*conf))) == NULL) {
		report(ld, NULL, 0, NOMEM);
		return NULL;
	}
	conf->refs = 1;
	if ((conf->path = xstrdup(ld, name)) == NULL
	    || (conf->socket = xstrdup(ld, cfg_getstr(cfg, "socket"))) == NULL
	    || (conf->user = xstrdup(ld, cfg_getstr(cfg, "user"))) == NULL
	    || (conf->pidfile = xstrdup(ld, cfg_getstr(cfg, "pidfile"))) == NULL
	 || (conf->state_dir = xstrdup(ld, cfg_getstr(cfg, "state_dir"))) == NULL
	    || (conf->log_file = xstrdup(ld, cfg_getstr(cfg, "log_file"))) == NULL
	|| (conf->id_header = xstrdup(ld, cfg_getstr(cfg, "id_header"))) == NULL)
		goto fail;
	conf->spf_timeout = cfg_getint(cfg, "spf_timeout");
	if (parse_mode(cfg_getstr(cfg, "socket_mode"), &conf->socket_mode) < 0)
		conf->socket_mode = 0660;
	fac = log_facility_parse(cfg_getstr(cfg, "syslog_facility"));
	conf->syslog_facility = fac < 0 ? LOG_MAIL : fac;
	conf->on_internal_error =
		word_or(word_index(ierr_names, NELEM(ierr_names),
				   cfg_getstr(cfg, "on_internal_error")),
			CONF_IERR_TEMPFAIL);

	n = cfg_size(cfg, "policy");
	if (n > 0 && (conf->policies = calloc(n, sizeof(*conf->policies))) == NULL) {
		report(ld, NULL, 0, NOMEM);
		goto fail;
	}
	for (i = 0; i < n; i++, conf->npolicies++)
		if (policy_build(ld, cfg_getnsec(cfg, "policy", i),
				 &conf->policies[i]) < 0)
			goto fail;

	if ((conf->fallback = conf_policy(conf, "DEFAULT")) == NULL) {
		if ((conf->fallback = calloc(1, sizeof(*conf->fallback))) == NULL
		    || (fsec = cfg_addtsec(cfg, "policy", "DEFAULT")) == NULL) {
			report(ld, NULL, 0, NOMEM);
			goto fail;
		}
		if (policy_build(ld, fsec, conf->fallback) < 0)
			goto fail;
	}

	n = cfg_size(cfg, "sendergroup");
	if (n > 0 && (conf->groups = calloc(n, sizeof(*conf->groups))) == NULL) {
		report(ld, NULL, 0, NOMEM);
		goto fail;
	}
	for (i = 0; i < n; i++, conf->ngroups++)
		if (group_build(ld, conf, cfg_getnsec(cfg, "sendergroup", i),
				&conf->groups[i]) < 0)
			goto fail;
	return conf;

fail:
	conf_release(conf);
	return NULL;
}

#define SENTINEL	"\n}\n"

/* dup_report - conftext's findings, as problems of this load */

static void
dup_report(void *arg, int line, const char *msg)
{
	struct load *ld = arg;

	report(ld, ld->name, line, "%s", msg);
}

/* conf_parse - parse text (len bytes, room for SENTINEL) as name */

static struct conf *
conf_parse(char *text, size_t len, const char *name, conf_error_fn *err,
	   void *arg)
{
	struct load ld = {.err = err, .arg = arg};
	struct conf *conf = NULL;
	cfg_t  *cfg = NULL;
	FILE   *fp = NULL;
	size_t	i;
	int	rc;

	if (memchr(text, 0, len) != NULL) {
		report(&ld, name, 0, "NUL byte in the file");
		return NULL;
	}
	for (i = 0; i < len; i++)
		if (text[i] == '\n')
			ld.last_line++;
	if (len == 0 || text[len - 1] != '\n')
		ld.last_line++;
	ld.sentinel_line = ld.last_line + 1 + (len > 0 && text[len - 1] == '\n');
	memcpy(text + len, SENTINEL, sizeof(SENTINEL));
	conftext_blank_comments(text);
	ld.name = name;
	conftext_duplicates(text, dup_report, &ld);

	pthread_mutex_lock(&parse_lock);
	cur_load = &ld;
	if ((fp = fmemopen(text, strlen(text), "r")) == NULL
	    || (cfg = cfg_init(top_opts, CFGF_NONE)) == NULL
	    || (cfg->filename = strdup(name)) == NULL) {
		report(&ld, name, 0, NOMEM);
		goto out;
	}
	cfg_set_error_function(cfg, cfg_error_cb);
	rc = cfg_parse_fp(cfg, fp);
	if (rc == CFG_SUCCESS) {
		report(&ld, name, ld.last_line,
		       "premature end of file: a section is not closed");
		goto out;
	}
	if (!ld.sentinel_seen) {
		if (ld.errors == 0)
			report(&ld, name, cfg->line, "parse error");
		/* A tree cut short would only add false alarms. */
		goto out;
	}
	conf = conf_build(&ld, cfg, name);
	if (conf && ld.errors > 0) {
		conf_release(conf);
		conf = NULL;
	}
out:
	if (cfg)
		cfg_free(cfg);
	if (fp)
		(void) fclose(fp);	/* read only: nothing to lose */
	cur_load = NULL;
	pthread_mutex_unlock(&parse_lock);
	free(ld.notes);
	return conf;
}

/* conf_load - parse a file */

struct conf *
conf_load(const char *path, conf_error_fn *err, void *arg)
{
	struct load ld = {.err = err, .arg = arg};
	struct conf *conf;
	char   *text = NULL, *t;
	size_t	len = 0, size = 0, n;
	FILE   *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		report(&ld, path, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	do {
		if (size - len < sizeof(SENTINEL) + 1) {
			size = size ? 2 * size : 8192;
			if ((t = realloc(text, size)) == NULL) {
				report(&ld, path, 0, NOMEM);
				goto fail;
			}
			text = t;
		}
		n = fread(text + len, 1, size - len - sizeof(SENTINEL), fp);
		len += n;
	} while (n > 0);
	if (ferror(fp)) {
		report(&ld, path, 0, "read error: %s", strerror(errno));
		goto fail;
	}
	(void) fclose(fp);		/* read only: nothing to lose */
	conf = conf_parse(text, len, path, err, arg);
	free(text);
	return conf;

fail:
	(void) fclose(fp);
	free(text);
	return NULL;
}

/* conf_load_buf - parse a string */

struct conf *
conf_load_buf(const char *text, const char *name, conf_error_fn *err,
	      void *arg)
{
	struct load ld = {.err = err, .arg = arg};
	struct conf *conf;
	size_t	len = strlen(text);
	char   *copy;

	if ((copy = malloc(len + sizeof(SENTINEL))) == NULL) {
		report(&ld, name, 0, NOMEM);
		return NULL;
	}
	memcpy(copy, text, len);
	conf = conf_parse(copy, len, name, err, arg);
	free(copy);
	return conf;
}

/* conf_retain - one more reference */

struct conf *
conf_retain(struct conf *conf)
{
	/* The header keeps refs a plain int; the GCC builtins make it atomic. */
	if (conf)
		__atomic_fetch_add(&conf->refs, 1, __ATOMIC_RELAXED);
	return conf;
}

static void
policy_free(struct policy *p)
{
	free(p->name);
}

/* conf_release - drop a reference; the last one frees */

void
conf_release(struct conf *conf)
{
	size_t	i, j;
	bool	own_fallback = true;

	if (conf == NULL
	    || __atomic_sub_fetch(&conf->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (i = 0; i < conf->ngroups; i++) {
		for (j = 0; j < conf->groups[i].nentries; j++)
			hat_entry_free(&conf->groups[i].entries[j]);
		free(conf->groups[i].entries);
		free(conf->groups[i].name);
	}
	free(conf->groups);
	for (i = 0; i < conf->npolicies; i++) {
		if (conf->fallback == &conf->policies[i])
			own_fallback = false;
		policy_free(&conf->policies[i]);
	}
	free(conf->policies);
	if (conf->fallback && own_fallback) {
		policy_free(conf->fallback);
		free(conf->fallback);
	}
	free(conf->path);
	free(conf->socket);
	free(conf->user);
	free(conf->pidfile);
	free(conf->state_dir);
	free(conf->log_file);
	free(conf->id_header);
	free(conf);
}

/* conf_install - make conf current */

void
conf_install(struct conf *conf)
{
	struct conf *old;

	pthread_mutex_lock(&current_lock);
	old = current;
	current = conf;
	pthread_mutex_unlock(&current_lock);
	/* Sessions still holding old keep it alive until they close. */
	conf_release(old);
}

/* conf_acquire - the current snapshot, retained */

struct conf *
conf_acquire(void)
{
	struct conf *conf;

	pthread_mutex_lock(&current_lock);
	conf = conf_retain(current);
	pthread_mutex_unlock(&current_lock);
	return conf;
}

/* conf_policy - policy by name */

struct policy *
conf_policy(const struct conf *conf, const char *name)
{
	size_t	i;

	for (i = 0; i < conf->npolicies; i++)
		if (conf->policies[i].name
		    && strcmp(conf->policies[i].name, name) == 0)
			return &conf->policies[i];
	return NULL;
}

const char *
conf_ierr_name(enum conf_ierr e)
{
	if ((unsigned) e >= NELEM(ierr_names))
		return "unknown";
	return ierr_names[e];
}

/* walk_opts - every option below opts, with its section path; it
 * recurses as deep as the static option table nests sections (two) */

static void	/* NOLINTNEXTLINE(misc-no-recursion): bounded, see above */
walk_opts(const cfg_opt_t *opts, const char *section,
	  void (*fn)(const char *, const char *, void *), void *arg)
{
	const cfg_opt_t *o;
	size_t	len;
	char   *path;

	for (o = opts; o->name; o++) {
		fn(section, o->name, arg);
		if (o->type != CFGT_SEC)
			continue;
		len = strlen(section) + strlen(o->name) + 2;
		if ((path = malloc(len)) == NULL)
			continue;
		snprintf(path, len, "%s%s%s", section, *section ? "|" : "",
			 o->name);
		walk_opts(o->subopts, path, fn, arg);
		free(path);
	}
}

void
conf_options_walk(void (*fn)(const char *section, const char *name,
			     void *arg), void *arg)
{
	int	i;

	walk_opts(top_opts, "", fn, arg);
	for (i = 0; i < RULE_COUNT; i++)
		fn("rule", rule_defs[i].name, arg);
}

/* conf_library_version - for esmtpguard -V */

const char *
conf_library_version(void)
{
	return confuse_version;
}
