/*
 * check_peer - the per-address table: concurrent connection counts from
 * many threads, the hourly recipient window, the bound on idle entries.
 */
#include <config.h>

#include <pthread.h>
#include <string.h>

#include "peer.h"
#include "unit.h"

static void
addr_of(unsigned char addr[16], unsigned n)
{
	memset(addr, 0, 16);
	addr[10] = addr[11] = 0xff;	/* ::ffff:10.x.y.z */
	addr[12] = 10;
	addr[13] = (unsigned char) (n >> 16);
	addr[14] = (unsigned char) (n >> 8);
	addr[15] = (unsigned char) n;
}

START_TEST(counts_connections_per_address)
{
	unsigned char a[16], b[16];
	unsigned long n;
	struct peer *p1, *p2, *p3;

	addr_of(a, 1);
	addr_of(b, 2);
	p1 = peer_connect(a, &n);
	ck_assert_uint_eq(n, 1);
	p2 = peer_connect(a, &n);
	ck_assert_uint_eq(n, 2);
	p3 = peer_connect(b, &n);
	ck_assert_uint_eq(n, 1);
	peer_disconnect(p1);
	peer_disconnect(p2);
	p1 = peer_connect(a, &n);
	ck_assert_uint_eq(n, 1);
	peer_disconnect(p1);
	peer_disconnect(p3);
	peer_disconnect(NULL);
}
END_TEST

START_TEST(recipients_in_the_last_hour)
{
	unsigned char a[16];
	unsigned long n;
	struct peer *p;
	time_t	t0 = 1700000000;

	addr_of(a, 3);
	p = peer_connect(a, &n);
	ck_assert_uint_eq(peer_rcpt_hour(p, t0, 5), 5);
	ck_assert_uint_eq(peer_rcpt_hour(p, t0 + 30 * 60, 2), 7);
	/* 59 minutes after the first: still inside the hour */
	ck_assert_uint_eq(peer_rcpt_hour(p, t0 + 59 * 60, 0), 7);
	/* an hour after the first minute, it has left the window */
	ck_assert_uint_eq(peer_rcpt_hour(p, t0 + 60 * 60, 0), 2);
	ck_assert_uint_eq(peer_rcpt_hour(p, t0 + 90 * 60, 1), 1);
	/* long idle: everything forgotten */
	ck_assert_uint_eq(peer_rcpt_hour(p, t0 + 10 * 3600, 1), 1);
	/* the clock stepping back does not lose or crash */
	ck_assert_uint_eq(peer_rcpt_hour(p, t0, 1), 2);
	peer_disconnect(p);
}
END_TEST

/* idle entries are bounded; open ones are never evicted */
START_TEST(bounded_idle_entries)
{
	unsigned char a[16];
	unsigned long n;
	struct peer *busy;
	unsigned i;

	peer_set_max(100);
	addr_of(a, 99999);
	busy = peer_connect(a, &n);
	ck_assert_uint_eq(peer_rcpt_hour(busy, 1700000000, 3), 3);
	for (i = 0; i < 5000; i++) {
		addr_of(a, i);
		peer_disconnect(peer_connect(a, &n));
		ck_assert_uint_le(peer_count(), 101);
	}
	/* the busy entry kept its state */
	ck_assert_uint_eq(peer_rcpt_hour(busy, 1700000000, 0), 3);
	addr_of(a, 99999);
	peer_disconnect(peer_connect(a, &n));
	ck_assert_uint_eq(n, 2);
	peer_disconnect(busy);
}
END_TEST

#define THREADS	8
#define ROUNDS	20000

static void *
churn(void *arg)
{
	unsigned char a[16];
	unsigned long n;
	unsigned i, base = (unsigned) (size_t) arg;
	struct peer *p;

	for (i = 0; i < ROUNDS; i++) {
		addr_of(a, (base + i) % 64);
		p = peer_connect(a, &n);
		(void) peer_rcpt_hour(p, 1700000000 + i, 1);
		peer_disconnect(p);
	}
	return NULL;
}

/* many threads at once: every connect is matched by its disconnect */
START_TEST(threads_balance)
{
	pthread_t t[THREADS];
	unsigned char a[16];
	unsigned long n;
	size_t	i;
	struct peer *p;

	peer_set_max(32);	/* evictions under contention too */
	for (i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, churn, (void *) i), 0);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 64; i++) {
		addr_of(a, (unsigned) i);
		p = peer_connect(a, &n);
		ck_assert_uint_eq(n, 1);
		peer_disconnect(p);
	}
	ck_assert_uint_le(peer_count(), 32);
}
END_TEST

static Suite *
suite(void)
{
	Suite  *s = suite_create("peer");
	TCase  *tc = tcase_create("peer");

	tcase_add_test(tc, counts_connections_per_address);
	tcase_add_test(tc, recipients_in_the_last_hour);
	tcase_add_test(tc, bounded_idle_entries);
	tcase_add_test(tc, threads_balance);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
