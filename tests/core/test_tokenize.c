/*
 * Tests for core/tokenize.c: the class rule documented in tokenize.h on
 * Korean, English, mixed Korean/English/digits, emoji, combining sequences,
 * ignorable characters, NUL bytes, empty and huge input, and the n-gram
 * offsets of long tokens; and cfd_tok_next against a plain reading of the
 * rule (test_against_reference), which guards its fast paths for runs of
 * Hangul syllables and ASCII letters or digits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "normalize.h"
#include "test_rng.h"
#include "tokenize.h"
#include "utf8.h"

/* Tokenises s and returns the tokens joined by '|' with each class as a
 * letter (H hangul, C han, L latin, D digit, O other). */
static char *toks(const char *s, size_t len)
{
    static char joined[4096];
    char *out = malloc(CFD_TOK_OUT_MIN(len));
    cfd_tokenizer t;
    cfd_token tok;
    size_t o = 0;
    cfd_tok_init(&t, s, len, out);
    while (cfd_tok_next(&t, &tok)) {
        static const char cls[] = "?HCLDO";
        assert_true(tok.cls >= CFD_TOK_HANGUL && tok.cls <= CFD_TOK_OTHER);
        assert_true(o + tok.len + 4 < sizeof joined);
        if (o)
            joined[o++] = '|';
        memcpy(joined + o, tok.s, tok.len);
        o += tok.len;
        joined[o++] = ':';
        joined[o++] = cls[tok.cls];
    }
    joined[o] = '\0';
    free(out);
    return joined;
}

#define TOKS(lit) toks(lit, sizeof(lit) - 1)

static void test_korean(void **state)
{
    (void)state;
    assert_string_equal(TOKS("정부는 26일 발표했다."), "정부는:H|26:D|일:H|발표했다:H");
    assert_string_equal(TOKS("北 최희철 부상"), "北:C|최희철:H|부상:H");
    assert_string_equal(TOKS("서우두(首都) 공항"), "서우두:H|首都:C|공항:H");
    /* compatibility jamo (ㅋㅋ) and middle dots */
    assert_string_equal(TOKS("ㅋㅋ·행선지·방문"), "ㅋㅋ:H|행선지:H|방문:H");
}

static void test_english(void **state)
{
    (void)state;
    assert_string_equal(TOKS("The BBC's World-Cup, 2018!"),
                        "the:L|bbc:L|s:L|world:L|cup:L|2018:D");
    assert_string_equal(TOKS("  \t\n"), "");
    /* Latin-1 letters fold and stay Latin; x and / signs separate */
    assert_string_equal(TOKS("ÉCOLE Straße 3×4"), "école:L|straße:L|3:D|4:D");
}

static void test_mixed(void **state)
{
    (void)state;
    assert_string_equal(TOKS("KBS뉴스 JS151편 B-52가"),
                        "kbs:L|뉴스:H|js:L|151:D|편:H|b:L|52:D|가:H");
    /* fullwidth ASCII becomes ASCII */
    assert_string_equal(TOKS("ＫＢＳ１２３"), "kbs:L|123:D");
    /* other scripts are one OTHER class, split from Han */
    assert_string_equal(TOKS("東京タワー Москва Ελλάδα"),
                        "東京:C|タワー:O|москва:O|ελλάδα:O");
}

static void test_emoji_and_symbols(void **state)
{
    (void)state;
    assert_string_equal(TOKS("좋아요😀👍🏽 최고!!"), "좋아요:H|최고:H");
    assert_string_equal(TOKS("😀"), "");
    assert_string_equal(TOKS("a😀b"), "a:L|b:L");
    /* ZWJ emoji sequence: all separators */
    assert_string_equal(TOKS("👨\u200d👩\u200d👧 가족"), "가족:H");
}

static void test_combining(void **state)
{
    (void)state;
    /* A combining mark continues the token before it (NFC has run already
     * in the featurizer; the tokeniser keeps what it gets). */
    assert_string_equal(TOKS("cafe\xcc\x81 ok"), "cafe\xcc\x81:L|ok:L");
    /* a mark with nothing before it starts an OTHER token */
    assert_string_equal(TOKS(" \xcc\x81x"), "\xcc\x81:O|x:L");
    /* decomposed Hangul (conjoining jamo) stays one Hangul token */
    assert_string_equal(TOKS("\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab\xea\xb8\x80"),
                        "\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab\xea\xb8\x80:H");
}

