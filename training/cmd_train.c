/*
 * `classifyd-train train`: data file -> calibrated, self-checked model file.
 *
 *   1. read the training data (and --dev, pinned to the training labels);
 *   2. featurize once;
 *   3. without --dev: stratified K-fold CV (--calib-folds, default 5) gives
 *      out-of-fold decision values for calibration and the CV metrics
 *      recorded in the model;
 *   4. train on all the data, prune (--prune), build the model;
 *   5. with --dev: serialize with the chosen encoding, reload, score the dev
 *      set through the serving path (so dev metrics are the shipped model's),
 *      calibrate on those scores;
 *   6. read back the bytes to be saved and check they reproduce the
 *      in-memory model's scores on training examples, then save atomically
 *      (a model that fails the check never replaces the file at --out).
 * The model records sha256 of the data file, example count, solver, C, date,
 * and the dev or CV metrics with the calibration as JSON.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "calibrate.h"
#include "cli.h"
#include "cmds.h"
#include "cv.h"
#include "errno_text.h"
#include "evaluate.h"
#include "trainer.h"

enum {
    O_DATA = 1, O_OUT, O_NAME, O_DEV, O_VERSION, O_NOTES, O_QUANTIZE, O_PRUNE, O_CALIB_FOLDS,
    O_FORMAT, O_QUIET
};

static const cfd_opt cfd__train_opts[] = {
    {"data", 1, O_DATA}, {"out", 1, O_OUT}, {"name", 1, O_NAME}, {"dev", 1, O_DEV},
    {"version", 1, O_VERSION}, {"notes", 1, O_NOTES}, {"quantize", 1, O_QUANTIZE},
    {"prune", 1, O_PRUNE}, {"calib-folds", 1, O_CALIB_FOLDS}, {"format", 1, O_FORMAT},
    {"quiet", 0, O_QUIET}, {NULL, 0, 0},
};

static void cfd__train_help(void)
{
    printf("usage: classifyd-train train --data FILE --out MODEL --name NAME [options]\n"
           "\n"
           "Trains a linear classifier with liblinear, calibrates its probabilities and writes\n"
           "the model file (models/FORMAT.md).\n"
           "\n"
           "  --data FILE        training data (TSV label<TAB>text, or JSON lines)\n"
           "  --out MODEL        model file to write (atomically)\n"
           "  --name NAME        plugin the model is for (topic, section, sentiment, ...)\n"
           "  --dev FILE         held-out data: metrics and calibration are measured on it\n"
           "                     (without it: internal cross-validation, see --calib-folds)\n"
           "  --calib-folds K    folds of the internal CV used without --dev (default 5;\n"
           "                     0 = no calibration, prob_scale 1, no metrics recorded)\n"
           "  --format F         tsv, jsonl or auto (default: by extension, then content)\n"
           "  --version STR      model version (default: UTC time, 20261128T083000Z)\n"
           "  --notes STR        free text stored in the model (licence, provenance)\n"
           "  --quantize q8|f32  weight encoding on disk (default f32; q8 is ~4x smaller)\n"
           "  --prune EPS        drop weights with |w| < EPS before saving (default 0)\n"
           "  --quiet            print nothing on success\n"
           "\n");
    cfd_model_opts_help(stdout);
}

/* A temperature fitted on a handful of scores, or stuck at the end of its
 * bracket, makes probabilities that mean little (e.g. every label near
 * 1/K): say so rather than ship them silently. */
static void cfd__calib_warn(const cfd_calibration *cal, size_t n, uint32_t n_labels,
                            const char *on)
{
    int at_bound = cal->scale <= CFD_CALIB_SCALE_MIN * 1.01 ||
                   cal->scale >= CFD_CALIB_SCALE_MAX * 0.99;
    if (n >= 20 * (size_t)n_labels && !at_bound)
        return;
    fprintf(stderr, "classifyd-train train: warning: probabilities calibrated on %zu %s "
                    "scores for %u labels (prob_scale %g%s); they are unreliable: train on "
                    "more data (about 20 examples per label or more)%s\n",
            n, on, n_labels, (double)cal->scale, at_bound ? ", at the end of its range" : "",
            strcmp(on, "--dev") == 0 ? " or a larger --dev" : " or give --dev");
}

