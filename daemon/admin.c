/*
 * Admin endpoints: swap a plugin's model, roll it back, reload everything.
 *
 * Who may call them: only a peer on the Unix socket whose SO_PEERCRED uid
 * (read when the connection was accepted) is the daemon's own effective uid
 * or root. TCP peers are always refused: their identity is unknown.
 *
 * A model name is a path relative to the models directory; absolute paths
 * and ".." components are refused here, before the engine (which also
 * refuses symlinks that resolve outside the directory) sees them.
 *
 * The engine call reads files and runs a plugin's load(), so it runs on the
 * libuv thread pool (uv_queue_work); the connection takes no further request
 * until the reply is written from the after-work callback on its own loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "handlers.h"
#include "json_prob.h"
#include "log.h"
#include "utf8.h"

enum { CFD__RELOAD_ALL, CFD__MODEL, CFD__ROLLBACK };

typedef struct cfd__job {
    uv_work_t work;
    cfd_conn *c;
    cfd_engine *engine;
    int kind;
    char plugin[40];
    char *model;         /* NULL = the configured model */
    int rc;
    cfd_error err;
    cfd_buf result;
} cfd__job;

/*
 * Refusals come from whoever can connect (over TCP, anyone who reaches the
 * port), thousands a second with pipelining: logged at most once a second
 * (over all loops), with how many were not, so that they can neither flood
 * the log nor push other lines out of journald's rate limit.
 */
static void cfd__log_refusal(cfd_server *s, const char *msg)
{
    unsigned long n;
    if (!cfd_log_every_second(&s->admin_refusal_log, &n))
        return;
    if (n)
        cfd_log(CFD_LOG_WARN, "admin call refused: %s (and %lu more refused since the last "
                "such line)", msg, n);
    else
        cfd_log(CFD_LOG_WARN, "admin call refused: %s", msg);
}

static int cfd__allowed(cfd_conn *c, const cfd_http_request *r)
{
    uid_t me = geteuid();
    if (c->is_unix && (c->uid == me || c->uid == 0))
        return 1;
    char msg[200];
    if (!c->is_unix)
        snprintf(msg, sizeof(msg), "admin calls are not accepted over TCP: use the Unix socket "
                                   "as the daemon's user or root");
    else
        snprintf(msg, sizeof(msg),
                 "admin calls are allowed only to uid %u (the daemon's user) or root; you are "
                 "uid %d",
                 (unsigned)me, c->uid == (uid_t)-1 ? -1 : (int)c->uid);
    cfd__log_refusal(c->w->srv, msg);
    cfd_conn_error(c, r, 403, "forbidden", msg, (size_t)-1, NULL, 0);
    return 0;
}

static void cfd__work(uv_work_t *req)
{
    cfd__job *j = req->data;
    cfd_error_clear(&j->err);
    switch (j->kind) {
    case CFD__RELOAD_ALL:
        j->rc = cfd_engine_reload(j->engine, NULL, NULL, &j->result, &j->err);
        break;
    case CFD__MODEL:
        j->rc = cfd_engine_reload(j->engine, j->plugin, j->model, &j->result, &j->err);
        break;
    default:
        j->rc = cfd_engine_rollback(j->engine, j->plugin, &j->result, &j->err);
        break;
    }
    if (j->rc == 0 && j->result.oom)
        j->rc = CFD_ENOMEM;
}

static int cfd__load_status(int rc, const char **code)
{
    *code = cfd_errname(rc);
    switch (rc) {
    case CFD_ENOENT: return 404;
    case CFD_EEMPTY: /* rollback with no previous model: the state, not the request */
        *code = "no_previous_model";
        return 409;
    case CFD_EPERM: return 403;
    case CFD_EBUSY: return 503;
    case CFD_ENOMEM:
    case CFD_EIO: return 500;
    default: return 422; /* the model file is bad: wrong format, checksum, plugin... */
    }
}

static void cfd__after_work(uv_work_t *req, int status)
{
    cfd__job *j = req->data;
    cfd_conn *c = j->c;
    if (!c->closing) {
        const cfd_http_request *r = &c->in.req;
        if (status != 0 && j->rc == 0)
            j->rc = CFD_EIO;
        if (j->rc == 0) {
            cfd_log(CFD_LOG_INFO, "admin %s %s: done",
                    j->kind == CFD__ROLLBACK ? "rollback" : "reload",
                    j->kind == CFD__RELOAD_ALL ? "(all plugins)" : j->plugin);
            cfd_reply_json(c, r, 200, j->result.data ? j->result.data : "{}",
                           j->result.data ? j->result.len : 2, NULL);
        } else {
            const char *code;
            int st = cfd__load_status(j->rc, &code);
            if (j->kind == CFD__RELOAD_ALL && j->result.data && !j->result.oom) {
                /* Some plugins may have swapped: say which, not only the first error. */
                cfd_buf b = CFD_BUF_INIT;
                cfd_buf_puts(&b, "{\"error\":{\"code\":\"");
                cfd_buf_puts(&b, code);
                cfd_buf_puts(&b, "\",\"message\":");
                cfd_json_text(&b, j->err.msg[0] ? j->err.msg : cfd_strerror(j->rc));
                cfd_buf_puts(&b, "},");
                cfd_buf_append(&b, j->result.data + 1, j->result.len - 1);
                /* the rules' warnings: logged one by one by the engine */
                size_t shown = cfd_engine_reply_sans_warnings(b.data, b.len);
                cfd_log(CFD_LOG_WARN, "admin reload (all plugins) partly failed: %.*s%s",
                        (int)shown, b.data ? b.data : "", shown < b.len ? "}" : "");
                cfd_reply_json(c, r, st, b.data, b.len, NULL);
                cfd_buf_free(&b);
                goto done;
            }
            cfd_log(CFD_LOG_WARN, "admin %s %s failed: %s",
                    j->kind == CFD__ROLLBACK ? "rollback" : "reload",
                    j->kind == CFD__RELOAD_ALL ? "(all plugins)" : j->plugin, j->err.msg);
            cfd_conn_error(c, r, st, code, j->err.msg[0] ? j->err.msg : cfd_strerror(j->rc),
                           (size_t)-1, st == 503 ? "Retry-After: 1\r\n" : NULL, 0);
        }
    }
done:
    cfd_buf_free(&j->result);
    free(j->model);
    free(j);
    cfd_conn_job_done(c);
}

