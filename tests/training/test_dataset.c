/*
 * Tests for training/dataset.c: TSV and JSON-lines reading, format
 * detection, label sorting and pinning, sha256 of the file, and every input
 * error naming file and line (and byte offset for invalid UTF-8).
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

#include "dataset.h"
#include "tmpdir.h"

static char g_dir[64];

static int setup(void **state)
{
    (void)state;
    return cfd_test_tmpdir(g_dir, sizeof g_dir, "dataset");
}

static int teardown(void **state)
{
    (void)state;
    return cfd_test_rmtree(g_dir);
}

#define WRITE(name, lit) cfd_test_write(g_dir, name, lit, sizeof(lit) - 1)

static void test_tsv_basic(void **state)
{
    (void)state;
    const char *p = WRITE("a.tsv", "b\thello\na\tworld\n");
    cfd_dataset *ds = NULL;
    cfd_error err;
    assert_int_equal(cfd_dataset_load(p, CFD_FORMAT_AUTO, NULL, 0, &ds, &err), 0);
    assert_int_equal(ds->format, CFD_FORMAT_TSV);
    assert_int_equal(ds->n, 2);
    assert_int_equal(ds->n_labels, 2);
    /* labels sorted bytewise, not in order of appearance */
    assert_string_equal(ds->labels[0], "a");
    assert_string_equal(ds->labels[1], "b");
    assert_int_equal(ds->ex[0].label, 1);
    assert_int_equal(ds->ex[1].label, 0);
    assert_string_equal(ds->ex[0].body, "hello");
    assert_int_equal(ds->ex[0].body_len, 5);
    assert_string_equal(ds->ex[0].title, "");
    assert_int_equal(ds->ex[1].line, 2);
    assert_string_equal(ds->sha256_hex,
                        "dee983a2d80c4f3d99eef82df7538f5e5aba74532ea450be65a2c35f568cd0de");
    assert_int_equal(cfd_dataset_label_index(ds, "b"), 1);
    assert_int_equal(cfd_dataset_label_index(ds, "c"), -1);
    cfd_dataset_free(ds);
}

static void test_tsv_crlf_blank_title_body(void **state)
{
    (void)state;
    const char *p = WRITE("b.tsv", "x\t제목\t본문 내용\r\n\r\n   \ny\t한국어 텍스트");
    cfd_dataset *ds = NULL;
    cfd_error err;
    assert_int_equal(cfd_dataset_load(p, CFD_FORMAT_AUTO, NULL, 0, &ds, &err), 0);
    assert_int_equal(ds->n, 2);
    assert_string_equal(ds->ex[0].title, "제목");
    assert_string_equal(ds->ex[0].body, "본문 내용"); /* CR stripped */
    assert_int_equal(ds->ex[0].body_len, strlen("본문 내용"));
    assert_string_equal(ds->ex[1].body, "한국어 텍스트"); /* no final newline */
    assert_int_equal(ds->ex[1].line, 4);                  /* blank lines counted */
    cfd_dataset_free(ds);
}

static void test_bom(void **state)
{
    (void)state;
    const char *p = WRITE("bom.data", "\xEF\xBB\xBF{\"label\":\"a\",\"body\":\"x\"}\n");
    cfd_dataset *ds = NULL;
    cfd_error err;
    assert_int_equal(cfd_dataset_load(p, CFD_FORMAT_AUTO, NULL, 0, &ds, &err), 0);
    assert_int_equal(ds->format, CFD_FORMAT_JSONL);
    cfd_dataset_free(ds);
    p = WRITE("bom.tsv", "\xEF\xBB\xBF정치\tx\n");
    assert_int_equal(cfd_dataset_load(p, CFD_FORMAT_AUTO, NULL, 0, &ds, &err), 0);
    assert_string_equal(ds->labels[0], "정치");
    cfd_dataset_free(ds);
}

