/*
 * Model registry: split-counted publication of model versions, current +
 * previous per plugin, safe model paths. See model_registry.h for the
 * design and why acquisition is a single atomic add.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "errno_text.h"
#include "featurize.h"
#include "json_prob.h"
#include "model_registry.h"
#include "utf8.h"

#define CFD__RC_MASK ((uintptr_t)(CFD_RC_ALIGN - 1u))

/* ---- split-counted slot ---- */

void *cfd_rc_alloc(size_t size, void (*destroy)(cfd_rc_obj *))
{
    size_t rounded = (size + CFD_RC_ALIGN - 1) & ~(size_t)(CFD_RC_ALIGN - 1);
    cfd_rc_obj *o = aligned_alloc(CFD_RC_ALIGN, rounded);
    if (o == NULL)
        return NULL;
    memset(o, 0, rounded);
    atomic_init(&o->refs, 1);
    o->destroy = destroy;
    return o;
}

cfd_rc_obj *cfd_rc_acquire(cfd_rc_slot *s)
{
    /* A slot only goes from empty to full while readers exist (it is emptied
     * at shutdown, after the workers are gone), so a non-empty plain load
     * means the add below also sees an object. */
    if ((atomic_load_explicit(&s->word, memory_order_relaxed) & ~CFD__RC_MASK) == 0)
        return NULL;
    uintptr_t w = atomic_fetch_add_explicit(&s->word, 1, memory_order_acquire);
    return (cfd_rc_obj *)(w & ~CFD__RC_MASK);
}

void cfd_rc_ref(cfd_rc_obj *o)
{
    atomic_fetch_add_explicit(&o->refs, 1, memory_order_relaxed);
}

void cfd_rc_unref(cfd_rc_obj *o)
{
    if (o == NULL)
        return;
    if (atomic_fetch_sub_explicit(&o->refs, 1, memory_order_acq_rel) == 1)
        o->destroy(o);
}

void cfd_rc_release(cfd_rc_slot *s, cfd_rc_obj *o)
{
    uintptr_t w = atomic_load_explicit(&s->word, memory_order_relaxed);
    /* While o is still published, hand the count back to the word: this
     * keeps the word's counter bounded by the number of current holders. */
    while ((w & ~CFD__RC_MASK) == (uintptr_t)o && (w & CFD__RC_MASK) != 0) {
        if (atomic_compare_exchange_weak_explicit(&s->word, &w, w - 1, memory_order_release,
                                                  memory_order_relaxed))
            return;
    }
    /* o was retired (its slot count was folded into o->refs) or the word's
     * count is already zero after a re-publish: references are fungible, so
     * take ours from the object's own count. */
    cfd_rc_unref(o);
}

/* Keeps a retiring object's own count far from zero while its slot count is
 * in flight (see cfd_rc_exchange). */
#define CFD__RC_BIAS (1ll << 40)

cfd_rc_obj *cfd_rc_exchange(cfd_rc_slot *s, cfd_rc_obj *o)
{
    /* Between the exchange and the fold below, a reader holding `old` may
     * release into old->refs (the word no longer names it). Its reference is
     * still inside the detached count, so without the bias the object's own
     * count could hit zero and be destroyed early. The slot's reference
     * keeps `old` alive meanwhile: exchanges are serialised, so nobody else
     * can retire it. */
    cfd_rc_obj *old =
        (cfd_rc_obj *)(atomic_load_explicit(&s->word, memory_order_acquire) & ~CFD__RC_MASK);
    if (old != NULL)
        atomic_fetch_add_explicit(&old->refs, CFD__RC_BIAS, memory_order_relaxed);
    uintptr_t w = atomic_exchange_explicit(&s->word, (uintptr_t)o, memory_order_acq_rel);
    if (old != NULL)
        atomic_fetch_add_explicit(&old->refs,
                                  (long long)(w & CFD__RC_MASK) - CFD__RC_BIAS,
                                  memory_order_acq_rel);
    return old;
}

/* ---- model paths ---- */

