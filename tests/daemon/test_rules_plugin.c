/*
 * Tests for the rules plugin (plugins/rules/), through the plugin ABI
 * exactly as the daemon uses it (dlopen rules.so, load, classify, unload):
 * Korean-aware matching (inside words, NFC, case folding), whole-word
 * terms, any-of / all-of patterns, the scoring rule in rules_file.h,
 * errors naming file:line, and the shipped models/rules.txt on the sample
 * article the site left uncategorised.
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
#include <utf8proc.h>

#include "engine_test_util.h"
#include "plugin_loader.h"

typedef struct fixture {
    char dir[256];
    cfd_loaded_plugin lp;
    void *model;
    cfd_plugin_model_info info;
    float probs[64];
    int32_t detail;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    cfd_error err;
    tu_tmpdir(f->dir, sizeof(f->dir));
    if (cfd_plugin_open(CFD_PLUGIN_DIR, "rules", &f->lp, &err) != 0)
        fail_msg("%s", err.msg);
    assert_null(f->lp.p->classify == NULL ? "no classify" : NULL);
    *state = f;
    return 0;
}

static void unload(fixture *f)
{
    if (f->model)
        f->lp.p->unload(f->model);
    f->model = NULL;
}

static int teardown(void **state)
{
    fixture *f = *state;
    unload(f);
    cfd_plugin_close(&f->lp);
    tu_rmrf(f->dir);
    free(f);
    return 0;
}

static int load_text(fixture *f, const char *text, cfd_error *err)
{
    char path[512];
    unload(f);
    tu_write(f->dir, "rules.txt", text);
    snprintf(path, sizeof(path), "%s/rules.txt", f->dir);
    cfd_error_clear(err);
    return f->lp.p->load(path, &f->model, &f->info, err);
}

static void load_ok(fixture *f, const char *text)
{
    cfd_error err;
    if (load_text(f, text, &err) != 0)
        fail_msg("load: %s", err.msg);
    assert_null(f->info.feat); /* raw text: the daemon featurizes nothing */
    assert_true(f->info.any_name);
    assert_int_equal(strlen(f->info.checksum), 16);
}

static int label_index(fixture *f, const char *label)
{
    for (uint32_t i = 0; i < f->info.n_labels; i++)
        if (!strcmp(f->info.labels[i], label))
            return (int)i;
    fail_msg("no label %s", label);
    return -1;
}

/* Classifies and returns the probability of `label`. */
static float run(fixture *f, const char *title, const char *body, const char *label)
{
    cfd_plugin_input in = {title, strlen(title), body, strlen(body), NULL};
    cfd_plugin_output out = {f->probs, f->info.n_labels, -1};
    assert_int_equal(f->lp.p->classify(f->model, &in, &out), 0);
    f->detail = out.detail;
    return label ? f->probs[label_index(f, label)] : 0;
}

static char *nfd(const char *s)
{
    return (char *)utf8proc_NFD((const utf8proc_uint8_t *)s);
}

static void test_korean_matching(void **state)
{
    fixture *f = *state;
    load_ok(f, "# comment\n\n경제\t0.6\t규제자유특구|중기부\n");
    assert_int_equal(f->info.n_labels, 1);
    assert_true(run(f, "", "중기부는 26일 밝혔다", "경제") > 0.59f); /* particle attached */
    assert_int_equal(f->detail, 3);
    assert_true(run(f, "규제자유특구 지원", "", "경제") > 0.59f);   /* title only */
    assert_true(run(f, "", "중기 부는", "경제") == 0.0f);            /* not across a space */
    assert_int_equal(f->detail, -1);
    /* decomposed (NFD) input, as some Mac editors produce */
    char *d = nfd("중기부가 발표했다");
    assert_true(strlen(d) > strlen("중기부가 발표했다"));
    assert_true(run(f, "", d, "경제") > 0.59f);
    free(d);
    /* a decomposed pattern matches composed text */
    char *dp = nfd("경제\t0.6\t규제자유특구\n");
    load_ok(f, dp);
    free(dp);
    assert_true(run(f, "", "규제자유특구를 지정", "경제") > 0.59f);
    /* a syllable pattern must not match inside a longer syllable */
    load_ok(f, "x\t0.5\t가\n");
    assert_true(run(f, "", "각", "x") == 0.0f);
    assert_true(run(f, "", "가다", "x") > 0.49f);
    /* A multi-word term matches across any run of white space in the text
     * (line breaks, double spaces, NBSP, ideographic space, as CMS exports
     * have them), and white space in the term is one space too. */
    load_ok(f, "경제\t0.6\t글로벌 혁신특구|규제  자유\n");
    assert_true(run(f, "", "글로벌 혁신특구", "경제") > 0.59f);
    assert_true(run(f, "", "글로벌\n혁신특구", "경제") > 0.59f);
    assert_true(run(f, "", "글로벌  \r\n 혁신특구", "경제") > 0.59f);
    assert_true(run(f, "", "글로벌\xc2\xa0혁신특구", "경제") > 0.59f);     /* U+00A0 */
    assert_true(run(f, "", "글로벌\xe3\x80\x80혁신특구", "경제") > 0.59f); /* U+3000 */
    assert_true(run(f, "", "규제 자유", "경제") > 0.59f);
    assert_true(run(f, "", "글로벌혁신특구", "경제") == 0.0f); /* a space is still needed */
}

