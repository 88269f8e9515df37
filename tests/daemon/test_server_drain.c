/*
 * Tests for the drain on stop (daemon/server.c) with a TCP listener: a real
 * daemon (two event loops, the real engine and plugins, small keyword models
 * in a temporary directory) on a temporary Unix socket and 127.0.0.1:<any
 * port>, in this process.
 *
 *  1. Found by review: after a stop, the Unix socket file was removed at
 *     once but the TCP listener kept listening until the process exited.
 *     While the daemon drained (a request still in flight, up to
 *     shutdown_grace), a new TCP client connected, sent its request and got
 *     no reply, then a reset when the daemon exited. The loops now shut the
 *     TCP listener down once its backlog is taken: a new client is refused
 *     at once, and the request in flight is still answered.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "socket_test_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "engine_test_util.h"
#include "server.h"

typedef struct fixture {
    char dir[256];
    char sock[300];
    cfd_config cfg;
    cfd_engine *engine;
    cfd_server srv;
    unsigned port;
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

/* A TCP connection to the daemon, or -1 with errno set. */
static int connect_tcp(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}


static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
    char *argv[] = {"classifyd", "--socket", f->sock, "--tcp", "127.0.0.1:0", "--models",
                    f->dir, "--plugins", CFD_PLUGIN_DIR, "--enable", "topic,section,sentiment",
                    "--workers", "2", "--read-timeout", "30s", "--shutdown-grace", "3s",
                    "--log-level", "error"};
    assert_int_equal(cfd_config_from_args(&f->cfg, (int)(sizeof(argv) / sizeof(argv[0])), argv,
                                          &err), 0);
    cfd_engine_config ec;
    cfd_config_engine(&f->cfg, &ec);
    ec.log = NULL;
    if (cfd_engine_open(&ec, &f->engine, &err) != 0)
        fail_msg("engine: %s", err.msg);
    if (cfd_server_listen(&f->srv, &f->cfg, &err) != 0)
        fail_msg("listen: %s", err.msg);
    struct sockaddr_in a;
    socklen_t al = sizeof(a);
    assert_int_equal(getsockname(f->srv.tcp_fd, (struct sockaddr *)&a, &al), 0);
    f->port = ntohs(a.sin_port);
    assert_int_equal(uv_thread_create(&f->thread, run_server, f), 0);
    /* Wait for a first answer: the loops run, cfd_server_stop is safe. */
    char buf[1024];
    int eof;
    int fd = connect_tcp(f->port);
    assert_true(fd >= 0);
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

static const char body[] = "{\"id\":\"late\",\"body\":\"국회 의원 선거 여당\"}";

static void test_tcp_refused_while_draining(void **state)
{
    fixture *f = *state;
    char buf[8192], req[512];
    int eof;
    /* A request in flight (headers not finished) keeps the daemon draining. */
    int busy = connect_tcp(f->port);
    assert_true(busy >= 0);
    const char head[] = "POST /v1/classify HTTP/1.1\r\nHost: x\r\n";
    send_all(busy, head, sizeof(head) - 1);
    usleep(200 * 1000);
    cfd_server_stop(&f->srv);
    usleep(300 * 1000); /* the loops have taken the backlog and stopped accepting */

    /* A new client: refused at once, or (before the fix) connected and left
     * unanswered until the grace period ends. */
    double t0 = now_s();
    int late = connect_tcp(f->port);
    if (late >= 0) {
        int n = snprintf(req, sizeof(req),
                         "POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: "
                         "application/json\r\nContent-Length: %zu\r\n\r\n%s",
                         sizeof(body) - 1, body);
        send_all(late, req, (size_t)n);
        size_t got = read_until_quiet(late, buf, sizeof(buf), 5000, &eof);
        close(late);
        /* Served is fine too; silence then a reset is not. */
        if (got == 0)
            fail_msg("a TCP client that connected during the drain got no reply (%s after "
                     "%.1f s)",
                     eof ? "connection closed" : "still open", now_s() - t0);
        assert_non_null(strstr(buf, "\"id\":\"late\""));
    } else {
        assert_int_equal(errno, ECONNREFUSED);
    }

    /* The request in flight is still answered. */
    char rest[512];
    int n = snprintf(rest, sizeof(rest),
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     sizeof(body) - 1, body);
    send_all(busy, rest, (size_t)n);
    read_until_quiet(busy, buf, sizeof(buf), 5000, &eof);
    close(busy);
    assert_non_null(strstr(buf, "HTTP/1.1 200"));
    assert_non_null(strstr(buf, "Connection: close"));
    uv_thread_join(&f->thread);
    f->joined = 1;
    assert_int_equal(f->run_rc, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tcp_refused_while_draining, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
