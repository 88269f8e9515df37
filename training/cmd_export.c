/*
 * `classifyd-train export`: a model in liblinear's text format, and
 * optionally a data file's feature vectors in liblinear's input format, so
 * liblinear's own `predict` can check our scores (and other tools can use
 * the weights). Feature f+1 is bucket f; labels are written as 0..n-1 in the
 * model's label order (core/model.h, cfd_model_export_liblinear).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "dataset.h"
#include "featurize.h"
#include "file_write.h"
#include "model.h"

enum { O_LIBLINEAR = 1, O_DATA, O_FEATURES, O_FORMAT };

static const cfd_opt cfd__export_opts[] = {
    {"liblinear", 1, O_LIBLINEAR}, {"data", 1, O_DATA}, {"features", 1, O_FEATURES},
    {"format", 1, O_FORMAT}, {NULL, 0, 0},
};

static void cfd__export_help(void)
{
    printf("usage: classifyd-train export MODEL --liblinear OUT [--data FILE --features OUT]\n"
           "\n"
           "Writes MODEL in liblinear's text model format (feature f+1 = hash bucket f,\n"
           "labels 0..n-1 in the model's order, bias term 1). With --data and --features,\n"
           "also writes every example of FILE as 'label index:value ...' featurized exactly\n"
           "as the daemon would, so `liblinear-predict FEATURES OUT result` reproduces our\n"
           "predictions.\n"
           "\n"
           "  --liblinear OUT   model in liblinear's format\n"
           "  --data FILE       labelled data (labels must be the model's)\n"
           "  --features OUT    feature vectors of --data in liblinear's input format\n"
           "  --format F        format of --data: tsv, jsonl or auto\n");
}

static int cfd__write_features(const cfd_model *m, const cfd_dataset *ds, const char *path,
                               cfd_error *err)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return cfd_error_set(err, CFD_EIO, (size_t)-1, "%s: cannot create: %m", path);
    cfd_featurizer *fz = NULL;
    int rc = cfd_featurizer_new(&fz);
    if (rc != 0) {
        fclose(f);
        return cfd_error_set(err, rc, (size_t)-1, "out of memory");
    }
    for (size_t i = 0; i < ds->n && rc == 0; i++) {
        const cfd_example *e = &ds->ex[i];
        cfd_featvec v;
        rc = cfd_featurize(fz, &m->feat, m->idf, e->title, e->title_len, e->body, e->body_len,
                           &v, err);
        if (rc != 0) {
            cfd_error_prefix(err, "%s:%u", ds->path, e->line);
            break;
        }
        fprintf(f, "%u", e->label);
        for (uint32_t j = 0; j < v.n; j++)
            fprintf(f, " %u:%.9g", v.items[j].index + 1, (double)v.items[j].value);
        fputc('\n', f);
    }
    cfd_featurizer_free(fz);
    int werr = cfd_fclose_checked(f);
    if (werr != 0 && rc == 0) {
        errno = werr;
        rc = cfd_error_set(err, CFD_EIO, (size_t)-1, "%s: write failed: %m", path);
    }
    return rc;
}

int cfd_cmd_export(int argc, char **argv)
{
    const char *model_path = NULL, *ll = NULL, *data = NULL, *features = NULL;
    enum cfd_data_format fmt = CFD_FORMAT_AUTO;
    cfd_cli it;
    cfd_cli_init(&it, "export", argc, argv, cfd__export_opts, NULL);
    const char *arg;
    int id;
    while ((id = cfd_cli_next(&it, &arg)) != CFD_OPT_END) {
        switch (id) {
        case CFD_OPT_ERROR: return CFD_EXIT_USAGE;
        case CFD_OPT_HELP: cfd__export_help(); return CFD_EXIT_OK;
        case CFD_OPT_POSITIONAL:
            if (model_path != NULL) {
                cfd_cli_usage_error("export", "one model at a time");
                return CFD_EXIT_USAGE;
            }
            model_path = arg;
            break;
        case O_LIBLINEAR: ll = arg; break;
        case O_DATA: data = arg; break;
        case O_FEATURES: features = arg; break;
        case O_FORMAT:
            if (cfd_data_format_parse(arg, &fmt) != 0) {
                cfd_cli_usage_error("export", "--format: expected tsv, jsonl or auto, got "
                                    "\"%s\"", arg);
                return CFD_EXIT_USAGE;
            }
            break;
        }
    }
    if (model_path == NULL || ll == NULL) {
        cfd_cli_usage_error("export", "MODEL and --liblinear OUT are required");
        return CFD_EXIT_USAGE;
    }
    if ((data == NULL) != (features == NULL)) {
        cfd_cli_usage_error("export", "--data and --features go together");
        return CFD_EXIT_USAGE;
    }
    if (cfd_cli_distinct_files("export", "--liblinear", ll, "MODEL", model_path) != 0 ||
        cfd_cli_distinct_files("export", "--liblinear", ll, "--data", data) != 0 ||
        cfd_cli_distinct_files("export", "--features", features, "MODEL", model_path) != 0 ||
        cfd_cli_distinct_files("export", "--features", features, "--data", data) != 0 ||
        cfd_cli_distinct_files("export", "--features", features, "--liblinear", ll) != 0)
        return CFD_EXIT_USAGE;
    cfd_error err;
    cfd_error_clear(&err);
    cfd_model *m = NULL;
    cfd_dataset *ds = NULL;
    int rc;
    if ((rc = cfd_model_load(model_path, &m, &err)) != 0 ||
        (rc = cfd_model_export_liblinear(m, ll, &err)) != 0)
        goto fail;
    if (data != NULL &&
        ((rc = cfd_dataset_load(data, fmt, (const char *const *)m->labels, m->n_labels, &ds,
                                &err)) != 0 ||
         (rc = cfd__write_features(m, ds, features, &err)) != 0))
        goto fail;
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "classifyd-train export: %s\n", err.msg[0] ? err.msg : cfd_strerror(rc));
done:
    cfd_dataset_free(ds);
    cfd_model_free(m);
    return rc == 0 ? CFD_EXIT_OK : CFD_EXIT_ERROR;
}
