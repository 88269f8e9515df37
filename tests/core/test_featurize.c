/*
 * Tests for core/featurize.c: exact features for a small input computed
 * independently (hashing the expected strings with hash.h), determinism,
 * title weighting, sublinear TF, IDF, L2, the pipeline's normalisations
 * (NFC, markup, news cleaning) reaching the features, invalid UTF-8, empty
 * and huge input, scratch reuse. The config's own checks and identity are
 * in test_feat_config.c.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <classifyd/error.h>

#include "featurize.h"
#include "hash.h"

/* ---- an independent model of the expected features ---------------- */

typedef struct {
    uint32_t index;
    double value;
} exp_feat;

typedef struct {
    exp_feat items[512];
    size_t n;
    const cfd_feat_config *cfg;
} expected;

static void exp_add(expected *e, uint64_t h, double w)
{
    uint32_t idx = cfd_hash_bucket(h, e->cfg->hash_bits);
    for (size_t i = 0; i < e->n; i++)
        if (e->items[i].index == idx) {
            e->items[i].value += w;
            return;
        }
    assert_true(e->n < 512);
    e->items[e->n].index = idx;
    e->items[e->n].value = w;
    e->n++;
}

static uint64_t seed_of(const cfd_feat_config *cfg, unsigned kind)
{
    return cfd_hash_kind_seed(cfg->seed, kind);
}

/* Adds the features of one already tokenised text: words[] with their
 * code points given as separate strings (so n-grams are built here, not by
 * the code under test). */
static void exp_text(expected *e, const char *const *const *words, size_t nwords, double w)
{
    const cfd_feat_config *cfg = e->cfg;
    uint64_t prev = 0;
    for (size_t k = 0; k < nwords; k++) {
        const char *const *cps = words[k];
        char word[256] = "";
        size_t ncp = 0;
        for (; cps[ncp]; ncp++)
            strcat(word, cps[ncp]);
        uint64_t h = cfd_hash_bytes(word, strlen(word), seed_of(cfg, CFD_HK_UNIGRAM));
        if (cfg->word_unigrams)
            exp_add(e, h, w);
        if (cfg->word_bigrams && k > 0)
            exp_add(e, cfd_hash_bigram(prev, h, seed_of(cfg, CFD_HK_BIGRAM)), w);
        prev = h;
        for (unsigned g = cfg->char_min; g && g <= cfg->char_max; g++)
            for (size_t i = 0; i + g <= ncp; i++) {
                char gram[64] = "";
                for (size_t j = i; j < i + g; j++)
                    strcat(gram, cps[j]);
                exp_add(e, cfd_hash_bytes(gram, strlen(gram), seed_of(cfg, CFD_HK_CHAR + g)), w);
            }
    }
}

static int cmp_expf(const void *a, const void *b)
{
    uint32_t x = ((const exp_feat *)a)->index, y = ((const exp_feat *)b)->index;
    return x < y ? -1 : x > y;
}

static void expect_vec(expected *e, const cfd_featvec *v)
{
    qsort(e->items, e->n, sizeof e->items[0], cmp_expf);
    assert_int_equal(v->n, e->n);
    for (size_t i = 0; i < e->n; i++) {
        assert_int_equal(v->items[i].index, e->items[i].index);
        assert_float_equal(v->items[i].value, e->items[i].value, 1e-5);
    }
}

static void check_well_formed(const cfd_featvec *v, unsigned bits)
{
    for (uint32_t i = 0; i < v->n; i++) {
        assert_true(v->items[i].index < (UINT32_C(1) << bits));
        assert_true(isfinite(v->items[i].value));
        assert_true(v->items[i].value != 0.0f);
        if (i > 0)
            assert_true(v->items[i - 1].index < v->items[i].index);
    }
}

static double l2(const cfd_featvec *v)
{
    double s = 0;
    for (uint32_t i = 0; i < v->n; i++)
        s += (double)v->items[i].value * v->items[i].value;
    return sqrt(s);
}

