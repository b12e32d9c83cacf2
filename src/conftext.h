/*++
 * NAME
 *	conftext 3h
 * SUMMARY
 *	passes over the raw configuration text before libconfuse parses it
 * DESCRIPTION
 *	conftext_blank_comments() turns '#', '//' and C comments into
 *	blanks in place, keeping every newline, so that libconfuse's line
 *	numbers (which it miscounts after comments) stay right.
 *
 *	conftext_duplicates() reports each repeated sendergroup or policy
 *	title, and each repeated rule inside one policy, with its line.
 *	libconfuse is then left to merge repeats, so one of them does not
 *	stop the parse and hide the problems after it. It expects text
 *	whose comments are already blanked.
 *--*/
#ifndef ESMTPGUARD_CONFTEXT_H
#define ESMTPGUARD_CONFTEXT_H

typedef void conftext_report_fn(void *arg, int line, const char *msg);

void	conftext_blank_comments(char *s);
void	conftext_duplicates(const char *text, conftext_report_fn *fn, void *arg);

#endif
