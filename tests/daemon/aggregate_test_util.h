/*
 * Shared by the aggregation tests (test_aggregate.c, the decision;
 * test_aggregate_rules.c, the rules file): label sets standing for the
 * plugins' models, parsing rules that must parse, finding a reason.
 */
#ifndef CFD_AGGREGATE_TEST_UTIL_H
#define CFD_AGGREGATE_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "aggregate.h"

static const char *const __attribute__((unused)) sec_labels[] = {"정치", "경제", "사회"};
static const char *const __attribute__((unused)) top_labels[] = {"경제", "정치", "IT과학", "생활문화"};
static const char *const __attribute__((unused)) rule_labels[] = {"경제", "속보"};
static const char *const __attribute__((unused)) sent_labels[] = {"positive", "neutral", "negative"};

static __attribute__((unused)) cfd_agg_rules *parse(const char *text)
{
    cfd_agg_rules *r;
    cfd_error err;
    if (cfd_agg_parse(text, "test.conf", &r, &err) != 0)
        fail_msg("%s", err.msg);
    return r;
}

static __attribute__((unused)) int has_reason(const cfd_agg_decision *d, const char *code)
{
    for (uint32_t i = 0; i < d->n_reasons; i++)
        if (!strncmp(d->reasons[i], code, strlen(code)))
            return 1;
    return 0;
}

#endif