static void test_ignorables(void **state)
{
    (void)state;
    /* soft hyphen and zero width space do not split, and are dropped */
    assert_string_equal(TOKS("co\xc2\xad" "operate"), "cooperate:L");
    assert_string_equal(TOKS("대한\xe2\x80\x8b민국"), "대한민국:H");
    assert_string_equal(TOKS("\xef\xbb\xbf기사"), "기사:H"); /* BOM */
    /* variation selectors: U+FE0F after an emoji is no token of its own,
     * an ideographic variation selector does not change the Han word */
    assert_string_equal(TOKS("\xe2\x9d\xa4\xef\xb8\x8f좋아 \xe2\x98\x80\xef\xb8\x8f"), "좋아:H");
    assert_string_equal(TOKS("\xe8\x91\x9b\xf3\xa0\x84\x80城"), "\xe8\x91\x9b城:C");
    assert_string_equal(TOKS("AI\xef\xb8\x8e가"), "ai:L|가:H");
    /* bidi marks, embeddings and isolates are invisible like U+200B: "&lrm;"
     * (dropped by markup removal) and a raw U+200E give the same words */
    assert_string_equal(TOKS("abc\xe2\x80\x8e" "def \xe2\x80\x8f가나"), "abcdef:L|가나:H");
    assert_string_equal(TOKS("\xe2\x81\xa7" "\xd9\x85\xd8\xb1\xe2\x81\xa9 x\xe2\x80\xaey"),
                        "\xd9\x85\xd8\xb1:O|xy:L");
    assert_int_equal(cfd_tok_class_of(0x200F), CFD_TOK_IGNORE);
    assert_int_equal(cfd_tok_class_of(0x2064), CFD_TOK_SEP); /* invisible plus: not bidi */
}

/* The Hangul fillers U+3164 (in the compatibility jamo block, category Lo)
 * and U+FFA0 are invisible: they were a Hangul (or other) word of their
 * own, so a text of fillers passed for Korean in the daemon's script check,
 * and NSMC's jamo spelling "ㅤㄸㅒㅤ문에" (때문에) was no word of its letters. */
static void test_hangul_fillers(void **state)
{
    (void)state;
    assert_string_equal(TOKS("\xe3\x85\xa4\xe3\x85\xa4 \xef\xbe\xa0"), "");
    assert_string_equal(TOKS("\xe3\x85\xa4ㄸㅒ\xe3\x85\xa4문에 \xef\xbe\xa0ㅋㅋ"), "ㄸㅒ문에:H|ㅋㅋ:H");
    assert_int_equal(cfd_tok_class_of(0x3164), CFD_TOK_IGNORE);
    assert_int_equal(cfd_tok_class_of(0xFFA0), CFD_TOK_IGNORE);
    assert_int_equal(cfd_tok_class_of(0x3163), CFD_TOK_HANGUL); /* ㅣ, its neighbours */
    assert_int_equal(cfd_tok_class_of(0x3165), CFD_TOK_HANGUL);
}

static void test_nul_and_controls(void **state)
{
    (void)state;
    static const char s[] = "ab\0cd\x01\x7f가\0";
    assert_string_equal(toks(s, sizeof s - 1), "ab:L|cd:L|가:H");
    static const char nuls[16] = {0};
    assert_string_equal(toks(nuls, sizeof nuls), "");
}

static void test_empty(void **state)
{
    (void)state;
    char out[16];
    cfd_tokenizer t;
    cfd_token tok;
    cfd_tok_init(&t, "", 0, out);
    assert_int_equal(cfd_tok_next(&t, &tok), 0);
    assert_int_equal(cfd_tok_next(&t, &tok), 0);
}

static void test_invalid_bytes_separate(void **state)
{
    (void)state;
    /* precondition broken on purpose: undecodable bytes act as separators */
    assert_string_equal(TOKS("ab\xff" "cd\xea\xb8"), "ab:L|cd:L");
}

static void test_offsets(void **state)
{
    (void)state;
    const char *s = "가a나다라";
    char out[64];
    cfd_tokenizer t;
    cfd_token tok;
    cfd_tok_init(&t, s, strlen(s), out);
    assert_int_equal(cfd_tok_next(&t, &tok), 1);
    assert_int_equal(tok.ncp, 1);
    assert_int_equal(tok.off[0], 0);
    assert_int_equal(tok.off[1], 3);
    assert_int_equal(cfd_tok_next(&t, &tok), 1);
    assert_int_equal(tok.cls, CFD_TOK_LATIN);
    assert_int_equal(cfd_tok_next(&t, &tok), 1);
    assert_int_equal(tok.ncp, 3);
    assert_int_equal(tok.len, 9);
    for (int i = 0; i <= 3; i++)
        assert_int_equal(tok.off[i], 3 * i);
    assert_memory_equal(tok.s, "나다라", 9);
    assert_int_equal(cfd_tok_next(&t, &tok), 0);
}

