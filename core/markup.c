/*
 * HTML tag and entity removal; the rules are in markup.h.
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "markup.h"
#include "utf8.h"

/* Named entities, sorted by name (byte order) for bsearch. Whitespace
 * entities become a space, invisible formatting characters nothing. */
static const struct cfd__entity {
    const char *name;
    const char *utf8;
} cfd__entities[] = {
    {"AElig", "\xc3\x86"},
    {"Aacute", "\xc3\x81"},
    {"Acirc", "\xc3\x82"},
    {"Agrave", "\xc3\x80"},
    {"Alpha", "\xce\x91"},
    {"Aring", "\xc3\x85"},
    {"Atilde", "\xc3\x83"},
    {"Auml", "\xc3\x84"},
    {"Beta", "\xce\x92"},
    {"Ccedil", "\xc3\x87"},
    {"Dagger", "\xe2\x80\xa1"},
    {"Delta", "\xce\x94"},
    {"ETH", "\xc3\x90"},
    {"Eacute", "\xc3\x89"},
    {"Ecirc", "\xc3\x8a"},
    {"Egrave", "\xc3\x88"},
    {"Euml", "\xc3\x8b"},
    {"Gamma", "\xce\x93"},
    {"Iacute", "\xc3\x8d"},
    {"Icirc", "\xc3\x8e"},
    {"Igrave", "\xc3\x8c"},
    {"Iuml", "\xc3\x8f"},
    {"Ntilde", "\xc3\x91"},
    {"OElig", "\xc5\x92"},
    {"Oacute", "\xc3\x93"},
    {"Ocirc", "\xc3\x94"},
    {"Ograve", "\xc3\x92"},
    {"Oslash", "\xc3\x98"},
    {"Otilde", "\xc3\x95"},
    {"Ouml", "\xc3\x96"},
    {"Prime", "\xe2\x80\xb3"},
    {"Scaron", "\xc5\xa0"},
    {"THORN", "\xc3\x9e"},
    {"Uacute", "\xc3\x9a"},
    {"Ucirc", "\xc3\x9b"},
    {"Ugrave", "\xc3\x99"},
    {"Uuml", "\xc3\x9c"},
    {"Yacute", "\xc3\x9d"},
    {"Yuml", "\xc5\xb8"},
    {"aacute", "\xc3\xa1"},
    {"acirc", "\xc3\xa2"},
    {"acute", "\xc2\xb4"},
    {"aelig", "\xc3\xa6"},
    {"agrave", "\xc3\xa0"},
    {"alpha", "\xce\xb1"},
    {"amp", "\x26"},
    {"apos", "\x27"},
    {"aring", "\xc3\xa5"},
    {"asymp", "\xe2\x89\x88"},
    {"atilde", "\xc3\xa3"},
    {"auml", "\xc3\xa4"},
    {"bdquo", "\xe2\x80\x9e"},
    {"beta", "\xce\xb2"},
    {"brvbar", "\xc2\xa6"},
    {"bull", "\xe2\x80\xa2"},
    {"ccedil", "\xc3\xa7"},
    {"cedil", "\xc2\xb8"},
    {"cent", "\xc2\xa2"},
    {"clubs", "\xe2\x99\xa3"},
    {"copy", "\xc2\xa9"},
    {"curren", "\xc2\xa4"},
    {"dagger", "\xe2\x80\xa0"},
    {"darr", "\xe2\x86\x93"},
    {"deg", "\xc2\xb0"},
    {"delta", "\xce\xb4"},
    {"diams", "\xe2\x99\xa6"},
    {"divide", "\xc3\xb7"},
    {"eacute", "\xc3\xa9"},
    {"ecirc", "\xc3\xaa"},
    {"egrave", "\xc3\xa8"},
    {"emsp", " "},
    {"ensp", " "},
    {"epsilon", "\xce\xb5"},
    {"equiv", "\xe2\x89\xa1"},
    {"eth", "\xc3\xb0"},
    {"euml", "\xc3\xab"},
    {"euro", "\xe2\x82\xac"},
    {"fnof", "\xc6\x92"},
    {"frac12", "\xc2\xbd"},
    {"frac14", "\xc2\xbc"},
    {"frac34", "\xc2\xbe"},
    {"gamma", "\xce\xb3"},
    {"ge", "\xe2\x89\xa5"},
    {"gt", "\x3e"},
    {"harr", "\xe2\x86\x94"},
    {"hearts", "\xe2\x99\xa5"},
    {"hellip", "\xe2\x80\xa6"},
    {"iacute", "\xc3\xad"},
    {"icirc", "\xc3\xae"},
    {"iexcl", "\xc2\xa1"},
    {"igrave", "\xc3\xac"},
    {"infin", "\xe2\x88\x9e"},
    {"iquest", "\xc2\xbf"},
    {"iuml", "\xc3\xaf"},
    {"lArr", "\xe2\x87\x90"},
    {"lambda", "\xce\xbb"},
    {"laquo", "\xc2\xab"},
    {"larr", "\xe2\x86\x90"},
    {"ldquo", "\xe2\x80\x9c"},
    {"le", "\xe2\x89\xa4"},
    {"loz", "\xe2\x97\x8a"},
    {"lrm", ""},
    {"lsaquo", "\xe2\x80\xb9"},
    {"lsquo", "\xe2\x80\x98"},
    {"lt", "\x3c"},
    {"macr", "\xc2\xaf"},
    {"mdash", "\xe2\x80\x94"},
    {"micro", "\xc2\xb5"},
    {"middot", "\xc2\xb7"},
    {"minus", "\xe2\x88\x92"},
    {"mu", "\xce\xbc"},
    {"nbsp", " "},
    {"ndash", "\xe2\x80\x93"},
    {"ne", "\xe2\x89\xa0"},
    {"not", "\xc2\xac"},
    {"ntilde", "\xc3\xb1"},
    {"oacute", "\xc3\xb3"},
    {"ocirc", "\xc3\xb4"},
    {"oelig", "\xc5\x93"},
    {"ograve", "\xc3\xb2"},
    {"omega", "\xcf\x89"},
    {"ordf", "\xc2\xaa"},
    {"ordm", "\xc2\xba"},
    {"oslash", "\xc3\xb8"},
    {"otilde", "\xc3\xb5"},
    {"ouml", "\xc3\xb6"},
    {"para", "\xc2\xb6"},
    {"permil", "\xe2\x80\xb0"},
    {"pi", "\xcf\x80"},
    {"plusmn", "\xc2\xb1"},
    {"pound", "\xc2\xa3"},
    {"prime", "\xe2\x80\xb2"},
    {"prod", "\xe2\x88\x8f"},
    {"quot", "\x22"},
    {"rArr", "\xe2\x87\x92"},
    {"radic", "\xe2\x88\x9a"},
    {"raquo", "\xc2\xbb"},
    {"rarr", "\xe2\x86\x92"},
    {"rdquo", "\xe2\x80\x9d"},
    {"reg", "\xc2\xae"},
    {"rlm", ""},
    {"rsaquo", "\xe2\x80\xba"},
    {"rsquo", "\xe2\x80\x99"},
    {"sbquo", "\xe2\x80\x9a"},
    {"scaron", "\xc5\xa1"},
    {"sect", "\xc2\xa7"},
    {"shy", ""},
    {"sigma", "\xcf\x83"},
    {"spades", "\xe2\x99\xa0"},
    {"sum", "\xe2\x88\x91"},
    {"sup1", "\xc2\xb9"},
    {"sup2", "\xc2\xb2"},
    {"sup3", "\xc2\xb3"},
    {"szlig", "\xc3\x9f"},
    {"thinsp", " "},
    {"thorn", "\xc3\xbe"},
    {"times", "\xc3\x97"},
    {"trade", "\xe2\x84\xa2"},
    {"uacute", "\xc3\xba"},
    {"uarr", "\xe2\x86\x91"},
    {"ucirc", "\xc3\xbb"},
    {"ugrave", "\xc3\xb9"},
    {"uml", "\xc2\xa8"},
    {"uuml", "\xc3\xbc"},
    {"yacute", "\xc3\xbd"},
    {"yen", "\xc2\xa5"},
    {"yuml", "\xc3\xbf"},
    {"zwj", ""},
    {"zwnj", ""},
};

