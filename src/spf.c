/*++
 * NAME
 *	spf 3
 * SUMMARY
 *	SPF checks behind our own interface (libspf2)
 * SYNOPSIS
 *	#include "spf.h"
#include "spfid.h"
 * DESCRIPTION
 *	See spf.h for the contract. The one libspf2 server of the process
 *	asks DNS through a stack of three layers:
 *
 *	budget	(ours, on top) judges whether the message's DNS time
 *		budget can still pay for a query. When it cannot, the
 *		lookup goes down marked "refused" and "do not store": the
 *		cache may still answer it, and on a miss the bottom layer
 *		answers "try again" without asking anyone.
 *	cache	(libspf2's SPF_dns_cache) keeps answers for their TTL,
 *		within [CACHE_MIN_TTL, CACHE_MAX_TTL] seconds; errors,
 *		"try again" after a real timeout included, for
 *		CACHE_MIN_TTL seconds, so that the messages that follow a
 *		dead DNS server fail at once. It stores whatever comes up
 *		from below unless told not to (conserve_cache with
 *		should_cache false, libspf2's own switch): a refusal made
 *		for lack of time says nothing about the name and must
 *		never be cached.
 *	resolver (ours) res_nquery() with a per-query timeout taken from
 *		what is left of the budget. Tests put libspf2's zone layer
 *		here instead (spf_new_zone), with no DNS at all.
 *
 *	Why not libspf2's own resolver layer (spf_dns_resolv.c): it keeps
 *	one res_state per thread behind a pthread key of its own (created
 *	with res_ninit on a thread's first lookup, closed by the key's
 *	destructor), which makes it thread-safe without a lock but gives
 *	nobody a way to change that state's timeout. Each query then takes
 *	what resolv.conf says (glibc: 5 s x 2 attempts per name server),
 *	and an SPF evaluation makes many queries, so nothing bounds the
 *	total. Our resolver layer keeps the same one-state-per-thread
 *	design, for the same reason (a res_state is not safe to share:
 *	res_nsend keeps sockets and counters in it), and sets the state's
 *	retrans and retry before each query.
 *
 *	libspf2's cache layer serializes its table with a mutex and
 *	libspf2's server is reusable by concurrent requests (its README:
 *	"The SPF server is reusable, and thread-safe"); the server's
 *	setters are not locked, so they are called only here, before any
 *	check. Hence one server per process, not per thread or message.
 *
 *	How long one query can take: glibc's res_nsend, with retry 1,
 *	waits retrans seconds for the first name server and
 *	max(1, retrans * 2^i / nscount) for server i > 0; measured in a
 *	network namespace against servers that never answer, with retrans
 *	2 and 1..3 servers: 2, 4 and 5 seconds; with retrans 1 and retry
 *	2: 2, 4 and 6 seconds. So one try costs at most nscount *
 *	retrans. Each try of a query gets retrans = min(resolv.conf's
 *	timeout, left / nscount) in whole seconds, with at most
 *	resolv.conf's attempts tries, and the budget layer starts no query
 *	with less than nscount seconds left: the DNS time of one check
 *	never exceeds the budget.
 *
 *	The thread-local budget: a check runs inside one milter callback,
 *	on one thread, so the deadline lives in thread-local storage for
 *	the duration of spf_check(). In zone mode the clock is virtual:
 *	only "DELAY" entries advance it, nothing sleeps, and the budget is
 *	tested without timing anything.
 *
 *	libspf2 builds Received-SPF for the results it finishes properly;
 *	for a record it cannot compile or a DNS failure on the first
 *	lookup it leaves the result "invalid" and builds nothing, and for
 *	those (PermError, TempError) and for identities we do not ask
 *	libspf2 about (None) the header is built here in the same form.
 * BUGS
 *	glibc falls back to TCP when an answer is truncated; its TCP path
 *	(send_vc) has no timeout of its own, so a server that answers UDP
 *	with a truncated reply and then stalls over TCP is not bounded by
 *	the budget.
 *--*/
