/*
 * Aggregation: the plugins' distributions -> one filing decision, so a
 * newsroom can file confident articles automatically and send the rest to
 * an editor. docs/AGGREGATION.md shows it on the sample articles.
 *
 * The rule, precisely. Let S be the section plugin (config: section_plugin)
 * with labels s_1..s_n and probabilities p_S(s). Every evidence plugin k
 * ([evidence.<plugin>] sections) has a weight w_k >= 0 and a label map m_k
 * from its labels to section labels: explicit "label = section" entries,
 * "label = -" to ignore a label, and, when same_names = yes (the default),
 * every other label maps to the section label with the same name if there
 * is one. Then
 *
 *     score(s) = p_S(s) + sum_k w_k * sum_{l : m_k(l) = s} p_k(l)
 *     P(s)     = score(s) / sum_t score(t)
 *
 * (a linear opinion pool: a plugin that abstains -- the rules plugin with no
 * matching rule has all-zero probabilities -- changes nothing). The
 * decision is the s with the largest P (first in the section model's label
 * order on ties), its P is "probability". `review` is true, with one
 * reason each, when any of:
 *   low_confidence  P(winner) < min_probability;
 *   close_call      P(winner) - P(runner-up) < min_margin;
 *   disagreement    an evidence plugin k with disagree_min > 0 has top label
 *                   l with p_k(l) >= disagree_min, m_k(l) is a section label,
 *                   and it is not the winner;
 *   no_section      the section plugin did not run, failed, or gave every
 *                   section 0 (then section is null and probability 0);
 *   negative_tone   negative_min > 0 and the negative_plugin's probability of
 *                   negative_label >= negative_min;
 *   plugin_failed   an evidence plugin or the negative_plugin ran but
 *                   failed on the article (its checks are missing);
 *   unfamiliar_script  min_script_share > 0 and less than that share of
 *                   the article's letters is in the `script` list (the
 *                   share of all the scripts listed), or it has no
 *                   letters: the models learned from another language, so
 *                   their probabilities say little. Letters: code points of
 *                   the tokens the models read (core/featurize.h,
 *                   cfd_featurizer_letters; the widest of the article's
 *                   readings, cfd_fcache_letters) in the tokeniser's letter
 *                   classes HANGUL, HAN, LATIN, OTHER (core/tokenize.h).
 * Reasons come in this order; no_section replaces the three checks that
 * need a winner, the others still apply.
 * Plugins that did not run or failed give no evidence; a plugin left out of
 * the request is not a failure.
 *
 * Rules file (INI, read with libinih; lines of at most 196 bytes; a file
 * with no settings is refused, CFD_EEMPTY):
 *     [decision]
 *     section_plugin = section
 *     min_probability = 0.55
 *     min_margin = 0.10
 *     negative_plugin = sentiment
 *     negative_label = negative
 *     negative_min = 0.85
 *     script = hangul           ; hangul, han, latin or other, or a list:
 *                               ; "hangul, latin" (the share is the sum)
 *     min_script_share = 0.3    ; 0 (default): no unfamiliar_script check
 *     [evidence.topic]
 *     weight = 0.5
 *     disagree_min = 0.6
 *     same_names = yes
 *     IT과학 = IT과학        ; any other key: topic label = section label
 * Unknown keys in [decision], unknown sections, bad numbers: CFD_EFORMAT
 * naming file:line.
 *
 * Ownership: a cfd_agg_rules is immutable after load; the engine publishes
 * it like a model version. Threads: cfd_agg_decide only reads the rules and
 * writes the caller's buffers, from any number of threads at once; it does
 * not allocate.
 */
#ifndef CFD_AGGREGATE_H
#define CFD_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>

#include <classifyd/error.h>

#include "buf.h"

#define CFD_AGG_MAX_REASONS 8
#define CFD_AGG_REASON_MAX 192
#define CFD_AGG_MAX_EVIDENCE 16

typedef struct cfd_agg_rules cfd_agg_rules;

