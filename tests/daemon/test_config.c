/*
 * Tests for daemon/config.c: defaults, sizes and durations, every kind of
 * option through flags and through an INI file, flags winning over the file,
 * and errors that name the option, file and line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

static char tmpfile_path[64];

static const char *write_ini(const char *text)
{
    snprintf(tmpfile_path, sizeof(tmpfile_path), "/tmp/cfd-test-config-XXXXXX");
    int fd = mkstemp(tmpfile_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return tmpfile_path;
}

static int from_args(cfd_config *c, cfd_error *err, int argc, char **argv)
{
    cfd_config_defaults(c);
    return cfd_config_from_args(c, argc, argv, err);
}

static void test_defaults(void **state)
{
    (void)state;
    cfd_config c;
    cfd_config_defaults(&c);
    assert_string_equal(c.socket_path, "run/classifyd.sock");
    assert_string_equal(c.models_dir, "models");
    assert_string_equal(c.plugin_dir, "build/lib/classifyd/plugins");
    assert_int_equal(c.socket_mode, 0660);
    assert_null(c.tcp_host);
    assert_int_equal(c.max_body, 1u << 20);
    assert_int_equal(c.max_body_memory, (size_t)256 << 20);
    assert_int_equal(c.shutdown_grace_ms, 10000);
    assert_int_equal(c.workers, 0);
    assert_int_equal(c.busy_poll_us, 0);
    assert_int_equal(c.log_level, CFD_LOG_INFO);
    cfd_config_free(&c);
}

static void test_sizes_and_durations(void **state)
{
    (void)state;
    size_t s;
    unsigned ms;
    assert_int_equal(cfd_config_parse_size("1024", &s), 0);
    assert_int_equal(s, 1024);
    assert_int_equal(cfd_config_parse_size("64K", &s), 0);
    assert_int_equal(s, 65536);
    assert_int_equal(cfd_config_parse_size("1m", &s), 0);
    assert_int_equal(s, 1 << 20);
    assert_int_equal(cfd_config_parse_size("2G", &s), 0);
    assert_int_equal(s, (size_t)2 << 30);
    assert_int_equal(cfd_config_parse_size("17179869183G", &s), 0); /* SIZE_MAX >> 30 */
    assert_int_equal(s, (size_t)17179869183u << 30);
    assert_int_equal(cfd_config_parse_size("17179869184G", &s), CFD_EINVAL);
    assert_int_equal(cfd_config_parse_size("1MB", &s), CFD_EINVAL);
    assert_int_equal(cfd_config_parse_size("-1", &s), CFD_EINVAL);
    assert_int_equal(cfd_config_parse_size("", &s), CFD_EINVAL);
    assert_int_equal(cfd_config_parse_duration("10", &ms), 0);
    assert_int_equal(ms, 10000);
    assert_int_equal(cfd_config_parse_duration("2s", &ms), 0);
    assert_int_equal(ms, 2000);
    assert_int_equal(cfd_config_parse_duration("250ms", &ms), 0);
    assert_int_equal(ms, 250);
    assert_int_equal(cfd_config_parse_duration("2m", &ms), 0);
    assert_int_equal(ms, 120000);
    assert_int_equal(cfd_config_parse_duration("1h", &ms), CFD_EINVAL);
    assert_int_equal(cfd_config_parse_duration("s", &ms), CFD_EINVAL);
    assert_int_equal(cfd_config_parse_duration("99999999999", &ms), CFD_EINVAL);
}

