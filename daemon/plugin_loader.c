/*
 * Plugin loader: dlopen from the plugin directory only, one symbol, ABI
 * checks with messages naming expected and found values. See
 * plugin_loader.h for the rules.
 */
#define _GNU_SOURCE /* dladdr1 */
#include <dirent.h>
#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "errno_text.h"
#include "plugin_loader.h"
#include "utf8.h"

int cfd_plugin_name_valid(const char *s, size_t len)
{
    if (s == NULL || len == 0 || len > CFD_PLUGIN_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* The struct size each ABI minor version promises. */
static size_t cfd__min_size_for_minor(uint32_t minor)
{
    return minor == 0 ? CFD_PLUGIN_SIZE_V1_0 : CFD_PLUGIN_SIZE_V1_1;
}

int cfd_plugin_check(const struct cfd_plugin *p, const char *where, cfd_error *err)
{
    if (p->abi_major != CFD_PLUGIN_ABI_MAJOR || p->abi_minor > CFD_PLUGIN_ABI_MINOR)
        return cfd_error_set(err, CFD_EVERSION, (size_t)-1,
                             "%s: plugin ABI mismatch (daemon %u.%u, plugin %u.%u): rebuild "
                             "the plugin against this daemon's include/classifyd/plugin.h",
                             where, (unsigned)CFD_PLUGIN_ABI_MAJOR,
                             (unsigned)CFD_PLUGIN_ABI_MINOR, (unsigned)p->abi_major,
                             (unsigned)p->abi_minor);
    size_t need = cfd__min_size_for_minor(p->abi_minor);
    if (p->struct_size < need)
        return cfd_error_set(err, CFD_EVERSION, (size_t)-1,
                             "%s: plugin struct size %u is smaller than ABI %u.%u requires "
                             "(expected at least %zu): rebuild the plugin with CFD_PLUGIN_HEADER",
                             where, (unsigned)p->struct_size, (unsigned)p->abi_major,
                             (unsigned)p->abi_minor, need);
    if (p->name == NULL || !cfd_plugin_name_valid(p->name, strnlen(p->name, 64)))
        return cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                             "%s: invalid plugin name \"%.40s\" (expected 1 to %d characters "
                             "of a-z, 0-9, '_' or '-')",
                             where, p->name ? p->name : "(null)", CFD_PLUGIN_NAME_MAX);
    const char *texts[2] = {p->description, p->default_model};
    for (int k = 0; k < 2; k++) {
        size_t bad;
        if (texts[k] != NULL &&
            (strnlen(texts[k], 1024) == 1024 ||
             cfd_utf8_validate(texts[k], strlen(texts[k]), &bad) != 0))
            return cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                                 "%s: plugin \"%s\" has a %s that is not UTF-8 text under "
                                 "1024 bytes",
                                 where, p->name, k == 0 ? "description" : "default_model");
    }
    if (p->load == NULL || p->unload == NULL || p->classify == NULL)
        return cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                             "%s: plugin \"%s\" leaves %s NULL (load, unload and classify are "
                             "required)",
                             where, p->name,
                             p->load == NULL ? "load" : p->unload == NULL ? "unload" : "classify");
    if (p->abi_minor == 0 && p->struct_size >= CFD_PLUGIN_SIZE_V1_1 && p->explain != NULL)
        return cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                             "%s: plugin \"%s\" of ABI 1.0 sets the spare slot where ABI 1.1 "
                             "has explain (must be NULL in 1.0): rebuild the plugin with "
                             "CFD_PLUGIN_HEADER",
                             where, p->name);
    if (p->struct_size >= sizeof(struct cfd_plugin)) {
        for (size_t i = 0; i < sizeof(p->spare) / sizeof(p->spare[0]); i++)
            if (p->spare[i] != NULL)
                return cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                                     "%s: plugin \"%s\" sets spare slot %zu (must be NULL in "
                                     "ABI %u.%u)",
                                     where, p->name, i, (unsigned)CFD_PLUGIN_ABI_MAJOR,
                                     (unsigned)CFD_PLUGIN_ABI_MINOR);
    }
    return 0;
}

/* realpath(path) must be dir_real itself or below it. */
static int cfd__inside(const char *dir_real, const char *path_real)
{
    size_t n = strlen(dir_real);
    if (strncmp(dir_real, path_real, n) != 0)
        return 0;
    return path_real[n] == '/' || (n == 1 && dir_real[0] == '/');
}

