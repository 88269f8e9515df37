/*
 * Fuzz target: the daemon's configuration parsers -- the INI config file
 * (daemon/config.c on libinih: every option, sizes, durations, socket modes,
 * host:port, plugin lists, [models] overrides), the same options given as
 * command-line flags, and the aggregation rules file (daemon/aggregate.c,
 * also INI), which an operator edits and the daemon re-reads on SIGHUP.
 *
 * Every input is used three ways:
 *   1. as a config file (through a memfd, so the real file path is taken).
 *      When it loads, the effective configuration is dumped in file syntax
 *      (--check-config), the dump is loaded into a fresh config and dumped
 *      again: the two dumps must be identical (what we print, we can read);
 *   2. its lines as argv for cfd_config_from_args (lines naming --config/-c
 *      are skipped so no other file is ever opened);
 *   3. as aggregation rules (cfd_agg_parse). Rules that load must decide on
 *      a made-up article without crashing and give a probability in [0, 1].
 * Errors must carry a message.
 */
#define _GNU_SOURCE /* memfd_create */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "aggregate.h"
#include "config.h"
#include "tokenize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CFD__CHECK(cond)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz_config: check failed: %s (line %d)\n", #cond, __LINE__);\
            abort();                                                                       \
        }                                                                                  \
    } while (0)

/* Loads text as a config file through a memfd; returns the rc. */
static int cfd__load_text(cfd_config *c, const char *text, size_t len, cfd_error *err)
{
    int fd = memfd_create("fuzz.conf", MFD_CLOEXEC);
    CFD__CHECK(fd >= 0);
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        CFD__CHECK(w > 0);
        off += (size_t)w;
    }
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    int rc = cfd_config_load_file(c, path, err);
    close(fd);
    return rc;
}

static void cfd__config_file(const uint8_t *data, size_t size)
{
    cfd_config c;
    cfd_error err;
    cfd_config_defaults(&c);
    int rc = cfd__load_text(&c, (const char *)data, size, &err);
    if (rc != 0) {
        CFD__CHECK(rc < 0 && err.msg[0] != '\0');
        cfd_config_free(&c);
        return;
    }
    cfd_engine_config ec;
    cfd_config_engine(&c, &ec);
    CFD__CHECK(ec.n_plugins == c.n_plugins && ec.n_models == c.n_models);

    cfd_buf d1 = CFD_BUF_INIT, d2 = CFD_BUF_INIT;
    CFD__CHECK(cfd_config_dump(&c, &d1) == 0);
    cfd_config c2;
    cfd_config_defaults(&c2);
    rc = cfd__load_text(&c2, d1.data, d1.len, &err);
    if (rc != 0)
        fprintf(stderr, "fuzz_config: the dumped config does not load: %s\n--- dump:\n%.*s\n",
                err.msg, (int)d1.len, d1.data);
    CFD__CHECK(rc == 0);
    CFD__CHECK(cfd_config_dump(&c2, &d2) == 0);
    if (d1.len != d2.len || memcmp(d1.data, d2.data, d1.len) != 0)
        fprintf(stderr, "fuzz_config: dump differs after a round trip:\n%.*s\n---\n%.*s\n",
                (int)d1.len, d1.data, (int)d2.len, d2.data);
    CFD__CHECK(d1.len == d2.len && memcmp(d1.data, d2.data, d1.len) == 0);
    cfd_buf_free(&d1);
    cfd_buf_free(&d2);
    cfd_config_free(&c2);
    cfd_config_free(&c);
}

static void cfd__config_args(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);
    CFD__CHECK(copy != NULL);
    memcpy(copy, data, size);
    copy[size] = '\0';
    char *argv[34];
    int argc = 0;
    argv[argc++] = (char *)"classifyd";
    for (char *line = copy, *next; line && argc < 33; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (strcmp(line, "-c") == 0 || strncmp(line, "--config", 8) == 0)
            continue; /* never open another file */
        argv[argc++] = line;
    }
    argv[argc] = NULL;
    cfd_config c;
    cfd_error err;
    cfd_config_defaults(&c);
    int rc = cfd_config_from_args(&c, argc, argv, &err);
    CFD__CHECK(rc == 0 || (rc < 0 && err.msg[0] != '\0'));
    cfd_config_free(&c);
    free(copy);
}

static void cfd__aggregate(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    CFD__CHECK(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    cfd_agg_rules *r = NULL;
    cfd_error err;
    cfd_error_clear(&err);
    int rc = cfd_agg_parse(text, "fuzz.aggregate", &r, &err);
    free(text);
    if (rc != 0) {
        CFD__CHECK(rc < 0 && r == NULL && err.msg[0] != '\0');
        return;
    }
    static const char *const sections[] = {"정치", "경제", "사회", "IT과학"};
    static const char *const topics[] = {"경제", "IT과학", "스포츠"};
    static const char *const tones[] = {"negative", "neutral", "positive"};
    static const char *const rules[] = {"경제", "정치"};
    static const float p_sec[] = {0.1f, 0.5f, 0.3f, 0.1f};
    static const float p_top[] = {0.2f, 0.7f, 0.1f};
    static const float p_tone[] = {0.9f, 0.05f, 0.05f};
    static const float p_rules[] = {0.0f, 0.0f};
    cfd_agg_result res[] = {
        {"section", sections, 4, p_sec}, {"topic", topics, 3, p_top},
        {"sentiment", tones, 3, p_tone}, {"rules", rules, 2, p_rules},
        {"other", topics, 3, NULL},
    };
    float scratch[1024];
    cfd_agg_decision d;
    /* letters: none counted, none at all, an English and a Korean article */
    static const uint64_t none[CFD_TOK_CLASSES] = {0}, en[CFD_TOK_CLASSES] = {[CFD_TOK_LATIN] = 500},
                          ko[CFD_TOK_CLASSES] = {[CFD_TOK_HANGUL] = 700, [CFD_TOK_LATIN] = 40};
    const uint64_t *const letters[] = {NULL, none, en, ko};
    for (size_t n = 0; n <= sizeof(res) / sizeof(res[0]); n++) {
        memset(&d, 0, sizeof(d));
        cfd_agg_decide(r, res, n, letters[n % 4], scratch, &d);
        CFD__CHECK(d.probability >= 0.0f && d.probability <= 1.0001f);
        CFD__CHECK(d.n_reasons <= CFD_AGG_MAX_REASONS);
        cfd_buf out = CFD_BUF_INIT;
        CFD__CHECK(cfd_agg_decision_json(&d, &out) == 0);
        cfd_buf_free(&out);
    }
    CFD__CHECK(cfd_agg_source(r) != NULL);
    cfd_agg_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    cfd__config_file(data, size);
    cfd__config_args(data, size);
    cfd__aggregate(data, size);
    return 0;
}
