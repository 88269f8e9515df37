/*
 * One classifyd-bench connection (see bench.h): connect to the Unix socket,
 * keep up to --pipeline requests written ahead, parse replies in order with
 * http_parser, time each one, and reconnect if the daemon closes the
 * connection while the run goes on.
 *
 * Requests in flight are a ring of (request index, send time). Writes point
 * into the prebuilt request bytes; nothing is copied. All requests that fit
 * in the pipeline are sent in one uv_write, so a deep pipeline costs one
 * system call per round, like a real client batching on a busy connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <http_parser.h>

#include "bench.h"
#include "buf.h"

enum { CFD__CLOSED, CFD__CONNECTING, CFD__OPEN, CFD__CLOSING };

typedef struct cfd_bench_conn {
    cfd_bench *b;
    uv_pipe_t pipe;
    uv_connect_t connect_req;
    uv_timer_t retry;
    http_parser parser;
    int state;
    int failures;           /* consecutive failed connects */
    size_t *ring_req;
    uint64_t *ring_t;
    int head, count;
    int in_message;
    int replied;            /* this connection got at least one reply */
    int close_after;
    int keep_body;
    size_t body_bytes;      /* of the reply being parsed, kept or not */
    cfd_buf body;
    char rbuf[65536];
} cfd_bench_conn;

typedef struct cfd__write {
    uv_write_t req;
    uv_buf_t bufs[];
} cfd__write;

static void cfd__connect(cfd_bench_conn *c);
static void cfd__fill(cfd_bench_conn *c);

static void cfd__maybe_finish(cfd_bench *b)
{
    if (!b->stopping || b->open_conns > 0)
        return;
    for (int i = 0; i < b->concurrency; i++) {
        if (b->conns[i].state != CFD__CLOSED)
            return;
    }
    if (!b->t_end_ns)
        b->t_end_ns = uv_hrtime();
    for (int i = 0; i < b->concurrency; i++)
        uv_timer_stop(&b->conns[i].retry);
    uv_timer_stop(&b->stop_timer);
    uv_timer_stop(&b->drain_timer);
}

static void cfd__on_retry(uv_timer_t *t)
{
    cfd_bench_conn *c = t->data;
    if (!c->b->stopping)
        cfd__connect(c);
}

static void cfd__on_close(uv_handle_t *h)
{
    cfd_bench_conn *c = h->data;
    cfd_bench *b = c->b;
    if (c->replied)
        b->unanswered += (uint64_t)c->count;
    else
        b->unanswered_unserved += (uint64_t)c->count;
    c->count = 0;
    c->replied = 0;
    c->head = 0;
    if (c->in_message)
        b->truncated++;
    c->in_message = 0;
    c->close_after = 0;
    c->state = CFD__CLOSED;
    b->open_conns--;
    if (!b->stopping) {
        /* back off when the daemon refuses us, reconnect at once otherwise */
        uv_timer_start(&c->retry, cfd__on_retry, c->failures ? 50 : 0, 0);
    }
    cfd__maybe_finish(b);
}

static void cfd__close(cfd_bench_conn *c)
{
    if (c->state == CFD__CLOSED || c->state == CFD__CLOSING)
        return;
    c->state = CFD__CLOSING;
    uv_close((uv_handle_t *)&c->pipe, cfd__on_close);
}

static int cfd__on_message_begin(http_parser *p)
{
    cfd_bench_conn *c = p->data;
    c->in_message = 1;
    c->body_bytes = 0;
    cfd_buf_reset(&c->body);
    return 0;
}

static int cfd__on_body(http_parser *p, const char *at, size_t n)
{
    cfd_bench_conn *c = p->data;
    c->body_bytes += n;
    if (c->keep_body)
        cfd_buf_append(&c->body, at, n);
    return 0;
}

/* Counts NDJSON reply lines that carry an error instead of a result, and
 * (in *lines) all non-empty lines. */
static uint32_t cfd__line_errors(const cfd_buf *body, uint32_t *lines)
{
    uint32_t n = 0;
    *lines = 0;
    const char *p = body->data, *end = body->data + body->len;
    while (p && p < end) {
        if (*p != '\n')
            (*lines)++;
        if ((size_t)(end - p) >= 7 &&
            (memcmp(p, "{\"line\"", 7) == 0 || memcmp(p, "{\"error", 7) == 0))
            n++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : NULL;
    }
    return n;
}

