/*
 * Configuration: one table of options drives the INI file, the flags, the
 * --help text and --check-config's dump, so the four cannot drift apart.
 * What one value may be is config_values.c's. See config.h.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_values.h"
#include "ini_file.h"
#include "plugin_loader.h"
#include "log.h"

enum cfd__kind { K_STR, K_MODE, K_SIZE, K_MS, K_UINT, K_LEVEL, K_JOURNAL, K_TCP, K_LIST, K_MODEL };

typedef struct cfd__opt {
    const char *name;   /* flag spelling; the file key uses '_' for '-' */
    const char *section;
    enum cfd__kind kind;
    size_t off;
    const char *arg;
    const char *help;
} cfd__opt;

#define OFF(f) offsetof(cfd_config, f)

/* Grouped by section: --check-config prints the options in this order,
 * one [section] header per group. */
static const cfd__opt cfd__opts[] = {
    {"socket", "server", K_STR, OFF(socket_path), "PATH",
     "Unix socket to listen on (default run/classifyd.sock; installed: /run/classifyd/classifyd.sock)"},
    {"socket-mode", "server", K_MODE, OFF(socket_mode), "MODE",
     "permission bits of the socket file, octal (default 0660)"},
    {"tcp", "server", K_TCP, OFF(tcp_host), "HOST:PORT",
     "also listen on TCP (default off; \"off\" disables; admin calls refused there)"},
    {"workers", "server", K_UINT, OFF(workers), "N",
     "event loops, each classifying on its own thread (default: one per core; at most 256)"},
    {"max-connections", "server", K_UINT, OFF(max_connections), "N",
     "open connections over all loops; more are answered 503 and closed (default 4096)"},
    {"busy-poll", "server", K_UINT, OFF(busy_poll_us), "MICROSECONDS",
     "after serving a request, a loop polls for the next one instead of sleeping for this "
     "long (default 0 = off; at most 100000): lower latency for one-at-a-time clients, at the "
     "cost of a busy core"},
    {"shutdown-grace", "server", K_MS, OFF(shutdown_grace_ms), "TIME",
     "on SIGTERM/SIGINT, time given to in-flight requests (default 10s)"},
    {"max-body", "limits", K_SIZE, OFF(max_body), "SIZE",
     "largest request body, e.g. 1M (default 1M); larger: 413"},
    {"max-body-memory", "limits", K_SIZE, OFF(max_body_memory), "SIZE",
     "memory for request bodies being received, over all loops (default 256M; at least "
     "max-body); a body that does not fit: 503, retry later"},
    {"max-header", "limits", K_SIZE, OFF(max_header), "SIZE",
     "largest request line + headers (default 16K); larger: 431"},
    {"max-pending-output", "limits", K_SIZE, OFF(max_pending_output), "SIZE",
     "unsent reply bytes per connection above which its requests wait (default 256K)"},
    {"idle-timeout", "limits", K_MS, OFF(idle_timeout_ms), "TIME",
     "close a connection idle this long, or not reading its replies (default 60s)"},
    {"read-timeout", "limits", K_MS, OFF(read_timeout_ms), "TIME",
     "a request must arrive whole within this time of its first byte (default 10s); else 408"},
    {"log-level", "log", K_LEVEL, OFF(log_level), "LEVEL",
     "error, warn, info or debug (default info)"},
    {"log-journal", "log", K_JOURNAL, OFF(log_journal), "auto|yes|no",
     "\"<N>\" priority prefixes for journald instead of timestamps (default auto)"},
    {"request-log", "log", K_STR, OFF(request_log), "FILE",
     "append one line per request to FILE (\"-\" = stderr; default off)"},
    {"models", "engine", K_STR, OFF(models_dir), "DIR",
     "models directory (default models; installed: " CFD_INSTALL_MODELDIR ")"},
    {"plugins", "engine", K_STR, OFF(plugin_dir), "DIR",
     "plugin directory (default build/lib/classifyd/plugins; installed: " CFD_INSTALL_PLUGINDIR
     ")"},
    {"enable", "engine", K_LIST, OFF(plugins), "NAME,...",
     "plugins to load; repeatable, the names add up (default: every plugin in the plugin "
     "directory)"},
    {"aggregate", "engine", K_STR, OFF(aggregate_file), "FILE",
     "decision rules file (default: aggregate.conf in the models directory if present, else built-in rules)"},
    {"model", "models", K_MODEL, OFF(models), "PLUGIN=FILE",
     "serve FILE (in the models directory) for PLUGIN; repeatable. File: [models] PLUGIN = FILE"},
};

