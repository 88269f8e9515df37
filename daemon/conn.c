/*
 * Connection lifecycle: read -> parse -> route -> flush, in order, with back
 * pressure and timeouts. See conn.h for the rules this file implements.
 */
#define _GNU_SOURCE /* struct ucred, accept4 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"

#define CFD__LINGER_MS 2000       /* after the last reply of a closing connection */
#define CFD__DRAIN_QUIET_MS 50    /* during shutdown: idle this long -> close */
#define CFD__KEEP_BUF (64u << 10) /* larger buffers are released when emptied */

static void cfd__run(cfd_conn *c, const char *data, size_t len);
static void cfd__read_start(cfd_conn *c);

size_t cfd_conn_pending_output(const cfd_conn *c)
{
    return c->out.len + (c->writing ? c->wbuf.len : 0);
}

static int cfd__blocked(const cfd_conn *c)
{
    return c->job || c->nd_active || c->close_after || c->closing || c->lingering ||
           cfd_conn_pending_output(c) > c->w->srv->cfg->max_pending_output;
}

static int cfd__quiescent(const cfd_conn *c)
{
    return !c->job && !c->nd_active && !c->writing && c->out.len == 0 &&
           !cfd_http_in_message(&c->in) && c->pending.len == c->pending_off;
}

static void cfd__trim(cfd_buf *b)
{
    if (b->cap > CFD__KEEP_BUF)
        cfd_buf_free(b);
    else
        cfd_buf_reset(b);
}

static void cfd__free(cfd_conn *c)
{
    cfd_worker *w = c->w;
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    cfd_http_in_free(&c->in);
    cfd_buf_free(&c->pending);
    cfd_buf_free(&c->out);
    cfd_buf_free(&c->wbuf);
    cfd_metrics_gauge_add(&w->metrics.open_connections, -1);
    atomic_fetch_sub(&w->load, 1);
    atomic_fetch_sub(&w->srv->open_total, 1);
    free(c);
}

static void cfd__close_cb(uv_handle_t *h)
{
    cfd_conn *c = h->data;
    c->closed = 1;
    if (!c->job)
        cfd__free(c);
}

void cfd_conn_close(cfd_conn *c)
{
    if (c->closing)
        return;
    c->closing = 1;
    if (c->nd_yielded) {
        /* Off the resume list: it is freed before the list would be read.
         * (Not found: it is on the list cfd_conn_resume_all is walking,
         * which skips a closing connection and reads nothing else of it
         * before this turn's close callbacks.) */
        cfd_conn **pp = &c->w->resume;
        while (*pp != NULL && *pp != c)
            pp = &(*pp)->resume_next;
        if (*pp == c) {
            *pp = c->resume_next;
            c->nd_yielded = 0;
        }
    }
    c->reading = 0;
    if (c->nd_active) /* a batch cut short still counts (its 200 was sent) */
        cfd_conn_finish(c, 200, c->nd_bytes);
    c->nd_active = 0;
    uv_close(&c->h.handle, cfd__close_cb); /* stops reading, cancels writes */
}

void cfd_conn_job_done(cfd_conn *c)
{
    c->job = 0;
    if (c->closed) {
        cfd__free(c);
        return;
    }
    if (!c->closing)
        cfd__run(c, NULL, 0);
}

static void cfd__shutdown_cb(uv_shutdown_t *req, int status)
{
    cfd_conn *c = req->data;
    if (status < 0 && !c->closing)
        cfd_conn_close(c);
}

/* Everything answered and the connection should end: close, or shut our
 * side and discard what the client still sends (so that a client that is
 * still writing a refused body reads our reply instead of a reset). */
static void cfd__maybe_end(cfd_conn *c)
{
    if (c->closing || !c->close_after || c->writing || c->out.len || c->job || c->nd_active)
        return;
    if (c->eof || c->lingering) {
        cfd_conn_close(c);
        return;
    }
    c->lingering = 1;
    c->last_active = c->req_start = uv_now(&c->w->loop); /* req_start: linger start */
    c->sreq.data = c;
    if (uv_shutdown(&c->sreq, &c->h.stream, cfd__shutdown_cb) != 0) {
        cfd_conn_close(c);
        return;
    }
    cfd__read_start(c);
}