static void test_jsonl(void **state)
{
    (void)state;
    const char *p = WRITE("c.jsonl",
                          "{\"label\":\"경제\",\"title\":\"금리 인상\",\"body\":\"한국은행이\"}\n"
                          "{\"label\":3,\"text\":\"only text\",\"extra\":[1,2]}\n"
                          "{\"label\":\"경제\",\"title\":\"t\\u00e9\",\"body\":null}\n");
    cfd_dataset *ds = NULL;
    cfd_error err;
    assert_int_equal(cfd_dataset_load(p, CFD_FORMAT_AUTO, NULL, 0, &ds, &err), 0);
    assert_int_equal(ds->format, CFD_FORMAT_JSONL);
    assert_int_equal(ds->n, 3);
    assert_int_equal(ds->n_labels, 2);
    assert_string_equal(ds->labels[0], "3"); /* integer label as decimal text */
    assert_string_equal(ds->labels[1], "경제");
    assert_string_equal(ds->ex[0].title, "금리 인상");
    assert_string_equal(ds->ex[0].body, "한국은행이");
    assert_string_equal(ds->ex[1].body, "only text");
    assert_string_equal(ds->ex[2].title, "té");
    assert_int_equal(ds->ex[2].body_len, 0);
    cfd_dataset_free(ds);
}

/*
 * Lead copies: after each body longer than n characters, a copy cut at the
 * last space among characters n-20 .. n-1 (else at n), counting a Hangul
 * syllable as one character; titles are kept; shorter bodies get none; the
 * group of a copy is its article's index.
 */
static void test_lead_copies(void **state)
{
    (void)state;
    /* body 1: 25 syllables, spaces after characters 4, 9, 14 and 19 (0-based
     * indexes 4, 9, 14, 19 hold the spaces); body 2: 24 characters, no space;
     * body 3: 10 characters (not longer than 22) */
    const char *p = WRITE("leads.tsv",
                          "a\t가나다라 마바사아 자차카타 파하가나 다라마바사\n"
                          "b\tabcdefghijklmnopqrstuvwx\n"
                          "a\t짧은 본문이에요요\n");
    cfd_dataset *ds = NULL;
    cfd_error err;
    assert_int_equal(cfd_dataset_load(p, CFD_FORMAT_AUTO, NULL, 0, &ds, &err), 0);
    assert_int_equal(ds->n, 3);
    assert_null(ds->group);
    assert_int_equal(cfd_dataset_add_leads(ds, 22), 0);
    assert_int_equal(ds->n, 5);
    /* the article, then its lead: the last space before character 22 is
     * index 19, so the lead is the first 19 characters */
    assert_string_equal(ds->ex[0].body, "가나다라 마바사아 자차카타 파하가나 다라마바사");
    assert_string_equal(ds->ex[1].body, "가나다라 마바사아 자차카타 파하가나");
    assert_int_equal(ds->ex[1].body_len, strlen("가나다라 마바사아 자차카타 파하가나"));
    assert_int_equal(ds->ex[1].label, ds->ex[0].label);
    /* no space among characters 2..21: cut at 22 characters */
    assert_string_equal(ds->ex[2].body, "abcdefghijklmnopqrstuvwx");
    assert_string_equal(ds->ex[3].body, "abcdefghijklmnopqrstuv");
    assert_string_equal(ds->ex[4].body, "짧은 본문이에요요");
    const uint32_t want_group[] = {0, 0, 2, 2, 4};
    assert_memory_equal(ds->group, want_group, sizeof want_group);
    assert_int_equal(cfd_dataset_add_leads(ds, 22), CFD_EINVAL); /* only once */
    cfd_dataset_free(ds);

    /* JSON lines: the title stays, the body is cut */
    p = WRITE("leads.jsonl", "{\"label\":\"x\",\"title\":\"제목\",\"body\":\"one two three four\"}\n"
                             "{\"label\":\"y\",\"body\":\"short\"}\n");
    assert_int_equal(cfd_dataset_load(p, CFD_FORMAT_AUTO, NULL, 0, &ds, &err), 0);
    assert_int_equal(cfd_dataset_add_leads(ds, 0), CFD_EINVAL);
    assert_int_equal(cfd_dataset_add_leads(ds, 10), 0);
    assert_int_equal(ds->n, 3);
    assert_string_equal(ds->ex[1].title, "제목");
    assert_string_equal(ds->ex[1].body, "one two"); /* last space before character 10 */
    cfd_dataset_free(ds);
}

