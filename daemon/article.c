/*
 * Decoding request bodies into articles; see article.h. cJSON parses the
 * object once (about 4 us for a 2.6 KB article); strings are used in place
 * from the tree, never copied again.
 */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "article.h"
#include "json_nul.h"
#include "utf8.h"

void cfd_article_decoder_init(cfd_article_decoder *d) { memset(d, 0, sizeof(*d)); }

static void cfd__drop_tree(cfd_article_decoder *d)
{
    if (d->root)
        cJSON_Delete(d->root);
    d->root = NULL;
}

void cfd_article_decoder_free(cfd_article_decoder *d)
{
    cfd__drop_tree(d);
    cfd_buf_free(&d->copy);
}

int cfd_article_blank(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            i++;
        } else if (c == 0xC2 && i + 1 < n && p[i + 1] == 0xA0) {
            i += 2; /* U+00A0 no-break space */
        } else if (c == 0xE3 && i + 2 < n && p[i + 1] == 0x80 && p[i + 2] == 0x80) {
            i += 3; /* U+3000 ideographic space */
        } else if (c == 0xEF && i + 2 < n && p[i + 1] == 0xBB && p[i + 2] == 0xBF) {
            i += 3; /* U+FEFF byte order mark */
        } else {
            return 0;
        }
    }
    return 1;
}

static int cfd__empty(cfd_error *err)
{
    return cfd_error_set(err, CFD_EEMPTY, (size_t)-1,
                         "the article has no text: \"title\" and \"body\" are both missing or "
                         "blank; send at least one non-empty string");
}

static const char *cfd__type_name(const cJSON *v)
{
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsNull(v)) return "null";
    if (cJSON_IsArray(v)) return "an array";
    if (cJSON_IsObject(v)) return "an object";
    return "an unknown value";
}

/* Optional string member; NULL value and absence are the same. */
static int cfd__str(const cJSON *root, const char *key, const char **s, size_t *n,
                    cfd_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    *s = NULL;
    *n = 0;
    if (v == NULL || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsString(v))
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "\"%s\" must be a string, got %s", key, cfd__type_name(v));
    *s = v->valuestring;
    *n = strlen(v->valuestring);
    return 0;
}

static int cfd__plugins(cfd_article_decoder *d, const cJSON *root, cfd_article *a,
                        cfd_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "plugins");
    if (v == NULL || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsArray(v))
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "\"plugins\" must be an array of plugin names, got %s",
                             cfd__type_name(v));
    size_t n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, v) {
        if (!cJSON_IsString(it))
            return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                                 "\"plugins\"[%zu] must be a plugin name (string), got %s", n,
                                 cfd__type_name(it));
        if (n == CFD_ARTICLE_MAX_PLUGINS)
            return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                                 "\"plugins\" lists more than %d names", CFD_ARTICLE_MAX_PLUGINS);
        d->plugins[n] = it->valuestring;
        d->plugin_lens[n] = strlen(it->valuestring);
        n++;
    }
    if (n == 0)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "\"plugins\" is empty: omit it to run every plugin, or name some");
    a->plugins = d->plugins;
    a->plugin_lens = d->plugin_lens;
    a->n_plugins = n;
    return 0;
}

/* Optional "explain": a whole number of features a side, 0 to
 * CFD_PLUGIN_MAX_TERMS, or true (CFD_ARTICLE_EXPLAIN_DEFAULT) / false. */
static int cfd__explain(const cJSON *root, cfd_article *a, cfd_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "explain");
    if (v == NULL || cJSON_IsNull(v) || cJSON_IsFalse(v))
        return 0;
    if (cJSON_IsTrue(v)) {
        a->explain = CFD_ARTICLE_EXPLAIN_DEFAULT;
        return 0;
    }
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d >= 0 && d <= CFD_PLUGIN_MAX_TERMS && d == (double)(int)d) {
            a->explain = (uint32_t)d;
            return 0;
        }
    }
    char got[32];
    snprintf(got, sizeof(got), "%g", cJSON_IsNumber(v) ? v->valuedouble : 0.0);
    return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                         "\"explain\" must be how many features to show on each side, a "
                         "whole number from 0 to %d (or true for %d), got %s",
                         CFD_PLUGIN_MAX_TERMS, CFD_ARTICLE_EXPLAIN_DEFAULT,
                         cJSON_IsNumber(v) ? got : cfd__type_name(v));
}

/* Scans json[0..n) as JSON text: returns the arrays and objects open at n
 * (outside strings), and sets *open_str to where a string still open at n
 * begins, or (size_t)-1 when none is. */
