/*
 * Tests for daemon/conn.c and daemon/server.c together: a real daemon (two
 * event loops, the real engine and plugins, small keyword models in a
 * temporary directory) on a temporary Unix socket in this process, driven
 * through a plain socket: pipelined requests in one write answered in order,
 * a request written one byte at a time, 413 refused from the headers with
 * the connection closed, an NDJSON batch streamed as chunks, a client that
 * does not read its replies (the connection pauses and then delivers every
 * reply in order), the read timeout, an admin call run off the loop, and a
 * stop that answers what was received and removes the socket.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "socket_test_util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "engine_test_util.h"
#include "server.h"

typedef struct fixture {
    char dir[256];
    char sock[300];
    cfd_config cfg;
    cfd_engine *engine;
    cfd_server srv;
    uv_thread_t thread;
    int run_rc;
    int joined;
} fixture;

static void run_server(void *arg)
{
    fixture *f = arg;
    cfd_error err;
    f->run_rc = cfd_server_run(&f->srv, f->engine, &err);
}

static int connect_sock(const fixture *f)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a;
    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    size_t l = strlen(f->sock);
    assert_true(l < sizeof(a.sun_path));
    memcpy(a.sun_path, f->sock, l + 1);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}


/* One connection: sends n bytes, reads until quiet_ms of silence (or EOF), closes. */
static size_t exchange(const fixture *f, const char *p, size_t n, char *buf, size_t cap,
                       int quiet_ms, int *eof)
{
    int fd = connect_sock(f);
    send_all(fd, p, n);
    size_t got = read_until_quiet(fd, buf, cap, quiet_ms, eof);
    close(fd);
    return got;
}

static size_t count(const char *s, const char *needle)
{
    size_t k = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        k++;
    return k;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    cfd_error err;
    assert_non_null(f);
    tu_tmpdir(f->dir, sizeof(f->dir));
    tu_make_standard_models(f->dir, 7);
    snprintf(f->sock, sizeof(f->sock), "%s/d.sock", f->dir);
    cfd_config_defaults(&f->cfg);
    char *argv[] = {"classifyd", "--socket", f->sock, "--models", f->dir,
                    "--plugins", CFD_PLUGIN_DIR, "--enable", "topic,section,sentiment",
                    "--workers", "2", "--read-timeout", "1s", "--max-pending-output", "4K",
                    "--max-body", "64K", "--log-level", "error"};
    assert_int_equal(cfd_config_from_args(&f->cfg, (int)(sizeof(argv) / sizeof(argv[0])), argv,
                                          &err), 0);
    cfd_engine_config ec;
    cfd_config_engine(&f->cfg, &ec);
    ec.log = NULL;
    if (cfd_engine_open(&ec, &f->engine, &err) != 0)
        fail_msg("engine: %s", err.msg);
    assert_true(cfd_engine_ready(f->engine));
    if (cfd_server_listen(&f->srv, &f->cfg, &err) != 0)
        fail_msg("listen: %s", err.msg);
    assert_int_equal(uv_thread_create(&f->thread, run_server, f), 0);
    /* The socket listens before the loops run: wait for a first answer, so
     * that cfd_server_stop (which needs cfd_server_run's handles) is safe. */
    char buf[1024];
    int eof;
    int fd = connect_sock(f);
    const char hz[] = "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n";
    send_all(fd, hz, sizeof(hz) - 1);
    read_until_quiet(fd, buf, sizeof(buf), 10000, &eof);
    close(fd);
    assert_non_null(strstr(buf, "\"status\":\"ok\""));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cfd_server_stop(&f->srv);
    uv_thread_join(&f->thread);
    cfd_server_close(&f->srv);
    cfd_engine_close(f->engine);
    cfd_config_free(&f->cfg);
    tu_rmrf(f->dir);
    free(f);
    return 0;
}

static char *classify_req(const char *id, const char *extra_headers)
{
    static char req[1024];
    char body[256];
    int n = snprintf(body, sizeof(body), "{\"id\":\"%s\",\"body\":\"국회 의원 선거 여당\"}", id);
    snprintf(req, sizeof(req),
             "POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             "Content-Length: %d\r\n%s\r\n%s",
             n, extra_headers, body);
    return req;
}

static void test_pipelined_in_order(void **state)
{
    fixture *f = *state;
    char buf[16384], req[4096];
    int eof;
    snprintf(req, sizeof(req), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n%s"
                               "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
             classify_req("p2", ""));
    exchange(f, req, strlen(req), buf, sizeof(buf), 3000, &eof);
    assert_true(eof); /* Connection: close honoured after the third reply */
    assert_int_equal(count(buf, "HTTP/1.1 200 OK"), 3);
    const char *a = strstr(buf, "\"status\":\"ok\""), *b = strstr(buf, "\"id\":\"p2\""),
               *c = strstr(buf, "\"ready\":true");
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_true(a < b && b < c);
    assert_non_null(strstr(b, "\"results\""));
}

