/*++
 * NAME
 *	fuzz_session 1t
 * SUMMARY
 *	libFuzzer target: the policy core driven by any callback sequence
 * DESCRIPTION
 *	The input is a script, one call per line, in the order libmilter
 *	would make them but with nothing forcing that order:
 *
 *	[S]C addr host resolve ptr if_addr mta	connect (c: SMFIP_HDR_LEADSPC);
 *						"-" is a macro the MTA did not send
 *	[S]H name		helo
 *	[S]M arg ...		mail (arguments split at blanks)
 *	[S]R arg ...		rcpt
 *	[S]Q qid		the queue ID macro turns up
 *	[S]D			data
 *	[S]F name:value		a header field
 *	[S]E			end of header
 *	[S]B bytes		body chunk, CRLF appended (b: as it is)
 *	[S].			end of message
 *	[S]A			abort
 *	[S]X			close (also of a slot never connected)
 *	[S]U command		an unknown command
 *	K n			reload: configuration n for later connects
 *
 *	S is an optional slot digit 0..2: three connections may be open at
 *	once, sharing the per-IP table, with different configurations when
 *	a reload came between their connects. Arguments take \n \r \t \\
 *	and \xHH (a NUL ends a string argument, not a body chunk). A call
 *	on a slot without a session is skipped, as src/milter.c skips it;
 *	a connect on an open slot closes the old session first. At the end
 *	every open slot is closed.
 *
 *	The configurations: the built-in defaults (the ASA's), the
 *	shipped conf/esmtpguard.conf, one with every rule low and every
 *	action, and one that only logs (so every check runs). IDs come from
 *	a state directory of the target's own; the log goes to a hook; SPF
 *	(at DATA, for the policies that verify) asks a zone of the target's
 *	own, never DNS: pass, fail, softfail, permerror, temperror, a slow
 *	name that spends the budget, and macros that expand the client's
 *	HELO name and sender.
 *
 *	Checked, besides ASan, UBSan and LSan (nothing left after close):
 *	every log line is escaped (no control byte); no internal error is
 *	logged; every connect logs New SMTP ICID and every close ICID n
 *	close; every Start MID is finished; ICIDs and MIDs only grow; a
 *	verdict's reply code fits its kind and its text holds no control
 *	byte, and is read right after the call, as the MTA reads it.
 *	FUZZ_SESSION_LOG=1 in the environment shows the log lines.
 *--*/
#include <config.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fuzzlib.h"
#include "idalloc.h"
#include "log.h"
#include "peer.h"
#include "session.h"
#include "spf.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SLOTS	3
#define MAXARGS	16
#define MAXOPS	2000

static const char tight_conf[] =
	"on_internal_error = \"reject\"\n"
	"id_header = \"X-Fuzz-ID\"\n"
	"sendergroup RELAY_SG { match = { \"10.0.0.0/8\", \"2001:db8::/32\" } policy = TRUSTED }\n"
	"sendergroup BLOCKED_SG { match = { \"192.0.2.66\", \"blocked.example\" } policy = BLOCKED }\n"
	"sendergroup NAMED { match = { \".gw.example\", \"192.0.2.1-9\" } policy = STRICT }\n"
	"sendergroup ALL { match = { \"ALL\" } policy = STRICT }\n"
	"policy TRUSTED { access = relay }\n"
	"policy BLOCKED { access = reject }\n"
	"policy STRICT {\n"
	"  access = accept\n"
	"  match cmd_line_length { gt = 64 action = drop-connection }\n"
	"  match rcpt_count { gt = 3 action = reject }\n"
	"  match body_line_length { gt = 78 action = tempfail }\n"
	"  match header_line_length { gt = 78 action = reject log = false }\n"
	"  match sender_address_length { gt = 32 action = reject }\n"
	"  match mime_filename_length { gt = 12 action = drop-connection }\n"
	"  match header_length { gt = 400 action = tempfail }\n"
	"  match header_to_fields_count { gt = 2 action = reject }\n"
	"  match body_length { gt = 2000 action = reject }\n"
	"  match messages_per_connection { gt = 3 action = tempfail }\n"
	"  match rcpt_per_connection { gt = 5 action = drop-connection }\n"
	"  match connections_per_ip { gt = 2 action = reject }\n"
	"  match rcpt_per_hour_per_ip { gt = 8 action = tempfail }\n"
	"  match pipe_in_address { action = reject }\n"
	"  match unknown_commands { gt = 1 action = drop-connection }\n"
	"  spf { verify = true on_fail = reject on_softfail = tempfail\n"
	"        on_permerror = reject on_temperror = tempfail }\n"
	"}\n";

