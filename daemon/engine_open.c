/*
 * The engine's start-up and shutdown: plugins from the plugin directory,
 * each plugin's configured model, the aggregation rules; and the two
 * loaders reload reuses (engine_admin.c). The per-article path is in
 * engine.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine_internal.h"
#include "json_prob.h"

void cfd__elog(cfd_engine *e, int level, const char *fmt, ...)
{
    if (e->log == NULL)
        return;
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    e->log(e->log_ud, level, msg);
}

typedef struct cfd__warn_ctx {
    cfd_engine *e;
    cfd_buf *json; /* the reply's "warnings" array being written, or NULL */
    unsigned n;
} cfd__warn_ctx;

/* Appends msg to the reply's "warnings" array, if one is being written. */
static void cfd__warn_json(cfd__warn_ctx *w, const char *msg)
{
    if (w->json) {
        if (w->n++)
            cfd_buf_putc(w->json, ',');
        cfd_json_text(w->json, msg);
    }
}

static void cfd__rules_warn(void *ud, const char *msg)
{
    cfd__warn_ctx *w = ud;
    cfd__elog(w->e, CFD_LOG_WARN, "aggregation rules: %s", msg);
    cfd__warn_json(w, msg);
}

/*
 * Models whose counting configs differ cost one featurization pass each per
 * article (featurize_cache.h), and featurizing is most of an article's cost.
 * A retrained model with other --buckets or n-gram options still serves
 * correctly, so this is a warning, not an error, and not counted as a rules
 * warning (--check-config's exit status is about the rules fitting); but an
 * editor swapping it in should hear of the cost, and of how to avoid it.
 */
static void cfd__check_featurization(cfd_engine *e, cfd_model_version *const *cur,
                                     cfd__warn_ctx *w)
{
    size_t first[CFD_ENGINE_MAX_PLUGINS], count[CFD_ENGINE_MAX_PLUGINS];
    size_t n_groups = 0;
    for (size_t i = 0; i < e->n; i++) {
        if (cur[i] == NULL || cur[i]->info.feat == NULL)
            continue;
        size_t g = 0;
        while (g < n_groups && cur[first[g]]->feat_hash != cur[i]->feat_hash)
            g++;
        if (g == n_groups) {
            first[g] = i;
            count[g] = 0;
            n_groups++;
        }
        count[g]++;
    }
    if (n_groups < 2)
        return;
    size_t main_g = 0; /* the config most models share (the first on a tie) */
    for (size_t g = 1; g < n_groups; g++)
        if (count[g] > count[main_g])
            main_g = g;
    cfd_buf m = CFD_BUF_INIT;
    cfd_buf_printf(&m, "featurization: the models count features in %zu different ways, so "
                       "every article is featurized %zu times instead of once (featurizing is "
                       "most of the cost of classifying an article):", n_groups, n_groups);
    cfd_buf others = CFD_BUF_INIT;
    for (size_t k = 0; k < n_groups; k++) {
        size_t g = k == 0 ? main_g : (k <= main_g ? k - 1 : k);
        cfd_buf_puts(&m, k ? "; " : " ");
        const char *sep = "";
        const uint64_t key = cur[first[g]]->feat_hash;
        for (size_t i = first[g]; i < e->n; i++) {
            if (cur[i] == NULL || cur[i]->info.feat == NULL || cur[i]->feat_hash != key)
                continue;
            cfd_buf_printf(&m, "%s%s", sep, e->pl[i].name);
            if (g != main_g)
                cfd_buf_printf(&others, "%s%s", others.len ? ", " : "", e->pl[i].name);
            sep = ", ";
        }
        char desc[200];
        cfd_feat_config_describe(cur[first[g]]->info.feat, 1, desc, sizeof desc);
        cfd_buf_printf(&m, ": %s", desc);
    }
    cfd_buf_printf(&m, "; to share one pass, train %s with the counting options of %s "
                       "(--buckets, --ngrams, --word-prefix, --char-min, --char-max, "
                       "--title-weight, --no-clean, --seed; models/MODELS.md)",
                   others.data ? others.data : "", e->pl[first[main_g]].name);
    if (!m.oom && m.data != NULL) {
        cfd__elog(e, CFD_LOG_WARN, "%s", m.data);
        cfd__warn_json(w, m.data);
    }
    cfd_buf_free(&m);
    cfd_buf_free(&others);
}

