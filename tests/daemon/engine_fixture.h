/*
 * Shared fixture for the engine tests (test_engine.c, test_engine_admin.c):
 * an engine over the real linear plugins of the build and small keyword
 * models made in a temporary models directory (engine_test_util.h), plus
 * helpers to classify, parse the reply, read a metric and check a result.
 * Functions are static and marked unused so each test file takes what it needs.
 */
#ifndef CFD_TEST_ENGINE_FIXTURE_H
#define CFD_TEST_ENGINE_FIXTURE_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "engine.h"
#include "engine_test_util.h"

static const char *const k_plugins[] __attribute__((unused)) = {"topic", "section", "sentiment"};

typedef struct fixture {
    char dir[256];
    cfd_engine *e;
    cfd_engine_worker *w;
    cfd_buf out;
} fixture;

static __attribute__((unused)) void open_engine(fixture *f, const char *const *plugins, size_t n,
                        const char *aggregate_file)
{
    cfd_engine_config cfg = {0};
    cfd_error err;
    cfg.plugin_dir = CFD_PLUGIN_DIR;
    cfg.models_dir = f->dir;
    cfg.plugins = plugins;
    cfg.n_plugins = n;
    cfg.aggregate_file = aggregate_file;
    int rc = cfd_engine_open(&cfg, &f->e, &err);
    if (rc != 0)
        fail_msg("cfd_engine_open: %s", err.msg);
    assert_int_equal(cfd_engine_worker_new(f->e, &f->w), 0);
}

static __attribute__((unused)) int setup_common(void **state, uint32_t sentiment_seed)
{
    fixture *f = calloc(1, sizeof(*f));
    tu_tmpdir(f->dir, sizeof(f->dir));
    tu_make_standard_models(f->dir, sentiment_seed);
    open_engine(f, k_plugins, 3, NULL);
    *state = f;
    return 0;
}

static __attribute__((unused)) int setup(void **state) { return setup_common(state, 7); }
static __attribute__((unused)) int setup_two_configs(void **state) { return setup_common(state, 99); }

static __attribute__((unused)) int teardown(void **state)
{
    fixture *f = *state;
    cfd_engine_worker_free(f->w);
    cfd_engine_close(f->e);
    cfd_buf_free(&f->out);
    tu_rmrf(f->dir);
    free(f);
    return 0;
}

static __attribute__((unused)) int classify(fixture *f, const char *id, const char *title, const char *body,
                    const char *const *plugins, size_t n_plugins, cfd_error *err)
{
    cfd_article a = {0};
    a.id = id;
    a.id_len = id ? strlen(id) : 0;
    a.title = title;
    a.title_len = strlen(title);
    a.body = body;
    a.body_len = strlen(body);
    a.plugins = plugins;
    a.n_plugins = n_plugins;
    cfd_buf_reset(&f->out);
    return cfd_engine_classify(f->w, &a, &f->out, err);
}

static cJSON *parse_out(fixture *f)
{
    cJSON *j = cJSON_ParseWithLength(f->out.data, f->out.len);
    if (j == NULL)
        fail_msg("reply is not JSON: %s", f->out.data);
    return j;
}

static __attribute__((unused)) unsigned long long metric(fixture *f, const char *name)
{
    cfd_buf m = CFD_BUF_INIT;
    assert_int_equal(cfd_engine_metrics(f->e, &m), 0);
    const char *p = m.data;
    size_t n = strlen(name);
    unsigned long long v = ~0ull;
    while ((p = strstr(p, name)) != NULL) {
        if ((p == m.data || p[-1] == '\n') && p[n] == ' ') {
            v = strtoull(p + n + 1, NULL, 10);
            break;
        }
        p += n;
    }
    cfd_buf_free(&m);
    if (v == ~0ull)
        fail_msg("metric %s not found", name);
    return v;
}

static const char *const k_title __attribute__((unused)) = "중기부, 14개 시도와 규제자유특구 지원방안 논의";
static const char *const k_body __attribute__((unused)) = "중소벤처기업부는 26일 전국 14개 시도와 제1차 특구협의회를 "
                            "개최했다고 밝혔다. 특구기업들이 혁신기술을 안착해 성장하도록 "
                            "기업 투자 지원을 논의했다.";

/* Checks one plugin result: label = first prob, probs sorted, sum 1,
 * labels exactly the model's, model identity. */
static __attribute__((unused)) void check_result(cJSON *res, const char *const *labels, size_t n, const char *version)
{
    assert_non_null(res);
    cJSON *probs = cJSON_GetObjectItem(res, "probs");
    assert_true(cJSON_IsArray(probs));
    assert_int_equal(cJSON_GetArraySize(probs), n);
    double sum = 0, prev = 2;
    int seen[16] = {0};
    cJSON *it;
    cJSON_ArrayForEach(it, probs)
    {
        const char *l = cJSON_GetObjectItem(it, "label")->valuestring;
        double p = cJSON_GetObjectItem(it, "p")->valuedouble;
        assert_true(p <= prev);
        prev = p;
        sum += p;
        size_t k;
        for (k = 0; k < n; k++)
            if (!strcmp(labels[k], l))
                break;
        assert_true(k < n);
        assert_false(seen[k]);
        seen[k] = 1;
    }
    assert_true(fabs(sum - 1.0) < 0.002);
    assert_string_equal(cJSON_GetObjectItem(res, "label")->valuestring,
                        cJSON_GetObjectItem(cJSON_GetArrayItem(probs, 0), "label")->valuestring);
    cJSON *model = cJSON_GetObjectItem(res, "model");
    assert_string_equal(cJSON_GetObjectItem(model, "version")->valuestring, version);
    assert_int_equal(strlen(cJSON_GetObjectItem(model, "checksum")->valuestring), 16);
}

#endif