#define N_OPTS (sizeof(cfd__opts) / sizeof(cfd__opts[0]))

/* Accepted values of the K_UINT options; one not listed takes 1..1000000. */
static const struct {
    size_t off;
    unsigned long min, max;
} cfd__uint_ranges[] = {
    {OFF(workers), 0, 256},            /* 0 = one per core */
    {OFF(busy_poll_us), 0, 100000},    /* 0 = off; 0.1 s of spinning is a mistake */
};

/*
 * Where the defaults point depends on how classifyd was started:
 *  - run from a build tree (the repository): ./run/classifyd.sock, ./models
 *    and ./build/lib/classifyd/plugins, relative to the working directory,
 *    so `build/bin/classifyd` from the repository root needs no options;
 *  - installed (the executable is CFD_INSTALL_SBINDIR/classifyd): the socket
 *    under /run/classifyd/, models and plugins where `cmake --install` put
 *    them.
 */
int cfd_config_installed(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return 0;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash == NULL)
        return 0;
    *slash = '\0';
    /* /proc/self/exe is resolved; the install directory may not be (where
     * /usr/sbin is a symlink to bin, as on Fedora and Arch). */
    char sbin[PATH_MAX];
    return strcmp(exe, CFD_INSTALL_SBINDIR) == 0 ||
           (realpath(CFD_INSTALL_SBINDIR, sbin) != NULL && strcmp(exe, sbin) == 0);
}

void cfd_config_defaults(cfd_config *c)
{
    int installed = cfd_config_installed();
    memset(c, 0, sizeof(*c));
    c->socket_path = strdup(installed ? "/run/classifyd/classifyd.sock" : "run/classifyd.sock");
    c->socket_mode = 0660;
    c->workers = 0;
    c->max_connections = 4096;
    c->max_body = 1u << 20;
    c->max_body_memory = (size_t)256 << 20;
    c->max_header = 16u << 10;
    c->max_pending_output = 256u << 10;
    c->idle_timeout_ms = 60000;
    c->read_timeout_ms = 10000;
    c->shutdown_grace_ms = 10000;
    c->log_level = CFD_LOG_INFO;
    c->log_journal = -1;
    c->models_dir = strdup(installed ? CFD_INSTALL_MODELDIR : "models");
    c->plugin_dir = strdup(installed ? CFD_INSTALL_PLUGINDIR : "build/lib/classifyd/plugins");
}

void cfd_config_free(cfd_config *c)
{
    free(c->config_file);
    free(c->socket_path);
    free(c->tcp_host);
    free(c->request_log);
    free(c->models_dir);
    free(c->plugin_dir);
    free(c->aggregate_file);
    cfd_config_free_list(c);
    for (size_t i = 0; i < c->n_models; i++) {
        free((char *)c->models[i].plugin);
        free((char *)c->models[i].model_file);
    }
    free(c->models);
    memset(c, 0, sizeof(*c));
}

_Static_assert(N_OPTS <= 64, "cfd__ini_ctx.seen has a bit per option");

static const cfd__opt *cfd__find(const char *name)
{
    for (size_t i = 0; i < N_OPTS; i++) {
        const char *a = cfd__opts[i].name, *b = name;
        while (*a && (*a == *b || (*a == '-' && *b == '_')))
            a++, b++;
        if (*a == '\0' && *b == '\0')
            return &cfd__opts[i];
    }
    return NULL;
}

