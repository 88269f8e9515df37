/*
 * Tests for model reload, rollback and hot swap in the engine
 * (daemon/engine_admin.c, model_registry.c through the engine API): a reload
 * with a new label set and rollback, refused reloads that keep the old model
 * serving, swaps under concurrent classification where every reply's labels
 * belong to the version it names, and reloading the editors' rules file.
 * Fixture: engine_fixture.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "engine.h"
#include "engine_test_util.h"
#include "engine_fixture.h"

static void test_reload_new_labels_and_rollback(void **state)
{
    fixture *f = *state;
    cfd_error err;
    cfd_buf res = CFD_BUF_INIT;
    cfd_feat_config cfg = tu_config(7, 1); /* also: IDF, a new weighting key */
    static const char *const labels2[] = {"경제", "정치", "스포츠", "사회", "IT과학"};
    static const char *const kw2[] = {"경제 특구", "정치", "스포츠", "사회", "인공지능 반도체"};
    tu_make_model(f->dir, "section-v2.cfdm", "section", labels2, kw2, 5, &cfg, "s-v2");

    /* Nothing to roll back to yet: EEMPTY (409 over HTTP), not "unknown". */
    assert_int_equal(cfd_engine_rollback(f->e, "section", NULL, &err), CFD_EEMPTY);
    assert_non_null(strstr(err.msg, "no previous model"));

    assert_int_equal(cfd_engine_reload(f->e, "section", "section-v2.cfdm", &res, &err), 0);
    cJSON *j = cJSON_Parse(res.data);
    assert_non_null(j);
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "model"), "version")->valuestring, "s-v2");
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "previous"), "version")->valuestring, "s-v1");
    cJSON_Delete(j);

    assert_int_equal(classify(f, NULL, "", "인공지능 반도체", NULL, 0, &err), 0);
    j = parse_out(f);
    cJSON *sec = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "results"), "section");
    check_result(sec, labels2, 5, "s-v2");
    assert_string_equal(cJSON_GetObjectItem(sec, "label")->valuestring, "IT과학");
    cJSON_Delete(j);

    cfd_buf_reset(&res);
    assert_int_equal(cfd_engine_rollback(f->e, "section", &res, &err), 0);
    assert_int_equal(classify(f, NULL, "", "인공지능 반도체", NULL, 0, &err), 0);
    j = parse_out(f);
    check_result(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "results"), "section"),
                 tu_section_labels, 4, "s-v1");
    cJSON_Delete(j);
    /* roll forward again */
    assert_int_equal(cfd_engine_rollback(f->e, "section", NULL, &err), 0);
    assert_int_equal(classify(f, NULL, "", "반도체", NULL, 0, &err), 0);
    assert_non_null(strstr(f->out.data, "\"s-v2\""));
    assert_int_equal(cfd_engine_rollback(f->e, "nosuch", NULL, &err), CFD_ENOENT);

    /* A reload of everything (SIGHUP) re-reads the file each plugin serves:
     * the model put live by name stays live, not the configured file. */
    assert_int_equal(cfd_engine_reload(f->e, NULL, NULL, NULL, &err), 0);
    assert_int_equal(classify(f, NULL, "", "반도체", NULL, 0, &err), 0);
    assert_non_null(strstr(f->out.data, "\"s-v2\""));
    /* One plugin without a file: its configured file again. */
    assert_int_equal(cfd_engine_reload(f->e, "section", NULL, NULL, &err), 0);
    assert_int_equal(classify(f, NULL, "", "반도체", NULL, 0, &err), 0);
    assert_non_null(strstr(f->out.data, "\"s-v1\""));
    cfd_buf_free(&res);
}

/* The last_error of GET /v1/plugins for a plugin (NULL when null). */
static char *last_error(fixture *f, const char *plugin)
{
    cfd_buf b = CFD_BUF_INIT;
    assert_int_equal(cfd_engine_plugins_json(f->e, &b), 0);
    cJSON *j = cJSON_Parse(b.data);
    assert_non_null(j);
    char *out = NULL;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(j, "plugins"))
    {
        if (strcmp(cJSON_GetObjectItem(p, "name")->valuestring, plugin) != 0)
            continue;
        const cJSON *le = cJSON_GetObjectItem(p, "last_error");
        assert_non_null(le);
        if (cJSON_IsString(le))
            out = strdup(le->valuestring);
    }
    cJSON_Delete(j);
    cfd_buf_free(&b);
    return out;
}

