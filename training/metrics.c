/*
 * Classification metrics: counting into a confusion matrix and deriving
 * accuracy, per-class precision/recall/F1 and macro-F1 from it (definitions
 * in metrics.h), printed as an aligned text report or as JSON.
 */
#include "metrics.h"

#include <stdlib.h>
#include <string.h>

#include <classifyd/error.h>

#include "utf8.h"

int cfd_metrics_init(cfd_metrics *m, uint32_t n_labels)
{
    memset(m, 0, sizeof(*m));
    m->n_labels = n_labels;
    size_t k = n_labels;
    m->confusion = calloc(k * k, sizeof(uint64_t));
    m->precision = calloc(k, sizeof(double));
    m->recall = calloc(k, sizeof(double));
    m->f1 = calloc(k, sizeof(double));
    m->support = calloc(k, sizeof(uint64_t));
    if (m->confusion == NULL || m->precision == NULL || m->recall == NULL || m->f1 == NULL ||
        m->support == NULL) {
        cfd_metrics_free(m);
        return CFD_ENOMEM;
    }
    return 0;
}

void cfd_metrics_free(cfd_metrics *m)
{
    free(m->confusion);
    free(m->precision);
    free(m->recall);
    free(m->f1);
    free(m->support);
    memset(m, 0, sizeof(*m));
}

void cfd_metrics_add(cfd_metrics *m, uint32_t truth, uint32_t pred)
{
    m->confusion[(size_t)truth * m->n_labels + pred]++;
    m->n++;
}

void cfd_metrics_merge(cfd_metrics *m, const cfd_metrics *other)
{
    size_t k = m->n_labels;
    for (size_t i = 0; i < k * k; i++)
        m->confusion[i] += other->confusion[i];
    m->n += other->n;
}

void cfd_metrics_finish(cfd_metrics *m)
{
    size_t k = m->n_labels;
    uint64_t correct = 0;
    double f1_sum = 0, true_sum = 0;
    uint32_t f1_count = 0, true_count = 0;
    for (size_t c = 0; c < k; c++) {
        uint64_t tp = m->confusion[c * k + c], row = 0, col = 0;
        for (size_t j = 0; j < k; j++) {
            row += m->confusion[c * k + j];
            col += m->confusion[j * k + c];
        }
        correct += tp;
        m->support[c] = row;
        m->precision[c] = col ? (double)tp / (double)col : 0.0;
        m->recall[c] = row ? (double)tp / (double)row : 0.0;
        double pr = m->precision[c] + m->recall[c];
        m->f1[c] = pr > 0 ? 2.0 * m->precision[c] * m->recall[c] / pr : 0.0;
        if (row > 0 || col > 0) {
            f1_sum += m->f1[c];
            f1_count++;
        }
        if (row > 0) {
            true_sum += m->f1[c];
            true_count++;
        }
    }
    m->accuracy = m->n ? (double)correct / (double)m->n : 0.0;
    m->macro_f1 = f1_count ? f1_sum / f1_count : 0.0;
    m->macro_f1_true = true_count ? true_sum / true_count : 0.0;
}

int cfd_metrics_json(const cfd_metrics *m, const char *const *labels, cfd_buf *b)
{
    size_t k = m->n_labels;
    cfd_buf_printf(b, "{\"n\":%llu,\"accuracy\":", (unsigned long long)m->n);
    cfd_buf_json_float(b, m->accuracy);
    cfd_buf_puts(b, ",\"macro_f1\":");
    cfd_buf_json_float(b, m->macro_f1);
    cfd_buf_puts(b, ",\"per_class\":{");
    for (size_t c = 0; c < k; c++) {
        if (c)
            cfd_buf_putc(b, ',');
        cfd_buf_json_str(b, labels[c], strlen(labels[c]));
        cfd_buf_puts(b, ":{\"precision\":");
        cfd_buf_json_float(b, m->precision[c]);
        cfd_buf_puts(b, ",\"recall\":");
        cfd_buf_json_float(b, m->recall[c]);
        cfd_buf_puts(b, ",\"f1\":");
        cfd_buf_json_float(b, m->f1[c]);
        cfd_buf_printf(b, ",\"support\":%llu}", (unsigned long long)m->support[c]);
    }
    cfd_buf_puts(b, "},\"labels\":[");
    for (size_t c = 0; c < k; c++) {
        if (c)
            cfd_buf_putc(b, ',');
        cfd_buf_json_str(b, labels[c], strlen(labels[c]));
    }
    cfd_buf_puts(b, "],\"confusion\":[");
    for (size_t t = 0; t < k; t++) {
        cfd_buf_puts(b, t ? ",[" : "[");
        for (size_t p = 0; p < k; p++)
            cfd_buf_printf(b, "%s%llu", p ? "," : "",
                           (unsigned long long)m->confusion[t * k + p]);
        cfd_buf_putc(b, ']');
    }
    cfd_buf_puts(b, "]}");
    return b->oom ? CFD_ENOMEM : 0;
}

/* Terminal columns a UTF-8 string takes (East Asian wide characters count 2). */
static int cfd__display_width(const char *s)
{
    int w = 0;
    size_t len = strlen(s), i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = cfd_utf8_decode((const unsigned char *)s + i, len - i, &cp);
        if (n == 0) {
            n = 1;
            cp = '?';
        }
        i += n;
        int wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                   (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                   (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) ||
                   (cp >= 0x1F300 && cp <= 0x1FAFF) || (cp >= 0x20000 && cp <= 0x3FFFD);
        w += wide ? 2 : 1;
    }
    return w;
}

static void cfd__pad(FILE *f, const char *s, int width)
{
    fputs(s, f);
    for (int w = cfd__display_width(s); w < width; w++)
        fputc(' ', f);
}

void cfd_metrics_print(const cfd_metrics *m, const char *const *labels, FILE *f)
{
    size_t k = m->n_labels;
    int lw = 5;
    for (size_t c = 0; c < k; c++) {
        int w = cfd__display_width(labels[c]);
        if (w > lw)
            lw = w;
    }
    fprintf(f, "examples  %llu\naccuracy  %.4f\nmacro-F1  %.4f\n", (unsigned long long)m->n,
            m->accuracy, m->macro_f1);
    if (m->macro_f1_true != m->macro_f1)
        fprintf(f, "macro-F1  %.4f over the labels that occur in the data (the line above also\n"
                   "          counts, as 0, labels that were predicted but never occur)\n",
                m->macro_f1_true);
    fputc('\n', f);
    cfd__pad(f, "label", lw);
    fprintf(f, "  precision  recall      F1  support\n");
    for (size_t c = 0; c < k; c++) {
        cfd__pad(f, labels[c], lw);
        fprintf(f, "  %9.4f  %6.4f  %6.4f  %7llu\n", m->precision[c], m->recall[c], m->f1[c],
                (unsigned long long)m->support[c]);
    }
    fprintf(f, "\nconfusion (rows = true label, columns = predicted, in the order above)\n");
    int cw = 5;
    for (size_t i = 0; i < k * k; i++) {
        char tmp[32];
        int w = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)m->confusion[i]);
        if (w + 1 > cw)
            cw = w + 1;
    }
    for (size_t t = 0; t < k; t++) {
        cfd__pad(f, labels[t], lw);
        for (size_t p = 0; p < k; p++)
            fprintf(f, " %*llu", cw, (unsigned long long)m->confusion[t * k + p]);
        fputc('\n', f);
    }
}
