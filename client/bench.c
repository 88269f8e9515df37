/*
 * classifyd-bench: options, request building, the timed run and the JSON
 * report. See bench.h for the design and the accounting.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "buf.h"
#include "dataset.h"
#include "http_client.h"

#ifndef CFD_VERSION
#define CFD_VERSION "unknown"
#endif

static void cfd__usage(FILE *f)
{
    fprintf(f,
"Usage: classifyd-bench --data FILE [OPTIONS]\n"
"\n"
"Load generator for classifyd: sends the articles of FILE (TSV label<TAB>text,\n"
"or JSONL articles) over C connections with P requests in flight on each, for\n"
"D seconds, and prints one JSON object: throughput, latency percentiles (p50,\n"
"p90, p99, max, in microseconds) and every kind of failure.\n"
"\n"
"  -s, --socket PATH     daemon socket (default as classifyctl: $CLASSIFYD_SOCKET,\n"
"                        run/classifyd.sock in a source tree, else\n"
"                        /run/classifyd/classifyd.sock)\n"
"  -d, --data FILE       articles to send (required)\n"
"  -c, --concurrency C   connections (default 8, at most 10000)\n"
"  -p, --pipeline P      requests in flight per connection (default 1)\n"
"  -t, --duration D      seconds of load (default 10, at most 3600)\n"
"  -n, --requests N      stop after N requests (default: no limit)\n"
"      --ndjson N        N articles per request as NDJSON (default: one JSON\n"
"                        article per request)\n"
"      --plugins LIST    ask only these plugins (comma-separated)\n"
"      --limit N         use only the first N articles of FILE\n"
"      --bad RATIO       make this fraction (0..1) of requests bad on purpose\n"
"                        (invalid JSON, wrong shape, empty text, invalid UTF-8,\n"
"                        unknown plugin, wrong content type); a 4xx reply to\n"
"                        them is expected, anything else is a failure; at\n"
"                        least one even when FILE is shorter than 1/RATIO\n"
"      --warmup S        seconds not counted in figures (default 0)\n"
"      --drain S         at the end, wait this long for replies in flight\n"
"                        (default 10)\n"
"      --busy-poll       poll the connections instead of sleeping (keeps a core\n"
"                        busy): latency then leaves out this client's own\n"
"                        wake-up, which on a VM is ~10 us of every request\n"
"      --record FILE     append every reply body of good requests to FILE, one\n"
"                        JSON object per line (for checks by scripts)\n"
"  -h, --help, -V, --version\n"
"\n"
"SIGINT or SIGTERM ends the run early; the report is still printed.\n"
"\n"
"Exit status: 0 when there was no failed, truncated or unanswered request\n"
"and no connection error; 1 otherwise; 2 for a bad command line.\n");
}

static int cfd__num(const char *opt, const char *s, double min, double max, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || !(v >= min && v <= max)) {
        fprintf(stderr, "classifyd-bench: %s wants a number from %g to %g, got '%s'\n", opt,
                min, max, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int cfd__add_req(cfd_bench *b, size_t *cap, const char *ctype, const char *body,
                        size_t len, uint32_t articles, int bad)
{
    if (b->n_reqs == *cap) {
        size_t nc = *cap ? *cap * 2 : 1024;
        cfd_bench_req *r = realloc(b->reqs, nc * sizeof *r);
        if (!r)
            return -1;
        b->reqs = r;
        *cap = nc;
    }
    cfd_buf buf = CFD_BUF_INIT;
    cfd_buf_printf(&buf, "POST /v1/classify HTTP/1.1\r\nHost: classifyd\r\n"
                         "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n", ctype, len);
    cfd_buf_append(&buf, body, len);
    if (buf.oom) {
        cfd_buf_free(&buf);
        return -1;
    }
    b->reqs[b->n_reqs++] = (cfd_bench_req){buf.data, buf.len, articles, bad};
    return 0;
}

/* Requests refused with a 4xx by a correct daemon, and never a 5xx. */
static const struct {
    const char *ctype;
    const char *body;
} cfd__bad[] = {
    {"application/json", "{\"body\": \"unterminated"},
    {"application/json", "{\"body\": 42}"},
    {"application/json", "[\"not\", \"an\", \"object\"]"},
    {"application/json", "{\"title\": \"\", \"body\": \"   \"}"},
    {"application/json", "{\"body\": \"\xea\xb8\xb0\xec\x82\xac \xff\xfe broken\"}"},
    {"application/json", "{\"body\": \"\xea\xb8\xb0\xec\x82\xac\", \"plugins\": [\"no-such\"]}"},
    {"text/html", "<p>not an accepted type</p>"},
    {"text/plain", ""},
};