/*
 * The symbol as the plugin's ELF symbol table has it: a data object (not a
 * function named classifyd_plugin) at least as large as the header and as
 * the struct_size it claims, so that cfd_plugin_check reads no byte past
 * it. A symbol without a recorded size (hand-written assembly) is taken at
 * its word.
 */
static int cfd__check_symbol(const struct cfd_plugin *p, const char *where, cfd_error *err)
{
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    if (dladdr1(p, &info, (void **)&sym, RTLD_DL_SYMENT) == 0 || sym == NULL)
        return 0;
    if (ELF64_ST_TYPE(sym->st_info) == STT_FUNC)
        return cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                             "%s: \"%s\" is a function, not the plugin descriptor (define it as "
                             "CFD_PLUGIN_EXPORT const struct cfd_plugin %s = { "
                             "CFD_PLUGIN_HEADER, ... })",
                             where, CFD_PLUGIN_SYMBOL, CFD_PLUGIN_SYMBOL);
    const size_t have = (size_t)sym->st_size, header = offsetof(struct cfd_plugin, name);
    if (have == 0)
        return 0;
    /* the header first: struct_size is only read once it is known to be there */
    const int short_header = have < header;
    const size_t need = short_header ? header : (size_t)p->struct_size;
    if (have < need)
        return cfd_error_set(err, CFD_EVERSION, (size_t)-1,
                             "%s: \"%s\" is %zu bytes, but %s (expected at least %zu): rebuild "
                             "the plugin with CFD_PLUGIN_HEADER",
                             where, CFD_PLUGIN_SYMBOL, have,
                             short_header ? "the ABI header alone is larger"
                                          : "its struct_size says it is larger",
                             need);
    return 0;
}

int cfd_plugin_open(const char *dir, const char *name, cfd_loaded_plugin *out,
                    cfd_error *err)
{
    char dir_real[PATH_MAX], file[PATH_MAX], file_real[PATH_MAX];
    int rc;

    memset(out, 0, sizeof(*out));
    if (name == NULL || !cfd_plugin_name_valid(name, strlen(name)))
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "invalid plugin name \"%.40s\" (expected 1 to %d characters of "
                             "a-z, 0-9, '_' or '-'; plugins are named, not given as paths)",
                             name ? name : "(null)", CFD_PLUGIN_NAME_MAX);
    if (realpath(dir, dir_real) == NULL)
        return cfd_error_set(err, CFD_ENOENT, (size_t)-1,
                             "plugin directory %s: %s (set --plugins to the directory holding "
                             "the *.so plugins)",
                             dir, cfd_errno_str(errno));
    if (snprintf(file, sizeof(file), "%s/%s.so", dir_real, name) >= (int)sizeof(file))
        return cfd_error_set(err, CFD_ETOOBIG, (size_t)-1, "%s/%s.so: path too long", dir,
                             name);
    if (realpath(file, file_real) == NULL) {
        if (errno == ENOENT)
            return cfd_error_set(err, CFD_ENOENT, (size_t)-1,
                                 "plugin %s: %s does not exist (check the name in --enable, "
                                 "or set --plugins to the directory holding %s.so)",
                                 name, file, name);
        return cfd_error_set(err, CFD_EIO, (size_t)-1, "plugin %s: %s: %s", name, file,
                             cfd_errno_str(errno));
    }
    if (!cfd__inside(dir_real, file_real))
        return cfd_error_set(err, CFD_EPERM, (size_t)-1,
                             "plugin %s: %s resolves to %s, outside the plugin directory %s; "
                             "plugins are loaded only from that directory",
                             name, file, file_real, dir_real);
    struct stat st;
    if (stat(file_real, &st) != 0 || !S_ISREG(st.st_mode))
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1, "plugin %s: %s is not a regular file",
                             name, file_real);

    dlerror();
    void *dl = dlopen(file_real, RTLD_NOW | RTLD_LOCAL);
    if (dl == NULL) {
        const char *why = dlerror();
        return cfd_error_set(err, CFD_EIO, (size_t)-1, "plugin %s: dlopen failed: %s", name,
                             why ? why : "unknown error");
    }
    dlerror();
    const struct cfd_plugin *p = (const struct cfd_plugin *)dlsym(dl, CFD_PLUGIN_SYMBOL);
    if (p == NULL) {
        rc = cfd_error_set(err, CFD_EFORMAT, (size_t)-1,
                           "%s: no symbol \"%s\": not a classifyd plugin (define it with "
                           "CFD_PLUGIN_EXPORT and CFD_PLUGIN_HEADER)",
                           file_real, CFD_PLUGIN_SYMBOL);
        goto fail;
    }
    rc = cfd__check_symbol(p, file_real, err);
    if (rc == 0)
        rc = cfd_plugin_check(p, file_real, err);
    if (rc != 0)
        goto fail;
    if (strcmp(p->name, name) != 0) {
        rc = cfd_error_set(err, CFD_EMISMATCH, (size_t)-1,
                           "%s: plugin calls itself \"%s\" but its file is %s.so (rename the "
                           "file to %s.so)",
                           file_real, p->name, name, p->name);
        goto fail;
    }
    out->path = strdup(file_real);
    if (out->path == NULL) {
        rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
        goto fail;
    }
    out->dl = dl;
    out->p = p;
    memcpy(out->name, name, strlen(name) + 1);
    return 0;
