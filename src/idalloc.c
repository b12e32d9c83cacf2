/*++
 * NAME
 *	idalloc 3
 * SUMMARY
 *	ICID and MID numbers that never repeat, across restarts and crashes
 * SYNOPSIS
 *	#include "idalloc.h"
 * DESCRIPTION
 *	See idalloc.h for the contract and the state file format.
 *
 *	The state directory is opened once and kept open: the files in it
 *	are reached with openat()/renameat(), and the same descriptor is
 *	fsync'ed to make a rename durable. If the directory is removed or
 *	replaced under a running daemon, the next reservation fails (and
 *	the session reports an internal error) instead of quietly starting
 *	a new count somewhere else.
 *
 *	idalloc_open() writes the state file back at once, unchanged. This
 *	creates it when it is missing and proves, before the daemon takes
 *	its first connection, that the directory is writable for the user
 *	the daemon runs as.
 *
 *	idalloc_stop() and idalloc_close() write the first unused number of
 *	each kind, so a clean restart continues without a gap. After a crash
 *	the reserved end is used instead: a gap, never a reuse. Once that is
 *	written, idalloc_next() must not hand out another number (it would be
 *	reused after the restart), so it fails from then on.
 *
 *	The mutex is held across the write and its fsync()s; that happens
 *	once per block of IDs, so other threads wait rarely.
 *--*/
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "idalloc.h"
#include "strbuf.h"

#define STATE_FILE	"ids"
#define STATE_TMP	"ids.tmp"
#define LOCK_FILE	"ids.lock"
#define STATE_MAX	4096	/* a valid file is a few dozen bytes */

static const char *const kind_name[IDALLOC_KINDS] = {
	[IDALLOC_ICID] = "icid",
	[IDALLOC_MID] = "mid",
};

struct idalloc {
	pthread_mutex_t mutex;
	char   *dir;
	int	dirfd;
	int	lockfd;
	unsigned block;
	uint64_t next[IDALLOC_KINDS];	/* next ID to hand out */
	uint64_t reserved[IDALLOC_KINDS];	/* first number not reserved */
	bool	stopped;		/* idalloc_stop(): hand out no more */
};

/* fail - format a reason into the caller's buffer; returns -1 */

static int
__attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		(void) vsnprintf(err, errlen, fmt, ap);	/* cut to fit: fine */
		va_end(ap);
	}
	return (-1);
}

/* parse_state - "icid N\nmid M\n" in any order, each kind exactly once */

static bool
parse_state(const char *s, size_t len, uint64_t next[IDALLOC_KINDS])
{
	const char *end = s + len;
	bool	seen[IDALLOC_KINDS] = {false};
	size_t	k, nlen;
	uint64_t v;
	int	digit;

	while (s < end) {
		for (k = 0; k < IDALLOC_KINDS; k++) {
			nlen = strlen(kind_name[k]);
			if ((size_t)(end - s) > nlen &&
			    memcmp(s, kind_name[k], nlen) == 0 && s[nlen] == ' ')
				break;
		}
		if (k == IDALLOC_KINDS || seen[k])
			return (false);
		s += strlen(kind_name[k]) + 1;

		/* decimal, no sign, no leading zero, at least 1 */
		if (s >= end || *s < '1' || *s > '9')
			return (false);
		for (v = 0; s < end && *s >= '0' && *s <= '9'; s++) {
			digit = *s - '0';
			if (v > (UINT64_MAX - (uint64_t)digit) / 10)
				return (false);
			v = v * 10 + (uint64_t)digit;
		}
		if (s >= end || *s++ != '\n')
			return (false);
		next[k] = v;
		seen[k] = true;
	}
	for (k = 0; k < IDALLOC_KINDS; k++)
		if (!seen[k])
			return (false);
	return (true);
}

/* read_state - load the state file; a missing file starts at 1 */

