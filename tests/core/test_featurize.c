/*
 * Tests for core/featurize.c, from text to counted features: exact
 * features for a small input computed independently (hashing the expected
 * strings with hash.h), determinism, title weighting, the pipeline's
 * normalisations (NFC, markup, news cleaning) reaching the features,
 * invalid UTF-8, empty and huge input, scratch reuse, the letters read by
 * class (cfd_featurizer_letters). Weighting (TF, IDF,
 * L2) is tested in test_feat_weight.c, the config's own checks and identity
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
#include "featurize_fixture.h"
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
        /* word_prefix: the first two syllables of a word of three or more
         * Hangul syllables (U+AC00..U+D7A3: EA B0 80 .. ED 9E A3) */
        int hangul = ncp > 2;
        for (size_t i = 0; i < ncp && hangul; i++) {
            const unsigned char *c = (const unsigned char *)cps[i];
            unsigned cp = strlen(cps[i]) == 3
                              ? ((c[0] & 0x0Fu) << 12) | ((c[1] & 0x3Fu) << 6) | (c[2] & 0x3Fu)
                              : 0;
            hangul = cp >= 0xAC00 && cp <= 0xD7A3;
        }
        if (cfg->word_prefix && hangul) {
            char pre[16] = "";
            strcat(pre, cps[0]);
            strcat(pre, cps[1]);
            exp_add(e, cfd_hash_bytes(pre, strlen(pre), seed_of(cfg, CFD_HK_PREFIX)), w);
        }
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

/* word_prefix: one more feature for each word of three or more Hangul
 * syllables, its first two; none for shorter words, Latin or digits. */
static void test_word_prefix(void **state)
{
    cfd_featurizer *fz = *state;
    static const char *const w1[] = {"증", "가", "했", "다", NULL}, *const w2[] = {"증", "가", "한", NULL},
                             *const w3[] = {"정", "부", NULL}, *const w4[] = {"n", "e", "w", "s", NULL},
                             *const w5[] = {"가", "나", "다", NULL};
    static const char *const *const body[] = {w1, w2, w3, w4, w5};
    for (int on = 0; on <= 1; on++) {
        cfd_feat_config cfg = raw_config();
        cfg.word_prefix = (uint8_t)on;
        cfd_featvec v;
        cfd_error err;
        assert_int_equal(cfd_featurize_counts(fz, &cfg, NULL, 0, S("증가했다 증가한 정부 News 가나다"),
                                              &v, &err), 0);
        expected e = {.n = 0, .cfg = &cfg};
        exp_text(&e, body, 5, 1.0);
        expect_vec(&e, &v);
        /* 증가 as a prefix: twice when on, not at all when off */
        uint32_t b = cfd_hash_bucket(cfd_hash_bytes("증가", 6, seed_of(&cfg, CFD_HK_PREFIX)), 20);
        double got = 0;
        for (uint32_t i = 0; i < v.n; i++)
            if (v.items[i].index == b)
                got = v.items[i].value;
        assert_float_equal(got, on ? 2.0 : 0.0, 1e-6);
    }
    /* Jamo are Hangul tokens too (tokenize.h): "ㅋㅋㅋ" has the prefix
     * "ㅋㅋ", as features.h says. */
    cfd_feat_config cfg = raw_config();
    cfg.word_prefix = 1;
    cfd_featvec v;
    cfd_error err;
    assert_int_equal(cfd_featurize_counts(fz, &cfg, NULL, 0, S("ㅋㅋㅋ"), &v, &err), 0);
    uint32_t b = cfd_hash_bucket(cfd_hash_bytes("ㅋㅋ", 6, seed_of(&cfg, CFD_HK_PREFIX)), 20);
    int found = 0;
    for (uint32_t i = 0; i < v.n; i++)
        found |= v.items[i].index == b;
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
        /* Greek final sigma */
        {"ΟΔΟΣ", "οδος"},
        /* a title in angle brackets is content, CDATA keeps its text */
        {"<![CDATA[<p>JTBC <SKY 캐슬> 시청률</p>]]>", "JTBC SKY 캐슬 시청률"},
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

/* Char n-grams of a token whose bytes add up to 3 per code point without
 * every code point being 3 bytes (a 2-byte and a 4-byte letter): the same
 * n-grams as each letter alone gives, i.e. the fast path must not take it. */
static void test_mixed_width_token(void **state)
{
    cfd_featurizer *fz = *state;
    cfd_feat_config cfg;
    cfd_feat_config_default(&cfg);
    cfg.word_unigrams = 0;
    cfg.word_bigrams = 0;
    cfg.char_min = 1;
    cfg.char_max = 1;
    cfd_featvec a, b;
    cfd_error err;
    /* д (U+0434, 2 bytes) and 𐐀 (U+10400, 4 bytes, lower-cases to 𐐨) */
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, NULL, 0, S("\xd0\xb4\xf0\x90\x90\xa8"), &a,
                                   &err), 0);
    uint32_t ia[2];
    assert_int_equal(a.n, 2);
    ia[0] = a.items[0].index;
    ia[1] = a.items[1].index;
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, NULL, 0,
                                   S("\xd0\xb4 \xf0\x90\x90\xa8"), &b, &err), 0);
    assert_int_equal(b.n, 2);
    assert_int_equal(ia[0], b.items[0].index);
    assert_int_equal(ia[1], b.items[1].index);
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

