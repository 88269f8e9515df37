/*
 * One line per swapped plugin: see swap_print.h.
 */
#include "swap_print.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

static const char *cfd__s(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Prints one {"plugin","model","previous"} (or error) object; 0 if it had that shape. */
static int cfd__one(const cJSON *o)
{
    const char *plugin = cfd__s(o, "plugin");
    if (!plugin)
        plugin = cfd__s(o, "name");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "model");
    const cJSON *prev = cJSON_GetObjectItemCaseSensitive(o, "previous");
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(o, "error");
    if (!plugin || (!cJSON_IsObject(m) && !cJSON_IsObject(err)))
        return -1;
    if (cJSON_IsObject(err)) {
        printf("%s: not swapped: %s: %s (the old model keeps serving)\n", plugin,
               cfd__s(err, "code") ? cfd__s(err, "code") : "error",
               cfd__s(err, "message") ? cfd__s(err, "message") : "");
        return 0;
    }
    printf("%s: now serving %s version %s (checksum %.16s)", plugin,
           cfd__s(m, "file") ? cfd__s(m, "file") : "model",
           cfd__s(m, "version") ? cfd__s(m, "version") : "?",
           cfd__s(m, "checksum") ? cfd__s(m, "checksum") : "?");
    if (cJSON_IsObject(prev))
        printf("; previous %s", cfd__s(prev, "version") ? cfd__s(prev, "version") : "?");
    putchar('\n');
    return 0;
}

/* cfd_swap_print on a reply already parsed (root may be NULL). */
static void cfd__print_parsed(const cfd_ctl *ctl, cJSON *root, const char *json, size_t len)
{
    int shown = -1;
    if (root && !ctl->json) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "plugins");
        if (!list)
            list = cJSON_GetObjectItemCaseSensitive(root, "results");
        if (cJSON_IsArray(list)) {
            const cJSON *o;
            shown = 0;
            cJSON_ArrayForEach(o, list)
                shown |= cfd__one(o);
        } else if (cJSON_IsObject(list)) {
            /* {"plugins":{"topic":{...},...}} */
            const cJSON *o;
            shown = 0;
            cJSON_ArrayForEach(o, list) {
                if (!cfd__s(o, "plugin") && cJSON_IsObject(o))
                    cJSON_AddStringToObject((cJSON *)o, "plugin", o->string);
                shown |= cfd__one(o);
            }
        } else {
            shown = cfd__one(root);
        }
    }
    if (shown != 0)
        cfd_ctl_print_json(json, len);
    /* The decision rules checked against the plugins as they now are: a
     * swap that turned a review rule off says so (also with --format json,
     * where the reply carries them too). */
    const cJSON *warnings = root ? cJSON_GetObjectItemCaseSensitive(root, "warnings") : NULL;
    const cJSON *w;
    cJSON_ArrayForEach(w, warnings)
        if (cJSON_IsString(w))
            fprintf(stderr, "classifyctl: warning: %s\n", w->valuestring);
}

void cfd_swap_print(const cfd_ctl *ctl, const char *json, size_t len)
{
    cJSON *root = cJSON_ParseWithLength(json, len);
    cfd__print_parsed(ctl, root, json, len);
    cJSON_Delete(root);
}

int cfd_swap_post(cfd_ctl *ctl, const char *what, const char *target, const char *body,
                  size_t body_len)
{
    cfd_http_reply reply;
    cfd_http_reply_init(&reply);
    int rc = cfd_ctl_call(ctl, what, "POST", target, body_len ? "application/json" : NULL,
                          body_len ? body : NULL, body_len, NULL, NULL, &reply);
    if (rc == CFD_CTL_OK) {
        cfd_swap_print(ctl, reply.body.data, reply.body.len);
    } else if (rc == CFD_CTL_EDAEMON && reply.body.len) {
        cJSON *root = cJSON_ParseWithLength(reply.body.data, reply.body.len);
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
        /* A reload of everything that failed for some plugins: the daemon
         * also says what each plugin did (some may have swapped). */
        if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "plugins")))
            cfd__print_parsed(ctl, root, reply.body.data, reply.body.len);
        else if (reply.status == 403 && cfd__s(err, "code") &&
                 strcmp(cfd__s(err, "code"), "forbidden") == 0)
            fprintf(stderr, "classifyctl: admin calls are accepted only from the daemon's own "
                            "user or root\n");
        cJSON_Delete(root);
    }
    cfd_http_reply_free(&reply);
    return rc;
}

int cfd_swap_valid_plugin(const char *name)
{
    /* the daemon's rule for the admin paths (daemon/router.c) */
    if (!*name || strlen(name) > 32)
        return 0;
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return 0;
    }
    return 1;
}
