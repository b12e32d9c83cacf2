/*++
 * NAME
 *	tracestat 3
 * SUMMARY
 *	esmtpguard-trace: the --rejects and --hosts tables
 * DESCRIPTION
 *	See tracestat.h.
 *--*/
#include <config.h>

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tracemap.h"
#include "traceout.h"
#include "tracestat.h"

struct counter {
	char   *key;			/* "policy\trule\taction", an address ... */
	uint64_t n;
};

struct host {
	char   *name;
	uint64_t active, delivered, soft, hard;
	int64_t	last_t;
	bool	down;
	char   *last_error;
	char   *last_relay;
};

struct table {
	struct tracemap map;
	void  **v;
	size_t	n;
};

struct tracestat {
	int64_t	since, until;
	size_t	max_keys;
	struct table rules, groups, clients, hosts;
	uint64_t other_clients;
};

struct tracestat *
tracestat_new(int64_t since, int64_t until, size_t max_keys)
{
	struct tracestat *st = trace_alloc(sizeof(*st));

	st->since = since;
	st->until = until;
	st->max_keys = max_keys ? max_keys : 100000;
	return st;
}

static bool
in_range(const struct tracestat *st, int64_t t)
{
	return t >= st->since && t <= st->until;
}

static void *
table_get(struct table *tb, const char *key, size_t klen, size_t size, size_t max,
	  bool *full)
{
	void   *v = tracemap_get(&tb->map, key, klen);

	*full = false;
	if (v != NULL)
		return v;
	if (tb->n >= max) {
		*full = true;
		return NULL;
	}
	v = trace_alloc(size);
	*(char **) v = trace_strndup(key, klen);
	tracemap_put(&tb->map, key, klen, v);
	if ((tb->n & (tb->n - 1)) == 0 || tb->n == 0) {
		void  **p = realloc(tb->v, (tb->n ? tb->n * 2 : 1) * sizeof(*p));

		if (p == NULL)
			trace_nomem();
		tb->v = p;
	}
	tb->v[tb->n++] = v;
	return v;
}

static void
count(struct tracestat *st, struct table *tb, const char *key, uint64_t *other)
{
	bool	full;
	struct counter *c = table_get(tb, key, strlen(key), sizeof(*c), st->max_keys, &full);

	if (c != NULL)
		c->n++;
	else if (other != NULL)
		(*other)++;
}

static void
hit(struct tracestat *st, const struct trace_hit *h, const char *addr)
{
	char	buf[256], *key = buf;
	int	n;

	if (!in_range(st, h->t))
		return;
	/* the whole key, however long the policy name: a cut one would count
	 * two policies as one */
	n = snprintf(buf, sizeof(buf), "%s\t%s\t%s", h->policy, h->rule, h->action);
	if (n < 0)
		trace_nomem();
	if ((size_t) n >= sizeof(buf)) {
		key = trace_alloc((size_t) n + 1);
		snprintf(key, (size_t) n + 1, "%s\t%s\t%s", h->policy, h->rule, h->action);
	}
	count(st, &st->rules, key, NULL);
	if (key != buf)
		free(key);
	if (addr)
		count(st, &st->clients, addr, &st->other_clients);
}

static const char *
domain(const char *rcpt)
{
	const char *at = strrchr(rcpt, '@');

	return at ? at + 1 : "(local)";
}

/* setstr - a host's last relay or error: most deliveries repeat it */
static void
setstr(char **dst, const char *s)
{
	if (*dst != NULL && strcmp(*dst, s) == 0)
		return;
	free(*dst);
	*dst = trace_strndup(s, strlen(s));
}