static void cfd__calib_json(cfd_buf *b, const cfd_calibration *cal, const char *on)
{
    cfd_buf_printf(b, "\"calibration\":{\"on\":\"%s\",\"prob_scale\":", on);
    cfd_buf_json_float(b, cal->scale);
    cfd_buf_puts(b, ",\"nll_before\":");
    cfd_buf_json_float(b, cal->nll_before);
    cfd_buf_puts(b, ",\"nll_after\":");
    cfd_buf_json_float(b, cal->nll_after);
    cfd_buf_puts(b, ",\"ece\":");
    cfd_buf_json_float(b, cal->ece);
    cfd_buf_putc(b, '}');
}

/* Reads back the bytes the file will hold and compares their scores with the
 * in-memory model's on up to 256 training examples; run before the file is
 * written, so a model that fails never replaces the one at --out. */
static int cfd__verify(cfd_model *m, const char *path, enum cfd_weight_encoding enc,
                       const cfd_dataset *ds, double *agree, cfd_error *err)
{
    const int q8 = enc == CFD_WEIGHTS_Q8;
    cfd_model *back = NULL;
    void *bytes = NULL;
    size_t len = 0;
    int rc = cfd_model_serialize(m, enc, &bytes, &len, err);
    if (rc == 0) {
        rc = cfd_model_load_buffer(bytes, len, &back, err);
        free(bytes);
        if (rc != 0)
            cfd_error_prefix(err, "%s: reading back the model to be saved (please report this "
                             "bug)", path);
    }
    if (rc != 0)
        return rc;
    size_t n = ds->n < 256 ? ds->n : 256, same = 0;
    float *a = malloc(2 * m->n_labels * sizeof(float));
    cfd_featurizer *fz = NULL;
    if (a == NULL || cfd_featurizer_new(&fz) != 0) {
        rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
        goto done;
    }
    float *b = a + m->n_labels;
    for (size_t k = 0; k < n; k++) {
        const cfd_example *e = &ds->ex[k * ds->n / n];
        cfd_featvec v;
        if ((rc = cfd_featurize(fz, &m->feat, m->idf, e->title, e->title_len, e->body,
                                e->body_len, &v, err)) != 0)
            goto done;
        cfd_model_scores(m, &v, a);
        if ((rc = cfd_featurize(fz, &back->feat, back->idf, e->title, e->title_len, e->body,
                                e->body_len, &v, err)) != 0)
            goto done;
        cfd_model_scores(back, &v, b);
        same += cfd_argmax(a, m->n_labels) == cfd_argmax(b, m->n_labels);
        for (uint32_t c = 0; c < m->n_labels && !q8; c++) {
            float d = a[c] - b[c], tol = 1e-5f * (1.0f + (a[c] < 0 ? -a[c] : a[c]));
            if (d > tol || d < -tol) {
                rc = cfd_error_set(err, CFD_EMISMATCH, (size_t)-1,
                                   "%s: the model as saved would score %s:%u as %g for label "
                                   "%s, the trained model %g; nothing was written; please "
                                   "report this bug", path, ds->path,
                                   e->line, (double)b[c], m->labels[c], (double)a[c]);
                goto done;
            }
        }
    }
    *agree = n ? (double)same / (double)n : 1.0;
done:
    cfd_featurizer_free(fz);
    free(a);
    cfd_model_free(back);
    return rc;
}

/* Everything the command line says. */
typedef struct cfd__args {
    const char *data, *out, *name, *dev, *version, *notes;
    enum cfd_weight_encoding enc;
    enum cfd_data_format fmt;
    double prune;
    unsigned long calib_folds;
    int calib_folds_set, quiet;
    cfd_model_opts mo;
} cfd__args;

