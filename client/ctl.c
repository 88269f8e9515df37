/*
 * classifyctl: the command-line client of classifyd.
 *
 * This file holds what every subcommand shares: option parsing (one option
 * table; GNU getopt permutes, so options may come before or after the
 * subcommand), the --help text with the exit codes, the connection, and how
 * daemon errors are printed. Each subcommand lives in its own cmd_*.c.
 */
#include "ctl.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#ifndef CFD_VERSION
#define CFD_VERSION "unknown"
#endif

static void cfd__usage(FILE *f)
{
    fprintf(f,
"Usage: classifyctl [OPTIONS] COMMAND [ARGS]\n"
"\n"
"Talks to classifyd over its Unix socket.\n"
"\n"
"Commands:\n"
"  classify [FILE|-]         classify one article: plain text, or a JSON object\n"
"                            {\"id\",\"title\",\"body\",\"plugins\"} (\"text\" is taken for a\n"
"                            missing \"body\"); stdin when FILE is '-' or absent\n"
"  batch FILE.tsv|FILE.jsonl classify every line (NDJSON streaming); progress on\n"
"                            stderr, summary at the end; with gold labels (TSV\n"
"                            label column, JSONL \"label\") prints accuracy and\n"
"                            macro-F1 of --plugin\n"
"  plugins                   plugins, their labels and model versions\n"
"  health                    liveness (/healthz) and readiness (/readyz)\n"
"  metrics                   Prometheus metrics text\n"
"  reload [PLUGIN] [MODEL]   re-read every plugin's model file (no args: the one\n"
"                            it serves now) and the rules, one plugin's configured\n"
"                            model, or load MODEL (a file name in the daemon's\n"
"                            models directory) for PLUGIN\n"
"  rollback PLUGIN           make PLUGIN's previous model current again\n"
"\n"
"Options:\n"
"  -s, --socket PATH     daemon socket (default: $CLASSIFYD_SOCKET, else\n"
"                        run/classifyd.sock or /run/classifyd/classifyd.sock,\n"
"                        the first that exists; with neither, the first in a\n"
"                        classifyd source tree, else the second)\n"
"  -f, --format FMT      table (default) or json\n"
"  -t, --timeout SEC     give up when the daemon is silent this long (default 60)\n"
"  -p, --plugins LIST    classify/batch: comma-separated plugins to run\n"
"  -P, --plugin NAME     batch: plugin scored against gold labels (default\n"
"                        section; 'decision' scores the aggregated decision)\n"
"      --title TEXT      classify: title of a plain-text article\n"
"  -n, --top N           classify: probabilities shown per plugin (default 3)\n"
"      --explain N       classify: why each plugin chose its label: its margin\n"
"                        over the runner-up and the N words or n-grams of the\n"
"                        article that argued most for each (1-32)\n"
"  -o, --output FILE     batch: write each reply line (NDJSON) to FILE ('-' =\n"
"                        stdout; the summary then goes to stderr); an error\n"
"                        line's \"line\" is its line number in the input file\n"
"      --label-field F   batch: JSONL field holding the gold label (default label)\n"
"      --chunk N         batch: articles per request (default 64)\n"
"  -j, --jobs N          batch: requests in flight on N connections (default:\n"
"                        the number of CPUs, at most 8; the daemon serves each\n"
"                        connection on one core)\n"
"      --limit N         batch: only the first N articles\n"
"      --progress, --no-progress\n"
"                        batch: force the progress bar on or off (default: on\n"
"                        when stderr is a terminal and -o - does not write\n"
"                        the replies to that terminal too)\n"
"  -h, --help            this help\n"
"  -V, --version         version\n"
"\n"
"Exit codes:\n"
"  0  success (health: alive and ready)\n"
"  1  the daemon answered with an error (4xx/5xx; printed with its status,\n"
"     code and message), or health: not ready\n"
"  2  bad command line\n"
"  3  daemon unreachable, connection lost or timed out\n"
"  4  input file unreadable or not an article, or the output (stdout,\n"
"     batch --output) could not be written\n"
"  5  batch: finished, but some articles got errors (counted in the summary)\n");
}

void cfd_ctl_print_error_json(const char *what, int status, const char *json, size_t len)
{
    /* One line written by several calls: batch --jobs workers print at once
     * (ctl.h), so the line holds stderr's lock throughout (it is recursive:
     * the fprintf calls below take it again). */
    flockfile(stderr);
    cJSON *root = json ? cJSON_ParseWithLength(json, len) : NULL;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (!cJSON_IsObject(e))
        e = root;
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(e, "offset");
    if (cJSON_IsString(code) || cJSON_IsString(msg)) {
        fprintf(stderr, "classifyctl: %s: ", what);
        if (status)
            fprintf(stderr, "%d ", status);
        fprintf(stderr, "%s: %s", cJSON_IsString(code) ? code->valuestring : "error",
                cJSON_IsString(msg) ? msg->valuestring : "(no message)");
        if (cJSON_IsNumber(off))
            fprintf(stderr, " (at byte offset %.0f)", off->valuedouble);
        fputc('\n', stderr);
    } else {
        /* Not our error format (a proxy? an old daemon?): show it raw. */
        int n = json ? (int)(len > 400 ? 400 : len) : 0;
        fprintf(stderr, "classifyctl: %s: HTTP %d%s%.*s\n", what, status, n ? ": " : "", n,
                n ? json : "");
    }
    cJSON_Delete(root);
    funlockfile(stderr);
}

