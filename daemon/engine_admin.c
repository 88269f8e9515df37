/*
 * The engine's administrative side: reload and rollback of model versions
 * (and of the aggregation rules), GET /v1/plugins, readiness and the
 * engine's Prometheus lines. Everything here is off the per-article path;
 * reload and rollback are serialised by admin_lock and never block readers
 * (publication is one atomic exchange, see model_registry.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "json_prob.h"

unsigned cfd_engine_rule_warnings(cfd_engine *e) { return atomic_load(&e->rule_warnings); }

int cfd_engine_ready(cfd_engine *e)
{
    for (size_t i = 0; i < e->n; i++)
        if (atomic_load_explicit(&e->pl[i].reg.current.word, memory_order_relaxed) == 0)
            return 0;
    return 1;
}

static int cfd__find_plugin(cfd_engine *e, const char *name, cfd_error *err)
{
    for (size_t i = 0; i < e->n; i++)
        if (!strcmp(e->pl[i].name, name))
            return (int)i;
    return cfd_error_set(err, CFD_ENOENT, (size_t)-1,
                         "unknown plugin \"%.40s\" (GET /v1/plugins lists them)", name);
}

/* {"plugin":"x","model":{..}|null,"previous":{..}|null[,"error":{..}]} */
static void cfd__outcome(cfd_engine *e, size_t i, int rc, const cfd_error *err, cfd_buf *out)
{
    cfd__eplugin *pl = &e->pl[i];
    cfd_buf_puts(out, "{\"plugin\":");
    cfd_buf_json_str(out, pl->name, pl->name_len);
    pthread_mutex_lock(&pl->reg.lock);
    cfd_model_version *cur = cfd_registry_acquire(&pl->reg);
    cfd_buf_puts(out, ",\"model\":");
    cfd_model_version_json(cur, out);
    cfd_buf_puts(out, ",\"previous\":");
    cfd_model_version_json(pl->reg.previous, out);
    if (cur != NULL)
        cfd_registry_release(&pl->reg, cur);
    pthread_mutex_unlock(&pl->reg.lock);
    if (rc != 0) {
        const char *msg = err && err->msg[0] ? err->msg : cfd_strerror(rc);
        cfd_buf_puts(out, ",\"error\":{\"code\":\"");
        cfd_buf_puts(out, cfd_errname(rc));
        cfd_buf_puts(out, "\",\"message\":");
        cfd_json_text(out, msg);
        cfd_buf_putc(out, '}');
    }
    cfd_buf_putc(out, '}');
}

/* Checks the rules against the plugins as they now are (labels may have
 * changed with a model, or the rules with the file), and puts the
 * warnings, if result holds a reply object, into it as "warnings":[...]:
 * an editor swapping a model learns there that it turned a rule off. */
static void cfd__check_into(cfd_engine *e, cfd_buf *result)
{
    if (result == NULL || result->len == 0 || result->data[result->len - 1] != '}') {
        (void)cfd__engine_check_rules(e, NULL);
        return;
    }
    result->len--; /* reopen the reply object */
    cfd_buf_putc(result, result->data[result->len - 1] == '{' ? ' ' : ',');
    (void)cfd__engine_check_rules(e, result);
    cfd_buf_putc(result, '}');
}

size_t cfd_engine_reply_sans_warnings(const char *json, size_t len)
{
    /* A '"' inside a JSON string is escaped, so the pattern can only be the
     * member cfd__check_into put there. */
    static const char key[] = "\"warnings\":[";
    for (size_t i = 1; json != NULL && i + sizeof key - 1 <= len; i++)
        if (json[i] == '"' && memcmp(json + i, key, sizeof key - 1) == 0 &&
            (json[i - 1] == ',' || json[i - 1] == ' '))
            return i - 1;
    return len;
}

