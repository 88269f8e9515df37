/*
 * classifyctl batch FILE.tsv|FILE.jsonl: classify a whole file.
 *
 * Articles go to the daemon as NDJSON requests of --chunk articles (and at
 * most 512 KiB, under the daemon's default body limit). With --jobs 1 they
 * go one after another on one keep-alive connection and reply lines are
 * handled as they stream back (chunked); with --jobs N, N connections send
 * requests in parallel (batch_jobs.c) and each reply is handled whole, in
 * request order, so the output is the same. Each reply line is written to --output, counted, and compared with the
 * gold label when the input has one; an error line's "line" (the daemon's
 * line in its request) is rewritten to the line in FILE. A progress bar runs on stderr; at the
 * end a summary (articles, errors by code, rate, decisions sent to review
 * and how many articles each review reason was given to,
 * and with gold labels accuracy, macro-F1 and per-label P/R/F1 of --plugin).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "batch_jobs.h"
#include "buf.h"
#include "ctl.h"
#include "dataset.h"
#include "evaluate.h"
#include "term.h"

#define CFD__MAX_REQUEST (512u * 1024u)

typedef struct cfd__batch {
    cfd_ctl *ctl;
    cfd_dataset ds;
    cfd_eval ev;
    FILE *out;
    size_t *chunk_recs;   /* record index of each line of the current request */
    size_t chunk_n;       /* lines in the current request */
    size_t chunk_done;    /* reply lines seen for it */
    cfd_buf partial;      /* reply bytes after the last newline */
    size_t done, ok, errors, review, no_pred;
    cJSON *codes;         /* error code -> count */
    cJSON *reasons;       /* review reason code -> articles */
    int progress;
    double t0, last_bar;
} cfd__batch;

static double cfd__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Articles the daemon answered per second: lines refused locally were
 * counted before the clock started and never sent. */
static double cfd__rate(const cfd__batch *b, double el)
{
    size_t sent = b->done > b->ds.n_bad ? b->done - b->ds.n_bad : 0;
    return el > 0 ? (double)sent / el : 0.0;
}

/* obj[key] += 1, starting at 1. */
static void cfd__tally(cJSON *obj, const char *key)
{
    cJSON *c = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (c)
        cJSON_SetNumberValue(c, c->valuedouble + 1);
    else
        cJSON_AddNumberToObject(obj, key, 1);
}

static void cfd__count_code(cfd__batch *b, const char *code)
{
    cfd__tally(b->codes, code);
    b->errors++;
}

/* Counts each review reason code of a decision ("low_confidence: ..."),
 * once per article. */
static void cfd__count_reasons(cfd__batch *b, const cJSON *decision)
{
    const cJSON *r;
    char seen[8][32];
    int n_seen = 0;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(decision, "reasons"))
    {
        if (!cJSON_IsString(r))
            continue;
        char code[32];
        size_t n = strcspn(r->valuestring, ":");
        if (n == 0 || n >= sizeof code)
            continue;
        memcpy(code, r->valuestring, n);
        code[n] = '\0';
        int dup = 0;
        for (int i = 0; i < n_seen && !dup; i++)
            dup = strcmp(seen[i], code) == 0;
        if (dup)
            continue;
        if (n_seen < 8)
            memcpy(seen[n_seen++], code, n + 1);
        cfd__tally(b->reasons, code);
    }
}

static void cfd__bar(cfd__batch *b, int final)
{
    if (!b->progress)
        return;
    double now = cfd__now();
    if (!final && now - b->last_bar < 0.1)
        return;
    b->last_bar = now;
    size_t total = b->ds.n;
    int width = 30, fill = total ? (int)((double)width * (double)b->done / (double)total) : 0;
    fputs("\r[", stderr);
    for (int i = 0; i < width; i++)
        fputc(i < fill ? '#' : '.', stderr);
    double el = now - b->t0;
    fprintf(stderr, "] %zu/%zu %3.0f%%  %.0f/s  errors %zu ", b->done, total,
            total ? 100.0 * (double)b->done / (double)total : 100.0,
            cfd__rate(b, el), b->errors);
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}

