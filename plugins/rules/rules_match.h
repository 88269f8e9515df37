/*
 * Multi-pattern matcher for the rules plugin: an Aho-Corasick automaton
 * over normalised code points (rules_norm.h), built once when a rules file
 * is loaded, then run over each article in one pass without allocating.
 *
 * Matching is by substring of the normalised text, which is what Korean
 * needs: particles attach to nouns, so "중기부는" contains "중기부". A term
 * marked whole-word additionally needs a non-word code point (or the text's
 * edge) on both sides (cfd_norm_is_word: Latin-like letters and digits), so
 * "<AI>" matches "AI", "AI가" and "(AI)" but not "MAIL" or "SAID".
 *
 * Memory: the automaton is flat arrays (nodes, sorted edges, merged output
 * lists); immutable after build, shareable by any number of threads.
 */
#ifndef CFD_RULES_MATCH_H
#define CFD_RULES_MATCH_H

#include <stddef.h>
#include <stdint.h>

/* A term longer than this (in code points) is refused at load. */
#define CFD_AC_TERM_MAX 128

typedef struct cfd_ac_term {
    const uint32_t *cps;     /* normalised code points */
    uint32_t len;            /* 1..CFD_AC_TERM_MAX */
    int whole_word;
} cfd_ac_term;

typedef struct cfd_ac cfd_ac;

/* Builds the automaton (copies nothing from terms but their code points).
 * Returns 0 or CFD_ENOMEM / CFD_EINVAL (a term of bad length). */
int cfd_ac_build(const cfd_ac_term *terms, uint32_t n_terms, cfd_ac **out);
void cfd_ac_free(cfd_ac *ac);

/*
 * Scans valid UTF-8 text[0..len) and sets bit t of `seen` (n_terms bits,
 * caller-zeroed) for every term t found. Allocation-free.
 */
void cfd_ac_scan(const cfd_ac *ac, const char *text, size_t len, uint64_t *seen);

/* Bytes of the DFA table the scan uses, or 0 when the term set was too big
 * for one and the scan follows edges and failure links instead. */
size_t cfd_ac_table_bytes(const cfd_ac *ac);

#endif
