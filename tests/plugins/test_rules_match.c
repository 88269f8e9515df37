/*
 * Tests for plugins/rules/rules_match.c against an independent oracle: the
 * text normalised with cfd_norm_next into an array of code points, and
 * runs of white space collapsed to one ' ', and every term looked for at
 * every position (whole-word terms: no Latin-like word character on either
 * side; a term starting with Hangul also no Hangul before it; one ending
 * with Hangul anything after it). Random term sets and texts over a small
 * alphabet (Hangul syllables, ASCII letters and digits, spaces, line
 * breaks, NBSP, punctuation, a combining accent, conjoining jamo) make
 * overlaps, prefixes, failure links and case folding common; terms may
 * hold single inner spaces, as rules_file.c makes them.
 *
 * Both scanning paths are checked: the DFA (every realistic rules file)
 * and the edge + failure-link walk used when the DFA table would be too
 * big (a set of 4,096 long terms over 400 code points).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <classifyd/error.h>

#include "rules_file.h"
#include "rules_match.h"
#include "rules_norm.h"
#include "test_rng.h"
#include "utf8.h"

static uint64_t rng = 0x1234567887654321ull;

static uint32_t rnd(uint32_t n) { return cfd_test_rnd(&rng) % n; }

/* The alphabet texts are drawn from; terms from the same minus the
 * separators (a term is normalised the same way, so it holds only what
 * normalisation can produce: lower case, composed syllables). */
static const uint32_t alpha_text[] = {
    0xAC00, 0xAC01, 0xB098, 0xB2E4, 0xC911, 0xAE30, 0xBD80, 0xAD6D, 0xD68C, /* 가각나다중기부국회 */
    'a', 'b', 'A', 'B', 'x', '1', ' ', ' ', '.', '(', 0x00E9, 0x0301,     /* é, combining acute */
    '\n', 0x00A0,                                              /* line break, NBSP */
    'Z', 'z', '@', '[',                    /* the ends of A..Z and their neighbours */
    0x1100, 0x1161, 0x11A8,                                              /* ᄀ ᅡ ᆨ */
};
static const uint32_t alpha_term[] = {
    0xAC00, 0xAC01, 0xB098, 0xB2E4, 0xC911, 0xAE30, 0xBD80, 0xAD6D, 0xD68C, 'a', 'b', 'x', '1',
    0x00E9, 'z', '@', ' ',
};

static int is_space(uint32_t cp) { return cfd_norm_is_space(cp); }

static int is_hangul(uint32_t cp)
{
    return (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0x1100 && cp <= 0x11FF) ||
           (cp >= 0x3130 && cp <= 0x318F) || (cp >= 0xA960 && cp <= 0xA97F) ||
           (cp >= 0xD7B0 && cp <= 0xD7FF);
}

static size_t make_text(char *out, size_t len_cp)
{
    size_t n = 0;
    for (size_t i = 0; i < len_cp; i++)
        n += cfd_utf8_encode(alpha_text[rnd(sizeof alpha_text / sizeof alpha_text[0])], out + n);
    out[n] = '\0';
    return n;
}

/* The oracle. */
static void naive_scan(const cfd_ac_term *terms, uint32_t n_terms, const char *text, size_t len,
                       uint64_t *seen)
{
    static uint32_t cps[1 << 16];
    size_t n = 0;
    cfd_norm_iter it;
    cfd_norm_init(&it, text, len);
    uint32_t cp;
    while (n < sizeof cps / sizeof cps[0] && cfd_norm_next(&it, &cp)) {
        if (is_space(cp)) {
            if (n > 0 && cps[n - 1] == ' ')
                continue;
            cp = ' ';
        }
        cps[n++] = cp;
    }
    for (uint32_t t = 0; t < n_terms; t++) {
        const cfd_ac_term *tm = &terms[t];
        for (size_t i = 0; i + tm->len <= n; i++) {
            if (memcmp(&cps[i], tm->cps, tm->len * sizeof(uint32_t)) != 0)
                continue;
            if (tm->whole_word) {
                uint32_t before = i > 0 ? cps[i - 1] : ' ';
                uint32_t after = i + tm->len < n ? cps[i + tm->len] : ' ';
                if (cfd_norm_is_word(before) || (is_hangul(tm->cps[0]) && is_hangul(before)) ||
                    (!is_hangul(tm->cps[tm->len - 1]) && cfd_norm_is_word(after)))
                    continue;
            }
            seen[t >> 6] |= UINT64_C(1) << (t & 63);
            break;
        }
    }
}

