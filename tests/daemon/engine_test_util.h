/*
 * Helpers shared by the engine's unit tests (test_engine.c,
 * test_model_registry.c, test_plugin_loader.c): temporary directories and
 * small but real linear models built with the core API.
 *
 * A "keyword model" is trained by hand: for label c, its keyword text is
 * featurized with the model's own config and every resulting bucket gets
 * weight +strength for label c. An article containing the keywords of a
 * label then scores that label highest through the real featurizer and
 * scorer, so tests check behaviour end to end without shipping a model.
 *
 * Header-only (static functions) so it needs no build rule; include it
 * after <cmocka.h>.
 */
#ifndef CFD_ENGINE_TEST_UTIL_H
#define CFD_ENGINE_TEST_UTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "featurize.h"
#include "model.h"

#ifndef CFD_BINARY_DIR
#define CFD_BINARY_DIR "."
#endif
#define TU_TEST_PLUGIN_DIR CFD_BINARY_DIR "/tests/plugins"

static inline void tu_tmpdir(char *buf, size_t cap)
{
    const char *base = getenv("TMPDIR");
    snprintf(buf, cap, "%s/cfd-engine-test-XXXXXX", base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(buf));
}

static inline void tu_rmrf(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *de;
    char p[4096];
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= (int)sizeof(p))
            continue;
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            tu_rmrf(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static inline void tu_write(const char *dir, const char *name, const char *text)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Word unigrams + character bigrams, no IDF (or with IDF when use_idf). */
static inline cfd_feat_config tu_config(uint32_t seed, int use_idf)
{
    cfd_feat_config c;
    memset(&c, 0, sizeof(c));
    c.hash_bits = 12;
    c.word_unigrams = 1;
    c.char_min = 2;
    c.char_max = 2;
    c.sublinear_tf = 1;
    c.use_idf = (uint8_t)use_idf;
    c.l2_normalize = 1;
    c.title_weight = 1.0f;
    c.seed = seed;
    return c;
}

/* Added to every IDF value of the next models made (tests that need two
 * different IDF tables with one featurizer config). */
static float tu_idf_offset = 0.0f;

/*
 * Writes <dir>/<file>: a model named `name` with labels[i] driven by the
 * words in keywords[i]. Returns nothing; fails the test on error.
 */
static inline void tu_make_model(const char *dir, const char *file, const char *name,
                                 const char *const *labels, const char *const *keywords,
                                 uint32_t n, const cfd_feat_config *cfg, const char *version)
{
    cfd_error err;
    cfd_featurizer *fz;
    assert_int_equal(cfd_featurizer_new(&fz), 0);
    uint32_t nb = 1u << cfg->hash_bits;
    float *w = calloc((size_t)nb * n, sizeof(float));
    float *bias = calloc(n, sizeof(float));
    float *idf = NULL;
    assert_non_null(w);
    assert_non_null(bias);
    if (cfg->use_idf) {
        idf = malloc(nb * sizeof(float));
        assert_non_null(idf);
        for (uint32_t b = 0; b < nb; b++)
            idf[b] = 1.0f + (float)(b % 3) * 0.25f + tu_idf_offset;
    }
    for (uint32_t c = 0; c < n; c++) {
        cfd_featvec v;
        assert_int_equal(cfd_featurize_counts(fz, cfg, NULL, 0, keywords[c], strlen(keywords[c]),
                                              &v, &err),
                         0);
        for (uint32_t k = 0; k < v.n; k++)
            w[(size_t)v.items[k].index * n + c] += 4.0f;
    }
    cfd_model_meta meta;
    memset(&meta, 0, sizeof(meta));
    snprintf(meta.version, sizeof(meta.version), "%s", version);
    snprintf(meta.solver, sizeof(meta.solver), "L2R_LR");
    meta.c = 1.0;
    cfd_model *m = NULL;
    int rc = cfd_model_from_dense(name, labels, n, cfg, w, bias, idf, 3.0f, &meta, &m, &err);
    if (rc != 0)
        fail_msg("cfd_model_from_dense: %s", err.msg);
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    rc = cfd_model_save(m, path, CFD_WEIGHTS_F32, &err);
    if (rc != 0)
        fail_msg("cfd_model_save: %s", err.msg);
    cfd_model_free(m);
    free(w);
    free(bias);
    free(idf);
    cfd_featurizer_free(fz);
}

/* The three standard test models: topic, section (same config) and
 * sentiment (same config unless sentiment_seed differs). */
static const char *const tu_topic_labels[] = {"경제", "정치", "스포츠"};
static const char *const tu_topic_kw[] = {
    "경제 규제자유특구 중소벤처기업부 중기부 기업 투자 지원",
    "정치 국회 의원 선거 여당 야당",
    "스포츠 축구 야구 경기 선수 감독"};
static const char *const tu_section_labels[] = {"경제", "정치", "스포츠", "사회"};
static const char *const tu_section_kw[] = {
    "경제 규제자유특구 특구 기업 혁신 중기부",
    "정치 국회 의원 선거",
    "스포츠 축구 야구 선수",
    "사회 경찰 사건 사고 법원"};
static const char *const tu_sentiment_labels[] = {"positive", "neutral", "negative"};
static const char *const tu_sentiment_kw[] = {"성장 성공 혁신 성과 발전", "개최 논의 밝혔다",
                                              "사고 사망 피해 부상 참사 하락"};

static inline void tu_make_standard_models(const char *dir, uint32_t sentiment_seed)
{
    cfd_feat_config cfg = tu_config(7, 0);
    cfd_feat_config scfg = tu_config(sentiment_seed, 0);
    tu_make_model(dir, "topic.cfdm", "topic", tu_topic_labels, tu_topic_kw, 3, &cfg, "t-v1");
    tu_make_model(dir, "section.cfdm", "section", tu_section_labels, tu_section_kw, 4, &cfg,
                  "s-v1");
    tu_make_model(dir, "sentiment.cfdm", "sentiment", tu_sentiment_labels, tu_sentiment_kw, 3,
                  &scfg, "m-v1");
}

#endif
