/*
 * The engine's private structures, shared by engine_open.c (start-up,
 * shutdown, loading models and rules), engine.c (workers, the per-article
 * path) and engine_admin.c (reload, rollback, GET /v1/plugins, metrics).
 * Nothing outside those files includes this.
 */
#ifndef CFD_ENGINE_INTERNAL_H
#define CFD_ENGINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "aggregate.h"
#include "engine.h"
#include "featurize_cache.h"
#include "model_registry.h"
#include "plugin_loader.h"

#define CFD_ENGINE_MAX_PLUGINS 32
/* Each worker holds at most one reference per slot; admin calls hold one
 * more. Keeps every slot's reader count under CFD_RC_MAX_HOLDERS. */
#define CFD_ENGINE_MAX_WORKERS 512

typedef struct cfd__eplugin {
    const struct cfd_plugin *p;
    const char *name;            /* p->name */
    size_t name_len;
    char *model_file;            /* configured model file (relative) or NULL */
    char *key_json;              /* "\"topic\":" */
    size_t key_json_len;
    cfd_model_registry reg;
} cfd__eplugin;

/* Aggregation rules published like a model version. */
typedef struct cfd__rules_obj {
    cfd_rc_obj rc;
    cfd_agg_rules *rules;
} cfd__rules_obj;

/* Per-worker counters: one writer (the worker), read by metrics. */
typedef struct cfd__counters {
    atomic_ullong articles;
    atomic_ullong featurizations;   /* cfd_featurize_counts calls */
    atomic_ullong weightings;       /* cfd_feat_weight calls */
    atomic_ullong plugin_ns[CFD_ENGINE_MAX_PLUGINS];
    atomic_ullong plugin_runs[CFD_ENGINE_MAX_PLUGINS];
    atomic_ullong plugin_errors[CFD_ENGINE_MAX_PLUGINS];
    atomic_ullong reviewed;                    /* decisions with review: true */
    atomic_ullong reasons[CFD_AGG_N_REASONS];  /* articles per review reason */
} cfd__counters;

struct cfd_engine {
    cfd_loaded_plugin *lps;
    size_t n;
    cfd__eplugin *pl;
    char *models_dir;
    char *aggregate_file;        /* NULL: built-in rules */
    cfd_rc_slot rules;           /* cfd__rules_obj */
    atomic_ullong agg_loads_ok, agg_loads_failed;
    atomic_uint rule_warnings;   /* from the last cfd__engine_check_rules */
    pthread_mutex_t admin_lock;  /* serialises reload / rollback */
    pthread_mutex_t workers_lock;
    cfd_engine_worker *workers;  /* list of live workers */
    unsigned n_workers;
    cfd__counters dead;          /* folded in from freed workers */
    cfd_log_fn log;
    void *log_ud;
};

struct cfd_engine_worker {
    cfd_engine *e;
    cfd_engine_worker *next, *prev;
    cfd_fcache fc;
    cfd__counters c;
    uint64_t fc_counts_seen, fc_weights_seen;
    float *probs;                              /* n * CFD_PLUGIN_MAX_LABELS */
    cfd_model_version *snap[CFD_ENGINE_MAX_PLUGINS];
    int rc[CFD_ENGINE_MAX_PLUGINS];
    int32_t detail[CFD_ENGINE_MAX_PLUGINS];
    uint8_t selected[CFD_ENGINE_MAX_PLUGINS];
    uint32_t order[CFD_ENGINE_MAX_PLUGINS];
    cfd_error errs[CFD_ENGINE_MAX_PLUGINS];
    cfd_agg_result agg[CFD_ENGINE_MAX_PLUGINS];
    cfd_agg_decision decision;
    float scratch[CFD_PLUGIN_MAX_LABELS];
    uint64_t letters[CFD_TOK_CLASSES]; /* the article's code points by class */
    uint16_t idx[CFD_PLUGIN_MAX_LABELS];
    /* The request's explanations (a->explain): per plugin, 0 none, 1 made
     * (ex, terms), or the negative code explain() failed with. */
    int explained[CFD_ENGINE_MAX_PLUGINS];
    cfd_plugin_explanation ex[CFD_ENGINE_MAX_PLUGINS];
    cfd_plugin_term terms[CFD_ENGINE_MAX_PLUGINS][2][CFD_PLUGIN_MAX_TERMS];
    struct cfd_ngram_names *names[CFD_ENGINE_MAX_PLUGINS]; /* borrowed, while writing */
};

void cfd__elog(cfd_engine *e, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Checks the rules in force against the plugins and their current models'
 * labels (cfd_agg_check), logging each problem as a warning; returns and
 * records the count. With json, also appends "warnings":[...] (the same
 * messages) to it. Any thread. */
unsigned cfd__engine_check_rules(cfd_engine *e, cfd_buf *json);

/* Loads the rules file (or the built-in rules) and publishes them. */
int cfd__engine_load_rules(cfd_engine *e, cfd_error *err);

/* Loads plugin i's model_file (NULL = configured) and publishes it. With
 * keep_rollback (a reload of everything: SIGHUP, POST /v1/reload), a plugin
 * rolled back keeps its model when the file now holds the very version it
 * was rolled back from (retrained in place under the same name): the
 * rollback is not undone by a signal sent for another reason. */
int cfd__engine_load_model(cfd_engine *e, size_t i, const char *model_file, int keep_rollback,
                           cfd_error *err);

#endif