static void test_refused_reloads_keep_serving(void **state)
{
    fixture *f = *state;
    cfd_error err;
    cfd_buf res = CFD_BUF_INIT;
    tu_write(f->dir, "garbage.cfdm", "this is not a model");
    assert_true(cfd_engine_reload(f->e, "topic", "garbage.cfdm", &res, &err) < 0);
    assert_non_null(strstr(res.data, "\"error\""));
    assert_int_equal(cfd_engine_reload(f->e, "topic", "missing.cfdm", NULL, &err), CFD_ENOENT);
    assert_int_equal(cfd_engine_reload(f->e, "topic", "../topic.cfdm", NULL, &err), CFD_EPERM);
    assert_int_equal(cfd_engine_reload(f->e, "topic", "/etc/passwd", NULL, &err), CFD_EPERM);
    assert_int_equal(cfd_engine_reload(f->e, "topic", "section.cfdm", NULL, &err),
                     CFD_EMISMATCH);
    assert_non_null(strstr(err.msg, "section"));
    assert_int_equal(cfd_engine_reload(f->e, "nosuch", NULL, NULL, &err), CFD_ENOENT);
    /* still the original topic model */
    assert_int_equal(classify(f, NULL, k_title, k_body, NULL, 0, &err), 0);
    cJSON *j = parse_out(f);
    check_result(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "results"), "topic"),
                 tu_topic_labels, 3, "t-v1");
    cJSON_Delete(j);
    assert_int_equal(metric(f, "classifyd_model_loads_total{plugin=\"topic\",result=\"error\"}"),
                     5);
    /* The last refusal is reported until a load succeeds, even one that
     * finds the file unchanged and keeps the version. */
    char *le = last_error(f, "topic");
    assert_non_null(le);
    assert_non_null(strstr(le, "section"));
    free(le);
    assert_int_equal(cfd_engine_reload(f->e, "topic", NULL, NULL, &err), 0);
    assert_null(last_error(f, "topic"));
    /* reload everything (SIGHUP) works and reports each plugin; unchanged
     * files keep their version (no previous appears, nothing doubles) */
    cfd_buf_reset(&res);
    assert_int_equal(cfd_engine_reload(f->e, NULL, NULL, &res, &err), 0);
    j = cJSON_Parse(res.data);
    assert_non_null(j);
    cJSON *pls = cJSON_GetObjectItem(j, "plugins");
    assert_int_equal(cJSON_GetArraySize(pls), 3);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(pls, 0), "previous")));
    cJSON_Delete(j);
    assert_int_equal(metric(f, "classifyd_models_loaded{plugin=\"topic\"}"), 1);
    /* a changed file is a new version */
    cfd_feat_config cfg = tu_config(7, 0);
    tu_make_model(f->dir, "topic.cfdm", "topic", tu_topic_labels, tu_topic_kw, 3, &cfg, "t-v2");
    assert_int_equal(cfd_engine_reload(f->e, "topic", NULL, NULL, &err), 0);
    assert_int_equal(classify(f, NULL, k_title, k_body, NULL, 0, &err), 0);
    assert_non_null(strstr(f->out.data, "\"t-v2\""));
    assert_int_equal(metric(f, "classifyd_models_loaded{plugin=\"topic\"}"), 2);
    cfd_buf_free(&res);
}

/* Workers classify while the main thread swaps section models with
 * different label sets (and offers broken files): every reply must be whole
 * and name a version whose labels are exactly the ones it shows. */
typedef struct swap_ctx {
    cfd_engine *e;
    atomic_int stop;
    atomic_int bad;
    atomic_int replies;
    atomic_int v1_seen, v2_seen;
} swap_ctx;

static const char *const k_v2_labels[] = {"경제", "정치", "스포츠", "사회", "IT과학"};

