/*
 * The classification engine: the daemon's plugins, their current models, the
 * aggregation rules, and the function that turns one article into one reply
 * object. The network side (server.c, http.c, handlers) knows nothing about
 * plugins or models; it decodes requests into cfd_article and hands them here.
 *
 * Model versions. For each plugin the engine keeps the current model version
 * and the previous one (for rollback). A request takes a snapshot of every
 * plugin's current version when it starts (one atomic reference each) and is
 * scored entirely by that snapshot; a reload publishes a new version
 * atomically; an old version is unloaded when its last user releases it.
 *
 * Threads:
 *   cfd_engine_open/close        main thread, before loops start / after
 *                                they stop.
 *   cfd_engine_worker_*          each worker (event-loop) thread owns one
 *                                cfd_engine_worker; classify with it from
 *                                that thread only.
 *   cfd_engine_classify          any thread, with its own worker; many at once.
 *   cfd_engine_reload/rollback   blocking (reads files, runs plugin load()):
 *                                never on an event loop thread; call from
 *                                uv_queue_work or a signal-handling thread.
 *                                Serialised internally (one at a time).
 *   cfd_engine_plugins_json,
 *   cfd_engine_metrics,
 *   cfd_engine_ready             any thread, cheap, lock-free reads or a
 *                                short internal lock.
 */
#ifndef CFD_ENGINE_H
#define CFD_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include <classifyd/error.h>

#include "buf.h"

typedef struct cfd_engine cfd_engine;
typedef struct cfd_engine_worker cfd_engine_worker;

/* Log levels for the engine's log callback (same numbers as syslog). */
enum cfd_log_level { CFD_LOG_ERROR = 3, CFD_LOG_WARN = 4, CFD_LOG_INFO = 6, CFD_LOG_DEBUG = 7 };

typedef void (*cfd_log_fn)(void *ud, int level, const char *msg);

/* One plugin -> model file override from the config ("section=section-v2.cfdm"). */
typedef struct cfd_engine_model_override {
    const char *plugin;
    const char *model_file;        /* relative to models_dir */
} cfd_engine_model_override;

typedef struct cfd_engine_config {
    const char *plugin_dir;        /* plugins are loaded only from here */
    const char *models_dir;        /* model paths must resolve inside it */
    const char *const *plugins;    /* names to load; NULL = every *.so in plugin_dir */
    size_t n_plugins;
    const cfd_engine_model_override *models;
    size_t n_models;
    const char *aggregate_file;    /* decision rules; NULL = <models_dir>/aggregate.conf
                                      if that file exists, else built-in defaults */
    cfd_log_fn log;                /* may be NULL; called from any thread */
    void *log_ud;                  /* kept: must outlive the engine */
} cfd_engine_config;
/* cfd_engine_open copies every string it keeps: the config (but log_ud)
 * may be freed once it returns. */

/*
 * Loads plugins and their models. A plugin whose model fails to load is
 * kept (the daemon serves, /readyz says not ready) and the error is logged;
 * a plugin that fails its ABI check is an error (returns CFD_EVERSION), as
 * is any other plugin that cannot be loaded (see plugin_loader.h), a
 * missing models directory, a model configured for an unknown plugin
 * (CFD_ENOENT) or a broken aggregation rules file (CFD_EFORMAT, file:line).
 */
int cfd_engine_open(const cfd_engine_config *cfg, cfd_engine **out, cfd_error *err);
void cfd_engine_close(cfd_engine *e);

/* CFD_ENOMEM, or CFD_EBUSY beyond 512 workers (the model registry's
 * lock-free reader count bounds concurrent holders). */
int cfd_engine_worker_new(cfd_engine *e, cfd_engine_worker **out);
void cfd_engine_worker_free(cfd_engine_worker *w);

/* One article. Strings need not be NUL-terminated; all are valid UTF-8. */
typedef struct cfd_article {
    const char *id;          /* may be NULL (then no "id" in the reply) */
    size_t id_len;
    const char *title;
    size_t title_len;
    const char *body;
    size_t body_len;
    const char *const *plugins; /* subset of plugins to run; NULL = all */
    const size_t *plugin_lens;
    size_t n_plugins;
    uint32_t explain;        /* 0, or 1..CFD_PLUGIN_MAX_TERMS: explain each
                                plugin's label with that many features a side */
} cfd_article;

