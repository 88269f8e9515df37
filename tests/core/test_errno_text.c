/*
 * Tests for core/errno_text.c: the text of an errno value is strerror's,
 * written into the caller's buffer (so threads do not share one), cut to
 * the buffer, and never NULL or empty; unknown numbers get a text too.
 * Each thread's text stays its own while others write theirs.
 */
#define _GNU_SOURCE /* strerrordesc_np */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "errno_text.h"

static void test_known(void **state)
{
    (void)state;
    char buf[CFD_ERRNO_TEXT_MAX];
    assert_string_equal(cfd_errno_text(ENOENT, buf, sizeof buf), strerrordesc_np(ENOENT));
    assert_string_equal(cfd_errno_str(EACCES), strerrordesc_np(EACCES));
}

static void test_unknown_and_small(void **state)
{
    (void)state;
    char buf[CFD_ERRNO_TEXT_MAX];
    const char *s = cfd_errno_text(123456, buf, sizeof buf);
    assert_non_null(s);
    assert_non_null(strstr(s, "123456"));
    char tiny[4];
    s = cfd_errno_text(123456, tiny, sizeof tiny);
    assert_non_null(s);
    assert_true(strlen(s) < sizeof tiny || s != tiny);
    assert_string_equal(cfd_errno_text(ENOENT, NULL, 0), "unknown error");
}

/* Unknown numbers are the case strerror formats into a buffer of its own. */
typedef struct {
    int e;
    int ok;
} job;

static void *run(void *arg)
{
    job *j = arg;
    char want[32], buf[CFD_ERRNO_TEXT_MAX];
    snprintf(want, sizeof want, "%d", j->e);
    j->ok = 1;
    for (int i = 0; i < 20000; i++) {
        const char *s = cfd_errno_text(j->e, buf, sizeof buf);
        if (strstr(s, want) == NULL)
            j->ok = 0;
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    pthread_t t[4];
    job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i].e = 100000 + i * 11111;
        assert_int_equal(pthread_create(&t[i], NULL, run, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_true(jobs[i].ok);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known),
        cmocka_unit_test(test_unknown_and_small),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
