/*
 * HTTP/1.1 request assembly on http_parser; see http.h. Replies are
 * formatted in http_reply.c.
 *
 * Limits are enforced as bytes arrive: the header budget is counted in the
 * url/field/value callbacks, a Content-Length over the body limit is refused
 * in on_headers_complete (before any body byte is read), and a chunked body
 * is cut off as soon as its decoded size passes the limit. The body memory
 * budget is reserved at the same two places (see http.h).
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "http.h"

/* Larger body buffers are freed after use; smaller bodies are not counted
 * on the body memory budget (body_budget.h) when it says so. */
#define CFD__BODY_KEEP CFD_BODY_UNCOUNTED

static int cfd__fail(cfd_http_in *in, int status, const char *code, const char *msg)
{
    in->err_status = status;
    in->err_code = code;
    in->err_msg = msg;
    return -1;
}

/* The first `total` bytes of this request's body on the budget (what is
 * not reserved yet is), or the 503 that tells the client to come back:
 * bodies already being received fill this loop's share. A body that the
 * connection's own buffer holds is not counted (free_below): announced as
 * less than free_below, or chunked and still under half of it (its buffer
 * grows by doubling). */
static int cfd__reserve_to(cfd_http_in *in, size_t total, int chunked)
{
    if (in->budget == NULL || total <= in->reserved)
        return 0;
    if (total < (chunked ? in->budget->free_below / 2 : in->budget->free_below))
        return 0;
    if (cfd_body_budget_reserve(in->budget, total - in->reserved) != 0) {
        in->err_budget = 1;
        in->err_asked = total;
        return cfd__fail(in, 503, "body_memory_exhausted",
                         "the daemon holds as many request bodies as its memory for them allows "
                         "(max_body_memory): retry in a moment, on a new connection");
    }
    in->reserved = total;
    return 0;
}

static void cfd__unreserve(cfd_http_in *in)
{
    if (in->reserved == 0)
        return;
    cfd_body_budget_release(in->budget, in->reserved);
    in->reserved = 0;
}

static int cfd__count(cfd_http_in *in, size_t n)
{
    in->header_bytes += n;
    if (in->header_bytes > in->limits->max_header)
        return cfd__fail(in, 431, "headers_too_large",
                         "request line and headers exceed the configured limit (max_header): "
                         "send fewer or shorter headers");
    return 0;
}

static int cfd__on_message_begin(http_parser *p)
{
    cfd_http_in *in = p->data;
    cfd__unreserve(in); /* the last request's body is done with */
    cfd_buf_reset(&in->url);
    if (in->body.cap > CFD__BODY_KEEP)
        cfd_buf_free(&in->body);
    cfd_buf_reset(&in->body);
    in->header_bytes = 0;
    in->field_len = in->value_len = 0;
    in->value_cut = 0;
    in->in_value = 0;
    in->ctype = CFD_CTYPE_NONE;
    in->expect_continue = 0;
    in->te_other = 0;
    in->coding[0] = '\0';
    in->charset[0] = '\0';
    in->media[0] = '\0';
    in->continue_sent = 0;
    in->headers_done = 0;
    in->in_message = 1;
    in->complete = 0;
    return 0;
}

static int cfd__on_url(http_parser *p, const char *at, size_t len)
{
    cfd_http_in *in = p->data;
    if (cfd__count(in, len) != 0)
        return -1;
    return cfd_buf_append(&in->url, at, len) == 0 ? 0
                                                  : cfd__fail(in, 503, "out_of_memory",
                                                              "out of memory; retry later");
}

static int cfd__media_is(const char *v, size_t n, const char *type)
{
    size_t tl = strlen(type);
    return n == tl && strncasecmp(v, type, n) == 0;
}

void cfd_http_keep_token(char *out, size_t size, const char *v, size_t n)
{
    if (n >= size)
        n = size - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = v[i] > ' ' && v[i] < 0x7f ? v[i] : '?';
    out[n] = '\0';
}

/* The charset parameter of a Content-Type value, e.g. "EUC-KR" from
 * "text/plain; charset=\"EUC-KR\"", kept as sent. */
