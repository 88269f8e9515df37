/*
 * Editor-maintained rules files for the rules plugin (models/rules.txt):
 * parsing, validation, and classification with a precompiled matcher.
 *
 * Format: UTF-8 text, one rule per line, fields separated by TABs:
 *
 *     label<TAB>weight<TAB>pattern
 *
 *   label    the label the rule gives evidence for (any UTF-8 text without
 *            TAB/control characters, at most 256 bytes), e.g. 경제
 *   weight   a number in (0, 1]: how sure the editor is
 *   pattern  terms separated by '|' (any of them) or by '&' (all of them;
 *            '|' and '&' cannot be mixed in one pattern). White space
 *            around terms and labels (also NBSP, U+3000) is trimmed. A term in angle brackets, <AI>, must stand
 *            as a whole word (no Latin letter or digit right before or after
 *            it); one that starts with Hangul also needs a non-Hangul
 *            character (or the edge) before it and takes particles after it
 *            (<국회> matches "국회는", not "전국회의"); other terms match
 *            anywhere, also inside Korean words ("중기부" matches
 *            "중기부는"). Any run of white space in a term matches any run
 *            in the text.
 * A second rule with the same label and the same pattern (after
 * normalisation, whatever its weight) is refused: both would count.
 * Blank lines and lines starting with '#' are ignored. Matching is on NFC +
 * case-folded text (rules_norm.h), so "AI", "ai" and "Ａ" forms the editor
 * typed in another normalisation all behave as expected.
 *
 * Scores. A rule fires when its pattern matches the title or the body. For
 * each label, the evidence is 1 - prod(1 - weight) over the rules that
 * fired for it (independent pieces of evidence, never above 1); if the
 * evidence of all labels sums to more than 1 it is scaled down to sum to 1.
 * With no rule firing every probability is 0: the plugin abstains.
 *
 * Errors name file:line and what was expected. Limits: 1 MiB file,
 * CFD_RULES_MAX_TERMS terms, terms of at most CFD_AC_TERM_MAX code points.
 *
 * Threads: load/free on one thread; classify from any number of threads
 * on the same rules (read-only, no allocation).
 */
#ifndef CFD_RULES_FILE_H
#define CFD_RULES_FILE_H

#include <stddef.h>
#include <stdint.h>

#include <classifyd/error.h>

#include "rules_match.h"

#define CFD_RULES_MAX_TERMS 8192
#define CFD_RULES_MAX_LABELS 1024
#define CFD_RULES_MAX_BYTES (1u << 20)

typedef struct cfd_rule {
    uint32_t label;          /* index into labels */
    float weight;            /* (0, 1] */
    uint32_t line;           /* 1-based line in the file */
    int all_of;              /* 1: every term must match; 0: any */
    uint32_t first_term, n_terms;
} cfd_rule;

typedef struct cfd_rules {
    char **labels;
    uint32_t n_labels;
    cfd_rule *rules;
    uint32_t n_rules;
    cfd_ac_term *terms;      /* terms[i].cps owned */
    uint32_t n_terms;
    cfd_ac *ac;
    char version[32];        /* file modification time, UTC: 20261128T083000Z */
    char checksum[17];       /* XXH3-64 of the file, hex */
} cfd_rules;

/* Parses rules text (name is used in messages) and builds the matcher. */
int cfd_rules_parse(const char *text, size_t len, const char *name, cfd_rules **out,
                    cfd_error *err);
/* Reads and parses a file; sets version and checksum. */
int cfd_rules_load(const char *path, cfd_rules **out, cfd_error *err);
void cfd_rules_free(cfd_rules *r);

/*
 * Fills probs[0..n_labels) as described above and *detail with the line of
 * the strongest rule that fired (-1 if none). Allocation-free.
 */
void cfd_rules_classify(const cfd_rules *r, const char *title, size_t title_len,
                        const char *body, size_t body_len, float *probs, int32_t *detail);

#endif