static cfd_feat_config raw_config(void)
{
    cfd_feat_config c;
    cfd_feat_config_default(&c);
    c.hash_bits = 20;
    c.word_unigrams = 1;
    c.word_bigrams = 1;
    c.char_min = 1;
    c.char_max = 2;
    c.sublinear_tf = 0;
    c.use_idf = 0;
    c.l2_normalize = 0;
    c.clean_news = 0;
    c.title_weight = 2.0f;
    c.seed = 12345;
    return c;
}

static int setup(void **state)
{
    cfd_featurizer *fz;
    if (cfd_featurizer_new(&fz) != 0)
        return -1;
    *state = fz;
    return 0;
}

static int teardown(void **state)
{
    cfd_featurizer_free(*state);
    return 0;
}

#define S(x) x, strlen(x)

/* ---- tests ---------------------------------------------------------- */

static void test_exact_counts(void **state)
{
    cfd_featurizer *fz = *state;
    cfd_feat_config cfg = raw_config();
    cfd_featvec v;
    cfd_error err;
    /* title "AB 가나!" body "가나, 다 2018년" */
    assert_int_equal(cfd_featurize_counts(fz, &cfg, S("AB 가나!"), S("가나, 다 2018년"), &v, &err), 0);

    static const char *const ab[] = {"a", "b", NULL}, *const gana[] = {"가", "나", NULL},
                             *const da[] = {"다", NULL}, *const year[] = {"년", NULL};
    static const char *const *const title[] = {ab, gana};
    static const char *const *const body[] = {gana, da, year};
    expected e = {.n = 0, .cfg = &cfg};
    exp_text(&e, title, 2, cfg.title_weight);
    exp_text(&e, body, 3, 1.0);
    /* the digit token: unigram and bigrams, no character n-grams */
    uint64_t h_da = cfd_hash_bytes("다", 3, seed_of(&cfg, CFD_HK_UNIGRAM));
    uint64_t h_2018 = cfd_hash_bytes("2018", 4, seed_of(&cfg, CFD_HK_UNIGRAM));
    uint64_t h_year = cfd_hash_bytes("년", 3, seed_of(&cfg, CFD_HK_UNIGRAM));
    /* exp_text paired 다-년 directly; undo that and insert 2018 between */
    exp_add(&e, cfd_hash_bigram(h_da, h_year, seed_of(&cfg, CFD_HK_BIGRAM)), -1.0);
    exp_add(&e, h_2018, 1.0);
    exp_add(&e, cfd_hash_bigram(h_da, h_2018, seed_of(&cfg, CFD_HK_BIGRAM)), 1.0);
    exp_add(&e, cfd_hash_bigram(h_2018, h_year, seed_of(&cfg, CFD_HK_BIGRAM)), 1.0);
    /* drop the zeroed entry */
    size_t k = 0;
    for (size_t i = 0; i < e.n; i++)
        if (fabs(e.items[i].value) > 1e-9)
            e.items[k++] = e.items[i];
    e.n = k;
    expect_vec(&e, &v);
    check_well_formed(&v, cfg.hash_bits);
    /* 가 appears as a 1-gram in title (x2) and body (x1): value 3 */
    uint32_t ga = cfd_hash_bucket(cfd_hash_bytes("가", 3, seed_of(&cfg, CFD_HK_CHAR + 1)), 20);
    int found = 0;
    for (uint32_t i = 0; i < v.n; i++)
        if (v.items[i].index == ga) {
            assert_float_equal(v.items[i].value, 3.0, 1e-6);
            found = 1;
        }
    assert_true(found);
}