static void test_detect_by_content(void **state)
{
    (void)state;
    const char *p = WRITE("d.data", "\n  {\"label\":\"a\",\"body\":\"x\"}\n");
    cfd_dataset *ds = NULL;
    cfd_error err;
    assert_int_equal(cfd_dataset_load(p, CFD_FORMAT_AUTO, NULL, 0, &ds, &err), 0);
    assert_int_equal(ds->format, CFD_FORMAT_JSONL);
    cfd_dataset_free(ds);
    p = WRITE("e.data", "a\t{not json}\n");
    assert_int_equal(cfd_dataset_load(p, CFD_FORMAT_AUTO, NULL, 0, &ds, &err), 0);
    assert_int_equal(ds->format, CFD_FORMAT_TSV);
    assert_string_equal(ds->ex[0].body, "{not json}");
    cfd_dataset_free(ds);
    /* a forced format wins over the extension */
    p = WRITE("f.tsv", "{\"label\":\"a\",\"body\":\"x\"}\n");
    assert_int_equal(cfd_dataset_load(p, CFD_FORMAT_JSONL, NULL, 0, &ds, &err), 0);
    assert_string_equal(ds->labels[0], "a");
    cfd_dataset_free(ds);
}

static void test_fixed_labels(void **state)
{
    (void)state;
    const char *labels[] = {"z", "a"};
    const char *p = WRITE("g.tsv", "a\tone\nz\ttwo\n");
    cfd_dataset *ds = NULL;
    cfd_error err;
    assert_int_equal(cfd_dataset_load(p, CFD_FORMAT_AUTO, labels, 2, &ds, &err), 0);
    assert_string_equal(ds->labels[0], "z"); /* the given order is kept */
    assert_int_equal(ds->ex[0].label, 1);
    assert_int_equal(ds->ex[1].label, 0);
    cfd_dataset_free(ds);
    p = WRITE("h.tsv", "a\tone\nq\ttwo\n");
    assert_int_equal(cfd_dataset_load(p, CFD_FORMAT_AUTO, labels, 2, &ds, &err), CFD_EFORMAT);
    assert_null(ds);
    assert_non_null(strstr(err.msg, "h.tsv:2:"));
    assert_non_null(strstr(err.msg, "\"q\""));
}

