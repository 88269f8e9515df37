/*
 * Tests for the classification engine (daemon/engine.c, engine_admin.c)
 * with the real linear plugins from the build's plugin directory and small
 * keyword models built in a temporary models directory: the reply shape of
 * docs/PROTOCOL.md, one featurization for plugins sharing a config, plugin
 * selection, errors that leave the buffer untouched, missing models,
 * GET /v1/plugins and metrics. Reload, rollback and swaps under load are in
 * test_engine_admin.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "aggregate.h"
#include "engine.h"
#include "engine_test_util.h"
#include "engine_fixture.h"
#include "utf8.h"

/*
 * Allocation counting for test_no_allocation_when_warm: the test binary
 * interposes malloc & co. (glibc supports this; the plugins' statically
 * linked core resolves to these too) and counts calls made by the thread
 * that turned counting on. ASan and TSan provide their own allocators, so the
 * interposer and that test exist only in non-ASan builds.
 */
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define CFD_TEST_COUNT_ALLOCS 1
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h> /* RUNNING_ON_VALGRIND: memcheck replaces malloc */
#else
#define RUNNING_ON_VALGRIND 0
#endif
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
/* default visibility: the build hides symbols, but the plugins and
 * libraries must resolve malloc to these */
#define CFD_TEST_EXPORT __attribute__((visibility("default")))
static _Thread_local int g_counting;
static _Thread_local unsigned long g_allocs;
void *malloc(size_t n);
void *calloc(size_t n, size_t m);
void *realloc(void *p, size_t n);
void free(void *p);
CFD_TEST_EXPORT void *malloc(size_t n)
{
    g_allocs += g_counting;
    return __libc_malloc(n);
}
CFD_TEST_EXPORT void *calloc(size_t n, size_t m)
{
    g_allocs += g_counting;
    return __libc_calloc(n, m);
}
CFD_TEST_EXPORT void *realloc(void *p, size_t n)
{
    g_allocs += g_counting;
    return __libc_realloc(p, n);
}
CFD_TEST_EXPORT void free(void *p) { __libc_free(p); }
#endif

static void test_classify_reply(void **state)
{
    fixture *f = *state;
    cfd_error err;
    assert_true(cfd_engine_ready(f->e));
    assert_int_equal(classify(f, "a\"1", k_title, k_body, NULL, 0, &err), 0);
    cJSON *j = parse_out(f);
    assert_string_equal(cJSON_GetObjectItem(j, "id")->valuestring, "a\"1");
    cJSON *results = cJSON_GetObjectItem(j, "results");
    check_result(cJSON_GetObjectItem(results, "topic"), tu_topic_labels, 3, "t-v1");
    check_result(cJSON_GetObjectItem(results, "section"), tu_section_labels, 4, "s-v1");
    check_result(cJSON_GetObjectItem(results, "sentiment"), tu_sentiment_labels, 3, "m-v1");
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(results, "topic"), "label")->valuestring, "경제");
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(results, "section"), "label")->valuestring,
        "경제");
    cJSON *d = cJSON_GetObjectItem(j, "decision");
    assert_string_equal(cJSON_GetObjectItem(d, "section")->valuestring, "경제");
    double p = cJSON_GetObjectItem(d, "probability")->valuedouble;
    assert_true(p > 0.5 && p <= 1.0);
    assert_true(cJSON_IsBool(cJSON_GetObjectItem(d, "review")));
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(d, "reasons")));
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(j, "took_us")));
    cJSON_Delete(j);

    /* No id in, no id out. */
    assert_int_equal(classify(f, NULL, "", "국회 의원 선거", NULL, 0, &err), 0);
    j = parse_out(f);
    assert_null(cJSON_GetObjectItem(j, "id"));
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "decision"), "section")->valuestring, "정치");
    cJSON_Delete(j);
}

