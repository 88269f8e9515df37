/*
 * Rules file parser and rule scoring; the format and the scoring rule are
 * documented in rules_file.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <utf8proc.h>
#include <xxhash.h>

#include "file_read.h"
#include "rules_file.h"
#include "rules_norm.h"
#include "utf8.h"

void cfd_rules_free(cfd_rules *r)
{
    if (r == NULL)
        return;
    for (uint32_t i = 0; i < r->n_labels; i++)
        free(r->labels[i]);
    free(r->labels);
    for (uint32_t i = 0; i < r->n_terms; i++)
        free((void *)r->terms[i].cps);
    free(r->terms);
    free(r->rules);
    cfd_ac_free(r->ac);
    free(r);
}

typedef struct cfd__rparse {
    cfd_rules *r;
    uint32_t cap_labels, cap_rules, cap_terms;
    const char *name;
    uint32_t line;
} cfd__rparse;

static int cfd__grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    uint32_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, (size_t)c * elem);
    if (q == NULL)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

static int cfd__oom(cfd__rparse *ps, cfd_error *err)
{
    return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "%s:%u: out of memory", ps->name,
                         (unsigned)ps->line);
}

static int cfd__label_index(cfd__rparse *ps, const char *s, size_t n, uint32_t *out,
                            cfd_error *err)
{
    cfd_rules *r = ps->r;
    for (uint32_t i = 0; i < r->n_labels; i++)
        if (strlen(r->labels[i]) == n && memcmp(r->labels[i], s, n) == 0) {
            *out = i;
            return 0;
        }
    if (r->n_labels == CFD_RULES_MAX_LABELS)
        return cfd_error_set(err, CFD_ETOOBIG, (size_t)-1, "%s:%u: more than %d labels",
                             ps->name, (unsigned)ps->line, CFD_RULES_MAX_LABELS);
    if (cfd__grow((void **)&r->labels, &ps->cap_labels, r->n_labels + 1, sizeof(char *)))
        return cfd__oom(ps, err);
    r->labels[r->n_labels] = strndup(s, n);
    if (r->labels[r->n_labels] == NULL)
        return cfd__oom(ps, err);
    *out = r->n_labels++;
    return 0;
}

/* Labels are identifiers compared byte-wise with other plugins' labels:
 * store them in NFC whatever form the editor typed. */
static int cfd__label_nfc(cfd__rparse *ps, const char *s, size_t n, uint32_t *out,
                          cfd_error *err)
{
    char tmp[257];
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *nfc = (char *)utf8proc_NFC((const utf8proc_uint8_t *)tmp);
    if (nfc == NULL)
        return cfd__oom(ps, err);
    int rc = cfd__label_index(ps, nfc, strlen(nfc), out, err);
    free(nfc);
    return rc;
}

static void cfd__trim(const char **s, const char **e)
{
    while (*s < *e && (**s == ' ' || **s == '\t'))
        (*s)++;
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r'))
        (*e)--;
}

/* Trims white space as the matcher sees it (cfd_norm_is_space: also NBSP,
 * U+3000...) from both ends of valid UTF-8 [*s, *e). An editor's IME types
 * an ideographic space as easily as a space; left in a term it would make
 * the term a run of white space that every article matches. */
static void cfd__trim_space(const char **s, const char **e)
{
    uint32_t cp;
    size_t n;
    /* cfd_norm_is_space includes ' ', '\t' and '\r', so no cfd__trim first */
    while (*s < *e &&
           (n = cfd_utf8_decode((const unsigned char *)*s, (size_t)(*e - *s), &cp)) > 0 &&
           cfd_norm_is_space(cp))
        *s += n;
    while (*e > *s) {
        const char *q = *e - 1; /* the start of the last code point */
        while (q > *s && ((unsigned char)*q & 0xC0) == 0x80)
            q--;
        if (cfd_utf8_decode((const unsigned char *)q, (size_t)(*e - q), &cp) == 0 ||
            !cfd_norm_is_space(cp))
            break;
        *e = q;
    }
}

