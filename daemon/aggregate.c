/*
 * Aggregation, the decision: one article's plugin results -> section,
 * probability and review reasons, and their JSON. The rule itself is in
 * aggregate.h and docs/AGGREGATION.md; the rules file is aggregate_rules.c.
 */
#include <stdio.h>
#include <string.h>

#include "aggregate_rules.h"
#include "json_prob.h"

/* ---- deciding ---- */

/* The result of a plugin that ran and gave probabilities, or NULL. */
static const cfd_agg_result *cfd__find(const cfd_agg_result *res, size_t n, const char *plugin)
{
    const cfd_agg_result *p = cfd__agg_result(res, n, plugin);
    return p != NULL && p->probs != NULL ? p : NULL;
}

/* Section index that label l of evidence plugin e supports, or -1. */
static int cfd__map(const cfd__agg_evidence *e, const char *l, const cfd_agg_result *sec)
{
    const cfd__agg_map *m = cfd__agg_map_find(e, l);
    const char *to = m != NULL ? m->to : e->same_names ? l : NULL;
    return to != NULL ? cfd__agg_label(sec, to) : -1;
}

static uint32_t cfd__argmax(const float *p, uint32_t n)
{
    uint32_t best = 0;
    for (uint32_t i = 1; i < n; i++)
        if (p[i] > p[best])
            best = i;
    return best;
}

/* Decimals (2..6) needed to print a and b so that a < b still reads as such. */
static int cfd__prec(double a, double b)
{
    int p = 2;
    char x[32], y[32];
    for (; p < 6; p++) {
        snprintf(x, sizeof(x), "%.*f", p, a);
        snprintf(y, sizeof(y), "%.*f", p, b);
        if (strcmp(x, y) != 0)
            break;
    }
    return p;
}

static const char *const cfd__reason_names[CFD_AGG_N_REASONS] = {
    [CFD_AGG_LOW_CONFIDENCE] = "low_confidence", [CFD_AGG_CLOSE_CALL] = "close_call",
    [CFD_AGG_DISAGREEMENT] = "disagreement",     [CFD_AGG_NO_SECTION] = "no_section",
    [CFD_AGG_NEGATIVE_TONE] = "negative_tone",   [CFD_AGG_PLUGIN_FAILED] = "plugin_failed",
    [CFD_AGG_UNFAMILIAR_SCRIPT] = "unfamiliar_script"};

const char *cfd_agg_reason_name(int code)
{
    return code >= 0 && code < CFD_AGG_N_REASONS ? cfd__reason_names[code] : "unknown";
}

/* Adds a reason "<code>: <details>"; the code is also counted in d->codes. */
#define CFD__REASON(d, code, fmt, ...)                                                 \
    do {                                                                               \
        (d)->codes |= 1u << (code);                                                    \
        if ((d)->n_reasons < CFD_AGG_MAX_REASONS)                                      \
            snprintf((d)->reasons[(d)->n_reasons++], CFD_AGG_REASON_MAX, "%s: " fmt,    \
                     cfd__reason_names[code], __VA_ARGS__);                            \
    } while (0)

/* The pool and the checks that need a winner (low_confidence, close_call,
 * disagreement); no_section when nothing supports any section. */
