/*
 * liblinear training, one class at a time, optionally in parallel worker
 * processes; see solver.h for why it is done this way.
 */
#include "solver.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "workers.h"

static const struct {
    const char *short_name;
    int type;
    const char *name;
    double eps;
    const char *help;
} cfd__solvers[] = {
    {"svm", L2R_L2LOSS_SVC_DUAL, "L2R_L2LOSS_SVC_DUAL", 0.1,
     "L2-regularised L2-loss SVM, dual (default)"},
    {"svm-primal", L2R_L2LOSS_SVC, "L2R_L2LOSS_SVC", 0.01, "L2-regularised L2-loss SVM, primal"},
    {"svm-l1loss", L2R_L1LOSS_SVC_DUAL, "L2R_L1LOSS_SVC_DUAL", 0.1,
     "L2-regularised L1-loss (hinge) SVM, dual"},
    {"lr", L2R_LR, "L2R_LR", 0.01, "L2-regularised logistic regression, primal"},
    {"lr-dual", L2R_LR_DUAL, "L2R_LR_DUAL", 0.1, "L2-regularised logistic regression, dual"},
    {"mcsvm", MCSVM_CS, "MCSVM_CS", 0.1, "Crammer-Singer multi-class SVM"},
    {"l1-svm", L1R_L2LOSS_SVC, "L1R_L2LOSS_SVC", 0.01,
     "L1-regularised L2-loss SVM (sparse models)"},
    {"l1-lr", L1R_LR, "L1R_LR", 0.01, "L1-regularised logistic regression (sparse models)"},
};
#define CFD__N_SOLVERS (sizeof(cfd__solvers) / sizeof(cfd__solvers[0]))

int cfd_solver_parse(const char *s, int *solver_type)
{
    for (size_t i = 0; i < CFD__N_SOLVERS; i++) {
        if (strcmp(s, cfd__solvers[i].short_name) == 0 ||
            strcasecmp(s, cfd__solvers[i].name) == 0) {
            *solver_type = cfd__solvers[i].type;
            return 0;
        }
    }
    char *end;
    long v = strtol(s, &end, 10);
    if (*s != '\0' && *end == '\0') {
        for (size_t i = 0; i < CFD__N_SOLVERS; i++) {
            if (cfd__solvers[i].type == v) {
                *solver_type = (int)v;
                return 0;
            }
        }
    }
    return CFD_EINVAL;
}

const char *cfd_solver_name(int solver_type)
{
    for (size_t i = 0; i < CFD__N_SOLVERS; i++)
        if (cfd__solvers[i].type == solver_type)
            return cfd__solvers[i].name;
    return "unknown";
}

double cfd_solver_default_eps(int solver_type)
{
    for (size_t i = 0; i < CFD__N_SOLVERS; i++)
        if (cfd__solvers[i].type == solver_type)
            return cfd__solvers[i].eps;
    return 0.1;
}

void cfd_solver_print_help(FILE *f)
{
    for (size_t i = 0; i < CFD__N_SOLVERS; i++)
        fprintf(f, "      %-11s %-20s %s\n", cfd__solvers[i].short_name, cfd__solvers[i].name,
                cfd__solvers[i].help);
}

/* liblinear prints its progress dots and iteration counts to stdout, which
 * carries our results; only its warnings ("reaching max number of
 * iterations": the model is not converged, lower C or raise eps) reach the
 * user, on stderr. */
static void cfd__liblinear_print(const char *s)
{
    const char *w = strstr(s, "WARNING");
    if (w != NULL)
        fprintf(stderr, "liblinear: %s%s", w, w[strlen(w) - 1] == '\n' ? "" : "\n");
}

/* Trains class `cls` of a one-vs-rest problem (or the single binary problem)
 * into out[0..n_features] (weights, then bias). Returns 0 or CFD_ENOMEM. */