/* One plugin's outcome for the article, as the engine hands it over. */
typedef struct cfd_agg_result {
    const char *plugin;          /* plugin name, NUL-terminated */
    const char *const *labels;   /* the labels of the model that scored it */
    uint32_t n_labels;
    const float *probs;          /* NULL: plugin not run or failed */
} cfd_agg_result;

/* The review reasons' codes, in the order the reasons come. */
enum cfd_agg_reason {
    CFD_AGG_LOW_CONFIDENCE,
    CFD_AGG_CLOSE_CALL,
    CFD_AGG_DISAGREEMENT,
    CFD_AGG_NO_SECTION,
    CFD_AGG_NEGATIVE_TONE,
    CFD_AGG_PLUGIN_FAILED,
    CFD_AGG_UNFAMILIAR_SCRIPT,
    CFD_AGG_N_REASONS
};

/* "low_confidence", ...: the code a reason string starts with. */
const char *cfd_agg_reason_name(int code);

typedef struct cfd_agg_decision {
    const char *section;         /* a label of the section model, or NULL: points
                                    into the labels cfd_agg_decide was given, so it
                                    is valid as long as those are */
    float probability;
    int review;
    uint32_t codes;              /* bit 1 << enum cfd_agg_reason per reason given */
    uint32_t n_reasons;
    char reasons[CFD_AGG_MAX_REASONS][CFD_AGG_REASON_MAX]; /* "code: detail" */
} cfd_agg_decision;

/* Loads rules from an INI file. */
int cfd_agg_load(const char *path, cfd_agg_rules **out, cfd_error *err);
/* Same, from a string (tests; `name` is used in messages). */
int cfd_agg_parse(const char *text, const char *name, cfd_agg_rules **out, cfd_error *err);
/* The built-in defaults (section_plugin = section, min_probability 0.5,
 * evidence.topic weight 0.5 with same_names, evidence.rules weight 0.5). */
int cfd_agg_default(cfd_agg_rules **out, cfd_error *err);
void cfd_agg_free(cfd_agg_rules *r);

/* Where the rules came from ("models/aggregate.conf" or "built-in"); owned
 * by r, valid until cfd_agg_free(r). */
const char *cfd_agg_source(const cfd_agg_rules *r);

/* 1 when the rules check the article's script (min_script_share > 0): the
 * caller then counts its letters for cfd_agg_decide. */
int cfd_agg_wants_letters(const cfd_agg_rules *r);

/*
 * Decides for one article. letters: the article's code points by token
 * class (CFD_TOK_CLASSES slots, cfd_featurizer_letters), or NULL when not
 * counted (the unfamiliar_script check is then skipped).
 * scratch must hold as many floats as the section model has labels
 * (CFD_PLUGIN_MAX_LABELS is always enough).
 */
void cfd_agg_decide(const cfd_agg_rules *r, const cfd_agg_result *res, size_t n_res,
                    const uint64_t *letters, float *scratch, cfd_agg_decision *out);

/*
 * Checks the rules against the plugins the engine runs (plugins[i].plugin)
 * and their models' labels (plugins[i].labels, NULL when no model is
 * loaded; probs unused) and calls warn once per problem, with a message
 * that says what to change: a section_plugin, evidence plugin or
 * negative_plugin that is not running, a mapped label the plugin's model
 * does not have, a target that is not a label of the section model (this is
 * also what a misspelt key such as "wieght = 0.8" looks like). Nothing is
 * refused: a plugin may be left out on purpose, and labels change with
 * models. Returns the number of warnings. Any thread; does not allocate.
 */
typedef void (*cfd_agg_warn_fn)(void *ud, const char *msg);
unsigned cfd_agg_check(const cfd_agg_rules *r, const cfd_agg_result *plugins, size_t n,
                       cfd_agg_warn_fn warn, void *ud);

/* Appends {"section":..,"probability":..,"review":..,"reasons":[..]}. */
int cfd_agg_decision_json(const cfd_agg_decision *d, cfd_buf *out);

#endif
