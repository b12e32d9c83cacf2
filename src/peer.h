/*++
 * NAME
 *	peer 3h
 * SUMMARY
 *	per client address state: concurrent connections, recipients per hour
 * DESCRIPTION
 *	One process-wide table, shared by libmilter's worker threads under
 *	one mutex (each operation is a hash lookup and a few additions), so
 *	connections_per_ip and rcpt_per_hour_per_ip see every session from
 *	an address, whatever sender-group snapshot each session uses.
 *
 *	A session takes a handle at connect (peer_connect) and gives it
 *	back at close (peer_disconnect); an entry with an open connection
 *	is never evicted, so the handle stays valid in between. Recipients
 *	are counted in 60 one-minute buckets: the hourly count is exact to
 *	the minute, and an entry costs a fixed ~300 bytes.
 *
 *	Memory is bounded: at most PEER_MAX entries without an open
 *	connection are kept. When the table is full, the entry idle
 *	longest is dropped (its hourly count is forgotten, which can only
 *	make the limit more lenient, never refuse an innocent client);
 *	entries idle for more than an hour carry nothing and go first.
 *	Entries with open connections are bounded by the MTA's process
 *	limit, not by this table.
 *--*/
#ifndef ESMTPGUARD_PEER_H
#define ESMTPGUARD_PEER_H

#include <stddef.h>
#include <time.h>

#define PEER_MAX	20000	/* idle entries kept (~6 MB at most) */

struct peer;

/* peer_connect - count a new connection from addr (16 bytes: IPv6, or
 * IPv4-mapped IPv6 for IPv4); the handle, and in *conns the connections
 * now open from addr, this one included. NULL only when out of memory. */
struct peer *peer_connect(const unsigned char addr[16], unsigned long *conns);

/* peer_disconnect - that connection ended; NULL ok */
void	peer_disconnect(struct peer *p);

/* peer_rcpt_hour - record add recipients at now; the recipients from the
 * address in the hour up to now, these included. Like Postfix's
 * smtpd_client_recipient_rate_limit, every recipient a client sends
 * counts, whether or not it is accepted: a client that keeps trying
 * does not earn new attempts. */
unsigned long peer_rcpt_hour(struct peer *p, time_t now, unsigned long add);

/* peer_count - entries in the table (tests, counters) */
size_t	peer_count(void);

/* peer_set_max - change the bound on idle entries (tests) */
void	peer_set_max(size_t max);

#endif
