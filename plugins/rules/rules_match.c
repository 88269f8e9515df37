/*
 * Aho-Corasick over code points; see rules_match.h.
 *
 * Build: a trie with per-node growable child lists, failure links by BFS
 * (each node's output list merged with its failure node's, so a scan never
 * follows output links), then flattened into sorted edge arrays searched by
 * binary search. Scan: one transition per code point; outputs of a state
 * are examined one code point later, when the right-hand neighbour needed
 * by whole-word terms is known; a 256-entry ring of recent code points
 * gives the left-hand neighbour.
 */
#include <stdlib.h>
#include <string.h>

#include <classifyd/error.h>

#include "rules_match.h"
#include "rules_norm.h"

typedef struct cfd__ac_node {
    uint32_t fail;
    uint32_t edge_off, n_edges;
    uint32_t out_off, n_out;
} cfd__ac_node;

struct cfd_ac {
    cfd__ac_node *nodes;
    uint32_t n_nodes;
    uint32_t *edge_cp;
    uint32_t *edge_to;
    uint32_t *outs;          /* term ids */
    uint32_t *term_len;
    uint8_t *term_word;      /* CFD__WW_* checks of a whole-word term, 0 for others */
    uint32_t *root_direct;   /* root transitions for ASCII and Hangul syllables */
    /* The same automaton as a DFA over symbol classes (NULL when it would
     * exceed CFD__DFA_MAX_ENTRIES; then the edges and failure links above
     * are used): class 0 = a code point in no term, 1..n_classes-1 = each
     * code point that occurs in a term; delta[state * n_classes + class] =
     * (next state * n_classes) << 1 | 1 if that state has outputs: the
     * entry is the next state's row offset, so the scan's dependent chain
     * from one state to the next is an add and a load, no multiply, and it
     * tests a bit instead of loading the node. Class 0 always leads to the
     * root (no state has an edge on it), which delta[0] = 0 says. */
    uint32_t *delta;
    uint32_t n_classes;
    uint16_t *class_direct;  /* class of ASCII and Hangul syllables */
    uint32_t *class_cps;     /* every term code point, sorted; class = index + 1 */
};

/* Whole-word checks (rules_match.h): a Latin-like word character may not
 * touch a term on either side; a term that starts with Hangul may not have
 * Hangul right before it either ("<국회>" is not in "전국회의"), and one
 * that ends with Hangul takes anything after it (particles: "국회는"). */
enum { CFD__WW_LEFT_WORD = 1, CFD__WW_RIGHT_WORD = 2, CFD__WW_LEFT_HANGUL = 4 };

static int cfd__is_hangul(uint32_t cp)
{
    return (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0x1100 && cp <= 0x11FF) ||
           (cp >= 0x3130 && cp <= 0x318F) || (cp >= 0xA960 && cp <= 0xA97F) ||
           (cp >= 0xD7B0 && cp <= 0xD7FF);
}

/* Largest DFA table built (entries of 4 bytes): 8 MB. A rules file of a few
 * hundred terms needs well under 1 MB. */
#define CFD__DFA_MAX_ENTRIES (UINT32_C(1) << 21)

#define CFD__DIRECT_N (128u + (0xD7A3u - 0xAC00u + 1u))

/* Index into root_direct, or -1 when cp is outside the two direct ranges. */
static inline long cfd__direct(uint32_t cp)
{
    if (cp < 128)
        return (long)cp;
    if (cp >= 0xAC00 && cp <= 0xD7A3)
        return 128 + (long)(cp - 0xAC00);
    return -1;
}

/* Build-time trie node. */
typedef struct cfd__bnode {
    uint32_t *e, n, cap;             /* n (code point, child) pairs, 2n values */
    uint32_t *out, n_out, cap_out;
    uint32_t fail;
} cfd__bnode;

