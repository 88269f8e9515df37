/*
 * POST /v1/classify: one article as JSON or text/plain, or a batch as
 * NDJSON streamed back one line per article as each is done (written out at
 * most 1 ms or 16 KiB after it is done). The article is
 * classified inline on this loop's thread with its own engine worker (see
 * server.h for why); the engine's reply object is copied once into the
 * connection's output behind the headers.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "handlers.h"
#include "log.h"
#include "utf8.h"

#define CFD__ND_FLUSH_NS 1000000u    /* NDJSON: a done line waits at most 1 ms */
#define CFD__ND_FLUSH_BYTES (16u << 10)
/* NDJSON: the loop time a batch takes before other connections' I/O is
 * served (a 1 MiB batch of headlines is ~1 s of classifying). */
#define CFD__ND_SLICE_NS 2000000u

int cfd_engine_error_status(int rc, const char **code)
{
    switch (rc) {
    case CFD_ENOENT: *code = "unknown_plugin"; return 404;
    case CFD_EEMPTY: *code = "empty_text"; return 400;
    case CFD_EUTF8: *code = "invalid_utf8"; return 400;
    case CFD_EINVAL: *code = "wrong_shape"; return 400;
    case CFD_ETOOBIG: *code = "too_large"; return 413;
    case CFD_EBUSY: *code = "not_ready"; return 503;
    default: *code = "internal_error"; return 500;
    }
}

void cfd_reply_json(cfd_conn *c, const cfd_http_request *r, int status, const char *body,
                    size_t len, const char *extra)
{
    int keep = cfd_conn_keep_alive(c, r);
    size_t before = c->out.len;
    cfd_http_head(&c->out, status, "application/json", (long long)len + 1, keep, extra,
                  c->w->date);
    cfd_buf_append(&c->out, body, len);
    cfd_buf_putc(&c->out, '\n');
    cfd_conn_finish(c, status, c->out.len - before);
    if (!keep)
        c->close_after = 1;
}

/* Invalid UTF-8 in a request whose Content-Type names another charset
 * (EUC-KR, CP949: the legacy Korean encodings): say that the daemon reads
 * UTF-8 only, and how to convert, instead of a bare "send UTF-8 text". */
static void cfd__charset_advice(const cfd_http_request *r, cfd_error *err, const char *where)
{
    const char *cs = r->charset;
    if (cs == NULL || strcasecmp(cs, "utf-8") == 0 || strcasecmp(cs, "utf8") == 0)
        return;
    cfd_error_set(err, CFD_EUTF8, err->offset,
                  "invalid UTF-8 at byte %zu of %s: the request says charset=%s, but classifyd "
                  "reads UTF-8 only: convert the text to UTF-8 (e.g. iconv -f %s -t UTF-8) "
                  "and send charset=utf-8",
                  err->offset, where, cs, cs);
}

static void cfd__classify_one(cfd_conn *c, const cfd_http_request *r)
{
    cfd_worker *w = c->w;
    cfd_article a;
    cfd_error err;
    cfd_error_clear(&err);
    int rc = r->ctype == CFD_CTYPE_TEXT
                 ? cfd_article_decode_text(r->body, r->body_len, &a, &err)
                 : cfd_article_decode_json(&w->dec, r->body, r->body_len, 0, &a, &err);
    if (rc != 0) { /* the client's mistake, unless the daemon ran out of memory */
        /* a body cut inside a character: the "cut short" message is the
         * precise one, whatever the charset label says */
        if (rc == CFD_EUTF8 && !cfd_utf8_cut(r->body, r->body_len, err.offset))
            cfd__charset_advice(r, &err, "the body");
        cfd_conn_error(c, r, rc == CFD_ENOMEM ? 503 : 400, cfd_article_error_code(rc), err.msg,
                       err.offset, NULL, 0);
        return;
    }
    cfd_buf_reset(&w->scratch);
    rc = cfd_engine_classify(w->ew, &a, &w->scratch, &err);
    if (rc == 0 && w->scratch.oom)
        rc = CFD_ENOMEM;
    if (rc != 0) {
        const char *code;
        int status = cfd_engine_error_status(rc, &code);
        if (status >= 500 && status != 503)
            cfd_log(CFD_LOG_ERROR, "classify failed: %s", err.msg);
        cfd_conn_error(c, r, status, code, err.msg[0] ? err.msg : cfd_strerror(rc), err.offset,
                       status == 503 ? "Retry-After: 1\r\n" : NULL, 0);
        return;
    }
    cfd_reply_json(c, r, 200, w->scratch.data, w->scratch.len, NULL);
}

