/*
 * Tokeniser by Unicode class; the rule is documented in tokenize.h.
 *
 * This loop runs over every code point of every article, so the common
 * classes (ASCII, Hangul syllables, CJK ideographs) are decided inline from
 * a table or a range check; utf8proc's category lookup is only consulted for
 * the rest (punctuation, other scripts).
 */
#include <utf8proc.h>

#include "normalize.h"
#include "tokenize.h"
#include "utf8.h"

#define S CFD_TOK_SEP
#define L CFD_TOK_LATIN
#define D CFD_TOK_DIGIT
static const unsigned char cfd__ascii_class[128] = {
    S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, /* 0x00 controls */
    S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, /* 0x10 */
    S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, /* space ! " ... / */
    D, D, D, D, D, D, D, D, D, D, S, S, S, S, S, S, /* 0-9 : ; < = > ? */
    S, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, /* @ A-O */
    L, L, L, L, L, L, L, L, L, L, L, S, S, S, S, S, /* P-Z [ \ ] ^ _ */
    S, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, /* ` a-o */
    L, L, L, L, L, L, L, L, L, L, L, S, S, S, S, S, /* p-z { | } ~ DEL */
};
#undef S
#undef L
#undef D

static int cfd__class_slow(uint32_t cp)
{
    if (cp == 0x3164)
        return CFD_TOK_IGNORE; /* Hangul filler, inside the jamo block (tokenize.h) */
    if (cp >= 0xC0 && cp <= 0x24F)
        return cp == 0xD7 || cp == 0xF7 ? CFD_TOK_SEP : CFD_TOK_LATIN;
    if ((cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0x3130 && cp <= 0x318F) ||
        (cp >= 0xA960 && cp <= 0xA97F) || (cp >= 0xD7B0 && cp <= 0xD7FF))
        return CFD_TOK_HANGUL;
    if ((cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
        (cp >= 0x20000 && cp <= 0x3134F))
        return CFD_TOK_HAN;
    if ((cp >= 0x1E00 && cp <= 0x1EFF) || (cp >= 0x2C60 && cp <= 0x2C7F) ||
        (cp >= 0xA720 && cp <= 0xA7FF) || (cp >= 0xAB30 && cp <= 0xAB6F) ||
        (cp >= 0xFF21 && cp <= 0xFF3A) || (cp >= 0xFF41 && cp <= 0xFF5A))
        return CFD_TOK_LATIN;
    if (cp >= 0xFF10 && cp <= 0xFF19)
        return CFD_TOK_DIGIT;
    if (cfd_tok_ignorable(cp))
        return CFD_TOK_IGNORE; /* variation selectors too: "❤️" is no word */
    if (cp >= 0x2000 && cp <= 0x206F)
        return CFD_TOK_SEP; /* general punctuation, the common non-ASCII case */
    switch (utf8proc_category((utf8proc_int32_t)cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
        return CFD_TOK_OTHER;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
        return CFD_TOK_MARK;
    case UTF8PROC_CATEGORY_ND:
        return CFD_TOK_DIGIT;
    default:
        return CFD_TOK_SEP;
    }
}

static inline int cfd__class(uint32_t cp)
{
    if (cp < 0x80)
        return cfd__ascii_class[cp];
    if (cp >= 0xAC00 && cp <= 0xD7A3)
        return CFD_TOK_HANGUL;
    if (cp >= 0x4E00 && cp <= 0x9FFF)
        return CFD_TOK_HAN;
    return cfd__class_slow(cp);
}

int cfd_tok_class_of(uint32_t cp) { return cfd__class(cp); }

void cfd_tok_init(cfd_tokenizer *t, const char *s, size_t len, char *out)
{
    t->src = (const unsigned char *)s;
    t->len = len;
    t->pos = 0;
    t->out = out;
}

/* The code point of the Hangul syllable (U+AC00..D7A3) in the three bytes
 * at p, or 0 if they are not one. */
static inline uint32_t cfd__syllable_at(const unsigned char *p)
{
    unsigned c = p[0];
    if (c - 0xEAu > 3u || ((p[1] | (unsigned)p[2] << 8) & 0xC0C0u) != 0x8080u)
        return 0;
    uint32_t v = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3Fu);
    return v - 0xAC00u <= 0xD7A3u - 0xAC00u ? v : 0;
}

/* Decodes the code point at s[i] (i < len) and classifies it; *n = bytes. */
static inline int cfd__next_cp(const unsigned char *s, size_t len, size_t i, uint32_t *cp,
                               size_t *n)
{
    unsigned char c = s[i];
    if (c < 0x80) {
        *cp = c;
        *n = 1;
        return cfd__ascii_class[c];
    }
    /* Hangul syllables inline: the bulk of Korean text. */
    uint32_t v;
    if (len - i >= 3 && (v = cfd__syllable_at(s + i)) != 0) {
        *cp = v;
        *n = 3;
        return CFD_TOK_HANGUL;
    }
    *n = cfd_utf8_decode(s + i, len - i, cp);
    if (*n == 0) { /* invalid byte (precondition broken): a separator */
        *n = 1;
        return CFD_TOK_SEP;
    }
    return cfd__class(*cp);
}

int cfd_tok_next(cfd_tokenizer *t, cfd_token *tok)
{
    const unsigned char *s = t->src;
    size_t len = t->len, i = t->pos, n = 0;
    uint32_t cp = 0;
    int cls = CFD_TOK_SEP;

    /* Skip to the first code point of a token. */
    while (i < len) {
        cls = cfd__next_cp(s, len, i, &cp, &n);
        if (cls != CFD_TOK_SEP && cls != CFD_TOK_IGNORE)
            break;
        i += n;
    }
    if (i >= len) {
        t->pos = len;
        return 0;
    }
    if (cls == CFD_TOK_MARK)
        cls = CFD_TOK_OTHER;

    /* Hangul and Han need no folding: their tokens point into the source
     * and are copied only if an ignorable code point interrupts them. */
    const size_t start = i;
    int copy = !(cls == CFD_TOK_HANGUL || cls == CFD_TOK_HAN);
    unsigned char *out = (unsigned char *)t->out;
    size_t o = 0, ncp = 0;
    for (;;) {
        if (ncp <= CFD_TOK_NGRAM_CPS)
            tok->off[ncp] = (uint16_t)o;
        ncp++;
        if (!copy) {
            o += n;
        } else if (cp < 0x80) {
            out[o++] = (unsigned char)(cp - 'A' < 26u ? cp + 32 : cp);
        } else if (cls == CFD_TOK_HANGUL || cls == CFD_TOK_HAN) {
            for (size_t k = 0; k < n; k++) /* uncased: copy the bytes */
                out[o++] = s[i + k];
        } else {
            o += cfd_utf8_encode(cfd_fold_cp(cp), (char *)out + o);
        }
        i += n;
        /* Runs of the two commonest cases in a tight loop, with the same
         * result as the general steps below: Hangul syllables of a token
         * that still points into s (every Korean word), and ASCII letters
         * or digits of a copied token. The general steps decode, classify
         * and test for ignorables and marks at every code point; these
         * test one byte or one syllable (about a third of cfd_tok_next's
         * instructions on news8, callgrind). */
        if (!copy && cls == CFD_TOK_HANGUL) {
            while (len - i >= 3 && cfd__syllable_at(s + i) != 0) {
                if (ncp <= CFD_TOK_NGRAM_CPS)
                    tok->off[ncp] = (uint16_t)o;
                ncp++;
                o += 3;
                i += 3;
            }
        } else if (copy && (cls == CFD_TOK_LATIN || cls == CFD_TOK_DIGIT)) {
            while (i < len && s[i] < 0x80 && cfd__ascii_class[s[i]] == cls) {
                unsigned char c = s[i++];
                if (ncp <= CFD_TOK_NGRAM_CPS)
                    tok->off[ncp] = (uint16_t)o;
                ncp++;
                out[o++] = (unsigned char)((unsigned)c - 'A' < 26u ? c + 32 : c);
            }
        }
        /* Next code point of the same token, skipping ignorables. */
        int next;
        for (;;) {
            if (i >= len) {
                next = CFD_TOK_SEP;
                break;
            }
            next = cfd__next_cp(s, len, i, &cp, &n);
            if (next != CFD_TOK_IGNORE)
                break;
            if (!copy) { /* the token is no longer contiguous in s */
                for (size_t k = 0; k < o; k++)
                    out[k] = s[start + k];
                copy = 1;
            }
            i += n;
        }
        if (next != cls && next != CFD_TOK_MARK)
            break;
    }
    if (ncp <= CFD_TOK_NGRAM_CPS)
        tok->off[ncp] = (uint16_t)o;
    t->pos = i;
    tok->s = copy ? t->out : (const char *)s + start;
    tok->len = o;
    tok->ncp = ncp;
    tok->cls = cls;
    return 1;
}
