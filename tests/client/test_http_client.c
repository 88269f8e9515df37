/*
 * Tests for client/http_client.c against a scripted server thread on a Unix
 * socket: Content-Length and chunked replies, keep-alive reuse, reconnect
 * after "Connection: close", early refusal (413) while the body is still
 * being sent, replies cut short, silence (timeout) and a missing socket.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "http_client.h"

typedef struct server {
    int lfd;
    char path[108];
    void (*script)(struct server *);
    pthread_t th;
    int accepted;       /* connections accepted */
    int requests;       /* requests read */
    char last_req[8192];
} server;

/* Reads one request (head + Content-Length body); 0 on EOF. */
static size_t read_request(server *s, int fd)
{
    char buf[8192];
    size_t n = 0;
    while (n < sizeof buf - 1) {
        ssize_t r = read(fd, buf + n, 1); /* byte by byte: never reads past the request */
        if (r <= 0)
            return 0;
        n++;
        buf[n] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end) {
            size_t body = 0;
            char *cl = strstr(buf, "Content-Length: ");
            if (cl)
                body = strtoul(cl + 16, NULL, 10);
            for (size_t i = 0; i < body; i++) {
                char c;
                if (read(fd, &c, 1) != 1)
                    return 0;
            }
            snprintf(s->last_req, sizeof s->last_req, "%s", buf);
            s->requests++;
            return n + body;
        }
    }
    return 0;
}

/* Runs on the server thread: no cmocka asserts here (they are not
 * thread-safe); a short write shows up as a failed check on the client. */
static void put(int fd, const char *s)
{
    size_t n = strlen(s);
    if (write(fd, s, n) != (ssize_t)n)
        fprintf(stderr, "server: short write\n");
}

static int accept_one(server *s)
{
    int fd = accept(s->lfd, NULL, NULL);
    if (fd >= 0)
        s->accepted++;
    return fd;
}

static void *server_main(void *arg)
{
    server *s = arg;
    s->script(s);
    return NULL;
}

static void start(server *s, void (*script)(server *))
{
    memset(s, 0, sizeof *s);
    snprintf(s->path, sizeof s->path, "/tmp/cfd-httpc-%d.sock", (int)getpid());
    unlink(s->path);
    s->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, s->path);
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(s->lfd, 8), 0);
    s->script = script;
    pthread_create(&s->th, NULL, server_main, s);
}

static void stop(server *s)
{
    pthread_join(s->th, NULL);
    close(s->lfd);
    unlink(s->path);
}

/* ---- scripts ---- */

