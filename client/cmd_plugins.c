/*
 * classifyctl plugins: what the daemon serves -- each plugin, its labels,
 * its current model (version, checksum prefix, when and how fast it loaded)
 * and the previous model a rollback would return to.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ctl.h"
#include "term.h"

static const char *cfd__s(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "-";
}

static void cfd__model_line(const char *tag, const cJSON *m)
{
    if (!cJSON_IsObject(m)) {
        printf("  %-9s (none)\n", tag);
        return;
    }
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(m, "load_ms");
    printf("  %-9s %s  version %s  checksum %.16s  loaded %s", tag, cfd__s(m, "file"),
           cfd__s(m, "version"), cfd__s(m, "checksum"), cfd__s(m, "loaded_at"));
    if (cJSON_IsNumber(ms))
        printf(" in %.0f ms", ms->valuedouble);
    putchar('\n');
}

int cfd_cmd_plugins(cfd_ctl *ctl, int argc, char **argv)
{
    if (argc != 0) {
        fprintf(stderr, "classifyctl: plugins takes no arguments\n");
        return CFD_CTL_EUSAGE;
    }
    cfd_http_reply reply;
    cfd_http_reply_init(&reply);
    int rc = cfd_ctl_call(ctl, "plugins", "GET", "/v1/plugins", NULL, NULL, 0, NULL, NULL,
                          &reply);
    if (rc != CFD_CTL_OK)
        goto done;
    cJSON *root = cJSON_ParseWithLength(reply.body.data, reply.body.len);
    const cJSON *plugins = cJSON_GetObjectItemCaseSensitive(root, "plugins");
    if (ctl->json || !cJSON_IsArray(plugins)) {
        cfd_ctl_print_json(reply.body.data, reply.body.len);
        cJSON_Delete(root);
        goto done;
    }
    const cJSON *p;
    cJSON_ArrayForEach(p, plugins) {
        printf("%s: %s\n", cfd__s(p, "name"), cfd__s(p, "description"));
        const cJSON *labels = cJSON_GetObjectItemCaseSensitive(p, "labels");
        printf("  labels    (%d)", cJSON_GetArraySize(labels));
        const cJSON *l;
        cJSON_ArrayForEach(l, labels) {
            if (cJSON_IsString(l))
                printf(" %s", l->valuestring);
        }
        putchar('\n');
        cfd__model_line("model", cJSON_GetObjectItemCaseSensitive(p, "model"));
        cfd__model_line("previous", cJSON_GetObjectItemCaseSensitive(p, "previous"));
    }
    cJSON_Delete(root);
done:
    cfd_http_reply_free(&reply);
    return rc;
}
