/*
 * Tests for core/model_write.c and core/model_file.c: round trips (every
 * field equal after save + load; F32 exact, Q8 within half a quantisation
 * step), atomic save, and file-level errors (missing file, directory, empty
 * file, unwritable destination). Damage to the bytes is tested in
 * test_model_read.c (the container) and test_model_sections.c (contents).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model_fixture.h"

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

/* rename() replaces whatever the path names: a device (/dev/null given as
 * --out for a dry run, as root), a pipe, a directory. Refused before
 * anything is written; the path is left as it was. */
static void test_save_refuses_non_regular_path(void **state)
{
    (void)state;
    char dir[] = "/tmp/cfd_test_model_file.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char fifo[512];
    snprintf(fifo, sizeof(fifo), "%s/pipe.cfdm", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    cfd_model *m = make_model(4, 10, 1);
    m->checksum = 0;
    cfd_error err;
    assert_int_equal(cfd_model_save(m, fifo, CFD_WEIGHTS_F32, &err), CFD_EINVAL);
    assert_non_null(strstr(err.msg, fifo));
    assert_non_null(strstr(err.msg, "is a pipe"));
    assert_true(m->checksum == 0);
    struct stat st;
    assert_int_equal(stat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_int_equal(cfd_model_save(m, dir, CFD_WEIGHTS_F32, &err), CFD_EINVAL);
    assert_non_null(strstr(err.msg, "is a directory"));
    /* a symlink to a model file is followed to the file: saved as before */
    char target[512], link[512];
    snprintf(target, sizeof(target), "%s/real.cfdm", dir);
    snprintf(link, sizeof(link), "%s/link.cfdm", dir);
    assert_int_equal(cfd_model_save(m, target, CFD_WEIGHTS_F32, &err), 0);
    assert_int_equal(symlink("real.cfdm", link), 0);
    assert_int_equal(cfd_model_save_target_check(link, &err), 0);
    unlink(link);
    unlink(target);
    unlink(fifo);
    rmdir(dir);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_f32),
        cmocka_unit_test(test_roundtrip_q8),
        cmocka_unit_test(test_roundtrip_optional_strings),
        cmocka_unit_test(test_save_load_file),
        cmocka_unit_test(test_save_refuses_non_regular_path),
        cmocka_unit_test(test_load_missing_and_odd_files),
        cmocka_unit_test(test_roundtrip_no_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
