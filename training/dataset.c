/*
 * Reading labelled data files (TSV and JSON lines) for classifyd-train.
 *
 * The whole file is read into one buffer (hashed with sha256 on the way, for
 * the model's provenance record). TSV examples point into that buffer, cut in
 * place; JSON strings are decoded by cJSON and copied into a chunked arena so
 * pointers stay stable. Every line is validated as UTF-8 before it is parsed,
 * so every error can name file, line, byte offset and column.
 */
#include "dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "file_read.h"
#include "record.h"

#include "model.h"
#include "utf8.h"

/* ---- arena: stable storage for decoded JSON strings ---------------------- */

#define CFD__ARENA_CHUNK (1u << 20)

struct cfd_dataset_arena {
    struct cfd_dataset_arena *next;
    size_t used, cap;
    char data[];
};

static char *cfd__arena_strdup(cfd_dataset_arena **head, const char *s, size_t n)
{
    cfd_dataset_arena *a = *head;
    if (a == NULL || a->cap - a->used < n + 1) {
        size_t cap = n + 1 > CFD__ARENA_CHUNK ? n + 1 : CFD__ARENA_CHUNK;
        cfd_dataset_arena *c = malloc(sizeof(*c) + cap);
        if (c == NULL)
            return NULL;
        c->used = 0;
        c->cap = cap;
        /* A big string gets its own chunk behind the current one, so the
         * current chunk's free space is not wasted. */
        if (a != NULL && cap > CFD__ARENA_CHUNK) {
            c->next = a->next;
            a->next = c;
        } else {
            c->next = a;
            *head = c;
        }
        a = c;
    }
    char *p = a->data + a->used;
    memcpy(p, s, n);
    p[n] = '\0';
    a->used += n + 1;
    return p;
}

static void cfd__arena_free(cfd_dataset_arena *a)
{
    while (a != NULL) {
        cfd_dataset_arena *next = a->next;
        free(a);
        a = next;
    }
}

/* ---- formats ------------------------------------------------------------- */

int cfd_data_format_parse(const char *s, enum cfd_data_format *out)
{
    if (strcmp(s, "auto") == 0)
        *out = CFD_FORMAT_AUTO;
    else if (strcmp(s, "tsv") == 0)
        *out = CFD_FORMAT_TSV;
    else if (strcmp(s, "jsonl") == 0 || strcmp(s, "json") == 0)
        *out = CFD_FORMAT_JSONL;
    else
        return CFD_EINVAL;
    return 0;
}

const char *cfd_data_format_name(enum cfd_data_format f)
{
    switch (f) {
    case CFD_FORMAT_TSV: return "tsv";
    case CFD_FORMAT_JSONL: return "jsonl";
    default: return "auto";
    }
}

static int cfd__ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static enum cfd_data_format cfd__detect(const char *path, const char *buf, size_t len)
{
    if (cfd__ends_with(path, ".tsv") || cfd__ends_with(path, ".txt"))
        return CFD_FORMAT_TSV;
    if (cfd__ends_with(path, ".jsonl") || cfd__ends_with(path, ".ndjson") ||
        cfd__ends_with(path, ".json"))
        return CFD_FORMAT_JSONL;
    size_t i = cfd_utf8_bom(buf, len);
    for (; i < len; i++) {
        char c = buf[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        return c == '{' ? CFD_FORMAT_JSONL : CFD_FORMAT_TSV;
    }
    return CFD_FORMAT_TSV;
}

static void cfd__sha256(const char *buf, size_t len, unsigned char out[32], char hex[65])
{
    unsigned int n = 32;
    EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", out[i]);
}

/* What a file that is not UTF-8 probably is, from its first bytes and the
 * first invalid one (at off), and how to convert it; "" when it is unclear.
 * Korean files from Windows and Excel come as CP949 (a superset of EUC-KR)
 * or, from Excel's "Unicode text", as UTF-16 with a byte order mark. */
static const char *cfd__encoding_hint(const char *buf, size_t len, size_t off)
{
    const unsigned char *b = (const unsigned char *)buf;
    if (len >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF)))
        return ": it starts with a UTF-16 byte order mark (Excel's \"Unicode text\"); convert "
               "it, e.g. iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8.tsv";
    if (off + 1 < len && b[off] >= 0x81 && b[off] <= 0xFE &&
        ((b[off + 1] >= 0x41 && b[off + 1] <= 0x5A) || (b[off + 1] >= 0x61 && b[off + 1] <= 0x7A) ||
         (b[off + 1] >= 0x81 && b[off + 1] <= 0xFE)))
        return ": the bytes there look like EUC-KR/CP949 (Korean Windows, Excel); convert the "
               "file, e.g. iconv -f CP949 -t UTF-8 FILE > FILE.utf8.tsv";
    return "";
}

