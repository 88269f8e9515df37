/*
 * Fuzz target: the daemon's request handling end to end, bytes in -> reply
 * bytes out -- http.c (framing, limits, chunked bodies, pipelining), conn.c
 * (request sequencing, back pressure, the bounded write queue, closing),
 * router.c, the handlers (JSON, text/plain, NDJSON streaming, the info
 * endpoints, admin calls) and the engine with the real plugin modules.
 *
 * Input: one control byte, then the bytes a client sends on one connection.
 *   control & 0x0f  number of cut points (0..15): the bytes are written in
 *                   that many + 1 pieces, cut at positions drawn from a PRNG
 *                   seeded by the control byte and the input, so the same
 *                   requests arrive split at arbitrary points;
 *   control & 0x10  the peer is the daemon's own uid (admin calls allowed;
 *                   otherwise they are refused with 403);
 *   control & 0x20  the client reads nothing until it has sent everything
 *                   (replies pile up against max_pending_output).
 *
 * 1. The HTTP layer alone (no sockets): the bytes are parsed whole, one byte
 *    at a time, and in the pieces above, with the same rules conn.c uses to
 *    re-feed unconsumed bytes. All three must yield the same sequence of
 *    requests (method, path, body, content type, keep-alive) and the same
 *    error: how bytes are split across reads must not change what the
 *    daemon sees.
 * 2. The connection: a socketpair's one end goes to cfd_conn_open on a real
 *    worker (libuv loop, engine worker, metrics, limits from cfd_config with
 *    small max_body/max_header/max_pending_output so that every limit is
 *    reachable), the fuzzer writes the pieces to the other end, runs the
 *    loop, reads the replies, then shuts its side and runs until the daemon
 *    has closed the connection. Checked:
 *      - the reply stream is valid HTTP/1.1 (parsed with http_parser in
 *        response mode), with no 500 (a client mistake is never a 500);
 *      - one final reply per request, in order, up to and including the
 *        first request that ends the connection (Connection: close, a
 *        framing error, an HTTP/1.0 NDJSON stream), plus a 400 for a
 *        request the shutdown cut off, and nothing after a reply that
 *        says Connection: close;
 *      - the connection is closed and freed within a bounded time once the
 *        client has shut its side, and the worker's connection count is 0;
 *      - every byte of body memory it reserved has been given back.
 *    The loop's body memory share (CFD__BODY_SHARE) is smaller than
 *    max_body, which the configuration never allows, so that one
 *    connection reaches the 503 body_memory_exhausted refusal; bodies
 *    under CFD__BODY_FREE are not counted (the daemon's free_below, scaled
 *    down) so that both sides of it are reached; part 1 parses with a
 *    budget of the same size, so both see the same requests.
 * The engine serves three small linear models made at start-up with the
 * core API and the repository's rules file, loaded by the real plugins from
 * the build tree (CFD_FUZZ_PLUGIN_DIR).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "conn.h"
#include "featurize.h"
#include "log.h"
#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef CFD_FUZZ_PLUGIN_DIR
#define CFD_FUZZ_PLUGIN_DIR "build/lib/classifyd/plugins"
#endif
#ifndef CFD_FUZZ_SOURCE_DIR
#define CFD_FUZZ_SOURCE_DIR "."
#endif

#define CFD__CHECK(cond)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz_http: check failed: %s (line %d)\n", #cond, __LINE__);  \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

#define CFD__MAX_EVENTS 1024
#define CFD__MAX_CUTS 15
/* The loop's body memory: less than max_body (4K) on purpose, see above. */
#define CFD__BODY_SHARE 3072
#define CFD__BODY_FREE 1024 /* bodies under it are not counted (body_budget.h) */
#define CFD__DEADLINE_NS (10ull * 1000 * 1000 * 1000) /* one input, wall clock */

/* ---- the daemon side: one worker, as server.c builds it ---------------- */

static cfd_config cfd__cfg;
static cfd_server cfd__srv;
static cfd_worker cfd__w; /* large (read buffer): static */
static char cfd__models[256];