void cfd_ctl_print_json(const char *json, size_t len)
{
    cJSON *root = cJSON_ParseWithLength(json, len);
    char *s = root ? cJSON_Print(root) : NULL;
    if (s) {
        puts(s);
        cJSON_free(s);
    } else {
        fwrite(json, 1, len, stdout);
        if (len == 0 || json[len - 1] != '\n')
            putchar('\n');
    }
    cJSON_Delete(root);
}

/* A 503 the daemon gives while it is momentarily full: too many request
 * bodies being received at once (max_body_memory) or too many connections.
 * Classifying is safe to repeat, so cfd_ctl_call retries those; other 503s
 * (a plugin without a model) do not pass by waiting. */
static int cfd__busy(const cfd_http_reply *reply)
{
    if (reply->status != 503 || reply->retry_after[0] == '\0')
        return 0;
    cJSON *root = cJSON_ParseWithLength(reply->body.data, reply->body.len);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
    int busy = cJSON_IsString(code) && (strcmp(code->valuestring, "body_memory_exhausted") == 0 ||
                                        strcmp(code->valuestring, "too_many_connections") == 0);
    cJSON_Delete(root);
    return busy;
}

int cfd_ctl_call(cfd_ctl *ctl, const char *what, const char *method, const char *target,
                 const char *ctype, const char *body, size_t len, cfd_http_body_fn on_body,
                 void *ud, cfd_http_reply *reply)
{
    cfd_error err;
    int retries = strcmp(target, "/v1/classify") == 0 ? CFD_CTL_BUSY_RETRIES : 0;
    for (;;) {
        cfd_error_clear(&err);
        if (!ctl->conn && cfd_http_connect(ctl->socket, ctl->timeout_ms, &ctl->conn, &err) != 0) {
            fprintf(stderr, "classifyctl: %s: %s\n", what, err.msg);
            return CFD_CTL_ECONNECT;
        }
        if (cfd_http_request(ctl->conn, method, target, ctype, body, len, on_body, ud, reply,
                             &err) != 0) {
            fprintf(stderr, "classifyctl: %s: %s\n", what, err.msg);
            return CFD_CTL_ECONNECT;
        }
        if (retries == 0 || !cfd__busy(reply))
            break;
        /* The daemon closes the connection after such a 503: wait as it
         * asks (at most 10 s), then send the same request on a new one. */
        long wait = strtol(reply->retry_after, NULL, 10);
        wait = wait < 1 ? 1 : wait > 10 ? 10 : wait;
        wait = wait * (CFD_CTL_BUSY_RETRIES - retries + 1); /* longer each time */
        wait = wait > 10 ? 10 : wait;
        retries--;
        fprintf(stderr, "classifyctl: %s: the daemon is busy (503), retrying in %ld s (%d %s left)\n",
                what, wait, retries, retries == 1 ? "retry" : "retries");
        cfd_http_close(ctl->conn);
        ctl->conn = NULL;
        cfd_http_reply_free(reply);
        cfd_http_reply_init(reply);
        sleep((unsigned)wait);
    }
    if (reply->status >= 200 && reply->status < 300)
        return CFD_CTL_OK;
    flockfile(stderr); /* the error and its hints together, not between another worker's */
    cfd_ctl_print_error_json(what, reply->status, reply->body.data, reply->body.len);
    if (reply->status == 503 && reply->retry_after[0])
        fprintf(stderr, "classifyctl: the daemon asks to retry after %s s\n", reply->retry_after);
    if (reply->status == 405 && reply->allow[0])
        fprintf(stderr, "classifyctl: allowed methods: %s\n", reply->allow);
    funlockfile(stderr);
    return CFD_CTL_EDAEMON;
}

