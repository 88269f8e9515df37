/*
 * classifyctl rollback PLUGIN: make the plugin's previous model current
 * again (POST /v1/plugins/PLUGIN/rollback); the one it replaces becomes the
 * previous, so a second rollback undoes the first. Admin call (daemon's own
 * user or root).
 */
#include <stdio.h>

#include "ctl.h"
#include "swap_print.h"

int cfd_cmd_rollback(cfd_ctl *ctl, int argc, char **argv)
{
    if (argc != 1) {
        fprintf(stderr, "classifyctl: usage: rollback PLUGIN\n");
        return CFD_CTL_EUSAGE;
    }
    if (!cfd_swap_valid_plugin(argv[0])) {
        fprintf(stderr, "classifyctl: '%s' is not a plugin name (see 'classifyctl plugins')\n",
                argv[0]);
        return CFD_CTL_EUSAGE;
    }
    char target[128], what[128];
    snprintf(target, sizeof target, "/v1/plugins/%s/rollback", argv[0]);
    snprintf(what, sizeof what, "rollback %s", argv[0]);
    cfd_http_reply reply;
    cfd_http_reply_init(&reply);
    int rc = cfd_ctl_call(ctl, what, "POST", target, NULL, NULL, 0, NULL, NULL, &reply);
    if (rc == CFD_CTL_OK)
        cfd_swap_print(ctl, reply.body.data, reply.body.len);
    else if (rc == CFD_CTL_EDAEMON && reply.status == 403)
        fprintf(stderr, "classifyctl: admin calls are accepted only from the daemon's own "
                        "user or root\n");
    cfd_http_reply_free(&reply);
    return rc;
}
