/*
 * Tests for the model file format (core/model_read.c, model_write.c,
 * model_file.c): round trips, and every kind of damage rejected with the
 * right code and a message naming the problem.
 *
 * To reach a specific check behind the checksum, a test edits the bytes and
 * then recomputes the checksum (fix_checksum), or replaces/inserts whole
 * sections (splice). The section walker here is an independent reading of
 * models/FORMAT.md, so it also checks the writer follows the document.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "model.h"

/* ---------------------------------------------------------------- helpers */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static float rndf(void) { return (float)((int32_t)(rnd() % 2000001) - 1000000) / 250000.0f; }

static void le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

static void test_config(cfd_feat_config *f, int use_idf)
{
    memset(f, 0, sizeof(*f));
    f->hash_bits = 10;
    f->word_unigrams = 1;
    f->word_bigrams = 1;
    f->char_min = 2;
    f->char_max = 4;
    f->sublinear_tf = 1;
    f->use_idf = (uint8_t)use_idf;
    f->l2_normalize = 1;
    f->clean_news = 1;
    f->title_weight = 2.0f;
    f->seed = 0x5eed1234u;
}

/* A model with n_labels labels, about density% non-zero rows, random
 * weights, every metadata field set (Korean text included). */
static cfd_model *make_model(uint32_t n_labels, int density, int use_idf)
{
    cfd_feat_config f;
    test_config(&f, use_idf);
    uint32_t nb = 1u << f.hash_bits;
    float *w = calloc((size_t)nb * n_labels, sizeof(float));
    float *bias = malloc(n_labels * sizeof(float));
    float *idf = use_idf ? malloc(nb * sizeof(float)) : NULL;
    assert_non_null(w);
    for (uint32_t b = 0; b < nb; b++) {
        if ((int)(rnd() % 100) >= density)
            continue;
        for (uint32_t c = 0; c < n_labels; c++)
            w[(size_t)b * n_labels + c] = rndf();
    }
    for (uint32_t c = 0; c < n_labels; c++)
        bias[c] = rndf();
    for (uint32_t b = 0; use_idf && b < nb; b++)
        idf[b] = 1.0f + (float)(rnd() % 1000) / 100.0f;
    char names[16][24];
    const char *labels[16];
    static const char *const ko[] = {"정치", "경제", "사회", "생활문화", "세계", "IT과학",
                                     "스포츠", "연예"};
    for (uint32_t c = 0; c < n_labels; c++) {
        if (c < 8)
            snprintf(names[c], sizeof(names[c]), "%s", ko[c]);
        else
            snprintf(names[c], sizeof(names[c]), "label-%u", c);
        labels[c] = names[c];
    }
    cfd_model_meta meta = {0};
    snprintf(meta.version, sizeof(meta.version), "20261128T0830Z");
    memset(meta.data_sha256, 'a', 64);
    meta.data_sha256[7] = '0';
    meta.n_examples = 40000;
    snprintf(meta.solver, sizeof(meta.solver), "L2R_LR");
    meta.c = 0.5;
    meta.created_unix = 1795854600;
    meta.metrics_json = "{\"macro_f1\": 0.861, \"accuracy\": 0.87}";
    meta.notes = "학습 데이터: KLUE YNAT (CC BY-SA 4.0)";
    cfd_model *m = NULL;
    cfd_error err;
    int rc = cfd_model_from_dense("topic", labels, n_labels, &f, w, bias, idf, 1.25f, &meta, &m,
                                  &err);
    if (rc != 0)
        fail_msg("from_dense: %s", err.msg);
    free(w);
    free(bias);
    free(idf);
    return m;
}

static uint8_t *serialize(cfd_model *m, enum cfd_weight_encoding enc, size_t *len)
{
    void *buf;
    cfd_error err;
    int rc = cfd_model_serialize(m, enc, &buf, len, &err);
    if (rc != 0)
        fail_msg("serialize: %s", err.msg);
    return buf;
}

static void fix_checksum(uint8_t *b, size_t len)
{
    le64(b + len - 8, XXH3_64bits(b, len - 8));
}

/* Offset of the header of the first section with this tag, or (size_t)-1. */
static size_t find_section(const uint8_t *b, size_t len, const char *tag)
{
    uint32_t n = get32(b + 12);
    size_t pos = 24;
    for (uint32_t i = 0; i < n && pos + 16 <= len - 8; i++) {
        if (memcmp(b + pos, tag, 4) == 0)
            return pos;
        pos += 16 + (size_t)get64(b + pos + 8);
    }
    return (size_t)-1;
}

static size_t payload_of(const uint8_t *b, size_t len, const char *tag)
{
    size_t s = find_section(b, len, tag);
    assert_true(s != (size_t)-1);
    return s + 16;
}

