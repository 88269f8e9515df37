/*
 * Tests for training/workers.c: tasks run in worker processes write their
 * results through shared memory, inline and forked runs agree, and a failing
 * or crashing worker is reported with its task number and message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "workers.h"

typedef struct ctx {
    uint64_t *out; /* shared */
    unsigned fail_from; /* tasks >= this fail */
    int crash;          /* failing tasks raise SIGKILL instead */
} ctx;

static int task(void *p, unsigned t, cfd_error *err)
{
    ctx *c = p;
    if (t >= c->fail_from) {
        if (c->crash)
            raise(SIGKILL);
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1, "task %u refuses", t);
    }
    uint64_t v = 1469598103934665603ull ^ t;
    for (int i = 0; i < 1000; i++)
        v = v * 1099511628211ull + (uint64_t)i;
    c->out[t] = v;
    return 0;
}

static void test_results_through_shared_memory(void **state)
{
    (void)state;
    enum { N = 9 };
    uint64_t *a = cfd_shared_alloc(N * sizeof(uint64_t));
    uint64_t *b = cfd_shared_alloc(N * sizeof(uint64_t));
    assert_non_null(a);
    assert_non_null(b);
    for (int i = 0; i < N; i++)
        assert_true(a[i] == 0); /* zeroed */
    cfd_error err;
    ctx c1 = {a, N, 0}, c2 = {b, N, 0};
    assert_int_equal(cfd_run_tasks(N, 1, task, &c1, "task", NULL, &err), 0);
    assert_int_equal(cfd_run_tasks(N, 4, task, &c2, "task", NULL, &err), 0);
    assert_memory_equal(a, b, N * sizeof(uint64_t));
    for (int i = 0; i < N; i++)
        assert_true(a[i] != 0);
    cfd_shared_free(a, N * sizeof(uint64_t));
    cfd_shared_free(b, N * sizeof(uint64_t));
}

/* A process started with SIGCHLD ignored (some supervisors exec that
 * way): the kernel would reap the workers and waitpid fail with ECHILD.
 * The run still works, and the caller's disposition is put back. */
static void test_sigchld_ignored(void **state)
{
    (void)state;
    enum { N = 6 };
    uint64_t *a = cfd_shared_alloc(N * sizeof(uint64_t));
    assert_non_null(a);
    struct sigaction ign = {.sa_handler = SIG_IGN}, old, now;
    sigemptyset(&ign.sa_mask);
    assert_int_equal(sigaction(SIGCHLD, &ign, &old), 0);
    cfd_error err;
    ctx c = {a, N, 0};
    assert_int_equal(cfd_run_tasks(N, 3, task, &c, "task", NULL, &err), 0);
    for (int i = 0; i < N; i++)
        assert_true(a[i] != 0);
    assert_int_equal(sigaction(SIGCHLD, &old, &now), 0);
    assert_true(now.sa_handler == SIG_IGN); /* restored as the caller had it */
    cfd_shared_free(a, N * sizeof(uint64_t));
}

static void test_failure_reported(void **state)
{
    (void)state;
    uint64_t *out = cfd_shared_alloc(8 * sizeof(uint64_t));
    cfd_error err;
    for (unsigned jobs = 1; jobs <= 3; jobs += 2) {
        ctx c = {out, 5, 0};
        cfd_error_clear(&err);
        assert_int_equal(cfd_run_tasks(8, jobs, task, &c, "task", NULL, &err), CFD_EINVAL);
        /* the lowest failing task, with its own message */
        assert_string_equal(err.msg, "task 6/8: task 5 refuses");
    }
    ctx c = {out, 2, 1};
    assert_int_equal(cfd_run_tasks(4, 2, task, &c, "fold", NULL, &err), CFD_EIO);
    assert_non_null(strstr(err.msg, "fold 3/4: worker process killed by signal 9"));
    cfd_shared_free(out, 8 * sizeof(uint64_t));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_results_through_shared_memory),
        cmocka_unit_test(test_sigchld_ignored),
        cmocka_unit_test(test_failure_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