static void test_kinds_differ(void **state)
{
    (void)state;
    /* the same bytes as unigram, bigram input and n-grams of each length
     * hash differently */
    cfd_feat_config cfg = raw_config();
    uint64_t seen[CFD_HK_COUNT];
    size_t n = 0;
    for (unsigned kind = 1; kind < CFD_HK_COUNT; kind++) {
        uint64_t h = cfd_hash_bytes("서울", 6, seed_of(&cfg, kind));
        for (size_t i = 0; i < n; i++)
            assert_true(seen[i] != h);
        seen[n++] = h;
    }
    /* bigram order matters */
    uint64_t a = 1, b = 2;
    assert_true(cfd_hash_bigram(a, b, 7) != cfd_hash_bigram(b, a, 7));
    /* the seed matters */
    assert_true(cfd_hash_kind_seed(1, CFD_HK_UNIGRAM) != cfd_hash_kind_seed(2, CFD_HK_UNIGRAM));
}

static void test_deterministic(void **state)
{
    cfd_featurizer *fz = *state, *fz2;
    assert_int_equal(cfd_featurizer_new(&fz2), 0);
    cfd_feat_config cfg;
    cfd_feat_config_default(&cfg);
    const char *body = "(서울=연합뉴스) 김호준 기자 = 공군은 지난달 발생한 F-15K 추락 사고의 "
                       "원인을 조사하고 있다고 19일 밝혔다. kjh@yna.co.kr";
    cfd_featvec a, b;
    cfd_error err;
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, S("공군 F-15K 추락"), S(body), &a, &err), 0);
    cfd_feature *copy = malloc(a.n * sizeof *copy);
    memcpy(copy, a.items, a.n * sizeof *copy);
    uint32_t n = a.n;
    assert_true(n > 50);
    /* other documents in between must not change the result */
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, S("다른 제목"), S("전혀 다른 본문 text"), &b, &err), 0);
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, S("공군 F-15K 추락"), S(body), &a, &err), 0);
    assert_int_equal(a.n, n);
    assert_memory_equal(a.items, copy, n * sizeof *copy);
    assert_int_equal(cfd_featurize(fz2, &cfg, NULL, S("공군 F-15K 추락"), S(body), &b, &err), 0);
    assert_int_equal(b.n, n);
    assert_memory_equal(b.items, copy, n * sizeof *copy);
    free(copy);
    cfd_featurizer_free(fz2);
}

static void test_title_weight(void **state)
{
    cfd_featurizer *fz = *state;
    cfd_feat_config cfg = raw_config();
    cfd_featvec v;
    cfd_error err;
    cfg.title_weight = 1.0f;
    assert_int_equal(cfd_featurize_counts(fz, &cfg, S("정상 회담 정상"), NULL, 0, &v, &err), 0);
    size_t n = v.n;
    float *base = malloc(n * sizeof *base);
    for (size_t i = 0; i < n; i++)
        base[i] = v.items[i].value;
    cfg.title_weight = 3.5f;
    assert_int_equal(cfd_featurize_counts(fz, &cfg, S("정상 회담 정상"), NULL, 0, &v, &err), 0);
    assert_int_equal(v.n, n);
    for (size_t i = 0; i < n; i++)
        assert_float_equal(v.items[i].value, 3.5f * base[i], 1e-5);
    /* title in the body slot counts once */
    cfg.title_weight = 3.5f;
    assert_int_equal(cfd_featurize_counts(fz, &cfg, NULL, 0, S("정상 회담 정상"), &v, &err), 0);
    for (size_t i = 0; i < n; i++)
        assert_float_equal(v.items[i].value, base[i], 1e-6);
    /* weight 0 ignores the title entirely */
    cfg.title_weight = 0.0f;
    assert_int_equal(cfd_featurize_counts(fz, &cfg, S("정상 회담"), NULL, 0, &v, &err), 0);
    assert_int_equal(v.n, 0);
    free(base);
}

