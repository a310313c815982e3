/* fuzz-replay.c - a main() for libFuzzer targets built without libFuzzer:
 * runs LLVMFuzzerTestOneInput() once on each file named on the command line,
 * and on each regular file inside a directory named there (not recursive),
 * so the test suite replays the fuzz corpora under gcc and the sanitizers.
 * Calls LLVMFuzzerInitialize() first when the target defines it.
 * Exit 0 when every input ran, 1 if an input could not be read; a target
 * that finds a bug aborts by itself. Never changes the files it reads.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Inputs larger than this are refused, as libFuzzer's -max_len would. */
#define REPLAY_INPUT_MAX (64 * 1024 * 1024)

static int replay_file(const char *path, size_t *count)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "fuzz-replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t cap = 4096, len = 0;
	unsigned char *data = malloc(cap);
	for (;;) {
		if (data == NULL) {
			fprintf(stderr, "fuzz-replay: out of memory\n");
			fclose(f);
			return -1;
		}
		len += fread(data + len, 1, cap - len, f);
		if (len < cap)
			break;
		if (cap >= REPLAY_INPUT_MAX) {
			fprintf(stderr, "fuzz-replay: %s: larger than %d bytes\n", path,
				REPLAY_INPUT_MAX);
			free(data);
			fclose(f);
			return -1;
		}
		cap *= 2;
		unsigned char *bigger = realloc(data, cap);
		if (bigger == NULL)
			free(data);
		data = bigger;
	}
	int failed = ferror(f);
	fclose(f);
	if (failed) {
		fprintf(stderr, "fuzz-replay: %s: read error\n", path);
		free(data);
		return -1;
	}
	/* an exact-size copy, so reads past the input trip the sanitizers */
	unsigned char *exact = malloc(len == 0 ? 1 : len);
	if (exact == NULL) {
		free(data);
		return -1;
	}
	memcpy(exact, data, len);
	free(data);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	(*count)++;
	return 0;
}

static int replay_dir(const char *path, size_t *count)
{
	DIR *dir = opendir(path);
	if (dir == NULL) {
		fprintf(stderr, "fuzz-replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	int ret = 0;
	struct dirent *de;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		size_t n = strlen(path) + strlen(de->d_name) + 2;
		char *full = malloc(n);
		if (full == NULL) {
			ret = -1;
			break;
		}
		snprintf(full, n, "%s/%s", path, de->d_name);
		struct stat st;
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && replay_file(full, count) < 0)
			ret = -1;
		free(full);
	}
	closedir(dir);
	return ret;
}

int main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	size_t count = 0;
	int ret = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "fuzz-replay: %s: %s\n", argv[i], strerror(errno));
			ret = -1;
		} else if (S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i], &count) < 0)
				ret = -1;
		} else if (replay_file(argv[i], &count) < 0) {
			ret = -1;
		}
	}
	printf("fuzz-replay: %zu inputs replayed\n", count);
	return ret < 0 ? 1 : 0;
}
