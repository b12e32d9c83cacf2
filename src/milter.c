/*++
 * NAME
 *	milter 3
 * SUMMARY
 *	libmilter glue: the only file that includes libmilter/mfapi.h
 * DESCRIPTION
 *	Each callback fetches the macros it needs, calls the matching
 *	session_* function and turns the verdict into a libmilter status
 *	and reply. The session is created at connect and freed at close;
 *	close may come without connect (private pointer NULL).
 *
 *	Macros are requested per stage with smfi_setsymlist. In Postfix
 *	that list replaces the stage's default list, so it names every
 *	macro we read at that stage; Postfix never sends {if_addr} (we use
 *	{daemon_addr}) and prefixes IPv6 client addresses with "IPv6:"
 *	(the session strips it). Sendmail's {daemon_addr} is where the
 *	daemon listens, not where the client arrived (see if_addr below).
 *--*/
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "conf.h"
#include "log.h"
#include "milter.h"
#include "session.h"

static struct idalloc *milter_ids;

/*
 * Between negotiate and connect the private pointer says whether the MTA
 * agreed to pass header values raw (SMFIP_HDR_LEADSPC), so that header
 * lines are measured as they were on the wire; connect replaces it with
 * the session. Close may come without connect and must not take the
 * marker for a session.
 */
static char leadspc_marker;

static struct session *
session_of(SMFICTX *ctx)
{
	void   *priv = smfi_getpriv(ctx);

	return priv == &leadspc_marker ? NULL : priv;
}

#define SESSION(ctx)	session_of(ctx)

/* reply_text - libmilter treats '%' as a format character: double it */

static char *
reply_text(const char *text)
{
	size_t	n = 0;
	const char *p;
	char   *out, *q;

	for (p = text; *p; p++)
		n += (*p == '%') ? 2 : 1;
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (p = text, q = out; *p; p++) {
		*q++ = *p;
		if (*p == '%')
			*q++ = '%';
	}
	*q = 0;
	return out;
}

/* status - a verdict as libmilter status, with its reply set */

static sfsistat
status(SMFICTX *ctx, const struct verdict *v)
{
	char   *text = NULL;
	const char *rcode = v->rcode;
	sfsistat st;

	switch (v->kind) {
	case VERDICT_CONTINUE:
		return SMFIS_CONTINUE;
	case VERDICT_ACCEPT:
		return SMFIS_ACCEPT;
	case VERDICT_REJECT:
		st = SMFIS_REJECT;
		break;
	case VERDICT_TEMPFAIL:
		st = SMFIS_TEMPFAIL;
		break;
	case VERDICT_DROP:
		/* 421 with TEMPFAIL makes Postfix and Sendmail close */
		rcode = "421";
		st = SMFIS_TEMPFAIL;
		break;
	default:
		log_panic("unknown verdict %d", (int) v->kind);
	}
	if (rcode != NULL && v->text != NULL && (text = reply_text(v->text)) != NULL
	    && smfi_setreply(ctx, (char *) rcode, (char *) v->xcode, text) != MI_SUCCESS)
		log_warn("could not set reply \"%s %s\"", rcode, v->xcode);
	free(text);
	return st;
}

/* reply - the held log lines of the callback (see log_hold), then its
 * status: the lines are in the file before the MTA sees the reply */

static sfsistat
reply(SMFICTX *ctx, const struct verdict *v, struct log_batch *lb)
{
	log_release(lb);
	return status(ctx, v);
}

static const char *
macro(SMFICTX *ctx, const char *name)
{
	return smfi_getsymval(ctx, (char *) name);
}

/* set_qid - pass the queue ID on as soon as the MTA has one */

static void
set_qid(SMFICTX *ctx, struct session *s)
{
	session_set_qid(s, macro(ctx, "i"));
}

/*
 * if_addr - the address the client reached, or NULL. Sendmail's {if_addr}
 * is exactly that, but only for a non-loopback interface; its
 * {daemon_addr} is the listening address, a wildcard when the daemon
 * listens on every interface, which says nothing. Postfix sends no
 * {if_addr}, and its {daemon_addr} is the address the client reached.
 */
static const char *
if_addr(SMFICTX *ctx)
{
	const char *a = macro(ctx, "{if_addr}");

	if (a != NULL && *a != 0)
		return a;
	a = macro(ctx, "{daemon_addr}");
	if (a != NULL && (strcmp(a, "0.0.0.0") == 0 || strcmp(a, "::") == 0
			  || strcmp(a, "IPv6:::") == 0))
		return NULL;
	return a;
}