static void test_byte_by_byte(void **state)
{
    fixture *f = *state;
    char buf[8192];
    int eof;
    const char *req = classify_req("slow", "");
    int fd = connect_sock(f);
    for (size_t i = 0; req[i]; i++) {
        send_all(fd, req + i, 1);
        if (i % 16 == 0)
            usleep(1000);
    }
    read_until_quiet(fd, buf, sizeof(buf), 1500, &eof);
    close(fd);
    assert_true(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0);
    assert_non_null(strstr(buf, "\"id\":\"slow\""));
}

static void test_413_closes(void **state)
{
    fixture *f = *state;
    char buf[4096];
    int eof;
    const char req[] = "POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Content-Length: 10000000\r\n\r\n";
    exchange(f, req, sizeof(req) - 1, buf, sizeof(buf), 3000, &eof);
    assert_true(strncmp(buf, "HTTP/1.1 413 ", 13) == 0);
    assert_non_null(strstr(buf, "Connection: close\r\n"));
    assert_non_null(strstr(buf, "\"code\":\"body_too_large\""));
    assert_true(eof);
}

static void test_ndjson_chunked(void **state)
{
    fixture *f = *state;
    char buf[16384], req[2048];
    int eof;
    const char body[] = "{\"id\":\"n1\",\"body\":\"축구 경기\"}\n{\"id\":\"n2\",\"body\":\n"
                        "{\"id\":\"n3\",\"title\":\"국회\"}\n";
    snprintf(req, sizeof(req),
             "POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
             sizeof(body) - 1, body);
    exchange(f, req, strlen(req), buf, sizeof(buf), 3000, &eof);
    assert_non_null(strstr(buf, "Transfer-Encoding: chunked\r\n"));
    assert_non_null(strstr(buf, "Content-Type: application/x-ndjson\r\n"));
    const char *l1 = strstr(buf, "\"id\":\"n1\""), *l2 = strstr(buf, "{\"line\":2,\"error\":"),
               *l3 = strstr(buf, "\"id\":\"n3\"");
    assert_non_null(l1);
    assert_non_null(l2);
    assert_non_null(l3);
    assert_true(l1 < l2 && l2 < l3);
    size_t n = strlen(buf);
    assert_true(n > 5 && strcmp(buf + n - 5, "0\r\n\r\n") == 0); /* last chunk */
}

/* HTTP/1.0 has no chunked coding: an NDJSON batch is streamed until the
 * connection closes, so the daemon closes it, keep-alive asked or not. */
static void test_ndjson_http10_closes(void **state)
{
    fixture *f = *state;
    char buf[16384], req[2048];
    int eof;
    const char body[] = "{\"id\":\"m1\",\"body\":\"축구 경기\"}\n{\"id\":\"m2\",\"title\":\"국회\"}\n";
    snprintf(req, sizeof(req),
             "POST /v1/classify HTTP/1.0\r\nContent-Type: application/x-ndjson\r\n"
             "Content-Length: %zu\r\nConnection: keep-alive\r\n\r\n%s",
             sizeof(body) - 1, body);
    exchange(f, req, strlen(req), buf, sizeof(buf), 3000, &eof);
    assert_true(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0);
    assert_null(strstr(buf, "Transfer-Encoding"));
    assert_null(strstr(buf, "Connection: keep-alive"));
    assert_non_null(strstr(buf, "Connection: close\r\n"));
    const char *l1 = strstr(buf, "\"id\":\"m1\""), *l2 = strstr(buf, "\"id\":\"m2\"");
    assert_non_null(l1);
    assert_non_null(l2);
    assert_true(l1 < l2);
    assert_true(eof); /* the end of the reply is the end of the connection */
}

/* No Content-Type at all (a bare client): the body is read as JSON. */
static void test_no_content_type_is_json(void **state)
{
    fixture *f = *state;
    char buf[8192], req[1024];
    int eof;
    const char body[] = "{\"id\":\"bare\",\"body\":\"국회 의원 선거 여당\"}";
    snprintf(req, sizeof(req),
             "POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n"
             "Connection: close\r\n\r\n%s",
             sizeof(body) - 1, body);
    exchange(f, req, strlen(req), buf, sizeof(buf), 3000, &eof);
    assert_true(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0);
    assert_non_null(strstr(buf, "\"id\":\"bare\""));
    assert_non_null(strstr(buf, "\"results\""));
}

