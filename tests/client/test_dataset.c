/*
 * Tests for client/dataset.c: data files (TSV, JSONL) -> the article objects
 * classifyctl batch and classifyd-bench send, with gold labels and per-line
 * errors.
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
#include <cjson/cJSON.h>

#include "dataset.h"

/* Writes `content` to a new temporary file whose name ends in `suffix`. */
static char *write_tmp(const char *suffix, const char *content, size_t len)
{
    char *path = malloc(64);
    snprintf(path, 64, "/tmp/cfd-dataset-XXXXXX%s", suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, len), (ssize_t)len);
    close(fd);
    return path;
}

static cJSON *parse(const cfd_record *r)
{
    assert_non_null(r->json);
    assert_int_equal(strlen(r->json), r->json_len);
    assert_null(memchr(r->json, '\n', r->json_len)); /* one NDJSON line */
    cJSON *o = cJSON_Parse(r->json);
    assert_non_null(o);
    return o;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_tsv(void **state)
{
    (void)state;
    static const char data[] = "경제\t코스피가 \"2%\" 올랐다\r\n"
                               "\n"
                               "정치\t국회\\본회의\n"
                               "no label here\n"
                               "사회\tbad \xff byte\n";
    char *path = write_tmp(".tsv", data, sizeof data - 1);
    cfd_dataset ds;
    cfd_error err;
    assert_int_equal(cfd_dataset_load(path, NULL, &ds, &err), 0);
    assert_int_equal(ds.n, 4);           /* the blank line is skipped */
    assert_int_equal(ds.n_labelled, 2);  /* the bad line has a label but is not usable */
    assert_int_equal(ds.n_bad, 1);

    cJSON *o = parse(&ds.recs[0]);
    assert_int_equal(ds.recs[0].line, 1);
    assert_string_equal(ds.recs[0].label, "경제");
    assert_string_equal(str(o, "id"), "1");
    assert_string_equal(str(o, "body"), "코스피가 \"2%\" 올랐다"); /* CR dropped, quotes kept */
    assert_null(cJSON_GetObjectItem(o, "title"));
    cJSON_Delete(o);

    o = parse(&ds.recs[1]);
    assert_int_equal(ds.recs[1].line, 3);
    assert_string_equal(str(o, "body"), "국회\\본회의");
    cJSON_Delete(o);

    o = parse(&ds.recs[2]);
    assert_null(ds.recs[2].label);
    assert_string_equal(str(o, "body"), "no label here");
    cJSON_Delete(o);

    assert_int_equal(ds.recs[3].line, 5);
    assert_null(ds.recs[3].json);
    assert_non_null(strstr(ds.recs[3].error, "invalid UTF-8 at byte 11"));
    cfd_dataset_free(&ds);
    unlink(path);
    free(path);
}

/* label<TAB>title<TAB>body sends a title, as classifyd-train reads the
 * line (it used to reach the daemon as one body "title\tbody", unweighted);
 * a byte order mark is not part of the first label, and does not hide a
 * JSONL file's first '{'. */
static void test_tsv_title_and_bom(void **state)
{
    (void)state;
    static const char data[] = "\xef\xbb\xbf경제\t반도체 수출 증가\t삼성전자의 수출이 늘었다\n"
                               "사회\ta\tb\tc\n";
    char *path = write_tmp(".tsv", data, sizeof data - 1);
    cfd_dataset ds;
    cfd_error err;
    assert_int_equal(cfd_dataset_load(path, NULL, &ds, &err), 0);
    assert_int_equal(ds.n, 2);
    assert_string_equal(ds.recs[0].label, "경제");
    cJSON *o = parse(&ds.recs[0]);
    assert_string_equal(str(o, "title"), "반도체 수출 증가");
    assert_string_equal(str(o, "body"), "삼성전자의 수출이 늘었다");
    cJSON_Delete(o);
    assert_null(ds.recs[1].json);
    assert_null(ds.recs[1].label);
    assert_non_null(strstr(ds.recs[1].error, "more than three TAB-separated fields at byte 10"));
    assert_int_equal(ds.n_bad, 1);
    assert_int_equal(ds.n_labelled, 1);
    cfd_dataset_free(&ds);
    unlink(path);
    free(path);

    static const char js[] = "\xef\xbb\xbf{\"label\": \"경제\", \"body\": \"본문\"}\n";
    path = write_tmp("", js, sizeof js - 1); /* no extension: by content */
    assert_int_equal(cfd_dataset_load(path, NULL, &ds, &err), 0);
    assert_int_equal(ds.n, 1);
    assert_null(ds.recs[0].error);
    assert_string_equal(ds.recs[0].label, "경제");
    o = parse(&ds.recs[0]);
    assert_string_equal(str(o, "body"), "본문");
    cJSON_Delete(o);
    cfd_dataset_free(&ds);
    unlink(path);
    free(path);
}

static void test_jsonl(void **state)
{
    (void)state;
    static const char data[] =
        "{\"id\": \"a1\", \"title\": \"제목\", \"body\": \"본문\", \"label\": \"경제\", \"extra\": [1]}\n"
        "{\"id\": 42, \"text\": \"텍스트 필드\", \"site_section\": \"LIFE\"}\n"
        "{\"title\": \"no id\", \"plugins\": [\"topic\"]}\n"
        "{\"broken\": \n"
        "[1, 2]\n";
    char *path = write_tmp(".jsonl", data, sizeof data - 1);
    cfd_dataset ds;
    cfd_error err;
    cfd_dataset_opts o = {.label_field = "site_section"};
    assert_int_equal(cfd_dataset_load(path, &o, &ds, &err), 0);
    assert_int_equal(ds.n, 5);
    assert_int_equal(ds.n_bad, 2);
    assert_int_equal(ds.n_labelled, 1);

    cJSON *j = parse(&ds.recs[0]);
    assert_string_equal(str(j, "id"), "a1");
    assert_string_equal(str(j, "title"), "제목");
    assert_string_equal(str(j, "body"), "본문");
    assert_null(cJSON_GetObjectItem(j, "extra")); /* only protocol fields are sent */
    assert_null(cJSON_GetObjectItem(j, "label"));
    assert_null(ds.recs[0].label); /* the label field is site_section here */
    cJSON_Delete(j);

    j = parse(&ds.recs[1]);
    assert_string_equal(str(j, "id"), "42");
    assert_string_equal(str(j, "body"), "텍스트 필드"); /* "text" taken as the body */
    assert_string_equal(ds.recs[1].label, "LIFE");
    cJSON_Delete(j);

    j = parse(&ds.recs[2]);
    assert_string_equal(str(j, "id"), "3"); /* line number when there is no id */
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(j, "plugins")));
    cJSON_Delete(j);

    assert_non_null(ds.recs[3].error);
    assert_non_null(ds.recs[4].error); /* an array is not an article */
    cfd_dataset_free(&ds);
    unlink(path);
    free(path);
}

