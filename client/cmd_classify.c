/*
 * classifyctl classify [FILE|-]: one article, one reply.
 *
 * Input is plain text (sent as text/plain, or wrapped into a JSON article
 * when --title or --plugins asks for more than a body) or a JSON article
 * object (sent as application/json as it is, except that a "text" field
 * stands for a missing "body", as in many exports, and --explain N sets its
 * "explain"). With --explain, each plugin's line is followed by why it
 * chose its label (the reply's "why", docs/PROTOCOL.md). The table view shows, per
 * plugin, its label, its top probabilities and the model version that
 * scored it, then the aggregated decision; columns are measured in terminal
 * cells so Korean labels line up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ctl.h"
#include "dataset.h"
#include "term.h"
#include "utf8.h"

/* A probability entry is {"label":L,"p":P} (protocol) or [L,P]. */
static int cfd__prob(const cJSON *e, const char **label, double *p)
{
    const cJSON *l, *v;
    if (cJSON_IsArray(e)) {
        l = cJSON_GetArrayItem(e, 0);
        v = cJSON_GetArrayItem(e, 1);
    } else {
        l = cJSON_GetObjectItemCaseSensitive(e, "label");
        v = cJSON_GetObjectItemCaseSensitive(e, "p");
    }
    if (!cJSON_IsString(l) || !cJSON_IsNumber(v))
        return -1;
    *label = l->valuestring;
    *p = v->valuedouble;
    return 0;
}

static const char *cfd__str(const cJSON *o, const char *k, const char *dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

/* "why" of one plugin (--explain): the margin, then the features that
 * argued for the label and for the runner-up, one line each. */
static void cfd__print_why(const cJSON *why)
{
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(why, "error");
    if (cJSON_IsObject(err)) {
        printf("%11s why: %s\n", "", cfd__str(err, "message", "?"));
        return;
    }
    const cJSON *margin = cJSON_GetObjectItemCaseSensitive(why, "margin");
    printf("%11s why: %s over %s, margin %+.4f\n", "", cfd__str(why, "label", "?"),
           cfd__str(why, "over", "nothing"),
           cJSON_IsNumber(margin) ? margin->valuedouble : 0.0);
    for (int side = 0; side < 2; side++) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(why, side ? "against" : "for");
        if (cJSON_GetArraySize(list) == 0)
            continue;
        printf("%11s   for %s:", "",
               side ? cfd__str(why, "over", "nothing") : cfd__str(why, "label", "?"));
        const cJSON *t;
        cJSON_ArrayForEach(t, list) {
            const cJSON *share = cJSON_GetObjectItemCaseSensitive(t, "share");
            const cJSON *feature = cJSON_GetObjectItemCaseSensitive(t, "feature");
            if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(t, "ngram")))
                printf("  %s:%s", cfd__str(t, "kind", "?"), cfd__str(t, "ngram", ""));
            else /* no n-gram of the article lands there */
                printf("  feature:%.0f", cJSON_IsNumber(feature) ? feature->valuedouble : -1.0);
            printf(" %+.3f", cJSON_IsNumber(share) ? share->valuedouble : 0.0);
        }
        putchar('\n');
    }
}

static void cfd__print_result(const char *plugin, const cJSON *r, int top)
{
    cfd_term_pad(stdout, plugin, 11);
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(r, "error");
    if (cJSON_IsObject(err)) {
        printf("error %s: %s\n", cfd__str(err, "code", "?"), cfd__str(err, "message", ""));
        return;
    }
    cfd_term_pad(stdout, cfd__str(r, "label", "-"), 13);
    const cJSON *probs = cJSON_GetObjectItemCaseSensitive(r, "probs");
    char cell[160];
    int shown = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, probs) {
        const char *l;
        double p;
        if (shown == top || cfd__prob(e, &l, &p) != 0)
            break;
        snprintf(cell, sizeof cell, "%s %.3f", l, p);
        cfd_term_pad(stdout, cell, 17);
        shown++;
    }
    for (; shown < top; shown++)
        cfd_term_pad(stdout, "", 17);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(r, "model");
    if (cJSON_IsObject(m))
        printf(" %s (%.8s)", cfd__str(m, "version", "?"), cfd__str(m, "checksum", "?"));
    putchar('\n');
    const cJSON *why = cJSON_GetObjectItemCaseSensitive(r, "why");
    if (cJSON_IsObject(why))
        cfd__print_why(why);
}

