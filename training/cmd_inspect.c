/*
 * `classifyd-train inspect`: what is in a model file -- metadata, labels,
 * feature config, recorded metrics -- and the most heavily weighted features
 * of each label.
 *
 * Hashed features cannot be inverted, so by default a feature is shown as
 * its bucket number. With --data FILE the n-grams of that data are hashed
 * the way the featurizer hashes them (ngrams.c) and each shown bucket is
 * named by the n-gram that lands in it most often ("+2" when other n-grams
 * of the data collide into it too): that tells an editor which words drive a
 * label.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "cmds.h"
#include "dataset.h"
#include "explain.h" /* cfd_contrib: a bucket and its weight */
#include "featurize.h"
#include "metrics.h"
#include "model.h"
#include "ngrams.h"

enum { O_DATA = 1, O_TOP, O_FORMAT, O_NEGATIVE };

static const cfd_opt cfd__inspect_opts[] = {
    {"data", 1, O_DATA}, {"top", 1, O_TOP}, {"format", 1, O_FORMAT},
    {"negative", 0, O_NEGATIVE}, {NULL, 0, 0},
};

static void cfd__inspect_help(void)
{
    printf("usage: classifyd-train inspect MODEL [--data FILE] [--top N] [--negative]\n"
           "\n"
           "Prints the model's metadata, labels, feature config and recorded metrics, and\n"
           "the N (default 20) features with the largest weight for each label.\n"
           "\n"
           "  --data FILE   name the hashed features by the n-grams of FILE (any data file\n"
           "                the model's text came from; the training data is best)\n"
           "  --top N       features per label (default 20)\n"
           "  --negative    also list the N most negative features per label\n"
           "  --format F    format of --data: tsv, jsonl or auto\n");
}

/* Top n features of label c (largest weights, or most negative when neg).
 * For two-label models the weight shown is w[c] - w[other]. */
static size_t cfd__top(const cfd_model *m, uint32_t c, int neg, size_t n, cfd_contrib *out,
                       cfd_contrib *tmp)
{
    size_t k = 0;
    for (uint32_t b = 0; b < m->n_buckets; b++) {
        uint32_t r = m->row_of[b];
        if (r == CFD_NO_ROW)
            continue;
        const float *row = m->rows + (size_t)r * m->n_labels;
        /* Two labels: only the difference of the columns decides (liblinear
         * keeps one vector; core/model.c stores it as column 0). */
        float w = m->n_labels == 2 ? row[c] - row[1 - c] : row[c];
        if (w == 0.0f || (neg ? w > 0 : w < 0))
            continue;
        tmp[k].bucket = b;
        tmp[k].term = neg ? -w : w;
        k++;
    }
    qsort(tmp, k, sizeof(*tmp), cfd_contrib_by_term_desc);
    if (k > n)
        k = n;
    for (size_t i = 0; i < k; i++) {
        out[i] = tmp[i];
        if (neg)
            out[i].term = -out[i].term;
    }
    return k;
}

/* A stored metrics object's confusion matrix (cfd_metrics_json) back into
 * m, finished, so figures derived from it come from cfd_metrics_finish.
 * 0, or -1 when the object has no well-formed square matrix. */
static int cfd__metrics_from_json(const cJSON *d, cfd_metrics *m)
{
    const cJSON *conf = cJSON_GetObjectItemCaseSensitive(d, "confusion");
    const int k = cJSON_GetArraySize(conf);
    if (!cJSON_IsArray(conf) || k < 1 || cfd_metrics_init(m, (uint32_t)k) != 0)
        return -1;
    size_t t = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, conf) {
        size_t p = 0;
        const cJSON *v;
        if (cJSON_GetArraySize(row) != k)
            goto bad;
        cJSON_ArrayForEach(v, row) {
            const double x = cJSON_GetNumberValue(v);
            if (!(x >= 0 && x < 1e18))
                goto bad;
            m->confusion[t * (size_t)k + p++] = (uint64_t)x;
            m->n += (uint64_t)x;
        }
        t++;
    }
    cfd_metrics_finish(m);
    return 0;
bad:
    cfd_metrics_free(m);
    return -1;
}