/* cfd_featurizer_letters: the code points of the tokens the models read,
 * by class -- after markup removal and news cleaning, title included unless
 * it is weighted 0, reset by every call. */
static void test_letters(void **state)
{
    cfd_featurizer *fz = *state;
    cfd_feat_config cfg;
    cfd_feat_config_default(&cfg);
    cfg.clean_news = 1;
    cfg.title_weight = 2.0f;
    const char *body = "<p>삼성전자가 <img src=\"https://img.example.com/photo.jpg\"> "
                       "北京에서 Cafe\xcc\x81 26일</p> hong@yna.co.kr";
    cfd_featvec v;
    cfd_error err;
    uint64_t n[CFD_TOK_CLASSES];
    assert_int_equal(cfd_featurize(fz, &cfg, NULL, S("제목"), S(body), &v, &err), 0);
    cfd_featurizer_letters(fz, n);
    assert_int_equal(n[CFD_TOK_HANGUL], 2 + 5 + 2 + 1); /* 제목 삼성전자가 에서 일 */
    assert_int_equal(n[CFD_TOK_HAN], 2);                /* 北京 */
    assert_int_equal(n[CFD_TOK_LATIN], 4);              /* café (NFC); no tag, no e-mail */
    assert_int_equal(n[CFD_TOK_DIGIT], 2);
    assert_int_equal(n[CFD_TOK_OTHER], 0);
    assert_int_equal(n[CFD_TOK_SEP], 0);

    cfg.title_weight = 0.0f; /* a title the models ignore is not read */
    assert_int_equal(cfd_featurize_counts(fz, &cfg, S("제목"), S(body), &v, &err), 0);
    cfd_featurizer_letters(fz, n);
    assert_int_equal(n[CFD_TOK_HANGUL], 8);
    assert_int_equal(n[CFD_TOK_LATIN], 4);

    assert_int_equal(cfd_featurize_counts(fz, &cfg, NULL, 0, S("Москва 1"), &v, &err), 0);
    cfd_featurizer_letters(fz, n); /* the previous article's counts are gone */
    assert_int_equal(n[CFD_TOK_HANGUL], 0);
    assert_int_equal(n[CFD_TOK_LATIN], 0);
    assert_int_equal(n[CFD_TOK_OTHER], 6);
    assert_int_equal(n[CFD_TOK_DIGIT], 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exact_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_word_prefix, setup, teardown),
        cmocka_unit_test(test_kinds_differ),
        cmocka_unit_test_setup_teardown(test_deterministic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_title_weight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normalisations_reach_features, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mixed_width_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_huge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scratch_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trust_utf8_same_features, setup, teardown),
        cmocka_unit_test_setup_teardown(test_letters, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