static void *swap_worker(void *arg)
{
    swap_ctx *c = arg;
    cfd_engine_worker *w;
    cfd_buf out = CFD_BUF_INIT;
    cfd_error err;
    if (cfd_engine_worker_new(c->e, &w) != 0) {
        atomic_fetch_add(&c->bad, 1);
        return NULL;
    }
    while (!atomic_load(&c->stop)) {
        cfd_article a = {0};
        a.title = k_title;
        a.title_len = strlen(k_title);
        a.body = k_body;
        a.body_len = strlen(k_body);
        cfd_buf_reset(&out);
        if (cfd_engine_classify(w, &a, &out, &err) != 0) {
            atomic_fetch_add(&c->bad, 1);
            continue;
        }
        cJSON *j = cJSON_ParseWithLength(out.data, out.len);
        cJSON *sec = j ? cJSON_GetObjectItem(cJSON_GetObjectItem(j, "results"), "section")
                       : NULL;
        const char *ver = sec ? cJSON_GetObjectItem(cJSON_GetObjectItem(sec, "model"),
                                                    "version")->valuestring
                              : "";
        int v1 = !strcmp(ver, "s-v1"), v2 = !strcmp(ver, "s-v2");
        const char *const *labels = v1 ? tu_section_labels : k_v2_labels;
        int n = v1 ? 4 : 5;
        cJSON *probs = sec ? cJSON_GetObjectItem(sec, "probs") : NULL;
        int ok = (v1 || v2) && cJSON_GetArraySize(probs) == n;
        cJSON *it;
        if (ok)
            cJSON_ArrayForEach(it, probs)
            {
                const char *l = cJSON_GetObjectItem(it, "label")->valuestring;
                int k;
                for (k = 0; k < n; k++)
                    if (!strcmp(labels[k], l))
                        break;
                ok &= k < n;
            }
        if (!ok)
            atomic_fetch_add(&c->bad, 1);
        atomic_fetch_add(v1 ? &c->v1_seen : &c->v2_seen, 1);
        atomic_fetch_add(&c->replies, 1);
        cJSON_Delete(j);
    }
    cfd_engine_worker_free(w);
    cfd_buf_free(&out);
    return NULL;
}

static void test_swaps_under_load(void **state)
{
    fixture *f = *state;
    cfd_error err;
    static const char *const kw2[] = {"경제 특구", "정치", "스포츠", "사회", "인공지능"};
    cfd_feat_config cfg = tu_config(7, 0);
    tu_make_model(f->dir, "section-v2.cfdm", "section", k_v2_labels, kw2, 5, &cfg, "s-v2");
    tu_write(f->dir, "broken.cfdm", "CFDM but not really");
    swap_ctx c = {0};
    c.e = f->e;
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, swap_worker, &c), 0);
    for (int i = 0; i < 60; i++) {
        assert_int_equal(cfd_engine_reload(f->e, "section",
                                           i % 2 ? "section.cfdm" : "section-v2.cfdm", NULL,
                                           &err),
                         0);
        if (i % 6 == 5)
            assert_true(cfd_engine_reload(f->e, "section", "broken.cfdm", NULL, &err) < 0);
        /* let some requests through on each version */
        int target = atomic_load(&c.replies) + 4;
        while (atomic_load(&c.replies) < target && atomic_load(&c.bad) == 0)
            sched_yield();
    }
    atomic_store(&c.stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&c.bad), 0);
    assert_true(atomic_load(&c.v1_seen) > 0);
    assert_true(atomic_load(&c.v2_seen) > 0);
    /* current + previous only: every retired version was unloaded */
    assert_int_equal(metric(f, "classifyd_models_loaded{plugin=\"section\"}"), 2);
}

/* SIGHUP path for the editors' rules: an edited rules.txt is picked up, a
 * broken one is refused with file:line and the old rules keep serving, and
 * rule evidence moves the decision. */
static const char *rules_label_and_decision(fixture *f, int *detail, char *checksum,
                                            size_t cap)
{
    static char decision[64];
    cJSON *j = parse_out(f);
    cJSON *rules = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "results"), "rules");
    *detail = cJSON_GetObjectItem(rules, "detail")->valueint;
    snprintf(checksum, cap, "%s",
             cJSON_GetObjectItem(cJSON_GetObjectItem(rules, "model"), "checksum")->valuestring);
    assert_string_equal(cJSON_GetObjectItem(rules, "label")->valuestring,
                        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "decision"), "section")
                            ->valuestring);
    snprintf(decision, sizeof(decision), "%s",
             cJSON_GetObjectItem(cJSON_GetObjectItem(j, "decision"), "section")->valuestring);
    cJSON_Delete(j);
    return decision;
}