int cfd_models_resolve(const char *models_dir_real, const char *rel, char *out, size_t cap,
                       cfd_error *err)
{
    char joined[PATH_MAX], real[PATH_MAX];

    if (rel == NULL || rel[0] == '\0')
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "empty model file name (give a file name relative to the models "
                             "directory %s)",
                             models_dir_real);
    if (rel[0] == '/')
        return cfd_error_set(err, CFD_EPERM, (size_t)-1,
                             "model path \"%.200s\" is absolute; give a file name relative to "
                             "the models directory %s",
                             rel, models_dir_real);
    for (const char *p = rel; *p;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return cfd_error_set(err, CFD_EPERM, (size_t)-1,
                                 "model path \"%.200s\" contains \"..\"; model files must lie "
                                 "inside the models directory %s",
                                 rel, models_dir_real);
        p += n + (e != NULL);
    }
    if (snprintf(joined, sizeof(joined), "%s/%s", models_dir_real, rel) >= (int)sizeof(joined))
        return cfd_error_set(err, CFD_ETOOBIG, (size_t)-1, "model path \"%.100s...\" too long",
                             rel);
    if (realpath(joined, real) == NULL) {
        if (errno == ENOENT)
            return cfd_error_set(err, CFD_ENOENT, (size_t)-1,
                                 "model file %s does not exist (copy the file into the models "
                                 "directory first, or check its name)",
                                 joined);
        return cfd_error_set(err, CFD_EIO, (size_t)-1, "model file %s: %s", joined,
                             cfd_errno_str(errno));
    }
    size_t dn = strlen(models_dir_real);
    if (strcmp(real, models_dir_real) == 0) /* ".", "x/..": not "outside" */
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "model path \"%.200s\" names the models directory %s itself; give "
                             "a model file in it",
                             rel, models_dir_real);
    if (strncmp(real, models_dir_real, dn) != 0 || (real[dn] != '/' && dn != 1))
        return cfd_error_set(err, CFD_EPERM, (size_t)-1,
                             "model path \"%.200s\" resolves to %s, outside the models "
                             "directory %s (symlinks must stay inside it)",
                             rel, real, models_dir_real);
    struct stat st;
    if (stat(real, &st) != 0 || !S_ISREG(st.st_mode))
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1, "model file %s is not a regular file",
                             real);
    if (strlen(real) >= cap)
        return cfd_error_set(err, CFD_ETOOBIG, (size_t)-1, "model path %s too long", real);
    memcpy(out, real, strlen(real) + 1);
    return 0;
}

/* ---- versions ---- */

static void cfd__version_free_fields(cfd_model_version *v)
{
    free(v->file);
    free(v->path);
    free(v->labels_json);
    free(v->label_off);
    free(v->model_json);
}

static void cfd__version_destroy(cfd_rc_obj *o)
{
    cfd_model_version *v = (cfd_model_version *)o;
    cfd_model_registry *r = v->reg;
    if (v->loaded) {
        r->plugin->unload(v->model);
        atomic_fetch_sub_explicit(&r->live_versions, 1, memory_order_release);
    }
    cfd__version_free_fields(v);
    free(v);
}

static int cfd__is_hex(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
            return 0;
    return 1;
}