static void test_flags(void **state)
{
    (void)state;
    cfd_config c;
    cfd_error err;
    char *argv[] = {"classifyd", "--socket", "/tmp/x.sock", "--socket-mode=0600", "--tcp",
                    "127.0.0.1:8080", "--workers", "3", "--busy-poll", "300", "--max-body", "2M",
                    "--read-timeout=500ms", "--log-level", "debug", "--enable", "topic, section",
                    "--model", "section=section-v2.cfdm", "--model", "topic=t.cfdm",
                    "--model", "section=section-v3.cfdm", "--check-config", "--request-log", "-"};
    assert_int_equal(from_args(&c, &err, (int)(sizeof(argv) / sizeof(argv[0])), argv), 0);
    assert_string_equal(c.socket_path, "/tmp/x.sock");
    assert_int_equal(c.socket_mode, 0600);
    assert_string_equal(c.tcp_host, "127.0.0.1");
    assert_int_equal(c.tcp_port, 8080);
    assert_int_equal(c.workers, 3);
    assert_int_equal(c.busy_poll_us, 300);
    assert_int_equal(c.max_body, 2u << 20);
    assert_int_equal(c.read_timeout_ms, 500);
    assert_int_equal(c.log_level, CFD_LOG_DEBUG);
    assert_int_equal(c.n_plugins, 2);
    assert_string_equal(c.plugins[0], "topic");
    assert_string_equal(c.plugins[1], "section");
    assert_int_equal(c.n_models, 2); /* section given twice: the last wins */
    assert_string_equal(c.models[0].plugin, "section");
    assert_string_equal(c.models[0].model_file, "section-v3.cfdm");
    assert_string_equal(c.models[1].model_file, "t.cfdm");
    assert_int_equal(c.check_config, 1);
    assert_string_equal(c.request_log, "-");

    cfd_engine_config ec;
    cfd_config_engine(&c, &ec);
    assert_string_equal(ec.plugin_dir, c.plugin_dir);
    assert_int_equal(ec.n_plugins, 2);
    assert_string_equal(ec.plugins[1], "section");
    assert_int_equal(ec.n_models, 2);
    cfd_config_free(&c);
}

static void test_bad_flags(void **state)
{
    (void)state;
    static const char *const cases[][3] = {
        {"--workers", "many", "workers"},
        {"--workers", "257", "at most 256"}, /* refused when parsed: a file's line is named */
        {"--socket-mode", "999", "socket-mode"},
        {"--tcp", "8080", "HOST:PORT"},
        {"--tcp", "host:99999", "HOST:PORT"},
        {"--max-body", "0", "max-body"},
        {"--log-level", "loud", "log-level"},
        {"--model", "nofile", "model"},
        {"--frobnicate", "1", "unknown option"},
        {"--idle-timeout", "soon", "idle-timeout"},
        {"--read-timeout", "0", "read-timeout"},
        {"--busy-poll", "100001", "busy-poll"},
        {"--busy-poll", "-1", "busy-poll"},
        {"--busy-poll", "1ms", "busy-poll"},
        {"--socket-mode", "1777", "socket-mode"},   /* sticky/setuid bits: past 0777 */
        {"--tcp", "127.0.0.1:65536", "HOST:PORT"},
        {"--max-body", "17179869185G", "max-body"}, /* would wrap to 1 GiB */
        {"--max-connections", "0", "max-connections"},
        {"--tcp", ":8080", "HOST:PORT"},                /* no host */
        {"--socket", "/tmp/x\x7f.sock", "socket"},      /* DEL is a control character */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cfd_config c;
        cfd_error err;
        char *argv[] = {"classifyd", (char *)cases[i][0], (char *)cases[i][1]};
        assert_int_equal(from_args(&c, &err, 3, argv), CFD_EINVAL);
        if (strstr(err.msg, cases[i][2]) == NULL)
            fail_msg("message for %s %s lacks \"%s\": %s", cases[i][0], cases[i][1],
                     cases[i][2], err.msg);
        cfd_config_free(&c);
    }
    cfd_config c;
    cfd_error err;
    char *missing[] = {"classifyd", "--socket"};
    assert_int_equal(from_args(&c, &err, 2, missing), CFD_EINVAL);
    cfd_config_free(&c);
    char *positional[] = {"classifyd", "models"};
    assert_int_equal(from_args(&c, &err, 2, positional), CFD_EINVAL);
    cfd_config_free(&c);
    /* a value over the length limit says so, not "expected DIR" */
    char longv[200];
    memset(longv, 'a', sizeof longv - 1);
    longv[0] = '/';
    longv[sizeof longv - 1] = '\0';
    char *too_long[] = {"classifyd", "--models", longv};
    assert_int_equal(from_args(&c, &err, 3, too_long), CFD_EINVAL);
    assert_non_null(strstr(err.msg, "models: the value is 199 bytes long; at most 160"));
    cfd_config_free(&c);
}

/* The ends of each range are allowed: mode 0777, port 65535 (an IPv6
 * host in brackets), workers 0 (one per core), busy-poll 100000. */
