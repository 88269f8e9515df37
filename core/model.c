/*
 * The linear model in memory: building one from a dense weight matrix
 * (training), freeing it, and scoring (decision values, calibrated
 * probabilities, argmax). The file format is elsewhere (model_read.c,
 * model_write.c, model_file.c); the rules of a valid model are in
 * model_check.c.
 *
 * Scoring accumulates in double, as liblinear's predict_values does, so our
 * decision values match liblinear's on the same weights to float precision
 * (tests/core/test_model_export.c checks 1e-5).
 *
 * Two-label models and liblinear. For two classes liblinear keeps ONE weight
 * vector w (and bias b) and one decision value d = w.x + b; it predicts
 * label[0] when d > 0, else label[1], and its logistic regression gives
 * P(label[0]) = 1 / (1 + exp(-d)). We always keep one column per label, and
 * map a binary liblinear model to:
 *     column 0 (label[0]) = w, bias b      column 1 (label[1]) = 0, bias 0
 * so scores = (d, 0): scores[0] is exactly liblinear's decision value,
 * argmax agrees with liblinear (except at d == 0 exactly, where we pick the
 * first label and liblinear the second), and softmax((d, 0) * prob_scale)
 * = sigmoid(d * prob_scale), i.e. liblinear's own LR probability when
 * prob_scale = 1. cfd_model_export_liblinear writes the reverse mapping
 * (w = column 0 - column 1), which is exact for any two-column model.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "featurize.h"
#include "model_format.h"

void cfd_model_free(cfd_model *m)
{
    if (m == NULL)
        return;
    free(m->name);
    if (m->labels != NULL)
        for (uint32_t i = 0; i < m->n_labels; i++)
            free(m->labels[i]);
    free(m->labels);
    free(m->idf);
    free(m->row_of);
    free(m->rows);
    free(m->bias);
    free(m->meta.metrics_json);
    free(m->meta.notes);
    free(m);
}

static int cfd__row_is_zero(const float *w, uint32_t n)
{
    for (uint32_t c = 0; c < n; c++)
        if (w[c] != 0.0f)
            return 0;
    return 1;
}

int cfd_model_from_dense(const char *name, const char *const *labels, uint32_t n_labels,
                         const cfd_feat_config *feat, const float *w, const float *bias,
                         const float *idf, float prob_scale, const cfd_model_meta *meta,
                         cfd_model **out, cfd_error *err)
{
    int rc;
    cfd_model *m = NULL;
    *out = NULL;
    if (name == NULL || labels == NULL || feat == NULL || w == NULL || bias == NULL)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "cfd_model_from_dense: name, labels, feat, w and bias are required");
    if ((rc = cfd_model_check_text("model name", name, strlen(name), CFD_MAX_NAME_LEN, 0, 1,
                                   (size_t)-1, err)) != 0 ||
        (rc = cfd_model_check_labels(labels, n_labels, NULL, err)) != 0)
        return rc;
    if ((rc = cfd_feat_config_check(feat, err)) != 0)
        return rc; /* its message names the field */
    if (feat->use_idf != (idf != NULL))
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             feat->use_idf ? "featurizer config has use_idf = 1 but no IDF table "
                                             "was given"
                                           : "an IDF table was given but the featurizer config "
                                             "has use_idf = 0");
    if (!(cfd_f32_is_finite(prob_scale) && prob_scale > 0.0f))
        return cfd_error_set(err, CFD_ERANGE, (size_t)-1,
                             "prob_scale is %g; expected a finite value > 0", (double)prob_scale);
    if (meta != NULL && (rc = cfd_model_check_meta(meta, err)) != 0)
        return rc;

    uint32_t n_buckets = (uint32_t)1 << feat->hash_bits;
    uint32_t n_rows = 0;
    for (uint32_t b = 0; b < n_buckets; b++) {
        const float *row = w + (size_t)b * n_labels;
        for (uint32_t c = 0; c < n_labels; c++)
            if (!cfd_f32_is_finite(row[c]))
                return cfd_error_set(err, CFD_ERANGE, (size_t)-1,
                                     "weight of bucket %u, label %u is not finite", b, c);
        n_rows += !cfd__row_is_zero(row, n_labels);
    }
    for (uint32_t c = 0; c < n_labels; c++)
        if (!cfd_f32_is_finite(bias[c]))
            return cfd_error_set(err, CFD_ERANGE, (size_t)-1, "bias of label %u is not finite", c);
    if (idf != NULL)
        for (uint32_t b = 0; b < n_buckets; b++)
            if (!cfd_f32_is_finite(idf[b]) || idf[b] < 0.0f)
                return cfd_error_set(err, CFD_ERANGE, (size_t)-1,
                                     "idf[%u] is %g; expected a finite value >= 0", b,
                                     (double)idf[b]);

    m = calloc(1, sizeof(*m));
    if (m == NULL)
        goto oom;
    m->n_labels = n_labels;
    m->feat = *feat;
    m->n_buckets = n_buckets;
    m->n_rows = n_rows;
    m->prob_scale = prob_scale;
    if ((m->name = strdup(name)) == NULL ||
        (m->labels = calloc(n_labels, sizeof(*m->labels))) == NULL ||
        (m->bias = malloc(n_labels * sizeof(*m->bias))) == NULL ||
        (m->row_of = malloc(n_buckets * sizeof(*m->row_of))) == NULL ||
        (n_rows > 0 && (m->rows = malloc((size_t)n_rows * n_labels * sizeof(float))) == NULL))
        goto oom;
    for (uint32_t c = 0; c < n_labels; c++)
        if ((m->labels[c] = strdup(labels[c])) == NULL)
            goto oom;
    memcpy(m->bias, bias, n_labels * sizeof(*m->bias));
    if (idf != NULL) {
        if ((m->idf = malloc(n_buckets * sizeof(*m->idf))) == NULL)
            goto oom;
        memcpy(m->idf, idf, n_buckets * sizeof(*m->idf));
    }
    uint32_t r = 0;
    for (uint32_t b = 0; b < n_buckets; b++) {
        const float *row = w + (size_t)b * n_labels;
        if (cfd__row_is_zero(row, n_labels)) {
            m->row_of[b] = CFD_NO_ROW;
            continue;
        }
        memcpy(m->rows + (size_t)r * n_labels, row, n_labels * sizeof(float));
        m->row_of[b] = r++;
    }
    if (meta != NULL && cfd_model_meta_copy(&m->meta, meta) != 0)
        goto oom;
    *out = m;
    return 0;
