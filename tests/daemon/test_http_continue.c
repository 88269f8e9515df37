/*
 * Tests for daemon/http.c's handling of "Expect: 100-continue" (RFC 9110
 * 10.1.1): 100 Continue is asked for once the headers pass, and only once;
 * not for HTTP/1.0; not when the body is refused from the headers (413),
 * nor when the daemon's precheck (handlers.c) refuses the request at once
 * (a POST /v1/classify with a Content-Type it does not take: 415 before the
 * body). The other request parsing is tested in test_http.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "http.h"

static const cfd_http_limits k_limits = {.max_header = 1024, .max_body = 4096};

/* "Expect: 100-continue": asked for once the headers pass, and only once. */
static void test_expect_continue(void **state)
{
    (void)state;
    const char head[] = "POST /v1/classify HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
                        "Expect: 100-continue\r\n\r\n";
    cfd_http_in in;
    size_t used;
    cfd_http_in_init(&in, &k_limits);
    assert_int_equal(cfd_http_feed(&in, head, 30, &used), CFD_HTTP_MORE);
    assert_int_equal(cfd_http_want_continue(&in), 0);
    assert_int_equal(cfd_http_feed(&in, head + 30, sizeof(head) - 1 - 30, &used), CFD_HTTP_MORE);
    assert_int_equal(cfd_http_want_continue(&in), 1);
    assert_int_equal(cfd_http_want_continue(&in), 0);
    assert_int_equal(cfd_http_feed(&in, "body", 4, &used), CFD_HTTP_REQUEST);
    cfd_http_in_free(&in);

    /* White space around the value is not part of it. */
    const char spaced[] = "POST /v1/classify HTTP/1.1\r\nContent-Length: 4\r\n"
                          "Expect:  100-Continue \t\r\n\r\n";
    cfd_http_in_init(&in, &k_limits);
    assert_int_equal(cfd_http_feed(&in, spaced, sizeof(spaced) - 1, &used), CFD_HTTP_MORE);
    assert_int_equal(cfd_http_want_continue(&in), 1);
    assert_int_equal(cfd_http_feed(&in, "body", 4, &used), CFD_HTTP_REQUEST);
    cfd_http_in_free(&in);

    /* Not when the body is refused: the client gets the 413 instead. */
    const char big[] = "POST / HTTP/1.1\r\nContent-Length: 99999\r\nExpect: 100-continue\r\n\r\n";
    cfd_http_in_init(&in, &k_limits);
    assert_int_equal(cfd_http_feed(&in, big, sizeof(big) - 1, &used), CFD_HTTP_ERROR);
    assert_int_equal(cfd_http_want_continue(&in), 0);
    cfd_http_in_free(&in);
}

/* RFC 9110 10.1.1: a request that waits for 100 Continue and would be
 * refused anyway (POST /v1/classify with a Content-Type it does not take)
 * gets its 415 at once, before the body; the other requests get their 100
 * as before, and without Expect the 415 comes after the body (handlers.c). */
static void test_expect_continue_refused_early(void **state)
{
    (void)state;
    const cfd_http_limits limits = {.max_header = 1024, .max_body = 4096,
                                    .precheck = cfd_classify_precheck};
    cfd_http_in in;
    size_t used;
    const char form[] = "POST /v1/classify?x=1 HTTP/1.1\r\nContent-Length: 4\r\n"
                        "Content-Type: application/x-www-form-urlencoded\r\n"
                        "Expect: 100-continue\r\n\r\n";
    cfd_http_in_init(&in, &limits);
    assert_int_equal(cfd_http_feed(&in, form, sizeof(form) - 1, &used), CFD_HTTP_ERROR);
    assert_int_equal(in.err_status, 415);
    assert_string_equal(in.err_code, "unsupported_media_type");
    assert_non_null(strstr(in.err_msg, "application/x-www-form-urlencoded is not accepted"));
    assert_non_null(strstr(in.err_msg, "curl -d"));
    assert_int_equal(cfd_http_want_continue(&in), 0);
    cfd_http_in_free(&in);

    /* accepted types, other paths and methods: 100 Continue as before */
    static const char *const fine[] = {
        "POST /v1/classify HTTP/1.1\r\nContent-Length: 4\r\nContent-Type: application/json\r\n"
        "Expect: 100-continue\r\n\r\n",
        "POST /v1/classify HTTP/1.1\r\nContent-Length: 4\r\n"
        "Expect: 100-continue\r\n\r\n",
        "POST /v1/reload HTTP/1.1\r\nContent-Length: 4\r\nContent-Type: text/html\r\n"
        "Expect: 100-continue\r\n\r\n",
        "PUT /v1/classify HTTP/1.1\r\nContent-Length: 4\r\nContent-Type: text/html\r\n"
        "Expect: 100-continue\r\n\r\n",
    };
    for (size_t k = 0; k < sizeof fine / sizeof fine[0]; k++) {
        cfd_http_in_init(&in, &limits);
        assert_int_equal(cfd_http_feed(&in, fine[k], strlen(fine[k]), &used), CFD_HTTP_MORE);
        assert_int_equal(cfd_http_want_continue(&in), 1);
        assert_int_equal(cfd_http_feed(&in, "body", 4, &used), CFD_HTTP_REQUEST);
        cfd_http_in_free(&in);
    }
    /* HTTP/1.0 ignores 100-continue (its client sends the body anyway):
     * the whole request, and the handler's 415 */
    const char v10[] = "POST /v1/classify HTTP/1.0\r\nContent-Length: 4\r\n"
                       "Content-Type: text/html\r\nExpect: 100-continue\r\n\r\nbody";
    cfd_http_in_init(&in, &limits);
    assert_int_equal(cfd_http_feed(&in, v10, sizeof(v10) - 1, &used), CFD_HTTP_REQUEST);
    cfd_http_in_free(&in);
    /* no Expect: the whole request, and the handler's 415 */
    const char plain[] = "POST /v1/classify HTTP/1.1\r\nContent-Length: 4\r\n"
                         "Content-Type: text/html\r\n\r\nbody";
    cfd_http_in_init(&in, &limits);
    assert_int_equal(cfd_http_feed(&in, plain, sizeof(plain) - 1, &used), CFD_HTTP_REQUEST);
    assert_int_equal(in.req.ctype, CFD_CTYPE_OTHER);
    cfd_http_in_free(&in);
}

/* RFC 9110 10.1.1: a server ignores 100-continue in an HTTP/1.0 request. */
static void test_expect_continue_not_for_http10(void **state)
{
    (void)state;
    const char head[] = "POST /v1/classify HTTP/1.0\r\nContent-Length: 4\r\n"
                        "Expect: 100-continue\r\n\r\n";
    cfd_http_in in;
    size_t used;
    cfd_http_in_init(&in, &k_limits);
    assert_int_equal(cfd_http_feed(&in, head, sizeof(head) - 1, &used), CFD_HTTP_MORE);
    assert_int_equal(cfd_http_want_continue(&in), 0);
    assert_int_equal(cfd_http_feed(&in, "body", 4, &used), CFD_HTTP_REQUEST);
    cfd_http_in_free(&in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expect_continue),
        cmocka_unit_test(test_expect_continue_not_for_http10),
        cmocka_unit_test(test_expect_continue_refused_early),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