static int cfd__on_message_complete(http_parser *p)
{
    cfd_bench_conn *c = p->data;
    cfd_bench *b = c->b;
    c->in_message = 0;
    if (c->count == 0) {
        b->failed++; /* a reply nobody asked for */
        return 0;
    }
    size_t idx = c->ring_req[c->head];
    uint64_t t0 = c->ring_t[c->head];
    c->head = (c->head + 1) % b->pipeline;
    c->count--;
    c->replied = 1;
    const cfd_bench_req *r = &b->reqs[idx];
    unsigned st = p->status_code;
    uint32_t ok_articles = 0; /* articles/s counts classified articles only */
    if (st >= 100 && st < 600)
        b->status[st / 100]++;
    if (r->bad) {
        if (st >= 400 && st < 500)
            b->expected_errors++;
        else
            b->failed++;
    } else if (st >= 200 && st < 300 && c->body_bytes == 0) {
        b->failed++; /* an empty 2xx is no classification */
    } else if (st >= 200 && st < 300) {
        uint32_t lines = 0;
        uint32_t le = b->ndjson || c->body.len ? cfd__line_errors(&c->body, &lines) : 0;
        /* NDJSON lines dropped or cut: the missing articles were not classified */
        uint32_t missing = b->ndjson && lines < r->articles ? r->articles - lines : 0;
        uint32_t bad = le + missing;
        ok_articles = r->articles > bad ? r->articles - bad : 0;
        b->line_errors += bad;
        b->articles_ok += ok_articles;
        if (bad || (b->ndjson && lines != r->articles))
            b->failed++;
        else
            b->ok++;
        if (b->record && c->body.len) {
            fwrite(c->body.data, 1, c->body.len, b->record);
            if (c->body.data[c->body.len - 1] != '\n')
                fputc('\n', b->record);
        }
    } else {
        b->failed++;
    }
    if (t0 >= b->t_start_ns) {
        b->measured_replies++;
        b->measured_articles += ok_articles;
        uint64_t us = (uv_hrtime() - t0) / 1000;
        cfd_bench_stats_add(&b->lat, us > UINT32_MAX ? UINT32_MAX : (uint32_t)us);
    }
    if (!http_should_keep_alive(p))
        c->close_after = 1;
    return 0;
}

static const http_parser_settings cfd__settings = {
    .on_message_begin = cfd__on_message_begin,
    .on_body = cfd__on_body,
    .on_message_complete = cfd__on_message_complete,
};

static void cfd__alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    cfd_bench_conn *c = h->data;
    *buf = uv_buf_init(c->rbuf, sizeof c->rbuf);
}

static void cfd__on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    cfd_bench_conn *c = s->data;
    cfd_bench *b = c->b;
    if (nread < 0) {
        if (nread == UV_EOF)
            http_parser_execute(&c->parser, &cfd__settings, NULL, 0);
        cfd__close(c);
        return;
    }
    if (nread == 0)
        return;
    size_t used = http_parser_execute(&c->parser, &cfd__settings, buf->base, (size_t)nread);
    if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK || used != (size_t)nread) {
        if (!c->close_after)
            b->failed++;   /* malformed reply */
        cfd__close(c);
        return;
    }
    if (c->close_after) {
        cfd__close(c);
        return;
    }
    if (b->stopping && c->count == 0) {
        cfd__close(c);
        return;
    }
    cfd__fill(c);
}

static void cfd__on_write(uv_write_t *req, int status)
{
    cfd_bench_conn *c = req->data;
    free(req);
    if (status < 0 && c->state == CFD__OPEN)
        cfd__close(c);  /* the daemon went away; in-flight count as unanswered */
}

static void cfd__trigger_stop(cfd_bench *b);

static void cfd__fill(cfd_bench_conn *c)
{
    cfd_bench *b = c->b;
    if (c->state != CFD__OPEN || b->stopping)
        return;
    int room = b->pipeline - c->count;
    if (b->max_requests && b->sent + (uint64_t)room > b->max_requests)
        room = (int)(b->max_requests - b->sent);
    if (room <= 0) {
        if (b->max_requests && b->sent >= b->max_requests)
            cfd__trigger_stop(b);
        return;
    }
    cfd__write *w = malloc(sizeof *w + (size_t)room * sizeof(uv_buf_t));
    if (!w) {
        cfd__close(c);
        return;
    }
    uint64_t now = uv_hrtime();
    for (int i = 0; i < room; i++) {
        size_t idx = b->next_req++ % b->n_reqs;
        int slot = (c->head + c->count) % b->pipeline;
        c->ring_req[slot] = idx;
        c->ring_t[slot] = now;
        c->count++;
        w->bufs[i] = uv_buf_init(b->reqs[idx].data, (unsigned)b->reqs[idx].len);
    }
    b->sent += (uint64_t)room;
    w->req.data = c;
    if (uv_write(&w->req, (uv_stream_t *)&c->pipe, w->bufs, (unsigned)room, cfd__on_write) != 0) {
        free(w);
        cfd__close(c);
        return;
    }
    if (b->max_requests && b->sent >= b->max_requests)
        cfd__trigger_stop(b);
}

