/*
 * The classification engine's per-worker state and per-article path:
 * snapshot, featurize once per distinct config, run the plugins, aggregate,
 * write the reply JSON straight into the caller's buffer. Start-up and
 * shutdown are in engine_open.c; reload, rollback, GET /v1/plugins and
 * metrics in engine_admin.c.
 *
 * The per-article path allocates nothing once a worker is warm: probability
 * buffers, sort indexes, error slots and the featurizer scratch belong to
 * the worker; reply JSON is appended to the caller's reusable cfd_buf; the
 * model identity and label strings are pre-rendered JSON in each version.
 * The one exception is an article that asks for explanations ("explain"):
 * naming their features (core/ngrams.c) allocates, on that article only.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_internal.h"
#include "explain.h"
#include "json_prob.h"
#include "ngrams.h"

static inline uint64_t cfd__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Single-writer counter: a plain load and store, atomic only so that the
 * metrics reader never sees a torn value. */
static inline void cfd__bump(atomic_ullong *c, unsigned long long d)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + d,
                          memory_order_relaxed);
}

/* ---- workers ---- */

int cfd_engine_worker_new(cfd_engine *e, cfd_engine_worker **out)
{
    *out = NULL;
    cfd_engine_worker *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return CFD_ENOMEM;
    w->e = e;
    w->probs = calloc(e->n ? e->n : 1, CFD_PLUGIN_MAX_LABELS * sizeof(float));
    if (w->probs == NULL || cfd_fcache_init(&w->fc) != 0) {
        cfd_fcache_free(&w->fc);
        free(w->probs);
        free(w);
        return CFD_ENOMEM;
    }
    pthread_mutex_lock(&e->workers_lock);
    if (e->n_workers >= CFD_ENGINE_MAX_WORKERS) {
        pthread_mutex_unlock(&e->workers_lock);
        cfd_fcache_free(&w->fc);
        free(w->probs);
        free(w);
        return CFD_EBUSY;
    }
    w->next = e->workers;
    if (e->workers)
        e->workers->prev = w;
    e->workers = w;
    e->n_workers++;
    pthread_mutex_unlock(&e->workers_lock);
    *out = w;
    return 0;
}

static void cfd__fold(cfd__counters *dst, const cfd__counters *src)
{
#define F(x) atomic_fetch_add(&dst->x, atomic_load(&src->x))
    F(articles);
    F(featurizations);
    F(weightings);
    for (int i = 0; i < CFD_ENGINE_MAX_PLUGINS; i++) {
        F(plugin_ns[i]);
        F(plugin_runs[i]);
        F(plugin_errors[i]);
    }
    F(reviewed);
    for (int i = 0; i < CFD_AGG_N_REASONS; i++)
        F(reasons[i]);
#undef F
}

void cfd_engine_worker_free(cfd_engine_worker *w)
{
    if (w == NULL)
        return;
    cfd_engine *e = w->e;
    pthread_mutex_lock(&e->workers_lock);
    cfd__fold(&e->dead, &w->c);
    if (w->prev)
        w->prev->next = w->next;
    else
        e->workers = w->next;
    if (w->next)
        w->next->prev = w->prev;
    e->n_workers--;
    pthread_mutex_unlock(&e->workers_lock);
    cfd_fcache_free(&w->fc);
    free(w->probs);
    free(w);
}

/* ---- one article ---- */

/* Blank: only ASCII white space, U+00A0 or U+3000. */
static int cfd__blank(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        if (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r' || p[i] == '\f' ||
            p[i] == '\v') {
            i++;
        } else if (i + 1 < n && p[i] == 0xC2 && p[i + 1] == 0xA0) {
            i += 2;
        } else if (i + 2 < n && p[i] == 0xE3 && p[i + 1] == 0x80 && p[i + 2] == 0x80) {
            i += 3;
        } else {
            return 0;
        }
    }
    return 1;
}

/* Plugins with equal featurizer configs and IDF tables next to each other,
 * raw-text plugins last (see featurize_cache.h). */
