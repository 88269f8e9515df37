/*
 * Tests for the decision (daemon/aggregate.c): the linear pool with mapped
 * evidence, computed independently here from the rule stated in
 * aggregate.h; every review reason and its precision; thresholds and ties;
 * abstaining and failed plugins; the JSON of a decision; the script check
 * on the article's letters by class. The rules file (its loader and errors,
 * the check against the running plugins, the shipped file) is tested in
 * test_aggregate_rules.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "aggregate_test_util.h"
#include "tokenize.h"

static void test_pool_with_mapping(void **state)
{
    (void)state;
    cfd_agg_rules *r = parse("[decision]\n"
                             "section_plugin = section\n"
                             "min_probability = 0.5\n"
                             "[evidence.topic]\n"
                             "weight = 0.5\n"
                             "IT과학 = 경제   ; a newsroom without an IT desk\n"
                             "생활문화 = -\n"
                             "[evidence.rules]\n"
                             "weight = 1\n"
                             "same_names = yes\n");
    float sec[] = {0.40f, 0.35f, 0.25f};
    float top[] = {0.30f, 0.10f, 0.40f, 0.20f};
    float rul[] = {0.60f, 0.30f};
    cfd_agg_result res[] = {{"section", sec_labels, 3, sec},
                            {"topic", top_labels, 4, top},
                            {"rules", rule_labels, 2, rul}};
    float scratch[8];
    cfd_agg_decision d;
    cfd_agg_decide(r, res, 3, NULL, scratch, &d);
    /* By the rule in aggregate.h:
     *   정치 = 0.40 + 0.5*0.10            = 0.45
     *   경제 = 0.35 + 0.5*(0.30+0.40) + 1*0.60 = 1.30
     *   사회 = 0.25                        = 0.25
     * (생활문화 ignored, 속보 maps to no section) -> 경제 = 1.30 / 2.00 */
    assert_string_equal(d.section, "경제");
    assert_true(fabsf(d.probability - 0.65f) < 1e-5f);
    assert_false(d.review);
    assert_int_equal(d.n_reasons, 0);

    /* The same without the rules plugin's evidence (it abstained). */
    float none[] = {0, 0};
    res[2].probs = none;
    cfd_agg_decide(r, res, 3, NULL, scratch, &d);
    /* 정치 0.45, 경제 0.70, 사회 0.25 -> 0.70 / 1.40 */
    assert_string_equal(d.section, "경제");
    assert_true(fabsf(d.probability - 0.5f) < 1e-5f);
    assert_false(d.review);

    /* A failed topic plugin gives no evidence. */
    res[1].probs = NULL;
    cfd_agg_decide(r, res, 3, NULL, scratch, &d);
    assert_string_equal(d.section, "정치");
    assert_true(fabsf(d.probability - 0.40f) < 1e-5f);
    assert_true(d.review);
    assert_true(has_reason(&d, "low_confidence"));
    cfd_agg_free(r);
}