static void cfd__on_connect(uv_connect_t *req, int status)
{
    cfd_bench_conn *c = req->data;
    cfd_bench *b = c->b;
    if (status < 0) {
        b->connect_errors++;
        c->failures++;
        cfd__close(c);
        /* About a second of refused reconnects: the daemon is gone (stopped
         * or restarted elsewhere). End the run rather than spin. */
        if (c->failures >= 20 && !b->stopping) {
            fprintf(stderr, "classifyd-bench: %s refuses connections (%s); ending the run\n",
                    b->socket, uv_strerror(status));
            cfd_bench_conns_stop(b);
        }
        return;
    }
    c->failures = 0;
    c->state = CFD__OPEN;
    http_parser_init(&c->parser, HTTP_RESPONSE);
    c->parser.data = c;
    if (b->stopping) {
        cfd__close(c);
        return;
    }
    if (uv_read_start((uv_stream_t *)&c->pipe, cfd__alloc, cfd__on_read) != 0) {
        cfd__close(c);
        return;
    }
    cfd__fill(c);
}

static void cfd__connect(cfd_bench_conn *c)
{
    cfd_bench *b = c->b;
    if (uv_pipe_init(b->loop, &c->pipe, 0) != 0) {
        b->connect_errors++;
        return;
    }
    c->pipe.data = c;
    c->connect_req.data = c;
    c->state = CFD__CONNECTING;
    b->open_conns++;
    uv_pipe_connect(&c->connect_req, &c->pipe, b->socket, cfd__on_connect);
}

int cfd_bench_conns_start(cfd_bench *b)
{
    b->conns = calloc((size_t)b->concurrency, sizeof *b->conns);
    if (!b->conns)
        return -1;
    for (int i = 0; i < b->concurrency; i++) {
        cfd_bench_conn *c = &b->conns[i];
        c->b = b;
        c->keep_body = b->record != NULL || b->ndjson > 0;
        c->ring_req = calloc((size_t)b->pipeline, sizeof *c->ring_req);
        c->ring_t = calloc((size_t)b->pipeline, sizeof *c->ring_t);
        if (!c->ring_req || !c->ring_t)
            return -1;
        uv_timer_init(b->loop, &c->retry);
        c->retry.data = c;
    }
    for (int i = 0; i < b->concurrency; i++)
        cfd__connect(&b->conns[i]);
    return 0;
}

static void cfd__trigger_stop(cfd_bench *b)
{
    if (b->stopping)
        return;
    cfd_bench_conns_stop(b);
}

void cfd_bench_conns_stop(cfd_bench *b)
{
    b->stopping = 1;
    b->t_stop_ns = uv_hrtime();
    for (int i = 0; i < b->concurrency; i++) {
        cfd_bench_conn *c = &b->conns[i];
        uv_timer_stop(&c->retry);
        if (c->state == CFD__CONNECTING)
            continue;  /* closed by its connect callback */
        if (c->state == CFD__OPEN && c->count == 0)
            cfd__close(c);
    }
    cfd__maybe_finish(b);
}

void cfd_bench_conns_abort(cfd_bench *b)
{
    for (int i = 0; i < b->concurrency; i++) {
        if (b->conns[i].state == CFD__OPEN)
            cfd__close(&b->conns[i]);
    }
}

void cfd_bench_conns_free(cfd_bench *b)
{
    for (int i = 0; b->conns && i < b->concurrency; i++) {
        free(b->conns[i].ring_req);
        free(b->conns[i].ring_t);
        cfd_buf_free(&b->conns[i].body);
        uv_close((uv_handle_t *)&b->conns[i].retry, NULL);
    }
    uv_run(b->loop, UV_RUN_DEFAULT);
    free(b->conns);
    b->conns = NULL;
}