static int cfd__build(cfd_bench *b, const cfd_dataset *ds, double bad_ratio)
{
    size_t cap = 0, good = 0, nbad = 0;
    size_t per = b->ndjson > 0 ? (size_t)b->ndjson : 1;
    cfd_buf body = CFD_BUF_INIT;
    size_t every = bad_ratio > 0 ? (size_t)(1.0 / bad_ratio + 0.5) : 0;
    size_t i = 0;
    /* One pass over the file; with NDJSON the last partial group is kept. */
    while (i < ds->n) {
        if (every && (good + nbad + 1) % every == 0) {
            size_t k = nbad++ % (sizeof cfd__bad / sizeof cfd__bad[0]);
            if (cfd__add_req(b, &cap, cfd__bad[k].ctype, cfd__bad[k].body,
                             strlen(cfd__bad[k].body), 1, 1) != 0)
                goto oom;
            continue;
        }
        cfd_buf_reset(&body);
        uint32_t n = 0;
        for (; i < ds->n && n < per; i++) {
            if (!ds->recs[i].json)
                continue;
            cfd_buf_append(&body, ds->recs[i].json, ds->recs[i].json_len);
            if (b->ndjson)
                cfd_buf_putc(&body, '\n');
            n++;
        }
        if (n == 0)
            break;
        if (body.oom || cfd__add_req(b, &cap, b->ndjson ? "application/x-ndjson"
                                                          : "application/json",
                                     body.data, body.len, n, 0) != 0)
            goto oom;
        good++;
    }
    /* A file shorter than one in `every` requests still gets one bad
     * request: --bad asked for some, and the report must show them. */
    if (every && nbad == 0 && good &&
        cfd__add_req(b, &cap, cfd__bad[0].ctype, cfd__bad[0].body, strlen(cfd__bad[0].body), 1,
                     1) != 0)
        goto oom;
    cfd_buf_free(&body);
    return good ? 0 : -1;
oom:
    cfd_buf_free(&body);
    return -1;
}

static void cfd__on_stop(uv_timer_t *t)
{
    cfd_bench *b = t->data;
    cfd_bench_conns_stop(b);
}

static void cfd__on_drain(uv_timer_t *t)
{
    cfd_bench *b = t->data;
    fprintf(stderr, "classifyd-bench: replies still missing after the drain time; closing\n");
    cfd_bench_conns_abort(b);
}

static void cfd__on_stop_then_drain(uv_timer_t *t)
{
    cfd_bench *b = t->data;
    cfd__on_stop(t);
    if (b->t_end_ns || uv_is_active((uv_handle_t *)&b->drain_timer))
        return;
    if (b->drain_s > 0)
        uv_timer_start(&b->drain_timer, cfd__on_drain, (uint64_t)(b->drain_s * 1000), 0);
    else
        cfd_bench_conns_abort(b); /* --drain 0: do not wait */
}

/* SIGINT/SIGTERM: end the run now as if the duration were over (replies in
 * flight are still awaited, at most --drain seconds, and the report
 * printed). A second signal a second or more later stops waiting. One
 * sooner is the same signal again: timeout(1) sends its signal to the
 * child and then to the whole process group, so the child gets it twice. */
static void cfd__on_signal(uv_signal_t *sig, int signum)
{
    (void)signum;
    cfd_bench *b = sig->data;
    uint64_t now = uv_hrtime();
    uv_timer_stop(&b->stop_timer);
    if (b->first_signal_ns && now - b->first_signal_ns >= 1000000000ull) {
        cfd_bench_conns_abort(b); /* asked twice: stop waiting */
        return;
    }
    if (!b->first_signal_ns)
        b->first_signal_ns = now;
    /* also when -n or a refusing daemon already stopped the run */
    cfd__on_stop_then_drain(&b->stop_timer);
}