static void test_rules_reload(void **state)
{
    fixture *f = *state;
    cfd_error err;
    int detail;
    char sum1[32], sum2[32];
    cfd_engine_worker_free(f->w);
    cfd_engine_close(f->e);
    static const char *const four[] = {"topic", "section", "sentiment", "rules"};
    /* A word none of the models knows: without the rules every section is
     * equally likely and the first label (경제) would win the tie. */
    const char *body = "뉴스레터 소식";
    tu_write(f->dir, "rules.txt", "사회\t0.9\t뉴스레터\n");
    open_engine(f, four, 4, NULL);
    const char *const no_rules[] = {"topic", "section", "sentiment"};
    assert_int_equal(classify(f, NULL, "", body, no_rules, 3, &err), 0);
    assert_non_null(strstr(f->out.data, "\"decision\":{\"section\":\"경제\""));

    assert_int_equal(classify(f, NULL, "", body, NULL, 0, &err), 0);
    assert_string_equal(rules_label_and_decision(f, &detail, sum1, sizeof(sum1)), "사회");
    assert_int_equal(detail, 1);

    /* the editors change their mind: SIGHUP picks the edit up */
    tu_write(f->dir, "rules.txt", "# desk decision 2026-11-28\n정치\t0.9\t뉴스레터\n");
    assert_int_equal(cfd_engine_reload(f->e, NULL, NULL, NULL, &err), 0);
    assert_int_equal(classify(f, NULL, "", body, NULL, 0, &err), 0);
    assert_string_equal(rules_label_and_decision(f, &detail, sum2, sizeof(sum2)), "정치");
    assert_int_equal(detail, 2);
    assert_string_not_equal(sum1, sum2);

    /* a broken edit is refused; the last good rules keep serving */
    tu_write(f->dir, "rules.txt", "사회\t0.9\n");
    assert_int_equal(cfd_engine_reload(f->e, "rules", NULL, NULL, &err), CFD_EFORMAT);
    assert_non_null(strstr(err.msg, "rules.txt:1"));
    assert_int_equal(classify(f, NULL, "", body, NULL, 0, &err), 0);
    assert_string_equal(rules_label_and_decision(f, &detail, sum1, sizeof(sum1)), "정치");
    assert_string_equal(sum1, sum2);
}

/* The version of the section model that scores an article now. */
static const char *section_version(fixture *f, char *buf, size_t cap)
{
    cfd_error err;
    assert_int_equal(classify(f, NULL, "", "반도체 경제", NULL, 0, &err), 0);
    cJSON *j = parse_out(f);
    cJSON *m = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "results"), "section"), "model");
    snprintf(buf, cap, "%s", cJSON_GetObjectItem(m, "version")->valuestring);
    cJSON_Delete(j);
    return buf;
}

/* An editor retrains into the same file name (section-v2.cfdm: s-v2, then
 * s-v3), finds s-v3 worse and rolls back to s-v2. The file now holds s-v3.
 * A SIGHUP sent later for a rules edit re-reads "the file each plugin
 * serves": it must not put back the very model the editor rolled back
 * from. A new file (s-v4) is still picked up, and loading by name still
 * works. */
static void test_reload_all_keeps_rollback(void **state)
{
    fixture *f = *state;
    cfd_error err;
    char v[64];
    cfd_feat_config cfg = tu_config(7, 0);
    tu_make_model(f->dir, "section-v2.cfdm", "section", tu_section_labels, tu_section_kw, 4, &cfg,
                  "s-v2");
    assert_int_equal(cfd_engine_reload(f->e, "section", "section-v2.cfdm", NULL, &err), 0);
    tu_make_model(f->dir, "section-v2.cfdm", "section", tu_section_labels, tu_section_kw, 4, &cfg,
                  "s-v3");
    assert_int_equal(cfd_engine_reload(f->e, "section", "section-v2.cfdm", NULL, &err), 0);
    assert_string_equal(section_version(f, v, sizeof v), "s-v3");
    assert_int_equal(cfd_engine_rollback(f->e, "section", NULL, &err), 0);
    assert_string_equal(section_version(f, v, sizeof v), "s-v2");

    assert_int_equal(cfd_engine_reload(f->e, NULL, NULL, NULL, &err), 0); /* SIGHUP */
    assert_string_equal(section_version(f, v, sizeof v), "s-v2");
    /* by name, the editor can still put it live again */
    assert_int_equal(cfd_engine_reload(f->e, "section", "section-v2.cfdm", NULL, &err), 0);
    assert_string_equal(section_version(f, v, sizeof v), "s-v3");

    /* rolled back again, then retrained once more: the new file is read */
    assert_int_equal(cfd_engine_rollback(f->e, "section", NULL, &err), 0);
    assert_string_equal(section_version(f, v, sizeof v), "s-v2");
    tu_make_model(f->dir, "section-v2.cfdm", "section", tu_section_labels, tu_section_kw, 4, &cfg,
                  "s-v4");
    assert_int_equal(cfd_engine_reload(f->e, NULL, NULL, NULL, &err), 0);
    assert_string_equal(section_version(f, v, sizeof v), "s-v4");
}