static void test_featurize_once(void **state)
{
    fixture *f = *state;
    cfd_error err;
    unsigned long long before = metric(f, "classifyd_featurizations_total");
    assert_int_equal(classify(f, NULL, k_title, k_body, NULL, 0, &err), 0);
    assert_int_equal(classify(f, NULL, k_title, k_body, NULL, 0, &err), 0);
    /* three plugins, one config: one featurization per article */
    assert_int_equal(metric(f, "classifyd_featurizations_total") - before, 2);
    assert_int_equal(metric(f, "classifyd_articles_total"), 2);
}

/* /metrics counts every decision, by review, and every reason given, as
 * the replies carried them. */
static void test_decision_metrics(void **state)
{
    fixture *f = *state;
    cfd_error err;
    static const char *const texts[][2] = {
        {"국회 의원 선거", "여야가 선거구 획정안을 두고 맞섰다."},
        {"", "1234 5678"},
        {k_title, k_body},
        {"", "애매한 이야기"},
    };
    unsigned long long want_rev[2] = {0, 0}, want_reason[CFD_AGG_N_REASONS] = {0};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        assert_int_equal(classify(f, NULL, texts[i][0], texts[i][1], NULL, 0, &err), 0);
        cJSON *j = parse_out(f), *d = cJSON_GetObjectItem(j, "decision");
        want_rev[cJSON_IsTrue(cJSON_GetObjectItem(d, "review"))]++;
        const cJSON *r;
        cJSON_ArrayForEach(r, cJSON_GetObjectItem(d, "reasons"))
        {
            int k = 0;
            while (k < CFD_AGG_N_REASONS &&
                   strncmp(r->valuestring, cfd_agg_reason_name(k), strlen(cfd_agg_reason_name(k))))
                k++;
            assert_true(k < CFD_AGG_N_REASONS);
            want_reason[k]++; /* the fixture's rules give each code at most once */
        }
        cJSON_Delete(j);
    }
    assert_true(want_rev[1] > 0); /* the digits-only article at least */
    assert_int_equal(metric(f, "classifyd_decisions_total{review=\"false\"}"), want_rev[0]);
    assert_int_equal(metric(f, "classifyd_decisions_total{review=\"true\"}"), want_rev[1]);
    for (int k = 0; k < CFD_AGG_N_REASONS; k++) {
        char name[96];
        snprintf(name, sizeof name, "classifyd_review_reasons_total{reason=\"%s\"}",
                 cfd_agg_reason_name(k));
        assert_int_equal(metric(f, name), want_reason[k]);
    }
}

static void test_featurize_per_config(void **state)
{
    fixture *f = *state; /* sentiment has another seed: two configs */
    cfd_error err;
    unsigned long long before = metric(f, "classifyd_featurizations_total");
    assert_int_equal(classify(f, NULL, k_title, k_body, NULL, 0, &err), 0);
    assert_int_equal(metric(f, "classifyd_featurizations_total") - before, 2);
    const char *const only[] = {"topic", "section"};
    assert_int_equal(classify(f, NULL, k_title, k_body, only, 2, &err), 0);
    assert_int_equal(metric(f, "classifyd_featurizations_total") - before, 3);
}

/* Models whose configs differ only in weighting (IDF on for one, raw TF and
 * no L2 for another) still share one counting pass; each weighting mode is
 * applied once, and scores equal those of a model served alone. */
