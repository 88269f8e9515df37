/*
 * The linear-model plugin: one source compiled three times, as topic.so,
 * sentiment.so and section.so (plugins/CMakeLists.txt passes
 * -DCFD_LINEAR_NAME="topic" -DCFD_LINEAR_DESC="..."; the default model is
 * <name>.cfdm). The model file carries its own featurizer config and IDF
 * table (core/model.h), so the daemon featurizes for it and this plugin only
 * scores: cfd_model_scores + cfd_model_probs on the daemon's features.
 *
 * classify() allocates nothing: scores go to a stack array bounded by
 * CFD_MAX_LABELS, probabilities to the daemon's buffer. explain() (ABI 1.1)
 * neither: it splits the same scores by feature (core/explain.h).
 *
 * Memory: a model read from a q8 file scores from its packed table
 * (core/model_pack.c), so the plugin frees the sparse float rows it no
 * longer needs (cfd_model_shed_rows); a model without one keeps them.
 *
 * IDF: a model with IDF and a packed table gets its IDF copied into the
 * packed rows (cfd_model_fuse_idf: a one-byte code into a 256-entry table
 * for classifyd-train's IDF, else a float) and asks the daemon for features through
 * the TF step only (info.feat = cfd_model_tf_config: the same counting, so
 * the article is still counted once for all models); cfd_model_scores_tf
 * then applies IDF and L2 while scoring, bit-identically. Each feature then
 * costs this model one random cache line instead of two (the daemon's IDF
 * pass over a 2 MB table was a cache miss per feature). Other models get
 * fully weighted features and cfd_model_scores.
 *
 * Huge pages: scoring and IDF weighting read ~1,500 random entries per
 * article from the packed table (8 MB at 2^19 buckets and 8 labels) or
 * row_of and the rows, and from the IDF table (2 MB at 2^19). With 4 KiB pages nearly every one of those reads is
 * also a TLB miss (a page walk before the cache miss); Linux here runs
 * transparent huge pages in "madvise" mode, so after loading, the plugin
 * moves those arrays into 2 MiB-aligned memory advised MADV_HUGEPAGE
 * (cfd__hugify; free() still releases it, so cfd_model_free is unchanged).
 * If the advice is refused the arrays simply stay on small pages.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <classifyd/plugin.h>

#include "explain.h"
#include "model.h"

#ifndef CFD_LINEAR_NAME
#error "compile with -DCFD_LINEAR_NAME=\"topic\" (see plugins/CMakeLists.txt)"
#endif
#ifndef CFD_LINEAR_DESC
#define CFD_LINEAR_DESC "linear model"
#endif

_Static_assert(CFD_MAX_LABELS <= CFD_PLUGIN_MAX_LABELS,
               "model label limit must fit the plugin ABI's");

#define CFD__HUGE_PAGE ((size_t)2 << 20)

/* Moves *p (bytes long, malloc'd) into huge-page-advised memory; keeps it
 * where it is if the array is small or memory is short. */
static void cfd__hugify(void **p, size_t bytes)
{
    if (*p == NULL || bytes < CFD__HUGE_PAGE / 2)
        return;
    size_t cap = (bytes + CFD__HUGE_PAGE - 1) & ~(CFD__HUGE_PAGE - 1);
    void *q = NULL;
    if (posix_memalign(&q, CFD__HUGE_PAGE, cap) != 0)
        return;
    (void)madvise(q, cap, MADV_HUGEPAGE); /* advice only: fine if refused */
    memcpy(q, *p, bytes);
    free(*p);
    *p = q;
}

/* What load() hands the daemon as the model: the model and, when its IDF
 * is fused into the packed rows (m->packed_idf_off != 0: score with
 * cfd_model_scores_tf), the config the daemon featurizes with. */
typedef struct linear_model {
    cfd_model *m;
    cfd_feat_config tf_cfg;  /* cfd_model_tf_config(m) when fused */
} linear_model;

