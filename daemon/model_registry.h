/*
 * Model registry: per plugin, the current model version (published for
 * lock-free readers) and the previous one (for rollback), with reference
 * counts so a version is unloaded by whoever drops its last reference --
 * a worker finishing the last request scored by it, or the reload that
 * retires it.
 *
 * Lock-free publication (cfd_rc_slot). A reader must get the current
 * pointer *and* a reference to it in one step, or a reload could free the
 * object between the two. The slot therefore packs the pointer and a small
 * "acquired from this slot" counter into one word (split reference
 * counting): objects are aligned to CFD_RC_ALIGN, the low bits of the word
 * count readers.
 *   acquire:  one atomic fetch_add on the word (plus a plain load first to
 *             skip an empty slot);
 *   release:  one CAS giving the count back to the word while the object is
 *             still the published one, else one fetch_sub on the object's
 *             own count; the reader that takes it to zero destroys it.
 *   publish:  atomic exchange of the word; the old word's reader count is
 *             folded into the old object's own count (publishers of one
 *             slot must be serialised: the registry's mutex does that).
 * At most CFD_RC_MAX_HOLDERS references may be held through one slot at
 * the same time (each worker holds at most one per slot; the engine limits
 * the number of workers accordingly).
 *
 * Threads: cfd_rc_acquire/release any thread, any number at once.
 * cfd_registry_load (blocking: reads the file, runs the plugin's load())
 * from a non-event-loop thread; publish/rollback/describe/destroy take the
 * registry's mutex and may run concurrently with readers.
 */
#ifndef CFD_MODEL_REGISTRY_H
#define CFD_MODEL_REGISTRY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <classifyd/error.h>
#include <classifyd/plugin.h>

#include "buf.h"

/* ---- split-counted publication slot (generic) ---- */

#define CFD_RC_ALIGN 1024u
#define CFD_RC_MAX_HOLDERS (CFD_RC_ALIGN - 1u)

typedef struct cfd_rc_obj {
    atomic_llong refs;                      /* references not counted in a slot word */
    void (*destroy)(struct cfd_rc_obj *o);  /* called once, by the last releaser */
} cfd_rc_obj;

typedef struct cfd_rc_slot {
    atomic_uintptr_t word;                  /* object pointer | readers */
} cfd_rc_slot;

/* Zeroed allocation aligned to CFD_RC_ALIGN with refs = 1 (the caller's). */
void *cfd_rc_alloc(size_t size, void (*destroy)(cfd_rc_obj *));

/* Current object with one reference for the caller, or NULL if empty. */
cfd_rc_obj *cfd_rc_acquire(cfd_rc_slot *s);
/* Gives back a reference obtained with cfd_rc_acquire on the same slot. */
void cfd_rc_release(cfd_rc_slot *s, cfd_rc_obj *o);
/*
 * Publishes o (consuming one reference the caller holds; o may be NULL) and
 * returns the previously published object together with the slot's
 * reference to it (the caller now owns that reference), or NULL.
 * Calls on one slot must not run concurrently (readers may).
 */
cfd_rc_obj *cfd_rc_exchange(cfd_rc_slot *s, cfd_rc_obj *o);
/* Adds / drops a reference held outside any slot. */
void cfd_rc_ref(cfd_rc_obj *o);
void cfd_rc_unref(cfd_rc_obj *o);

/* ---- model versions ---- */

struct cfd_model_registry;

typedef struct cfd_model_version {
    cfd_rc_obj rc;                 /* first member */
    uint64_t serial;               /* per registry: 1, 2, ... in load order, never reused */
    struct cfd_model_registry *reg;
    void *model;                   /* the plugin's opaque model (may be NULL) */
    int loaded;                    /* load() succeeded: unload() is owed */
    cfd_plugin_model_info info;    /* as load() filled it, validated */
    const char *version;           /* info.version, or the checksum if empty */
    uint64_t feat_hash;            /* cfd_feat_config_counts_hash(info.feat), or 0 */
    uint64_t idf_key;              /* digest of the IDF table, 0 when unused */
    char *file;                    /* as requested, relative to the models dir */
    char *path;                    /* resolved absolute path */
    char loaded_at[32];            /* ISO-8601 UTC */
    uint32_t load_ms;
    /* Pre-rendered JSON, so replies are memcpy: */
    char *labels_json;             /* label i = labels_json[label_off[i]..label_off[i+1]) */
    uint32_t *label_off;           /* n_labels + 1 offsets; each a JSON string literal */
    char *model_json;              /* {"name":..,"version":..,"checksum":..} */
    size_t model_json_len;
} cfd_model_version;