static void test_review_reasons(void **state)
{
    (void)state;
    cfd_agg_rules *r = parse("[decision]\n"
                             "section_plugin = section\n"
                             "min_probability = 0.3\n"
                             "min_margin = 0.2\n"
                             "negative_plugin = sentiment\n"
                             "negative_label = negative\n"
                             "negative_min = 0.8\n"
                             "[evidence.topic]\n"
                             "weight = 0.1\n"
                             "disagree_min = 0.6\n");
    float sec[] = {0.45f, 0.40f, 0.15f};
    float top[] = {0.90f, 0.05f, 0.03f, 0.02f};
    float sen[] = {0.02f, 0.08f, 0.90f};
    cfd_agg_result res[] = {{"section", sec_labels, 3, sec},
                            {"topic", top_labels, 4, top},
                            {"sentiment", sent_labels, 3, sen}};
    float scratch[8];
    cfd_agg_decision d;
    cfd_agg_decide(r, res, 3, NULL, scratch, &d);
    /* 정치 0.45+0.005 = 0.455, 경제 0.40+0.09 = 0.49: 경제 wins narrowly */
    assert_string_equal(d.section, "경제");
    assert_true(d.review);
    assert_false(has_reason(&d, "low_confidence"));
    assert_true(has_reason(&d, "close_call"));
    assert_false(has_reason(&d, "disagreement")); /* topic agrees with 경제 */
    assert_true(has_reason(&d, "negative_tone"));
    assert_int_equal(d.codes, 1u << CFD_AGG_CLOSE_CALL | 1u << CFD_AGG_NEGATIVE_TONE);

    /* Topic strongly for 정치 while the section model says 경제. */
    float sec2[] = {0.10f, 0.85f, 0.05f};
    float top2[] = {0.05f, 0.90f, 0.03f, 0.02f};
    float sen2[] = {0.30f, 0.60f, 0.10f};
    res[0].probs = sec2;
    res[1].probs = top2;
    res[2].probs = sen2;
    cfd_agg_decide(r, res, 3, NULL, scratch, &d);
    assert_string_equal(d.section, "경제");
    assert_int_equal(d.n_reasons, 1);
    assert_true(has_reason(&d, "disagreement"));
    assert_non_null(strstr(d.reasons[0], "topic says 정치"));

    /* Confident and agreeing: filed automatically. */
    float top3[] = {0.80f, 0.10f, 0.05f, 0.05f};
    res[1].probs = top3;
    cfd_agg_decide(r, res, 3, NULL, scratch, &d);
    assert_false(d.review);
    assert_int_equal(d.n_reasons, 0);

    /* Topic (an evidence plugin with a disagreement check) and sentiment
     * (the negative_plugin) ran but failed: their checks are missing, so
     * the article goes to review, naming each. */
    res[1].probs = NULL;
    res[2].probs = NULL;
    cfd_agg_decide(r, res, 3, NULL, scratch, &d);
    assert_string_equal(d.section, "경제");
    assert_true(d.review);
    assert_true(has_reason(&d, "plugin_failed: topic"));
    assert_int_equal(d.n_reasons, 2);
    assert_non_null(strstr(d.reasons[1], "plugin_failed: sentiment"));
    /* Left out of the request (not in res at all): not a failure. */
    cfd_agg_decide(r, res, 1, NULL, scratch, &d);
    assert_false(d.review);

    /* A section plugin that gives every section 0 (nothing to pool): no
     * section is named, rather than the first label at probability 0. */
    float zero[] = {0.0f, 0.0f, 0.0f};
    res[0].probs = zero;
    cfd_agg_decide(r, res, 1, NULL, scratch, &d);
    assert_null(d.section);
    assert_true(has_reason(&d, "no_section"));

    /* No section result at all. */
    res[0].probs = NULL;
    cfd_agg_decide(r, res, 3, NULL, scratch, &d);
    assert_null(d.section);
    assert_true(d.review);
    assert_true(has_reason(&d, "no_section"));
    cfd_agg_free(r);
}

/* No section result: no_section takes the place of the checks that need a
 * winner, and every other condition that holds still gives its reason. */
static void test_no_section_keeps_other_reasons(void **state)
{
    (void)state;
    cfd_agg_rules *r = parse("[decision]\n"
                             "negative_plugin = sentiment\n"
                             "negative_min = 0.8\n"
                             "[evidence.topic]\n"
                             "weight = 0.5\n"
                             "disagree_min = 0.6\n");
    float top[] = {0.90f, 0.05f, 0.03f, 0.02f};
    float sen[] = {0.02f, 0.08f, 0.90f};
    cfd_agg_result res[] = {{"section", sec_labels, 3, NULL},
                            {"topic", top_labels, 4, top},
                            {"sentiment", sent_labels, 3, sen}};
    float scratch[8];
    cfd_agg_decision d;
    /* section failed, sentiment strongly negative */
    cfd_agg_decide(r, res, 3, NULL, scratch, &d);
    assert_null(d.section);
    assert_true(d.review);
    assert_int_equal(d.n_reasons, 2);
    assert_string_equal(d.reasons[0], "no_section: plugin section gave no result");
    assert_string_equal(d.reasons[1], "negative_tone: sentiment negative 0.90 >= 0.80");
    /* section left out of the request, topic failed */
    res[0] = res[1];
    res[0].probs = NULL;
    res[1] = res[2];
    cfd_agg_decide(r, res, 2, NULL, scratch, &d);
    assert_null(d.section);
    assert_int_equal(d.n_reasons, 3);
    assert_string_equal(d.reasons[0], "no_section: plugin section gave no result");
    assert_true(has_reason(&d, "negative_tone"));
    assert_string_equal(d.reasons[2], "plugin_failed: topic gave no result");
    cfd_agg_free(r);
}

/* Numbers in reasons get enough decimals that "0.417 < 0.419" never reads
 * as "0.42 < 0.42". */