unsigned cfd__engine_check_rules(cfd_engine *e, cfd_buf *json)
{
    cfd__warn_ctx w = {e, json, 0};
    if (json)
        cfd_buf_puts(json, "\"warnings\":[");
    cfd__rules_obj *ro = (cfd__rules_obj *)cfd_rc_acquire(&e->rules);
    cfd_agg_result plugins[CFD_ENGINE_MAX_PLUGINS];
    cfd_model_version *cur[CFD_ENGINE_MAX_PLUGINS];
    for (size_t i = 0; i < e->n; i++) {
        cur[i] = cfd_registry_acquire(&e->pl[i].reg);
        plugins[i] = (cfd_agg_result){.plugin = e->pl[i].name,
                                      .labels = cur[i] ? cur[i]->info.labels : NULL,
                                      .n_labels = cur[i] ? cur[i]->info.n_labels : 0};
    }
    unsigned n = ro ? cfd_agg_check(ro->rules, plugins, e->n, cfd__rules_warn, &w) : 0;
    cfd__check_featurization(e, cur, &w);
    if (json)
        cfd_buf_putc(json, ']');
    for (size_t i = 0; i < e->n; i++)
        if (cur[i] != NULL)
            cfd_registry_release(&e->pl[i].reg, cur[i]);
    if (ro != NULL)
        cfd_rc_release(&e->rules, &ro->rc);
    atomic_store(&e->rule_warnings, n);
    return n;
}

static void cfd__rules_destroy(cfd_rc_obj *o)
{
    cfd_agg_free(((cfd__rules_obj *)o)->rules);
    free(o);
}

int cfd__engine_load_rules(cfd_engine *e, cfd_error *err)
{
    cfd_agg_rules *rules = NULL;
    int rc = e->aggregate_file ? cfd_agg_load(e->aggregate_file, &rules, err)
                               : cfd_agg_default(&rules, err);
    if (rc != 0) {
        atomic_fetch_add(&e->agg_loads_failed, 1);
        /* The message goes on to the user (start-up, admin reply): say
         * which file of the daemon's it is about. */
        cfd_error_prefix(err, "aggregation rules");
        cfd__elog(e, CFD_LOG_ERROR, "%s", err ? err->msg : cfd_strerror(rc));
        return rc;
    }
    cfd__rules_obj *o = cfd_rc_alloc(sizeof(*o), cfd__rules_destroy);
    if (o == NULL) {
        cfd_agg_free(rules);
        atomic_fetch_add(&e->agg_loads_failed, 1);
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
    }
    o->rules = rules;
    cfd_rc_unref(cfd_rc_exchange(&e->rules, &o->rc));
    atomic_fetch_add(&e->agg_loads_ok, 1);
    if (e->aggregate_file)
        cfd__elog(e, CFD_LOG_INFO, "aggregation rules loaded from %s", cfd_agg_source(rules));
    else /* a models directory set up without the shipped aggregate.conf */
        cfd__elog(e, CFD_LOG_WARN, "no aggregate.conf in the models directory %s: using the "
                  "built-in decision rules (no negative_tone or unfamiliar_script review); copy "
                  "models/aggregate.conf there or set aggregate = FILE", e->models_dir);
    return 0;
}

int cfd__engine_load_model(cfd_engine *e, size_t i, const char *model_file, int keep_rollback,
                           cfd_error *err)
{
    cfd__eplugin *pl = &e->pl[i];
    cfd_model_version *v;
    if (model_file == NULL)
        model_file = pl->model_file;
    if (model_file == NULL)
        return cfd_error_set(err, CFD_ENOENT, (size_t)-1,
                             "plugin %s names no default model; configure one (%s=FILE)",
                             pl->name, pl->name);
    int rc = cfd_registry_load(&pl->reg, model_file, &v, err);
    if (rc != 0) {
        cfd_model_version *cur = cfd_registry_acquire(&pl->reg);
        cfd__elog(e, CFD_LOG_ERROR, "plugin %s: model %s not loaded (%s), %s%s: %s", pl->name,
                  model_file, cfd_errname(rc),
                  cur ? "still serving version " : "no model to serve",
                  cur ? cur->version : "", err ? err->msg : "");
        if (cur)
            cfd_registry_release(&pl->reg, cur);
        return rc;
    }
    /* Reloading the file already served (SIGHUP with nothing changed) keeps
     * the current version: no second copy in memory, and rollback still
     * goes to the genuinely previous model. */
    cfd_model_version *cur = cfd_registry_acquire(&pl->reg);
    int same = cur != NULL && cfd_model_version_same(cur, v);
    if (cur != NULL)
        cfd_registry_release(&pl->reg, cur);
    if (same) {
        cfd__elog(e, CFD_LOG_INFO, "plugin %s: %s unchanged (checksum %s), keeping it",
                  pl->name, model_file, v->info.checksum);
        cfd_rc_unref(&v->rc);
        return 0;
    }
    if (keep_rollback && cfd_registry_rolled_back_from(&pl->reg, v)) {
        cfd__elog(e, CFD_LOG_WARN,
                  "plugin %s: %s holds version %s (checksum %s), the one it was rolled back "
                  "from; keeping the model rolled back to (put it live again by name: "
                  "classifyctl reload %s %s)", pl->name, model_file, v->version,
                  v->info.checksum, pl->name, model_file);
        cfd_rc_unref(&v->rc);
        return 0;
    }
    cfd__elog(e, CFD_LOG_INFO,
              "plugin %s: serving %s (version %s, checksum %s, %u labels), loaded in %u ms",
              pl->name, model_file, v->version, v->info.checksum, (unsigned)v->info.n_labels,
              (unsigned)v->load_ms);
    cfd_registry_publish(&pl->reg, v);
    return 0;
}