static void test_range_ends(void **state)
{
    (void)state;
    cfd_config c;
    cfd_error err;
    char *argv[] = {"classifyd", "--socket-mode", "0777", "--tcp", "[::1]:65535",
                    "--workers", "0", "--busy-poll", "100000"};
    assert_int_equal(from_args(&c, &err, (int)(sizeof(argv) / sizeof(argv[0])), argv), 0);
    assert_int_equal(c.socket_mode, 0777);
    assert_string_equal(c.tcp_host, "::1");
    assert_int_equal(c.tcp_port, 65535);
    assert_int_equal(c.workers, 0);
    assert_int_equal(c.busy_poll_us, 100000);
    cfd_config_free(&c);
}

/* --enable given twice adds up, as `enable` twice in a file does; the first
 * flag still replaces the file's list (flags win). Review 2026-11-28: the
 * second flag silently dropped the first one's plugins. */
static void test_enable_flags_add_up(void **state)
{
    (void)state;
    const char *path = write_ini("[engine]\nenable = sentiment\n");
    cfd_config c;
    cfd_error err;
    char *argv[] = {"classifyd", "-c", (char *)path, "--enable", "topic",
                    "--enable=section,rules"};
    assert_int_equal(from_args(&c, &err, 6, argv), 0);
    assert_int_equal(c.n_plugins, 3);
    assert_string_equal(c.plugins[0], "topic");
    assert_string_equal(c.plugins[1], "section");
    assert_string_equal(c.plugins[2], "rules");
    cfd_config_free(&c);
    unlink(path);
}

static void test_file_and_flags(void **state)
{
    (void)state;
    const char *path = write_ini("# comment\n"
                                 "[server]\n"
                                 "socket = /run/classifyd/classifyd.sock\n"
                                 "socket_mode = 0640\n"
                                 "workers = 4\n"
                                 "shutdown_grace = 3s\n"
                                 "tcp = off\n"
                                 "[limits]\n"
                                 "max_body = 512K ; inline comment\n"
                                 "idle_timeout = 30s\n"
                                 "[log]\n"
                                 "log_level = warn\n"
                                 "log_journal = yes\n"
                                 "[engine]\n"
                                 "models = /usr/share/classifyd/models\n"
                                 "plugins = /usr/lib/classifyd/plugins\n"
                                 "aggregate = rules.conf\n"
                                 "[models]\n"
                                 "section = section-v2.cfdm\n");
    cfd_config c;
    cfd_error err;
    char *argv[] = {"classifyd", "--workers", "2", "-c", (char *)path};
    assert_int_equal(from_args(&c, &err, 5, argv), 0);
    assert_string_equal(c.socket_path, "/run/classifyd/classifyd.sock");
    assert_int_equal(c.socket_mode, 0640);
    assert_int_equal(c.workers, 2); /* the flag wins, wherever it is */
    assert_int_equal(c.shutdown_grace_ms, 3000);
    assert_int_equal(c.max_body, 512u << 10);
    assert_int_equal(c.idle_timeout_ms, 30000);
    assert_int_equal(c.log_level, CFD_LOG_WARN);
    assert_int_equal(c.log_journal, 1);
    assert_string_equal(c.models_dir, "/usr/share/classifyd/models");
    assert_string_equal(c.aggregate_file, "rules.conf");
    assert_int_equal(c.n_models, 1);
    assert_string_equal(c.models[0].model_file, "section-v2.cfdm");
    assert_string_equal(c.config_file, path);

    /* The dump is itself a valid file that gives the same configuration. */
    cfd_buf b = CFD_BUF_INIT;
    assert_int_equal(cfd_config_dump(&c, &b), 0);
    assert_non_null(strstr(b.data, "max_body = 524288\n"));
    assert_non_null(strstr(b.data, "max_body_memory = 268435456\n"));
    assert_non_null(strstr(b.data, "section = section-v2.cfdm\n"));
    unlink(path);
    const char *again = write_ini(b.data);
    cfd_config d;
    cfd_config_defaults(&d);
    assert_int_equal(cfd_config_load_file(&d, again, &err), 0);
    assert_string_equal(d.socket_path, c.socket_path);
    assert_int_equal(d.max_body, c.max_body);
    assert_int_equal(d.workers, c.workers);
    assert_int_equal(d.busy_poll_us, c.busy_poll_us); /* "busy_poll = 0" reads back */
    assert_int_equal(d.idle_timeout_ms, c.idle_timeout_ms);
    assert_int_equal(d.n_models, 1);
    unlink(again);
    cfd_buf_free(&b);
    cfd_config_free(&d);
    cfd_config_free(&c);
}