static void test_reason_precision(void **state)
{
    (void)state;
    cfd_agg_rules *r = parse("[decision]\nmin_probability = 0.419\n");
    float sec[] = {0.417f, 0.300f, 0.283f};
    cfd_agg_result res[] = {{"section", sec_labels, 3, sec}};
    float scratch[8];
    cfd_agg_decision d;
    cfd_agg_decide(r, res, 1, NULL, scratch, &d);
    assert_true(has_reason(&d, "low_confidence"));
    assert_string_equal(d.reasons[0], "low_confidence: 정치 0.417 < 0.419");
    cfd_agg_free(r);
    /* the usual case keeps two decimals */
    r = parse("[decision]\nmin_probability = 0.55\n");
    cfd_agg_decide(r, res, 1, NULL, scratch, &d);
    assert_string_equal(d.reasons[0], "low_confidence: 정치 0.42 < 0.55");
    cfd_agg_free(r);
}

/* Every threshold is met at equality, as aggregate.h states them
 * (P < min_probability, margin < min_margin, top >= disagree_min,
 * p(negative_label) >= negative_min); the values are exact in binary. */
static void test_thresholds_at_equality(void **state)
{
    (void)state;
    cfd_agg_rules *r = parse("[decision]\n"
                             "min_probability = 0.5\n"
                             "min_margin = 0.25\n"
                             "negative_plugin = sentiment\n"
                             "negative_min = 0.75\n"
                             "[evidence.topic]\n"
                             "weight = 0\n"
                             "disagree_min = 0.5\n");
    float sec[] = {0.5f, 0.25f, 0.25f};
    float top[] = {0.5f, 0.25f, 0.125f, 0.125f};
    float sen[] = {0.125f, 0.125f, 0.75f};
    cfd_agg_result res[] = {{"section", sec_labels, 3, sec},
                            {"topic", top_labels, 4, top},
                            {"sentiment", sent_labels, 3, sen}};
    float scratch[8];
    cfd_agg_decision d;
    cfd_agg_decide(r, res, 3, NULL, scratch, &d);
    assert_string_equal(d.section, "정치");
    assert_true(d.probability == 0.5f);
    assert_int_equal(d.n_reasons, 2);
    assert_string_equal(d.reasons[0], "disagreement: topic says 경제 (0.50), supporting section "
                                      "경제, not 정치");
    assert_string_equal(d.reasons[1], "negative_tone: sentiment negative 0.75 >= 0.75");
    cfd_agg_free(r);

    /* A margin below min_margin names the runner-up: the first of two
     * tied in the section model's label order. */
    r = parse("[decision]\nmin_margin = 0.3\n");
    cfd_agg_decide(r, res, 1, NULL, scratch, &d);
    assert_int_equal(d.n_reasons, 1);
    assert_string_equal(d.reasons[0], "close_call: 정치 0.50 vs 경제 0.25 (margin < 0.30)");
    cfd_agg_free(r);
}

/* A tie for the largest P goes to the first section in label order. */
static void test_tie_goes_to_first_label(void **state)
{
    (void)state;
    cfd_agg_rules *r = parse("[decision]\nmin_probability = 0.25\n");
    float sec[] = {0.25f, 0.375f, 0.375f};
    cfd_agg_result res[] = {{"section", sec_labels, 3, sec}};
    float scratch[8];
    cfd_agg_decision d;
    cfd_agg_decide(r, res, 1, NULL, scratch, &d);
    assert_string_equal(d.section, "경제");
    assert_true(d.probability == 0.375f);
    cfd_agg_free(r);
}

/* negative_plugin named but negative_min left at 0: the check is off, so
 * that plugin failing takes nothing from the decision. */
static void test_failed_plugin_with_check_off(void **state)
{
    (void)state;
    cfd_agg_rules *r = parse("[decision]\nnegative_plugin = sentiment\n");
    float sec[] = {0.75f, 0.125f, 0.125f};
    cfd_agg_result res[] = {{"section", sec_labels, 3, sec},
                            {"sentiment", sent_labels, 3, NULL}};
    float scratch[8];
    cfd_agg_decision d;
    cfd_agg_decide(r, res, 2, NULL, scratch, &d);
    assert_string_equal(d.section, "정치");
    assert_false(d.review);
    assert_int_equal(d.n_reasons, 0);
    cfd_agg_free(r);
}

/* Up to six decimals when fewer would print the two numbers alike. */
static void test_reason_precision_six_decimals(void **state)
{
    (void)state;
    cfd_agg_rules *r = parse("[decision]\nmin_probability = 0.500001\n");
    float sec[] = {0.5f, 0.25f, 0.25f};
    cfd_agg_result res[] = {{"section", sec_labels, 3, sec}};
    float scratch[8];
    cfd_agg_decision d;
    cfd_agg_decide(r, res, 1, NULL, scratch, &d);
    assert_int_equal(d.n_reasons, 1);
    assert_string_equal(d.reasons[0], "low_confidence: 정치 0.500000 < 0.500001");
    cfd_agg_free(r);
}