oom:
    cfd_model_free(m);
    return cfd_error_set(err, CFD_ENOMEM, (size_t)-1,
                         "out of memory building model '%s' (%u buckets x %u labels)", name,
                         n_buckets, n_labels);
}

/*
 * Scoring is bound by memory, not arithmetic: an article's ~1,500 features
 * hit ~1,500 random entries of row_of (4 MB at 2^20 buckets) and then as
 * many rows, two dependent cache misses each, and the models are far bigger
 * than the caches of a shared machine. The loop therefore runs a software
 * pipeline: row_of of feature i + 2D is prefetched, the row of feature i + D
 * is looked up (its row_of entry arrived meanwhile) and prefetched, and
 * feature i is accumulated, so ~2D misses are in flight instead of one or
 * two. Row numbers looked up ahead wait in a small ring. Measure with
 * bench/bench_engine.c (figures in the commit messages of this loop).
 */
#define CFD__PF_DIST 32 /* power of two */

static inline uint32_t cfd__row(const cfd_model *m, uint32_t f)
{
    /* The contract says f < n_buckets; a vector made with another config
     * must not read out of bounds, so check (one predictable branch). */
    return f < m->n_buckets ? m->row_of[f] : CFD_NO_ROW;
}

/*
 * The pipelined loop, accumulating into acc[0..nl). Always inlined with a
 * constant nl for the common label counts (2..8: topic 7, section 8,
 * sentiment 3), so the per-label loop unrolls with acc in registers (about
 * 20% fewer instructions per article than the generic loop, callgrind);
 * other counts take the generic copy.
 */
