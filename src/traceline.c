/*++
 * NAME
 *	traceline 3
 * SUMMARY
 *	parse one mail log line for esmtpguard-trace
 * DESCRIPTION
 *	See traceline.h. A hand-written scanner, not sscanf or regex: the
 *	correlator must read hundreds of megabytes a second, and most of a
 *	log is lines it only has to recognise and skip. A cursor (struct
 *	cur) walks the line; every helper checks the end before it looks.
 *--*/
#include <config.h>

#include <string.h>

#include "traceline.h"

struct cur {
	const char *p;
	const char *e;
};

static struct tl_str
mk(const char *p, const char *e)
{
	struct tl_str s = {p, (size_t) (e - p)};

	return s;
}

static struct tl_str
lit(const char *str)
{
	struct tl_str s = {str, strlen(str)};

	return s;
}

/* eat - the literal follows: skip it */
static bool
eat(struct cur *c, const char *lit)
{
	size_t	n = strlen(lit);

	if ((size_t) (c->e - c->p) < n || memcmp(c->p, lit, n) != 0)
		return false;
	c->p += n;
	return true;
}

/* digits - one or more decimal digits */
static bool
digits(struct cur *c, struct tl_str *out)
{
	const char *s = c->p, *p = s;

	/* on locals: the cursor in memory would be stored every byte */
	while (p < c->e && (unsigned char) (*p - '0') < 10)
		p++;
	c->p = p;
	if (p == s || p - s > 20)
		return false;
	*out = mk(s, p);
	return true;
}

static uint64_t
num(struct tl_str s)
{
	uint64_t v = 0;
	size_t	i;

	for (i = 0; i < s.n; i++)
		v = v * 10 + (uint64_t) (s.p[i] - '0');
	return v;
}

/* word - up to the next space (or the end); may be empty */
static struct tl_str
word(struct cur *c)
{
	const char *s = c->p, *p = s;

	while (p < c->e && *p != ' ')
		p++;
	c->p = p;
	return mk(s, p);
}

/* upto - up to the first occurrence of lit, which is skipped */
static bool
upto_n(struct cur *c, const char *lit, size_t n, struct tl_str *out)
{
	const char *q = c->p;

	while ((size_t) (c->e - q) >= n
	       && (q = memchr(q, *lit, (size_t) (c->e - q) - n + 1)) != NULL) {
		if (memcmp(q, lit, n) == 0) {
			*out = mk(c->p, q);
			c->p = q + n;
			return true;
		}
		q++;
	}
	return false;
}

/* a literal's length is known where it is written */
#define upto(c, lit, out)	upto_n((c), (lit), sizeof(lit) - 1, (out))

/* rupto - up to the last occurrence of lit: for a client-supplied value
 * that could contain lit itself */
static bool
rupto_n(struct cur *c, const char *lit, size_t n, struct tl_str *out)
{
	const char *q;

	if ((size_t) (c->e - c->p) < n)
		return false;
	for (q = c->e - n; q >= c->p; q--) {
		if (*q == *lit && memcmp(q, lit, n) == 0) {
			*out = mk(c->p, q);
			c->p = q + n;
			return true;
		}
	}
	return false;
}

#define rupto(c, lit, out)	rupto_n((c), (lit), sizeof(lit) - 1, (out))

/* first - the next byte, 0 at the end: which literals can follow */
static int
first(const struct cur *c)
{
	return c->p < c->e ? (unsigned char) *c->p : 0;
}

static struct tl_str
rest(struct cur *c)
{
	struct tl_str s = mk(c->p, c->e);

	c->p = c->e;
	return s;
}

static int
d2(const char *p)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return -1;
	return (p[0] - '0') * 10 + p[1] - '0';
}

int
traceline_mon(const char *p)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	size_t	i;

	for (i = 0; i < 12; i++)
		if (memcmp(names + 3 * i, p, 3) == 0)
			return (int) i + 1;
	return 0;
}

int64_t
traceline_time(int y, int m, int d, int hh, int mm, int ss)
{
	/* days from civil (H. Hinnant), 1970-01-01 = 0 */
	int64_t yy = y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;

	return days * 86400 + (int64_t) hh * 3600 + (int64_t) mm * 60 + ss;
}

