/*
 * Parsing and checking one option's value, for config.c (internal to the
 * daemon; config.h has the public API, including cfd_config_parse_size and
 * cfd_config_parse_duration, which live in config_values.c too).
 *
 * Every function leaves *c unchanged when it refuses a value. Errors are
 * CFD_EINVAL (bad value) or CFD_ENOMEM. Threads: whoever owns *c.
 */
#ifndef CFD_CONFIG_VALUES_H
#define CFD_CONFIG_VALUES_H

#include <stddef.h>

#include "config.h"

/* A string a config file can hold as written (no control characters, no
 * space at either end, no ';' that inih would read as a comment, at most
 * CFD_CONFIG_MAX_VALUE bytes). */
int cfd_config_str_valid(const char *v);

/* Replaces *slot with a copy of v. */
int cfd_config_set_str(char **slot, const char *v);

/* "HOST:PORT", "[::1]:PORT" or "off"; err names the expected form. */
int cfd_config_set_tcp(cfd_config *c, const char *v, cfd_error *err);

/* Plugin names "a,b c" (plugin names only); append adds to the list. */
int cfd_config_set_list(cfd_config *c, const char *v, int append);
void cfd_config_free_list(cfd_config *c);

/* [models] plugin = file: sets or replaces plugin's override. */
int cfd_config_add_model(cfd_config *c, const char *plugin, size_t plen, const char *file);

#endif
