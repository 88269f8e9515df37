/*
 * Cross-validation: stratified, deterministic K-fold splits, per-fold and
 * pooled metrics, out-of-fold decision values (for calibration), and a grid
 * search over liblinear's C that picks the best mean macro-F1.
 *
 * Folds: the examples of each label, in file order, are shuffled with a
 * PRNG seeded by (seed, label) and dealt round-robin to the folds, the
 * starting fold rotating from label to label, so every fold has each label's
 * share to within one example and the same data and seed always give the
 * same folds (independent of the machine and of --jobs).
 *
 * Ownership: a cfd_cv_result owns its arrays (cfd_cv_result_free).
 * Threads: as trainer.h (training may fork; one call at a time).
 */
#ifndef CFD_TRAIN_CV_H
#define CFD_TRAIN_CV_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "metrics.h"
#include "trainer.h"

#define CFD_CV_MAX_FOLDS 100

/* fold[i] in [0, k) for each of the n examples. k must be in [2, n]. */
int cfd_cv_folds(const uint32_t *y, size_t n, uint32_t n_labels, uint32_t k, uint32_t seed,
                 uint32_t *fold);

/*
 * The same with groups (cfd_dataset.group; NULL: plain cfd_cv_folds): the
 * examples of one group (an article and its lead copy) share one fold.
 * Folds are dealt to the groups' first examples exactly as cfd_cv_folds
 * deals them to a dataset of those alone, so `cv --lead-copies` tests each
 * fold on the same articles as plain `cv` on the file, and on their leads
 * (the metrics count both: the model is meant to read both). group[i] <= i, and
 * group[group[i]] == group[i] (the first example of each group names it).
 */
int cfd_cv_folds_grouped(const uint32_t *y, size_t n, uint32_t n_labels, uint32_t k,
                         uint32_t seed, const uint32_t *group, uint32_t *fold);

typedef struct cfd_cv_result {
    uint32_t k;
    double c;
    double *fold_macro_f1;  /* k */
    double *fold_accuracy;  /* k */
    double mean_macro_f1, sd_macro_f1, mean_accuracy;
    cfd_metrics pooled;     /* every out-of-fold prediction */
    float *scores;          /* n * n_labels out-of-fold decision values, or NULL */
    double seconds;         /* wall time */
} cfd_cv_result;

/*
 * Trains k models (each without one fold) and scores the held-out fold. The
 * folds run in up to p->jobs worker processes (workers.h), each training
 * its classes in turn; results do not depend on p->jobs.
 * keep_scores: also return every example's out-of-fold decision values.
 */
int cfd_cv_run(const cfd_corpus *c, const cfd_linear_params *p, uint32_t k,
               const uint32_t *fold, int keep_scores, cfd_progress *pr, cfd_cv_result *out,
               cfd_error *err);

void cfd_cv_result_free(cfd_cv_result *r);

/*
 * JSON object: {"folds":k,"c":..,"mean_macro_f1":..,"sd_macro_f1":..,
 * "mean_accuracy":..,"fold_macro_f1":[..],"fold_accuracy":[..],
 * "pooled":{metrics JSON, see metrics.h},"seconds":..}; "seconds" only with
 * with_time (models leave it out so that retraining gives the same bytes).
 */
int cfd_cv_result_json(const cfd_cv_result *r, const char *const *labels, int with_time,
                       cfd_buf *b);

/*
 * Runs cfd_cv_run for each C in grid[0..n_grid) (p->c is ignored) into
 * results[n_grid] (caller-allocated, freed with cfd_cv_result_free each) and
 * sets *best to the index with the highest mean macro-F1 (the smaller C on a
 * tie, as the simpler model).
 */
int cfd_cv_grid(const cfd_corpus *c, const cfd_linear_params *p, const double *grid,
                size_t n_grid, uint32_t k, const uint32_t *fold, cfd_progress *pr,
                cfd_cv_result *results, size_t *best, cfd_error *err);

#endif
