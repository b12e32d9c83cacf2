/*++
 * NAME
 *	tracegen 1t
 * SUMMARY
 *	write a synthetic mail log for "make bench": esmtpguard and Postfix
 * SYNOPSIS
 *	tracegen MEGABYTES > mail.log
 * DESCRIPTION
 *	One syslog stream as a busy Postfix with esmtpguard writes it:
 *	sessions interleaved in time, each with esmtpguard's ICID/MID lines
 *	and Postfix's smtpd, cleanup, qmgr and smtp lines; most messages
 *	delivered (some with two recipients on one connection), some
 *	deferred then delivered, some bounced, some to a host that refuses
 *	connections, some dropped by a rule, some lost, some refused by the
 *	host access table. A deferred message expires about a thousand
 *	sessions later (returned to its sender, removed), as a queue with a
 *	lifetime does, so what is open at once stays bounded. Deterministic
 *	(a fixed seed), so runs compare.
 *--*/
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t seed = 88172645463325252ULL;

static unsigned
rnd(unsigned n)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (unsigned) (seed % n);
}

static const char *mon = "Nov";

static void
stamp(char *b, size_t n, long t)
{
	snprintf(b, n, "%s %2ld %02ld:%02ld:%02ld mx", mon, 1 + (t / 86400) % 28,
		 (t / 3600) % 24, (t / 60) % 60, t % 60);
}

