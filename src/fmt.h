/*++
 * NAME
 *	fmt 3h
 * SUMMARY
 *	vsnprintf for the formats of esmtpguard's lines
 * DESCRIPTION
 *	fmt_vsnprintf() is vsnprintf(): the same bytes in buf, cut to size
 *	and NUL-terminated the same way, the same return value. Formats
 *	that use only %s, %c, %d, %i and %u (with the l, ll, z or j length
 *	modifiers) and %% are expanded here, without glibc's stdio
 *	machinery (a FILE set up per call, the string arguments copied
 *	through its buffer): that cut esmtpguard's instructions per
 *	message by a tenth (callgrind, t/bench/milter.sh). Any other
 *	format (a flag, a width, a precision, another conversion) is
 *	handed to vsnprintf whole.
 *--*/
#ifndef ESMTPGUARD_FMT_H
#define ESMTPGUARD_FMT_H

#include <stdarg.h>
#include <stddef.h>

int	fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	    __attribute__((format(printf, 3, 0)));

#endif
