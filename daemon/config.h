/*
 * classifyd's configuration: defaults, the INI file (parsed with inih) and
 * command-line flags. Every option exists in both forms with the same name:
 * the flag `--read-timeout 5s` is the key `read_timeout = 5s` in the file
 * (dashes and underscores are interchangeable). Flags win over the file.
 *
 * The defaults are repository-relative so that `./build/bin/classifyd` run
 * from the repository root serves ./models with the plugins built in
 * ./build/lib/classifyd/plugins on ./run/classifyd.sock; an installed daemon
 * (cfd_config_installed) defaults to /run/classifyd/classifyd.sock and the
 * directories `cmake --install` wrote. etc/classifyd.conf documents every
 * option and sets each to its default.
 *
 * Ownership: cfd_config owns every string in it; cfd_config_free releases
 * them. Threads: main thread only, before the loops start; afterwards the
 * struct is read-only and may be read from any thread.
 */
#ifndef CFD_CONFIG_H
#define CFD_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include <classifyd/error.h>

#include "buf.h"
#include "engine.h"

/* The longest path or file name an option takes: a config file line is at
 * most CFD_INI_MAX_LINE (196) bytes (ini_file.h), and --check-config must
 * print every configuration as a file that reads back the same. */
#define CFD_CONFIG_MAX_VALUE 160

typedef struct cfd_config {
    char *config_file;          /* NULL = none */

    /* listening */
    char *socket_path;
    unsigned socket_mode;       /* permission bits of the socket file */
    char *tcp_host;             /* NULL = no TCP listener */
    unsigned tcp_port;
    unsigned workers;           /* event loops; 0 = one per available core */
    unsigned max_connections;   /* open connections over all loops */
    unsigned busy_poll_us;      /* poll, not sleep, this long after a read; 0 = off */

    /* limits and timeouts */
    size_t max_body;            /* bytes of one request body (413 above) */
    size_t max_body_memory;     /* bytes of bodies being received, over all loops
                                   (503 body_memory_exhausted above; body_budget.h) */
    size_t max_header;          /* bytes of request line + headers (431) */
    size_t max_pending_output;  /* per connection: stop reading above this */
    unsigned idle_timeout_ms;   /* keep-alive connection without a request */
    unsigned read_timeout_ms;   /* first byte to last byte of one request */
    unsigned shutdown_grace_ms; /* SIGTERM: time to finish in-flight requests */

    /* logging */
    int log_level;              /* CFD_LOG_* */
    int log_journal;            /* -1 auto (JOURNAL_STREAM names fd 2), 0 no, 1 yes */
    char *request_log;          /* NULL = off; "-" = stderr */

    /* engine */
    char *models_dir;
    char *plugin_dir;
    char *aggregate_file;       /* NULL = the engine's default */
    char **plugins;             /* NULL = every plugin in plugin_dir */
    size_t n_plugins;
    cfd_engine_model_override *models; /* strings owned by the config */
    size_t n_models;

    /* actions */
    int help, version, check_config;

    /* Where max_body and max_body_memory were set, for cfd_config_check's
     * message: 0 the default, > 0 that line of config_file, -1 a flag. */
    int max_body_line, max_body_memory_line;
} cfd_config;

/* 1 when this process is the installed daemon (CFD_INSTALL_SBINDIR/classifyd). */
int cfd_config_installed(void);

void cfd_config_defaults(cfd_config *c);
void cfd_config_free(cfd_config *c);

/*
 * Sets one option by name (flag name without "--", or file key). Returns 0,
 * CFD_ENOENT for an unknown name, CFD_EINVAL for a bad value; err says which
 * and what is expected.
 */
int cfd_config_set(cfd_config *c, const char *name, const char *value, cfd_error *err);

/* Reads an INI file. Errors name the file and line. */
int cfd_config_load_file(cfd_config *c, const char *path, cfd_error *err);

/*
 * The whole start-up sequence: defaults, then the file named by --config /
 * -c (if any), then every other flag. Returns 0 or CFD_EINVAL with err set.
 */
int cfd_config_from_args(cfd_config *c, int argc, char **argv, cfd_error *err);

/*
 * What single values cannot say: max_body_memory must hold one whole body
 * (>= max_body). The error names the file and line (or the flag) of the
 * values. cfd_config_from_args calls it once every flag is applied (flags
 * win over the file, so the file alone is not checked). Returns 0 or
 * CFD_EINVAL.
 */
int cfd_config_check(const cfd_config *c, cfd_error *err);

/* Fills the engine's view of the configuration (pointers into c). */
void cfd_config_engine(const cfd_config *c, cfd_engine_config *ec);

/* The effective configuration in file syntax (for --check-config). */
int cfd_config_dump(const cfd_config *c, cfd_buf *out);

void cfd_config_usage(FILE *f);

/* Parsers shared with the tests: "1M", "64K", "1024" -> bytes;
 * "10s", "500ms", "2m", "10" (seconds) -> milliseconds. */
int cfd_config_parse_size(const char *s, size_t *out);
int cfd_config_parse_duration(const char *s, unsigned *ms);

#endif