/* The "featurization: ..." entries of a reload or rollback reply's warnings. */
static int featurization_warnings(const cfd_buf *res, char *first, size_t cap)
{
    cJSON *j = cJSON_ParseWithLength(res->data, res->len);
    assert_non_null(j);
    const cJSON *w;
    int n = 0;
    cJSON_ArrayForEach(w, cJSON_GetObjectItem(j, "warnings"))
    {
        assert_true(cJSON_IsString(w));
        if (strncmp(w->valuestring, "featurization: ", 15) == 0 && n++ == 0)
            snprintf(first, cap, "%s", w->valuestring);
    }
    cJSON_Delete(j);
    return n;
}

/* An editor retrains sentiment with another hash seed (or --buckets, or
 * n-gram range): it serves correctly, but every article is now featurized
 * twice. The swap's reply says so, names the plugin and the options to
 * match; swapping back to a model with the shared config clears it. Not a
 * rules warning: the rules warning count stays as it was. */
static void test_reload_other_counting_config_warns(void **state)
{
    fixture *f = *state;
    cfd_error err;
    cfd_buf res = CFD_BUF_INIT;
    char msg[1024] = "";
    unsigned rule_warnings = cfd_engine_rule_warnings(f->e);
    cfd_feat_config other = tu_config(99, 0);
    tu_make_model(f->dir, "sentiment-v2.cfdm", "sentiment", tu_sentiment_labels, tu_sentiment_kw,
                  3, &other, "m-v2");
    assert_int_equal(cfd_engine_reload(f->e, "sentiment", "sentiment-v2.cfdm", &res, &err), 0);
    assert_int_equal(featurization_warnings(&res, msg, sizeof msg), 1);
    assert_non_null(strstr(msg, "count features in 2 different ways, so every article is "
                                "featurized 2 times instead of once"));
    assert_non_null(strstr(msg, "topic, section: buckets=2^12 words=uni char-ngrams=2..2 "
                                "title-weight=1 clean=no seed=7; sentiment: buckets=2^12"));
    assert_non_null(strstr(msg, "seed=99; to share one pass, train sentiment with the counting "
                                "options of topic (--buckets"));
    assert_int_equal(cfd_engine_rule_warnings(f->e), rule_warnings);

    cfd_buf_reset(&res);
    assert_int_equal(cfd_engine_rollback(f->e, "sentiment", &res, &err), 0);
    assert_int_equal(featurization_warnings(&res, msg, sizeof msg), 0);
    cfd_buf_free(&res);
}

/* What the daemon logs of a reload reply: the reply without its
 * "warnings" (each already logged as a warning of its own), still JSON. */
static void test_reply_sans_warnings(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"{\"plugin\":\"a\",\"warnings\":[]}", "{\"plugin\":\"a\"}"},
        {"{\"plugins\":[{\"plugin\":\"a\"}],\"aggregate\":{\"source\":\"x\"},"
         "\"warnings\":[\"w1\",\"w2 \\\"warnings\\\":[\"]}",
         "{\"plugins\":[{\"plugin\":\"a\"}],\"aggregate\":{\"source\":\"x\"}}"},
        /* a message naming the key, escaped, is no member */
        {"{\"error\":{\"message\":\"\\\"warnings\\\":[\"},\"warnings\":[\"w\"]}",
         "{\"error\":{\"message\":\"\\\"warnings\\\":[\"}}"},
        {"{\"plugin\":\"a\"}", "{\"plugin\":\"a\"}"},
        {"", ""},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        size_t len = strlen(cases[k].in);
        size_t n = cfd_engine_reply_sans_warnings(cases[k].in, len);
        char got[256];
        snprintf(got, sizeof got, "%.*s%s", (int)n, cases[k].in, n < len ? "}" : "");
        assert_string_equal(got, cases[k].want);
        if (len) {
            cJSON *j = cJSON_Parse(got);
            assert_non_null(j);
            assert_null(cJSON_GetObjectItem(j, "warnings"));
            cJSON_Delete(j);
        }
    }
    assert_int_equal(cfd_engine_reply_sans_warnings(NULL, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reload_new_labels_and_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_reloads_keep_serving, setup, teardown),
        cmocka_unit_test_setup_teardown(test_swaps_under_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload_other_counting_config_warns, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reload_all_keeps_rollback, setup, teardown),
        cmocka_unit_test(test_reply_sans_warnings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