static void test_sublinear_l2_idf(void **state)
{
    cfd_featurizer *fz = *state;
    cfd_feat_config cfg = raw_config();
    cfg.word_bigrams = 0;
    cfg.char_min = cfg.char_max = 0;
    cfd_featvec counts, w;
    cfd_error err;
    /* counts: 가 x3 (title 1 * 2 + body 1), 나 x1 */
    assert_int_equal(cfd_featurize_counts(fz, &cfg, S("가"), S("가 나"), &counts, &err), 0);
    assert_int_equal(counts.n, 2);
    uint32_t i_ga = cfd_hash_bucket(cfd_hash_bytes("가", 3, seed_of(&cfg, CFD_HK_UNIGRAM)), 20);
    uint32_t i_na = cfd_hash_bucket(cfd_hash_bytes("나", 3, seed_of(&cfg, CFD_HK_UNIGRAM)), 20);
    size_t ga = counts.items[0].index == i_ga ? 0 : 1, na = 1 - ga;
    assert_int_equal(counts.items[na].index, i_na);
    assert_float_equal(counts.items[ga].value, 3.0, 1e-6);
    assert_float_equal(counts.items[na].value, 1.0, 1e-6);

    cfg.sublinear_tf = 1;
    assert_int_equal(cfd_feat_weight(fz, &cfg, NULL, &counts, &w), 0);
    assert_float_equal(w.items[ga].value, 1.0 + log(3.0), 1e-6);
    assert_float_equal(w.items[na].value, 1.0, 1e-6);

    float *idf = calloc((size_t)1 << 20, sizeof *idf);
    idf[i_ga] = 0.5f;
    idf[i_na] = 4.0f;
    cfg.use_idf = 1;
    cfg.l2_normalize = 1;
    assert_int_equal(cfd_feat_weight(fz, &cfg, idf, &counts, &w), 0);
    double a = (1.0 + log(3.0)) * 0.5, b = 4.0, norm = sqrt(a * a + b * b);
    assert_float_equal(w.items[ga].value, a / norm, 1e-6);
    assert_float_equal(w.items[na].value, b / norm, 1e-6);
    assert_float_equal(l2(&w), 1.0, 1e-6);
    /* weighting leaves the counts vector alone */
    assert_float_equal(counts.items[ga].value, 3.0, 1e-6);

    /* IDF required when configured */
    assert_int_equal(cfd_feat_weight(fz, &cfg, NULL, &counts, &w), CFD_EINVAL);
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, S("가"), S("나"), &w, &err), CFD_EINVAL);
    assert_non_null(strstr(err.msg, "IDF"));
    /* a non-finite IDF entry is refused, not propagated */
    idf[i_na] = INFINITY;
    assert_int_equal(cfd_featurize(fz, &cfg, idf, S("가"), S("나"), &w, &err), CFD_ERANGE);
    free(idf);

    /* sublinear TF for a count below 1 (title_weight 0.25) stays positive */
    cfg.use_idf = 0;
    cfg.l2_normalize = 0;
    cfg.title_weight = 0.25f;
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, S("가"), NULL, 0, &w, &err), 0);
    assert_int_equal(w.n, 1);
    assert_float_equal(w.items[0].value, 0.25, 1e-6);
    /* large counts use logf, not the table */
    cfg.title_weight = 1.0f;
    char *many = malloc(2 * 1000);
    for (int i = 0; i < 1000; i++)
        memcpy(many + 2 * i, "x ", 2);
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, NULL, 0, many, 2000, &w, &err), 0);
    assert_int_equal(w.n, 1);
    assert_float_equal(w.items[0].value, 1.0 + log(1000.0), 1e-5);
    free(many);
}

