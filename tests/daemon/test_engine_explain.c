/*
 * Tests for the engine's explanations (daemon/engine.c, "explain" in a
 * request): with the real linear plugins and the keyword models of
 * engine_fixture.h, every plugin's "why" names the top label over the next
 * one in its probabilities, a margin that is not negative, shares in order
 * with the article's own words, and, for the section, one of the keywords
 * that decide it; without "explain" no "why" at all. The daemon's "why"
 * against classifyd-train predict --explain is
 * tests/integration/test_serving_training.sh.
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

#include "engine.h"
#include "engine_test_util.h"
#include "engine_fixture.h"

/* Checks one side of "why": n entries at most, shares of the side's sign in
 * order (largest first for, most negative first against), each feature
 * named by an n-gram of the article, or by its number; returns the count. */
static int check_terms(cJSON *list, int sign, int n, const char *text)
{
    assert_true(cJSON_IsArray(list));
    int k = 0;
    double prev = sign > 0 ? HUGE_VAL : -HUGE_VAL;
    cJSON *t;
    cJSON_ArrayForEach(t, list) {
        double share = cJSON_GetObjectItem(t, "share")->valuedouble;
        assert_true(sign > 0 ? share > 0 && share <= prev : share < 0 && share >= prev);
        prev = share;
        cJSON *ngram = cJSON_GetObjectItem(t, "ngram");
        assert_true(cJSON_IsString(ngram));
        if (strstr(text, ngram->valuestring) == NULL)
            fail_msg("\"%s\" is not in the article", ngram->valuestring);
        const char *kind = cJSON_GetObjectItem(t, "kind")->valuestring;
        assert_true(!strcmp(kind, "word") || !strcmp(kind, "chars") ||
                    !strcmp(kind, "bigram") || !strcmp(kind, "prefix"));
        k++;
    }
    assert_true(k <= n);
    return k;
}

/* "explain": N gives every linear plugin a "why": the top label over the
 * next one in probs, a positive margin, the article's own words; the
 * keyword that decides the section is among the reasons; 0 gives none. */
static void test_explain(void **state)
{
    fixture *f = *state;
    cfd_error err;
    cfd_article a = {0};
    char text[1024];
    snprintf(text, sizeof(text), "%s %s", k_title, k_body);
    a.title = k_title;
    a.title_len = strlen(k_title);
    a.body = k_body;
    a.body_len = strlen(k_body);
    a.explain = 3;
    cfd_buf_reset(&f->out);
    assert_int_equal(cfd_engine_classify(f->w, &a, &f->out, &err), 0);
    cJSON *j = parse_out(f);
    cJSON *results = cJSON_GetObjectItem(j, "results");
    for (size_t k = 0; k < 3; k++) {
        cJSON *r = cJSON_GetObjectItem(results, k_plugins[k]);
        cJSON *why = cJSON_GetObjectItem(r, "why");
        if (why == NULL)
            fail_msg("%s: no \"why\" in %s", k_plugins[k], f->out.data);
        cJSON *probs = cJSON_GetObjectItem(r, "probs");
        assert_string_equal(cJSON_GetObjectItem(why, "label")->valuestring,
                            cJSON_GetObjectItem(r, "label")->valuestring);
        assert_string_equal(
            cJSON_GetObjectItem(why, "over")->valuestring,
            cJSON_GetObjectItem(cJSON_GetArrayItem(probs, 1), "label")->valuestring);
        double margin = cJSON_GetObjectItem(why, "margin")->valuedouble;
        double bias = cJSON_GetObjectItem(why, "bias")->valuedouble;
        assert_true(margin >= 0);
        assert_true(fabs(bias) < 1e-9); /* the keyword models have no bias */
        int n_for = check_terms(cJSON_GetObjectItem(why, "for"), 1, 3, text);
        check_terms(cJSON_GetObjectItem(why, "against"), -1, 3, text);
        if (!strcmp(k_plugins[k], "section")) {
            /* 경제 over the rest by its keywords: 규제자유특구, 특구, 기업,
             * 혁신, 중기부 (words and their syllable pairs) */
            assert_int_equal(n_for, 3);
            const char *top = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(why,
                                                  "for"), 0), "ngram")->valuestring;
            const char *kw = tu_section_kw[0];
            if (strstr(kw, top) == NULL)
                fail_msg("section's first reason \"%s\" is not one of 경제's keywords", top);
        }
    }
    cJSON_Delete(j);

    /* explain 0 (the default): no "why" anywhere */
    a.explain = 0;
    cfd_buf_reset(&f->out);
    assert_int_equal(cfd_engine_classify(f->w, &a, &f->out, &err), 0);
    assert_null(strstr(f->out.data, "\"why\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_explain, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
