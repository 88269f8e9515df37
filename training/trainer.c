/*
 * The training pipeline (see trainer.h): featurize once, then per training
 * subset compute IDF, weight the rows exactly as serving does, and hand them
 * to liblinear through linear.c.
 */
#include "trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void cfd_corpus_free(cfd_corpus *c)
{
    if (c == NULL)
        return;
    free(c->row);
    free(c->items);
    free(c->y);
    free(c);
}

cfd_featvec cfd_corpus_row(const cfd_corpus *c, size_t i)
{
    cfd_featvec v = {c->items + c->row[i], (uint32_t)(c->row[i + 1] - c->row[i])};
    return v;
}

int cfd_corpus_build(const cfd_dataset *ds, const cfd_feat_config *feat, cfd_progress *pr,
                     cfd_corpus **out, cfd_error *err)
{
    *out = NULL;
    int rc = cfd_feat_config_check(feat, err);
    if (rc != 0)
        return rc;
    cfd_featurizer *fz = NULL;
    cfd_corpus *c = calloc(1, sizeof(*c));
    if (c == NULL || (rc = cfd_featurizer_new(&fz)) != 0) {
        rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
        goto fail;
    }
    c->feat = *feat;
    c->n_buckets = 1u << feat->hash_bits;
    c->n = ds->n;
    c->n_labels = ds->n_labels;
    c->row = malloc((ds->n + 1) * sizeof(size_t));
    c->y = malloc(ds->n * sizeof(uint32_t));
    size_t cap = ds->n * 16 + 1024, used = 0;
    c->items = malloc(cap * sizeof(cfd_feature));
    if (c->row == NULL || c->y == NULL || c->items == NULL) {
        rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
        goto fail;
    }
    cfd_progress_start(pr, "featurizing", ds->n);
    for (size_t i = 0; i < ds->n; i++) {
        const cfd_example *e = &ds->ex[i];
        cfd_featvec v;
        rc = cfd_featurize_counts(fz, feat, e->title, e->title_len, e->body, e->body_len, &v,
                                  err);
        if (rc != 0) {
            cfd_error_prefix(err, "%s:%u", ds->path, e->line);
            goto fail;
        }
        if (used + v.n > cap) {
            size_t nc = cap * 2 > used + v.n ? cap * 2 : used + v.n;
            cfd_feature *p = realloc(c->items, nc * sizeof(cfd_feature));
            if (p == NULL) {
                rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
                goto fail;
            }
            c->items = p;
            cap = nc;
        }
        if (v.n)
            memcpy(c->items + used, v.items, v.n * sizeof(cfd_feature));
        c->row[i] = used;
        used += v.n;
        c->y[i] = e->label;
        if ((i & 1023) == 0)
            cfd_progress_update(pr, i);
    }
    c->row[ds->n] = used;
    cfd_progress_end(pr);
    cfd_featurizer_free(fz);
    *out = c;
    return 0;
fail:
    cfd_featurizer_free(fz);
    cfd_corpus_free(c);
    return rc;
}

int cfd_idf_compute(const cfd_corpus *c, const size_t *rows, size_t n_rows, float *idf)
{
    if (rows == NULL)
        n_rows = c->n;
    uint32_t *df = calloc(c->n_buckets, sizeof(uint32_t));
    if (df == NULL)
        return CFD_ENOMEM;
    for (size_t k = 0; k < n_rows; k++) {
        size_t i = rows ? rows[k] : k;
        for (size_t j = c->row[i]; j < c->row[i + 1]; j++)
            df[c->items[j].index]++;
    }
    double N = (double)n_rows;
    for (uint32_t b = 0; b < c->n_buckets; b++)
        idf[b] = (float)(log((1.0 + N) / (1.0 + df[b])) + 1.0);
    free(df);
    return 0;
}

void cfd_dense_free(cfd_dense *d)
{
    free(d->w);
    free(d->bias);
    free(d->idf);
    memset(d, 0, sizeof(*d));
}

