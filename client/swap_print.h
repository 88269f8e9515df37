/*
 * Printing the outcome of a model swap (reload, rollback) for classifyctl.
 * Shared by cmd_reload.c and cmd_rollback.c; both get
 * {"plugin":P,"model":{...},"previous":{...}} (or a list of such objects
 * for a reload of every plugin) and say, in one line per plugin, which
 * model version now serves and which one a rollback would return to.
 */
#ifndef CFD_CLIENT_SWAP_PRINT_H
#define CFD_CLIENT_SWAP_PRINT_H

#include <stddef.h>

#include "ctl.h"

void cfd_swap_print(const cfd_ctl *ctl, const char *json, size_t len);

/*
 * POSTs an admin call (target, with a JSON body when body_len > 0; `what`
 * names it in messages), prints the swap on success, explains a 403, and
 * returns cfd_ctl_call's code.
 */
int cfd_swap_post(cfd_ctl *ctl, const char *what, const char *target, const char *body,
                  size_t body_len);

/* 1 if name is a plausible plugin name (letters, digits, '-', '_'). */
int cfd_swap_valid_plugin(const char *name);

#endif
