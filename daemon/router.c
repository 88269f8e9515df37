/*
 * Request routing: path and method -> handler, with 404 for unknown paths
 * and 405 (with an Allow header) for a known path used with the wrong
 * method. The table is the list of endpoints of docs/PROTOCOL.md.
 */
#include <stdio.h>
#include <string.h>

#include "handlers.h"

typedef void (*cfd__handler)(cfd_conn *c, const cfd_http_request *r);

static const struct {
    const char *path;
    int method;
    int endpoint;
    cfd__handler fn;
} cfd__routes[] = {
    {"/v1/classify", HTTP_POST, CFD_EP_CLASSIFY, cfd_handle_classify},
    {"/v1/plugins", HTTP_GET, CFD_EP_PLUGINS, cfd_handle_plugins},
    {"/healthz", HTTP_GET, CFD_EP_HEALTHZ, cfd_handle_healthz},
    {"/readyz", HTTP_GET, CFD_EP_READYZ, cfd_handle_readyz},
    {"/metrics", HTTP_GET, CFD_EP_METRICS, cfd_handle_metrics},
    {"/v1/reload", HTTP_POST, CFD_EP_ADMIN_RELOAD, cfd_handle_admin_reload},
};

static int cfd__eq(const char *p, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(p, lit, n) == 0;
}

static void cfd__not_allowed(cfd_conn *c, const cfd_http_request *r, const char *allow)
{
    char extra[64], msg[128];
    snprintf(extra, sizeof(extra), "Allow: %s\r\n", allow);
    snprintf(msg, sizeof(msg), "method %s not allowed here: use %s",
             http_method_str((enum http_method)r->method), allow);
    cfd_conn_error(c, r, 405, "method_not_allowed", msg, (size_t)-1, extra, 0);
}

static int cfd__known_path(const char *p, size_t n)
{
    for (size_t i = 0; i < sizeof(cfd__routes) / sizeof(cfd__routes[0]); i++)
        if (cfd__eq(p, n, cfd__routes[i].path))
            return 1;
    return 0;
}

/* 404 naming the path received (printable ASCII, cut), and the endpoint
 * meant when it is one with a trailing slash. */
static void cfd__not_found(cfd_conn *c, const cfd_http_request *r)
{
    char path[84], msg[320];
    cfd_http_keep_token(path, 81, r->path, r->path_len);
    if (r->path_len > 80)
        memcpy(path + 80, "...", 4);
    int slash = r->path_len > 1 && r->path[r->path_len - 1] == '/' &&
                cfd__known_path(r->path, r->path_len - 1);
    snprintf(msg, sizeof(msg),
             "no such endpoint %s%s: use POST /v1/classify, GET /v1/plugins, /healthz, "
             "/readyz or /metrics (see docs/PROTOCOL.md)",
             path, slash ? " (the paths have no trailing slash)" : "");
    cfd_conn_error(c, r, 404, "not_found", msg, (size_t)-1, NULL, 0);
}

/* A body in a content coding the daemon does not undo (gzip, br, ...):
 * 415 naming it, with the codings accepted (RFC 9110 12.5.3), instead of
 * reading compressed bytes as text. */
static int cfd__coded_body(cfd_conn *c, const cfd_http_request *r)
{
    if (r->coding == NULL || !r->has_length)
        return 0;
    char msg[160];
    snprintf(msg, sizeof(msg),
             "Content-Encoding %s is not supported: send the body uncompressed, without "
             "Content-Encoding",
             r->coding);
    cfd_conn_error(c, r, 415, "unsupported_content_encoding", msg, (size_t)-1,
                   "Accept-Encoding: identity\r\n", 0);
    return 1;
}

/* /v1/plugins/{name}/model and /v1/plugins/{name}/rollback */
static int cfd__plugin_route(cfd_conn *c, const cfd_http_request *r)
{
    static const char prefix[] = "/v1/plugins/";
    const size_t pl = sizeof(prefix) - 1;
    if (r->path_len <= pl || memcmp(r->path, prefix, pl) != 0)
        return 0;
    const char *name = r->path + pl;
    const char *slash = memchr(name, '/', r->path_len - pl);
    if (slash == NULL || slash == name || slash - name > 32)
        return 0;
    size_t nl = (size_t)(slash - name);
    for (size_t i = 0; i < nl; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
            return 0;
    }
    const char *action = slash + 1;
    size_t al = r->path_len - pl - nl - 1;
    int model = cfd__eq(action, al, "model");
    if (!model && !cfd__eq(action, al, "rollback"))
        return 0;
    char plugin[40];
    memcpy(plugin, name, nl);
    plugin[nl] = '\0';
    c->endpoint = model ? CFD_EP_ADMIN_MODEL : CFD_EP_ADMIN_ROLLBACK;
    if (r->method != HTTP_POST)
        cfd__not_allowed(c, r, "POST");
    else if (cfd__coded_body(c, r))
        return 1;
    else if (model)
        cfd_handle_admin_model(c, r, plugin);
    else
        cfd_handle_admin_rollback(c, r, plugin);
    return 1;
}

void cfd_route(cfd_conn *c, const cfd_http_request *r)
{
    for (size_t i = 0; i < sizeof(cfd__routes) / sizeof(cfd__routes[0]); i++) {
        if (!cfd__eq(r->path, r->path_len, cfd__routes[i].path))
            continue;
        c->endpoint = cfd__routes[i].endpoint;
        /* HEAD is GET without the body (conn.c drops it): health checks of
         * load balancers often use it. */
        int head_ok = cfd__routes[i].method == HTTP_GET && r->method == HTTP_HEAD;
        if (r->method != cfd__routes[i].method && !head_ok)
            cfd__not_allowed(c, r, cfd__routes[i].method == HTTP_GET ? "GET, HEAD" : "POST");
        else if (!cfd__coded_body(c, r))
            cfd__routes[i].fn(c, r);
        return;
    }
    if (cfd__plugin_route(c, r))
        return;
    c->endpoint = CFD_EP_OTHER;
    cfd__not_found(c, r);
}