static void test_count_shared_across_weighting(void **state)
{
    fixture *f = *state;
    cfd_error err;
    cfd_feat_config plain = tu_config(7, 0), idf = tu_config(7, 1), raw = tu_config(7, 0);
    raw.sublinear_tf = 0;
    raw.l2_normalize = 0;
    tu_make_model(f->dir, "topic-w.cfdm", "topic", tu_topic_labels, tu_topic_kw, 3, &plain, "t-w");
    tu_make_model(f->dir, "section-w.cfdm", "section", tu_section_labels, tu_section_kw, 4, &idf,
                  "s-w");
    tu_make_model(f->dir, "sentiment-w.cfdm", "sentiment", tu_sentiment_labels,
                  tu_sentiment_kw, 3, &raw, "m-w");
    assert_int_equal(cfd_engine_reload(f->e, "topic", "topic-w.cfdm", NULL, &err), 0);
    assert_int_equal(cfd_engine_reload(f->e, "section", "section-w.cfdm", NULL, &err), 0);
    assert_int_equal(cfd_engine_reload(f->e, "sentiment", "sentiment-w.cfdm", NULL, &err), 0);
    unsigned long long c0 = metric(f, "classifyd_featurizations_total");
    unsigned long long w0 = metric(f, "classifyd_feature_weightings_total");
    assert_int_equal(classify(f, NULL, k_title, k_body, NULL, 0, &err), 0);
    assert_int_equal(metric(f, "classifyd_featurizations_total") - c0, 1);
    assert_int_equal(metric(f, "classifyd_feature_weightings_total") - w0, 3);
    /* each plugin's result equals what it gives when it runs alone */
    static const char *const names[] = {"topic", "section", "sentiment"};
    char all[3][512];
    for (int i = 0; i < 3; i++) {
        char key[32];
        snprintf(key, sizeof(key), "\"%s\":", names[i]);
        const char *p = strstr(f->out.data, key);
        assert_non_null(p);
        snprintf(all[i], sizeof(all[i]), "%.*s", (int)(strstr(p, "\"model\"") - p), p);
    }
    for (int i = 0; i < 3; i++) {
        const char *const only[] = {names[i]};
        assert_int_equal(classify(f, NULL, k_title, k_body, only, 1, &err), 0);
        char key[32];
        snprintf(key, sizeof(key), "\"%s\":", names[i]);
        const char *p = strstr(f->out.data, key);
        assert_non_null(p);
        assert_int_equal(strncmp(p, all[i], strlen(all[i])), 0);
    }
}

/* One config, IDF tables: counted once, weighted once per distinct table
 * (equal contents share, even from different files). */
static void test_weight_per_idf(void **state)
{
    fixture *f = *state;
    cfd_error err;
    cfd_feat_config cfg = tu_config(7, 1);
    tu_make_model(f->dir, "topic-idf.cfdm", "topic", tu_topic_labels, tu_topic_kw, 3, &cfg,
                  "t-idf");
    tu_make_model(f->dir, "section-idf.cfdm", "section", tu_section_labels, tu_section_kw, 4,
                  &cfg, "s-idf");
    tu_idf_offset = 0.5f;
    tu_make_model(f->dir, "sentiment-idf.cfdm", "sentiment", tu_sentiment_labels,
                  tu_sentiment_kw, 3, &cfg, "m-idf");
    tu_idf_offset = 0.0f;
    assert_int_equal(cfd_engine_reload(f->e, "topic", "topic-idf.cfdm", NULL, &err), 0);
    assert_int_equal(cfd_engine_reload(f->e, "section", "section-idf.cfdm", NULL, &err), 0);
    assert_int_equal(cfd_engine_reload(f->e, "sentiment", "sentiment-idf.cfdm", NULL, &err), 0);
    unsigned long long c0 = metric(f, "classifyd_featurizations_total");
    unsigned long long w0 = metric(f, "classifyd_feature_weightings_total");
    assert_int_equal(classify(f, NULL, k_title, k_body, NULL, 0, &err), 0);
    assert_int_equal(metric(f, "classifyd_featurizations_total") - c0, 1);
    assert_int_equal(metric(f, "classifyd_feature_weightings_total") - w0, 2);
    /* the shared weighting gives the same scores as a private one */
    cJSON *j = parse_out(f);
    check_result(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "results"), "section"),
                 tu_section_labels, 4, "s-idf");
    cJSON_Delete(j);
    const char *const only[] = {"section"};
    char both[256];
    assert_int_equal(classify(f, NULL, k_title, k_body, NULL, 0, &err), 0);
    const char *p = strstr(f->out.data, "\"section\":");
    snprintf(both, sizeof(both), "%.*s", (int)(strstr(p, "\"model\"") - p), p);
    assert_int_equal(classify(f, NULL, k_title, k_body, only, 1, &err), 0);
    p = strstr(f->out.data, "\"section\":");
    assert_int_equal(strncmp(p, both, strlen(both)), 0);
}

