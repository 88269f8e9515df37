/*
 * Tests for core/model_read.c, the container of the model file: truncation
 * at every length (and the field named), flipped bytes (checksum), bad
 * magic, versions, header sizes, section lengths and flags, section order,
 * duplicates, unknown required/optional sections, and random damage behind
 * a valid checksum (must never crash: run under ASan).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "model_fixture.h"

static void test_truncated_at_every_length(void **state)
{
    (void)state;
    cfd_model *m = make_model(3, 4, 1);
    size_t len;
    uint8_t *buf = serialize(m, CFD_WEIGHTS_F32, &len);
    size_t wght = payload_of(buf, len, "WGHT");
    size_t idf = payload_of(buf, len, "IDF ");
    for (size_t cut = 0; cut < len; cut++) {
        /* A copy of exactly `cut` bytes, so ASan sees any read beyond it. */
        uint8_t *p = malloc(cut ? cut : 1);
        memcpy(p, buf, cut);
        cfd_error err = expect_error(p, cut, CFD_ETRUNC, NULL);
        assert_true(strstr(err.msg, "truncated") != NULL || strstr(err.msg, "empty") != NULL);
        if (cut >= 24) {
            char at[48];
            snprintf(at, sizeof(at), "ends at offset %zu", cut);
            if (strstr(err.msg, at) == NULL)
                fail_msg("cut %zu: %s", cut, err.msg);
            assert_int_equal(err.offset, cut);
        }
        free(p);
    }
    /* The message names the section and field the file ends in. */
    cfd_error err = expect_error(buf, wght + 16 + 4 * m->n_rows + 5, CFD_ETRUNC, "'weights'");
    assert_non_null(strstr(err.msg, "WGHT"));
    expect_error(buf, wght + 2, CFD_ETRUNC, "'n_labels' of section WGHT");
    expect_error(buf, idf + 100, CFD_ETRUNC, "'idf' of section IDF");
    expect_error(buf, 5, CFD_ETRUNC, "'magic'");
    expect_error(buf, 14, CFD_ETRUNC, "'n_sections'");
    expect_error(buf, len - 3, CFD_ETRUNC, "inside the checksum");
    free(buf);
    cfd_model_free(m);
}

static void test_flipped_bytes_fail_checksum(void **state)
{
    (void)state;
    cfd_model *m = make_model(3, 3, 0);
    size_t len;
    uint8_t *buf = serialize(m, CFD_WEIGHTS_F32, &len);
    for (size_t i = 0; i < len; i++) {
        uint8_t bit = (uint8_t)(1u << (i % 8));
        buf[i] ^= bit;
        if (i >= 24) {
            expect_error(buf, len, CFD_ECHECKSUM, "checksum mismatch");
        } else {
            /* Header bytes: some other, specific error; never a success. */
            cfd_model *l = NULL;
            cfd_error err;
            assert_true(cfd_model_load_buffer(buf, len, &l, &err) < 0);
            assert_null(l);
            assert_true(err.msg[0] != '\0');
        }
        buf[i] ^= bit;
    }
    cfd_model_free(expect_ok(buf, len));
    free(buf);
    cfd_model_free(m);
}

static void test_bad_magic(void **state)
{
    (void)state;
    cfd_model *m = make_model(3, 3, 0);
    size_t len;
    uint8_t *buf = serialize(m, CFD_WEIGHTS_F32, &len);
    buf[1] = 'X';
    cfd_error err = expect_error(buf, len, CFD_EFORMAT, "bad magic");
    assert_non_null(strstr(err.msg, "found bytes 89 58 46 44"));
    assert_non_null(strstr(err.msg, "expected 89 43 46 44 4d 0d 0a 1a"));
    const char text[] = "solver_type L2R_LR\nnr_class 3\n";
    expect_error(text, sizeof(text) - 1, CFD_EFORMAT, "not a classifyd model");
    free(buf);
    cfd_model_free(m);
}

