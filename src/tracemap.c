/*++
 * NAME
 *	tracemap 3
 * SUMMARY
 *	string-keyed hash table for esmtpguard-trace
 * DESCRIPTION
 *	See tracemap.h. Keys are short (a queue ID, a decimal ID, a relay)
 *	and the hash must cost less than parsing them: see hash().
 *--*/
#include <config.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracemap.h"

struct tracemap_node {
	struct tracemap_node *next;
	void   *val;
	uint32_t hash;
	uint32_t len;
	char	key[];
};

/* a short key's node has this size whatever the key, so any spare fits */
#define SHORT_KEY	(64 - sizeof(struct tracemap_node))

_Noreturn void
trace_nomem(void)
{
	fputs("esmtpguard-trace: out of memory\n", stderr);
	exit(71);			/* EX_OSERR */
}

/* malloc and memset, not calloc: glibc's calloc bypasses the per-thread
 * cache of small chunks, and records and strings come and go by the
 * hundred thousand */
void   *
trace_alloc(size_t n)
{
	void   *p = malloc(n ? n : 1);

	if (p == NULL)
		trace_nomem();
	return memset(p, 0, n);
}

char   *
trace_strndup(const char *s, size_t n)
{
	char   *p = malloc(n + 1);

	if (p == NULL)
		trace_nomem();
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

void
trace_arena_init(struct trace_arena *a, char *buf, size_t size)
{
	a->p = buf;
	a->left = size;
	a->more = NULL;
}

char   *
trace_arena_alloc(struct trace_arena *a, size_t n)
{
	char   *p;

	if (n > a->left) {
		/* a block of its own for a long string, else a 1 KB block;
		 * the rest of the current block is given up */
		size_t	size = sizeof(void *) + (n > 1024 ? n : 1024);
		char   *b = malloc(size);

		if (b == NULL)
			trace_nomem();
		memcpy(b, &a->more, sizeof(a->more));
		a->more = b;
		a->p = b + sizeof(void *);
		a->left = size - sizeof(void *);
	}
	p = a->p;
	a->p += n;
	a->left -= n;
	return p;
}

void   *
trace_arena_array(struct trace_arena *a, size_t n)
{
	/* a new block's room starts after a pointer: aligned alike */
	size_t	pad = (size_t) (-(uintptr_t) a->p) & (sizeof(void *) - 1);

	if (pad > a->left) {
		a->left = 0;		/* a new block */
	} else {
		a->p += pad;
		a->left -= pad;
	}
	return trace_arena_alloc(a, n);
}

char   *
trace_arena_strndup(struct trace_arena *a, const char *s, size_t n)
{
	char   *p = trace_arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

void
trace_arena_free(struct trace_arena *a)
{
	void   *b, *next;

	for (b = a->more; b != NULL; b = next) {
		memcpy(&next, b, sizeof(void *));
		free(b);
	}
	a->more = NULL;
	a->left = 0;
}

static uint64_t
load8(const char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t
load4(const char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* keyeq - a[0..n) and b[0..n) equal; the usual IDs (4 to 16 bytes) by
 * two overlapping word compares, not a call to memcmp */
static bool
keyeq(const char *a, const char *b, size_t n)
{
	if (n >= 8 && n <= 16)
		return load8(a) == load8(b) && load8(a + n - 8) == load8(b + n - 8);
	if (n >= 4 && n < 8)
		return load4(a) == load4(b) && load4(a + n - 4) == load4(b + n - 4);
	return memcmp(a, b, n) == 0;
}

/* hash - eight bytes at a step (a relay key is some 40 bytes), FNV-1a
 * for the tail, and a final mix so that the low bits the buckets use
 * depend on every byte */
static uint32_t
hash(const char *key, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len >= 8) {
		h = (h ^ load8(key)) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 32;
		key += 8;
		len -= 8;
	}
	while (len-- > 0)
		h = (h ^ (unsigned char) *key++) * 0x100000001b3ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (uint32_t) h;
}

void   *
tracemap_get(const struct tracemap *m, const char *key, size_t len)
{
	struct tracemap_node *p;
	uint32_t h;

	if (m->nb == 0)
		return NULL;
	if ((p = m->last) != NULL && p->len == len && keyeq(p->key, key, len))
		return p->val;
	h = hash(key, len);
	for (p = m->b[h & (m->nb - 1)]; p != NULL; p = p->next) {
		if (p->hash == h && p->len == len && keyeq(p->key, key, len)) {
			((struct tracemap *) m)->last = p;
			return p->val;
		}
	}
	return NULL;
}

static void
grow(struct tracemap *m)
{
	size_t	nb = m->nb ? m->nb * 2 : 64, i;
	struct tracemap_node **b, *p, *next;

	if ((b = calloc(nb, sizeof(*b))) == NULL)
		trace_nomem();
	for (i = 0; i < m->nb; i++) {
		for (p = m->b[i]; p != NULL; p = next) {
			next = p->next;
			p->next = b[p->hash & (nb - 1)];
			b[p->hash & (nb - 1)] = p;
		}
	}
	free(m->b);
	m->b = b;
	m->nb = nb;
}

void
tracemap_put(struct tracemap *m, const char *key, size_t len, void *val)
{
	struct tracemap_node *p;
	uint32_t h = hash(key, len);

	if (m->nb != 0) {
		for (p = m->b[h & (m->nb - 1)]; p != NULL; p = p->next) {
			if (p->hash == h && p->len == len
			    && keyeq(p->key, key, len)) {
				p->val = val;
				return;
			}
		}
	}
	if (m->n >= m->nb)
		grow(m);
	if (len < SHORT_KEY && m->spare != NULL) {
		p = m->spare;
		m->spare = p->next;
	} else if ((p = malloc(sizeof(*p) + (len < SHORT_KEY ? SHORT_KEY : len + 1))) == NULL) {
		trace_nomem();
	}
	memcpy(p->key, key, len);
	p->key[len] = 0;
	p->len = (uint32_t) len;
	p->hash = h;
	p->val = val;
	p->next = m->b[h & (m->nb - 1)];
	m->b[h & (m->nb - 1)] = p;
	m->n++;
	m->last = p;
}

static void
node_free(struct tracemap *m, struct tracemap_node *p)
{
	if (TRACE_RECYCLE && p->len < SHORT_KEY) {
		p->next = m->spare;
		m->spare = p;
	} else {
		free(p);
	}
}

/* del - remove key; any value when val is NULL */
static void *
del(struct tracemap *m, const char *key, size_t len, const void *val)
{
	struct tracemap_node **pp, *p;
	uint32_t h;
	void   *v;

	if (m->nb == 0)
		return NULL;
	h = hash(key, len);
	for (pp = &m->b[h & (m->nb - 1)]; (p = *pp) != NULL; pp = &p->next) {
		if (p->hash == h && p->len == len && keyeq(p->key, key, len)) {
			if (val != NULL && p->val != val)
				return NULL;
			*pp = p->next;
			v = p->val;
			if (m->last == p)
				m->last = NULL;
			node_free(m, p);
			m->n--;
			return v;
		}
	}
	return NULL;
}

void   *
tracemap_del(struct tracemap *m, const char *key, size_t len)
{
	return del(m, key, len, NULL);
}

void
tracemap_del_val(struct tracemap *m, const char *key, size_t len, const void *val)
{
	(void) del(m, key, len, val);
}

void
tracemap_walk(const struct tracemap *m,
	      void (*fn)(const char *, size_t, void *, void *), void *arg)
{
	struct tracemap_node *p;
	size_t	i;

	for (i = 0; i < m->nb; i++)
		for (p = m->b[i]; p != NULL; p = p->next)
			fn(p->key, p->len, p->val, arg);
}

void
tracemap_free(struct tracemap *m)
{
	struct tracemap_node *p, *next;
	size_t	i;

	for (i = 0; i < m->nb; i++) {
		for (p = m->b[i]; p != NULL; p = next) {
			next = p->next;
			free(p);
		}
	}
	for (p = m->spare; p != NULL; p = next) {
		next = p->next;
		free(p);
	}
	free(m->b);
	memset(m, 0, sizeof(*m));
}
