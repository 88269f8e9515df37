/*
 * Tests for training/evaluate.c: scoring a dataset gives, for every example,
 * the scores of cfd_featurize + cfd_model_scores on its title and body (the
 * serving path), counts them into the metrics, and refuses a dataset whose
 * label set is not the model's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "evaluate.h"
#include "featurize.h"
#include "trainer.h"
#include "tmpdir.h"

static char g_dir[64];

static int setup(void **state)
{
    (void)state;
    return cfd_test_tmpdir(g_dir, sizeof g_dir, "evaluate");
}

static int teardown(void **state)
{
    (void)state;
    return cfd_test_rmtree(g_dir);
}

static cfd_model *train_model(void)
{
    const char *p = cfd_test_write_str(g_dir, "train.tsv",
                                       "fruit\tapple banana cherry\n"
                                       "fruit\tbanana melon apple\n"
                                       "fruit\tcherry melon grape\n"
                                       "car\tengine wheel brake\n"
                                       "car\tclutch gear engine\n"
                                       "car\tbrake wheel gear\n");
    cfd_dataset *ds;
    cfd_corpus *c;
    cfd_error err;
    cfd_feat_config cfg;
    cfd_feat_config_default(&cfg);
    cfg.hash_bits = 14;
    cfg.use_idf = 1;
    assert_int_equal(cfd_dataset_load(p, CFD_FORMAT_AUTO, NULL, 0, &ds, &err), 0);
    assert_int_equal(cfd_corpus_build(ds, &cfg, 1, NULL, &c, &err), 0);
    cfd_linear_params lp = {.solver = CFD_DEFAULT_SOLVER, .c = 1, .eps = 0.1, .jobs = 1,
                            .seed = 1};
    cfd_dense d;
    assert_int_equal(cfd_train_dense(c, NULL, 0, &lp, NULL, &d, &err), 0);
    cfd_model *m;
    assert_int_equal(cfd_dense_to_model(&d, "t", (const char *const *)ds->labels, &cfg, 2.0f,
                                        NULL, &m, &err), 0);
    cfd_dense_free(&d);
    cfd_corpus_free(c);
    cfd_dataset_free(ds);
    return m;
}

static void test_scores_are_serving_scores(void **state)
{
    (void)state;
    cfd_model *m = train_model();
    const char *p = cfd_test_write_str(
        g_dir, "dev.jsonl",
        "{\"label\":\"car\",\"title\":\"engine\",\"body\":\"gear wheel\"}\n"
        "{\"label\":\"fruit\",\"title\":\"\",\"body\":\"apple grape\"}\n"
        "{\"label\":\"fruit\",\"title\":\"brake\",\"body\":\"clutch\"}\n");
    cfd_dataset *ds;
    cfd_error err;
    assert_int_equal(cfd_dataset_load(p, CFD_FORMAT_AUTO, (const char *const *)m->labels,
                                      m->n_labels, &ds, &err), 0);
    cfd_metrics met;
    assert_int_equal(cfd_metrics_init(&met, m->n_labels), 0);
    float scores[3 * 2];
    assert_int_equal(cfd_eval_dataset(m, ds, NULL, &met, scores, &err), 0);
    cfd_featurizer *fz;
    assert_int_equal(cfd_featurizer_new(&fz), 0);
    for (size_t i = 0; i < ds->n; i++) {
        cfd_featvec v;
        float s[2];
        const cfd_example *e = &ds->ex[i];
        assert_int_equal(cfd_featurize(fz, &m->feat, m->idf, e->title, e->title_len, e->body,
                                       e->body_len, &v, &err), 0);
        cfd_model_scores(m, &v, s);
        assert_memory_equal(s, scores + i * 2, sizeof s);
    }
    /* the third example is a car text labelled fruit: one mistake */
    assert_int_equal(met.n, 3);
    assert_true(met.accuracy > 0.66 && met.accuracy < 0.67);
    uint32_t car = strcmp(m->labels[0], "car") == 0 ? 0 : 1;
    assert_int_equal(met.confusion[(1 - car) * 2 + car], 1);
    cfd_featurizer_free(fz);
    cfd_metrics_free(&met);
    cfd_dataset_free(ds);
    cfd_model_free(m);
}

static void test_label_mismatch(void **state)
{
    (void)state;
    cfd_model *m = train_model();
    const char *p = cfd_test_write_str(g_dir, "three.tsv", "a\tx\nb\ty\nc\tz\n");
    cfd_dataset *ds;
    cfd_error err;
    assert_int_equal(cfd_dataset_load(p, CFD_FORMAT_AUTO, NULL, 0, &ds, &err), 0);
    assert_int_equal(cfd_eval_dataset(m, ds, NULL, NULL, NULL, &err), CFD_EMISMATCH);
    assert_non_null(strstr(err.msg, "3 labels, the model 2"));
    cfd_dataset_free(ds);
    cfd_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scores_are_serving_scores),
        cmocka_unit_test(test_label_mismatch),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