/*
 * Appends the reply object for one article to out:
 *   {"id":..., "results": {"topic": {"label":..., "probs": [{"label":..,"p":..},
 *    ...] sorted by p desc, "model": {"name","version","checksum"}
 *    [, "detail": N] [, "why": {...}]}, ...},
 *    "decision": {"section":..., "probability":..., "review": bool,
 *    "reasons": [...]}, "took_us": N}
 * Returns 0; CFD_ENOENT if a requested plugin does not exist (err names it);
 * CFD_EINVAL if a plugin list is given but empty; CFD_EEMPTY if title and
 * body are both blank; CFD_EBUSY if a requested plugin has no model;
 * CFD_ENOMEM (out could not grow: out->oom is then set). On error nothing
 * is appended (out->len is what it was) and err->msg is valid UTF-8. The
 * text is not validated again: the worker's featurizer trusts it
 * (featurize_cache.h), so text that is not UTF-8 gives unspecified
 * features, not CFD_EUTF8. A plugin that fails on this article (a
 * featurizer error such as CFD_ETOOBIG included) is reported inside its
 * result ("error": {...}) and does not fail the article. A warm worker
 * allocates nothing here, except for "why": with a->explain, each plugin
 * that can explain (ABI 1.1 explain(), a featurizer config) gets a "why"
 * object (docs/PROTOCOL.md), whose features are named by re-reading the
 * article's n-grams (core/ngrams.h), which allocates; an explanation that
 * fails is reported inside "why" and does not fail the article.
 */
int cfd_engine_classify(cfd_engine_worker *w, const cfd_article *a, cfd_buf *out,
                        cfd_error *err);

/* 1 when every plugin has a model. */
int cfd_engine_ready(cfd_engine *e);

/* Warnings the last check of the aggregation rules against the plugins and
 * their models logged (a plugin not running, a label no model has); 0 when
 * the rules and the models agree. Any thread. */
unsigned cfd_engine_rule_warnings(cfd_engine *e);

/* Appends {"plugins": [...]} for GET /v1/plugins. */
int cfd_engine_plugins_json(cfd_engine *e, cfd_buf *out);

/* Appends Prometheus text lines (per-plugin time, articles, model loads and
 * failures) for GET /metrics. */
int cfd_engine_metrics(cfd_engine *e, cfd_buf *out);

/*
 * Loads `model_file` (relative to models_dir; NULL = the configured one) for
 * `plugin` (NULL = every plugin, each the file it serves now, so a model put
 * live by name survives a reload of everything; the configured file for a
 * plugin with no model) and publishes it
 * on success; on any failure the old model keeps serving. Reloading the file
 * already served, unchanged (same checksum), keeps the current version.
 * Also re-reads the aggregation rules when plugin is NULL.
 *
 * Appends to result (may be NULL):
 *   one plugin:  {"plugin":"section","model":{..}|null,"previous":{..}|null
 *                 [,"error":{"code","message"}]}   (model = what now serves)
 *   all plugins: {"plugins":[<one plugin>,...],"aggregate":{"source":..
 *                 [,"error":{..}]}}
 * Returns 0, or (the first) failure, with err saying what and where:
 *   CFD_ENOENT     no such plugin, or no such model file
 *   CFD_EPERM      the path is absolute, has "..", or resolves outside the
 *                  models directory
 *   CFD_EINVAL     empty file name, or not a regular file
 *   CFD_EMISMATCH  the model was built for another plugin
 *   CFD_EFORMAT, CFD_ECHECKSUM, CFD_EVERSION, CFD_ETRUNC, CFD_ERANGE,
 *   CFD_EUTF8, CFD_EEMPTY, CFD_ETOOBIG   the file is not a usable model
 *                  (or rules file)
 *   CFD_EIO, CFD_ENOMEM  the machine's fault
 */
int cfd_engine_reload(cfd_engine *e, const char *plugin, const char *model_file,
                      cfd_buf *result, cfd_error *err);

/* Makes the previous version current again (and the current one previous).
 * CFD_ENOENT: no such plugin; CFD_EEMPTY: it has no previous version (the
 * admin API answers 409 no_previous_model). result as for
 * a one-plugin reload. */
int cfd_engine_rollback(cfd_engine *e, const char *plugin, cfd_buf *result,
                        cfd_error *err);

/* For logging a reload/rollback reply: the length of json[0..len) before
 * its "warnings" member (which the engine has logged one by one already),
 * or len when it has none. The member is the reply object's last, so
 * json[0..n) + "}" is the reply without it. */
size_t cfd_engine_reply_sans_warnings(const char *json, size_t len);

#endif
