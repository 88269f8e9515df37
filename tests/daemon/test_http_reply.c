/*
 * Tests for daemon/http_reply.c: status line and headers, a reply with its
 * body, chunked NDJSON framing, the JSON error body, the Date header.
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

static void test_reply_format(void **state)
{
    (void)state;
    cfd_buf b = CFD_BUF_INIT;
    cfd_http_reply(&b, 200, "application/json", "{}", 2, 1, NULL, "Sat, 28 Nov 2026 09:00:00 GMT");
    assert_string_equal(b.data, "HTTP/1.1 200 OK\r\nServer: classifyd\r\n"
                                "Date: Sat, 28 Nov 2026 09:00:00 GMT\r\n"
                                "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
    cfd_buf_reset(&b);
    cfd_http_head(&b, 405, "application/json", 0, 0, "Allow: GET\r\n", NULL);
    assert_string_equal(b.data, "HTTP/1.1 405 Method Not Allowed\r\nServer: classifyd\r\n"
                                "Content-Type: application/json\r\nContent-Length: 0\r\n"
                                "Connection: close\r\nAllow: GET\r\n\r\n");
    cfd_buf_reset(&b);
    cfd_http_head(&b, 200, "application/x-ndjson", CFD_HTTP_CHUNKED, 2, NULL, NULL);
    assert_non_null(strstr(b.data, "Transfer-Encoding: chunked\r\n"));
    assert_non_null(strstr(b.data, "Connection: keep-alive\r\n"));
    assert_null(strstr(b.data, "Content-Length"));
    cfd_buf_reset(&b);
    cfd_http_chunk(&b, "hello world\n", 12);
    cfd_http_chunk(&b, "", 0);
    cfd_http_chunk_end(&b);
    assert_string_equal(b.data, "c\r\nhello world\n\r\n0\r\n\r\n");
    cfd_buf_free(&b);
}

static void test_error_reply(void **state)
{
    (void)state;
    cfd_buf b = CFD_BUF_INIT;
    cfd_http_reply_error(&b, 400, "invalid_utf8", "bad \"byte\"", 13, 1, NULL, NULL);
    const char *body = strstr(b.data, "\r\n\r\n");
    assert_non_null(body);
    body += 4;
    assert_string_equal(body, "{\"error\":{\"code\":\"invalid_utf8\",\"message\":\"bad \\\"byte\\\"\","
                              "\"offset\":13}}\n");
    char cl[64];
    snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n", strlen(body));
    assert_non_null(strstr(b.data, cl));
    assert_true(strncmp(b.data, "HTTP/1.1 400 Bad Request\r\n", 26) == 0);
    cfd_buf_reset(&b);
    cfd_http_error_json(&b, "not_found", "x", (size_t)-1);
    assert_string_equal(b.data, "{\"error\":{\"code\":\"not_found\",\"message\":\"x\"}}");
    cfd_buf_free(&b);
}

static void test_date(void **state)
{
    (void)state;
    char d[30];
    cfd_http_date(d, 0);
    assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 GMT");
    cfd_http_date(d, 1795856400); /* 2026-11-28 09:00:00 UTC */
    assert_string_equal(d, "Sat, 28 Nov 2026 09:00:00 GMT");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_format),
        cmocka_unit_test(test_error_reply),
        cmocka_unit_test(test_date),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