#include <config.h>

#include <sys/types.h>
#include <netinet/in.h>		/* spf2/spf.h is not self-contained */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <resolv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <spf2/spf.h>
#include <spf2/spf_dns_cache.h>
#include <spf2/spf_dns_zone.h>

#include "escape.h"
#include "log.h"
#include "spf.h"
#include "spfid.h"
#include "strbuf.h"

#define CACHE_BITS	10		/* 1024 hash chains */
#define CACHE_MIN_TTL	30		/* seconds; errors get this much */
#define CACHE_MAX_TTL	600		/* bounds the memory a flood of
					 * long-TTL names can pin */
#define ANSWER_MAX	65536		/* the largest DNS message */

/* A delayed zone name (tests). */
struct delay {
	struct delay *next;
	char   *name;
	int64_t ms;
};

struct spf {
	SPF_server_t *server;
	SPF_dns_server_t *dns;		/* the top of the layer stack */
	SPF_dns_server_t *zone;		/* zone mode: libspf2's zone layer */
	struct delay *delays;		/* zone mode */
	char   *receiver;
	unsigned long lookups;		/* atomic */
};

/* One check's budget, on the thread that runs it. */
static __thread int64_t budget_deadline;	/* 0: no check running */
static __thread int64_t virtual_ms;		/* zone mode's clock */
static __thread bool clock_virtual;		/* zone mode: only DELAYs
						 * advance the clock */
static __thread int64_t lookup_left;	/* what the budget layer saw for the
					 * lookup on its way down; 0: refused */

/* now_ms - a monotonic clock in milliseconds; in zone mode a virtual one
 * that only DELAYs move, so tests of the budget never depend on how fast
 * they run */