static void test_featurize_is_counts_then_weight(void **state)
{
    cfd_featurizer *fz = *state, *fz2;
    assert_int_equal(cfd_featurizer_new(&fz2), 0);
    const char *title = "정상 회담 정상 KBS", *body =
        "정상 회담 정상 정상 북미 정상회담 무산 가능성 kbs KBS 정상 정상 정상 정상 정상 정상";
    /* a word repeated 300 times: a count past the TF table */
    char *many = malloc(300 * 3 + 1);
    for (int i = 0; i < 300; i++)
        memcpy(many + 3 * i, "가 ", 3);
    float *idf = malloc(sizeof(float) << 20);
    for (size_t i = 0; i < (size_t)1 << 20; i++)
        idf[i] = 0.5f + (float)(i % 7);
    for (int variant = 0; variant < 6; variant++) {
        cfd_feat_config cfg;
        cfd_feat_config_default(&cfg);
        cfg.title_weight = variant == 1 ? 1.5f : variant == 2 ? 0.0f : variant == 5 ? 3.0f : 2.0f;
        cfg.sublinear_tf = variant != 3;
        cfg.use_idf = variant == 4;
        cfg.l2_normalize = variant != 5;
        for (int doc = 0; doc < 2; doc++) {
            const char *b = doc ? many : body;
            size_t bl = doc ? 300 * 3 : strlen(body);
            cfd_featvec counts, w, direct;
            cfd_error err;
            assert_int_equal(cfd_featurize_counts(fz, &cfg, S(title), b, bl, &counts, &err), 0);
            assert_int_equal(cfd_feat_weight(fz, &cfg, idf, &counts, &w), 0);
            assert_int_equal(cfd_featurize(fz2, &cfg, idf, S(title), b, bl, &direct, &err), 0);
            assert_int_equal(w.n, direct.n);
            if (memcmp(w.items, direct.items, w.n * sizeof *w.items) != 0)
                fail_msg("variant %d doc %d: cfd_featurize differs from counts + weight", variant,
                         doc);
        }
    }
    free(idf);
    free(many);
    cfd_featurizer_free(fz2);
}

/* Weighting without L2 and then cfd_feat_l2_in_place gives the bits of
 * weighting with L2 (the daemon's featurize cache relies on it), with and
 * without sublinear TF and title weights; it refuses a vector that is not
 * the featurizer's last weighted one, and fails on a non-finite sum of
 * squares, leaving the vector as it was. */
static void test_l2_in_place_is_weight_with_l2(void **state)
{
    cfd_featurizer *fz = *state;
    const char *title = "정상 회담 정상 KBS", *body =
        "정상 회담 정상 정상 북미 정상회담 무산 가능성 kbs KBS 정상 정상 정상 AI 반도체 수출";
    for (int variant = 0; variant < 4; variant++) {
        cfd_feat_config cfg;
        cfd_feat_config_default(&cfg);
        cfg.sublinear_tf = variant != 1;
        cfg.title_weight = variant == 2 ? 1.5f : variant == 3 ? 0.0f : 2.0f;
        cfd_featvec counts, w, tf;
        cfd_error err;
        assert_int_equal(cfd_featurize_counts(fz, &cfg, S(title), S(body), &counts, &err), 0);
        cfg.l2_normalize = 1;
        assert_int_equal(cfd_feat_weight(fz, &cfg, NULL, &counts, &w), 0);
        cfd_feature *want = malloc(w.n * sizeof *want);
        memcpy(want, w.items, w.n * sizeof *want);
        uint32_t n = w.n;
        cfg.l2_normalize = 0;
        assert_int_equal(cfd_feat_weight(fz, &cfg, NULL, &counts, &tf), 0);
        assert_int_equal(cfd_feat_l2_in_place(fz, &tf), 0);
        assert_int_equal(tf.n, n);
        if (memcmp(tf.items, want, n * sizeof *want) != 0)
            fail_msg("variant %d: in-place L2 differs from weighting with L2", variant);
        free(want);
    }
    /* long vectors of varied counts, where the order of the sum of squares
     * shows in the last bits */
    static cfd_feature many[4000];
    uint64_t r = 0x9e3779b97f4a7c15ull;
    for (int rep = 0; rep < 50; rep++) {
        for (uint32_t i = 0; i < 4000; i++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            many[i].index = i * 131;
            many[i].value = (float)(1 + r % 40) + (r >> 40) % 3 * 1.5f;
        }
        cfd_feat_config cfg;
        cfd_feat_config_default(&cfg);
        cfd_featvec counts = {many, 4000}, w, tf;
        cfd_feature *want = malloc(4000 * sizeof *want);
        assert_int_equal(cfd_feat_weight(fz, &cfg, NULL, &counts, &w), 0);
        memcpy(want, w.items, 4000 * sizeof *want);
        cfg.l2_normalize = 0;
        assert_int_equal(cfd_feat_weight(fz, &cfg, NULL, &counts, &tf), 0);
        assert_int_equal(cfd_feat_l2_in_place(fz, &tf), 0);
        if (memcmp(tf.items, want, 4000 * sizeof *want) != 0)
            fail_msg("rep %d: in-place L2 differs from weighting with L2", rep);
        free(want);
    }
    /* not the featurizer's weighted vector */
    cfd_feature own[2] = {{1, 1.0f}, {2, 1.0f}};
    cfd_featvec foreign = {own, 2};
    assert_int_equal(cfd_feat_l2_in_place(fz, &foreign), CFD_EINVAL);
    assert_true(own[0].value == 1.0f);
    cfd_featvec empty = {NULL, 0};
    assert_int_equal(cfd_feat_l2_in_place(fz, &empty), 0);
    /* a non-finite value (raw values pass through a weighting without TF
     * transform and L2): the sum of squares is not finite */
    cfd_feat_config raw;
    cfd_feat_config_default(&raw);
    raw.sublinear_tf = 0;
    raw.l2_normalize = 0;
    cfd_feature big[2] = {{1, 3e38f}, {2, INFINITY}};
    cfd_featvec in = {big, 2}, out;
    assert_int_equal(cfd_feat_weight(fz, &raw, NULL, &in, &out), 0);
    assert_int_equal(cfd_feat_l2_in_place(fz, &out), CFD_ERANGE);
    assert_true(out.items[0].value == 3e38f && isinf(out.items[1].value));
}

