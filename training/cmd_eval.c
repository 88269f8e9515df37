/*
 * `classifyd-train eval`: score a labelled file with a model through the
 * serving path and report accuracy, macro-F1, per-class precision/recall/F1
 * and the confusion matrix, as text or (--json) as one JSON object.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "calibrate.h"
#include "cli.h"
#include "cmds.h"
#include "evaluate.h"

enum { O_MODEL = 1, O_DATA, O_JSON, O_FORMAT, O_PROGRESS, O_ERRORS };

static const cfd_opt cfd__eval_opts[] = {
    {"model", 1, O_MODEL}, {"data", 1, O_DATA}, {"json", 0, O_JSON},
    {"format", 1, O_FORMAT}, {"progress", 0, O_PROGRESS}, {"errors", 1, O_ERRORS},
    {NULL, 0, 0},
};

static void cfd__eval_help(void)
{
    printf("usage: classifyd-train eval --model MODEL --data FILE [--json]\n"
           "\n"
           "Scores every example of FILE with MODEL (exactly as the daemon would) and prints\n"
           "accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix.\n"
           "Every label in FILE must be one of the model's labels.\n"
           "\n"
           "  --model MODEL   model file\n"
           "  --data FILE     labelled data (TSV or JSON lines)\n"
           "  --json          print one JSON object: n, accuracy, macro_f1, per_class,\n"
           "                  labels, confusion (rows = true label), log_loss,\n"
           "                  best_prob_scale (null when the scores are not finite),\n"
           "                  model, data, data_sha256\n"
           "  --format F      tsv, jsonl or auto (default auto)\n"
           "  --errors N      also list the N most confident mistakes (file:line, true label,\n"
           "                  predicted label, its probability, the text) on stderr\n"
           "  --progress      progress on stderr even when it is not a terminal\n");
}

typedef struct cfd__mistake {
    size_t i;
    uint32_t pred;
    float prob;
} cfd__mistake;

static int cfd__by_prob_desc(const void *a, const void *b)
{
    const cfd__mistake *x = a, *y = b;
    if (x->prob != y->prob)
        return x->prob < y->prob ? 1 : -1;
    return x->i < y->i ? -1 : 1;
}

/* The most confident mistakes first: label noise and systematic confusions. */
static void cfd__print_errors(const cfd_model *m, const cfd_dataset *ds, const float *scores,
                              size_t limit)
{
    cfd__mistake *mk = malloc(ds->n * sizeof(*mk));
    float *p = malloc(m->n_labels * sizeof(float));
    if (mk == NULL || p == NULL) {
        free(mk);
        free(p);
        fprintf(stderr, "classifyd-train eval: out of memory listing errors\n");
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < ds->n; i++) {
        const float *s = scores + i * m->n_labels;
        uint32_t pred = cfd_argmax(s, m->n_labels);
        if (pred == ds->ex[i].label)
            continue;
        cfd_model_probs(m, s, p);
        mk[n++] = (cfd__mistake){i, pred, p[pred]};
    }
    qsort(mk, n, sizeof(*mk), cfd__by_prob_desc);
    fprintf(stderr, "%zu mistakes; the %zu most confident:\n", n, n < limit ? n : limit);
    for (size_t k = 0; k < n && k < limit; k++) {
        const cfd_example *e = &ds->ex[mk[k].i];
        /* up to ~120 bytes of text, cut at a character boundary */
        const char *t = e->title_len ? e->title : e->body;
        size_t len = e->title_len ? e->title_len : e->body_len, cut = len < 120 ? len : 120;
        while (cut < len && cut > 0 && ((unsigned char)t[cut] & 0xC0) == 0x80)
            cut--;
        fprintf(stderr, "%s:%u\t%s\t%s\t%.3f\t%.*s%s\n", ds->path, e->line,
                m->labels[e->label], m->labels[mk[k].pred], (double)mk[k].prob, (int)cut, t,
                cut < len ? "..." : "");
    }
    free(mk);
    free(p);
}