static int64_t
now_ms(void)
{
	struct timespec ts;

	if (clock_virtual)
		return virtual_ms;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* budget_left - milliseconds left of the running check's budget */

static int64_t
budget_left(void)
{
	int64_t left;

	if (budget_deadline == 0)
		return INT64_MAX;
	left = budget_deadline - now_ms();
	return left > 0 ? left : 0;
}

/* rr_new - an answer of this layer; NULL makes libspf2 abort, which
 * only an exhausted heap can cause */

static SPF_dns_rr_t *
rr_new(SPF_dns_server_t *layer, const char *domain, ns_type type, int ttl,
       int herrno)
{
	return SPF_dns_rr_new_init(layer, domain, type, ttl, herrno);
}

/*
 * The resolver layer.
 */
struct resolver_state {
	struct __res_state res;
	int	timeout;		/* resolv.conf's, in seconds */
	int	attempts;
	unsigned char answer[ANSWER_MAX];
};

static pthread_key_t resolver_key;
static pthread_once_t resolver_once = PTHREAD_ONCE_INIT;

static void
resolver_state_free(void *arg)
{
	struct resolver_state *rs = arg;

	res_nclose(&rs->res);
	free(rs);
}

static void
resolver_key_init(void)
{
	if (pthread_key_create(&resolver_key, resolver_state_free) != 0)
		log_fatal(71, "spf: cannot create the resolver thread key");
}

/* resolver_state - this thread's resolver state, made on first use; NULL
 * when out of memory or res_ninit fails */

static struct resolver_state *
resolver_state(void)
{
	struct resolver_state *rs;

	(void) pthread_once(&resolver_once, resolver_key_init);
	if ((rs = pthread_getspecific(resolver_key)) != NULL)
		return rs;
	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		return NULL;
	if (res_ninit(&rs->res) != 0) {
		free(rs);
		return NULL;
	}
	rs->timeout = rs->res.retrans > 0 ? rs->res.retrans : 1;
	rs->attempts = rs->res.retry > 0 ? rs->res.retry : 1;
	if (rs->res.nscount < 1)
		rs->res.nscount = 1;	/* glibc asks 127.0.0.1 then */
	if (pthread_setspecific(resolver_key, rs) != 0) {
		resolver_state_free(rs);
		return NULL;
	}
	return rs;
}

/* resolver_floor - the least budget one query needs: one second per
 * name server (see DESCRIPTION) */

static int64_t
resolver_floor(void)
{
	struct resolver_state *rs = resolver_state();

	return rs ? (int64_t) rs->res.nscount * 1000 : 1000;
}

/* txt_join - the character-strings of a TXT RDATA as one C string */

static void
txt_join(char *dst, const unsigned char *p, size_t len)
{
	size_t	n;

	while (len > 0) {
		n = *p++;
		len--;
		if (n > len)
			n = len;
		memcpy(dst, p, n);
		dst += n;
		p += n;
		len -= n;
	}
	*dst = 0;
}

/* answer_rr - one answer record of the type asked for into out->rr[i];
 * false when it is unusable (skipped) */

static bool
answer_rr(SPF_dns_rr_t *out, int i, const ns_msg *msg, const ns_rr *rr)
{
	const unsigned char *rdata = ns_rr_rdata(*rr);
	size_t	rdlen = ns_rr_rdlen(*rr);
	char	name[NS_MAXDNAME];
	size_t	nlen;
	const unsigned char *eom = ns_msg_base(*msg) + ns_msg_size(*msg);

	switch (out->rr_type) {
	case ns_t_a:
	case ns_t_aaaa:
		/* a and aaaa share the union's storage */
		if (rdlen != (out->rr_type == ns_t_a ? 4 : 16)
		    || SPF_dns_rr_buf_realloc(out, i, rdlen) != SPF_E_SUCCESS)
			return false;
		memcpy(out->rr[i], rdata, rdlen);
		return true;
	case ns_t_mx:
	case ns_t_ptr:
		if (out->rr_type == ns_t_mx) {
			if (rdlen < 3)
				return false;
			rdata += 2;		/* the preference */
		}
		if (ns_name_uncompress(ns_msg_base(*msg), eom, rdata, name,
				       sizeof(name)) < 0)
			return false;
		nlen = strlen(name) + 1;
		if (SPF_dns_rr_buf_realloc(out, i, nlen) != SPF_E_SUCCESS)
			return false;
		memcpy(out->rr[i]->ptr, name, nlen);	/* mx and ptr share it */
		return true;
	case ns_t_txt:
	case ns_t_spf:
		if (SPF_dns_rr_buf_realloc(out, i, rdlen + 1) != SPF_E_SUCCESS)
			return false;
		txt_join(out->rr[i]->txt, rdata, rdlen);
		return true;
	default:
		return false;
	}
}

/* answer_parse - the records of the asked type in a DNS answer; the TTL
 * is their smallest, capped at CACHE_MAX_TTL */

static SPF_dns_rr_t *
answer_parse(SPF_dns_server_t *layer, const char *domain, ns_type type,
	     const unsigned char *ans, int len)
{
	SPF_dns_rr_t *out;
	ns_msg	msg;
	ns_rr	rr;
	int	i, n, cnt = 0;
	uint32_t ttl = CACHE_MAX_TTL;

	if ((out = rr_new(layer, domain, type, 0, NETDB_SUCCESS)) == NULL)
		return NULL;
	if (ns_initparse(ans, len, &msg) < 0) {
		out->herrno = NO_RECOVERY;
		return out;
	}
	n = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < n; i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			break;
		/* CNAMEs come before the records they lead to: skip them */
		if (ns_rr_type(rr) != type || !answer_rr(out, cnt, &msg, &rr))
			continue;
		if (ns_rr_ttl(rr) < ttl)
			ttl = ns_rr_ttl(rr);
		cnt++;
	}
	out->num_rr = cnt;
	out->ttl = ttl;
	if (cnt == 0)
		out->herrno = NO_DATA;
	return out;
}

/* resolver_lookup - one name through the system resolver, within what is
 * left of the budget */