static void cfd__write_cb(uv_write_t *req, int status)
{
    cfd_conn *c = req->data;
    c->writing = 0;
    cfd__trim(&c->wbuf);
    if (c->closing)
        return;
    if (status < 0) {
        cfd_conn_close(c);
        return;
    }
    c->last_active = uv_now(&c->w->loop);
    cfd__run(c, NULL, 0); /* more output, and requests that waited for room */
}

void cfd_conn_flush(cfd_conn *c)
{
    if (c->writing || c->closing || c->out.len == 0) {
        cfd__maybe_end(c);
        return;
    }
    if (c->out.oom) {
        /* A reply could not be built: the stream is no longer valid HTTP. */
        cfd_log(CFD_LOG_ERROR, "out of memory building a reply; closing the connection");
        cfd_conn_close(c);
        return;
    }
    uv_buf_t b = uv_buf_init(c->out.data, (unsigned)c->out.len);
    int n = uv_try_write(&c->h.stream, &b, 1);
    if (n == UV_EAGAIN || n == UV_ENOSYS)
        n = 0;
    if (n < 0) {
        cfd_conn_close(c); /* the peer is gone */
        return;
    }
    if (n > 0)
        c->last_active = uv_now(&c->w->loop);
    if ((size_t)n == c->out.len) {
        cfd__trim(&c->out);
        cfd__maybe_end(c);
        return;
    }
    cfd_buf tmp = c->wbuf;
    c->wbuf = c->out;
    c->out = tmp;
    cfd_buf_reset(&c->out);
    b = uv_buf_init(c->wbuf.data + n, (unsigned)(c->wbuf.len - (size_t)n));
    c->wreq.data = c;
    if (uv_write(&c->wreq, &c->h.stream, &b, 1, cfd__write_cb) != 0) {
        cfd_conn_close(c);
        return;
    }
    c->writing = 1;
}

int cfd_conn_keep_alive(cfd_conn *c, const cfd_http_request *r)
{
    if (!r->keep_alive)
        return 0;
    if ((c->w->draining || c->eof) && !c->more_input && c->pending.len == c->pending_off)
        return 0;
    return r->http_minor == 0 ? 2 : 1;
}

void cfd_conn_finish(cfd_conn *c, int status, size_t bytes)
{
    uint64_t ns = uv_hrtime() - c->t0;
    cfd_metrics_request(&c->w->metrics, c->endpoint, status, ns);
    if (cfd_log_requests_enabled()) {
        const cfd_http_request *r = &c->in.req;
        cfd_log_request(http_method_str((enum http_method)c->method), r->path, r->path_len,
                        status, bytes, (unsigned long long)(ns / 1000));
    }
}

void cfd_conn_error(cfd_conn *c, const cfd_http_request *r, int status, const char *code,
                    const char *msg, size_t offset, const char *extra, int close)
{
    int keep = close ? 0 : (r ? cfd_conn_keep_alive(c, r) : 0);
    size_t before = c->out.len;
    cfd_http_reply_error(&c->out, status, code, msg, offset, keep, extra, c->w->date);
    cfd_conn_finish(c, status, c->out.len - before);
    if (!keep)
        c->close_after = 1;
}

/*
 * A request refused for want of body memory (body_budget.h). Clients can
 * cause this by the thousand when the daemon is overloaded: at most one
 * line a second over all loops, with the count of those not logged.
 */
static void cfd__log_budget_refusal(cfd_conn *c)
{
    cfd_worker *w = c->w;
    unsigned long quiet;
    if (!cfd_log_every_second(&w->srv->body_refusal_log, &quiet))
        return;
    char more[80] = "";
    if (quiet)
        snprintf(more, sizeof(more), " (and %lu more refused since the last such line)", quiet);
    cfd_log(CFD_LOG_WARN,
            "request refused with 503 body_memory_exhausted: a body of %zu bytes%s does not "
            "fit in loop %u's share of max_body_memory (%zu of %zu bytes held by bodies being "
            "received); the client is told to retry%s",
            c->in.err_asked, (c->in.parser.flags & F_CHUNKED) ? " so far (chunked)" : "",
            w->index, cfd_body_budget_used(&w->body_budget), w->body_budget.limit, more);
}