/* Adds one term [s, e) (already trimmed) to rule `rule`. */
static int cfd__add_term(cfd__rparse *ps, const char *s, const char *e, cfd_error *err)
{
    cfd_rules *r = ps->r;
    int whole = 0;
    if (e - s >= 2 && s[0] == '<' && e[-1] == '>') {
        whole = 1;
        s++;
        e--;
        cfd__trim_space(&s, &e);
    }
    if (s == e)
        return cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                             "%s:%u: empty term in pattern (terms are separated by | or &)",
                             ps->name, (unsigned)ps->line);
    if (r->n_terms == CFD_RULES_MAX_TERMS)
        return cfd_error_set(err, CFD_ETOOBIG, (size_t)-1, "%s:%u: more than %d terms",
                             ps->name, (unsigned)ps->line, CFD_RULES_MAX_TERMS);
    uint32_t buf[CFD_AC_TERM_MAX + 1], n = 0, cp;
    cfd_norm_iter it;
    cfd_norm_init(&it, s, (size_t)(e - s));
    while (cfd_norm_next(&it, &cp)) {
        if (cfd_norm_is_space(cp)) { /* any run of white space matches any other */
            if (n > 0 && buf[n - 1] == ' ')
                continue;
            cp = ' ';
        }
        if (n == CFD_AC_TERM_MAX)
            return cfd_error_set(err, CFD_ETOOBIG, (size_t)-1,
                                 "%s:%u: a term is longer than %d characters", ps->name,
                                 (unsigned)ps->line, CFD_AC_TERM_MAX);
        buf[n++] = cp;
    }
    if (n == 0) /* only what matching ignores (a zero width space) */
        return cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                             "%s:%u: a term holds only invisible characters (zero width "
                             "space, soft hyphen, ...), which matching ignores", ps->name,
                             (unsigned)ps->line);
    if (cfd__grow((void **)&r->terms, &ps->cap_terms, r->n_terms + 1, sizeof(cfd_ac_term)))
        return cfd__oom(ps, err);
    uint32_t *cps = malloc(n * sizeof(uint32_t));
    if (cps == NULL)
        return cfd__oom(ps, err);
    memcpy(cps, buf, n * sizeof(uint32_t));
    r->terms[r->n_terms++] = (cfd_ac_term){cps, n, whole};
    r->rules[r->n_rules - 1].n_terms++;
    return 0;
}

static int cfd__parse_line(cfd__rparse *ps, const char *s, const char *e, cfd_error *err)
{
    cfd_rules *r = ps->r;
    const char *t1 = memchr(s, '\t', (size_t)(e - s));
    const char *t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(e - t1 - 1)) : NULL;
    if (t1 == NULL || t2 == NULL)
        return cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                             "%s:%u: expected label<TAB>weight<TAB>pattern (found %d field%s)",
                             ps->name, (unsigned)ps->line, t1 ? 2 : 1, t1 ? "s" : "");
    const char *ls = s, *le = t1;
    cfd__trim_space(&ls, &le);
    if (ls == le || le - ls > 256)
        return cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                             "%s:%u: label must be 1 to 256 bytes", ps->name,
                             (unsigned)ps->line);
    for (const char *p = ls; p < le; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                                 "%s:%u: control character in label", ps->name,
                                 (unsigned)ps->line);
    char num[32];
    const char *ws = t1 + 1, *we = t2;
    cfd__trim(&ws, &we);
    size_t wn = (size_t)(we - ws);
    char *end = NULL;
    double w = NAN;
    if (wn > 0 && wn < sizeof(num)) {
        memcpy(num, ws, wn);
        num[wn] = '\0';
        w = strtod(num, &end);
    }
    if (end == NULL || *end != '\0' || !(w > 0.0 && w <= 1.0) || !((float)w > 0.0f))
        return cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                             "%s:%u: weight \"%.*s\" is not a number in (0, 1]", ps->name,
                             (unsigned)ps->line, (int)(wn < sizeof(num) ? wn : sizeof(num)), ws);
    const char *ps_ = t2 + 1, *pe = e;
    cfd__trim_space(&ps_, &pe);
    if (ps_ == pe)
        return cfd_error_set(err, CFD_EFORMAT, (size_t)-1, "%s:%u: empty pattern", ps->name,
                             (unsigned)ps->line);
    if (memchr(ps_, '\t', (size_t)(pe - ps_)) != NULL)
        return cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                             "%s:%u: TAB in the pattern (a rule has exactly three fields)",
                             ps->name, (unsigned)ps->line);
    int has_or = memchr(ps_, '|', (size_t)(pe - ps_)) != NULL;
    int has_and = memchr(ps_, '&', (size_t)(pe - ps_)) != NULL;
    if (has_or && has_and)
        return cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                             "%s:%u: pattern mixes | and & (write one rule per combination)",
                             ps->name, (unsigned)ps->line);
    uint32_t label = 0;
    int rc = cfd__label_nfc(ps, ls, (size_t)(le - ls), &label, err);
    if (rc != 0)
        return rc;
    if (cfd__grow((void **)&r->rules, &ps->cap_rules, r->n_rules + 1, sizeof(cfd_rule)))
        return cfd__oom(ps, err);
    r->rules[r->n_rules++] = (cfd_rule){label, (float)w, ps->line, has_and, r->n_terms, 0};
    char sep = has_and ? '&' : '|';
    const char *p = ps_;
    for (;;) {
        const char *q = memchr(p, sep, (size_t)(pe - p));
        const char *ts = p, *te = q ? q : pe;
        cfd__trim_space(&ts, &te);
        rc = cfd__add_term(ps, ts, te, err);
        if (rc != 0)
            return rc;
        if (q == NULL)
            break;
        p = q + 1;
    }
    return 0;
}

