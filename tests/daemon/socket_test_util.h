/*
 * Socket helpers shared by the tests that talk to a live worker loop over a
 * real socket (test_conn.c, test_server_drain.c).
 *
 * Header-only (static functions) so it needs no build rule; include it
 * after <cmocka.h>.
 */
#ifndef CFD_SOCKET_TEST_UTIL_H
#define CFD_SOCKET_TEST_UTIL_H

#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Sends all of p[0..n) (asserting every send makes progress). */
static void send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        assert_true(w > 0);
        p += w;
        n -= (size_t)w;
    }
}

/* Reads into buf (NUL-terminated) until EOF, an error or `quiet_ms` without
 * data; *eof = 1 on EOF or an error (a reset). Returns the bytes read. */
static size_t read_until_quiet(int fd, char *buf, size_t cap, int quiet_ms, int *eof)
{
    size_t n = 0;
    *eof = 0;
    while (n < cap - 1) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, quiet_ms) <= 0)
            break;
        ssize_t r = recv(fd, buf + n, cap - 1 - n, 0);
        if (r <= 0) {
            *eof = 1;
            break;
        }
        n += (size_t)r;
    }
    buf[n] = '\0';
    return n;
}

#endif