static const char *const cfd__topic_labels[] = {"경제", "정치", "스포츠"};
static const char *const cfd__topic_kw[] = {"경제 기업 투자 금리 수출", "정치 국회 선거 의원",
                                            "스포츠 축구 야구 선수"};
static const char *const cfd__section_labels[] = {"경제", "정치", "스포츠", "사회"};
static const char *const cfd__section_kw[] = {"경제 기업 금리", "정치 국회 선거",
                                              "스포츠 축구 선수", "사회 경찰 사건 법원"};
static const char *const cfd__tone_labels[] = {"positive", "neutral", "negative"};
static const char *const cfd__tone_kw[] = {"성장 성공 호조", "밝혔다 개최", "사고 피해 하락"};

static void cfd__make_model(const char *name, const char *const *labels,
                            const char *const *kw, uint32_t n)
{
    cfd_feat_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.hash_bits = 12;
    cfg.word_unigrams = 1;
    cfg.char_min = 1;
    cfg.char_max = 2;
    cfg.sublinear_tf = 1;
    cfg.l2_normalize = 1;
    cfg.title_weight = 1.0f;
    cfg.seed = 7;
    cfd_error err;
    cfd_featurizer *fz;
    CFD__CHECK(cfd_featurizer_new(&fz) == 0);
    uint32_t nb = 1u << cfg.hash_bits;
    float *w = calloc((size_t)nb * n, sizeof(float));
    float *bias = calloc(n, sizeof(float));
    CFD__CHECK(w && bias);
    for (uint32_t c = 0; c < n; c++) {
        cfd_featvec v;
        CFD__CHECK(cfd_featurize_counts(fz, &cfg, NULL, 0, kw[c], strlen(kw[c]), &v, &err) == 0);
        for (uint32_t k = 0; k < v.n; k++)
            w[(size_t)v.items[k].index * n + c] += 4.0f;
    }
    cfd_model_meta meta;
    memset(&meta, 0, sizeof(meta));
    snprintf(meta.version, sizeof(meta.version), "fuzz-1");
    cfd_model *m = NULL;
    if (cfd_model_from_dense(name, labels, n, &cfg, w, bias, NULL, 2.0f, &meta, &m, &err) != 0) {
        fprintf(stderr, "fuzz_http: model %s: %s\n", name, err.msg);
        abort();
    }
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.cfdm", cfd__models, name);
    CFD__CHECK(cfd_model_save(m, path, CFD_WEIGHTS_F32, &err) == 0);
    cfd_model_free(m);
    free(w);
    free(bias);
    cfd_featurizer_free(fz);
}

static void cfd__write_file(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", cfd__models, name);
    FILE *f = fopen(path, "w");
    CFD__CHECK(f != NULL);
    fputs(text, f);
    CFD__CHECK(fclose(f) == 0);
}

