/*++
 * NAME
 *	noop 1
 * SUMMARY
 *	a libmilter filter that inspects nothing: the benchmark's floor
 * SYNOPSIS
 *	t/bench/noop unix:/path/to/socket
 * DESCRIPTION
 *	noop registers the same callbacks as esmtpguard, negotiates the same
 *	action and protocol flags and requests the same macros at the same
 *	stages, then answers SMFIS_CONTINUE to everything. The MTA therefore
 *	does exactly the work it does for esmtpguard, and whatever esmtpguard
 *	costs beyond noop is the cost of inspection itself.
 *
 *	It runs in the foreground until SIGTERM or SIGINT (libmilter's own
 *	signal handling), and is built only for `make bench`. Like a daemon
 *	(esmtpguard detached, or under systemd) it runs in a session of its
 *	own: with the kernel's autogroup scheduling (sched_autogroup_enabled,
 *	Debian's default) a session is a scheduling group, and a filter that
 *	shares the benchmark script's group with smtp-source is scheduled
 *	differently: 2026-12-05, 29 context switches a message instead of the
 *	36 that it and esmtpguard both make in a session of their own.
 */

#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libmilter/mfapi.h>

static sfsistat
cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
	     unsigned long f2, unsigned long f3, unsigned long *pf0,
	     unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	/* the lists of src/milter.c: the MTA sends as many macros */
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
	*pf2 = 0;
	*pf3 = 0;
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		(void) smfi_setsymlist(ctx, lists[i].stage, (char *) lists[i].list);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void) ctx;
	(void) host;
	(void) sa;
	return SMFIS_CONTINUE;
}

static sfsistat
cb_str(SMFICTX *ctx, char *s)
{
	(void) ctx;
	(void) s;
	return SMFIS_CONTINUE;
}

static sfsistat
cb_argv(SMFICTX *ctx, char **argv)
{
	(void) ctx;
	(void) argv;
	return SMFIS_CONTINUE;
}

static sfsistat
cb_unknown(SMFICTX *ctx, const char *cmd)
{
	(void) ctx;
	(void) cmd;
	return SMFIS_CONTINUE;
}

static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
	(void) ctx;
	(void) name;
	(void) value;
	return SMFIS_CONTINUE;
}

static sfsistat
cb_body(SMFICTX *ctx, unsigned char *p, size_t len)
{
	(void) ctx;
	(void) p;
	(void) len;
	return SMFIS_CONTINUE;
}

static sfsistat
cb_ctx(SMFICTX *ctx)
{
	(void) ctx;
	return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
	.xxfi_name = "noop",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS,
	.xxfi_connect = cb_connect,
	.xxfi_helo = cb_str,
	.xxfi_envfrom = cb_argv,
	.xxfi_envrcpt = cb_argv,
	.xxfi_header = cb_header,
	.xxfi_eoh = cb_ctx,
	.xxfi_body = cb_body,
	.xxfi_eom = cb_ctx,
	.xxfi_abort = cb_ctx,
	.xxfi_close = cb_ctx,
	.xxfi_unknown = cb_unknown,
	.xxfi_data = cb_ctx,
	.xxfi_negotiate = cb_negotiate,
};

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: noop unix:/path/to/socket\n");
		return 64;
	}
	umask(0);
	/* fails only for a process group leader (started by an interactive
	 * shell): then it stays where it is, as before */
	(void) setsid();
	if (smfi_register(desc) != MI_SUCCESS || smfi_setconn(argv[1]) != MI_SUCCESS
	    || smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "noop: cannot listen on %s\n", argv[1]);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
