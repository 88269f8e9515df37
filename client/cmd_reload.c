/*
 * classifyctl reload [PLUGIN] [MODEL]: put a model live without a restart.
 *   reload                 POST /v1/reload: every plugin's model file (the
 *                          one it serves now) and the aggregation rules (the
 *                          same as SIGHUP); when some plugins fail, what each
 *                          plugin did is printed after the error
 *   reload PLUGIN          POST /v1/plugins/PLUGIN/model {}: that plugin's
 *                          configured model file, read again
 *   reload PLUGIN MODEL    POST /v1/plugins/PLUGIN/model {"model":MODEL}:
 *                          MODEL is a file name inside the daemon's models
 *                          directory (the daemon refuses paths outside it)
 * An admin call: the daemon accepts it only from its own user or root.
 * When the load fails the old model keeps serving; the daemon's error is
 * printed and the exit code is 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ctl.h"
#include "swap_print.h"

int cfd_cmd_reload(cfd_ctl *ctl, int argc, char **argv)
{
    if (argc > 2) {
        fprintf(stderr, "classifyctl: usage: reload [PLUGIN] [MODEL]\n");
        return CFD_CTL_EUSAGE;
    }
    if (argc >= 1 && !cfd_swap_valid_plugin(argv[0])) {
        fprintf(stderr, "classifyctl: '%s' is not a plugin name (at most 32 of a-z, 0-9, "
                        "'-', '_'; see 'classifyctl plugins')\n", argv[0]);
        return CFD_CTL_EUSAGE;
    }
    cfd_buf target = CFD_BUF_INIT, body = CFD_BUF_INIT;
    char what[200];
    if (argc == 0) {
        cfd_buf_puts(&target, "/v1/reload");
        snprintf(what, sizeof what, "reload");
    } else {
        cfd_buf_printf(&target, "/v1/plugins/%s/model", argv[0]);
        if (argc == 2) {
            cfd_buf_puts(&body, "{\"model\":");
            cfd_buf_json_str(&body, argv[1], strlen(argv[1]));
            cfd_buf_putc(&body, '}');
            snprintf(what, sizeof what, "reload %s %s", argv[0], argv[1]);
        } else {
            cfd_buf_puts(&body, "{}");
            snprintf(what, sizeof what, "reload %s", argv[0]);
        }
    }
    int rc;
    if (target.oom || body.oom) {
        fprintf(stderr, "classifyctl: out of memory\n");
        rc = CFD_CTL_EINPUT;
        goto done;
    }
    rc = cfd_swap_post(ctl, what, target.data, body.data, body.len);
done:
    cfd_buf_free(&target);
    cfd_buf_free(&body);
    return rc;
}