static void test_file_errors(void **state)
{
    (void)state;
    cfd_config c;
    cfd_error err;
    const char *path = write_ini("[server]\nworkers = 2\nsocket_modee = 0600\n");
    cfd_config_defaults(&c);
    assert_int_equal(cfd_config_load_file(&c, path, &err), CFD_EINVAL);
    char where[80];
    snprintf(where, sizeof(where), "%s:3", path);
    assert_non_null(strstr(err.msg, where));
    assert_non_null(strstr(err.msg, "socket_modee"));
    unlink(path);
    cfd_config_free(&c);

    path = write_ini("[limits]\nworkers = 2\n");
    cfd_config_defaults(&c);
    assert_int_equal(cfd_config_load_file(&c, path, &err), CFD_EINVAL);
    assert_non_null(strstr(err.msg, "[server]"));
    unlink(path);
    cfd_config_free(&c);

    /* an unknown key in a misspelt section names the section */
    path = write_ini("[sever]\nfrobnicate = 2\n");
    cfd_config_defaults(&c);
    assert_int_equal(cfd_config_load_file(&c, path, &err), CFD_EINVAL);
    snprintf(where, sizeof(where), "%s:2", path);
    assert_non_null(strstr(err.msg, where));
    assert_non_null(strstr(err.msg, "unknown section [sever]"));
    assert_non_null(strstr(err.msg, "[server], [limits], [log], [engine], [models]"));
    unlink(path);
    cfd_config_free(&c);
    path = write_ini("[log]\nfrobnicate = 2\n");
    cfd_config_defaults(&c);
    assert_int_equal(cfd_config_load_file(&c, path, &err), CFD_EINVAL);
    assert_non_null(strstr(err.msg, "unknown option \"frobnicate\" in [log]"));
    unlink(path);
    cfd_config_free(&c);

    path = write_ini("[server]\nthis is not ini\n");
    cfd_config_defaults(&c);
    assert_int_equal(cfd_config_load_file(&c, path, &err), CFD_EINVAL);
    unlink(path);
    cfd_config_free(&c);

    cfd_config_defaults(&c);
    assert_int_equal(cfd_config_load_file(&c, "/nonexistent/classifyd.conf", &err), CFD_ENOENT);
    assert_non_null(strstr(err.msg, "/nonexistent/classifyd.conf"));
    /* names what the file is and what to do (it said "PATH: cannot open") */
    assert_non_null(strstr(err.msg, "config file /nonexistent/classifyd.conf does not exist"));
    assert_non_null(strstr(err.msg, "--config"));
    cfd_config_free(&c);
}

/* max_body_memory must hold one whole body: refused when smaller than
 * max_body, however each was set, with the file and line of the value
 * from the file; checked once the flags are applied (they win over the
 * file), so the keys' order in the file does not matter. */
static void test_body_memory_relation(void **state)
{
    (void)state;
    cfd_config c;
    cfd_error err;
    char where[96];

    char *flags[] = {"classifyd", "--max-body-memory", "32K"};
    assert_int_equal(from_args(&c, &err, 3, flags), CFD_EINVAL);
    assert_non_null(strstr(err.msg, "max_body_memory (32768 bytes, --max-body-memory) is "
                                    "smaller than max_body (1048576 bytes, the default)"));
    cfd_config_free(&c);
    char *ok_flags[] = {"classifyd", "--max-body-memory", "64K", "--max-body=64K"};
    assert_int_equal(from_args(&c, &err, 4, ok_flags), 0); /* equal is enough */
    assert_int_equal(c.max_body_memory, 64u << 10);
    cfd_config_free(&c);

    const struct {
        const char *text;
        int line; /* named in the error, 0 = accepted */
    } files[] = {
        {"[limits]\nmax_body = 2M\nmax_body_memory = 1M\n", 3},
        {"[limits]\nmax_body_memory = 1M\n\nmax_body = 2M\n", 2},
        {"[limits]\nmax_body = 512M\n", 2},     /* over the default budget */
        {"[limits]\nmax_body = 512M\nmax_body_memory = 1G\n", 0},
        {"[limits]\nmax_body_memory = 1G\nmax_body = 512M\n", 0},
        {"[limits]\nmax_body_memory = 1M\nmax_body = 1M\n", 0},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        const char *path = write_ini(files[i].text);
        char *argv[] = {"classifyd", "-c", (char *)path};
        int rc = from_args(&c, &err, 3, argv);
        if (files[i].line == 0) {
            if (rc != 0)
                fail_msg("case %zu refused: %s", i, err.msg);
        } else {
            assert_int_equal(rc, CFD_EINVAL);
            snprintf(where, sizeof where, "%s:%d: max_body_memory", path, files[i].line);
            if (strstr(err.msg, where) == NULL)
                fail_msg("case %zu: \"%s\" not in: %s", i, where, err.msg);
        }
        cfd_config_free(&c);
        unlink(path);
    }

    /* A flag fixes what the file alone got wrong, and a flag can break it. */
    const char *path = write_ini("[limits]\nmax_body_memory = 512K\n");
    char *fixed[] = {"classifyd", "-c", (char *)path, "--max-body", "256K"};
    assert_int_equal(from_args(&c, &err, 5, fixed), 0);
    cfd_config_free(&c);
    char *broken[] = {"classifyd", "-c", (char *)path, "--max-body", "1M"};
    assert_int_equal(from_args(&c, &err, 5, broken), CFD_EINVAL);
    snprintf(where, sizeof where, "%s:2: ", path);
    assert_non_null(strstr(err.msg, where));
    assert_non_null(strstr(err.msg, "(1048576 bytes, --max-body)"));
    cfd_config_free(&c);
    unlink(path);
}