/* Returns -1 to go on, else the exit code. */
static int cfd__parse(int argc, char **argv, cfd__args *a)
{
    memset(a, 0, sizeof(*a));
    a->enc = CFD_WEIGHTS_F32;
    a->fmt = CFD_FORMAT_AUTO;
    a->calib_folds = 5;
    cfd_model_opts_default(&a->mo);
    cfd_cli it;
    cfd_cli_init(&it, "train", argc, argv, cfd__train_opts, cfd_model_opt_table);
    const char *arg;
    int id;
    while ((id = cfd_cli_next(&it, &arg)) != CFD_OPT_END) {
        switch (id) {
        case CFD_OPT_ERROR: return CFD_EXIT_USAGE;
        case CFD_OPT_HELP: cfd__train_help(); return CFD_EXIT_OK;
        case CFD_OPT_POSITIONAL:
            cfd_cli_usage_error("train", "unexpected argument \"%s\"", arg);
            return CFD_EXIT_USAGE;
        case O_DATA: a->data = arg; break;
        case O_OUT: a->out = arg; break;
        case O_NAME: a->name = arg; break;
        case O_DEV: a->dev = arg; break;
        case O_VERSION: a->version = arg; break;
        case O_NOTES: a->notes = arg; break;
        case O_QUIET: a->quiet = 1; break;
        case O_QUANTIZE:
            if (strcmp(arg, "q8") == 0) {
                a->enc = CFD_WEIGHTS_Q8;
            } else if (strcmp(arg, "f32") == 0) {
                a->enc = CFD_WEIGHTS_F32;
            } else {
                cfd_cli_usage_error("train", "--quantize: expected q8 or f32, got \"%s\"", arg);
                return CFD_EXIT_USAGE;
            }
            break;
        case O_PRUNE:
            if (cfd_cli_double("train", "--prune", arg, 0, 1e3, &a->prune) != 0)
                return CFD_EXIT_USAGE;
            break;
        case O_CALIB_FOLDS:
            if (cfd_cli_uint("train", "--calib-folds", arg, 0, CFD_CV_MAX_FOLDS,
                             &a->calib_folds) != 0)
                return CFD_EXIT_USAGE;
            a->calib_folds_set = 1;
            if (a->calib_folds == 1) {
                cfd_cli_usage_error("train", "--calib-folds: expected 0 or 2..%d, got 1",
                                    CFD_CV_MAX_FOLDS);
                return CFD_EXIT_USAGE;
            }
            break;
        case O_FORMAT:
            if (cfd_data_format_parse(arg, &a->fmt) != 0) {
                cfd_cli_usage_error("train", "--format: expected tsv, jsonl or auto, got \"%s\"",
                                    arg);
                return CFD_EXIT_USAGE;
            }
            break;
        default:
            if (cfd_model_opts_apply(&a->mo, "train", id, arg) != 0)
                return CFD_EXIT_USAGE;
        }
    }
    if (a->data == NULL || a->out == NULL || a->name == NULL) {
        cfd_cli_usage_error("train", "--data, --out and --name are required (missing %s)",
                            a->data == NULL ? "--data" : a->out == NULL ? "--out" : "--name");
        return CFD_EXIT_USAGE;
    }
    if (a->name[0] == '\0') {
        cfd_cli_usage_error("train", "--name: empty; give the plugin the model is for "
                            "(topic, section, sentiment, ...)");
        return CFD_EXIT_USAGE;
    }
    if (a->version != NULL && strlen(a->version) >= sizeof(((cfd_model_meta *)0)->version)) {
        cfd_cli_usage_error("train", "--version: at most %zu bytes",
                            sizeof(((cfd_model_meta *)0)->version) - 1);
        return CFD_EXIT_USAGE;
    }
    /* the rules the model file has, now rather than after training */
    cfd_error serr;
    cfd_error_clear(&serr);
    const char *bad = cfd_model_check_strings(a->name, NULL, NULL, &serr) != 0 ? "--name"
                      : cfd_model_check_strings(NULL, a->version, NULL, &serr) != 0 ? "--version"
                      : cfd_model_check_strings(NULL, NULL, a->notes, &serr) != 0 ? "--notes"
                                                                                  : NULL;
    if (bad != NULL) {
        cfd_cli_usage_error("train", "%s: %s", bad, serr.msg);
        return CFD_EXIT_USAGE;
    }
    if (cfd_cli_distinct_files("train", "--out", a->out, "--data", a->data) != 0 ||
        cfd_cli_distinct_files("train", "--out", a->out, "--dev", a->dev) != 0)
        return CFD_EXIT_USAGE;
    if (cfd_model_opts_finish(&a->mo, "train") != 0)
        return CFD_EXIT_USAGE;
    return -1;
}

