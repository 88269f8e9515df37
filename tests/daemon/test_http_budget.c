/*
 * Tests for daemon/http.c's accounting of body memory (body_budget.h):
 * a Content-Length reserved from the headers, a chunked body chunk by chunk,
 * 503 when it does not fit (instead of 100 Continue), bodies a connection's
 * buffer holds anyway not counted, each reservation given back once.
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

static const char *post_head(char *buf, size_t cap, size_t content_length, const char *extra)
{
    snprintf(buf, cap,
             "POST /v1/classify HTTP/1.1\r\nHost: a\r\nContent-Length: %zu\r\n%s\r\n",
             content_length, extra ? extra : "");
    return buf;
}

/* A Content-Length is reserved from the headers alone; one that does not
 * fit is refused before any body byte is read, instead of 100 Continue; a
 * reservation is given back once, whichever of release, drop or free comes
 * first. */
static void test_budget_content_length(void **state)
{
    (void)state;
    cfd_body_budget b;
    cfd_body_budget_init(&b, 100);
    cfd_http_in a, r, c;
    char head[256], body[100];
    size_t used;
    memset(body, 'x', sizeof(body));
    cfd_http_in_init(&a, &k_limits);
    cfd_http_in_init(&r, &k_limits);
    cfd_http_in_init(&c, &k_limits);
    a.budget = r.budget = c.budget = &b;

    post_head(head, sizeof(head), 60, NULL);
    assert_int_equal(cfd_http_feed(&a, head, strlen(head), &used), CFD_HTTP_MORE);
    assert_int_equal(cfd_body_budget_used(&b), 60);
    assert_int_equal(cfd_http_feed(&a, body, 10, &used), CFD_HTTP_MORE);
    assert_int_equal(a.body.cap, 61); /* exactly the announced size (+ NUL) */

    /* 60 + 50 > 100: refused at the end of the headers, body unread */
    post_head(head, sizeof(head), 50, "Expect: 100-continue\r\n");
    char both[512];
    snprintf(both, sizeof(both), "%s%.50s", head, body);
    assert_int_equal(cfd_http_feed(&r, both, strlen(both), &used), CFD_HTTP_ERROR);
    assert_true(used <= strlen(head)); /* not a byte of the body */
    assert_int_equal(r.err_status, 503);
    assert_string_equal(r.err_code, "body_memory_exhausted");
    assert_int_equal(r.err_budget, 1);
    assert_int_equal(r.err_asked, 50);
    assert_int_equal(cfd_http_want_continue(&r), 0);
    assert_int_equal(cfd_body_budget_used(&b), 60);
    assert_int_equal(atomic_load(&b.refused), 1);

    /* 60 + 40 fits exactly */
    post_head(head, sizeof(head), 40, NULL);
    assert_int_equal(cfd_http_feed(&c, head, strlen(head), &used), CFD_HTTP_MORE);
    assert_int_equal(cfd_body_budget_used(&b), 100);

    /* a's body is held while its request is served, then given back once */
    assert_int_equal(cfd_http_feed(&a, body, 50, &used), CFD_HTTP_REQUEST);
    assert_int_equal(cfd_body_budget_used(&b), 100);
    cfd_http_in_release(&a);
    assert_int_equal(cfd_body_budget_used(&b), 40);
    cfd_http_in_release(&a);
    cfd_http_in_free(&a);
    assert_int_equal(cfd_body_budget_used(&b), 40);
    /* release is a no-op while a request is being received */
    cfd_http_in_release(&c);
    assert_int_equal(cfd_body_budget_used(&b), 40);
    cfd_http_in_free(&c); /* the connection ends mid-body */
    assert_int_equal(cfd_body_budget_used(&b), 0);
    cfd_http_in_drop(&r);
    cfd_http_in_free(&r);
    assert_int_equal(cfd_body_budget_used(&b), 0);

    /* over max_body: 413, not 503, and nothing reserved */
    cfd_http_in_init(&a, &k_limits);
    a.budget = &b;
    post_head(head, sizeof(head), 5000, NULL);
    assert_int_equal(cfd_http_feed(&a, head, strlen(head), &used), CFD_HTTP_ERROR);
    assert_int_equal(a.err_status, 413);
    assert_int_equal(a.err_budget, 0);
    assert_int_equal(cfd_body_budget_used(&b), 0);
    cfd_http_in_free(&a);
    assert_int_equal(atomic_load(&b.refused), 1);
}

