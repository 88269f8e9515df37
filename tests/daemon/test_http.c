/*
 * Tests for daemon/http.c: byte sequences -- whole, split at every offset,
 * pipelined back to back, chunked -- go into cfd_http_feed and the requests
 * (or the refusals: 400, 413 from the headers alone, 431) that come out are
 * checked. The reply formatting is tested in test_http_reply.c, the
 * accounting of body memory in test_http_budget.c, Expect: 100-continue in
 * test_http_continue.c.
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

/* Feeds all of data; returns the result of the last call and the bytes used. */
static int feed_all(cfd_http_in *in, const char *data, size_t len, size_t *used)
{
    return cfd_http_feed(in, data, len, used);
}

static void test_simple_get(void **state)
{
    (void)state;
    cfd_http_in in;
    cfd_http_in_init(&in, &k_limits);
    const char req[] = "GET /healthz?x=1 HTTP/1.1\r\nHost: a\r\n\r\n";
    size_t used;
    assert_int_equal(feed_all(&in, req, sizeof(req) - 1, &used), CFD_HTTP_REQUEST);
    assert_int_equal(used, sizeof(req) - 1);
    assert_int_equal(in.req.method, HTTP_GET);
    assert_int_equal(in.req.path_len, 8);
    assert_memory_equal(in.req.path, "/healthz", 8);
    assert_int_equal(in.req.keep_alive, 1);
    assert_int_equal(in.req.http_minor, 1);
    assert_int_equal(in.req.has_length, 0);
    assert_int_equal(in.req.body_len, 0);
    assert_int_equal(in.req.ctype, CFD_CTYPE_NONE);
    assert_false(cfd_http_in_message(&in));
    cfd_http_in_free(&in);
}

static const char k_post[] = "POST /v1/classify HTTP/1.1\r\n"
                             "Host: a\r\n"
                             "Content-Type: application/json; charset=utf-8\r\n"
                             "Content-Length: 17\r\n"
                             "\r\n"
                             "{\"body\":\"기사\"}";

/* Every split point of a POST: MORE until the last byte, then the request. */
static void test_split_at_every_byte(void **state)
{
    (void)state;
    size_t n = sizeof(k_post) - 1;
    for (size_t cut = 1; cut < n; cut++) {
        cfd_http_in in;
        size_t used;
        cfd_http_in_init(&in, &k_limits);
        assert_int_equal(cfd_http_feed(&in, k_post, cut, &used), CFD_HTTP_MORE);
        assert_int_equal(used, cut);
        assert_true(cfd_http_in_message(&in));
        assert_int_equal(cfd_http_feed(&in, k_post + cut, n - cut, &used), CFD_HTTP_REQUEST);
        assert_int_equal(used, n - cut);
        assert_int_equal(in.req.method, HTTP_POST);
        assert_int_equal(in.req.ctype, CFD_CTYPE_JSON);
        assert_int_equal(in.req.has_length, 1);
        assert_int_equal(in.req.body_len, 17);
        assert_memory_equal(in.req.body, "{\"body\":\"기사\"}", 17);
        assert_int_equal(in.req.body[17], '\0');
        cfd_http_in_free(&in);
    }
}

/* One byte at a time. */
static void test_byte_by_byte(void **state)
{
    (void)state;
    cfd_http_in in;
    cfd_http_in_init(&in, &k_limits);
    size_t n = sizeof(k_post) - 1, used;
    for (size_t i = 0; i + 1 < n; i++)
        assert_int_equal(cfd_http_feed(&in, k_post + i, 1, &used), CFD_HTTP_MORE);
    assert_int_equal(cfd_http_feed(&in, k_post + n - 1, 1, &used), CFD_HTTP_REQUEST);
    assert_int_equal(in.req.body_len, 17);
    cfd_http_in_free(&in);
}

/* Three requests in one buffer come out one at a time, in order, each
 * stopping exactly at its end. */
