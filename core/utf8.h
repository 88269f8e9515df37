/*
 * UTF-8 validation and decoding.
 *
 * Policy (the same everywhere in classifyd): invalid UTF-8 is REJECTED, never
 * silently replaced. The daemon answers 400 with the byte offset, the training
 * tools stop with "file:line: invalid UTF-8 at byte N", the featurizer returns
 * CFD_EUTF8 with cfd_error.offset set. Invalid means anything RFC 3629 forbids:
 * overlong forms, surrogates (U+D800..DFFF), code points above U+10FFFF, stray
 * continuation bytes, truncated sequences. NUL (U+0000) is valid UTF-8 and is
 * treated by the tokeniser as a separator.
 *
 * Threads: pure functions, callable from any thread.
 */
#ifndef CFD_UTF8_H
#define CFD_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Returns 0 if s[0..len) is valid UTF-8, otherwise CFD_EUTF8 and stores the
 * offset of the first byte of the first invalid sequence in *bad_offset (if
 * not NULL).
 */
int cfd_utf8_validate(const char *s, size_t len, size_t *bad_offset);

/*
 * 1 when the invalid sequence that cfd_utf8_validate reported at s[bad] is a
 * character cut short by the end of s: s[bad..len) is the beginning of a
 * valid multi-byte sequence with its last bytes missing (a body sent with
 * Content-Length counted in characters, not bytes, ends so). Else 0.
 */
int cfd_utf8_cut(const char *s, size_t len, size_t bad);

/*
 * Decodes one code point from valid UTF-8 at s (len > 0 bytes available).
 * Returns the number of bytes consumed (1..4) and stores the code point.
 * On invalid input returns 0.
 */
size_t cfd_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/* Encodes cp into out (4 bytes room); returns bytes written (1..4). */
size_t cfd_utf8_encode(uint32_t cp, char *out);

/* 3 when s[0..len) starts with a UTF-8 byte order mark (EF BB BF, as
 * spreadsheet exports write), else 0. */
static inline size_t cfd_utf8_bom(const char *s, size_t len)
{
    return len >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
                   (unsigned char)s[2] == 0xBF
               ? 3
               : 0;
}

#endif
