/*
 * HTTP/1.1 on top of http_parser: turns a byte stream (split anywhere,
 * pipelined requests back to back) into whole requests one at a time, enforces
 * the header and body limits while the bytes arrive, and formats replies
 * (fixed-length and chunked) into a cfd_buf. Requests: http.c; replies:
 * http_reply.c.
 *
 * One cfd_http_in per connection. cfd_http_feed parses until one request is
 * complete and then stops (the parser is paused), so the caller can answer
 * requests strictly in order and stop taking new ones while a reply is
 * pending; bytes after the request are left unconsumed for the next call.
 * The request's url and body point into buffers owned by the cfd_http_in and
 * stay valid until the next cfd_http_feed or cfd_http_in_release call.
 * Buffers are reused from one request to the next (no allocation per request
 * once warm); a body buffer grown past 64 KiB is released after its request
 * by cfd_http_in_release (or, at the latest, when the next request begins),
 * so an idle keep-alive connection does not hold a large body. A body with
 * a Content-Length is allocated at exactly that size.
 *
 * Body memory (body_budget.h): with a budget set, a request reserves its
 * Content-Length on it when its headers are complete, and a chunked body
 * its de-chunked bytes as they arrive, unless the body is small enough for
 * the connection's own buffer (the budget's free_below); what does not fit
 * is the error 503 body_memory_exhausted (err_budget set), found before any
 * body byte is read when the length is announced. `reserved` counts what
 * this request holds; it is given back, and zeroed, by cfd_http_in_release, by the
 * start of the next request, by cfd_http_in_drop and by cfd_http_in_free,
 * so each reservation is released exactly once whichever comes first.
 *
 * Nothing here does I/O or knows about libuv, so the tests feed it bytes.
 * Threads: one cfd_http_in belongs to one thread; the reply functions are
 * pure.
 */
#ifndef CFD_HTTP_H
#define CFD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <http_parser.h>

#include "body_budget.h"
#include "buf.h"

struct cfd_http_request;

typedef struct cfd_http_limits {
    size_t max_header;   /* request line + headers, bytes (431 above) */
    size_t max_body;     /* body bytes after de-chunking (413 above) */
    /* Optional: for a request that sent "Expect: 100-continue", called once
     * its headers are in (r's method, path, ctype, media and has_length
     * set; no body yet). Non-zero refuses the request before its body is
     * sent (RFC 9110 10.1.1: a final status instead of 100 Continue), with
     * *status, *code and the message written to msg[0..len); the
     * connection then closes, as after a 413. Called on the loop thread. */
    int (*precheck)(const struct cfd_http_request *r, int *status, const char **code,
                    char *msg, size_t len);
} cfd_http_limits;

enum cfd_ctype {
    CFD_CTYPE_NONE = 0,  /* no Content-Type header */
    CFD_CTYPE_JSON,      /* application/json */
    CFD_CTYPE_TEXT,      /* text/plain */
    CFD_CTYPE_NDJSON,    /* application/x-ndjson (or application/jsonl) */
    CFD_CTYPE_OTHER
};

typedef struct cfd_http_request {
    int method;                /* enum http_method */
    const char *path;          /* URL path without the query; not NUL-terminated */
    size_t path_len;
    int ctype;                 /* enum cfd_ctype */
    int has_length;            /* Content-Length given or chunked body */
    int keep_alive;            /* the client wants the connection kept */
    int http_minor;            /* 1 for HTTP/1.1, 0 for HTTP/1.0 */
    const char *coding;        /* a Content-Encoding other than identity (the
                                  first named, e.g. "gzip"), or NULL */
    const char *charset;       /* Content-Type's charset parameter, or NULL */
    const char *media;         /* Content-Type's media type as sent (cut), "" if none */
    const char *body;          /* NUL-terminated copy, body_len bytes */
    size_t body_len;
} cfd_http_request;

typedef struct cfd_http_in {
    http_parser parser;
    const cfd_http_limits *limits;
    cfd_buf url;
    cfd_buf body;
    size_t header_bytes;
    char field[32];            /* current header name (lower case, cut) */
    size_t field_len;
    char value[96];            /* current header value (cut) */
    size_t value_len;
    int value_cut;             /* the current value was longer than value[] */
    int in_value;
    int ctype;
    int expect_continue;
    int te_other;              /* a transfer coding other than chunked was named */
    char coding[24];           /* first Content-Encoding other than identity (cut) */
    char charset[24];          /* Content-Type's charset parameter (cut) */
    char media[48];            /* Content-Type's media type (cut) */
    int in_message;            /* a request has begun and is not complete */
    int complete;
    int continue_sent;
    int headers_done;
    /* error found while parsing: status to answer, then close */
    int err_status;
    const char *err_code;
    const char *err_msg;       /* a constant, or err_text */
    char err_text[192];        /* a message built for this error */
    int err_budget;            /* the error is a refusal for want of body memory, */
    size_t err_asked;          /* for a body of this many bytes (so far, if chunked) */
    cfd_body_budget *budget;   /* the loop's; NULL = bodies are not accounted */
    size_t reserved;           /* bytes of the current body reserved on budget */
    cfd_http_request req;
} cfd_http_in;