static int cfd__push(uint32_t **a, uint32_t *n, uint32_t *cap, uint32_t v)
{
    if (*n == *cap) {
        uint32_t c = *cap ? *cap * 2 : 2;
        uint32_t *p = realloc(*a, c * sizeof(*p));
        if (p == NULL)
            return -1;
        *a = p;
        *cap = c;
    }
    (*a)[(*n)++] = v;
    return 0;
}

static uint32_t cfd__bchild(const cfd__bnode *b, uint32_t cp)
{
    for (uint32_t i = 0; i < b->n; i++)
        if (b->e[2 * i] == cp)
            return b->e[2 * i + 1];
    return 0;
}

static int cfd__badd(cfd__bnode *b, uint32_t cp, uint32_t to)
{
    uint32_t n2 = 2 * b->n, cap2 = b->cap;
    if (cfd__push(&b->e, &n2, &cap2, cp) || cfd__push(&b->e, &n2, &cap2, to))
        return -1;
    b->n++;
    b->cap = cap2;
    return 0;
}

void cfd_ac_free(cfd_ac *ac)
{
    if (ac == NULL)
        return;
    free(ac->nodes);
    free(ac->edge_cp);
    free(ac->edge_to);
    free(ac->outs);
    free(ac->term_len);
    free(ac->term_word);
    free(ac->root_direct);
    free(ac->delta);
    free(ac->class_direct);
    free(ac->class_cps);
    free(ac);
}

static void cfd__bfree(cfd__bnode *bn, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        free(bn[i].e);
        free(bn[i].out);
    }
    free(bn);
}

/* qsort order by the first uint32_t of each element: code points, and
 * (code point, child) edge pairs by code point. */
static int cfd__cmp_first_u32(const void *a, const void *b)
{
    uint32_t x = ((const uint32_t *)a)[0], y = ((const uint32_t *)b)[0];
    return x < y ? -1 : x > y;
}

/* Class of code point cp: 0 if no term has it (see struct cfd_ac). */
static inline uint32_t cfd__class(const cfd_ac *ac, uint32_t cp)
{
    long d = cfd__direct(cp);
    if (__builtin_expect(d < 0, 0)) {
        uint32_t lo = 0, hi = ac->n_classes - 1;
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2;
            if (ac->class_cps[mid] < cp)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo < ac->n_classes - 1 && ac->class_cps[lo] == cp ? lo + 1 : 0;
    }
    return ac->class_direct[d];
}

/*
 * The DFA: row 0 (the root) has its children and 0 elsewhere; every other
 * state, in BFS order (so its failure state's row is done), copies its
 * failure state's row and overrides it with its own children. Scanning
 * then takes one table lookup per code point, no failure-link loop and no
 * binary search: the AC walk mispredicted about 1.5 branches per code point
 * of a Korean article (callgrind, news8), most of the plugin's time.
 */