/* Replaces bytes [at, at + del) with ins[0..ins_len), adds dsec to
 * n_sections, fixes file_length and the checksum. Returns a new buffer. */
static uint8_t *splice(const uint8_t *b, size_t len, size_t at, size_t del, const void *ins,
                       size_t ins_len, int dsec, size_t *out_len)
{
    size_t n = len - del + ins_len;
    uint8_t *o = malloc(n);
    assert_non_null(o);
    memcpy(o, b, at);
    memcpy(o + at, ins, ins_len);
    memcpy(o + at + ins_len, b + at + del, len - at - del);
    le32(o + 12, get32(o + 12) + (uint32_t)dsec);
    le64(o + 16, n);
    fix_checksum(o, n);
    *out_len = n;
    return o;
}

/* A section (header + payload) as bytes. */
static size_t make_section(uint8_t *out, const char *tag, uint32_t flags, const void *payload,
                           size_t n)
{
    memcpy(out, tag, 4);
    le32(out + 4, flags);
    le64(out + 8, n);
    memcpy(out + 16, payload, n);
    return 16 + n;
}

/* Replaces the whole section `tag` with a new payload. */
static uint8_t *replace_section(const uint8_t *b, size_t len, const char *tag, const void *payload,
                                size_t n, size_t *out_len)
{
    size_t s = find_section(b, len, tag);
    assert_true(s != (size_t)-1);
    uint8_t *sec = malloc(16 + n);
    uint32_t flags = get32(b + s + 4);
    size_t sn = make_section(sec, tag, flags, payload, n);
    uint8_t *o = splice(b, len, s, 16 + (size_t)get64(b + s + 8), sec, sn, 0, out_len);
    free(sec);
    return o;
}

#define expect_error(buf, len, code, needle) expect_error_at(buf, len, code, needle, __LINE__)

static cfd_error expect_error_at(const void *buf, size_t len, int code, const char *needle,
                                 int line)
{
    cfd_model *m = (cfd_model *)0x1;
    cfd_error err;
    int rc = cfd_model_load_buffer(buf, len, &m, &err);
    if (rc != code || err.code != code || m != NULL)
        fail_msg("line %d: expected %s, got %s (%d): %s", line, cfd_errname(code),
                 cfd_errname(rc), rc, err.msg);
    if (needle != NULL && strstr(err.msg, needle) == NULL)
        fail_msg("line %d: message lacks \"%s\": %s", line, needle, err.msg);
    return err;
}

static cfd_model *expect_ok(const void *buf, size_t len)
{
    cfd_model *m = NULL;
    cfd_error err;
    int rc = cfd_model_load_buffer(buf, len, &m, &err);
    if (rc != 0)
        fail_msg("load: %s", err.msg);
    return m;
}

static void assert_models_equal(const cfd_model *a, const cfd_model *b, int exact_weights)
{
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->n_labels, b->n_labels);
    for (uint32_t c = 0; c < a->n_labels; c++)
        assert_string_equal(a->labels[c], b->labels[c]);
    assert_int_equal(a->feat.hash_bits, b->feat.hash_bits);
    assert_int_equal(a->feat.word_unigrams, b->feat.word_unigrams);
    assert_int_equal(a->feat.word_bigrams, b->feat.word_bigrams);
    assert_int_equal(a->feat.char_min, b->feat.char_min);
    assert_int_equal(a->feat.char_max, b->feat.char_max);
    assert_int_equal(a->feat.sublinear_tf, b->feat.sublinear_tf);
    assert_int_equal(a->feat.use_idf, b->feat.use_idf);
    assert_int_equal(a->feat.l2_normalize, b->feat.l2_normalize);
    assert_int_equal(a->feat.clean_news, b->feat.clean_news);
    assert_memory_equal(a->feat.reserved, b->feat.reserved, 3);
    assert_true(a->feat.title_weight == b->feat.title_weight);
    assert_int_equal(a->feat.seed, b->feat.seed);
    assert_int_equal(a->n_buckets, b->n_buckets);
    assert_int_equal(a->n_rows, b->n_rows);
    assert_memory_equal(a->row_of, b->row_of, a->n_buckets * sizeof(uint32_t));
    if (exact_weights && a->n_rows > 0)
        assert_memory_equal(a->rows, b->rows, (size_t)a->n_rows * a->n_labels * sizeof(float));
    assert_memory_equal(a->bias, b->bias, a->n_labels * sizeof(float));
    assert_true(a->prob_scale == b->prob_scale);
    assert_int_equal(a->idf == NULL, b->idf == NULL);
    if (a->idf != NULL)
        assert_memory_equal(a->idf, b->idf, a->n_buckets * sizeof(float));
    assert_string_equal(a->meta.version, b->meta.version);
    assert_string_equal(a->meta.data_sha256, b->meta.data_sha256);
    assert_int_equal(a->meta.n_examples, b->meta.n_examples);
    assert_string_equal(a->meta.solver, b->meta.solver);
    assert_true(a->meta.c == b->meta.c);
    assert_int_equal(a->meta.created_unix, b->meta.created_unix);
    assert_int_equal(a->meta.metrics_json == NULL, b->meta.metrics_json == NULL);
    if (a->meta.metrics_json)
        assert_string_equal(a->meta.metrics_json, b->meta.metrics_json);
    assert_int_equal(a->meta.notes == NULL, b->meta.notes == NULL);
    if (a->meta.notes)
        assert_string_equal(a->meta.notes, b->meta.notes);
}