static int cfd__cmp_pstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* 1 when s is UTF-8 of at most 256 bytes: text copied into every reply
 * (labels, the model's name and version). */
static int cfd__reply_text(const char *s)
{
    size_t bad, n = strnlen(s, 257);
    return n <= 256 && cfd_utf8_validate(s, n, &bad) == 0;
}

/* Checks what load() reported; `file` names the model in messages. */
static int cfd__validate_info(const struct cfd_plugin *p, const cfd_plugin_model_info *in,
                              const char *file, cfd_error *err)
{
    if (in->name == NULL || in->labels == NULL || in->checksum == NULL)
        return cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                             "%s: plugin %s reported no %s for the model (plugin bug)", file,
                             p->name,
                             in->name == NULL ? "name" : in->labels == NULL ? "labels"
                                                                            : "checksum");
    if (!in->any_name && strcmp(in->name, p->name) != 0)
        return cfd_error_set(err, CFD_EMISMATCH, (size_t)-1,
                             "%s: model was built for plugin \"%.64s\", not \"%s\" (load it "
                             "into the %.64s plugin, or train one named %s)",
                             file, in->name, p->name, in->name, p->name);
    if (in->n_labels < 1 || in->n_labels > CFD_PLUGIN_MAX_LABELS)
        return cfd_error_set(err, CFD_ERANGE, (size_t)-1,
                             "%s: model has %u labels (expected 1 to %d)", file,
                             (unsigned)in->n_labels, CFD_PLUGIN_MAX_LABELS);
    if (!cfd__reply_text(in->name) || (in->version != NULL && !cfd__reply_text(in->version)))
        return cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                             "%s: model %s is longer than 256 bytes or not UTF-8 (plugin bug)",
                             file, cfd__reply_text(in->name) ? "version" : "name");
    if (strlen(in->checksum) < 8 || !cfd__is_hex(in->checksum))
        return cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                             "%s: model checksum \"%.40s\" is not at least 8 hex digits", file,
                             in->checksum);
    const char **sorted = malloc(in->n_labels * sizeof(*sorted));
    if (sorted == NULL)
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
    int rc = 0;
    for (uint32_t i = 0; i < in->n_labels; i++) {
        const char *l = in->labels[i];
        if (l == NULL || l[0] == '\0' || !cfd__reply_text(l)) {
            rc = cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                               "%s: label %u is empty, longer than 256 bytes or not UTF-8",
                               file, (unsigned)i);
            goto out;
        }
        sorted[i] = l;
    }
    qsort(sorted, in->n_labels, sizeof(*sorted), cfd__cmp_pstr);
    for (uint32_t i = 1; i < in->n_labels; i++)
        if (strcmp(sorted[i - 1], sorted[i]) == 0) {
            rc = cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                               "%s: label \"%.64s\" appears twice (labels must be unique)", file,
                               sorted[i]);
            goto out;
        }
    if (in->feat != NULL) {
        rc = cfd_feat_config_check(in->feat, err);
        if (rc != 0) {
            cfd_error_prefix(err, "%s", file);
            goto out;
        }
        if (in->feat->use_idf && in->idf == NULL) {
            rc = cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                               "%s: featurizer config uses IDF but the model has no IDF table",
                               file);
            goto out;
        }
    }
out:
    free(sorted);
    return rc;
}

/* Pre-renders the JSON pieces a reply copies. */
static int cfd__version_render(cfd_model_version *v)
{
    cfd_buf b = CFD_BUF_INIT;
    const cfd_plugin_model_info *in = &v->info;

    v->label_off = malloc((in->n_labels + 1) * sizeof(uint32_t));
    if (v->label_off == NULL)
        return CFD_ENOMEM;
    for (uint32_t i = 0; i < in->n_labels; i++) {
        v->label_off[i] = (uint32_t)b.len;
        cfd_buf_json_str(&b, in->labels[i], strlen(in->labels[i]));
    }
    v->label_off[in->n_labels] = (uint32_t)b.len;
    if (b.oom)
        goto oom;
    v->labels_json = b.data;
    b = (cfd_buf)CFD_BUF_INIT;
    cfd_buf_puts(&b, "{\"name\":");
    cfd_buf_json_str(&b, in->name, strlen(in->name));
    cfd_buf_puts(&b, ",\"version\":");
    cfd_buf_json_str(&b, v->version, strlen(v->version));
    cfd_buf_puts(&b, ",\"checksum\":");
    cfd_buf_json_str(&b, in->checksum, strlen(in->checksum));
    cfd_buf_putc(&b, '}');
    if (b.oom)
        goto oom;
    v->model_json = b.data;
    v->model_json_len = b.len;
    return 0;
oom:
    cfd_buf_free(&b);
    return CFD_ENOMEM;
}