static void cfd__submit(cfd_conn *c, const cfd_http_request *r, int kind, const char *plugin,
                        char *model)
{
    cfd__job *j = calloc(1, sizeof(*j));
    if (j == NULL) {
        free(model);
        cfd_conn_error(c, r, 503, "out_of_memory", "out of memory; retry later", (size_t)-1,
                       "Retry-After: 1\r\n", 0);
        return;
    }
    j->c = c;
    j->engine = c->w->srv->engine;
    j->kind = kind;
    if (plugin)
        snprintf(j->plugin, sizeof(j->plugin), "%s", plugin);
    j->model = model;
    j->work.data = j;
    int rc = uv_queue_work(&c->w->loop, &j->work, cfd__work, cfd__after_work);
    if (rc != 0) {
        free(model);
        free(j);
        cfd_conn_error(c, r, 503, "busy", "cannot start the reload now; retry later",
                       (size_t)-1, "Retry-After: 1\r\n", 0);
        return;
    }
    c->job = 1;
}

/* The model file name from the body: {"model":"x.cfdm"}, {} or nothing. */
static int cfd__model_name(cfd_conn *c, const cfd_http_request *r, char **out)
{
    size_t bad;
    *out = NULL;
    if (r->body_len == 0)
        return 0;
    if (cfd_utf8_validate(r->body, r->body_len, &bad) != 0) {
        cfd_conn_error(c, r, 400, "invalid_utf8", "invalid UTF-8 in the body", bad, NULL, 0);
        return -1;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(r->body, r->body_len, &end, 0);
    if (root == NULL) {
        cfd_conn_error(c, r, 400, "malformed_json",
                       "malformed JSON: expected {\"model\":\"FILE\"} with FILE relative to the "
                       "models directory, or an empty body for the configured model",
                       end ? (size_t)(end - r->body) : 0, NULL, 0);
        return -1;
    }
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "model");
    int rc = 0;
    if (!cJSON_IsObject(root) || (m != NULL && !cJSON_IsNull(m) && !cJSON_IsString(m))) {
        cfd_conn_error(c, r, 400, "wrong_shape",
                       "expected {\"model\":\"FILE\"} with FILE relative to the models "
                       "directory",
                       (size_t)-1, NULL, 0);
        rc = -1;
    } else if (cJSON_IsString(m)) {
        const char *s = m->valuestring;
        int escape = s[0] == '/' || strcmp(s, "..") == 0 || strncmp(s, "../", 3) == 0 ||
                     strstr(s, "/../") != NULL ||
                     (strlen(s) >= 3 && strcmp(s + strlen(s) - 3, "/..") == 0);
        if (s[0] == '\0') {
            cfd_conn_error(c, r, 400, "wrong_shape", "\"model\" is empty: name a file in the "
                           "models directory, or send {} for the configured model",
                           (size_t)-1, NULL, 0);
            rc = -1;
        } else if (escape) {
            cfd_conn_error(c, r, 403, "path_outside_models",
                           "the model path must be relative to the models directory, without "
                           "\"..\": place the file there first",
                           (size_t)-1, NULL, 0);
            rc = -1;
        } else if ((*out = strdup(s)) == NULL) {
            cfd_conn_error(c, r, 503, "out_of_memory", "out of memory; retry later",
                           (size_t)-1, NULL, 0);
            rc = -1;
        }
    }
    cJSON_Delete(root);
    return rc;
}

void cfd_handle_admin_model(cfd_conn *c, const cfd_http_request *r, const char *plugin)
{
    char *model;
    if (!cfd__allowed(c, r) || cfd__model_name(c, r, &model) != 0)
        return;
    cfd_log(CFD_LOG_INFO, "admin: load %s for plugin %s (uid %d)",
            model ? model : "the configured model", plugin, (int)c->uid);
    cfd__submit(c, r, CFD__MODEL, plugin, model);
}

void cfd_handle_admin_rollback(cfd_conn *c, const cfd_http_request *r, const char *plugin)
{
    if (!cfd__allowed(c, r))
        return;
    cfd_log(CFD_LOG_INFO, "admin: roll back plugin %s (uid %d)", plugin, (int)c->uid);
    cfd__submit(c, r, CFD__ROLLBACK, plugin, NULL);
}

void cfd_handle_admin_reload(cfd_conn *c, const cfd_http_request *r)
{
    if (!cfd__allowed(c, r))
        return;
    cfd_log(CFD_LOG_INFO, "admin: re-read every plugin's model file and the decision rules (uid %d)", (int)c->uid);
    cfd__submit(c, r, CFD__RELOAD_ALL, NULL, NULL);
}