/* The state of one training run; cfd__run_free releases it. */
typedef struct cfd__run {
    cfd_progress pr;
    cfd_dataset *ds, *dv;
    cfd_corpus *corpus;
    cfd_dense dense;
    cfd_model *m;
    cfd_cv_result cv;          /* without --dev */
    cfd_metrics dev_metrics;   /* with --dev */
    cfd_calibration cal;
    int have_cal;
    size_t pruned;
    cfd_buf mj;                /* the model's metrics JSON */
    double t0, t_feat, t_train;
    time_t created;            /* now, or SOURCE_DATE_EPOCH: the model's date */
    struct tm created_tm;      /* the same, in UTC, for the default version */
} cfd__run;

static void cfd__run_free(cfd__run *r)
{
    cfd_buf_free(&r->mj);
    cfd_metrics_free(&r->dev_metrics);
    cfd_cv_result_free(&r->cv);
    cfd_model_free(r->m);
    cfd_dense_free(&r->dense);
    cfd_corpus_free(r->corpus);
    cfd_dataset_free(r->dv);
    cfd_dataset_free(r->ds);
}

/* Without --dev: out-of-fold scores for calibration, CV metrics for the
 * model's record. */
static int cfd__calibrate_cv(const cfd__args *a, cfd__run *r, cfd_error *err)
{
    const cfd_corpus *c = r->corpus;
    uint32_t *fold = malloc(c->n * sizeof(uint32_t));
    if (fold == NULL ||
        cfd_cv_folds_grouped(c->y, c->n, c->n_labels, (uint32_t)a->calib_folds, a->mo.lin.seed,
                             r->ds->group, fold) != 0) {
        free(fold);
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
    }
    int rc = cfd_cv_run(c, &a->mo.lin, (uint32_t)a->calib_folds, fold, 1, &r->pr, &r->cv, err);
    free(fold);
    if (rc != 0)
        return rc;
    if (cfd_calibrate(r->cv.scores, c->y, c->n, c->n_labels, &r->cal) != 0)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "calibration failed: non-finite decision values (try a smaller "
                             "--c)");
    r->have_cal = 1;
    cfd__calib_warn(&r->cal, c->n, c->n_labels, "cross-validation");
    cfd_buf_printf(&r->mj, "{\"kind\":\"cv\",\"cv\":");
    cfd_cv_result_json(&r->cv, (const char *const *)r->ds->labels, 0, &r->mj);
    cfd_buf_putc(&r->mj, ',');
    cfd__calib_json(&r->mj, &r->cal, "cv");
    return 0;
}

/* With --dev: metrics and calibration on the model as it will be shipped
 * (serialized with the chosen encoding and read back). */