static void test_pipelined(void **state)
{
    (void)state;
    char buf[1024];
    int n = snprintf(buf, sizeof(buf),
                     "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
                     "%s"
                     "GET /readyz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
                     k_post);
    cfd_http_in in;
    cfd_http_in_init(&in, &k_limits);
    size_t off = 0, used;
    assert_int_equal(cfd_http_feed(&in, buf, (size_t)n, &used), CFD_HTTP_REQUEST);
    assert_int_equal(used, strlen("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"));
    assert_memory_equal(in.req.path, "/healthz", in.req.path_len);
    off += used;
    assert_int_equal(cfd_http_feed(&in, buf + off, (size_t)n - off, &used), CFD_HTTP_REQUEST);
    assert_int_equal(used, sizeof(k_post) - 1);
    assert_int_equal(in.req.method, HTTP_POST);
    assert_int_equal(in.req.body_len, 17);
    off += used;
    assert_int_equal(cfd_http_feed(&in, buf + off, (size_t)n - off, &used), CFD_HTTP_REQUEST);
    off += used;
    assert_int_equal(off, (size_t)n);
    assert_int_equal(in.req.path_len, 7);
    assert_memory_equal(in.req.path, "/readyz", 7);
    assert_int_equal(in.req.keep_alive, 0);
    cfd_http_in_free(&in);
}

static void test_chunked_body(void **state)
{
    (void)state;
    const char req[] = "POST /v1/classify HTTP/1.1\r\nHost: a\r\n"
                       "Content-Type: application/x-ndjson\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n"
                       "5\r\n{\"a\":\r\n"
                       "3\r\n1}\n\r\n"
                       "0\r\n\r\n";
    size_t n = sizeof(req) - 1;
    for (size_t cut = 1; cut < n; cut += 7) {
        cfd_http_in in;
        size_t used;
        cfd_http_in_init(&in, &k_limits);
        assert_int_equal(cfd_http_feed(&in, req, cut, &used), CFD_HTTP_MORE);
        assert_int_equal(cfd_http_feed(&in, req + cut, n - cut, &used), CFD_HTTP_REQUEST);
        assert_int_equal(in.req.has_length, 1);
        assert_int_equal(in.req.ctype, CFD_CTYPE_NDJSON);
        assert_int_equal(in.req.body_len, 8);
        assert_memory_equal(in.req.body, "{\"a\":1}\n", 8);
        cfd_http_in_free(&in);
    }
}

/* Content-Length over the limit: refused from the headers, before the body. */
static void test_413_from_headers(void **state)
{
    (void)state;
    const char req[] = "POST /v1/classify HTTP/1.1\r\nHost: a\r\nContent-Length: 4097\r\n\r\n";
    cfd_http_in in;
    size_t used;
    cfd_http_in_init(&in, &k_limits);
    assert_int_equal(cfd_http_feed(&in, req, sizeof(req) - 1, &used), CFD_HTTP_ERROR);
    assert_int_equal(in.err_status, 413);
    assert_string_equal(in.err_code, "body_too_large");
    /* the client learns the size it sent and the limit to stay under */
    assert_non_null(strstr(in.err_msg, "4097 bytes (Content-Length)"));
    assert_non_null(strstr(in.err_msg, "(max_body, 4096 bytes)"));
    cfd_http_in_free(&in);
}

static void test_413_chunked(void **state)
{
    (void)state;
    cfd_http_in in;
    size_t used;
    char chunk[2100];
    cfd_http_in_init(&in, &k_limits);
    const char head[] = "POST /v1/classify HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    assert_int_equal(cfd_http_feed(&in, head, sizeof(head) - 1, &used), CFD_HTTP_MORE);
    int n = snprintf(chunk, sizeof(chunk), "7d0\r\n%02000d\r\n", 0);
    assert_int_equal(cfd_http_feed(&in, chunk, (size_t)n, &used), CFD_HTTP_MORE);
    assert_int_equal(cfd_http_feed(&in, chunk, (size_t)n, &used), CFD_HTTP_MORE);
    /* 6000 bytes > 4096 */
    assert_int_equal(cfd_http_feed(&in, chunk, (size_t)n, &used), CFD_HTTP_ERROR);
    assert_int_equal(in.err_status, 413);
    assert_non_null(strstr(in.err_msg, "(max_body, 4096 bytes)"));
    cfd_http_in_free(&in);
}

static void test_431(void **state)
{
    (void)state;
    cfd_http_in in;
    size_t used;
    char req[2048];
    cfd_http_in_init(&in, &k_limits);
    int n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nX-Big: %01500d\r\n\r\n", 0);
    assert_int_equal(cfd_http_feed(&in, req, (size_t)n, &used), CFD_HTTP_ERROR);
    assert_int_equal(in.err_status, 431);
    assert_string_equal(in.err_code, "headers_too_large");
    cfd_http_in_free(&in);
    /* many small headers add up too */
    cfd_http_in_init(&in, &k_limits);
    const char head[] = "GET / HTTP/1.1\r\n";
    assert_int_equal(cfd_http_feed(&in, head, sizeof(head) - 1, &used), CFD_HTTP_MORE);
    int r = CFD_HTTP_MORE;
    for (int i = 0; i < 200 && r == CFD_HTTP_MORE; i++)
        r = cfd_http_feed(&in, "X-A: b\r\n", 8, &used);
    assert_int_equal(r, CFD_HTTP_ERROR);
    assert_int_equal(in.err_status, 431);
    cfd_http_in_free(&in);
}