static void test_default_is_unit_norm(void **state)
{
    cfd_featurizer *fz = *state;
    cfd_feat_config cfg;
    cfd_feat_config_default(&cfg);
    assert_int_equal(cfd_feat_config_check(&cfg, NULL), 0);
    cfd_featvec v;
    cfd_error err;
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, S("동남아 담당 北 최희철 부상 베이징 도착"),
                                   S("북한이 북미 정상회담 무산 가능성까지 거론하며 강경한 태도를 "
                                     "보이는 가운데 최희철 북한 외무성 부상이 19일 도착했다."),
                                   &v, &err),
                     0);
    assert_true(v.n > 100);
    check_well_formed(&v, cfg.hash_bits);
    assert_float_equal(l2(&v), 1.0, 1e-5);
}

static void test_normalisations_reach_features(void **state)
{
    cfd_featurizer *fz = *state, *fz2;
    assert_int_equal(cfd_featurizer_new(&fz2), 0);
    cfd_feat_config cfg;
    cfd_feat_config_default(&cfg);
    struct {
        const char *a, *b;
    } same[] = {
        /* decomposed jamo vs syllables, e + U+0301 vs é */
        {"\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab\xe1\x84\x80\xe1\x85\xb3\xe1\x86\xaf cafe\xcc\x81",
         "한글 caf\xc3\xa9"},
        /* markup and entities */
        {"<p><b>삼성</b>전자 &amp; LG</p>", "삼성전자 & LG"},
        /* case and fullwidth */
        {"ＫＢＳ Seoul", "kbs SEOUL"},
        /* news cleaning: byline, dateline, e-mail, marker */
        {"(서울=연합뉴스) 김호준 기자 = [단독] 공군 발표 kjh@yna.co.kr", "공군 발표"},
        /* compatibility ideograph */
        {"\xef\xa7\xa1\xeb\xb0\x95", "\xe6\x9d\x8e\xeb\xb0\x95"},
    };
    for (size_t k = 0; k < sizeof same / sizeof same[0]; k++) {
        cfd_featvec a, b;
        cfd_error err;
        assert_int_equal(cfd_featurize(fz, &cfg, NULL, NULL, 0, S(same[k].a), &a, &err), 0);
        assert_int_equal(cfd_featurize(fz2, &cfg, NULL, NULL, 0, S(same[k].b), &b, &err), 0);
        if (a.n != b.n || memcmp(a.items, b.items, a.n * sizeof *a.items) != 0)
            fail_msg("case %zu: \"%s\" and \"%s\" featurize differently", k, same[k].a, same[k].b);
    }
    /* without clean_news the byline is content */
    cfg.clean_news = 0;
    cfd_featvec a, b;
    cfd_error err;
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, NULL, 0, S(same[3].a), &a, &err), 0);
    assert_int_equal(cfd_featurize(fz2, &cfg, NULL, NULL, 0, S(same[3].b), &b, &err), 0);
    assert_true(a.n > b.n);
    cfd_featurizer_free(fz2);
}