static void test_huge_single_char(void **state)
{
    (void)state;
    /* 1 MB of one Hangul syllable: one token, n-gram offsets bounded */
    const size_t reps = (1 << 20) / 3;
    char *s = malloc(reps * 3);
    for (size_t i = 0; i < reps; i++)
        memcpy(s + 3 * i, "가", 3);
    char *out = malloc(CFD_TOK_OUT_MIN(reps * 3));
    cfd_tokenizer t;
    cfd_token tok;
    cfd_tok_init(&t, s, reps * 3, out);
    assert_int_equal(cfd_tok_next(&t, &tok), 1);
    assert_int_equal(tok.ncp, reps);
    assert_int_equal(tok.len, reps * 3);
    assert_int_equal(tok.cls, CFD_TOK_HANGUL);
    assert_int_equal(tok.off[CFD_TOK_NGRAM_CPS], 3 * CFD_TOK_NGRAM_CPS);
    assert_int_equal(cfd_tok_next(&t, &tok), 0);

    /* 1 MB of 'A': folded into the caller's buffer */
    memset(s, 'A', reps * 3);
    cfd_tok_init(&t, s, reps * 3, out);
    assert_int_equal(cfd_tok_next(&t, &tok), 1);
    assert_int_equal(tok.len, reps * 3);
    assert_true(tok.s[0] == 'a' && tok.s[reps * 3 - 1] == 'a');
    assert_int_equal(cfd_tok_next(&t, &tok), 0);

    /* 1 MB of NUL: nothing */
    memset(s, 0, reps * 3);
    cfd_tok_init(&t, s, reps * 3, out);
    assert_int_equal(cfd_tok_next(&t, &tok), 0);
    free(s);
    free(out);
}

static void test_folding_growth(void **state)
{
    (void)state;
    /* U+023A (2 bytes) lower-cases to U+2C65 (3 bytes): the buffer bound
     * CFD_TOK_OUT_MIN must hold. */
    enum { N = 1000 };
    char *s = malloc(2 * N);
    for (int i = 0; i < N; i++)
        memcpy(s + 2 * i, "\xc8\xba", 2);
    size_t cap = CFD_TOK_OUT_MIN((size_t)2 * N);
    char *out = malloc(cap);
    cfd_tokenizer t;
    cfd_token tok;
    cfd_tok_init(&t, s, 2 * N, out);
    assert_int_equal(cfd_tok_next(&t, &tok), 1);
    assert_int_equal(tok.len, 3 * N);
    assert_true(tok.len <= cap);
    assert_memory_equal(tok.s, "\xe2\xb1\xa5", 3);
    free(s);
    free(out);
}

static void test_class_of(void **state)
{
    (void)state;
    assert_int_equal(cfd_tok_class_of('a'), CFD_TOK_LATIN);
    assert_int_equal(cfd_tok_class_of('7'), CFD_TOK_DIGIT);
    assert_int_equal(cfd_tok_class_of(' '), CFD_TOK_SEP);
    assert_int_equal(cfd_tok_class_of(0), CFD_TOK_SEP);
    assert_int_equal(cfd_tok_class_of(0xAC00), CFD_TOK_HANGUL);
    assert_int_equal(cfd_tok_class_of(0xD7A3), CFD_TOK_HANGUL);
    assert_int_equal(cfd_tok_class_of(0x1100), CFD_TOK_HANGUL);
    assert_int_equal(cfd_tok_class_of(0x4E00), CFD_TOK_HAN);
    assert_int_equal(cfd_tok_class_of(0x20000), CFD_TOK_HAN);
    assert_int_equal(cfd_tok_class_of(0x0E01), CFD_TOK_OTHER);  /* Thai */
    assert_int_equal(cfd_tok_class_of(0x0301), CFD_TOK_MARK);
    assert_int_equal(cfd_tok_class_of(0x0663), CFD_TOK_DIGIT);  /* Arabic-Indic 3 */
    assert_int_equal(cfd_tok_class_of(0x1F600), CFD_TOK_SEP);
    assert_int_equal(cfd_tok_class_of(0x3002), CFD_TOK_SEP);    /* 。 */
    assert_int_equal(cfd_tok_class_of(0x00D7), CFD_TOK_SEP);
    assert_int_equal(cfd_tok_class_of(0x200B), CFD_TOK_IGNORE);
    assert_int_equal(cfd_tok_class_of(0xE000), CFD_TOK_SEP);    /* private use */
}