static inline __attribute__((always_inline)) void
cfd__accumulate(const cfd_model *m, const cfd_featvec *x, double *restrict acc, const uint32_t nl)
{
    const uint32_t n = x->n;
    const cfd_feature *items = x->items;
    const size_t row_bytes = (size_t)nl * sizeof(float);
    uint32_t ring[CFD__PF_DIST];
    /* prologue: row_of of the first 2D features, rows of the first D */
    for (uint32_t i = 0; i < n && i < 2 * CFD__PF_DIST; i++)
        if (items[i].index < m->n_buckets)
            __builtin_prefetch(&m->row_of[items[i].index]);
    for (uint32_t i = 0; i < n && i < CFD__PF_DIST; i++) {
        uint32_t r = cfd__row(m, items[i].index);
        ring[i] = r;
        if (r != CFD_NO_ROW) {
            const char *w = (const char *)(m->rows + (size_t)r * nl);
            __builtin_prefetch(w);
            __builtin_prefetch(w + row_bytes - 1);
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        if (i + 2 * CFD__PF_DIST < n && items[i + 2 * CFD__PF_DIST].index < m->n_buckets)
            __builtin_prefetch(&m->row_of[items[i + 2 * CFD__PF_DIST].index]);
        uint32_t r = ring[i & (CFD__PF_DIST - 1)];
        if (i + CFD__PF_DIST < n) {
            uint32_t ra = cfd__row(m, items[i + CFD__PF_DIST].index);
            ring[i & (CFD__PF_DIST - 1)] = ra;
            if (ra != CFD_NO_ROW) {
                const char *w = (const char *)(m->rows + (size_t)ra * nl);
                __builtin_prefetch(w);
                __builtin_prefetch(w + row_bytes - 1);
            }
        }
        if (r == CFD_NO_ROW)
            continue;
        const float *w = m->rows + (size_t)r * nl;
        double v = items[i].value;
        for (uint32_t c = 0; c < nl; c++)
            acc[c] += v * w[c];
    }
}

#define CFD__ACC_K(K)                                                                        \
    case K: {                                                                                \
        double a[K];                                                                         \
        for (uint32_t c = 0; c < K; c++)                                                     \
            a[c] = acc[c];                                                                   \
        cfd__accumulate(m, x, a, K);                                                         \
        for (uint32_t c = 0; c < K; c++)                                                     \
            acc[c] = a[c];                                                                   \
        break;                                                                               \
    }

void cfd_model_scores(const cfd_model *m, const cfd_featvec *x, float *scores)
{
    const uint32_t nl = m->n_labels;
    double acc[CFD_MAX_LABELS];
    for (uint32_t c = 0; c < nl; c++)
        acc[c] = m->bias[c];
    switch (nl) {
        CFD__ACC_K(2)
        CFD__ACC_K(3)
        CFD__ACC_K(4)
        CFD__ACC_K(5)
        CFD__ACC_K(6)
        CFD__ACC_K(7)
        CFD__ACC_K(8)
    default:
        cfd__accumulate(m, x, acc, nl);
    }
    /* Finite weights can still sum past FLT_MAX (a model file with weights
     * near 3e38 is valid); an infinite score would make the probabilities
     * NaN (inf - inf), so saturate instead (tests/core/test_model_regress.c). */
    for (uint32_t c = 0; c < nl; c++)
        scores[c] = (float)(acc[c] > FLT_MAX ? FLT_MAX : acc[c] < -FLT_MAX ? -FLT_MAX : acc[c]);
}
#undef CFD__ACC_K

void cfd_model_probs(const cfd_model *m, const float *scores, float *probs)
{
    const uint32_t nl = m->n_labels;
    const double t = m->prob_scale;
    /* Subtracting the maximum keeps every exponent <= 0: no overflow, and
     * the largest term is exactly 1, so the sum is never 0. */
    double mx = -HUGE_VAL;
    for (uint32_t c = 0; c < nl; c++)
        if (scores[c] * t > mx)
            mx = scores[c] * t;
    double sum = 0.0;
    double e[CFD_MAX_LABELS];
    for (uint32_t c = 0; c < nl; c++) {
        e[c] = exp(scores[c] * t - mx);
        sum += e[c];
    }
    for (uint32_t c = 0; c < nl; c++)
        probs[c] = (float)(e[c] / sum);
}

uint32_t cfd_argmax(const float *v, uint32_t n)
{
    uint32_t best = 0;
    for (uint32_t i = 1; i < n; i++)
        if (v[i] > v[best])
            best = i;
    return best;
}
