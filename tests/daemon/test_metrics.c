/*
 * Tests for daemon/metrics.c: counting into the right endpoint, status and
 * histogram bucket, summing over loops, and the Prometheus text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "metrics.h"

/* The value of the sample line that starts with `prefix` (-1 if absent). */
static double sample(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, prefix, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    return -1;
}

static void test_counts_and_sum_over_loops(void **state)
{
    (void)state;
    static cfd_metrics a, b;
    cfd_metrics_init(&a);
    cfd_metrics_init(&b);
    cfd_metrics_request(&a, CFD_EP_CLASSIFY, 200, 40000);     /* 40 us */
    cfd_metrics_request(&a, CFD_EP_CLASSIFY, 200, 120000);    /* 120 us */
    cfd_metrics_request(&b, CFD_EP_CLASSIFY, 200, 3000000);   /* 3 ms */
    cfd_metrics_request(&b, CFD_EP_CLASSIFY, 400, 10000);
    cfd_metrics_request(&b, CFD_EP_OTHER, 404, 10000);
    cfd_metrics_request(&b, CFD_EP_HEALTHZ, 418, 10000);      /* unusual: "other" */
    /* the admin endpoints' own statuses have their own series */
    cfd_metrics_request(&b, CFD_EP_OTHER, 409, 10000);
    cfd_metrics_request(&b, CFD_EP_OTHER, 422, 10000);
    cfd_metrics_request(&a, 99, 200, 5000000000ull);          /* bad endpoint, 5 s */
    cfd_metrics_gauge_add(&a.open_connections, 3);
    cfd_metrics_gauge_add(&b.open_connections, 2);
    cfd_metrics_gauge_add(&b.open_connections, -1);
    cfd_metrics_add(&a.connections_total, 7);

    cfd_metrics *loops[] = {&a, &b};
    cfd_buf out = CFD_BUF_INIT;
    assert_int_equal(cfd_metrics_render(loops, 2, &out), 0);
    const char *t = out.data;
    assert_true(sample(t, "classifyd_requests_total{endpoint=\"classify\",status=\"200\"}") == 3);
    assert_true(sample(t, "classifyd_requests_total{endpoint=\"classify\",status=\"400\"}") == 1);
    assert_true(sample(t, "classifyd_requests_total{endpoint=\"other\",status=\"404\"}") == 1);
    assert_true(sample(t, "classifyd_requests_total{endpoint=\"other\",status=\"200\"}") == 1);
    assert_true(sample(t, "classifyd_requests_total{endpoint=\"healthz\",status=\"other\"}") == 1);
    assert_true(sample(t, "classifyd_requests_total{endpoint=\"other\",status=\"409\"}") == 1);
    assert_true(sample(t, "classifyd_requests_total{endpoint=\"other\",status=\"422\"}") == 1);
    assert_true(sample(t, "classifyd_requests_total{endpoint=\"other\",status=\"other\"}") == -1);
    /* zero counters are not printed */
    assert_null(strstr(t, "endpoint=\"metrics\""));
    /* histogram: cumulative */
    assert_true(sample(t, "classifyd_request_duration_seconds_bucket{le=\"5e-05\"}") == 6);
    assert_true(sample(t, "classifyd_request_duration_seconds_bucket{le=\"0.00025\"}") == 7);
    assert_true(sample(t, "classifyd_request_duration_seconds_bucket{le=\"0.005\"}") == 8);
    assert_true(sample(t, "classifyd_request_duration_seconds_bucket{le=\"2.5\"}") == 8);
    assert_true(sample(t, "classifyd_request_duration_seconds_bucket{le=\"+Inf\"}") == 9);
    assert_true(sample(t, "classifyd_request_duration_seconds_count") == 9);
    double sum = sample(t, "classifyd_request_duration_seconds_sum");
    assert_true(sum > 5.0031 && sum < 5.0034);
    assert_true(sample(t, "classifyd_open_connections") == 4);
    assert_true(sample(t, "classifyd_loop_open_connections{loop=\"1\"}") == 1);
    assert_true(sample(t, "classifyd_loop_requests_total{loop=\"0\"}") == 3);
    assert_true(sample(t, "classifyd_loop_requests_total{loop=\"1\"}") == 6);
    assert_true(sample(t, "classifyd_connections_total") == 7);
    assert_true(sample(t, "classifyd_resident_memory_bytes") > 0);
    /* every family has HELP and TYPE */
    assert_non_null(strstr(t, "# TYPE classifyd_requests_total counter\n"));
    assert_non_null(strstr(t, "# TYPE classifyd_request_duration_seconds histogram\n"));
    assert_non_null(strstr(t, "# TYPE classifyd_open_connections gauge\n"));
    cfd_buf_free(&out);
}

static void test_rss(void **state)
{
    (void)state;
    uint64_t before, after;
    assert_int_equal(cfd_metrics_rss(&before), 0);
    size_t n = 32u << 20;
    char *p = malloc(n);
    assert_non_null(p);
    memset(p, 1, n);
    assert_int_equal(cfd_metrics_rss(&after), 0);
    assert_true(after >= before + n / 2);
    free(p);
}

/* Every final status the daemon can answer (the statuses http.c has a reason
 * phrase for) is a series of its own, not "other": a 501 (Transfer-Encoding
 * other than chunked) was counted as status="other", while a 502 the daemon
 * never answers had a series. */
static void test_every_answered_status_has_its_series(void **state)
{
    (void)state;
    for (int status = 200; status < 600; status++) {
        if (strcmp(cfd_http_status_text(status), "Unknown") == 0)
            continue;
        static cfd_metrics m;
        cfd_metrics_init(&m);
        cfd_metrics_request(&m, CFD_EP_CLASSIFY, status, 1000);
        cfd_metrics *loops[] = {&m};
        cfd_buf out = CFD_BUF_INIT;
        assert_int_equal(cfd_metrics_render(loops, 1, &out), 0);
        char prefix[96];
        snprintf(prefix, sizeof(prefix),
                 "classifyd_requests_total{endpoint=\"classify\",status=\"%d\"}", status);
        if (sample(out.data, prefix) != 1)
            fail_msg("status %d is not counted under its own label", status);
        cfd_buf_free(&out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_and_sum_over_loops),
        cmocka_unit_test(test_every_answered_status_has_its_series),
        cmocka_unit_test(test_rss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
