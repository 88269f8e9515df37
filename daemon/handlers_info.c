/*
 * The read-only endpoints: GET /v1/plugins, /healthz, /readyz, /metrics.
 * Each builds its body in the loop's scratch buffer and replies at once.
 */
#include "handlers.h"

void cfd_handle_healthz(cfd_conn *c, const cfd_http_request *r)
{
    static const char body[] = "{\"status\":\"ok\"}";
    cfd_reply_json(c, r, 200, body, sizeof(body) - 1, NULL);
}

void cfd_handle_readyz(cfd_conn *c, const cfd_http_request *r)
{
    static const char ok[] = "{\"ready\":true}";
    static const char no[] = "{\"ready\":false,\"reason\":\"at least one plugin has no model "
                             "loaded; see GET /v1/plugins and the daemon's log\"}";
    if (cfd_engine_ready(c->w->srv->engine))
        cfd_reply_json(c, r, 200, ok, sizeof(ok) - 1, NULL);
    else
        cfd_reply_json(c, r, 503, no, sizeof(no) - 1, "Retry-After: 1\r\n");
}

void cfd_handle_plugins(cfd_conn *c, const cfd_http_request *r)
{
    cfd_buf *b = &c->w->scratch;
    cfd_buf_reset(b);
    if (cfd_engine_plugins_json(c->w->srv->engine, b) != 0 || b->oom) {
        cfd_conn_error(c, r, 500, "internal_error", "could not list the plugins (out of memory)",
                       (size_t)-1, NULL, 0);
        return;
    }
    cfd_reply_json(c, r, 200, b->data, b->len, NULL);
}

void cfd_handle_metrics(cfd_conn *c, const cfd_http_request *r)
{
    cfd_buf *b = &c->w->scratch;
    cfd_buf_reset(b);
    if (cfd_server_render_metrics(c->w->srv, b) != 0 ||
        cfd_engine_metrics(c->w->srv->engine, b) != 0 || b->oom) {
        cfd_conn_error(c, r, 500, "internal_error", "could not render the metrics (out of memory)",
                       (size_t)-1, NULL, 0);
        return;
    }
    int keep = cfd_conn_keep_alive(c, r);
    size_t before = c->out.len;
    cfd_http_reply(&c->out, 200, "text/plain; version=0.0.4; charset=utf-8", b->data, b->len,
                   keep, NULL, c->w->date);
    cfd_conn_finish(c, 200, c->out.len - before);
    if (!keep)
        c->close_after = 1;
}