static int cfd__set(cfd_config *c, const char *name, const char *value, int append,
                    cfd_error *err)
{
    const cfd__opt *o = cfd__find(name);
    if (o == NULL)
        return cfd_error_set(err, CFD_ENOENT, (size_t)-1,
                             "unknown option \"%s\" (see classifyd --help)", name);
    void *slot = (char *)c + o->off;
    char *end;
    int r = 0;
    switch (o->kind) {
    case K_STR:
        if (value[0] == '\0' && o->off != OFF(socket_path) && o->off != OFF(models_dir) &&
            o->off != OFF(plugin_dir)) {
            free(*(char **)slot);
            *(char **)slot = NULL;
            return 0;
        }
        if (value[0] == '\0' || !cfd_config_str_valid(value))
            goto bad;
        r = cfd_config_set_str(slot, value);
        break;
    case K_MODE: {
        errno = 0;
        unsigned long m = strtoul(value, &end, 8);
        if (errno || *end || value[0] == '\0' || m > 0777)
            goto bad;
        *(unsigned *)slot = (unsigned)m;
        break;
    }
    case K_SIZE:
        if (cfd_config_parse_size(value, slot) != 0 || *(size_t *)slot == 0)
            goto bad;
        break;
    case K_MS: {
        unsigned ms;
        /* 0 makes sense only for the grace period ("stop at once"). */
        if (cfd_config_parse_duration(value, &ms) != 0 ||
            (ms == 0 && o->off != OFF(shutdown_grace_ms)))
            goto bad;
        *(unsigned *)slot = ms;
        break;
    }
    case K_UINT: {
        unsigned long lo = 1, hi = 1000000;
        for (size_t u = 0; u < sizeof cfd__uint_ranges / sizeof cfd__uint_ranges[0]; u++)
            if (cfd__uint_ranges[u].off == o->off) {
                lo = cfd__uint_ranges[u].min;
                hi = cfd__uint_ranges[u].max;
            }
        errno = 0;
        unsigned long v = strtoul(value, &end, 10);
        if (errno || *end || value[0] == '\0' || value[0] == '-' || v < lo || v > hi)
            goto bad;
        *(unsigned *)slot = (unsigned)v;
        break;
    }
    case K_LEVEL: {
        int l = cfd_log_level_parse(value);
        if (l < 0)
            goto bad;
        *(int *)slot = l;
        break;
    }
    case K_JOURNAL:
        if (strcmp(value, "auto") == 0)
            *(int *)slot = -1;
        else if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
            *(int *)slot = 1;
        else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
            *(int *)slot = 0;
        else
            goto bad;
        break;
    case K_TCP:
        return cfd_config_set_tcp(c, value, err);
    case K_LIST:
        r = cfd_config_set_list(c, value, append);
        if (r == CFD_EINVAL)
            goto bad;
        break;
    case K_MODEL: {
        const char *eq = strchr(value, '=');
        if (eq == NULL || eq == value || eq[1] == '\0')
            goto bad;
        r = cfd_config_add_model(c, value, (size_t)(eq - value), eq + 1);
        if (r == CFD_EINVAL)
            goto bad;
        break;
    }
    }
    if (r != 0)
        return cfd_error_set(err, r, (size_t)-1, "%s: out of memory", o->name);
    return 0;
bad:
    if (strlen(value) > CFD_CONFIG_MAX_VALUE)
        return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                             "%s: the value is %zu bytes long; at most %d are accepted (for a "
                             "long path, use a symlink or a shorter directory)",
                             o->name, strlen(value), CFD_CONFIG_MAX_VALUE);
    return cfd_error_set(err, CFD_EINVAL, (size_t)-1, "%s: expected %s (%s), got \"%s\"",
                         o->name, o->arg, o->help, value);
}

int cfd_config_set(cfd_config *c, const char *name, const char *value, cfd_error *err)
{
    return cfd__set(c, name, value, 0, err);
}

typedef struct cfd__ini_ctx {
    cfd_config *c;
    cfd_error *err;
    uint64_t seen; /* options set by this file, bit = index in cfd__opts */
    size_t models_base; /* c->models[models_base..] were set by this file */
    int line;      /* of the handler call (cfd_ini_parse) */
} cfd__ini_ctx;

/* Remembers where an option cfd_config_check names was set (line > 0 in
 * the config file, -1 a flag). */
static void cfd__note_origin(cfd_config *c, const cfd__opt *o, int line)
{
    if (o->off == OFF(max_body))
        c->max_body_line = line;
    else if (o->off == OFF(max_body_memory))
        c->max_body_memory_line = line;
}

