/*
 * Aggregation rules, the file: INI loading (libinih) with its checks, the
 * built-in defaults, and the check of loaded rules against the plugins that
 * run (cfd_agg_check). The rule itself is in aggregate.h and
 * docs/AGGREGATION.md; deciding is aggregate.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate_rules.h"
#include "ini_file.h"

void cfd_agg_free(cfd_agg_rules *r)
{
    if (r == NULL)
        return;
    for (uint32_t k = 0; k < r->n_ev; k++) {
        for (uint32_t i = 0; i < r->ev[k].n_map; i++) {
            free(r->ev[k].map[i].from);
            free(r->ev[k].map[i].to);
        }
        free(r->ev[k].map);
    }
    free(r->source);
    free(r);
}

const char *cfd_agg_source(const cfd_agg_rules *r) { return r->source; }

static cfd_agg_rules *cfd__agg_new(const char *source)
{
    cfd_agg_rules *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->source = strdup(source);
    if (r->source == NULL) {
        free(r);
        return NULL;
    }
    strcpy(r->section_plugin, "section");
    r->min_probability = 0.5f;
    r->min_margin = 0.0f;
    strcpy(r->negative_label, "negative");
    return r;
}

/* ---- INI parsing ---- */

typedef struct cfd__agg_parse {
    cfd_agg_rules *r;
    cfd_error err;               /* first error (line added by the caller) */
    int failed;
    int n_keys;                  /* key = value lines seen */
    unsigned dec_seen;           /* [decision] keys set so far, one bit each */
    unsigned char ev_seen[CFD_AGG_MAX_EVIDENCE]; /* weight / disagree_min / same_names */
} cfd__agg_parse;

static int cfd__fail(cfd__agg_parse *ps, int code, const char *fmt, const char *a, const char *b)
{
    if (!ps->failed) {
        cfd_error_set(&ps->err, code, (size_t)-1, fmt, a, b);
        ps->failed = 1;
    }
    return 0; /* tells inih this line failed */
}

/* A number in [0, max] (probabilities: max 1). */
static int cfd__parse_num(const char *v, double max, float *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end != '\0' || !(d >= 0.0 && d <= max))
        return -1;
    *out = (float)d;
    return 0;
}

static int cfd__parse_prob(const char *v, float *out) { return cfd__parse_num(v, 1.0, out); }

static int cfd__parse_bool(const char *v, int *out)
{
    if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "on"))
        *out = 1;
    else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "off"))
        *out = 0;
    else
        return -1;
    return 0;
}

static int cfd__set_name(char *dst, const char *v)
{
    if (!cfd_plugin_name_valid(v, strlen(v)))
        return -1;
    strcpy(dst, v);
    return 0;
}

static cfd__agg_evidence *cfd__evidence(cfd__agg_parse *ps, const char *plugin)
{
    cfd_agg_rules *r = ps->r;
    for (uint32_t k = 0; k < r->n_ev; k++)
        if (!strcmp(r->ev[k].plugin, plugin))
            return &r->ev[k];
    if (r->n_ev == CFD_AGG_MAX_EVIDENCE || !cfd_plugin_name_valid(plugin, strlen(plugin)))
        return NULL;
    cfd__agg_evidence *e = &r->ev[r->n_ev++];
    memset(e, 0, sizeof(*e));
    strcpy(e->plugin, plugin);
    e->weight = 0.5f;
    e->same_names = 1;
    return e;
}

static int cfd__add_map(cfd__agg_evidence *e, const char *from, const char *to)
{
    if (cfd__agg_map_find(e, from) != NULL)
        return -2;
    if (e->n_map == e->cap_map) {
        uint32_t cap = e->cap_map ? e->cap_map * 2 : 8;
        cfd__agg_map *m = realloc(e->map, cap * sizeof(*m));
        if (m == NULL)
            return -1;
        e->map = m;
        e->cap_map = cap;
    }
    cfd__agg_map *m = &e->map[e->n_map];
    m->from = strdup(from);
    m->to = strcmp(to, "-") ? strdup(to) : NULL;
    if (m->from == NULL || (strcmp(to, "-") && m->to == NULL)) {
        free(m->from);
        free(m->to);
        return -1;
    }
    e->n_map++;
    return 0;
}