/* The limits are sizes allowed, not sizes refused: a request exactly at
 * max_header, or a body exactly max_body long (Content-Length or chunked),
 * is served; one byte more is not. */
static void test_limits_are_inclusive(void **state)
{
    (void)state;
    cfd_http_in in;
    size_t used;
    char req[6000];
    /* counted: the URL (1), "X-Big" + ": " + CRLF (9), the value */
    for (int extra = 0; extra <= 1; extra++) {
        int n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nX-Big: %0*d\r\n\r\n",
                         1014 + extra, 0);
        cfd_http_in_init(&in, &k_limits);
        assert_int_equal(cfd_http_feed(&in, req, (size_t)n, &used),
                         extra ? CFD_HTTP_ERROR : CFD_HTTP_REQUEST);
        if (extra)
            assert_int_equal(in.err_status, 431);
        cfd_http_in_free(&in);
    }
    for (int extra = 0; extra <= 1; extra++) {
        int n = snprintf(req, sizeof(req), "POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n",
                         4096 + extra);
        memset(req + n, 'a', 4096 + (size_t)extra);
        cfd_http_in_init(&in, &k_limits);
        int r = cfd_http_feed(&in, req, (size_t)n + 4096 + (size_t)extra, &used);
        if (extra) {
            assert_int_equal(r, CFD_HTTP_ERROR);
            assert_int_equal(in.err_status, 413);
        } else {
            assert_int_equal(r, CFD_HTTP_REQUEST);
            assert_int_equal(in.req.body_len, 4096);
        }
        cfd_http_in_free(&in);
    }
    for (int extra = 0; extra <= 1; extra++) {
        int n = snprintf(req, sizeof(req),
                         "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n",
                         4096 + extra);
        memset(req + n, 'a', 4096 + (size_t)extra);
        n += 4096 + extra;
        n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n0\r\n\r\n");
        cfd_http_in_init(&in, &k_limits);
        int r = cfd_http_feed(&in, req, (size_t)n, &used);
        if (extra) {
            assert_int_equal(r, CFD_HTTP_ERROR);
            assert_int_equal(in.err_status, 413);
        } else {
            assert_int_equal(r, CFD_HTTP_REQUEST);
            assert_int_equal(in.req.body_len, 4096);
        }
        cfd_http_in_free(&in);
    }
}

static void test_malformed(void **state)
{
    (void)state;
    const char *bad[] = {"THIS IS NOT HTTP\r\n\r\n", "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
                         "GET / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                         "\x01\x02\x03\xff\r\n\r\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cfd_http_in in;
        size_t used;
        cfd_http_in_init(&in, &k_limits);
        assert_int_equal(cfd_http_feed(&in, bad[i], strlen(bad[i]), &used), CFD_HTTP_ERROR);
        assert_int_equal(in.err_status, 400);
        assert_non_null(in.err_msg);
        cfd_http_in_free(&in);
    }
}

/* EOF in the middle of a request is an error; at a boundary it is not. */
static void test_eof(void **state)
{
    (void)state;
    cfd_http_in in;
    size_t used;
    cfd_http_in_init(&in, &k_limits);
    assert_int_equal(cfd_http_feed(&in, k_post, 40, &used), CFD_HTTP_MORE);
    assert_int_equal(cfd_http_feed(&in, "", 0, &used), CFD_HTTP_ERROR);
    assert_int_equal(used, 0); /* never more than was given */
    assert_int_equal(in.err_status, 400);
    cfd_http_in_free(&in);

    cfd_http_in_init(&in, &k_limits);
    assert_int_equal(cfd_http_feed(&in, k_post, sizeof(k_post) - 1, &used), CFD_HTTP_REQUEST);
    assert_int_equal(cfd_http_feed(&in, "", 0, &used), CFD_HTTP_MORE);
    cfd_http_in_free(&in);
}

/* A request cut off (EOF here; the 408 of conn.c uses the same words) says
 * how much of it arrived: a Content-Length larger than the body sent shows
 * as "18 of the 28 body bytes", not as a bare "closed before complete". */
