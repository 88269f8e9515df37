/*
 * Tests for core/utf8.c: every kind of invalid sequence RFC 3629 forbids is
 * rejected at the offset of its first byte, and decode/encode round-trip
 * every scalar value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <classifyd/error.h>

#include "test_rng.h"
#include "utf8.h"

static void expect_bad(const char *s, size_t len, size_t want_off)
{
    size_t off = 12345;
    assert_int_equal(cfd_utf8_validate(s, len, &off), CFD_EUTF8);
    assert_int_equal(off, want_off);
}

static void expect_good(const char *s, size_t len)
{
    size_t off = 12345;
    assert_int_equal(cfd_utf8_validate(s, len, &off), 0);
    assert_int_equal(off, 12345); /* untouched on success */
}

static void test_valid(void **state)
{
    (void)state;
    expect_good("", 0);
    expect_good("hello, world", 12);
    expect_good("\xea\xb8\xb0\xec\x9e\x90", 6);                 /* 기자 */
    expect_good("a\0b", 3);                                     /* NUL is valid */
    expect_good("\xc2\x80\xdf\xbf", 4);                         /* U+0080, U+07FF */
    expect_good("\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf", 12);
    expect_good("\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 8);         /* U+10000, U+10FFFF */
    expect_good("\xf0\x9f\x98\x80", 4);                         /* emoji */
    expect_good(NULL, 0);
}

static void test_overlong(void **state)
{
    (void)state;
    expect_bad("ab\xc0\xaf", 4, 2);          /* '/' as 2 bytes */
    expect_bad("\xc1\xbf", 2, 0);
    expect_bad("xyz\xe0\x80\xaf", 6, 3);     /* '/' as 3 bytes */
    expect_bad("\xe0\x9f\xbf", 3, 0);        /* U+07FF as 3 bytes */
    expect_bad("\xf0\x8f\xbf\xbf", 4, 0);    /* U+FFFF as 4 bytes */
}

static void test_surrogate(void **state)
{
    (void)state;
    expect_bad("ok \xed\xa0\x80", 6, 3);     /* U+D800 */
    expect_bad("\xed\xbf\xbf", 3, 0);        /* U+DFFF */
}

static void test_above_max(void **state)
{
    (void)state;
    expect_bad("\xf4\x90\x80\x80", 4, 0);    /* U+110000 */
    expect_bad("12345678\xf5\x80\x80\x80", 12, 8);
    expect_bad("\xff", 1, 0);
    expect_bad("\xfe", 1, 0);
}

static void test_stray_continuation(void **state)
{
    (void)state;
    expect_bad("\x80", 1, 0);
    expect_bad("abcdefghij\xbf", 11, 10);
    /* one continuation byte too many after a valid 2-byte sequence */
    expect_bad("\xc3\xa9\xa9", 3, 2);
}

static void test_truncated(void **state)
{
    (void)state;
    expect_bad("ab\xc3", 3, 2);
    expect_bad("ab\xea\xb8", 4, 2);                 /* 기 cut after 2 bytes */
    expect_bad("\xf0\x9f\x98", 3, 0);
    expect_bad("\xea\xb8 x", 4, 0);                  /* interrupted by ASCII */
    expect_bad("\xf0\x9f\x98\x41", 4, 0);
}

/* cfd_utf8_cut tells a character cut short by the end of the input (a body
 * whose Content-Length counted characters) from one that is bad in itself. */
static void test_cut_by_the_end(void **state)
{
    (void)state;
    assert_true(cfd_utf8_cut("ab\xc3", 3, 2));
    assert_true(cfd_utf8_cut("ab\xea\xb8", 4, 2));         /* 기 cut after 2 bytes */
    assert_true(cfd_utf8_cut("ab\xea", 3, 2));              /* ... after 1 */
    assert_true(cfd_utf8_cut("\xf0\x9f\x98", 3, 0));
    assert_true(cfd_utf8_cut("\xf0", 1, 0));
    assert_false(cfd_utf8_cut("\xea\xb8 x", 4, 0));         /* interrupted by ASCII */
    assert_false(cfd_utf8_cut("\xf0\x9f\x98\x41", 4, 0));  /* whole length, bad byte */
    assert_false(cfd_utf8_cut("ab\xff", 3, 2));              /* never a lead byte */
    assert_false(cfd_utf8_cut("ab\x80", 3, 2));              /* continuation byte */
    assert_false(cfd_utf8_cut("\xe0\x80", 2, 0));           /* overlong already */
    assert_false(cfd_utf8_cut("\xed\xa0", 2, 0));           /* surrogate already */
    assert_false(cfd_utf8_cut("\xb1\xb9\xc8\xb8", 4, 0)); /* EUC-KR 국회 */
    assert_false(cfd_utf8_cut("ab", 2, 2));                 /* nothing there */
}

static void test_offset_after_long_ascii(void **state)
{
    (void)state;
    /* The 8-byte fast path must report the exact offset. */
    char buf[300];
    for (size_t bad = 0; bad < 40; bad++) {
        memset(buf, 'a', sizeof buf);
        buf[bad] = (char)0x80;
        expect_bad(buf, sizeof buf, bad);
    }
}

static void test_decode(void **state)
{
    (void)state;
    uint32_t cp = 0;
    assert_int_equal(cfd_utf8_decode((const unsigned char *)"\xea\xb8\xb0", 3, &cp), 3);
    assert_int_equal(cp, 0xAE30);
    assert_int_equal(cfd_utf8_decode((const unsigned char *)"A", 1, &cp), 1);
    assert_int_equal(cp, 'A');
    assert_int_equal(cfd_utf8_decode((const unsigned char *)"\xf0\x9f\x98\x80", 4, &cp), 4);
    assert_int_equal(cp, 0x1F600);
    assert_int_equal(cfd_utf8_decode((const unsigned char *)"\xea\xb8\xb0", 2, &cp), 0);
    assert_int_equal(cfd_utf8_decode((const unsigned char *)"\xed\xa0\x80", 3, &cp), 0);
    assert_int_equal(cfd_utf8_decode((const unsigned char *)"\xc0\x80", 2, &cp), 0);
    assert_int_equal(cfd_utf8_decode((const unsigned char *)"\x80", 1, &cp), 0);
    assert_int_equal(cfd_utf8_decode((const unsigned char *)"x", 0, &cp), 0);
}

static void test_roundtrip_all_scalars(void **state)
{
    (void)state;
    char buf[4];
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        size_t n = cfd_utf8_encode(cp, buf);
        size_t want = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        assert_int_equal(n, want);
        assert_int_equal(cfd_utf8_validate(buf, n, NULL), 0);
        uint32_t back = 0xFFFFFFFF;
        assert_int_equal(cfd_utf8_decode((const unsigned char *)buf, n, &back), n);
        if (back != cp)
            fail_msg("round trip of U+%04X gave U+%04X", cp, back);
    }
}

