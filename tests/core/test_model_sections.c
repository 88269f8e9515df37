/*
 * Tests for core/model_sections.c: the contents of each known section
 * (LABL, NAME, FEAT, WGHT, BIAS, IDF, META) rewritten behind a fixed-up
 * checksum, so each specific check is reached and must reject the file with
 * the right code, a message naming the problem and, where it applies, the
 * file offset of the bad byte.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "model_fixture.h"

static void test_labels(void **state)
{
    (void)state;
    cfd_model *m = make_model(3, 3, 0);
    size_t len, n;
    uint8_t *buf = serialize(m, CFD_WEIGHTS_F32, &len);
    size_t lp = payload_of(buf, len, "LABL");
    uint8_t *b;

    /* Absurd counts, rewritten in place. */
    le32(buf + lp, 5000);
    fix_checksum(buf, len);
    expect_error(buf, len, CFD_ETOOBIG, "label count is 5000");
    le32(buf + lp, 900); /* allowed count, but the bytes are not there */
    fix_checksum(buf, len);
    expect_error(buf, len, CFD_ETOOBIG, "'labels'");
    le32(buf + lp, 1);
    fix_checksum(buf, len);
    expect_error(buf, len, CFD_EFORMAT, "label count is 1");
    le32(buf + lp, 3);
    /* A label length that is absurd, then one that exceeds the section. */
    le32(buf + lp + 4, 10000);
    fix_checksum(buf, len);
    expect_error(buf, len, CFD_ETOOBIG, "label 0 at offset");
    le32(buf + lp + 4, 250);
    fix_checksum(buf, len);
    expect_error(buf, len, CFD_ETOOBIG, "field 'label 0'");

    /* Whole LABL sections crafted by hand: count, then (len, bytes)... */
    struct { const char *payload; size_t n; int code; const char *needle; } cases[] = {
        {"\x03\0\0\0" "\x01\0\0\0a" "\x01\0\0\0b" "\x01\0\0\0a", 19, CFD_EFORMAT,
         "labels 0 and 2 are both \"a\""},
        {"\x03\0\0\0" "\x01\0\0\0a" "\x00\0\0\0" "\x01\0\0\0c", 18, CFD_EEMPTY, "label 1 is empty"},
        {"\x03\0\0\0" "\x01\0\0\0a" "\x02\0\0\0\xff\xfe" "\x01\0\0\0c", 20, CFD_EUTF8,
         "label 1 is not valid UTF-8"},
        {"\x03\0\0\0" "\x01\0\0\0a" "\x02\0\0\0b\t" "\x01\0\0\0c", 20, CFD_EFORMAT,
         "control character 0x09"},
        {"\x03\0\0\0" "\x01\0\0\0a" "\x02\0\0\0b\0" "\x01\0\0\0c", 20, CFD_EFORMAT, "NUL byte"},
        {"\x03\0\0\0" "\x01\0\0\0a" "\x01\0\0\0b" "\x01\0\0\0c" "zz", 21, CFD_EFORMAT,
         "2 unexpected bytes"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        b = replace_section(buf, len, "LABL", cases[i].payload, cases[i].n, &n);
        expect_error(b, n, cases[i].code, cases[i].needle);
        free(b);
    }
    /* The offset of a bad byte is its offset in the file. */
    b = replace_section(buf, len, "LABL", cases[2].payload, cases[2].n, &n);
    cfd_error err = expect_error(b, n, CFD_EUTF8, NULL);
    assert_int_equal(b[err.offset], 0xff);
    free(b);
    /* A label count that disagrees with the weights and the biases. */
    b = replace_section(buf, len, "LABL", "\x02\0\0\0\x01\0\0\0a\x01\0\0\0b", 14, &n);
    expect_error(b, n, CFD_EFORMAT, "weights have 3 columns but the model has 2 labels");
    free(b);
    free(buf);
    cfd_model_free(m);
}