static void cfd__decide_section(const cfd_agg_rules *r, const cfd_agg_result *res,
                                size_t n_res, const cfd_agg_result *sec, float *score,
                                cfd_agg_decision *d)
{
    uint32_t n = sec->n_labels;
    for (uint32_t s = 0; s < n; s++)
        score[s] = sec->probs[s] > 0 ? sec->probs[s] : 0;
    for (uint32_t k = 0; k < r->n_ev; k++) {
        const cfd__agg_evidence *e = &r->ev[k];
        const cfd_agg_result *ev = cfd__find(res, n_res, e->plugin);
        if (ev == NULL || e->weight <= 0 || ev == sec)
            continue;
        for (uint32_t l = 0; l < ev->n_labels; l++) {
            if (!(ev->probs[l] > 0))
                continue;
            int j = cfd__map(e, ev->labels[l], sec);
            if (j >= 0)
                score[j] += e->weight * ev->probs[l];
        }
    }
    double z = 0;
    for (uint32_t s = 0; s < n; s++)
        z += score[s];
    if (!(z > 0)) { /* nothing supports any section: do not name one */
        CFD__REASON(d, CFD_AGG_NO_SECTION, "plugin %s gave no probability to any section",
                    r->section_plugin);
        return;
    }
    uint32_t win = cfd__argmax(score, n);
    float second = 0;
    uint32_t second_i = win;
    for (uint32_t s = 0; s < n; s++)
        if (s != win && (second_i == win || score[s] > second)) {
            second = score[s];
            second_i = s;
        }
    d->section = sec->labels[win];
    d->probability = (float)(score[win] / z);
    float p2 = (float)(second / z);

    if (d->probability < r->min_probability) {
        int pr = cfd__prec(d->probability, r->min_probability);
        CFD__REASON(d, CFD_AGG_LOW_CONFIDENCE, "%s %.*f < %.*f", d->section, pr,
                    (double)d->probability, pr, (double)r->min_probability);
    }
    if (r->min_margin > 0 && second_i != win && d->probability - p2 < r->min_margin) {
        int pr = cfd__prec(d->probability - p2, r->min_margin);
        CFD__REASON(d, CFD_AGG_CLOSE_CALL, "%s %.*f vs %s %.*f (margin < %.*f)", d->section, pr,
                    (double)d->probability, sec->labels[second_i], pr, (double)p2, pr,
                    (double)r->min_margin);
    }
    for (uint32_t k = 0; k < r->n_ev; k++) {
        const cfd__agg_evidence *e = &r->ev[k];
        if (!(e->disagree_min > 0))
            continue;
        const cfd_agg_result *ev = cfd__find(res, n_res, e->plugin);
        if (ev == NULL || ev->n_labels == 0 || ev == sec)
            continue;
        uint32_t top = cfd__argmax(ev->probs, ev->n_labels);
        if (!(ev->probs[top] >= e->disagree_min))
            continue;
        int j = cfd__map(e, ev->labels[top], sec);
        if (j >= 0 && (uint32_t)j != win)
            CFD__REASON(d, CFD_AGG_DISAGREEMENT, "%s says %s (%.2f), supporting section %s, not %s",
                        e->plugin, ev->labels[top], ev->probs[top], sec->labels[j],
                        d->section);
    }
}

int cfd_agg_wants_letters(const cfd_agg_rules *r) { return r->min_script_share > 0; }

/* The rules' scripts for a message: "hangul" or "hangul+latin" (at most
 * the four names, 22 bytes). */
static void cfd__scripts_name(const cfd_agg_rules *r, char name[24])
{
    size_t used = 0;
    name[0] = '\0';
    for (int c = 0; c < CFD_TOK_CLASSES; c++) {
        if (cfd__agg_scripts[c] == NULL || !(r->scripts & (1u << c)))
            continue;
        int w = snprintf(name + used, 24 - used, "%s%s", used ? "+" : "", cfd__agg_scripts[c]);
        if (w > 0 && (size_t)w < 24 - used)
            used += (size_t)w;
    }
}

/* unfamiliar_script: too few of the article's letters in the rules'
 * scripts. The scripts' names are written only for a reason. */
static void cfd__check_script(const cfd_agg_rules *r, const uint64_t *letters,
                              cfd_agg_decision *d)
{
    uint64_t total = 0, in = 0;
    for (int c = 0; c < CFD_TOK_CLASSES; c++) {
        if (cfd__agg_scripts[c] == NULL)
            continue;
        total += letters[c];
        if (r->scripts & (1u << c))
            in += letters[c];
    }
    char name[24];
    if (total == 0) {
        cfd__scripts_name(r, name);
        CFD__REASON(d, CFD_AGG_UNFAMILIAR_SCRIPT, "the article has no letters (only digits, "
                       "punctuation or symbols); the rules trust the models on %s text only", name);
        return;
    }
    /* In float, as the threshold was read: a share of exactly 0.3 is not
     * under min_script_share = 0.3. */
    float share = (float)((double)in / (double)total);
    if (share < r->min_script_share) {
        int pr = cfd__prec(share, r->min_script_share);
        cfd__scripts_name(r, name);
        CFD__REASON(d, CFD_AGG_UNFAMILIAR_SCRIPT, "%s is %.*f of the letters < %.*f; the rules "
                       "trust the models on %s text only", name, pr, (double)share, pr,
                    (double)r->min_script_share, name);
    }
}

