/*
 * `classifyd-train cv`: stratified K-fold cross-validation with the same
 * feature and solver options as `train`, optionally over a grid of C values,
 * reporting per-fold and mean macro-F1 and the best C; --json for scripts.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "cmds.h"
#include "cv.h"

enum { O_DATA = 1, O_FOLDS, O_C_GRID, O_JSON, O_FORMAT };

static const cfd_opt cfd__cv_opts[] = {
    {"data", 1, O_DATA}, {"folds", 1, O_FOLDS}, {"c-grid", 1, O_C_GRID},
    {"json", 0, O_JSON}, {"format", 1, O_FORMAT}, {NULL, 0, 0},
};

#define CFD__MAX_GRID 32

static void cfd__cv_help(void)
{
    printf("usage: classifyd-train cv --data FILE [--folds K] [--c-grid LIST] [--json] "
           "[options]\n"
           "\n"
           "Stratified, deterministic K-fold cross-validation: for each C, K models are\n"
           "trained without one fold and scored on it (IDF is computed on the training folds\n"
           "only). Reports per-fold and mean macro-F1 and picks the C with the best mean.\n"
           "\n"
           "  --data FILE        labelled data (TSV or JSON lines)\n"
           "  --folds K          number of folds, 2..%d (default 5)\n"
           "  --c-grid LIST      comma-separated C values, e.g. 0.1,0.3,1,3 (default: --c)\n"
           "  --json             print one JSON object instead of the text report\n"
           "  --format F         tsv, jsonl or auto (default auto)\n"
           "\n", CFD_CV_MAX_FOLDS);
    cfd_model_opts_help(stdout);
}

static int cfd__parse_grid(const char *s, double *grid, size_t *n)
{
    *n = 0;
    char *copy = strdup(s), *save = NULL;
    if (copy == NULL)
        return -1;
    for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        if (*n == CFD__MAX_GRID) {
            cfd_cli_usage_error("cv", "--c-grid: at most %d values", CFD__MAX_GRID);
            free(copy);
            return -1;
        }
        if (cfd_cli_double("cv", "--c-grid", tok, 1e-6, 1e6, &grid[*n]) != 0) {
            free(copy);
            return -1;
        }
        (*n)++;
    }
    free(copy);
    if (*n == 0) {
        cfd_cli_usage_error("cv", "--c-grid: expected comma-separated numbers, got \"%s\"", s);
        return -1;
    }
    return 0;
}

static void cfd__print_text(const cfd_cv_result *res, size_t n_grid, size_t best,
                            const cfd_dataset *ds, const cfd_model_opts *mo)
{
    char desc[256];
    cfd_feat_config_describe(&mo->feat, 0, desc, sizeof(desc));
    printf("data      %s: %zu examples, %u labels\nfeatures  %s\nsolver    %s, eps=%g%s\n\n",
           ds->path, ds->n, ds->n_labels, desc, cfd_solver_name(mo->lin.solver), mo->lin.eps,
           mo->lin.balanced ? ", balanced class weights" : "");
    uint32_t k = res[0].k;
    printf("%10s", "C");
    for (uint32_t f = 0; f < k; f++)
        printf("  fold%-3u", f + 1);
    printf("  mean-F1     sd  accuracy  seconds\n");
    for (size_t g = 0; g < n_grid; g++) {
        const cfd_cv_result *r = &res[g];
        printf("%10g", r->c);
        for (uint32_t f = 0; f < k; f++)
            printf("  %7.4f", r->fold_macro_f1[f]);
        printf("  %7.4f %6.4f  %8.4f  %7.1f%s\n", r->mean_macro_f1, r->sd_macro_f1,
               r->mean_accuracy, r->seconds, g == best && n_grid > 1 ? "  <- best" : "");
    }
    printf("\nbest C %g: mean macro-F1 %.4f (sd %.4f) over %u folds\n\n", res[best].c,
           res[best].mean_macro_f1, res[best].sd_macro_f1, k);
    /* A best C at an end of the grid, ahead of every other C: the best may
     * lie beyond the values tried. */
    double lo = res[0].c, hi = res[0].c, others = -1.0;
    for (size_t g = 0; g < n_grid; g++) {
        lo = res[g].c < lo ? res[g].c : lo;
        hi = res[g].c > hi ? res[g].c : hi;
        if (g != best && res[g].mean_macro_f1 > others)
            others = res[g].mean_macro_f1;
    }
    const double c = res[best].c;
    const int at_lo = c == lo;
    if (n_grid > 1 && res[best].mean_macro_f1 > others && (at_lo || c == hi))
        printf("note: C %g is the %s value in the grid and better than the others: try %s ones "
               "too (e.g. --c-grid %g,%g,%g)\n\n",
               c, at_lo ? "smallest" : "largest", at_lo ? "smaller" : "larger",
               at_lo ? c / 9 : c, at_lo ? c / 3 : c * 3, at_lo ? c : c * 9);
    printf("pooled out-of-fold predictions at C=%g:\n", res[best].c);
    cfd_metrics_print(&res[best].pooled, (const char *const *)ds->labels, stdout);
}