static void test_name(void **state)
{
    (void)state;
    cfd_model *m = make_model(3, 3, 0);
    size_t len, n;
    uint8_t *buf = serialize(m, CFD_WEIGHTS_F32, &len);
    char longname[200];
    memset(longname, 'x', sizeof(longname));
    uint8_t *b = replace_section(buf, len, "NAME", longname, sizeof(longname), &n);
    expect_error(b, n, CFD_ETOOBIG, "model name is 200 bytes");
    free(b);
    b = replace_section(buf, len, "NAME", "", 0, &n);
    expect_error(b, n, CFD_EEMPTY, "model name is empty");
    free(b);
    b = replace_section(buf, len, "NAME", "to\xc0pic", 6, &n);
    expect_error(b, n, CFD_EUTF8, "model name is not valid UTF-8");
    free(b);
    free(buf);
    cfd_model_free(m);
}

static void test_feat_config(void **state)
{
    (void)state;
    cfd_model *m = make_model(3, 3, 0);
    size_t len;
    uint8_t *buf = serialize(m, CFD_WEIGHTS_F32, &len);
    size_t fp = payload_of(buf, len, "FEAT");
    assert_int_equal(buf[fp], 10); /* hash_bits comes first */
    buf[fp] = 30;
    fix_checksum(buf, len);
    expect_error(buf, len, CFD_ERANGE, "hash_bits is 30");
    buf[fp] = 11; /* valid, but the weights were made for 10 */
    fix_checksum(buf, len);
    expect_error(buf, len, CFD_EFORMAT, "n_buckets is 1024 but hash_bits 11");
    buf[fp] = 10;
    buf[fp + 3] = 5; /* char_min 5 > char_max 4 */
    fix_checksum(buf, len);
    char needle[64];
    snprintf(needle, sizeof(needle), "section FEAT (at offset %zu): featurizer config", fp - 16);
    expect_error(buf, len, CFD_EINVAL, needle);
    buf[fp + 3] = 2;
    for (int k = 9; k < 12; k++) { /* the three reserved bytes */
        buf[fp + k] = 1;
        fix_checksum(buf, len);
        expect_error(buf, len, CFD_EFORMAT, "reserved config bytes at offset");
        buf[fp + k] = 0;
    }
    /* FOPT (format 1.1, the fixture's word_prefix): its value and reserved
     * bytes checked, its length exact. */
    size_t op = payload_of(buf, len, "FOPT");
    assert_int_equal(buf[op], 1);
    buf[op] = 2;
    fix_checksum(buf, len);
    expect_error(buf, len, CFD_EINVAL, "section FOPT: word_prefix is 2, expected 0 or 1");
    buf[op] = 1;
    buf[op + 3] = 1;
    fix_checksum(buf, len);
    expect_error(buf, len, CFD_EFORMAT, "section FOPT: reserved bytes");
    buf[op + 3] = 0;
    {
        size_t n5;
        static const uint8_t five[5] = {1, 0, 0, 0, 0};
        uint8_t *b5 = replace_section(buf, len, "FOPT", five, sizeof five, &n5);
        expect_error(b5, n5, CFD_EFORMAT, "section FOPT is 5 bytes");
        free(b5);
    }
    fix_checksum(buf, len);
    cfd_model_free(expect_ok(buf, len));
    size_t n;
    uint8_t *b = replace_section(buf, len, "FEAT", buf + fp, 16, &n);
    expect_error(b, n, CFD_EFORMAT, "exactly 20 bytes");
    free(b);
    free(buf);
    cfd_model_free(m);
}

