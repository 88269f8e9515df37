/*
 * Stratified K-fold cross-validation and the C grid search (see cv.h).
 */
#include "cv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workers.h"

/* splitmix64: small, well mixed, and the same on every platform. */
static uint64_t cfd__splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int cfd_cv_folds(const uint32_t *y, size_t n, uint32_t n_labels, uint32_t k, uint32_t seed,
                 uint32_t *fold)
{
    if (k < 2 || k > n || k > CFD_CV_MAX_FOLDS)
        return CFD_EINVAL;
    size_t *idx = malloc(n * sizeof(size_t));
    if (idx == NULL)
        return CFD_ENOMEM;
    uint32_t start = 0;
    for (uint32_t c = 0; c < n_labels; c++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (y[i] == c)
                idx[m++] = i;
        uint64_t state = ((uint64_t)seed << 32) ^ (0xC0FFEEull + c);
        for (size_t i = m; i > 1; i--) { /* Fisher-Yates */
            size_t j = (size_t)(cfd__splitmix(&state) % i);
            size_t t = idx[i - 1];
            idx[i - 1] = idx[j];
            idx[j] = t;
        }
        for (size_t i = 0; i < m; i++)
            fold[idx[i]] = (uint32_t)((start + i) % k);
        start = (uint32_t)((start + m) % k);
    }
    free(idx);
    return 0;
}

int cfd_cv_folds_grouped(const uint32_t *y, size_t n, uint32_t n_labels, uint32_t k,
                         uint32_t seed, const uint32_t *group, uint32_t *fold)
{
    if (group == NULL)
        return cfd_cv_folds(y, n, n_labels, k, seed, fold);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += group[i] == i;
    uint32_t *gy = calloc(m ? m : 1, sizeof(*gy)), *gf = calloc(m ? m : 1, sizeof(*gf));
    uint32_t *slot = malloc((n ? n : 1) * sizeof(*slot));
    int rc = CFD_ENOMEM;
    if (gy == NULL || gf == NULL || slot == NULL)
        goto out;
    m = 0;
    for (size_t i = 0; i < n; i++) {
        if (group[i] > i || group[group[i]] != group[i]) {
            rc = CFD_EINVAL;
            goto out;
        }
        if (group[i] == i) {
            slot[i] = (uint32_t)m;
            gy[m++] = y[i];
        }
    }
    if ((rc = cfd_cv_folds(gy, m, n_labels, k, seed, gf)) != 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        fold[i] = gf[slot[group[i]]];
out:
    free(gy);
    free(gf);
    free(slot);
    return rc;
}

void cfd_cv_result_free(cfd_cv_result *r)
{
    free(r->fold_macro_f1);
    free(r->fold_accuracy);
    free(r->scores);
    cfd_metrics_free(&r->pooled);
    memset(r, 0, sizeof(*r));
}

/* One fold as a task for cfd_run_tasks: train without it, score it into the
 * shared score matrix. */
typedef struct cfd__cv_ctx {
    const cfd_corpus *c;
    cfd_linear_params p;
    const uint32_t *fold;
    float *scores; /* shared: n * n_labels */
} cfd__cv_ctx;

static int cfd__fold_task(void *ctx, unsigned f, cfd_error *err)
{
    const cfd__cv_ctx *cv = ctx;
    const cfd_corpus *c = cv->c;
    size_t *rows = malloc(c->n * sizeof(size_t)), m = 0;
    cfd_featurizer *fz = NULL;
    if (rows == NULL || cfd_featurizer_new(&fz) != 0) {
        free(rows);
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
    }
    for (size_t i = 0; i < c->n; i++)
        if (cv->fold[i] != f)
            rows[m++] = i;
    cfd_dense d;
    int rc = cfd_train_dense(c, rows, m, &cv->p, NULL, &d, err);
    for (size_t i = 0; rc == 0 && i < c->n; i++) {
        if (cv->fold[i] != f)
            continue;
        if ((rc = cfd_dense_scores(&d, c, fz, i, cv->scores + i * c->n_labels)) != 0)
            cfd_error_set(err, rc, (size_t)-1, "scoring example %zu failed", i);
    }
    if (rc == 0)
        cfd_dense_free(&d);
    cfd_featurizer_free(fz);
    free(rows);
    return rc;
}

int cfd_cv_run(const cfd_corpus *c, const cfd_linear_params *p, uint32_t k,
               const uint32_t *fold, int keep_scores, cfd_progress *pr, cfd_cv_result *out,
               cfd_error *err)
{
    memset(out, 0, sizeof(*out));
    double t0 = cfd_now();
    const uint32_t L = c->n_labels;
    const size_t bytes = c->n * L * sizeof(float);
    int rc;
    cfd_metrics fm = {0};
    /* Folds run in parallel, each training its classes in turn: better
     * balanced than classes in parallel (two labels are one class). */
    cfd__cv_ctx ctx = {c, *p, fold, cfd_shared_alloc(bytes)};
    ctx.p.jobs = 1;
    out->k = k;
    out->c = p->c;
    out->fold_macro_f1 = calloc(k, sizeof(double));
    out->fold_accuracy = calloc(k, sizeof(double));
    if (keep_scores)
        out->scores = malloc(bytes ? bytes : 1);
    if (ctx.scores == NULL || out->fold_macro_f1 == NULL || out->fold_accuracy == NULL ||
        (keep_scores && out->scores == NULL) || cfd_metrics_init(&out->pooled, L) != 0 ||
        cfd_metrics_init(&fm, L) != 0) {
        rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
        goto fail;
    }
    cfd_progress_start(pr, "cross-validation folds", k);
    if ((rc = cfd_run_tasks(k, p->jobs, cfd__fold_task, &ctx, "fold", pr, err)) != 0)
        goto fail;
    cfd_progress_end(pr);
    for (uint32_t f = 0; f < k; f++) {
        memset(fm.confusion, 0, (size_t)L * L * sizeof(uint64_t));
        fm.n = 0;
        for (size_t i = 0; i < c->n; i++)
            if (fold[i] == f)
                cfd_metrics_add(&fm, c->y[i], cfd_argmax(ctx.scores + i * L, L));
        cfd_metrics_finish(&fm);
        out->fold_macro_f1[f] = fm.macro_f1;
        out->fold_accuracy[f] = fm.accuracy;
        cfd_metrics_merge(&out->pooled, &fm);
        cfd_progress_note(pr, "fold %u/%u (C=%g): macro-F1 %.4f, accuracy %.4f on %llu", f + 1,
                          k, p->c, fm.macro_f1, fm.accuracy, (unsigned long long)fm.n);
    }
    cfd_metrics_finish(&out->pooled);
    if (keep_scores)
        memcpy(out->scores, ctx.scores, bytes);
    double sum = 0, sum_acc = 0, sq = 0;
    for (uint32_t f = 0; f < k; f++) {
        sum += out->fold_macro_f1[f];
        sum_acc += out->fold_accuracy[f];
    }
    out->mean_macro_f1 = sum / k;
    out->mean_accuracy = sum_acc / k;
    for (uint32_t f = 0; f < k; f++)
        sq += (out->fold_macro_f1[f] - out->mean_macro_f1) *
              (out->fold_macro_f1[f] - out->mean_macro_f1);
    out->sd_macro_f1 = k > 1 ? sqrt(sq / (k - 1)) : 0.0;
    out->seconds = cfd_now() - t0;
    rc = 0;
    goto done;
fail:
    cfd_cv_result_free(out);
done:
    cfd_metrics_free(&fm);
    cfd_shared_free(ctx.scores, bytes);
    return rc;
}

static void cfd__json_array(cfd_buf *b, const double *v, uint32_t n)
{
    cfd_buf_putc(b, '[');
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            cfd_buf_putc(b, ',');
        cfd_buf_json_float(b, v[i]);
    }
    cfd_buf_putc(b, ']');
}