static void test_plugin_subset(void **state)
{
    fixture *f = *state;
    cfd_error err;
    const char *const only[] = {"topic", "topic"};
    assert_int_equal(classify(f, NULL, k_title, k_body, only, 2, &err), 0);
    cJSON *j = parse_out(f);
    cJSON *results = cJSON_GetObjectItem(j, "results");
    assert_int_equal(cJSON_GetArraySize(results), 1);
    assert_non_null(cJSON_GetObjectItem(results, "topic"));
    cJSON *d = cJSON_GetObjectItem(j, "decision");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(d, "section")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(d, "review")));
    assert_non_null(strstr(cJSON_GetArrayItem(cJSON_GetObjectItem(d, "reasons"), 0)->valuestring,
                           "no_section"));
    cJSON_Delete(j);
}

static void test_errors_leave_buffer(void **state)
{
    fixture *f = *state;
    cfd_error err;
    cfd_article a = {0};
    const char *const bad[] = {"topic", "nosuch"};
    a.body = "경제";
    a.body_len = strlen(a.body);
    a.plugins = bad;
    a.n_plugins = 2;
    cfd_buf_reset(&f->out);
    cfd_buf_puts(&f->out, "prefix");
    assert_int_equal(cfd_engine_classify(f->w, &a, &f->out, &err), CFD_ENOENT);
    assert_non_null(strstr(err.msg, "nosuch"));
    assert_string_equal(f->out.data, "prefix");
    /* a long non-ASCII name is cut on a character boundary in the message */
    char longname[200] = "";
    for (int k = 0; k < 40; k++)
        strcat(longname, "가");
    const char *const bad2[] = {longname};
    a.plugins = bad2;
    a.n_plugins = 1;
    assert_int_equal(cfd_engine_classify(f->w, &a, &f->out, &err), CFD_ENOENT);
    size_t off;
    assert_int_equal(cfd_utf8_validate(err.msg, strlen(err.msg), &off), 0);
    assert_non_null(strstr(err.msg, "가가가"));
    a.plugins = bad;
    a.n_plugins = 2;
    a.plugins = NULL;
    a.body = " \n\t\xe3\x80\x80";
    a.body_len = strlen(a.body);
    a.title = "  ";
    a.title_len = 2;
    assert_int_equal(cfd_engine_classify(f->w, &a, &f->out, &err), CFD_EEMPTY);
    assert_string_equal(f->out.data, "prefix");
    /* Out of memory half-way through the reply: engine.h promises nothing
     * appended on error, CFD_ENOMEM included (the partial reply was left).
     * An id the buffer can never hold fails its reserve before any byte of
     * it is read, after the reply's "{" went in. */
    a.title = "경제";
    a.title_len = strlen(a.title);
    a.id = "x";
    a.id_len = SIZE_MAX / 8;
    assert_int_equal(cfd_engine_classify(f->w, &a, &f->out, &err), CFD_ENOMEM);
    assert_int_equal(f->out.len, strlen("prefix"));
    assert_string_equal(f->out.data, "prefix");
    assert_true(f->out.oom);
}