/* ------------------------------------------------------------ round trips */

static void test_roundtrip_f32(void **state)
{
    (void)state;
    for (int use_idf = 0; use_idf <= 1; use_idf++) {
        cfd_model *m = make_model(7, 10, use_idf);
        size_t len;
        uint8_t *buf = serialize(m, CFD_WEIGHTS_F32, &len);
        cfd_model *l = expect_ok(buf, len);
        assert_models_equal(m, l, 1);
        assert_true(l->checksum == m->checksum);
        assert_string_equal(l->checksum_hex, m->checksum_hex);
        assert_int_equal(strlen(l->checksum_hex), 16);
        /* Writing what was read gives the same bytes. */
        size_t len2;
        uint8_t *buf2 = serialize(l, CFD_WEIGHTS_F32, &len2);
        assert_int_equal(len, len2);
        assert_memory_equal(buf, buf2, len);
        free(buf);
        free(buf2);
        cfd_model_free(l);
        cfd_model_free(m);
    }
}

static void test_roundtrip_q8(void **state)
{
    (void)state;
    cfd_model *m = make_model(5, 20, 1);
    size_t len, len32;
    uint8_t *buf = serialize(m, CFD_WEIGHTS_Q8, &len);
    free(serialize(m, CFD_WEIGHTS_F32, &len32));
    assert_true(len < len32);
    cfd_model *l = expect_ok(buf, len);
    assert_models_equal(m, l, 0);
    double worst = 0.0;
    for (uint32_t r = 0; r < m->n_rows; r++) {
        const float *a = m->rows + (size_t)r * m->n_labels, *b = l->rows + (size_t)r * m->n_labels;
        float mx = 0.0f;
        for (uint32_t c = 0; c < m->n_labels; c++)
            mx = fmaxf(mx, fabsf(a[c]));
        double bound = mx / 127.0 / 2.0 * (1.0 + 1e-5) + 1e-12;
        for (uint32_t c = 0; c < m->n_labels; c++) {
            double d = fabs((double)a[c] - b[c]);
            assert_true(d <= bound);
            if (d > worst)
                worst = d;
        }
    }
    assert_true(worst > 0.0); /* it really was quantised */
    free(buf);
    cfd_model_free(l);
    cfd_model_free(m);
}

static void test_roundtrip_optional_strings(void **state)
{
    (void)state;
    cfd_model *m = make_model(2, 5, 0);
    free(m->meta.metrics_json);
    m->meta.metrics_json = NULL;
    free(m->meta.notes);
    m->meta.notes = strdup(""); /* empty is not absent */
    size_t len;
    uint8_t *buf = serialize(m, CFD_WEIGHTS_F32, &len);
    cfd_model *l = expect_ok(buf, len);
    assert_null(l->meta.metrics_json);
    assert_non_null(l->meta.notes);
    assert_string_equal(l->meta.notes, "");
    assert_models_equal(m, l, 1);
    free(buf);
    cfd_model_free(l);
    cfd_model_free(m);
}

static void test_save_load_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/cfd_test_model_file.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[512];
    snprintf(path, sizeof(path), "%s/topic.cfdm", dir);
    cfd_model *m = make_model(4, 10, 1);
    cfd_error err;
    m->checksum = 0;
    if (cfd_model_save(m, path, CFD_WEIGHTS_F32, &err) != 0)
        fail_msg("save: %s", err.msg);
    assert_true(m->checksum != 0);
    struct stat st1;
    assert_int_equal(stat(path, &st1), 0);
    /* Saving again replaces the file by rename: a new inode, no leftovers. */
    assert_int_equal(cfd_model_save(m, path, CFD_WEIGHTS_Q8, &err), 0);
    struct stat st2;
    assert_int_equal(stat(path, &st2), 0);
    assert_true(st1.st_ino != st2.st_ino);
    DIR *d = opendir(dir);
    int files = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (e->d_name[0] != '.') {
            files++;
            assert_string_equal(e->d_name, "topic.cfdm");
        }
    closedir(d);
    assert_int_equal(files, 1);
    cfd_model *l = NULL;
    if (cfd_model_load(path, &l, &err) != 0)
        fail_msg("load: %s", err.msg);
    assert_models_equal(m, l, 0);
    assert_true(l->checksum == m->checksum);

    /* An invalid model is refused and the file on disk stays as it was. */
    uint64_t before = m->checksum;
    m->bias[1] = NAN;
    assert_int_equal(cfd_model_save(m, path, CFD_WEIGHTS_F32, &err), CFD_ERANGE);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "bias"));
    assert_true(m->checksum == before);
    cfd_model *l2 = NULL;
    assert_int_equal(cfd_model_load(path, &l2, &err), 0);
    assert_true(l2->checksum == before);

    /* Unwritable destination: clear error naming the path, nothing left. */
    m->bias[1] = 0.5f;
    char bad[600];
    snprintf(bad, sizeof(bad), "%s/no/such/dir/x.cfdm", dir);
    int rc = cfd_model_save(m, bad, CFD_WEIGHTS_F32, &err);
    assert_int_equal(rc, CFD_ENOENT);
    assert_non_null(strstr(err.msg, "no/such/dir/x.cfdm"));

    unlink(path);
    rmdir(dir);
    cfd_model_free(l2);
    cfd_model_free(l);
    cfd_model_free(m);
}

