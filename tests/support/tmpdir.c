/*
 * Scratch directories for unit tests (see tmpdir.h).
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "tmpdir.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

int cfd_test_tmpdir(char *dir, size_t cap, const char *tag)
{
    int n = snprintf(dir, cap, "/tmp/cfd-test-%s-XXXXXX", tag);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int cfd__rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return (type == FTW_DP ? rmdir(path) : unlink(path)) == 0 ? 0 : -1;
}

int cfd_test_rmtree(const char *dir)
{
    return nftw(dir, cfd__rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

const char *cfd_test_write(const char *dir, const char *name, const void *bytes, size_t len)
{
    static char path[512];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < sizeof path);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

const char *cfd_test_write_str(const char *dir, const char *name, const char *text)
{
    return cfd_test_write(dir, name, text, strlen(text));
}