/* SPF answers from a zone of the checker's own (no DNS): results of
 * every kind for the senders and HELO names a script may use, and
 * macros that expand what the client sent */
static const struct {
	const char *name, *type, *data;
} zone[] = {
	{"sender.example", "TXT", "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 mx -all"},
	{"sender.example", "MX", "mx.sender.example"},
	{"mx.sender.example", "A", "192.0.2.25"},
	{"soft.example", "TXT", "v=spf1 include:sender.example ~all"},
	{"redirect.example", "TXT", "v=spf1 redirect=sender.example"},
	{"macro.example", "TXT", "v=spf1 exists:%{i}.%{l1r-}.%{d2}.%{h}._spf.macro.example ptr ?all"},
	{"explain.example", "TXT", "v=spf1 -all exp=why.explain.example"},
	{"why.explain.example", "TXT", "%{s} from %{i} via %{h} is not allowed"},
	{"perm.example", "TXT", "v=spf1 ip4:300.1.1.1 -all"},
	{"two.example", "TXT", "v=spf1 -all"},
	{"two.example", "TXT", "v=spf1 +all"},
	{"temp.example", "TEMPFAIL", NULL},
	{"slow.example", "TXT", "v=spf1 a:slowhost.example -all"},
	{"slowhost.example", "DELAY", "5000"},
	{"client.example", "TXT", "v=spf1 a -all"},
	{"client.example", "A", "192.0.2.7"},
	{"7.2.0.192.in-addr.arpa", "PTR", "client.example"},
};

static const char logonly_conf[] =
	"on_internal_error = \"accept\"\n"
	"policy DEFAULT {\n"
	"  access = accept\n"
	"  match cmd_line_length { gt = 16 action = log }\n"
	"  match rcpt_count { gt = 1 action = log }\n"
	"  match body_line_length { gt = 8 action = log }\n"
	"  match header_line_length { gt = 8 action = log }\n"
	"  match sender_address_length { gt = 4 action = log }\n"
	"  match mime_filename_length { gt = 4 action = log }\n"
	"  match header_length { gt = 40 action = log }\n"
	"  match header_to_fields_count { gt = 1 action = log }\n"
	"  match body_length { gt = 100 action = log }\n"
	"  match messages_per_connection { gt = 1 action = log }\n"
	"  match rcpt_per_connection { gt = 1 action = log }\n"
	"  match connections_per_ip { gt = 1 action = log }\n"
	"  match rcpt_per_hour_per_ip { gt = 1 action = log }\n"
	"  match pipe_in_address { action = log }\n"
	"  match unknown_commands { gt = 0 action = log }\n"
	"}\n";

#define NCONF	4

static struct conf *confs[NCONF];
static struct idalloc *ids;
static struct spf *spf;
static char statedir[] = "/tmp/fuzz_session.XXXXXX";

/* what the log showed; checked when every session is closed */
static struct {
	unsigned long news, closes, starts, finished;
} seen;

static uint64_t last_icid, last_mid;

static void
conf_err(void *arg, const char *file, int line, const char *msg)
{
	(void) arg;
	fprintf(stderr, "%s:%d: %s\n", file, line, msg);
}

static bool
prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* hook - the log hook; its type (log.h) gives arg as a void *, which
 * cppcheck would have const */
static void
hook(enum log_sev sev, const char *line, void *arg) /* cppcheck-suppress constParameter */
{
	const unsigned char *p;

	if (arg != NULL)
		fprintf(stderr, "%s\n", line);
	fuzz_check(sev < LOG_SEV_ERROR);
	for (p = (const unsigned char *) line; *p; p++)
		fuzz_check(*p >= 0x20 && *p != 0x7f);
	if (prefix(line, "New SMTP ICID "))
		seen.news++;
	else if (prefix(line, "Start MID "))
		seen.starts++;
	else if (prefix(line, "Message finished MID "))
		seen.finished++;
	else if (prefix(line, "ICID ") && strcmp(line + 5 + strspn(line + 5, "0123456789"),
						  " close") == 0)
		seen.closes++;		/* not "ICID 7 Unknown command: close" */
}

static void
cleanup(void)
{
	DIR    *d;
	struct dirent *e;
	char	path[sizeof(statedir) + 260];

	idalloc_close(ids);
	if ((d = opendir(statedir)) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", statedir, e->d_name);
				(void) unlink(path);
			}
		closedir(d);
	}
	(void) rmdir(statedir);
}

