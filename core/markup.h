/*
 * HTML markup removal: CMS exports and crawled pages carry tags and
 * entities ("&quot;", "<br>", "<p class=...>") that are not words.
 *
 * Rules (a pragmatic subset of HTML, written for news bodies, not a parser):
 *  - A tag is '<' (or "</") and an HTML element name (any element of the
 *    HTML standard, obsolete ones included, or of RSS/Atom items) or a
 *    namespaced name (dc:creator), followed by white space, '/' or '>', up
 *    to the next '>';
 *    or "<!" / "<?" up to the next '>' (<!DOCTYPE>, <?xml?>). Any other '<'
 *    is text: Korean outlets write titles in angle brackets (<SKY 캐슬>,
 *    <Squid Game>, <PD수첩>) and "삼성<LG" is a comparison. Without a '>'
 *    before the next '<' or the end the '<' is text too ("a <b" is not
 *    markup). Quotes are not honoured (a '>' inside an attribute value ends
 *    the tag; it keeps the scan linear on hostile input, and news bodies
 *    rarely have one). "<!-- ... -->" comments are removed whole.
 *  - "<![CDATA[" (RSS) is removed and what it wraps is kept, its markup
 *    read as above; the closing "]]>" stays as punctuation.
 *  - Inline formatting tags (a abbr b bdi big cite code del em font i ins
 *    kbd mark q s small span strike strong sub sup tt u var wbr) are removed
 *    without trace, so "<b>삼성</b>전자" stays one word; every other tag
 *    becomes one space (block boundaries separate words).
 *  - <script> and <style> elements are removed with their content.
 *  - Entities: "&#NNN;" and "&#xHHH;" are decoded (NUL, surrogates, values
 *    past U+10FFFF and C0/C1 controls become a space), and ~100 common named
 *    entities ("&amp;" "&nbsp;" "&lt;" "&quot;" "&middot;" "&hellip;" accented
 *    Latin letters ...). An unknown name or a missing ';' is kept as text.
 *    Decoded text is never parsed again ("&lt;b&gt;" is the text "<b>").
 *
 * Input must be valid UTF-8; the output is valid UTF-8 and never longer than
 * the input, so `out` needs len bytes (it must not overlap s).
 * Threads: pure function.
 */
#ifndef CFD_MARKUP_H
#define CFD_MARKUP_H

#include <stddef.h>

/* 1 if s contains '<' or '&' (only then can cfd_strip_markup change it). */
int cfd_markup_present(const char *s, size_t len);

/* Writes s without markup into out; returns the bytes written (<= len). */
size_t cfd_strip_markup(const char *s, size_t len, char *out);

#endif