static void cfd__print_table(const cJSON *root, int top)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
    const cJSON *took = cJSON_GetObjectItemCaseSensitive(root, "took_us");
    if (cJSON_IsString(id))
        printf("id: %s   ", id->valuestring);
    if (cJSON_IsNumber(took))
        printf("took: %.0f µs", took->valuedouble);
    putchar('\n');
    cfd_term_pad(stdout, "plugin", 11);
    cfd_term_pad(stdout, "label", 13);
    cfd_term_pad(stdout, "top probabilities", 17 * top);
    printf(" model\n");
    const cJSON *results = cJSON_GetObjectItemCaseSensitive(root, "results");
    const cJSON *r;
    cJSON_ArrayForEach(r, results)
        cfd__print_result(r->string, r, top);

    const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "decision");
    if (!cJSON_IsObject(d))
        return;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(d, "probability");
    const cJSON *review = cJSON_GetObjectItemCaseSensitive(d, "review");
    printf("\ndecision: section %s", cfd__str(d, "section", "-"));
    if (cJSON_IsNumber(p))
        printf(" (p=%.3f)", p->valuedouble);
    printf(", %s\n", cJSON_IsTrue(review) ? "needs editor review" : "file automatically");
    const cJSON *reasons = cJSON_GetObjectItemCaseSensitive(d, "reasons");
    const cJSON *why;
    cJSON_ArrayForEach(why, reasons) {
        if (cJSON_IsString(why))
            printf("  - %s\n", why->valuestring);
    }
}

/* Builds {"title":..,"body":..,"plugins":[..]} from plain text. */
static char *cfd__wrap_text(const cfd_ctl *ctl, const char *text)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    if (ctl->title)
        cJSON_AddStringToObject(o, "title", ctl->title);
    cJSON_AddStringToObject(o, "body", text);
    if (ctl->plugins) {
        cJSON *arr = cJSON_AddArrayToObject(o, "plugins");
        char *list = strdup(ctl->plugins);
        for (char *save, *t = list ? strtok_r(list, ",", &save) : NULL; t;
             t = strtok_r(NULL, ",", &save))
            cJSON_AddItemToArray(arr, cJSON_CreateString(t));
        free(list);
    }
    if (ctl->explain)
        cJSON_AddNumberToObject(o, "explain", ctl->explain);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

/* An article exported with its body under "text" (as the sample page's
 * articles are) is sent with that field named "body", and with --explain
 * N its "explain" is N; NULL if no change (or not a JSON object: the
 * daemon then says what is wrong with it). */
static char *cfd__adjust_json(const char *json, size_t len, int explain)
{
    cJSON *o = cJSON_ParseWithLength(json, len);
    char *out = NULL;
    int changed = 0;
    if (cJSON_IsObject(o) && !cJSON_GetObjectItemCaseSensitive(o, "body") &&
        cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "text"))) {
        cJSON *t = cJSON_DetachItemFromObjectCaseSensitive(o, "text");
        cJSON_AddItemToObject(o, "body", t);
        changed = 1;
    }
    if (cJSON_IsObject(o) && explain) {
        cJSON_DeleteItemFromObjectCaseSensitive(o, "explain");
        cJSON_AddNumberToObject(o, "explain", explain);
        changed = 1;
    }
    if (changed)
        out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return out;
}

