/*
 * logcap.c - see logcap.h.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "logcap.h"
#include "unit.h"

#define LOGCAP_MAX	1024

static char *lines[LOGCAP_MAX];
static int nlines;

static void
hook(enum log_sev sev, const char *line, void *arg)
{
	(void) sev;
	(void) arg;
	ck_assert_int_lt(nlines, LOGCAP_MAX);
	ck_assert_ptr_nonnull(lines[nlines++] = strdup(line));
}

void
logcap_start(void)
{
	logcap_stop();
	log_set_hook(hook, NULL);
}

void
logcap_stop(void)
{
	log_set_hook(NULL, NULL);
	while (nlines > 0)
		free(lines[--nlines]);
}

int
logcap_find(const char *str)
{
	size_t	n = strlen(str), len;
	int	i;

	for (i = 0; i < nlines; i++) {
		len = strlen(lines[i]);
		if (len >= n && strcmp(lines[i] + len - n, str) == 0)
			return i;
	}
	return -1;
}

int
logcap_find_in(const char *str)
{
	int	i;

	for (i = 0; i < nlines; i++)
		if (strstr(lines[i], str) != NULL)
			return i;
	return -1;
}

const char *
logcap_line(int i)
{
	ck_assert_int_ge(i, 0);
	ck_assert_int_lt(i, nlines);
	return lines[i];
}

int
logcap_nlines(void)
{
	return nlines;
}

int
logcap_count(const char *str)
{
	int	i, n = 0;

	for (i = 0; i < nlines; i++)
		n += strstr(lines[i], str) != NULL;
	return n;
}