int cfd_cv_result_json(const cfd_cv_result *r, const char *const *labels, int with_time,
                       cfd_buf *b)
{
    cfd_buf_printf(b, "{\"folds\":%u,\"c\":", r->k);
    cfd_buf_json_float(b, r->c);
    cfd_buf_puts(b, ",\"mean_macro_f1\":");
    cfd_buf_json_float(b, r->mean_macro_f1);
    cfd_buf_puts(b, ",\"sd_macro_f1\":");
    cfd_buf_json_float(b, r->sd_macro_f1);
    cfd_buf_puts(b, ",\"mean_accuracy\":");
    cfd_buf_json_float(b, r->mean_accuracy);
    cfd_buf_puts(b, ",\"fold_macro_f1\":");
    cfd__json_array(b, r->fold_macro_f1, r->k);
    cfd_buf_puts(b, ",\"fold_accuracy\":");
    cfd__json_array(b, r->fold_accuracy, r->k);
    cfd_buf_puts(b, ",\"pooled\":");
    cfd_metrics_json(&r->pooled, labels, b);
    if (with_time) {
        cfd_buf_puts(b, ",\"seconds\":");
        cfd_buf_json_float(b, r->seconds);
    }
    cfd_buf_putc(b, '}');
    return b->oom ? CFD_ENOMEM : 0;
}

int cfd_cv_grid(const cfd_corpus *c, const cfd_linear_params *p, const double *grid,
                size_t n_grid, uint32_t k, const uint32_t *fold, cfd_progress *pr,
                cfd_cv_result *results, size_t *best, cfd_error *err)
{
    *best = 0;
    for (size_t g = 0; g < n_grid; g++) {
        cfd_linear_params q = *p;
        q.c = grid[g];
        int rc = cfd_cv_run(c, &q, k, fold, 0, pr, &results[g], err);
        if (rc != 0) {
            for (size_t j = 0; j < g; j++)
                cfd_cv_result_free(&results[j]);
            return rc;
        }
        const cfd_cv_result *r = &results[g], *b = &results[*best];
        if (r->mean_macro_f1 > b->mean_macro_f1 ||
            (r->mean_macro_f1 == b->mean_macro_f1 && r->c < b->c))
            *best = g;
    }
    return 0;
}