int cfd_cmd_classify(cfd_ctl *ctl, int argc, char **argv)
{
    if (argc > 1) {
        fprintf(stderr, "classifyctl: classify takes at most one FILE (or '-')\n");
        return CFD_CTL_EUSAGE;
    }
    const char *path = argc == 1 ? argv[0] : "-";
    char *text;
    size_t len;
    cfd_error err;
    cfd_error_clear(&err);
    /* Typed at a terminal ('classifyctl classify' with no FILE): say what
     * it is waiting for instead of sitting silent. */
    if (strcmp(path, "-") == 0 && isatty(STDIN_FILENO))
        fprintf(stderr, "classifyctl: reading the article from the terminal; end it with "
                        "Ctrl-D (or give a FILE)\n");
    if (cfd_read_file(path, &text, &len, &err) != 0) {
        fprintf(stderr, "classifyctl: %s\n", err.msg);
        return CFD_CTL_EINPUT;
    }
    /* A byte order mark (Notepad saves UTF-8 with one) is not text: without
     * this a JSON article saved so was sent as text/plain, its field names
     * classified as words and its title as body. */
    size_t bom = cfd_utf8_bom(text, len), i = bom;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    if (i == len && !ctl->title) {
        /* Nothing to send: say so here, as an input problem (exit 4), not
         * as the daemon's 400. */
        fprintf(stderr, "classifyctl: %s: %s; give the article's text (or a JSON article)\n",
                strcmp(path, "-") == 0 ? "standard input" : path,
                len ? "only blank space, no text" : "empty");
        free(text);
        return CFD_CTL_EINPUT;
    }
    int is_json = i < len && text[i] == '{';
    const char *ctype = is_json ? "application/json" : "text/plain; charset=utf-8";
    char *wrapped = NULL;
    const char *body = text;
    size_t body_len = len;
    if (!is_json && (ctl->title || ctl->plugins || ctl->explain)) {
        /* Checked here: inside the JSON built below, the daemon's offset
         * would be one in that JSON, not in the file. */
        size_t bad;
        if (cfd_utf8_validate(text, len, &bad) != 0) {
            fprintf(stderr, "classifyctl: %s: invalid UTF-8 at byte %zu; the article must be "
                            "UTF-8\n", strcmp(path, "-") == 0 ? "standard input" : path, bad);
            free(text);
            return CFD_CTL_EINPUT;
        }
        if (memchr(text, '\0', len)) {
            fprintf(stderr, "classifyctl: %s: contains NUL bytes; send it without --title, "
                            "--plugins and --explain (as text/plain)\n", path);
            free(text);
            return CFD_CTL_EINPUT;
        }
        if (!(wrapped = cfd__wrap_text(ctl, text))) {
            fprintf(stderr, "classifyctl: out of memory\n");
            free(text);
            return CFD_CTL_EINPUT;
        }
        body = wrapped;
        body_len = strlen(wrapped);
        ctype = "application/json";
    } else if (is_json && !ctl->title && !ctl->plugins &&
               (wrapped = cfd__adjust_json(text, len, ctl->explain)) != NULL) {
        body = wrapped;
        body_len = strlen(wrapped);
    } else if (is_json && (ctl->title || ctl->plugins)) {
        fprintf(stderr, "classifyctl: --title and --plugins apply to plain text; put "
                        "\"title\" and \"plugins\" in the JSON article instead\n");
        free(text);
        return CFD_CTL_EUSAGE;
    }

    cfd_http_reply reply;
    cfd_http_reply_init(&reply);
    char what[300];
    snprintf(what, sizeof what, "classify %s", strcmp(path, "-") == 0 ? "(stdin)" : path);
    int rc = cfd_ctl_call(ctl, what, "POST", "/v1/classify", ctype, body, body_len, NULL, NULL,
                          &reply);
    if (rc == CFD_CTL_OK) {
        cJSON *root = cJSON_ParseWithLength(reply.body.data, reply.body.len);
        if (ctl->json || !root)
            cfd_ctl_print_json(reply.body.data, reply.body.len);
        else
            cfd__print_table(root, ctl->top);
        cJSON_Delete(root);
    }
    cfd_http_reply_free(&reply);
    free(wrapped);
    free(text);
    return rc;
}