static void test_all_lead_bytes(void **state)
{
    (void)state;
    /* Independent oracle: a lead byte followed by enough continuation bytes
     * is valid exactly when it decodes to a scalar value with the shortest
     * encoding. */
    for (unsigned lead = 0x80; lead <= 0xFF; lead++) {
        for (unsigned second = 0x80; second <= 0xBF; second++) {
            unsigned char s[4] = {(unsigned char)lead, (unsigned char)second, 0x80, 0x80};
            size_t n = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
            int valid;
            if (lead < 0xC0 || lead > 0xF7) {
                valid = 0;
            } else {
                uint32_t cp = lead & (0x7F >> n);
                for (size_t k = 1; k < n; k++)
                    cp = (cp << 6) | (s[k] & 0x3F);
                size_t shortest = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
                valid = shortest == n && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
            }
            int rc = cfd_utf8_validate((const char *)s, n, NULL);
            if ((rc == 0) != valid)
                fail_msg("lead %02X second %02X: got %d, want valid=%d", lead, second, rc, valid);
        }
    }
}

/* The 3-byte fast path (Hangul, most of BMP) must still find every error
 * right after, inside and at the end of a run of syllables and spaces. */
static void test_validate_after_korean_runs(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t len, bad; /* bad == (size_t)-1: valid */
    } cases[] = {
        {"\xED\x95\x9C \xEA\xB8\x80 \xEA\xB8\x80", 11, (size_t)-1},
        {"\xED\x95\x9C\xED\xA0\x80", 6, 3},        /* surrogate U+D800 */
        {"\xED\x95\x9C \xE0\x80\x80", 7, 4},        /* overlong */
        {"\xED\x95\x9C\xEA\xB8\x80\xEA\xB0", 8, 6}, /* truncated at the end */
        {"\xED\x95\x9C\xEA\xB0\x41", 6, 3},         /* ASCII as 3rd byte */
        {"\xEA\xB0\x80\xC0\xAF", 5, 3},              /* overlong 2-byte */
        {"\xEF\xBF\xBD a\xEA\xB0\x80", 8, (size_t)-1},
        {"\xEA\xB0\x80 abcdefghij\xFF", 15, 14},      /* after an ASCII run */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t bad = 12345;
        int rc = cfd_utf8_validate(cases[i].s, cases[i].len, &bad);
        if (cases[i].bad == (size_t)-1) {
            assert_int_equal(rc, 0);
        } else {
            assert_int_equal(rc, CFD_EUTF8);
            if (bad != cases[i].bad)
                fail_msg("case %zu: bad offset %zu, expected %zu", i, bad, cases[i].bad);
        }
    }
}