void
tracestat_msg(struct tracestat *st, const struct trace_msg *m)
{
	size_t	i, j;
	const char *addr = m->conn ? m->conn->addr : NULL;

	for (i = 0; i < m->nhits; i++)
		hit(st, &m->hits[i], addr);
	for (i = 0; i < m->ndlvs; i++) {
		const struct trace_dlv *d = &m->dlvs[i];
		const char *dom;
		size_t	n;
		struct host *h;
		bool	full, later = false;

		if (!in_range(st, d->t))
			continue;
		dom = domain(d->rcpt);
		n = strlen(dom);
		if (n > 0 && dom[n - 1] == '>')
			n--;
		if ((h = table_get(&st->hosts, dom, n, sizeof(*h), st->max_keys, &full)) == NULL)
			continue;
		for (j = i + 1; j < m->ndlvs; j++)
			if (m->dlvs[j].rid == d->rid)
				later = true;
		if (strcmp(d->status, "sent") == 0)
			h->delivered++;
		else if (strcmp(d->status, "deferred") == 0) {
			h->soft++;
			if (!later && !m->removed)
				h->active++;
		} else
			h->hard++;
		/* expiry is no attempt: it must not mark a host up */
		if (d->t >= h->last_t && strcmp(d->status, "expired") != 0) {
			h->last_t = d->t;
			h->down = d->conn_failed
			    || strstr(d->text, "delivery temporarily suspended") != NULL;
			setstr(&h->last_relay, d->relay);
			if (strcmp(d->status, "sent") != 0)
				setstr(&h->last_error, d->text);
		}
	}
}

void
tracestat_conn(struct tracestat *st, const struct trace_conn *c)
{
	size_t	i;

	for (i = 0; i < c->nhits; i++)
		hit(st, &c->hits[i], c->addr);
	if (c->verdict && strcmp(c->verdict, "REJECT") == 0 && in_range(st, c->t_open)) {
		count(st, &st->groups, c->sg ? c->sg : "None", NULL);
		if (c->addr)
			count(st, &st->clients, c->addr, &st->other_clients);
	}
}