static void test_case_and_words(void **state)
{
    fixture *f = *state;
    load_ok(f, "IT과학\t0.5\t<AI>\n기타\t0.3\tcafé\n");
    assert_true(run(f, "", "ai", "IT과학") > 0.49f);
    assert_true(run(f, "", "생성형 AI가 바꾼다", "IT과학") > 0.49f);
    assert_true(run(f, "", "(AI)", "IT과학") > 0.49f);
    assert_true(run(f, "AI", "", "IT과학") > 0.49f);
    assert_true(run(f, "", "MAIL", "IT과학") == 0.0f);
    assert_true(run(f, "", "he SAID", "IT과학") == 0.0f);
    assert_true(run(f, "", "AI2", "IT과학") == 0.0f);
    /* Hangul in brackets: starts a word, particles after it */
    load_ok(f, "정치\t0.5\t<국회>\n");
    assert_true(run(f, "", "국회는 열렸다", "정치") > 0.49f);
    assert_true(run(f, "", "(국회)", "정치") > 0.49f);
    assert_true(run(f, "국회", "", "정치") > 0.49f);
    assert_true(run(f, "", "국회의원", "정치") > 0.49f);
    assert_true(run(f, "", "전국회의 열어", "정치") == 0.0f);
    assert_true(run(f, "", "x국회", "정치") == 0.0f);
    load_ok(f, "IT과학\t0.5\t<AI>\n기타\t0.3\tcafé\n");
    /* case folding and composition of Latin accents */
    assert_true(run(f, "", "CAFÉ", "기타") > 0.29f);
    assert_true(run(f, "", "CAFE\xcc\x81 latte", "기타") > 0.29f); /* E + U+0301 */
    assert_true(run(f, "", "cafe", "기타") == 0.0f);
}

static void test_any_all_and_scores(void **state)
{
    fixture *f = *state;
    load_ok(f, "정치\t0.5\t국회 & 법안\n"
               "경제\t0.6\t특구\n"
               "경제\t0.5\t기업 | 투자\n"
               "사회\t0.5\t경찰\n");
    assert_true(run(f, "", "국회가 열렸다", "정치") == 0.0f);
    assert_true(run(f, "국회 본회의", "법안 통과", "정치") > 0.49f); /* across title+body */
    /* two rules for 경제: 1 - 0.4 * 0.5 = 0.8; alone, no scaling */
    float p = run(f, "", "특구 기업", "경제");
    assert_true(fabsf(p - 0.8f) < 1e-6f);
    assert_int_equal(f->detail, 2); /* strongest rule: line 2 (0.6) */
    /* with 사회 too: 0.8 + 0.5 > 1, scaled to sum 1 */
    p = run(f, "", "특구 기업 경찰", "경제");
    assert_true(fabsf(p - 0.8f / 1.3f) < 1e-6f);
    assert_true(fabsf(f->probs[label_index(f, "사회")] - 0.5f / 1.3f) < 1e-6f);
    /* nothing matches: every probability 0 (abstain) */
    run(f, "", "아무 관계 없는 글", NULL);
    for (uint32_t i = 0; i < f->info.n_labels; i++)
        assert_true(f->probs[i] == 0.0f);
}

