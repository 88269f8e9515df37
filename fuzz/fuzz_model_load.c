/*
 * Fuzz target: the model file reader (cfd_model_load_buffer), the one piece
 * of the daemon that parses files an operator may have copied from anywhere.
 *
 * Every input is loaded twice:
 *   1. as it is, which mostly exercises the header checks and the checksum;
 *   2. with file_length and the XXH3 trailer rewritten to match the bytes,
 *      so that mutated sections get past the checksum and reach the section
 *      parsers (a fuzzer cannot forge a 64-bit hash by mutation).
 * A model that loads must be usable and self-consistent: it is scored with a
 * vector touching every bucket it says it has, its probabilities must sum to
 * 1, and serialising it and loading the result must give the same model
 * (labels, weights, bias, IDF); a model with IDF and a packed table, its IDF
 * fused into the table as the linear plugin serves it, must score TF-only
 * features bit-identically to the featurizer's fully weighted ones. A
 * failure must come with a message.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "bytes.h"
#include "featurize.h"
#include "model.h"
#include "model_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CFD__CHECK(cond)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz_model_load: check failed: %s (line %d)\n", #cond,      \
                    __LINE__);                                                             \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

static void cfd__use_model(const cfd_model *m)
{
    CFD__CHECK(m->n_labels >= 1 && m->n_labels <= CFD_MAX_LABELS);
    CFD__CHECK(m->n_buckets == (uint32_t)1 << m->feat.hash_bits);
    CFD__CHECK(m->prob_scale > 0 && isfinite(m->prob_scale));
    for (uint32_t i = 0; i < m->n_labels; i++)
        CFD__CHECK(m->labels[i] != NULL);
    for (uint32_t b = 0; b < m->n_buckets; b++)
        CFD__CHECK(m->row_of[b] == CFD_NO_ROW || m->row_of[b] < m->n_rows);

    /* A feature in every 97th bucket, and the last one. */
    uint32_t n = m->n_buckets / 97 + 1;
    cfd_feature *items = malloc(sizeof(*items) * n);
    float *scores = malloc(sizeof(float) * m->n_labels);
    float *probs = malloc(sizeof(float) * m->n_labels);
    CFD__CHECK(items && scores && probs);
    for (uint32_t i = 0; i < n; i++) {
        items[i].index = i + 1 < n ? i * 97 : m->n_buckets - 1;
        items[i].value = 0.25f;
    }
    if (n >= 2 && items[n - 2].index >= items[n - 1].index)
        n--; /* keep the indexes strictly increasing */
    cfd_featvec x = {items, n};
    cfd_model_scores(m, &x, scores);
    cfd_model_probs(m, scores, probs);
    double sum = 0;
    for (uint32_t i = 0; i < m->n_labels; i++) {
        CFD__CHECK(!(probs[i] < 0) && !(probs[i] > 1.0001f));
        sum += probs[i];
    }
    /* Finite weights give a distribution; the loader must not accept
     * weights that make scoring produce NaN. */
    CFD__CHECK(fabs(sum - 1.0) < 1e-3);
    (void)cfd_argmax(probs, m->n_labels);
    if (m->packed != NULL) {
        /* The packed table scores as the float rows do, up to float
         * rounding of q x scale, relative to the sum of |x w|. */
        cfd_model *mm = (cfd_model *)m;
        unsigned char *p = mm->packed;
        float *rows_scores = malloc(sizeof(float) * m->n_labels);
        CFD__CHECK(rows_scores != NULL);
        mm->packed = NULL;
        cfd_model_scores(m, &x, rows_scores);
        mm->packed = p;
        double mag = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = m->row_of[items[i].index];
            for (uint32_t c = 0; r != CFD_NO_ROW && c < m->n_labels; c++)
                mag += fabs((double)items[i].value * m->rows[(size_t)r * m->n_labels + c]);
        }
        for (uint32_t c = 0; c < m->n_labels; c++) {
            double d = fabs((double)scores[c] - (double)rows_scores[c]);
            if (!(d <= 1e-5 * (1.0 + mag + fabs((double)m->bias[c])))) {
                fprintf(stderr, "label %u: packed %g, rows %g, magnitude %g\n", c,
                        (double)scores[c], (double)rows_scores[c], mag);
                CFD__CHECK(0);
            }
        }
        free(rows_scores);
    }
    free(items);
    free(scores);
    free(probs);
}

