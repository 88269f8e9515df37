/*
 * Tests for daemon/article.c: request bodies -> cfd_article, with the
 * documented error for each kind of bad input (byte offsets included), and
 * NDJSON line iteration.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"

static cfd_article_decoder dec;

static int setup(void **state)
{
    (void)state;
    cfd_article_decoder_init(&dec);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cfd_article_decoder_free(&dec);
    return 0;
}

static int decode(const char *json, cfd_article *a, cfd_error *err)
{
    cfd_error_clear(err);
    return cfd_article_decode_json(&dec, json, strlen(json), 0, a, err);
}

static void test_full_object(void **state)
{
    (void)state;
    cfd_article a;
    cfd_error err;
    const char *j = "{\"id\":\"a1\",\"title\":\"한국은행 금리 동결\",\"body\":\"본문\\n둘째 줄\","
                    "\"plugins\":[\"topic\",\"section\"],\"extra\":{\"ignored\":true}}";
    assert_int_equal(decode(j, &a, &err), 0);
    assert_int_equal(a.id_len, 2);
    assert_memory_equal(a.id, "a1", 2);
    assert_int_equal(a.title_len, strlen("한국은행 금리 동결"));
    assert_memory_equal(a.title, "한국은행 금리 동결", a.title_len);
    assert_int_equal(a.body_len, strlen("본문\n둘째 줄"));
    assert_memory_equal(a.body, "본문\n둘째 줄", a.body_len);
    assert_int_equal(a.n_plugins, 2);
    assert_int_equal(a.plugin_lens[0], 5);
    assert_memory_equal(a.plugins[0], "topic", 5);
    assert_memory_equal(a.plugins[1], "section", 7);
}

/* "explain": how many features a side, 0..CFD_PLUGIN_MAX_TERMS; true is the
 * default count, false and null none; anything else names what it got. */
