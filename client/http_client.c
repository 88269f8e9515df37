/*
 * Blocking HTTP/1.1 over a Unix socket for classifyctl (see http_client.h).
 *
 * One request at a time: the request bytes (head + body) are written from a
 * poll() loop that also reads, so a daemon that streams its reply while the
 * body is still being sent never stalls us. http_parser turns the reply into
 * status, a few headers and decoded body bytes.
 */
#include "errno_text.h"
#include "http_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <http_parser.h>

struct cfd_http_conn {
    int fd;
    int timeout_ms;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* Per-request parse state, reached from http_parser's data pointer. */
typedef struct cfd__rx {
    cfd_http_reply *reply;
    cfd_http_body_fn on_body;
    void *ud;
    int aborted;
    int done;
    int hdr;            /* which header's value is being read, see below */
    int in_value;       /* the last callback was a header value */
    char name[16];      /* the header name so far (only short ones matter) */
    size_t name_len;
} cfd__rx;

enum { CFD__H_OTHER, CFD__H_CTYPE, CFD__H_RETRY, CFD__H_ALLOW };

static int cfd__open_socket(cfd_http_conn *c, cfd_error *err)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, c->path, strlen(c->path) + 1);

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return cfd_error_set(err, CFD_EIO, (size_t)-1, "socket(): %s", cfd_errno_str(errno));
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        close(fd);
        if (e == ENOENT || e == ECONNREFUSED)
            return cfd_error_set(err, e == ENOENT ? CFD_ENOENT : CFD_EIO, (size_t)-1,
                                 "cannot connect to %s: %s: is classifyd running? "
                                 "Give its socket with --socket PATH or CLASSIFYD_SOCKET",
                                 c->path, cfd_errno_str(e));
        if (e == EACCES || e == EPERM)
            return cfd_error_set(err, CFD_EPERM, (size_t)-1,
                                 "cannot connect to %s: %s: the socket's mode does not "
                                 "allow this user; run as the daemon's user or group",
                                 c->path, cfd_errno_str(e));
        return cfd_error_set(err, CFD_EIO, (size_t)-1, "cannot connect to %s: %s",
                             c->path, cfd_errno_str(e));
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) {
        int e = errno;
        close(fd);
        return cfd_error_set(err, CFD_EIO, (size_t)-1, "fcntl(O_NONBLOCK): %s", cfd_errno_str(e));
    }
    c->fd = fd;
    return 0;
}