static int
read_state(struct idalloc *ida, char *err, size_t errlen)
{
	struct strbuf sb = {0};
	char	buf[512];
	ssize_t	n;
	int	fd, k;
	bool	ok;

	if ((fd = openat(ida->dirfd, STATE_FILE, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno != ENOENT)
			return (fail(err, errlen, "%s/%s: %s", ida->dir,
				     STATE_FILE, strerror(errno)));
		for (k = 0; k < IDALLOC_KINDS; k++)
			ida->next[k] = 1;
		return (0);
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fail(err, errlen, "%s/%s: %s", ida->dir, STATE_FILE,
			     strerror(errno));
			goto bad;
		}
		if (sb.len + (size_t)n > STATE_MAX) {
			fail(err, errlen, "%s/%s: malformed state file "
			     "(too long); refusing to restart numbering",
			     ida->dir, STATE_FILE);
			goto bad;
		}
		if (!strbuf_append(&sb, buf, (size_t)n)) {
			fail(err, errlen, "%s/%s: out of memory", ida->dir,
			     STATE_FILE);
			goto bad;
		}
	}
	close(fd);
	ok = parse_state(strbuf_str(&sb), sb.len, ida->next);
	strbuf_free(&sb);
	if (!ok)
		return (fail(err, errlen, "%s/%s: malformed state file "
			     "(want \"icid N\\nmid M\\n\"); refusing to "
			     "restart numbering", ida->dir, STATE_FILE));
	return (0);

bad:
	close(fd);
	strbuf_free(&sb);
	return (-1);
}

/* write_all - write(2) until done */

static bool
write_all(int fd, const char *p, size_t n)
{
	ssize_t	w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return (false);
		}
		p += w;
		n -= (size_t)w;
	}
	return (true);
}

/*
 * write_state - make "end" the durable content of the state file: a
 * temporary file, fsync, rename over, fsync of the directory. Either
 * the old or the new file survives a crash at any point.
 */