static int cfd__build_dfa(cfd_ac *ac, const cfd__bnode *bn, uint32_t n, const uint32_t *bfs,
                          uint32_t n_bfs, const cfd_ac_term *terms, uint32_t n_terms)
{
    size_t n_cps = 0;
    for (uint32_t t = 0; t < n_terms; t++)
        n_cps += terms[t].len;
    uint32_t *cps = malloc((n_cps + 1) * sizeof(*cps));
    if (cps == NULL)
        return -1;
    size_t k = 0;
    for (uint32_t t = 0; t < n_terms; t++)
        for (uint32_t i = 0; i < terms[t].len; i++)
            cps[k++] = terms[t].cps[i];
    qsort(cps, k, sizeof(*cps), cfd__cmp_first_u32);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || cps[u - 1] != cps[i])
            cps[u++] = cps[i];
    if (u + 1 > UINT16_MAX || (uint64_t)n * (u + 1) > CFD__DFA_MAX_ENTRIES) {
        free(cps); /* too big for a table: scan with edges and failure links */
        return 0;
    }
    ac->class_cps = cps;
    ac->n_classes = (uint32_t)u + 1;
    ac->class_direct = calloc(CFD__DIRECT_N, sizeof(uint16_t));
    ac->delta = calloc((size_t)n * ac->n_classes, sizeof(uint32_t));
    if (ac->class_direct == NULL || ac->delta == NULL)
        return -1;
    for (size_t i = 0; i < u; i++) {
        long d = cfd__direct(cps[i]);
        if (d >= 0)
            ac->class_direct[d] = (uint16_t)(i + 1);
    }
    const uint32_t nc = ac->n_classes;
    for (uint32_t e = 0; e < bn[0].n; e++)
        ac->delta[cfd__class(ac, bn[0].e[2 * e])] = bn[0].e[2 * e + 1];
    for (uint32_t i = 0; i < n_bfs; i++) {
        uint32_t v = bfs[i];
        uint32_t *row = ac->delta + (size_t)v * nc;
        memcpy(row, ac->delta + (size_t)bn[v].fail * nc, nc * sizeof(*row));
        for (uint32_t e = 0; e < bn[v].n; e++)
            row[cfd__class(ac, bn[v].e[2 * e])] = bn[v].e[2 * e + 1];
    }
    /* n * nc <= 2^21 here (CFD__DFA_MAX_ENTRIES), so row offset << 1 fits. */
    for (size_t i = 0; i < (size_t)n * nc; i++)
        ac->delta[i] = ac->delta[i] * nc << 1 | (bn[ac->delta[i]].n_out != 0);
    return 0;
}