static void two_on_one_connection(server *s)
{
    int fd = accept_one(s);
    read_request(s, fd);
    /* A header name split across two reads must still be recognised. */
    put(fd, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-");
    usleep(20000);
    put(fd, "After: 2\r\nContent-Length: 15\r\n\r\n{\"ready\":false}");
    read_request(s, fd);
    put(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    close(fd);
}

static void chunked_then_close(server *s)
{
    int fd = accept_one(s);
    read_request(s, fd);
    put(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
            "Transfer-Encoding: chunked\r\n\r\n");
    put(fd, "6\r\n{\"a\":1\r\n");
    usleep(20000); /* the client sees the body in several reads */
    put(fd, "3\r\n}\n{\r\n");
    put(fd, "7\r\n\"b\":2}\n\r\n0\r\n\r\n");
    read_request(s, fd);
    put(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    close(fd);
    fd = accept_one(s); /* the client must come back on a new connection */
    read_request(s, fd);
    put(fd, "HTTP/1.1 204 No Content\r\n\r\n");
    close(fd);
}

static void refuse_early(server *s)
{
    int fd = accept_one(s);
    char head[512];
    size_t n = 0;
    while (n < sizeof head - 1 && read(fd, head + n, 1) == 1) {
        n++;
        head[n] = '\0';
        if (strstr(head, "\r\n\r\n"))
            break;
    }
    put(fd, "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 35\r\n\r\n"
            "{\"error\":{\"code\":\"body_too_large\"}}");
    close(fd); /* without reading the body */
}

static void cut_mid_body(server *s)
{
    int fd = accept_one(s);
    read_request(s, fd);
    put(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial");
    close(fd);
    fd = accept_one(s);
    read_request(s, fd);
    close(fd); /* no reply at all */
}

static void silent(server *s)
{
    int fd = accept_one(s);
    read_request(s, fd);
    usleep(600000);
    close(fd);
}

static void idle_close(server *s)
{
    int fd = accept_one(s);
    read_request(s, fd);
    put(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    close(fd); /* as the daemon's idle timeout does, with no word said */
    fd = accept_one(s);
    read_request(s, fd);
    put(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nagain");
    close(fd);
}

static void error_while_streaming(server *s)
{
    int fd = accept_one(s);
    read_request(s, fd);
    put(fd, "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 52\r\n\r\n"
            "{\"error\":{\"code\":\"overloaded\",\"message\":\"too busy\"}}");
    close(fd);
}

/* ---- tests ---- */

static void test_keep_alive_and_headers(void **state)
{
    (void)state;
    server s;
    start(&s, two_on_one_connection);
    cfd_http_conn *c;
    cfd_error err;
    assert_int_equal(cfd_http_connect(s.path, 5000, &c, &err), 0);
    cfd_http_reply r;
    cfd_http_reply_init(&r);
    assert_int_equal(cfd_http_request(c, "GET", "/readyz", NULL, NULL, 0, NULL, NULL, &r, &err), 0);
    assert_int_equal(r.status, 503);
    assert_string_equal(r.retry_after, "2");
    assert_string_equal(r.content_type, "application/json");
    assert_int_equal(r.keep_alive, 1);
    assert_int_equal(r.body.len, 15);
    assert_memory_equal(r.body.data, "{\"ready\":false}", 15);
    const char body[] = "{\"body\":\"기사\"}";
    assert_int_equal(cfd_http_request(c, "POST", "/v1/classify", "application/json", body,
                                      sizeof body - 1, NULL, NULL, &r, &err), 0);
    assert_int_equal(r.status, 200);
    assert_memory_equal(r.body.data, "ok", 2);
    cfd_http_reply_free(&r);
    cfd_http_close(c);
    stop(&s);
    assert_int_equal(s.accepted, 1); /* both requests on one connection */
    assert_int_equal(s.requests, 2);
    assert_non_null(strstr(s.last_req, "POST /v1/classify HTTP/1.1\r\n"));
    assert_non_null(strstr(s.last_req, "Content-Length: 17\r\n"));
}

typedef struct sink {
    char buf[256];
    size_t len;
    int calls;
} sink;

static int on_body(void *ud, const char *p, size_t n)
{
    sink *k = ud;
    memcpy(k->buf + k->len, p, n);
    k->len += n;
    k->calls++;
    return 0;
}

static void test_chunked_and_reconnect(void **state)
{
    (void)state;
    server s;
    start(&s, chunked_then_close);
    cfd_http_conn *c;
    cfd_error err;
    assert_int_equal(cfd_http_connect(s.path, 5000, &c, &err), 0);
    cfd_http_reply r;
    cfd_http_reply_init(&r);
    sink k = {0};
    assert_int_equal(cfd_http_request(c, "POST", "/v1/classify", "application/x-ndjson", "{}\n",
                                      3, on_body, &k, &r, &err), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(k.len, 16);
    assert_memory_equal(k.buf, "{\"a\":1}\n{\"b\":2}\n", 16); /* chunk framing removed */
    assert_true(k.calls >= 2);
    assert_int_equal(r.body.len, 0);  /* the callback took the body */
    assert_int_equal(cfd_http_request(c, "GET", "/healthz", NULL, NULL, 0, NULL, NULL, &r, &err), 0);
    assert_int_equal(r.keep_alive, 0);
    assert_int_equal(cfd_http_request(c, "GET", "/healthz", NULL, NULL, 0, NULL, NULL, &r, &err), 0);
    assert_int_equal(r.status, 204);
    cfd_http_reply_free(&r);
    cfd_http_close(c);
    stop(&s);
    assert_int_equal(s.accepted, 2);
}

static void test_reconnect_after_idle_close(void **state)
{
    (void)state;
    server s;
    start(&s, idle_close);
    cfd_http_conn *c;
    cfd_error err;
    assert_int_equal(cfd_http_connect(s.path, 5000, &c, &err), 0);
    cfd_http_reply r;
    cfd_http_reply_init(&r);
    assert_int_equal(cfd_http_request(c, "GET", "/healthz", NULL, NULL, 0, NULL, NULL, &r, &err), 0);
    assert_int_equal(r.keep_alive, 1);
    usleep(100000); /* the server closes the idle connection meanwhile */
    assert_int_equal(cfd_http_request(c, "POST", "/v1/classify", "text/plain", "x", 1, NULL, NULL,
                                      &r, &err), 0);
    assert_int_equal(r.status, 200);
    assert_memory_equal(r.body.data, "again", 5);
    cfd_http_reply_free(&r);
    cfd_http_close(c);
    stop(&s);
    assert_int_equal(s.accepted, 2);
    assert_int_equal(s.requests, 2);
}

static void test_error_reply_not_streamed(void **state)
{
    (void)state;
    server s;
    start(&s, error_while_streaming);
    cfd_http_conn *c;
    cfd_error err;
    assert_int_equal(cfd_http_connect(s.path, 5000, &c, &err), 0);
    cfd_http_reply r;
    cfd_http_reply_init(&r);
    sink k = {0};
    assert_int_equal(cfd_http_request(c, "POST", "/v1/classify", "application/x-ndjson", "{}\n",
                                      3, on_body, &k, &r, &err), 0);
    assert_int_equal(r.status, 503);
    assert_int_equal(k.calls, 0); /* the callback gets replies, not errors */
    assert_int_equal(r.body.len, 52);
    assert_non_null(strstr(r.body.data, "too busy"));
    cfd_http_reply_free(&r);
    cfd_http_close(c);
    stop(&s);
}

static void test_refused_while_sending(void **state)
{
    (void)state;
    server s;
    start(&s, refuse_early);
    cfd_http_conn *c;
    cfd_error err;
    assert_int_equal(cfd_http_connect(s.path, 5000, &c, &err), 0);
    size_t big = 8u << 20; /* far more than the socket buffers hold */
    char *body = malloc(big);
    memset(body, 'a', big);
    cfd_http_reply r;
    cfd_http_reply_init(&r);
    assert_int_equal(cfd_http_request(c, "POST", "/v1/classify", "text/plain", body, big, NULL,
                                      NULL, &r, &err), 0);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.body.data, "body_too_large"));
    free(body);
    cfd_http_reply_free(&r);
    cfd_http_close(c);
    stop(&s);
}

static void test_cut_short(void **state)
{
    (void)state;
    server s;
    start(&s, cut_mid_body);
    cfd_http_conn *c;
    cfd_error err;
    assert_int_equal(cfd_http_connect(s.path, 5000, &c, &err), 0);
    cfd_http_reply r;
    cfd_http_reply_init(&r);
    assert_int_equal(cfd_http_request(c, "GET", "/x", NULL, NULL, 0, NULL, NULL, &r, &err),
                     CFD_ETRUNC);
    assert_non_null(strstr(err.msg, "before the reply was complete"));
    assert_int_equal(cfd_http_request(c, "GET", "/y", NULL, NULL, 0, NULL, NULL, &r, &err),
                     CFD_ETRUNC);
    assert_non_null(strstr(err.msg, "without replying"));
    cfd_http_reply_free(&r);
    cfd_http_close(c);
    stop(&s);
}

static void test_timeout(void **state)
{
    (void)state;
    server s;
    start(&s, silent);
    cfd_http_conn *c;
    cfd_error err;
    assert_int_equal(cfd_http_connect(s.path, 200, &c, &err), 0);
    cfd_http_reply r;
    cfd_http_reply_init(&r);
    assert_int_equal(cfd_http_request(c, "GET", "/x", NULL, NULL, 0, NULL, NULL, &r, &err),
                     CFD_EIO);
    assert_non_null(strstr(err.msg, "no reply from the daemon within 200 ms"));
    cfd_http_reply_free(&r);
    cfd_http_close(c);
    stop(&s);
}

static void test_no_daemon(void **state)
{
    (void)state;
    cfd_http_conn *c;
    cfd_error err;
    assert_int_equal(cfd_http_connect("/tmp/cfd-no-such-daemon.sock", 0, &c, &err), CFD_ENOENT);
    assert_null(c);
    assert_non_null(strstr(err.msg, "/tmp/cfd-no-such-daemon.sock"));
    assert_non_null(strstr(err.msg, "--socket"));
    char longpath[200];
    memset(longpath, 'x', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = '\0';
    assert_int_equal(cfd_http_connect(longpath, 0, &c, &err), CFD_EINVAL);
}

static void test_default_socket(void **state)
{
    (void)state;
    setenv("CLASSIFYD_SOCKET", "/tmp/x.sock", 1);
    assert_string_equal(cfd_default_socket_path(), "/tmp/x.sock");
    unsetenv("CLASSIFYD_SOCKET");
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir("/"), 0);
    assert_string_equal(cfd_default_socket_path(), "/run/classifyd/classifyd.sock");
    assert_int_equal(chdir(CFD_SOURCE_DIR), 0); /* a source tree: the daemon's run/ default */
    assert_string_equal(cfd_default_socket_path(), "run/classifyd.sock");
    assert_int_equal(chdir(cwd), 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* the server thread writes to sockets the client closed */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keep_alive_and_headers),
        cmocka_unit_test(test_chunked_and_reconnect),
        cmocka_unit_test(test_reconnect_after_idle_close),
        cmocka_unit_test(test_error_reply_not_streamed),
        cmocka_unit_test(test_refused_while_sending),
        cmocka_unit_test(test_cut_short),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_no_daemon),
        cmocka_unit_test(test_default_socket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