static void cfd__setup(void)
{
    signal(SIGPIPE, SIG_IGN);
    /* The daemon's log (admin calls that fail to load a model log errors)
     * only with CFD_FUZZ_VERBOSE set: it would drown libFuzzer's output. */
    cfd_log_setup(getenv("CFD_FUZZ_VERBOSE") ? CFD_LOG_DEBUG : CFD_LOG_ERROR - 1, 0);
    const char *tmp = getenv("TMPDIR");
    snprintf(cfd__models, sizeof(cfd__models), "%s/cfd-fuzz-http-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    CFD__CHECK(mkdtemp(cfd__models) != NULL);
    cfd__make_model("topic", cfd__topic_labels, cfd__topic_kw, 3);
    cfd__make_model("section", cfd__section_labels, cfd__section_kw, 4);
    cfd__make_model("sentiment", cfd__tone_labels, cfd__tone_kw, 3);
    cfd__write_file("rules.txt", "# fuzz rules\n경제\t0.8\t금리|수출\n"
                                 "정치\t0.6\t국회 & 선거\nIT\t0.5\t<AI>|반도체\n");
    /* A second model file for admin swaps to find. */
    cfd__write_file("broken.cfdm", "not a model");

    cfd_error err;
    cfd_config_defaults(&cfd__cfg);
    /* Small limits so that the fuzzer's inputs reach every one of them. */
    CFD__CHECK(cfd_config_set(&cfd__cfg, "max-body", "4K", &err) == 0);
    CFD__CHECK(cfd_config_set(&cfd__cfg, "max-header", "1K", &err) == 0);
    CFD__CHECK(cfd_config_set(&cfd__cfg, "max-pending-output", "2K", &err) == 0);

    cfd_engine_config ec;
    memset(&ec, 0, sizeof(ec));
    ec.plugin_dir = CFD_FUZZ_PLUGIN_DIR;
    ec.models_dir = cfd__models;
    ec.log = cfd_log_engine;
    cfd_engine *e = NULL;
    if (cfd_engine_open(&ec, &e, &err) != 0) {
        fprintf(stderr, "fuzz_http: cannot open the engine with the plugins in %s: %s\n",
                CFD_FUZZ_PLUGIN_DIR, err.msg);
        abort();
    }
    if (!cfd_engine_ready(e)) {
        fprintf(stderr, "fuzz_http: a plugin in %s has no model\n", CFD_FUZZ_PLUGIN_DIR);
        abort();
    }

    cfd_server *s = &cfd__srv;
    s->cfg = &cfd__cfg;
    s->engine = e;
    s->limits.max_body = cfd__cfg.max_body;
    s->limits.max_header = cfd__cfg.max_header;
    s->workers = &cfd__w;
    s->n_workers = 1;
    s->unix_fd = s->tcp_fd = -1;

    cfd_worker *w = &cfd__w;
    w->srv = s;
    w->listen[0].fd = w->listen[1].fd = -1;
    cfd_body_budget_init(&w->body_budget, CFD__BODY_SHARE);
    w->body_budget.free_below = CFD__BODY_FREE;
    CFD__CHECK(uv_loop_init(&w->loop) == 0);
    w->loop.data = w;
    cfd_metrics_init(&w->metrics);
    cfd_article_decoder_init(&w->dec);
    cfd_http_date(w->date, (int64_t)time(NULL));
    CFD__CHECK(cfd_engine_worker_new(e, &w->ew) == 0);
}

/* ---- 1. the HTTP layer alone: split-independence ---------------------- */

typedef struct cfd__event {
    int kind; /* CFD_HTTP_REQUEST or CFD_HTTP_ERROR */
    int method, ctype, keep_alive, has_length, http_minor, err_status;
    size_t path_len, body_len;
    uint64_t path_hash, body_hash;
} cfd__event;

typedef struct cfd__events {
    cfd__event ev[CFD__MAX_EVENTS];
    size_t n;
    int truncated;   /* more than CFD__MAX_EVENTS */
    int partial;     /* ends inside a request */
} cfd__events;

static void cfd__record(cfd__events *out, const cfd_http_in *in, int r)
{
    if (out->n == CFD__MAX_EVENTS) {
        out->truncated = 1;
        return;
    }
    cfd__event *e = &out->ev[out->n++];
    memset(e, 0, sizeof(*e));
    e->kind = r;
    if (r == CFD_HTTP_ERROR) {
        e->err_status = in->err_status;
        return;
    }
    const cfd_http_request *q = &in->req;
    e->method = q->method;
    e->ctype = q->ctype;
    e->keep_alive = q->keep_alive;
    e->has_length = q->has_length;
    e->http_minor = q->http_minor;
    e->path_len = q->path_len;
    e->path_hash = XXH3_64bits(q->path, q->path_len);
    e->body_len = q->body_len;
    e->body_hash = XXH3_64bits(q->body, q->body_len);
    CFD__CHECK(q->body != NULL && q->body[q->body_len] == '\0');
}

/*
 * Parses data in pieces ending at cuts[0..n_cuts) and size, feeding
 * unconsumed bytes again with the next piece as conn.c does.
 */
static void cfd__parse(const char *data, size_t size, const size_t *cuts, size_t n_cuts,
                       cfd__events *out)
{
    cfd_http_in in;
    cfd_body_budget budget;
    cfd_http_in_init(&in, &cfd__srv.limits);
    cfd_body_budget_init(&budget, CFD__BODY_SHARE);
    budget.free_below = CFD__BODY_FREE;
    in.budget = &budget;
    memset(out, 0, sizeof(*out));
    char *avail = malloc(size + 1);
    CFD__CHECK(avail != NULL);
    size_t have = 0, pos = 0;
    for (size_t k = 0; k <= n_cuts; k++) {
        size_t end = k < n_cuts ? cuts[k] : size;
        memcpy(avail + have, data + pos, end - pos);
        have += end - pos;
        pos = end;
        size_t off = 0;
        while (off < have) {
            size_t used = 0;
            int r = cfd_http_feed(&in, avail + off, have - off, &used);
            CFD__CHECK(used <= have - off);
            off += used;
            if (r == CFD_HTTP_REQUEST) {
                cfd__record(out, &in, r);
                continue;
            }
            if (r == CFD_HTTP_ERROR) {
                cfd__record(out, &in, r);
                goto done;
            }
            CFD__CHECK(r == CFD_HTTP_MORE && off == have);
        }
        have = 0;
    }
    out->partial = cfd_http_in_message(&in);
done:
    free(avail);
    cfd_http_in_free(&in);
    CFD__CHECK(cfd_body_budget_used(&budget) == 0);
}

static void cfd__print_event(const char *what, size_t i, const cfd__event *e)
{
    fprintf(stderr, "  %s[%zu]: kind %d status %d method %d ctype %d keep %d len %d minor %d "
                    "path %zu/%016llx body %zu/%016llx\n",
            what, i, e->kind, e->err_status, e->method, e->ctype, e->keep_alive, e->has_length,
            e->http_minor, e->path_len, (unsigned long long)e->path_hash, e->body_len,
            (unsigned long long)e->body_hash);
}

static void cfd__same_events(const char *how, const cfd__events *a, const cfd__events *b)
{
    int same = a->n == b->n && a->truncated == b->truncated;
    for (size_t i = 0; same && i < a->n; i++) {
        same = memcmp(&a->ev[i], &b->ev[i], sizeof(a->ev[i])) == 0;
        /* A request that is both malformed and over a limit may be refused
         * for either, depending on which byte the parser looks at first
         * (http_parser reports a header value when its buffer ends): any
         * refusal is right as long as it is a refusal at the same place. */
        if (!same && i + 1 == a->n && a->ev[i].kind == CFD_HTTP_ERROR &&
            b->ev[i].kind == CFD_HTTP_ERROR)
            same = 1;
    }
    if (same)
        return;
    fprintf(stderr, "fuzz_http: parsing %s gives other requests than parsing it whole "
                    "(%zu vs %zu events)\n", how, b->n, a->n);
    for (size_t i = 0; i < a->n || i < b->n; i++) {
        if (i < a->n)
            cfd__print_event("whole", i, &a->ev[i]);
        if (i < b->n)
            cfd__print_event(how, i, &b->ev[i]);
    }
    abort();
}

/* ---- 2. the connection over a socketpair ------------------------------ */

typedef struct cfd__replies {
    http_parser p;
    const cfd__events *requests; /* to know which replies answer HEAD */
    size_t finals;           /* complete final (non-1xx) replies */
    int status;              /* of the reply being parsed */
    int closed_reply;        /* a final reply said Connection: close */
    int after_close;         /* a reply began after that */
} cfd__replies;

static int cfd__r_begin(http_parser *p)
{
    cfd__replies *r = p->data;
    if (r->closed_reply)
        r->after_close = 1;
    return 0;
}

static int cfd__r_headers(http_parser *p)
{
    cfd__replies *r = p->data;
    r->status = (int)p->status_code;
    /* A reply to HEAD has no body whatever its Content-Length says
     * (RFC 9110 9.3.2): parse it as a client must, so that body bytes
     * sent anyway break the stream here as they would for the client. */
    const cfd__events *q = r->requests;
    if (r->status >= 200 && q && r->finals < q->n && q->ev[r->finals].kind == CFD_HTTP_REQUEST &&
        q->ev[r->finals].method == HTTP_HEAD)
        return 1;
    return 0;
}

static int cfd__r_complete(http_parser *p)
{
    cfd__replies *r = p->data;
    if (r->status >= 200) {
        r->finals++;
        if (!http_should_keep_alive(p))
            r->closed_reply = 1;
        if (r->status == 500) {
            fprintf(stderr, "fuzz_http: the daemon answered 500 (reply %zu)\n", r->finals);
            abort();
        }
    }
    return 0;
}

static const http_parser_settings cfd__r_settings = {
    .on_message_begin = cfd__r_begin,
    .on_headers_complete = cfd__r_headers,
    .on_message_complete = cfd__r_complete,
};

static void cfd__replies_feed(cfd__replies *r, const char *buf, size_t n)
{
    size_t used = http_parser_execute(&r->p, &cfd__r_settings, buf, n);
    if (HTTP_PARSER_ERRNO(&r->p) != HPE_OK || used != n) {
        fprintf(stderr, "fuzz_http: the daemon's reply stream is not valid HTTP after %zu "
                        "replies: %s\n",
                r->finals, http_errno_description(HTTP_PARSER_ERRNO(&r->p)));
        abort();
    }
}

static uint64_t cfd__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Reads whatever the daemon has written; returns 1 at EOF. */
static int cfd__drain(int fd, cfd__replies *r)
{
    char buf[16384];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n > 0) {
            cfd__replies_feed(r, buf, (size_t)n);
            continue;
        }
        if (n == 0)
            return 1;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN)
            return 0;
        return 1; /* ECONNRESET: the daemon closed with input unread */
    }
}