static void test_invalid_utf8(void **state)
{
    cfd_featurizer *fz = *state;
    cfd_feat_config cfg;
    cfd_feat_config_default(&cfg);
    cfd_featvec v;
    cfd_error err;
    cfd_error_clear(&err);
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, S("제목\xed\xa0\x80"), S("본문"), &v, &err),
                     CFD_EUTF8);
    assert_int_equal(err.code, CFD_EUTF8);
    assert_int_equal(err.offset, 6);
    assert_non_null(strstr(err.msg, "title"));
    assert_int_equal(v.n, 0);
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, S("제목"), S("본문 본문 \xc0\xaf"), &v, &err),
                     CFD_EUTF8);
    assert_int_equal(err.offset, 14);
    assert_non_null(strstr(err.msg, "body"));
    assert_int_equal(cfd_featurize_counts(fz, &cfg, NULL, 0, S("abc\x80"), &v, &err), CFD_EUTF8);
    assert_int_equal(err.offset, 3);
    /* a bad byte inside markup is still found in the original text */
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, NULL, 0, S("<p>x\xff</p>"), &v, &err), CFD_EUTF8);
    assert_int_equal(err.offset, 4);
}

static void test_empty(void **state)
{
    cfd_featurizer *fz = *state;
    cfd_feat_config cfg;
    cfd_feat_config_default(&cfg);
    cfd_featvec v;
    cfd_error err;
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, NULL, 0, NULL, 0, &v, &err), 0);
    assert_int_equal(v.n, 0);
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, S(""), S(" .,!? 😀 \t"), &v, &err), 0);
    assert_int_equal(v.n, 0);
    static const char nuls[8] = {0};
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, NULL, 0, nuls, sizeof nuls, &v, &err), 0);
    assert_int_equal(v.n, 0);
    /* NULL with a length is an error, not a crash */
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, NULL, 3, NULL, 0, &v, &err), CFD_EINVAL);
}

static void test_huge(void **state)
{
    cfd_featurizer *fz = *state;
    cfd_feat_config cfg;
    cfd_feat_config_default(&cfg);
    cfd_featvec v;
    cfd_error err;
    /* 1 MB of one syllable: one token, n-grams from its first code points */
    size_t reps = (1 << 20) / 3;
    char *s = malloc(reps * 3);
    for (size_t i = 0; i < reps; i++)
        memcpy(s + 3 * i, "가", 3);
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, NULL, 0, s, reps * 3, &v, &err), 0);
    assert_int_equal(v.n, 4); /* the word, and the 1-, 2- and 3-gram of 가 */
    assert_float_equal(l2(&v), 1.0, 1e-5);
    /* 1 MB of short words and NUL bytes */
    for (size_t i = 0; i < reps * 3; i++)
        s[i] = "ab\0c d"[i % 6];
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, NULL, 0, s, reps * 3, &v, &err), 0);
    check_well_formed(&v, cfg.hash_bits);
    assert_true(v.n > 5);
    /* a small hash space: many collisions, still sorted and unique */
    cfg.hash_bits = CFD_HASH_BITS_MIN;
    uint32_t x = 2463534242u; /* xorshift32: varied words */
    for (size_t i = 0; i < reps * 3; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        s[i] = (char)('a' + x % 26);
    }
    for (size_t i = 5; i < reps * 3; i += 6)
        s[i] = ' ';
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, NULL, 0, s, reps * 3, &v, &err), 0);
    check_well_formed(&v, cfg.hash_bits);
    assert_true(v.n > 1000); /* most of the 1024 buckets are hit */
    free(s);
    /* over the limit: refused before reading */
    char one = 'x';
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, NULL, 0, &one, ((size_t)64 << 20) + 1, &v, &err),
                     CFD_ETOOBIG);
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, &one, (size_t)40 << 20, &one, (size_t)30 << 20,
                                   &v, &err),
                     CFD_ETOOBIG);
}