fail:
    dlclose(dl);
    memset(out, 0, sizeof(*out));
    return rc;
}

void cfd_plugin_close(cfd_loaded_plugin *lp)
{
    if (lp == NULL)
        return;
    if (lp->dl)
        dlclose(lp->dl);
    free(lp->path);
    memset(lp, 0, sizeof(*lp));
}

static int cfd__cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void cfd_plugin_names_free(char **names, size_t n)
{
    if (names == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int cfd_plugin_scan(const char *dir, char ***names, size_t *n, cfd_error *err)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return cfd_error_set(err, errno == ENOENT ? CFD_ENOENT : CFD_EIO, (size_t)-1,
                             "plugin directory %s: %s (set --plugins to the directory holding "
                             "the *.so plugins)",
                             dir, cfd_errno_str(errno));
    char **v = NULL;
    size_t count = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 4 || strcmp(de->d_name + len - 3, ".so") != 0)
            continue;
        if (!cfd_plugin_name_valid(de->d_name, len - 3))
            continue;
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            char **nv = realloc(v, ncap * sizeof(*nv));
            if (nv == NULL)
                goto oom;
            v = nv;
            cap = ncap;
        }
        v[count] = strndup(de->d_name, len - 3);
        if (v[count] == NULL)
            goto oom;
        count++;
    }
    closedir(d);
    if (count > 1)
        qsort(v, count, sizeof(*v), cfd__cmp_str);
    *names = v;
    *n = count;
    return 0;
oom:
    closedir(d);
    cfd_plugin_names_free(v, count);
    rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory listing %s", dir);
    return rc;
}

void cfd_plugin_close_all(cfd_loaded_plugin *lps, size_t n)
{
    if (lps == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        cfd_plugin_close(&lps[i]);
    free(lps);
}

int cfd_plugin_open_all(const char *dir, const char *const *names, size_t n_names,
                        cfd_loaded_plugin **out, size_t *n_out, cfd_error *err)
{
    char **scanned = NULL;
    size_t n_scanned = 0;
    cfd_loaded_plugin *lps = NULL;
    size_t n_open = 0;
    int rc;

    *out = NULL;
    *n_out = 0;
    if (names == NULL) {
        rc = cfd_plugin_scan(dir, &scanned, &n_scanned, err);
        if (rc != 0)
            return rc;
        names = (const char *const *)scanned;
        n_names = n_scanned;
    }
    if (n_names == 0) {
        rc = cfd_error_set(err, CFD_ENOENT, (size_t)-1,
                           "no plugins in %s (expected files named <plugin>.so; build them "
                           "or set --plugins)",
                           dir);
        goto fail;
    }
    lps = calloc(n_names, sizeof(*lps));
    if (lps == NULL) {
        rc = cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n_names; i++) {
        for (size_t j = 0; j < n_open; j++) {
            if (names[i] != NULL && strcmp(lps[j].name, names[i]) == 0) {
                rc = cfd_error_set(err, CFD_EEXIST, (size_t)-1,
                                   "plugin \"%s\" is listed twice; plugin names must be unique",
                                   names[i]);
                goto fail;
            }
        }
        rc = cfd_plugin_open(dir, names[i], &lps[n_open], err);
        if (rc != 0)
            goto fail;
        n_open++;
    }
    cfd_plugin_names_free(scanned, n_scanned);
    *out = lps;
    *n_out = n_open;
    return 0;
fail:
    cfd_plugin_close_all(lps, n_open);
    cfd_plugin_names_free(scanned, n_scanned);
    return rc;
}
