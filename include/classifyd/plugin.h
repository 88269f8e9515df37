/*
 * classifyd plugin ABI -- the one public contract between the daemon and a
 * classifier plugin.
 *
 * A plugin is a shared object in the daemon's plugin directory that exports
 * exactly one symbol, `classifyd_plugin` (CFD_PLUGIN_SYMBOL), a const
 * struct cfd_plugin filled with CFD_PLUGIN_HEADER so its author cannot get
 * the version fields wrong:
 *
 *     CFD_PLUGIN_EXPORT const struct cfd_plugin classifyd_plugin = {
 *         CFD_PLUGIN_HEADER,
 *         .name = "topic",
 *         .description = "news topic (linear model)",
 *         .default_model = "topic.cfdm",
 *         .load = my_load, .unload = my_unload, .classify = my_classify,
 *     };
 *
 * The daemon loads plugins only at start, only from its configured plugin
 * directory, with dlopen(RTLD_NOW | RTLD_LOCAL). It refuses a plugin whose
 * abi_major differs from CFD_PLUGIN_ABI_MAJOR, whose abi_minor is newer than
 * the daemon's, or whose struct_size is smaller than the fields its minor
 * version promises, with an error naming the expected and found values:
 *   "plugins/foo.so: plugin ABI mismatch (daemon 1.0, plugin 2.0): rebuild the
 *    plugin against this daemon's include/classifyd/plugin.h".
 *
 * Versions: 1.0 (load, unload, classify), 1.1 (adds the optional
 * explain()). A 1.0 plugin keeps working with a 1.1 daemon.
 *
 * Versioning: fields are only ever appended. A minor bump appends fields and
 * older plugins keep working (the daemon reads struct_size to know which
 * fields exist); a major bump breaks compatibility. The structs passed to
 * the plugin (model info, input, output) are allocated by the daemon and
 * zeroed, so fields appended later read as 0/NULL to an older plugin and
 * an older plugin simply never writes them.
 *
 * Models. A plugin classifies with a "model": an immutable object it builds
 * in load() from one file in the models directory (a linear model, a rules
 * file, ...). The daemon owns model lifetimes: it may hold several versions
 * of one plugin's model at once (serving the current one while loading the
 * next, and keeping the previous one for rollback), and it calls unload()
 * exactly once per successful load(), after the last request using that
 * version has finished.
 *
 * Threads:
 *   load()      runs on a daemon thread that is not an event loop (start-up
 *               or a reload worker). It may allocate, do I/O, take time. Two
 *               load() calls of one plugin never run concurrently, but load()
 *               and unload() run while classify() is busy with other models
 *               of the same plugin (that is what a hot swap is): keep all
 *               state in the model object, none in globals.
 *   unload()    runs on any daemon thread -- often the worker that finished
 *               the last request scored by that model -- never concurrently
 *               with classify() on the same model. It must not fail.
 *   classify()  runs on several worker threads at once, on the same model.
 *               It must treat the model as read-only and must not allocate,
 *               lock, block or do I/O: everything it needs was prepared in
 *               load(), and its outputs go to buffers the daemon provides.
 *               It may use up to 64 KiB of stack and must not keep pointers
 *               to its input after returning.
 *
 * What the daemon checks, so a plugin cannot corrupt a reply: after load(),
 * the model info (name unless any_name, 1..CFD_PLUGIN_MAX_LABELS unique,
 * non-empty UTF-8 labels of at most 256 bytes, name and version UTF-8 of at
 * most 256 bytes, a hex checksum of at least 8 digits, a valid featurizer
 * config and, when it uses IDF, an IDF table) -- a model failing these is
 * unloaded and refused; after classify(), that every probability is in
 * [0,1] -- the slots are NaN before the call, so one left unwritten fails
 * this too -- otherwise the article's result for this plugin is an error.
 * The daemon calls unload() once for every load() that returned 0, also
 * when *model was left NULL.
 *
 * Linking: the daemon exports the functions of <classifyd/error.h> (and
 * only those) for plugins built outside this tree (docs/PLUGINS.md).
 */
#ifndef CLASSIFYD_PLUGIN_H
#define CLASSIFYD_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include <classifyd/error.h>
#include <classifyd/features.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CFD_PLUGIN_ABI_MAJOR 1
#define CFD_PLUGIN_ABI_MINOR 1
#define CFD_PLUGIN_SYMBOL "classifyd_plugin"
#define CFD_PLUGIN_EXPORT __attribute__((visibility("default")))

/* Limits a model must respect (checked by the daemon after load()). */
#define CFD_PLUGIN_MAX_LABELS 1024

/* ABI 1.1: the most terms the daemon asks explain() for, on each side. */
#define CFD_PLUGIN_MAX_TERMS 32
/* ABI 1.1: cfd_plugin_explanation.rival of a model with one label. */
#define CFD_PLUGIN_NO_RIVAL UINT32_MAX

/*
 * What load() reports about the model it built. All pointers point into the
 * model object and stay valid until unload(model). The daemon zeroes the
 * struct before calling load().
 */
typedef struct cfd_plugin_model_info {
    const char *name;              /* model's own name ("topic"); the daemon
                                      refuses a model whose name differs from
                                      the plugin's, unless the plugin sets
                                      any_name (rules files) */
    const char *version;           /* user-visible version string, shown in every
                                      reply; NULL or "" -> the checksum is used */
    const char *checksum;          /* hex digest of the model file (>= 8 chars) */
    uint32_t n_labels;             /* 1..CFD_PLUGIN_MAX_LABELS */
    const char *const *labels;     /* n_labels UTF-8 strings, unique */
    /* Featurizer config the model needs, or NULL when classify() works on
     * raw text. Plugins with equal configs (and equal idf pointers or both
     * NULL) share one featurization per article. */
    const cfd_feat_config *feat;
    const float *idf;              /* 2^feat->hash_bits floats or NULL */
    uint32_t any_name;             /* 1: skip the name check */
} cfd_plugin_model_info;