static void test_json(void **state)
{
    (void)state;
    cfd_agg_decision d = {0};
    cfd_buf b = CFD_BUF_INIT;
    d.section = "경제";
    d.probability = 0.8712f;
    d.review = 1;
    d.n_reasons = 2;
    snprintf(d.reasons[0], CFD_AGG_REASON_MAX, "low_confidence: \"quoted\"");
    /* a reason cut in the middle of a Hangul syllable stays valid UTF-8 */
    memset(d.reasons[1], 0, CFD_AGG_REASON_MAX);
    size_t k = 0;
    while (k + 3 < CFD_AGG_REASON_MAX - 1) {
        memcpy(d.reasons[1] + k, "경", 3);
        k += 3;
    }
    d.reasons[1][k] = (char)0xea; /* first byte of another syllable */
    assert_int_equal(cfd_agg_decision_json(&d, &b), 0);
    cJSON *j = cJSON_Parse(b.data);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "section")->valuestring, "경제");
    assert_true(fabs(cJSON_GetObjectItem(j, "probability")->valuedouble - 0.8712) < 1e-9);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "review")));
    cJSON *reasons = cJSON_GetObjectItem(j, "reasons");
    assert_string_equal(cJSON_GetArrayItem(reasons, 0)->valuestring, "low_confidence: \"quoted\"");
    assert_int_equal(strlen(cJSON_GetArrayItem(reasons, 1)->valuestring) % 3, 0);
    cJSON_Delete(j);
    /* a reason ending in a whole multi-byte character keeps it */
    cfd_buf_reset(&b);
    d.n_reasons = 1;
    snprintf(d.reasons[0], CFD_AGG_REASON_MAX, "disagreement: topic says 정치 (0.90), "
             "supporting section 정치, not 경제");
    assert_int_equal(cfd_agg_decision_json(&d, &b), 0);
    assert_non_null(strstr(b.data, "\"reasons\":[\"disagreement: topic says 정치 (0.90), "
                                   "supporting section 정치, not 경제\"]}"));
    cfd_buf_reset(&b);
    d.section = NULL;
    d.review = 0;
    d.n_reasons = 0;
    d.probability = 0;
    cfd_agg_decision_json(&d, &b);
    assert_string_equal(b.data, "{\"section\":null,\"probability\":0,\"review\":false,\"reasons\":[]}");
    cfd_buf_free(&b);
}

