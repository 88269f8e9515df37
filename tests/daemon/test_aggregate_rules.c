/*
 * Tests for the aggregation rules file (daemon/aggregate_rules.c): the
 * check of loaded rules against the running plugins, the INI loader's
 * errors with file:line, the script check's keys, and the shipped
 * models/aggregate.conf loading cleanly and deciding sensibly. The
 * decision itself is tested in test_aggregate.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate_test_util.h"
#include "tokenize.h"

static void warn_collect(void *ud, const char *msg)
{
    cfd_buf *b = ud;
    cfd_buf_puts(b, msg);
    cfd_buf_putc(b, '\n');
}

/* The rules checked against the plugins that run and their labels: each
 * kind of mismatch is one warning that names the fix; a fitting file none. */
static void test_check_against_plugins(void **state)
{
    (void)state;
    cfd_agg_rules *r = parse("[decision]\n"
                             "section_plugin = section\n"
                             "negative_plugin = sentiment\n"
                             "negative_label = negative\n"
                             "negative_min = 0.8\n"
                             "[evidence.topic]\n"
                             "weight = 0.5\n"
                             "IT과학 = 경제\n"
                             "생활문화 = -   ; ignored: no section to check\n"
                             "[evidence.rules]\n"
                             "weight = 0.5\n"
                             "속보 = -   ; a tag, not a section\n");
    cfd_agg_result ok[] = {{"section", sec_labels, 3, NULL},
                           {"topic", top_labels, 4, NULL},
                           {"rules", rule_labels, 2, NULL},
                           {"sentiment", sent_labels, 3, NULL}};
    cfd_buf b = CFD_BUF_INIT;
    assert_int_equal(cfd_agg_check(r, ok, 4, warn_collect, &b), 0);
    assert_int_equal(b.len, 0);
    /* a model not loaded yet (labels NULL) is not a mismatch */
    cfd_agg_result noload[] = {{"section", NULL, 0, NULL}, {"topic", NULL, 0, NULL},
                               {"rules", rule_labels, 2, NULL},
                               {"sentiment", sent_labels, 3, NULL}};
    assert_int_equal(cfd_agg_check(r, noload, 4, warn_collect, &b), 0);
    cfd_agg_free(r);

    r = parse("[decision]\n"
              "section_plugin = sectoin\n"
              "negative_plugin = sentiment\n"
              "negative_label = negativ\n"
              "negative_min = 0.8\n"
              "[evidence.topic]\n"
              "wieght = 0.8\n"
              "[evidence.desk]\n"
              "weight = 0.3\n");
    assert_int_equal(cfd_agg_check(r, ok, 4, warn_collect, &b), 4);
    assert_non_null(strstr(b.data, "section_plugin = sectoin: no such plugin is running"));
    assert_non_null(strstr(b.data, "[evidence.topic] \"wieght = 0.8\": topic's model has no "
                                   "label \"wieght\""));
    assert_non_null(strstr(b.data, "[evidence.desk]: no plugin desk is running"));
    assert_non_null(strstr(b.data, "negative_label = negativ: sentiment's model has no such "
                                   "label"));
    cfd_agg_free(r);

    /* a target that is not a section label */
    cfd_buf_reset(&b);
    r = parse("[evidence.topic]\n경제 = 경재\nIT과학 = -\n생활문화 = -\n");
    assert_int_equal(cfd_agg_check(r, ok, 4, warn_collect, &b), 1);
    assert_non_null(strstr(b.data, "the section model (section) has no label \"경재\""));
    cfd_agg_free(r);
    cfd_buf_free(&b);
}

/* A section model retrained on a newsroom's own desks has other labels:
 * same_names then maps topic's 세계 or the rules' IT과학 to nothing, and the
 * evidence they gave is gone without a word. One warning per evidence block
 * names those labels; an explicit mapping, "-" included, or same_names = no
 * says the editor knows. */