/* ---- labels -------------------------------------------------------------- */

typedef struct cfd__labels {
    char **names;
    uint32_t n, cap;
    int fixed;
    uint32_t last; /* cache: consecutive lines often share a label */
} cfd__labels;

static int cfd__label_check(const char *s, size_t n, enum cfd_data_format fmt, char *why,
                            size_t why_len)
{
    if (n == 0) {
        snprintf(why, why_len, fmt == CFD_FORMAT_JSONL
                                   ? "empty label (\"label\" is \"\")"
                                   : "empty label (expected a label before the first TAB)");
        return -1;
    }
    if (n > CFD_MAX_LABEL_LEN) {
        snprintf(why, why_len, "label is %zu bytes long (at most %d)", n, CFD_MAX_LABEL_LEN);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            snprintf(why, why_len, "label contains control character 0x%02x",
                     (unsigned char)s[i]);
            return -1;
        }
    }
    if (cfd_utf8_bom(s, n)) {
        snprintf(why, why_len, "label starts with a byte order mark (files concatenated "
                 "with one in the middle?): remove it");
        return -1;
    }
    /* "경제 " would silently be a label of its own next to "경제" */
    if (s[0] == ' ' || s[n - 1] == ' ') {
        snprintf(why, why_len, "label \"%.*s\" starts or ends with a space (it would be a "
                 "label apart from the one without): remove the space", (int)(n > 64 ? 64 : n),
                 s);
        return -1;
    }
    return 0;
}

/* Returns the label's index, adding it unless the set is fixed (-1: unknown,
 * -2: out of memory). */
static long cfd__label_id(cfd__labels *L, const char *s, size_t n)
{
    if (L->last < L->n && strlen(L->names[L->last]) == n &&
        memcmp(L->names[L->last], s, n) == 0)
        return L->last;
    for (uint32_t i = 0; i < L->n; i++) {
        if (strlen(L->names[i]) == n && memcmp(L->names[i], s, n) == 0) {
            L->last = i;
            return i;
        }
    }
    if (L->fixed)
        return -1;
    if (L->n >= CFD_MAX_LABELS)
        return -3;
    if (L->n == L->cap) {
        uint32_t cap = L->cap ? L->cap * 2 : 16;
        char **p = realloc(L->names, cap * sizeof(*p));
        if (p == NULL)
            return -2;
        L->names = p;
        L->cap = cap;
    }
    char *copy = strndup(s, n);
    if (copy == NULL)
        return -2;
    L->names[L->n] = copy;
    L->last = L->n;
    return L->n++;
}

static int cfd__strptrcmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- the dataset --------------------------------------------------------- */

int cfd_dataset_label_index(const cfd_dataset *ds, const char *s)
{
    for (uint32_t i = 0; i < ds->n_labels; i++)
        if (strcmp(ds->labels[i], s) == 0)
            return (int)i;
    return -1;
}

void cfd_dataset_free(cfd_dataset *ds)
{
    if (ds == NULL)
        return;
    free(ds->path);
    free(ds->ex);
    free(ds->group);
    for (uint32_t i = 0; i < ds->n_labels; i++)
        free(ds->labels[i]);
    free(ds->labels);
    free(ds->file_buf);
    cfd__arena_free(ds->arena);
    free(ds);
}

/* Bytes of the lead of s (valid UTF-8, len bytes) for cfd_dataset_add_leads,
 * or 0 when s has at most n code points. */
static size_t cfd__lead_bytes(const char *s, size_t len, size_t n)
{
    size_t cp = 0, cut_n = len, last_space = 0;
    int have_space = 0;
    const size_t from = n > 20 ? n - 20 : 0;
    for (size_t i = 0; i < len; i++) {
        if (((unsigned char)s[i] & 0xC0) == 0x80)
            continue; /* continuation byte */
        if (cp == n) {
            cut_n = i;
            break;
        }
        if (s[i] == ' ' && cp >= from) {
            last_space = i;
            have_space = 1;
        }
        cp++;
    }
    if (cut_n == len)
        return 0; /* n code points or fewer */
    return have_space && last_space > 0 ? last_space : cut_n;
}