int cfd_engine_reload(cfd_engine *e, const char *plugin, const char *model_file,
                      cfd_buf *result, cfd_error *err)
{
    cfd_error local;
    if (err == NULL)
        err = &local;
    cfd_error_clear(err);
    pthread_mutex_lock(&e->admin_lock);
    int rc;
    if (plugin != NULL) {
        int i = cfd__find_plugin(e, plugin, err);
        if (i < 0) {
            rc = i;
            goto out;
        }
        rc = cfd__engine_load_model(e, (size_t)i, model_file, 0, err);
        if (result)
            cfd__outcome(e, (size_t)i, rc, err, result);
        goto out;
    }
    /* Everything: each plugin's model file, then the rules. The first
     * failure is returned; the others are still attempted. */
    rc = 0;
    if (result)
        cfd_buf_puts(result, "{\"plugins\":[");
    for (size_t i = 0; i < e->n; i++) {
        cfd_error perr;
        cfd_error_clear(&perr);
        /* Re-read the file each plugin serves now (the configured one when
         * it has none): a model put live with POST /v1/plugins/{name}/model
         * must survive the SIGHUP an editor sends after changing the rules. */
        cfd_model_version *cur = cfd_registry_acquire(&e->pl[i].reg);
        char *file = cur ? strdup(cur->file) : NULL;
        if (cur)
            cfd_registry_release(&e->pl[i].reg, cur);
        int prc = cur != NULL && file == NULL
                      ? cfd_error_set(&perr, CFD_ENOMEM, (size_t)-1, "out of memory")
                      : cfd__engine_load_model(e, i, file, 1, &perr);
        free(file);
        if (prc != 0 && rc == 0) {
            rc = prc;
            *err = perr;
        }
        if (result) {
            if (i)
                cfd_buf_putc(result, ',');
            cfd__outcome(e, i, prc, &perr, result);
        }
    }
    cfd_error rerr;
    cfd_error_clear(&rerr);
    int rrc = cfd__engine_load_rules(e, &rerr);
    if (rrc != 0 && rc == 0) {
        rc = rrc;
        *err = rerr;
    }
    if (result) {
        cfd__rules_obj *ro = (cfd__rules_obj *)cfd_rc_acquire(&e->rules);
        const char *src = ro ? cfd_agg_source(ro->rules) : "";
        cfd_buf_puts(result, "],\"aggregate\":{\"source\":");
        cfd_buf_json_str(result, src, strlen(src));
        if (ro)
            cfd_rc_release(&e->rules, &ro->rc);
        if (rrc != 0) {
            cfd_buf_puts(result, ",\"error\":{\"code\":\"");
            cfd_buf_puts(result, cfd_errname(rrc));
            cfd_buf_puts(result, "\",\"message\":");
            cfd_json_text(result, rerr.msg);
            cfd_buf_putc(result, '}');
        }
        cfd_buf_puts(result, "}}");
    }
out:
    cfd__check_into(e, result);
    pthread_mutex_unlock(&e->admin_lock);
    if (rc != 0)
        cfd_error_fix_utf8(err);
    return rc;
}

int cfd_engine_rollback(cfd_engine *e, const char *plugin, cfd_buf *result, cfd_error *err)
{
    pthread_mutex_lock(&e->admin_lock);
    int rc = cfd__find_plugin(e, plugin, err);
    if (rc >= 0) {
        size_t i = (size_t)rc;
        rc = cfd_registry_rollback(&e->pl[i].reg, err);
        if (rc == 0) {
            cfd_model_version *cur = cfd_registry_acquire(&e->pl[i].reg);
            cfd__elog(e, CFD_LOG_INFO, "plugin %s: rolled back to %s (version %s)",
                      e->pl[i].name, cur->file, cur->version);
            cfd_registry_release(&e->pl[i].reg, cur);
        }
        if (result)
            cfd__outcome(e, i, rc, err, result);
        cfd__check_into(e, result);
    }
    pthread_mutex_unlock(&e->admin_lock);
    if (rc != 0)
        cfd_error_fix_utf8(err);
    return rc;
}

int cfd_engine_plugins_json(cfd_engine *e, cfd_buf *out)
{
    cfd_buf_puts(out, "{\"plugins\":[");
    for (size_t i = 0; i < e->n; i++) {
        cfd__eplugin *pl = &e->pl[i];
        const char *desc = pl->p->description ? pl->p->description : "";
        if (i)
            cfd_buf_putc(out, ',');
        cfd_buf_puts(out, "{\"name\":");
        cfd_buf_json_str(out, pl->name, pl->name_len);
        cfd_buf_puts(out, ",\"description\":");
        cfd_buf_json_str(out, desc, strlen(desc));
        /* whether "explain" gets a "why" from it (ABI 1.1 explain()) */
        cfd_buf_puts(out, cfd_plugin_explain_fn(pl->p) ? ",\"explains\":true" : ",\"explains\":false");
        cfd_buf_puts(out, ",\"configured_model\":");
        if (pl->model_file)
            cfd_buf_json_str(out, pl->model_file, strlen(pl->model_file));
        else
            cfd_buf_puts(out, "null");
        cfd_buf_putc(out, ',');
        cfd_registry_describe(&pl->reg, out);
        cfd_buf_putc(out, '}');
    }
    cfd__rules_obj *ro = (cfd__rules_obj *)cfd_rc_acquire(&e->rules);
    const char *src = ro ? cfd_agg_source(ro->rules) : "";
    cfd_buf_puts(out, "],\"aggregate\":{\"source\":");
    cfd_buf_json_str(out, src, strlen(src));
    cfd_buf_puts(out, "}}");
    if (ro)
        cfd_rc_release(&e->rules, &ro->rc);
    return out->oom ? CFD_ENOMEM : 0;
}

/* Sums a counter over the freed workers and the live ones. */
#define CFD__SUM(e, field, total)                                                  \
    do {                                                                            \
        (total) = atomic_load_explicit(&(e)->dead.field, memory_order_relaxed);     \
        for (cfd_engine_worker *w_ = (e)->workers; w_; w_ = w_->next)               \
            (total) += atomic_load_explicit(&w_->c.field, memory_order_relaxed);    \
    } while (0)

