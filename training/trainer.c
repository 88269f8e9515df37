/*
 * The training pipeline (see trainer.h): featurize once, then per training
 * subset compute IDF, weight the rows exactly as serving does, and hand them
 * to liblinear through solver.c.
 */
#include "trainer.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void cfd_corpus_free(cfd_corpus *c)
{
    if (c == NULL)
        return;
    free(c->row);
    free(c->items);
    free(c->y);
    free(c);
}

cfd_featvec cfd_corpus_row(const cfd_corpus *c, size_t i)
{
    cfd_featvec v = {c->items + c->row[i], (uint32_t)(c->row[i + 1] - c->row[i])};
    return v;
}

/* One thread's share of cfd_corpus_build: rows [begin, end). */
typedef struct cfd__chunk {
    const cfd_dataset *ds;
    const cfd_feat_config *feat;
    size_t begin, end;
    size_t *row_len;     /* shared array, this chunk writes [begin, end) */
    cfd_feature *items;  /* owned */
    size_t n_items;
    cfd_progress *pr;    /* the first chunk reports for everyone */
    unsigned n_chunks;
    int rc;
    cfd_error err;
} cfd__chunk;

static void *cfd__featurize_chunk(void *arg)
{
    cfd__chunk *ch = arg;
    cfd_featurizer *fz = NULL;
    size_t cap = (ch->end - ch->begin) * 16 + 1024;
    cfd_error_clear(&ch->err);
    if ((ch->items = malloc(cap * sizeof(cfd_feature))) == NULL || cfd_featurizer_new(&fz) != 0) {
        ch->rc = cfd_error_set(&ch->err, CFD_ENOMEM, (size_t)-1, "out of memory");
        return NULL;
    }
    for (size_t i = ch->begin; i < ch->end; i++) {
        const cfd_example *e = &ch->ds->ex[i];
        cfd_featvec v;
        ch->rc = cfd_featurize_counts(fz, ch->feat, e->title, e->title_len, e->body, e->body_len,
                                      &v, &ch->err);
        if (ch->rc != 0) {
            cfd_error_prefix(&ch->err, "%s:%u", ch->ds->path, e->line);
            break;
        }
        if (ch->n_items + v.n > cap) {
            size_t nc = cap * 2 > ch->n_items + v.n ? cap * 2 : ch->n_items + v.n;
            cfd_feature *p = realloc(ch->items, nc * sizeof(cfd_feature));
            if (p == NULL) {
                ch->rc = cfd_error_set(&ch->err, CFD_ENOMEM, (size_t)-1, "out of memory");
                break;
            }
            ch->items = p;
            cap = nc;
        }
        if (v.n)
            memcpy(ch->items + ch->n_items, v.items, v.n * sizeof(cfd_feature));
        ch->n_items += v.n;
        ch->row_len[i] = v.n;
        if (ch->pr != NULL && ((i - ch->begin) & 1023) == 0)
            cfd_progress_update(ch->pr, (i - ch->begin) * ch->n_chunks);
    }
    cfd_featurizer_free(fz);
    return NULL;
}