static void test_partial_request_says_how_much_arrived(void **state)
{
    (void)state;
    static const struct {
        const char *sent;
        const char *says;
    } cases[] = {
        {"POST /v1/classify HTTP/1.1\r\nContent-Length: 28\r\n\r\n{\"title\":\"국회\"}",
         "18 of the 28 body bytes that Content-Length announced arrived"},
        {"POST /v1/classify HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n",
         "5 body bytes arrived, and not the last (zero-size) chunk"},
        {"POST /v1/classify HTTP/1.1\r\nContent-Type: application/json\r\n",
         "the headers did not end"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cfd_http_in in;
        size_t used;
        char what[120];
        cfd_http_in_init(&in, &k_limits);
        assert_int_equal(cfd_http_feed(&in, cases[i].sent, strlen(cases[i].sent), &used),
                         CFD_HTTP_MORE);
        cfd_http_partial(&in, what, sizeof(what));
        assert_non_null(strstr(what, cases[i].says));
        assert_int_equal(cfd_http_feed(&in, "", 0, &used), CFD_HTTP_ERROR);
        assert_string_equal(in.err_code, "incomplete_request");
        assert_non_null(strstr(in.err_msg, cases[i].says));
        cfd_http_in_free(&in);
    }
}

static void test_content_types(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        int ctype;
    } cases[] = {
        {"application/json", CFD_CTYPE_JSON},
        {"Application/JSON; charset=UTF-8", CFD_CTYPE_JSON},
        {"text/plain;charset=utf-8", CFD_CTYPE_TEXT},
        {"application/x-ndjson", CFD_CTYPE_NDJSON},
        {"application/jsonl", CFD_CTYPE_NDJSON},
        {"text/html", CFD_CTYPE_OTHER},
        {"application/jsonx", CFD_CTYPE_OTHER},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char req[256];
        int n = snprintf(req, sizeof(req),
                         "POST /v1/classify HTTP/1.1\r\ncontent-TYPE: %s\r\nContent-Length: 2\r\n\r\n{}",
                         cases[i].value);
        cfd_http_in in;
        size_t used;
        cfd_http_in_init(&in, &k_limits);
        assert_int_equal(cfd_http_feed(&in, req, (size_t)n, &used), CFD_HTTP_REQUEST);
        assert_int_equal(in.req.ctype, cases[i].ctype);
        cfd_http_in_free(&in);
    }
}

/* A Content-Encoding other than identity reaches the request: the router
 * refuses a compressed body (415). It was ignored, so a gzip'd article
 * failed as "invalid UTF-8 at byte 1 of the body: send UTF-8 text". */