static void test_plugins_and_limit(void **state)
{
    (void)state;
    static const char data[] = "{\"body\": \"x\", \"plugins\": [\"rules\"]}\n"
                               "{\"body\": \"y\"}\n"
                               "{\"body\": \"z\"}\n";
    char *path = write_tmp("", data, sizeof data - 1); /* no extension: by content */
    cfd_dataset ds;
    cfd_error err;
    cfd_dataset_opts o = {.plugins = "topic,,section", .limit = 2};
    assert_int_equal(cfd_dataset_load(path, &o, &ds, &err), 0);
    assert_int_equal(ds.n, 2);
    for (size_t i = 0; i < ds.n; i++) {
        cJSON *j = parse(&ds.recs[i]);
        const cJSON *p = cJSON_GetObjectItem(j, "plugins");
        assert_int_equal(cJSON_GetArraySize(p), 2); /* the option replaces the file's list */
        assert_string_equal(cJSON_GetArrayItem(p, 0)->valuestring, "topic");
        assert_string_equal(cJSON_GetArrayItem(p, 1)->valuestring, "section");
        cJSON_Delete(j);
    }
    cfd_dataset_free(&ds);
    unlink(path);
    free(path);
}

static void test_empty_and_missing(void **state)
{
    (void)state;
    char *path = write_tmp(".tsv", "\n  \n", 4);
    cfd_dataset ds;
    cfd_error err;
    assert_int_equal(cfd_dataset_load(path, NULL, &ds, &err), CFD_EEMPTY);
    assert_non_null(strstr(err.msg, path));
    unlink(path);
    free(path);
    assert_int_equal(cfd_dataset_load("/nonexistent/x.tsv", NULL, &ds, &err), CFD_ENOENT);
    assert_non_null(strstr(err.msg, "/nonexistent/x.tsv"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tsv),
        cmocka_unit_test(test_tsv_title_and_bom),
        cmocka_unit_test(test_jsonl),
        cmocka_unit_test(test_plugins_and_limit),
        cmocka_unit_test(test_empty_and_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
