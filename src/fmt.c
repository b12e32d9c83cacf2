/*++
 * NAME
 *	fmt 3
 * SUMMARY
 *	vsnprintf for the formats of esmtpguard's lines
 * DESCRIPTION
 *	See fmt.h. A first pass over the format decides whether it is
 *	one of ours, without touching the arguments, so that a format
 *	this file does not know goes to vsnprintf with its va_list whole.
 *--*/
#include <config.h>

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "fmt.h"

enum fmt_len { FMT_INT, FMT_LONG, FMT_LLONG, FMT_SIZE, FMT_MAX };

/* fmt_spec - the length modifier and conversion at p (after '%'); the
 * conversion's end, or NULL when it is not one of ours */

static const char *
fmt_spec(const char *p, enum fmt_len *len, char *conv)
{
	*len = FMT_INT;
	switch (*p) {
	case 'l':
		p++;
		*len = FMT_LONG;
		if (*p == 'l') {
			p++;
			*len = FMT_LLONG;
		}
		break;
	case 'z':
		p++;
		*len = FMT_SIZE;
		break;
	case 'j':
		p++;
		*len = FMT_MAX;
		break;
	default:
		break;
	}
	switch (*p) {
	case 'd':
	case 'i':
	case 'u':
		break;
	case 's':
	case 'c':
	case '%':
		if (*len != FMT_INT)
			return NULL;	/* %ls, %lc: wide characters */
		break;
	default:
		return NULL;
	}
	*conv = *p;
	return p + 1;
}

/* fmt_ours - whether every conversion of fmt is one fmt_spec knows */

static bool
fmt_ours(const char *fmt)
{
	enum fmt_len len;
	char	conv;

	while ((fmt = strchr(fmt, '%')) != NULL)
		if ((fmt = fmt_spec(fmt + 1, &len, &conv)) == NULL)
			return false;
	return true;
}

/* the output: buf of size, and how much would have been written */
struct fmt_out {
	char   *buf;
	size_t	size;
	size_t	n;
};

static void
fmt_put(struct fmt_out *o, const char *p, size_t len)
{
	if (o->n < o->size) {
		size_t	room = o->size - o->n;

		memcpy(o->buf + o->n, p, len < room ? len : room);
	}
	o->n += len;
}

/* fmt_num - the decimal digits of v, after a minus sign when neg */

static void
fmt_num(struct fmt_out *o, uintmax_t v, bool neg)
{
	char	digits[3 * sizeof(v) + 2], *p = digits + sizeof(digits);

	do
		*--p = (char) ('0' + v % 10);
	while ((v /= 10) != 0);
	if (neg)
		*--p = '-';
	fmt_put(o, p, (size_t) (digits + sizeof(digits) - p));
}

/* fmt_signed, fmt_unsigned - the argument of length len */

static void
fmt_signed(struct fmt_out *o, enum fmt_len len, va_list *ap)
{
	intmax_t v;

	switch (len) {
	case FMT_LONG:
		v = va_arg(*ap, long);
		break;
	case FMT_LLONG:
		v = va_arg(*ap, long long);
		break;
	/* NOLINTNEXTLINE(bugprone-branch-clone): alike on some ABIs only */
	case FMT_SIZE:
		v = va_arg(*ap, ssize_t);
		break;
	case FMT_MAX:
		v = va_arg(*ap, intmax_t);
		break;
	default:
		v = va_arg(*ap, int);
		break;
	}
	/* the magnitude in unsigned arithmetic: INTMAX_MIN has no positive */
	fmt_num(o, v < 0 ? 0 - (uintmax_t) v : (uintmax_t) v, v < 0);
}

static void
fmt_unsigned(struct fmt_out *o, enum fmt_len len, va_list *ap)
{
	uintmax_t v;

	switch (len) {
	case FMT_LONG:
		v = va_arg(*ap, unsigned long);
		break;
	case FMT_LLONG:
		v = va_arg(*ap, unsigned long long);
		break;
	/* NOLINTNEXTLINE(bugprone-branch-clone): alike on some ABIs only */
	case FMT_SIZE:
		v = va_arg(*ap, size_t);
		break;
	case FMT_MAX:
		v = va_arg(*ap, uintmax_t);
		break;
	default:
		v = va_arg(*ap, unsigned int);
		break;
	}
	fmt_num(o, v, false);
}

int
fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct fmt_out o = {buf, size, 0};
	const char *pct, *s;
	enum fmt_len len;
	va_list	aq;
	char	conv, c;

	if (!fmt_ours(fmt))
		return vsnprintf(buf, size, fmt, ap);
	va_copy(aq, ap);
	while ((pct = strchr(fmt, '%')) != NULL) {
		fmt_put(&o, fmt, (size_t) (pct - fmt));
		fmt = fmt_spec(pct + 1, &len, &conv);
		switch (conv) {
		case 's':
			if ((s = va_arg(aq, const char *)) == NULL)
				s = "(null)";	/* what glibc prints */
			fmt_put(&o, s, strlen(s));
			break;
		case 'c':
			c = (char) va_arg(aq, int);
			fmt_put(&o, &c, 1);
			break;
		case 'u':
			fmt_unsigned(&o, len, &aq);
			break;
		case '%':
			fmt_put(&o, "%", 1);
			break;
		default:	/* d, i */
			fmt_signed(&o, len, &aq);
			break;
		}
	}
	va_end(aq);
	fmt_put(&o, fmt, strlen(fmt));
	if (size > 0)
		buf[o.n < size ? o.n : size - 1] = 0;
	return o.n > INT_MAX ? -1 : (int) o.n;
}