int cfd_cmd_cv(int argc, char **argv)
{
    const char *data = NULL;
    unsigned long folds = 5;
    double grid[CFD__MAX_GRID];
    size_t n_grid = 0;
    int json = 0;
    enum cfd_data_format fmt = CFD_FORMAT_AUTO;
    cfd_model_opts mo;
    cfd_model_opts_default(&mo);
    cfd_cli it;
    cfd_cli_init(&it, "cv", argc, argv, cfd__cv_opts, cfd_model_opt_table);
    const char *arg;
    int id;
    while ((id = cfd_cli_next(&it, &arg)) != CFD_OPT_END) {
        switch (id) {
        case CFD_OPT_ERROR: return CFD_EXIT_USAGE;
        case CFD_OPT_HELP: cfd__cv_help(); return CFD_EXIT_OK;
        case CFD_OPT_POSITIONAL:
            cfd_cli_usage_error("cv", "unexpected argument \"%s\"", arg);
            return CFD_EXIT_USAGE;
        case O_DATA: data = arg; break;
        case O_JSON: json = 1; break;
        case O_FOLDS:
            if (cfd_cli_uint("cv", "--folds", arg, 2, CFD_CV_MAX_FOLDS, &folds) != 0)
                return CFD_EXIT_USAGE;
            break;
        case O_C_GRID:
            if (cfd__parse_grid(arg, grid, &n_grid) != 0)
                return CFD_EXIT_USAGE;
            break;
        case O_FORMAT:
            if (cfd_data_format_parse(arg, &fmt) != 0) {
                cfd_cli_usage_error("cv", "--format: expected tsv, jsonl or auto, got \"%s\"",
                                    arg);
                return CFD_EXIT_USAGE;
            }
            break;
        default:
            if (cfd_model_opts_apply(&mo, "cv", id, arg) != 0)
                return CFD_EXIT_USAGE;
        }
    }
    if (data == NULL) {
        cfd_cli_usage_error("cv", "--data is required");
        return CFD_EXIT_USAGE;
    }
    if (cfd_model_opts_finish(&mo, "cv") != 0)
        return CFD_EXIT_USAGE;
    if (n_grid == 0) {
        grid[0] = mo.lin.c;
        n_grid = 1;
    }
    cfd_error err;
    cfd_error_clear(&err);
    cfd_progress pr;
    cfd_progress_init(&pr, mo.progress);
    cfd_dataset *ds = NULL;
    cfd_corpus *corpus = NULL;
    uint32_t *fold = NULL;
    cfd_cv_result res[CFD__MAX_GRID];
    size_t best = 0;
    int have_res = 0;
    cfd_buf b = CFD_BUF_INIT;
    int rc;
    if ((rc = cfd_dataset_load(data, fmt, NULL, 0, &ds, &err)) != 0)
        goto fail;
    if (ds->n_labels < 2) {
        rc = cfd_error_set(&err, CFD_EINVAL, (size_t)-1,
                           "%s: every example has the label \"%s\"; need at least 2 labels",
                           data, ds->labels[0]);
        goto fail;
    }
    cfd_dataset_warn_header(ds, "cv");
    cfd_dataset_warn_labels(ds, "cv");
    cfd_dataset_warn_small_labels(ds, folds, "cv");
    if (folds > ds->n) {
        rc = cfd_error_set(&err, CFD_EINVAL, (size_t)-1, "%s has %zu examples, fewer than "
                           "--folds %lu", data, ds->n, folds);
        goto fail;
    }
    if ((rc = cfd_model_opts_prepare_data(&mo, ds, data, &err)) != 0)
        goto fail;
    if ((rc = cfd_corpus_build(ds, &mo.feat, mo.lin.jobs, &pr, &corpus, &err)) != 0)
        goto fail;
    if ((fold = malloc(ds->n * sizeof(uint32_t))) == NULL ||
        cfd_cv_folds_grouped(corpus->y, corpus->n, corpus->n_labels, (uint32_t)folds,
                             mo.lin.seed, ds->group, fold) != 0) {
        rc = cfd_error_set(&err, CFD_ENOMEM, (size_t)-1, "out of memory");
        goto fail;
    }
    if ((rc = cfd_cv_grid(corpus, &mo.lin, grid, n_grid, (uint32_t)folds, fold, &pr, res, &best,
                          &err)) != 0)
        goto fail;
    have_res = 1;
    if (json) {
        const char *const *labels = (const char *const *)ds->labels;
        cfd_buf_printf(&b, "{\"data\":");
        cfd_buf_json_str(&b, data, strlen(data));
        cfd_buf_printf(&b, ",\"data_sha256\":\"%s\",\"n\":%zu,\"labels\":[", ds->sha256_hex,
                       ds->n);
        for (uint32_t c = 0; c < ds->n_labels; c++) {
            if (c)
                cfd_buf_putc(&b, ',');
            cfd_buf_json_str(&b, labels[c], strlen(labels[c]));
        }
        cfd_buf_printf(&b, "],\"folds\":%lu,\"solver\":\"%s\",\"eps\":", folds,
                       cfd_solver_name(mo.lin.solver));
        cfd_buf_json_float(&b, mo.lin.eps);
        cfd_buf_printf(&b, ",\"balanced\":%s,\"seed\":%u,\"features\":",
                       mo.lin.balanced ? "true" : "false", mo.lin.seed);
        cfd_feat_config_json(&mo.feat, &b);
        cfd_buf_puts(&b, ",\"grid\":[");
        for (size_t g = 0; g < n_grid; g++) {
            if (g)
                cfd_buf_putc(&b, ',');
            cfd_cv_result_json(&res[g], labels, 1, &b);
        }
        cfd_buf_puts(&b, "],\"best_c\":");
        cfd_buf_json_float(&b, res[best].c);
        cfd_buf_puts(&b, ",\"best_mean_macro_f1\":");
        cfd_buf_json_float(&b, res[best].mean_macro_f1);
        cfd_buf_puts(&b, "}\n");
        if (b.oom) {
            rc = cfd_error_set(&err, CFD_ENOMEM, (size_t)-1, "out of memory");
            goto fail;
        }
        fwrite(b.data, 1, b.len, stdout);
    } else {
        cfd__print_text(res, n_grid, best, ds, &mo);
    }
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "classifyd-train cv: %s\n", err.msg[0] ? err.msg : cfd_strerror(rc));
done:
    if (have_res)
        for (size_t g = 0; g < n_grid; g++)
            cfd_cv_result_free(&res[g]);
    cfd_buf_free(&b);
    free(fold);
    cfd_corpus_free(corpus);
    cfd_dataset_free(ds);
    return rc == 0 ? CFD_EXIT_OK : CFD_EXIT_ERROR;
}
