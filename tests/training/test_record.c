/*
 * Tests for training/record.c: TSV fields cut in place, JSON objects with
 * string or integer labels and the "text" alias, and single records as
 * `predict` reads them (plain text, TSV, JSON, invalid UTF-8 with offset).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "record.h"

static void test_fields_tsv(void **state)
{
    (void)state;
    char line[] = "lab\ttitle\tbody text";
    cfd_fields f;
    cfd_error err;
    assert_int_equal(cfd_fields_tsv(line, strlen("lab\ttitle\tbody text"), 1, &f, &err), 0);
    assert_int_equal(f.label_len, 3);
    assert_string_equal(f.label, "lab"); /* cut in place */
    assert_string_equal(f.title, "title");
    assert_string_equal(f.body, "body text");
    char nolabel[] = "just text";
    assert_int_equal(cfd_fields_tsv(nolabel, 9, 1, &f, &err), CFD_EFORMAT);
    assert_non_null(strstr(err.msg, "no TAB"));
    assert_int_equal(cfd_fields_tsv(nolabel, 9, 0, &f, &err), 0);
    assert_null(f.label);
    assert_string_equal(f.body, "just text");
    /* a desk list exported as CSV: say that the format is the problem */
    char csv[] = "사회,\"이웃땅 경계에 소금 뿌려\"";
    assert_int_equal(cfd_fields_tsv(csv, strlen(csv), 1, &f, &err), CFD_EFORMAT);
    assert_non_null(strstr(err.msg, "no TAB in the line (expected label<TAB>text; a "
                                    "comma-separated (CSV) file is not read: save it as "
                                    "tab-separated text)"));
}

static void test_fields_json(void **state)
{
    (void)state;
    const char *j = "{\"label\": 7, \"title\": \"T\", \"text\": \"B\"}  ";
    cfd_fields f;
    cfd_error err;
    cJSON *json = NULL;
    char tmp[32];
    assert_int_equal(cfd_fields_json(j, strlen(j), 1, &f, tmp, sizeof tmp, &json, &err), 0);
    assert_non_null(json);
    assert_string_equal(f.label, "7");
    assert_string_equal(f.title, "T");
    assert_string_equal(f.body, "B");
    cJSON_Delete(json);
    json = NULL;
    const char *bad = "{\"label\": 1.5, \"body\": \"x\"}";
    assert_int_equal(cfd_fields_json(bad, strlen(bad), 1, &f, tmp, sizeof tmp, &json, &err),
                     CFD_EFORMAT);
    assert_null(json);
    assert_non_null(strstr(err.msg, "neither a string nor an integer"));
}

/* An integer label must be the number in the file: only |n| < 2^53, which a
 * double holds exactly (9007199254740993 used to become "9007199254740992",
 * and 1e300 was converted to long long, which is undefined). */
static void test_fields_json_integer_label_range(void **state)
{
    (void)state;
    static const struct {
        const char *line, *label;
    } cases[] = {
        {"{\"label\": 9007199254740991, \"body\": \"x\"}", "9007199254740991"},
        {"{\"label\": -9007199254740991, \"body\": \"x\"}", "-9007199254740991"},
        {"{\"label\": 1e3, \"body\": \"x\"}", "1000"},
        {"{\"label\": 9007199254740992, \"body\": \"x\"}", NULL},
        {"{\"label\": 9007199254740993, \"body\": \"x\"}", NULL},
        {"{\"label\": -9007199254740993, \"body\": \"x\"}", NULL},
        {"{\"label\": 1e300, \"body\": \"x\"}", NULL},
        {"{\"label\": -1e300, \"body\": \"x\"}", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cfd_fields f;
        cfd_error err;
        cJSON *json = NULL;
        char tmp[32];
        int rc = cfd_fields_json(cases[i].line, strlen(cases[i].line), 1, &f, tmp, sizeof tmp,
                                 &json, &err);
        if (cases[i].label != NULL) {
            assert_int_equal(rc, 0);
            assert_string_equal(f.label, cases[i].label);
            cJSON_Delete(json);
        } else {
            assert_int_equal(rc, CFD_EFORMAT);
            assert_null(json);
            assert_non_null(strstr(err.msg, "below 2^53"));
        }
    }
}

static void test_record_parse(void **state)
{
    (void)state;
    cfd_record r;
    cfd_error err;
    assert_int_equal(cfd_record_parse("plain text", 10, CFD_FORMAT_AUTO, &r, &err), 0);
    assert_null(r.label);
    assert_string_equal(r.body, "plain text");
    cfd_record_clear(&r);
    assert_int_equal(cfd_record_parse("lab\ttext", 8, CFD_FORMAT_AUTO, &r, &err), 0);
    assert_string_equal(r.label, "lab");
    assert_string_equal(r.body, "text");
    cfd_record_clear(&r);
    const char *j = "{\"title\":\"T\",\"body\":\"B\"}";
    assert_int_equal(cfd_record_parse(j, strlen(j), CFD_FORMAT_AUTO, &r, &err), 0);
    assert_null(r.label); /* label optional here */
    assert_string_equal(r.title, "T");
    assert_string_equal(r.body, "B");
    cfd_record_clear(&r);
    assert_int_equal(cfd_record_parse("{oops", 5, CFD_FORMAT_AUTO, &r, &err), CFD_EFORMAT);
    assert_int_equal(cfd_record_parse("ab\xfe", 3, CFD_FORMAT_AUTO, &r, &err), CFD_EUTF8);
    assert_int_equal(err.offset, 2);
    assert_non_null(strstr(err.msg, "byte 2 (column 3 of the line)"));
}

/* A NUL byte inside a line is kept with everything after it, in every
 * format that allows one (the copy is by length, not up to the NUL). */
static void test_record_keeps_nul_bytes(void **state)
{
    (void)state;
    cfd_record r;
    cfd_error err;
    assert_int_equal(cfd_record_parse("lab\tab\0cd", 9, CFD_FORMAT_AUTO, &r, &err), 0);
    assert_string_equal(r.label, "lab");
    assert_int_equal(r.body_len, 5);
    assert_memory_equal(r.body, "ab\0cd", 6); /* and NUL-terminated */
    cfd_record_clear(&r);
    assert_int_equal(cfd_record_plain("x\ty\0z", 5, &r, &err), 0);
    assert_null(r.label);
    assert_string_equal(r.title, "");
    assert_int_equal(r.body_len, 5);
    assert_memory_equal(r.body, "x\ty\0z", 6);
    cfd_record_clear(&r);
    /* JSON: "\u0000" is a space; a raw NUL is refused with its offset */
    const char *j = "{\"body\":\"ab\\u0000cd\"}";
    assert_int_equal(cfd_record_parse(j, strlen(j), CFD_FORMAT_AUTO, &r, &err), 0);
    assert_int_equal(r.body_len, 5);
    assert_string_equal(r.body, "ab cd");
    cfd_record_clear(&r);
    assert_int_equal(cfd_record_parse("{\"body\":\"a\0\"}", 13, CFD_FORMAT_AUTO, &r, &err),
                     CFD_EFORMAT);
    assert_int_equal(err.offset, 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields_tsv),
        cmocka_unit_test(test_fields_json),
        cmocka_unit_test(test_fields_json_integer_label_range),
        cmocka_unit_test(test_record_parse),
        cmocka_unit_test(test_record_keeps_nul_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
