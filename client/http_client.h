/*
 * A small blocking HTTP/1.1 client over a Unix socket, for classifyctl.
 *
 * classifyctl talks to one daemon, one request at a time, on one keep-alive
 * connection; it needs no event loop. What it does need is to stream: a batch
 * request body may be large and the daemon starts answering (NDJSON, chunked)
 * before the body is fully sent, so a request is written and its reply read
 * in the same poll() loop on a non-blocking socket. Neither side can then
 * deadlock on a full socket buffer.
 *
 * Replies are parsed with http_parser (HTTP_RESPONSE), which also removes
 * chunked framing: the body callback sees the decoded body bytes, in order.
 *
 * Ownership: a cfd_http_conn owns its socket; cfd_http_close frees it. A
 * cfd_http_reply owns its body buffer; cfd_http_reply_free releases it.
 * Threads: one thread at a time per connection.
 */
#ifndef CFD_CLIENT_HTTP_CLIENT_H
#define CFD_CLIENT_HTTP_CLIENT_H

#include <stddef.h>

#include <classifyd/error.h>

#include "buf.h"

typedef struct cfd_http_conn cfd_http_conn;

typedef struct cfd_http_reply {
    int status;              /* HTTP status, 0 before a reply arrived */
    char content_type[96];   /* "" if absent */
    char retry_after[32];    /* "" if absent */
    char allow[64];          /* "" if absent (405 replies) */
    int keep_alive;          /* 1 if the connection may be reused */
    cfd_buf body;            /* the whole body, unless a body callback took it */
} cfd_http_reply;

/*
 * Called with decoded body bytes as they arrive. Return 0 to go on, non-zero
 * to abort the request (cfd_http_request then returns CFD_EINVAL).
 */
typedef int (*cfd_http_body_fn)(void *ud, const char *p, size_t n);

/*
 * Connects to the Unix socket at `path`. timeout_ms bounds every later wait
 * for the daemon (no byte moved in either direction for that long ends the
 * request with CFD_EIO); 0 means 60 s. Returns 0, or CFD_EIO / CFD_ENOENT /
 * CFD_EPERM with a message saying what to check.
 */
int cfd_http_connect(const char *path, int timeout_ms, cfd_http_conn **out,
                     cfd_error *err);
void cfd_http_close(cfd_http_conn *c);

/*
 * Sends one request and reads its reply. `content_type` and `body` may be
 * NULL (no body). If the previous reply closed the connection, reconnects
 * first, as it does when the daemon closed a kept-alive connection while it
 * sat idle. If on_body is NULL the body is collected in reply->body;
 * otherwise a 2xx reply's body is handed to on_body and reply->body stays
 * empty, while any other reply's body (an error) is still collected in
 * reply->body.
 * Returns 0 when a complete reply was read (whatever its status), or a
 * negative CFD_E* when the exchange itself failed (connection refused,
 * closed early, timeout, malformed reply).
 */
int cfd_http_request(cfd_http_conn *c, const char *method, const char *target,
                     const char *content_type, const char *body, size_t body_len,
                     cfd_http_body_fn on_body, void *ud, cfd_http_reply *reply,
                     cfd_error *err);

void cfd_http_reply_init(cfd_http_reply *r);
void cfd_http_reply_free(cfd_http_reply *r);

/*
 * The socket classifyctl and classifyd-bench use when none is given:
 * $CLASSIFYD_SOCKET if set, else ./run/classifyd.sock if it exists (the
 * daemon's own default in a source tree), else /run/classifyd/classifyd.sock
 * if it exists (installed), else ./run/classifyd.sock when the current
 * directory is a classifyd source tree, else /run/classifyd/classifyd.sock.
 * Never NULL; static storage.
 */
const char *cfd_default_socket_path(void);

#endif