static void cfd__same_model(const cfd_model *a, const cfd_model *b)
{
    CFD__CHECK(strcmp(a->name, b->name) == 0);
    CFD__CHECK(a->n_labels == b->n_labels);
    for (uint32_t i = 0; i < a->n_labels; i++)
        CFD__CHECK(strcmp(a->labels[i], b->labels[i]) == 0);
    CFD__CHECK(cfd_feat_config_equal(&a->feat, &b->feat));
    CFD__CHECK(a->n_buckets == b->n_buckets);
    CFD__CHECK(memcmp(a->bias, b->bias, sizeof(float) * a->n_labels) == 0);
    CFD__CHECK((a->idf == NULL) == (b->idf == NULL));
    if (a->idf)
        CFD__CHECK(memcmp(a->idf, b->idf, sizeof(float) * a->n_buckets) == 0);
    for (uint32_t f = 0; f < a->n_buckets; f++) {
        const float *ra = a->row_of[f] == CFD_NO_ROW ? NULL : a->rows + (size_t)a->row_of[f] * a->n_labels;
        const float *rb = b->row_of[f] == CFD_NO_ROW ? NULL : b->rows + (size_t)b->row_of[f] * b->n_labels;
        for (uint32_t c = 0; c < a->n_labels; c++) {
            float wa = ra ? ra[c] : 0.0f, wb = rb ? rb[c] : 0.0f;
            CFD__CHECK(wa == wb);
        }
    }
    CFD__CHECK(strcmp(a->meta.version, b->meta.version) == 0);
}

/*
 * Serving a model with IDF (plugins/linear): after cfd_model_fuse_idf and
 * cfd_model_shed_rows, TF-only features scored by cfd_model_scores_tf must
 * give the bits the featurizer's weighting + cfd_model_scores give on the
 * model as loaded, or both must fail with CFD_ERANGE. Changes m.
 */
static void cfd__check_fused(cfd_model *m)
{
    if (m->packed == NULL || m->idf == NULL)
        return;
    uint32_t n = m->n_buckets / 61 + 1;
    cfd_feature *items = malloc(sizeof(*items) * n);
    float *a = malloc(sizeof(float) * m->n_labels), *b = malloc(sizeof(float) * m->n_labels);
    cfd_featurizer *fz = NULL;
    CFD__CHECK(items && a && b && cfd_featurizer_new(&fz) == 0);
    for (uint32_t i = 0; i < n; i++) {
        items[i].index = i * 61;
        items[i].value = (float)(1 + i % 5) + (i % 3 == 0 ? 2.0f : 0.0f); /* raw counts */
    }
    cfd_featvec counts = {items, n}, w;
    int rc_a = cfd_feat_weight(fz, &m->feat, m->idf, &counts, &w);
    if (rc_a == 0)
        cfd_model_scores(m, &w, a);
    if (cfd_model_fuse_idf(m) == 0 && m->packed_idf_off != 0) {
        cfd_model_shed_rows(m);
        CFD__CHECK(m->idf == NULL);
        const cfd_feat_config tf_cfg = cfd_model_tf_config(m);
        CFD__CHECK(cfd_feat_weight(fz, &tf_cfg, NULL, &counts, &w) == 0);
        int rc_b = cfd_model_scores_tf(m, &w, b);
        CFD__CHECK(rc_a == rc_b);
        if (rc_a == 0)
            CFD__CHECK(memcmp(a, b, sizeof(float) * m->n_labels) == 0);
    }
    cfd_featurizer_free(fz);
    free(items);
    free(a);
    free(b);
}

static void cfd__load(const uint8_t *data, size_t size)
{
    cfd_model *m = NULL;
    cfd_error err;
    cfd_error_clear(&err);
    int rc = cfd_model_load_buffer(data, size, &m, &err);
    if (rc != 0) {
        CFD__CHECK(rc < 0 && m == NULL);
        CFD__CHECK(err.msg[0] != '\0');
        return;
    }
    CFD__CHECK(m != NULL);
    cfd__use_model(m);

    /* Round trip: what we write we must read back identically. */
    void *buf = NULL;
    size_t len = 0;
    CFD__CHECK(cfd_model_serialize(m, CFD_WEIGHTS_F32, &buf, &len, &err) == 0);
    cfd_model *again = NULL;
    rc = cfd_model_load_buffer(buf, len, &again, &err);
    if (rc != 0)
        fprintf(stderr, "fuzz_model_load: re-reading a serialised model failed: %s\n", err.msg);
    CFD__CHECK(rc == 0);
    cfd__same_model(m, again);
    cfd_model_free(again);
    free(buf);
    cfd__check_fused(m); /* last: it rebuilds the table and frees the rows */
    cfd_model_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cfd__load(data, size);
    if (size < CFD_MF_HEADER_LEN + CFD_MF_TRAILER_LEN)
        return 0;
    uint8_t *fixed = malloc(size);
    if (fixed == NULL)
        return 0;
    memcpy(fixed, data, size);
    cfd_le64_put(fixed + 16, (uint64_t)size);
    cfd_le64_put(fixed + size - CFD_MF_TRAILER_LEN,
                 XXH3_64bits(fixed, size - CFD_MF_TRAILER_LEN));
    if (memcmp(fixed, data, size) != 0)
        cfd__load(fixed, size);
    free(fixed);
    return 0;
}