static void check_set(uint32_t n_terms, uint32_t max_len, const uint32_t *alpha, size_t n_alpha,
                      int texts, int want_dfa)
{
    cfd_ac_term *terms = calloc(n_terms, sizeof(*terms));
    uint32_t *store = malloc((size_t)n_terms * max_len * sizeof(uint32_t));
    assert_non_null(terms);
    assert_non_null(store);
    for (uint32_t t = 0; t < n_terms; t++) {
        uint32_t *c = store + (size_t)t * max_len;
        /* as rules_file.c makes them: no space at the ends, none doubled */
        do {
            terms[t].len = 1 + rnd(max_len);
            for (uint32_t i = 0; i < terms[t].len; i++) {
                c[i] = alpha[rnd((uint32_t)n_alpha)];
                if (c[i] == ' ' && (i == 0 || c[i - 1] == ' '))
                    c[i] = alpha[0];
            }
        } while (c[terms[t].len - 1] == ' ');
        terms[t].cps = c;
        terms[t].whole_word = rnd(4) == 0;
    }
    cfd_ac *ac = NULL;
    assert_int_equal(cfd_ac_build(terms, n_terms, &ac), 0);
    assert_int_equal(cfd_ac_table_bytes(ac) > 0, want_dfa);
    static char text[1 << 16];
    size_t words = (n_terms + 63) / 64;
    uint64_t *a = calloc(words, 8), *b = calloc(words, 8);
    for (int k = 0; k < texts; k++) {
        size_t len = make_text(text, 1 + rnd(400));
        memset(a, 0, words * 8);
        memset(b, 0, words * 8);
        cfd_ac_scan(ac, text, len, a);
        naive_scan(terms, n_terms, text, len, b);
        for (size_t w = 0; w < words; w++)
            if (a[w] != b[w])
                fail_msg("text %d (\"%s\"), word %zu: matcher %016llx, oracle %016llx", k, text,
                         w, (unsigned long long)a[w], (unsigned long long)b[w]);
    }
    free(a);
    free(b);
    cfd_ac_free(ac);
    free(terms);
    free(store);
}

/* Small term sets: the DFA path. Many overlapping short terms. */
static void test_dfa_matches_oracle(void **state)
{
    (void)state;
    for (int round = 0; round < 40; round++)
        check_set(1 + rnd(60), 1 + rnd(4), alpha_term, sizeof alpha_term / sizeof alpha_term[0],
                  50, 1);
}

/* 4,096 terms of up to 40 code points over 400 syllables: ~80k states x
 * 401 classes is past the DFA limit, so the edge + failure-link walk runs. */
static void test_large_set_matches_oracle(void **state)
{
    (void)state;
    uint32_t alpha[400];
    for (uint32_t i = 0; i < 400; i++)
        alpha[i] = 0xAC00 + i * 7;
    /* texts are drawn from alpha_text; add its syllables so terms can hit */
    for (uint32_t i = 0; i < 9; i++)
        alpha[i] = alpha_term[i];
    check_set(4096, 40, alpha, 400, 30, 0);
    /* short terms over the text alphabet in a large set (DFA again), so
     * matches happen */
    check_set(3000, 3, alpha_term, sizeof alpha_term / sizeof alpha_term[0], 100, 1);
}

/* Known cases, written out: particles after nouns, whole-word Latin terms,
 * case folding, a decomposed syllable in the text. */