/* 300 pipelined requests and no reading: the daemon stops taking them once
 * 4 KiB of replies wait, then delivers every reply, in order, once read. */
static void test_client_not_reading(void **state)
{
    fixture *f = *state;
    enum { N = 300 };
    size_t cap = (size_t)N * 2048;
    char *all = malloc(cap), *buf = malloc(cap);
    assert_non_null(all);
    assert_non_null(buf);
    size_t len = 0;
    for (int i = 0; i < N; i++) {
        char id[16];
        snprintf(id, sizeof(id), "r%03d", i);
        const char *r = classify_req(id, "");
        memcpy(all + len, r, strlen(r));
        len += strlen(r);
    }
    int fd = connect_sock(f);
    int sndbuf = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    send_all(fd, all, len);
    usleep(300 * 1000); /* the daemon has paused this connection by now */
    int eof;
    size_t n = read_until_quiet(fd, buf, cap, 3000, &eof);
    close(fd);
    assert_true(n > 0);
    assert_int_equal(count(buf, "HTTP/1.1 200 OK"), N);
    const char *p = buf;
    for (int i = 0; i < N; i++) {
        char id[32];
        snprintf(id, sizeof(id), "\"id\":\"r%03d\"", i);
        const char *q = strstr(p, id);
        if (q == NULL)
            fail_msg("reply %d missing or out of order", i);
        p = q;
    }
    free(all);
    free(buf);
}

static void test_read_timeout(void **state)
{
    fixture *f = *state;
    char buf[4096];
    int eof;
    exchange(f, "POST /v1/classify HTTP/1.1\r\nContent-Length: 30\r\n\r\n{\"bo", 55, buf, sizeof(buf), 5000, &eof);
    assert_true(strncmp(buf, "HTTP/1.1 408 ", 13) == 0);
    assert_non_null(strstr(buf, "\"code\":\"read_timeout\""));
    /* what arrived: a Content-Length larger than the body is visible */
    assert_non_null(strstr(buf, " of the 30 body bytes that Content-Length announced arrived"));
    assert_true(eof);
}

/* An admin call from our own uid: runs on the thread pool, then the
 * connection's next request is answered after it. */
static void test_admin_then_next_request(void **state)
{
    fixture *f = *state;
    char buf[16384], req[1024];
    int eof;
    snprintf(req, sizeof(req),
             "POST /v1/plugins/topic/model HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             "Content-Length: 22\r\n\r\n{\"model\":\"topic.cfdm\"}"
             "POST /v1/plugins/topic/model HTTP/1.1\r\nHost: x\r\nContent-Length: 19\r\n\r\n"
             "{\"model\":\"../x\"}   "
             "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    exchange(f, req, strlen(req), buf, sizeof(buf), 5000, &eof);
    const char *a = strstr(buf, "HTTP/1.1 200 OK"), *b = strstr(buf, "HTTP/1.1 403 "),
               *c = strstr(buf, "\"status\":\"ok\"");
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_true(a < b && b < c);
    assert_non_null(strstr(a, "\"plugin\":\"topic\""));
    assert_non_null(strstr(b, "path_outside_models"));
}

/* Runs last: a stop answers the request already sent and removes the socket. */
static void test_stop(void **state)
{
    fixture *f = *state;
    char buf[8192];
    int eof;
    int fd = connect_sock(f);
    const char *req = classify_req("last", "");
    send_all(fd, req, strlen(req));
    cfd_server_stop(&f->srv);
    read_until_quiet(fd, buf, sizeof(buf), 5000, &eof);
    close(fd);
    assert_non_null(strstr(buf, "\"id\":\"last\""));
    assert_true(eof); /* and the connection was closed */
    uv_thread_join(&f->thread);
    f->joined = 1;
    assert_int_equal(f->run_rc, 0);
    assert_int_equal(access(f->sock, F_OK), -1);
}

/* After test_stop the server thread has ended already (unless it failed). */
static int teardown_after_stop(void **state)
{
    fixture *f = *state;
    if (!f->joined) {
        cfd_server_stop(&f->srv);
        uv_thread_join(&f->thread);
    }
    cfd_server_close(&f->srv);
    cfd_engine_close(f->engine);
    cfd_config_free(&f->cfg);
    tu_rmrf(f->dir);
    free(f);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pipelined_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_byte_by_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_413_closes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ndjson_http10_closes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_content_type_is_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ndjson_chunked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_not_reading, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admin_then_next_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop, setup, teardown_after_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
