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
 *   6. save atomically, reload the file and check it reproduces the
 *      in-memory model's scores on training examples.
 * The model records sha256 of the data file, example count, solver, C, date,
 * and the dev or CV metrics with the calibration as JSON.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "buf.h"
#include "calibrate.h"
#include "cli.h"
#include "cmds.h"
#include "cv.h"
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

/* Reloads the saved file and compares its scores with the in-memory model's
 * on up to 256 training examples. */
static int cfd__verify(const cfd_model *m, const char *path, const cfd_dataset *ds, int q8,
                       double *agree, cfd_error *err)
{
    cfd_model *back = NULL;
    int rc = cfd_model_load(path, &back, err);
    if (rc != 0) {
        cfd_error_prefix(err, "reloading the saved model");
        return rc;
    }
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
                                   "%s: the saved model scores %s:%u as %g for label %s, the "
                                   "trained model %g; please report this bug", path, ds->path,
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

int cfd_cmd_train(int argc, char **argv)
{
    const char *data = NULL, *out = NULL, *name = NULL, *dev = NULL, *version = NULL;
    const char *notes = NULL;
    enum cfd_weight_encoding enc = CFD_WEIGHTS_F32;
    enum cfd_data_format fmt = CFD_FORMAT_AUTO;
    double prune = 0;
    unsigned long calib_folds = 5;
    int quiet = 0, calib_folds_set = 0;
    cfd_model_opts mo;
    cfd_model_opts_default(&mo);
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
        case O_DATA: data = arg; break;
        case O_OUT: out = arg; break;
        case O_NAME: name = arg; break;
        case O_DEV: dev = arg; break;
        case O_VERSION: version = arg; break;
        case O_NOTES: notes = arg; break;
        case O_QUIET: quiet = 1; break;
        case O_QUANTIZE:
            if (strcmp(arg, "q8") == 0) {
                enc = CFD_WEIGHTS_Q8;
            } else if (strcmp(arg, "f32") == 0) {
                enc = CFD_WEIGHTS_F32;
            } else {
                cfd_cli_usage_error("train", "--quantize: expected q8 or f32, got \"%s\"", arg);
                return CFD_EXIT_USAGE;
            }
            break;
        case O_PRUNE:
            if (cfd_cli_double("train", "--prune", arg, 0, 1e3, &prune) != 0)
                return CFD_EXIT_USAGE;
            break;
        case O_CALIB_FOLDS:
            if (cfd_cli_uint("train", "--calib-folds", arg, 0, CFD_CV_MAX_FOLDS, &calib_folds) !=
                0)
                return CFD_EXIT_USAGE;
            calib_folds_set = 1;
            if (calib_folds == 1) {
                cfd_cli_usage_error("train", "--calib-folds: expected 0 or 2..%d, got 1",
                                    CFD_CV_MAX_FOLDS);
                return CFD_EXIT_USAGE;
            }
            break;
        case O_FORMAT:
            if (cfd_data_format_parse(arg, &fmt) != 0) {
                cfd_cli_usage_error("train", "--format: expected tsv, jsonl or auto, got \"%s\"",
                                    arg);
                return CFD_EXIT_USAGE;
            }
            break;
        default:
            if (cfd_model_opts_apply(&mo, "train", id, arg) != 0)
                return CFD_EXIT_USAGE;
        }
    }
    if (data == NULL || out == NULL || name == NULL) {
        cfd_cli_usage_error("train", "--data, --out and --name are required (missing %s)",
                            data == NULL ? "--data" : out == NULL ? "--out" : "--name");
        return CFD_EXIT_USAGE;
    }
    if (version != NULL && strlen(version) >= sizeof(((cfd_model_meta *)0)->version)) {
        cfd_cli_usage_error("train", "--version: at most %zu bytes",
                            sizeof(((cfd_model_meta *)0)->version) - 1);
        return CFD_EXIT_USAGE;
    }
    if (cfd_model_opts_finish(&mo, "train") != 0)
        return CFD_EXIT_USAGE;

    double t0 = cfd_now();
    cfd_progress pr;
    cfd_progress_init(&pr, mo.progress);
    cfd_error err;
    cfd_error_clear(&err);
    cfd_dataset *ds = NULL, *dv = NULL;
    cfd_corpus *corpus = NULL;
    cfd_dense dense = {0};
    cfd_model *m = NULL, *shipped = NULL;
    cfd_cv_result cv = {0};
    cfd_metrics dev_metrics = {0};
    cfd_buf mj = CFD_BUF_INIT;
    uint32_t *fold = NULL;
    float *dev_scores = NULL;
    void *ser = NULL;
    size_t ser_len = 0;
    cfd_calibration cal = {.scale = 1.0f};
    int rc, have_cal = 0;

    if ((rc = cfd_dataset_load(data, fmt, NULL, 0, &ds, &err)) != 0)
        goto fail;
    if (ds->n_labels < 2) {
        rc = cfd_error_set(&err, CFD_EINVAL, (size_t)-1,
                           "%s: every example has the label \"%s\"; a classifier needs at "
                           "least 2 labels", data, ds->labels[0]);
        goto fail;
    }
    if (dev != NULL &&
        (rc = cfd_dataset_load(dev, fmt, (const char *const *)ds->labels, ds->n_labels, &dv,
                               &err)) != 0)
        goto fail;
    if ((rc = cfd_corpus_build(ds, &mo.feat, mo.lin.jobs, &pr, &corpus, &err)) != 0)
        goto fail;
    double t_feat = cfd_now();

    if (dv == NULL && calib_folds > ds->n) {
        if (calib_folds_set) {
            rc = cfd_error_set(&err, CFD_EINVAL, (size_t)-1,
                               "%s has %zu examples, fewer than --calib-folds %lu", data, ds->n,
                               calib_folds);
            goto fail;
        }
        fprintf(stderr, "classifyd-train train: warning: %zu examples are too few for %lu-fold "
                "calibration; probabilities are not calibrated (give --dev)\n", ds->n,
                calib_folds);
        calib_folds = 0;
    }
    if (dv == NULL && calib_folds > 0) {
        if ((fold = malloc(ds->n * sizeof(uint32_t))) == NULL ||
            cfd_cv_folds(corpus->y, corpus->n, corpus->n_labels, (uint32_t)calib_folds,
                         mo.lin.seed, fold) != 0) {
            rc = cfd_error_set(&err, CFD_ENOMEM, (size_t)-1, "out of memory");
            goto fail;
        }
        if ((rc = cfd_cv_run(corpus, &mo.lin, (uint32_t)calib_folds, fold, 1, &pr, &cv, &err)) !=
            0)
            goto fail;
        if (cfd_calibrate(cv.scores, corpus->y, corpus->n, corpus->n_labels, &cal) != 0) {
            rc = cfd_error_set(&err, CFD_EINVAL, (size_t)-1,
                               "calibration failed: non-finite decision values (try a smaller "
                               "--c)");
            goto fail;
        }
        have_cal = 1;
        cfd_buf_printf(&mj, "{\"kind\":\"cv\",\"cv\":");
        cfd_cv_result_json(&cv, (const char *const *)ds->labels, 0, &mj);
        cfd_buf_putc(&mj, ',');
        cfd__calib_json(&mj, &cal, "cv");
    }

    if ((rc = cfd_train_dense(corpus, NULL, 0, &mo.lin, &pr, &dense, &err)) != 0)
        goto fail;
    double t_train = cfd_now();
    size_t pruned = prune > 0 ? cfd_dense_prune(&dense, (float)prune) : 0;

    cfd_model_meta meta;
    memset(&meta, 0, sizeof(meta));
    /* SOURCE_DATE_EPOCH (reproducible-builds.org): the same data, options and
     * epoch give a byte-identical model file. */
    time_t now = time(NULL);
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde != NULL && *sde != '\0') {
        char *end;
        long long v = strtoll(sde, &end, 10);
        if (*end != '\0' || v < 0) {
            rc = cfd_error_set(&err, CFD_EINVAL, (size_t)-1,
                               "SOURCE_DATE_EPOCH=\"%s\": expected seconds since 1970", sde);
            goto fail;
        }
        now = (time_t)v;
    }
    struct tm tm;
    gmtime_r(&now, &tm);
    if (version != NULL)
        snprintf(meta.version, sizeof(meta.version), "%s", version);
    else
        strftime(meta.version, sizeof(meta.version), "%Y%m%dT%H%M%SZ", &tm);
    memcpy(meta.data_sha256, ds->sha256_hex, sizeof(meta.data_sha256));
    meta.n_examples = ds->n;
    snprintf(meta.solver, sizeof(meta.solver), "%s", cfd_solver_name(mo.lin.solver));
    meta.c = mo.lin.c;
    meta.created_unix = (int64_t)now;
    meta.notes = (char *)notes;
    if ((rc = cfd_dense_to_model(&dense, name, (const char *const *)ds->labels, &mo.feat, 1.0f,
                                 &meta, &m, &err)) != 0)
        goto fail;

    if (dv != NULL) {
        /* Dev metrics and calibration on the model as it will be shipped. */
        if ((rc = cfd_model_serialize(m, enc, &ser, &ser_len, &err)) != 0 ||
            (rc = cfd_model_load_buffer(ser, ser_len, &shipped, &err)) != 0)
            goto fail;
        dev_scores = malloc(dv->n * m->n_labels * sizeof(float));
        uint32_t *dy = malloc(dv->n * sizeof(uint32_t));
        if (dev_scores == NULL || dy == NULL || cfd_metrics_init(&dev_metrics, m->n_labels) != 0) {
            free(dy);
            rc = cfd_error_set(&err, CFD_ENOMEM, (size_t)-1, "out of memory");
            goto fail;
        }
        for (size_t i = 0; i < dv->n; i++)
            dy[i] = dv->ex[i].label;
        if ((rc = cfd_eval_dataset(shipped, dv, &pr, &dev_metrics, dev_scores, &err)) != 0) {
            free(dy);
            goto fail;
        }
        if (cfd_calibrate(dev_scores, dy, dv->n, m->n_labels, &cal) != 0) {
            free(dy);
            rc = cfd_error_set(&err, CFD_EINVAL, (size_t)-1,
                               "calibration failed: non-finite decision values on %s", dev);
            goto fail;
        }
        free(dy);
        have_cal = 1;
        cfd_buf_printf(&mj, "{\"kind\":\"dev\",\"dev_sha256\":\"%s\",\"dev\":", dv->sha256_hex);
        cfd_metrics_json(&dev_metrics, (const char *const *)m->labels, &mj);
        cfd_buf_putc(&mj, ',');
        cfd__calib_json(&mj, &cal, "dev");
    }
    /* Always record how the model was made; metrics when there are some. */
    if (!have_cal)
        cfd_buf_puts(&mj, "{\"kind\":\"none\"");
    cfd_buf_puts(&mj, ",\"params\":{\"eps\":");
    cfd_buf_json_float(&mj, mo.lin.eps);
    cfd_buf_printf(&mj, ",\"balanced\":%s,\"seed\":%u,\"prune\":", mo.lin.balanced ? "true" : "false",
                   mo.lin.seed);
    cfd_buf_json_float(&mj, prune);
    cfd_buf_printf(&mj, ",\"pruned_weights\":%zu,\"encoding\":\"%s\",\"data\":", pruned,
                   enc == CFD_WEIGHTS_Q8 ? "q8" : "f32");
    cfd_buf_json_str(&mj, data, strlen(data));
    cfd_buf_puts(&mj, "}}");
    if (mj.oom) {
        rc = cfd_error_set(&err, CFD_ENOMEM, (size_t)-1, "out of memory");
        goto fail;
    }
    m->prob_scale = cal.scale;
    free(m->meta.metrics_json); /* the model owns its meta strings */
    m->meta.metrics_json = mj.data;
    mj = (cfd_buf)CFD_BUF_INIT;
    if ((rc = cfd_model_save(m, out, enc, &err)) != 0)
        goto fail;
    double agree = 1.0;
    if ((rc = cfd__verify(m, out, ds, enc == CFD_WEIGHTS_Q8, &agree, &err)) != 0)
        goto fail;
    double t_end = cfd_now();

    if (!quiet) {
        char desc[256];
        cfd_feat_config_describe(&m->feat, desc, sizeof(desc));
        printf("model      %s (name %s, version %s, checksum %s)\n", out, m->name,
               m->meta.version, m->checksum_hex);
        printf("data       %s: %zu examples, %u labels, sha256 %.16s...\n", data, ds->n,
               ds->n_labels, ds->sha256_hex);
        printf("features   %s\n", desc);
        printf("solver     %s, C=%g, eps=%g%s; %u of %u buckets have weights", meta.solver,
               mo.lin.c, mo.lin.eps, mo.lin.balanced ? ", balanced" : "", m->n_rows,
               m->n_buckets);
        if (pruned)
            printf(" (%zu weights pruned below %g)", pruned, prune);
        printf("\n");
        if (dv != NULL)
            printf("dev        %s: %zu examples, accuracy %.4f, macro-F1 %.4f\n", dev, dv->n,
                   dev_metrics.accuracy, dev_metrics.macro_f1);
        else if (cv.k)
            printf("cv         %u folds: macro-F1 %.4f (sd %.4f), accuracy %.4f\n", cv.k,
                   cv.mean_macro_f1, cv.sd_macro_f1, cv.mean_accuracy);
        if (have_cal)
            printf("calibrate  prob_scale %.4g on %s (NLL %.4f -> %.4f, ECE %.4f)\n",
                   (double)cal.scale, dv ? "dev" : "cv", cal.nll_before, cal.nll_after,
                   cal.ece);
        else
            printf("calibrate  skipped: prob_scale 1\n");
        if (enc == CFD_WEIGHTS_Q8)
            printf("check      reloaded q8 model agrees on %.1f%% of sampled training labels\n",
                   100.0 * agree);
        else
            printf("check      reloaded model reproduces the trained scores\n");
        struct rusage self, kids;
        getrusage(RUSAGE_SELF, &self);
        getrusage(RUSAGE_CHILDREN, &kids);
        double cpu = (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec +
                              kids.ru_stime.tv_sec) +
                     (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec +
                              kids.ru_utime.tv_usec + kids.ru_stime.tv_usec) * 1e-6;
        printf("time       %.2fs (featurize %.2fs, train %.2fs%s); %.2fs CPU in all processes\n",
               t_end - t0, t_feat - t0, t_train - t_feat, cv.k ? " incl. CV" : "", cpu);
    }
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "classifyd-train train: %s\n", err.msg[0] ? err.msg : cfd_strerror(rc));
done:
    free(ser);
    free(fold);
    free(dev_scores);
    cfd_buf_free(&mj);
    cfd_metrics_free(&dev_metrics);
    cfd_cv_result_free(&cv);
    cfd_model_free(shipped);
    cfd_model_free(m);
    cfd_dense_free(&dense);
    cfd_corpus_free(corpus);
    cfd_dataset_free(dv);
    cfd_dataset_free(ds);
    return rc == 0 ? CFD_EXIT_OK : CFD_EXIT_ERROR;
}
