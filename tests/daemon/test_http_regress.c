/*
 * Regression tests for daemon/http.c: inputs found by fuzz/fuzz_http.c that
 * broke a promise of http.h, embedded here so they can never come back.
 *
 *  1. An empty body was not NUL-terminated: the body buffer's first
 *     allocation happens in on_message_complete and nothing wrote the
 *     terminator (http.h promises "NUL-terminated copy"). Found by the
 *     fuzzer's check on the first input, "GET /healthz".
 *  2. The header budget (max_header) depended on how the bytes were split
 *     across reads: each call of the header-name callback counted 4 bytes of
 *     ": " and CRLF, and a name split across reads arrives in several calls,
 *     so a request just under the limit was refused with 431 when it came
 *     byte by byte and accepted when it came whole.
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

static const cfd_http_limits k_limits = {.max_header = 1024, .max_body = 4096};

static void test_empty_body_is_nul_terminated(void **state)
{
    (void)state;
    const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    cfd_http_in in;
    cfd_http_in_init(&in, &k_limits);
    size_t used;
    assert_int_equal(cfd_http_feed(&in, req, sizeof(req) - 1, &used), CFD_HTTP_REQUEST);
    assert_int_equal(in.req.body_len, 0);
    assert_non_null(in.req.body);
    assert_int_equal(in.req.body[0], '\0');
    cfd_http_in_free(&in);
}

/* A POST with an empty body after one with a body: still terminated. */
static void test_empty_body_after_body(void **state)
{
    (void)state;
    const char req[] = "POST /v1/classify HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
                       "POST /v1/classify HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
    cfd_http_in in;
    cfd_http_in_init(&in, &k_limits);
    size_t used, off = 0;
    assert_int_equal(cfd_http_feed(&in, req, sizeof(req) - 1, &used), CFD_HTTP_REQUEST);
    assert_int_equal(in.req.body_len, 3);
    assert_string_equal(in.req.body, "abc");
    off += used;
    assert_int_equal(cfd_http_feed(&in, req + off, sizeof(req) - 1 - off, &used),
                     CFD_HTTP_REQUEST);
    assert_int_equal(in.req.body_len, 0);
    assert_string_equal(in.req.body, "");
    cfd_http_in_free(&in);
}

/* Feeds req in pieces of `step` bytes (re-feeding what was not used, as
 * conn.c does); returns the result of the last call. */
static int feed_steps(cfd_http_in *in, const char *req, size_t len, size_t step)
{
    int r = CFD_HTTP_MORE;
    for (size_t pos = 0; pos < len;) {
        size_t n = len - pos < step ? len - pos : step, used = 0;
        r = cfd_http_feed(in, req + pos, n, &used);
        pos += used;
        if (r != CFD_HTTP_MORE)
            return r;
    }
    return r;
}

static void test_header_limit_does_not_depend_on_reads(void **state)
{
    (void)state;
    /* Request line + headers of 1000 bytes: under max_header (1024) however
     * they arrive. The long header names make the split matter. */
    char req[2048];
    int n = snprintf(req, sizeof(req), "GET /healthz HTTP/1.1\r\n");
    for (int i = 0; i < 6; i++)
        n += snprintf(req + n, sizeof(req) - (size_t)n,
                      "X-A-Rather-Long-Header-Name-Number-%d: v\r\n", i);
    int pad = 1000 - n - 2 - (int)strlen("X-Pad: \r\n");
    assert_true(pad > 0);
    n += snprintf(req + n, sizeof(req) - (size_t)n, "X-Pad: ");
    memset(req + n, 'p', (size_t)pad); /* not spaces: the parser skips leading blanks */
    n += pad;
    n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n\r\n");
    assert_int_equal(n, 1000);
    for (size_t step = 1; step <= (size_t)n; step = step < 8 ? step + 1 : step * 2) {
        cfd_http_in in;
        cfd_http_in_init(&in, &k_limits);
        int r = feed_steps(&in, req, (size_t)n, step);
        if (r != CFD_HTTP_REQUEST)
            fail_msg("pieces of %zu bytes: result %d (status %d), expected a request", step, r,
                     in.err_status);
        cfd_http_in_free(&in);
    }
    /* And a request over the limit is refused however it arrives. */
    char big[2048];
    int m = snprintf(big, sizeof(big), "GET /healthz HTTP/1.1\r\nX-Big: ");
    memset(big + m, 'b', 1100);
    m += 1100;
    m += snprintf(big + m, sizeof(big) - (size_t)m, "\r\n\r\n");
    for (size_t step = 1; step <= (size_t)m; step *= 3) {
        cfd_http_in in;
        cfd_http_in_init(&in, &k_limits);
        assert_int_equal(feed_steps(&in, big, (size_t)m, step), CFD_HTTP_ERROR);
        assert_int_equal(in.err_status, 431);
        cfd_http_in_free(&in);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_body_is_nul_terminated),
        cmocka_unit_test(test_empty_body_after_body),
        cmocka_unit_test(test_header_limit_does_not_depend_on_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
