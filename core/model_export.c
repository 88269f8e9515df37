/*
 * Export to liblinear's text model format, so a model can be inspected or
 * scored with liblinear's own tools (`predict`) and so the parity test can
 * show our scores equal liblinear's predict_values on the same weights.
 *
 * What is written (liblinear 2.x save_model layout):
 *   solver_type <name>      meta.solver if it names a liblinear
 *                           classification solver, else L2R_LR
 *   nr_class <n_labels>
 *   label 0 1 ... n-1       our label order; names are not representable
 *   nr_feature <n_buckets>  feature index f+1 is bucket f
 *   bias 1                  the bias is feature n_buckets+1 (value 1)
 *   w
 *   one line per feature (n_buckets lines, then the bias line), nr_w
 *   numbers each.
 * nr_w = n_labels, except for two labels with a solver other than MCSVM_CS,
 * where liblinear keeps one column: we write column 0 - column 1 (and
 * bias 0 - bias 1), so liblinear's single decision value is
 * scores[0] - scores[1] (see the two-label note in model.c).
 *
 * Numbers are printed with %.9g (exact for float32) and the decimal point is
 * forced to '.', whatever LC_NUMERIC the process runs under: liblinear reads
 * them in the "C" locale.
 */
#define _GNU_SOURCE /* strerror_r returning char * */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "file_write.h"
#include "model_format.h"

static const char *const cfd__solvers[] = {
    "L2R_LR", "L2R_L2LOSS_SVC_DUAL", "L2R_L2LOSS_SVC", "L2R_L1LOSS_SVC_DUAL",
    "MCSVM_CS", "L1R_L2LOSS_SVC", "L1R_LR", "L2R_LR_DUAL",
};

/* Appends v as "%.9g " with '.' as decimal point; returns chars written. */
static size_t cfd__fmt_num(char *out, size_t cap, double v, int digits)
{
    int n = snprintf(out, cap, "%.*g ", digits, v);
    if (n < 0 || (size_t)n >= cap)
        return 0;
    for (int i = 0; i < n; i++) {
        char c = out[i];
        if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == 'e' || c == ' '))
            out[i] = '.'; /* the locale's decimal separator, if not '.' */
    }
    return (size_t)n;
}

int cfd_model_export_liblinear(const cfd_model *m, const char *path, cfd_error *err)
{
    int rc = cfd_model_check(m, err);
    if (rc != 0) {
        cfd_error_prefix(err, "cannot export an invalid model to '%s'", path);
        return rc;
    }
    const char *solver = "L2R_LR";
    for (size_t i = 0; i < sizeof(cfd__solvers) / sizeof(cfd__solvers[0]); i++)
        if (strcmp(m->meta.solver, cfd__solvers[i]) == 0)
            solver = cfd__solvers[i];
    const uint32_t nl = m->n_labels;
    const int one_column = nl == 2 && strcmp(solver, "MCSVM_CS") != 0;

    FILE *f = fopen(path, "w");
    if (f == NULL) {
        char buf[128];
        int e = errno;
        return cfd_error_set(err, e == ENOENT ? CFD_ENOENT : CFD_EIO, (size_t)-1,
                             "cannot create liblinear model '%s': %s", path,
                             strerror_r(e, buf, sizeof(buf)));
    }
    fprintf(f, "solver_type %s\nnr_class %u\nlabel", solver, nl);
    for (uint32_t c = 0; c < nl; c++)
        fprintf(f, " %u", c);
    fprintf(f, "\nnr_feature %u\nbias 1\nw\n", m->n_buckets);

    char line[64 * CFD_MAX_LABELS];
    for (uint32_t b = 0; b <= m->n_buckets; b++) {
        const float *w = NULL;
        if (b == m->n_buckets)
            w = m->bias;
        else if (m->row_of[b] != CFD_NO_ROW)
            w = m->rows + (size_t)m->row_of[b] * nl;
        size_t n = 0;
        if (one_column) {
            double d = w ? (double)w[0] - (double)w[1] : 0.0;
            n += cfd__fmt_num(line + n, sizeof(line) - n, d, 17);
        } else {
            for (uint32_t c = 0; c < nl; c++)
                n += cfd__fmt_num(line + n, sizeof(line) - n, w ? (double)w[c] : 0.0, 9);
        }
        line[n++] = '\n';
        if (fwrite(line, 1, n, f) != n)
            break;
    }
    int werr = cfd_fclose_checked(f);
    if (werr != 0) {
        char buf[128];
        unlink(path);
        return cfd_error_set(err, CFD_EIO, (size_t)-1, "cannot write liblinear model '%s': %s",
                             path, strerror_r(werr, buf, sizeof(buf)));
    }
    return 0;
}
