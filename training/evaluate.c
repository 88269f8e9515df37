/*
 * Scoring a dataset through the serving path (see evaluate.h).
 */
#include "evaluate.h"

#include <stdlib.h>
#include <string.h>

#include "featurize.h"

int cfd_eval_dataset(const cfd_model *m, const cfd_dataset *ds, cfd_progress *pr,
                     cfd_metrics *metrics, float *scores, cfd_error *err)
{
    if (ds->n_labels != m->n_labels)
        return cfd_error_set(err, CFD_EMISMATCH, (size_t)-1,
                             "%s has %u labels, the model %u", ds->path, ds->n_labels,
                             m->n_labels);
    cfd_featurizer *fz = NULL;
    float *s = malloc(m->n_labels * sizeof(float));
    if (s == NULL || cfd_featurizer_new(&fz) != 0) {
        free(s);
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
    }
    int rc = 0;
    cfd_progress_start(pr, "scoring", ds->n);
    for (size_t i = 0; i < ds->n; i++) {
        const cfd_example *e = &ds->ex[i];
        cfd_featvec v;
        rc = cfd_featurize(fz, &m->feat, m->idf, e->title, e->title_len, e->body, e->body_len,
                           &v, err);
        if (rc != 0) {
            cfd_error_prefix(err, "%s:%u", ds->path, e->line);
            break;
        }
        cfd_model_scores(m, &v, s);
        if (metrics != NULL)
            cfd_metrics_add(metrics, e->label, cfd_argmax(s, m->n_labels));
        if (scores != NULL)
            memcpy(scores + i * m->n_labels, s, m->n_labels * sizeof(float));
        if ((i & 1023) == 0)
            cfd_progress_update(pr, i);
    }
    if (rc == 0)
        cfd_progress_end(pr);
    if (metrics != NULL)
        cfd_metrics_finish(metrics);
    cfd_featurizer_free(fz);
    free(s);
    return rc;
}
