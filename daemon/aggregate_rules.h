/*
 * The aggregation rules as loaded (aggregate_rules.c) and used to decide
 * (aggregate.c): private to those two files; everyone else sees the opaque
 * cfd_agg_rules of aggregate.h.
 *
 * Ownership: a cfd_agg_rules owns its strings and maps (cfd_agg_free).
 * Threads: immutable once loaded, read by any number of threads.
 */
#ifndef CFD_AGGREGATE_RULES_H
#define CFD_AGGREGATE_RULES_H

#include <stdint.h>
#include <string.h>

#include "aggregate.h"
#include "plugin_loader.h"
#include "tokenize.h"

/* The script names of the rules file, indexed by enum cfd_tok_class; NULL
 * for the classes that are not letters. */
static const char *const cfd__agg_scripts[CFD_TOK_CLASSES] = {
    [CFD_TOK_HANGUL] = "hangul", [CFD_TOK_HAN] = "han", [CFD_TOK_LATIN] = "latin",
    [CFD_TOK_OTHER] = "other"};

typedef struct cfd__agg_map {
    char *from;
    char *to;                    /* NULL: "-", ignore this label */
} cfd__agg_map;

typedef struct cfd__agg_evidence {
    char plugin[CFD_PLUGIN_NAME_MAX + 1];
    float weight;
    float disagree_min;          /* 0: no disagreement check */
    int same_names;
    cfd__agg_map *map;
    uint32_t n_map, cap_map;
} cfd__agg_evidence;

struct cfd_agg_rules {
    char *source;
    char section_plugin[CFD_PLUGIN_NAME_MAX + 1];
    float min_probability;
    float min_margin;
    char negative_plugin[CFD_PLUGIN_NAME_MAX + 1];
    char negative_label[128];
    float negative_min;          /* 0: off */
    unsigned scripts;            /* bit (1u << enum cfd_tok_class) per script
                                    named (HANGUL, HAN, LATIN, OTHER); 0: not set */
    float min_script_share;      /* 0: off (unfamiliar_script) */
    cfd__agg_evidence ev[CFD_AGG_MAX_EVIDENCE];
    uint32_t n_ev;
};

/* The entry of plugin `name` in p[0..n), whether it ran or not; NULL when
 * it is not there. */
static inline const cfd_agg_result *cfd__agg_result(const cfd_agg_result *p, size_t n,
                                                    const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(p[i].plugin, name) == 0)
            return &p[i];
    return NULL;
}

/* Index of `label` among p's labels, or -1. */
static inline int cfd__agg_label(const cfd_agg_result *p, const char *label)
{
    for (uint32_t i = 0; i < p->n_labels; i++)
        if (strcmp(p->labels[i], label) == 0)
            return (int)i;
    return -1;
}

/* The explicit mapping of label `from` in evidence block e, or NULL. */
static inline const cfd__agg_map *cfd__agg_map_find(const cfd__agg_evidence *e,
                                                    const char *from)
{
    for (uint32_t i = 0; i < e->n_map; i++)
        if (strcmp(e->map[i].from, from) == 0)
            return &e->map[i];
    return NULL;
}

#endif
