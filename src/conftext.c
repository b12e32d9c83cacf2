/*++
 * NAME
 *	conftext 3
 * SUMMARY
 *	passes over the raw configuration text before libconfuse parses it
 * DESCRIPTION
 *	See conftext.h. Both passes exist because of libconfuse 3.3: its
 *	lexer miscounts lines after comments, and it either merges a
 *	repeated section title silently or stops parsing at it.
 *--*/
#include <config.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conftext.h"

static void	say(conftext_report_fn *, void *, int, const char *,...)
		__attribute__((format(printf, 4, 5)));

/* say - format one finding for the caller; out of memory says so */

static void
say(conftext_report_fn *fn, void *arg, int line, const char *fmt,...)
{
	va_list	ap;
	char   *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	fn(arg, line, msg ? msg : "out of memory");
	free(msg);
}

/*
 * conftext_blank_comments - turn comments into blanks, keeping the newlines
 *
 * The lexer of libconfuse 3.3 counts the line of every comment more
 * than once, so every message below a comment would name the wrong
 * line. The comment forms and quoting are those of its lexer.l.
 */
void
conftext_blank_comments(char *s)
{
	char	quote = 0;

	for (; *s; s++) {
		if (quote) {
			if (*s == '\\' && s[1] != 0)
				s++;
			else if (*s == quote)
				quote = 0;
		} else if (*s == '"' || *s == '\'') {
			quote = *s;
		} else if (*s == '#' || (s[0] == '/' && s[1] == '/')) {
			for (; *s && *s != '\n'; s++)
				*s = ' ';
			if (*s == 0)
				break;
		} else if (s[0] == '/' && s[1] == '*') {
			for (; *s && !(s[0] == '*' && s[1] == '/'); s++)
				if (*s != '\n')
					*s = ' ';
			if (*s == 0)
				break;
			s[0] = s[1] = ' ';
			s++;
		}
	}
}

/*
 * The text is parsed with "\n}\n" appended. libconfuse takes the end of
 * the file as the end of every open section, so a truncated file would
 * load; the extra brace closes a section left open, and is otherwise an
 * error on a line of its own, which is the expected outcome.
 */
/*
 * conftext_duplicates - report every repeated sendergroup, policy, or rule
 * within a policy.
 *
 * libconfuse either merges a repeated title into the first section
 * silently, or (CFGF_NO_TITLE_DUPES) stops parsing at it, which would
 * hide every later problem from -n. So titles are left to merge, and
 * this scan of the text (comments already blanked) reports the repeats
 * with their lines; a file with a repeat never becomes a snapshot.
 */

struct title_seen {
	const char *kind;	/* "sendergroup", "policy", "rule" */
	char   *title;		/* rules: "POLICY RULE" */
};

/* title_kind - the kind of section a '{' opens after tokens a b, or NULL */

static const char *
title_kind(const char *a, int depth, bool in_policy)
{
	if (a == NULL)
		return NULL;
	if (depth == 0 && strcmp(a, "sendergroup") == 0)
		return "sendergroup";
	if (depth == 0 && strcmp(a, "policy") == 0)
		return "policy";
	if (depth == 1 && in_policy && strcmp(a, "match") == 0)
		return "rule";
	return NULL;
}

void
conftext_duplicates(const char *text, conftext_report_fn *fn, void *arg)
{
	struct title_seen *seen = NULL, *ts;
	size_t	nseen = 0, i;
	char   *tok[2] = {NULL, NULL};	/* the last two tokens */
	char   *policy = NULL;		/* title of the open top-level policy */
	char   *key;
	const char *p = text, *start, *kind;
	int	depth = 0, line = 1;

	while (*p != 0) {
		if (*p == '\n' || *p == ' ' || *p == '\t' || *p == '\r') {
			line += *p++ == '\n';
			continue;
		}
		if (strchr("{}=,", *p) == NULL) {
			start = p;
			if (*p == '"') {
				for (p++; *p != 0 && *p != '"'; p++)
					if (*p == '\\' && p[1] != 0)
						p++;
				start++;
			} else {
				while (*p != 0 && strchr(" \t\r\n{}=,\"", *p) == NULL)
					p++;
			}
			free(tok[0]);
			tok[0] = tok[1];
			tok[1] = strndup(start, (size_t) (p - start));
			if (*p == '"')
				p++;
			continue;
		}
		kind = *p == '{' && tok[1] != NULL
		    ? title_kind(tok[0], depth, policy != NULL) : NULL;
		if (kind != NULL && depth == 0) {
			free(policy);
			policy = strcmp(kind, "policy") == 0 ? strdup(tok[1]) : NULL;
		}
		key = NULL;
		if (kind != NULL && depth == 1 && policy != NULL
		    && asprintf(&key, "%s %s", policy, tok[1]) < 0)
			key = NULL;
		else if (kind != NULL && depth == 0)
			key = strdup(tok[1]);
		if (key != NULL) {
			for (i = 0; i < nseen; i++)
				if (seen[i].kind == kind
				    && strcmp(seen[i].title, key) == 0)
					break;
			if (i < nseen && depth == 1)
				say(fn, arg, line, "duplicate rule '%s' in "
				    "policy %s", tok[1], policy);
			else if (i < nseen)
				say(fn, arg, line, "duplicate %s '%s'", kind,
				    tok[1]);
			if (i == nseen && (ts = realloc(seen, (nseen + 1)
						       * sizeof(*seen))) != NULL) {
				seen = ts;
				seen[nseen].kind = kind;
				seen[nseen++].title = key;
			} else
				free(key);
		}
		if (*p == '{')
			depth++;
		else if (*p == '}' && depth > 0 && --depth == 0) {
			free(policy);
			policy = NULL;
		}
		free(tok[0]);
		free(tok[1]);
		tok[0] = tok[1] = NULL;
		p++;
	}
	free(tok[0]);
	free(tok[1]);
	free(policy);
	for (i = 0; i < nseen; i++)
		free(seen[i].title);
	free(seen);
}