static int cfd__ini_handler(void *user, const char *section, const char *name, const char *value)
{
    cfd__ini_ctx *x = user;
    if (strcmp(section, "models") == 0) {
        /* One plugin, one model: a second line would silently win, as with
         * any other key (a --model flag still overrides the file). */
        for (size_t i = x->models_base; i < x->c->n_models; i++)
            if (strcmp(x->c->models[i].plugin, name) == 0) {
                cfd_error_set(x->err, CFD_EINVAL, (size_t)-1,
                              "[models]: \"%s\" is set a second time; keep one of the two lines",
                              name);
                return 0;
            }
        int r = cfd_config_add_model(x->c, name, strlen(name), value);
        if (r == CFD_EINVAL)
            cfd_error_set(x->err, r, (size_t)-1,
                          "[models]: expected \"plugin = model file\" with a plugin name "
                          "(a-z, 0-9, _ and -), got \"%s = %s\"", name, value);
        return r == 0;
    }
    const cfd__opt *o = cfd__find(name);
    if (o == NULL) {
        /* Name the section: a misspelt one ([sever]) makes every key in it
         * unknown, which the key's name alone would not explain. */
        int known = section[0] == '\0' || strcmp(section, "models") == 0;
        for (size_t i = 0; i < N_OPTS && !known; i++)
            known = strcmp(section, cfd__opts[i].section) == 0;
        if (!known) {
            /* the sections as the option table has them, so the list
             * cannot fall behind a new one */
            char list[160] = "";
            size_t len = 0;
            for (size_t i = 0; i < N_OPTS; i++) /* grouped by section */
                if ((i == 0 || strcmp(cfd__opts[i - 1].section, cfd__opts[i].section) != 0) &&
                    len < sizeof(list))
                    len += (size_t)snprintf(list + len, sizeof(list) - len, "%s[%s]",
                                            len ? ", " : "", cfd__opts[i].section);
            cfd_error_set(x->err, CFD_EINVAL, (size_t)-1,
                          "unknown section [%s] (the sections are %s; see "
                          "etc/classifyd.conf)", section, list);
        } else
            cfd_error_set(x->err, CFD_ENOENT, (size_t)-1,
                          "unknown option \"%s\"%s%s%s (see classifyd --help)", name,
                          section[0] ? " in [" : "", section, section[0] ? "]" : "");
        return 0;
    }
    if (o->kind != K_MODEL && strcmp(section, o->section) != 0) {
        cfd_error_set(x->err, CFD_EINVAL, (size_t)-1, "option \"%s\" belongs in section [%s], not [%s]",
                      name, o->section, section);
        return 0;
    }
    /* A setting given twice is a mistake to show, not to settle silently by
     * taking the last (aggregate.conf refuses it too); a list adds up. */
    int append = 0;
    if (o != NULL && o->kind != K_MODEL) {
        uint64_t bit = UINT64_C(1) << (o - cfd__opts);
        if ((x->seen & bit) && o->kind != K_LIST) {
            cfd_error_set(x->err, CFD_EINVAL, (size_t)-1,
                          "option \"%s\" is set a second time; keep one of the two lines", name);
            return 0;
        }
        append = (x->seen & bit) != 0;
        x->seen |= bit;
    }
    if (cfd__set(x->c, name, value, append, x->err) != 0)
        return 0;
    cfd__note_origin(x->c, o, x->line);
    return 1;
}

int cfd_config_load_file(cfd_config *c, const char *path, cfd_error *err)
{
    cfd__ini_ctx x = {c, err, 0, c->n_models, 0};
    cfd_error_clear(err);
    char *text;
    size_t len;
    int r = cfd_ini_read(path, 0, &text, &len, err);
    if (r == CFD_ENOENT)
        return cfd_error_set(err, r, (size_t)-1,
                             "config file %s does not exist (give an existing file with "
                             "--config, or leave --config out to use the defaults)",
                             path);
    if (r != 0) {
        cfd_error_prefix(err, "config file");
        return r;
    }
    int in_handler;
    r = cfd_ini_parse(text, cfd__ini_handler, &x, &in_handler, &x.line);
    free(text);
    if (r == 0)
        return 0;
    if (r < 0)
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "%s: out of memory", path);
    if (in_handler && err && err->code != 0) {
        cfd_error_prefix(err, "%s:%d", path, r);
        return CFD_EINVAL;
    }
    return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                         "%s:%d: syntax error: expected \"[section]\" or \"key = value\"", path, r);
}