int cfd_corpus_build(const cfd_dataset *ds, const cfd_feat_config *feat, unsigned threads,
                     cfd_progress *pr, cfd_corpus **out, cfd_error *err)
{
    *out = NULL;
    int rc = cfd_feat_config_check(feat, err);
    if (rc != 0)
        return rc;
    if (threads < 1)
        threads = 1;
    if (threads > CFD_MAX_THREADS)
        threads = CFD_MAX_THREADS;
    if (ds->n < 4096u * threads) /* not worth a thread */
        threads = ds->n >= 8192 ? (unsigned)(ds->n / 4096) : 1;
    cfd__chunk chunks[CFD_MAX_THREADS];
    pthread_t tids[CFD_MAX_THREADS];
    unsigned started = 1;
    memset(chunks, 0, sizeof(chunks));
    cfd_corpus *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
    c->feat = *feat;
    c->n_buckets = 1u << feat->hash_bits;
    c->n = ds->n;
    c->n_labels = ds->n_labels;
    c->row = calloc(ds->n + 1, sizeof(size_t));
    c->y = malloc(ds->n * sizeof(uint32_t));
    if (c->row == NULL || c->y == NULL) {
        rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
        goto fail;
    }
    cfd_progress_start(pr, "featurizing", ds->n);
    for (unsigned t = 0; t < threads; t++) {
        cfd__chunk *ch = &chunks[t];
        ch->ds = ds;
        ch->feat = feat;
        ch->begin = ds->n * t / threads;
        ch->end = ds->n * (t + 1) / threads;
        ch->row_len = c->row;
        ch->pr = t == 0 ? pr : NULL;
        ch->n_chunks = threads;
    }
    /* Rows are independent and each chunk keeps its rows in order, so the
     * corpus is the same for any number of threads. */
    for (; started < threads; started++)
        if (pthread_create(&tids[started], NULL, cfd__featurize_chunk, &chunks[started]) != 0)
            break;
    cfd__featurize_chunk(&chunks[0]);
    for (unsigned t = 1; t < started; t++)
        pthread_join(tids[t], NULL);
    for (unsigned t = started; t < threads; t++) /* threads we could not start */
        cfd__featurize_chunk(&chunks[t]);
    size_t total = 0;
    for (unsigned t = 0; t < threads; t++) {
        if (chunks[t].rc != 0) { /* the first failing row in file order */
            rc = chunks[t].rc;
            if (err != NULL)
                *err = chunks[t].err;
            goto fail;
        }
        total += chunks[t].n_items;
    }
    if ((c->items = malloc((total ? total : 1) * sizeof(cfd_feature))) == NULL) {
        rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
        goto fail;
    }
    size_t used = 0;
    for (unsigned t = 0; t < threads; t++) {
        if (chunks[t].n_items)
            memcpy(c->items + used, chunks[t].items, chunks[t].n_items * sizeof(cfd_feature));
        used += chunks[t].n_items;
        free(chunks[t].items);
        chunks[t].items = NULL;
    }
    /* lengths -> offsets */
    size_t off = 0;
    for (size_t i = 0; i < ds->n; i++) {
        size_t len = c->row[i];
        c->row[i] = off;
        off += len;
        c->y[i] = ds->ex[i].label;
    }
    c->row[ds->n] = off;
    cfd_progress_end(pr);
    *out = c;
    return 0;
fail:
    for (unsigned t = 0; t < threads; t++)
        free(chunks[t].items);
    cfd_corpus_free(c);
    return rc;
}

/* Document frequency of every bucket over the given rows. */
static uint32_t *cfd__df(const cfd_corpus *c, const size_t *rows, size_t n_rows)
{
    uint32_t *df = calloc(c->n_buckets, sizeof(uint32_t));
    if (df == NULL)
        return NULL;
    for (size_t k = 0; k < n_rows; k++) {
        size_t i = rows ? rows[k] : k;
        for (size_t j = c->row[i]; j < c->row[i + 1]; j++)
            df[c->items[j].index]++;
    }
    return df;
}

/*
 * Smoothed IDF, ln((1 + N) / (1 + df)) + 1 (scikit-learn's), and 0 for a
 * bucket no training row has. Such a bucket's weights are all 0, so its
 * feature cannot move a score; what it can do is enter the L2 norm, and with
 * the largest IDF of all (ln(1 + N) + 1) it did: in a short text most word
 * bigrams are new, and they shrank every known feature toward the biases.
 * With 0 the unseen features drop out of the norm, as they do out of
 * scikit-learn's fixed vocabulary. Training rows are unchanged (every
 * feature of a training row has df >= 1). Measured (training/RESULTS.md,
 * sentiment): finance-sentiment 5-fold CV macro-F1 with IDF 0.7137 -> 0.7263;
 * news8 and ynat unchanged within noise.
 *
 * The values are then rounded to 255 evenly spaced levels between 1 (df = N)
 * and ln((1 + N) / 2) + 1 (df = 1), before training, so the model is trained
 * with exactly the IDF it is served with. With at most 256 distinct values
 * (0 included) the file stores one byte per bucket (models/FORMAT.md, IDF
 * encoding 1: 0.5 MB instead of 2 MB at 2^19) and the daemon puts that byte
 * in the model's scoring rows (a 3-label row stays 8 bytes). Rounding moves
 * an IDF by at most half a level, 0.016 at N = 5,000 (1.6% of the smallest
 * IDF); training/RESULTS.md has what it did to the models' figures.
 */
#define CFD__IDF_LEVELS 255

