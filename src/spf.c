/*++
 * NAME
 *	spf 3
 * SUMMARY
 *	SPF checks behind our own interface (libspf2)
 *--*/
#include <config.h>

#include <stdio.h>
#include <sys/types.h>
#include <netinet/in.h>		/* spf2/spf.h is not self-contained */

#include <spf2/spf.h>

#include "spf.h"

const char *
spf_version(void)
{
	static char buf[48];

	snprintf(buf, sizeof(buf), "libspf2 %d.%d.%d", SPF_LIB_VERSION_MAJOR,
		 SPF_LIB_VERSION_MINOR, SPF_LIB_VERSION_PATCH);
	return buf;
}