static int cfd__entity_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const struct cfd__entity *)elem)->name);
}

/* Tags removed without a trace (text formatting inside a word). Sorted. */
static const char *const cfd__inline_tags[] = {
    "a", "abbr", "b", "bdi", "big", "cite", "code", "del", "em", "font", "i", "ins",
    "kbd", "mark", "q", "s", "small", "span", "strike", "strong", "sub", "sup",
    "tt", "u", "var", "wbr",
};

static int cfd__str_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(const char *const *)elem);
}

/* Every HTML element name (the living standard's, plus the obsolete ones
 * CMS exports still carry: center font big tt strike ...) and the RSS and
 * Atom item elements (item description guid pubdate ...). A '<' before any
 * other name is text: Korean outlets write titles in angle brackets
 * (<SKY 캐슬>, <Squid Game>), and "삼성<LG" is a comparison. Sorted. */
static const char *const cfd__html_tags[] = {
    "a", "abbr", "acronym", "address", "area", "article", "aside", "audio", "author", "b",
    "base", "basefont", "bdi", "bdo", "big", "blink", "blockquote", "body", "br", "button",
    "canvas", "caption", "category", "center", "channel", "cite", "code", "col", "colgroup",
    "content", "data", "datalist", "dd", "del", "description", "details", "dfn", "dialog",
    "dir", "div", "dl", "dt", "em", "embed", "enclosure", "entry", "feed", "fieldset",
    "figcaption", "figure", "font", "footer", "form", "frame", "frameset", "guid", "h1", "h2",
    "h3", "h4", "h5", "h6", "head", "header", "hgroup", "hr", "html", "i", "iframe", "img",
    "input", "ins", "item", "kbd", "label", "legend", "li", "link", "main", "map", "mark",
    "marquee", "menu", "meta", "meter", "nav", "nobr", "noframes", "noscript", "object", "ol",
    "optgroup", "option", "output", "p", "param", "picture", "pre", "progress", "pubdate",
    "published", "q", "rp", "rss", "rt", "ruby", "s", "samp", "script", "search", "section",
    "select", "slot", "small", "source", "span", "strike", "strong", "style", "sub", "summary",
    "sup", "svg", "table", "tbody", "td", "template", "textarea", "tfoot", "th", "thead",
    "time", "title", "tr", "track", "tt", "u", "ul", "updated", "var", "video", "wbr", "xmp",
};

