/*
 * Tests for training/progress.c: with --progress on a non-terminal, one
 * line per tenth of the work and one at the end; without it, nothing; and
 * nothing ever on stdout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "progress.h"

/* Runs a 100-step phase with stderr redirected to a file; returns what was
 * written (malloc'd). */
static char *capture(int force)
{
    char path[] = "/tmp/cfd-test-progress-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    assert_int_equal(dup2(fd, 2), 2);
    cfd_progress pr;
    cfd_progress_init(&pr, force);
    cfd_progress_start(&pr, "working", 100);
    for (int i = 1; i <= 100; i++)
        cfd_progress_update(&pr, (uint64_t)i);
    cfd_progress_end(&pr);
    cfd_progress_note(&pr, "note %d", 7);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char *buf = calloc(1, 4096);
    assert_non_null(buf);
    assert_true(pread(fd, buf, 4095, 0) >= 0);
    close(fd);
    unlink(path);
    return buf;
}

static void test_forced_on_a_file(void **state)
{
    (void)state;
    char *out = capture(1);
    int lines = 0;
    for (char *p = out; *p; p++)
        lines += *p == '\n';
    /* tenths 1..9 (the 10th is the end line), the end line, the note */
    assert_int_equal(lines, 11);
    assert_non_null(strstr(out, "working 10/100 (10%)"));
    assert_non_null(strstr(out, "working 90/100 (90%)"));
    assert_non_null(strstr(out, "working 100/100 done in"));
    assert_non_null(strstr(out, "note 7\n"));
    assert_null(strchr(out, '\r')); /* no in-place redraw off a terminal */
    free(out);
}

static void test_off(void **state)
{
    (void)state;
    char *out = capture(0); /* stderr is a file, not a terminal */
    assert_string_equal(out, "");
    free(out);
    cfd_progress_update(NULL, 1); /* NULL is "no progress" */
    cfd_progress_start(NULL, "x", 1);
    cfd_progress_end(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forced_on_a_file),
        cmocka_unit_test(test_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