/* The label the evaluated plugin gave, or NULL. */
static const char *cfd__predicted(const cJSON *root, const char *plugin)
{
    if (strcmp(plugin, "decision") == 0) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "decision");
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(d, "section");
        return cJSON_IsString(s) ? s->valuestring : NULL;
    }
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(root, "results");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(res, plugin);
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(r, "label");
    return cJSON_IsString(l) ? l->valuestring : NULL;
}

static void cfd__write_line(cfd__batch *b, const char *line, size_t n)
{
    if (b->out) {
        fwrite(line, 1, n, b->out);
        fputc('\n', b->out);
    }
}

static void cfd__reply_line(cfd__batch *b, const char *line, size_t n)
{
    if (b->chunk_done >= b->chunk_n) {
        cfd__write_line(b, line, n);
        cfd__count_code(b, "extra_reply_line");
        return;
    }
    const cfd_record *rec = &b->ds.recs[b->chunk_recs[b->chunk_done++]];
    b->done++;
    cJSON *root = cJSON_ParseWithLength(line, n);
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
    cJSON *at = cJSON_GetObjectItemCaseSensitive(root, "line");
    char *fixed = NULL;
    if (err && cJSON_IsNumber(at)) {
        /* The daemon numbers the lines of its request; the user looks in
         * FILE: say which line of FILE the error is about. */
        cJSON_SetNumberValue(at, (double)rec->line);
        fixed = cJSON_PrintUnformatted(root);
    }
    if (fixed)
        cfd__write_line(b, fixed, strlen(fixed));
    else
        cfd__write_line(b, line, n);
    cJSON_free(fixed);
    if (!root) {
        cfd__count_code(b, "unparsable_reply");
    } else if (err) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(err, "code");
        cfd__count_code(b, cJSON_IsString(code) ? code->valuestring : "error");
    } else {
        b->ok++;
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "decision");
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "review"))) {
            b->review++;
            cfd__count_reasons(b, d);
        }
        if (rec->label) {
            const char *pred = cfd__predicted(root, b->ctl->plugin);
            if (!pred)
                b->no_pred++;
            cfd_eval_add(&b->ev, rec->label, pred ? pred : "(none)");
        }
    }
    cJSON_Delete(root);
    cfd__bar(b, 0);
}

static int cfd__on_body(void *ud, const char *p, size_t n)
{
    cfd__batch *b = ud;
    const char *end = p + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
            cfd_buf_append(&b->partial, p, (size_t)(end - p));
            break;
        }
        if (b->partial.len) {
            cfd_buf_append(&b->partial, p, (size_t)(nl - p));
            if (b->partial.oom)
                return -1;
            cfd__reply_line(b, b->partial.data, b->partial.len);
            cfd_buf_reset(&b->partial);
        } else if (nl > p) {
            cfd__reply_line(b, p, (size_t)(nl - p));
        }
        p = nl + 1;
    }
    return b->partial.oom ? -1 : 0;
}