static void test_plugins_json(void **state)
{
    fixture *f = *state;
    cfd_buf b = CFD_BUF_INIT;
    assert_int_equal(cfd_engine_plugins_json(f->e, &b), 0);
    cJSON *j = cJSON_Parse(b.data);
    assert_non_null(j);
    cJSON *pl = cJSON_GetObjectItem(j, "plugins");
    assert_int_equal(cJSON_GetArraySize(pl), 3);
    cJSON *topic = cJSON_GetArrayItem(pl, 0);
    assert_string_equal(cJSON_GetObjectItem(topic, "name")->valuestring, "topic");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(topic, "explains")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(topic, "labels")), 3);
    cJSON *model = cJSON_GetObjectItem(topic, "model");
    assert_string_equal(cJSON_GetObjectItem(model, "file")->valuestring, "topic.cfdm");
    assert_non_null(cJSON_GetObjectItem(model, "loaded_at"));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(topic, "previous")));
    cJSON_Delete(j);
    cfd_buf_free(&b);
}

static void test_missing_model_not_ready(void **state)
{
    (void)state;
    fixture f = {0};
    cfd_error err;
    tu_tmpdir(f.dir, sizeof(f.dir));
    cfd_feat_config cfg = tu_config(7, 0);
    tu_make_model(f.dir, "topic.cfdm", "topic", tu_topic_labels, tu_topic_kw, 3, &cfg, "t-v1");
    open_engine(&f, k_plugins, 3, NULL); /* no section.cfdm, no sentiment.cfdm */
    assert_false(cfd_engine_ready(f.e));
    assert_int_equal(classify(&f, NULL, "", "경제", NULL, 0, &err), CFD_EBUSY);
    assert_non_null(strstr(err.msg, "section"));
    const char *const only[] = {"topic"};
    assert_int_equal(classify(&f, NULL, "", "경제", only, 1, &err), 0);
    tu_make_model(f.dir, "section.cfdm", "section", tu_section_labels, tu_section_kw, 4, &cfg,
                  "s-v1");
    tu_make_model(f.dir, "sentiment.cfdm", "sentiment", tu_sentiment_labels, tu_sentiment_kw, 3,
                  &cfg, "m-v1");
    assert_int_equal(cfd_engine_reload(f.e, NULL, NULL, NULL, &err), 0);
    assert_true(cfd_engine_ready(f.e));
    assert_int_equal(classify(&f, NULL, "", "경제", NULL, 0, &err), 0);
    cfd_engine_worker_free(f.w);
    cfd_engine_close(f.e);
    cfd_buf_free(&f.out);
    tu_rmrf(f.dir);
}

static void test_aggregate_file(void **state)
{
    (void)state;
    fixture f = {0};
    cfd_error err;
    tu_tmpdir(f.dir, sizeof(f.dir));
    tu_make_standard_models(f.dir, 7);
    char conf[512];
    snprintf(conf, sizeof(conf), "%s/agg.conf", f.dir);
    /* Impossible threshold: every article goes to review. */
    tu_write(f.dir, "agg.conf", "[decision]\nsection_plugin = section\nmin_probability = 1\n");
    open_engine(&f, k_plugins, 3, conf);
    assert_int_equal(classify(&f, NULL, k_title, k_body, NULL, 0, &err), 0);
    cJSON *j = parse_out(&f);
    cJSON *d = cJSON_GetObjectItem(j, "decision");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(d, "review")));
    assert_non_null(strstr(cJSON_GetArrayItem(cJSON_GetObjectItem(d, "reasons"), 0)->valuestring,
                           "low_confidence"));
    cJSON_Delete(j);
    /* A broken rules file on reload: error, old rules keep working. */
    tu_write(f.dir, "agg.conf", "[decision]\nmin_probability = 2\n");
    assert_int_equal(cfd_engine_reload(f.e, NULL, NULL, NULL, &err), CFD_EFORMAT);
    assert_non_null(strstr(err.msg, "agg.conf:2"));
    /* the message says which of the daemon's files it is about */
    assert_ptr_equal(strstr(err.msg, "aggregation rules: "), err.msg);
    assert_int_equal(classify(&f, NULL, k_title, k_body, NULL, 0, &err), 0);
    assert_non_null(strstr(f.out.data, "low_confidence"));
    cfd_engine_worker_free(f.w);
    cfd_engine_close(f.e);
    cfd_buf_free(&f.out);
    /* A broken rules file at start is a configuration error. */
    cfd_engine_config cfg = {0};
    cfg.plugin_dir = CFD_PLUGIN_DIR;
    cfg.models_dir = f.dir;
    cfg.plugins = k_plugins;
    cfg.n_plugins = 3;
    cfg.aggregate_file = conf;
    assert_int_equal(cfd_engine_open(&cfg, &f.e, &err), CFD_EFORMAT);
    assert_ptr_equal(strstr(err.msg, "aggregation rules: "), err.msg);
    /* a rules file that is not there (it said only "PATH: cannot open") */
    unlink(conf);
    assert_int_equal(cfd_engine_open(&cfg, &f.e, &err), CFD_ENOENT);
    assert_ptr_equal(strstr(err.msg, "aggregation rules: "), err.msg);
    assert_non_null(strstr(err.msg, "agg.conf: cannot open"));
    assert_non_null(strstr(err.msg, "check the path"));
    tu_rmrf(f.dir);
}

