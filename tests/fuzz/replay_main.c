/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Replays fuzz inputs without libFuzzer: feeds each file named on the command line (or each file of each
 * directory named) to the target's LLVMFuzzerTestOneInput, so any compiler's build runs the seed corpus and the
 * regression inputs as plain tests. A failed check in the target traps: the test fails with a signal.
 * Usage: fuzz_<target>_replay FILE|DIR...
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return 1;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    if (buf == NULL)
        return 1;
    for (;;) {
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (n < cap)
            break;
        uint8_t *nb = realloc(buf, cap *= 2);
        if (nb == NULL)
            return 1;
        buf = nb;
    }
    fclose(f);
    /* an exact-size copy, so ASan sees a read past the input's end */
    uint8_t *in = malloc(n ? n : 1);
    if (in == NULL)
        return 1;
    memcpy(in, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(in, n);
    free(in);
    printf("replayed %s (%zu bytes)\n", path, n);
    return 0;
}

int main(int argc, char **argv)
{
    int bad = 0, files = 0;
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0) {
            perror(argv[i]);
            return 1;
        }
        if (!S_ISDIR(sb.st_mode)) {
            bad |= replay_file(argv[i]);
            files++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        if (d == NULL)
            return 1;
        for (struct dirent *e; (e = readdir(d)) != NULL;) {
            if (e->d_name[0] == '.')
                continue;
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
            bad |= replay_file(p);
            files++;
        }
        closedir(d);
    }
    printf("%d inputs replayed\n", files);
    return bad || files == 0;
}
