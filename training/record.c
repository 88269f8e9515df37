/*
 * Parsing one line of labelled data -- TSV fields cut in place, or a JSON
 * object decoded by cJSON -- for the dataset reader and for `predict`
 * (see record.h). Line numbers and file names are added by the callers.
 */
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json_nul.h"
#include "tsv.h"
#include "utf8.h"

/* Splits a TSV line in place (NUL-terminating fields). */
int cfd_fields_tsv(char *line, size_t len, int need_label, cfd_fields *f, cfd_error *err)
{
    cfd_tsv_fields t;
    int extra = cfd_tsv_split(line, len, &t);
    if (t.label == NULL) {
        if (need_label)
            return cfd_error_set(err, CFD_EFORMAT, 0,
                                 "no TAB in the line (expected label<TAB>text%s)",
                                 len > 0 && line[0] == '{'
                                     ? "; the line looks like JSON: give --format jsonl"
                                 : memchr(line, ',', len) != NULL
                                     ? "; a comma-separated (CSV) file is not read: save it "
                                       "as tab-separated text"
                                     : "");
        f->label = NULL;
        f->label_len = 0;
        f->title = "";
        f->title_len = 0;
        f->body = line;
        f->body_len = len;
        return 0;
    }
    line[t.label_len] = '\0'; /* the TABs become NULs */
    f->label = line;
    f->label_len = t.label_len;
    f->title = "";
    f->title_len = 0;
    if (t.title != NULL) {
        line[t.title + t.title_len - line] = '\0';
        f->title = t.title;
        f->title_len = t.title_len;
    }
    f->body = t.body;
    f->body_len = t.body_len;
    if (extra)
        return cfd_error_set(err, CFD_EFORMAT, (size_t)(t.title + t.title_len - line),
                             "more than three TAB-separated fields (expected "
                             "label<TAB>text or label<TAB>title<TAB>body)");
    return 0;
}

/* Label of a JSON value: a string, or an integer written in decimal. Only
 * integers below 2^53 in magnitude, which a double holds exactly: the label
 * is then the number in the file (9007199254740993 would be read as ...992,
 * and converting 1e300 to an integer is undefined). */
static int cfd__json_label(const cJSON *v, char *tmp, size_t tmp_len, const char **s, size_t *n)
{
    if (cJSON_IsString(v)) {
        *s = v->valuestring;
        *n = strlen(v->valuestring);
        return 0;
    }
    const double d = cJSON_IsNumber(v) ? v->valuedouble : 0.5;
    if (d > -9007199254740992.0 && d < 9007199254740992.0 && d == (double)(long long)d) {
        snprintf(tmp, tmp_len, "%lld", (long long)d);
        *s = tmp;
        *n = strlen(tmp);
        return 0;
    }
    return -1;
}

static int cfd__json_text(const cJSON *obj, const char *key, const char **s, size_t *n,
                          cfd_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (v == NULL || cJSON_IsNull(v)) {
        *s = "";
        *n = 0;
        return 0;
    }
    if (!cJSON_IsString(v))
        return cfd_error_set(err, CFD_EFORMAT, 0, "\"%s\" is not a string", key);
    *s = v->valuestring;
    *n = strlen(v->valuestring);
    size_t bad;
    if (cfd_utf8_validate(*s, *n, &bad) != 0)
        return cfd_error_set(err, CFD_EUTF8, 0,
                             "\"%s\" decodes to invalid UTF-8 at byte %zu of the string "
                             "(a lone \\u surrogate escape?)", key, bad);
    return 0;
}

