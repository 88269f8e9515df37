/*
 * classifyctl metrics: the daemon's Prometheus text, printed as served (it
 * is already meant for humans and for scrapers alike).
 */
#include <stdio.h>

#include "ctl.h"

int cfd_cmd_metrics(cfd_ctl *ctl, int argc, char **argv)
{
    if (argc != 0) {
        fprintf(stderr, "classifyctl: metrics takes no arguments\n");
        return CFD_CTL_EUSAGE;
    }
    cfd_http_reply reply;
    cfd_http_reply_init(&reply);
    int rc = cfd_ctl_call(ctl, "metrics", "GET", "/metrics", NULL, NULL, 0, NULL, NULL, &reply);
    if (rc == CFD_CTL_OK)
        fwrite(reply.body.data, 1, reply.body.len, stdout);
    cfd_http_reply_free(&reply);
    return rc;
}