/* "hangul", "hangul, latin" or "hangul latin" -> one bit per script named;
 * -1 for an empty list or a name that is not a script. */
static int cfd__parse_scripts(const char *value, unsigned *out)
{
    unsigned bits = 0;
    const char *p = value;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '\0')
            break;
        size_t n = strcspn(p, " \t,");
        int c = -1;
        for (int k = 0; k < CFD_TOK_CLASSES; k++)
            if (cfd__agg_scripts[k] != NULL && strlen(cfd__agg_scripts[k]) == n &&
                !memcmp(p, cfd__agg_scripts[k], n))
                c = k;
        if (c < 0)
            return -1;
        bits |= 1u << c;
        p += n;
    }
    if (bits == 0)
        return -1;
    *out = bits;
    return 0;
}

static int cfd__ini_handler(void *user, const char *section, const char *name,
                            const char *value)
{
    cfd__agg_parse *ps = user;
    cfd_agg_rules *r = ps->r;

    ps->n_keys++;
    if (!strcmp(section, "decision")) {
        static const char *const keys[] = {"section_plugin", "min_probability", "min_margin",
                                           "negative_plugin", "negative_min", "negative_label",
                                           "script",         "min_script_share"};
        for (unsigned k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            if (strcmp(name, keys[k]) != 0)
                continue;
            if (ps->dec_seen & (1u << k)) /* the last would silently win */
                return cfd__fail(ps, CFD_EFORMAT, "%s set twice in [decision]%s", name, "");
            ps->dec_seen |= 1u << k;
        }
        int bad = 0;
        if (!strcmp(name, "section_plugin"))
            bad = cfd__set_name(r->section_plugin, value);
        else if (!strcmp(name, "min_probability"))
            bad = cfd__parse_prob(value, &r->min_probability);
        else if (!strcmp(name, "min_margin"))
            bad = cfd__parse_prob(value, &r->min_margin);
        else if (!strcmp(name, "negative_plugin"))
            bad = cfd__set_name(r->negative_plugin, value);
        else if (!strcmp(name, "negative_min"))
            bad = cfd__parse_prob(value, &r->negative_min);
        else if (!strcmp(name, "min_script_share"))
            bad = cfd__parse_prob(value, &r->min_script_share);
        else if (!strcmp(name, "script")) {
            if (cfd__parse_scripts(value, &r->scripts) != 0)
                return cfd__fail(ps, CFD_EFORMAT,
                                 "bad value \"%s\" for %s (expected hangul, han, latin or "
                                 "other, or several separated by commas: hangul, latin)",
                                 value, name);
        } else if (!strcmp(name, "negative_label")) {
            if (value[0] == '\0' || strlen(value) >= sizeof(r->negative_label))
                bad = -1;
            else
                strcpy(r->negative_label, value);
        } else
            return cfd__fail(ps, CFD_EFORMAT,
                             "unknown key \"%s\" in [decision] (expected section_plugin, "
                             "min_probability, min_margin, negative_plugin, negative_label, "
                             "negative_min, script or min_script_share)%s",
                             name, "");
        if (bad)
            return cfd__fail(ps, CFD_EFORMAT,
                             "bad value \"%s\" for %s (probabilities are numbers in [0,1], "
                             "plugin names [a-z0-9_-]{1,32})",
                             value, name);
        return 1;
    }
    if (!strncmp(section, "evidence.", 9)) {
        cfd__agg_evidence *e = cfd__evidence(ps, section + 9);
        if (e == NULL)
            return cfd__fail(ps, CFD_EFORMAT,
                             "bad section [%s]: expected [evidence.<plugin name>], at most 16%s",
                             section, "");
        unsigned bit = !strcmp(name, "weight") ? 1u : !strcmp(name, "disagree_min") ? 2u
                     : !strcmp(name, "same_names") ? 4u : 0u;
        unsigned char *seen = &ps->ev_seen[e - r->ev];
        if (bit & *seen)
            return cfd__fail(ps, CFD_EFORMAT, "%s set twice in [%s]", name, section);
        *seen |= (unsigned char)bit;
        if (!strcmp(name, "weight")) {
            if (cfd__parse_num(value, 100.0, &e->weight))
                return cfd__fail(ps, CFD_EFORMAT,
                                 "bad weight \"%s\" in [%s] (expected a number in [0,100])",
                                 value, section);
        } else if (!strcmp(name, "disagree_min")) {
            if (cfd__parse_prob(value, &e->disagree_min))
                return cfd__fail(ps, CFD_EFORMAT,
                                 "bad disagree_min \"%s\" in [%s] (expected a number in [0,1])",
                                 value, section);
        } else if (!strcmp(name, "same_names")) {
            if (cfd__parse_bool(value, &e->same_names))
                return cfd__fail(ps, CFD_EFORMAT,
                                 "bad same_names \"%s\" in [%s] (expected yes or no)", value,
                                 section);
        } else {
            if (value[0] == '\0')
                return cfd__fail(ps, CFD_EFORMAT,
                                 "label \"%s\" in [%s] maps to nothing (write a section label "
                                 "or - to ignore it)",
                                 name, section);
            int rc = cfd__add_map(e, name, value);
            if (rc == -2)
                return cfd__fail(ps, CFD_EFORMAT, "label \"%s\" mapped twice in [%s]", name,
                                 section);
            if (rc != 0)
                return cfd__fail(ps, CFD_ENOMEM, "out of memory%s%s", "", "");
        }
        return 1;
    }
    return cfd__fail(ps, CFD_EFORMAT,
                     "unknown section [%s] (expected [decision] or [evidence.<plugin>])%s",
                     section, "");
}