/* One article as the daemon hands it to classify(). The text was validated
 * as UTF-8 by the daemon; at least one of title and body is not blank. */
typedef struct cfd_plugin_input {
    const char *title;             /* valid UTF-8, not NUL-terminated; may be empty */
    size_t title_len;
    const char *body;              /* valid UTF-8, not NUL-terminated; may be empty */
    size_t body_len;
    /* Features computed with info.feat / info.idf, or NULL when info.feat was
     * NULL. Owned by the daemon, valid for the duration of classify(). */
    const cfd_featvec *features;
} cfd_plugin_input;

/* Where classify() writes its result (buffers owned by the daemon). */
typedef struct cfd_plugin_output {
    float *probs;                  /* n_labels slots: probability of each label,
                                      in [0,1]; they should sum to 1, or to
                                      less when the plugin abstains (rules) */
    uint32_t n_labels;
    /* Optional explanation, e.g. the line of the rule that decided. The
     * daemon sets it to -1 before the call; a value >= 0 is shown in the
     * reply as "detail". */
    int32_t detail;
} cfd_plugin_output;

/* ABI 1.1: one feature's share of a margin (explain()). */
typedef struct cfd_plugin_term {
    uint32_t feature;              /* the feature's index in in->features (a
                                      hashed bucket of info.feat) */
    float share;                   /* its part of the margin: > 0 argued for
                                      the label, < 0 for the rival */
} cfd_plugin_term;

/*
 * ABI 1.1: what the daemon asks explain() and where the answer goes. The
 * daemon fills the "in" fields and zeroes the rest before the call.
 */
typedef struct cfd_plugin_explanation {
    uint32_t label;                /* in: the label to explain (the most probable) */
    uint32_t rival;                /* in: the label it won over (the next most
                                      probable), or CFD_PLUGIN_NO_RIVAL */
    uint32_t max_terms;            /* in: room in each list, 1..CFD_PLUGIN_MAX_TERMS */
    uint32_t n_for;                /* out: terms in for_label, largest share first */
    uint32_t n_against;            /* out: terms in for_rival, most negative share first */
    uint32_t reserved;             /* 0 */
    cfd_plugin_term *for_label;    /* in: the daemon's buffer of max_terms */
    cfd_plugin_term *for_rival;    /* in: the daemon's buffer of max_terms */
    double margin;                 /* out: score(label) - score(rival) (score(label)
                                      without a rival), in the model's own units */
    double bias;                   /* out: the part of margin no feature carries */
} cfd_plugin_explanation;

struct cfd_plugin {
    /* ---- header: set with CFD_PLUGIN_HEADER, never by hand ---- */
    uint32_t abi_major;
    uint32_t abi_minor;
    uint32_t struct_size;          /* sizeof(struct cfd_plugin) at build time */
    uint32_t reserved0;

    /* ---- ABI 1.0 ---- */
    const char *name;              /* [a-z0-9_-]{1,32}; unique among plugins */
    const char *description;       /* one line for GET /v1/plugins */
    const char *default_model;     /* file name in the models directory */

    /*
     * Builds a model from the file at `path` (already resolved inside the
     * models directory). On success stores an opaque model in *model, fills
     * *info, returns 0. On failure returns a negative CFD_E* code, fills err
     * with a message naming the problem, and leaves nothing allocated.
     */
    int (*load)(const char *path, void **model, cfd_plugin_model_info *info,
                cfd_error *err);

    /* Frees everything load() built. */
    void (*unload)(void *model);

    /*
     * Scores one article. Returns 0, or a negative CFD_E* code for this
     * article only (the daemon reports it and goes on with other plugins).
     */
    int (*classify)(const void *model, const cfd_plugin_input *in,
                    cfd_plugin_output *out);

    /* ---- ABI 1.1 ---- */

    /*
     * Optional (NULL: the plugin gives no explanations). Why the model
     * preferred ex->label to ex->rival for this article: the margin between
     * their scores, the part of it no feature carries (bias), and the
     * features with the largest shares on each side, for the reply's "why"
     * (docs/PROTOCOL.md), which names each feature by the n-grams of the
     * article that hash to it. The daemon calls it only for a plugin whose
     * model has a featurizer config (info.feat), right after a successful
     * classify() of the same input, when the request asks for
     * explanations. Same rules as classify(): worker threads, the model
     * read-only, no allocation, lock, blocking or I/O. Returns 0, or a
     * negative CFD_E* code (the reply then goes without "why" for this
     * plugin; the classification stands).
     */
    int (*explain)(const void *model, const cfd_plugin_input *in,
                   cfd_plugin_explanation *ex);

    /* Spare slots for ABI 1.x growth; must be NULL. */
    void *spare[5];
};

/* Fills the header fields. Use as the first initializer. */
#define CFD_PLUGIN_HEADER                                                     \
    .abi_major = CFD_PLUGIN_ABI_MAJOR, .abi_minor = CFD_PLUGIN_ABI_MINOR,     \
    .struct_size = (uint32_t)sizeof(struct cfd_plugin), .reserved0 = 0

/* The size of the struct as each ABI minor defines it: what a plugin of
 * that minor must at least claim in struct_size. (A 1.0 plugin's first
 * spare slot, NULL, is where 1.1 put explain.) */
#define CFD_PLUGIN_SIZE_V1_0 (offsetof(struct cfd_plugin, explain))
#define CFD_PLUGIN_SIZE_V1_1 (offsetof(struct cfd_plugin, spare))

#ifdef __cplusplus
}
#endif
#endif