static SPF_dns_rr_t *
resolver_lookup(SPF_dns_server_t *layer, const char *domain, ns_type type,
		int should_cache)
{
	struct spf *spf = layer->hook;
	struct resolver_state *rs = resolver_state();
	int64_t left;
	int	try, retrans, len = -1;

	(void) should_cache;
	if (lookup_left == 0 || rs == NULL)
		return rr_new(layer, domain, type, 0, TRY_AGAIN);
	(void) __atomic_add_fetch(&spf->lookups, 1, __ATOMIC_RELAXED);
	rs->res.res_h_errno = TRY_AGAIN;
	for (try = 0; try < rs->attempts; try++) {
		/* the first try gets what the budget layer judged enough */
		left = try == 0 ? lookup_left : budget_left();
		if (left > (int64_t) rs->timeout * 1000 * rs->res.nscount)
			retrans = rs->timeout;
		else
			retrans = (int) (left / 1000 / rs->res.nscount);
		if (retrans < 1)
			break;
		rs->res.retrans = retrans;
		rs->res.retry = 1;
		len = res_nquery(&rs->res, domain, ns_c_in, type, rs->answer,
				 sizeof(rs->answer));
		if (len >= 0 || rs->res.res_h_errno != TRY_AGAIN)
			break;
	}
	if (len < 0)
		return rr_new(layer, domain, type, 0, rs->res.res_h_errno);
	if (len > (int) sizeof(rs->answer))
		len = sizeof(rs->answer);
	return answer_parse(layer, domain, type, rs->answer, len);
}

/*
 * The zone layer's wrapper (tests): counts lookups, applies DELAYs.
 */

static SPF_dns_rr_t *
zone_lookup(SPF_dns_server_t *layer, const char *domain, ns_type type,
	    int should_cache)
{
	struct spf *spf = layer->hook;
	struct delay *d;
	int64_t left;

	if (lookup_left == 0)
		return rr_new(layer, domain, type, 0, TRY_AGAIN);
	(void) __atomic_add_fetch(&spf->lookups, 1, __ATOMIC_RELAXED);
	for (d = spf->delays; d != NULL; d = d->next) {
		if (strcasecmp(d->name, domain) != 0)
			continue;
		/* as the resolver: a query is cut where the budget ends */
		left = budget_left();
		if (d->ms > left) {
			virtual_ms += left;
			return rr_new(layer, domain, type, 0, TRY_AGAIN);
		}
		virtual_ms += d->ms;
	}
	return SPF_dns_lookup(layer->layer_below, domain, type, should_cache);
}

/*
 * The budget layer (top).
 */

static SPF_dns_rr_t *
budget_lookup(SPF_dns_server_t *layer, const char *domain, ns_type type,
	      int should_cache)
{
	struct spf *spf = layer->hook;
	int64_t floor = spf->zone ? 1 : resolver_floor();

	lookup_left = budget_left();
	if (lookup_left < floor) {
		/* the cache may still answer; a miss goes down to be
		 * refused, and is not stored (conserve_cache) */
		lookup_left = 0;
		should_cache = 0;
	}
	return SPF_dns_lookup(layer->layer_below, domain, type, should_cache);
}

static void
layer_free(SPF_dns_server_t *layer)
{
	free(layer);
}

/* layer_new - one of our layers over below */

static SPF_dns_server_t *
layer_new(SPF_dns_server_t *below, const char *name, SPF_dns_lookup_t fn,
	  struct spf *spf)
{
	SPF_dns_server_t *layer = calloc(1, sizeof(*layer));

	if (layer == NULL)
		return NULL;
	layer->destroy = layer_free;
	layer->lookup = fn;
	layer->layer_below = below;
	layer->name = name;
	layer->hook = spf;
	return layer;
}

/*
 * libspf2's messages go to our log.
 */

static void
lib_error(const char *file, int line, const char *msg)
    __attribute__((noreturn));

static void
lib_error(const char *file, int line, const char *msg)
{
	char   *esc = escape_str(msg);

	log_panic("libspf2 %s:%d: %s", file, line, esc ? esc : "(no memory)");
}