void
traceline_civil(int64_t t, int *year, int *mon, int *mday)
{
	/* civil from days (H. Hinnant) */
	int64_t	z = (t >= 0 ? t : t - 86399) / 86400 + 719468;
	int64_t	era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t	doe = z - era * 146097;
	int64_t	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t	mp = (5 * doy + 2) / 153;

	*mday = (int) (doy - (153 * mp + 2) / 5 + 1);
	*mon = (int) (mp < 10 ? mp + 3 : mp - 9);
	*year = (int) (yoe + era * 400 + (*mon <= 2));
}

void
traceline_year_init(struct traceline_year *y, int64_t ref)
{
	int	d;

	traceline_civil(ref, &y->year, &y->ref_mon, &d);
	y->mon = 0;
	y->last[0] = 0;
}

/* hms - "HH:MM:SS" at p; -1 when not */
static int64_t
hms(const char *p)
{
	int	h = d2(p), m = d2(p + 3), s = d2(p + 6);

	if (h < 0 || m < 0 || s < 0 || p[2] != ':' || p[5] != ':'
	    || h > 23 || m > 59 || s > 60)
		return -1;
	return h * 3600 + m * 60 + s;
}

/* mday - " 4" or "14" */
static int
mday(const char *p)
{
	int	d;

	if (p[0] == ' ')
		d = (p[1] >= '1' && p[1] <= '9') ? p[1] - '0' : -1;
	else
		d = d2(p);
	return d >= 1 && d <= 31 ? d : -1;
}

static void
syslog_year(struct traceline_year *y, int mon)
{
	if (y->mon == 0) {
		if (mon > y->ref_mon)
			y->year--;	/* a file written last year */
	} else if (mon < y->mon - 1) {
		y->year++;		/* December to January */
	}
	y->mon = mon;
}

/* prog_end - where a program name ends ('[', ':' or ' '); the names of
 * nearly every line are skipped whole, not looked at byte by byte */
static const char *
prog_end(const char *p, const char *e)
{
	static const bool stop[256] = {['['] = true, [':'] = true, [' '] = true};

	if (e - p >= 10 && memcmp(p, "esmtpguard", 10) == 0)
		p += 10;
	else if (e - p >= 8 && memcmp(p, "postfix/", 8) == 0)
		p += 8;
	while (p < e && !stop[(unsigned char) *p])
		p++;
	return p;
}

/* stamp - the time stamp and, for syslog forms, "host prog[pid]: " */
static bool
stamp(struct traceline *l, struct cur *c, struct traceline_year *y)
{
	const char *p = c->p;
	size_t	len = (size_t) (c->e - c->p);
	int	mon, d, yr;
	int64_t	sec;

	if (len >= 25 && p[3] == ' ' && p[7] == ' ' && p[10] == ' '
	    && p[19] == ' ' && p[24] == ' '
	    && (mon = traceline_mon(p + 4)) != 0 && (d = mday(p + 8)) > 0
	    && (sec = hms(p + 11)) >= 0 && d2(p + 20) >= 0 && d2(p + 22) >= 0) {
		/* ESA file form: "Sun Nov 22 13:09:12 2026 Info: " */
		yr = d2(p + 20) * 100 + d2(p + 22);
		l->t = traceline_time(yr, mon, d, 0, 0, 0) + sec;
		y->year = yr;
		y->mon = mon;
		y->last[0] = 0;
		c->p += 25;
		/* the level word: Info, Warning, ... */
		while (c->p < c->e && *c->p != ':' && *c->p != ' ')
			c->p++;
		if (!eat(c, ": "))
			return false;
		l->src = TL_SRC_GUARD;
		l->text = mk(c->p, c->e);
		return true;
	}
	if (len >= 16 && p[15] == ' ' && y->mon != 0 && memcmp(p, y->last, 15) == 0) {
		l->t = y->last_t;	/* the same second as the line before */
		c->p += 16;
	} else if (len >= 16 && p[3] == ' ' && p[6] == ' ' && p[15] == ' '
	    && (mon = traceline_mon(p)) != 0 && (d = mday(p + 4)) > 0
	    && (sec = hms(p + 7)) >= 0) {
		syslog_year(y, mon);
		l->t = traceline_time(y->year, mon, d, 0, 0, 0) + sec;
		memcpy(y->last, p, 15);
		y->last_t = l->t;
		c->p += 16;
	} else if (len >= 20 && p[4] == '-' && p[7] == '-' && p[10] == 'T'
		   && d2(p) >= 0 && d2(p + 2) >= 0
		   && (mon = d2(p + 5)) >= 1 && mon <= 12
		   && (d = d2(p + 8)) >= 1 && d <= 31 && (sec = hms(p + 11)) >= 0) {
		yr = d2(p) * 100 + d2(p + 2);
		l->t = traceline_time(yr, mon, d, 0, 0, 0) + sec;
		y->year = yr;
		y->mon = mon;
		y->last[0] = 0;
		c->p += 19;
		while (c->p < c->e && *c->p != ' ')
			c->p++;		/* fraction and zone */
		if (!eat(c, " "))
			return false;
	} else {
		return false;
	}
	/* host prog[pid]: text */
	l->host = word(c);
	if (!eat(c, " ") || l->host.n == 0)
		return false;
	p = c->p;
	c->p = prog_end(c->p, c->e);
	l->prog = mk(p, c->p);
	if (eat(c, "[")) {
		struct tl_str pid;

		if (!digits(c, &pid) || !eat(c, "]"))
			return false;
		l->pid = (long) num(pid);
	}
	if (!eat(c, ": "))
		return false;
	l->text = mk(c->p, c->e);
	if (l->prog.n >= 10 && memcmp(l->prog.p, "esmtpguard", 10) == 0) {
		l->src = TL_SRC_GUARD;
	} else if (tl_eq(l->prog, "mail_logs")) {
		/* an ESA's own syslog push: "mail_logs: Info: ..." */
		if (!eat(c, "Info: "))
			return true;
		l->src = TL_SRC_GUARD;
		l->text = mk(c->p, c->e);
	} else if (l->prog.n > 8 && memcmp(l->prog.p, "postfix", 7) == 0) {
		const char *s = l->prog.p + l->prog.n;

		while (s > l->prog.p && s[-1] != '/')
			s--;
		if (s == l->prog.p)
			return true;
		l->daemon = mk(s, l->prog.p + l->prog.n);
		l->src = TL_SRC_POSTFIX;
	}
	return true;
}

