/*++
 * NAME
 *	stats 3
 * SUMMARY
 *	counters since start, logged on SIGUSR1
 * DESCRIPTION
 *	The registry is a list that only grows, prepended under a mutex
 *	and read without one: an entry is complete before it is published
 *	(release store), and never freed.
 *
 *	Output, one line per policy and one per rule that is on in it:
 *
 *	counters: connections accept 3 relay 1 reject 0, messages done 2
 *	  aborted 1, internal errors 0
 *	Inspect: esmtp policy DEFAULT, connections 3, matched 2, log 1,
 *	  reject 0, tempfail 0, drop-connection 1
 *	Inspect: esmtp policy DEFAULT match cmd_line_length gt 512
 *	  drop-connection log: evaluated 14, matched 1, log 0, reject 0,
 *	  tempfail 0, drop-connection 1
 *--*/
#include <config.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "stats.h"

struct stats_policy {
	struct stats_policy *next;
	unsigned long connections;
	unsigned long evaluated[RULE_COUNT];
	unsigned long matched[RULE_COUNT][ACTION_COUNT];
	char	name[];
};

static unsigned long global[STATS_GLOBAL_COUNT];
static struct stats_policy *registry;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

#define ADD(x)	__atomic_add_fetch(&(x), 1, __ATOMIC_RELAXED)
#define GET(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)

void
stats_count(enum stats_global which)
{
	ADD(global[which]);
}

static struct stats_policy *
find(const char *name)
{
	struct stats_policy *sp;

	for (sp = __atomic_load_n(&registry, __ATOMIC_ACQUIRE); sp; sp = sp->next)
		if (strcmp(sp->name, name) == 0)
			return sp;
	return NULL;
}

struct stats_policy *
stats_policy(const char *name)
{
	struct stats_policy *sp;
	size_t	len;

	if ((sp = find(name)) != NULL)
		return sp;
	pthread_mutex_lock(&registry_lock);
	if ((sp = find(name)) == NULL) {
		len = strlen(name);
		if ((sp = calloc(1, sizeof(*sp) + len + 1)) != NULL) {
			memcpy(sp->name, name, len + 1);
			sp->next = registry;
			__atomic_store_n(&registry, sp, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&registry_lock);
	return sp;
}

void
stats_policy_connection(struct stats_policy *sp)
{
	if (sp)
		ADD(sp->connections);
}

void
stats_rule_evaluated(struct stats_policy *sp, enum rule_id r)
{
	if (sp)
		ADD(sp->evaluated[r]);
}

void
stats_rule_matched(struct stats_policy *sp, enum rule_id r, enum action a)
{
	if (sp)
		ADD(sp->matched[r][a]);
}

/* tally - matches of rule r (every rule when r < 0) by action into by[];
 * their total */

static unsigned long
tally(struct stats_policy *sp, int r, unsigned long by[ACTION_COUNT])
{
	unsigned long total = 0;
	int	i, a;

	for (a = 0; a < ACTION_COUNT; a++) {
		by[a] = 0;
		for (i = 0; i < RULE_COUNT; i++)
			if (r < 0 || r == i)
				by[a] += GET(sp->matched[i][a]);
		total += by[a];
	}
	return total;
}

#define BY_FMT	"matched %lu, log %lu, reject %lu, tempfail %lu, " \
		"drop-connection %lu"
#define BY_ARGS(total, by) (total), (by)[ACTION_LOG], (by)[ACTION_REJECT], \
		(by)[ACTION_TEMPFAIL], (by)[ACTION_DROP]

static void
log_policy(const struct policy *p, struct stats_policy *sp)
{
	const struct rule *rule;
	unsigned long by[ACTION_COUNT], total;
	int	r;

	total = tally(sp, -1, by);
	log_info("Inspect: esmtp policy %s, connections %lu, " BY_FMT,
		 p->name, GET(sp->connections), BY_ARGS(total, by));
	if (p->access != ACCESS_ACCEPT)
		return;
	for (r = 0; r < RULE_COUNT; r++) {
		rule = &p->rules[r];
		if (!rule->on)
			continue;
		total = tally(sp, r, by);
		log_info("Inspect: esmtp policy %s match %s gt %ld %s%s: "
			 "evaluated %lu, " BY_FMT, p->name, rule_defs[r].name,
			 rule->gt, action_name(rule->action),
			 /* "log log" says nothing more than "log" */
			 rule->log && rule->action != ACTION_LOG ? " log" : "",
			 GET(sp->evaluated[r]),
			 BY_ARGS(total, by));
	}
}

void
stats_log(const struct conf *conf)
{
	struct stats_policy *sp;
	size_t	i;

	log_info("counters: connections accept %lu relay %lu reject %lu, "
		 "messages done %lu aborted %lu, internal errors %lu",
		 GET(global[STATS_ACCEPT]), GET(global[STATS_RELAY]),
		 GET(global[STATS_REJECT]), GET(global[STATS_DONE]),
		 GET(global[STATS_ABORTED]), GET(global[STATS_INTERNAL]));
	if (conf == NULL)
		return;
	for (i = 0; i < conf->npolicies; i++)
		if ((sp = stats_policy(conf->policies[i].name)) != NULL)
			log_policy(&conf->policies[i], sp);
	/* the built-in fallback is not in the list */
	if (conf->fallback != NULL
	    && conf_policy(conf, conf->fallback->name) != conf->fallback
	    && (sp = stats_policy(conf->fallback->name)) != NULL)
		log_policy(conf->fallback, sp);
}
