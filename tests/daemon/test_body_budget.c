/*
 * Tests for daemon/body_budget.c: a loop's share of max_body_memory (never
 * less than max_body), reservations that fit up to the limit and no
 * further, refusals that reserve nothing and are counted, releases that
 * make room again, the unlimited (all-zero) budget, and the Prometheus
 * lines summed over loops.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <classifyd/error.h>

#include "body_budget.h"

static void test_share(void **state)
{
    (void)state;
    const size_t M = 1u << 20;
    assert_int_equal(cfd_body_budget_share(256 * M, 8, M), 32 * M);
    assert_int_equal(cfd_body_budget_share(256 * M, 1, M), 256 * M);
    /* a share below max_body is raised to it: one legal body always fits */
    assert_int_equal(cfd_body_budget_share(256 * M, 256, 2 * M), 2 * M);
    assert_int_equal(cfd_body_budget_share(3 * M, 2, M), 3 * M / 2);
    assert_int_equal(cfd_body_budget_share(128u << 10, 0, 64u << 10), 128u << 10);
}

static void test_reserve_release(void **state)
{
    (void)state;
    cfd_body_budget b;
    cfd_body_budget_init(&b, 100);
    assert_int_equal(cfd_body_budget_reserve(&b, 60), 0);
    assert_int_equal(cfd_body_budget_reserve(&b, 40), 0); /* exactly the limit fits */
    assert_int_equal(cfd_body_budget_used(&b), 100);
    assert_int_equal(cfd_body_budget_reserve(&b, 1), CFD_EBUSY);
    assert_int_equal(cfd_body_budget_reserve(&b, 0), 0); /* nothing always fits */
    assert_int_equal(cfd_body_budget_used(&b), 100);     /* a refusal reserves nothing */
    assert_int_equal(atomic_load(&b.refused), 1);
    cfd_body_budget_release(&b, 60);
    assert_int_equal(cfd_body_budget_used(&b), 40);
    assert_int_equal(cfd_body_budget_reserve(&b, 61), CFD_EBUSY);
    assert_int_equal(cfd_body_budget_reserve(&b, 60), 0);
    cfd_body_budget_release(&b, 60);
    cfd_body_budget_release(&b, 40);
    assert_int_equal(cfd_body_budget_used(&b), 0);
    assert_int_equal(atomic_load(&b.refused), 2);
    /* a request larger than the whole limit: refused, never wraps */
    assert_int_equal(cfd_body_budget_reserve(&b, (size_t)-1), CFD_EBUSY);
    assert_int_equal(cfd_body_budget_used(&b), 0);
}

static void test_unlimited(void **state)
{
    (void)state;
    cfd_body_budget b;
    memset(&b, 0, sizeof(b)); /* a worker built by hand in a test */
    assert_int_equal(cfd_body_budget_reserve(&b, 1u << 30), 0);
    assert_int_equal(cfd_body_budget_used(&b), 1u << 30);
    cfd_body_budget_release(&b, 1u << 30);
    assert_int_equal(cfd_body_budget_used(&b), 0);
    assert_int_equal(atomic_load(&b.refused), 0);
}

static void test_render(void **state)
{
    (void)state;
    cfd_body_budget a, b;
    cfd_body_budget_init(&a, 1000);
    cfd_body_budget_init(&b, 2000);
    assert_int_equal(cfd_body_budget_reserve(&a, 700), 0);
    assert_int_equal(cfd_body_budget_reserve(&a, 400), CFD_EBUSY);
    assert_int_equal(cfd_body_budget_reserve(&b, 5), 0);
    const cfd_body_budget *loops[] = {&a, &b};
    cfd_buf out = CFD_BUF_INIT;
    assert_int_equal(cfd_body_budget_render(loops, 2, &out), 0);
    assert_non_null(strstr(out.data, "\nclassifyd_body_memory_bytes 705\n"));
    assert_non_null(strstr(out.data, "\nclassifyd_body_memory_limit_bytes 3000\n"));
    assert_non_null(strstr(out.data, "\nclassifyd_body_memory_refused_total 1\n"));
    assert_non_null(strstr(out.data, "# TYPE classifyd_body_memory_refused_total counter\n"));
    cfd_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_share),
        cmocka_unit_test(test_reserve_release),
        cmocka_unit_test(test_unlimited),
        cmocka_unit_test(test_render),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
