/*
 * Accuracy and macro-F1 of a batch run against gold labels.
 *
 * classifyctl batch compares each article's gold label (TSV label column or
 * JSONL "label") with the label one chosen plugin returned. Macro-F1 is the
 * unweighted mean of per-label F1 over every label seen as gold or predicted
 * (the same set scikit-learn's f1_score(average="macro") uses), so a label
 * the model never predicts counts as F1 0 rather than disappearing.
 *
 * Ownership: the evaluator owns its label strings. Threads: one at a time.
 */
#ifndef CFD_CLIENT_EVALUATE_H
#define CFD_CLIENT_EVALUATE_H

#include <stddef.h>

typedef struct cfd_eval_label {
    char *name;
    size_t tp, fp, fn, gold;
} cfd_eval_label;

typedef struct cfd_eval {
    cfd_eval_label *labels;
    size_t n_labels;
    size_t cap;
    size_t total;    /* pairs added */
    size_t correct;
    int oom;
} cfd_eval;

void cfd_eval_init(cfd_eval *e);
/* Records one (gold, predicted) pair; returns 0 or CFD_ENOMEM. */
int cfd_eval_add(cfd_eval *e, const char *gold, const char *pred);
double cfd_eval_accuracy(const cfd_eval *e);
double cfd_eval_macro_f1(const cfd_eval *e);
/* Precision, recall, F1 of one label (0 when undefined). */
void cfd_eval_label_prf(const cfd_eval_label *l, double *p, double *r, double *f1);
void cfd_eval_free(cfd_eval *e);

#endif