static int linear_load(const char *path, void **model, cfd_plugin_model_info *info,
                       cfd_error *err)
{
    linear_model *lm = calloc(1, sizeof(*lm));
    if (lm == NULL)
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "%s: out of memory", path);
    int rc = cfd_model_load(path, &lm->m, err);
    if (rc != 0) {
        free(lm);
        return rc;
    }
    cfd_model *m = lm->m;
    if ((rc = cfd_model_fuse_idf(m)) != 0) {
        cfd_model_free(m);
        free(lm);
        return cfd_error_set(err, rc, (size_t)-1, "%s: out of memory", path);
    }
    const int fused = m->packed_idf_off != 0;
    if (fused)
        lm->tf_cfg = cfd_model_tf_config(m);
    /* Serving needs only the packed table when the model has one (and no
     * separate IDF table once it is fused). */
    cfd_model_shed_rows(m);
    cfd__hugify((void **)&m->packed, (size_t)m->n_buckets * m->packed_stride);
    if (m->rows != NULL) {
        cfd__hugify((void **)&m->row_of, (size_t)m->n_buckets * sizeof(*m->row_of));
        cfd__hugify((void **)&m->rows, (size_t)m->n_rows * m->n_labels * sizeof(*m->rows));
    }
    cfd__hugify((void **)&m->idf, m->idf ? (size_t)m->n_buckets * sizeof(*m->idf) : 0);
    memset(info, 0, sizeof(*info));
    info->name = m->name;
    info->version = m->meta.version;
    info->checksum = m->checksum_hex;
    info->n_labels = m->n_labels;
    info->labels = (const char *const *)m->labels;
    info->feat = fused ? &lm->tf_cfg : &m->feat;
    info->idf = fused ? NULL : m->idf; /* NULL without IDF too */
    info->any_name = 0;
    *model = lm;
    return 0;
}

static void linear_unload(void *model)
{
    linear_model *lm = model;
    if (lm == NULL)
        return;
    cfd_model_free(lm->m);
    free(lm);
}

static int linear_classify(const void *model, const cfd_plugin_input *in,
                           cfd_plugin_output *out)
{
    const linear_model *lm = model;
    const cfd_model *m = lm->m;
    float scores[CFD_MAX_LABELS];
    static const cfd_featvec empty = {NULL, 0};
    const cfd_featvec *x = in->features ? in->features : &empty;

    if (out->n_labels != m->n_labels)
        return CFD_EINVAL;
    if (m->packed_idf_off != 0) {
        int rc = cfd_model_scores_tf(m, x, scores);
        if (rc != 0)
            return rc;
    } else {
        cfd_model_scores(m, x, scores);
    }
    cfd_model_probs(m, scores, out->probs);
    return 0;
}

/* The margin of ex->label over ex->rival split by feature (core/explain.h),
 * from the same weights and the same features as classify() scored: the
 * packed table, with the IDF and L2 norm applied as scoring applies them
 * when the model's IDF is fused. Nothing allocated: the lists are on the
 * stack (2 x CFD_PLUGIN_MAX_TERMS entries) and copied to the daemon's. */
static int linear_explain(const void *model, const cfd_plugin_input *in,
                          cfd_plugin_explanation *ex)
{
    const linear_model *lm = model;
    static const cfd_featvec empty = {NULL, 0};
    const cfd_featvec *x = in->features ? in->features : &empty;
    cfd_contrib pro[CFD_PLUGIN_MAX_TERMS], con[CFD_PLUGIN_MAX_TERMS];
    const uint32_t n = ex->max_terms < CFD_PLUGIN_MAX_TERMS ? ex->max_terms
                                                           : CFD_PLUGIN_MAX_TERMS;
    _Static_assert(CFD_PLUGIN_NO_RIVAL == CFD_EXPLAIN_NO_RIVAL, "one 'no rival' value");
    cfd_explanation e;
    int rc = cfd_explain(lm->m, x, ex->label, ex->rival, n, pro, con, &e);
    if (rc != 0)
        return rc;
    ex->n_for = (uint32_t)e.n_for;
    ex->n_against = (uint32_t)e.n_against;
    for (uint32_t i = 0; i < ex->n_for; i++)
        ex->for_label[i] = (cfd_plugin_term){pro[i].bucket, pro[i].term};
    for (uint32_t i = 0; i < ex->n_against; i++)
        ex->for_rival[i] = (cfd_plugin_term){con[i].bucket, con[i].term};
    ex->bias = e.bias;
    ex->margin = e.bias + e.features;
    return 0;
}

CFD_PLUGIN_EXPORT const struct cfd_plugin classifyd_plugin = {
    CFD_PLUGIN_HEADER,
    .name = CFD_LINEAR_NAME,
    .description = CFD_LINEAR_DESC,
    .default_model = CFD_LINEAR_NAME ".cfdm",
    .load = linear_load,
    .unload = linear_unload,
    .classify = linear_classify,
    .explain = linear_explain,
};
