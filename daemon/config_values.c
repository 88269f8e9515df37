/*
 * The grammar of single option values (see config_values.h): sizes,
 * durations, strings a config file can hold, host:port, plugin lists and
 * model overrides. config.c's option table decides which applies.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_values.h"
#include "plugin_loader.h"

void cfd_config_free_list(cfd_config *c)
{
    for (size_t i = 0; i < c->n_plugins; i++)
        free(c->plugins[i]);
    free(c->plugins);
    c->plugins = NULL;
    c->n_plugins = 0;
}

/* A decimal number at the start of s (digits first: no sign, no space);
 * *end is what follows it. */
static int cfd__parse_leading_number(const char *s, unsigned long long *v, char **end)
{
    if (!isdigit((unsigned char)*s))
        return CFD_EINVAL;
    errno = 0;
    *v = strtoull(s, end, 10);
    return errno ? CFD_EINVAL : 0;
}

int cfd_config_parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long long v;
    if (cfd__parse_leading_number(s, &v, &end) != 0)
        return CFD_EINVAL;
    unsigned shift = 0;
    if (*end && end[1] == '\0' && strchr("kKmMgG", *end)) {
        shift = (*end == 'k' || *end == 'K') ? 10 : (*end == 'm' || *end == 'M') ? 20 : 30;
        end++;
    }
    if (*end || v > (SIZE_MAX >> shift))
        return CFD_EINVAL;
    *out = (size_t)(v << shift);
    return 0;
}

int cfd_config_parse_duration(const char *s, unsigned *ms)
{
    char *end;
    unsigned long long v;
    if (cfd__parse_leading_number(s, &v, &end) != 0)
        return CFD_EINVAL;
    unsigned long long mul;
    if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
        mul = 1000;
    else if (strcmp(end, "ms") == 0)
        mul = 1;
    else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
        mul = 60000;
    else
        return CFD_EINVAL;
    if (v > UINT_MAX / mul)
        return CFD_EINVAL;
    *ms = (unsigned)(v * mul);
    return 0;
}

int cfd_config_set_str(char **slot, const char *v)
{
    char *d = strdup(v);
    if (d == NULL)
        return CFD_ENOMEM;
    free(*slot);
    *slot = d;
    return 0;
}

/* A string value the config file can hold as written: no control
 * characters, no space at either end (INI values are trimmed), no ';' at
 * the start or after a space (libinih reads it as a comment), short enough
 * for one line of the file (see ini_file.h). Found by fuzz_config. */
int cfd_config_str_valid(const char *v)
{
    size_t n = strlen(v);
    if (n > CFD_CONFIG_MAX_VALUE || isspace((unsigned char)v[0]) ||
        (n > 0 && isspace((unsigned char)v[n - 1])) || v[0] == ';')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c == 0x7f || (c == ';' && isspace((unsigned char)v[i - 1])))
            return 0;
    }
    return 1;
}

int cfd_config_set_tcp(cfd_config *c, const char *v, cfd_error *err)
{
    if (!cfd_config_str_valid(v))
        goto bad;
    if (strcmp(v, "off") == 0 || strcmp(v, "") == 0) {
        free(c->tcp_host);
        c->tcp_host = NULL;
        return 0;
    }
    const char *colon = strrchr(v, ':');
    if (colon == NULL || colon == v)
        goto bad;
    char *end;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (errno || *end || colon[1] == '\0' || port > 65535)
        goto bad;
    size_t hl = (size_t)(colon - v);
    if (v[0] == '[' && hl >= 2 && v[hl - 1] == ']') { /* [::1]:8080 */
        v++;
        hl -= 2;
    }
    char *h = strndup(v, hl);
    if (h == NULL)
        return CFD_ENOMEM;
    free(c->tcp_host);
    c->tcp_host = h;
    c->tcp_port = (unsigned)port;
    return 0;
bad:
    return cfd_error_set(err, CFD_EINVAL, (size_t)-1,
                         "tcp: expected HOST:PORT (e.g. 127.0.0.1:8080) or \"off\", got \"%s\"", v);
}

/* The next name of a list "a,b c" (commas and spaces separate), or NULL. */
static const char *cfd__next_name(const char **pp, size_t *len)
{
    const char *p = *pp;
    while (*p == ',' || isspace((unsigned char)*p))
        p++;
    const char *q = p;
    while (*q && *q != ',' && !isspace((unsigned char)*q))
        q++;
    *pp = q;
    *len = (size_t)(q - p);
    return q > p ? p : NULL;
}

/* Sets the plugin list from "a,b c"; with append (the same file naming
 * `enable` again, or an indented continuation line) the names add up.
 * Names must be plugin names, or the daemon would look for files it can
 * never load and --check-config would print a list that reads back
 * differently (found by fuzz_config). */
int cfd_config_set_list(cfd_config *c, const char *v, int append)
{
    const char *name;
    size_t len;
    for (const char *p = v; (name = cfd__next_name(&p, &len)) != NULL;)
        if (!cfd_plugin_name_valid(name, len))
            return CFD_EINVAL; /* the list stays as it was */
    if (!append)
        cfd_config_free_list(c);
    for (const char *p = v; (name = cfd__next_name(&p, &len)) != NULL;) {
        char **n = realloc(c->plugins, (c->n_plugins + 1) * sizeof(*n));
        if (n == NULL)
            return CFD_ENOMEM;
        c->plugins = n;
        if ((n[c->n_plugins] = strndup(name, len)) == NULL)
            return CFD_ENOMEM;
        c->n_plugins++;
    }
    return 0;
}

/* A model file name the config file can hold: non-empty and a valid string
 * value (cfd_config_str_valid; " x.cfdm" from a --model flag would read back as
 * another name, found by fuzz_config). */
static int cfd__model_file_valid(const char *file)
{
    return file[0] != '\0' && cfd_config_str_valid(file);
}

int cfd_config_add_model(cfd_config *c, const char *plugin, size_t plen, const char *file)
{
    /* Only real plugin names and usable file names: anything else (spaces,
     * an empty name) names no plugin, and --check-config would print it
     * back as a line that reads differently (found by fuzz_config). */
    if (!cfd_plugin_name_valid(plugin, plen) || !cfd__model_file_valid(file))
        return CFD_EINVAL;
    for (size_t i = 0; i < c->n_models; i++) {
        if (strlen(c->models[i].plugin) == plen && memcmp(c->models[i].plugin, plugin, plen) == 0) {
            char *f = strdup(file);
            if (f == NULL)
                return CFD_ENOMEM;
            free((char *)c->models[i].model_file);
            c->models[i].model_file = f;
            return 0;
        }
    }
    cfd_engine_model_override *n = realloc(c->models, (c->n_models + 1) * sizeof(*n));
    if (n == NULL)
        return CFD_ENOMEM;
    c->models = n;
    char *p = strndup(plugin, plen), *f = strdup(file);
    if (p == NULL || f == NULL) {
        free(p);
        free(f);
        return CFD_ENOMEM;
    }
    n[c->n_models].plugin = p;
    n[c->n_models].model_file = f;
    c->n_models++;
    return 0;
}