static void test_check_same_names_unmatched(void **state)
{
    (void)state;
    static const char *const desks[] = {"IT", "경제", "국제", "사회", "정치", "증권"};
    static const char *const topic7[] = {"IT과학", "경제", "사회", "생활문화",
                                         "세계", "스포츠", "정치"};
    cfd_agg_result res[] = {{"section", desks, 6, NULL},
                            {"topic", topic7, 7, NULL},
                            {"rules", rule_labels, 2, NULL}};
    cfd_buf b = CFD_BUF_INIT;
    cfd_agg_rules *r = parse("[evidence.topic]\nweight = 0.5\n"
                             "[evidence.rules]\nweight = 0.8\n");
    assert_int_equal(cfd_agg_check(r, res, 3, warn_collect, &b), 2);
    assert_non_null(strstr(b.data, "test.conf: [evidence.topic]: topic labels IT과학 생활문화 "
                                   "세계 스포츠 (4 of 7) have no section of that name in the "
                                   "section model (section), so same_names maps them to "
                                   "nothing"));
    assert_non_null(strstr(b.data, "[evidence.rules]: rules labels 속보 (1 of 2)"));
    assert_non_null(strstr(b.data, "(\"LABEL = -\")"));
    cfd_agg_free(r);

    /* mapped, ignored on purpose, or same_names off: no warning */
    cfd_buf_reset(&b);
    r = parse("[evidence.topic]\nIT과학 = IT\n세계 = 국제\n생활문화 = -\n스포츠 = -\n"
              "[evidence.rules]\nsame_names = no\n경제 = 경제\n");
    assert_int_equal(cfd_agg_check(r, res, 3, warn_collect, &b), 0);
    assert_int_equal(b.len, 0);
    cfd_agg_free(r);
    cfd_buf_free(&b);
}

