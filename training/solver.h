/*
 * The liblinear boundary: solver names, and one-vs-rest training of a
 * weighted sparse problem into a dense feature-major weight matrix.
 *
 * One-vs-rest is done here rather than inside liblinear's train() so the
 * classes can be trained in parallel and every class is reproducible: class c
 * is always trained as its own binary problem (+1 = c, -1 = the rest, the
 * sub-problem liblinear's own multi-class loop builds) right after
 * srand(seed + c). liblinear's dual and L1 solvers draw their coordinate
 * order from the process-global rand(), so sharing one process between
 * classes would make results depend on scheduling; parallel classes therefore
 * run in forked worker processes (--jobs), each writing its weights into a
 * shared anonymous mapping, and a model trained with 1 or 8 jobs is
 * bit-identical. Two labels are one binary problem (label 0 = +1): column 0
 * holds liblinear's w and bias, column 1 is zero, so the scores are (d, 0)
 * with d liblinear's decision value (the mapping core/model.c documents). MCSVM_CS (Crammer-Singer) is inherently
 * multi-class and runs as one liblinear call.
 *
 * A class with no positive example in the training rows (possible in a CV
 * fold) gets zero weights and bias -1, so it is never predicted over a
 * trained class whose score is positive.
 *
 * Threads: cfd_linear_train changes process-global state (liblinear's print
 * function and the rand() seed); call it from one thread at a time, one that
 * outlives the call (workers are killed when the thread that forked them
 * exits, PR_SET_PDEATHSIG). It may fork(); do not call it while other
 * threads hold locks the children need (malloc's are safe: glibc resets them
 * in the child).
 */
#ifndef CFD_TRAIN_SOLVER_H
#define CFD_TRAIN_SOLVER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linear.h>

#include <classifyd/error.h>

#include "progress.h"

/* Parses a solver name: short ("svm", "lr", ...) or liblinear's enum name
 * ("L2R_L2LOSS_SVC_DUAL", case-insensitive) or its -s number. */
int cfd_solver_parse(const char *s, int *solver_type);

/* liblinear's name of a solver type ("L2R_L2LOSS_SVC_DUAL"). */
const char *cfd_solver_name(int solver_type);

/* liblinear's default stopping tolerance for a solver (as its CLI). */
double cfd_solver_default_eps(int solver_type);

/* Prints the solver table for --help. */
void cfd_solver_print_help(FILE *f);

/* Default solver: L2-regularised L2-loss SVM, dual (fast and the most
 * accurate of liblinear's solvers on hashed text in our measurements). */
#define CFD_DEFAULT_SOLVER L2R_L2LOSS_SVC_DUAL

typedef struct cfd_linear_params {
    int solver;        /* liblinear solver_type */
    double c;          /* > 0 */
    double eps;        /* > 0 */
    unsigned jobs;     /* worker processes for one-vs-rest (1 = in process) */
    uint32_t seed;     /* rand() seed base */
    int balanced;      /* 1: C of class c's positives scaled by n / (k n_c), as liblinear's
                          -wi option and scikit-learn's class_weight="balanced" */
} cfd_linear_params;

/*
 * Trains on rows x[0..n) with labels y (< n_labels). Each x[i] is a
 * liblinear row: indexes 1..n_features (any order, no repeats), then the bias node
 * {n_features + 1, 1.0}, then {-1, 0}. Writes w[f * n_labels + c] for
 * f < n_features (feature-major, float) and bias[c]. The caller allocates w
 * (n_features * n_labels floats) and bias (n_labels floats).
 * Returns 0, CFD_EINVAL (bad parameters, with liblinear's reason),
 * CFD_ENOMEM, or CFD_EIO (a worker process failed).
 */
int cfd_linear_train(struct feature_node *const *x, const uint32_t *y, size_t n,
                     uint32_t n_labels, uint32_t n_features, const cfd_linear_params *p,
                     cfd_progress *pr, float *w, float *bias, cfd_error *err);

#endif
