/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Runs a fuzz target's function on each file of a corpus, without libFuzzer,
 * so that make check replays the seed corpus in every build.
 *   replay-TARGET DIR
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Reads every input before running any: a target may drop privileges on its
 * first call (fuzz_dispatch.c does).
 */
int
main(int argc, char **argv)
{
	struct dirent *de;
	char path[4096];
	uint8_t *data[4096];
	size_t len[4096];
	int n = 0, i;
	DIR *d;

	if (argc != 2 || (d = opendir(argv[1])) == NULL) {
		fprintf(stderr, "usage: replay CORPUS-DIR\n");
		return 2;
	}
	while ((de = readdir(d)) != NULL && n < 4096) {
		FILE *f;
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[1], de->d_name);
		if ((f = fopen(path, "rb")) == NULL || (data[n] = malloc(1 << 20)) == NULL)
			return 1;
		len[n] = fread(data[n], 1, 1 << 20, f);
		fclose(f);
		n++;
	}
	closedir(d);
	for (i = 0; i < n; i++) {
		LLVMFuzzerTestOneInput(data[i], len[i]);
		free(data[i]);
	}
	printf("replayed %d inputs from %s\n", n, argv[1]);
	return n > 0 ? 0 : 1;
}
