/*
 * Regression and limit tests for daemon/conn.c, driven through a socketpair
 * on a real worker loop (no engine: only /healthz is requested).
 *
 *  1. Found by fuzz/fuzz_http.c: pipelined requests whose replies went over
 *     max_pending_output stalled the connection for good. The connection
 *     stopped reading and kept the rest of the input in `pending`; the flush
 *     then wrote everything at once (uv_try_write), so no write callback
 *     ever came to resume, and the remaining requests were never answered.
 *  2. A reply to HEAD carried a body (a 405 with its JSON error): a client
 *     reads no body after HEAD, so with keep-alive the bytes corrupted the
 *     next reply -- e.g. a load balancer's "HEAD /healthz" check. Found by
 *     fuzz_http once its reply parser treated HEAD replies as a client
 *     does. HEAD is now GET without the body.
 *  3. Found by fuzz_http: a client that sent whole requests, then part of
 *     another, then shut its side (half-close) lost the replies still
 *     queued for the whole ones: the connection was closed at once because
 *     the partial request "could never complete".
 *  4. Found by fuzz_http: an NDJSON batch stalled when its lines passed
 *     max_pending_output before any was written (lines are written out in
 *     groups): the batch waited for a write callback, the caller's flush
 *     then wrote everything at once, and no callback ever came.
 *  5. Bounded write queue: a client that sends many pipelined requests and
 *     never reads makes the connection stop reading once its replies pass
 *     max_pending_output; what it holds stays bounded by one read of input
 *     plus max_pending_output plus one reply, however much the client sends.
 *  6. Found by review: a connection kept the body buffer of its last
 *     request until its next request began, so idle keep-alive connections
 *     that each once sent a large body held it (150 connections after one
 *     1 MiB article each: +145 MiB resident until they closed). A body
 *     buffer over 64 KiB is now released once its request is answered.
 *  8. Found by review: nothing bounded the bodies being received over all
 *     connections (max_connections x max_body, 4 GiB with the defaults):
 *     bodies now reserve a loop's share of max_body_memory, and every
 *     test here checks at teardown that all of it was given back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "engine_test_util.h"
#include "log.h"

static cfd_config g_cfg;
static cfd_server g_srv;
static cfd_worker g_w; /* holds a 64 KiB read buffer: static */

static void setup_worker(const char *max_pending_output)
{
    cfd_error err;
    memset(&g_srv, 0, sizeof(g_srv));
    memset(&g_w, 0, sizeof(g_w));
    cfd_config_defaults(&g_cfg);
    assert_int_equal(cfd_config_set(&g_cfg, "max-pending-output", max_pending_output, &err), 0);
    g_srv.cfg = &g_cfg;
    g_srv.limits.max_body = g_cfg.max_body;
    g_srv.limits.max_header = g_cfg.max_header;
    g_srv.workers = &g_w;
    g_srv.n_workers = 1;
    g_srv.unix_fd = g_srv.tcp_fd = -1;
    g_w.srv = &g_srv;
    assert_int_equal(uv_loop_init(&g_w.loop), 0);
    g_w.loop.data = &g_w;
    cfd_metrics_init(&g_w.metrics);
    cfd_article_decoder_init(&g_w.dec);
    cfd_http_date(g_w.date, (int64_t)time(NULL));
}

static char g_dir[256];

/* A real engine with the built plugins and small keyword models. */
static void open_engine(void)
{
    static const char *const plugins[] = {"topic", "section", "sentiment"};
    tu_tmpdir(g_dir, sizeof(g_dir));
    tu_make_standard_models(g_dir, 7);
    cfd_engine_config ec;
    memset(&ec, 0, sizeof(ec));
    ec.plugin_dir = CFD_PLUGIN_DIR;
    ec.models_dir = g_dir;
    ec.plugins = plugins;
    ec.n_plugins = 3;
    cfd_error err;
    if (cfd_engine_open(&ec, &g_srv.engine, &err) != 0)
        fail_msg("cfd_engine_open: %s", err.msg);
    assert_int_equal(cfd_engine_worker_new(g_srv.engine, &g_w.ew), 0);
}