static sfsistat
cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
	     unsigned long f2, unsigned long f3, unsigned long *pf0,
	     unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	static const struct {
		int	stage;
		const char *list;
	} lists[] = {
		{SMFIM_CONNECT, "j {client_addr} {client_ptr} {client_resolve} "
		 "{daemon_addr} {if_addr}"},
		{SMFIM_ENVFROM, "i {mail_addr}"},
		{SMFIM_ENVRCPT, "i {rcpt_addr}"},
		{SMFIM_DATA, "i"},
		{SMFIM_EOH, "i"},
		{SMFIM_EOM, "i"},
	};
	size_t	i;

	(void) f2;
	(void) f3;
	*pf0 = SMFIF_ADDHDRS & f0;
	*pf1 = SMFIP_HDR_LEADSPC & f1;
	smfi_setpriv(ctx, *pf1 != 0 ? &leadspc_marker : NULL);
	*pf2 = 0;
	*pf3 = 0;
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if (smfi_setsymlist(ctx, lists[i].stage,
				    (char *) lists[i].list) != MI_SUCCESS)
			log_warn("could not request macros for stage %d",
				 lists[i].stage);
	return SMFIS_CONTINUE;
}

static sfsistat	/* NOLINTNEXTLINE(readability-non-const-parameter): libmilter's type */
cb_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
	struct session_conn c;
	struct verdict v;
	struct log_batch lb;
	struct conf *conf;
	struct session *s;
	char	addr[INET6_ADDRSTRLEN];

	memset(&c, 0, sizeof(c));
	c.hostname = hostname;
	c.client_addr = macro(ctx, "{client_addr}");
	if (sa != NULL && sa->sa_family == AF_INET
	    && inet_ntop(AF_INET, &((struct sockaddr_in *) sa)->sin_addr,
			 addr, sizeof(addr)) != NULL)
		c.client_addr = addr;	/* NOLINT(bugprone-branch-clone): v4, v6 */
	else if (sa != NULL && sa->sa_family == AF_INET6
	    && inet_ntop(AF_INET6, &((struct sockaddr_in6 *) sa)->sin6_addr,
			 addr, sizeof(addr)) != NULL)
		c.client_addr = addr;
	c.client_resolve = macro(ctx, "{client_resolve}");
	c.client_ptr = macro(ctx, "{client_ptr}");
	c.if_addr = if_addr(ctx);
	c.mta_name = macro(ctx, "j");
	c.header_leadspc = smfi_getpriv(ctx) == &leadspc_marker;

	log_hold(&lb);
	conf = conf_acquire();
	s = session_open(conf, milter_ids, &c, &v);
	conf_release(conf);
	smfi_setpriv(ctx, s);
	return reply(ctx, &v, &lb);
}

static sfsistat
cb_helo(SMFICTX *ctx, char *name)
{
	struct session *s = SESSION(ctx);
	struct verdict v;
	struct log_batch lb;

	if (s == NULL)
		return SMFIS_CONTINUE;
	log_hold(&lb);
	session_helo(s, name, &v);
	return reply(ctx, &v, &lb);
}

static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct session *s = SESSION(ctx);
	struct verdict v;
	struct log_batch lb;

	if (s == NULL)
		return SMFIS_CONTINUE;
	log_hold(&lb);
	session_mail(s, argv, &v);
	set_qid(ctx, s);
	return reply(ctx, &v, &lb);
}

static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct session *s = SESSION(ctx);
	struct verdict v;
	struct log_batch lb;

	if (s == NULL)
		return SMFIS_CONTINUE;
	log_hold(&lb);
	set_qid(ctx, s);
	session_rcpt(s, argv, &v);
	return reply(ctx, &v, &lb);
}

static sfsistat
cb_data(SMFICTX *ctx)
{
	struct session *s = SESSION(ctx);
	struct verdict v;
	struct log_batch lb;

	if (s == NULL)
		return SMFIS_CONTINUE;
	log_hold(&lb);
	set_qid(ctx, s);
	session_data(s, &v);
	return reply(ctx, &v, &lb);
}

static sfsistat
cb_unknown(SMFICTX *ctx, const char *cmd)
{
	struct session *s = SESSION(ctx);
	struct verdict v;
	struct log_batch lb;

	if (s == NULL)
		return SMFIS_CONTINUE;
	log_hold(&lb);
	session_unknown(s, cmd, &v);
	return reply(ctx, &v, &lb);
}

static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct session *s = SESSION(ctx);
	struct verdict v;
	struct log_batch lb;

	if (s == NULL)
		return SMFIS_CONTINUE;
	log_hold(&lb);
	session_header(s, name, value, &v);
	return reply(ctx, &v, &lb);
}

static sfsistat
cb_eoh(SMFICTX *ctx)
{
	struct session *s = SESSION(ctx);
	struct verdict v;
	struct log_batch lb;

	if (s == NULL)
		return SMFIS_CONTINUE;
	log_hold(&lb);
	set_qid(ctx, s);
	session_eoh(s, &v);
	return reply(ctx, &v, &lb);
}

static sfsistat
cb_body(SMFICTX *ctx, unsigned char *p, size_t len)
{
	struct session *s = SESSION(ctx);
	struct verdict v;
	struct log_batch lb;

	if (s == NULL)
		return SMFIS_CONTINUE;
	log_hold(&lb);
	session_body(s, p, len, &v);
	return reply(ctx, &v, &lb);
}