static void test_versions(void **state)
{
    (void)state;
    cfd_model *m = make_model(3, 3, 0);
    size_t len;
    /* With word_prefix (the fixture sets it) the writer adds a FOPT section
     * and says format 1.1; without it the file is 1.0, no FOPT, so readers
     * older than FOPT load it. */
    uint8_t *buf = serialize(m, CFD_WEIGHTS_F32, &len);
    assert_int_equal(buf[8] | buf[9] << 8, 1);
    assert_int_equal(buf[10] | buf[11] << 8, 1);
    assert_true(find_section(buf, len, "FOPT") != (size_t)-1);
    free(buf);
    m->feat.word_prefix = 0;
    buf = serialize(m, CFD_WEIGHTS_F32, &len);
    assert_int_equal(buf[10] | buf[11] << 8, 0);
    assert_true(find_section(buf, len, "FOPT") == (size_t)-1);
    cfd_model *l = expect_ok(buf, len);
    assert_int_equal(l->feat.word_prefix, 0);
    cfd_model_free(l);
    buf[8] = 2; /* major 2 */
    fix_checksum(buf, len);
    cfd_error err = expect_error(buf, len, CFD_EVERSION, "version 2.0");
    assert_non_null(strstr(err.msg, "1.x"));
    assert_non_null(strstr(err.msg, "upgrade"));
    buf[8] = 0;
    expect_error(buf, len, CFD_EVERSION, "version 0.0");
    /* A newer minor of our major only adds optional sections: it loads. */
    buf[8] = 1;
    buf[10] = 9;
    fix_checksum(buf, len);
    cfd_model_free(expect_ok(buf, len));
    free(buf);
    cfd_model_free(m);
}

static void test_header_sizes(void **state)
{
    (void)state;
    cfd_model *m = make_model(3, 3, 0);
    size_t len;
    uint8_t *buf = serialize(m, CFD_WEIGHTS_F32, &len);
    uint8_t *b = malloc(len + 16);

    memcpy(b, buf, len);
    le32(b + 12, 100000);
    fix_checksum(b, len);
    expect_error(b, len, CFD_ETOOBIG, "n_sections is 100000");
    le32(b + 12, 0);
    fix_checksum(b, len);
    expect_error(b, len, CFD_EFORMAT, "n_sections is 0");
    le32(b + 12, 9); /* more sections than there are */
    fix_checksum(b, len);
    expect_error(b, len, CFD_EFORMAT, "overlap the checksum");

    memcpy(b, buf, len);
    le64(b + 16, (uint64_t)1 << 40);
    expect_error(b, len, CFD_ETOOBIG, "file_length is 1099511627776");
    le64(b + 16, 10);
    expect_error(b, len, CFD_EFORMAT, "file_length is 10");
    /* Bytes after the end the header declares. */
    memcpy(b, buf, len);
    memset(b + len, 0, 16);
    expect_error(b, len + 16, CFD_EFORMAT, "16 unexpected bytes after the checksum");
    free(b);
    free(buf);
    cfd_model_free(m);
}


static void test_section_lengths(void **state)
{
    (void)state;
    cfd_model *m = make_model(3, 3, 0);
    size_t len;
    uint8_t *buf = serialize(m, CFD_WEIGHTS_F32, &len);
    size_t w = find_section(buf, len, "WGHT");
    uint64_t orig = get64(buf + w + 8);
    le64(buf + w + 8, (uint64_t)1 << 60);
    fix_checksum(buf, len);
    expect_error(buf, len, CFD_ETOOBIG, "remain before the checksum");
    le64(buf + w + 8, orig - 4); /* shorter than its fields */
    fix_checksum(buf, len);
    expect_error(buf, len, CFD_ETOOBIG, "section WGHT is");
    le64(buf + w + 8, orig);
    le32(buf + w + 4, 3); /* unknown flag bit */
    fix_checksum(buf, len);
    expect_error(buf, len, CFD_EFORMAT, "unknown flag bits 0x2");
    free(buf);
    cfd_model_free(m);
}


