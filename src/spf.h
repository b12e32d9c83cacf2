/*++
 * NAME
 *	spf 3h
 * SUMMARY
 *	SPF checks; the only file that includes spf2/spf.h is spf.c
 *--*/
#ifndef ESMTPGUARD_SPF_H
#define ESMTPGUARD_SPF_H

/* spf_version - "libspf2 1.2.10" */
const char *spf_version(void);

#endif