int cfd_engine_metrics(cfd_engine *e, cfd_buf *out)
{
    unsigned long long v;
    pthread_mutex_lock(&e->workers_lock);
    CFD__SUM(e, articles, v);
    cfd_buf_printf(out, "# HELP classifyd_articles_total Articles classified.\n"
                        "# TYPE classifyd_articles_total counter\n"
                        "classifyd_articles_total %llu\n", v);
    /* Workers count on without the lock: a review counted after the
     * articles were summed must not make the difference wrap. */
    unsigned long long articles = v, reviewed;
    CFD__SUM(e, reviewed, reviewed);
    cfd_buf_printf(out, "# HELP classifyd_decisions_total Articles classified, by whether the "
                        "decision sends them to an editor.\n"
                        "# TYPE classifyd_decisions_total counter\n"
                        "classifyd_decisions_total{review=\"false\"} %llu\n"
                        "classifyd_decisions_total{review=\"true\"} %llu\n",
                   articles > reviewed ? articles - reviewed : 0, reviewed);
    cfd_buf_puts(out, "# HELP classifyd_review_reasons_total Articles sent to review, by reason "
                      "(one article can have several).\n"
                      "# TYPE classifyd_review_reasons_total counter\n");
    for (int k = 0; k < CFD_AGG_N_REASONS; k++) {
        CFD__SUM(e, reasons[k], v);
        cfd_buf_printf(out, "classifyd_review_reasons_total{reason=\"%s\"} %llu\n",
                       cfd_agg_reason_name(k), v);
    }
    CFD__SUM(e, featurizations, v);
    cfd_buf_printf(out, "# HELP classifyd_featurizations_total Texts featurized (once per "
                        "article and distinct featurizer config).\n"
                        "# TYPE classifyd_featurizations_total counter\n"
                        "classifyd_featurizations_total %llu\n", v);
    CFD__SUM(e, weightings, v);
    cfd_buf_printf(out, "# HELP classifyd_feature_weightings_total Feature vectors weighted "
                        "(once per article and distinct featurizer config + IDF table).\n"
                        "# TYPE classifyd_feature_weightings_total counter\n"
                        "classifyd_feature_weightings_total %llu\n", v);
    cfd_buf_puts(out, "# HELP classifyd_plugin_seconds_total Time spent in each plugin's "
                      "classify().\n# TYPE classifyd_plugin_seconds_total counter\n");
    for (size_t i = 0; i < e->n; i++) {
        CFD__SUM(e, plugin_ns[i], v);
        cfd_buf_printf(out, "classifyd_plugin_seconds_total{plugin=\"%s\"} %.6f\n",
                       e->pl[i].name, (double)v / 1e9);
    }
    cfd_buf_puts(out, "# HELP classifyd_plugin_errors_total Articles a plugin failed on.\n"
                      "# TYPE classifyd_plugin_errors_total counter\n");
    for (size_t i = 0; i < e->n; i++) {
        CFD__SUM(e, plugin_errors[i], v);
        cfd_buf_printf(out, "classifyd_plugin_errors_total{plugin=\"%s\"} %llu\n",
                       e->pl[i].name, v);
    }
    pthread_mutex_unlock(&e->workers_lock);
    cfd_buf_puts(out, "# HELP classifyd_model_loads_total Model loads by plugin and result.\n"
                      "# TYPE classifyd_model_loads_total counter\n");
    for (size_t i = 0; i < e->n; i++) {
        cfd_model_registry *r = &e->pl[i].reg;
        cfd_buf_printf(out,
                       "classifyd_model_loads_total{plugin=\"%s\",result=\"ok\"} %llu\n"
                       "classifyd_model_loads_total{plugin=\"%s\",result=\"error\"} %llu\n",
                       e->pl[i].name, atomic_load(&r->loads_ok), e->pl[i].name,
                       atomic_load(&r->loads_failed));
    }
    cfd_buf_puts(out, "# HELP classifyd_models_loaded Model versions in memory (current, "
                      "previous, and retired ones still finishing requests).\n"
                      "# TYPE classifyd_models_loaded gauge\n");
    for (size_t i = 0; i < e->n; i++)
        cfd_buf_printf(out, "classifyd_models_loaded{plugin=\"%s\"} %lld\n", e->pl[i].name,
                       atomic_load(&e->pl[i].reg.live_versions));
    cfd_buf_printf(out,
                   "# HELP classifyd_aggregate_loads_total Aggregation rule loads by result.\n"
                   "# TYPE classifyd_aggregate_loads_total counter\n"
                   "classifyd_aggregate_loads_total{result=\"ok\"} %llu\n"
                   "classifyd_aggregate_loads_total{result=\"error\"} %llu\n",
                   atomic_load(&e->agg_loads_ok), atomic_load(&e->agg_loads_failed));
    return out->oom ? CFD_ENOMEM : 0;
}
