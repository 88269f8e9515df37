/*
 * The rules plugin: evidence from an editor-maintained rules file
 * (models/rules.txt; format in rules_file.h) instead of a trained model.
 * It proves the plugin ABI is not tied to linear models: load() parses the
 * file and precompiles a matcher, classify() works on the raw text
 * (info.feat == NULL, so the daemon featurizes nothing for it), and the
 * labels it reports feed the aggregation like any other plugin's.
 *
 * A rules file has no model name, so info.any_name is set; its version is
 * the file's modification time and its checksum the file's XXH3-64.
 */
#include <string.h>

#include <classifyd/plugin.h>

#include "rules_file.h"

static int rules_load(const char *path, void **model, cfd_plugin_model_info *info,
                      cfd_error *err)
{
    cfd_rules *r;
    int rc = cfd_rules_load(path, &r, err);
    if (rc != 0)
        return rc;
    memset(info, 0, sizeof(*info));
    info->name = "rules";
    info->version = r->version;
    info->checksum = r->checksum;
    info->n_labels = r->n_labels;
    info->labels = (const char *const *)r->labels;
    info->feat = NULL;
    info->idf = NULL;
    info->any_name = 1;
    *model = r;
    return 0;
}

static void rules_unload(void *model) { cfd_rules_free(model); }

static int rules_classify(const void *model, const cfd_plugin_input *in, cfd_plugin_output *out)
{
    const cfd_rules *r = model;
    if (out->n_labels != r->n_labels)
        return CFD_EINVAL;
    cfd_rules_classify(r, in->title, in->title_len, in->body, in->body_len, out->probs,
                       &out->detail);
    return 0;
}

CFD_PLUGIN_EXPORT const struct cfd_plugin classifyd_plugin = {
    CFD_PLUGIN_HEADER,
    .name = "rules",
    .description = "editor-maintained keyword rules (label, weight, terms)",
    .default_model = "rules.txt",
    .load = rules_load,
    .unload = rules_unload,
    .classify = rules_classify,
};