static void cfd__summary(cfd__batch *b, FILE *f)
{
    double el = cfd__now() - b->t0;
    if (b->ctl->json) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddNumberToObject(s, "articles", (double)b->ds.n);
        cJSON_AddNumberToObject(s, "ok", (double)b->ok);
        cJSON_AddNumberToObject(s, "errors", (double)b->errors);
        cJSON_AddItemReferenceToObject(s, "error_codes", b->codes);
        cJSON_AddNumberToObject(s, "seconds", el);
        cJSON_AddNumberToObject(s, "articles_per_s", cfd__rate(b, el));
        cJSON_AddNumberToObject(s, "review", (double)b->review);
        cJSON_AddItemReferenceToObject(s, "review_reasons", b->reasons);
        if (b->ev.total) {
            cJSON *e = cJSON_AddObjectToObject(s, "evaluation");
            cJSON_AddStringToObject(e, "plugin", b->ctl->plugin);
            cJSON_AddNumberToObject(e, "n", (double)b->ev.total);
            cJSON_AddNumberToObject(e, "accuracy", cfd_eval_accuracy(&b->ev));
            cJSON_AddNumberToObject(e, "macro_f1", cfd_eval_macro_f1(&b->ev));
            cJSON_AddNumberToObject(e, "no_prediction", (double)b->no_pred);
            cJSON *labels = cJSON_AddObjectToObject(e, "labels");
            for (size_t i = 0; i < b->ev.n_labels; i++) {
                double p, r, f1;
                cfd_eval_label_prf(&b->ev.labels[i], &p, &r, &f1);
                cJSON *l = cJSON_AddObjectToObject(labels, b->ev.labels[i].name);
                cJSON_AddNumberToObject(l, "precision", p);
                cJSON_AddNumberToObject(l, "recall", r);
                cJSON_AddNumberToObject(l, "f1", f1);
                cJSON_AddNumberToObject(l, "support", (double)b->ev.labels[i].gold);
            }
        }
        char *js = cJSON_PrintUnformatted(s);
        if (js)
            fprintf(f, "%s\n", js);
        cJSON_free(js);
        cJSON_Delete(s);
        return;
    }
    fprintf(f, "articles %zu  ok %zu  errors %zu  in %.2f s (%.0f articles/s)\n", b->ds.n,
            b->ok, b->errors, el, cfd__rate(b, el));
    const cJSON *c;
    cJSON_ArrayForEach(c, b->codes)
        fprintf(f, "  error %-20s %.0f\n", c->string, c->valuedouble);
    fprintf(f, "decisions sent to editor review: %zu of %zu", b->review, b->ok);
    const char *sep = " (";
    cJSON_ArrayForEach(c, b->reasons) {
        fprintf(f, "%s%s %.0f", sep, c->string, c->valuedouble);
        sep = ", ";
    }
    fprintf(f, "%s\n", sep[0] == ',' ? ")" : ""); /* closes what a reason opened */
    if (!b->ev.total)
        return;
    fprintf(f, "against gold labels (plugin %s, %zu articles%s):\n", b->ctl->plugin,
            b->ev.total, b->no_pred ? ", some without a prediction" : "");
    fprintf(f, "  accuracy %.4f  macro-F1 %.4f\n", cfd_eval_accuracy(&b->ev),
            cfd_eval_macro_f1(&b->ev));
    fprintf(f, "  ");
    cfd_term_pad(f, "label", 14);
    fprintf(f, " precision  recall      f1  support\n");
    for (size_t i = 0; i < b->ev.n_labels; i++) {
        double p, r, f1;
        cfd_eval_label_prf(&b->ev.labels[i], &p, &r, &f1);
        fprintf(f, "  ");
        cfd_term_pad(f, b->ev.labels[i].name, 14);
        fprintf(f, " %9.3f %7.3f %7.3f %8zu\n", p, r, f1, b->ev.labels[i].gold);
    }
}

