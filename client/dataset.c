/*
 * Data files (TSV or JSONL) -> article request objects. See dataset.h.
 */
#include "dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "file_read.h"
#include "tsv.h"
#include "utf8.h"

int cfd_read_file(const char *path, char **data, size_t *len, cfd_error *err)
{
    /* "-" is standard input; no limit beyond memory (a batch may be big). */
    if (strcmp(path, "-") == 0)
        return cfd_file_read_fd(0, "standard input", SIZE_MAX / 4, data, len, err);
    return cfd_file_read(path, SIZE_MAX / 4, data, len, NULL, err);
}

static char *cfd__strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static int cfd__push(cfd_dataset *ds, cfd_record **out)
{
    if (ds->n == ds->cap) {
        size_t cap = ds->cap ? ds->cap * 2 : 1024;
        cfd_record *r = realloc(ds->recs, cap * sizeof *r);
        if (!r)
            return CFD_ENOMEM;
        ds->recs = r;
        ds->cap = cap;
    }
    *out = &ds->recs[ds->n++];
    memset(*out, 0, sizeof **out);
    return 0;
}

/* Appends ,"plugins":[...] from a comma-separated list. */
static void cfd__put_plugins(cfd_buf *b, const char *plugins)
{
    if (!plugins || !*plugins)
        return;
    cfd_buf_puts(b, ",\"plugins\":[");
    const char *p = plugins;
    int first = 1;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n > 0) {
            if (!first)
                cfd_buf_putc(b, ',');
            cfd_buf_json_str(b, p, n);
            first = 0;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    cfd_buf_putc(b, ']');
}

static int cfd__set_error(cfd_record *r, const char *fmt, size_t a)
{
    char msg[160];
    snprintf(msg, sizeof msg, fmt, a);
    r->error = strdup(msg);
    return r->error ? 0 : CFD_ENOMEM;
}

static int cfd__tsv_line(cfd_record *r, const char *s, size_t n, const cfd_dataset_opts *o)
{
    size_t bad;
    if (cfd_utf8_validate(s, n, &bad) != 0)
        return cfd__set_error(r, "invalid UTF-8 at byte %zu of the line", bad);
    /* label<TAB>title<TAB>body, as classifyd-train reads it: the title is
     * sent as the title (weighted), not glued to the body by a TAB */
    cfd_tsv_fields f;
    if (cfd_tsv_split(s, n, &f) != 0)
        return cfd__set_error(r, "more than three TAB-separated fields at byte %zu of "
                                 "the line (expected label<TAB>text or "
                                 "label<TAB>title<TAB>body)", f.extra_tab);
    if (f.label) {
        r->label = cfd__strndup(f.label, f.label_len);
        if (!r->label)
            return CFD_ENOMEM;
    }
    cfd_buf b = CFD_BUF_INIT;
    cfd_buf_printf(&b, "{\"id\":\"%zu\",", r->line);
    if (f.title) {
        cfd_buf_append(&b, "\"title\":", 8);
        cfd_buf_json_str(&b, f.title, f.title_len);
        cfd_buf_putc(&b, ',');
    }
    cfd_buf_append(&b, "\"body\":", 7);
    cfd_buf_json_str(&b, f.body, f.body_len);
    cfd__put_plugins(&b, o->plugins);
    cfd_buf_putc(&b, '}');
    if (b.oom) {
        cfd_buf_free(&b);
        return CFD_ENOMEM;
    }
    r->json = b.data;
    r->json_len = b.len;
    return 0;
}