static void test_load_missing_and_odd_files(void **state)
{
    (void)state;
    cfd_model *m = (cfd_model *)0x1;
    cfd_error err;
    const char *path = "/tmp/cfd-no-such-dir/missing-model.cfdm";
    assert_int_equal(cfd_model_load(path, &m, &err), CFD_ENOENT);
    assert_null(m);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "does not exist"));
    /* A directory is not a model. */
    assert_int_equal(cfd_model_load("/tmp", &m, &err), CFD_EINVAL);
    assert_non_null(strstr(err.msg, "/tmp"));
    /* An empty file is truncated, and the message starts with the path. */
    char tmpl[] = "/tmp/cfd_empty_model.XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(cfd_model_load(tmpl, &m, &err), CFD_ETRUNC);
    assert_int_equal(strncmp(err.msg, tmpl, strlen(tmpl)), 0);
    unlink(tmpl);
    /* err may be NULL. */
    assert_int_equal(cfd_model_load(path, &m, NULL), CFD_ENOENT);
    assert_int_equal(cfd_model_load_buffer("x", 1, &m, NULL), CFD_EFORMAT);
}

/* -------------------------------------------------------- whole-file damage */

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
    uint8_t *buf = serialize(m, CFD_WEIGHTS_F32, &len);
    assert_int_equal(buf[8] | buf[9] << 8, 1);
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

/* ------------------------------------------------------- section contents */

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
    buf[fp + 10] = 1; /* a reserved byte */
    fix_checksum(buf, len);
    expect_error(buf, len, CFD_EFORMAT, "reserved config bytes");
    buf[fp + 10] = 0;
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
    free(buf);
    cfd_model_free(m);
}

static void test_roundtrip_no_rows(void **state)
{
    (void)state;
    /* All weights zero (a model that only has biases) is valid. */
    cfd_feat_config f;
    test_config(&f, 0);
    float *w = calloc((size_t)1024 * 3, sizeof(float));
    float bias[3] = {0.5f, -0.5f, 0.0f};
    const char *labels[] = {"x", "y", "z"};
    cfd_model *m = NULL;
    cfd_error err;
    assert_int_equal(cfd_model_from_dense("n", labels, 3, &f, w, bias, NULL, 1.0f, NULL, &m, &err),
                     0);
    assert_int_equal(m->n_rows, 0);
    for (int enc = CFD_WEIGHTS_F32; enc <= CFD_WEIGHTS_Q8; enc++) {
        size_t len;
        uint8_t *buf = serialize(m, (enum cfd_weight_encoding)enc, &len);
        cfd_model *l = expect_ok(buf, len);
        assert_models_equal(m, l, 1);
        cfd_model_free(l);
        free(buf);
    }
    free(w);
    cfd_model_free(m);
}

/* ---------------------------------------------------------------- layout */

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
        cmocka_unit_test(test_roundtrip_f32),
        cmocka_unit_test(test_roundtrip_q8),
        cmocka_unit_test(test_roundtrip_optional_strings),
        cmocka_unit_test(test_roundtrip_no_rows),
        cmocka_unit_test(test_save_load_file),
        cmocka_unit_test(test_load_missing_and_odd_files),
        cmocka_unit_test(test_truncated_at_every_length),
        cmocka_unit_test(test_flipped_bytes_fail_checksum),
        cmocka_unit_test(test_bad_magic),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_header_sizes),
        cmocka_unit_test(test_section_lengths),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_name),
        cmocka_unit_test(test_feat_config),
        cmocka_unit_test(test_weights),
        cmocka_unit_test(test_bias_idf),
        cmocka_unit_test(test_meta),
        cmocka_unit_test(test_sections_layout),
        cmocka_unit_test(test_random_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
