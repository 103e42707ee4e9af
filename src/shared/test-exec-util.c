/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests find_executable(): PATH search, absolute and relative names, the caller's cwd, error codes. */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec-util.h"
#include "macro.h"
#include "tests.h"

static char tmpdir[] = "/tmp/test-exec-util-XXXXXX";
static char *bin, *bin2, *work, *sub;

static char *tmp_path(const char *rel) {
        char *p;
        if (asprintf(&p, "%s/%s", tmpdir, rel) < 0)
                abort();
        return p;
}

static void make_file(const char *rel, mode_t mode) {
        _cleanup_free_ char *p = tmp_path(rel);
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0) {
                fprintf(stderr, "open %s: %m\n", p);
                abort();
        }
        static const char script[] = "#!/bin/sh\nexit 0\n";
        if (write(fd, script, sizeof script - 1) != (ssize_t) sizeof script - 1)
                abort();
        close(fd);
        if (chmod(p, mode) < 0) /* not subject to the umask */
                abort();
}

static void make_dir(const char *rel) {
        _cleanup_free_ char *p = tmp_path(rel);
        if (mkdir(p, 0755) < 0)
                abort();
}

static void setup(void) {
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                exit(EXIT_FAILURE);
        }
        bin = tmp_path("bin");
        bin2 = tmp_path("bin2");
        work = tmp_path("work");
        sub = tmp_path("work/sub");

        make_dir("bin");
        make_dir("bin2");
        make_dir("work");
        make_dir("work/sub");
        make_dir("bin/adir");

        make_file("bin/tool", 0755);
        make_file("bin/noexec", 0644);
        make_file("bin/both", 0755);
        make_file("bin2/both", 0755);
        make_file("bin2/noexec", 0755); /* executable in the second directory */
        make_file("bin2/onlynoexec", 0644);
        make_file("work/x", 0755);
        make_file("work/sub/y", 0755);

        _cleanup_free_ char *fifo = tmp_path("bin/fifo"), *link = tmp_path("bin/link"),
                            *dangling = tmp_path("bin/dangling");
        if (mkfifo(fifo, 0755) < 0)
                abort();
        if (symlink("tool", link) < 0 || symlink("nowhere", dangling) < 0)
                abort();
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        return (flag == FTW_DP ? rmdir(p) : unlink(p)) < 0 ? -1 : 0;
}

static void teardown(void) {
        if (chdir("/") < 0 || nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0) {
                fprintf(stderr, "removing %s: %m\n", tmpdir);
                tests_failed++;
        }
        free(bin);
        free(bin2);
        free(work);
        free(sub);
}

/* Runs find_executable() and checks the result; on failure *ret must be left alone. */
static void check_find(const char *name, const char *path_env, const char *cwd, int expect_r, const char *expect,
                       int line) {
        char *p = (char *) "untouched";
        int r = find_executable(name, path_env, cwd, &p);

        if (r != expect_r) {
                fprintf(stderr, "%s:%d: find_executable(\"%s\", \"%s\", \"%s\") = %d, expected %d\n", __FILE__, line,
                        strempty(name), strempty(path_env), strempty(cwd), r, expect_r);
                tests_failed++;
        } else if (r < 0 && !streq(p, "untouched")) {
                fprintf(stderr, "%s:%d: failing find_executable() changed *ret\n", __FILE__, line);
                tests_failed++;
        } else if (r == 0 && expect && !streq(p, expect)) {
                fprintf(stderr, "%s:%d: find_executable(\"%s\") found \"%s\", expected \"%s\"\n", __FILE__, line,
                        name, p, expect);
                tests_failed++;
        }
        if (r == 0)
                free(p);
}
#define CHECK_FIND(name, path_env, cwd, expect_r, expect) \
        check_find((name), (path_env), (cwd), (expect_r), (expect), __LINE__)