/* Whether the comma-separated list names plugin. */
static int cfd__listed(const char *list, const char *plugin)
{
    size_t n = strlen(plugin);
    for (const char *p = list; p != NULL && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && memcmp(p, plugin, n) == 0)
            return 1;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

/*
 * With gold labels: refuses a --plugin that --plugins leaves out (nothing
 * to score), asks the daemon for --plugin's labels (for "decision",
 * section's), refuses an unknown plugin, and warns about gold labels the
 * plugin cannot give (they can only count as errors). Returns an exit code.
 */
static int cfd__check_gold(cfd__batch *b)
{
    size_t labelled = 0;
    for (size_t i = 0; i < b->ds.n; i++)
        labelled += b->ds.recs[i].label != NULL;
    if (labelled == 0)
        return CFD_CTL_OK;
    const char *need = strcmp(b->ctl->plugin, "decision") == 0 ? "section" : b->ctl->plugin;
    if (b->ctl->plugins != NULL && !cfd__listed(b->ctl->plugins, need)) {
        fprintf(stderr, "classifyctl: batch: --plugin %s is scored against the gold labels, "
                        "but --plugins %s does not run %s: every article would count as "
                        "unpredicted; add %s to --plugins or give --plugin one of them\n",
                b->ctl->plugin, b->ctl->plugins, need, need);
        return CFD_CTL_EUSAGE;
    }
    cfd_http_reply reply;
    cfd_http_reply_init(&reply);
    int rc = cfd_ctl_call(b->ctl, "plugins", "GET", "/v1/plugins", NULL, NULL, 0, NULL, NULL,
                          &reply);
    if (rc != CFD_CTL_OK) {
        cfd_http_reply_free(&reply);
        return rc;
    }
    const char *want = strcmp(b->ctl->plugin, "decision") == 0 ? "section" : b->ctl->plugin;
    cJSON *root = cJSON_ParseWithLength(reply.body.data, reply.body.len);
    const cJSON *p, *labels = NULL;
    cfd_buf names = CFD_BUF_INIT;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(root, "plugins"))
    {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(p, "name");
        if (!cJSON_IsString(nm))
            continue;
        cfd_buf_printf(&names, "%s%s", names.len ? ", " : "", nm->valuestring);
        if (strcmp(nm->valuestring, want) == 0)
            labels = cJSON_GetObjectItemCaseSensitive(p, "labels");
    }
    if (labels == NULL && strcmp(want, b->ctl->plugin) == 0) {
        fprintf(stderr, "classifyctl: batch: --plugin %s: the daemon has no such plugin (it "
                        "runs: %s; or 'decision')\n", b->ctl->plugin,
                names.data ? names.data : "none");
        rc = CFD_CTL_EUSAGE;
    } else if (labels != NULL) {
        size_t known = 0, unknown = 0;
        cfd_buf missing = CFD_BUF_INIT;
        for (size_t i = 0; i < b->ds.n; i++) {
            const char *g = b->ds.recs[i].label;
            if (g == NULL)
                continue;
            int found = 0;
            const cJSON *l;
            cJSON_ArrayForEach(l, labels)
                found |= cJSON_IsString(l) && strcmp(l->valuestring, g) == 0;
            if (found) {
                known++;
                continue;
            }
            unknown++;
            /* list each unknown label once, a few of them */
            if (missing.len < 200 && (!missing.data || !strstr(missing.data, g)))
                cfd_buf_printf(&missing, "%s\"%s\"", missing.len ? ", " : "", g);
        }
        if (unknown > 0 && known == 0)
            fprintf(stderr, "classifyctl: batch: warning: no gold label is a label of %s "
                            "(%s): every article counts as an error. Is --plugin or "
                            "--label-field right?\n", b->ctl->plugin,
                    missing.data ? missing.data : "");
        else if (unknown > 0)
            fprintf(stderr, "classifyctl: batch: warning: %zu of %zu gold labels are not "
                            "labels of %s (%s); those articles count as errors\n", unknown,
                    labelled, b->ctl->plugin, missing.data ? missing.data : "");
        cfd_buf_free(&missing);
    }
    cfd_buf_free(&names);
    cJSON_Delete(root);
    cfd_http_reply_free(&reply);
    return rc;
}

/* The record range of each request: --chunk articles, at most 512 KiB. */
typedef struct cfd__range {
    size_t from, to;
} cfd__range;

/* Appends records [from, to) that have no local error as NDJSON. Reads the
 * dataset only: safe on worker threads. */
static void cfd__build_body(const cfd_dataset *ds, cfd__range r, cfd_buf *body)
{
    for (size_t i = r.from; i < r.to; i++) {
        const cfd_record *rec = &ds->recs[i];
        if (rec->error)
            continue;
        cfd_buf_append(body, rec->json, rec->json_len);
        cfd_buf_putc(body, '\n');
    }
}

/* Main thread: which records the reply lines of this request belong to. */
static void cfd__chunk_begin(cfd__batch *b, cfd__range r)
{
    b->chunk_n = b->chunk_done = 0;
    for (size_t i = r.from; i < r.to; i++) {
        if (!b->ds.recs[i].error)
            b->chunk_recs[b->chunk_n++] = i;
    }
    cfd_buf_reset(&b->partial);
}