static void test_known_cases(void **state)
{
    (void)state;
    static const uint32_t jung[] = {0xC911, 0xAE30, 0xBD80}; /* 중기부 */
    static const uint32_t ai[] = {'a', 'i'};
    static const uint32_t ga[] = {0xAC00}; /* 가 */
    cfd_ac_term terms[] = {{jung, 3, 0}, {ai, 2, 1}, {ga, 1, 0}};
    cfd_ac *ac = NULL;
    assert_int_equal(cfd_ac_build(terms, 3, &ac), 0);
    static const struct {
        const char *text;
        uint64_t want;
    } cases[] = {
        {"중기부는 AI가 말했다", 0x7},  /* 중기부 (in 중기부는), AI (before 가 is fine), 가 */
        {"MAIL SAID", 0x0},             /* ai inside words: no */
        {"(Ai) 나", 0x2},
        {"\xE1\x84\x80\xE1\x85\xA1 x", 0x4}, /* ᄀ + ᅡ composes to 가 */
        {"", 0x0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t seen = 0;
        cfd_ac_scan(ac, cases[i].text, strlen(cases[i].text), &seen);
        if (seen != cases[i].want)
            fail_msg("\"%s\": %llx, expected %llx", cases[i].text, (unsigned long long)seen,
                     (unsigned long long)cases[i].want);
    }
    cfd_ac_free(ac);
}

/* The text as the featurizer sees it (normalize.h, tokenize.h): fullwidth
 * ASCII is ASCII, and a soft hyphen, zero width space or variation
 * selector inside a word is not there. An editor's 중기부 and <AI> must
 * match what the models read as 중기부 and ai. */
static void test_featurizer_view(void **state)
{
    (void)state;
    static const uint32_t jung[] = {0xC911, 0xAE30, 0xBD80}; /* 중기부 */
    static const uint32_t ai[] = {'a', 'i'};
    cfd_ac_term terms[] = {{jung, 3, 0}, {ai, 2, 1}};
    cfd_ac *ac = NULL;
    assert_int_equal(cfd_ac_build(terms, 2, &ac), 0);
    static const struct {
        const char *text;
        uint64_t want;
    } cases[] = {
        {"\xEF\xBC\xA1\xEF\xBC\xA9\xEA\xB0\x80 \xEC\xA0\x95\xEC\xB1\x85", 0x2}, /* ＡＩ가 정책 */
        {"\xEF\xBD\x81\xEF\xBD\x89", 0x2},                                     /* ａｉ */
        {"\xEF\xBC\xAD\xEF\xBC\xA1\xEF\xBC\xA9\xEF\xBC\xAC", 0x0}, /* ＭＡＩＬ: inside a word */
        {"\xEC\xA4\x91\xEA\xB8\xB0\xC2\xAD\xEB\xB6\x80\xEB\x8A\x94", 0x1},     /* 중기-부는 */
        {"\xEC\xA4\x91\xEA\xB8\xB0\xE2\x80\x8B\xEB\xB6\x80", 0x1},            /* 중기 ZWSP 부 */
        {"A\xE2\x80\x8BI \xEF\xBB\xBF", 0x2},                                 /* A ZWSP I */
        {"AI\xEF\xB8\x8F", 0x2},                                              /* AI + VS16 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t seen = 0, naive = 0;
        size_t len = strlen(cases[i].text);
        cfd_ac_scan(ac, cases[i].text, len, &seen);
        naive_scan(terms, 2, cases[i].text, len, &naive);
        if (seen != cases[i].want || naive != cases[i].want)
            fail_msg("case %zu: %llx (oracle %llx), expected %llx", i, (unsigned long long)seen,
                     (unsigned long long)naive, (unsigned long long)cases[i].want);
    }
    cfd_ac_free(ac);
}

/* A term of nothing but what matching ignores is refused with its line. */
static void test_invisible_term_refused(void **state)
{
    (void)state;
    const char *file = "x\t0.5\tok|\xE2\x80\x8B\n";
    cfd_rules *r = NULL;
    cfd_error err = {0};
    assert_int_equal(cfd_rules_parse(file, strlen(file), "r.txt", &r, &err), CFD_EFORMAT);
    assert_non_null(strstr(err.msg, "r.txt:1:"));
    assert_null(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_cases),
        cmocka_unit_test(test_featurizer_view),
        cmocka_unit_test(test_invisible_term_refused),
        cmocka_unit_test(test_dfa_matches_oracle),
        cmocka_unit_test(test_large_set_matches_oracle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