static void expect_error(const char *text, const char *needle)
{
    cfd_agg_rules *r = (cfd_agg_rules *)1;
    cfd_error err;
    assert_int_equal(cfd_agg_parse(text, "bad.conf", &r, &err), CFD_EFORMAT);
    assert_null(r);
    if (strstr(err.msg, needle) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_error("[decision]\nmin_probability = 1.5\n", "bad.conf:2: bad value \"1.5\"");
    expect_error("[decision]\n\nfoo = 1\n", "bad.conf:3: unknown key \"foo\"");
    expect_error("[nonsense]\nx = 1\n", "bad.conf:2: unknown section [nonsense]");
    expect_error("[evidence.Topic!]\nweight = 1\n", "bad section");
    expect_error("[evidence.topic]\nweight = abc\n", "bad weight");
    expect_error("[evidence.topic]\n경제 = 경제\n경제 = 사회\n", "bad.conf:3: label \"경제\" mapped twice");
    expect_error("[evidence.topic]\nsame_names = maybe\n", "bad same_names");
    expect_error("[evidence.topic]\n경제 =\n", "bad.conf:2: label \"경제\" in [evidence.topic] "
                                                "maps to nothing");
    /* at most 16 evidence blocks */
    char many[1024];
    size_t ml = 0;
    for (int k = 0; k < 17; k++)
        ml += (size_t)snprintf(many + ml, sizeof many - ml, "[evidence.p%d]\nweight = 1\n", k);
    expect_error(many, "bad.conf:34: bad section [evidence.p16]");
    many[ml - strlen("[evidence.p16]\nweight = 1\n")] = '\0';
    cfd_agg_free(parse(many));
    expect_error("[decision]\nsection_plugin = ../x\n", "bad value");
    expect_error("[decision\n", "bad.conf:1: syntax error");
    expect_error("[decision]\nmin_probability = 0.5\x7f\n", "bad.conf:2:22: control character 0x7f");
    expect_error("[evidence.topic]\nweight = 1e-400\n", "bad weight");
    /* the second of two settings would silently win */
    expect_error("[decision]\nmin_probability = 0.5\nmin_probability = 0.7\n",
                 "bad.conf:3: min_probability set twice in [decision]");
    expect_error("[evidence.topic]\nweight = 0.5\n경제 = 경제\nweight = 0.7\n",
                 "bad.conf:4: weight set twice in [evidence.topic]");
    expect_error("[evidence.topic]\ndisagree_min = 0.6\n  weight = 0.5\n",
                 "bad.conf:3: the line is indented");
    /* the ends of the ranges are allowed: probabilities up to 1, weights
     * up to 100, a negative_label up to 127 bytes */
    cfd_agg_rules *ends = parse("[decision]\nmin_probability = 1\nmin_margin = 1\n"
                                "negative_min = 1\n[evidence.topic]\nweight = 100\n"
                                "disagree_min = 1\n");
    cfd_agg_free(ends);
    expect_error("[evidence.topic]\nweight = 100.001\n", "bad weight");
    char conf[400];
    snprintf(conf, sizeof conf, "[decision]\nnegative_label = %0127d\n", 0);
    ends = parse(conf);
    cfd_agg_free(ends);
    snprintf(conf, sizeof conf, "[decision]\nnegative_label = %0128d\n", 0);
    expect_error(conf, "bad value");
    /* indented comments and blank lines are fine */
    cfd_agg_rules *ok = parse("[evidence.topic]\n  ; a note\n   \n\t# another\nweight = 0.5\n");
    cfd_agg_free(ok);

    /* A file with no settings would silently drop every plugin's evidence. */
    cfd_agg_rules *e = (cfd_agg_rules *)1;
    cfd_error eerr;
    assert_int_equal(cfd_agg_parse("; only a comment\n\n", "empty.conf", &e, &eerr),
                     CFD_EEMPTY);
    assert_null(e);
    assert_non_null(strstr(eerr.msg, "empty.conf: no rules"));

    cfd_agg_rules *r;
    cfd_error err;
    assert_int_equal(cfd_agg_load("/nonexistent/agg.conf", &r, &err), CFD_ENOENT);
    assert_int_equal(cfd_agg_default(&r, &err), 0);
    assert_string_equal(cfd_agg_source(r), "built-in");
    cfd_agg_free(r);
    /* The line named is the one whose problem is printed (libinih goes on
     * after an error and returns the first error's line). */
    expect_error("[decision]\nthis line has no equals\nmin_probability = 7\n",
                 "bad.conf:2: syntax error");
    expect_error("[decision]\nmin_probability = 0.5\n[evidence.topic]\nweight = 0.5\n"
                 "nonsense\n[evidence.topic]\nweight = 0.7\n",
                 "bad.conf:5: syntax error");
    expect_error("[decision]\nmin_probability = 7\nnonsense\nmin_margin = 9\n",
                 "bad.conf:2: bad value \"7\" for min_probability");
}

/* unfamiliar_script: the share of the article's letters (code points by
 * token class, as cfd_featurizer_letters gives them) in the configured
 * script. */
/* The script check's keys: bad values, a key set twice, one without the
 * other. */
static void test_script_keys(void **state)
{
    (void)state;
    expect_error("[decision]\nscript = korean\n",
                 "bad.conf:2: bad value \"korean\" for script (expected hangul, han, latin or "
                 "other, or several separated by commas: hangul, latin)");
    /* A list: every name must be a script, and it must name one. */
    expect_error("[decision]\nscript = hangul, english\n",
                 "bad.conf:2: bad value \"hangul, english\" for script");
    expect_error("[decision]\nscript = hangullatin\n",
                 "bad.conf:2: bad value \"hangullatin\" for script");
    expect_error("[decision]\nscript = ,\n", "bad.conf:2: bad value \",\" for script");
    expect_error("[decision]\nmin_script_share = 1.5\n", "bad.conf:2: bad value \"1.5\"");
    expect_error("[decision]\nscript = han\nscript = hangul\n",
                 "bad.conf:3: script set twice in [decision]");
    expect_error("[decision]\nmin_script_share = 0.3\n",
                 "bad.conf: min_script_share is set but script is not");
}

static void test_shipped_conf(void **state)
{
    (void)state;
    cfd_agg_rules *r;
    cfd_error err;
    if (cfd_agg_load(CFD_SOURCE_DIR "/models/aggregate.conf", &r, &err) != 0)
        fail_msg("%s", err.msg);
    /* It must do something sensible with a clear-cut article. */
    static const char *const s8[] = {"정치", "경제", "사회", "생활문화", "세계", "IT과학",
                                     "연예", "스포츠"};
    float sec[] = {0.02f, 0.90f, 0.02f, 0.02f, 0.01f, 0.01f, 0.01f, 0.01f};
    float top[] = {0.85f, 0.05f, 0.05f, 0.05f};
    cfd_agg_result res[] = {{"section", s8, 8, sec}, {"topic", top_labels, 4, top}};
    float scratch[8];
    cfd_agg_decision d;
    cfd_agg_decide(r, res, 2, NULL, scratch, &d);
    assert_string_equal(d.section, "경제");
    assert_false(d.review);
    /* The default models learned from Korean: English text goes to review. */
    assert_true(cfd_agg_wants_letters(r));
    uint64_t n[CFD_TOK_CLASSES] = {0};
    n[CFD_TOK_LATIN] = 28; /* "Dollar gains on Greenspan speech" */
    cfd_agg_decide(r, res, 2, n, scratch, &d);
    assert_true(d.review);
    assert_true(has_reason(&d, "unfamiliar_script: hangul is 0.00"));
    cfd_agg_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_against_plugins),
        cmocka_unit_test(test_check_same_names_unmatched),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_script_keys),
        cmocka_unit_test(test_shipped_conf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