/* --- esmtpguard ------------------------------------------------------- */

/* rule - "ESMTP policy P matched RULE[ gt N][: VALUE] action A" */
static enum tl_ev
rule(struct traceline *l, struct cur *c)
{
	const char *s;

	if (!upto(c, " matched ", &l->policy) || l->policy.n == 0)
		return TL_BAD;
	s = c->p;
	while (c->p < c->e && *c->p != ' ' && *c->p != ':')
		c->p++;
	l->rule = mk(s, c->p);
	if (l->rule.n == 0)
		return TL_BAD;
	if (eat(c, " gt ") && !digits(c, &l->gt))
		return TL_BAD;
	if (eat(c, ":")) {
		(void) eat(c, " ");
		if (!rupto(c, " action ", &l->value))
			return TL_BAD;
	} else if (!eat(c, " action ")) {
		return TL_BAD;
	}
	l->action = rest(c);
	return l->action.n ? TL_G_RULE : TL_BAD;
}

/* addr_in - "<...>" to the end of the line */
static bool
angle_rest(struct cur *c, struct tl_str *out)
{
	*out = rest(c);
	return out->n >= 2 && out->p[0] == '<' && out->p[out->n - 1] == '>';
}

static enum tl_ev
guard_icid(struct traceline *l, struct cur *c)
{
	struct tl_str w;

	if (!digits(c, &l->icid) || !eat(c, " "))
		return TL_BAD;
	if (c->p == c->e)
		return TL_BAD;
	if (eat(c, "close"))
		return c->p == c->e ? TL_G_CLOSE : TL_BAD;
	if (eat(c, "lost"))
		return c->p == c->e ? TL_G_LOST : TL_BAD;
	if (eat(c, "Unknown command: ")) {
		l->value = rest(c);
		return TL_G_UNKNOWN;
	}
	if (eat(c, "ESMTP policy "))
		return rule(l, c);
	w = word(c);
	if (eat(c, " SG ")) {
		l->value = w;
		l->sg = word(c);
		if (!eat(c, " match "))
			return TL_BAD;
		if (!upto(c, " SBRS", &l->entry))
			l->entry = rest(c);
		return TL_G_HAT;
	}
	return TL_NONE;
}

