/*
 * What makes a model valid: the rules shared by the model file reader, the
 * writer and cfd_model_from_dense (see model_format.h for why they live in
 * one place). Each check names the offending thing and what was expected.
 */
#define _GNU_SOURCE /* qsort_r */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "featurize.h"
#include "model_format.h"
#include "utf8.h"

int cfd_model_check_text(const char *what, const char *s, size_t len, size_t max,
                         int empty_ok, int plain, size_t file_off, cfd_error *err)
{
    const size_t at = file_off;
    if (len > max)
        return cfd_error_set(err, CFD_ETOOBIG, at, "%s is %zu bytes long; the limit is %zu",
                             what, len, max);
    if (len == 0 && !empty_ok)
        return cfd_error_set(err, CFD_EEMPTY, at,
                             "%s is empty; it must have at least one character", what);
    const char *nul = memchr(s, '\0', len);
    if (nul != NULL) {
        size_t i = (size_t)(nul - s);
        return cfd_error_set(err, CFD_EFORMAT, at == (size_t)-1 ? at : at + i,
                             "%s contains a NUL byte at byte %zu", what, i);
    }
    size_t bad = 0;
    if (cfd_utf8_validate(s, len, &bad) != 0)
        return cfd_error_set(err, CFD_EUTF8, at == (size_t)-1 ? at : at + bad,
                             "%s is not valid UTF-8 (first bad byte at %zu of %zu)", what, bad,
                             len);
    if (plain) {
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c < 0x20 || c == 0x7f)
                return cfd_error_set(err, CFD_EFORMAT, at == (size_t)-1 ? at : at + i,
                                     "%s contains control character 0x%02x at byte %zu; "
                                     "%s must be printable", what, c, i, what);
        }
    }
    return 0;
}

static int cfd__cmp_label_idx(const void *a, const void *b, void *ctx)
{
    const char *const *labels = ctx;
    uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
    int c = strcmp(labels[i], labels[j]);
    return c != 0 ? c : (i > j) - (i < j);
}

int cfd_model_check_labels(const char *const *labels, uint32_t n, const size_t *offs,
                           cfd_error *err)
{
    if (n < 2 || n > CFD_MAX_LABELS)
        return cfd_error_set(err, n < 2 ? CFD_EFORMAT : CFD_ETOOBIG, (size_t)-1,
                             "label count is %u; a model needs 2..%d labels", n, CFD_MAX_LABELS);
    for (uint32_t i = 0; i < n; i++) {
        if (labels[i] == NULL)
            return cfd_error_set(err, CFD_EINVAL, (size_t)-1, "label %u is NULL", i);
        char what[32];
        snprintf(what, sizeof(what), "label %u", i);
        int rc = cfd_model_check_text(what, labels[i], strlen(labels[i]), CFD_MAX_LABEL_LEN, 0, 1,
                                      offs ? offs[i] : (size_t)-1, err);
        if (rc != 0)
            return rc;
    }
    uint32_t *idx = malloc(n * sizeof(*idx));
    if (idx == NULL)
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory checking %u labels", n);
    for (uint32_t i = 0; i < n; i++)
        idx[i] = i;
    qsort_r(idx, n, sizeof(*idx), cfd__cmp_label_idx, (void *)labels);
    int rc = 0;
    for (uint32_t k = 1; k < n; k++) {
        uint32_t a = idx[k - 1], b = idx[k];
        if (strcmp(labels[a], labels[b]) == 0) {
            uint32_t first = a < b ? a : b, second = a < b ? b : a;
            rc = cfd_error_set(err, CFD_EFORMAT, offs ? offs[second] : (size_t)-1,
                               "labels %u and %u are both \"%.64s\"; labels must be unique",
                               first, second, labels[first]);
            break;
        }
    }
    free(idx);
    return rc;
}

static int cfd__check_fixed(const char *what, const char *s, size_t cap, cfd_error *err)
{
    const char *nul = memchr(s, '\0', cap);
    if (nul == NULL)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "meta.%s is not NUL-terminated within its %zu bytes", what, cap);
    char label[40];
    snprintf(label, sizeof(label), "meta.%s", what);
    return cfd_model_check_text(label, s, (size_t)(nul - s), cap - 1, 1, 1, (size_t)-1, err);
}

int cfd_model_check_meta(const cfd_model_meta *meta, cfd_error *err)
{
    int rc;
    if ((rc = cfd__check_fixed("version", meta->version, sizeof(meta->version), err)) != 0 ||
        (rc = cfd__check_fixed("data_sha256", meta->data_sha256, sizeof(meta->data_sha256),
                               err)) != 0 ||
        (rc = cfd__check_fixed("solver", meta->solver, sizeof(meta->solver), err)) != 0)
        return rc;
    size_t n = strlen(meta->data_sha256);
    if (n != 0 && n != 64)
        return cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                             "meta.data_sha256 has %zu characters; expected 64 hex digits or "
                             "none", n);
    for (size_t i = 0; i < n; i++) {
        char c = meta->data_sha256[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                                 "meta.data_sha256 character %zu is '%c'; expected lowercase hex",
                                 i, c);
    }
    if (!(meta->c >= 0.0 && meta->c <= 1e300))
        return cfd_error_set(err, CFD_ERANGE, (size_t)-1,
                             "meta.c is %g; expected a finite value >= 0 (0 = unknown)", meta->c);
    if (meta->metrics_json != NULL &&
        (rc = cfd_model_check_text("meta.metrics_json", meta->metrics_json,
                                   strlen(meta->metrics_json), CFD_MF_TEXT_MAX, 1, 0,
                                   (size_t)-1, err)) != 0)
        return rc;
    if (meta->notes != NULL &&
        (rc = cfd_model_check_text("meta.notes", meta->notes, strlen(meta->notes),
                                   CFD_MF_TEXT_MAX, 1, 0, (size_t)-1, err)) != 0)
        return rc;
    return 0;
}

