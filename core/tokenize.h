/*
 * The tokeniser: splits normalised text into words by Unicode class.
 *
 * Korean has no reliable word boundaries for a classifier beyond spaces and
 * script changes, and news text mixes Hangul, Han, Latin and digits inside
 * one "word" (26일, 北, KBS뉴스), so a token is a maximal run of code points
 * of ONE class, and every class change ends a token:
 *
 *   HANGUL  Hangul syllables U+AC00..D7A3 and jamo (U+1100..11FF,
 *           U+3130..318F, U+A960..A97F, U+D7B0..D7FF)
 *   HAN     CJK ideographs U+3400..4DBF, U+4E00..9FFF, U+F900..FAFF,
 *           U+20000..3134F
 *   LATIN   ASCII letters, U+00C0..024F (except U+00D7 x, U+00F7 /),
 *           U+1E00..1EFF, U+2C60..2C7F, U+A720..A7FF, U+AB30..AB6F and
 *           fullwidth Latin letters
 *   DIGIT   ASCII digits, fullwidth digits, and any other code point of
 *           category Nd
 *   OTHER   every other letter (category L*: Cyrillic, Greek, Thai, kana,
 *           Arabic, ...), so text in any language yields features
 *   marks   combining marks (category M*) continue the current token
 *           whatever its class (e + U+0301 left decomposed by NFC, Indic
 *           vowel signs); a mark with no token before it starts an OTHER
 *           token
 *   ignored U+00AD soft hyphen, U+200B..200D (zero width space/joiners),
 *           U+200E/200F (LRM, RLM) and the bidi embeddings and isolates
 *           U+202A..202E, U+2066..2069 (so "&lrm;", which markup removal
 *           drops, and a raw U+200E give the same words), U+2060 word
 *           joiner, U+FEFF, the Hangul fillers U+3164 and U+FFA0 (invisible;
 *           in the compatibility jamo block, but written as the "no
 *           syllable" mark of jamo spellings such as "ㅤㅂㅘㅅ는데", 봤는데,
 *           in NSMC, not as letters), variation selectors U+FE00..FE0F
 *           and U+E0100..E01EF (the U+FE0F of emoji such as "❤️" would
 *           otherwise be a token of its own, being a mark after a
 *           separator): dropped without splitting a word
 *   SEP     everything else separates and is dropped: spaces, controls,
 *           NUL, punctuation, symbols, emoji, unassigned code points
 *
 * Examples: "26일" -> "26" "일"; "KBS뉴스" -> "kbs" "뉴스"; "東京タワー" ->
 * "東京" "タワー"; "café" (any normal form) -> "café"; "😀" -> nothing.
 *
 * Token text is case folded (normalize.h: simple lower case, fullwidth ASCII
 * to ASCII). Input must be valid UTF-8 (the featurizer validates first);
 * a byte that does not decode is treated as a separator.
 *
 * For character n-grams a token records the byte offset of each of its first
 * CFD_TOK_NGRAM_CPS code points (a Hangul syllable is one code point, so one
 * character). Only those code points produce n-grams: this bounds the work
 * for absurd tokens (a 1 MB run of one letter) while no real word is that
 * long.
 *
 * Ownership: the tokeniser reads the caller's text and writes token text into
 * the caller's buffer `out`; a token's text is valid until the next
 * cfd_tok_next call. Threads: one tokeniser per thread; no shared state.
 */
#ifndef CFD_TOKENIZE_H
#define CFD_TOKENIZE_H

#include <stddef.h>
#include <stdint.h>

enum cfd_tok_class {
    CFD_TOK_SEP = 0,
    CFD_TOK_HANGUL,
    CFD_TOK_HAN,
    CFD_TOK_LATIN,
    CFD_TOK_DIGIT,
    CFD_TOK_OTHER,
    CFD_TOK_MARK,   /* classification of a code point only, never a token's */
    CFD_TOK_IGNORE, /* likewise */
    CFD_TOK_CLASSES /* the number of classes: size of a per-class count array */
};

#define CFD_TOK_NGRAM_CPS 32

/* 1 for what the tokeniser drops inside a word without splitting it (the
 * "ignored" class above: soft hyphen, zero width space and joiners, bidi
 * marks and controls, word joiner, U+FEFF, Hangul fillers, variation
 * selectors). The rules plugin's matcher drops the
 * same, so an editor's term matches the word the models see. */
static inline int cfd_tok_ignorable(uint32_t cp)
{
    return cp == 0xAD || (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
           cp == 0x2060 || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x3164 || cp == 0xFFA0 ||
           cp == 0xFEFF || (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF);
}

typedef struct cfd_token {
    const char *s;   /* folded token text (not NUL-terminated) */
    size_t len;      /* bytes */
    size_t ncp;      /* code points in the whole token */
    int cls;         /* enum cfd_tok_class of the token's first letter */
    /* off[i] = byte offset of code point i for i < min(ncp, CFD_TOK_NGRAM_CPS),
     * off[min(ncp, CFD_TOK_NGRAM_CPS)] = end of that prefix */
    uint16_t off[CFD_TOK_NGRAM_CPS + 1];
} cfd_token;

typedef struct cfd_tokenizer {
    const unsigned char *src;
    size_t len, pos;
    char *out;       /* caller's buffer, >= CFD_TOK_OUT_MIN(len) bytes */
} cfd_tokenizer;

/* Room the token buffer needs for a text of len bytes (folding may grow). */
#define CFD_TOK_OUT_MIN(len) ((len) + (len) / 2 + 8)

void cfd_tok_init(cfd_tokenizer *t, const char *s, size_t len, char *out);

/* Fills *tok with the next token and returns 1, or returns 0 at the end. */
int cfd_tok_next(cfd_tokenizer *t, cfd_token *tok);

/* Bytes of tok's word prefix (the featurizer's word_prefix option,
 * features.h): its first two code points when it is a Hangul token of three
 * or more whose code points are all 3 bytes, else 0. The featurizer and
 * classifyd-train's feature naming both call this, so they cannot differ. */
static inline size_t cfd_tok_prefix_len(const cfd_token *tok)
{
    return tok->cls == CFD_TOK_HANGUL && tok->ncp > 2 && tok->len == 3 * tok->ncp ? 6 : 0;
}

/* The class of one code point (enum cfd_tok_class), exposed for tests. */
int cfd_tok_class_of(uint32_t cp);

#endif