/* Pipelined requests on one connection: each holds its own body only; the
 * next request's start gives the last one's back, so two bodies that each
 * fit follow one another even though both together would not. */
static void test_budget_pipelined(void **state)
{
    (void)state;
    cfd_body_budget b;
    cfd_body_budget_init(&b, 60);
    cfd_http_in in;
    cfd_http_in_init(&in, &k_limits);
    in.budget = &b;
    char buf[1024], head[256];
    size_t n = 0, off = 0, used;
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%050d", post_head(head, sizeof(head), 50, NULL), 0);
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%060d", post_head(head, sizeof(head), 60, NULL), 0);
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_int_equal(cfd_http_feed(&in, buf, n, &used), CFD_HTTP_REQUEST);
    assert_int_equal(in.req.body_len, 50);
    assert_int_equal(cfd_body_budget_used(&b), 50);
    off += used;
    assert_int_equal(cfd_http_feed(&in, buf + off, n - off, &used), CFD_HTTP_REQUEST);
    assert_int_equal(in.req.body_len, 60);
    assert_int_equal(cfd_body_budget_used(&b), 60);
    off += used;
    assert_int_equal(cfd_http_feed(&in, buf + off, n - off, &used), CFD_HTTP_REQUEST);
    assert_int_equal(in.req.method, HTTP_GET);
    assert_int_equal(cfd_body_budget_used(&b), 0);
    cfd_http_in_release(&in);
    cfd_http_in_free(&in);
    assert_int_equal(cfd_body_budget_used(&b), 0);
    assert_int_equal(atomic_load(&b.refused), 0);
}

/* A chunked body reserves its de-chunked bytes as they come and is refused
 * by the chunk that would go over; the bytes it had are given back by
 * cfd_http_in_drop, once. */
static void test_budget_chunked(void **state)
{
    (void)state;
    cfd_body_budget b;
    cfd_body_budget_init(&b, 100);
    cfd_http_in in;
    cfd_http_in_init(&in, &k_limits);
    in.budget = &b;
    const char head[] = "POST /v1/classify HTTP/1.1\r\nHost: a\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n";
    char chunk[128];
    size_t used;
    assert_int_equal(cfd_http_feed(&in, head, sizeof(head) - 1, &used), CFD_HTTP_MORE);
    assert_int_equal(cfd_body_budget_used(&b), 0);
    snprintf(chunk, sizeof(chunk), "3c\r\n%060d\r\n", 0);
    assert_int_equal(cfd_http_feed(&in, chunk, strlen(chunk), &used), CFD_HTTP_MORE);
    assert_int_equal(cfd_body_budget_used(&b), 60);
    snprintf(chunk, sizeof(chunk), "1e\r\n%030d\r\n", 0);
    assert_int_equal(cfd_http_feed(&in, chunk, strlen(chunk), &used), CFD_HTTP_MORE);
    assert_int_equal(cfd_body_budget_used(&b), 90);
    snprintf(chunk, sizeof(chunk), "14\r\n%020d\r\n", 0);
    assert_int_equal(cfd_http_feed(&in, chunk, strlen(chunk), &used), CFD_HTTP_ERROR);
    assert_int_equal(in.err_status, 503);
    assert_string_equal(in.err_code, "body_memory_exhausted");
    assert_int_equal(in.err_asked, 110);
    assert_int_equal(cfd_body_budget_used(&b), 90);
    cfd_http_in_drop(&in);
    assert_int_equal(cfd_body_budget_used(&b), 0);
    cfd_http_in_drop(&in);
    cfd_http_in_free(&in);
    assert_int_equal(cfd_body_budget_used(&b), 0);

    /* a whole chunked request that fits: held until released */
    cfd_http_in_init(&in, &k_limits);
    in.budget = &b;
    char req[512];
    snprintf(req, sizeof(req), "%s32\r\n%050d\r\n0\r\n\r\n", head, 0);
    assert_int_equal(cfd_http_feed(&in, req, strlen(req), &used), CFD_HTTP_REQUEST);
    assert_int_equal(in.req.body_len, 50);
    assert_int_equal(cfd_body_budget_used(&b), 50);
    cfd_http_in_release(&in);
    assert_int_equal(cfd_body_budget_used(&b), 0);
    cfd_http_in_free(&in);
    assert_int_equal(cfd_body_budget_used(&b), 0);
}