/* Parses a JSON line; on success *json owns the strings f points to. */
int cfd_fields_json(const char *line, size_t len, int need_label, cfd_fields *f, char *tmp,
                    size_t tmp_len, cJSON **json, cfd_error *err)
{
    /* The daemon's rules (daemon/article.c, docs/PROTOCOL.md), so a JSON line
     * trains on the text the daemon would classify: a raw NUL byte is not
     * JSON, the escape \u0000 is a space (json_nul.h). */
    const char *nul = memchr(line, '\0', len);
    if (nul != NULL)
        return cfd_error_set(err, CFD_EFORMAT, (size_t)(nul - line),
                             "a raw NUL byte at column %zu: JSON strings must escape control "
                             "characters (\\u0000)", (size_t)(nul - line) + 1);
    cfd_buf copy = CFD_BUF_INIT;
    const char *src = cfd_json_nul_to_space(line, len, &copy);
    if (src == NULL)
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
    const char *end = NULL;
    cJSON *obj = cJSON_ParseWithLengthOpts(src, len, &end, 0);
    if (end != NULL && src != line)
        end = line + (end - src);
    cfd_buf_free(&copy);
    if (obj == NULL) {
        size_t col = end != NULL && end >= line && end <= line + len ? (size_t)(end - line) : 0;
        return cfd_error_set(err, CFD_EFORMAT, col,
                             "invalid JSON near column %zu (expected one object "
                             "{\"label\": ..., \"title\": ..., \"body\": ...} per line)", col + 1);
    }
    /* trailing garbage after the object */
    if (end != NULL) {
        for (const char *p = end; p < line + len; p++) {
            if (*p != ' ' && *p != '\t' && *p != '\r') {
                cJSON_Delete(obj);
                return cfd_error_set(err, CFD_EFORMAT, (size_t)(p - line),
                                     "unexpected text after the JSON object at column %zu",
                                     (size_t)(p - line) + 1);
            }
        }
    }
    int rc;
    if (!cJSON_IsObject(obj)) {
        rc = cfd_error_set(err, CFD_EFORMAT, 0, "the line is JSON but not an object");
        goto fail;
    }
    const cJSON *lab = cJSON_GetObjectItemCaseSensitive(obj, "label");
    f->label = NULL;
    f->label_len = 0;
    if (lab != NULL && !cJSON_IsNull(lab)) {
        if (cfd__json_label(lab, tmp, tmp_len, &f->label, &f->label_len) != 0) {
            rc = cfd_error_set(err, CFD_EFORMAT, 0, "\"label\" is neither a string nor an integer "
                               "below 2^53 (write such a label as a string)");
            goto fail;
        }
    } else if (need_label) {
        rc = cfd_error_set(err, CFD_EFORMAT, 0, "\"label\" is missing or null");
        goto fail;
    }
    if ((rc = cfd__json_text(obj, "title", &f->title, &f->title_len, err)) != 0)
        goto fail;
    if ((rc = cfd__json_text(obj, "body", &f->body, &f->body_len, err)) != 0)
        goto fail;
    if (f->body_len == 0 &&
        (rc = cfd__json_text(obj, "text", &f->body, &f->body_len, err)) != 0)
        goto fail;
    *json = obj;
    return 0;
fail:
    cJSON_Delete(obj);
    return rc;
}

int cfd_record_plain(const char *line, size_t len, cfd_record *rec, cfd_error *err)
{
    memset(rec, 0, sizeof(*rec));
    rec->title = cfd_memdup("", 0);
    rec->body = cfd_memdup(line, len);
    rec->body_len = len;
    if (rec->title == NULL || rec->body == NULL) {
        cfd_record_clear(rec);
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
    }
    return 0;
}

void cfd_record_clear(cfd_record *rec)
{
    free(rec->label);
    free(rec->title);
    free(rec->body);
    memset(rec, 0, sizeof(*rec));
}

int cfd_record_parse(const char *line, size_t len, enum cfd_data_format fmt,
                     cfd_record *rec, cfd_error *err)
{
    memset(rec, 0, sizeof(*rec));
    size_t bad;
    if (cfd_utf8_validate(line, len, &bad) != 0)
        return cfd_error_set(err, CFD_EUTF8, bad,
                             "invalid UTF-8 at byte %zu (column %zu of the line); the input "
                             "must be UTF-8", bad, bad + 1);
    if (fmt == CFD_FORMAT_AUTO) {
        size_t i = 0;
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        fmt = i < len && line[i] == '{' ? CFD_FORMAT_JSONL : CFD_FORMAT_TSV;
    }
    cfd_fields f;
    cJSON *json = NULL;
    char tmp[32];
    char *copy = NULL;
    int rc;
    if (fmt == CFD_FORMAT_JSONL) {
        rc = cfd_fields_json(line, len, 0, &f, tmp, sizeof(tmp), &json, err);
    } else {
        if ((copy = malloc(len + 1)) == NULL)
            return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
        memcpy(copy, line, len);
        copy[len] = '\0';
        rc = cfd_fields_tsv(copy, len, 0, &f, err);
    }
    if (rc != 0)
        goto done;
    if (f.label != NULL)
        rec->label = cfd_memdup(f.label, f.label_len);
    rec->title = cfd_memdup(f.title, f.title_len);
    rec->body = cfd_memdup(f.body, f.body_len);
    rec->title_len = f.title_len;
    rec->body_len = f.body_len;
    if ((f.label != NULL && rec->label == NULL) || rec->title == NULL || rec->body == NULL) {
        cfd_record_clear(rec);
        rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
    }
done:
    cJSON_Delete(json);
    free(copy);
    return rc;
}
