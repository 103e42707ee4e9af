/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The driver used when not built with libFuzzer: runs each file named on the command line (or every file
 * in a directory) through the target once. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "macro.h"
#include "paths.h"

static int run_file(const char *path) {
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r = read_file_full(path, 16 * 1024 * 1024, &data, &len);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(-r));
                return 1;
        }
        LLVMFuzzerTestOneInput((const uint8_t *) data, len);
        return 0;
}

int main(int argc, char *argv[]) {
        int failed = 0, n = 0;
        for (int i = 1; i < argc; i++) {
                DIR *d = opendir(argv[i]);
                if (!d) {
                        failed |= run_file(argv[i]);
                        n++;
                        continue;
                }
                struct dirent *de;
                while ((de = readdir(d)))
                        if (de->d_name[0] != '.') {
                                _cleanup_free_ char *p = path_join(argv[i], de->d_name);
                                failed |= run_file(p);
                                n++;
                        }
                closedir(d);
        }
        printf("%d input(s) run\n", n);
        return failed;
}