static void cfd__idf_from_df(const uint32_t *df, uint32_t n_buckets, size_t n_rows, float *idf)
{
    const double N = (double)n_rows;
    const double top = log((1.0 + N) / 2.0); /* idf(df = 1) - 1 */
    const double step = top > 0.0 ? top / (CFD__IDF_LEVELS - 1) : 0.0;
    for (uint32_t b = 0; b < n_buckets; b++) {
        if (df[b] == 0) {
            idf[b] = 0.0f;
            continue;
        }
        double v = log((1.0 + N) / (1.0 + df[b]));
        if (step > 0.0)
            v = nearbyint(v / step) * step;
        idf[b] = (float)(v + 1.0);
    }
}

int cfd_idf_compute(const cfd_corpus *c, const size_t *rows, size_t n_rows, float *idf)
{
    if (rows == NULL)
        n_rows = c->n;
    uint32_t *df = cfd__df(c, rows, n_rows);
    if (df == NULL)
        return CFD_ENOMEM;
    cfd__idf_from_df(df, c->n_buckets, n_rows, idf);
    free(df);
    return 0;
}

/*
 * Feature numbering for liblinear. Hashing spreads a few hundred thousand
 * used buckets over 2^20 or more, and the solvers read w[index] for every
 * non-zero of every example on every pass: over a sparse 8 MB array that is
 * a cache miss each time. Renumbering the used buckets 1..n_used, most
 * frequent first, keeps w small and its hot part in cache (ynat headlines:
 * about 20% less CPU). The solution is the same up to float rounding order.
 */
typedef struct cfd__numbering {
    uint32_t *new_of; /* bucket -> 1-based feature number, 0 = unused */
    uint32_t *bucket_of; /* feature number - 1 -> bucket */
    uint32_t n_used;
} cfd__numbering;

static int cfd__u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int cfd__number(const uint32_t *df, uint32_t n_buckets, cfd__numbering *nb)
{
    nb->n_used = 0;
    for (uint32_t b = 0; b < n_buckets; b++)
        nb->n_used += df[b] != 0;
    nb->new_of = calloc(n_buckets, sizeof(uint32_t));
    nb->bucket_of = malloc((nb->n_used ? nb->n_used : 1) * sizeof(uint32_t));
    /* sort keys: descending df, then ascending bucket (deterministic) */
    uint64_t *key = malloc((nb->n_used ? nb->n_used : 1) * sizeof(uint64_t));
    if (nb->new_of == NULL || nb->bucket_of == NULL || key == NULL) {
        free(key);
        return CFD_ENOMEM;
    }
    uint32_t k = 0;
    for (uint32_t b = 0; b < n_buckets; b++)
        if (df[b] != 0)
            key[k++] = (uint64_t)(UINT32_MAX - df[b]) << 32 | b;
    qsort(key, nb->n_used, sizeof(uint64_t), cfd__u64_cmp);
    for (uint32_t f = 0; f < nb->n_used; f++) {
        nb->bucket_of[f] = (uint32_t)key[f];
        nb->new_of[nb->bucket_of[f]] = f + 1;
    }
    free(key);
    return 0;
}

void cfd_dense_free(cfd_dense *d)
{
    free(d->w);
    free(d->bias);
    free(d->idf);
    memset(d, 0, sizeof(*d));
}

