/*
 * "\u0000" inside JSON strings. cJSON keeps strings NUL-terminated without
 * a length, so a decoded U+0000 would cut a string short and everything
 * after it would be lost without a word. The daemon (daemon/article.c) and
 * the training tools (training/record.c) both read the escape as a space,
 * through this one function, so training and serving see the same text.
 *
 * Ownership: the caller owns `copy` (reset here, reused across calls).
 * Threads: any thread, one `copy` per thread.
 */
#ifndef CFD_JSON_NUL_H
#define CFD_JSON_NUL_H

#include <stddef.h>

#include "buf.h"

/*
 * Returns json itself when json[0..len) holds no unescaped "\u0000", else
 * copy->data: a copy where every such escape became "\u0020" (the same
 * length, so an offset into the copy is the same offset into json). NULL
 * when the copy could not be allocated. An escaped backslash before it
 * ("\\u0000": a backslash, then the text u0000) is left alone.
 */
const char *cfd_json_nul_to_space(const char *json, size_t len, cfd_buf *copy);

#endif
