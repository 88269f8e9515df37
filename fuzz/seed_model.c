/*
 * Writes the seed models of fuzz/corpus/fuzz_model_load/ with the core API
 * (cfd_model_from_dense + cfd_model_serialize), so the seeds are real files
 * of the current format and can be remade when the format changes:
 *
 *     build-fuzz/fuzz/fuzz_seed_model fuzz/corpus/fuzz_model_load
 *
 * Three small models (2^10 buckets, a few non-zero rows): float32 weights
 * without IDF and without metadata text; int8 (q8) weights with an IDF table,
 * metrics JSON and notes; and a two-label binary-style model.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "featurize.h"
#include "model.h"

static int cfd__write(const char *dir, const char *file, const char *name,
                      const char *const *labels, uint32_t n, int idf_on,
                      enum cfd_weight_encoding enc, int with_text)
{
    cfd_feat_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.hash_bits = 10;
    cfg.word_unigrams = 1;
    cfg.word_bigrams = idf_on != 0;
    cfg.char_min = 1;
    cfg.char_max = 2;
    cfg.sublinear_tf = 1;
    cfg.use_idf = idf_on != 0;
    cfg.l2_normalize = 1;
    cfg.clean_news = 1;
    cfg.word_prefix = idf_on == 1; /* one seed with a FOPT section (format 1.1) */
    cfg.title_weight = 2.0f;
    cfg.seed = 42;
    uint32_t nb = 1u << cfg.hash_bits;
    float *w = calloc((size_t)nb * n, sizeof(float));
    float *bias = calloc(n, sizeof(float));
    float *idf = idf_on ? malloc(nb * sizeof(float)) : NULL;
    if (w == NULL || bias == NULL || (idf_on && idf == NULL))
        return 1;
    for (uint32_t f = 0; f < nb; f += 37)
        for (uint32_t c = 0; c < n; c++)
            w[(size_t)f * n + c] = (float)((int)((f * 7 + c * 13) % 17) - 8) * 0.125f;
    for (uint32_t c = 0; c < n; c++)
        bias[c] = (float)c * -0.25f;
    /* idf_on 1: five values (saved as a table and codes, IDF encoding 1);
     * 2: a different value for every bucket (saved as float32) */
    for (uint32_t b = 0; idf && b < nb; b++)
        idf[b] = idf_on == 1 ? 1.0f + (float)(b % 5) * 0.5f : 1.0f + (float)b / 128.0f;
    cfd_model_meta meta;
    memset(&meta, 0, sizeof(meta));
    snprintf(meta.version, sizeof(meta.version), "20261128T0900Z");
    snprintf(meta.solver, sizeof(meta.solver), "L2R_LR");
    snprintf(meta.data_sha256, sizeof(meta.data_sha256), "%064d", 0);
    meta.c = 1.0;
    meta.n_examples = 1234;
    meta.created_unix = 1795856400;
    if (with_text) {
        meta.metrics_json = (char *)"{\"accuracy\":0.9,\"macro_f1\":0.85}";
        meta.notes = (char *)"fuzz seed; 한국어 메모";
    }
    cfd_model *m = NULL;
    cfd_error err;
    if (cfd_model_from_dense(name, labels, n, &cfg, w, bias, idf, 1.5f, &meta, &m, &err) != 0) {
        fprintf(stderr, "%s: %s\n", file, err.msg);
        return 1;
    }
    void *buf = NULL;
    size_t len = 0;
    if (cfd_model_serialize(m, enc, &buf, &len, &err) != 0) {
        fprintf(stderr, "%s: %s\n", file, err.msg);
        return 1;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    printf("%s: %zu bytes\n", path, len);
    free(buf);
    cfd_model_free(m);
    free(w);
    free(bias);
    free(idf);
    return 0;
}

int main(int argc, char **argv)
{
    static const char *const sections[] = {"경제", "정치", "사회", "IT과학"};
    static const char *const tones[] = {"positive", "neutral", "negative"};
    static const char *const binary[] = {"no", "yes"};
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    return cfd__write(argv[1], "section-f32.cfdm", "section", sections, 4, 0, CFD_WEIGHTS_F32, 0) |
           cfd__write(argv[1], "sentiment-q8-idf.cfdm", "sentiment", tones, 3, 1,
                      CFD_WEIGHTS_Q8, 1) |
           cfd__write(argv[1], "sentiment-q8-idf-f32.cfdm", "sentiment", tones, 3, 2,
                      CFD_WEIGHTS_Q8, 1) |
           cfd__write(argv[1], "binary-f32.cfdm", "spam", binary, 2, 0, CFD_WEIGHTS_F32, 1);
}