/* Main thread: accounting once a request is over; returns an exit code. */
static int cfd__chunk_end(cfd__batch *b, cfd__range r, int rc, const cfd_http_reply *reply)
{
    char what[64];
    snprintf(what, sizeof what, "batch (lines %zu-%zu)", b->ds.recs[r.from].line,
             b->ds.recs[r.to - 1].line);
    if (rc == CFD_CTL_OK && b->partial.len)
        cfd__reply_line(b, b->partial.data, b->partial.len);
    if (rc == CFD_CTL_EDAEMON) {
        /* The whole request was refused: every article in it failed. */
        char code[48];
        snprintf(code, sizeof code, "http_%d", reply->status);
        for (; b->chunk_done < b->chunk_n; b->chunk_done++, b->done++)
            cfd__count_code(b, code);
        rc = CFD_CTL_OK;
    } else if (rc == CFD_CTL_OK && b->chunk_done < b->chunk_n) {
        fprintf(stderr, "classifyctl: %s: the daemon answered %zu of %zu lines\n", what,
                b->chunk_done, b->chunk_n);
        for (; b->chunk_done < b->chunk_n; b->chunk_done++, b->done++)
            cfd__count_code(b, "missing_reply_line");
    }
    return rc;
}

/* One connection: each request's reply lines are handled as they stream in. */
static int cfd__run_sequential(cfd__batch *b, const cfd__range *ranges, size_t n)
{
    cfd_buf body = CFD_BUF_INIT;
    int rc = CFD_CTL_OK;
    for (size_t k = 0; k < n && rc == CFD_CTL_OK; k++) {
        cfd__chunk_begin(b, ranges[k]);
        if (b->chunk_n == 0)
            continue;
        cfd_buf_reset(&body);
        cfd__build_body(&b->ds, ranges[k], &body);
        if (body.oom) {
            fprintf(stderr, "classifyctl: out of memory\n");
            rc = CFD_CTL_EINPUT;
            break;
        }
        cfd_http_reply reply;
        cfd_http_reply_init(&reply);
        char what[64];
        snprintf(what, sizeof what, "batch (lines %zu-%zu)", b->ds.recs[ranges[k].from].line,
                 b->ds.recs[ranges[k].to - 1].line);
        rc = cfd_ctl_call(b->ctl, what, "POST", "/v1/classify", "application/x-ndjson",
                          body.data, body.len, cfd__on_body, b, &reply);
        rc = cfd__chunk_end(b, ranges[k], rc, &reply);
        cfd_http_reply_free(&reply);
    }
    cfd_buf_free(&body);
    return rc;
}

typedef struct cfd__par {
    cfd__batch *b;
    const cfd__range *ranges;
    int rc;
} cfd__par;

static int cfd__par_build(void *ud, size_t k, cfd_buf *body)
{
    cfd__par *p = ud;
    cfd__build_body(&p->b->ds, p->ranges[k], body);
    return 0;
}

static int cfd__par_emit(void *ud, size_t k, int rc, cfd_http_reply *reply)
{
    cfd__par *p = ud;
    cfd__chunk_begin(p->b, p->ranges[k]);
    if (p->b->chunk_n == 0)
        return 0;
    if (rc == CFD_CTL_OK && cfd__on_body(p->b, reply->body.data, reply->body.len) != 0)
        rc = CFD_CTL_EINPUT;
    p->rc = cfd__chunk_end(p->b, p->ranges[k], rc, reply);
    return p->rc != CFD_CTL_OK;
}