static void test_weights(void **state)
{
    (void)state;
    cfd_model *m = make_model(3, 5, 0);
    assert_true(m->n_rows >= 3);
    size_t len;
    uint8_t *buf = serialize(m, CFD_WEIGHTS_F32, &len);
    uint8_t *b = malloc(len);
    size_t wp = payload_of(buf, len, "WGHT");
    size_t idx = wp + 16, rows = idx + 4 * (size_t)m->n_rows;

    memcpy(b, buf, len);
    le32(b + wp, 4);
    fix_checksum(b, len);
    expect_error(b, len, CFD_EFORMAT, "weights have 4 columns but the model has 3 labels");
    memcpy(b, buf, len);
    le32(b + wp + 8, 5000);
    fix_checksum(b, len);
    expect_error(b, len, CFD_ETOOBIG, "n_rows is 5000, more than the 1024 buckets");
    memcpy(b, buf, len);
    le32(b + wp + 8, m->n_rows + 1);
    fix_checksum(b, len);
    expect_error(b, len, CFD_ETOOBIG, "take");
    memcpy(b, buf, len);
    b[wp + 12] = 7;
    fix_checksum(b, len);
    expect_error(b, len, CFD_EVERSION, "weight encoding 7 is unknown");
    memcpy(b, buf, len);
    b[wp + 14] = 1; /* a reserved byte */
    fix_checksum(b, len);
    cfd_error rerr = expect_error(b, len, CFD_EFORMAT, "section WGHT: reserved bytes");
    assert_int_equal(rerr.offset, wp + 13);

    /* Bucket indexes: unsorted, duplicated, out of range. */
    memcpy(b, buf, len);
    uint32_t i0 = get32(b + idx), i1 = get32(b + idx + 4);
    le32(b + idx, i1);
    le32(b + idx + 4, i0);
    fix_checksum(b, len);
    cfd_error err = expect_error(b, len, CFD_EFORMAT, "strictly increasing");
    assert_int_equal(err.offset, idx + 4);
    memcpy(b, buf, len);
    le32(b + idx + 4, i0);
    fix_checksum(b, len);
    expect_error(b, len, CFD_EFORMAT, "equal to the previous one");
    memcpy(b, buf, len);
    le32(b + idx + 4 * (size_t)(m->n_rows - 1), 1024);
    fix_checksum(b, len);
    expect_error(b, len, CFD_ERANGE, "bucket index 1024");

    /* Non-finite weights. */
    const uint32_t bad_bits[] = {0x7fc00000u, 0x7f800000u, 0xff800000u};
    for (int k = 0; k < 3; k++) {
        memcpy(b, buf, len);
        le32(b + rows + 4 * 5, bad_bits[k]);
        fix_checksum(b, len);
        err = expect_error(b, len, CFD_ERANGE, "weight 5 at offset");
        assert_non_null(strstr(err.msg, "not finite"));
        assert_int_equal(err.offset, rows + 20);
    }
    free(b);
    free(buf);

    /* Q8: a bad scale. */
    buf = serialize(m, CFD_WEIGHTS_Q8, &len);
    wp = payload_of(buf, len, "WGHT");
    le32(buf + wp + 16 + 4 * (size_t)m->n_rows, 0x7fc00000u);
    fix_checksum(buf, len);
    expect_error(buf, len, CFD_ERANGE, "scale of row 0");
    /* a negative scale would flip the sign of every weight of the row */
    le32(buf + wp + 16 + 4 * (size_t)m->n_rows + 4, 0xbf800000u); /* -1.0f, row 1 */
    le32(buf + wp + 16 + 4 * (size_t)m->n_rows, 0x3f800000u);     /* row 0 fine again */
    fix_checksum(buf, len);
    expect_error(buf, len, CFD_ERANGE, "scale of row 1");
    free(buf);
    cfd_model_free(m);
}

/* The value checks scan in blocks: a bad value anywhere (first, block
 * edges, tail) is found, with its exact index and offset. */