static void cfd__serve(const char *data, size_t size, const size_t *cuts, size_t n_cuts,
                       int admin, int read_late, cfd__replies *r)
{
    cfd_worker *w = &cfd__w;
    int fds[2];
    CFD__CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
    /* Small kernel buffers, so that replies do not all fit and the daemon's
     * own write queue, uv_write and its callback, and back pressure are
     * exercised, not only uv_try_write. */
    int small = 4096;
    setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
    setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    atomic_fetch_add(&w->load, 1);
    atomic_fetch_add(&cfd__srv.open_total, 1);
    cfd_conn_open(w, fds[0], 1);
    CFD__CHECK(w->conns != NULL && w->conns->next == NULL);
    if (!admin)
        w->conns->uid = geteuid() == 0 ? 65534 : geteuid() + 1;

    http_parser_init(&r->p, HTTP_RESPONSE);
    r->p.data = r;
    size_t pos = 0, k = 0;
    int wr_open = 1, eof = 0;
    uint64_t deadline = cfd__now_ns() + CFD__DEADLINE_NS;
    while (!eof || w->conns != NULL) {
        int progress = 0;
        if (wr_open && pos < size) {
            size_t end = k < n_cuts ? cuts[k] : size;
            ssize_t n = end > pos ? write(fds[1], data + pos, end - pos) : 0;
            if (n > 0) {
                pos += (size_t)n;
                progress = 1;
            } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                wr_open = 0; /* EPIPE: the daemon has closed; the rest is never read */
            }
            while (k < n_cuts && pos >= cuts[k])
                k++;
        } else if (wr_open) {
            shutdown(fds[1], SHUT_WR); /* the client is done sending */
            wr_open = 0;
        }
        uv_run(&w->loop, UV_RUN_NOWAIT);
        if (!eof && (!read_late || !wr_open))
            eof = cfd__drain(fds[1], r);
        if (!progress && cfd__now_ns() > deadline) {
            fprintf(stderr, "fuzz_http: the connection did not finish within %llu s "
                            "(sent %zu of %zu bytes, %zu replies, daemon %s)\n",
                    (unsigned long long)(CFD__DEADLINE_NS / 1000000000ull), pos, size,
                    r->finals, w->conns ? "still has it open" : "closed it");
            const cfd_conn *c = w->conns;
            if (c)
                fprintf(stderr, "  conn: reading %d writing %d closing %d close_after %d eof %d "
                                "job %d lingering %d nd_active %d in_message %d pending %zu/%zu "
                                "out %zu wbuf %zu\n",
                        c->reading, c->writing, c->closing, c->close_after, c->eof, c->job,
                        c->lingering, c->nd_active, cfd_http_in_message(&c->in), c->pending_off,
                        c->pending.len, c->out.len, c->wbuf.len);
            abort();
        }
        if (!progress && w->conns && w->conns->job)
            usleep(50); /* an admin call runs on the thread pool */
    }
    /* The daemon has closed: a reply sent "until close" ends here. */
    cfd__replies_feed(r, NULL, 0);
    close(fds[1]);
    CFD__CHECK(atomic_load(&w->load) == 0);
    CFD__CHECK(atomic_load(&cfd__srv.open_total) == 0);
    CFD__CHECK(atomic_load(&w->metrics.open_connections) == 0);
    if (cfd_body_budget_used(&w->body_budget) != 0) {
        fprintf(stderr, "fuzz_http: %zu bytes of body memory still reserved after the "
                        "connection was freed\n", cfd_body_budget_used(&w->body_budget));
        abort();
    }
}