static void cfd__print_metrics(const char *json)
{
    cJSON *j = cJSON_Parse(json);
    if (j == NULL) {
        printf("metrics     (not JSON) %s\n", json);
        return;
    }
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(j, "kind");
    const cJSON *cal = cJSON_GetObjectItemCaseSensitive(j, "calibration");
    if (cJSON_IsString(kind) && strcmp(kind->valuestring, "dev") == 0) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "dev");
        const double mf1 = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d, "macro_f1"));
        /* numbers from the file are printed as doubles, never cast to int:
         * a damaged or hand-made file may hold 1e30 or none at all (NaN) */
        printf("metrics     dev set (%.0f examples): accuracy %.4f, macro-F1 %.4f\n",
               cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d, "n")),
               cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d, "accuracy")), mf1);
        /* A dev set from another source may lack some labels; then macro-F1
         * (labels true or predicted) counts the absent ones as 0. */
        cfd_metrics dm;
        if (cfd__metrics_from_json(d, &dm) == 0) {
            unsigned n_true = 0;
            for (uint32_t c = 0; c < dm.n_labels; c++)
                n_true += dm.support[c] > 0;
            if (dm.macro_f1_true != dm.macro_f1)
                printf("            macro-F1 %.4f over the %u labels that occur in the dev set\n",
                       dm.macro_f1_true, n_true);
            cfd_metrics_free(&dm);
        }
    } else if (cJSON_IsString(kind) && strcmp(kind->valuestring, "cv") == 0) {
        const cJSON *cv = cJSON_GetObjectItemCaseSensitive(j, "cv");
        printf("metrics     %.0f-fold CV: macro-F1 %.4f (sd %.4f), accuracy %.4f\n",
               cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cv, "folds")),
               cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cv, "mean_macro_f1")),
               cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cv, "sd_macro_f1")),
               cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cv, "mean_accuracy")));
    } else if (cJSON_IsString(kind) && strcmp(kind->valuestring, "none") == 0) {
        printf("metrics     none recorded (trained without --dev or calibration CV)\n");
    } else {
        char *s = cJSON_PrintUnformatted(j);
        printf("metrics     %s\n", s ? s : json);
        free(s);
    }
    const cJSON *par = cJSON_GetObjectItemCaseSensitive(j, "params");
    if (cJSON_IsObject(par)) {
        const cJSON *enc = cJSON_GetObjectItemCaseSensitive(par, "encoding");
        const cJSON *dat = cJSON_GetObjectItemCaseSensitive(par, "data");
        printf("params      eps %g%s, prune %g (%.0f weights dropped), encoding %s, data %s\n",
               cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(par, "eps")),
               cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(par, "balanced")) ? ", balanced"
                                                                                 : "",
               cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(par, "prune")),
               cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(par, "pruned_weights")),
               cJSON_IsString(enc) ? enc->valuestring : "?",
               cJSON_IsString(dat) ? dat->valuestring : "?");
    }
    if (cal != NULL)
        printf("calibration on %s: NLL %.4f -> %.4f, ECE %.4f\n",
               cJSON_IsString(cJSON_GetObjectItemCaseSensitive(cal, "on"))
                   ? cJSON_GetObjectItemCaseSensitive(cal, "on")->valuestring : "?",
               cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cal, "nll_before")),
               cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cal, "nll_after")),
               cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cal, "ece")));
    cJSON_Delete(j);
}

static void cfd__print_meta(const char *path, const cfd_model *m)
{
    char when[64] = "unknown";
    time_t t = (time_t)m->meta.created_unix;
    struct tm tm;
    if (m->meta.created_unix > 0 && gmtime_r(&t, &tm) != NULL)
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
    char desc[256];
    cfd_feat_config_describe(&m->feat, 0, desc, sizeof(desc));
    printf("model       %s\n", path);
    printf("name        %s\nversion     %s\ncreated     %s\nchecksum    %s\n", m->name,
           m->meta.version[0] ? m->meta.version : "-", when, m->checksum_hex);
    printf("trained on  %llu examples, data sha256 %s\n",
           (unsigned long long)m->meta.n_examples,
           m->meta.data_sha256[0] ? m->meta.data_sha256 : "-");
    printf("solver      %s, C=%g\n", m->meta.solver[0] ? m->meta.solver : "-", m->meta.c);
    printf("features    %s\n", desc);
    printf("weights     %u of %u buckets non-zero (%.1f%%), %u labels, prob_scale %.4g\n",
           m->n_rows, m->n_buckets, 100.0 * m->n_rows / m->n_buckets, m->n_labels,
           (double)m->prob_scale);
    printf("labels     ");
    for (uint32_t c = 0; c < m->n_labels; c++)
        printf(" %s", m->labels[c]);
    printf("\n");
    if (m->meta.metrics_json != NULL)
        cfd__print_metrics(m->meta.metrics_json);
    if (m->meta.notes != NULL)
        printf("notes       %s\n", m->meta.notes);
}