static int cfd__order_before(const cfd_model_version *a, const cfd_model_version *b)
{
    if ((a->info.feat == NULL) != (b->info.feat == NULL))
        return a->info.feat != NULL;
    if (a->info.feat == NULL)
        return 0;
    if (a->feat_hash != b->feat_hash)
        return a->feat_hash < b->feat_hash;
    uint32_t wa = (uint32_t)a->info.feat->sublinear_tf | (uint32_t)a->info.feat->use_idf << 1 |
                  (uint32_t)a->info.feat->l2_normalize << 2;
    uint32_t wb = (uint32_t)b->info.feat->sublinear_tf | (uint32_t)b->info.feat->use_idf << 1 |
                  (uint32_t)b->info.feat->l2_normalize << 2;
    if (wa != wb)
        return wa < wb;
    return a->idf_key < b->idf_key;
}

/* Sorts idx[0..n) by probs descending, label order on ties. Shell sort with
 * Ciura's gaps: in place, no allocation, plain insertion sort for the usual
 * handful of labels. */
static void cfd__sort_probs(uint16_t *idx, const float *p, uint32_t n)
{
    static const uint32_t gaps[] = {701, 301, 132, 57, 23, 10, 4, 1};
    for (uint32_t i = 0; i < n; i++)
        idx[i] = (uint16_t)i;
    for (size_t g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++) {
        uint32_t gap = gaps[g];
        for (uint32_t i = gap; i < n; i++) {
            uint16_t t = idx[i];
            uint32_t j = i;
            while (j >= gap && (p[idx[j - gap]] < p[t] ||
                                (p[idx[j - gap]] == p[t] && idx[j - gap] > t))) {
                idx[j] = idx[j - gap];
                j -= gap;
            }
            idx[j] = t;
        }
    }
}

static void cfd__release_all(cfd_engine_worker *w)
{
    cfd_engine *e = w->e;
    for (size_t i = 0; i < e->n; i++) {
        if (w->snap[i] != NULL) {
            cfd_registry_release(&e->pl[i].reg, w->snap[i]);
            w->snap[i] = NULL;
        }
    }
}

static int cfd__select(cfd_engine_worker *w, const cfd_article *a, cfd_error *err)
{
    cfd_engine *e = w->e;
    if (a->plugins == NULL) {
        memset(w->selected, 1, e->n);
        return 0;
    }
    memset(w->selected, 0, e->n);
    if (a->n_plugins == 0)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "\"plugins\" is empty; omit it to run every plugin");
    for (size_t k = 0; k < a->n_plugins; k++) {
        const char *name = a->plugins[k];
        size_t len = a->plugin_lens ? a->plugin_lens[k] : strlen(name);
        size_t i;
        for (i = 0; i < e->n; i++)
            if (e->pl[i].name_len == len && memcmp(e->pl[i].name, name, len) == 0)
                break;
        if (i == e->n)
            return cfd_error_set(err, CFD_ENOENT, (size_t)-1,
                                 "unknown plugin \"%.*s\" (GET /v1/plugins lists them)",
                                 (int)cfd_utf8_prefix(name, len, 64), name);
        w->selected[i] = 1;
    }
    return 0;
}

/*
 * Asks plugin i why its most probable label beat the next one (the
 * request's "explain"), into w->ex[i] and w->terms[i]; w->explained[i] is
 * then 1, or the error. Checks what the plugin wrote as classify()'s
 * probabilities are checked: counts within the room given, finite numbers,
 * features inside the model's buckets.
 */
