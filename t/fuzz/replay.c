/*++
 * NAME
 *	replay 1t
 * SUMMARY
 *	run a fuzz target over files, without libFuzzer
 * SYNOPSIS
 *	replay_NAME FILE|DIR...
 * DESCRIPTION
 *	The main() that libFuzzer would provide, for "make check": each
 *	file (each file of a directory, in name order) is read and given
 *	once to LLVMFuzzerTestOneInput(). A target reports a failed check
 *	by aborting, so a seed or a past crash that fails again fails the
 *	test, also when the sanitizers of --enable-sanitizers are not
 *	there to see it; the ASan build of t/run-all.sh sees the rest.
 *	Prints "ok N - FILE" per file (TAP, without the plan: the script
 *	running it counts).
 *--*/
#include <config.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int n;

static void
run_file(const char *path)
{
	FILE   *fp;
	uint8_t *buf;
	long	size;

	if ((fp = fopen(path, "rb")) == NULL || fseek(fp, 0, SEEK_END) != 0
	    || (size = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
		perror(path);
		exit(1);
	}
	/* exactly size bytes: a read past the input is an ASan report */
	if ((buf = malloc((size_t) size ? (size_t) size : 1)) == NULL
	    || fread(buf, 1, (size_t) size, fp) != (size_t) size) {
		perror(path);
		exit(1);
	}
	(void) fclose(fp);		/* read only */
	(void) LLVMFuzzerTestOneInput(buf, (size_t) size);
	free(buf);
	printf("ok %d - %s\n", ++n, path);
	(void) fflush(stdout);	/* a line lost is a count short: it fails */
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int
main(int argc, char **argv)
{
	struct dirent **ents;
	struct stat st;
	char	path[4096];
	int	i, j, k;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			run_file(argv[i]);
			continue;
		}
		if ((k = scandir(argv[i], &ents, NULL, by_name)) < 0) {
			perror(argv[i]);
			return 1;
		}
		for (j = 0; j < k; j++) {
			if (ents[j]->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", argv[i], ents[j]->d_name);
				run_file(path);
			}
			free(ents[j]);
		}
		free(ents);
	}
	return 0;
}