static void expect_error(fixture *f, const char *text, int code, const char *needle)
{
    cfd_error err;
    int rc = load_text(f, text, &err);
    if (rc != code)
        fail_msg("expected %d, got %d (%s)", code, rc, err.msg);
    if (strstr(err.msg, needle) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
    f->model = NULL;
}

static void test_errors(void **state)
{
    fixture *f = *state;
    expect_error(f, "# c\n경제\t0.5\n", CFD_EFORMAT, "rules.txt:2: expected label<TAB>weight");
    expect_error(f, "경제\t0\tx\n", CFD_EFORMAT, "rules.txt:1: weight \"0\"");
    expect_error(f, "경제\t1.5\tx\n", CFD_EFORMAT, "not a number in (0, 1]");
    expect_error(f, "경제\tabc\tx\n", CFD_EFORMAT, "weight \"abc\"");
    expect_error(f, "경제\t0.5\ta | b & c\n", CFD_EFORMAT, "mixes | and &");
    expect_error(f, "경제\t0.5\ta || b\n", CFD_EFORMAT, "empty term");
    expect_error(f, "경제\t0.5\t<>\n", CFD_EFORMAT, "empty term");
    expect_error(f, "경제\t0.5\t   \n", CFD_EFORMAT, "empty pattern");
    /* an exact duplicate (after normalisation) would count twice */
    expect_error(f, "경제\t0.6\t규제\n정치\t0.5\t국회\n경제\t0.6\t 규제 \n", CFD_EFORMAT,
                 "rules.txt:3: the same rule as line 1");
    /* with another weight too: one rule, one weight */
    expect_error(f, "경제\t0.6\t규제|특구\n경제\t0.3\t규제 | 특구\n", CFD_EFORMAT,
                 "rules.txt:2: the same rule as line 1");
    /* the same pattern for another label is fine */
    load_ok(f, "경제\t0.6\t규제\n사회\t0.6\t규제\n");
    /* a fourth column (a note) would have become part of the term */
    expect_error(f, "경제\t0.6\t규제\t특구\n", CFD_EFORMAT, "rules.txt:1: TAB in the pattern");
    /* a weight that is positive as a double but 0 as a float */
    expect_error(f, "경제\t1e-50\tx\n", CFD_EFORMAT, "weight \"1e-50\"");
    /* a long weight is shown (cut), not as "" */
    expect_error(f, "경제\t0.5000000000000000000000000000000000000001x\tx\n", CFD_EFORMAT,
                 "weight \"0.5000000000"); 
    expect_error(f, "\t0.5\tx\n", CFD_EFORMAT, "label must be");
    /* the ends of the ranges: a weight of exactly 1, a label of 256 bytes */
    load_ok(f, "경제\t1\tx\n");
    char longl[600];
    snprintf(longl, sizeof longl, "%0256d\t0.5\tx\n", 0);
    load_ok(f, longl);
    snprintf(longl, sizeof longl, "%0257d\t0.5\tx\n", 0);
    expect_error(f, longl, CFD_EFORMAT, "rules.txt:1: label must be 1 to 256 bytes");
    expect_error(f, "# only comments\n\n", CFD_EEMPTY, "no rules");
    expect_error(f, "경제\t0.5\tx\n경제\t0.5\t\xff\n", CFD_EUTF8, "rules.txt:2: invalid UTF-8");
    cfd_error err;
    assert_int_equal(f->lp.p->load("/nonexistent/rules.txt", &f->model, &f->info, &err),
                     CFD_ENOENT);
    f->model = NULL;
}

/* White space the matcher counts as white space (NBSP, U+3000: what a
 * Korean IME types for a wide space) around a term is trimmed like a
 * space: left in, the term " " fired on every article with a space. */
static void test_unicode_space_around_terms(void **state)
{
    fixture *f = *state;
    expect_error(f, "경제\t0.5\t\xc2\xa0\n", CFD_EFORMAT, "rules.txt:1: empty pattern");
    expect_error(f, "경제\t0.5\t국회|\xe3\x80\x80\n", CFD_EFORMAT, "rules.txt:1: empty term");
    expect_error(f, "경제\t0.5\t<\xe3\x80\x80>\n", CFD_EFORMAT, "rules.txt:1: empty term");
    expect_error(f, "\xc2\xa0\t0.5\t국회\n", CFD_EFORMAT, "rules.txt:1: label must be");
    expect_error(f, "경\x7f제\t0.5\t국회\n", CFD_EFORMAT, "rules.txt:1: control character");
    load_ok(f, "경제\xe3\x80\x80\t0.5\t국회\xe3\x80\x80|\xc2\xa0법안\n"
               "IT과학\t0.5\t\xe3\x80\x80<AI>\xe3\x80\x80\n");
    assert_string_equal(f->info.labels[0], "경제");
    assert_true(run(f, "", "가 나 다", "경제") == 0.0f);
    assert_true(run(f, "", "국회가 열렸다", "경제") > 0.49f); /* no space needed after it */
    assert_true(run(f, "법안", "", "경제") > 0.49f);          /* nor before it */
    assert_true(run(f, "", "MAIL 가", "IT과학") == 0.0f);     /* still a whole word */
    assert_true(run(f, "", "AI가", "IT과학") > 0.49f);
}

static void test_shipped_rules_on_sample(void **state)
{
    fixture *f = *state;
    cfd_error err;
    int rc = f->lp.p->load(CFD_SOURCE_DIR "/models/rules.txt", &f->model, &f->info, &err);
    if (rc != 0)
        fail_msg("models/rules.txt: %s", err.msg);
    FILE *in = fopen(CFD_SOURCE_DIR "/../shared/data/samples/articles.jsonl", "r");
    assert_non_null(in);
    char *line = NULL;
    size_t cap = 0;
    assert_true(getline(&line, &cap, in) > 0); /* the uncategorised 중기부 article */
    fclose(in);
    cJSON *j = cJSON_Parse(line);
    free(line);
    assert_non_null(j);
    const char *title = cJSON_GetObjectItem(j, "title")->valuestring;
    const char *body = cJSON_GetObjectItem(j, "body")->valuestring;
    float p = run(f, title, body, "경제");
    /* 규제자유특구 (0.6) and 중소벤처기업부/중기부 (0.5) both fire */
    assert_true(fabsf(p - (1.0f - 0.4f * 0.5f)) < 1e-5f);
    assert_int_equal(cfd_argmax(f->probs, f->info.n_labels), (uint32_t)label_index(f, "경제"));
    cJSON_Delete(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_korean_matching, setup, teardown),
        cmocka_unit_test_setup_teardown(test_case_and_words, setup, teardown),
        cmocka_unit_test_setup_teardown(test_any_all_and_scores, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unicode_space_around_terms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shipped_rules_on_sample, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