static void
lib_warning(const char *file, int line, const char *msg)
{
	char   *esc = escape_str(msg);

	(void) file;
	(void) line;
	log_warn("libspf2: %s", esc ? esc : "(no memory)");
	free(esc);
}

/* lib_quiet - libspf2's info and debug chatter is not for the mail log */

static void
lib_quiet(const char *file, int line, const char *msg)
{
	(void) file;
	(void) line;
	(void) msg;
}

static void
lib_handlers(void)
{
	SPF_error_handler = lib_error;
	SPF_warning_handler = lib_warning;
	SPF_info_handler = lib_quiet;
	SPF_debug_handler = lib_quiet;
}

/* spf_make - the stack over bottom (which it takes over), and the server */

static struct spf *
spf_make(struct spf *spf, const char *receiver)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	SPF_dns_server_t *cache;

	(void) pthread_once(&once, lib_handlers);
	if ((spf->receiver = strdup(receiver)) == NULL
	    || (cache = SPF_dns_cache_new(spf->dns, NULL, 0,
					  CACHE_BITS)) == NULL)
		goto fail;
	spf->dns = cache;
	SPF_dns_cache_set_ttl(cache, CACHE_MIN_TTL, CACHE_MIN_TTL,
			      CACHE_MIN_TTL, CACHE_MIN_TTL);
	/* only what the budget layer lets it store (see DESCRIPTION) */
	SPF_dns_set_conserve_cache(cache, 1);
	if ((cache = layer_new(spf->dns, "budget", budget_lookup, spf)) == NULL)
		goto fail;
	spf->dns = cache;
	if ((spf->server = SPF_server_new_dns(spf->dns, 0)) == NULL
	    || SPF_server_set_rec_dom(spf->server, receiver) != SPF_E_SUCCESS
	    || SPF_server_set_sanitize(spf->server, 1) != SPF_E_SUCCESS)
		goto fail;
	return spf;
fail:
	spf_free(spf);
	return NULL;
}

struct spf *
spf_new(const char *receiver)
{
	struct spf *spf = calloc(1, sizeof(*spf));

	if (spf == NULL)
		return NULL;
	if ((spf->dns = layer_new(NULL, "resolver", resolver_lookup,
				  spf)) == NULL) {
		free(spf);
		return NULL;
	}
	return spf_make(spf, receiver);
}

struct spf *
spf_new_zone(const char *receiver)
{
	struct spf *spf = calloc(1, sizeof(*spf));

	if (spf == NULL)
		return NULL;
	if ((spf->zone = SPF_dns_zone_new(NULL, "zone", 0)) == NULL) {
		free(spf);
		return NULL;
	}
	if ((spf->dns = layer_new(spf->zone, "test", zone_lookup,
				  spf)) == NULL) {
		SPF_dns_free(spf->zone);
		free(spf);
		return NULL;
	}
	return spf_make(spf, receiver);
}

int
spf_zone_add(struct spf *spf, const char *name, const char *type,
	     const char *data)
{
	static const struct {
		const char *name;
		ns_type type;
	} types[] = {
		{"TXT", ns_t_txt}, {"A", ns_t_a}, {"AAAA", ns_t_aaaa},
		{"MX", ns_t_mx}, {"PTR", ns_t_ptr},
	};
	struct delay *d;
	char   *end;
	size_t	i;

	if (spf->zone == NULL)
		return -1;
	if (strcmp(type, "TEMPFAIL") == 0)
		return SPF_dns_zone_add_str(spf->zone, name, ns_t_any,
					    TRY_AGAIN, NULL)
		    == SPF_E_SUCCESS ? 0 : -1;
	if (strcmp(type, "DELAY") == 0) {
		if (data == NULL || (d = calloc(1, sizeof(*d))) == NULL)
			return -1;
		d->ms = strtoll(data, &end, 10);
		if (*data == 0 || *end != 0 || d->ms < 0
		    || (d->name = strdup(name)) == NULL) {
			free(d);
			return -1;
		}
		d->next = spf->delays;
		spf->delays = d;
		return 0;
	}
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(type, types[i].name) == 0 && data != NULL)
			return SPF_dns_zone_add_str(spf->zone, name,
						    types[i].type,
						    NETDB_SUCCESS, data)
			    == SPF_E_SUCCESS ? 0 : -1;
	return -1;
}