static void close_engine(void)
{
    cfd_engine_worker_free(g_w.ew);
    g_w.ew = NULL;
    cfd_buf_free(&g_w.scratch);
    cfd_engine_close(g_srv.engine);
    g_srv.engine = NULL;
    tu_rmrf(g_dir);
}

static void teardown_worker(void)
{
    for (int i = 0; i < 1000 && g_w.conns; i++)
        uv_run(&g_w.loop, UV_RUN_NOWAIT);
    assert_null(g_w.conns);
    /* Every body reservation was given back, whatever ended the requests
     * (the budget counts even without a limit). */
    assert_int_equal(cfd_body_budget_used(&g_w.body_budget), 0);
    uv_run(&g_w.loop, UV_RUN_NOWAIT);
    assert_int_equal(uv_loop_close(&g_w.loop), 0);
    cfd_article_decoder_free(&g_w.dec);
    cfd_config_free(&g_cfg);
}

/* Opens a connection on the worker; returns the client's end. */
static int open_conn(void)
{
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    atomic_fetch_add(&g_w.load, 1);
    atomic_fetch_add(&g_srv.open_total, 1);
    cfd_conn_open(&g_w, fds[0], 1);
    assert_non_null(g_w.conns);
    return fds[1];
}

static size_t count(const char *hay, size_t n, const char *needle)
{
    size_t k = 0, m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            k++;
    return k;
}

static const char k_get[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

/* Writes all of p to the client's end, running the worker's loop between
 * writes (the socket buffer is smaller than what some tests send). */
static void write_all(int fd, const char *p, size_t n)
{
    size_t sent = 0;
    for (int i = 0; i < 10000 && sent < n; i++) {
        ssize_t w = write(fd, p + sent, n - sent);
        if (w > 0)
            sent += (size_t)w;
        uv_run(&g_w.loop, UV_RUN_NOWAIT);
    }
    assert_int_equal(sent, n);
}

static void test_pipelined_over_pending_limit_does_not_stall(void **state)
{
    (void)state;
    setup_worker("1"); /* every reply goes over the limit */
    int fd = open_conn();
    char req[sizeof(k_get) * 3];
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        memcpy(req + n, k_get, sizeof(k_get) - 1);
        n += sizeof(k_get) - 1;
    }
    assert_int_equal(write(fd, req, n), (ssize_t)n);
    char buf[8192];
    size_t got = 0;
    for (int i = 0; i < 200 && count(buf, got, "HTTP/1.1 200 OK") < 3; i++) {
        uv_run(&g_w.loop, UV_RUN_NOWAIT);
        ssize_t r = read(fd, buf + got, sizeof(buf) - got);
        if (r > 0)
            got += (size_t)r;
    }
    assert_int_equal(count(buf, got, "HTTP/1.1 200 OK"), 3);
    assert_int_equal(count(buf, got, "{\"status\":\"ok\"}"), 3);
    close(fd);
    teardown_worker();
}

static void test_head_reply_has_no_body(void **state)
{
    (void)state;
    setup_worker("256K");
    int fd = open_conn();
    static const char req[] = "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                              "HEAD /v1/classify HTTP/1.1\r\nHost: x\r\n\r\n"
                              "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(write(fd, req, sizeof(req) - 1), (ssize_t)(sizeof(req) - 1));
    char buf[8192];
    size_t got = 0;
    for (int i = 0; i < 200 && count(buf, got, "HTTP/1.1 ") < 3; i++) {
        uv_run(&g_w.loop, UV_RUN_NOWAIT);
        ssize_t r = read(fd, buf + got, sizeof(buf) - 1 - got);
        if (r > 0)
            got += (size_t)r;
    }
    for (int i = 0; i < 20; i++) { /* anything more would be a stray body */
        uv_run(&g_w.loop, UV_RUN_NOWAIT);
        ssize_t r = read(fd, buf + got, sizeof(buf) - 1 - got);
        if (r > 0)
            got += (size_t)r;
    }
    buf[got] = '\0';
    assert_int_equal(count(buf, got, "HTTP/1.1 "), 3);
    /* HEAD /healthz: the GET reply's headers, then at once the next reply. */
    const char *second = strstr(buf, "\r\n\r\n");
    assert_non_null(second);
    assert_true(strncmp(buf, "HTTP/1.1 200 OK", 15) == 0);
    assert_true(strncmp(second + 4, "HTTP/1.1 405 ", 13) == 0);
    /* HEAD /v1/classify: 405 naming POST, no body either. */
    const char *third = strstr(second + 4, "\r\n\r\n");
    assert_non_null(third);
    assert_true(strncmp(third + 4, "HTTP/1.1 200 OK", 15) == 0);
    /* Only the GET carries the body. */
    assert_int_equal(count(buf, got, "{\"status\":\"ok\"}"), 1);
    assert_int_equal(count(buf, got, "method_not_allowed"), 0);
    close(fd);
    teardown_worker();
}