/* The shipped example file must load as it is. */
static void test_example_file(void **state)
{
    (void)state;
    cfd_config c;
    cfd_error err;
    cfd_config_defaults(&c);
    int rc = cfd_config_load_file(&c, CFD_SOURCE_DIR "/etc/classifyd.conf", &err);
    if (rc != 0)
        fail_msg("etc/classifyd.conf: %s", err.msg);

    /* Every value the example sets is the default it documents, so the file
     * changes nothing wherever it is used: from the source tree
     * (--config etc/classifyd.conf) or installed under any prefix. */
    cfd_config d;
    cfd_config_defaults(&d);
    cfd_buf from_file = CFD_BUF_INIT, defaults = CFD_BUF_INIT;
    assert_int_equal(cfd_config_dump(&c, &from_file), 0);
    assert_int_equal(cfd_config_dump(&d, &defaults), 0);
    assert_string_equal(from_file.data, defaults.data);
    cfd_buf_free(&from_file);
    cfd_buf_free(&defaults);
    cfd_config_free(&d);
    cfd_config_free(&c);
}

/* --help names both defaults of each path option: run from a source tree
 * (what cfd_config_defaults gives here) and installed. */
static void test_usage_path_defaults(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    cfd_config_usage(f);
    assert_int_equal(fclose(f), 0);
    cfd_config c;
    cfd_config_defaults(&c);
    const struct {
        const char *flag, *def;
    } paths[] = {{"--socket PATH", c.socket_path},
                 {"--models DIR", c.models_dir},
                 {"--plugins DIR", c.plugin_dir}};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        const char *line = strstr(text, paths[i].flag);
        assert_non_null(line);
        size_t n = strcspn(line, "\n");
        char want[256];
        snprintf(want, sizeof want, "(default %s; installed: ", paths[i].def);
        const char *hit = strstr(line, want);
        if (hit == NULL || hit > line + n)
            fail_msg("--help line \"%.*s\" does not say \"%s...\"", (int)n, line, want);
    }
    cfd_config_free(&c);
    free(text);
}

/* --check-config prints each section once, as a person would write it. */
static void test_dump_sections_once(void **state)
{
    (void)state;
    static const char *const sections[] = {"[server]\n", "[limits]\n", "[log]\n",
                                           "[engine]\n", "[models]\n"};
    cfd_config c;
    cfd_config_defaults(&c);
    cfd_buf b = CFD_BUF_INIT;
    assert_int_equal(cfd_config_dump(&c, &b), 0);
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        const char *first = strstr(b.data, sections[i]);
        if (first == NULL || strstr(first + 1, sections[i]) != NULL)
            fail_msg("%.*s appears %s in:\n%s", (int)strlen(sections[i]) - 1, sections[i],
                     first == NULL ? "never" : "twice", b.data);
    }
    cfd_buf_free(&b);
    cfd_config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_sizes_and_durations),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_bad_flags),
        cmocka_unit_test(test_range_ends),
        cmocka_unit_test(test_file_and_flags),
        cmocka_unit_test(test_enable_flags_add_up),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_body_memory_relation),
        cmocka_unit_test(test_example_file),
        cmocka_unit_test(test_dump_sections_once),
        cmocka_unit_test(test_usage_path_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