int cfd_http_connect(const char *path, int timeout_ms, cfd_http_conn **out,
                     cfd_error *err)
{
    *out = NULL;
    if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "socket path %s is too long (at most %zu bytes): use a "
                             "shorter path or a symlink",
                             path, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
    cfd_http_conn *c = calloc(1, sizeof *c);
    if (!c)
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
    c->fd = -1;
    c->timeout_ms = timeout_ms > 0 ? timeout_ms : 60000;
    snprintf(c->path, sizeof c->path, "%s", path);
    int rc = cfd__open_socket(c, err);
    if (rc != 0) {
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void cfd_http_close(cfd_http_conn *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

void cfd_http_reply_init(cfd_http_reply *r)
{
    memset(r, 0, sizeof *r);
}

void cfd_http_reply_free(cfd_http_reply *r)
{
    cfd_buf_free(&r->body);
    cfd_http_reply_init(r);
}

/* ---- http_parser callbacks ---- */

static int cfd__on_header_field(http_parser *p, const char *at, size_t n)
{
    cfd__rx *rx = p->data;
    /* A name may arrive in pieces (split across reads): collect it. */
    if (rx->in_value) {
        rx->in_value = 0;
        rx->name_len = 0;
    }
    if (rx->name_len + n < sizeof rx->name) {
        memcpy(rx->name + rx->name_len, at, n);
        rx->name_len += n;
    } else {
        rx->name_len = sizeof rx->name; /* too long to be one we want */
    }
    return 0;
}

static int cfd__header_id(const cfd__rx *rx)
{
    const char *nm = rx->name;
    size_t n = rx->name_len;
    if (n == 12 && strncasecmp(nm, "Content-Type", n) == 0)
        return CFD__H_CTYPE;
    if (n == 11 && strncasecmp(nm, "Retry-After", n) == 0)
        return CFD__H_RETRY;
    if (n == 5 && strncasecmp(nm, "Allow", n) == 0)
        return CFD__H_ALLOW;
    return CFD__H_OTHER;
}

static void cfd__append_cstr(char *dst, size_t cap, const char *at, size_t n)
{
    size_t have = strlen(dst);
    if (have + 1 >= cap)
        return;
    if (n > cap - 1 - have)
        n = cap - 1 - have;
    memcpy(dst + have, at, n);
    dst[have + n] = '\0';
}

static int cfd__on_header_value(http_parser *p, const char *at, size_t n)
{
    cfd__rx *rx = p->data;
    cfd_http_reply *r = rx->reply;
    if (!rx->in_value) {
        rx->in_value = 1;
        rx->hdr = cfd__header_id(rx);
    }
    switch (rx->hdr) {
    case CFD__H_CTYPE: cfd__append_cstr(r->content_type, sizeof r->content_type, at, n); break;
    case CFD__H_RETRY: cfd__append_cstr(r->retry_after, sizeof r->retry_after, at, n); break;
    case CFD__H_ALLOW: cfd__append_cstr(r->allow, sizeof r->allow, at, n); break;
    default: break;
    }
    return 0;
}

static int cfd__on_headers_complete(http_parser *p)
{
    cfd__rx *rx = p->data;
    rx->reply->status = (int)p->status_code;
    return 0;
}

static int cfd__on_body(http_parser *p, const char *at, size_t n)
{
    cfd__rx *rx = p->data;
    /* An error reply is collected whole, so the caller can print its code
     * and message, even when a success would have been streamed. */
    if (rx->on_body && p->status_code >= 200 && p->status_code < 300) {
        if (rx->on_body(rx->ud, at, n) != 0) {
            rx->aborted = 1;
            return -1;
        }
        return 0;
    }
    return cfd_buf_append(&rx->reply->body, at, n) == 0 ? 0 : -1;
}

static int cfd__on_message_complete(http_parser *p)
{
    cfd__rx *rx = p->data;
    rx->done = 1;
    rx->reply->keep_alive = http_should_keep_alive(p) ? 1 : 0;
    http_parser_pause(p, 1); /* one reply per request: stop here */
    return 0;
}

static const http_parser_settings cfd__settings = {
    .on_header_field = cfd__on_header_field,
    .on_header_value = cfd__on_header_value,
    .on_headers_complete = cfd__on_headers_complete,
    .on_body = cfd__on_body,
    .on_message_complete = cfd__on_message_complete,
};

static void cfd__drop(cfd_http_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

/* 1 when a kept-alive connection can no longer carry a request: the daemon
 * closed it while it sat idle (its idle timeout, a drain) or, against the
 * protocol, sent bytes nobody asked for. Sending on it would fail with
 * "closed without replying" although a new connection would be served. */
static int cfd__stale(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, 0) <= 0)
        return 0;
    char b;
    ssize_t r = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return !(r < 0 && (errno == EAGAIN || errno == EINTR));
}

int cfd_http_request(cfd_http_conn *c, const char *method, const char *target,
                     const char *content_type, const char *body, size_t body_len,
                     cfd_http_body_fn on_body, void *ud, cfd_http_reply *reply,
                     cfd_error *err)
{
    int rc = 0;
    cfd_buf head = CFD_BUF_INIT;
    cfd_http_reply_free(reply);

    if (c->fd >= 0 && cfd__stale(c->fd))
        cfd__drop(c);
    if (c->fd < 0 && (rc = cfd__open_socket(c, err)) != 0)
        return rc;

    cfd_buf_printf(&head, "%s %s HTTP/1.1\r\nHost: classifyd\r\n"
                          "User-Agent: classifyctl\r\n", method, target);
    if (body) {
        cfd_buf_printf(&head, "Content-Type: %s\r\nContent-Length: %zu\r\n",
                       content_type ? content_type : "application/octet-stream", body_len);
    } else if (strcmp(method, "POST") == 0) {
        cfd_buf_puts(&head, "Content-Length: 0\r\n");
    }
    cfd_buf_puts(&head, "\r\n");
    if (head.oom) {
        rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
        goto fail;
    }

    http_parser parser;
    http_parser_init(&parser, HTTP_RESPONSE);
    cfd__rx rx = {.reply = reply, .on_body = on_body, .ud = ud};
    parser.data = &rx;

    /* Two pieces to send: the head, then the body. */
    const char *out[2] = {head.data, body};
    size_t out_len[2] = {head.len, body ? body_len : 0};
    int piece = 0;
    size_t sent = 0;
    char in[65536];
    int eof = 0;

    while (!rx.done) {
        while (piece < 2 && sent == out_len[piece]) {
            piece++;
            sent = 0;
        }
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        if (piece < 2)
            pfd.events |= POLLOUT;
        int pr = poll(&pfd, 1, c->timeout_ms);
        if (pr < 0) {
            if (errno == EINTR)
                continue;
            rc = cfd_error_set(err, CFD_EIO, (size_t)-1, "poll(): %s", cfd_errno_str(errno));
            goto fail;
        }
        if (pr == 0) {
            rc = cfd_error_set(err, CFD_EIO, (size_t)-1,
                               "%s %s: no reply from the daemon within %d ms "
                               "(raise --timeout if the daemon is busy)",
                               method, target, c->timeout_ms);
            goto fail;
        }
        if (piece < 2 && (pfd.revents & POLLOUT)) {
            ssize_t w = send(c->fd, out[piece] + sent, out_len[piece] - sent, MSG_NOSIGNAL);
            if (w > 0) {
                sent += (size_t)w;
            } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                /* The daemon may have answered and closed (413, 431): stop
                 * sending and read what it said. */
                if (errno != EPIPE && errno != ECONNRESET) {
                    rc = cfd_error_set(err, CFD_EIO, (size_t)-1, "send to %s: %s", c->path,
                                       cfd_errno_str(errno));
                    goto fail;
                }
                piece = 2;
            }
        }
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t r = recv(c->fd, in, sizeof in, 0);
            if (r < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    continue;
                if (errno != ECONNRESET) {
                    rc = cfd_error_set(err, CFD_EIO, (size_t)-1, "recv from %s: %s",
                                       c->path, cfd_errno_str(errno));
                    goto fail;
                }
                r = 0;
            }
            if (r == 0)
                eof = 1;
            size_t used = http_parser_execute(&parser, &cfd__settings, in, (size_t)r);
            if (rx.aborted) {
                rc = cfd_error_set(err, CFD_EINVAL, (size_t)-1, "%s %s: reply processing stopped",
                                   method, target);
                goto fail;
            }
            enum http_errno he = HTTP_PARSER_ERRNO(&parser);
            if (eof && !rx.done) {
                /* Checked before the parser's verdict: at EOF inside a body
                 * http_parser reports HPE_INVALID_EOF_STATE, but what the
                 * user needs to hear is that the reply was cut short. */
                rc = cfd_error_set(err, CFD_ETRUNC, (size_t)-1,
                                   "%s %s: the daemon closed the connection %s",
                                   method, target,
                                   reply->status ? "before the reply was complete"
                                                 : "without replying");
                goto fail;
            }
            if (he != HPE_OK && he != HPE_PAUSED) {
                rc = cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                                   "%s %s: malformed reply from the daemon: %s",
                                   method, target, http_errno_description(he));
                goto fail;
            }
            if (rx.done && used < (size_t)r) {
                /* Bytes after our reply: we never pipeline here, so the
                 * connection is in an unknown state; do not reuse it. */
                reply->keep_alive = 0;
            }
        }
    }
    if (!reply->keep_alive || piece < 2)
        cfd__drop(c);
    if (reply->body.oom) {
        rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory reading the reply");
        goto fail;
    }
    cfd_buf_free(&head);
    return 0;

fail:
    cfd__drop(c);
    cfd_buf_free(&head);
    return rc;
}

const char *cfd_default_socket_path(void)
{
    const char *env = getenv("CLASSIFYD_SOCKET");
    if (env && *env)
        return env;
    struct stat st;
    /* The daemon run from its source tree listens in the tree's run/ folder;
     * installed, in /run/classifyd. A socket that exists wins, so in a
     * source tree with no development daemon but an installed one running,
     * classifyctl reaches the installed one; with neither, the tree's path
     * (what the connect error then names) in a tree, else the installed. */
    if (stat("run/classifyd.sock", &st) == 0)
        return "run/classifyd.sock";
    if (stat("/run/classifyd/classifyd.sock", &st) == 0)
        return "/run/classifyd/classifyd.sock";
    if (stat("include/classifyd/plugin.h", &st) == 0)
        return "run/classifyd.sock";
    return "/run/classifyd/classifyd.sock";
}