static size_t cfd__scan(const char *json, size_t n, size_t *open_str)
{
    size_t depth = 0;
    int in_str = 0;
    size_t str_at = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = json[i];
        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_str = 0;
        } else if (ch == '"') {
            in_str = 1;
            str_at = i;
        } else if (ch == '[' || ch == '{') {
            depth++;
        } else if ((ch == ']' || ch == '}') && depth > 0) {
            depth--;
        }
    }
    *open_str = in_str ? str_at : (size_t)-1;
    return depth;
}

/* Arrays and objects open at json[off] (outside strings): cJSON refuses to
 * go deeper than CJSON_NESTING_LIMIT, and says no more than where it stopped. */
static size_t cfd__depth_at(const char *json, size_t off)
{
    size_t open_str;
    return cfd__scan(json, off, &open_str);
}

/* 1 when json[0..len), on which cJSON stopped at off, is the beginning of a
 * JSON value that the end of the input cut short: more bytes could still
 * have made it valid. */
static int cfd__json_cut(const char *json, size_t len, size_t off)
{
    /* A string still open at the end: cJSON stops at its start. */
    size_t str_at;
    (void)cfd__scan(json, len, &str_at);
    const int in_str = str_at != (size_t)-1;
    if (in_str && off < str_at)
        return 0; /* an error before it */
    /* Parse again what comes before such a string, with an empty one in
     * its place (no content makes a string invalid where one may stand),
     * then a byte that no JSON value may hold outside a string: when
     * parsing now gets to that byte, everything before it was a valid
     * beginning. The open string itself may be the error ({"a" "b: a
     * string where the colon goes), which cJSON also reports at its start. */
    size_t keep = in_str ? str_at : len;
    cfd_buf tmp = CFD_BUF_INIT;
    cfd_buf_append(&tmp, json, keep);
    if (in_str)
        cfd_buf_append(&tmp, "\"\"", 2);
    cfd_buf_append(&tmp, "#", 1);
    int cut = 0;
    if (!tmp.oom) {
        const char *end = NULL;
        cJSON *root = cJSON_ParseWithLengthOpts(tmp.data, tmp.len, &end, 0);
        if (root != NULL)
            cJSON_Delete(root);
        cut = end != NULL && (size_t)(end - tmp.data) == tmp.len - 1;
    }
    cfd_buf_free(&tmp);
    return cut;
}