static void test_explain_field(void **state)
{
    (void)state;
    cfd_article a;
    cfd_error err;
    static const struct { const char *json; uint32_t want; } ok[] = {
        {"{\"body\":\"x\"}", 0},
        {"{\"body\":\"x\",\"explain\":0}", 0},
        {"{\"body\":\"x\",\"explain\":3}", 3},
        {"{\"body\":\"x\",\"explain\":32}", 32},
        {"{\"body\":\"x\",\"explain\":3.0}", 3},
        {"{\"body\":\"x\",\"explain\":true}", CFD_ARTICLE_EXPLAIN_DEFAULT},
        {"{\"body\":\"x\",\"explain\":false}", 0},
        {"{\"body\":\"x\",\"explain\":null}", 0},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_int_equal(decode(ok[i].json, &a, &err), 0);
        assert_int_equal(a.explain, ok[i].want);
    }
    static const struct { const char *json, *got; } bad[] = {
        {"{\"body\":\"x\",\"explain\":33}", "got 33"},
        {"{\"body\":\"x\",\"explain\":-1}", "got -1"},
        {"{\"body\":\"x\",\"explain\":2.5}", "got 2.5"},
        {"{\"body\":\"x\",\"explain\":1e300}", "got 1e+300"},
        {"{\"body\":\"x\",\"explain\":\"yes\"}", "got a string"},
        {"{\"body\":\"x\",\"explain\":[3]}", "got an array"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(decode(bad[i].json, &a, &err), CFD_EINVAL);
        assert_non_null(strstr(err.msg, "\"explain\" must be"));
        if (strstr(err.msg, bad[i].got) == NULL)
            fail_msg("%s: \"%s\" lacks \"%s\"", bad[i].json, err.msg, bad[i].got);
    }
}

static void test_optional_fields(void **state)
{
    (void)state;
    cfd_article a;
    cfd_error err;
    assert_int_equal(decode("  {\"body\":\"only body\",\"id\":null}\r\n", &a, &err), 0);
    assert_null(a.id);
    assert_null(a.plugins);
    assert_int_equal(a.title_len, 0);
    assert_non_null(a.title); /* "" rather than NULL for the engine */
    assert_int_equal(a.body_len, 9);
    assert_int_equal(decode("{\"title\":\"only title\"}", &a, &err), 0);
    assert_int_equal(a.body_len, 0);
    assert_int_equal(a.title_len, 10);
    /* "text" is the body when "body" is absent or empty, as classifyd-train
     * reads JSON lines; "body" wins when it has text */
    assert_int_equal(decode("{\"text\":\"from text\"}", &a, &err), 0);
    assert_int_equal(a.body_len, 9);
    assert_memory_equal(a.body, "from text", 9);
    assert_int_equal(decode("{\"body\":\"\",\"text\":\"from text\"}", &a, &err), 0);
    assert_memory_equal(a.body, "from text", 9);
    assert_int_equal(decode("{\"body\":\"b\",\"text\":\"from text\"}", &a, &err), 0);
    assert_int_equal(a.body_len, 1);
    assert_int_equal(decode("{\"text\":5}", &a, &err), CFD_EINVAL);
}

static void test_invalid_utf8_offset(void **state)
{
    (void)state;
    cfd_article a;
    cfd_error err;
    /* \xc3 at byte 12 starts a bad sequence */
    assert_int_equal(decode("{\"body\": \"ab\xc3\x28" "cd\"}", &a, &err), CFD_EUTF8);
    assert_int_equal(err.offset, 12);
    assert_string_equal(cfd_article_error_code(CFD_EUTF8), "invalid_utf8");
    assert_int_equal(decode("{\"body\": \"\xed\xa0\x80\"}", &a, &err), CFD_EUTF8);
    assert_int_equal(err.offset, 10);
}

static void test_malformed_json_offset(void **state)
{
    (void)state;
    cfd_article a;
    cfd_error err;
    assert_int_equal(decode("{\"body\": \"abc\", }", &a, &err), CFD_EFORMAT);
    assert_true(err.offset >= 10 && err.offset <= 17);
    assert_string_equal(cfd_article_error_code(CFD_EFORMAT), "malformed_json");
    assert_int_equal(decode("{\"body\": \"x", &a, &err), CFD_EFORMAT);
    assert_int_equal(decode("", &a, &err), CFD_EFORMAT);
    assert_int_equal(err.offset, 0);
    /* data after the object */
    assert_int_equal(decode("{\"body\":\"x\"} {\"body\":\"y\"}", &a, &err), CFD_EFORMAT);
    assert_int_equal(err.offset, 13);
}

static int decode_line(const char *json, cfd_article *a, cfd_error *err)
{
    cfd_error_clear(err);
    return cfd_article_decode_json(&dec, json, strlen(json), CFD_ARTICLE_LINE, a, err);
}

/* A body that ends too soon -- a client that counted Content-Length in
 * characters, which for Korean text is a third of the bytes -- was told
 * "invalid UTF-8 ...: send UTF-8 text" when the cut fell inside a character,
 * and "expected a JSON object like ..." at its last byte when it did not:
 * neither said the body was short. Both now say so, with the offset of the
 * end; an error inside the body still gets its own offset. */
static void test_body_that_ends_early(void **state)
{
    (void)state;
    cfd_article a;
    cfd_error err;
    /* {"title":"국회 예산안"} cut inside 안 */
    assert_int_equal(decode("{\"title\":\"국회 예산\xec\x95", &a, &err), CFD_EUTF8);
    assert_int_equal(err.offset, 23);
    assert_non_null(strstr(err.msg, "ends in the middle of a UTF-8 character"));
    assert_non_null(strstr(err.msg, "Content-Length counts bytes, not characters"));
    /* a bad byte that is not at the end is still just invalid */
    assert_int_equal(decode("{\"title\":\"\xec\x95 \"}", &a, &err), CFD_EUTF8);
    assert_int_equal(err.offset, 10);
    assert_null(strstr(err.msg, "ends in the middle"));
    /* cut on a character boundary: inside a string, after a value, after a
     * comma, inside a number, nested */
    static const char *const cut[] = {
        "{\"title\":\"국회 예산",
        "{\"title\":\"국회\"",
        "{\"title\":\"국회\",",
        "{\"title\":\"국회\", ",
        "{\"title\":\"국회\",\"plugins\":[\"topic\"",
        "{\"n\":12",
        "{\"title\":\"a\\",
        "{",
    };
    for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
        assert_int_equal(decode(cut[i], &a, &err), CFD_EFORMAT);
        assert_int_equal(err.offset, strlen(cut[i]));
        assert_non_null(strstr(err.msg, "the body ends"));
    }
    /* errors before the end are not taken for a cut, nor is an open string
     * that is itself the error (where the colon, a comma or a value's end
     * belongs): cJSON stops at its start as it does for one cut short, and
     * the reply said "the body ends", at the end, for a missing colon */
    static const struct {
        const char *json;
        size_t offset;
    } bad[] = {
        {"{\"title\":abc", 9},
        {"{\"title\":\"abc\"x \"", 14},
        {"{'title':'abc'}", 2},
        {"{\"a\":tr", 5},
        {"{\"title\" \"국회", 9},
        {"{\"title\":\"국회\" \"body", 18},
        {"{\"plugins\":[\"topic\" \"sect", 20},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(decode(bad[i].json, &a, &err), CFD_EFORMAT);
        if (err.offset != bad[i].offset || strstr(err.msg, "ends") != NULL)
            fail_msg("%s: offset %zu, %s", bad[i].json, err.offset, err.msg);
    }
}