static void cfd__explain(cfd_engine_worker *w, size_t i, const cfd_model_version *v,
                         const cfd_plugin_input *in, uint32_t n)
{
    int (*fn)(const void *, const cfd_plugin_input *, cfd_plugin_explanation *) =
        cfd_plugin_explain_fn(w->e->pl[i].p);
    const float *p = w->probs + i * CFD_PLUGIN_MAX_LABELS;
    const uint32_t best = cfd_argmax(p, v->info.n_labels); /* the reply's label */
    if (fn == NULL || !(p[best] > 0))
        return; /* cannot explain, or abstained */
    if (n > CFD_PLUGIN_MAX_TERMS) /* the room in w->terms (article.c caps it too) */
        n = CFD_PLUGIN_MAX_TERMS;
    cfd_plugin_explanation *ex = &w->ex[i];
    memset(ex, 0, sizeof(*ex));
    ex->label = best;
    ex->rival = cfd_explain_runner_up(p, v->info.n_labels, best);
    ex->max_terms = n;
    ex->for_label = w->terms[i][0];
    ex->for_rival = w->terms[i][1];
    int rc = fn(v->model, in, ex);
    if (rc == 0) {
        const uint32_t nb = (uint32_t)1 << v->info.feat->hash_bits;
        int ok = ex->n_for <= n && ex->n_against <= n && isfinite(ex->margin) &&
                 isfinite(ex->bias);
        for (uint32_t k = 0; ok && k < ex->n_for; k++)
            ok = ex->for_label[k].feature < nb && isfinite(ex->for_label[k].share);
        for (uint32_t k = 0; ok && k < ex->n_against; k++)
            ok = ex->for_rival[k].feature < nb && isfinite(ex->for_rival[k].share);
        if (!ok)
            rc = CFD_ERANGE;
    } else if (rc > 0) {
        rc = CFD_EINVAL;
    }
    w->explained[i] = rc == 0 ? 1 : rc;
}

/* Runs the selected plugins in featurization order. */
static int cfd__run(cfd_engine_worker *w, const cfd_article *a, size_t n_sel, cfd_error *err)
{
    cfd_engine *e = w->e;
    cfd_fcache_begin(&w->fc, a->title, a->title_len, a->body, a->body_len);
    for (size_t k = 0; k < n_sel; k++) {
        uint32_t i = w->order[k];
        const cfd_model_version *v = w->snap[i];
        cfd_plugin_input in = {a->title, a->title_len, a->body, a->body_len, NULL};
        w->detail[i] = -1;
        w->explained[i] = 0;
        if (v->info.feat != NULL) {
            const cfd_featvec *fv;
            int rc = cfd_fcache_get(&w->fc, v->info.feat, v->info.idf, v->idf_key, &fv,
                                    &w->errs[i]);
            if (rc == CFD_EUTF8) { /* the article's fault, not the plugin's */
                if (err)
                    *err = w->errs[i];
                return rc;
            }
            if (rc != 0) {
                w->rc[i] = rc;
                cfd__bump(&w->c.plugin_errors[i], 1);
                continue;
            }
            in.features = fv;
        }
        cfd_plugin_output po = {w->probs + (size_t)i * CFD_PLUGIN_MAX_LABELS,
                                v->info.n_labels, -1};
        /* A slot the plugin leaves unwritten must not show the previous
         * article's value: NaN fails the [0,1] check below. */
        for (uint32_t l = 0; l < v->info.n_labels; l++)
            po.probs[l] = __builtin_nanf("");
        uint64_t t0 = cfd__now_ns();
        int rc = e->pl[i].p->classify(v->model, &in, &po);
        cfd__bump(&w->c.plugin_ns[i], cfd__now_ns() - t0);
        cfd__bump(&w->c.plugin_runs[i], 1);
        if (rc == 0) {
            for (uint32_t l = 0; l < v->info.n_labels; l++)
                if (!(po.probs[l] >= 0.0f && po.probs[l] <= 1.0f)) {
                    rc = cfd_error_set(&w->errs[i], CFD_ERANGE, (size_t)-1,
                                       "plugin %s returned probability %g for label %u, "
                                       "outside [0,1] (plugin bug)",
                                       e->pl[i].name, (double)po.probs[l], (unsigned)l);
                    break;
                }
        } else {
            if (rc > 0)
                rc = CFD_EINVAL;
            cfd_error_set(&w->errs[i], rc, (size_t)-1, "plugin %s failed on this article: %s",
                          e->pl[i].name, cfd_strerror(rc));
        }
        w->rc[i] = rc;
        w->detail[i] = po.detail;
        if (rc != 0)
            cfd__bump(&w->c.plugin_errors[i], 1);
        else if (a->explain && in.features != NULL)
            cfd__explain(w, i, v, &in, a->explain);
    }
    cfd__bump(&w->c.featurizations, w->fc.n_counts - w->fc_counts_seen);
    cfd__bump(&w->c.weightings, w->fc.n_weights - w->fc_weights_seen);
    w->fc_counts_seen = w->fc.n_counts;
    w->fc_weights_seen = w->fc.n_weights;
    return 0;
}