static void test_unfamiliar_script(void **state)
{
    (void)state;
    cfd_agg_rules *r = parse("[decision]\nmin_probability = 0.5\n"
                             "script = hangul\nmin_script_share = 0.3\n");
    assert_true(cfd_agg_wants_letters(r));
    float sec[] = {0.10f, 0.80f, 0.10f};
    cfd_agg_result res[] = {{"section", sec_labels, 3, sec}};
    float scratch[8];
    cfd_agg_decision d;
    uint64_t n[CFD_TOK_CLASSES] = {0};

    /* An English article: no Hangul at all ("Ad sales boost Time Warner
     * profit: up 76% to $1.13bn."). */
    n[CFD_TOK_LATIN] = 32;
    n[CFD_TOK_DIGIT] = 5;
    cfd_agg_decide(r, res, 1, n, scratch, &d);
    assert_string_equal(d.section, "경제"); /* still named: an editor files it */
    assert_true(d.review);
    assert_int_equal(d.n_reasons, 1);
    assert_string_equal(d.reasons[0], "unfamiliar_script: hangul is 0.00 of the letters < "
                                      "0.30; the rules trust the models on hangul text "
                                      "only");
    assert_int_equal(d.codes, 1u << CFD_AGG_UNFAMILIAR_SCRIPT); /* counted in /metrics */
    assert_string_equal(cfd_agg_reason_name(CFD_AGG_UNFAMILIAR_SCRIPT), "unfamiliar_script");

    /* A Korean headline with Latin product names ("LG전자, TV 신제품
     * 2024년"): 6 syllables and 4 Latin letters -> 0.60. */
    memset(n, 0, sizeof n);
    n[CFD_TOK_HANGUL] = 6;
    n[CFD_TOK_LATIN] = 4;
    n[CFD_TOK_DIGIT] = 4;
    cfd_agg_decide(r, res, 1, n, scratch, &d);
    assert_false(d.review);

    /* Exactly the threshold is not under it (3 of 10 letters); one letter
     * less is. */
    memset(n, 0, sizeof n);
    n[CFD_TOK_HANGUL] = 3;
    n[CFD_TOK_LATIN] = 5;
    n[CFD_TOK_HAN] = 1;
    n[CFD_TOK_OTHER] = 1;
    n[CFD_TOK_DIGIT] = 1000; /* digits are not letters */
    cfd_agg_decide(r, res, 1, n, scratch, &d);
    assert_false(d.review);
    n[CFD_TOK_HANGUL] = 2;
    n[CFD_TOK_LATIN] = 6;
    cfd_agg_decide(r, res, 1, n, scratch, &d);
    assert_true(has_reason(&d, "unfamiliar_script: hangul is 0.20 of the letters < 0.30"));

    /* No letters at all. */
    memset(n, 0, sizeof n);
    n[CFD_TOK_DIGIT] = 12;
    cfd_agg_decide(r, res, 1, n, scratch, &d);
    assert_true(has_reason(&d, "unfamiliar_script: the article has no letters"));

    /* Not counted (NULL): no check. */
    cfd_agg_decide(r, res, 1, NULL, scratch, &d);
    assert_false(d.review);
    assert_int_equal(d.codes, 0);
    cfd_agg_free(r);

    /* Off by default and with min_script_share = 0. */
    r = parse("[decision]\nmin_probability = 0.5\n");
    assert_false(cfd_agg_wants_letters(r));
    cfd_agg_decide(r, res, 1, n, scratch, &d);
    assert_false(d.review);
    cfd_agg_free(r);
    r = parse("[decision]\nscript = latin\nmin_script_share = 0\n");
    assert_false(cfd_agg_wants_letters(r));
    cfd_agg_free(r);

    /* Another script: an English newsroom's models. */
    r = parse("[decision]\nmin_probability = 0.5\nscript = latin\nmin_script_share = 0.5\n");
    memset(n, 0, sizeof n);
    n[CFD_TOK_LATIN] = 32;
    cfd_agg_decide(r, res, 1, n, scratch, &d);
    assert_false(d.review);
    memset(n, 0, sizeof n);
    n[CFD_TOK_OTHER] = 21; /* "Продажи рекламы выросли" */
    cfd_agg_decide(r, res, 1, n, scratch, &d);
    assert_true(has_reason(&d, "unfamiliar_script: latin is 0.00 of the letters < 0.50"));
    cfd_agg_free(r);

    /* Two scripts (models that learned Korean and English): the share is
     * the two together, so an English article passes, a Korean one too,
     * and Russian does not. Spaces work as separators like commas. */
    for (int form = 0; form < 2; form++) {
        r = parse(form ? "[decision]\nmin_probability = 0.5\nscript = latin hangul\n"
                         "min_script_share = 0.3\n"
                       : "[decision]\nmin_probability = 0.5\nscript = hangul, latin\n"
                         "min_script_share = 0.3\n");
        memset(n, 0, sizeof n);
        n[CFD_TOK_LATIN] = 32;
        cfd_agg_decide(r, res, 1, n, scratch, &d);
        assert_false(d.review);
        memset(n, 0, sizeof n);
        n[CFD_TOK_HANGUL] = 40;
        n[CFD_TOK_HAN] = 60;
        cfd_agg_decide(r, res, 1, n, scratch, &d);
        assert_false(d.review);
        n[CFD_TOK_HANGUL] = 1; /* 1 Hangul + 2 Latin of 10 letters: 0.30 */
        n[CFD_TOK_LATIN] = 2;
        n[CFD_TOK_HAN] = 0;
        n[CFD_TOK_OTHER] = 7;
        cfd_agg_decide(r, res, 1, n, scratch, &d);
        assert_false(d.review);
        n[CFD_TOK_OTHER] = 8; /* of 11: 0.27 */
        cfd_agg_decide(r, res, 1, n, scratch, &d);
        assert_true(d.review);
        assert_string_equal(d.reasons[0], "unfamiliar_script: hangul+latin is 0.27 of the "
                                          "letters < 0.30; the rules trust the models on "
                                          "hangul+latin text only");
        cfd_agg_free(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_with_mapping),
        cmocka_unit_test(test_review_reasons),
        cmocka_unit_test(test_no_section_keeps_other_reasons),
        cmocka_unit_test(test_reason_precision),
        cmocka_unit_test(test_reason_precision_six_decimals),
        cmocka_unit_test(test_thresholds_at_equality),
        cmocka_unit_test(test_tie_goes_to_first_label),
        cmocka_unit_test(test_failed_plugin_with_check_off),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_unfamiliar_script),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