static void test_sections_layout(void **state)
{
    (void)state;
    cfd_model *m = make_model(3, 3, 0);
    size_t len, n;
    uint8_t *buf = serialize(m, CFD_WEIGHTS_F32, &len);
    uint8_t sec[64];
    size_t meta = find_section(buf, len, "META");

    /* Unknown optional section: skipped, anywhere. */
    size_t sn = make_section(sec, "XTRA", 0, "future data", 11);
    uint8_t *b = splice(buf, len, meta, 0, sec, sn, +1, &n);
    cfd_model *l = expect_ok(b, n);
    assert_models_equal(m, l, 1);
    cfd_model_free(l);
    free(b);
    b = splice(buf, len, 24, 0, sec, sn, +1, &n);
    cfd_model_free(expect_ok(b, n));
    free(b);
    /* Unknown required section: rejected, naming it. */
    sn = make_section(sec, "QUNT", 1, "x", 1);
    b = splice(buf, len, meta, 0, sec, sn, +1, &n);
    cfd_error err = expect_error(b, n, CFD_EVERSION, "section QUNT");
    assert_non_null(strstr(err.msg, "required"));
    free(b);
    /* A known section twice, out of order, missing. */
    size_t name = find_section(buf, len, "NAME");
    size_t name_len = 16 + (size_t)get64(buf + name + 8);
    b = splice(buf, len, meta, 0, buf + name, name_len, +1, &n);
    expect_error(b, n, CFD_EFORMAT, "NAME (at offset");
    expect_error(b, n, CFD_EFORMAT, "appears twice");
    free(b);
    size_t labl = find_section(buf, len, "LABL");
    size_t labl_len = 16 + (size_t)get64(buf + labl + 8);
    b = splice(buf, len, meta, 0, buf + labl, labl_len, +1, &n); /* LABL again, late */
    expect_error(b, n, CFD_EFORMAT, "appears twice");
    free(b);
    uint8_t *t = splice(buf, len, labl, labl_len, "", 0, -1, &n); /* drop LABL ... */
    size_t n2;
    size_t feat = find_section(t, n, "FEAT");
    b = splice(t, n, feat + 16 + 20, 0, buf + labl, labl_len, +1, &n2); /* ...put it after FEAT */
    expect_error(b, n2, CFD_EFORMAT, "out of order");
    free(b);
    expect_error(t, n, CFD_EFORMAT, "needs section LABL before it");
    free(t);
    size_t bias = find_section(buf, len, "BIAS");
    b = splice(buf, len, bias, 16 + (size_t)get64(buf + bias + 8), "", 0, -1, &n);
    expect_error(b, n, CFD_EFORMAT, "required section BIAS is missing");
    free(b);
    /* Without META it still loads (the metadata is then empty). */
    b = splice(buf, len, meta, 16 + (size_t)get64(buf + meta + 8), "", 0, -1, &n);
    l = expect_ok(b, n);
    assert_string_equal(l->meta.version, "");
    assert_null(l->meta.notes);
    cfd_model_free(l);
    free(b);
    /* Stray bytes between the last section and the checksum. */
    b = splice(buf, len, len - 8, 0, "abc", 3, 0, &n);
    expect_error(b, n, CFD_EFORMAT, "3 unexpected bytes between the last");
    free(b);
    free(buf);
    cfd_model_free(m);
}

/* Random damage with a valid checksum: must never crash or leak (ASan),
 * always either load or explain. */

/* Random damage with a valid checksum: must never crash or leak (ASan),
 * always either load or explain. */
static void test_random_mutations(void **state)
{
    (void)state;
    cfd_model *m = make_model(4, 4, 1);
    size_t len;
    uint8_t *buf = serialize(m, CFD_WEIGHTS_Q8, &len);
    uint8_t *b = malloc(len);
    int rejected = 0;
    for (int it = 0; it < 3000; it++) {
        memcpy(b, buf, len);
        int k = 1 + (int)(rnd() % 4);
        for (int j = 0; j < k; j++) {
            size_t at = rnd() % (len - 8);
            if (it % 3 == 0 && at < 24)
                continue; /* keep the header mostly intact to reach the sections */
            b[at] = (uint8_t)rnd();
        }
        fix_checksum(b, len);
        size_t l = it % 5 == 0 ? rnd() % len : len;
        cfd_model *mm = NULL;
        cfd_error err;
        int rc = cfd_model_load_buffer(b, l, &mm, &err);
        if (rc == 0) {
            assert_non_null(mm);
            cfd_model_free(mm);
        } else {
            assert_null(mm);
            assert_int_equal(err.code, rc);
            assert_true(strlen(err.msg) > 10);
            rejected++;
        }
    }
    assert_true(rejected > 1000);
    free(b);
    free(buf);
    cfd_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncated_at_every_length),
        cmocka_unit_test(test_flipped_bytes_fail_checksum),
        cmocka_unit_test(test_bad_magic),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_header_sizes),
        cmocka_unit_test(test_section_lengths),
        cmocka_unit_test(test_sections_layout),
        cmocka_unit_test(test_random_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
