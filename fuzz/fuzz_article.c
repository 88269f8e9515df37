/*
 * Fuzz target: request bodies -> articles (daemon/article.c on cJSON): the
 * JSON object of POST /v1/classify, a text/plain body, and an NDJSON batch
 * line by line -- everything a client controls after the HTTP framing.
 *
 * Every input is decoded all three ways with one long-lived decoder, as a
 * daemon worker does. Checked:
 *   - CFD_EUTF8 exactly when the bytes are not UTF-8, with the offset of the
 *     first bad byte; other errors have a message and an offset inside the
 *     input (or none);
 *   - a decoded article has title and body (not both blank), and id, title,
 *     body and every plugin name are valid UTF-8 (the engine and plugins
 *     rely on that), at most CFD_ARTICLE_MAX_PLUGINS names;
 *   - NDJSON iteration visits every line once, in order, never past the end,
 *     and never returns a blank line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CFD__CHECK(cond)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz_article: check failed: %s (line %d)\n", #cond,         \
                    __LINE__);                                                             \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

static cfd_article_decoder cfd__dec;
static int cfd__dec_ready;

static int cfd__utf8(const char *s, size_t n) { return cfd_utf8_validate(s, n, NULL) == 0; }

static void cfd__check_article(const cfd_article *a)
{
    CFD__CHECK(a->title != NULL && a->body != NULL);
    CFD__CHECK(!(cfd_article_blank(a->title, a->title_len) &&
                 cfd_article_blank(a->body, a->body_len)));
    CFD__CHECK(cfd__utf8(a->title, a->title_len));
    CFD__CHECK(cfd__utf8(a->body, a->body_len));
    CFD__CHECK(a->id == NULL || cfd__utf8(a->id, a->id_len));
    CFD__CHECK(a->n_plugins <= CFD_ARTICLE_MAX_PLUGINS);
    CFD__CHECK((a->n_plugins == 0) == (a->plugins == NULL));
    for (size_t i = 0; i < a->n_plugins; i++)
        CFD__CHECK(cfd__utf8(a->plugins[i], a->plugin_lens[i]));
}

static void cfd__check_error(int rc, const cfd_error *err, size_t len)
{
    CFD__CHECK(rc < 0);
    CFD__CHECK(err->msg[0] != '\0');
    CFD__CHECK(err->offset == (size_t)-1 || err->offset <= len);
    CFD__CHECK(cfd_article_error_code(rc) != NULL);
}

static void cfd__json(const char *s, size_t n, int skip_utf8)
{
    cfd_article a;
    cfd_error err;
    cfd_error_clear(&err);
    size_t bad = 0;
    int valid = cfd_utf8_validate(s, n, &bad) == 0;
    int rc = cfd_article_decode_json(&cfd__dec, s, n, skip_utf8, &a, &err);
    if (!valid && !skip_utf8) {
        CFD__CHECK(rc == CFD_EUTF8 && err.offset == bad);
        return;
    }
    if (rc == 0)
        cfd__check_article(&a);
    else
        cfd__check_error(rc, &err, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    if (!cfd__dec_ready) {
        cfd_article_decoder_init(&cfd__dec);
        cfd__dec_ready = 1;
    }

    /* application/json */
    cfd__json(s, size, 0);

    /* text/plain */
    cfd_article a;
    cfd_error err;
    cfd_error_clear(&err);
    size_t bad = 0;
    int valid = cfd_utf8_validate(s, size, &bad) == 0;
    int rc = cfd_article_decode_text(s, size, &a, &err);
    if (!valid)
        CFD__CHECK(rc == CFD_EUTF8 && err.offset == bad);
    else if (rc == 0)
        cfd__check_article(&a);
    else
        CFD__CHECK(rc == CFD_EEMPTY && cfd_article_blank(s, size));

    /* application/x-ndjson: the daemon validates each line itself */
    size_t pos = 0, lineno = 0, prev_end = 0, lines = 0;
    const char *line;
    size_t n;
    while (cfd_ndjson_next(s, size, &pos, &lineno, &line, &n)) {
        CFD__CHECK(line >= s + prev_end && line + n <= s + size);
        CFD__CHECK(pos <= size && lineno > lines);
        CFD__CHECK(!cfd_article_blank(line, n));
        CFD__CHECK(memchr(line, '\n', n) == NULL);
        prev_end = (size_t)(line - s) + n;
        lines = lineno;
        cfd__json(line, n, 0);
    }
    CFD__CHECK(pos == size);
    return 0;
}