static enum tl_ev
guard_mid(struct traceline *l, struct cur *c)
{
	if (!digits(c, &l->mid) || !eat(c, " "))
		return TL_BAD;
	if (eat(c, "ICID ")) {
		if (!digits(c, &l->icid) || !eat(c, " "))
			return TL_BAD;
		if (first(c) == 'F' && eat(c, "From: "))
			return angle_rest(c, &l->addr) ? TL_G_FROM : TL_BAD;
		if (eat(c, "RID ")) {
			if (!digits(c, &l->rid) || !eat(c, " To: "))
				return TL_BAD;
			return angle_rest(c, &l->addr) ? TL_G_RCPT : TL_BAD;
		}
		if (eat(c, "queue ID ")) {
			l->qid = rest(c);
			return l->qid.n ? TL_G_QID : TL_BAD;
		}
		if (eat(c, "ESMTP policy "))
			return rule(l, c);
		if (eat(c, "MIME: ")) {
			l->value = rest(c);
			return TL_G_MIME;
		}
		return TL_NONE;
	}
	if (eat(c, "Message-ID ")) {
		l->value = rest(c);
		return TL_G_MSGID;
	}
	if (eat(c, "Subject ")) {
		l->value = rest(c);
		return TL_G_SUBJECT;
	}
	if (eat(c, "ready ")) {
		struct tl_str n;

		if (!digits(c, &n) || !eat(c, " bytes from "))
			return TL_BAD;
		l->num = num(n);
		l->addr = rest(c);
		return TL_G_READY;
	}
	if (eat(c, "SPF: ")) {
		l->value = word(c);	/* helo | mailfrom | pra */
		if (l->value.n == 0 || !eat(c, " identity "))
			return TL_BAD;
		l->name = l->value;
		if (!rupto(c, " ", &l->addr))
			return TL_BAD;
		l->value = rest(c);
		return l->value.n ? TL_G_SPF : TL_BAD;
	}
	return TL_NONE;
}

static enum tl_ev
guard(struct traceline *l, struct cur *c)
{
	switch (first(c)) {
	case 'I':
		return eat(c, "ICID ") ? guard_icid(l, c) : TL_NONE;
	case 'M':
		if (eat(c, "MID "))
			return guard_mid(l, c);
		break;
	case 'S':
	case 'N':
		break;
	default:
		return TL_NONE;
	}
	if (eat(c, "Start MID ")) {
		if (!digits(c, &l->mid) || !eat(c, " ICID ")
		    || !digits(c, &l->icid) || c->p != c->e)
			return TL_BAD;
		return TL_G_START;
	}
	if (eat(c, "Message finished MID ")) {
		if (!digits(c, &l->mid) || !eat(c, " "))
			return TL_BAD;
		l->value = rest(c);
		return TL_G_FINISHED;
	}
	if (eat(c, "Message aborted MID ")) {
		if (!digits(c, &l->mid) || !eat(c, " "))
			return TL_BAD;
		l->value = rest(c);
		return l->value.n ? TL_G_ABORTED : TL_BAD;
	}
	if (eat(c, "New SMTP ICID ")) {
		if (!digits(c, &l->icid) || !eat(c, " interface ")
		    || !upto(c, " address ", &l->iface))
			return TL_BAD;
		l->addr = word(c);
		if (!eat(c, " reverse dns host ") || !rupto(c, " verified ", &l->name))
			return TL_BAD;
		l->verified = eat(c, "yes");
		return TL_G_NEW;
	}
	return TL_NONE;
}

/* --- Postfix ------------------------------------------------------------ */

/* client - "name[addr]" up to the closing bracket; an address too long
 * for any client (TL_ADDR_MAX) makes the line TL_BAD */
static bool
client(struct cur *c, struct tl_str *name, struct tl_str *addr)
{
	static const bool stop[256] = {['['] = true, [' '] = true};
	const char *s = c->p, *q;

	while (c->p < c->e && !stop[(unsigned char) *c->p])
		c->p++;
	*name = mk(s, c->p);
	if (!eat(c, "["))
		return false;
	s = c->p;
	q = memchr(s, ']', (size_t) (c->e - s));
	c->p = q ? q : c->e;
	*addr = mk(s, c->p);
	return eat(c, "]") && addr->n > 0 && addr->n < TL_ADDR_MAX;
}