/* Label l of version v as a JSON string (pre-rendered in v->labels_json). */
static void cfd__put_label(cfd_buf *out, const cfd_model_version *v, uint32_t l)
{
    cfd_buf_append(out, v->labels_json + v->label_off[l], v->label_off[l + 1] - v->label_off[l]);
}

/* One side of "why": [{"ngram":...,"kind":...,"share":...}, ...]. */
static void cfd__write_terms(cfd_buf *out, const cfd_plugin_term *t, uint32_t n,
                             const cfd_ngram_names *nn)
{
    cfd_buf_putc(out, '[');
    for (uint32_t k = 0; k < n; k++) {
        const char *kind, *text;
        uint32_t others;
        int more;
        cfd_buf_puts(out, k ? ",{\"ngram\":" : "{\"ngram\":");
        if (nn != NULL && cfd_ngram_names_parts(nn, t[k].feature, &kind, &text, &others, &more)) {
            cfd_buf_json_str(out, text, strlen(text));
            cfd_buf_puts(out, ",\"kind\":\"");
            cfd_buf_puts(out, kind);
            cfd_buf_putc(out, '"');
            if (others) {
                cfd_buf_puts(out, ",\"others\":");
                cfd_json_uint(out, others);
            }
        } else { /* no n-gram of this text hashes there (a plugin's own
                  * features?): the number, so it can still be looked up */
            cfd_buf_puts(out, "null,\"feature\":");
            cfd_json_uint(out, t[k].feature);
        }
        cfd_buf_puts(out, ",\"share\":");
        cfd_buf_json_float(out, t[k].share);
        cfd_buf_putc(out, '}');
    }
    cfd_buf_putc(out, ']');
}

/*
 * Names the features of every explanation by the article's n-grams: one
 * pass over the text per counting config (core/ngrams.h), shared by the
 * plugins that count alike (the default models all do), instead of one per
 * plugin. groups[] receives the objects to free after the reply is
 * written; w->names[i] points to plugin i's. This is the part of "explain"
 * that allocates and re-reads the text. Out of memory leaves features
 * unnamed (the reply then gives their numbers), never the reply broken.
 */
static size_t cfd__name_features(cfd_engine_worker *w, const cfd_article *a,
                                 cfd_ngram_names **groups)
{
    cfd_engine *e = w->e;
    const cfd_feat_config *feat[CFD_ENGINE_MAX_PLUGINS];
    size_t n = 0;
    cfd_error err;
    for (size_t i = 0; i < e->n; i++) {
        w->names[i] = NULL;
        if (!w->selected[i] || w->explained[i] != 1)
            continue;
        const cfd_feat_config *f = w->snap[i]->info.feat;
        size_t g = 0;
        while (g < n && !cfd_feat_config_counts_equal(feat[g], f))
            g++;
        if (g == n) {
            if (cfd_ngram_names_new(f, &groups[n], &err) != 0)
                continue;
            feat[n++] = f;
        }
        const cfd_plugin_explanation *ex = &w->ex[i];
        for (uint32_t k = 0; k < ex->n_for; k++)
            (void)cfd_ngram_names_want(groups[g], ex->for_label[k].feature);
        for (uint32_t k = 0; k < ex->n_against; k++)
            (void)cfd_ngram_names_want(groups[g], ex->for_rival[k].feature);
        w->names[i] = groups[g];
    }
    for (size_t g = 0; g < n; g++)
        (void)cfd_ngram_names_add(groups[g], a->title, a->title_len, a->body, a->body_len, &err);
    return n;
}

/*
 * "why" of plugin i: {"label","over","margin","bias","for":[...],
 * "against":[...]}, the features named by w->names[i]; or {"error": {...}}.
 */