/* The parser found a bad request (or the limits did): answer and close. */
static void cfd__parse_error(cfd_conn *c)
{
    cfd_http_in *in = &c->in;
    c->t0 = uv_hrtime();
    c->endpoint = CFD_EP_OTHER;
    c->method = in->parser.method;
    in->req.path = "";
    in->req.path_len = 0;
    if (in->err_budget)
        cfd__log_budget_refusal(c);
    else
        cfd_log(CFD_LOG_DEBUG, "bad request: %d %s", in->err_status, in->err_msg);
    /* 503 (no body memory, out of memory): the client may come back. */
    cfd_conn_error(c, NULL, in->err_status, in->err_code, in->err_msg, (size_t)-1,
                   in->err_status == 503 ? "Retry-After: 1\r\n" : NULL, 1);
    cfd_http_in_drop(in); /* its body is not needed: give its memory back now */
}

static void cfd__alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    cfd_conn *c = h->data;
    (void)suggested;
    /* The loop's one read buffer: cfd__run consumes or copies every byte
     * before the read callback returns. */
    buf->base = c->w->read_buf;
    buf->len = sizeof(c->w->read_buf);
}

static void cfd__read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    cfd_conn *c = s->data;
    if (nread == 0 || c->closing)
        return;
    c->last_active = uv_now(&c->w->loop);
    if (nread < 0) {
        c->eof = 1;
        uv_read_stop(s);
        c->reading = 0;
        if (nread != UV_EOF || c->lingering) {
            cfd_conn_close(c);
            return;
        }
        cfd__run(c, NULL, 0);
        return;
    }
    if (c->lingering)
        return; /* discarded */
    cfd_worker *w = c->w; /* c may be closing after the run */
    cfd__run(c, buf->base, (size_t)nread);
    if (w->busy_poll_ns != 0)
        w->last_work_ns = uv_hrtime(); /* busy polling counts from here */
}

static void cfd__read_start(cfd_conn *c)
{
    if (c->reading || c->closing || c->eof)
        return;
    if (uv_read_start(&c->h.stream, cfd__alloc_cb, cfd__read_cb) == 0)
        c->reading = 1;
}

static void cfd__update_reading(cfd_conn *c)
{
    if (c->closing)
        return;
    int want = !c->eof && (c->lingering || !cfd__blocked(c));
    if (want && !c->reading) {
        cfd__read_start(c);
    } else if (!want && c->reading) {
        uv_read_stop(&c->h.stream);
        c->reading = 0;
    }
}

static void cfd__keep_pending(cfd_conn *c, const char *data, size_t len)
{
    if (c->pending_off == c->pending.len) {
        cfd__trim(&c->pending);
        c->pending_off = 0;
    }
    if (len && cfd_buf_append(&c->pending, data, len) != 0) {
        cfd_log(CFD_LOG_ERROR, "out of memory holding request bytes; closing the connection");
        cfd_conn_close(c);
    }
}

/* A reply to HEAD is the reply to GET without its body (RFC 9110 9.3.2):
 * a client reads none, so body bytes would corrupt the next reply. Every
 * HEAD route answers synchronously, so its reply is in out from `from`. */
static void cfd__drop_body(cfd_buf *out, size_t from)
{
    if (out->len <= from)
        return;
    const char *end = memmem(out->data + from, out->len - from, "\r\n\r\n", 4);
    if (end != NULL) {
        out->len = (size_t)(end - out->data) + 4;
        out->data[out->len] = '\0';
    }
}

/*
 * The connection's engine: continue a streaming batch, then take whole
 * requests from pending input and then from fresh data until one cannot be
 * served yet; keep the unparsed rest; adjust reading; flush.
 */