/* Loads bytes and expects an error code and message fragments. */
static void expect_error(const char *name, const char *bytes, size_t len, int code,
                         const char *frag1, const char *frag2)
{
    const char *p = cfd_test_write(g_dir, name, bytes, len);
    cfd_dataset *ds = (cfd_dataset *)1;
    cfd_error err;
    cfd_error_clear(&err);
    assert_int_equal(cfd_dataset_load(p, CFD_FORMAT_AUTO, NULL, 0, &ds, &err), code);
    assert_null(ds);
    assert_int_equal(err.code, code);
    if (strstr(err.msg, frag1) == NULL || (frag2 && strstr(err.msg, frag2) == NULL))
        fail_msg("message \"%s\" lacks \"%s\" / \"%s\"", err.msg, frag1, frag2 ? frag2 : "");
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("empty.tsv", "", 0, CFD_EEMPTY, "empty.tsv: the file is empty", NULL);
    expect_error("blank.tsv", "\n\n", 2, CFD_EEMPTY, "blank.tsv: no example", NULL);
    expect_error("notab.tsv", "a\tok\nno tab here\n", 16, CFD_EFORMAT, "notab.tsv:2:",
                 "no TAB");
    expect_error("nolabel.tsv", "\ttext\n", 6, CFD_EFORMAT, "nolabel.tsv:1:", "empty label");
    expect_error("notext.tsv", "a\tx\nb\t\n", 7, CFD_EFORMAT, "notext.tsv:2:", "no text");
    expect_error("four.tsv", "a\tb\tc\td\n", 8, CFD_EFORMAT, "four.tsv:1:", "three");
    /* invalid UTF-8: 0xff at byte 10 of the file, column 4 of line 2 */
    expect_error("utf8.tsv", "a\tgood\nb\tx\xff\n", 12, CFD_EUTF8, "utf8.tsv:2:",
                 "invalid UTF-8 at byte 10 (column 4");
    /* overlong encoding and a lone surrogate */
    expect_error("overlong.tsv", "a\t\xc0\xaf\n", 5, CFD_EUTF8, "overlong.tsv:1:", "byte 2");
    expect_error("surr.tsv", "a\t\xed\xa0\x80\n", 6, CFD_EUTF8, "surr.tsv:1:", "byte 2");
    expect_error("bad.jsonl", "{\"label\":\"a\",\"body\":\"x\"}\n{\"label\":\"a\",\"body\":}\n", 48,
                 CFD_EFORMAT, "bad.jsonl:2:", "invalid JSON");
    expect_error("trail.jsonl", "{\"label\":\"a\",\"body\":\"x\"} x\n", 28, CFD_EFORMAT,
                 "trail.jsonl:1:", "after the JSON object");
    expect_error("nolab.jsonl", "{\"body\":\"x\"}\n", 13, CFD_EFORMAT, "nolab.jsonl:1:",
                 "\"label\" is missing or null");
    expect_error("nulllab.jsonl", "{\"label\":null,\"body\":\"x\"}\n", 26, CFD_EFORMAT,
                 "nulllab.jsonl:1:", "\"label\" is missing or null");
    /* JSON lines get messages in JSON's terms, not TSV's */
    expect_error("emptylab.jsonl", "{\"label\":\"\",\"body\":\"x\"}\n", 24, CFD_EFORMAT,
                 "emptylab.jsonl:1:", "empty label (\"label\" is \"\")");
    expect_error("notext.jsonl", "{\"label\":\"a\"}\n", 14, CFD_EFORMAT, "notext.jsonl:1:",
                 "\"title\", \"body\" and \"text\" are all missing or empty");
    /* JSON in a .tsv file: the message says which option reads it */
    expect_error("json.tsv", "{\"label\":\"a\",\"body\":\"x\"}\n", 25, CFD_EFORMAT,
                 "json.tsv:1:", "looks like JSON: give --format jsonl");
    /* a raw NUL byte is not JSON (the daemon's rule too), with its column */
    expect_error("rawnul.jsonl", "{\"label\":\"a\",\"body\":\"x\0y\"}\n", 27, CFD_EFORMAT,
                 "rawnul.jsonl:1:", "raw NUL byte at column 23");
    expect_error("arr.jsonl", "[1,2]\n", 6, CFD_EFORMAT, "arr.jsonl:1:", "not an object");
    expect_error("type.jsonl", "{\"label\":\"a\",\"body\":5}\n", 23, CFD_EFORMAT,
                 "type.jsonl:1:", "\"body\" is not a string");
    expect_error("ctl.tsv", "a\x01\tx\n", 5, CFD_EFORMAT, "ctl.tsv:1:", "control character");
    expect_error("space.tsv", "경제\tx\n경제 \ty\n", 19, CFD_EFORMAT, "space.tsv:2:",
                 "starts or ends with a space");
    /* a byte order mark in the middle (two exports concatenated) */
    expect_error("bom2.tsv", "경제\tx\n\xef\xbb\xbf경제\ty\n", 21, CFD_EFORMAT, "bom2.tsv:2:",
                 "byte order mark");
}

/* "\u0000" is read as a space, as the daemon reads it (core/json_nul.h):
 * the text after it is kept, not cut off by cJSON's NUL-terminated strings. */
static void test_json_nul_escape(void **state)
{
    (void)state;
    const char *p = WRITE("nul.jsonl", "{\"label\":\"a\",\"body\":\"ab\\u0000cd\"}\n"
                                       "{\"label\":\"b\",\"body\":\"x\\\\u0000\"}\n");
    cfd_dataset *ds = NULL;
    cfd_error err;
    assert_int_equal(cfd_dataset_load(p, CFD_FORMAT_AUTO, NULL, 0, &ds, &err), 0);
    assert_int_equal(ds->ex[0].body_len, 5);
    assert_memory_equal(ds->ex[0].body, "ab cd", 5);
    /* an escaped backslash before it: the text \u0000, left alone */
    assert_int_equal(ds->ex[1].body_len, 7);
    assert_memory_equal(ds->ex[1].body, "x\\u0000", 7);
    cfd_dataset_free(ds);
}