static void cfd__write_why(cfd_engine_worker *w, size_t i, cfd_buf *out)
{
    const cfd_model_version *v = w->snap[i];
    const cfd_plugin_explanation *ex = &w->ex[i];
    cfd_buf_puts(out, ",\"why\":{");
    if (w->explained[i] < 0) {
        cfd_buf_puts(out, "\"error\":{\"code\":\"");
        cfd_buf_puts(out, cfd_errname(w->explained[i]));
        cfd_buf_puts(out, "\",\"message\":");
        char msg[160];
        snprintf(msg, sizeof(msg), "plugin %s could not explain this article: %s",
                 w->e->pl[i].name, cfd_strerror(w->explained[i]));
        cfd_json_text(out, msg);
        cfd_buf_puts(out, "}}");
        return;
    }
    cfd_buf_puts(out, "\"label\":");
    cfd__put_label(out, v, ex->label);
    cfd_buf_puts(out, ",\"over\":");
    if (ex->rival < v->info.n_labels)
        cfd__put_label(out, v, ex->rival);
    else
        cfd_buf_puts(out, "null");
    cfd_buf_puts(out, ",\"margin\":");
    cfd_buf_json_float(out, ex->margin);
    cfd_buf_puts(out, ",\"bias\":");
    cfd_buf_json_float(out, ex->bias);
    cfd_buf_puts(out, ",\"for\":");
    cfd__write_terms(out, ex->for_label, ex->n_for, w->names[i]);
    cfd_buf_puts(out, ",\"against\":");
    cfd__write_terms(out, ex->for_rival, ex->n_against, w->names[i]);
    cfd_buf_putc(out, '}');
}

static void cfd__write_result(cfd_engine_worker *w, size_t i, cfd_buf *out)
{
    const cfd_model_version *v = w->snap[i];
    if (w->rc[i] != 0) {
        const cfd_error *pe = &w->errs[i];
        cfd_buf_puts(out, "{\"error\":{\"code\":\"");
        cfd_buf_puts(out, cfd_errname(w->rc[i]));
        cfd_buf_puts(out, "\",\"message\":");
        cfd_json_text(out, pe->msg);
        cfd_buf_puts(out, "},\"model\":");
        cfd_buf_append(out, v->model_json, v->model_json_len);
        cfd_buf_putc(out, '}');
        return;
    }
    const float *p = w->probs + i * CFD_PLUGIN_MAX_LABELS;
    uint32_t n = v->info.n_labels;
    cfd__sort_probs(w->idx, p, n);
    cfd_buf_puts(out, "{\"label\":");
    if (p[w->idx[0]] > 0)
        cfd__put_label(out, v, w->idx[0]);
    else
        cfd_buf_puts(out, "null"); /* abstained (e.g. no rule matched) */
    cfd_buf_puts(out, ",\"probs\":[");
    for (uint32_t k = 0; k < n; k++) {
        uint16_t l = w->idx[k];
        cfd_buf_puts(out, k ? ",{\"label\":" : "{\"label\":");
        cfd__put_label(out, v, l);
        cfd_buf_puts(out, ",\"p\":");
        cfd_json_prob(out, p[l]);
        cfd_buf_putc(out, '}');
    }
    cfd_buf_puts(out, "],\"model\":");
    cfd_buf_append(out, v->model_json, v->model_json_len);
    if (w->detail[i] >= 0) {
        cfd_buf_puts(out, ",\"detail\":");
        cfd_json_uint(out, (unsigned long long)w->detail[i]);
    }
    if (w->explained[i] != 0)
        cfd__write_why(w, i, out);
    cfd_buf_putc(out, '}');
}