int cfd_train_dense(const cfd_corpus *c, const size_t *rows, size_t n_rows,
                    const cfd_linear_params *p, cfd_progress *pr, cfd_dense *out,
                    cfd_error *err)
{
    memset(out, 0, sizeof(*out));
    if (rows == NULL)
        n_rows = c->n;
    int rc = 0;
    cfd_featurizer *fz = NULL;
    struct feature_node *pool = NULL, **x = NULL;
    uint32_t *y = NULL, *df = NULL;
    float *wc = NULL;
    cfd__numbering nb = {0};
    const uint32_t L = c->n_labels;
    out->n_buckets = c->n_buckets;
    out->n_labels = L;
    if ((df = cfd__df(c, rows, n_rows)) == NULL || cfd__number(df, c->n_buckets, &nb) != 0)
        goto oom;
    if (c->feat.use_idf) {
        if ((out->idf = malloc(c->n_buckets * sizeof(float))) == NULL)
            goto oom;
        cfd__idf_from_df(df, c->n_buckets, n_rows, out->idf);
    }
    free(df);
    df = NULL;
    size_t total = 0;
    for (size_t k = 0; k < n_rows; k++) {
        size_t i = rows ? rows[k] : k;
        total += c->row[i + 1] - c->row[i] + 2;
    }
    pool = malloc(total * sizeof(*pool));
    x = malloc(n_rows * sizeof(*x));
    y = malloc(n_rows * sizeof(*y));
    wc = calloc((size_t)(nb.n_used ? nb.n_used : 1) * L, sizeof(float));
    out->w = calloc((size_t)c->n_buckets * L, sizeof(float));
    out->bias = calloc(L, sizeof(float));
    if (pool == NULL || x == NULL || y == NULL || wc == NULL || out->w == NULL ||
        out->bias == NULL || cfd_featurizer_new(&fz) != 0)
        goto oom;
    struct feature_node *node = pool;
    for (size_t k = 0; k < n_rows; k++) {
        size_t i = rows ? rows[k] : k;
        cfd_featvec raw = cfd_corpus_row(c, i), v;
        if ((rc = cfd_feat_weight(fz, &c->feat, out->idf, &raw, &v)) != 0) {
            cfd_error_set(err, rc, (size_t)-1, "weighting example %zu failed: %s", i,
                          cfd_strerror(rc));
            goto fail;
        }
        x[k] = node;
        for (uint32_t j = 0; j < v.n; j++) {
            node->index = (int)nb.new_of[v.items[j].index];
            node->value = v.items[j].value;
            node++;
        }
        /* Renumbered indexes are no longer ascending within the row. liblinear's
         * solvers never rely on the order (they sum over the row, and the L1
         * solvers transpose by counting), and `train` checks the result
         * against the serving path, so the rows are left unsorted. */
        node->index = (int)nb.n_used + 1; /* bias term, as liblinear's -B 1 */
        node->value = 1.0;
        node++;
        node->index = -1;
        node->value = 0;
        node++;
        y[k] = c->y[i];
    }
    rc = cfd_linear_train(x, y, n_rows, L, nb.n_used, p, pr, wc, out->bias, err);
    if (rc != 0)
        goto fail;
    for (uint32_t f = 0; f < nb.n_used; f++)
        memcpy(out->w + (size_t)nb.bucket_of[f] * L, wc + (size_t)f * L, L * sizeof(float));
    goto done;
oom:
    rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1,
                       "out of memory building the training problem (%zu rows, %u buckets, "
                       "%u labels); use fewer --buckets", n_rows, c->n_buckets, L);
fail:
    cfd_dense_free(out);
done:
    cfd_featurizer_free(fz);
    free(df);
    free(nb.new_of);
    free(nb.bucket_of);
    free(wc);
    free(pool);
    free(x);
    free(y);
    return rc;
}

int cfd_dense_scores(const cfd_dense *d, const cfd_corpus *c, cfd_featurizer *fz, size_t i,
                     float *scores)
{
    cfd_featvec raw = cfd_corpus_row(c, i), v;
    int rc = cfd_feat_weight(fz, &c->feat, d->idf, &raw, &v);
    if (rc != 0)
        return rc;
    uint32_t k = d->n_labels;
    for (uint32_t l = 0; l < k; l++)
        scores[l] = d->bias[l];
    for (uint32_t j = 0; j < v.n; j++) {
        const float *row = d->w + (size_t)v.items[j].index * k;
        float x = v.items[j].value;
        for (uint32_t l = 0; l < k; l++)
            scores[l] += x * row[l];
    }
    return 0;
}

size_t cfd_dense_prune(cfd_dense *d, float eps)
{
    size_t n = (size_t)d->n_buckets * d->n_labels, dropped = 0;
    for (size_t i = 0; i < n; i++) {
        if (d->w[i] != 0.0f && fabsf(d->w[i]) < eps) {
            d->w[i] = 0.0f;
            dropped++;
        }
    }
    return dropped;
}

int cfd_dense_to_model(const cfd_dense *d, const char *name, const char *const *labels,
                       const cfd_feat_config *feat, float prob_scale, const cfd_model_meta *meta,
                       cfd_model **out, cfd_error *err)
{
    return cfd_model_from_dense(name, labels, d->n_labels, feat, d->w, d->bias, d->idf,
                                prob_scale, meta, out, err);
}