static int cfd__train_one(struct feature_node *const *x, const uint32_t *y, size_t n,
                          uint32_t n_labels, uint32_t n_features, const cfd_linear_params *p,
                          uint32_t cls, double *out)
{
    double *yy = malloc(n * sizeof(double));
    if (yy == NULL)
        return CFD_ENOMEM;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        yy[i] = y[i] == cls ? 1.0 : -1.0;
        pos += y[i] == cls;
    }
    if (pos == 0 || pos == n) {
        /* One-sided: liblinear would learn "everything is that class". */
        memset(out, 0, n_features * sizeof(double));
        out[n_features] = pos == 0 ? -1.0 : 1.0;
        free(yy);
        return 0;
    }
    struct problem prob = {
        .l = (int)n, .n = (int)n_features + 1, .y = yy,
        .x = (struct feature_node **)x, .bias = 1.0};
    struct parameter param = {.solver_type = p->solver, .eps = p->eps, .C = p->c, .p = 0.1};
    int wl[2] = {1, -1};
    double wv[2] = {1.0, 1.0};
    if (p->balanced) {
        /* One-vs-rest: only the positives are weighted (liblinear's own
         * multi-class loop does the same); two labels: both sides. */
        wv[0] = (double)n / ((double)n_labels * (double)pos);
        if (n_labels == 2)
            wv[1] = (double)n / (2.0 * (double)(n - pos));
        param.nr_weight = 2;
        param.weight_label = wl;
        param.weight = wv;
    }
    srand(p->seed + cls);
    struct model *m = train(&prob, &param);
    free(yy);
    if (m == NULL)
        return CFD_ENOMEM;
    /* Binary model: w is for model->label[0]; make it the +1 class. */
    double sign = m->label[0] == 1 ? 1.0 : -1.0;
    for (uint32_t f = 0; f <= n_features; f++)
        out[f] = sign * m->w[f];
    free_and_destroy_model(&m);
    return 0;
}