int cfd_engine_classify(cfd_engine_worker *w, const cfd_article *a, cfd_buf *out,
                        cfd_error *err)
{
    uint64_t t0 = cfd__now_ns();
    cfd_engine *e = w->e;
    size_t mark = out->len;
    size_t n_sel = 0;
    int rc;

    if (cfd__blank(a->title, a->title_len) && cfd__blank(a->body, a->body_len))
        return cfd_error_set(err, CFD_EEMPTY, (size_t)-1,
                             "the article has no text: title and body are both empty");
    rc = cfd__select(w, a, err);
    if (rc != 0)
        return rc; /* its message cuts the name on a character boundary */

    /* Snapshot: one reference per plugin, held until the reply is written. */
    for (size_t i = 0; i < e->n; i++) {
        if (!w->selected[i])
            continue;
        w->snap[i] = cfd_registry_acquire(&e->pl[i].reg);
        if (w->snap[i] == NULL) {
            cfd__release_all(w);
            return cfd_error_set(err, CFD_EBUSY, (size_t)-1,
                                 "plugin %s has no model loaded yet (GET /v1/plugins shows "
                                 "its last load error)",
                                 e->pl[i].name);
        }
        w->rc[i] = 0;
        /* insertion into the featurization order */
        size_t k = n_sel++;
        while (k > 0 && cfd__order_before(w->snap[i], w->snap[w->order[k - 1]])) {
            w->order[k] = w->order[k - 1];
            k--;
        }
        w->order[k] = (uint32_t)i;
    }
    cfd__rules_obj *rules = (cfd__rules_obj *)cfd_rc_acquire(&e->rules);

    rc = cfd__run(w, a, n_sel, err);
    if (rc != 0)
        goto done;

    size_t n_agg = 0;
    for (size_t i = 0; i < e->n; i++) {
        if (!w->selected[i])
            continue;
        const cfd_model_version *v = w->snap[i];
        w->agg[n_agg++] = (cfd_agg_result){
            e->pl[i].name, v->info.labels, v->info.n_labels,
            w->rc[i] == 0 ? w->probs + i * CFD_PLUGIN_MAX_LABELS : NULL};
    }
    /* The letters the models read (markup and bylines removed), from the
     * featurization the model plugins shared; none if only raw-text plugins
     * ran, and then no script check. */
    const uint64_t *letters = NULL;
    if (cfd_agg_wants_letters(rules->rules) && cfd_fcache_letters(&w->fc, w->letters))
        letters = w->letters;
    cfd_agg_decide(rules->rules, w->agg, n_agg, letters, w->scratch, &w->decision);

    cfd_buf_putc(out, '{');
    if (a->id != NULL) {
        cfd_buf_puts(out, "\"id\":");
        cfd_buf_json_str(out, a->id, a->id_len);
        cfd_buf_putc(out, ',');
    }
    cfd_ngram_names *groups[CFD_ENGINE_MAX_PLUGINS];
    size_t n_groups = a->explain ? cfd__name_features(w, a, groups) : 0;
    cfd_buf_puts(out, "\"results\":{");
    int first = 1;
    for (size_t i = 0; i < e->n; i++) {
        if (!w->selected[i])
            continue;
        if (!first)
            cfd_buf_putc(out, ',');
        first = 0;
        cfd_buf_append(out, e->pl[i].key_json, e->pl[i].key_json_len);
        cfd__write_result(w, i, out);
    }
    for (size_t g = 0; g < n_groups; g++)
        cfd_ngram_names_free(groups[g]);
    cfd_buf_puts(out, "},\"decision\":");
    cfd_agg_decision_json(&w->decision, out);
    cfd_buf_puts(out, ",\"took_us\":");
    cfd_json_uint(out, (cfd__now_ns() - t0) / 1000);
    cfd_buf_putc(out, '}');
    if (out->oom)
        rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory writing the reply");
    else {
        cfd__bump(&w->c.articles, 1);
        if (w->decision.review)
            cfd__bump(&w->c.reviewed, 1);
        for (int k = 0; k < CFD_AGG_N_REASONS; k++)
            if (w->decision.codes & (1u << k))
                cfd__bump(&w->c.reasons[k], 1);
    }
done:
    if (rules != NULL)
        cfd_rc_release(&e->rules, &rules->rc);
    cfd__release_all(w);
    if (rc != 0) { /* also after CFD_ENOMEM: no partial reply (out->oom stays set) */
        out->len = mark;
        if (out->data)
            out->data[mark] = '\0';
    }
    if (rc != 0)
        cfd_error_fix_utf8(err);
    return rc;
}
