/*
 * Deliberately broken plugins for tests/daemon/test_plugin_loader.c, built
 * only when testing, into build/tests/plugins (never the real plugin
 * directory). One source; plugins/CMakeLists.txt compiles it once per
 * -DCFD_TEST_VARIANT_* below. The "good" variant is a working plugin whose
 * model file is plain text: line 1 the model name, line 2 its version, then
 * one label per line; classify gives every label the same probability. The
 * "flaky" variant fails on articles whose body starts with "fail", returns
 * an out-of-range probability when it starts with "range", and returns 0
 * without writing any probability when it starts with "skip" (a contract
 * breach the daemon must not answer with another article's values).
 * The V1_0* and SHORT_V1_1 variants check the ABI 1.0 / 1.1 boundary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <classifyd/plugin.h>

/* The variants override header fields set by CFD_PLUGIN_HEADER on purpose. */
#pragma GCC diagnostic ignored "-Woverride-init"

#ifndef CFD_TEST_NAME
#define CFD_TEST_NAME "good"
#endif

typedef struct test_model {
    char name[64];
    char version[64];
    char *labels[16];
    unsigned n;
} test_model;

static void test_unload(void *model)
{
    test_model *m = model;
    for (unsigned i = 0; i < m->n; i++)
        free(m->labels[i]);
    free(m);
}

static void chomp(char *s) { s[strcspn(s, "\r\n")] = '\0'; }

static int test_load(const char *path, void **model, cfd_plugin_model_info *info,
                     cfd_error *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return cfd_error_set(err, CFD_EIO, (size_t)-1, "%s: cannot open", path);
    test_model *m = calloc(1, sizeof(*m));
    char line[256];
    if (m == NULL || !fgets(m->name, sizeof(m->name), f) ||
        !fgets(m->version, sizeof(m->version), f)) {
        fclose(f);
        free(m);
        return cfd_error_set(err, CFD_EFORMAT, (size_t)-1, "%s: expected name and version",
                             path);
    }
    chomp(m->name);
    chomp(m->version);
    while (m->n < 16 && fgets(line, sizeof(line), f)) {
        chomp(line);
        if (line[0])
            m->labels[m->n++] = strdup(line);
    }
    fclose(f);
    memset(info, 0, sizeof(*info));
    info->name = m->name;
    info->version = m->version;
    info->checksum = "0123456789abcdef";
    info->n_labels = m->n;
    info->labels = (const char *const *)m->labels;
    *model = m;
    return 0;
}

__attribute__((unused)) static int test_classify(const void *model, const cfd_plugin_input *in, cfd_plugin_output *out)
{
    (void)model;
#if defined(CFD_TEST_VARIANT_FLAKY)
    if (in->body_len >= 4 && memcmp(in->body, "fail", 4) == 0)
        return CFD_EINVAL;
    if (in->body_len >= 4 && memcmp(in->body, "skip", 4) == 0)
        return 0;
#endif
    for (uint32_t i = 0; i < out->n_labels; i++)
        out->probs[i] = 1.0f / (float)out->n_labels;
#if defined(CFD_TEST_VARIANT_FLAKY)
    if (in->body_len >= 5 && memcmp(in->body, "range", 5) == 0)
        out->probs[0] = 2.0f;
    out->detail = 7;
#else
    (void)in;
#endif
    return 0;
}

#if defined(CFD_TEST_VARIANT_V1_0_SLOT)
static int test_explain(const void *model, const cfd_plugin_input *in,
                        cfd_plugin_explanation *ex)
{
    (void)model;
    (void)in;
    (void)ex;
    return 0;
}
#endif

#if defined(CFD_TEST_VARIANT_SHORT_SYMBOL)
/* Only the header, claiming the full struct: the daemon must not read the
 * fields the object does not have. */
CFD_PLUGIN_EXPORT const uint32_t classifyd_plugin[4] = {
    CFD_PLUGIN_ABI_MAJOR, CFD_PLUGIN_ABI_MINOR, (uint32_t)sizeof(struct cfd_plugin), 0};
CFD_PLUGIN_EXPORT const struct cfd_plugin not_the_plugin_symbol = {
#elif defined(CFD_TEST_VARIANT_FN_SYMBOL)
/* The right name on a function (a typo'd declaration). */
CFD_PLUGIN_EXPORT int classifyd_plugin(void);
CFD_PLUGIN_EXPORT int classifyd_plugin(void) { return 0; }
CFD_PLUGIN_EXPORT const struct cfd_plugin not_the_plugin_symbol = {
#elif defined(CFD_TEST_VARIANT_NO_SYMBOL)
CFD_PLUGIN_EXPORT const struct cfd_plugin not_the_plugin_symbol = {
#else
CFD_PLUGIN_EXPORT const struct cfd_plugin classifyd_plugin = {
#endif
    CFD_PLUGIN_HEADER,
#if defined(CFD_TEST_VARIANT_BAD_MAJOR)
    .abi_major = CFD_PLUGIN_ABI_MAJOR + 1,
#elif defined(CFD_TEST_VARIANT_BAD_MINOR)
    .abi_minor = CFD_PLUGIN_ABI_MINOR + 98,
#elif defined(CFD_TEST_VARIANT_BAD_SIZE)
    .struct_size = 16,
#elif defined(CFD_TEST_VARIANT_SPARE_SET)
    .spare = {NULL, (void *)"a later ABI's slot"},
#elif defined(CFD_TEST_VARIANT_V1_0)
    .abi_minor = 0, /* built for ABI 1.0: loads, explains nothing */
#elif defined(CFD_TEST_VARIANT_V1_0_SLOT)
    .abi_minor = 0, /* a 1.0 plugin setting the slot 1.0 called spare */
    .explain = test_explain,
#elif defined(CFD_TEST_VARIANT_SHORT_V1_1)
    .struct_size = (uint32_t)CFD_PLUGIN_SIZE_V1_0, /* 1.1 without room for explain */
#endif
    .name = CFD_TEST_NAME,
    .description = "test plugin",
    .default_model = "good.txt",
    .load = test_load,
    .unload = test_unload,
#if defined(CFD_TEST_VARIANT_NULL_FN)
    .classify = NULL,
#else
    .classify = test_classify,
#endif
};