static int cfd__parse_count(const char *opt, const char *s, long min, long max, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "classifyctl: %s wants a number from %ld to %ld, got '%s'\n", opt, min,
                max, s);
        return -1;
    }
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    enum { O_TITLE = 256, O_LABEL_FIELD, O_CHUNK, O_LIMIT, O_PROGRESS, O_NO_PROGRESS,
           O_EXPLAIN };
    static const struct option opts[] = {
        {"socket", required_argument, 0, 's'},   {"format", required_argument, 0, 'f'},
        {"timeout", required_argument, 0, 't'},  {"plugins", required_argument, 0, 'p'},
        {"plugin", required_argument, 0, 'P'},   {"title", required_argument, 0, O_TITLE},
        {"top", required_argument, 0, 'n'},      {"output", required_argument, 0, 'o'},
        {"label-field", required_argument, 0, O_LABEL_FIELD},
        {"chunk", required_argument, 0, O_CHUNK}, {"limit", required_argument, 0, O_LIMIT},
        {"jobs", required_argument, 0, 'j'},     {"explain", required_argument, 0, O_EXPLAIN},
        {"progress", no_argument, 0, O_PROGRESS}, {"no-progress", no_argument, 0, O_NO_PROGRESS},
        {"help", no_argument, 0, 'h'},           {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0}};
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    cfd_ctl ctl = {.timeout_ms = 60000, .plugin = "section", .top = 3, .chunk = 64,
                   .progress = -1, .jobs = ncpu < 1 ? 1 : ncpu > 8 ? 8 : (int)ncpu};
    int c;
    long v;
    while ((c = getopt_long(argc, argv, "s:f:t:p:P:n:o:j:hV", opts, NULL)) != -1) {
        switch (c) {
        case 's': ctl.socket = optarg; break;
        case 'f':
            if (strcmp(optarg, "json") == 0) {
                ctl.json = 1;
            } else if (strcmp(optarg, "table") == 0) {
                ctl.json = 0;
            } else {
                fprintf(stderr, "classifyctl: --format is table or json, got '%s'\n", optarg);
                return CFD_CTL_EUSAGE;
            }
            ctl.format_set = 1;
            break;
        case 't':
            if (cfd__parse_count("--timeout", optarg, 1, 86400, &v) != 0)
                return CFD_CTL_EUSAGE;
            ctl.timeout_ms = (int)v * 1000;
            break;
        case 'p': ctl.plugins = optarg; break;
        case 'P': ctl.plugin = optarg; break;
        case O_TITLE: ctl.title = optarg; break;
        case 'n':
            if (cfd__parse_count("--top", optarg, 1, 1024, &v) != 0)
                return CFD_CTL_EUSAGE;
            ctl.top = (int)v;
            break;
        case O_EXPLAIN:
            if (cfd__parse_count("--explain", optarg, 1, 32, &v) != 0)
                return CFD_CTL_EUSAGE;
            ctl.explain = (int)v;
            break;
        case 'o': ctl.output = optarg; break;
        case O_LABEL_FIELD: ctl.label_field = optarg; break;
        case O_CHUNK:
            if (cfd__parse_count("--chunk", optarg, 1, 100000, &v) != 0)
                return CFD_CTL_EUSAGE;
            ctl.chunk = (size_t)v;
            break;
        case O_LIMIT:
            if (cfd__parse_count("--limit", optarg, 1, 1000000000L, &v) != 0)
                return CFD_CTL_EUSAGE;
            ctl.limit = (size_t)v;
            break;
        case 'j':
            if (cfd__parse_count("--jobs", optarg, 1, 64, &v) != 0)
                return CFD_CTL_EUSAGE;
            ctl.jobs = (int)v;
            break;
        case O_PROGRESS: ctl.progress = 1; break;
        case O_NO_PROGRESS: ctl.progress = 0; break;
        case 'h': cfd__usage(stdout); return CFD_CTL_OK;
        case 'V': printf("classifyctl %s\n", CFD_VERSION); return CFD_CTL_OK;
        default:
            fprintf(stderr, "Try 'classifyctl --help'.\n");
            return CFD_CTL_EUSAGE;
        }
    }
    if (optind >= argc) {
        cfd__usage(stderr);
        return CFD_CTL_EUSAGE;
    }
    if (!ctl.socket)
        ctl.socket = cfd_default_socket_path();

    static const struct {
        const char *name;
        int (*fn)(cfd_ctl *, int, char **);
    } cmds[] = {
        {"classify", cfd_cmd_classify}, {"batch", cfd_cmd_batch},
        {"plugins", cfd_cmd_plugins},   {"health", cfd_cmd_health},
        {"metrics", cfd_cmd_metrics},   {"reload", cfd_cmd_reload},
        {"rollback", cfd_cmd_rollback},
    };
    const char *cmd = argv[optind];
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(cmd, cmds[i].name) == 0) {
            int rc = cmds[i].fn(&ctl, argc - optind - 1, argv + optind + 1);
            cfd_http_close(ctl.conn);
            /* A full disk or a closed pipe must not pass for success. */
            int ferr = fflush(stdout) != 0 ? errno : 0;
            if (ferr || ferror(stdout)) {
                /* errno is only known for this flush; an earlier failed
                 * write left just the stream's error flag. */
                fprintf(stderr, "classifyctl: %s: writing to standard output failed: %s\n",
                        cmd, ferr ? strerror(ferr) : "a write failed (disk full or pipe closed?)");
                if (rc == CFD_CTL_OK || rc == CFD_CTL_EPARTIAL)
                    rc = CFD_CTL_EINPUT;
            }
            return rc;
        }
    }
    fprintf(stderr, "classifyctl: unknown command '%s' (try 'classifyctl --help')\n", cmd);
    return CFD_CTL_EUSAGE;
}