static int cfd__train_mcsvm(struct feature_node *const *x, const uint32_t *y, size_t n,
                            uint32_t n_labels, uint32_t n_features, const cfd_linear_params *p,
                            float *w, float *bias)
{
    double *yy = malloc(n * sizeof(double));
    if (yy == NULL)
        return CFD_ENOMEM;
    for (size_t i = 0; i < n; i++)
        yy[i] = y[i];
    struct problem prob = {
        .l = (int)n, .n = (int)n_features + 1, .y = yy,
        .x = (struct feature_node **)x, .bias = 1.0};
    struct parameter param = {.solver_type = p->solver, .eps = p->eps, .C = p->c, .p = 0.1};
    int *wl = NULL;
    double *wv = NULL;
    if (p->balanced) {
        wl = calloc(n_labels, sizeof(int));
        wv = calloc(n_labels, sizeof(double));
        size_t *cnt = calloc(n_labels, sizeof(size_t));
        if (wl == NULL || wv == NULL || cnt == NULL) {
            free(wl);
            free(wv);
            free(cnt);
            free(yy);
            return CFD_ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
            cnt[y[i]]++;
        int k = 0;
        for (uint32_t c = 0; c < n_labels; c++) {
            if (cnt[c] == 0)
                continue;
            wl[k] = (int)c;
            wv[k] = (double)n / ((double)n_labels * (double)cnt[c]);
            k++;
        }
        free(cnt);
        param.nr_weight = k;
        param.weight_label = wl;
        param.weight = wv;
    }
    srand(p->seed);
    struct model *m = train(&prob, &param);
    free(yy);
    free(wl);
    free(wv);
    if (m == NULL)
        return CFD_ENOMEM;
    uint32_t k = (uint32_t)m->nr_class;
    memset(w, 0, (size_t)n_features * n_labels * sizeof(float));
    for (uint32_t c = 0; c < n_labels; c++)
        bias[c] = -1.0f; /* classes absent from the rows */
    for (uint32_t j = 0; j < k; j++) {
        uint32_t c = (uint32_t)m->label[j];
        if (k == 1) { /* one class only: it always wins */
            bias[c] = 1.0f;
            continue;
        }
        for (uint32_t f = 0; f < n_features; f++)
            w[(size_t)f * n_labels + c] = (float)m->w[(size_t)f * k + j];
        bias[c] = (float)m->w[(size_t)n_features * k + j];
    }
    free_and_destroy_model(&m);
    return 0;
}

static void cfd__store(const double *col, uint32_t n_features, uint32_t n_labels, uint32_t c,
                       float *w, float *bias)
{
    for (uint32_t f = 0; f < n_features; f++)
        w[(size_t)f * n_labels + c] = (float)col[f];
    bias[c] = (float)col[n_features];
}

/* One-vs-rest as tasks for cfd_run_tasks: task c trains class c into its
 * column of the shared result. */
typedef struct cfd__ovr {
    struct feature_node *const *x;
    const uint32_t *y;
    size_t n;
    uint32_t n_labels, n_features;
    const cfd_linear_params *p;
    double *cols; /* shared: n_classes * (n_features + 1) */
} cfd__ovr;

static int cfd__ovr_task(void *ctx, unsigned task, cfd_error *err)
{
    const cfd__ovr *o = ctx;
    int rc = cfd__train_one(o->x, o->y, o->n, o->n_labels, o->n_features, o->p, task,
                            o->cols + (size_t)task * (o->n_features + 1));
    if (rc != 0)
        return cfd_error_set(err, rc, (size_t)-1, "out of memory in liblinear's train()");
    return 0;
}

int cfd_linear_train(struct feature_node *const *x, const uint32_t *y, size_t n,
                     uint32_t n_labels, uint32_t n_features, const cfd_linear_params *p,
                     cfd_progress *pr, float *w, float *bias, cfd_error *err)
{
    if (n_labels < 2)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "need at least 2 labels to train a classifier (got %u)", n_labels);
    if (n == 0 || n > INT32_MAX)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1, "%zu training rows (need 1..%d)", n,
                             INT32_MAX);
    if (!(p->c > 0) || !(p->eps > 0))
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "C and eps must be positive (got C=%g, eps=%g)", p->c, p->eps);
    set_print_string_function(cfd__liblinear_print);
    {
        /* Let liblinear vet the parameters (e.g. a regression solver). */
        double y0 = 1;
        struct feature_node *x0 = x[0];
        struct problem probe = {.l = 1, .n = (int)n_features + 1, .y = &y0, .x = &x0,
                                .bias = 1.0};
        struct parameter param = {.solver_type = p->solver, .eps = p->eps, .C = p->c, .p = 0.1};
        const char *why = check_parameter(&probe, &param);
        if (why != NULL)
            return cfd_error_set(err, CFD_EINVAL, (size_t)-1, "liblinear: %s", why);
        if (p->solver > MCSVM_CS && p->solver != L1R_L2LOSS_SVC && p->solver != L1R_LR &&
            p->solver != L2R_LR_DUAL)
            return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                                 "solver %s is a regression solver; pick a classifier "
                                 "(see --help)", cfd_solver_name(p->solver));
    }
    if (p->solver == MCSVM_CS) {
        cfd_progress_start(pr, "training (Crammer-Singer, all classes)", 1);
        int rc = cfd__train_mcsvm(x, y, n, n_labels, n_features, p, w, bias);
        if (rc != 0)
            return cfd_error_set(err, rc, (size_t)-1, "out of memory while training");
        cfd_progress_end(pr);
        return 0;
    }
    uint32_t n_classes = n_labels == 2 ? 1 : n_labels;
    size_t col_len = (size_t)n_features + 1, bytes = n_classes * col_len * sizeof(double);
    cfd__ovr o = {x, y, n, n_labels, n_features, p, cfd_shared_alloc(bytes)};
    if (o.cols == NULL)
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1,
                             "cannot map %zu bytes for the weights: %s", bytes, strerror(errno));
    cfd_progress_start(pr, "training classes", n_classes);
    int rc = cfd_run_tasks(n_classes, p->jobs, cfd__ovr_task, &o, "training class", pr, err);
    if (rc == 0)
        for (uint32_t c = 0; c < n_classes; c++)
            cfd__store(o.cols + c * col_len, n_features, n_labels, c, w, bias);
    cfd_shared_free(o.cols, bytes);
    if (rc != 0)
        return rc;
    if (n_labels == 2) { /* liblinear's binary model, mapped as core/model.c says */
        for (uint32_t f = 0; f < n_features; f++)
            w[(size_t)f * 2 + 1] = 0.0f;
        bias[1] = 0.0f;
    }
    cfd_progress_end(pr);
    return 0;
}