int cfd_cmd_eval(int argc, char **argv)
{
    const char *model_path = NULL, *data = NULL;
    int json = 0, progress = 0;
    unsigned long errors = 0;
    enum cfd_data_format fmt = CFD_FORMAT_AUTO;
    cfd_cli it;
    cfd_cli_init(&it, "eval", argc, argv, cfd__eval_opts, NULL);
    const char *arg;
    int id;
    while ((id = cfd_cli_next(&it, &arg)) != CFD_OPT_END) {
        switch (id) {
        case CFD_OPT_ERROR: return CFD_EXIT_USAGE;
        case CFD_OPT_HELP: cfd__eval_help(); return CFD_EXIT_OK;
        case CFD_OPT_POSITIONAL:
            cfd_cli_usage_error("eval", "unexpected argument \"%s\"", arg);
            return CFD_EXIT_USAGE;
        case O_MODEL: model_path = arg; break;
        case O_DATA: data = arg; break;
        case O_JSON: json = 1; break;
        case O_PROGRESS: progress = 1; break;
        case O_ERRORS:
            if (cfd_cli_uint("eval", "--errors", arg, 0, 1000000, &errors) != 0)
                return CFD_EXIT_USAGE;
            break;
        case O_FORMAT:
            if (cfd_data_format_parse(arg, &fmt) != 0) {
                cfd_cli_usage_error("eval", "--format: expected tsv, jsonl or auto, got \"%s\"",
                                    arg);
                return CFD_EXIT_USAGE;
            }
            break;
        }
    }
    if (model_path == NULL || data == NULL) {
        cfd_cli_usage_error("eval", "--model and --data are required (missing %s)",
                            model_path == NULL ? "--model" : "--data");
        return CFD_EXIT_USAGE;
    }
    cfd_error err;
    cfd_error_clear(&err);
    cfd_progress pr;
    cfd_progress_init(&pr, progress);
    cfd_model *m = NULL;
    cfd_dataset *ds = NULL;
    cfd_metrics met = {0};
    float *scores = NULL;
    uint32_t *y = NULL;
    cfd_buf b = CFD_BUF_INIT;
    int rc;
    if ((rc = cfd_model_load(model_path, &m, &err)) != 0)
        goto fail;
    if ((rc = cfd_dataset_load(data, fmt, (const char *const *)m->labels, m->n_labels, &ds,
                               &err)) != 0)
        goto fail;
    scores = malloc(ds->n * m->n_labels * sizeof(float));
    y = malloc(ds->n * sizeof(uint32_t));
    if (scores == NULL || y == NULL || cfd_metrics_init(&met, m->n_labels) != 0) {
        rc = cfd_error_set(&err, CFD_ENOMEM, (size_t)-1, "out of memory");
        goto fail;
    }
    if ((rc = cfd_eval_dataset(m, ds, &pr, &met, scores, &err)) != 0)
        goto fail;
    for (size_t i = 0; i < ds->n; i++)
        y[i] = ds->ex[i].label;
    double log_loss = cfd_calib_nll(scores, y, ds->n, m->n_labels, m->prob_scale);
    cfd_calibration cal;
    /* Fails only on non-finite scores (a damaged or hand-made model): then
     * there is no scale to suggest, and the figure is left out. */
    const int have_cal = cfd_calibrate(scores, y, ds->n, m->n_labels, &cal) == 0;
    if (errors > 0)
        cfd__print_errors(m, ds, scores, errors);
    if (json) {
        cfd_metrics_json(&met, (const char *const *)m->labels, &b);
        b.len--; /* reopen the object to add the probability figures */
        cfd_buf_puts(&b, ",\"log_loss\":");
        cfd_buf_json_float(&b, log_loss);
        cfd_buf_puts(&b, ",\"best_prob_scale\":");
        if (have_cal)
            cfd_buf_json_float(&b, cal.scale);
        else
            cfd_buf_puts(&b, "null");
        cfd_buf_puts(&b, ",\"model\":{\"name\":");
        cfd_buf_json_str(&b, m->name, strlen(m->name));
        cfd_buf_puts(&b, ",\"version\":");
        cfd_buf_json_str(&b, m->meta.version, strlen(m->meta.version));
        cfd_buf_printf(&b, ",\"checksum\":\"%s\"},\"data\":", m->checksum_hex);
        cfd_buf_json_str(&b, data, strlen(data));
        cfd_buf_printf(&b, ",\"data_sha256\":\"%s\"}\n", ds->sha256_hex);
        if (b.oom) {
            rc = cfd_error_set(&err, CFD_ENOMEM, (size_t)-1, "out of memory");
            goto fail;
        }
        fwrite(b.data, 1, b.len, stdout);
    } else {
        printf("model     %s (%s, version %s)\ndata      %s\n", model_path, m->name,
               m->meta.version, data);
        cfd_metrics_print(&met, (const char *const *)m->labels, stdout);
        printf("\nlog-loss  %.4f at prob_scale %.4g", log_loss, (double)m->prob_scale);
        if (have_cal)
            printf(" (this data would prefer %.4g)", (double)cal.scale);
        printf("\n");
    }
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "classifyd-train eval: %s\n", err.msg[0] ? err.msg : cfd_strerror(rc));
done:
    cfd_buf_free(&b);
    free(scores);
    free(y);
    cfd_metrics_free(&met);
    cfd_dataset_free(ds);
    cfd_model_free(m);
    return rc == 0 ? CFD_EXIT_OK : CFD_EXIT_ERROR;
}
