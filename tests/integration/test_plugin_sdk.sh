#!/usr/bin/env bash
# A plugin written out of tree, as docs/PLUGINS.md shows: one C file built
# with the documented `cc ... -shared` line against include/classifyd, put in
# a plugin directory of its own next to the built-in plugins' copies. It
# calls the error.h functions the daemon exports (cfd_error_set on a bad
# model file), and its results come back in replies. Checked:
#   - the shared object exports only classifyd_plugin;
#   - the daemon loads it and serves its label for every article;
#   - a model file it refuses is reported with the plugin's own message (the
#     call to cfd_error_set resolved in the daemon), and the old model keeps
#     serving.
. "$(dirname "$0")/lib.sh"
it_init "$@"
command -v cc >/dev/null || it_die "no C compiler (cc) to build the plugin with"

it_models || it_die "no models"
mkdir -p "$IT_TMP/plugins"
cp "$PLUGINS"/*.so "$IT_TMP/plugins/"
PLUGINS=$IT_TMP/plugins
cat >"$IT_TMP/desk.c" <<'C'
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <classifyd/plugin.h>

typedef struct { char checksum[17]; } desk_model;
static const char *const labels[] = {"데스크", "기타"};

static int my_load(const char *path, void **model, cfd_plugin_model_info *info, cfd_error *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return cfd_error_set(err, CFD_ENOENT, (size_t)-1, "%s: cannot open", path);
    char line[64] = "";
    if (fgets(line, sizeof line, f) == NULL || strncmp(line, "desk v1", 7) != 0) {
        fclose(f);
        return cfd_error_set(err, CFD_EFORMAT, 0, "%s: not a desk model (first line must be "
                             "'desk v1')", path);
    }
    fclose(f);
    desk_model *m = calloc(1, sizeof *m);
    if (m == NULL)
        return cfd_error_set(err, CFD_ENOMEM, (size_t)-1, "out of memory");
    strcpy(m->checksum, "0123456789abcdef");
    *model = m;
    info->name = "desk";
    info->version = "v1";
    info->checksum = m->checksum;
    info->n_labels = 2;
    info->labels = labels;
    return 0;
}

static void my_unload(void *model) { free(model); }

static int my_classify(const void *model, const cfd_plugin_input *in, cfd_plugin_output *out)
{
    (void)model;
    int desk = memmem(in->body, in->body_len, "데스크", strlen("데스크")) != NULL;
    out->probs[0] = desk ? 0.9f : 0.1f;
    out->probs[1] = desk ? 0.1f : 0.9f;
    return 0;
}

CFD_PLUGIN_EXPORT const struct cfd_plugin classifyd_plugin = {
    CFD_PLUGIN_HEADER,
    .name = "desk",
    .description = "test plugin built out of tree",
    .default_model = "desk.txt",
    .load = my_load, .unload = my_unload, .classify = my_classify,
};
C
printf 'desk v1\n' > "$MODELS/desk.txt"
printf 'not a desk model\n' > "$MODELS/bad-desk.txt"
cc -std=gnu11 -O2 -fPIC -fvisibility=hidden -I"$SRC/include" -shared \
   -o "$PLUGINS/desk.so" "$IT_TMP/desk.c" || it_die "cannot build desk.so"
it_eq "the plugin exports only classifyd_plugin" "classifyd_plugin" \
  "$(nm -D --defined-only "$PLUGINS/desk.so" | awk '{print $3}' | sort | tr '\n' ' ' | sed 's/ $//')"

it_start_daemon
out=$(curl -sS --max-time 10 --unix-socket "$SOCK" -H 'Content-Type: application/json' \
      --data-binary '{"body":"편집 데스크 회의에서 결정했다"}' http://localhost/v1/classify)
it_eq "the out-of-tree plugin's label is in the reply" "데스크 v1" \
  "$(it_json 'd["results"]["desk"]["label"] + " " + d["results"]["desk"]["model"]["version"]' <<<"$out")"
st=$(curl -sS --max-time 10 --unix-socket "$SOCK" -o "$IT_TMP/bad.json" -w '%{http_code}' \
     -H 'Content-Type: application/json' --data-binary '{"model":"bad-desk.txt"}' \
     http://localhost/v1/plugins/desk/model)
it_eq "a model the plugin refuses: 422" 422 "$st"
it_match "the plugin's own message, through cfd_error_set in the daemon" \
  "not a desk model \\(first line must be 'desk v1'\\)" "$(cat "$IT_TMP/bad.json")"
out=$(curl -sS --max-time 10 --unix-socket "$SOCK" -H 'Content-Type: text/plain' \
      --data-binary '다른 기사' http://localhost/v1/classify)
it_eq "the old model keeps serving" "기타 v1" \
  "$(it_json 'd["results"]["desk"]["label"] + " " + d["results"]["desk"]["model"]["version"]' <<<"$out")"
it_stop_daemon; rc=$?
it_eq "daemon exits 0 on SIGTERM" 0 "$rc"