unsigned long
spf_lookups(const struct spf *spf)
{
	return __atomic_load_n(&spf->lookups, __ATOMIC_RELAXED);
}

void
spf_free(struct spf *spf)
{
	struct delay *d;

	if (spf == NULL)
		return;
	if (spf->server != NULL)
		SPF_server_free(spf->server);	/* leaves the DNS layers */
	if (spf->dns != NULL)
		SPF_dns_free(spf->dns);		/* the whole stack */
	while ((d = spf->delays) != NULL) {
		spf->delays = d->next;
		free(d->name);
		free(d);
	}
	free(spf->receiver);
	free(spf);
}

/*
 * The check.
 */

/* res_map - libspf2's result and return code to ours */

static enum spf_res
res_map(SPF_result_t r, SPF_errcode_t err)
{
	switch (r) {
	case SPF_RESULT_PASS:
		return SPF_PASS;
	case SPF_RESULT_FAIL:
		return SPF_FAIL;
	case SPF_RESULT_SOFTFAIL:
		return SPF_SOFTFAIL;
	case SPF_RESULT_NEUTRAL:
		return SPF_NEUTRAL;
	case SPF_RESULT_NONE:
		return SPF_NONE;
	case SPF_RESULT_TEMPERROR:
		return SPF_TEMPERROR;
	case SPF_RESULT_PERMERROR:
		return SPF_PERMERROR;
	case SPF_RESULT_INVALID:
	default:
		/* libspf2 gave up before finishing (see DESCRIPTION) */
		return err == SPF_E_DNS_ERROR ? SPF_TEMPERROR : SPF_PERMERROR;
	}
}

/* header_clean - one printable ASCII line, whatever came in */

static char *
header_clean(const char *value)
{
	char   *out = strdup(value), *p;

	if (out == NULL)
		return NULL;
	for (p = out; *p != 0; p++)
		if ((unsigned char) *p < 0x20 || (unsigned char) *p > 0x7e)
			*p = '?';
	return out;
}

/* header_own - Received-SPF for what libspf2 builds none for, in its form:
 * "none (RECEIVER: WHY DOMAIN) client-ip=IP; envelope-from=ID; helo=HELO;" */

static char *
header_own(const struct spf *spf, enum spf_res res, const char *why,
	   const char *domain, const struct spfid_client *c, const char *id,
	   const char *helo)
{
	struct strbuf sb = {0};
	char	name[16];
	char   *out = NULL;
	size_t	i;

	for (i = 0; spf_res_name(res)[i] != 0 && i < sizeof(name) - 1; i++)
		name[i] = tolower((unsigned char) spf_res_name(res)[i]);
	name[i] = 0;
	if (strbuf_printf(&sb, "%s (%s: %s %s) client-ip=%s; envelope-from=%s;",
			  name, spf->receiver, why, domain, c->text, id)
	    && (helo == NULL || strbuf_printf(&sb, " helo=%s;", helo)))
		out = header_clean(strbuf_str(&sb));
	strbuf_free(&sb);
	return out;
}

/* evaluate - one identity ("local@domain"); header (may be NULL) gets the
 * Received-SPF value. -1 out of memory. */