/* Splits "--name=value" / "--name value"; returns the value or NULL. */
static const char *cfd__flag_value(int argc, char **argv, int *i, const char *arg, char *name,
                                   size_t cap)
{
    const char *eq = strchr(arg, '=');
    size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
    if (n >= cap)
        n = cap - 1;
    memcpy(name, arg, n);
    name[n] = '\0';
    if (eq)
        return eq + 1;
    if (*i + 1 < argc)
        return argv[++*i];
    return NULL;
}

int cfd_config_from_args(cfd_config *c, int argc, char **argv, cfd_error *err)
{
    char name[64];
    int list_seen = 0; /* an --enable flag given: more of them add up, as in the file */
    cfd_error_clear(err);
    /* First pass: --config, so that the file is read before the flags. */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0 || strncmp(a, "--config=", 9) == 0) {
            const char *v = a[1] == 'c' ? (i + 1 < argc ? argv[++i] : NULL)
                                        : cfd__flag_value(argc, argv, &i, a + 2, name, sizeof(name));
            if (v == NULL)
                return cfd_error_set(err, CFD_EINVAL, (size_t)-1, "--config: expected FILE");
            if (cfd_config_set_str(&c->config_file, v) != 0)
                return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
        }
    }
    if (c->config_file) {
        int r = cfd_config_load_file(c, c->config_file, err);
        if (r != 0)
            return r;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            c->help = 1;
        } else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
            c->version = 1;
        } else if (strcmp(a, "--check-config") == 0) {
            c->check_config = 1;
        } else if (strcmp(a, "-c") == 0) {
            i++;
        } else if (strncmp(a, "--", 2) == 0) {
            const char *v = cfd__flag_value(argc, argv, &i, a + 2, name, sizeof(name));
            if (strcmp(name, "config") == 0)
                continue;
            const cfd__opt *o = cfd__find(name);
            if (o == NULL)
                return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                                     "unknown option \"%s\" (see classifyd --help)", a);
            if (v == NULL)
                return cfd_error_set(err, CFD_EINVAL, (size_t)-1, "--%s: expected %s", name, o->arg);
            int r = cfd__set(c, name, v, o->kind == K_LIST && list_seen, err);
            if (o->kind == K_LIST)
                list_seen = 1;
            if (r != 0)
                return r == CFD_ENOENT ? CFD_EINVAL : r;
            cfd__note_origin(c, o, -1);
        } else {
            return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                                 "unexpected argument \"%s\" (classifyd takes only options; see --help)",
                                 a);
        }
    }
    if (c->help || c->version)
        return 0; /* nothing is started */
    return cfd_config_check(c, err);
}

/* Where a value came from, for cfd_config_check's message. */
static const char *cfd__origin(int line, const char *flag, char *buf, size_t cap)
{
    if (line > 0)
        snprintf(buf, cap, "line %d", line);
    else if (line < 0)
        snprintf(buf, cap, "%s", flag);
    else
        snprintf(buf, cap, "the default");
    return buf;
}

int cfd_config_check(const cfd_config *c, cfd_error *err)
{
    if (c->max_body_memory >= c->max_body)
        return 0;
    /* Point at the file's line: the budget's, else max_body's. */
    char where[CFD_CONFIG_MAX_VALUE + 32] = "";
    int line = c->max_body_memory_line > 0 ? c->max_body_memory_line : c->max_body_line;
    if (line > 0 && c->config_file != NULL)
        snprintf(where, sizeof(where), "%s:%d: ", c->config_file, line);
    char a[32], b[32];
    return cfd_error_set(
        err, CFD_EINVAL, (size_t)-1,
        "%smax_body_memory (%zu bytes, %s) is smaller than max_body (%zu bytes, %s): it must "
        "hold at least one whole request body; raise max_body_memory or lower max_body",
        where, c->max_body_memory,
        cfd__origin(c->max_body_memory_line, "--max-body-memory", a, sizeof(a)), c->max_body,
        cfd__origin(c->max_body_line, "--max-body", b, sizeof(b)));
}

void cfd_config_engine(const cfd_config *c, cfd_engine_config *ec)
{
    memset(ec, 0, sizeof(*ec));
    ec->plugin_dir = c->plugin_dir;
    ec->models_dir = c->models_dir;
    ec->plugins = (const char *const *)c->plugins;
    ec->n_plugins = c->n_plugins;
    ec->models = c->models;
    ec->n_models = c->n_models;
    ec->aggregate_file = c->aggregate_file;
    ec->log = cfd_log_engine;
    ec->log_ud = NULL;
}