static void cfd__report(const cfd_bench *b, const char *data, size_t n_articles)
{
    /* the run may end inside the warm-up (-n, a daemon gone): no load phase */
    double secs = b->t_end_ns > b->t_start_ns ? (double)(b->t_end_ns - b->t_start_ns) / 1e9 : 0;
    double div = secs > 0 ? secs : 1;
    const cfd_bench_stats *l = &b->lat;
    cfd_buf names = CFD_BUF_INIT; /* paths as JSON strings, escaped */
    cfd_buf_puts(&names, "{\"socket\":");
    cfd_buf_json_str(&names, b->socket, strlen(b->socket));
    cfd_buf_puts(&names, ",\"data\":");
    cfd_buf_json_str(&names, data, strlen(data));
    printf("%s,\"articles_in_file\":%zu,"
           "\"concurrency\":%d,\"pipeline\":%d,\"ndjson\":%d,\"busy_poll\":%s,\"seconds\":%.3f,"
           "\"requests\":%llu,\"replies\":%llu,\"ok\":%llu,\"articles_ok\":%llu,"
           "\"expected_errors\":%llu,\"failed\":%llu,\"line_errors\":%llu,"
           "\"truncated\":%llu,\"unanswered\":%llu,\"unanswered_unserved\":%llu,"
           "\"connect_errors\":%llu,"
           "\"status\":{\"2xx\":%llu,\"4xx\":%llu,\"5xx\":%llu},"
           "\"requests_per_s\":%.1f,\"articles_per_s\":%.1f,"
           "\"latency_us\":{\"p50\":%u,\"p90\":%u,\"p99\":%u,\"max\":%u,\"mean\":%.1f,"
           "\"samples\":%zu}}\n",
           names.oom ? "{\"socket\":null,\"data\":null" : names.data, n_articles, b->concurrency, b->pipeline, b->ndjson,
           b->busy_poll ? "true" : "false", secs,
           (unsigned long long)b->sent,
           (unsigned long long)(b->ok + b->expected_errors + b->failed),
           (unsigned long long)b->ok, (unsigned long long)b->articles_ok,
           (unsigned long long)b->expected_errors, (unsigned long long)b->failed,
           (unsigned long long)b->line_errors, (unsigned long long)b->truncated,
           (unsigned long long)b->unanswered, (unsigned long long)b->unanswered_unserved,
           (unsigned long long)b->connect_errors,
           (unsigned long long)b->status[2], (unsigned long long)b->status[4],
           (unsigned long long)b->status[5], (double)b->measured_replies / div,
           (double)b->measured_articles / div, cfd_bench_stats_pct(l, 0.50),
           cfd_bench_stats_pct(l, 0.90), cfd_bench_stats_pct(l, 0.99),
           cfd_bench_stats_pct(l, 1.0), cfd_bench_stats_mean(l), l->n);
    cfd_buf_free(&names);
}