static void test_nonfinite_anywhere(void **state)
{
    (void)state;
    cfd_model *m = make_model(3, 60, 1);
    size_t nw = (size_t)m->n_rows * 3;
    assert_true(nw > 1000);
    size_t len;
    uint8_t *buf = serialize(m, CFD_WEIGHTS_F32, &len);
    uint8_t *b = malloc(len);
    size_t rows = payload_of(buf, len, "WGHT") + 16 + 4 * (size_t)m->n_rows;
    size_t idf = payload_of(buf, len, "IDF ") + 8;
    const size_t at[] = {0, 255, 256, 257, 511, 700, nw - 1};
    for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
        memcpy(b, buf, len);
        le32(b + rows + 4 * at[k], k % 2 ? 0x7fc00001u : 0xff800000u);
        fix_checksum(b, len);
        char needle[64];
        snprintf(needle, sizeof(needle), "weight %zu at offset %zu", at[k], rows + 4 * at[k]);
        cfd_error err = expect_error(b, len, CFD_ERANGE, needle);
        assert_int_equal(err.offset, rows + 4 * at[k]);

        size_t i = at[k] % 1024;
        memcpy(b, buf, len);
        le32(b + idf + 4 * i, k % 2 ? 0xbf000000u /* -0.5 */ : 0x7f800000u);
        fix_checksum(b, len);
        snprintf(needle, sizeof(needle), "idf[%zu] at offset %zu", i, idf + 4 * i);
        expect_error(b, len, CFD_ERANGE, needle);
    }
    /* -0.0 is a valid IDF value (it equals 0). */
    memcpy(b, buf, len);
    le32(b + idf + 4 * 300, 0x80000000u);
    fix_checksum(b, len);
    cfd_model_free(expect_ok(b, len));
    free(b);
    free(buf);
    cfd_model_free(m);
}

static void test_bias_idf(void **state)
{
    (void)state;
    cfd_model *m = make_model(3, 3, 1);
    size_t len;
    uint8_t *buf = serialize(m, CFD_WEIGHTS_F32, &len);
    uint8_t *b = malloc(len);
    size_t bp = payload_of(buf, len, "BIAS"), ip = payload_of(buf, len, "IDF ");

    memcpy(b, buf, len);
    le32(b + bp, 2);
    fix_checksum(b, len);
    expect_error(b, len, CFD_EFORMAT, "2 biases but the model has 3 labels");
    memcpy(b, buf, len);
    le32(b + bp + 8, 0x7f800000u);
    fix_checksum(b, len);
    expect_error(b, len, CFD_ERANGE, "bias 1 at offset");
    memcpy(b, buf, len);
    le32(b + bp + 16, 0); /* prob_scale 0 */
    fix_checksum(b, len);
    expect_error(b, len, CFD_ERANGE, "prob_scale");

    memcpy(b, buf, len);
    le32(b + ip, 2048);
    fix_checksum(b, len);
    expect_error(b, len, CFD_EFORMAT, "2048 entries but the model has 1024 buckets");
    memcpy(b, buf, len);
    le32(b + ip + 8 + 4 * 17, 0xbf800000u); /* -1.0 */
    fix_checksum(b, len);
    expect_error(b, len, CFD_ERANGE, "idf[17]");
    memcpy(b, buf, len);
    b[ip + 4] = 3;
    fix_checksum(b, len);
    expect_error(b, len, CFD_EVERSION, "encoding 3 is unknown");

    /* use_idf without the table, and the table without use_idf. */
    size_t n;
    size_t is = find_section(buf, len, "IDF ");
    uint8_t *c = splice(buf, len, is, 16 + (size_t)get64(buf + is + 8), "", 0, -1, &n);
    expect_error(c, n, CFD_EFORMAT, "section IDF is missing");
    free(c);
    memcpy(b, buf, len);
    b[payload_of(buf, len, "FEAT") + 6] = 0;
    fix_checksum(b, len);
    expect_error(b, len, CFD_EFORMAT, "use_idf = 0");
    free(b);
    free(buf);
    cfd_model_free(m);
}

/* IDF encoding 1 (a table of at most 256 values and a code per bucket):
 * what classifyd-train's IDF (255 levels and 0) is saved as. Every check
 * of the table and the codes, each with its offset. */