int
main(int argc, char **argv)
{
	uint64_t limit = (uint64_t) (argc > 1 ? atof(argv[1]) : 100) * 1024 * 1024;
	uint64_t written = 0, icid = 1000, mid = 5000;
	long	t = 3600 * 8;
	char	ts[64], qid[16], buf[65536];
	int	spid = 20000;
	static char ring[1024][16];	/* deferred queue IDs, oldest expire */
	unsigned rpos = 0;

	(void) setvbuf(stdout, buf, _IOFBF, sizeof(buf));
	while (written < limit) {
		int	kind = (int) rnd(100), n = 0, pid = spid + (int) rnd(50);
		unsigned a = rnd(250) + 1, b = rnd(250) + 1, c = rnd(250) + 1;
		int	two = rnd(4) == 0;

		if (rnd(20) == 0)
			t++;
		stamp(ts, sizeof(ts), t);
		snprintf(qid, sizeof(qid), "%010" PRIX64 "%c", (uint64_t) ((mid * 2654435761u) & 0xffffffffffULL),
			 'A' + (int) (mid % 6));
		icid++;
#define L(...)	do { n = printf(__VA_ARGS__); if (n > 0) written += (uint64_t) n; } while (0)
		L("%s postfix/smtpd[%d]: connect from host%u.example.net[198.51.%u.%u]\n", ts, pid, a, b, c);
		L("%s esmtpguard[811]: New SMTP ICID %" PRIu64 " interface 192.0.2.1 address 198.51.%u.%u reverse dns host host%u.example.net verified %s\n",
		  ts, icid, b, c, a, rnd(2) ? "yes" : "no");
		if (kind < 3) {
			L("%s esmtpguard[811]: ICID %" PRIu64 " REJECT SG BLOCKED match 198.51.%u.0/24 SBRS not enabled\n", ts, icid, b);
			L("%s postfix/smtpd[%d]: NOQUEUE: milter-reject: CONNECT from host%u.example.net[198.51.%u.%u]: 554 5.7.1 Access denied (ICID %" PRIu64 "); proto=SMTP\n",
			  ts, pid, a, b, c, icid);
			L("%s esmtpguard[811]: ICID %" PRIu64 " close\n", ts, icid);
			L("%s postfix/smtpd[%d]: disconnect from host%u.example.net[198.51.%u.%u] ehlo=1 quit=1 commands=2\n", ts, pid, a, b, c);
			continue;
		}
		L("%s esmtpguard[811]: ICID %" PRIu64 " ACCEPT SG ALL match ALL SBRS not enabled\n", ts, icid);
		mid++;
		L("%s esmtpguard[811]: Start MID %" PRIu64 " ICID %" PRIu64 "\n", ts, mid, icid);
		L("%s esmtpguard[811]: MID %" PRIu64 " ICID %" PRIu64 " From: <user%u@sender%u.example>\n", ts, mid, icid, c, a);
		L("%s esmtpguard[811]: MID %" PRIu64 " ICID %" PRIu64 " RID 0 To: <rcpt%u@dest%u.example>\n", ts, mid, icid, a, b % 40);
		if (two)
			L("%s esmtpguard[811]: MID %" PRIu64 " ICID %" PRIu64 " RID 1 To: <other%u@dest%u.example>\n", ts, mid, icid, c, b % 40);
		L("%s postfix/smtpd[%d]: %s: client=host%u.example.net[198.51.%u.%u]\n", ts, pid, qid, a, b, c);
		L("%s esmtpguard[811]: MID %" PRIu64 " ICID %" PRIu64 " queue ID %s\n", ts, mid, icid, qid);
		if (kind < 8) {
			L("%s postfix/smtpd[%d]: lost connection after DATA (2048 bytes) from host%u.example.net[198.51.%u.%u]\n", ts, pid, a, b, c);
			L("%s esmtpguard[811]: Message aborted MID %" PRIu64 " Receiving aborted\n", ts, mid);
			L("%s esmtpguard[811]: Message finished MID %" PRIu64 " aborted\n", ts, mid);
			L("%s esmtpguard[811]: ICID %" PRIu64 " lost\n", ts, icid);
			L("%s esmtpguard[811]: ICID %" PRIu64 " close\n", ts, icid);
			L("%s postfix/smtpd[%d]: disconnect from host%u.example.net[198.51.%u.%u] ehlo=1 mail=1 rcpt=1 data=0/1 commands=3/4\n", ts, pid, a, b, c);
			continue;
		}
		L("%s postfix/cleanup[%d]: %s: message-id=<%" PRIu64 ".%u@sender%u.example>\n", ts, pid + 100, qid, mid, c, a);
		L("%s esmtpguard[811]: MID %" PRIu64 " Message-ID '<%" PRIu64 ".%u@sender%u.example>'\n", ts, mid, mid, c, a);
		L("%s esmtpguard[811]: MID %" PRIu64 " Subject 'report number %u for week %u'\n", ts, mid, c, b);
		if (kind < 12) {
			L("%s esmtpguard[811]: MID %" PRIu64 " ICID %" PRIu64 " ESMTP policy DEFAULT matched header_line_length gt 998: %u action drop-connection\n",
			  ts, mid, icid, 999 + a);
			L("%s postfix/cleanup[%d]: %s: milter-reject: END-OF-MESSAGE from host%u.example.net[198.51.%u.%u]: 4.7.0 mx closing connection: header_line_length exceeds 998 (ICID %" PRIu64 " MID %" PRIu64 "); from=<user%u@sender%u.example> proto=ESMTP\n",
			  ts, pid + 100, qid, a, b, c, icid, mid, c, a);
			L("%s esmtpguard[811]: Message aborted MID %" PRIu64 " Dropped by policy header_line_length\n", ts, mid);
			L("%s esmtpguard[811]: Message finished MID %" PRIu64 " aborted\n", ts, mid);
			L("%s esmtpguard[811]: ICID %" PRIu64 " close\n", ts, icid);
			L("%s postfix/smtpd[%d]: disconnect from host%u.example.net[198.51.%u.%u] ehlo=1 mail=1 rcpt=1 data=0/1 commands=3/4\n", ts, pid, a, b, c);
			continue;
		}
		L("%s esmtpguard[811]: MID %" PRIu64 " ready %u bytes from <user%u@sender%u.example>\n", ts, mid, 2000 + a * 37, c, a);
		L("%s esmtpguard[811]: Message finished MID %" PRIu64 " done\n", ts, mid);
		L("%s esmtpguard[811]: ICID %" PRIu64 " close\n", ts, icid);
		L("%s postfix/smtpd[%d]: disconnect from host%u.example.net[198.51.%u.%u] ehlo=1 mail=1 rcpt=%d data=1 quit=1 commands=%d\n",
		  ts, pid, a, b, c, two ? 2 : 1, two ? 6 : 5);
		L("%s postfix/qmgr[700]: %s: from=<user%u@sender%u.example>, size=%u, nrcpt=%d (queue active)\n",
		  ts, qid, c, a, 2400 + a * 37, two ? 2 : 1);
		{
			int	dp = 30000 + (int) rnd(100);
			const char *st = "sent", *dsn = "2.0.0", *txt = "250 2.0.0 Ok: queued as 4XbC2r1Zq9z5";
			char	relay[64];

			snprintf(relay, sizeof(relay), "mx.dest%u.example[203.0.113.%u]:25", b % 40, b % 40);
			if (kind < 17) {
				L("%s postfix/smtp[%d]: connect to mx.dest%u.example[203.0.113.%u]:25: Connection refused\n", ts, dp, b % 40, b % 40);
				L("%s postfix/smtp[%d]: %s: to=<rcpt%u@dest%u.example>, relay=none, delay=0.2, delays=0.1/0/0.1/0, dsn=4.4.1, status=deferred (connect to mx.dest%u.example[203.0.113.%u]:25: Connection refused)\n",
				  ts, dp, qid, a, b % 40, b % 40, b % 40);
				if (two)
					L("%s postfix/smtp[%d]: %s: to=<other%u@dest%u.example>, relay=none, delay=0.2, delays=0.1/0/0.1/0, dsn=4.4.1, status=deferred (connect to mx.dest%u.example[203.0.113.%u]:25: Connection refused)\n",
					  ts, dp, qid, c, b % 40, b % 40, b % 40);
				/* in the queue until its slot comes round again */
				if (ring[rpos][0] != 0) {
					L("%s postfix/qmgr[700]: %s: from=<user@sender.example>, status=expired, returned to sender\n",
					  ts, ring[rpos]);
					L("%s postfix/qmgr[700]: %s: removed\n", ts, ring[rpos]);
				}
				memcpy(ring[rpos], qid, sizeof(ring[rpos]));
				rpos = (rpos + 1) % 1024;
				continue;
			}
			if (kind < 22) {
				st = "bounced";
				dsn = "5.1.1";
				txt = "host mx.dest.example[203.0.113.9] said: 550 5.1.1 <rcpt@dest.example>: Recipient address rejected: User unknown (in reply to RCPT TO command)";
			} else if (kind < 27) {
				L("%s postfix/smtp[%d]: %s: to=<rcpt%u@dest%u.example>, relay=%s, delay=0.3, delays=0.1/0/0.1/0.1, dsn=4.2.0, status=deferred (host mx.dest.example[203.0.113.9] said: 450 4.2.0 Greylisted, try later (in reply to RCPT TO command))\n",
				  ts, dp, qid, a, b % 40, relay);
			}
			L("%s postfix/smtp[%d]: %s: to=<rcpt%u@dest%u.example>, relay=%s, %sdelay=0.4, delays=0.1/0/0.1/0.2, dsn=%s, status=%s (%s)\n",
			  ts, dp, qid, a, b % 40, relay, rnd(3) == 0 ? "conn_use=2, " : "", dsn, st, txt);
			if (two)
				L("%s postfix/smtp[%d]: %s: to=<other%u@dest%u.example>, relay=%s, delay=0.4, delays=0.1/0/0.1/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4XbC2r1Zq9z6)\n",
				  ts, dp, qid, c, b % 40, relay);
			if (kind < 22) {
				L("%s postfix/bounce[701]: %s: sender non-delivery notification: B%s\n", ts, qid, qid + 1);
			}
			L("%s postfix/qmgr[700]: %s: removed\n", ts, qid);
		}
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