void cfd_agg_decide(const cfd_agg_rules *r, const cfd_agg_result *res, size_t n_res,
                    const uint64_t *letters, float *score, cfd_agg_decision *d)
{
    d->section = NULL;
    d->probability = 0;
    d->review = 0;
    d->codes = 0;
    d->n_reasons = 0;

    /* Without a section there is no winner: no_section stands in for the
     * checks that need one; negative_tone and plugin_failed still apply. */
    const cfd_agg_result *sec = cfd__find(res, n_res, r->section_plugin);
    if (sec == NULL || sec->n_labels == 0)
        CFD__REASON(d, CFD_AGG_NO_SECTION, "plugin %s gave no result", r->section_plugin);
    else
        cfd__decide_section(r, res, n_res, sec, score, d);
    if (r->negative_min > 0 && r->negative_plugin[0]) {
        const cfd_agg_result *neg = cfd__find(res, n_res, r->negative_plugin);
        int l = neg != NULL ? cfd__agg_label(neg, r->negative_label) : -1;
        if (l >= 0 && neg->probs[l] >= r->negative_min)
            CFD__REASON(d, CFD_AGG_NEGATIVE_TONE, "%s %s %.2f >= %.2f", neg->plugin,
                        r->negative_label, neg->probs[l], r->negative_min);
    }
    /* A configured plugin that was run but failed: its evidence and checks are
     * missing, so the decision is not the one the rules describe. (Plugins
     * the request did not select are not in res at all.) */
    for (size_t i = 0; i < n_res; i++) {
        if (res[i].probs != NULL)
            continue;
        int used = !strcmp(res[i].plugin, r->negative_plugin) && r->negative_min > 0;
        for (uint32_t k = 0; k < r->n_ev && !used; k++)
            used = !strcmp(res[i].plugin, r->ev[k].plugin);
        if (used)
            CFD__REASON(d, CFD_AGG_PLUGIN_FAILED, "%s gave no result", res[i].plugin);
    }
    if (letters != NULL && cfd_agg_wants_letters(r))
        cfd__check_script(r, letters, d);
    d->review = d->n_reasons > 0;
}

/* Length of s without a UTF-8 sequence cut short by snprintf truncation. */
static size_t cfd__utf8_whole_len(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    size_t i = n;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80 && n - i < 3)
        i--;
    if (i > 0 && ((unsigned char)s[i - 1] & 0x80)) {
        unsigned char lead = (unsigned char)s[i - 1];
        size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        if (n - (i - 1) < want)
            return i - 1;
    }
    return n;
}

int cfd_agg_decision_json(const cfd_agg_decision *d, cfd_buf *out)
{
    cfd_buf_puts(out, "{\"section\":");
    if (d->section != NULL)
        cfd_buf_json_str(out, d->section, strlen(d->section));
    else
        cfd_buf_puts(out, "null");
    cfd_buf_puts(out, ",\"probability\":");
    cfd_json_prob(out, d->probability);
    cfd_buf_puts(out, d->review ? ",\"review\":true,\"reasons\":[" : ",\"review\":false,\"reasons\":[");
    for (uint32_t i = 0; i < d->n_reasons; i++) {
        if (i)
            cfd_buf_putc(out, ',');
        cfd_buf_json_str(out, d->reasons[i], cfd__utf8_whole_len(d->reasons[i], CFD_AGG_REASON_MAX));
    }
    cfd_buf_puts(out, "]}");
    return out->oom ? CFD_ENOMEM : 0;
}
