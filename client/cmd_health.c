/*
 * classifyctl health: is the daemon alive (/healthz) and ready to classify
 * (/readyz: every plugin has a model)? Exit 0 only when both hold, so it
 * doubles as a probe for scripts and service managers.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ctl.h"

int cfd_cmd_health(cfd_ctl *ctl, int argc, char **argv)
{
    if (argc != 0) {
        fprintf(stderr, "classifyctl: health takes no arguments\n");
        return CFD_CTL_EUSAGE;
    }
    cfd_http_reply live, ready;
    cfd_http_reply_init(&live);
    cfd_http_reply_init(&ready);
    int rc = cfd_ctl_call(ctl, "health (/healthz)", "GET", "/healthz", NULL, NULL, 0, NULL,
                          NULL, &live);
    if (rc != CFD_CTL_OK)
        goto done;
    /* /readyz answers 503 while not ready: that is an answer, not a failure
     * of the call, so fetch it without the error printing of cfd_ctl_call. */
    cfd_error err;
    cfd_error_clear(&err);
    if (!ctl->conn && cfd_http_connect(ctl->socket, ctl->timeout_ms, &ctl->conn, &err) != 0) {
        fprintf(stderr, "classifyctl: health (/readyz): %s\n", err.msg);
        rc = CFD_CTL_ECONNECT;
        goto done;
    }
    if (cfd_http_request(ctl->conn, "GET", "/readyz", NULL, NULL, 0, NULL, NULL, &ready,
                         &err) != 0) {
        fprintf(stderr, "classifyctl: health (/readyz): %s\n", err.msg);
        rc = CFD_CTL_ECONNECT;
        goto done;
    }
    int is_ready = ready.status == 200;
    if (ctl->json) {
        printf("{\"alive\":true,\"ready\":%s,\"readyz\":", is_ready ? "true" : "false");
        size_t n = ready.body.len;
        while (n > 0 && (ready.body.data[n - 1] == '\n' || ready.body.data[n - 1] == '\r'))
            n--;
        if (n)
            fwrite(ready.body.data, 1, n, stdout);
        else
            fputs("null", stdout);
        puts("}");
    } else {
        printf("alive: yes\nready: %s", is_ready ? "yes" : "no");
        if (!is_ready) {
            /* Show why, whatever shape the daemon gives the reason. */
            cJSON *root = cJSON_ParseWithLength(ready.body.data, ready.body.len);
            cJSON *ready_item = cJSON_DetachItemFromObjectCaseSensitive(root, "ready");
            cJSON_Delete(ready_item);
            char *why = root && cJSON_GetArraySize(root) ? cJSON_PrintUnformatted(root) : NULL;
            printf(" (HTTP %d%s%s)", ready.status, why ? ": " : "", why ? why : "");
            if (ready.retry_after[0])
                printf(", retry after %s s", ready.retry_after);
            cJSON_free(why);
            cJSON_Delete(root);
        }
        putchar('\n');
    }
    rc = is_ready ? CFD_CTL_OK : CFD_CTL_EDAEMON;
done:
    cfd_http_reply_free(&live);
    cfd_http_reply_free(&ready);
    return rc;
}