/*
 * RFC 3629 read directly, for test_against_reference: the offset of the
 * first byte of the first sequence that is not a well-formed scalar value
 * encoding, or len when the text is valid.
 */
static size_t ref_first_bad(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n = c < 0x80 ? 1 : c >= 0xC0 && c < 0xE0 ? 2 : c >= 0xE0 && c < 0xF0 ? 3
                 : c >= 0xF0 && c < 0xF8 ? 4 : 0;
        if (n == 0 || n > len - i)
            return i;
        uint32_t cp = n == 1 ? c : c & (0xFFu >> (n + 1));
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = cp << 6 | (s[i + k] & 0x3Fu);
        }
        static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[n] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return i;
        i += n;
    }
    return len;
}

/*
 * cfd_utf8_validate (16-byte blocks, then the byte-at-a-time validator from
 * a sequence start before the block it stopped at) against ref_first_bad on
 * 200,000 texts: valid mixes of 1- to 4-byte sequences, with one or two
 * bytes replaced, dropped or inserted at random places, of every length
 * from 0 to 100 bytes so that sequences and errors fall at every position
 * relative to a block boundary.
 */
static void test_against_reference(void **state)
{
    (void)state;
    static const char *const seqs[] = {
        "a", " ", "Z", "\xc2\x80", "\xdf\xbf", "\xc3\xa9", "\xe0\xa0\x80", "\xea\xb0\x80",
        "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf", "\xec\x9e\x90", "\xf0\x90\x80\x80",
        "\xf0\x9f\x98\x80", "\xf3\xbf\xbf\xbf", "\xf4\x8f\xbf\xbf",
    };
    static const unsigned char noise[] = {
        0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
        0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF8, 0xFF,
    };
    unsigned char buf[128];
    uint64_t x = 0x2545F4914F6CDD1Du;
#define NEXT() cfd_test_rnd(&x)
    for (int iter = 0; iter < 200000; iter++) {
        size_t want_len = NEXT() % 101, len = 0;
        while (len < want_len) {
            const char *q = seqs[NEXT() % (sizeof seqs / sizeof seqs[0])];
            size_t n = strlen(q);
            if (len + n > sizeof buf - 4)
                break;
            memcpy(buf + len, q, n);
            len += n;
        }
        int edits = (int)(NEXT() % 4); /* 0: stays valid */
        for (int e = 0; e < edits && len > 0; e++) {
            size_t at = NEXT() % len;
            unsigned char b = noise[NEXT() % sizeof noise];
            switch (NEXT() % 3) {
            case 0: buf[at] = b; break;
            case 1: memmove(buf + at, buf + at + 1, len - at - 1); len--; break;
            default:
                if (len < sizeof buf) {
                    memmove(buf + at + 1, buf + at, len - at);
                    buf[at] = b;
                    len++;
                }
            }
        }
        size_t want = ref_first_bad(buf, len), off = (size_t)-1;
        int rc = cfd_utf8_validate((const char *)buf, len, &off);
        if (want == len) {
            assert_int_equal(rc, 0);
        } else {
            if (rc != CFD_EUTF8 || off != want)
                fprintf(stderr, "iteration %d: len %zu, want offset %zu, got rc %d offset %zu\n",
                        iter, len, want, rc, off);
            assert_int_equal(rc, CFD_EUTF8);
            assert_int_equal(off, want);
        }
    }
#undef NEXT
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_after_korean_runs),
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_overlong),
        cmocka_unit_test(test_surrogate),
        cmocka_unit_test(test_above_max),
        cmocka_unit_test(test_stray_continuation),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_cut_by_the_end),
        cmocka_unit_test(test_offset_after_long_ascii),
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_roundtrip_all_scalars),
        cmocka_unit_test(test_all_lead_bytes),
        cmocka_unit_test(test_against_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