int cfd_cmd_inspect(int argc, char **argv)
{
    const char *model_path = NULL, *data = NULL;
    unsigned long top = 20;
    int neg = 0;
    enum cfd_data_format fmt = CFD_FORMAT_AUTO;
    cfd_cli it;
    cfd_cli_init(&it, "inspect", argc, argv, cfd__inspect_opts, NULL);
    const char *arg;
    int id;
    while ((id = cfd_cli_next(&it, &arg)) != CFD_OPT_END) {
        switch (id) {
        case CFD_OPT_ERROR: return CFD_EXIT_USAGE;
        case CFD_OPT_HELP: cfd__inspect_help(); return CFD_EXIT_OK;
        case CFD_OPT_POSITIONAL:
            if (model_path != NULL) {
                cfd_cli_usage_error("inspect", "one model at a time (got \"%s\" and \"%s\")",
                                    model_path, arg);
                return CFD_EXIT_USAGE;
            }
            model_path = arg;
            break;
        case O_DATA: data = arg; break;
        case O_NEGATIVE: neg = 1; break;
        case O_TOP:
            if (cfd_cli_uint("inspect", "--top", arg, 1, 10000, &top) != 0)
                return CFD_EXIT_USAGE;
            break;
        case O_FORMAT:
            if (cfd_data_format_parse(arg, &fmt) != 0) {
                cfd_cli_usage_error("inspect", "--format: expected tsv, jsonl or auto, got "
                                    "\"%s\"", arg);
                return CFD_EXIT_USAGE;
            }
            break;
        }
    }
    if (model_path == NULL) {
        cfd_cli_usage_error("inspect", "which model? (classifyd-train inspect MODEL)");
        return CFD_EXIT_USAGE;
    }
    cfd_error err;
    cfd_error_clear(&err);
    cfd_model *m = NULL;
    cfd_dataset *ds = NULL;
    cfd_ngram_names *names = NULL;
    cfd_contrib *tmp = NULL, *sel = NULL;
    int rc;
    if ((rc = cfd_model_load(model_path, &m, &err)) != 0)
        goto fail;
    size_t per = neg ? 2 * top : top;
    tmp = malloc((size_t)(m->n_rows ? m->n_rows : 1) * sizeof(*tmp));
    sel = malloc(per * m->n_labels * sizeof(*sel));
    size_t *count = calloc(m->n_labels * 2, sizeof(size_t));
    if (tmp == NULL || sel == NULL || count == NULL) {
        free(count);
        rc = cfd_error_set(&err, CFD_ENOMEM, (size_t)-1, "out of memory");
        goto fail;
    }
    for (uint32_t c = 0; c < m->n_labels; c++) {
        count[2 * c] = cfd__top(m, c, 0, top, sel + c * per, tmp);
        if (neg)
            count[2 * c + 1] = cfd__top(m, c, 1, top, sel + c * per + top, tmp);
    }
    if (data != NULL) {
        /* Only the buckets we are going to show need names. */
        if ((rc = cfd_dataset_load(data, fmt, NULL, 0, &ds, &err)) != 0 ||
            (rc = cfd_ngram_names_new(&m->feat, &names, &err)) != 0) {
            free(count);
            goto fail;
        }
        for (uint32_t c = 0; c < m->n_labels; c++) {
            for (size_t i = 0; i < count[2 * c]; i++)
                cfd_ngram_names_want(names, sel[c * per + i].bucket);
            for (size_t i = 0; i < count[2 * c + 1]; i++)
                cfd_ngram_names_want(names, sel[c * per + top + i].bucket);
        }
        for (size_t i = 0; i < ds->n; i++) {
            if ((rc = cfd_ngram_names_add(names, ds->ex[i].title, ds->ex[i].title_len,
                                          ds->ex[i].body, ds->ex[i].body_len, &err)) != 0) {
                cfd_error_prefix(&err, "%s:%u", data, ds->ex[i].line);
                free(count);
                goto fail;
            }
        }
    }
    cfd__print_meta(model_path, m);
    if (m->n_labels == 2)
        printf("(two labels: a feature's weight below is its column minus the other "
               "column)\n");
    for (uint32_t c = 0; c < m->n_labels; c++) {
        for (int side = 0; side < 1 + neg; side++) {
            double bias = m->n_labels == 2 ? (double)m->bias[c] - (double)m->bias[1 - c]
                                           : (double)m->bias[c];
            printf("\n%s %s (bias %+.4f)%s\n", side ? "against" : "label", m->labels[c], bias,
                   side ? ": most negative weights" : "");
            const cfd_contrib *f = sel + c * per + (side ? top : 0);
            for (size_t i = 0; i < count[2 * c + side]; i++) {
                char name[512];
                if (names != NULL && cfd_ngram_names_get(names, f[i].bucket, name,
                                                         sizeof(name)))
                    printf("  %+9.4f  %-8u %s\n", (double)f[i].term, f[i].bucket, name);
                else
                    printf("  %+9.4f  %-8u %s\n", (double)f[i].term, f[i].bucket,
                           names != NULL ? "(not seen in --data)" : "");
            }
        }
    }
    free(count);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "classifyd-train inspect: %s\n", err.msg[0] ? err.msg : cfd_strerror(rc));
done:
    free(tmp);
    free(sel);
    cfd_ngram_names_free(names);
    cfd_dataset_free(ds);
    cfd_model_free(m);
    return rc == 0 ? CFD_EXIT_OK : CFD_EXIT_ERROR;
}