static void cfd__run(cfd_conn *c, const char *data, size_t len)
{
    if (c->in_process) { /* re-entered from a flush callback: the outer call goes on */
        if (len)
            cfd__keep_pending(c, data, len);
        return;
    }
again:
    c->in_process = 1;
    if (len && c->pending.len > c->pending_off) {
        cfd__keep_pending(c, data, len);
        data = NULL;
        len = 0;
    }
    if (c->nd_active && !c->closing)
        cfd_ndjson_step(c);
    while (!c->closing && !cfd__blocked(c)) {
        const char *p;
        size_t n, used = 0;
        int from_pending = c->pending.len > c->pending_off;
        if (from_pending) {
            p = c->pending.data + c->pending_off;
            n = c->pending.len - c->pending_off;
        } else if (len) {
            p = data;
            n = len;
        } else {
            break;
        }
        int r = cfd_http_feed(&c->in, p, n, &used);
        if (from_pending) {
            c->pending_off += used;
        } else {
            data += used;
            len -= used;
        }
        if (cfd_http_in_message(&c->in) && !c->timing) {
            c->timing = 1;
            c->req_start = uv_now(&c->w->loop);
        }
        if (r == CFD_HTTP_REQUEST) {
            c->timing = 0;
            c->t0 = uv_hrtime();
            c->method = c->in.req.method;
            c->endpoint = CFD_EP_OTHER;
            c->more_input = from_pending ? c->pending.len > c->pending_off : len > 0;
            size_t before = c->out.len;
            cfd_route(c, &c->in.req);
            if (c->in.req.method == HTTP_HEAD)
                cfd__drop_body(&c->out, before);
            continue;
        }
        if (r == CFD_HTTP_ERROR) {
            cfd__parse_error(c);
            break;
        }
        if (cfd_http_want_continue(&c->in))
            cfd_buf_append(&c->out, CFD_HTTP_CONTINUE, sizeof(CFD_HTTP_CONTINUE) - 1);
        if (used == 0 && r == CFD_HTTP_MORE && n > 0)
            break; /* cannot happen with http_parser; guards an endless loop */
    }
    if (!c->closing) {
        if (len)
            cfd__keep_pending(c, data, len);
        else if (c->pending_off == c->pending.len && c->pending.len) {
            cfd__trim(&c->pending);
            c->pending_off = 0;
        }
    }
    /* The peer has shut its side: once every whole request is answered,
     * a partial one can never complete. */
    if (!c->closing && c->eof && !cfd__blocked(c) && c->pending.len == c->pending_off) {
        /* A partial request can never complete: tell the parser about the
         * EOF so it is answered 400 incomplete_request (docs/PROTOCOL.md)
         * after the replies still queued (a client that half-closes reads
         * on), then close once they are written. */
        size_t used;
        if (cfd_http_in_message(&c->in) &&
            cfd_http_feed(&c->in, NULL, 0, &used) == CFD_HTTP_ERROR)
            cfd__parse_error(c);
        c->close_after = 1;
    }
    c->in_process = 0;
    if (c->closing)
        return;
    /* Every request taken so far is answered (or streams/runs from its
     * body): an idle keep-alive connection must not hold a large body. */
    if (!c->nd_active && !c->job)
        cfd_http_in_release(&c->in);
    cfd_conn_flush(c);
    /* A flush that took all the output at once lifts the back pressure
     * without a write callback: serve the pipelined requests waiting in
     * `pending` now, and read again, or the connection would stall. */
    if (!c->closing && !cfd__blocked(c) && c->pending.len > c->pending_off) {
        data = NULL;
        len = 0;
        goto again;
    }
    if (!c->closing)
        cfd__update_reading(c);
}

void cfd_conn_process(cfd_conn *c) { cfd__run(c, NULL, 0); }

void cfd_conn_open(cfd_worker *w, int fd, int is_unix)
{
    cfd_conn *c = calloc(1, sizeof(*c));
    int r = c ? 0 : UV_ENOMEM;
    if (c != NULL)
        r = is_unix ? uv_pipe_init(&w->loop, &c->h.pipe, 0) : uv_tcp_init(&w->loop, &c->h.tcp);
    if (r != 0) {
        cfd_log(CFD_LOG_WARN, "cannot take an accepted connection: %s", uv_strerror(r));
        close(fd);
        free(c);
        atomic_fetch_sub(&w->load, 1);
        atomic_fetch_sub(&w->srv->open_total, 1);
        return;
    }
    /* From here on the handle exists: every exit goes through cfd_conn_close. */
    c->w = w;
    c->h.handle.data = c;
    c->uid = (uid_t)-1;
    c->is_unix = is_unix != 0;
    cfd_http_in_init(&c->in, &w->srv->limits);
    c->in.budget = &w->body_budget;
    c->next = w->conns;
    if (w->conns)
        w->conns->prev = c;
    w->conns = c;
    cfd_metrics_gauge_add(&w->metrics.open_connections, 1);
    cfd_metrics_add(&w->metrics.connections_total, 1);
    c->last_active = uv_now(&w->loop);
    if (is_unix) {
        struct ucred cred;
        socklen_t cl = sizeof(cred);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0)
            c->uid = cred.uid;
        r = uv_pipe_open(&c->h.pipe, fd);
    } else {
        r = uv_tcp_open(&c->h.tcp, fd);
        if (r == 0)
            uv_tcp_nodelay(&c->h.tcp, 1);
    }
    if (r != 0) {
        cfd_log(CFD_LOG_WARN, "cannot watch an accepted connection: %s", uv_strerror(r));
        close(fd);
        cfd_conn_close(c);
        return;
    }
    cfd__read_start(c);
}