int cfd_ac_build(const cfd_ac_term *terms, uint32_t n_terms, cfd_ac **out)
{
    *out = NULL;
    size_t max_nodes = 1;
    for (uint32_t t = 0; t < n_terms; t++) {
        if (terms[t].len == 0 || terms[t].len > CFD_AC_TERM_MAX)
            return CFD_EINVAL;
        max_nodes += terms[t].len;
    }
    if (max_nodes > UINT32_MAX / 2)
        return CFD_ETOOBIG;
    cfd__bnode *bn = calloc(max_nodes, sizeof(*bn));
    uint32_t *queue = malloc(max_nodes * sizeof(*queue));
    cfd_ac *ac = calloc(1, sizeof(*ac));
    uint32_t n = 1;
    if (bn == NULL || queue == NULL || ac == NULL)
        goto oom;

    /* trie */
    for (uint32_t t = 0; t < n_terms; t++) {
        uint32_t s = 0;
        for (uint32_t k = 0; k < terms[t].len; k++) {
            uint32_t c = terms[t].cps[k];
            uint32_t next = cfd__bchild(&bn[s], c);
            if (next == 0) {
                next = n++;
                if (cfd__badd(&bn[s], c, next))
                    goto oom;
            }
            s = next;
        }
        if (cfd__push(&bn[s].out, &bn[s].n_out, &bn[s].cap_out, t))
            goto oom;
    }
    /* failure links, BFS; outputs merged along them */
    uint32_t qh = 0, qt = 0;
    for (uint32_t i = 0; i < bn[0].n; i++) {
        bn[bn[0].e[2 * i + 1]].fail = 0;
        queue[qt++] = bn[0].e[2 * i + 1];
    }
    while (qh < qt) {
        uint32_t u = queue[qh++];
        for (uint32_t i = 0; i < bn[u].n; i++) {
            uint32_t c = bn[u].e[2 * i], v = bn[u].e[2 * i + 1];
            uint32_t f = bn[u].fail, g;
            while ((g = cfd__bchild(&bn[f], c)) == 0 && f != 0)
                f = bn[f].fail;
            bn[v].fail = g;
            for (uint32_t k = 0; k < bn[g].n_out; k++)
                if (cfd__push(&bn[v].out, &bn[v].n_out, &bn[v].cap_out, bn[g].out[k]))
                    goto oom;
            queue[qt++] = v;
        }
    }
    /* flatten */
    size_t n_edges = 0, n_outs = 0;
    for (uint32_t i = 0; i < n; i++) {
        n_edges += bn[i].n;
        n_outs += bn[i].n_out;
    }
    ac->n_nodes = n;
    ac->nodes = calloc(n, sizeof(*ac->nodes));
    ac->edge_cp = malloc((n_edges + 1) * sizeof(uint32_t));
    ac->edge_to = malloc((n_edges + 1) * sizeof(uint32_t));
    ac->outs = malloc((n_outs + 1) * sizeof(uint32_t));
    ac->term_len = malloc((n_terms + 1) * sizeof(uint32_t));
    ac->term_word = malloc(n_terms + 1);
    ac->root_direct = calloc(CFD__DIRECT_N, sizeof(uint32_t));
    uint32_t *pairs = malloc((n_edges + 1) * 2 * sizeof(uint32_t));
    if (!ac->nodes || !ac->edge_cp || !ac->edge_to || !ac->outs || !ac->term_len ||
        !ac->term_word || !ac->root_direct || !pairs) {
        free(pairs);
        goto oom;
    }
    uint32_t eo = 0, oo = 0;
    for (uint32_t i = 0; i < n; i++) {
        cfd__ac_node *nd = &ac->nodes[i];
        nd->fail = bn[i].fail;
        nd->edge_off = eo;
        nd->n_edges = bn[i].n;
        if (bn[i].n)
            memcpy(pairs, bn[i].e, 2 * bn[i].n * sizeof(uint32_t));
        qsort(pairs, bn[i].n, 2 * sizeof(uint32_t), cfd__cmp_first_u32);
        for (uint32_t k = 0; k < bn[i].n; k++) {
            ac->edge_cp[eo + k] = pairs[2 * k];
            ac->edge_to[eo + k] = pairs[2 * k + 1];
        }
        eo += bn[i].n;
        nd->out_off = oo;
        nd->n_out = bn[i].n_out;
        if (bn[i].n_out)
            memcpy(ac->outs + oo, bn[i].out, bn[i].n_out * sizeof(uint32_t));
        oo += bn[i].n_out;
    }
    free(pairs);
    for (uint32_t k = 0; k < bn[0].n; k++) {
        long d = cfd__direct(bn[0].e[2 * k]);
        if (d >= 0)
            ac->root_direct[d] = bn[0].e[2 * k + 1];
    }
    for (uint32_t t = 0; t < n_terms; t++) {
        ac->term_len[t] = terms[t].len;
        uint8_t w = 0;
        if (terms[t].whole_word) {
            int first = cfd__is_hangul(terms[t].cps[0]);
            int last = cfd__is_hangul(terms[t].cps[terms[t].len - 1]);
            w = CFD__WW_LEFT_WORD | (first ? CFD__WW_LEFT_HANGUL : 0) |
                (last ? 0 : CFD__WW_RIGHT_WORD);
        }
        ac->term_word[t] = w;
    }
    if (cfd__build_dfa(ac, bn, n, queue, qt, terms, n_terms) != 0)
        goto oom;
    cfd__bfree(bn, (uint32_t)max_nodes);
    free(queue);
    *out = ac;
    return 0;
oom:
    if (bn)
        cfd__bfree(bn, (uint32_t)max_nodes);
    free(queue);
    cfd_ac_free(ac);
    return CFD_ENOMEM;
}