static void test_idf_table8(void **state)
{
    (void)state;
    cfd_model *m = make_model(3, 30, 2);
    size_t len;
    uint8_t *buf = serialize(m, CFD_WEIGHTS_Q8, &len);
    size_t ip = payload_of(buf, len, "IDF ");
    assert_int_equal(buf[ip + 4], 1); /* written as table8 */
    uint32_t nt = get32(buf + ip + 8);
    assert_true(nt >= 2 && nt <= 256);
    const size_t tp = ip + 12, cp = tp + 4 * (size_t)nt;
    /* it loads back to the very same floats */
    cfd_model *l = expect_ok(buf, len);
    assert_memory_equal(l->idf, m->idf, m->n_buckets * sizeof(float));
    cfd_model_free(l);

    uint8_t *b = malloc(len);
    struct { size_t at; uint32_t v; int code; const char *needle; } w32[] = {
        {ip + 8, 0, CFD_EFORMAT, "table of 0 values"},
        {ip + 8, 257, CFD_EFORMAT, "table of 257 values"},
        {ip + 8, nt + 1, CFD_EFORMAT, "a table of"},          /* size no longer adds up */
        {tp + 4, 0xbf800000u, CFD_ERANGE, "table[1] at offset"}, /* -1.0 */
        {tp + 4, 0x7fc00000u, CFD_ERANGE, "table[1] at offset"}, /* NaN */
        {tp + 4, 0, CFD_EFORMAT, "strictly ascending"},       /* 0 after table[0] = 0 */
    };
    for (size_t i = 0; i < sizeof w32 / sizeof w32[0]; i++) {
        memcpy(b, buf, len);
        le32(b + w32[i].at, w32[i].v);
        fix_checksum(b, len);
        expect_error(b, len, w32[i].code, w32[i].needle);
    }
    memcpy(b, buf, len);
    b[cp + 17] = (uint8_t)nt; /* one past the table */
    fix_checksum(b, len);
    expect_error(b, len, CFD_EFORMAT, "code[17] at offset");
    free(b);
    free(buf);
    cfd_model_free(m);
}

static void test_meta(void **state)
{
    (void)state;
    cfd_model *m = make_model(3, 3, 0);
    size_t len;
    uint8_t *buf = serialize(m, CFD_WEIGHTS_F32, &len);
    size_t mp = payload_of(buf, len, "META");
    size_t sha = mp + 4 + strlen(m->meta.version) + 4;
    buf[sha + 3] = 'Z';
    fix_checksum(buf, len);
    expect_error(buf, len, CFD_EFORMAT, "data_sha256 character 3");
    buf[sha + 3] = 'a';
    le32(buf + mp, 64); /* version longer than its 63 bytes */
    fix_checksum(buf, len);
    expect_error(buf, len, CFD_ETOOBIG, "version at offset");
    le32(buf + mp, (uint32_t)strlen(m->meta.version));
    /* Invalid UTF-8 in the notes (the last field). */
    size_t notes = len - 8 - strlen(m->meta.notes);
    buf[notes] = 0xc3;
    buf[notes + 1] = 0x28;
    fix_checksum(buf, len);
    expect_error(buf, len, CFD_EUTF8, "meta.notes is not valid UTF-8");
    /* A NUL inside a string would silently shorten it: rejected. */
    buf[notes] = 'a';
    buf[notes + 1] = '\0';
    fix_checksum(buf, len);
    cfd_error err = expect_error(buf, len, CFD_EFORMAT, "meta.notes contains a NUL byte");
    assert_int_equal(err.offset, notes + 1);
    buf[notes + 1] = 'b';
    buf[mp + 4 + 2] = '\0'; /* inside the version */
    fix_checksum(buf, len);
    expect_error(buf, len, CFD_EFORMAT, "meta.version contains a NUL byte");
    /* A control character in the version: the message must not call it a
     * name or a label. */
    buf[mp + 4 + 2] = '\t';
    fix_checksum(buf, len);
    err = expect_error(buf, len, CFD_EFORMAT, "meta.version contains control character 0x09");
    assert_null(strstr(err.msg, "names and labels"));
    assert_non_null(strstr(err.msg, "meta.version must be printable"));
    free(buf);
    cfd_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_name),
        cmocka_unit_test(test_feat_config),
        cmocka_unit_test(test_weights),
        cmocka_unit_test(test_nonfinite_anywhere),
        cmocka_unit_test(test_bias_idf),
        cmocka_unit_test(test_idf_table8),
        cmocka_unit_test(test_meta),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