static void
init(void)
{
	char	err[256];
	int	i;

	if (mkdtemp(statedir) == NULL)
		fuzz_fail(__FILE__, __LINE__, "mkdtemp");
	/* a block large enough that the state file is written once */
	if ((ids = idalloc_open(statedir, 1000000000u, err, sizeof(err))) == NULL)
		fuzz_fail(__FILE__, __LINE__, err);
	if (atexit(cleanup) != 0)
		fuzz_fail(__FILE__, __LINE__, "atexit");
	confs[0] = conf_load_buf("", "defaults", conf_err, NULL);
#ifdef FUZZ_TOP_SRCDIR
	confs[1] = conf_load(FUZZ_TOP_SRCDIR "/conf/esmtpguard.conf", conf_err, NULL);
#endif
	confs[2] = conf_load_buf(tight_conf, "tight", conf_err, NULL);
	confs[3] = conf_load_buf(logonly_conf, "logonly", conf_err, NULL);
	for (i = 0; i < NCONF; i++)
		if (confs[i] == NULL && i != 1)
			fuzz_fail(__FILE__, __LINE__, "a built-in configuration");
	if (confs[1] == NULL)
		confs[1] = conf_retain(confs[0]);
	if ((spf = spf_new_zone("mx.fuzz.example")) == NULL)
		fuzz_fail(__FILE__, __LINE__, "spf_new_zone");
	for (i = 0; i < (int) (sizeof(zone) / sizeof(zone[0])); i++)
		if (spf_zone_add(spf, zone[i].name, zone[i].type, zone[i].data) != 0)
			fuzz_fail(__FILE__, __LINE__, zone[i].name);
	session_set_spf(spf);
	peer_set_max(16);
	/* FUZZ_SESSION_LOG=1 shows the log, to see what an input does */
	log_set_hook(hook, getenv("FUZZ_SESSION_LOG") ? (void *) hook : NULL);
}

static int
hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* unescape - \n \r \t \\ \xHH in place; the new length */
static size_t
unescape(char *s, size_t n)
{
	size_t	i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] != '\\' || i + 1 == n) {
			s[o++] = s[i];
			continue;
		}
		switch (s[++i]) {
		case 'n':
			s[o++] = '\n';
			break;
		case 'r':
			s[o++] = '\r';
			break;
		case 't':
			s[o++] = '\t';
			break;
		case 'x':
			if (i + 2 < n && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
				s[o++] = (char) (hex(s[i + 1]) * 16 + hex(s[i + 2]));
				i += 2;
				break;
			}
			/* FALLTHROUGH */
		default:
			s[o++] = s[i];
			break;
		}
	}
	s[o] = 0;
	return o;
}

/* split - blank-separated words of s, in place, as a NULL-terminated
 * argv of exactly their number on the heap: a read past the NULL is an
 * ASan report */
static char **
split(char *s)
{
	char   *w[MAXARGS + 1];
	size_t	n = 0;

	while (n < MAXARGS) {
		s += strspn(s, " ");
		if (*s == 0)
			break;
		w[n++] = s;
		s += strcspn(s, " ");
		if (*s != 0)
			*s++ = 0;
	}
	w[n] = NULL;
	return fuzz_memdup(w, (n + 1) * sizeof(*w));
}

static void
check_verdict(const struct verdict *v, bool eom)
{
	const unsigned char *p;

	fuzz_check(v->kind >= VERDICT_CONTINUE && v->kind <= VERDICT_DROP);
	fuzz_check(v->nheaders <= (eom ? VERDICT_HEADERS : 0));
	if (v->kind == VERDICT_CONTINUE || v->kind == VERDICT_ACCEPT)
		return;
	fuzz_check(v->rcode != NULL && strlen(v->rcode) == 3);
	fuzz_check(v->xcode != NULL && v->xcode[0] == v->rcode[0]);
	fuzz_check(v->rcode[0] == (v->kind == VERDICT_REJECT ? '5' : '4'));
	if (v->kind == VERDICT_DROP)
		fuzz_check(strcmp(v->rcode, "421") == 0);
	fuzz_check(v->text != NULL);
	for (p = (const unsigned char *) v->text; *p; p++)
		fuzz_check(*p >= 0x20 && *p != 0x7f);
}

/* arg - "-" is a macro the MTA did not send */
static const char *
arg(char *const *argv, size_t i)
{
	return argv[i] == NULL || strcmp(argv[i], "-") == 0 ? NULL : argv[i];
}

/* printable - the MTA's own host name ($j) is configuration, not client
 * data: keep it to what a host name can be */
static char *
printable(char *s)
{
	char   *p;

	for (p = s; p != NULL && *p; p++)
		if ((unsigned char) *p < 0x21 || (unsigned char) *p > 0x7e)
			*p = '_';
	return s;
}

