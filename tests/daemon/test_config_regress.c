/*
 * Regression tests for daemon/config.c found by fuzz/fuzz_config.c, whose
 * check is that --check-config's dump of a loaded configuration loads back
 * into the same configuration.
 *
 * A model override ([models] plugin = file, or --model plugin=file) took any
 * text as the plugin name: an empty name (" = drbug", which inih also reads
 * as the continuation of the line before it when printed back), or a name
 * with spaces and bytes that cannot be a plugin (the fuzzer's
 * "model = \x80...derr. Empty = o\x80...0" under "[]"). Such an override
 * names no plugin and does not survive the dump; it is now refused with a
 * message, and real names still load and round-trip.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static int load_text(cfd_config *c, const char *text, cfd_error *err)
{
    char path[] = "/tmp/cfd-config-regress-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    int rc = cfd_config_load_file(c, path, err);
    unlink(path);
    return rc;
}

static void test_empty_plugin_name_refused(void **state)
{
    (void)state;
    cfd_config c;
    cfd_error err;
    cfd_config_defaults(&c);
    assert_int_equal(load_text(&c, "[engine]\naggregate =\n[models]\n = drbug\n", &err),
                     CFD_EINVAL);
    assert_non_null(strstr(err.msg, "[models]"));
    assert_int_equal(c.n_models, 0);
    cfd_config_free(&c);
}

static void test_garbage_plugin_name_refused(void **state)
{
    (void)state;
    static const char fuzzed[] =
        "[]\nmodel = \x80\x80\x80\x80\x80\x80\x80\x80" "derr. Empty = o\x80\x80\x80" "0";
    cfd_config c;
    cfd_error err;
    cfd_config_defaults(&c);
    assert_int_equal(load_text(&c, fuzzed, &err), CFD_EINVAL);
    assert_int_equal(c.n_models, 0);
    cfd_config_free(&c);

    cfd_config_defaults(&c);
    assert_int_equal(cfd_config_set(&c, "model", "sec tion=s.cfdm", &err), CFD_EINVAL);
    assert_int_equal(cfd_config_set(&c, "model", "section=", &err), CFD_EINVAL);
    assert_int_equal(c.n_models, 0);
    cfd_config_free(&c);
}

static void test_real_override_round_trips(void **state)
{
    (void)state;
    cfd_config c, c2;
    cfd_error err;
    cfd_config_defaults(&c);
    assert_int_equal(load_text(&c, "[models]\nsection = section-v2.cfdm\ntopic_2 = t.cfdm\n",
                               &err),
                     0);
    assert_int_equal(c.n_models, 2);
    cfd_buf d1 = CFD_BUF_INIT, d2 = CFD_BUF_INIT;
    assert_int_equal(cfd_config_dump(&c, &d1), 0);
    cfd_config_defaults(&c2);
    assert_int_equal(load_text(&c2, d1.data, &err), 0);
    assert_int_equal(cfd_config_dump(&c2, &d2), 0);
    assert_int_equal(d1.len, d2.len);
    assert_memory_equal(d1.data, d2.data, d1.len);
    cfd_buf_free(&d1);
    cfd_buf_free(&d2);
    cfd_config_free(&c2);
    cfd_config_free(&c);
}

/* fuzz_config: "model = --config= =" gave the file " =", which --check-config
 * printed as "--config =  =" and which reads back as "=". A file name with a
 * space at either end, or a control character, is refused. */
static void test_model_file_with_edge_space_refused(void **state)
{
    (void)state;
    static const char fuzzed[] = "[]\nmodel =--config= =\0\0\0>\x80\x80";
    cfd_config c;
    cfd_error err;
    cfd_config_defaults(&c);
    assert_int_equal(load_text(&c, fuzzed, &err), CFD_EINVAL);
    assert_int_equal(c.n_models, 0);
    assert_int_equal(cfd_config_set(&c, "model", "section= s.cfdm", &err), CFD_EINVAL);
    assert_int_equal(cfd_config_set(&c, "model", "section=s.cfdm ", &err), CFD_EINVAL);
    assert_int_equal(cfd_config_set(&c, "model", "section=s\n.cfdm", &err), CFD_EINVAL);
    assert_int_equal(c.n_models, 0);
    assert_int_equal(cfd_config_set(&c, "model", "section=s v2.cfdm", &err), 0);
    assert_int_equal(c.n_models, 1);
    cfd_config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_plugin_name_refused),
        cmocka_unit_test(test_garbage_plugin_name_refused),
        cmocka_unit_test(test_real_override_round_trips),
        cmocka_unit_test(test_model_file_with_edge_space_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