static int cfd__agg_finish(cfd__agg_parse *ps, int line, int in_handler, const char *name,
                           cfd_agg_rules **out, cfd_error *err)
{
    if (line < 0) { /* ini_parse_string: -2 = out of memory */
        cfd_agg_free(ps->r);
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "%s: out of memory", name);
    }
    if (line != 0) {
        int code = in_handler ? ps->err.code : CFD_EFORMAT;
        if (in_handler)
            cfd_error_set(err, code, (size_t)-1, "%s:%d: %s", name, line, ps->err.msg);
        else
            cfd_error_set(err, code, (size_t)-1,
                          "%s:%d: syntax error (expected [section], key = value, or a "
                          "comment starting with ; or #)",
                          name, line);
        cfd_agg_free(ps->r);
        return code;
    }
    if (ps->r->min_script_share > 0 && ps->r->scripts == 0) {
        cfd_agg_free(ps->r);
        return cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                             "%s: min_script_share is set but script is not (add script = "
                             "hangul, han, latin or other: the script the models learned from)",
                             name);
    }
    if (ps->n_keys == 0) {
        cfd_agg_free(ps->r);
        return cfd_error_set(err, CFD_EEMPTY, (size_t)-1,
                             "%s: no rules (an empty file would silently drop every plugin's "
                             "evidence; delete it to use the built-in rules)",
                             name);
    }
    *out = ps->r;
    return 0;
}

/* Parses checked text (cfd_ini_check) named name in messages. */
static int cfd__agg_parse_checked(const char *text, const char *name, cfd_agg_rules **out,
                                  cfd_error *err)
{
    cfd__agg_parse ps = {0};
    ps.r = cfd__agg_new(name);
    if (ps.r == NULL)
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
    int in_handler;
    int line = cfd_ini_parse(text, cfd__ini_handler, &ps, &in_handler, NULL);
    return cfd__agg_finish(&ps, line, in_handler, name, out, err);
}

int cfd_agg_load(const char *path, cfd_agg_rules **out, cfd_error *err)
{
    *out = NULL;
    char *text;
    size_t len;
    int rc = cfd_ini_read(path, CFD_INI_NO_CONTINUATION, &text, &len, err); /* read and checked */
    if (rc != 0)
        return rc;
    rc = cfd__agg_parse_checked(text, path, out, err);
    free(text);
    return rc;
}

int cfd_agg_parse(const char *text, const char *name, cfd_agg_rules **out, cfd_error *err)
{
    *out = NULL;
    int rc = cfd_ini_check(text, strlen(text), name, CFD_INI_NO_CONTINUATION, err);
    if (rc != 0)
        return rc;
    return cfd__agg_parse_checked(text, name, out, err);
}

int cfd_agg_default(cfd_agg_rules **out, cfd_error *err)
{
    static const char text[] = "[decision]\n"
                               "section_plugin = section\n"
                               "min_probability = 0.5\n"
                               "[evidence.topic]\n"
                               "weight = 0.5\n"
                               "[evidence.rules]\n"
                               "weight = 0.5\n";
    return cfd_agg_parse(text, "built-in", out, err);
}

