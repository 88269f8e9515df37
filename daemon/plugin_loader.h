/*
 * The plugin loader: turns a file in the plugin directory into a checked
 * `const struct cfd_plugin *` (include/classifyd/plugin.h).
 *
 * Rules enforced here, so nothing else in the daemon has to think about them:
 *  - plugins are loaded only from the configured plugin directory: a plugin
 *    is named ("topic"), never given as a path; the file is <dir>/<name>.so
 *    and its realpath must still lie inside realpath(<dir>) (a symlink to a
 *    file elsewhere is refused);
 *  - dlopen(RTLD_NOW | RTLD_LOCAL): unresolved symbols fail at load, and a
 *    plugin's symbols never leak into another plugin;
 *  - exactly one symbol is looked up, CFD_PLUGIN_SYMBOL; a plugin without it
 *    is refused;
 *  - ABI: abi_major must equal CFD_PLUGIN_ABI_MAJOR, abi_minor must not be
 *    newer than CFD_PLUGIN_ABI_MINOR, struct_size must cover the fields the
 *    minor version promises; errors name the expected and found values;
 *  - the name must match [a-z0-9_-]{1,32} and equal the file's base name;
 *    load, unload and classify must be set; the spare slots must be NULL
 *    (for a 1.0 plugin, also the slot where 1.1 put explain);
 *  - within one cfd_plugin_set, names are unique.
 *
 * Ownership: a cfd_loaded_plugin owns its dlopen handle; the plugin struct
 * it points to lives inside the shared object and is valid until
 * cfd_plugin_close(). Close a plugin only after every model it loaded has
 * been unloaded.
 *
 * Threads: call from the main thread at start-up / shutdown only.
 */
#ifndef CFD_PLUGIN_LOADER_H
#define CFD_PLUGIN_LOADER_H

#include <stddef.h>

#include <classifyd/error.h>
#include <classifyd/plugin.h>

#define CFD_PLUGIN_NAME_MAX 32

typedef struct cfd_loaded_plugin {
    void *dl;                        /* dlopen handle */
    const struct cfd_plugin *p;      /* checked plugin descriptor (in the .so) */
    char name[CFD_PLUGIN_NAME_MAX + 1];
    char *path;                      /* resolved path of the .so (owned) */
} cfd_loaded_plugin;

/* The plugin's explain(), or NULL: a 1.0 plugin has none (its slot was a
 * spare one). */
static inline int (*cfd_plugin_explain_fn(const struct cfd_plugin *p))(
    const void *, const cfd_plugin_input *, cfd_plugin_explanation *)
{
    return p->abi_minor >= 1 ? p->explain : NULL;
}

/* Non-zero when s is a valid plugin name: [a-z0-9_-]{1,32}. */
int cfd_plugin_name_valid(const char *s, size_t len);

/*
 * Checks a descriptor (used by cfd_plugin_open, exposed for tests): ABI
 * fields, name, function pointers, spare slots. `where` prefixes messages
 * (normally the .so path).
 */
int cfd_plugin_check(const struct cfd_plugin *p, const char *where, cfd_error *err);

/*
 * Opens <dir>/<name>.so and checks it. On success fills *out (caller calls
 * cfd_plugin_close). Errors: CFD_EINVAL (bad name), CFD_ENOENT (no such
 * file), CFD_EPERM (resolves outside dir), CFD_EIO (dlopen failed: message
 * carries dlerror()), CFD_EFORMAT (no classifyd_plugin symbol, bad fields),
 * CFD_EVERSION (ABI mismatch), CFD_EMISMATCH (descriptor name != file name).
 */
int cfd_plugin_open(const char *dir, const char *name, cfd_loaded_plugin *out,
                    cfd_error *err);
void cfd_plugin_close(cfd_loaded_plugin *lp);

/*
 * Lists the plugin names in dir: every regular file (or symlink) named
 * <valid name>.so, sorted by name. *names is a malloc'd array of malloc'd
 * strings; free with cfd_plugin_names_free.
 */
int cfd_plugin_scan(const char *dir, char ***names, size_t *n, cfd_error *err);
void cfd_plugin_names_free(char **names, size_t n);

/*
 * Opens several plugins (names, or every plugin in dir when names == NULL)
 * into a malloc'd array. Duplicate names (given twice, or two files whose
 * descriptors carry the same name) are refused with CFD_EEXIST. On failure
 * nothing stays open.
 */
int cfd_plugin_open_all(const char *dir, const char *const *names, size_t n_names,
                        cfd_loaded_plugin **out, size_t *n_out, cfd_error *err);
void cfd_plugin_close_all(cfd_loaded_plugin *lps, size_t n);

#endif