/* Both ends of every range tokenize.h lists, and the code points just
 * outside the Latin-1/Latin Extended range. */
static void test_class_range_ends(void **state)
{
    (void)state;
    static const struct {
        uint32_t lo, hi;
        int cls;
    } ranges[] = {
        {0x1100, 0x11FF, CFD_TOK_HANGUL},   {0x3130, 0x318F, CFD_TOK_HANGUL},
        {0xA960, 0xA97F, CFD_TOK_HANGUL},   {0xD7B0, 0xD7FF, CFD_TOK_HANGUL},
        {0xAC00, 0xD7A3, CFD_TOK_HANGUL},   {0x3400, 0x4DBF, CFD_TOK_HAN},
        {0x4E00, 0x9FFF, CFD_TOK_HAN},      {0xF900, 0xFAFF, CFD_TOK_HAN},
        {0x20000, 0x3134F, CFD_TOK_HAN},    {0x00C0, 0x024F, CFD_TOK_LATIN},
        {0x1E00, 0x1EFF, CFD_TOK_LATIN},    {0x2C60, 0x2C7F, CFD_TOK_LATIN},
        {0xA720, 0xA7FF, CFD_TOK_LATIN},    {0xAB30, 0xAB6F, CFD_TOK_LATIN},
        {0xFF21, 0xFF3A, CFD_TOK_LATIN},    {0xFF41, 0xFF5A, CFD_TOK_LATIN},
        {0xFF10, 0xFF19, CFD_TOK_DIGIT},    {0x200B, 0x200D, CFD_TOK_IGNORE},
        {0xFE00, 0xFE0F, CFD_TOK_IGNORE},   {0xE0100, 0xE01EF, CFD_TOK_IGNORE},
    };
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        if (cfd_tok_class_of(ranges[i].lo) != ranges[i].cls ||
            cfd_tok_class_of(ranges[i].hi) != ranges[i].cls)
            fail_msg("U+%04X..%04X: classes %d and %d, want %d", ranges[i].lo, ranges[i].hi,
                     cfd_tok_class_of(ranges[i].lo), cfd_tok_class_of(ranges[i].hi),
                     ranges[i].cls);
    }
    assert_int_equal(cfd_tok_class_of(0x00BF), CFD_TOK_SEP);   /* inverted question mark */
    assert_int_equal(cfd_tok_class_of(0x00F7), CFD_TOK_SEP);   /* division sign */
    assert_int_equal(cfd_tok_class_of(0x0250), CFD_TOK_OTHER); /* IPA, past Latin Ext-B */
}

/*
 * The rule of tokenize.h read as plainly as possible, one code point at a
 * time with cfd_tok_class_of and cfd_fold_cp: a token is a maximal run of
 * one class (marks continue it, ignorables vanish, a mark with no token
 * before it starts an OTHER token), folded, with the byte offsets of its
 * first CFD_TOK_NGRAM_CPS code points. Appends "text|ncp|cls|offsets;" to
 * out per token; a byte that does not decode is a separator.
 */
static size_t ref_tokens(const unsigned char *s, size_t len, char *out)
{
    size_t o = 0, i = 0;
    char *tok = malloc(CFD_TOK_OUT_MIN(len));
    while (i < len) {
        uint32_t cp;
        size_t n = cfd_utf8_decode(s + i, len - i, &cp);
        int c = n ? cfd_tok_class_of(cp) : CFD_TOK_SEP;
        if (n == 0)
            n = 1;
        if (c == CFD_TOK_SEP || c == CFD_TOK_IGNORE) {
            i += n;
            continue;
        }
        int cls = c == CFD_TOK_MARK ? CFD_TOK_OTHER : c;
        size_t tl = 0, ncp = 0;
        uint16_t off[CFD_TOK_NGRAM_CPS + 1];
        for (;;) {
            if (c != CFD_TOK_IGNORE) {
                if (ncp <= CFD_TOK_NGRAM_CPS)
                    off[ncp] = (uint16_t)tl;
                ncp++;
                tl += cfd_utf8_encode(cfd_fold_cp(cp), tok + tl);
            }
            i += n;
            if (i >= len)
                break;
            n = cfd_utf8_decode(s + i, len - i, &cp);
            c = n ? cfd_tok_class_of(cp) : CFD_TOK_SEP;
            if (n == 0)
                n = 1;
            if (c != cls && c != CFD_TOK_MARK && c != CFD_TOK_IGNORE)
                break;
        }
        if (ncp <= CFD_TOK_NGRAM_CPS)
            off[ncp] = (uint16_t)tl;
        memcpy(out + o, tok, tl);
        o += tl;
        o += (size_t)sprintf(out + o, "|%zu|%d|", ncp, cls);
        for (size_t k = 0; k <= (ncp < CFD_TOK_NGRAM_CPS ? ncp : CFD_TOK_NGRAM_CPS); k++)
            o += (size_t)sprintf(out + o, "%u,", (unsigned)off[k]);
        out[o++] = ';';
    }
    free(tok);
    return o;
}

