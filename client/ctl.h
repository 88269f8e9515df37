/*
 * classifyctl's shared state and helpers, used by one file per subcommand
 * (cmd_classify.c, cmd_batch.c, cmd_plugins.c, cmd_health.c,
 * cmd_metrics.c, cmd_reload.c, cmd_rollback.c).
 *
 * Every subcommand returns one of the exit codes below; classifyctl --help
 * documents them. Errors are printed on stderr as
 *   classifyctl: <what failed>: <the daemon's or the system's message>
 * and a daemon error reply additionally names its status and stable code,
 * so scripts can match on either.
 *
 * Threads: the main thread, except for batch --jobs N (batch_jobs.h): its
 * worker threads call cfd_ctl_call at once, each with its own copy of the
 * cfd_ctl (and so its own connection). cfd_ctl_call and
 * cfd_ctl_print_error_json may therefore run on several threads; each
 * writes its message lines to stderr whole, under stderr's lock, so lines
 * from two workers never interleave. The other functions: main thread.
 */
#ifndef CFD_CLIENT_CTL_H
#define CFD_CLIENT_CTL_H

#include <stddef.h>

#include "http_client.h"

enum cfd_ctl_exit {
    CFD_CTL_OK = 0,        /* done; for health: alive and ready */
    CFD_CTL_EDAEMON = 1,   /* the daemon answered with an error (4xx/5xx), or not ready */
    CFD_CTL_EUSAGE = 2,    /* bad command line */
    CFD_CTL_ECONNECT = 3,  /* daemon unreachable, connection lost or timed out */
    CFD_CTL_EINPUT = 4,    /* input file unreadable or not an article; output unwritable */
    CFD_CTL_EPARTIAL = 5   /* batch finished, but some articles got errors */
};

typedef struct cfd_ctl {
    const char *socket;       /* --socket / CLASSIFYD_SOCKET / default */
    int timeout_ms;           /* --timeout seconds * 1000 */
    int json;                 /* --format json */
    int format_set;           /* --format was given */
    const char *plugins;      /* --plugins a,b: plugins to run (classify, batch) */
    const char *plugin;       /* --plugin P: batch evaluation plugin (default section) */
    const char *title;        /* --title for plain-text classify */
    const char *output;       /* --output FILE: batch replies (NDJSON) */
    const char *label_field;  /* --label-field for JSONL gold labels */
    int top;                  /* --top N probabilities in tables */
    int explain;              /* --explain N: features a side in "why" (classify) */
    size_t chunk;             /* --chunk N articles per batch request */
    int jobs;                 /* --jobs N batch connections in parallel */
    size_t limit;             /* --limit N articles */
    int progress;             /* -1 auto (tty), 0 off, 1 on */
    cfd_http_conn *conn;      /* opened on first call */
} cfd_ctl;

/* Times a classify request is sent again when the daemon answers 503
 * body_memory_exhausted or too_many_connections (momentarily full). */
#define CFD_CTL_BUSY_RETRIES 5

/*
 * One request. On an HTTP 2xx returns CFD_CTL_OK with the reply in *reply.
 * On a daemon error prints it (status, code, message, offset) prefixed by
 * `what` and returns CFD_CTL_EDAEMON (reply still filled); on a transport
 * failure prints it and returns CFD_CTL_ECONNECT. A POST to /v1/classify
 * that the daemon refuses as momentarily full (503 with Retry-After and the
 * code body_memory_exhausted or too_many_connections) is sent again on a
 * new connection after the wait it asks for times the attempt's number
 * (1, 2, 3, ... s for Retry-After: 1; at most 10 s), up to
 * CFD_CTL_BUSY_RETRIES times, with a line on stderr each time.
 */
int cfd_ctl_call(cfd_ctl *ctl, const char *what, const char *method, const char *target,
                 const char *ctype, const char *body, size_t len, cfd_http_body_fn on_body,
                 void *ud, cfd_http_reply *reply);

/* Prints a daemon error object ({"error":{...}} or a bare {...}) after `what`. */
void cfd_ctl_print_error_json(const char *what, int status, const char *json, size_t len);

/* Pretty-prints a JSON text on stdout (as-is if it does not parse). */
void cfd_ctl_print_json(const char *json, size_t len);

int cfd_cmd_classify(cfd_ctl *ctl, int argc, char **argv);
int cfd_cmd_batch(cfd_ctl *ctl, int argc, char **argv);
int cfd_cmd_plugins(cfd_ctl *ctl, int argc, char **argv);
int cfd_cmd_health(cfd_ctl *ctl, int argc, char **argv);
int cfd_cmd_metrics(cfd_ctl *ctl, int argc, char **argv);
int cfd_cmd_reload(cfd_ctl *ctl, int argc, char **argv);
int cfd_cmd_rollback(cfd_ctl *ctl, int argc, char **argv);

#endif