/* Reads until the daemon shuts its side (bounded); returns the bytes read. */
static size_t read_to_eof(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    for (int i = 0; i < 20000 && g_w.conns; i++) {
        uv_run(&g_w.loop, UV_RUN_NOWAIT);
        ssize_t r = read(fd, buf + got, cap - 1 - got);
        if (r > 0)
            got += (size_t)r;
        else if (r == 0)
            break; /* the daemon shut its side */
    }
    for (;;) {
        ssize_t r = read(fd, buf + got, cap - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    buf[got] = '\0';
    return got;
}

static void test_half_close_after_partial_request_keeps_replies(void **state)
{
    (void)state;
    setup_worker("256K");
    int fd = open_conn();
    int small = 4096; /* the replies cannot all leave before the EOF is seen */
    uv_os_fd_t dfd;
    assert_int_equal(uv_fileno(&g_w.conns->h.handle, &dfd), 0);
    assert_int_equal(setsockopt(dfd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
    static char req[200 * sizeof(k_get) + 64];
    size_t n = 0;
    for (int i = 0; i < 200; i++) {
        memcpy(req + n, k_get, sizeof(k_get) - 1);
        n += sizeof(k_get) - 1;
    }
    memcpy(req + n, "GET /heal", 9); /* a partial request, then EOF */
    n += 9;
    write_all(fd, req, n);
    assert_int_equal(shutdown(fd, SHUT_WR), 0);
    static char buf[1 << 16];
    size_t got = read_to_eof(fd, buf, sizeof(buf));
    assert_int_equal(count(buf, got, "HTTP/1.1 200 OK"), 200);
    assert_int_equal(count(buf, got, "{\"status\":\"ok\"}"), 200);
    /* The partial request is answered 400 incomplete_request
     * (docs/PROTOCOL.md), last, and only that reply closes. */
    assert_int_equal(count(buf, got, "HTTP/1.1 400 Bad Request"), 1);
    const char *bad = strstr(buf, "HTTP/1.1 400 Bad Request");
    assert_non_null(strstr(bad, "\"incomplete_request\""));
    assert_int_equal(count(bad, got - (size_t)(bad - buf), "HTTP/1.1 200 OK"), 0);
    assert_int_equal(count(buf, got, "Connection: close"), 1);
    assert_non_null(strstr(bad, "Connection: close"));
    close(fd);
    teardown_worker();
}

/* 6. Found by review: while draining (SIGTERM), a reply said Connection:
 *    close at once, so the pipelined requests already received behind it
 *    were dropped, where docs/PROTOCOL.md promises they are answered. */
static void test_draining_answers_every_received_request(void **state)
{
    (void)state;
    setup_worker("256K");
    int fd = open_conn();
    g_w.draining = 1;
    char req[sizeof(k_get) * 3];
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        memcpy(req + n, k_get, sizeof(k_get) - 1);
        n += sizeof(k_get) - 1;
    }
    assert_int_equal(write(fd, req, n), (ssize_t)n);
    static char buf[1 << 14];
    size_t got = read_to_eof(fd, buf, sizeof(buf));
    assert_int_equal(count(buf, got, "HTTP/1.1 200 OK"), 3);
    assert_int_equal(count(buf, got, "{\"status\":\"ok\"}"), 3);
    /* one Connection: close, on the last reply */
    assert_int_equal(count(buf, got, "Connection: close"), 1);
    const char *last = buf;
    for (const char *p; (p = strstr(last + 1, "HTTP/1.1 200 OK")) != NULL;)
        last = p;
    assert_non_null(strstr(last, "Connection: close"));
    close(fd);
    teardown_worker();
}

/* 7. Found by review: an NDJSON batch whose client went away mid-stream was
 *    never counted in classifyd_requests_total (its 200 had been sent). */
static void test_ndjson_cut_short_is_counted(void **state)
{
    (void)state;
    setup_worker("2K");
    open_engine();
    int fd = open_conn();
    static char body[1 << 16];
    size_t bl = 0;
    for (int i = 0; i < 1000; i++)
        bl += (size_t)snprintf(body + bl, sizeof(body) - bl, "{\"body\":\"국회 선거 %d\"}\n", i);
    char head[256];
    int hl = snprintf(head, sizeof(head),
                      "POST /v1/classify HTTP/1.1\r\nContent-Type: application/x-ndjson\r\n"
                      "Content-Length: %zu\r\n\r\n", bl);
    write_all(fd, head, (size_t)hl);
    write_all(fd, body, bl);
    char buf[1024]; /* read the start of the reply, then hang up */
    ssize_t r = 0;
    for (int i = 0; i < 1000 && r <= 0; i++) {
        uv_run(&g_w.loop, UV_RUN_NOWAIT);
        r = read(fd, buf, sizeof(buf));
    }
    assert_true(r > 0);
    assert_true(g_w.conns != NULL && g_w.conns->nd_active); /* still streaming */
    close(fd);
    for (int i = 0; i < 1000 && g_w.conns; i++)
        uv_run(&g_w.loop, UV_RUN_NOWAIT);
    assert_null(g_w.conns);
    cfd_metrics *loops[] = {&g_w.metrics};
    cfd_buf out = CFD_BUF_INIT;
    assert_int_equal(cfd_metrics_render(loops, 1, &out), 0);
    assert_non_null(strstr(out.data, "classifyd_requests_total{endpoint=\"classify\","
                                     "status=\"200\"} 1\n"));
    cfd_buf_free(&out);
    teardown_worker();
    close_engine();
}

static void test_ndjson_over_pending_limit_does_not_stall(void **state)
{
    (void)state;
    setup_worker("2K");
    open_engine();
    int fd = open_conn();
    /* 40 lines: good articles and bad lines, ~7 KB of reply lines. */
    static char body[8192];
    size_t bl = 0;
    for (int i = 0; i < 40; i++)
        bl += (size_t)snprintf(body + bl, sizeof(body) - bl, "%s\n",
                               i % 2 ? "not json" : "{\"body\":\"국회 선거 경제 기업\"}");
    static char req[9000];
    int n = snprintf(req, sizeof(req),
                     "POST /v1/classify HTTP/1.1\r\nContent-Type: application/x-ndjson\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     bl, body);
    assert_int_equal(write(fd, req, (size_t)n), n);
    static char buf[1 << 16];
    size_t got = read_to_eof(fd, buf, sizeof(buf));
    assert_int_equal(count(buf, got, "\"line\":"), 20);     /* the bad lines */
    assert_int_equal(count(buf, got, "\"results\":"), 20);  /* the good ones */
    assert_true(got >= 5 && memcmp(buf + got - 5, "0\r\n\r\n", 5) == 0); /* stream ended */
    close(fd);
    close_engine();
    teardown_worker();
}

static void test_unread_replies_stay_bounded(void **state)
{
    (void)state;
    setup_worker("4K");
    int fd = open_conn();
    cfd_conn *c = g_w.conns;
    /* Write pipelined requests until the daemon stops taking them (it stops
     * reading, so the socket fills), never reading a reply. */
    size_t sent = 0, max_held = 0, max_out = 0;
    int stuck = 0;
    for (int i = 0; i < 200000 && stuck < 50; i++) {
        ssize_t w = write(fd, k_get, sizeof(k_get) - 1);
        if (w > 0) {
            sent += (size_t)w;
            stuck = 0;
        } else {
            assert_int_equal(errno, EAGAIN);
            stuck++;
        }
        uv_run(&g_w.loop, UV_RUN_NOWAIT);
        size_t held = c->pending.len - c->pending_off;
        size_t out = cfd_conn_pending_output(c);
        max_held = held > max_held ? held : max_held;
        max_out = out > max_out ? out : max_out;
    }
    /* The client could send no more: the daemon had stopped reading. */
    assert_true(stuck >= 50);
    assert_false(c->reading);
    assert_true(max_out > 4096); /* the replies did reach the limit */
    /* What the connection holds: at most one read of input, and replies up
     * to the limit plus the one that crossed it. */
    assert_true(max_held <= CFD_READ_BUF);
    assert_true(max_out <= 4096 + 1024);
    print_message("sent %zu bytes of requests; connection held at most %zu bytes of input "
                  "and %zu of replies\n", sent, max_held, max_out);
    close(fd);
    teardown_worker();
}

static void test_idle_connection_holds_no_large_body(void **state)
{
    (void)state;
    setup_worker("256K");
    int fd = open_conn();
    cfd_conn *c = g_w.conns;
    size_t blen = 200000;
    char *req = malloc(blen + 128);
    assert_non_null(req);
    /* A body on GET /healthz: read and ignored, no engine needed. */
    int h = snprintf(req, 128, "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n",
                     blen);
    memset(req + h, 'a', blen);
    write_all(fd, req, (size_t)h + blen);
    char buf[4096];
    size_t got = 0;
    for (int i = 0; i < 2000 && count(buf, got, "{\"status\":\"ok\"}") < 1; i++) {
        uv_run(&g_w.loop, UV_RUN_NOWAIT);
        ssize_t r = read(fd, buf + got, sizeof(buf) - got);
        if (r > 0)
            got += (size_t)r;
    }
    assert_int_equal(count(buf, got, "HTTP/1.1 200 OK"), 1);
    assert_ptr_equal(g_w.conns, c); /* kept alive */
    assert_true(c->in.body.cap <= (64u << 10));
    free(req);
    close(fd);
    teardown_worker();
}

/* Reads (running the loop) until `needle` has come `times` times or the
 * daemon shut its side; returns the bytes read. */
static size_t read_for(int fd, char *buf, size_t cap, const char *needle, size_t times)
{
    size_t got = 0;
    for (int i = 0; i < 5000 && count(buf, got, needle) < times; i++) {
        uv_run(&g_w.loop, UV_RUN_NOWAIT);
        ssize_t r = read(fd, buf + got, cap - 1 - got);
        if (r > 0)
            got += (size_t)r;
        else if (r == 0)
            break;
    }
    buf[got] = '\0';
    return got;
}

static void run_a_little(void)
{
    for (int i = 0; i < 50; i++)
        uv_run(&g_w.loop, UV_RUN_NOWAIT);
}

/* 8. Body memory (body_budget.h), on a loop whose share is 8000 bytes: a
 *    body that does not fit is refused from its headers with 503
 *    body_memory_exhausted (instead of 100 Continue), and every way a
 *    request ends gives its reservation back: answered, pipelined behind
 *    another, the client gone mid-body (announced or chunked), the read
 *    timeout. teardown_worker checks that nothing is left reserved. */
static void test_body_budget_refuses_and_releases(void **state)
{
    (void)state;
    setup_worker("256K");
    cfd_body_budget_init(&g_w.body_budget, 8000);
    static char body[8000];
    memset(body, 'a', sizeof(body));
    char head[256], buf[4096];
    int hl;
    size_t got;

    int a = open_conn();
    hl = snprintf(head, sizeof(head), "GET /healthz HTTP/1.1\r\nContent-Length: 5000\r\n\r\n");
    write_all(a, head, (size_t)hl);
    write_all(a, body, 100);
    run_a_little();
    assert_int_equal(cfd_body_budget_used(&g_w.body_budget), 5000);

    int b = open_conn();
    hl = snprintf(head, sizeof(head), "GET /healthz HTTP/1.1\r\nContent-Length: 5000\r\n"
                                      "Expect: 100-continue\r\n\r\n");
    write_all(b, head, (size_t)hl);
    got = read_to_eof(b, buf, sizeof(buf));
    assert_true(strncmp(buf, "HTTP/1.1 503 ", 13) == 0);
    assert_int_equal(count(buf, got, "100 Continue"), 0);
    assert_int_equal(count(buf, got, "\"code\":\"body_memory_exhausted\""), 1);
    assert_int_equal(count(buf, got, "Retry-After: 1\r\n"), 1);
    assert_int_equal(count(buf, got, "Connection: close\r\n"), 1);
    close(b);
    assert_int_equal(cfd_body_budget_used(&g_w.body_budget), 5000);
    assert_int_equal(atomic_load(&g_w.body_budget.refused), 1);

    /* a's body arrives: answered, and its 5000 bytes are free again */
    write_all(a, body, 4900);
    got = read_for(a, buf, sizeof(buf), "{\"status\":\"ok\"}", 1);
    assert_int_equal(count(buf, got, "HTTP/1.1 200 OK"), 1);
    run_a_little();
    assert_int_equal(cfd_body_budget_used(&g_w.body_budget), 0);

    /* two pipelined requests of 6000 each: one at a time, both fit */
    static char two[2 * (6000 + 128)];
    size_t n = 0;
    for (int i = 0; i < 2; i++) {
        n += (size_t)snprintf(two + n, sizeof(two) - n,
                              "GET /healthz HTTP/1.1\r\nContent-Length: 6000\r\n\r\n");
        memcpy(two + n, body, 6000);
        n += 6000;
    }
    write_all(a, two, n);
    got = read_for(a, buf, sizeof(buf), "{\"status\":\"ok\"}", 2);
    assert_int_equal(count(buf, got, "HTTP/1.1 200 OK"), 2);
    run_a_little();
    assert_int_equal(cfd_body_budget_used(&g_w.body_budget), 0);

    /* the client goes away mid-body: announced, then chunked */
    hl = snprintf(head, sizeof(head), "GET /healthz HTTP/1.1\r\nContent-Length: 7000\r\n\r\n");
    write_all(a, head, (size_t)hl);
    write_all(a, body, 3000);
    run_a_little();
    assert_int_equal(cfd_body_budget_used(&g_w.body_budget), 7000);
    close(a);
    for (int i = 0; i < 1000 && g_w.conns; i++)
        uv_run(&g_w.loop, UV_RUN_NOWAIT);
    assert_null(g_w.conns);
    assert_int_equal(cfd_body_budget_used(&g_w.body_budget), 0);
    int c = open_conn();
    hl = snprintf(head, sizeof(head),
                  "GET /healthz HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n");
    write_all(c, head, (size_t)hl);
    write_all(c, body, 4096);
    run_a_little();
    assert_int_equal(cfd_body_budget_used(&g_w.body_budget), 4096);
    close(c);
    for (int i = 0; i < 1000 && g_w.conns; i++)
        uv_run(&g_w.loop, UV_RUN_NOWAIT);
    assert_int_equal(cfd_body_budget_used(&g_w.body_budget), 0);

    /* the read timeout: 408, and the body's memory back at once */
    int d = open_conn();
    hl = snprintf(head, sizeof(head), "GET /healthz HTTP/1.1\r\nContent-Length: 7000\r\n\r\n");
    write_all(d, head, (size_t)hl);
    write_all(d, body, 10);
    run_a_little();
    assert_int_equal(cfd_body_budget_used(&g_w.body_budget), 7000);
    cfd_conn_sweep(&g_w, uv_now(&g_w.loop) + g_cfg.read_timeout_ms + 1);
    assert_int_equal(cfd_body_budget_used(&g_w.body_budget), 0);
    got = read_to_eof(d, buf, sizeof(buf));
    assert_true(strncmp(buf, "HTTP/1.1 408 ", 13) == 0);
    close(d);
    teardown_worker();
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    cfd_log_setup(CFD_LOG_WARN, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipelined_over_pending_limit_does_not_stall),
        cmocka_unit_test(test_head_reply_has_no_body),
        cmocka_unit_test(test_half_close_after_partial_request_keeps_replies),
        cmocka_unit_test(test_draining_answers_every_received_request),
        cmocka_unit_test(test_ndjson_cut_short_is_counted),
        cmocka_unit_test(test_ndjson_over_pending_limit_does_not_stall),
        cmocka_unit_test(test_unread_replies_stay_bounded),
        cmocka_unit_test(test_idle_connection_holds_no_large_body),
        cmocka_unit_test(test_body_budget_refuses_and_releases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