static void cfd__charset_param(cfd_http_in *in, const char *v, size_t n)
{
    for (size_t i = 0; i < n;) {
        while (i < n && v[i] != ';')
            i++;
        while (i < n && (v[i] == ';' || v[i] == ' ' || v[i] == '\t'))
            i++;
        if (n - i > 8 && strncasecmp(v + i, "charset=", 8) == 0) {
            size_t j = i + 8;
            if (j < n && v[j] == '"')
                j++;
            size_t k = j;
            while (k < n && v[k] != ';' && v[k] != '"' && v[k] != ' ' && v[k] != '\t')
                k++;
            cfd_http_keep_token(in->charset, sizeof(in->charset), v + j, k - j);
            return;
        }
    }
}

/* Takes what the daemon needs from the header just read. */
static void cfd__use_header(cfd_http_in *in)
{
    const char *v = in->value;
    size_t n = in->value_len;
    while (n && (*v == ' ' || *v == '\t'))
        v++, n--;
    if (in->field_len == 12 && memcmp(in->field, "content-type", 12) == 0) {
        size_t m = 0;
        while (m < n && v[m] != ';' && v[m] != ' ' && v[m] != '\t')
            m++;
        if (cfd__media_is(v, m, "application/json"))
            in->ctype = CFD_CTYPE_JSON;
        else if (cfd__media_is(v, m, "text/plain"))
            in->ctype = CFD_CTYPE_TEXT;
        else if (cfd__media_is(v, m, "application/x-ndjson") ||
                 cfd__media_is(v, m, "application/ndjson") ||
                 cfd__media_is(v, m, "application/jsonl") ||
                 cfd__media_is(v, m, "application/x-jsonlines"))
            in->ctype = CFD_CTYPE_NDJSON;
        else
            in->ctype = CFD_CTYPE_OTHER;
        cfd_http_keep_token(in->media, sizeof(in->media), v, m);
        cfd__charset_param(in, v + m, n - m);
    } else if (in->field_len == 16 && memcmp(in->field, "content-encoding", 16) == 0) {
        /* The daemon undoes no content coding: a compressed body would be
         * read as text and fail as invalid UTF-8. Keep the first coding
         * named other than identity, for a clear 415 (RFC 9110 15.5.16). */
        for (size_t i = 0; i < n && in->coding[0] == '\0';) {
            while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
                i++;
            size_t j = i;
            while (j < n && v[j] != ',' && v[j] != ' ' && v[j] != '\t')
                j++;
            if (j > i && !(j - i == 8 && strncasecmp(v + i, "identity", 8) == 0))
                cfd_http_keep_token(in->coding, sizeof(in->coding), v + i, j - i);
            i = j;
        }
    } else if (in->field_len == 17 && memcmp(in->field, "transfer-encoding", 17) == 0) {
        /* http_parser frames a body whose last coding is chunked, but the
         * daemon cannot undo any other coding (gzip, ...): RFC 9112 6.1
         * answers 501 rather than classify compressed bytes as text. A
         * value longer than value[] was cut: its codings past the cut are
         * unknown, and "chunked" alone never needs that much room. */
        if (in->value_cut)
            in->te_other = 1;
        for (size_t i = 0; i < n;) {
            while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
                i++;
            size_t j = i;
            while (j < n && v[j] != ',' && v[j] != ' ' && v[j] != '\t' && v[j] != ';')
                j++;
            if (j > i && !(j - i == 7 && strncasecmp(v + i, "chunked", 7) == 0))
                in->te_other = 1;
            while (j < n && v[j] != ',')
                j++;
            i = j;
        }
    } else if (in->field_len == 6 && memcmp(in->field, "expect", 6) == 0) {
        while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
            n--;
        if (n == 12 && strncasecmp(v, "100-continue", 12) == 0)
            in->expect_continue = 1;
    }
}

static void cfd__finish_header(cfd_http_in *in)
{
    if (!in->headers_done) /* else a trailer field of a chunked body, not a header */
        cfd__use_header(in);
    in->field_len = in->value_len = 0;
    in->value_cut = in->in_value = 0;
}