static int cfd__calibrate_dev(const cfd__args *a, cfd__run *r, cfd_error *err)
{
    const cfd_dataset *dv = r->dv;
    void *ser = NULL;
    size_t ser_len = 0;
    cfd_model *shipped = NULL;
    float *scores = NULL;
    uint32_t *y = NULL;
    int rc;
    if ((rc = cfd_model_serialize(r->m, a->enc, &ser, &ser_len, err)) != 0 ||
        (rc = cfd_model_load_buffer(ser, ser_len, &shipped, err)) != 0)
        goto done;
    scores = malloc(dv->n * r->m->n_labels * sizeof(float));
    y = malloc(dv->n * sizeof(uint32_t));
    if (scores == NULL || y == NULL || cfd_metrics_init(&r->dev_metrics, r->m->n_labels) != 0) {
        rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < dv->n; i++)
        y[i] = dv->ex[i].label;
    if ((rc = cfd_eval_dataset(shipped, dv, &r->pr, &r->dev_metrics, scores, err)) != 0)
        goto done;
    if (cfd_calibrate(scores, y, dv->n, r->m->n_labels, &r->cal) != 0) {
        rc = cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                           "calibration failed: non-finite decision values on %s", a->dev);
        goto done;
    }
    r->have_cal = 1;
    cfd__calib_warn(&r->cal, dv->n, r->m->n_labels, "--dev");
    cfd_buf_printf(&r->mj, "{\"kind\":\"dev\",\"dev_sha256\":\"%s\",\"dev\":", dv->sha256_hex);
    cfd_metrics_json(&r->dev_metrics, (const char *const *)r->m->labels, &r->mj);
    cfd_buf_putc(&r->mj, ',');
    cfd__calib_json(&r->mj, &r->cal, "dev");
done:
    free(ser);
    free(scores);
    free(y);
    cfd_model_free(shipped);
    return rc;
}

/* The creation time: now, or SOURCE_DATE_EPOCH (see README). Taken once,
 * before the data is read, so a bad value fails at once. */
static int cfd__creation_time(time_t *now, struct tm *tm, cfd_error *err)
{
    *now = time(NULL);
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde != NULL && *sde != '\0') {
        /* digits only (strtoll would take blanks and a sign), and a year
         * gmtime_r and the 16-character default version can represent */
        const long long max = 253402300799LL; /* 9999-12-31T23:59:59Z */
        char *end;
        errno = 0;
        long long v = strtoll(sde, &end, 10);
        if (*sde < '0' || *sde > '9' || *end != '\0' || errno != 0 || v > max)
            return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                                 "SOURCE_DATE_EPOCH=\"%s\": expected seconds since 1970, "
                                 "0..%lld (up to the year 9999)", sde, max);
        *now = (time_t)v;
    }
    if (gmtime_r(now, tm) == NULL)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "the time %lld cannot be converted to a date; set "
                             "SOURCE_DATE_EPOCH", (long long)*now);
    return 0;
}

/* Provenance: sha256, count, solver, C, date (SOURCE_DATE_EPOCH wins, see
 * README), version, notes. */
static void cfd__fill_meta(const cfd__args *a, const cfd__run *r, cfd_model_meta *meta)
{
    memset(meta, 0, sizeof(*meta));
    if (a->version != NULL)
        snprintf(meta->version, sizeof(meta->version), "%s", a->version);
    else
        strftime(meta->version, sizeof(meta->version), "%Y%m%dT%H%M%SZ", &r->created_tm);
    memcpy(meta->data_sha256, r->ds->sha256_hex, sizeof(meta->data_sha256));
    meta->n_examples = r->ds->n;
    snprintf(meta->solver, sizeof(meta->solver), "%s", cfd_solver_name(a->mo.lin.solver));
    meta->c = a->mo.lin.c;
    meta->created_unix = (int64_t)r->created;
    meta->notes = (char *)a->notes; /* copied by cfd_model_from_dense */
}

/* Closes the metrics JSON with how the model was made. */
static void cfd__params_json(const cfd__args *a, cfd__run *r)
{
    cfd_buf *b = &r->mj;
    if (!r->have_cal)
        cfd_buf_puts(b, "{\"kind\":\"none\"");
    cfd_buf_puts(b, ",\"params\":{\"eps\":");
    cfd_buf_json_float(b, a->mo.lin.eps);
    cfd_buf_printf(b, ",\"balanced\":%s,\"seed\":%u,\"prune\":",
                   a->mo.lin.balanced ? "true" : "false", a->mo.lin.seed);
    cfd_buf_json_float(b, a->prune);
    cfd_buf_printf(b, ",\"pruned_weights\":%zu,\"encoding\":\"%s\",\"data\":", r->pruned,
                   a->enc == CFD_WEIGHTS_Q8 ? "q8" : "f32");
    cfd_buf_json_str(b, a->data, strlen(a->data));
    cfd_buf_puts(b, "}}");
}

