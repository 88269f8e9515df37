/*
 * classifyd's main(): configuration, logging, the listening socket, the
 * engine, then the loops until SIGTERM/SIGINT. Exit status: 0 after a clean
 * stop (and for --help, --version, a good --check-config), 1 when start-up
 * fails, 2 for a command-line or configuration error.
 */
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <classifyd/plugin.h>

#include "config.h"
#include "errno_text.h"
#include "engine.h"
#include "log.h"
#include "server.h"

#ifndef CFD_VERSION
#define CFD_VERSION "0"
#endif

/* Is standard error the journal's stream? systemd sets JOURNAL_STREAM to
 * "DEV:INODE" of the stream it connects; the variable is inherited by
 * children whose stderr is something else (a shell in a terminal started
 * by a user service), so compare it with fd 2 (systemd.exec(5)). */
static int cfd__stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) != 0)
        return 0;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* 1,000 idle connections must fit: use the hard limit on open files. */
static void cfd__raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/*
 * Model tables are big (8 MB packed rows, 2 MB IDF) and are allocated and
 * freed on every hot swap, on the libuv pool's threads. glibc raises its
 * mmap threshold each time such a block is freed, so the next tables come
 * from the threads' heap arenas, which fragment and are not given back:
 * under bench/soak.sh's swaps every 5 s the daemon grew from 190 to 310 MB
 * in ten minutes. A fixed 1 MiB threshold keeps every block of that size
 * in its own mapping, returned whole on free (the same swap loop: 265 MB
 * -> 38 MB, flat). Requests allocate far less than 1 MiB, so the hot path
 * is untouched.
 */
static void cfd__malloc_policy(void)
{
    (void)mallopt(M_MMAP_THRESHOLD, 1 << 20);
}

/*
 * --check-config: what start-up would refuse about the paths, found without
 * creating anything: the socket path and the TCP host (listen.c's own
 * checks), the request log's file or directory. Returns the number of
 * problems (printed).
 */
static int cfd__check_paths(const cfd_config *cfg)
{
    int bad = 0;
    char copy[4096];
    cfd_error err;
    cfd_error_clear(&err);
    if (cfg->socket_path != NULL && cfd_server_check_socket_path(cfg->socket_path, &err) != 0) {
        fprintf(stderr, "classifyd: %s\n", err.msg);
        bad++;
    }
    cfd_error_clear(&err);
    if (cfg->tcp_host != NULL && cfd_server_check_tcp(cfg->tcp_host, cfg->tcp_port, &err) != 0) {
        fprintf(stderr, "classifyd: %s\n", err.msg);
        bad++;
    }
    const char *log = cfg->request_log;
    if (log != NULL && log[0] != '\0' && strcmp(log, "-") != 0) {
        struct stat st;
        int e = 0;
        snprintf(copy, sizeof(copy), "%s", log);
        if (stat(log, &st) == 0 && S_ISDIR(st.st_mode))
            e = EISDIR;
        else if (access(log, F_OK) == 0 ? access(log, W_OK) != 0
                                        : access(dirname(copy), W_OK | X_OK) != 0)
            e = errno;
        if (e != 0) {
            fprintf(stderr, "classifyd: cannot write the request log %s: %s (fix the path or "
                            "its permissions, or leave request_log unset)\n", log, cfd_errno_str(e));
            bad++;
        }
    }
    return bad;
}

int main(int argc, char **argv)
{
    cfd_config cfg;
    cfd_error err;
    cfd_server srv;
    cfd_engine *engine = NULL;
    int status = 1;

    cfd_config_defaults(&cfg);
    if (cfd_config_from_args(&cfg, argc, argv, &err) != 0) {
        fprintf(stderr, "classifyd: %s\n", err.msg);
        cfd_config_free(&cfg);
        return 2;
    }
    if (cfg.help) {
        cfd_config_usage(stdout);
        cfd_config_free(&cfg);
        return 0;
    }
    if (cfg.version) {
        printf("classifyd %s (plugin ABI %d.%d)\n", CFD_VERSION, CFD_PLUGIN_ABI_MAJOR,
               CFD_PLUGIN_ABI_MINOR);
        cfd_config_free(&cfg);
        return 0;
    }
    status = 1;
    int journal = cfg.log_journal >= 0 ? cfg.log_journal : cfd__stderr_is_journal();
    cfd_log_setup(cfg.log_level, journal);
    signal(SIGPIPE, SIG_IGN);
    cfd__raise_nofile();
    cfd__malloc_policy();

    cfd_engine_config ec;
    cfd_config_engine(&cfg, &ec);

    if (cfg.check_config) {
        cfd_error_clear(&err);
        if (cfd__check_paths(&cfg) != 0) {
            status = 2;
        } else if (cfd_engine_open(&ec, &engine, &err) != 0) {
            fprintf(stderr, "classifyd: %s\n", err.msg);
            status = 2;
        } else {
            cfd_buf b = CFD_BUF_INIT;
            int ready = cfd_engine_ready(engine);
            cfd_config_dump(&cfg, &b);
            fputs(b.data ? b.data : "", stdout);
            unsigned warnings = cfd_engine_rule_warnings(engine);
            if (ready && warnings == 0)
                printf("# configuration OK: every plugin has a model\n");
            else if (!ready)
                printf("# plugins load, but not every plugin has a model (see above)\n");
            else
                printf("# plugins and models load, but the decision rules do not fit them: "
                       "%u warning(s) above\n", warnings);
            cfd_buf_free(&b);
            cfd_engine_close(engine);
            status = ready && warnings == 0 ? 0 : 1;
        }
        cfd_config_free(&cfg);
        return status;
    }

    cfd_error_clear(&err);
    if (cfd_log_open_requests(cfg.request_log, &err) != 0) {
        cfd_log(CFD_LOG_ERROR, "%s", err.msg);
        goto out;
    }
    /* From the moment the socket exists, a SIGHUP or SIGTERM must not kill
     * the daemon that is still loading its models: held until the loops run. */
    cfd_server_hold_signals();
    cfd_error_clear(&err);
    if (cfd_server_listen(&srv, &cfg, &err) != 0) {
        cfd_log(CFD_LOG_ERROR, "%s", err.msg);
        goto out;
    }
    cfd_error_clear(&err);
    if (cfd_engine_open(&ec, &engine, &err) != 0) {
        cfd_log(CFD_LOG_ERROR, "%s", err.msg);
        cfd_server_close(&srv);
        goto out;
    }
    if (!cfd_engine_ready(engine))
        cfd_log(CFD_LOG_WARN, "not every plugin has a model: /readyz answers 503 until one "
                              "is loaded (see the errors above)");
    cfd_log(CFD_LOG_INFO, "classifyd %s: models %s, plugins %s", CFD_VERSION, cfg.models_dir,
            cfg.plugin_dir);
    cfd_error_clear(&err);
    if (cfd_server_run(&srv, engine, &err) != 0) {
        cfd_log(CFD_LOG_ERROR, "%s", err.msg);
        cfd_server_close(&srv);
        cfd_engine_close(engine);
        goto out;
    }
    cfd_server_close(&srv);
    cfd_engine_close(engine);
    cfd_log(CFD_LOG_INFO, "stopped");
    status = 0;
out:
    cfd_log_close_requests();
    cfd_config_free(&cfg);
    return status;
}