int main(int argc, char **argv)
{
    enum { O_NDJSON = 256, O_PLUGINS, O_LIMIT, O_BAD, O_WARMUP, O_DRAIN, O_RECORD, O_BUSY_POLL };
    static const struct option opts[] = {
        {"socket", required_argument, 0, 's'},     {"data", required_argument, 0, 'd'},
        {"concurrency", required_argument, 0, 'c'}, {"pipeline", required_argument, 0, 'p'},
        {"duration", required_argument, 0, 't'},   {"requests", required_argument, 0, 'n'},
        {"ndjson", required_argument, 0, O_NDJSON}, {"plugins", required_argument, 0, O_PLUGINS},
        {"limit", required_argument, 0, O_LIMIT},  {"bad", required_argument, 0, O_BAD},
        {"warmup", required_argument, 0, O_WARMUP}, {"drain", required_argument, 0, O_DRAIN},
        {"record", required_argument, 0, O_RECORD}, {"busy-poll", no_argument, 0, O_BUSY_POLL},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},          {0, 0, 0, 0}};
    cfd_bench b = {.concurrency = 8, .pipeline = 1, .duration_s = 10, .drain_s = 10};
    const char *data = NULL, *plugins = NULL, *record = NULL;
    double v, bad = 0, warmup = 0;
    size_t limit = 0;
    int c;
    while ((c = getopt_long(argc, argv, "s:d:c:p:t:n:hV", opts, NULL)) != -1) {
        switch (c) {
        case 's': b.socket = optarg; break;
        case 'd': data = optarg; break;
        case 'c':
            if (cfd__num("--concurrency", optarg, 1, 10000, &v) != 0)
                return 2;
            b.concurrency = (int)v;
            break;
        case 'p':
            if (cfd__num("--pipeline", optarg, 1, 1024, &v) != 0)
                return 2;
            b.pipeline = (int)v;
            break;
        case 't':
            if (cfd__num("--duration", optarg, 0.01, 3600, &v) != 0)
                return 2;
            b.duration_s = v;
            break;
        case 'n':
            if (cfd__num("--requests", optarg, 1, 1e12, &v) != 0)
                return 2;
            b.max_requests = (uint64_t)v;
            break;
        case O_NDJSON:
            if (cfd__num("--ndjson", optarg, 1, 100000, &v) != 0)
                return 2;
            b.ndjson = (int)v;
            break;
        case O_PLUGINS: plugins = optarg; break;
        case O_LIMIT:
            if (cfd__num("--limit", optarg, 1, 1e9, &v) != 0)
                return 2;
            limit = (size_t)v;
            break;
        case O_BAD:
            if (cfd__num("--bad", optarg, 0, 1, &bad) != 0)
                return 2;
            break;
        case O_WARMUP:
            if (cfd__num("--warmup", optarg, 0, 600, &warmup) != 0)
                return 2;
            break;
        case O_DRAIN:
            if (cfd__num("--drain", optarg, 0, 600, &b.drain_s) != 0)
                return 2;
            break;
        case O_RECORD: record = optarg; break;
        case O_BUSY_POLL: b.busy_poll = 1; break;
        case 'h': cfd__usage(stdout); return 0;
        case 'V': printf("classifyd-bench %s\n", CFD_VERSION); return 0;
        default: fprintf(stderr, "Try 'classifyd-bench --help'.\n"); return 2;
        }
    }
    if (!data || optind != argc) {
        cfd__usage(stderr);
        return 2;
    }
    if (warmup >= b.duration_s) {
        fprintf(stderr, "classifyd-bench: --warmup must be shorter than --duration\n");
        return 2;
    }
    if (!b.socket)
        b.socket = cfd_default_socket_path();
    signal(SIGPIPE, SIG_IGN);

    cfd_dataset ds;
    cfd_error err;
    cfd_error_clear(&err);
    cfd_dataset_opts o = {.plugins = plugins, .limit = limit};
    if (cfd_dataset_load(data, &o, &ds, &err) != 0) {
        fprintf(stderr, "classifyd-bench: %s\n", err.msg);
        return 2;
    }
    if (cfd__build(&b, &ds, bad) != 0) {
        fprintf(stderr, "classifyd-bench: %s: no usable article (or out of memory)\n", data);
        cfd_dataset_free(&ds);
        return 2;
    }
    if (record && !(b.record = fopen(record, "a"))) {
        perror(record);
        cfd_dataset_free(&ds);
        return 2;
    }
    b.loop = uv_default_loop();
    uv_timer_init(b.loop, &b.stop_timer);
    uv_timer_init(b.loop, &b.drain_timer);
    b.stop_timer.data = b.drain_timer.data = &b;
    uint64_t t0 = uv_hrtime();
    b.t_start_ns = t0 + (uint64_t)(warmup * 1e9);
    if (cfd_bench_conns_start(&b) != 0) {
        fprintf(stderr, "classifyd-bench: out of memory\n");
        return 2;
    }
    uv_timer_start(&b.stop_timer, cfd__on_stop_then_drain, (uint64_t)(b.duration_s * 1000), 0);
    uv_signal_t sigs[2];
    for (int i = 0; i < 2; i++) {
        uv_signal_init(b.loop, &sigs[i]);
        sigs[i].data = &b;
        uv_signal_start(&sigs[i], cfd__on_signal, i ? SIGTERM : SIGINT);
        uv_unref((uv_handle_t *)&sigs[i]); /* the run ends when the connections do */
    }
    if (b.busy_poll)
        while (uv_run(b.loop, UV_RUN_NOWAIT) != 0)
            ; /* epoll_wait with timeout 0, until the connections are done */
    else
        uv_run(b.loop, UV_RUN_DEFAULT);
    if (!b.t_end_ns)
        b.t_end_ns = uv_hrtime();
    /* Throughput is over the load phase: from the end of the warm-up to the
     * moment the last reply arrived. */
    cfd_bench_stats_finish(&b.lat);
    cfd__report(&b, data, ds.n);

    int fail = b.failed || b.truncated || b.unanswered || b.unanswered_unserved ||
               b.connect_errors || b.lat.oom;
    /* The report's connect_errors says it too, but a run that never got in
     * should say why where a person looks first. */
    if (b.connect_errors && b.ok + b.expected_errors + b.failed == 0)
        fprintf(stderr, "classifyd-bench: no connection to %s succeeded (%llu attempts): is "
                        "classifyd running? Give its socket with --socket PATH\n",
                b.socket, (unsigned long long)b.connect_errors);
    if (b.record) {
        /* ferror too: after a write failed mid-run, fclose() alone can succeed */
        int werr = ferror(b.record);
        if (fclose(b.record) != 0) {
            perror(record);
            fail = 1;
        } else if (werr) {
            fprintf(stderr, "classifyd-bench: writing --record %s failed (is the disk full?); "
                            "the file is incomplete\n", record);
            fail = 1;
        }
    }
    cfd_bench_conns_free(&b);
    for (int i = 0; i < 2; i++)
        uv_close((uv_handle_t *)&sigs[i], NULL);
    uv_close((uv_handle_t *)&b.stop_timer, NULL);
    uv_close((uv_handle_t *)&b.drain_timer, NULL);
    uv_run(b.loop, UV_RUN_DEFAULT);
    uv_loop_close(b.loop);
    for (size_t i = 0; i < b.n_reqs; i++)
        free(b.reqs[i].data);
    free(b.reqs);
    cfd_bench_stats_free(&b.lat);
    cfd_dataset_free(&ds);
    return fail ? 1 : 0;
}