static int
evaluate(struct spf *spf, const struct spfid_client *c, const char *helo,
	 const char *id, enum spf_res *res, char **header)
{
	const char *at = strrchr(id, '@');
	const char *domain = at ? at + 1 : "";
	SPF_request_t *req;
	SPF_response_t *resp = NULL;
	SPF_errcode_t err;
	const char *value;
	const char *why;

	if (!spfid_domain_ok(domain)) {
		*res = SPF_NONE;
		if (header != NULL && (*header = header_own(spf, *res,
				"not a valid domain name:", domain, c, id,
				helo)) == NULL)
			return -1;
		return 0;
	}
	if ((req = SPF_request_new(spf->server)) == NULL)
		return -1;
	if (c->family == AF_INET)
		err = SPF_request_set_ipv4(req, c->v4);
	else
		err = SPF_request_set_ipv6(req, c->v6);
	if (err == SPF_E_SUCCESS && helo != NULL)
		err = SPF_request_set_helo_dom(req, helo);
	if (err == SPF_E_SUCCESS)
		err = SPF_request_set_env_from(req, id);
	if (err != SPF_E_SUCCESS) {
		SPF_request_free(req);
		return -1;
	}
	err = SPF_request_query_mailfrom(req, &resp);
	if (resp == NULL) {
		SPF_request_free(req);
		return -1;
	}
	*res = res_map(SPF_response_result(resp), err);
	if (header != NULL) {
		value = SPF_response_get_received_spf_value(resp);
		why = *res == SPF_TEMPERROR ? "temporary DNS error looking up"
		    : "cannot evaluate the SPF record of";
		if (value != NULL
		    && SPF_response_result(resp) != SPF_RESULT_INVALID)
			*header = header_clean(value);
		else
			*header = header_own(spf, *res, why, domain, c, id,
					     helo);
		if (*header == NULL) {
			SPF_response_free(resp);
			SPF_request_free(req);
			return -1;
		}
	}
	SPF_response_free(resp);
	SPF_request_free(req);
	return 0;
}

int
spf_check(struct spf *spf, const char *client_addr, const char *helo,
	  const char *mail_from, bool check_helo, unsigned timeout_ms,
	  struct spf_result *out)
{
	struct spfid_client c;
	char   *sender = NULL;
	int	rc = -1;

	memset(out, 0, sizeof(*out));
	if (!spfid_client(client_addr, &c))
		return 0;
	if (helo != NULL && *helo == 0)
		helo = NULL;
	if ((sender = spfid_sender(mail_from)) == NULL)
		return -1;
	out->checked = true;
	clock_virtual = spf->zone != NULL;
	virtual_ms = 1;		/* a deadline of 0 means none */
	budget_deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 1);

	/* MAIL FROM first: RFC 7208 2.4 requires it, the HELO check is only
	 * recommended, so a dead HELO domain must not eat its budget */
	if ((out->mailfrom_id = spfid_mailfrom(sender, helo)) == NULL
	    || evaluate(spf, &c, helo, out->mailfrom_id, &out->mailfrom,
			&out->header) < 0)
		goto done;
	if (check_helo && helo != NULL) {
		out->helo_checked = true;
		if ((out->helo_id = spfid_mailfrom("", helo)) == NULL
		    || evaluate(spf, &c, helo, out->helo_id, &out->helo,
				NULL) < 0)
			goto done;
	}
	rc = 0;
done:
	budget_deadline = 0;
	virtual_ms = 0;
	clock_virtual = false;
	free(sender);
	if (rc < 0)
		spf_result_free(out);
	return rc;
}

void
spf_result_free(struct spf_result *res)
{
	free(res->helo_id);
	free(res->mailfrom_id);
	free(res->header);
	memset(res, 0, sizeof(*res));
}

const char *
spf_res_name(enum spf_res res)
{
	switch (res) {
	case SPF_NONE:
		return "None";
	case SPF_NEUTRAL:
		return "Neutral";
	case SPF_PASS:
		return "Pass";
	case SPF_FAIL:
		return "Fail";
	case SPF_SOFTFAIL:
		return "SoftFail";
	case SPF_TEMPERROR:
		return "TempError";
	case SPF_PERMERROR:
		return "PermError";
	}
	return "None";
}

const char *
spf_version(void)
{
	static char buf[48];

	snprintf(buf, sizeof(buf), "libspf2 %d.%d.%d", SPF_LIB_VERSION_MAJOR,
		 SPF_LIB_VERSION_MINOR, SPF_LIB_VERSION_PATCH);
	return buf;
}