static void cfd__dump_value(const cfd_config *c, const cfd__opt *o, cfd_buf *out)
{
    const void *slot = (const char *)c + o->off;
    switch (o->kind) {
    case K_STR: {
        const char *s = *(char *const *)slot;
        cfd_buf_puts(out, s ? s : "");
        break;
    }
    case K_MODE: cfd_buf_printf(out, "%04o", *(const unsigned *)slot); break;
    case K_SIZE: cfd_buf_printf(out, "%zu", *(const size_t *)slot); break;
    case K_MS: cfd_buf_printf(out, "%ums", *(const unsigned *)slot); break;
    case K_UINT: cfd_buf_printf(out, "%u", *(const unsigned *)slot); break;
    case K_LEVEL: cfd_buf_puts(out, cfd_log_level_name(*(const int *)slot)); break;
    case K_JOURNAL: {
        int j = *(const int *)slot;
        cfd_buf_puts(out, j < 0 ? "auto" : j ? "yes" : "no");
        break;
    }
    case K_TCP:
        if (c->tcp_host)
            cfd_buf_printf(out, strchr(c->tcp_host, ':') ? "[%s]:%u" : "%s:%u", c->tcp_host,
                           c->tcp_port);
        else
            cfd_buf_puts(out, "off");
        break;
    case K_LIST: {
        /* Continuation lines keep each line within CFD_INI_MAX_LINE. */
        size_t col = sizeof("enable = ") - 1;
        for (size_t i = 0; i < c->n_plugins; i++) {
            size_t n = strlen(c->plugins[i]);
            if (i > 0 && col + 1 + n > CFD_INI_MAX_LINE - 2) {
                cfd_buf_puts(out, ",\n    ");
                col = 4;
            } else if (i > 0) {
                cfd_buf_putc(out, ',');
                col++;
            }
            cfd_buf_puts(out, c->plugins[i]);
            col += n;
        }
        break;
    }
    case K_MODEL: break;
    }
}

int cfd_config_dump(const cfd_config *c, cfd_buf *out)
{
    const char *section = "";
    for (size_t i = 0; i < N_OPTS; i++) {
        const cfd__opt *o = &cfd__opts[i];
        if (o->kind == K_MODEL)
            continue;
        if (strcmp(section, o->section) != 0) {
            cfd_buf_printf(out, "%s[%s]\n", i ? "\n" : "", o->section);
            section = o->section;
        }
        for (const char *p = o->name; *p; p++)
            cfd_buf_putc(out, *p == '-' ? '_' : *p);
        cfd_buf_puts(out, " = ");
        cfd__dump_value(c, o, out);
        cfd_buf_putc(out, '\n');
    }
    cfd_buf_puts(out, "\n[models]\n");
    for (size_t i = 0; i < c->n_models; i++)
        cfd_buf_printf(out, "%s = %s\n", c->models[i].plugin, c->models[i].model_file);
    return out->oom ? CFD_ENOMEM : 0;
}

void cfd_config_usage(FILE *f)
{
    fprintf(f,
            "Usage: classifyd [OPTION]...\n"
            "Classify news articles sent over HTTP/1.1 on a Unix socket with loadable plugins.\n\n"
            "  -c, --config FILE          read options from FILE (INI; see etc/classifyd.conf);\n"
            "                             flags given on the command line win\n");
    for (size_t i = 0; i < N_OPTS; i++) {
        char left[64];
        snprintf(left, sizeof(left), "--%s %s", cfd__opts[i].name, cfd__opts[i].arg);
        fprintf(f, "      %-23s%s%s\n", left, strlen(left) > 22 ? "\n                             " : "",
                cfd__opts[i].help);
    }
    fprintf(f,
            "      --check-config         validate the configuration, print it and exit\n"
            "  -h, --help                 show this help and exit\n"
            "  -V, --version              show the version and exit\n\n"
            "SIZE takes K, M or G suffixes (powers of 1024); TIME is seconds or has a\n"
            "ms, s or m suffix. Signals: SIGHUP re-reads the model file each plugin\n"
            "serves now (not this configuration) and the decision rules; SIGTERM/SIGINT\n"
            "stop accepting, finish in-flight requests within --shutdown-grace, remove\n"
            "the socket and exit 0.\n");
}