/* The 415 of POST /v1/classify, naming what was sent: "curl -d" sends a
 * form type unless told. */
static void cfd__media_msg(const char *media, char *msg, size_t len)
{
    int form = strcasecmp(media, "application/x-www-form-urlencoded") == 0;
    snprintf(msg, len,
             "Content-Type %s is not accepted: send application/json (one article), "
             "text/plain (the article body) or application/x-ndjson (one article per "
             "line)%s",
             media,
             form ? "; curl -d sends application/x-www-form-urlencoded unless given "
                    "-H 'Content-Type: application/json'"
                  : "");
}

void cfd_handle_classify(cfd_conn *c, const cfd_http_request *r)
{
    if (!r->has_length) {
        cfd_conn_error(c, r, 411, "length_required",
                       "POST /v1/classify needs a body with Content-Length or "
                       "Transfer-Encoding: chunked",
                       (size_t)-1, NULL, 0);
        return;
    }
    switch (r->ctype) {
    case CFD_CTYPE_NONE: /* no Content-Type at all (a bare client): assume JSON */
    case CFD_CTYPE_JSON:
    case CFD_CTYPE_TEXT:
        cfd__classify_one(c, r);
        return;
    case CFD_CTYPE_NDJSON:
        c->nd_active = 1;
        c->nd_unflushed_since = 0;
        c->nd_pos = 0;
        c->nd_lineno = 0;
        c->nd_chunked = r->http_minor >= 1;
        c->nd_keep = c->nd_chunked && cfd_conn_keep_alive(c, r);
        {
            size_t before = c->out.len;
            cfd_http_head(&c->out, 200, "application/x-ndjson",
                          c->nd_chunked ? CFD_HTTP_CHUNKED : CFD_HTTP_UNTIL_CLOSE,
                          c->nd_keep ? (r->http_minor == 0 ? 2 : 1) : 0, NULL, c->w->date);
            c->nd_bytes = c->out.len - before;
        }
        cfd_ndjson_step(c);
        return;
    default: {
        char msg[320];
        cfd__media_msg(r->media, msg, sizeof(msg));
        cfd_conn_error(c, r, 415, "unsupported_media_type", msg, (size_t)-1, NULL, 0);
        return;
    }
    }
}

int cfd_classify_precheck(const cfd_http_request *r, int *status, const char **code, char *msg,
                          size_t len)
{
    static const char path[] = "/v1/classify";
    if (r->method != HTTP_POST || r->path_len != sizeof(path) - 1 ||
        memcmp(r->path, path, sizeof(path) - 1) != 0 || r->ctype != CFD_CTYPE_OTHER)
        return 0;
    cfd__media_msg(r->media, msg, len);
    *status = 415;
    *code = "unsupported_media_type";
    return 1;
}