int cfd_dataset_add_leads(cfd_dataset *ds, size_t n)
{
    if (n == 0 || ds->group != NULL)
        return CFD_EINVAL;
    /* room for a copy of every example: one pass, no counting pass first */
    cfd_example *ex = malloc(2 * ds->n * sizeof(*ex));
    uint32_t *group = malloc(2 * ds->n * sizeof(*group));
    if (ex == NULL || group == NULL) {
        free(ex);
        free(group);
        return CFD_ENOMEM;
    }
    size_t j = 0;
    for (size_t i = 0; i < ds->n; i++) {
        const cfd_example *e = &ds->ex[i];
        const uint32_t orig = (uint32_t)j;
        ex[j] = *e;
        group[j++] = orig;
        size_t cut = cfd__lead_bytes(e->body, e->body_len, n);
        if (cut == 0)
            continue;
        char *body = cfd__arena_strdup(&ds->arena, e->body, cut);
        if (body == NULL) {
            free(ex);
            free(group);
            return CFD_ENOMEM;
        }
        ex[j] = *e;
        ex[j].body = body;
        ex[j].body_len = cut;
        group[j++] = orig;
    }
    free(ds->ex);
    ds->ex = ex;
    ds->n = j;
    ds->group = group;
    return 0;
}

static int cfd__push(cfd_dataset *ds, size_t *cap, const cfd_example *e)
{
    if (ds->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 1024;
        cfd_example *p = realloc(ds->ex, nc * sizeof(*p));
        if (p == NULL)
            return CFD_ENOMEM;
        ds->ex = p;
        *cap = nc;
    }
    ds->ex[ds->n++] = *e;
    return 0;
}

/* "a, b, c" into out; when not all fit, as many as fit and then ", ..." (the
 * message around it gives the count). */
static void cfd__label_list(const cfd__labels *L, char *out, size_t out_len)
{
    static const char more[] = ", ...";
    size_t pos = 0;
    out[0] = '\0';
    for (uint32_t i = 0; i < L->n; i++) {
        size_t w = (i ? 2 : 0) + strlen(L->names[i]);
        /* the previous round left room for `more` (or out_len >= 6 at i = 0) */
        if (pos + w + (i + 1 < L->n ? sizeof(more) : 1) > out_len) {
            snprintf(out + pos, out_len - pos, "%s", i ? more : "...");
            return;
        }
        pos += (size_t)snprintf(out + pos, out_len - pos, "%s%s", i ? ", " : "", L->names[i]);
    }
}

