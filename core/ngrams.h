/*
 * Naming hashed features: for a chosen set of buckets, find which n-grams of
 * some text land in them, by running the featurizer's own text pipeline
 * (NFC, markup removal, news cleaning, tokeniser, hashing: the core headers
 * normalize.h, markup.h, clean.h, tokenize.h, hash.h) over that text. Used by
 * `classifyd-train inspect --data` and `predict --explain`, and by the
 * daemon's explanations (request field "explain"), so editors see words,
 * not bucket numbers.
 *
 * A bucket can receive several n-grams (hashing collides); the name is the
 * n-gram seen most often, with the number of other distinct n-grams seen.
 *
 * Ownership: the object owns copies of the n-gram strings.
 * Threads: one thread at a time.
 */
#ifndef CFD_NGRAMS_H
#define CFD_NGRAMS_H

#include <stddef.h>
#include <stdint.h>

#include <classifyd/error.h>
#include <classifyd/features.h>

typedef struct cfd_ngram_names cfd_ngram_names;

int cfd_ngram_names_new(const cfd_feat_config *feat, cfd_ngram_names **out, cfd_error *err);
void cfd_ngram_names_free(cfd_ngram_names *nn);

/* Marks a bucket whose name is wanted (call before adding text). */
int cfd_ngram_names_want(cfd_ngram_names *nn, uint32_t bucket);

/* Hashes the n-grams of one example (valid UTF-8) and records those that
 * land in wanted buckets. */
int cfd_ngram_names_add(cfd_ngram_names *nn, const char *title, size_t title_len,
                        const char *body, size_t body_len, cfd_error *err);

/* The parts of a bucket's name: *kind "word", "bigram", "chars" or
 * "prefix", *text the n-gram seen most often in it (NUL-terminated, owned
 * by nn, valid until cfd_ngram_names_free), *others how many other
 * distinct n-grams of the text were seen in it (at least; *more is 1 when
 * there were more than could be counted). Returns 0 if none was seen. */
int cfd_ngram_names_parts(const cfd_ngram_names *nn, uint32_t bucket, const char **kind,
                          const char **text, uint32_t *others, int *more);

/* Writes the bucket's name ("word 경제", "bigram 경제 정책", "chars 제정책",
 * with " (+N)" for N other n-grams seen) into out; 0 if none was seen. */
int cfd_ngram_names_get(const cfd_ngram_names *nn, uint32_t bucket, char *out, size_t len);

#endif