int cfd_model_check_strings(const char *name, const char *version, const char *notes,
                            cfd_error *err)
{
    int rc = 0;
    if (name != NULL)
        rc = cfd_model_check_text("model name", name, strlen(name), CFD_MAX_NAME_LEN, 0, 1,
                                  (size_t)-1, err);
    if (rc == 0 && version != NULL)
        rc = cfd_model_check_text("meta.version", version, strlen(version),
                                  sizeof(((cfd_model_meta *)0)->version) - 1, 1, 1, (size_t)-1,
                                  err);
    if (rc == 0 && notes != NULL)
        rc = cfd_model_check_text("meta.notes", notes, strlen(notes), CFD_MF_TEXT_MAX, 1, 0,
                                  (size_t)-1, err);
    return rc;
}

int cfd_model_check(const cfd_model *m, cfd_error *err)
{
    int rc;
    if (m->name == NULL)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1, "model name is NULL");
    if ((rc = cfd_model_check_text("model name", m->name, strlen(m->name), CFD_MAX_NAME_LEN, 0, 1,
                                   (size_t)-1, err)) != 0)
        return rc;
    if (m->labels == NULL)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1, "model '%s' has no label array", m->name);
    if ((rc = cfd_model_check_labels((const char *const *)m->labels, m->n_labels, NULL, err)) != 0)
        return rc;
    if ((rc = cfd_feat_config_check(&m->feat, err)) != 0)
        return rc; /* its message names the field */
    if (m->n_buckets != (uint32_t)1 << m->feat.hash_bits)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "n_buckets is %u; hash_bits %u requires %u", m->n_buckets,
                             m->feat.hash_bits, (uint32_t)1 << m->feat.hash_bits);
    if (m->feat.use_idf != (m->idf != NULL))
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             m->feat.use_idf
                                 ? "featurizer config has use_idf = 1 but the model has no IDF "
                                   "table"
                                 : "the model has an IDF table but its featurizer config has "
                                   "use_idf = 0");
    if (m->n_rows > m->n_buckets)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1, "n_rows %u exceeds n_buckets %u",
                             m->n_rows, m->n_buckets);
    if (m->row_of == NULL && m->packed != NULL)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "model '%s' keeps only its scoring table (cfd_model_shed_rows); "
                             "load the file again to save or export it", m->name);
    if (m->row_of == NULL || m->bias == NULL || (m->n_rows > 0 && m->rows == NULL))
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "model '%s' lacks row_of, rows or bias", m->name);
    uint32_t used = 0;
    for (uint32_t b = 0; b < m->n_buckets; b++) {
        uint32_t r = m->row_of[b];
        if (r == CFD_NO_ROW)
            continue;
        if (r >= m->n_rows)
            return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                                 "row_of[%u] = %u but the model has %u rows", b, r, m->n_rows);
        used++;
    }
    if (used != m->n_rows)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "row_of maps %u buckets but the model has %u rows", used, m->n_rows);
    size_t nw = (size_t)m->n_rows * m->n_labels;
    for (size_t i = 0; i < nw; i++)
        if (!cfd_f32_is_finite(m->rows[i]))
            return cfd_error_set(err, CFD_ERANGE, (size_t)-1, "weight %zu (row %zu, label %zu) is "
                                 "not finite", i, i / m->n_labels, i % m->n_labels);
    for (uint32_t c = 0; c < m->n_labels; c++)
        if (!cfd_f32_is_finite(m->bias[c]))
            return cfd_error_set(err, CFD_ERANGE, (size_t)-1, "bias of label %u is not finite", c);
    if (m->idf != NULL)
        for (uint32_t b = 0; b < m->n_buckets; b++)
            if (!cfd_f32_is_finite(m->idf[b]) || m->idf[b] < 0.0f)
                return cfd_error_set(err, CFD_ERANGE, (size_t)-1,
                                     "idf[%u] is %g; expected a finite value >= 0", b,
                                     (double)m->idf[b]);
    if (!(cfd_f32_is_finite(m->prob_scale) && m->prob_scale > 0.0f))
        return cfd_error_set(err, CFD_ERANGE, (size_t)-1,
                             "prob_scale is %g; expected a finite value > 0",
                             (double)m->prob_scale);
    return cfd_model_check_meta(&m->meta, err);
}

int cfd_model_meta_copy(cfd_model_meta *dst, const cfd_model_meta *src)
{
    memset(dst, 0, sizeof(*dst));
    memcpy(dst->version, src->version, sizeof(dst->version));
    memcpy(dst->data_sha256, src->data_sha256, sizeof(dst->data_sha256));
    memcpy(dst->solver, src->solver, sizeof(dst->solver));
    dst->n_examples = src->n_examples;
    dst->c = src->c;
    dst->created_unix = src->created_unix;
    if (src->metrics_json != NULL && (dst->metrics_json = strdup(src->metrics_json)) == NULL)
        return CFD_ENOMEM;
    if (src->notes != NULL && (dst->notes = strdup(src->notes)) == NULL) {
        free(dst->metrics_json);
        dst->metrics_json = NULL;
        return CFD_ENOMEM;
    }
    return 0;
}