static void
open_slot(struct session **slot, struct conf *conf, char *args, bool leadspc)
{
	char  **argv = split(args);
	struct session_conn c;
	struct verdict v;

	memset(&c, 0, sizeof(c));
	c.client_addr = arg(argv, 0);
	c.hostname = argv[0] ? arg(argv, 1) : NULL;
	c.client_resolve = argv[0] && argv[1] ? arg(argv, 2) : NULL;
	c.client_ptr = argv[0] && argv[1] && argv[2] ? arg(argv, 3) : NULL;
	c.if_addr = argv[0] && argv[1] && argv[2] && argv[3] ? arg(argv, 4) : NULL;
	c.mta_name = argv[0] && argv[1] && argv[2] && argv[3] && argv[4]
	    ? printable((char *) arg(argv, 5)) : NULL;
	c.header_leadspc = leadspc;
	*slot = session_open(conf, ids, &c, &v);
	fuzz_check(*slot != NULL);
	check_verdict(&v, false);
	fuzz_check(session_icid(*slot) > last_icid);
	last_icid = session_icid(*slot);
	free(argv);
}

static void
call(struct session **slot, bool *leadspc, struct conf **conf, char op,
     char *s, size_t n)
{
	struct session *ss = *slot;
	char  **argv, *colon;
	struct verdict v;
	bool	eom = false;

	memset(&v, 0, sizeof(v));
	if (op == 'K') {
		*conf = confs[strtoul(s, NULL, 10) % NCONF];
		return;
	}
	if (op == 'C' || op == 'c') {
		session_close(ss);
		*leadspc = op == 'c';
		open_slot(slot, *conf, s, *leadspc);
		return;
	}
	if (op == 'X') {
		session_close(ss);
		*slot = NULL;
		return;
	}
	if (ss == NULL)
		return;			/* as milter.c: nothing before connect */
	switch (op) {
	case 'H':
		session_helo(ss, s, &v);
		break;
	case 'M':
	case 'R':
		argv = split(s);
		if (op == 'M')
			session_mail(ss, argv, &v);
		else
			session_rcpt(ss, argv, &v);
		free(argv);
		if (op == 'M' && v.kind == VERDICT_CONTINUE) {
			fuzz_check(session_mid(ss) > last_mid);
			last_mid = session_mid(ss);
		}
		break;
	case 'Q':
		session_set_qid(ss, s);
		return;
	case 'D':
		session_data(ss, &v);
		break;
	case 'F':
		if ((colon = strchr(s, ':')) != NULL)
			*colon++ = 0;
		/* without SMFIP_HDR_LEADSPC the MTA strips one space */
		if (colon != NULL && !*leadspc && *colon == ' ')
			colon++;
		session_header(ss, s, colon ? colon : "", &v);
		break;
	case 'E':
		session_eoh(ss, &v);
		break;
	case 'B':
		s[n++] = '\r';
		s[n++] = '\n';
		/* FALLTHROUGH */
	case 'b':
		session_body(ss, (const unsigned char *) s, n, &v);
		break;
	case '.':
		session_eom(ss, &v);
		eom = true;
		break;
	case 'A':
		session_abort(ss);
		return;
	case 'U':
		session_unknown(ss, s, &v);
		break;
	default:
		return;
	}
	check_verdict(&v, eom);
	if (eom)
		fuzz_check(session_mid(ss) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session *slots[SLOTS] = {NULL};
	bool	leadspc[SLOTS] = {false};
	struct conf *conf;
	const uint8_t *end, *nl;
	char   *line, *s;
	size_t	len, slot, ops = 0;
	char	op;
	int	i;

	if (ids == NULL)
		init();
	conf = confs[0];
	memset(&seen, 0, sizeof(seen));
	for (end = data + size; data < end && ops < MAXOPS; data = nl ? nl + 1 : end, ops++) {
		nl = memchr(data, '\n', (size_t) (end - data));
		len = (size_t) ((nl ? nl : end) - data);
		/* room for the CRLF of a body line and a NUL */
		if ((line = malloc(len + 3)) == NULL)
			fuzz_fail(__FILE__, __LINE__, "out of memory");
		memcpy(line, data, len);
		line[len] = 0;
		s = line;
		slot = 0;
		if (len > 0 && *s >= '0' && *s <= '9') {
			slot = (size_t) (*s - '0') % SLOTS;
			s++, len--;
		}
		if (len > 0) {
			op = *s++;
			len--;
			while (op != 'b' && len > 0 && *s == ' ')
				s++, len--;
			len = unescape(s, len);
			call(&slots[slot], &leadspc[slot], &conf, op, s, len);
		}
		free(line);
	}
	for (i = 0; i < SLOTS; i++)
		session_close(slots[i]);
	fuzz_check(seen.news == seen.closes);
	fuzz_check(seen.starts == seen.finished);
	return 0;
}