static void test_scratch_reused(void **state)
{
    cfd_featurizer *fz = *state;
    cfd_feat_config cfg;
    cfd_feat_config_default(&cfg);
    cfd_featvec v;
    cfd_error err;
    const char *big = "북한이 북미 정상회담 무산 가능성까지 거론하며 강경한 태도를 보이는 가운데 "
                      "동남아시아 외교를 담당하는 최희철 북한 외무성 부상이 19일 중국 베이징에";
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, S("제목"), S(big), &v, &err), 0);
    const cfd_feature *items = v.items;
    /* smaller documents: the same output buffer, no reallocation */
    for (int i = 0; i < 10; i++) {
        assert_int_equal(cfd_featurize(fz, &cfg, NULL, S("짧은 제목"), S("짧은 본문입니다"), &v, &err), 0);
        assert_ptr_equal(v.items, items);
    }
}

/* cfd_featurizer_trust_utf8: on valid text the trusting featurizer gives
 * exactly the validating one's features (NFC, markup, cleaning included). */
static void test_trust_utf8_same_features(void **state)
{
    cfd_featurizer *fz = *state, *fz2;
    assert_int_equal(cfd_featurizer_new(&fz2), 0);
    cfd_featurizer_trust_utf8(fz2, 1);
    cfd_feat_config cfg;
    cfd_feat_config_default(&cfg);
    const char *texts[] = {
        "(서울=연합뉴스) 홍길동 기자 = 삼성전자가 26일 <b>신제품</b>을 발표했다 &amp; hong@yna.co.kr",
        "Cafe\xcc\x81 ＫＢＳ 뉴스 \xe1\x84\x80\xe1\x85\xa1 [앵커] http://x.kr 끝",
        "a", "가나", "",
    };
    for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
        cfd_featvec a, b;
        cfd_error err;
        assert_int_equal(cfd_featurize(fz, &cfg, NULL, S("제목 title"), S(texts[k]), &a, &err), 0);
        assert_int_equal(cfd_featurize(fz2, &cfg, NULL, S("제목 title"), S(texts[k]), &b, &err), 0);
        assert_int_equal(a.n, b.n);
        assert_true(a.n > 0);
        for (uint32_t i = 0; i < a.n; i++) {
            assert_int_equal(a.items[i].index, b.items[i].index);
            assert_true(a.items[i].value == b.items[i].value);
        }
    }
    /* the validating featurizer still refuses invalid UTF-8 */
    cfd_featvec v;
    cfd_error err;
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, NULL, 0, S("ab\xc3\x28"), &v, &err), CFD_EUTF8);
    cfd_featurizer_free(fz2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exact_counts, setup, teardown),
        cmocka_unit_test(test_kinds_differ),
        cmocka_unit_test_setup_teardown(test_deterministic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_title_weight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sublinear_l2_idf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_featurize_is_counts_then_weight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_l2_in_place_is_weight_with_l2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_is_unit_norm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normalisations_reach_features, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_huge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scratch_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trust_utf8_same_features, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