static inline int cfd__is_alpha(unsigned char c) { return (unsigned char)((c | 32) - 'a') < 26; }
static inline int cfd__is_alnum(unsigned char c)
{
    return cfd__is_alpha(c) || (unsigned char)(c - '0') < 10;
}

int cfd_markup_present(const char *s, size_t len)
{
    return memchr(s, '<', len) != NULL || memchr(s, '&', len) != NULL;
}

/*
 * Finds "</name" (any case) at or after s[i]; returns its offset or len.
 */
static size_t cfd__find_close(const unsigned char *s, size_t len, size_t i, const char *name,
                              size_t nlen)
{
    while (i < len) {
        const unsigned char *p = memchr(s + i, '<', len - i);
        if (p == NULL)
            return len;
        size_t k = (size_t)(p - s);
        if (len - k >= nlen + 2 && s[k + 1] == '/' &&
            strncasecmp((const char *)s + k + 2, name, nlen) == 0 &&
            (len - k == nlen + 2 || !cfd__is_alnum(s[k + 2 + nlen])))
            return k;
        i = k + 1;
    }
    return len;
}

/*
 * What earlier searches to the end of the text found missing: once "-->"
 * or "</script" is not found after some point, it is not found after any
 * later point either, so those searches are not repeated (which would make
 * "<!--<!--<!--..." quadratic).
 */
typedef struct cfd__markup_state {
    int no_comment_end, no_script_end, no_style_end;
    size_t semi; /* offset of the next ';' at or after the last '&', or len */
    int semi_valid;
} cfd__markup_state;

/*
 * Tries to parse markup starting at s[i] == '<'. Returns the offset after
 * it (and sets *space if it separates words), or 0 if it is text.
 */