/* ---- checking against the running plugins ---- */

#define CFD__WARN(...)                                                                    \
    do {                                                                                  \
        char msg_[768];                                                                   \
        snprintf(msg_, sizeof(msg_), __VA_ARGS__);                                        \
        warn(ud, msg_);                                                                   \
        n_warn++;                                                                         \
    } while (0)

unsigned cfd_agg_check(const cfd_agg_rules *r, const cfd_agg_result *plugins, size_t n,
                       cfd_agg_warn_fn warn, void *ud)
{
    unsigned n_warn = 0;
    const char *src = r->source;
    const cfd_agg_result *sec = cfd__agg_result(plugins, n, r->section_plugin);
    if (sec == NULL)
        CFD__WARN("%s: section_plugin = %s: no such plugin is running, so every decision "
                  "will be section null (no_section); name one of the running plugins",
                  src, r->section_plugin);
    const cfd_agg_result *secl = sec != NULL && sec->labels != NULL ? sec : NULL;
    for (uint32_t k = 0; k < r->n_ev; k++) {
        const cfd__agg_evidence *e = &r->ev[k];
        const cfd_agg_result *p = cfd__agg_result(plugins, n, e->plugin);
        if (p == NULL) {
            CFD__WARN("%s: [evidence.%s]: no plugin %s is running, so this block is unused",
                      src, e->plugin, e->plugin);
            continue;
        }
        for (uint32_t i = 0; i < e->n_map; i++) {
            const cfd__agg_map *m = &e->map[i];
            if (p->labels != NULL && cfd__agg_label(p, m->from) < 0)
                CFD__WARN("%s: [evidence.%s] \"%s = %s\": %s's model has no label \"%s\" "
                          "(a misspelt weight or disagree_min key reads as a label too)",
                          src, e->plugin, m->from, m->to ? m->to : "-", e->plugin, m->from);
            if (m->to != NULL && secl != NULL && cfd__agg_label(secl, m->to) < 0)
                CFD__WARN("%s: [evidence.%s] \"%s = %s\": the section model (%s) has no label "
                          "\"%s\"", src, e->plugin, m->from, m->to, r->section_plugin, m->to);
        }
        /* same_names maps a label to the section of that name: a section
         * model with other labels (a newsroom's own desks) silently turns
         * such labels into no evidence and no disagreement. Name them. */
        if (e->same_names && p->labels != NULL && secl != NULL && p != secl) {
            char list[192];
            size_t len = 0;
            unsigned n_lost = 0, n_listed = 0;
            for (uint32_t l = 0; l < p->n_labels; l++) {
                const char *lab = p->labels[l];
                if (cfd__agg_map_find(e, lab) != NULL || cfd__agg_label(secl, lab) >= 0)
                    continue;
                n_lost++;
                size_t w = strlen(lab);
                if (len + w + 2 < sizeof(list) - 8) {
                    if (n_listed++)
                        list[len++] = ' ';
                    memcpy(list + len, lab, w);
                    len += w;
                }
            }
            list[len] = '\0';
            if (n_lost > 0)
                CFD__WARN("%s: [evidence.%s]: %s labels %s%s (%u of %u) have no section of "
                          "that name in the section model (%s), so same_names maps them to "
                          "nothing: they add no evidence and raise no disagreement; map each "
                          "to a section (\"LABEL = SECTION\") or ignore it knowingly "
                          "(\"LABEL = -\")", src, e->plugin, e->plugin, list,
                          n_listed < n_lost ? " ..." : "", n_lost, p->n_labels,
                          r->section_plugin);
        }
    }
    if (r->negative_min > 0) {
        const cfd_agg_result *neg = cfd__agg_result(plugins, n, r->negative_plugin);
        if (neg == NULL)
            CFD__WARN("%s: negative_plugin = %s: no such plugin is running, so the "
                      "negative_tone check is off", src, r->negative_plugin);
        else if (neg->labels != NULL && cfd__agg_label(neg, r->negative_label) < 0)
            CFD__WARN("%s: negative_label = %s: %s's model has no such label, so the "
                      "negative_tone check never fires", src, r->negative_label,
                      r->negative_plugin);
    }
    return n_warn;
}