/* Label, kind and normalised terms of rule i, hashed (for duplicates). */
static uint64_t cfd__rule_hash(const cfd_rules *r, uint32_t i)
{
    const cfd_rule *ru = &r->rules[i];
    uint64_t h = XXH3_64bits_withSeed(&ru->label, sizeof ru->label, (uint64_t)ru->all_of);
    for (uint32_t t = ru->first_term; t < ru->first_term + ru->n_terms; t++)
        h = XXH3_64bits_withSeed(r->terms[t].cps, r->terms[t].len * sizeof(uint32_t), h);
    return h;
}

static int cfd__same_rule(const cfd_rules *r, uint32_t a, uint32_t b)
{
    const cfd_rule *x = &r->rules[a], *y = &r->rules[b];
    if (x->label != y->label || x->all_of != y->all_of || x->n_terms != y->n_terms)
        return 0;
    for (uint32_t k = 0; k < x->n_terms; k++) {
        const cfd_ac_term *s = &r->terms[x->first_term + k], *t = &r->terms[y->first_term + k];
        if (s->len != t->len || memcmp(s->cps, t->cps, s->len * sizeof(uint32_t)) != 0)
            return 0;
    }
    return 1;
}

typedef struct cfd__hrule {
    uint64_t h;
    uint32_t i;
} cfd__hrule;

static int cfd__hrule_cmp(const void *a, const void *b)
{
    const cfd__hrule *x = a, *y = b;
    return x->h != y->h ? (x->h < y->h ? -1 : 1) : (x->i < y->i ? -1 : x->i > y->i);
}

/*
 * Two copies of one rule (same label, same normalised pattern, whatever the
 * weights) would count as two independent pieces of evidence (0.6 twice is
 * 0.84): an editor's slip, refused with both lines. O(n log n).
 */
static int cfd__no_duplicates(cfd__rparse *ps, cfd_error *err)
{
    const cfd_rules *r = ps->r;
    cfd__hrule *h = malloc((size_t)r->n_rules * sizeof(*h));
    if (h == NULL)
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
    for (uint32_t i = 0; i < r->n_rules; i++)
        h[i] = (cfd__hrule){cfd__rule_hash(r, i), i};
    qsort(h, r->n_rules, sizeof(*h), cfd__hrule_cmp);
    int rc = 0;
    for (uint32_t k = 0; k + 1 < r->n_rules && rc == 0; k++)
        for (uint32_t j = k + 1; j < r->n_rules && h[j].h == h[k].h && rc == 0; j++)
            if (cfd__same_rule(r, h[k].i, h[j].i))
                rc = cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                                   "%s:%u: the same rule as line %u (label and pattern); two "
                                   "copies would count twice: delete one",
                                   ps->name, (unsigned)r->rules[h[j].i].line,
                                   (unsigned)r->rules[h[k].i].line);
    free(h);
    return rc;
}