static int cfd__on_header_field(http_parser *p, const char *at, size_t len)
{
    cfd_http_in *in = p->data;
    /* ": " and CRLF count too, once per header: a name split across reads
     * arrives in several calls, and must not count more than a whole one. */
    int starts = in->in_value || in->field_len == 0;
    if (cfd__count(in, len + (starts ? 4 : 0)) != 0)
        return -1;
    if (in->in_value)
        cfd__finish_header(in);
    /* http_parser (not built strict) takes a space as part of a name:
     * "Content-Type : x" would be a header nobody here recognises.
     * RFC 9112 5.1: reject white space between the name and the colon. */
    if (memchr(at, ' ', len) != NULL)
        return cfd__fail(in, 400, "bad_request",
                         "white space in a header name (or between the name and the colon): "
                         "send \"Name: value\"");
    for (size_t i = 0; i < len; i++) {
        if (in->field_len < sizeof(in->field))
            in->field[in->field_len] = (char)tolower((unsigned char)at[i]);
        if (in->field_len <= sizeof(in->field))
            in->field_len++; /* sizeof(field)+1 = "too long, matches nothing" */
    }
    return 0;
}

static int cfd__on_header_value(http_parser *p, const char *at, size_t len)
{
    cfd_http_in *in = p->data;
    if (cfd__count(in, len) != 0)
        return -1;
    in->in_value = 1;
    size_t room = sizeof(in->value) - in->value_len;
    size_t n = len < room ? len : room;
    memcpy(in->value + in->value_len, at, n);
    in->value_len += n;
    if (n < len)
        in->value_cut = 1;
    return 0;
}

static void cfd__header_fields(cfd_http_in *in, http_parser *p);

static int cfd__on_headers_complete(http_parser *p)
{
    cfd_http_in *in = p->data;
    if (in->in_value)
        cfd__finish_header(in);
    int chunked = (p->flags & F_CHUNKED) != 0;
    int has_cl = (p->flags & F_CONTENTLENGTH) != 0;
    in->req.has_length = chunked || has_cl;
    in->headers_done = 1;
    /* http_parser takes any digit pair ("HTTP/2.0", "HTTP/1.2") and the
     * HTTP/0.9 form "GET /x" (0.9): this daemon speaks 1.0 and 1.1 only. */
    if (p->http_major != 1 || p->http_minor > 1)
        return cfd__fail(in, 505, "http_version_not_supported",
                         "HTTP version not supported: send HTTP/1.1 (or HTTP/1.0) requests");
    if (in->te_other)
        return cfd__fail(in, 501, "unsupported_transfer_encoding",
                         "Transfer-Encoding other than chunked (e.g. gzip) is not supported: "
                         "send the body uncompressed, with Content-Length or chunked");
    if (has_cl && !chunked && p->content_length > in->limits->max_body) {
        snprintf(in->err_text, sizeof(in->err_text),
                 "request body of %llu bytes (Content-Length) exceeds the configured limit "
                 "(max_body, %zu bytes): split the input or raise max_body",
                 (unsigned long long)p->content_length, in->limits->max_body);
        return cfd__fail(in, 413, "body_too_large", in->err_text);
    }
    /* A client waiting for 100 Continue need not send a body that will be
     * refused anyway (a Content-Type the endpoint does not take): answer
     * now, before reserving or reading any of it. */
    if (in->expect_continue && p->http_minor >= 1 && in->limits->precheck != NULL) {
        cfd__header_fields(in, p);
        int status = 0;
        const char *code = NULL;
        if (in->limits->precheck(&in->req, &status, &code, in->err_text, sizeof(in->err_text)))
            return cfd__fail(in, status, code, in->err_text);
    }
    /* The whole announced body, before any of it is read. */
    if (has_cl && !chunked && cfd__reserve_to(in, (size_t)p->content_length, 0) != 0)
        return -1;
    return 0;
}