/* More labels than the message has room for: as many as fit, then "...". */
static void test_unknown_label_lists_what_fits(void **state)
{
    (void)state;
    char names[40][32];
    const char *labels[40];
    for (int i = 0; i < 40; i++) {
        snprintf(names[i], sizeof names[i], "label-number-%02d", i);
        labels[i] = names[i];
    }
    const char *p = WRITE("many.tsv", "label-number-00\tx\nnot-a-label\ty\n");
    cfd_dataset *ds = NULL;
    cfd_error err;
    assert_int_equal(cfd_dataset_load(p, CFD_FORMAT_AUTO, labels, 40, &ds, &err), CFD_EFORMAT);
    assert_non_null(strstr(err.msg, "many.tsv:2:"));
    assert_non_null(strstr(err.msg, "not one of the 40 known labels (label-number-00, "));
    assert_non_null(strstr(err.msg, ", ...)"));
    assert_null(strstr(err.msg, "label-number-39"));
    /* all fit: no "..." */
    const char *two[] = {"a", "b"};
    p = WRITE("two.tsv", "c\tx\n");
    assert_int_equal(cfd_dataset_load(p, CFD_FORMAT_AUTO, two, 2, &ds, &err), CFD_EFORMAT);
    assert_non_null(strstr(err.msg, "not one of the 2 known labels (a, b)"));
}

static void test_json_surrogate_escape(void **state)
{
    (void)state;
    const char *p = WRITE("esc.jsonl", "{\"label\":\"a\",\"body\":\"\\ud800\"}\n");
    cfd_dataset *ds = NULL;
    cfd_error err;
    int rc = cfd_dataset_load(p, CFD_FORMAT_AUTO, NULL, 0, &ds, &err);
    /* cJSON rejects the lone surrogate itself, or we reject its bytes */
    assert_true(rc == CFD_EFORMAT || rc == CFD_EUTF8);
    assert_null(ds);
    assert_non_null(strstr(err.msg, "esc.jsonl:1:"));
}

static void test_missing_file(void **state)
{
    (void)state;
    cfd_dataset *ds = NULL;
    cfd_error err;
    char path[128];
    snprintf(path, sizeof path, "%s/nope.tsv", g_dir);
    assert_int_equal(cfd_dataset_load(path, CFD_FORMAT_AUTO, NULL, 0, &ds, &err), CFD_ENOENT);
    assert_non_null(strstr(err.msg, "nope.tsv: cannot open"));
    assert_int_equal(cfd_dataset_load(g_dir, CFD_FORMAT_AUTO, NULL, 0, &ds, &err), CFD_EIO);
    assert_non_null(strstr(err.msg, "not a regular file"));
}

static void test_format_names(void **state)
{
    (void)state;
    enum cfd_data_format f;
    assert_int_equal(cfd_data_format_parse("tsv", &f), 0);
    assert_int_equal(f, CFD_FORMAT_TSV);
    assert_int_equal(cfd_data_format_parse("jsonl", &f), 0);
    assert_int_equal(f, CFD_FORMAT_JSONL);
    assert_int_equal(cfd_data_format_parse("csv", &f), CFD_EINVAL);
    assert_string_equal(cfd_data_format_name(CFD_FORMAT_JSONL), "jsonl");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tsv_basic),
        cmocka_unit_test(test_tsv_crlf_blank_title_body),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_jsonl),
        cmocka_unit_test(test_lead_copies),
        cmocka_unit_test(test_detect_by_content),
        cmocka_unit_test(test_fixed_labels),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_json_nul_escape),
        cmocka_unit_test(test_unknown_label_lists_what_fits),
        cmocka_unit_test(test_json_surrogate_escape),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_format_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