int cfd_train_dense(const cfd_corpus *c, const size_t *rows, size_t n_rows,
                    const cfd_linear_params *p, cfd_progress *pr, cfd_dense *out,
                    cfd_error *err)
{
    memset(out, 0, sizeof(*out));
    if (rows == NULL)
        n_rows = c->n;
    int rc = 0;
    cfd_featurizer *fz = NULL;
    struct feature_node *pool = NULL, **x = NULL;
    uint32_t *y = NULL;
    out->n_buckets = c->n_buckets;
    out->n_labels = c->n_labels;
    if (c->feat.use_idf) {
        out->idf = malloc(c->n_buckets * sizeof(float));
        if (out->idf == NULL || cfd_idf_compute(c, rows, n_rows, out->idf) != 0)
            goto oom;
    }
    size_t total = 0;
    for (size_t k = 0; k < n_rows; k++) {
        size_t i = rows ? rows[k] : k;
        total += c->row[i + 1] - c->row[i] + 2;
    }
    pool = malloc(total * sizeof(*pool));
    x = malloc(n_rows * sizeof(*x));
    y = malloc(n_rows * sizeof(*y));
    out->w = calloc((size_t)c->n_buckets * c->n_labels, sizeof(float));
    out->bias = calloc(c->n_labels, sizeof(float));
    if (pool == NULL || x == NULL || y == NULL || out->w == NULL || out->bias == NULL ||
        cfd_featurizer_new(&fz) != 0)
        goto oom;
    struct feature_node *node = pool;
    for (size_t k = 0; k < n_rows; k++) {
        size_t i = rows ? rows[k] : k;
        cfd_featvec raw = cfd_corpus_row(c, i), v;
        if ((rc = cfd_feat_weight(fz, &c->feat, out->idf, &raw, &v)) != 0) {
            cfd_error_set(err, rc, (size_t)-1, "weighting example %zu failed: %s", i,
                          cfd_strerror(rc));
            goto fail;
        }
        x[k] = node;
        for (uint32_t j = 0; j < v.n; j++) {
            node->index = (int)v.items[j].index + 1;
            node->value = v.items[j].value;
            node++;
        }
        node->index = (int)c->n_buckets + 1; /* bias term, as liblinear's -B 1 */
        node->value = 1.0;
        node++;
        node->index = -1;
        node->value = 0;
        node++;
        y[k] = c->y[i];
    }
    rc = cfd_linear_train(x, y, n_rows, c->n_labels, c->n_buckets, p, pr, out->w, out->bias,
                          err);
    if (rc != 0)
        goto fail;
    cfd_featurizer_free(fz);
    free(pool);
    free(x);
    free(y);
    return 0;
oom:
    rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1,
                       "out of memory building the training problem (%zu rows, %u buckets, "
                       "%u labels); use fewer --buckets", n_rows, c->n_buckets, c->n_labels);
fail:
    cfd_featurizer_free(fz);
    free(pool);
    free(x);
    free(y);
    cfd_dense_free(out);
    return rc;
}

int cfd_dense_scores(const cfd_dense *d, const cfd_corpus *c, cfd_featurizer *fz, size_t i,
                     float *scores)
{
    cfd_featvec raw = cfd_corpus_row(c, i), v;
    int rc = cfd_feat_weight(fz, &c->feat, d->idf, &raw, &v);
    if (rc != 0)
        return rc;
    uint32_t k = d->n_labels;
    for (uint32_t l = 0; l < k; l++)
        scores[l] = d->bias[l];
    for (uint32_t j = 0; j < v.n; j++) {
        const float *row = d->w + (size_t)v.items[j].index * k;
        float x = v.items[j].value;
        for (uint32_t l = 0; l < k; l++)
            scores[l] += x * row[l];
    }
    return 0;
}

size_t cfd_dense_prune(cfd_dense *d, float eps)
{
    size_t n = (size_t)d->n_buckets * d->n_labels, dropped = 0;
    for (size_t i = 0; i < n; i++) {
        if (d->w[i] != 0.0f && fabsf(d->w[i]) < eps) {
            d->w[i] = 0.0f;
            dropped++;
        }
    }
    return dropped;
}

int cfd_dense_to_model(const cfd_dense *d, const char *name, const char *const *labels,
                       const cfd_feat_config *feat, float prob_scale, const cfd_model_meta *meta,
                       cfd_model **out, cfd_error *err)
{
    return cfd_model_from_dense(name, labels, d->n_labels, feat, d->w, d->bias, d->idf,
                                prob_scale, meta, out, err);
}