int cfd_dataset_load(const char *path, enum cfd_data_format fmt,
                     const char *const *fixed_labels, uint32_t n_fixed,
                     cfd_dataset **out, cfd_error *err)
{
    *out = NULL;
    cfd__labels L = {0};
    uint32_t *remap = NULL;
    size_t cap = 0;
    int rc;
    cfd_dataset *ds = calloc(1, sizeof(*ds));
    if (ds == NULL || (ds->path = strdup(path)) == NULL) {
        rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "%s: out of memory", path);
        goto fail;
    }
    size_t len = 0;
    if ((rc = cfd_file_read(path, CFD_DATASET_MAX_BYTES, &ds->file_buf, &len, NULL, err)) != 0)
        goto fail;
    cfd__sha256(ds->file_buf, len, ds->sha256, ds->sha256_hex);
    ds->format = fmt != CFD_FORMAT_AUTO ? fmt : cfd__detect(path, ds->file_buf, len);
    if (n_fixed > 0) {
        L.fixed = 1;
        L.names = (char **)fixed_labels; /* only read in fixed mode */
        L.n = n_fixed;
    }
    char *p = ds->file_buf, *end = ds->file_buf + len;
    p += cfd_utf8_bom(p, len); /* a byte order mark is not part of a label */
    uint32_t lineno = 0;
    while (p < end) {
        lineno++;
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *line = p;
        size_t line_len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        size_t line_off = (size_t)(p - ds->file_buf);
        p = nl ? nl + 1 : end;
        if (line_len > 0 && line[line_len - 1] == '\r')
            line_len--;
        line[line_len] = '\0';
        size_t bad;
        if (cfd_utf8_validate(line, line_len, &bad) != 0) {
            rc = cfd_error_set(err, CFD_EUTF8, line_off + bad,
                               "%s:%u: invalid UTF-8 at byte %zu (column %zu of the line); "
                               "the file must be UTF-8%s", path, lineno, line_off + bad,
                               bad + 1, cfd__encoding_hint(ds->file_buf, len, line_off + bad));
            goto fail;
        }
        size_t blank = 0;
        while (blank < line_len && (line[blank] == ' ' || line[blank] == '\t'))
            blank++;
        if (blank == line_len)
            continue;
        cfd_fields f;
        cJSON *json = NULL;
        char tmp[32];
        if (ds->format == CFD_FORMAT_TSV)
            rc = cfd_fields_tsv(line, line_len, 1, &f, err);
        else
            rc = cfd_fields_json(line, line_len, 1, &f, tmp, sizeof(tmp), &json, err);
        if (rc != 0) {
            cfd_error_prefix(err, "%s:%u", path, lineno);
            goto fail;
        }
        char why[128];
        if (cfd__label_check(f.label, f.label_len, ds->format, why, sizeof(why)) != 0) {
            cJSON_Delete(json);
            rc = cfd_error_set(err, CFD_EFORMAT, line_off, "%s:%u: %s", path, lineno, why);
            goto fail;
        }
        if (f.title_len == 0 && f.body_len == 0) {
            cJSON_Delete(json);
            rc = cfd_error_set(err, CFD_EFORMAT, line_off,
                               "%s:%u: the example has no text (%s)", path, lineno,
                               ds->format == CFD_FORMAT_JSONL
                                   ? "\"title\", \"body\" and \"text\" are all missing or empty"
                                   : "expected text after the label");
            goto fail;
        }
        long id = cfd__label_id(&L, f.label, f.label_len);
        if (id < 0) {
            cJSON_Delete(json);
            if (id == -1) {
                char list[160];
                cfd__label_list(&L, list, sizeof(list));
                rc = cfd_error_set(err, CFD_EFORMAT, line_off,
                                   "%s:%u: label \"%.*s\" is not one of the %u known labels (%s)",
                                   path, lineno, (int)(f.label_len > 64 ? 64 : f.label_len),
                                   f.label, L.n, list);
            } else if (id == -3) {
                rc = cfd_error_set(err, CFD_ETOOBIG, line_off,
                                   "%s:%u: more than %d distinct labels", path, lineno,
                                   CFD_MAX_LABELS);
            } else {
                rc = cfd_error_set(err, CFD_ENOMEM, line_off, "%s: out of memory", path);
            }
            goto fail;
        }
        cfd_example e = {.label = (uint32_t)id, .line = lineno};
        if (json != NULL) {
            e.title = cfd__arena_strdup(&ds->arena, f.title, f.title_len);
            e.body = cfd__arena_strdup(&ds->arena, f.body, f.body_len);
            cJSON_Delete(json);
            if (e.title == NULL || e.body == NULL) {
                rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "%s: out of memory", path);
                goto fail;
            }
        } else {
            e.title = f.title;
            e.body = f.body;
        }
        e.title_len = f.title_len;
        e.body_len = f.body_len;
        if ((rc = cfd__push(ds, &cap, &e)) != 0) {
            cfd_error_set(err, rc, (size_t)-1, "%s: out of memory", path);
            goto fail;
        }
    }
    if (ds->n == 0) {
        rc = cfd_error_set(err, CFD_EEMPTY, (size_t)-1,
                           "%s: %s (expected one example per line: label<TAB>text or "
                           "a JSON object)", path, len == 0 ? "the file is empty" : "no example in the file");
        goto fail;
    }
    /* Labels: copy the fixed set, or sort the collected one and remap. */
    ds->labels = calloc(L.n, sizeof(char *));
    if (ds->labels == NULL) {
        rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "%s: out of memory", path);
        goto fail;
    }
    if (L.fixed) {
        for (uint32_t i = 0; i < L.n; i++) {
            if ((ds->labels[i] = strdup(L.names[i])) == NULL) {
                ds->n_labels = i;
                rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "%s: out of memory", path);
                goto fail;
            }
        }
        ds->n_labels = L.n;
        L.names = NULL; /* not ours */
    } else {
        const uint32_t k = L.n;
        memcpy(ds->labels, L.names, k * sizeof(char *));
        ds->n_labels = k; /* the dataset owns the names now */
        free(L.names);
        L.names = NULL;
        L.n = 0;
        remap = malloc(k * sizeof(*remap));
        char **orig = malloc(k * sizeof(*orig));
        if (remap == NULL || orig == NULL) {
            free(orig);
            rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "%s: out of memory", path);
            goto fail;
        }
        memcpy(orig, ds->labels, k * sizeof(*orig));
        qsort(ds->labels, k, sizeof(char *), cfd__strptrcmp);
        for (uint32_t i = 0; i < k; i++)
            for (uint32_t j = 0; j < k; j++)
                if (ds->labels[j] == orig[i])
                    remap[i] = j;
        free(orig);
        for (size_t i = 0; i < ds->n; i++)
            ds->ex[i].label = remap[ds->ex[i].label];
    }
    free(remap);
    *out = ds;
    return 0;
fail:
    if (!L.fixed) {
        for (uint32_t i = 0; i < L.n; i++)
            free(L.names[i]);
        free(L.names);
    }
    free(remap);
    cfd_dataset_free(ds);
    return rc;
}

