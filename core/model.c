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
    free(m->idf_code);
    free(m->row_of);
    free(m->rows);
    free(m->packed);
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