int cfd_article_decode_json(cfd_article_decoder *d, const char *json, size_t len,
                            int flags, cfd_article *a, cfd_error *err)
{
    size_t bad;
    int r;
    const int line = (flags & CFD_ARTICLE_LINE) != 0;
    memset(a, 0, sizeof(*a));
    cfd__drop_tree(d);
    if (!(flags & CFD_ARTICLE_SKIP_UTF8) && cfd_utf8_validate(json, len, &bad) != 0) {
        if (cfd_utf8_cut(json, len, bad))
            return cfd_error_set(err, CFD_EUTF8, bad,
                                 "the %s ends in the middle of a UTF-8 character (byte %zu of "
                                 "%zu): the body was cut short; send all of it "
                                 "(Content-Length counts bytes, not characters)",
                                 line ? "line" : "body", bad, len);
        return cfd_error_set(err, CFD_EUTF8, bad,
                             "invalid UTF-8 at byte %zu of the %s: send UTF-8 text", bad,
                             line ? "line" : "body");
    }
    const char *nul = memchr(json, '\0', len);
    if (nul != NULL)
        return cfd_error_set(err, CFD_EFORMAT, (size_t)(nul - json),
                             "malformed JSON at byte %zu: a raw NUL byte; JSON strings must "
                             "escape control characters (\\u0000)", (size_t)(nul - json));
    const char *src = cfd_json_nul_to_space(json, len, &d->copy);
    if (src == NULL)
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(src, len, &end, 0);
    if (end != NULL && src != json)
        end = json + (end - src);
    if (root == NULL) {
        size_t off = end ? (size_t)(end - json) : 0;
        if (len == 0 || cfd_article_blank(json, len))
            return cfd_error_set(err, CFD_EFORMAT, 0,
                                 "empty body: expected a JSON object like "
                                 "{\"title\":\"...\",\"body\":\"...\"}");
        if (off < len && cfd__depth_at(json, off) >= CJSON_NESTING_LIMIT)
            return cfd_error_set(err, CFD_EFORMAT, off,
                                 "malformed JSON at byte %zu: arrays and objects nested deeper "
                                 "than %d levels; send a flat article object",
                                 off, CJSON_NESTING_LIMIT);
        if (cfd__json_cut(src, len, off)) {
            if (line)
                return cfd_error_set(err, CFD_EFORMAT, len,
                                     "malformed JSON: the line ends (byte %zu) before its JSON "
                                     "object does: put each article on one line (NDJSON is one "
                                     "whole JSON object per line, not pretty-printed JSON)",
                                     len);
            return cfd_error_set(err, CFD_EFORMAT, len,
                                 "malformed JSON: the body ends (byte %zu) before its JSON "
                                 "object does: finish the object, or send the whole body "
                                 "(Content-Length counts bytes, not characters)",
                                 len);
        }
        return cfd_error_set(err, CFD_EFORMAT, off,
                             "malformed JSON at byte %zu: expected a JSON object like "
                             "{\"title\":\"...\",\"body\":\"...\"}", off);
    }
    d->root = root;
    size_t tail = (size_t)(end - json);
    while (tail < len && (json[tail] == ' ' || json[tail] == '\t' || json[tail] == '\n' ||
                          json[tail] == '\r'))
        tail++;
    if (tail < len && line)
        return cfd_error_set(err, CFD_EFORMAT, tail,
                             "malformed JSON at byte %zu: unexpected data after the JSON "
                             "value: put one article object on each line", tail);
    if (tail < len)
        return cfd_error_set(err, CFD_EFORMAT, tail,
                             "malformed JSON at byte %zu: unexpected data after the object "
                             "(send one object per request, or use application/x-ndjson)",
                             tail);
    if (cJSON_IsArray(root) && !line)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "expected a JSON object {\"id\",\"title\",\"body\",\"plugins\"}, "
                             "got an array: send one article per request, or many as "
                             "Content-Type: application/x-ndjson, one object per line");
    if (!cJSON_IsObject(root))
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "expected a JSON object {\"id\",\"title\",\"body\",\"plugins\"}, got %s",
                             cfd__type_name(root));
    if ((r = cfd__str(root, "id", &a->id, &a->id_len, err)) != 0 ||
        (r = cfd__str(root, "title", &a->title, &a->title_len, err)) != 0 ||
        (r = cfd__str(root, "body", &a->body, &a->body_len, err)) != 0 ||
        (r = cfd__plugins(d, root, a, err)) != 0 || (r = cfd__explain(root, a, err)) != 0)
        return r;
    /* "text" is the body when "body" is absent or empty: many exports name
     * it so, and classifyd-train reads JSON lines the same way. */
    if (a->body_len == 0 && (r = cfd__str(root, "text", &a->body, &a->body_len, err)) != 0)
        return r;
    if (cfd_article_blank(a->title, a->title_len) && cfd_article_blank(a->body, a->body_len))
        return cfd__empty(err);
    if (a->title == NULL)
        a->title = "";
    if (a->body == NULL)
        a->body = "";
    return 0;
}

int cfd_article_decode_text(const char *text, size_t len, cfd_article *a, cfd_error *err)
{
    size_t bad;
    memset(a, 0, sizeof(*a));
    if (cfd_utf8_validate(text, len, &bad) != 0)
        return cfd_error_set(err, CFD_EUTF8, bad,
                             "invalid UTF-8 at byte %zu of the body: send UTF-8 text", bad);
    if (cfd_article_blank(text, len))
        return cfd__empty(err);
    a->title = "";
    a->body = text;
    a->body_len = len;
    return 0;
}

const char *cfd_article_error_code(int rc)
{
    switch (rc) {
    case CFD_EUTF8: return "invalid_utf8";
    case CFD_EFORMAT: return "malformed_json";
    case CFD_EINVAL: return "wrong_shape";
    case CFD_EEMPTY: return "empty_text";
    case CFD_ENOMEM: return "out_of_memory";
    default: return cfd_errname(rc);
    }
}

int cfd_ndjson_next(const char *body, size_t len, size_t *pos, size_t *lineno,
                    const char **line, size_t *line_len)
{
    while (*pos < len) {
        const char *s = body + *pos;
        const char *nl = memchr(s, '\n', len - *pos);
        size_t n = nl ? (size_t)(nl - s) : len - *pos;
        *pos += nl ? n + 1 : n;
        ++*lineno;
        size_t m = n;
        if (m && s[m - 1] == '\r')
            m--;
        if (cfd_article_blank(s, m))
            continue;
        *line = s;
        *line_len = m;
        return 1;
    }
    return 0;
}