/* A body the connection's own buffer holds is not counted (free_below):
 * a client that fills the budget with large announced bodies -- from its
 * headers alone -- must not get every small article refused. Announced:
 * counted from free_below up. Chunked: counted once it passes half of it,
 * then all of its bytes. */
static void test_budget_small_bodies_uncounted(void **state)
{
    (void)state;
    const cfd_http_limits limits = {.max_header = 1024, .max_body = 4096};
    cfd_body_budget b;
    cfd_body_budget_init(&b, 3000);
    b.free_below = 1000;
    cfd_http_in big, in;
    char head[256], body[1100];
    size_t used;
    memset(body, 'x', sizeof(body));
    cfd_http_in_init(&big, &limits);
    big.budget = &b;
    post_head(head, sizeof(head), 2500, NULL);
    assert_int_equal(cfd_http_feed(&big, head, strlen(head), &used), CFD_HTTP_MORE);
    assert_int_equal(cfd_body_budget_used(&b), 2500); /* 500 left */

    /* 999 announced: served, not counted; 1000: counted, and refused */
    cfd_http_in_init(&in, &limits);
    in.budget = &b;
    post_head(head, sizeof(head), 999, NULL);
    assert_int_equal(cfd_http_feed(&in, head, strlen(head), &used), CFD_HTTP_MORE);
    assert_int_equal(cfd_http_feed(&in, body, 999, &used), CFD_HTTP_REQUEST);
    assert_int_equal(in.req.body_len, 999);
    assert_int_equal(cfd_body_budget_used(&b), 2500);
    cfd_http_in_release(&in);
    post_head(head, sizeof(head), 1000, NULL);
    assert_int_equal(cfd_http_feed(&in, head, strlen(head), &used), CFD_HTTP_ERROR);
    assert_string_equal(in.err_code, "body_memory_exhausted");
    assert_int_equal(in.err_asked, 1000);
    cfd_http_in_free(&in);
    assert_int_equal(cfd_body_budget_used(&b), 2500);
    assert_int_equal(atomic_load(&b.refused), 1);

    /* chunked: 499 bytes are not counted (under half of free_below); the
     * chunk that takes it to 600 reserves all 600, and the next ones theirs */
    cfd_http_in_init(&in, &limits);
    in.budget = &b;
    const char chead[] = "POST /v1/classify HTTP/1.1\r\nHost: a\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n";
    char chunk[1200];
    assert_int_equal(cfd_http_feed(&in, chead, sizeof(chead) - 1, &used), CFD_HTTP_MORE);
    int n = snprintf(chunk, sizeof(chunk), "1f3\r\n%.499s\r\n", body);
    assert_int_equal(cfd_http_feed(&in, chunk, (size_t)n, &used), CFD_HTTP_MORE);
    assert_int_equal(cfd_body_budget_used(&b), 2500);
    cfd_http_in_release(&big); /* no-op: big is still being received */
    cfd_http_in_free(&big);    /* its connection ends: 2500 back */
    assert_int_equal(cfd_body_budget_used(&b), 0);
    n = snprintf(chunk, sizeof(chunk), "65\r\n%.101s\r\n", body);
    assert_int_equal(cfd_http_feed(&in, chunk, (size_t)n, &used), CFD_HTTP_MORE);
    assert_int_equal(cfd_body_budget_used(&b), 600); /* all of it, from 500 on */
    n = snprintf(chunk, sizeof(chunk), "3e8\r\n%.1000s\r\n0\r\n\r\n", body);
    assert_int_equal(cfd_http_feed(&in, chunk, (size_t)n, &used), CFD_HTTP_REQUEST);
    assert_int_equal(in.req.body_len, 1600);
    assert_int_equal(cfd_body_budget_used(&b), 1600);
    cfd_http_in_release(&in);
    assert_int_equal(cfd_body_budget_used(&b), 0);
    cfd_http_in_free(&in);
    assert_int_equal(cfd_body_budget_used(&b), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_budget_content_length),
        cmocka_unit_test(test_budget_pipelined),
        cmocka_unit_test(test_budget_chunked),
        cmocka_unit_test(test_budget_small_bodies_uncounted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