/* queue_id - "QID: " (or NOQUEUE); Postfix's short and long forms */
static bool
queue_id(struct cur *c, struct tl_str *qid)
{
	static const bool alnum[256] = {
		['0' ... '9'] = true, ['A' ... 'Z'] = true, ['a' ... 'z'] = true,
	};
	const char *s = c->p, *q;

	while (c->p < c->e && alnum[(unsigned char) *c->p])
		c->p++;
	*qid = mk(s, c->p);
	/* "warning: ", "fatal: ": a queue ID has a digit or a capital */
	for (q = s; q < c->p && *q >= 'a' && *q <= 'z'; q++)
		;
	if (qid->n < 5 || q == c->p || !eat(c, ": ")) {
		c->p = s;
		return false;
	}
	return true;
}

/* field - ", key=" value up to the next ", " (or end) */
static bool
field_n(struct cur *c, const char *key, size_t n, struct tl_str *out)
{
	const char *s, *q;

	if ((size_t) (c->e - c->p) < n || memcmp(c->p, key, n) != 0)
		return false;
	c->p += n;
	s = c->p;
	if (c->p < c->e && *c->p == '<') {
		/* an address may hold ", " between its brackets: it ends at
		 * a '>' that ends the line or comes before a ',' */
		while ((q = memchr(c->p, '>', (size_t) (c->e - c->p))) != NULL
		       && q + 1 < c->e && q[1] != ',')
			c->p = q + 1;
		c->p = q ? q + 1 : c->e;
	} else {
		/* up to ", " */
		while ((q = memchr(c->p, ',', (size_t) (c->e - c->p))) != NULL
		       && !(q + 1 < c->e && q[1] == ' '))
			c->p = q + 1;
		c->p = q ? q : c->e;
	}
	*out = mk(s, c->p);
	(void) eat(c, ", ");
	return true;
}

#define field(c, key, out)	field_n((c), (key), sizeof(key) - 1, (out))

/* delivery - "to=<a>, [orig_to=<b>,] relay=R, [conn_use=N,] delay=..,
 * delays=.., dsn=D, status=S (text)" */
static enum tl_ev
delivery(struct traceline *l, struct cur *c)
{
	struct tl_str skip, cu;

	if (!field(c, "to=", &l->addr))
		return TL_BAD;
	(void) field(c, "orig_to=", &l->name);
	if (!field(c, "relay=", &l->relay))
		return TL_BAD;
	if (field(c, "conn_use=", &cu)) {
		struct cur n = {cu.p, cu.p + cu.n};
		struct tl_str d;

		if (digits(&n, &d))
			l->num = num(d);
	}
	while (c->p < c->e && !eat(c, "dsn=")) {
		if (!field(c, "", &skip) || skip.n == 0)
			return TL_BAD;
	}
	l->dsn = word(c);
	if (l->dsn.n && l->dsn.p[l->dsn.n - 1] == ',')
		l->dsn.n--;
	if (!eat(c, " status="))
		return TL_BAD;
	l->status = word(c);
	if (l->status.n && l->status.p[l->status.n - 1] == ',')
		l->status.n--;		/* "status=expired, returned to sender" */
	(void) eat(c, " ");
	l->value = rest(c);
	if (l->value.n >= 2 && l->value.p[0] == '(' && l->value.p[l->value.n - 1] == ')') {
		l->value.p++;
		l->value.n -= 2;
	}
	return l->status.n ? TL_P_DELIVERY : TL_BAD;
}

/* relay_target - "host[addr]:port" of smtp's "connect to" */
static bool
relay_target(struct traceline *l, struct cur *c)
{
	const char *s = c->p;

	if (!client(c, &l->name, &l->addr))
		return false;
	if (eat(c, ":"))
		(void) digits(c, &l->port);
	l->relay = mk(s, c->p);
	return true;
}

/* stats_scan - "ehlo=1 xclient=1 mail=1 ... quit=1 commands=6" */
static void
stats_scan(struct traceline *l, struct tl_str stats)
{
	struct cur s = {stats.p, stats.p + stats.n};
	struct tl_str x;

	l->quit = upto(&s, "quit=", &x);
	s.p = stats.p;
	/* "xclient=1", or "xclient=0/1" (Postfix counts its 220 as no 250) */
	if (upto(&s, "xclient=", &x) && digits(&s, &x)) {
		l->num = num(x);
		if (eat(&s, "/") && digits(&s, &x))
			l->num = num(x);
	}
}