enum cfd_http_result {
    CFD_HTTP_MORE = 0,     /* all bytes consumed, no whole request yet */
    CFD_HTTP_REQUEST = 1,  /* in->req is a whole request */
    CFD_HTTP_ERROR = 2     /* in->err_status/err_code/err_msg: reply and close */
};

/* No budget: set in->budget after init to account bodies on one. */
void cfd_http_in_init(cfd_http_in *in, const cfd_http_limits *limits);
void cfd_http_in_free(cfd_http_in *in);

/* The caller is done with the last request (its reply is built, no stream or
 * job reads its body any more): gives its body's reservation back and frees
 * a body buffer grown past 64 KiB. A no-op while a request is being
 * received. in->req.body is invalid afterwards. */
void cfd_http_in_release(cfd_http_in *in);

/* The request being received will never be served (an error or the read
 * timeout ends the connection): frees its body and gives its reservation
 * back now, not when the connection is freed (it may linger 2 s). Nothing
 * more may be fed. */
void cfd_http_in_drop(cfd_http_in *in);

/*
 * Parses data[0..len) up to the end of one request. *used is the number of
 * bytes consumed; the rest must be fed again later. len == 0 tells the parser
 * the peer closed its side.
 */
int cfd_http_feed(cfd_http_in *in, const char *data, size_t len, size_t *used);

/* 1 when the request being received asked for "Expect: 100-continue" and its
 * headers passed the limits: the caller should send cfd_http_continue now.
 * Returns 1 only once per request. */
int cfd_http_want_continue(cfd_http_in *in);
#define CFD_HTTP_CONTINUE "HTTP/1.1 100 Continue\r\n\r\n"

/* Writes into out[size] how much of the request being received arrived,
 * for the errors that cut it off (408, incomplete_request): "the headers
 * did not end (no empty line after them)", or "17 of the 27 body bytes that
 * Content-Length announced arrived", or for a chunked body "N body bytes
 * arrived, and not the last (zero-size) chunk". */
void cfd_http_partial(const cfd_http_in *in, char *out, size_t size);

/* Copies v[0..n) (a header token, a path) into out[size], cut to fit,
 * NUL-terminated, for quoting in an error message: a byte that has no
 * place in a token (control, space, non-ASCII) becomes '?', so the reply
 * stays valid UTF-8 and JSON-safe once escaped. Any thread. */
void cfd_http_keep_token(char *out, size_t size, const char *v, size_t n);

/* 1 when part of a request has been received. */
static inline int cfd_http_in_message(const cfd_http_in *in) { return in->in_message; }

const char *cfd_http_status_text(int status);

#define CFD_HTTP_CHUNKED (-1LL)     /* content_length: Transfer-Encoding: chunked */
#define CFD_HTTP_UNTIL_CLOSE (-2LL) /* content_length: body ends when the connection does */

/*
 * Appends a status line and headers. content_length is the body size, or
 * CFD_HTTP_CHUNKED, or CFD_HTTP_UNTIL_CLOSE (HTTP/1.0 streaming).
 * extra: additional header lines, each ending in "\r\n", or NULL. date: the
 * value of the Date header (cfd_http_date), or NULL to omit it.
 */
void cfd_http_head(cfd_buf *out, int status, const char *ctype, long long content_length,
                   int keep_alive, const char *extra, const char *date);

/* Status line, headers and body in one go. */
void cfd_http_reply(cfd_buf *out, int status, const char *ctype, const char *body, size_t len,
                    int keep_alive, const char *extra, const char *date);

/* Appends the JSON error object {"error":{"code","message"[,"offset"]}}
 * (offset omitted when (size_t)-1). */
void cfd_http_error_json(cfd_buf *out, const char *code, const char *msg, size_t offset);

/* A whole error reply (JSON body). */
void cfd_http_reply_error(cfd_buf *out, int status, const char *code, const char *msg,
                          size_t offset, int keep_alive, const char *extra, const char *date);

/* One chunk of a chunked body (empty data is skipped), and the last chunk. */
void cfd_http_chunk(cfd_buf *out, const char *data, size_t len);
void cfd_http_chunk_end(cfd_buf *out);

/* Writes an IMF-fixdate ("Sat, 28 Nov 2026 09:00:00 GMT") into out[30]. */
void cfd_http_date(char out[30], int64_t unix_seconds);

#endif