static int
by_count(const void *a, const void *b)
{
	const struct counter *x = *(struct counter *const *) a;
	const struct counter *y = *(struct counter *const *) b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* split3 - "policy\trule\taction" as three spans of key, each with its
 * length (a key without its tabs leaves the missing parts empty) */
struct span {
	const char *s;
	int	n;		/* for "%.*s"; a key is a log field, far below INT_MAX */
};

static void
split3(const char *key, struct span part[3])
{
	int	i;

	for (i = 0; i < 3; i++) {
		size_t	n = i < 2 ? strcspn(key, "\t") : strlen(key);

		part[i].s = key;
		part[i].n = n > INT_MAX ? INT_MAX : (int) n;
		key += n;
		if (*key == '\t')
			key++;
	}
}

static void
print_counts(FILE *fp, const struct table *tb, size_t top, bool json, const char *jname,
	     bool split)
{
	size_t	i, n = tb->n < top ? tb->n : top;
	struct counter **v = trace_alloc((tb->n + 1) * sizeof(*v));

	if (tb->n > 0)			/* an empty table has no array */
		memcpy(v, tb->v, tb->n * sizeof(*v));
	qsort(v, tb->n, sizeof(*v), by_count);
	if (json)
		fprintf(fp, "\"%s\":[", jname);
	for (i = 0; i < n; i++) {
		if (json) {
			fprintf(fp, "%s{\"count\":%" PRIu64 ",", i ? "," : "", v[i]->n);
			if (split) {
				struct span p[3];

				split3(v[i]->key, p);
				fputs("\"policy\":", fp);
				traceout_json_strn(fp, p[0].s, (size_t) p[0].n);
				fputs(",\"rule\":", fp);
				traceout_json_strn(fp, p[1].s, (size_t) p[1].n);
				fputs(",\"action\":", fp);
				traceout_json_strn(fp, p[2].s, (size_t) p[2].n);
			} else {
				fputs("\"key\":", fp);
				traceout_json_str(fp, v[i]->key);
			}
			putc('}', fp);
		} else if (split) {
			struct span p[3];

			split3(v[i]->key, p);
			fprintf(fp, "%8" PRIu64 "  %-16.*s %-24.*s %.*s\n", v[i]->n,
				p[0].n, p[0].s, p[1].n, p[1].s, p[2].n, p[2].s);
		} else {
			fprintf(fp, "%8" PRIu64 "  %s\n", v[i]->n, v[i]->key);
		}
	}
	if (json)
		putc(']', fp);
	free(v);
}

void
tracestat_rejects(FILE *fp, const struct tracestat *st, bool json, size_t top)
{
	if (json) {
		putc('{', fp);
		print_counts(fp, &st->rules, SIZE_MAX, true, "rules", true);
		putc(',', fp);
		print_counts(fp, &st->groups, SIZE_MAX, true, "hat_rejects", false);
		putc(',', fp);
		print_counts(fp, &st->clients, top, true, "top_clients", false);
		fprintf(fp, ",\"other_clients\":%" PRIu64 "}\n", st->other_clients);
		return;
	}
	fprintf(fp, "Rule hits by policy, rule and action:\n");
	fprintf(fp, "%8s  %-16s %-24s %s\n", "hits", "policy", "rule", "action");
	print_counts(fp, &st->rules, SIZE_MAX, false, NULL, true);
	fprintf(fp, "\nHAT REJECT by sender group:\n");
	print_counts(fp, &st->groups, SIZE_MAX, false, NULL, false);
	fprintf(fp, "\nTop client addresses (rule hits and HAT rejects):\n");
	print_counts(fp, &st->clients, top, false, NULL, false);
	if (st->other_clients)
		fprintf(fp, "%8" PRIu64 "  (other addresses, table full)\n", st->other_clients);
}

static int
by_host(const void *a, const void *b)
{
	const struct host *x = *(struct host *const *) a;
	const struct host *y = *(struct host *const *) b;

	if (x->active != y->active)
		return x->active < y->active ? 1 : -1;
	if (x->soft + x->hard != y->soft + y->hard)
		return x->soft + x->hard < y->soft + y->hard ? 1 : -1;
	if (x->delivered != y->delivered)
		return x->delivered < y->delivered ? 1 : -1;
	return strcmp(x->name, y->name);
}

void
tracestat_hosts(FILE *fp, const struct tracestat *st, bool json, int64_t now)
{
	size_t	i;
	struct host **v = trace_alloc((st->hosts.n + 1) * sizeof(*v));
	char	t[32];

	if (st->hosts.n > 0)		/* an empty table has no array */
		memcpy(v, st->hosts.v, st->hosts.n * sizeof(*v));
	qsort(v, st->hosts.n, sizeof(*v), by_host);
	traceout_time(t, sizeof(t), now, false);
	if (json) {
		fputs("{\"status_as_of\":", fp);
		traceout_json_str(fp, t);
		fputs(",\"hosts\":[", fp);
	} else {
		fprintf(fp, "Status as of: %s\n", t);
		fprintf(fp, "Hosts marked with '*' were down at the last attempt.\n\n");
		fprintf(fp, "   # %-28s %13s %13s %13s %13s  %s\n", "Recipient Host",
			"Active Recip.", "Deliv. Recip.", "Soft Bounced", "Hard Bounced",
			"Last Error");
	}
	for (i = 0; i < st->hosts.n; i++) {
		struct host *h = v[i];

		if (json) {
			fprintf(fp, "%s{\"host\":", i ? "," : "");
			traceout_json_str(fp, h->name);
			fprintf(fp, ",\"active\":%" PRIu64 ",\"delivered\":%" PRIu64
				",\"soft_bounced\":%" PRIu64 ",\"hard_bounced\":%" PRIu64
				",\"status\":\"%s\",\"last_relay\":", h->active, h->delivered,
				h->soft, h->hard, h->down ? "down" : "up");
			/* unknown when every delivery of the host expired unattempted */
			if (h->last_relay)
				traceout_json_str(fp, h->last_relay);
			else
				fputs("null", fp);
			fputs(",\"last_error\":", fp);
			if (h->last_error)
				traceout_json_str(fp, h->last_error);
			else
				fputs("null", fp);
			putc('}', fp);
		} else {
			fprintf(fp, "%3zu%c %-28s %13" PRIu64 " %13" PRIu64 " %13" PRIu64
				" %13" PRIu64 "  %s\n", i + 1, h->down ? '*' : ' ', h->name,
				h->active, h->delivered, h->soft, h->hard,
				h->last_error ? h->last_error : "");
		}
	}
	if (json)
		fputs("]}\n", fp);
	free(v);
}

static void
table_free(struct table *tb, bool hosts)
{
	size_t	i;

	for (i = 0; i < tb->n; i++) {
		if (hosts) {
			struct host *h = tb->v[i];

			free(h->last_error);
			free(h->last_relay);
		}
		free(*(char **) tb->v[i]);
		free(tb->v[i]);
	}
	free(tb->v);
	tracemap_free(&tb->map);
}

void
tracestat_free(struct tracestat *st)
{
	if (st == NULL)
		return;
	table_free(&st->rules, false);
	table_free(&st->groups, false);
	table_free(&st->clients, false);
	table_free(&st->hosts, true);
	free(st);
}
