/*
 * Fuzz target: the rules plugin's file parser and matcher
 * (plugins/rules/rules_file.c, rules_match.c, rules_norm.c). The rules file
 * is edited by hand in newsrooms; whatever an editor saves must give a
 * file:line error or a working matcher, never a crash.
 *
 * Input: the rules file. When it parses, the matcher is run on fixed
 * Korean/English text and on the input itself (as title and as body):
 * probabilities must lie in [0, 1] and sum to at most 1, and the detail must
 * be -1 or the line of a rule.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_file.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CFD__CHECK(cond)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz_rules: check failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

static void cfd__classify(const cfd_rules *r, const char *t, size_t tl, const char *b, size_t bl)
{
    float *probs = calloc(r->n_labels ? r->n_labels : 1, sizeof(float));
    CFD__CHECK(probs != NULL);
    int32_t detail = -2;
    cfd_rules_classify(r, t, tl, b, bl, probs, &detail);
    double sum = 0;
    for (uint32_t i = 0; i < r->n_labels; i++) {
        CFD__CHECK(isfinite(probs[i]) && probs[i] >= 0.0f && probs[i] <= 1.0f);
        sum += probs[i];
    }
    CFD__CHECK(sum <= 1.0 + 1e-4);
    int line_ok = detail == -1;
    for (uint32_t i = 0; i < r->n_rules && !line_ok; i++)
        line_ok = (uint32_t)detail == r->rules[i].line;
    CFD__CHECK(line_ok);
    free(probs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char title[] = "한국은행, 기준금리 동결… AI 반도체 수출 호조";
    static const char body[] =
        "중기부는 28일 스타트업 지원 예산을 늘린다고 밝혔다. 삼성전자와 SK하이닉스의 "
        "HBM 수출이 늘며 코스피가 올랐다. The Bank of Korea kept rates; ai chips 〈경제〉";
    cfd_rules *r = NULL;
    cfd_error err;
    cfd_error_clear(&err);
    int rc = cfd_rules_parse((const char *)data, size, "fuzz.rules", &r, &err);
    if (rc != 0) {
        CFD__CHECK(rc < 0 && r == NULL && err.msg[0] != '\0');
        return 0;
    }
    CFD__CHECK(r != NULL);
    for (uint32_t i = 0; i < r->n_rules; i++) {
        CFD__CHECK(r->rules[i].label < r->n_labels);
        CFD__CHECK(r->rules[i].weight > 0.0f && r->rules[i].weight <= 1.0f);
        CFD__CHECK((uint64_t)r->rules[i].first_term + r->rules[i].n_terms <= r->n_terms);
    }
    cfd__classify(r, title, sizeof(title) - 1, body, sizeof(body) - 1);
    cfd__classify(r, "", 0, "", 0); /* the engine passes "" for a missing field */
    /* The file's own text as an article (the plugin gets valid UTF-8 only). */
    if (cfd_utf8_validate((const char *)data, size, NULL) == 0) {
        cfd__classify(r, (const char *)data, size, "", 0);
        cfd__classify(r, "", 0, (const char *)data, size);
    }
    cfd_rules_free(r);
    return 0;
}
