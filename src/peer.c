/*++
 * NAME
 *	peer 3
 * SUMMARY
 *	per client address state: concurrent connections, recipients per hour
 * DESCRIPTION
 *	A chained hash table over the 16-byte address and one LRU list of
 *	all entries (most recently used first), both under one mutex. The
 *	LRU order lets a full table drop the entry idle longest without a
 *	scan; entries with open connections are skipped, and there are
 *	never more of those than open connections.
 *--*/
#include <config.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "peer.h"

#define BUCKETS		60	/* one per minute of the hour */
#define HASH_SIZE	8192	/* power of two */

struct peer {
	unsigned char addr[16];
	unsigned long conns;		/* open connections */
	uint32_t rcpt[BUCKETS];		/* recipients per minute */
	int64_t	minute;			/* the minute rcpt[minute % 60] holds */
	struct peer *hnext;		/* hash chain */
	struct peer *prev, *next;	/* LRU: head = most recent */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct peer *table[HASH_SIZE];
static struct peer *lru_head, *lru_tail;
static size_t nentries, nidle_max = PEER_MAX;
static size_t nbusy;			/* entries with conns > 0 */

/* hash - FNV-1a over the address */

static unsigned
hash(const unsigned char addr[16])
{
	uint32_t h = 2166136261u;
	int	i;

	for (i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 16777619u;
	return h & (HASH_SIZE - 1);
}

static void
lru_unlink(struct peer *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		lru_head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		lru_tail = p->prev;
	p->prev = p->next = NULL;
}

static void
lru_push(struct peer *p)
{
	p->next = lru_head;
	if (lru_head)
		lru_head->prev = p;
	lru_head = p;
	if (lru_tail == NULL)
		lru_tail = p;
}

static void
drop(struct peer *p)
{
	struct peer **pp = &table[hash(p->addr)];

	while (*pp != p)
		pp = &(*pp)->hnext;
	*pp = p->hnext;
	lru_unlink(p);
	nentries--;
	free(p);
}

/* trim - keep idle entries within the bound, oldest first */

static void
trim(void)
{
	struct peer *p = lru_tail, *prev;

	while (p != NULL && nentries - nbusy > nidle_max) {
		prev = p->prev;
		if (p->conns == 0)
			drop(p);
		p = prev;
	}
}

struct peer *
peer_connect(const unsigned char addr[16], unsigned long *conns)
{
	struct peer *p;
	unsigned h = hash(addr);

	pthread_mutex_lock(&lock);
	for (p = table[h]; p != NULL; p = p->hnext)
		if (memcmp(p->addr, addr, 16) == 0)
			break;
	if (p == NULL) {
		if ((p = calloc(1, sizeof(*p))) == NULL) {
			pthread_mutex_unlock(&lock);
			*conns = 0;
			return NULL;
		}
		memcpy(p->addr, addr, 16);
		p->hnext = table[h];
		table[h] = p;
		nentries++;
	} else
		lru_unlink(p);
	lru_push(p);
	if (p->conns++ == 0)
		nbusy++;
	*conns = p->conns;
	trim();
	pthread_mutex_unlock(&lock);
	return p;
}

void
peer_disconnect(struct peer *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&lock);
	if (--p->conns == 0)
		nbusy--;
	trim();
	pthread_mutex_unlock(&lock);
}

unsigned long
peer_rcpt_hour(struct peer *p, time_t now, unsigned long add)
{
	int64_t	minute = (int64_t) now / 60, m;
	unsigned long sum = 0;
	int	i;

	pthread_mutex_lock(&lock);
	if (minute - p->minute >= BUCKETS)
		memset(p->rcpt, 0, sizeof(p->rcpt));
	else
		for (m = p->minute + 1; m <= minute; m++)
			p->rcpt[m % BUCKETS] = 0;
	if (minute > p->minute)
		p->minute = minute;
	/* a clock stepped back counts in the newest minute we know */
	if (UINT32_MAX - p->rcpt[p->minute % BUCKETS] >= add)
		p->rcpt[p->minute % BUCKETS] += (uint32_t) add;
	for (i = 0; i < BUCKETS; i++)
		sum += p->rcpt[i];
	lru_unlink(p);
	lru_push(p);
	pthread_mutex_unlock(&lock);
	return sum;
}

size_t
peer_count(void)
{
	size_t	n;

	pthread_mutex_lock(&lock);
	n = nentries;
	pthread_mutex_unlock(&lock);
	return n;
}

void
peer_set_max(size_t max)
{
	pthread_mutex_lock(&lock);
	nidle_max = max;
	trim();
	pthread_mutex_unlock(&lock);
}
