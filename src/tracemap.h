/*++
 * NAME
 *	tracemap 3h
 * SUMMARY
 *	string-keyed hash table for esmtpguard-trace
 * DESCRIPTION
 *	The correlator finds its open records by ICID, MID, queue ID,
 *	process and address; each lookup is one hash of the key bytes as
 *	they stand in the log line (no number conversion, no copy on a
 *	miss). Chained buckets, doubled when the table is full, so that a
 *	delete is cheap: records come and go all the time and the table
 *	must shrink back in use as they do. Nodes of short keys (all IDs,
 *	most process keys) are kept for reuse when deleted, so the table
 *	allocates only while it grows: at most as many as were ever in it
 *	at once.
 *
 *	Keys are copied; values are the caller's. Not thread-safe.
 *	Allocation failure is fatal to esmtpguard-trace (tracemap_put calls
 *	the caller-visible trace_nomem()), so lookups never fail silently.
 *--*/
#ifndef ESMTPGUARD_TRACEMAP_H
#define ESMTPGUARD_TRACEMAP_H

#include <stddef.h>

struct tracemap_node;

struct tracemap {
	struct tracemap_node **b;
	size_t	nb;			/* buckets, a power of two */
	size_t	n;			/* entries */
	struct tracemap_node *last;	/* the last found: log lines of one
					 * record tend to come together */
	struct tracemap_node *spare;	/* freed short-key nodes, for reuse */
};

/* tracemap_get - the value stored under key[0..len), or NULL */
void   *tracemap_get(const struct tracemap *m, const char *key, size_t len);

/* tracemap_put - store (replace) the value under key */
void	tracemap_put(struct tracemap *m, const char *key, size_t len, void *val);

/* tracemap_del - remove key; returns its value or NULL */
void   *tracemap_del(struct tracemap *m, const char *key, size_t len);

/* tracemap_del_val - remove key only while it still holds val (a record
 * leaving the tables its key may since have been given to another) */
void	tracemap_del_val(struct tracemap *m, const char *key, size_t len,
			 const void *val);

/* tracemap_walk - call fn for every entry (the table must not change) */
void	tracemap_walk(const struct tracemap *m,
		      void (*fn)(const char *key, size_t len, void *val, void *arg),
		      void *arg);

/* tracemap_free - release the table (not the values) */
void	tracemap_free(struct tracemap *m);

/*
 * Freed records and table nodes are kept for reuse (TRACE_RECYCLE), but
 * not under AddressSanitizer (make fuzz, --enable-sanitizers): memory
 * handed out again would hide a use after free from it.
 */
#if defined(__SANITIZE_ADDRESS__)
#define TRACE_RECYCLE	0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TRACE_RECYCLE	0
#endif
#endif
#ifndef TRACE_RECYCLE
#define TRACE_RECYCLE	1
#endif

/*
 * An arena: the strings of one record, which live and die with it. Taking
 * one is a pointer bump, and they are all freed at once with the record
 * (trace_arena_free), so a record costs no malloc per string. A string
 * replaced (a field logged again) stays in the arena until the record
 * goes: a record's arena grows with its own lines, as its lists do.
 * The first block is the caller's (inline in the record).
 */
struct trace_arena {
	char   *p;			/* free space in the current block */
	size_t	left;
	void   *more;			/* the blocks taken beyond the first */
};

/* trace_arena_init - buf[0..size) is the first block, aligned as
 * trace_arena_array needs (after pointers in a struct) */
void	trace_arena_init(struct trace_arena *a, char *buf, size_t size);

/* trace_arena_alloc - n bytes, not initialised, no alignment (text only) */
char   *trace_arena_alloc(struct trace_arena *a, size_t n);

/* trace_arena_array - room for n bytes of an array (aligned for any of
 * the correlator's structs), not initialised */
void   *trace_arena_array(struct trace_arena *a, size_t n);

/* trace_arena_strndup - a NUL-terminated copy of s[0..n) */
char   *trace_arena_strndup(struct trace_arena *a, const char *s, size_t n);

/* trace_arena_free - every block but the first */
void	trace_arena_free(struct trace_arena *a);

/* trace_nomem - report out of memory and exit (esmtpguard-trace only) */
_Noreturn void trace_nomem(void);

/* trace_alloc, trace_strndup - allocate or exit */
void   *trace_alloc(size_t n);
char   *trace_strndup(const char *s, size_t n);

#endif
