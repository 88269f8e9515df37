/*
 * Request bodies -> cfd_article: the JSON object of POST /v1/classify, a
 * text/plain body, and the lines of an NDJSON batch. Validation happens here,
 * once, before the engine sees anything: the whole input must be valid UTF-8
 * (the error gives the byte offset of the first bad byte), JSON must parse
 * (the error gives the offset where parsing stopped), the object must have
 * the documented shape, and title + body must not both be blank.
 *
 * Ownership: the decoder owns the parsed JSON tree; the article's strings
 * point into it (or into the caller's body for text/plain) and stay valid
 * until the next decode or cfd_article_decoder_free. One decoder per worker
 * thread; the decoder is reused from request to request.
 */
#ifndef CFD_ARTICLE_H
#define CFD_ARTICLE_H

#include <stddef.h>

#include <classifyd/error.h>

#include <classifyd/plugin.h>

#include "buf.h"
#include "engine.h"

#define CFD_ARTICLE_MAX_PLUGINS 32
/* Features a side for "explain": true. */
#define CFD_ARTICLE_EXPLAIN_DEFAULT 5

typedef struct cfd_article_decoder {
    void *root;                                   /* cJSON tree of the last decode */
    const char *plugins[CFD_ARTICLE_MAX_PLUGINS];
    size_t plugin_lens[CFD_ARTICLE_MAX_PLUGINS];
    cfd_buf copy;                                 /* input with \u0000 replaced */
} cfd_article_decoder;

void cfd_article_decoder_init(cfd_article_decoder *d);
void cfd_article_decoder_free(cfd_article_decoder *d);

/* Flags of cfd_article_decode_json. */
#define CFD_ARTICLE_SKIP_UTF8 1 /* the caller already validated the bytes */
#define CFD_ARTICLE_LINE 2      /* json is one line of an NDJSON batch: the
                                   messages speak of the line, not the body */

/*
 * Decodes {"id","title","body","plugins","explain"} from json[0..len)
 * ("explain": 0..CFD_PLUGIN_MAX_TERMS, true or false). Returns 0 or:
 *   CFD_EUTF8   invalid UTF-8, err->offset = byte offset in json
 *   CFD_EFORMAT malformed JSON, err->offset = where parsing failed (a raw
 *               NUL byte is malformed JSON; the escape \u0000 is accepted
 *               and read as a space, which the tokeniser treats alike);
 *               input that ends before its JSON value does (a body cut
 *               short, an object spread over several NDJSON lines) is said
 *               to end early, with err->offset = len
 *   CFD_EINVAL  valid JSON of the wrong shape (err names the field)
 *   CFD_EEMPTY  title and body both missing or blank
 * flags: CFD_ARTICLE_SKIP_UTF8, CFD_ARTICLE_LINE, or 0.
 * On an error after the object was parsed, a->id is the article's id when
 * it had a string one (NULL otherwise), as on success: it points into the
 * decoder's tree and is valid until the decoder's next use.
 */
int cfd_article_decode_json(cfd_article_decoder *d, const char *json, size_t len,
                            int flags, cfd_article *a, cfd_error *err);

/* A text/plain body: the whole body is the article body (no title). */
int cfd_article_decode_text(const char *text, size_t len, cfd_article *a, cfd_error *err);

/* Stable error code for the JSON reply ("invalid_utf8", "malformed_json",
 * "wrong_shape", "empty_text", ...). */
const char *cfd_article_error_code(int rc);

/* 1 when s[0..n) holds only white space (ASCII, U+00A0, U+3000, U+FEFF). */
int cfd_article_blank(const char *s, size_t n);

/*
 * NDJSON iteration: returns 1 and the next non-blank line of body (without
 * its "\n" or "\r\n") and its 1-based line number, advancing *pos and
 * *lineno; returns 0 at the end.
 */
int cfd_ndjson_next(const char *body, size_t len, size_t *pos, size_t *lineno,
                    const char **line, size_t *line_len);

#endif