static void test_content_coding(void **state)
{
    (void)state;
    static const struct {
        const char *headers;
        const char *coding;
    } cases[] = {
        {"Content-Type: application/json\r\n", NULL},
        {"Content-Encoding: gzip\r\n", "gzip"},
        {"content-encoding:  x-gzip \r\n", "x-gzip"},
        {"Content-Encoding: identity\r\n", NULL},
        {"Content-Encoding: identity, br\r\n", "br"},
        {"Content-Encoding: Identity\r\nContent-Encoding: deflate\r\n", "deflate"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char req[256];
        int n = snprintf(req, sizeof(req),
                         "POST /v1/classify HTTP/1.1\r\n%sContent-Length: 2\r\n\r\n{}",
                         cases[i].headers);
        cfd_http_in in;
        size_t used;
        cfd_http_in_init(&in, &k_limits);
        assert_int_equal(cfd_http_feed(&in, req, (size_t)n, &used), CFD_HTTP_REQUEST);
        if (cases[i].coding)
            assert_string_equal(in.req.coding, cases[i].coding);
        else
            assert_null(in.req.coding);
        /* the next request on the connection starts clean */
        const char next[] = "POST /v1/classify HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}";
        assert_int_equal(cfd_http_feed(&in, next, sizeof(next) - 1, &used), CFD_HTTP_REQUEST);
        assert_null(in.req.coding);
        cfd_http_in_free(&in);
    }
}

/* The charset parameter of Content-Type reaches the request, so invalid
 * UTF-8 under a declared EUC-KR can be answered as such. */
static void test_charset_parameter(void **state)
{
    (void)state;
    static const struct {
        const char *ctype;
        const char *charset;
    } cases[] = {
        {"application/json", NULL},
        {"text/plain; charset=euc-kr", "euc-kr"},
        {"application/json;Charset=\"EUC-KR\"", "EUC-KR"},
        {"application/json; foo=bar; charset=utf-8", "utf-8"},
        {"application/json; foo=\"a\"; CHARSET=cp949 ", "cp949"},
        {"application/json; charset=", NULL},
        {"application/json; xcharset=euc-kr", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char req[256];
        int n = snprintf(req, sizeof(req),
                         "POST /v1/classify HTTP/1.1\r\nContent-Type: %s\r\n"
                         "Content-Length: 2\r\n\r\n{}",
                         cases[i].ctype);
        cfd_http_in in;
        size_t used;
        cfd_http_in_init(&in, &k_limits);
        assert_int_equal(cfd_http_feed(&in, req, (size_t)n, &used), CFD_HTTP_REQUEST);
        if (cases[i].charset)
            assert_string_equal(in.req.charset, cases[i].charset);
        else
            assert_null(in.req.charset);
        const char next[] = "POST /v1/classify HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}";
        assert_int_equal(cfd_http_feed(&in, next, sizeof(next) - 1, &used), CFD_HTTP_REQUEST);
        assert_null(in.req.charset);
        cfd_http_in_free(&in);
    }
}

/* The media type as sent reaches the request, for the 415 to name it; what
 * is kept of a header for a message is printable ASCII, so an error reply
 * quoting it stays valid UTF-8 and JSON. */
static void test_media_type_kept_printable(void **state)
{
    (void)state;
    static const struct {
        const char *headers;
        const char *media;
        const char *coding;
    } cases[] = {
        {"", "", NULL},
        {"Content-Type: application/x-www-form-urlencoded\r\n",
         "application/x-www-form-urlencoded", NULL},
        {"Content-Type: Text/HTML; charset=utf-8\r\n", "Text/HTML", NULL},
        {"Content-Type: application/\xea\xb8\xb0\r\nContent-Encoding: g\xffz\r\n",
         "application/???", "g?z"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char req[256];
        int n = snprintf(req, sizeof(req),
                         "POST /v1/classify HTTP/1.1\r\n%sContent-Length: 2\r\n\r\n{}",
                         cases[i].headers);
        cfd_http_in in;
        size_t used;
        cfd_http_in_init(&in, &k_limits);
        assert_int_equal(cfd_http_feed(&in, req, (size_t)n, &used), CFD_HTTP_REQUEST);
        assert_string_equal(in.req.media, cases[i].media);
        if (cases[i].coding)
            assert_string_equal(in.req.coding, cases[i].coding);
        cfd_http_in_free(&in);
    }
}

/* Trailer fields after a chunked body are not headers: they change neither
 * the content type nor anything else of the request. */
static void test_chunked_trailers_are_not_headers(void **state)
{
    (void)state;
    const char req[] = "POST /v1/classify HTTP/1.1\r\nContent-Type: application/json\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n"
                       "f\r\n{\"title\":\"abc\"}\r\n0\r\n"
                       "Content-Type: text/html\r\nExpect: 100-continue\r\n\r\n";
    cfd_http_in in;
    size_t used;
    cfd_http_in_init(&in, &k_limits);
    assert_int_equal(cfd_http_feed(&in, req, sizeof(req) - 1, &used), CFD_HTTP_REQUEST);
    assert_int_equal(in.req.ctype, CFD_CTYPE_JSON);
    assert_int_equal(in.req.body_len, 15);
    assert_int_equal(cfd_http_want_continue(&in), 0);
    cfd_http_in_free(&in);
}

/* A transfer coding the daemon cannot undo is refused (501), not classified
 * as text -- "gzip" alone too, and names that only start or end with
 * "chunked"; "chunked" in any case is fine, and the next request is clean. */
static void test_transfer_codings_other_than_chunked(void **state)
{
    (void)state;
    static const char *const bad[] = {"gzip, chunked", "deflate,chunked", "GZIP ,CHUNKED",
                                      "gzip", "chunkedx", "x-chunked, chunked"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char req[256];
        snprintf(req, sizeof req, "POST /v1/classify HTTP/1.1\r\nTransfer-Encoding: %s\r\n"
                                  "\r\n5\r\nhello\r\n0\r\n\r\n", bad[i]);
        cfd_http_in in;
        size_t used;
        cfd_http_in_init(&in, &k_limits);
        assert_int_equal(cfd_http_feed(&in, req, strlen(req), &used), CFD_HTTP_ERROR);
        assert_int_equal(in.err_status, 501);
        assert_string_equal(in.err_code, "unsupported_transfer_encoding");
        cfd_http_in_free(&in);
    }
    const char ok[] = "POST /v1/classify HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"
                      "5\r\nhello\r\n0\r\n\r\n"
                      "POST /v1/classify HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi";
    cfd_http_in in;
    size_t used;
    cfd_http_in_init(&in, &k_limits);
    assert_int_equal(cfd_http_feed(&in, ok, sizeof(ok) - 1, &used), CFD_HTTP_REQUEST);
    assert_int_equal(in.req.body_len, 5);
    size_t off = used;
    assert_int_equal(cfd_http_feed(&in, ok + off, sizeof(ok) - 1 - off, &used), CFD_HTTP_REQUEST);
    assert_memory_equal(in.req.body, "hi", 2);
    cfd_http_in_free(&in);
}

/* A chunk size too large for http_parser is named as a chunk error. */
static void test_chunk_size_overflow_message(void **state)
{
    (void)state;
    const char req[] = "POST /v1/classify HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "ffffffffffffffffff\r\n";
    cfd_http_in in;
    size_t used;
    cfd_http_in_init(&in, &k_limits);
    assert_int_equal(cfd_http_feed(&in, req, sizeof(req) - 1, &used), CFD_HTTP_ERROR);
    assert_int_equal(in.err_status, 400);
    assert_non_null(strstr(in.err_msg, "chunk size"));
    cfd_http_in_free(&in);
}

static void test_http10_and_absolute_url(void **state)
{
    (void)state;
    const char req[] = "GET http://localhost/v1/plugins?x HTTP/1.0\r\n\r\n";
    cfd_http_in in;
    size_t used;
    cfd_http_in_init(&in, &k_limits);
    assert_int_equal(cfd_http_feed(&in, req, sizeof(req) - 1, &used), CFD_HTTP_REQUEST);
    assert_int_equal(in.req.http_minor, 0);
    assert_int_equal(in.req.keep_alive, 0);
    assert_int_equal(in.req.path_len, 11);
    assert_memory_equal(in.req.path, "/v1/plugins", 11);
    cfd_http_in_free(&in);

    /* A fragment ends the path as a query does. */
    const char frag[] = "GET /readyz#top HTTP/1.1\r\nHost: a\r\n\r\n";
    cfd_http_in_init(&in, &k_limits);
    assert_int_equal(cfd_http_feed(&in, frag, sizeof(frag) - 1, &used), CFD_HTTP_REQUEST);
    assert_int_equal(in.req.path_len, 7);
    assert_memory_equal(in.req.path, "/readyz", 7);
    cfd_http_in_free(&in);
}

/* Buffers are reused: a big body then a small one on the same parser. */
static void test_reuse_after_big_body(void **state)
{
    (void)state;
    static const cfd_http_limits big = {.max_header = 1024, .max_body = 1 << 20};
    char *req = malloc(200000);
    assert_non_null(req);
    int n = snprintf(req, 200000, "POST / HTTP/1.1\r\nContent-Length: 100000\r\n\r\n");
    memset(req + n, 'a', 100000);
    cfd_http_in in;
    size_t used;
    cfd_http_in_init(&in, &big);
    assert_int_equal(cfd_http_feed(&in, req, (size_t)n + 100000, &used), CFD_HTTP_REQUEST);
    assert_int_equal(in.req.body_len, 100000);
    assert_int_equal(cfd_http_feed(&in, k_post, sizeof(k_post) - 1, &used), CFD_HTTP_REQUEST);
    assert_int_equal(in.req.body_len, 17);
    assert_true(in.body.cap < 100000); /* the large buffer was released */
    cfd_http_in_free(&in);
    free(req);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_get),
        cmocka_unit_test(test_split_at_every_byte),
        cmocka_unit_test(test_byte_by_byte),
        cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_chunked_body),
        cmocka_unit_test(test_413_from_headers),
        cmocka_unit_test(test_413_chunked),
        cmocka_unit_test(test_431),
        cmocka_unit_test(test_limits_are_inclusive),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_eof),
        cmocka_unit_test(test_partial_request_says_how_much_arrived),
        cmocka_unit_test(test_content_types),
        cmocka_unit_test(test_content_coding),
        cmocka_unit_test(test_charset_parameter),
        cmocka_unit_test(test_media_type_kept_printable),
        cmocka_unit_test(test_chunked_trailers_are_not_headers),
        cmocka_unit_test(test_chunk_size_overflow_message),
        cmocka_unit_test(test_transfer_codings_other_than_chunked),
        cmocka_unit_test(test_http10_and_absolute_url),
        cmocka_unit_test(test_reuse_after_big_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
