/*
 * Classification metrics for classifyd-train: confusion matrix, accuracy,
 * per-class precision/recall/F1 and macro-F1, as text tables and JSON.
 *
 * Definitions (the same as scikit-learn's classification_report with
 * zero_division=0):
 *   confusion[t][p]  number of examples of true class t predicted as p
 *   precision_c = TP_c / (TP_c + FP_c), 0 when nothing was predicted as c
 *   recall_c    = TP_c / (TP_c + FN_c), 0 when c has no example
 *   F1_c        = 2 P R / (P + R), 0 when P + R = 0
 *   macro-F1    = mean of F1_c over the classes that occur in the truth or
 *                 in the predictions (a label that is neither true nor
 *                 predicted anywhere does not pull the mean down)
 *   macro-F1 over true labels = mean of F1_c over the classes that occur in
 *                 the truth only: what matters when the data lacks some of
 *                 the model's labels (a held-out set from another source);
 *                 a wrong prediction of an absent label still costs the true
 *                 label its recall. Equals macro-F1 when every predicted
 *                 label also occurs in the truth. Printed by eval and
 *                 inspect; not a JSON key (the JSON's per_class supports
 *                 give it, and the JSON is stored in models, whose bytes a
 *                 new key would change).
 *   accuracy    = sum_c TP_c / n
 *
 * Ownership: a cfd_metrics owns its arrays (cfd_metrics_free). Threads: plain
 * data; one writer at a time.
 */
#ifndef CFD_TRAIN_METRICS_H
#define CFD_TRAIN_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"

typedef struct cfd_metrics {
    uint32_t n_labels;
    uint64_t n;            /* examples counted */
    uint64_t *confusion;   /* n_labels * n_labels, row = truth */
    /* filled by cfd_metrics_finish: */
    double accuracy;
    double macro_f1;
    double macro_f1_true;  /* over the labels that occur in the truth */
    double *precision;     /* n_labels each */
    double *recall;
    double *f1;
    uint64_t *support;     /* true examples per class */
} cfd_metrics;

/* Zeroed counts for n_labels classes. Returns 0 or CFD_ENOMEM. */
int cfd_metrics_init(cfd_metrics *m, uint32_t n_labels);
void cfd_metrics_free(cfd_metrics *m);

/* Counts one prediction. Both must be < n_labels. */
void cfd_metrics_add(cfd_metrics *m, uint32_t truth, uint32_t pred);

/* Adds the counts of another matrix of the same size (pooling CV folds). */
void cfd_metrics_merge(cfd_metrics *m, const cfd_metrics *other);

/* Computes the derived figures from the counts (may be called again). */
void cfd_metrics_finish(cfd_metrics *m);

/*
 * Appends the metrics as one JSON object:
 *   {"n":..,"accuracy":..,"macro_f1":..,
 *    "per_class":{"label":{"precision":..,"recall":..,"f1":..,"support":..},..},
 *    "labels":[..],"confusion":[[..],..]}
 * Returns 0 or CFD_ENOMEM.
 */
int cfd_metrics_json(const cfd_metrics *m, const char *const *labels, cfd_buf *out);

/* Writes a human-readable report (summary, per-class table, confusion). */
void cfd_metrics_print(const cfd_metrics *m, const char *const *labels, FILE *f);

#endif