typedef struct cfd_model_registry {
    const struct cfd_plugin *plugin;
    char *models_dir;              /* the models directory, absolute; resolved per load */
    cfd_rc_slot current;           /* cfd_model_version, published */
    pthread_mutex_t lock;          /* publish, rollback, describe, last_error */
    cfd_model_version *previous;   /* one reference, or NULL; under lock */
    int rolled_back;               /* current was made current by a rollback (no
                                      publish since); under lock */
    char last_error[CFD_ERROR_MSG_MAX]; /* last failed load, "" if none; under lock */
    atomic_ullong loads_ok;
    atomic_ullong loads_failed;
    atomic_llong live_versions;    /* loaded and not yet unloaded */
    atomic_ullong next_serial;     /* the next version's serial */
} cfd_model_registry;

/*
 * Resolves `rel` inside models_dir_real (itself a realpath): refuses an
 * empty name, an absolute path or any ".." component (CFD_EPERM), a path
 * whose realpath leaves the directory (symlink escape, CFD_EPERM), a
 * missing file (CFD_ENOENT) and anything but a regular file (CFD_EINVAL).
 */
int cfd_models_resolve(const char *models_dir_real, const char *rel, char *out, size_t cap,
                       cfd_error *err);

int cfd_registry_init(cfd_model_registry *r, const struct cfd_plugin *p,
                      const char *models_dir, cfd_error *err);
/* Publishes NULL, drops the previous version; call when no reader is left. */
void cfd_registry_destroy(cfd_model_registry *r);

/*
 * Resolves, loads and validates `rel` (not published). On success *out holds
 * one reference. On failure nothing is allocated, loads_failed is counted
 * and last_error remembers the message. A model whose info.name differs
 * from the plugin's name (and !info.any_name) is refused with CFD_EMISMATCH.
 */
int cfd_registry_load(cfd_model_registry *r, const char *rel, cfd_model_version **out,
                      cfd_error *err);

/* Makes v current (consumes the caller's reference), the current previous,
 * and drops the old previous. */
void cfd_registry_publish(cfd_model_registry *r, cfd_model_version *v);

/* Swaps current and previous and sets rolled_back (publish clears it).
 * CFD_EEMPTY when there is no previous. */
int cfd_registry_rollback(cfd_model_registry *r, cfd_error *err);

/* 1 when a and b are the same model: the same file with the same checksum. */
int cfd_model_version_same(const cfd_model_version *a, const cfd_model_version *b);

/* 1 when the current version was made current by a rollback away from a
 * model that is the same as v (cfd_model_version_same). Takes the lock. */
int cfd_registry_rolled_back_from(cfd_model_registry *r, const cfd_model_version *v);

/* Hot path: reference to the current version, or NULL. Release with
 * cfd_registry_release on the same registry. */
static inline cfd_model_version *cfd_registry_acquire(cfd_model_registry *r)
{
    return (cfd_model_version *)cfd_rc_acquire(&r->current);
}
static inline void cfd_registry_release(cfd_model_registry *r, cfd_model_version *v)
{
    cfd_rc_release(&r->current, &v->rc);
}

/* Appends a version description: {"name","version","checksum","file",
 * "loaded_at","load_ms"} (or null when v is NULL). */
int cfd_model_version_json(const cfd_model_version *v, cfd_buf *out);

/*
 * Appends `"labels":[...],"model":{...}|null,"previous":{...}|null,
 * "last_error":"..."|null` (no braces) under the registry lock.
 */
int cfd_registry_describe(cfd_model_registry *r, cfd_buf *out);

#endif