static double cfd__cpu_seconds(void)
{
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    return (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec +
                    kids.ru_stime.tv_sec) +
           (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec +
                    kids.ru_stime.tv_usec) * 1e-6;
}

static void cfd__summary(const cfd__args *a, const cfd__run *r, double agree, double t_end)
{
    const cfd_model *m = r->m;
    const cfd_linear_params *lin = &a->mo.lin;
    char desc[256];
    cfd_feat_config_describe(&m->feat, 0, desc, sizeof(desc));
    printf("model      %s (name %s, version %s, checksum %s)\n", a->out, m->name,
           m->meta.version, m->checksum_hex);
    printf("data       %s: %zu examples, %u labels, sha256 %.16s...\n", a->data, r->ds->n,
           r->ds->n_labels, r->ds->sha256_hex);
    printf("features   %s\n", desc);
    printf("solver     %s, C=%g, eps=%g%s; %u of %u buckets have weights", m->meta.solver,
           lin->c, lin->eps, lin->balanced ? ", balanced" : "", m->n_rows, m->n_buckets);
    if (r->pruned)
        printf(" (%zu weights pruned below %g)", r->pruned, a->prune);
    printf("\n");
    if (r->dv != NULL)
        printf("dev        %s: %zu examples, accuracy %.4f, macro-F1 %.4f\n", a->dev, r->dv->n,
               r->dev_metrics.accuracy, r->dev_metrics.macro_f1);
    else if (r->cv.k)
        printf("cv         %u folds: macro-F1 %.4f (sd %.4f), accuracy %.4f\n", r->cv.k,
               r->cv.mean_macro_f1, r->cv.sd_macro_f1, r->cv.mean_accuracy);
    if (r->have_cal)
        printf("calibrate  prob_scale %.4g on %s (NLL %.4f -> %.4f, ECE %.4f)\n",
               (double)r->cal.scale, r->dv ? "dev" : "cv", r->cal.nll_before, r->cal.nll_after,
               r->cal.ece);
    else
        printf("calibrate  skipped: prob_scale 1\n");
    if (a->enc == CFD_WEIGHTS_Q8)
        printf("check      read-back q8 model agrees on %.1f%% of sampled training labels\n",
               100.0 * agree);
    else
        printf("check      read-back model reproduces the trained scores\n");
    printf("time       %.2fs (featurize %.2fs, train %.2fs%s); %.2fs CPU in all processes\n",
           t_end - r->t0, r->t_feat - r->t0, r->t_train - r->t_feat, r->cv.k ? " incl. CV" : "",
           cfd__cpu_seconds());
}

/* --out checked before the work of training, not after it: a path that
 * saving would refuse, or a directory the model cannot be written in
 * (missing, read-only). Disk space can only be found out by writing. */
static int cfd__check_out(const char *out, cfd_error *err)
{
    int rc = cfd_model_save_target_check(out, err);
    if (rc != 0) {
        cfd_error_prefix(err, "--out");
        return rc;
    }
    char dir[4096] = "";
    if (cfd_model_path_dir(out, dir, sizeof dir) != 0 || access(dir, W_OK | X_OK) != 0) {
        int e = errno;
        return cfd_error_set(err, e == ENOENT ? CFD_ENOENT : e == EACCES || e == EROFS ? CFD_EPERM
                                                                                     : CFD_EIO,
                             (size_t)-1, "--out %s: cannot write the model in directory '%s' "
                             "(%s); create it, make it writable, or give another --out",
                             out, dir, cfd_errno_str(e));
    }
    return 0;
}

