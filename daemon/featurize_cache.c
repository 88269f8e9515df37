/*
 * Per-article featurization cache; see featurize_cache.h.
 */
#include <string.h>

#include "featurize_cache.h"

#define CFD__WM_L2 4u /* the L2 bit of weighted_mode */

int cfd_fcache_init(cfd_fcache *c)
{
    memset(c, 0, sizeof(*c));
    int rc = cfd_featurizer_new(&c->fz);
    if (rc == 0) /* engine.h: every article's text is valid UTF-8 (article.c validated it) */
        cfd_featurizer_trust_utf8(c->fz, 1);
    return rc;
}

void cfd_fcache_free(cfd_fcache *c)
{
    if (c->fz != NULL)
        cfd_featurizer_free(c->fz);
    c->fz = NULL;
}

void cfd_fcache_begin(cfd_fcache *c, const char *title, size_t title_len, const char *body,
                      size_t body_len)
{
    c->title = title;
    c->title_len = title_len;
    c->body = body;
    c->body_len = body_len;
    c->have_counts = 0;
    c->have_weighted = 0;
    c->have_letters = 0;
}

int cfd_fcache_letters(const cfd_fcache *c, uint64_t out[CFD_TOK_CLASSES])
{
    if (!c->have_letters)
        return 0;
    memcpy(out, c->letters, sizeof c->letters);
    return 1;
}

int cfd_fcache_get(cfd_fcache *c, const cfd_feat_config *cfg, const float *idf,
                   uint64_t idf_key, const cfd_featvec **out, cfd_error *err)
{
    if (!cfg->use_idf) {
        idf = NULL;
        idf_key = 0;
    }
    if (!c->have_counts || !cfd_feat_config_counts_equal(&c->counts_cfg, cfg)) {
        cfd_error_clear(&c->counts_err);
        c->counts_rc = cfd_featurize_counts(c->fz, cfg, c->title, c->title_len, c->body,
                                            c->body_len, &c->counts, &c->counts_err);
        c->counts_cfg = *cfg;
        c->have_counts = 1;
        c->have_weighted = 0;
        c->n_counts++;
        if (c->counts_rc == 0) {
            uint64_t l[CFD_TOK_CLASSES], total = 0;
            cfd_featurizer_letters(c->fz, l);
            for (int k = 0; k < CFD_TOK_CLASSES; k++)
                total += l[k];
            if (!c->have_letters || total > c->letters_total) {
                memcpy(c->letters, l, sizeof l);
                c->letters_total = total;
                c->have_letters = 1;
            }
        }
    }
    if (c->counts_rc != 0) {
        if (err != NULL)
            *err = c->counts_err;
        return c->counts_rc;
    }
    uint32_t wmode = (uint32_t)cfg->sublinear_tf | (uint32_t)cfg->use_idf << 1 |
                     (uint32_t)cfg->l2_normalize * CFD__WM_L2;
    if (c->have_weighted && idf_key == 0 && c->weighted_idf_key == 0 &&
        wmode == (c->weighted_mode | CFD__WM_L2) && wmode != c->weighted_mode) {
        /* The cached vector is this weighting but for L2 (a model that
         * applies IDF and L2 itself was served first, linear_plugin.c):
         * normalise it in place, the same bits as weighting again. */
        int rc = cfd_feat_l2_in_place(c->fz, &c->weighted);
        if (rc != 0) {
            c->have_weighted = 0;
            return cfd_error_set(err, rc, (size_t)-1, "weighting features failed: %s",
                                 cfd_strerror(rc));
        }
        c->weighted_mode = wmode;
    }
    if (!c->have_weighted || c->weighted_idf_key != idf_key || c->weighted_mode != wmode) {
        int rc = cfd_feat_weight(c->fz, cfg, idf, &c->counts, &c->weighted);
        c->n_weights++;
        if (rc != 0) {
            c->have_weighted = 0;
            return cfd_error_set(err, rc, (size_t)-1, "weighting features failed: %s",
                                 cfd_strerror(rc));
        }
        c->weighted_idf_key = idf_key;
        c->weighted_mode = wmode;
        c->have_weighted = 1;
    }
    *out = &c->weighted;
    return 0;
}