int cfd_cmd_batch(cfd_ctl *ctl, int argc, char **argv)
{
    if (argc != 1) {
        fprintf(stderr, "classifyctl: usage: batch FILE.tsv|FILE.jsonl\n");
        return CFD_CTL_EUSAGE;
    }
    cfd__batch b = {.ctl = ctl};
    cfd_error err;
    cfd_error_clear(&err);
    cfd_dataset_opts o = {.label_field = ctl->label_field, .plugins = ctl->plugins,
                          .limit = ctl->limit};
    if (cfd_dataset_load(argv[0], &o, &b.ds, &err) != 0) {
        fprintf(stderr, "classifyctl: %s\n", err.msg);
        return CFD_CTL_EINPUT;
    }
    int rc = CFD_CTL_OK;
    size_t n_ranges = 0;
    cfd__range *ranges = malloc(b.ds.n * sizeof *ranges);
    cfd_eval_init(&b.ev);
    b.codes = cJSON_CreateObject();
    b.reasons = cJSON_CreateObject();
    b.chunk_recs = malloc(ctl->chunk * sizeof *b.chunk_recs);
    if (!b.codes || !b.reasons || !b.chunk_recs || !ranges) {
        fprintf(stderr, "classifyctl: out of memory\n");
        rc = CFD_CTL_EINPUT;
        goto done;
    }
    if ((rc = cfd__check_gold(&b)) != CFD_CTL_OK)
        goto done;
    FILE *summary = stdout;
    if (ctl->output) {
        if (strcmp(ctl->output, "-") == 0) {
            b.out = stdout;
            summary = stderr;
        } else if (!(b.out = fopen(ctl->output, "w"))) {
            fprintf(stderr, "classifyctl: batch: cannot open --output %s: %s\n", ctl->output,
                    strerror(errno));
            rc = CFD_CTL_EINPUT;
            goto done;
        }
    }
    for (size_t i = 0; i < b.ds.n; i++) {
        if (b.ds.recs[i].error) {
            fprintf(stderr, "classifyctl: %s:%zu: %s (not sent)\n", argv[0], b.ds.recs[i].line,
                    b.ds.recs[i].error);
            cfd__count_code(&b, "bad_input_line");
            b.done++;
        }
    }
    for (size_t from = 0; from < b.ds.n;) {
        size_t to = from, bytes = 0;
        while (to < b.ds.n && to - from < ctl->chunk) {
            size_t add = b.ds.recs[to].json ? b.ds.recs[to].json_len + 1 : 0;
            if (to > from && bytes + add > CFD__MAX_REQUEST)
                break;
            bytes += add;
            to++;
        }
        ranges[n_ranges++] = (cfd__range){from, to};
        from = to;
    }
    /* Not by default when the replies go to the same terminal: they would
     * be written into the bar's line. */
    b.progress = ctl->progress >= 0 ? ctl->progress
                                    : isatty(2) && !(b.out == stdout && isatty(1));
    b.t0 = cfd__now();
    int jobs = ctl->jobs < 1 ? 1 : ctl->jobs;
    if ((size_t)jobs > n_ranges)
        jobs = (int)n_ranges;
    if (jobs <= 1) {
        rc = cfd__run_sequential(&b, ranges, n_ranges);
    } else {
        cfd__par p = {.b = &b, .ranges = ranges, .rc = CFD_CTL_OK};
        rc = cfd_batch_jobs_run(ctl, jobs, n_ranges, cfd__par_build, cfd__par_emit, &p);
        if (rc == CFD_CTL_OK)
            rc = p.rc;
    }
    cfd__bar(&b, 1);
    if (rc == CFD_CTL_OK) {
        cfd__summary(&b, summary);
        if (b.errors)
            rc = CFD_CTL_EPARTIAL;
    }
    if (b.out && b.out != stdout) {
        /* A write that failed on the way (disk full) sets the error flag;
         * fclose only reports its own last flush. */
        int werr = ferror(b.out);
        int cerr = fclose(b.out) != 0 ? errno : 0;
        if (cerr || werr) {
            /* errno is only known for fclose's own flush; an earlier failed
             * write left just the stream's error flag. */
            fprintf(stderr, "classifyctl: batch: writing --output %s failed: %s; the replies "
                            "in it are incomplete\n", ctl->output,
                    cerr ? strerror(cerr) : "a write failed (is the disk full?)");
            rc = CFD_CTL_EINPUT;
        }
    }
done:
    free(ranges);
    cfd_buf_free(&b.partial);
    free(b.chunk_recs);
    cJSON_Delete(b.codes);
    cJSON_Delete(b.reasons);
    cfd_eval_free(&b.ev);
    cfd_dataset_free(&b.ds);
    return rc;
}