int cfd_cmd_train(int argc, char **argv)
{
    cfd__args a;
    int rc = cfd__parse(argc, argv, &a);
    if (rc >= 0)
        return rc;
    cfd__run r;
    memset(&r, 0, sizeof(r));
    r.cal.scale = 1.0f;
    r.t0 = cfd_now();
    cfd_progress_init(&r.pr, a.mo.progress);
    cfd_error err;
    cfd_error_clear(&err);

    if ((rc = cfd__creation_time(&r.created, &r.created_tm, &err)) != 0 ||
        (rc = cfd__check_out(a.out, &err)) != 0 ||
        (rc = cfd_dataset_load(a.data, a.fmt, NULL, 0, &r.ds, &err)) != 0)
        goto fail;
    if (r.ds->n_labels < 2) {
        rc = cfd_error_set(&err, CFD_EINVAL, (size_t)-1,
                           "%s: every example has the label \"%s\"; a classifier needs at "
                           "least 2 labels", a.data, r.ds->labels[0]);
        goto fail;
    }
    cfd_dataset_warn_header(r.ds, "train");
    cfd_dataset_warn_labels(r.ds, "train");
    if (a.dev == NULL) /* the internal CV that calibrates and measures */
        cfd_dataset_warn_small_labels(r.ds, a.calib_folds, "train");
    if (a.dev != NULL &&
        (rc = cfd_dataset_load(a.dev, a.fmt, (const char *const *)r.ds->labels, r.ds->n_labels,
                               &r.dv, &err)) != 0)
        goto fail;
    const size_t n_articles = r.ds->n; /* CV folds are dealt to these */
    if ((rc = cfd_model_opts_prepare_data(&a.mo, r.ds, a.data, &err)) != 0)
        goto fail;
    if ((rc = cfd_corpus_build(r.ds, &a.mo.feat, a.mo.lin.jobs, &r.pr, &r.corpus, &err)) != 0)
        goto fail;
    r.t_feat = cfd_now();

    if (r.dv == NULL && a.calib_folds > n_articles) {
        if (a.calib_folds_set) {
            rc = cfd_error_set(&err, CFD_EINVAL, (size_t)-1,
                               "%s has %zu examples, fewer than --calib-folds %lu", a.data,
                               n_articles, a.calib_folds);
            goto fail;
        }
        fprintf(stderr, "classifyd-train train: warning: %zu examples are too few for %lu-fold "
                "calibration; probabilities are not calibrated (give --dev)\n", n_articles,
                a.calib_folds);
        a.calib_folds = 0;
    }
    if (r.dv == NULL && a.calib_folds > 0 && (rc = cfd__calibrate_cv(&a, &r, &err)) != 0)
        goto fail;

    if ((rc = cfd_train_dense(r.corpus, NULL, 0, &a.mo.lin, &r.pr, &r.dense, &err)) != 0)
        goto fail;
    r.t_train = cfd_now();
    r.pruned = a.prune > 0 ? cfd_dense_prune(&r.dense, (float)a.prune) : 0;
    cfd_model_meta meta;
    cfd__fill_meta(&a, &r, &meta);
    if ((rc = cfd_dense_to_model(&r.dense, a.name, (const char *const *)r.ds->labels,
                                 &a.mo.feat, 1.0f, &meta, &r.m, &err)) != 0)
        goto fail;
    if (r.dv != NULL && (rc = cfd__calibrate_dev(&a, &r, &err)) != 0)
        goto fail;

    cfd__params_json(&a, &r);
    if (r.mj.oom) {
        rc = cfd_error_set(&err, CFD_ENOMEM, (size_t)-1, "out of memory");
        goto fail;
    }
    r.m->prob_scale = r.cal.scale;
    free(r.m->meta.metrics_json); /* the model owns its meta strings */
    r.m->meta.metrics_json = r.mj.data;
    r.mj = (cfd_buf)CFD_BUF_INIT;
    double agree = 1.0;
    if ((rc = cfd__verify(r.m, a.out, a.enc, r.ds, &agree, &err)) != 0 ||
        (rc = cfd_model_save(r.m, a.out, a.enc, &err)) != 0)
        goto fail;
    if (!a.quiet)
        cfd__summary(&a, &r, agree, cfd_now());
    cfd__run_free(&r);
    return CFD_EXIT_OK;
fail:
    fprintf(stderr, "classifyd-train train: %s\n", err.msg[0] ? err.msg : cfd_strerror(rc));
    cfd__run_free(&r);
    return CFD_EXIT_ERROR;
}