static sfsistat
cb_eom(SMFICTX *ctx)
{
	struct session *s = SESSION(ctx);
	struct verdict v;
	struct log_batch lb;
	size_t	i;

	if (s == NULL)
		return SMFIS_CONTINUE;
	log_hold(&lb);
	set_qid(ctx, s);
	session_eom(s, &v);
	/* index 0 puts a trace field above the MTA's own Received: */
	for (i = 0; v.kind == VERDICT_CONTINUE && i < v.nheaders; i++)
		if ((v.headers[i].top
		     ? smfi_insheader(ctx, 0, (char *) v.headers[i].name,
				      (char *) v.headers[i].value)
		     : smfi_addheader(ctx, (char *) v.headers[i].name,
				      (char *) v.headers[i].value)) != MI_SUCCESS)
			log_warn("ICID %llu could not add header %s",
				 (unsigned long long) session_icid(s),
				 v.headers[i].name);
	return reply(ctx, &v, &lb);
}

static sfsistat
cb_abort(SMFICTX *ctx)
{
	struct session *s = SESSION(ctx);
	struct log_batch lb;

	if (s != NULL) {
		log_hold(&lb);
		set_qid(ctx, s);
		session_abort(s);
		log_release(&lb);
	}
	return SMFIS_CONTINUE;
}

static sfsistat
cb_close(SMFICTX *ctx)
{
	struct log_batch lb;

	log_hold(&lb);
	session_close(SESSION(ctx));
	log_release(&lb);
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

static struct smfiDesc milter_desc = {
	.xxfi_name = "esmtpguard",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS,
	.xxfi_connect = cb_connect,
	.xxfi_helo = cb_helo,
	.xxfi_envfrom = cb_envfrom,
	.xxfi_envrcpt = cb_envrcpt,
	.xxfi_header = cb_header,
	.xxfi_eoh = cb_eoh,
	.xxfi_body = cb_body,
	.xxfi_eom = cb_eom,
	.xxfi_abort = cb_abort,
	.xxfi_close = cb_close,
	.xxfi_unknown = cb_unknown,
	.xxfi_data = cb_data,
	.xxfi_negotiate = cb_negotiate,
};

const char *
milter_unix_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	if (*spec == '/')
		return spec;
	return NULL;
}

int
milter_open(const char *spec, mode_t mode, char *err, size_t errlen)
{
	const char *path = milter_unix_path(spec);
	mode_t	old;
	int	rc;

	if (strncmp(spec, "inet:", 5) != 0 && strncmp(spec, "inet6:", 6) != 0
	    && path == NULL) {
		snprintf(err, errlen, "socket %s: unknown form (unix:/path, "
			 "local:/path, inet:PORT@HOST, inet6:PORT@HOST)", spec);
		return -1;
	}
	if (smfi_register(milter_desc) != MI_SUCCESS) {
		snprintf(err, errlen, "smfi_register failed");
		return -1;
	}
	if (smfi_setconn((char *) spec) != MI_SUCCESS) {
		snprintf(err, errlen, "socket %s: smfi_setconn failed", spec);
		return -1;
	}
	/* no window in which the socket has looser permissions than asked */
	old = umask(0777 & ~mode);
	rc = smfi_opensocket(true);	/* true: replace a stale unix socket */
	umask(old);
	if (rc != MI_SUCCESS) {
		snprintf(err, errlen, "socket %s: cannot open (in use, or "
			 "directory missing or not writable)", spec);
		return -1;
	}
	if (path != NULL && chmod(path, mode) < 0) {
		snprintf(err, errlen, "socket %s: chmod: %s", spec, strerror(errno));
		return -1;
	}
	return 0;
}

int
milter_run(struct idalloc *ids)
{
	milter_ids = ids;
	return smfi_main() == MI_SUCCESS ? 0 : -1;
}

void
milter_stop(void)
{
	(void) smfi_stop();
}

const char *
milter_version(void)
{
	static char buf[64];
	unsigned int maj, min, pl;

	smfi_version(&maj, &min, &pl);
	snprintf(buf, sizeof(buf), "libmilter %u.%u.%u", maj, min, pl);
	return buf;
}

/*
 * sigwait - keep libmilter's signal thread away from our signals.
 *
 * smfi_main() starts a thread that sigwait()s for SIGHUP, SIGTERM and
 * SIGINT and stops the milter on any of them. Blocking the signals and
 * handling them in a thread of our own is not enough: a process-directed
 * signal goes to whichever of the two waiting threads the kernel picks,
 * so a SIGHUP meant as "reload" would stop the daemon about half the
 * time. libmilter is the only caller of sigwait() in this program (our
 * signal thread uses sigwaitinfo()), so the executable's definition
 * takes libmilter's thread out of the race: it sleeps here for good and
 * main.c's signal thread alone decides, stopping through smfi_stop().
 */
int	/* NOLINTNEXTLINE(readability-non-const-parameter): libc's prototype */
sigwait(const sigset_t *set, int *sig)
{
	(void) set;
	(void) sig;
	for (;;)
		pause();
}