static int cfd__on_body(http_parser *p, const char *at, size_t len)
{
    cfd_http_in *in = p->data;
    if (len > in->limits->max_body - in->body.len) {
        snprintf(in->err_text, sizeof(in->err_text),
                 "the chunked request body exceeds the configured limit (max_body, %zu "
                 "bytes): split the input or raise max_body",
                 in->limits->max_body);
        return cfd__fail(in, 413, "body_too_large", in->err_text);
    }
    /* A chunked body reserves its bytes as they come; one with a
     * Content-Length has them all reserved already (or is not counted). */
    if (cfd__reserve_to(in, in->body.len + len, (in->parser.flags & F_CHUNKED) != 0) != 0)
        return -1;
    if (in->body.len == 0 && in->parser.content_length != ULLONG_MAX &&
        !(in->parser.flags & F_CHUNKED)) {
        /* One allocation of exactly the announced size (what was reserved),
         * not doublings to the next power of two. */
        if (cfd_buf_reserve_exact(&in->body, len + in->parser.content_length) != 0)
            goto oom;
    }
    if (cfd_buf_append(&in->body, at, len) != 0)
        goto oom;
    return 0;
oom:
    return cfd__fail(in, 503, "out_of_memory", "out of memory; retry later");
}

static void cfd__split_path(cfd_http_in *in)
{
    const char *u = in->url.data ? in->url.data : "";
    size_t n = in->url.len;
    /* absolute-form: http://host/path */
    if (n > 7 && (strncasecmp(u, "http://", 7) == 0 || strncasecmp(u, "https://", 8) == 0)) {
        const char *s = memchr(u + 8, '/', n - 8);
        if (s == NULL)
            s = u + n;
        n -= (size_t)(s - u);
        u = s;
    }
    size_t m = 0;
    while (m < n && u[m] != '?' && u[m] != '#')
        m++;
    in->req.path = u;
    in->req.path_len = m;
}

/* What the request line and headers say, into in->req: known once the
 * headers are in (the precheck reads it there), set for every request when
 * it is complete. */
static void cfd__header_fields(cfd_http_in *in, http_parser *p)
{
    in->req.method = (int)p->method;
    in->req.http_minor = p->http_major == 1 ? (int)p->http_minor : 0;
    in->req.keep_alive = http_should_keep_alive(p) != 0;
    in->req.ctype = in->ctype;
    in->req.coding = in->coding[0] ? in->coding : NULL;
    in->req.charset = in->charset[0] ? in->charset : NULL;
    in->req.media = in->media;
    cfd__split_path(in);
}