/* NDJSON lines: an object spread over lines (pretty-printed JSON) is told to
 * go on one line, and data after a line's value is not answered "use
 * application/x-ndjson", which the client already does. A JSON body holding
 * an array of articles is pointed to NDJSON. */
static void test_messages_for_ndjson_lines(void **state)
{
    (void)state;
    cfd_article a;
    cfd_error err;
    assert_int_equal(decode_line("{", &a, &err), CFD_EFORMAT);
    assert_int_equal(err.offset, 1);
    assert_non_null(strstr(err.msg, "put each article on one line"));
    assert_int_equal(decode_line("  \"id\": \"1\",", &a, &err), CFD_EFORMAT);
    assert_int_equal(err.offset, 6);
    assert_non_null(strstr(err.msg, "one article object on each line"));
    assert_null(strstr(err.msg, "x-ndjson"));
    assert_int_equal(decode_line("{\"title\":\"a\xea\xb8", &a, &err), CFD_EUTF8);
    assert_non_null(strstr(err.msg, "the line ends in the middle of a UTF-8 character"));
    assert_int_equal(decode_line("{\"title\":\"국회\"}", &a, &err), 0);
    /* a body */
    assert_int_equal(decode("[{\"title\":\"국회\"},{\"title\":\"야구\"}]", &a, &err), CFD_EINVAL);
    assert_non_null(strstr(err.msg, "application/x-ndjson"));
    assert_int_equal(decode("{\"body\":\"x\"} {\"body\":\"y\"}", &a, &err), CFD_EFORMAT);
    assert_non_null(strstr(err.msg, "application/x-ndjson"));
}

/* Well-formed JSON nested past cJSON's limit: the message said "expected a
 * JSON object like ..." at the offset of the 1001st bracket, as if the
 * bracket were a syntax error. It now names the nesting limit. */
static void test_too_deep_says_so(void **state)
{
    (void)state;
    cfd_article a;
    cfd_error err;
    char *j = malloc(2 * 2000 + 64);
    assert_non_null(j);
    size_t n = (size_t)sprintf(j, "{\"x\":\"[{\\\"\",\"y\":");
    for (int i = 0; i < 1500; i++)
        j[n++] = '[';
    for (int i = 0; i < 1500; i++)
        j[n++] = ']';
    j[n++] = '}';
    j[n] = '\0';
    assert_int_equal(decode(j, &a, &err), CFD_EFORMAT);
    assert_non_null(strstr(err.msg, "nested deeper"));
    /* an ordinary syntax error is not mistaken for depth */
    assert_int_equal(decode("{\"body\": [[[[ }", &a, &err), CFD_EFORMAT);
    assert_null(strstr(err.msg, "nested deeper"));
    free(j);
}

static void test_nul_bytes(void **state)
{
    (void)state;
    cfd_article a;
    cfd_error err;
    const char raw[] = "{\"body\": \"a\0b\"}";
    cfd_error_clear(&err);
    assert_int_equal(cfd_article_decode_json(&dec, raw, sizeof(raw) - 1, 0, &a, &err),
                     CFD_EFORMAT);
    assert_int_equal(err.offset, 11);
    /* the escape is read as a space so nothing after it is lost */
    assert_int_equal(decode("{\"body\": \"a\\u0000b 기사\"}", &a, &err), 0);
    assert_int_equal(a.body_len, strlen("a b 기사"));
    assert_memory_equal(a.body, "a b 기사", a.body_len);
    /* an escaped backslash before u0000 is text, not an escape */
    assert_int_equal(decode("{\"body\": \"a\\\\u0000\"}", &a, &err), 0);
    assert_memory_equal(a.body, "a\\u0000", a.body_len);
}

static void test_wrong_shape(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "[1, 2, 3]",
        "\"just a string\"",
        "42",
        "{\"body\": 42}",
        "{\"title\": [\"x\"], \"body\":\"y\"}",
        "{\"id\": 7, \"body\":\"y\"}",
        "{\"body\": \"x\", \"plugins\": \"topic\"}",
        "{\"body\": \"x\", \"plugins\": [\"topic\", 3]}",
        "{\"body\": \"x\", \"plugins\": []}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cfd_article a;
        cfd_error err;
        assert_int_equal(decode(bad[i], &a, &err), CFD_EINVAL);
        assert_true(strlen(err.msg) > 10);
    }
    assert_string_equal(cfd_article_error_code(CFD_EINVAL), "wrong_shape");
}