/* A plugin failing on one article: its result carries the error, the other
 * plugins and the next articles are unaffected. */
static void test_plugin_failure_is_per_article(void **state)
{
    (void)state;
    fixture f = {0};
    cfd_error err;
    tu_tmpdir(f.dir, sizeof(f.dir));
    tu_write(f.dir, "good.txt", "good\nv1\nA\nB\n");
    tu_write(f.dir, "flaky.txt", "flaky\nf1\nX\nY\nZ\n");
    static const char *const names[] = {"good", "flaky"};
    cfd_engine_model_override ov = {"flaky", "flaky.txt"};
    cfd_engine_config cfg = {0};
    cfg.plugin_dir = TU_TEST_PLUGIN_DIR;
    cfg.models_dir = f.dir;
    cfg.plugins = names;
    cfg.n_plugins = 2;
    cfg.models = &ov;
    cfg.n_models = 1;
    if (cfd_engine_open(&cfg, &f.e, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(cfd_engine_worker_new(f.e, &f.w), 0);
    /* "skip" right after "fine": the plugin writes nothing, and the slots
     * still hold the previous article's values, which must not be served */
    const char *bodies[] = {"fail here", "range please", "fine", "skip it"};
    const char *codes[] = {"invalid_argument", "out_of_range", NULL, "out_of_range"};
    for (int k = 0; k < 4; k++) {
        assert_int_equal(classify(&f, "x", "", bodies[k], NULL, 0, &err), 0);
        cJSON *j = parse_out(&f);
        cJSON *res = cJSON_GetObjectItem(j, "results");
        check_result(cJSON_GetObjectItem(res, "good"), (const char *const[]){"A", "B"}, 2, "v1");
        cJSON *fl = cJSON_GetObjectItem(res, "flaky");
        cJSON *e = cJSON_GetObjectItem(fl, "error");
        if (codes[k]) {
            assert_non_null(e);
            assert_string_equal(cJSON_GetObjectItem(e, "code")->valuestring, codes[k]);
            assert_non_null(strstr(cJSON_GetObjectItem(e, "message")->valuestring, "flaky"));
            assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(fl, "model"), "version")
                                    ->valuestring,
                                "f1");
        } else {
            assert_null(e);
            check_result(fl, (const char *const[]){"X", "Y", "Z"}, 3, "f1");
            assert_int_equal(cJSON_GetObjectItem(fl, "detail")->valueint, 7);
        }
        cJSON_Delete(j);
    }
    assert_int_equal(metric(&f, "classifyd_plugin_errors_total{plugin=\"flaky\"}"), 3);
    assert_int_equal(metric(&f, "classifyd_plugin_errors_total{plugin=\"good\"}"), 0);
    assert_int_equal(metric(&f, "classifyd_articles_total"), 4);
    /* A model whose version (shown in every reply) is not UTF-8, or is
     * absurdly long, is refused: it would make every reply invalid JSON. */
    tu_write(f.dir, "badver.txt", "flaky\n\xff\xfe\nX\n");
    assert_int_equal(cfd_engine_reload(f.e, "flaky", "badver.txt", NULL, &err), CFD_EFORMAT);
    assert_non_null(strstr(err.msg, "version is longer than 256 bytes or not UTF-8"));
    assert_int_equal(classify(&f, "x", "", "fine", NULL, 0, &err), 0);
    assert_non_null(strstr(f.out.data, "\"f1\"")); /* the old model still serves */
    cfd_engine_worker_free(f.w);
    cfd_engine_close(f.e);
    cfd_buf_free(&f.out);
    tu_rmrf(f.dir);
}