static int cfd__jsonl_line(cfd_record *r, const char *s, size_t n, const cfd_dataset_opts *o)
{
    size_t bad;
    if (cfd_utf8_validate(s, n, &bad) != 0)
        return cfd__set_error(r, "invalid UTF-8 at byte %zu of the line", bad);
    const char *end = NULL;
    cJSON *in = cJSON_ParseWithLengthOpts(s, n, &end, 0);
    if (!in || !cJSON_IsObject(in)) {
        size_t off = end ? (size_t)(end - s) : 0;
        cJSON_Delete(in);
        return cfd__set_error(r, "not a JSON object (error near byte %zu of the line)", off);
    }
    int rc = CFD_ENOMEM;
    cJSON *out = cJSON_CreateObject();
    if (!out)
        goto done;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(in, "id");
    char num[32];
    if (cJSON_IsString(id)) {
        cJSON_AddStringToObject(out, "id", id->valuestring);
    } else if (cJSON_IsNumber(id)) {
        snprintf(num, sizeof num, "%.17g", id->valuedouble);
        cJSON_AddStringToObject(out, "id", num);
    } else {
        snprintf(num, sizeof num, "%zu", r->line);
        cJSON_AddStringToObject(out, "id", num);
    }
    static const char *const keep[] = {"title", "body", "plugins"};
    for (size_t i = 0; i < 3; i++) {
        if (i == 2 && o->plugins)
            break;
        cJSON *v = cJSON_GetObjectItemCaseSensitive(in, keep[i]);
        if (!v && i == 1) /* many exports call the body "text" */
            v = cJSON_GetObjectItemCaseSensitive(in, "text");
        if (v && !cJSON_AddItemToObject(out, keep[i], cJSON_Duplicate(v, 1)))
            goto done;
    }
    const char *lf = o->label_field ? o->label_field : "label";
    const cJSON *lab = cJSON_GetObjectItemCaseSensitive(in, lf);
    char lnum[32];
    if (cJSON_IsNumber(lab) && lab->valuedouble == (double)(long long)lab->valuedouble) {
        /* integer labels (e.g. NSMC's 0/1), as classifyd-train reads them */
        snprintf(lnum, sizeof lnum, "%lld", (long long)lab->valuedouble);
        if (!(r->label = strdup(lnum)))
            goto done;
    } else if (cJSON_IsString(lab) && !(r->label = strdup(lab->valuestring))) {
        goto done;
    }
    char *js = cJSON_PrintUnformatted(out);
    if (!js)
        goto done;
    if (o->plugins) {
        /* Splice the requested plugins in before the closing brace. */
        cfd_buf b = CFD_BUF_INIT;
        cfd_buf_append(&b, js, strlen(js) - 1);
        cfd__put_plugins(&b, o->plugins);
        cfd_buf_putc(&b, '}');
        cJSON_free(js);
        if (b.oom) {
            cfd_buf_free(&b);
            goto done;
        }
        js = b.data;
    }
    r->json = js;
    r->json_len = strlen(js);
    rc = 0;
done:
    cJSON_Delete(in);
    cJSON_Delete(out);
    return rc;
}

static int cfd__is_jsonl(const char *path, const char *data, size_t len)
{
    size_t pl = strlen(path);
    if (pl >= 6 && strcmp(path + pl - 6, ".jsonl") == 0)
        return 1;
    if (pl >= 7 && strcmp(path + pl - 7, ".ndjson") == 0)
        return 1;
    if (pl >= 4 && strcmp(path + pl - 4, ".tsv") == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n')
            continue;
        return data[i] == '{';
    }
    return 0;
}

int cfd_dataset_load(const char *path, const cfd_dataset_opts *opts, cfd_dataset *ds,
                     cfd_error *err)
{
    static const cfd_dataset_opts defaults = {0};
    const cfd_dataset_opts *o = opts ? opts : &defaults;
    memset(ds, 0, sizeof *ds);
    char *data;
    size_t len;
    int rc = cfd_read_file(path, &data, &len, err);
    if (rc != 0)
        return rc;
    /* A byte order mark is not part of the first label or object (as
     * classifyd-train reads the same files). */
    size_t bom = cfd_utf8_bom(data, len);
    int jsonl = cfd__is_jsonl(path, data + bom, len - bom);
    size_t line = 0;
    const char *p = data + bom, *end = data + len;
    while (p < end && (o->limit == 0 || ds->n < o->limit)) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        line++;
        size_t n = (size_t)(le - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        int blank = 1;
        for (size_t i = 0; i < n && blank; i++)
            blank = p[i] == ' ' || p[i] == '\t';
        if (!blank) {
            cfd_record *r;
            if ((rc = cfd__push(ds, &r)) != 0)
                goto fail;
            r->line = line;
            rc = jsonl ? cfd__jsonl_line(r, p, n, o) : cfd__tsv_line(r, p, n, o);
            if (rc != 0)
                goto fail;
            if (r->error)
                ds->n_bad++;
            else if (r->label)
                ds->n_labelled++;
        }
        p = nl ? nl + 1 : end;
    }
    free(data);
    if (ds->n == 0)
        return cfd_error_set(err, CFD_EEMPTY, (size_t)-1,
                             "%s: no articles in the file (expected label<TAB>text lines "
                             "or one JSON object per line)", path);
    return 0;
fail:
    free(data);
    cfd_dataset_free(ds);
    return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "%s: out of memory", path);
}

void cfd_dataset_free(cfd_dataset *ds)
{
    for (size_t i = 0; i < ds->n; i++) {
        free(ds->recs[i].json);
        free(ds->recs[i].label);
        free(ds->recs[i].error);
    }
    free(ds->recs);
    memset(ds, 0, sizeof *ds);
}