void cfd_engine_close(cfd_engine *e)
{
    if (e == NULL)
        return;
    if (e->n_workers != 0)
        cfd__elog(e, CFD_LOG_ERROR, "engine closed with %u workers alive (bug)", e->n_workers);
    for (size_t i = 0; e->pl != NULL && i < e->n; i++) {
        cfd_registry_destroy(&e->pl[i].reg);
        free(e->pl[i].model_file);
        free(e->pl[i].key_json);
    }
    cfd_rc_unref(cfd_rc_exchange(&e->rules, NULL));
    cfd_plugin_close_all(e->lps, e->n); /* after every model is unloaded */
    free(e->pl);
    free(e->models_dir);
    free(e->aggregate_file);
    pthread_mutex_destroy(&e->admin_lock);
    pthread_mutex_destroy(&e->workers_lock);
    free(e);
}

int cfd_engine_open(const cfd_engine_config *cfg, cfd_engine **out, cfd_error *err)
{
    int rc;
    *out = NULL;
    if (cfg->plugin_dir == NULL || cfg->models_dir == NULL)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "engine needs a plugin directory and a models directory");
    cfd_engine *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
    pthread_mutex_init(&e->admin_lock, NULL);
    pthread_mutex_init(&e->workers_lock, NULL);
    atomic_init(&e->rules.word, 0);
    e->log = cfg->log;
    e->log_ud = cfg->log_ud;
    e->models_dir = strdup(cfg->models_dir);
    if (cfg->aggregate_file != NULL) {
        e->aggregate_file = strdup(cfg->aggregate_file);
    } else {
        /* The shipped rules live next to the models (models/aggregate.conf). */
        char p[4096];
        struct stat st;
        if (snprintf(p, sizeof(p), "%s/aggregate.conf", cfg->models_dir) < (int)sizeof(p) &&
            stat(p, &st) == 0 && S_ISREG(st.st_mode))
            e->aggregate_file = strdup(p);
    }
    if (e->models_dir == NULL || (cfg->aggregate_file && e->aggregate_file == NULL)) {
        rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
        goto fail;
    }
    rc = cfd_plugin_open_all(cfg->plugin_dir, cfg->plugins, cfg->n_plugins, &e->lps, &e->n,
                             err);
    if (rc != 0)
        goto fail;
    if (e->n > CFD_ENGINE_MAX_PLUGINS) {
        rc = cfd_error_set(err, CFD_ETOOBIG, (size_t)-1,
                           "%zu plugins in %s; at most %d are supported", e->n,
                           cfg->plugin_dir, CFD_ENGINE_MAX_PLUGINS);
        goto fail;
    }
    e->pl = calloc(e->n, sizeof(*e->pl));
    if (e->pl == NULL) {
        rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < e->n; i++) {
        cfd__eplugin *pl = &e->pl[i];
        pl->p = e->lps[i].p;
        pl->name = pl->p->name;
        pl->name_len = strlen(pl->name);
        rc = cfd_registry_init(&pl->reg, pl->p, cfg->models_dir, err);
        if (rc != 0)
            goto fail;
        cfd_buf b = CFD_BUF_INIT;
        cfd_buf_json_str(&b, pl->name, pl->name_len);
        cfd_buf_putc(&b, ':');
        if (b.oom) {
            cfd_buf_free(&b);
            rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
            goto fail;
        }
        pl->key_json = b.data;
        pl->key_json_len = b.len;
        if (pl->p->default_model && pl->p->default_model[0]) {
            pl->model_file = strdup(pl->p->default_model);
            if (pl->model_file == NULL) {
                rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
                goto fail;
            }
        }
    }
    for (size_t k = 0; k < cfg->n_models; k++) {
        const cfd_engine_model_override *ov = &cfg->models[k];
        size_t i;
        for (i = 0; i < e->n; i++)
            if (!strcmp(e->pl[i].name, ov->plugin))
                break;
        if (i == e->n) {
            rc = cfd_error_set(err, CFD_ENOENT, (size_t)-1,
                               "a model is configured for plugin \"%.40s\", which is not loaded "
                               "(plugins come from %s)",
                               ov->plugin, cfg->plugin_dir);
            goto fail;
        }
        char *f = strdup(ov->model_file);
        if (f == NULL) {
            rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
            goto fail;
        }
        free(e->pl[i].model_file);
        e->pl[i].model_file = f;
    }
    rc = cfd__engine_load_rules(e, err);
    if (rc != 0)
        goto fail;
    /* A missing or broken model does not stop the daemon: it serves the
     * other plugins and /readyz says why it is not ready. */
    for (size_t i = 0; i < e->n; i++) {
        cfd_error lerr;
        cfd_error_clear(&lerr);
        (void)cfd__engine_load_model(e, i, NULL, 0, &lerr);
    }
    (void)cfd__engine_check_rules(e, NULL);
    *out = e;
    return 0;
fail:
    cfd_engine_close(e);
    cfd_error_fix_utf8(err);
    return rc;
}