static size_t cfd__tag(const unsigned char *s, size_t len, size_t i, int *space,
                       cfd__markup_state *st)
{
    *space = 1;
    if (len - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
        if (st->no_comment_end)
            return 0;
        const unsigned char *e = memmem(s + i + 4, len - i - 4, "-->", 3);
        if (e == NULL)
            st->no_comment_end = 1;
        return e ? (size_t)(e - s) + 3 : 0;
    }
    /* RSS bodies wrap text in CDATA: drop the opener, keep the text (and
     * read the markup inside it); the "]]>" left is punctuation. */
    if (len - i >= 9 && memcmp(s + i, "<![CDATA[", 9) == 0)
        return i + 9;
    size_t j = i + 1;
    if (j >= len)
        return 0;
    int closing = s[j] == '/';
    if (!(cfd__is_alpha(s[j]) || s[j] == '/' || s[j] == '!' || s[j] == '?'))
        return 0;
    j += closing;
    char name[16];
    size_t nlen = 0;
    int xml = 0; /* a namespaced name, as RSS has them: dc:creator, media:content */
    while (j < len && (cfd__is_alnum(s[j]) || (nlen > 0 && (s[j] == ':' || s[j] == '-')))) {
        xml |= s[j] == ':';
        if (nlen < sizeof name - 1)
            name[nlen] = (char)(s[j] | 32);
        nlen++;
        j++;
    }
    if (nlen < sizeof name)
        name[nlen] = '\0'; /* a longer name is no element's */
    if (nlen > 0) {
        /* A named tag: a known element (or a namespaced name) followed by
         * white space, '/' or '>'; anything else is text. */
        if (j < len && s[j] != '>' && s[j] != '/' && s[j] != ' ' && s[j] != '\t' &&
            s[j] != '\n' && s[j] != '\r' && s[j] != '\f')
            return 0;
        if (!xml && (nlen >= sizeof name ||
                     !bsearch(name, cfd__html_tags,
                              sizeof cfd__html_tags / sizeof cfd__html_tags[0],
                              sizeof cfd__html_tags[0], cfd__str_cmp)))
            return 0;
    }
    /* The tag ends at the first '>'; a '<' first means this was text. Not
     * honouring quotes keeps the scan linear on hostile input. */
    while (j < len && s[j] != '>' && s[j] != '<')
        j++;
    if (j >= len || s[j] != '>')
        return 0;
    j++;
    if (nlen == 0 || nlen >= sizeof name)
        return j;
    if (bsearch(name, cfd__inline_tags, sizeof cfd__inline_tags / sizeof cfd__inline_tags[0],
                sizeof cfd__inline_tags[0], cfd__str_cmp))
        *space = 0;
    int script = strcmp(name, "script") == 0, style = strcmp(name, "style") == 0;
    if (!closing && ((script && !st->no_script_end) || (style && !st->no_style_end))) {
        size_t k = cfd__find_close(s, len, j, name, nlen);
        if (k >= len) {
            st->no_script_end |= script;
            st->no_style_end |= style;
        } else {
            const unsigned char *gt = memchr(s + k, '>', len - k);
            return gt ? (size_t)(gt - s) + 1 : len;
        }
    }
    return j;
}

/*
 * Tries to decode an entity at s[i] == '&' into out. Returns the offset
 * after it and sets *olen, or returns 0 if it is text.
 */
static size_t cfd__entity(const unsigned char *s, size_t len, size_t i, char *out, size_t *olen,
                          cfd__markup_state *st)
{
    /* where the next ';' is, remembered across '&'s ("&&&&..." or
     * "AT&T" repeated would otherwise search the same bytes again) */
    if (!st->semi_valid || st->semi <= i) {
        const unsigned char *p = memchr(s + i + 1, ';', len - i - 1);
        st->semi = p ? (size_t)(p - s) : len;
        st->semi_valid = 1;
    }
    if (st->semi >= len || st->semi - i > 33)
        return 0;
    size_t end = st->semi, j = i + 1;
    if (j < end && s[j] == '#') {
        int hex = j + 1 < end && (s[j + 1] | 32) == 'x';
        j += 1 + hex;
        if (j >= end)
            return 0;
        uint32_t v = 0;
        for (; j < end; j++) {
            unsigned d;
            unsigned char c = s[j];
            if (c >= '0' && c <= '9')
                d = c - '0';
            else if (hex && (c | 32) >= 'a' && (c | 32) <= 'f')
                d = (c | 32) - 'a' + 10;
            else
                return 0;
            if (v <= 0x10FFFF)
                v = v * (hex ? 16 : 10) + d;
        }
        if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || v < 0x20 ||
            (v >= 0x7F && v < 0xA0)) {
            out[0] = ' ';
            *olen = 1;
        } else {
            *olen = cfd_utf8_encode(v, out);
        }
        return end + 1;
    }
    char name[34];
    size_t nlen = end - j;
    if (nlen == 0 || nlen >= sizeof name)
        return 0;
    memcpy(name, s + j, nlen);
    name[nlen] = '\0';
    const struct cfd__entity *e =
        bsearch(name, cfd__entities, sizeof cfd__entities / sizeof cfd__entities[0],
                sizeof cfd__entities[0], cfd__entity_cmp);
    if (e == NULL)
        return 0;
    *olen = strlen(e->utf8);
    memcpy(out, e->utf8, *olen);
    return end + 1;
}

size_t cfd_strip_markup(const char *str, size_t len, char *out)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, o = 0;
    cfd__markup_state st = {0, 0, 0, 0, 0};
    while (i < len) {
        unsigned char c = s[i];
        if (c != '<' && c != '&') {
            out[o++] = (char)c;
            i++;
            continue;
        }
        size_t next;
        if (c == '<') {
            int space;
            next = cfd__tag(s, len, i, &space, &st);
            if (next) {
                if (space && o > 0 && out[o - 1] != ' ')
                    out[o++] = ' ';
                i = next;
                continue;
            }
        } else {
            size_t olen;
            next = cfd__entity(s, len, i, out + o, &olen, &st);
            if (next) {
                o += olen;
                i = next;
                continue;
            }
        }
        out[o++] = (char)c;
        i++;
    }
    return o;
}