static int cfd__on_message_complete(http_parser *p)
{
    cfd_http_in *in = p->data;
    in->in_message = 0;
    cfd__header_fields(in, p);
    if (cfd_buf_reserve(&in->body, 0) != 0) /* room for the NUL terminator */
        return cfd__fail(in, 503, "out_of_memory", "out of memory; retry later");
    /* complete only now: after a failed reserve the caller must see the
     * error, not a request whose body is the previous one's (maybe freed) */
    in->complete = 1;
    in->body.data[in->body.len] = '\0'; /* a fresh buffer (empty body) has none yet */
    in->req.body = in->body.data;
    in->req.body_len = in->body.len;
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings cfd__settings = {
    .on_message_begin = cfd__on_message_begin,
    .on_url = cfd__on_url,
    .on_header_field = cfd__on_header_field,
    .on_header_value = cfd__on_header_value,
    .on_headers_complete = cfd__on_headers_complete,
    .on_body = cfd__on_body,
    .on_message_complete = cfd__on_message_complete,
};

void cfd_http_in_init(cfd_http_in *in, const cfd_http_limits *limits)
{
    memset(in, 0, sizeof(*in));
    http_parser_init(&in->parser, HTTP_REQUEST);
    in->parser.data = in;
    in->limits = limits;
}

void cfd_http_in_free(cfd_http_in *in)
{
    cfd__unreserve(in);
    cfd_buf_free(&in->url);
    cfd_buf_free(&in->body);
}

void cfd_http_in_release(cfd_http_in *in)
{
    if (in->in_message)
        return;
    cfd__unreserve(in);
    if (in->body.cap <= CFD__BODY_KEEP)
        return;
    cfd_buf_free(&in->body);
    in->req.body = NULL;
    in->req.body_len = 0;
}

void cfd_http_in_drop(cfd_http_in *in)
{
    cfd__unreserve(in);
    cfd_buf_free(&in->body);
    in->req.body = NULL;
    in->req.body_len = 0;
}

int cfd_http_feed(cfd_http_in *in, const char *data, size_t len, size_t *used)
{
    http_parser *p = &in->parser;
    if (HTTP_PARSER_ERRNO(p) == HPE_PAUSED)
        http_parser_pause(p, 0);
    in->complete = 0;
    *used = http_parser_execute(p, &cfd__settings, data, len);
    if (*used > len)
        *used = len; /* http_parser reports 1 for an error at EOF (len 0) */
    if (in->complete)
        return CFD_HTTP_REQUEST;
    if (in->err_status)
        return CFD_HTTP_ERROR;
    enum http_errno e = HTTP_PARSER_ERRNO(p);
    if (e == HPE_OK)
        return CFD_HTTP_MORE;
    if (e == HPE_HEADER_OVERFLOW) {
        cfd__fail(in, 431, "headers_too_large",
                  "request line and headers are too large: send fewer or shorter headers");
    } else if (e == HPE_INVALID_EOF_STATE) {
        char what[120];
        cfd_http_partial(in, what, sizeof(what));
        snprintf(in->err_text, sizeof(in->err_text),
                 "the connection was closed before the request was complete: %s", what);
        cfd__fail(in, 400, "incomplete_request", in->err_text);
    } else if (e == HPE_INVALID_CONTENT_LENGTH && in->headers_done) {
        /* http_parser reports a chunk size that overflows with this code;
         * in the headers it is a bad Content-Length, chunked or not */
        cfd__fail(in, 400, "bad_request", "malformed chunked body: chunk size too large");
    } else if (e == HPE_INVALID_CONTENT_LENGTH || e == HPE_UNEXPECTED_CONTENT_LENGTH) {
        cfd__fail(in, 400, "bad_request",
                  "invalid Content-Length (or Content-Length together with chunked "
                  "Transfer-Encoding): send exactly one of them");
    } else if (e == HPE_INVALID_CHUNK_SIZE) {
        cfd__fail(in, 400, "bad_request", "malformed chunked body: invalid chunk size line");
    } else {
        /* http_parser's own description ("invalid HTTP method", "invalid
         * character in header"), with where: nread counts the bytes of the
         * request line and headers read, up to and including the bad one
         * (reported 0-based, as every offset in the API). */
        in->err_status = 400;
        in->err_code = "bad_request";
        if (!in->headers_done)
            snprintf(in->err_text, sizeof(in->err_text),
                     "%s, at byte %u of the request line and headers: send an HTTP/1.1 "
                     "request (\"POST /v1/classify HTTP/1.1\", then \"Name: value\" lines)",
                     http_errno_description(e), (unsigned)(p->nread ? p->nread - 1 : 0));
        else
            snprintf(in->err_text, sizeof(in->err_text), "%s, in the body: %s",
                     http_errno_description(e),
                     (p->flags & F_CHUNKED) ? "send a well-formed chunked body"
                                            : "send the body as Content-Length says");
        in->err_msg = in->err_text;
    }
    return CFD_HTTP_ERROR;
}

void cfd_http_partial(const cfd_http_in *in, char *out, size_t size)
{
    const http_parser *p = &in->parser;
    if (!in->headers_done)
        snprintf(out, size, "the headers did not end (no empty line after them)");
    else if (p->flags & F_CHUNKED)
        snprintf(out, size, "%zu body bytes arrived, and not the last (zero-size) chunk",
                 in->body.len);
    else /* http_parser counts content_length down as the body arrives */
        snprintf(out, size, "%zu of the %llu body bytes that Content-Length announced arrived",
                 in->body.len, (unsigned long long)(in->body.len + p->content_length));
}

int cfd_http_want_continue(cfd_http_in *in)
{
    if (!in->expect_continue || !in->headers_done || in->continue_sent || in->err_status ||
        !in->in_message || in->parser.http_major != 1 || in->parser.http_minor == 0)
        return 0;
    in->continue_sent = 1;
    return 1;
}