static void test_model_override_unknown_plugin(void **state)
{
    (void)state;
    char dir[256];
    cfd_error err;
    cfd_engine *e;
    tu_tmpdir(dir, sizeof(dir));
    cfd_engine_model_override ov = {"nosuch", "x.cfdm"};
    cfd_engine_config cfg = {0};
    cfg.plugin_dir = CFD_PLUGIN_DIR;
    cfg.models_dir = dir;
    cfg.plugins = k_plugins;
    cfg.n_plugins = 3;
    cfg.models = &ov;
    cfg.n_models = 1;
    assert_int_equal(cfd_engine_open(&cfg, &e, &err), CFD_ENOENT);
    assert_non_null(strstr(err.msg, "nosuch"));
    tu_rmrf(dir);
}

#ifdef CFD_TEST_COUNT_ALLOCS
static void test_no_allocation_when_warm(void **state)
{
    fixture *f = *state;
    cfd_error err;
    if (RUNNING_ON_VALGRIND) {
        /* memcheck's own malloc wins over the interposer: nothing to count */
        skip();
    }
    /* The rules plugin too: it works on raw text with its own matcher. */
    cfd_engine_worker_free(f->w);
    cfd_engine_close(f->e);
    char src[600];
    snprintf(src, sizeof(src), "cp '%s/models/rules.txt' '%s/'", CFD_SOURCE_DIR, f->dir);
    assert_int_equal(system(src), 0);
    static const char *const four[] = {"topic", "section", "sentiment", "rules"};
    open_engine(f, four, 4, NULL);
    const char *bodies[] = {k_body, "국회 의원 선거 법안 통과", "AI 반도체 café ＡＩ e\xcc\x81"};
    for (int round = 0; round < 2; round++) {
        if (round == 1) {
            g_allocs = 0;
            g_counting = 1;
        }
        for (int k = 0; k < 3; k++)
            for (int rep = 0; rep < 5; rep++) {
                int rc = classify(f, rep ? "id-1" : NULL, k_title, bodies[k], NULL, 0, &err);
                if (rc != 0) {
                    g_counting = 0;
                    fail_msg("classify: %s", err.msg);
                }
            }
        g_counting = 0;
    }
    assert_int_equal(g_allocs, 0);
    assert_int_equal(metric(f, "classifyd_articles_total"), 30);
    /* the counter works: a fresh worker does allocate */
    g_counting = 1;
    cfd_engine_worker *w2;
    assert_int_equal(cfd_engine_worker_new(f->e, &w2), 0);
    g_counting = 0;
    assert_true(g_allocs > 0);
    cfd_engine_worker_free(w2);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_classify_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_featurize_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decision_metrics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_featurize_per_config, setup_two_configs, teardown),
        cmocka_unit_test_setup_teardown(test_weight_per_idf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_count_shared_across_weighting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plugin_subset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_leave_buffer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plugins_json, setup, teardown),
#ifdef CFD_TEST_COUNT_ALLOCS
        cmocka_unit_test_setup_teardown(test_no_allocation_when_warm, setup, teardown),
#endif
        cmocka_unit_test(test_missing_model_not_ready),
        cmocka_unit_test(test_aggregate_file),
        cmocka_unit_test(test_plugin_failure_is_per_article),
        cmocka_unit_test(test_model_override_unknown_plugin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