static int64_t cfd__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int cfd_registry_init(cfd_model_registry *r, const struct cfd_plugin *p,
                      const char *models_dir, cfd_error *err)
{
    char real[PATH_MAX], cwd[PATH_MAX];
    memset(r, 0, sizeof(*r));
    if (realpath(models_dir, real) == NULL)
        return cfd_error_set(err, CFD_ENOENT, (size_t)-1,
                             "models directory %s: %s (set --models to the directory holding "
                             "the *.cfdm files)",
                             models_dir, cfd_errno_str(errno));
    /* Kept as configured (made absolute), not resolved: every load resolves
     * it again, so a models directory that is a symlink switched to another
     * release (current -> releases/N) is followed by the next reload, as the
     * aggregate.conf next to the models is. */
    if (models_dir[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL) {
        r->models_dir = strdup(models_dir[0] == '/' ? models_dir : real);
    } else {
        size_t n = strlen(cwd) + strlen(models_dir) + 2;
        if ((r->models_dir = malloc(n)) != NULL)
            snprintf(r->models_dir, n, "%s/%s", cwd, models_dir);
    }
    if (r->models_dir == NULL)
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
    r->plugin = p;
    atomic_init(&r->current.word, 0);
    atomic_init(&r->loads_ok, 0);
    atomic_init(&r->loads_failed, 0);
    atomic_init(&r->live_versions, 0);
    atomic_init(&r->next_serial, 1);
    pthread_mutex_init(&r->lock, NULL);
    return 0;
}

void cfd_registry_destroy(cfd_model_registry *r)
{
    if (r->models_dir == NULL)
        return;
    pthread_mutex_lock(&r->lock);
    cfd_rc_obj *cur = cfd_rc_exchange(&r->current, NULL);
    cfd_model_version *prev = r->previous;
    r->previous = NULL;
    pthread_mutex_unlock(&r->lock);
    cfd_rc_unref(cur);
    if (prev != NULL)
        cfd_rc_unref(&prev->rc);
    pthread_mutex_destroy(&r->lock);
    free(r->models_dir);
    r->models_dir = NULL;
}

static void cfd__set_last_error(cfd_model_registry *r, const cfd_error *err)
{
    pthread_mutex_lock(&r->lock);
    snprintf(r->last_error, sizeof(r->last_error), "%s", err ? err->msg : "");
    pthread_mutex_unlock(&r->lock);
}

int cfd_registry_load(cfd_model_registry *r, const char *rel, cfd_model_version **out,
                      cfd_error *err)
{
    char path[PATH_MAX];
    cfd_error local;
    cfd_model_version *v = NULL;
    int rc;

    *out = NULL;
    if (err == NULL)
        err = &local;
    cfd_error_clear(err);
    char dir_real[PATH_MAX];
    if (realpath(r->models_dir, dir_real) == NULL) {
        rc = cfd_error_set(err, CFD_ENOENT, (size_t)-1, "models directory %s: %s",
                           r->models_dir, cfd_errno_str(errno));
        goto fail;
    }
    rc = cfd_models_resolve(dir_real, rel, path, sizeof(path), err);
    if (rc != 0)
        goto fail;
    v = cfd_rc_alloc(sizeof(*v), cfd__version_destroy);
    if (v == NULL) {
        rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
        goto fail;
    }
    v->reg = r;
    v->file = strdup(rel);
    v->path = strdup(path);
    if (v->file == NULL || v->path == NULL) {
        rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
        goto fail;
    }
    int64_t t0 = cfd__now_ns();
    rc = r->plugin->load(path, &v->model, &v->info, err);
    if (rc != 0) {
        v->model = NULL;
        if (rc > 0)
            rc = CFD_EFORMAT;
        if (err->msg[0] == '\0')
            cfd_error_set(err, rc, (size_t)-1, "%s: plugin %s could not load it (%s)", rel,
                          r->plugin->name, cfd_strerror(rc));
        goto fail;
    }
    v->loaded = 1;
    atomic_fetch_add_explicit(&r->live_versions, 1, memory_order_relaxed);
    rc = cfd__validate_info(r->plugin, &v->info, rel, err);
    if (rc != 0)
        goto fail;
    v->load_ms = (uint32_t)((cfd__now_ns() - t0) / 1000000);
    v->version = (v->info.version && v->info.version[0]) ? v->info.version : v->info.checksum;
    if (v->info.feat != NULL) {
        v->feat_hash = cfd_feat_config_counts_hash(v->info.feat);
        if (v->info.feat->use_idf)
            v->idf_key = XXH3_64bits(v->info.idf, sizeof(float) << v->info.feat->hash_bits) | 1;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(v->loaded_at, sizeof(v->loaded_at), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (cfd__version_render(v) != 0) {
        rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
        goto fail;
    }
    v->serial = atomic_fetch_add_explicit(&r->next_serial, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->loads_ok, 1, memory_order_relaxed);
    cfd__set_last_error(r, NULL);
    *out = v;
    return 0;
fail:
    if (v != NULL)
        cfd_rc_unref(&v->rc); /* unloads the model if load() succeeded */
    atomic_fetch_add_explicit(&r->loads_failed, 1, memory_order_relaxed);
    cfd__set_last_error(r, err);
    return rc;
}

void cfd_registry_publish(cfd_model_registry *r, cfd_model_version *v)
{
    pthread_mutex_lock(&r->lock);
    cfd_model_version *old = (cfd_model_version *)cfd_rc_exchange(&r->current, &v->rc);
    cfd_model_version *drop = r->previous;
    r->previous = old;
    r->rolled_back = 0;
    r->last_error[0] = '\0';
    pthread_mutex_unlock(&r->lock);
    if (drop != NULL)
        cfd_rc_unref(&drop->rc); /* unloaded now, or by its last reader */
}

int cfd_registry_rollback(cfd_model_registry *r, cfd_error *err)
{
    pthread_mutex_lock(&r->lock);
    if (r->previous == NULL) {
        pthread_mutex_unlock(&r->lock);
        return cfd_error_set(err, CFD_EEMPTY, (size_t)-1,
                             "plugin %s has no previous model to roll back to (load one "
                             "with classifyctl reload first)",
                             r->plugin->name);
    }
    cfd_model_version *prev = r->previous;
    r->previous = (cfd_model_version *)cfd_rc_exchange(&r->current, &prev->rc);
    r->rolled_back = 1;
    pthread_mutex_unlock(&r->lock);
    return 0;
}

int cfd_model_version_same(const cfd_model_version *a, const cfd_model_version *b)
{
    return strcmp(a->file, b->file) == 0 && strcmp(a->info.checksum, b->info.checksum) == 0;
}

int cfd_registry_rolled_back_from(cfd_model_registry *r, const cfd_model_version *v)
{
    pthread_mutex_lock(&r->lock);
    int yes = r->rolled_back && r->previous != NULL && cfd_model_version_same(r->previous, v);
    pthread_mutex_unlock(&r->lock);
    return yes;
}

int cfd_model_version_json(const cfd_model_version *v, cfd_buf *out)
{
    if (v == NULL)
        return cfd_buf_puts(out, "null");
    cfd_buf_append(out, v->model_json, v->model_json_len - 1); /* drop '}' */
    cfd_buf_puts(out, ",\"file\":");
    cfd_buf_json_str(out, v->file, strlen(v->file));
    cfd_buf_printf(out, ",\"loaded_at\":\"%s\",\"load_ms\":%u}", v->loaded_at,
                   (unsigned)v->load_ms);
    return out->oom ? CFD_ENOMEM : 0;
}

int cfd_registry_describe(cfd_model_registry *r, cfd_buf *out)
{
    pthread_mutex_lock(&r->lock);
    cfd_model_version *cur = cfd_registry_acquire(r);
    cfd_buf_puts(out, "\"labels\":");
    if (cur == NULL) {
        cfd_buf_puts(out, "null");
    } else {
        cfd_buf_putc(out, '[');
        for (uint32_t i = 0; i < cur->info.n_labels; i++) {
            if (i)
                cfd_buf_putc(out, ',');
            cfd_buf_append(out, cur->labels_json + cur->label_off[i],
                           cur->label_off[i + 1] - cur->label_off[i]);
        }
        cfd_buf_putc(out, ']');
    }
    cfd_buf_puts(out, ",\"model\":");
    cfd_model_version_json(cur, out);
    cfd_buf_puts(out, ",\"previous\":");
    cfd_model_version_json(r->previous, out);
    cfd_buf_puts(out, ",\"last_error\":");
    if (r->last_error[0])
        cfd_json_text(out, r->last_error);
    else
        cfd_buf_puts(out, "null");
    if (cur != NULL)
        cfd_registry_release(r, cur);
    pthread_mutex_unlock(&r->lock);
    return out->oom ? CFD_ENOMEM : 0;
}