/* 1 when the request `e` makes the daemon close the connection after its
 * reply (protocol: Connection: close, framing errors, HTTP/1.0 NDJSON). */
static int cfd__ends_connection(const cfd__event *e)
{
    if (e->kind == CFD_HTTP_ERROR || !e->keep_alive)
        return 1;
    return e->method == HTTP_POST && e->http_minor == 0 && e->ctype == CFD_CTYPE_NDJSON &&
           e->has_length && e->path_len == 12 &&
           e->path_hash == XXH3_64bits("/v1/classify", 12);
}

/* ---- the entry point -------------------------------------------------- */

static uint64_t cfd__rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int cfd__cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

static cfd__events cfd__whole, cfd__split;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        cfd__setup();
        ready = 1;
    }
    if (size < 1 || size > 256 * 1024)
        return 0;
    unsigned ctl = data[0];
    const char *req = (const char *)data + 1;
    size_t len = size - 1;

    size_t cuts[CFD__MAX_CUTS];
    size_t n_cuts = len > 1 ? (ctl & 0x0f) : 0;
    uint64_t seed = XXH3_64bits(data, size) | 1;
    for (size_t i = 0; i < n_cuts; i++)
        cuts[i] = 1 + (size_t)(cfd__rng(&seed) % (len - 1));
    qsort(cuts, n_cuts, sizeof(cuts[0]), cfd__cmp_size);

    /* 1. split-independence of the HTTP layer */
    cfd__parse(req, len, NULL, 0, &cfd__whole);
    cfd__parse(req, len, cuts, n_cuts, &cfd__split);
    cfd__same_events("in pieces", &cfd__whole, &cfd__split);
    if (len <= 4096) {
        static size_t every[4096];
        for (size_t i = 0; i + 1 < len; i++)
            every[i] = i + 1;
        cfd__parse(req, len, every, len ? len - 1 : 0, &cfd__split);
        cfd__same_events("byte by byte", &cfd__whole, &cfd__split);
    }

    /* 2. the real connection */
    cfd__replies r;
    memset(&r, 0, sizeof(r));
    r.requests = cfd__whole.truncated ? NULL : &cfd__whole;
    cfd__serve(req, len, cuts, n_cuts, (ctl & 0x10) != 0, (ctl & 0x20) != 0, &r);

    if (r.after_close) {
        fprintf(stderr, "fuzz_http: a reply followed one that said Connection: close\n");
        abort();
    }
    if (!cfd__whole.truncated) {
        size_t expect = 0;
        int ended = 0;
        for (size_t i = 0; i < cfd__whole.n && !ended; i++) {
            expect++;
            ended = cfd__ends_connection(&cfd__whole.ev[i]);
        }
        /* A request cut off by the client's shutdown is answered
         * 400 incomplete_request (docs/PROTOCOL.md). */
        if (!ended && cfd__whole.partial)
            expect++;
        if (r.finals != expect) {
            fprintf(stderr, "fuzz_http: %zu replies for %zu requests (of %zu parsed, "
                            "partial request at the end: %d)\n",
                    r.finals, expect, cfd__whole.n, cfd__whole.partial);
            for (size_t i = 0; i < cfd__whole.n; i++)
                cfd__print_event("request", i, &cfd__whole.ev[i]);
            abort();
        }
    }
    return 0;
}