/* Runs find_executable(), expects success, and checks that the result names the same file as expect. */
static void check_find_same(const char *name, const char *path_env, const char *cwd, const char *expect, int line) {
        char *p = NULL;
        struct stat a, b;
        int r = find_executable(name, path_env, cwd, &p);

        if (r != 0) {
                fprintf(stderr, "%s:%d: find_executable(\"%s\", \"%s\", \"%s\") = %d, expected 0\n", __FILE__, line,
                        name, strempty(path_env), strempty(cwd), r);
                tests_failed++;
                return;
        }
        if (stat(p, &a) < 0 || stat(expect, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
                fprintf(stderr, "%s:%d: find_executable(\"%s\") found \"%s\", expected the file \"%s\"\n", __FILE__,
                        line, name, p, expect);
                tests_failed++;
        }
        free(p);
}
#define CHECK_FIND_SAME(name, path_env, cwd, expect) check_find_same((name), (path_env), (cwd), (expect), __LINE__)

static void test_system_sh(void) {
        const char *expect = access("/usr/bin/sh", X_OK) == 0 ? "/usr/bin/sh" : "/bin/sh";

        CHECK_FIND("sh", "/usr/bin:/bin", NULL, 0, expect);
        CHECK_FIND("sh", "/usr/bin:/bin", "/", 0, expect);
        CHECK_FIND("sh", "/nonexistent-oly-dir:/usr/bin:/bin", NULL, 0, expect);
        /* Without a PATH, a default one that has sh in it. */
        CHECK_FIND_SAME("sh", NULL, NULL, "/bin/sh");
        /* A PATH without sh. */
        CHECK_FIND("sh", "/nonexistent-oly-dir", NULL, -ENOENT, NULL);
}

static void test_missing(void) {
        CHECK_FIND("no-such-program-oly-test", "/usr/bin:/bin", NULL, -ENOENT, NULL);
        CHECK_FIND("no-such-program-oly-test", bin, NULL, -ENOENT, NULL);
        CHECK_FIND("", "/usr/bin:/bin", NULL, -ENOENT, NULL);
        CHECK_FIND(NULL, "/usr/bin:/bin", NULL, -ENOENT, NULL);
        CHECK_FIND("dangling", bin, NULL, -ENOENT, NULL);
}

static void test_path_search(void) {
        _cleanup_free_ char *tool = tmp_path("bin/tool"), *both1 = tmp_path("bin/both"), *both2 = tmp_path("bin2/both"),
                            *noexec2 = tmp_path("bin2/noexec"), *path = NULL, *path_rev = NULL, *path_slash = NULL;

        CHECK(asprintf(&path, "%s:%s", bin, bin2) > 0);
        CHECK(asprintf(&path_rev, "%s:%s", bin2, bin) > 0);
        CHECK(asprintf(&path_slash, "/nonexistent-oly-dir:%s/", bin) > 0);

        CHECK_FIND("tool", bin, NULL, 0, tool);
        CHECK_FIND("tool", path, NULL, 0, tool);
        CHECK_FIND("tool", path_rev, NULL, 0, tool);
        CHECK_FIND("tool", path_slash, NULL, 0, tool);
        CHECK_FIND_SAME("link", bin, NULL, tool);

        /* The first directory that has it wins. */
        CHECK_FIND("both", path, NULL, 0, both1);
        CHECK_FIND("both", path_rev, NULL, 0, both2);

        /* A non-executable match does not stop the search: a later executable one is taken. */
        CHECK_FIND("noexec", path, NULL, 0, noexec2);
}

static void test_not_executable(void) {
        _cleanup_free_ char *path = NULL, *path3 = NULL;

        CHECK(asprintf(&path, "/nonexistent-oly-dir:%s:/usr/bin", bin) > 0);
        CHECK(asprintf(&path3, "%s:%s", bin2, bin) > 0);

        /* Found, but not executable: -EACCES, not -ENOENT. */
        CHECK_FIND("noexec", bin, NULL, -EACCES, NULL);
        CHECK_FIND("noexec", path, NULL, -EACCES, NULL);
        CHECK_FIND("onlynoexec", bin2, NULL, -EACCES, NULL);
        CHECK_FIND("onlynoexec", path3, NULL, -EACCES, NULL);
        /* Not a regular file. */
        CHECK_FIND("fifo", bin, NULL, -EACCES, NULL);
        /* A directory. */
        CHECK_FIND("adir", bin, NULL, -EISDIR, NULL);
        CHECK_FIND("adir", path, NULL, -EISDIR, NULL);
}

static void test_absolute(void) {
        _cleanup_free_ char *tool = tmp_path("bin/tool"), *noexec = tmp_path("bin/noexec"),
                            *missing = tmp_path("bin/missing"), *adir = tmp_path("bin/adir"),
                            *fifo = tmp_path("bin/fifo");

        CHECK_FIND(tool, "/usr/bin:/bin", NULL, 0, tool);
        /* An absolute name ignores PATH and cwd. */
        CHECK_FIND(tool, "", NULL, 0, tool);
        CHECK_FIND(tool, NULL, work, 0, tool);
        CHECK_FIND("/bin/sh", "/nonexistent-oly-dir", "/nonexistent-oly-dir", 0, "/bin/sh");

        CHECK_FIND(noexec, "/usr/bin:/bin", NULL, -EACCES, NULL);
        CHECK_FIND(fifo, NULL, NULL, -EACCES, NULL);
        CHECK_FIND(missing, bin, NULL, -ENOENT, NULL);
        CHECK_FIND(adir, NULL, NULL, -EISDIR, NULL);
        CHECK_FIND("/nonexistent-oly-dir/sh", "/usr/bin:/bin", NULL, -ENOENT, NULL);
}

static void test_relative(void) {
        _cleanup_free_ char *x = tmp_path("work/x"), *y = tmp_path("work/sub/y"), *tool = tmp_path("bin/tool");

        /* Relative names resolve against the given cwd, not the process's. */
        CHECK(chdir(bin) == 0);
        CHECK_FIND_SAME("./x", "/usr/bin:/bin", work, x);
        CHECK_FIND_SAME("x", work, NULL, x);
        CHECK_FIND_SAME("sub/y", "/usr/bin:/bin", work, y);
        CHECK_FIND_SAME("./sub/y", NULL, work, y);
        CHECK_FIND_SAME("../x", NULL, sub, x);
        CHECK_FIND("./x", "/usr/bin:/bin", bin, -ENOENT, NULL);

        CHECK(chdir(work) == 0);
        CHECK_FIND("./tool", NULL, work, -ENOENT, NULL);
        CHECK_FIND_SAME("./tool", NULL, bin, tool);
        /* Without a cwd, the process's own. */
        CHECK_FIND_SAME("./x", NULL, NULL, x);
        CHECK_FIND("./tool", NULL, NULL, -ENOENT, NULL);

        /* A name with a slash is never looked up on PATH. */
        CHECK_FIND("sub/y", work, bin, -ENOENT, NULL);
        CHECK_FIND("./tool", bin, work, -ENOENT, NULL);
        CHECK(chdir("/") == 0);
}

static void test_empty_path_element(void) {
        _cleanup_free_ char *x = tmp_path("work/x"), *y = tmp_path("work/sub/y"), *trailing = NULL, *leading = NULL,
                            *middle = NULL;

        /* An empty PATH element is the cwd: leading, trailing, in the middle, or the whole PATH. */
        CHECK(chdir(bin) == 0);
        CHECK_FIND_SAME("x", "/nonexistent-oly-dir:", work, x);
        CHECK_FIND_SAME("x", ":/nonexistent-oly-dir", work, x);
        CHECK_FIND_SAME("x", "/nonexistent-oly-dir::/usr/bin", work, x);
        CHECK_FIND_SAME("x", "", work, x);
        CHECK_FIND("x", "/nonexistent-oly-dir", work, -ENOENT, NULL);
        CHECK_FIND("x", "/nonexistent-oly-dir:", bin, -ENOENT, NULL);

        /* The empty element takes its place in the order. */
        CHECK(asprintf(&trailing, "%s:", sub) > 0);
        CHECK(asprintf(&leading, ":%s", sub) > 0);
        CHECK(asprintf(&middle, "/nonexistent-oly-dir::%s", sub) > 0);
        CHECK_FIND_SAME("y", trailing, work, y);
        CHECK_FIND_SAME("y", leading, work, y);
        CHECK_FIND_SAME("y", middle, work, y);

        /* Relative PATH elements are relative to the cwd too. */
        CHECK_FIND_SAME("y", "sub", work, y);
        CHECK_FIND_SAME("y", "./sub", work, y);

        /* Without a cwd argument, the process's cwd. */
        CHECK(chdir(work) == 0);
        CHECK_FIND_SAME("x", "/nonexistent-oly-dir:", NULL, x);
        CHECK_FIND_SAME("x", "", NULL, x);
        CHECK_FIND_SAME("y", "sub", NULL, y);
        CHECK(chdir("/") == 0);
}

int main(void) {
        setup();
        test_system_sh();
        test_missing();
        test_path_search();
        test_not_executable();
        test_absolute();
        test_relative();
        test_empty_path_element();
        teardown();
        TESTS_END();
}
