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

enum { O_MODEL = 1, O_DATA, O_JSON, O_FORMAT, O_PROGRESS };

static const cfd_opt cfd__eval_opts[] = {
    {"model", 1, O_MODEL}, {"data", 1, O_DATA}, {"json", 0, O_JSON},
    {"format", 1, O_FORMAT}, {"progress", 0, O_PROGRESS}, {NULL, 0, 0},
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
           "                  labels, confusion (rows = true label), log_loss, ece, model\n"
           "  --format F      tsv, jsonl or auto (default auto)\n"
           "  --progress      progress on stderr even when it is not a terminal\n");
}

int cfd_cmd_eval(int argc, char **argv)
{
    const char *model_path = NULL, *data = NULL;
    int json = 0, progress = 0;
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
    cfd_calibrate(scores, y, ds->n, m->n_labels, &cal);
    if (json) {
        cfd_metrics_json(&met, (const char *const *)m->labels, &b);
        b.len--; /* reopen the object to add the probability figures */
        cfd_buf_puts(&b, ",\"log_loss\":");
        cfd_buf_json_float(&b, log_loss);
        cfd_buf_puts(&b, ",\"best_prob_scale\":");
        cfd_buf_json_float(&b, cal.scale);
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
        printf("\nlog-loss  %.4f at prob_scale %.4g (this data would prefer %.4g)\n", log_loss,
               (double)m->prob_scale, (double)cal.scale);
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
