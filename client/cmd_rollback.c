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
        fprintf(stderr, "classifyctl: '%s' is not a plugin name (at most 32 of a-z, 0-9, "
                        "'-', '_'; see 'classifyctl plugins')\n", argv[0]);
        return CFD_CTL_EUSAGE;
    }
    char target[128], what[128];
    snprintf(target, sizeof target, "/v1/plugins/%s/rollback", argv[0]);
    snprintf(what, sizeof what, "rollback %s", argv[0]);
    return cfd_swap_post(ctl, what, target, NULL, 0);
}
