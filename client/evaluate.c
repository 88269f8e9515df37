/*
 * Accuracy and macro-F1 for classifyctl batch (see evaluate.h). Label sets
 * are small (tens of desks), so a linear search is the simplest right thing.
 */
#include "evaluate.h"

#include <stdlib.h>
#include <string.h>

#include <classifyd/error.h>

void cfd_eval_init(cfd_eval *e)
{
    memset(e, 0, sizeof *e);
}

static cfd_eval_label *cfd__label(cfd_eval *e, const char *name)
{
    for (size_t i = 0; i < e->n_labels; i++)
        if (strcmp(e->labels[i].name, name) == 0)
            return &e->labels[i];
    if (e->n_labels == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 16;
        cfd_eval_label *l = realloc(e->labels, cap * sizeof *l);
        if (!l)
            return NULL;
        e->labels = l;
        e->cap = cap;
    }
    cfd_eval_label *l = &e->labels[e->n_labels];
    memset(l, 0, sizeof *l);
    if (!(l->name = strdup(name)))
        return NULL;
    e->n_labels++;
    return l;
}

int cfd_eval_add(cfd_eval *e, const char *gold, const char *pred)
{
    cfd_eval_label *g = cfd__label(e, gold);
    cfd_eval_label *p = g ? cfd__label(e, pred) : NULL;
    if (!g || !p) {
        e->oom = 1;
        return CFD_ENOMEM;
    }
    g = cfd__label(e, gold); /* the array may have moved */
    e->total++;
    g->gold++;
    if (g == p) {
        e->correct++;
        g->tp++;
    } else {
        g->fn++;
        p->fp++;
    }
    return 0;
}

double cfd_eval_accuracy(const cfd_eval *e)
{
    return e->total ? (double)e->correct / (double)e->total : 0.0;
}

void cfd_eval_label_prf(const cfd_eval_label *l, double *p, double *r, double *f1)
{
    double tp = (double)l->tp;
    *p = l->tp + l->fp ? tp / (double)(l->tp + l->fp) : 0.0;
    *r = l->tp + l->fn ? tp / (double)(l->tp + l->fn) : 0.0;
    *f1 = *p + *r > 0 ? 2 * *p * *r / (*p + *r) : 0.0;
}

double cfd_eval_macro_f1(const cfd_eval *e)
{
    if (e->n_labels == 0)
        return 0.0;
    double sum = 0;
    for (size_t i = 0; i < e->n_labels; i++) {
        double p, r, f;
        cfd_eval_label_prf(&e->labels[i], &p, &r, &f);
        sum += f;
    }
    return sum / (double)e->n_labels;
}

void cfd_eval_free(cfd_eval *e)
{
    for (size_t i = 0; i < e->n_labels; i++)
        free(e->labels[i].name);
    free(e->labels);
    memset(e, 0, sizeof *e);
}