static void test_too_many_plugins(void **state)
{
    (void)state;
    char j[1024] = "{\"body\":\"x\",\"plugins\":[";
    for (int i = 0; i <= CFD_ARTICLE_MAX_PLUGINS; i++)
        strcat(j, i ? ",\"p\"" : "\"p\"");
    strcat(j, "]}");
    cfd_article a;
    cfd_error err;
    assert_int_equal(decode(j, &a, &err), CFD_EINVAL);
}

static void test_empty_text(void **state)
{
    (void)state;
    static const char *const empty[] = {
        "{\"title\": \"  \", \"body\": \"\\n\\t \"}",
        "{\"id\": \"only-id\"}",
        "{}",
        "{\"body\": \"\xe3\x80\x80\xc2\xa0\"}", /* U+3000, U+00A0 */
        "{\"title\": null, \"body\": null}",
    };
    for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
        cfd_article a;
        cfd_error err;
        assert_int_equal(decode(empty[i], &a, &err), CFD_EEMPTY);
    }
    assert_string_equal(cfd_article_error_code(CFD_EEMPTY), "empty_text");
}

static void test_text_plain(void **state)
{
    (void)state;
    cfd_article a;
    cfd_error err;
    const char t[] = "가나다 ok \xff\xfe rest";
    assert_int_equal(cfd_article_decode_text(t, sizeof(t) - 1, &a, &err), CFD_EUTF8);
    assert_int_equal(err.offset, 13);
    assert_int_equal(cfd_article_decode_text("", 0, &a, &err), CFD_EEMPTY);
    assert_int_equal(cfd_article_decode_text(" \n", 2, &a, &err), CFD_EEMPTY);
    const char nul[] = "기사\0본문";
    assert_int_equal(cfd_article_decode_text(nul, sizeof(nul) - 1, &a, &err), 0);
    assert_int_equal(a.body_len, sizeof(nul) - 1);
    assert_int_equal(a.title_len, 0);
    assert_null(a.id);
}

static void test_blank(void **state)
{
    (void)state;
    assert_true(cfd_article_blank(NULL, 0));
    assert_true(cfd_article_blank(" \t\r\n", 4));
    assert_true(cfd_article_blank("\xef\xbb\xbf", 3));
    assert_false(cfd_article_blank(" a ", 3));
    assert_false(cfd_article_blank("\xe3\x80", 2)); /* cut U+3000 is not blank */
}

static void test_ndjson_lines(void **state)
{
    (void)state;
    const char body[] = "{\"a\":1}\r\n\n   \n{\"b\":2}\nlast";
    size_t pos = 0, lineno = 0, n;
    const char *line;
    assert_int_equal(cfd_ndjson_next(body, sizeof(body) - 1, &pos, &lineno, &line, &n), 1);
    assert_int_equal(lineno, 1);
    assert_int_equal(n, 7);
    assert_memory_equal(line, "{\"a\":1}", 7);
    assert_int_equal(cfd_ndjson_next(body, sizeof(body) - 1, &pos, &lineno, &line, &n), 1);
    assert_int_equal(lineno, 4);
    assert_memory_equal(line, "{\"b\":2}", 7);
    assert_int_equal(cfd_ndjson_next(body, sizeof(body) - 1, &pos, &lineno, &line, &n), 1);
    assert_int_equal(lineno, 5);
    assert_int_equal(n, 4);
    assert_int_equal(cfd_ndjson_next(body, sizeof(body) - 1, &pos, &lineno, &line, &n), 0);
    pos = lineno = 0;
    assert_int_equal(cfd_ndjson_next("\n\n", 2, &pos, &lineno, &line, &n), 0);
}

/* The decoder is reused: a later decode must not see an earlier tree. */
static void test_reuse(void **state)
{
    (void)state;
    cfd_article a;
    cfd_error err;
    assert_int_equal(decode("{\"body\":\"x\",\"plugins\":[\"topic\"]}", &a, &err), 0);
    assert_int_equal(a.n_plugins, 1);
    assert_int_equal(decode("{\"body\":\"y\"}", &a, &err), 0);
    assert_int_equal(a.n_plugins, 0);
    assert_null(a.plugins);
    assert_memory_equal(a.body, "y", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_object),
        cmocka_unit_test(test_optional_fields),
        cmocka_unit_test(test_explain_field),
        cmocka_unit_test(test_invalid_utf8_offset),
        cmocka_unit_test(test_malformed_json_offset),
        cmocka_unit_test(test_body_that_ends_early),
        cmocka_unit_test(test_messages_for_ndjson_lines),
        cmocka_unit_test(test_too_deep_says_so),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_wrong_shape),
        cmocka_unit_test(test_too_many_plugins),
        cmocka_unit_test(test_empty_text),
        cmocka_unit_test(test_text_plain),
        cmocka_unit_test(test_blank),
        cmocka_unit_test(test_ndjson_lines),
        cmocka_unit_test(test_reuse),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