/* The same listing from cfd_tok_next. */
static size_t real_tokens(const unsigned char *s, size_t len, char *out)
{
    size_t o = 0;
    char *buf = malloc(CFD_TOK_OUT_MIN(len));
    cfd_tokenizer t;
    cfd_token tok;
    cfd_tok_init(&t, (const char *)s, len, buf);
    while (cfd_tok_next(&t, &tok)) {
        memcpy(out + o, tok.s, tok.len);
        o += tok.len;
        o += (size_t)sprintf(out + o, "|%zu|%d|", tok.ncp, tok.cls);
        for (size_t k = 0; k <= (tok.ncp < CFD_TOK_NGRAM_CPS ? tok.ncp : CFD_TOK_NGRAM_CPS); k++)
            o += (size_t)sprintf(out + o, "%u,", (unsigned)tok.off[k]);
        out[o++] = ';';
    }
    free(buf);
    return o;
}

static void test_against_reference(void **state)
{
    (void)state;
    /* Pieces chosen to hit every branch: syllables at both ends of the
     * block, conjoining jamo (Hangul class, not syllables), a combining
     * mark, ignorables inside words, Han, upper and lower ASCII, digits,
     * fullwidth letters and digits, Latin-1 letters that fold, Greek,
     * Arabic-Indic digits, separators, an emoji, and a byte that is not
     * UTF-8. */
    static const char *const pieces[] = {
        "\xea\xb0\x80", "\xed\x9e\xa3", "\xea\xb8\xb0", "\xec\x9e\x90", "\xeb\x89\xb4",
        "\xe1\x84\x80", "\xe1\x85\xa1", "\xcc\x81", "\xe2\x80\x8b", "\xc2\xad",
        "\xe5\x8c\x97", "A", "b", "Z", "q", "0", "7", "\xef\xbc\xa6", "\xef\xbc\x91",
        "\xc3\x89", "\xce\xa9", "\xd9\xa3", " ", ".", "-", "\xf0\x9f\x98\x80", "\xff",
        "\xea\xb0", "\n",
    };
    enum { NP = sizeof pieces / sizeof pieces[0] };
    unsigned char text[4096];
    char *want = malloc(1 << 16), *got = malloc(1 << 16);
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = 0;
        int npieces = (int)(cfd_test_rnd(&x) % 80);
        for (int p = 0; p < npieces; p++) {
            uint32_t r = cfd_test_rnd(&x);
            /* mostly syllables and ASCII letters, in runs, as real text */
            const char *pc = pieces[r % 100 < 60   ? (r >> 8) % 5
                                    : r % 100 < 75 ? 11 + (r >> 8) % 6
                                                   : (r >> 8) % NP];
            int reps = (r >> 16) % 8 == 0 ? 40 : 1 + (int)((r >> 20) % 3);
            for (int k = 0; k < reps && len + 8 < sizeof text; k++) {
                memcpy(text + len, pc, strlen(pc));
                len += strlen(pc);
            }
        }
        size_t nw = ref_tokens(text, len, want), ng = real_tokens(text, len, got);
        if (nw != ng || memcmp(want, got, nw) != 0) {
            fprintf(stderr, "iteration %d: tokens differ from the reference\n", iter);
            fail();
        }
    }
    free(want);
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_korean),
        cmocka_unit_test(test_english),
        cmocka_unit_test(test_mixed),
        cmocka_unit_test(test_emoji_and_symbols),
        cmocka_unit_test(test_combining),
        cmocka_unit_test(test_ignorables),
        cmocka_unit_test(test_hangul_fillers),
        cmocka_unit_test(test_nul_and_controls),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_invalid_bytes_separate),
        cmocka_unit_test(test_offsets),
        cmocka_unit_test(test_huge_single_char),
        cmocka_unit_test(test_folding_growth),
        cmocka_unit_test(test_class_of),
        cmocka_unit_test(test_class_range_ends),
        cmocka_unit_test(test_against_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