int cfd_rules_parse(const char *text, size_t len, const char *name, cfd_rules **out,
                    cfd_error *err)
{
    cfd__rparse ps = {0};
    size_t bad;
    int rc;
    *out = NULL;
    if (cfd_utf8_validate(text, len, &bad) != 0) {
        uint32_t line = 1;
        for (size_t i = 0; i < bad; i++)
            line += text[i] == '\n';
        return cfd_error_set(err, CFD_EUTF8, bad, "%s:%u: invalid UTF-8 at byte %zu", name,
                             (unsigned)line, bad);
    }
    ps.r = calloc(1, sizeof(*ps.r));
    if (ps.r == NULL)
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
    ps.name = name;
    const char *p = text, *end = text + len;
    p += cfd_utf8_bom(p, len); /* a byte order mark is not part of the first rule */
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        ps.line++;
        const char *s = p, *e = le;
        cfd__trim(&s, &e);
        if (s < e && *s != '#') {
            rc = cfd__parse_line(&ps, p, le, err);
            if (rc != 0)
                goto fail;
        }
        p = nl ? nl + 1 : end;
    }
    if (ps.r->n_rules == 0) {
        rc = cfd_error_set(err, CFD_EEMPTY, (size_t)-1,
                           "%s: no rules (expected lines label<TAB>weight<TAB>pattern)", name);
        goto fail;
    }
    if ((rc = cfd__no_duplicates(&ps, err)) != 0)
        goto fail;
    rc = cfd_ac_build(ps.r->terms, ps.r->n_terms, &ps.r->ac);
    if (rc != 0) {
        cfd_error_set(err, rc, (size_t)-1, "%s: building the matcher failed: %s", name,
                      cfd_strerror(rc));
        goto fail;
    }
    *out = ps.r;
    return 0;
fail:
    cfd_rules_free(ps.r);
    return rc;
}

int cfd_rules_load(const char *path, cfd_rules **out, cfd_error *err)
{
    *out = NULL;
    struct stat st;
    char *buf;
    size_t n;
    int rc = cfd_file_read(path, CFD_RULES_MAX_BYTES, &buf, &n, &st, err);
    if (rc != 0)
        return rc;
    const char *base = strrchr(path, '/');
    rc = cfd_rules_parse(buf, n, base ? base + 1 : path, out, err);
    if (rc == 0) {
        struct tm tm;
        gmtime_r(&st.st_mtime, &tm);
        strftime((*out)->version, sizeof((*out)->version), "%Y%m%dT%H%M%SZ", &tm);
        snprintf((*out)->checksum, sizeof((*out)->checksum), "%016llx",
                 (unsigned long long)XXH3_64bits(buf, n));
    }
    free(buf);
    return rc;
}

void cfd_rules_classify(const cfd_rules *r, const char *title, size_t title_len,
                        const char *body, size_t body_len, float *probs, int32_t *detail)
{
    uint64_t seen[CFD_RULES_MAX_TERMS / 64];
    size_t words = (r->n_terms + 63) / 64;
    memset(seen, 0, words * sizeof(uint64_t));
    cfd_ac_scan(r->ac, title, title_len, seen);
    cfd_ac_scan(r->ac, body, body_len, seen);

    /* probs[] first holds prod(1 - w) per label. */
    for (uint32_t l = 0; l < r->n_labels; l++)
        probs[l] = 1.0f;
    float best = 0;
    *detail = -1;
    for (uint32_t i = 0; i < r->n_rules; i++) {
        const cfd_rule *ru = &r->rules[i];
        uint32_t hits = 0;
        for (uint32_t t = ru->first_term; t < ru->first_term + ru->n_terms; t++)
            hits += (seen[t >> 6] >> (t & 63)) & 1;
        if (ru->all_of ? hits != ru->n_terms : hits == 0)
            continue;
        probs[ru->label] *= 1.0f - ru->weight;
        if (ru->weight > best) {
            best = ru->weight;
            *detail = (int32_t)ru->line;
        }
    }
    float sum = 0;
    for (uint32_t l = 0; l < r->n_labels; l++) {
        probs[l] = 1.0f - probs[l];
        sum += probs[l];
    }
    if (sum > 1.0f)
        for (uint32_t l = 0; l < r->n_labels; l++)
            probs[l] /= sum;
}