/* 1 when the client has sent bytes we have not read yet (the loop may have
 * been busy): such a connection is not idle, whatever its timestamps say. */
static int cfd__unread_input(cfd_conn *c)
{
    uv_os_fd_t fd;
    char b;
    if (uv_fileno(&c->h.handle, &fd) != 0)
        return 0;
    return recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

void cfd_conn_sweep(cfd_worker *w, uint64_t now)
{
    const cfd_config *cfg = w->srv->cfg;
    cfd_conn *next;
    for (cfd_conn *c = w->conns; c; c = next) {
        next = c->next;
        if (c->closing)
            continue;
        uint64_t quiet = now - c->last_active;
        if (c->lingering) {
            /* Bounded from its start: a client streaming forever is cut. */
            if (quiet >= CFD__LINGER_MS || now - c->req_start >= CFD__LINGER_MS)
                cfd_conn_close(c);
        } else if (c->timing && cfd_http_in_message(&c->in) && !cfd__blocked(c) &&
                   now - c->req_start >= cfg->read_timeout_ms) {
            c->timing = 0;
            c->t0 = uv_hrtime();
            c->endpoint = CFD_EP_OTHER;
            c->method = c->in.parser.method;
            c->in.req.path = "";
            c->in.req.path_len = 0;
            char what[120], msg[300];
            cfd_http_partial(&c->in, what, sizeof(what));
            snprintf(msg, sizeof(msg),
                     "the request did not arrive whole within the read timeout (read_timeout, "
                     "%u ms): %s; send the whole request without pauses, with "
                     "Content-Length the body's size in bytes",
                     cfg->read_timeout_ms, what);
            cfd_conn_error(c, NULL, 408, "read_timeout", msg, (size_t)-1, NULL, 1);
            cfd_http_in_drop(&c->in); /* never served: its body memory goes back now */
            cfd_conn_flush(c);
        } else if (quiet >= cfg->idle_timeout_ms && !c->job &&
                   (cfd_conn_pending_output(c) > 0 ||
                    (cfd__quiescent(c) && !cfd__unread_input(c)))) {
            /* Its client does not read its replies (an NDJSON batch included),
             * or it has nothing to do. */
            cfd_conn_close(c);
        } else if (w->draining && cfd__quiescent(c) && quiet >= CFD__DRAIN_QUIET_MS &&
                   !cfd__unread_input(c)) {
            cfd_conn_close(c);
        }
    }
}

void cfd_conn_yield(cfd_conn *c)
{
    cfd_worker *w = c->w;
    if (c->nd_yielded)
        return;
    c->nd_yielded = 1;
    c->resume_next = w->resume;
    w->resume = c;
    uv_async_send(&w->wake); /* its callback runs after this turn's I/O */
}

void cfd_conn_resume_all(cfd_worker *w)
{
    /* Taken whole: a batch that yields again goes on the new list, for the
     * next wake-up, after the I/O that came meanwhile. */
    cfd_conn *list = w->resume;
    w->resume = NULL;
    while (list != NULL) {
        cfd_conn *c = list;
        list = c->resume_next;
        c->resume_next = NULL;
        c->nd_yielded = 0;
        if (!c->closing)
            cfd__run(c, NULL, 0);
    }
}

void cfd_conn_close_all(cfd_worker *w)
{
    cfd_conn *next;
    for (cfd_conn *c = w->conns; c; c = next) {
        next = c->next;
        cfd_conn_close(c);
    }
}