static inline uint32_t cfd__edge(const cfd_ac *ac, const cfd__ac_node *nd, uint32_t cp)
{
    const uint32_t *e = ac->edge_cp + nd->edge_off;
    uint32_t lo = 0, hi = nd->n_edges;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (e[mid] < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (lo < nd->n_edges && e[lo] == cp) ? ac->edge_to[nd->edge_off + lo] : 0;
}

#define CFD__RING 256u
#define CFD__NONE 0x20u /* a space: a non-word neighbour at the text's edges */

static void cfd__emit(const cfd_ac *ac, uint32_t s, uint64_t pos, const uint32_t *ring,
                      uint32_t next, uint64_t *seen)
{
    const cfd__ac_node *nd = &ac->nodes[s];
    for (uint32_t k = 0; k < nd->n_out; k++) {
        uint32_t t = ac->outs[nd->out_off + k];
        if (seen[t >> 6] & (1ull << (t & 63)))
            continue;
        uint8_t w = ac->term_word[t];
        if (w) {
            uint64_t len = ac->term_len[t];
            uint32_t before = pos > len ? ring[(pos - len - 1) & (CFD__RING - 1)] : CFD__NONE;
            if (((w & CFD__WW_LEFT_WORD) && cfd_norm_is_word(before)) ||
                ((w & CFD__WW_LEFT_HANGUL) && cfd__is_hangul(before)) ||
                ((w & CFD__WW_RIGHT_WORD) && cfd_norm_is_word(next)))
                continue;
        }
        seen[t >> 6] |= 1ull << (t & 63);
    }
}

size_t cfd_ac_table_bytes(const cfd_ac *ac)
{
    if (ac == NULL || ac->delta == NULL)
        return 0;
    return (size_t)ac->n_nodes * ac->n_classes * sizeof(uint32_t) +
           CFD__DIRECT_N * sizeof(uint16_t) + (ac->n_classes - 1) * sizeof(uint32_t);
}

/*
 * One step of the DFA: the class of the code point, then the next state
 * (row offset << 1 | has outputs) from the table. A code point in no term
 * (class 0; most of a Korean article) goes to the root without touching
 * the state's row: the index is masked to 0 (delta[0] = 0), so the
 * dependent load from state to state hits one hot word instead of a row
 * anywhere in the table.
 */
static inline uint32_t cfd__step_dfa(const cfd_ac *ac, uint32_t s, uint32_t cp)
{
    size_t c = cfd__class(ac, cp);
    return ac->delta[((size_t)(s >> 1) + c) & (0 - (size_t)(c != 0))];
}

/* One step without the table: trie edges and failure links. */
static inline uint32_t cfd__step_edges(const cfd_ac *ac, uint32_t s, uint32_t cp)
{
    long d = cfd__direct(cp);
    for (;;) {
        if (s == 0 && d >= 0)
            return ac->root_direct[d];
        uint32_t to = cfd__edge(ac, &ac->nodes[s], cp);
        if (to != 0 || s == 0)
            return to;
        s = ac->nodes[s].fail;
    }
}

void cfd_ac_scan(const cfd_ac *ac, const char *text, size_t len, uint64_t *seen)
{
    if (ac->n_nodes <= 1)
        return;
    const int dfa = ac->delta != NULL;
    cfd_norm_iter it;
    uint32_t ring[CFD__RING];
    uint32_t s = 0, cp; /* with the DFA: row offset << 1 | has outputs */
    uint64_t pos = 0;
    int space = 0;
    cfd_norm_init(&it, text, len);
    for (;;) {
        int have = (it.i_out == it.n_out && cfd_norm_fast(&it.p, it.end, &cp)) ||
                   cfd_norm_next(&it, &cp);
        if (have) { /* runs of white space read as one ' ', as in the terms */
            int sp = cfd_norm_is_space(cp);
            if (sp) {
                if (space)
                    continue;
                cp = ' ';
            }
            space = sp;
        }
        if (dfa ? (s & 1) : ac->nodes[s].n_out != 0)
            cfd__emit(ac, dfa ? (s >> 1) / ac->n_classes : s, pos, ring,
                      have ? cp : CFD__NONE, seen);
        if (!have)
            break;
        ring[pos & (CFD__RING - 1)] = cp;
        pos++;
        s = dfa ? cfd__step_dfa(ac, s, cp) : cfd__step_edges(ac, s, cp);
    }
}