static enum tl_ev
smtpd(struct traceline *l, struct cur *c)
{
	struct tl_str stats;

	if (eat(c, "connect from "))
		return client(c, &l->name, &l->addr) ? TL_P_CONNECT : TL_BAD;
	if (eat(c, "disconnect from ")) {
		if (!client(c, &l->name, &l->addr))
			return TL_BAD;
		(void) eat(c, " ");
		stats = rest(c);
		l->value = stats;
		stats_scan(l, stats);
		return TL_P_DISCONNECT;
	}
	if (eat(c, "lost connection after ")) {
		l->value = lit("lost");
	} else if (eat(c, "timeout after ")) {
		l->value = lit("timeout");
	} else {
		return TL_NONE;
	}
	l->after = word(c);
	while (c->p < c->e && !eat(c, " from "))
		c->p++;			/* "DATA (40 bytes)" */
	return client(c, &l->name, &l->addr) ? TL_P_LOST : TL_BAD;
}

static enum tl_ev
postfix(struct traceline *l, struct cur *c)
{
	struct tl_str d = l->daemon;

	if (tl_eq(d, "smtpd") || tl_eq(d, "submission") || tl_eq(d, "smtps")) {
		enum tl_ev ev = smtpd(l, c);

		if (ev != TL_NONE)
			return ev;
	}
	if (tl_eq(d, "smtp") || tl_eq(d, "lmtp")) {
		if (eat(c, "connect to ")) {
			if (!relay_target(l, c) || !eat(c, ": "))
				return TL_BAD;
			l->value = rest(c);
			return TL_P_CONNERR;
		}
	}
	if (eat(c, "NOQUEUE: ")) {
		l->qid.n = 0;
	} else if (!queue_id(c, &l->qid)) {
		return TL_NONE;
	}
	if (first(c) == 'm' && eat(c, "milter-reject: ")) {
		l->milter = true;
		l->value = rest(c);
		return TL_P_REJECT;
	}
	if (first(c) == 'r' && eat(c, "reject: ")) {
		l->value = rest(c);
		return TL_P_REJECT;
	}
	if (l->qid.n == 0)
		return TL_NONE;
	/* the common delivery line first */
	if (first(c) == 't' && eat(c, "to="))  {
		c->p -= 3;
		return delivery(l, c);
	}
	if (eat(c, "client=")) {
		return client(c, &l->name, &l->addr) ? TL_P_CLIENT : TL_BAD;
	}
	if (eat(c, "removed"))
		return TL_P_REMOVED;
	if (eat(c, "message-id=")) {
		l->value = rest(c);
		return TL_P_MSGID;
	}
	if (eat(c, "from=")) {
		struct tl_str x;

		c->p -= 5;
		if (!field(c, "from=", &l->addr))
			return TL_BAD;
		if (eat(c, "status=expired"))
			return TL_P_EXPIRED;
		if (field(c, "size=", &x)) {
			struct cur n = {x.p, x.p + x.n};
			struct tl_str dd;

			if (digits(&n, &dd))
				l->num = num(dd);
		}
		return TL_P_QFROM;
	}
	if (eat(c, "uid=")) {
		if (upto(c, "from=", &l->value))
			l->addr = rest(c);
		return TL_P_PICKUP;
	}
	if (eat(c, "sender ")) {
		if (!upto(c, " notification: ", &l->value))
			return TL_NONE;
		l->name = rest(c);
		return l->name.n ? TL_P_NOTIFY : TL_BAD;
	}
	return TL_NONE;
}

/*
 * The size of the clearing below goes through a volatile on purpose: a
 * memset of a known 408 bytes is expanded inline as "rep stosq", whose
 * start-up cost more than a third of all the parsing of a line (perf);
 * libc's memset clears it with a few vector stores.
 */
static volatile size_t line_size = sizeof(struct traceline);

enum tl_ev
traceline_parse(struct traceline *l, const char *line, size_t len,
		struct traceline_year *y)
{
	struct cur c = {line, line + len};

	memset(l, 0, line_size);
	l->t = -1;
	l->pid = -1;
	if (len > 0 && line[len - 1] == '\r')
		c.e--;
	if (!stamp(l, &c, y)) {
		l->src = TL_SRC_OTHER;
		return l->ev = TL_NONE;
	}
	if (l->src == TL_SRC_GUARD)
		l->ev = guard(l, &c);
	else if (l->src == TL_SRC_POSTFIX)
		l->ev = postfix(l, &c);
	else
		l->ev = TL_NONE;
	return l->ev;
}