static int
write_state(struct idalloc *ida, const uint64_t end[IDALLOC_KINDS],
	    char *err, size_t errlen)
{
	char	text[IDALLOC_KINDS * (8 + 20 + 2)];
	size_t	len = 0;
	int	fd, k, saved;
	const char *what;

	for (k = 0; k < IDALLOC_KINDS; k++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"%s %" PRIu64 "\n", kind_name[k],
					end[k]);

	if ((fd = openat(ida->dirfd, STATE_TMP,
			 O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return (fail(err, errlen, "%s/%s: %s", ida->dir, STATE_TMP,
			     strerror(errno)));
	if (!write_all(fd, text, len)) {
		what = "write";
		goto bad;
	}
	if (fsync(fd) < 0) {
		what = "fsync";
		goto bad;
	}
	if (close(fd) < 0) {
		fd = -1;
		what = "close";
		goto bad;
	}
	fd = -1;
	if (renameat(ida->dirfd, STATE_TMP, ida->dirfd, STATE_FILE) < 0) {
		what = "rename to " STATE_FILE;
		goto bad;
	}
	if (fsync(ida->dirfd) < 0)
		return (fail(err, errlen, "%s: fsync: %s", ida->dir,
			     strerror(errno)));
	return (0);

bad:
	saved = errno;
	if (fd >= 0)
		close(fd);
	(void)unlinkat(ida->dirfd, STATE_TMP, 0);
	return (fail(err, errlen, "%s/%s: %s: %s", ida->dir, STATE_TMP, what,
		     strerror(saved)));
}

/* idalloc_open - lock the state directory and load the counters */

struct idalloc *
idalloc_open(const char *state_dir, unsigned block, char *err, size_t errlen)
{
	struct idalloc *ida;
	int	k;

	if (block == 0) {
		fail(err, errlen, "%s: ID block size must be positive",
		     state_dir);
		return (NULL);
	}
	if ((ida = calloc(1, sizeof(*ida))) == NULL ||
	    (ida->dir = strdup(state_dir)) == NULL) {
		free(ida);
		fail(err, errlen, "%s: out of memory", state_dir);
		return (NULL);
	}
	ida->dirfd = ida->lockfd = -1;
	ida->block = block;

	/* The daemon or the package creates it, with the right owner. */
	if ((ida->dirfd = open(state_dir, O_RDONLY | O_DIRECTORY |
			       O_CLOEXEC)) < 0) {
		fail(err, errlen, "state directory %s: %s", state_dir,
		     strerror(errno));
		goto bad;
	}
	if ((ida->lockfd = openat(ida->dirfd, LOCK_FILE,
				  O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		fail(err, errlen, "%s/%s: %s", state_dir, LOCK_FILE,
		     strerror(errno));
		goto bad;
	}
	if (flock(ida->lockfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			fail(err, errlen, "%s/%s: locked: another esmtpguard "
			     "uses this state directory", state_dir,
			     LOCK_FILE);
		else
			fail(err, errlen, "%s/%s: flock: %s", state_dir,
			     LOCK_FILE, strerror(errno));
		goto bad;
	}
	if (read_state(ida, err, errlen) < 0)
		goto bad;
	for (k = 0; k < IDALLOC_KINDS; k++)
		ida->reserved[k] = ida->next[k];
	if (write_state(ida, ida->reserved, err, errlen) < 0)
		goto bad;
	if ((errno = pthread_mutex_init(&ida->mutex, NULL)) != 0) {
		fail(err, errlen, "%s: mutex: %s", state_dir, strerror(errno));
		goto bad;
	}
	return (ida);

bad:
	if (ida->lockfd >= 0)
		close(ida->lockfd);
	if (ida->dirfd >= 0)
		close(ida->dirfd);
	free(ida->dir);
	free(ida);
	return (NULL);
}

/* idalloc_next - hand out the next ID of a kind, reserving if needed */

int
idalloc_next(struct idalloc *ida, enum idalloc_kind kind, uint64_t *id,
	     char *err, size_t errlen)
{
	uint64_t end[IDALLOC_KINDS];
	int	ret = 0;

	if ((unsigned)kind >= IDALLOC_KINDS)
		return (fail(err, errlen, "idalloc: bad ID kind %d",
			     (int)kind));
	pthread_mutex_lock(&ida->mutex);
	if (ida->stopped) {
		ret = fail(err, errlen, "%s/%s: stopping; no more %s numbers",
			   ida->dir, STATE_FILE, kind_name[kind]);
		goto out;
	}
	if (ida->next[kind] >= ida->reserved[kind]) {
		memcpy(end, ida->reserved, sizeof(end));
		if (ida->next[kind] > UINT64_MAX - ida->block) {
			ret = fail(err, errlen, "%s/%s: %s numbers exhausted",
				   ida->dir, STATE_FILE, kind_name[kind]);
			goto out;
		}
		end[kind] = ida->next[kind] + ida->block;
		if ((ret = write_state(ida, end, err, errlen)) < 0)
			goto out;
		ida->reserved[kind] = end[kind];
	}
	*id = ida->next[kind]++;

out:
	pthread_mutex_unlock(&ida->mutex);
	return (ret);
}

/* idalloc_stop - give back the unused part of the blocks, hand out no more */

void
idalloc_stop(struct idalloc *ida)
{
	char	err[1];

	if (ida == NULL)
		return;
	/*
	 * Every ID handed out is below next[], so recording next[] is as
	 * safe as the reservation and avoids a gap after a clean restart;
	 * a call that waited for the mutex fails instead of taking a number
	 * the file no longer reserves. On failure the reserved ends stay in
	 * the file: also safe.
	 */
	pthread_mutex_lock(&ida->mutex);
	if (!ida->stopped)
		(void)write_state(ida, ida->next, err, 0);
	ida->stopped = true;
	pthread_mutex_unlock(&ida->mutex);
}

/* idalloc_close - give back the unused part of the blocks, unlock */

void
idalloc_close(struct idalloc *ida)
{
	if (ida == NULL)
		return;

	idalloc_stop(ida);
	pthread_mutex_destroy(&ida->mutex);
	close(ida->lockfd);
	close(ida->dirfd);
	free(ida->dir);
	free(ida);
}