/* One NDJSON line -> one reply line (without the newline) in w->scratch. */
static void cfd__ndjson_line(cfd_conn *c, const char *line, size_t n, size_t lineno)
{
    cfd_worker *w = c->w;
    cfd_article a;
    cfd_error err;
    const char *code;
    cfd_error_clear(&err);
    cfd_buf_reset(&w->scratch);
    int rc = cfd_article_decode_json(&w->dec, line, n, CFD_ARTICLE_LINE, &a, &err);
    if (rc != 0) {
        code = cfd_article_error_code(rc);
        if (rc == CFD_EUTF8 && !cfd_utf8_cut(line, n, err.offset)) {
            /* the offset is in the line, not the body */
            cfd_error_set(&err, rc, err.offset, "invalid UTF-8 at byte %zu of line %zu: send "
                          "UTF-8 text", err.offset, lineno);
            char where[40];
            snprintf(where, sizeof(where), "line %zu", lineno);
            cfd__charset_advice(&c->in.req, &err, where);
        }
    } else {
        rc = cfd_engine_classify(w->ew, &a, &w->scratch, &err);
        if (rc == 0 && !w->scratch.oom)
            return;
        if (rc == 0)
            rc = CFD_ENOMEM;
        cfd_engine_error_status(rc, &code);
        cfd_buf_reset(&w->scratch);
    }
    cfd_buf_printf(&w->scratch, "{\"line\":%zu,", lineno);
    /* The article's id when it was read before the error, so a client can
     * match the error to its article without counting lines. */
    if (a.id != NULL) {
        cfd_buf_append(&w->scratch, "\"id\":", 5);
        cfd_buf_json_str(&w->scratch, a.id, a.id_len);
        cfd_buf_append(&w->scratch, ",", 1);
    }
    /* {"line":N,"error":{...}}: reuse the error object writer, minus its brace. */
    cfd_buf tmp = CFD_BUF_INIT;
    cfd_http_error_json(&tmp, code, err.msg[0] ? err.msg : cfd_strerror(rc), err.offset);
    if (tmp.len > 1)
        cfd_buf_append(&w->scratch, tmp.data + 1, tmp.len - 1);
    cfd_buf_free(&tmp);
}

int cfd_ndjson_step(cfd_conn *c)
{
    cfd_worker *w = c->w;
    const cfd_http_request *r = &c->in.req;
    const char *line;
    size_t n;
    size_t limit = w->srv->cfg->max_pending_output;
    const uint64_t slice_start = uv_hrtime();
    while (cfd_ndjson_next(r->body, r->body_len, &c->nd_pos, &c->nd_lineno, &line, &n)) {
        cfd__ndjson_line(c, line, n, c->nd_lineno);
        cfd_buf_putc(&w->scratch, '\n');
        size_t before = c->out.len;
        if (c->nd_chunked)
            cfd_http_chunk(&c->out, w->scratch.data, w->scratch.len);
        else
            cfd_buf_append(&c->out, w->scratch.data, w->scratch.len);
        c->nd_bytes += c->out.len - before;
        cfd_metrics_add(&w->metrics.ndjson_lines, 1);
        /* Stream: a line leaves within CFD__ND_FLUSH_NS of being done, or
         * when CFD__ND_FLUSH_BYTES wait. Not one write per line: each would
         * wake the client and cost a context switch per article. */
        uint64_t now = uv_hrtime();
        if (c->nd_unflushed_since == 0)
            c->nd_unflushed_since = now;
        if (c->out.len >= CFD__ND_FLUSH_BYTES || now - c->nd_unflushed_since >= CFD__ND_FLUSH_NS) {
            c->nd_unflushed_since = 0;
            cfd_conn_flush(c);
        }
        if (c->closing)
            return 1;
        if (cfd_conn_pending_output(c) > limit) {
            /* Wait for the client only with a write in flight: its callback
             * resumes the batch. Lines not handed to the kernel yet would
             * otherwise be written at once by the caller's flush, and no
             * callback would ever come to go on (found by fuzz_http). */
            c->nd_unflushed_since = 0;
            cfd_conn_flush(c);
            if (c->closing)
                return 1;
            if (c->writing)
                return 0; /* the client is slow: go on when the output drains */
        }
        if (now - slice_start >= CFD__ND_SLICE_NS && c->nd_pos < r->body_len && w->can_yield) {
            /* Its slice is over: what is done goes out, and the loop serves
             * the others before the next slice (the write callback, or the
             * wake callback, goes on). */
            c->nd_unflushed_since = 0;
            cfd_conn_flush(c);
            if (c->closing)
                return 1;
            if (!c->writing)
                cfd_conn_yield(c);
            return 0;
        }
    }
    c->nd_unflushed_since = 0; /* cfd_conn_process flushes the rest now */
    size_t before = c->out.len;
    if (c->nd_chunked)
        cfd_http_chunk_end(&c->out);
    c->nd_bytes += c->out.len - before;
    c->nd_active = 0;
    cfd_conn_finish(c, 200, c->nd_bytes);
    if (!c->nd_keep)
        c->close_after = 1;
    return 1;
}
