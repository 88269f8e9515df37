/* Per-loop accounting of request body memory; see body_budget.h. */
#include <assert.h>

#include <classifyd/error.h>

#include "body_budget.h"

void cfd_body_budget_init(cfd_body_budget *b, size_t limit)
{
    b->limit = limit;
    b->free_below = 0;
    atomic_init(&b->used, 0);
    atomic_init(&b->refused, 0);
}

size_t cfd_body_budget_share(size_t total, unsigned n_loops, size_t max_body)
{
    size_t share = total / (n_loops ? n_loops : 1);
    return share < max_body ? max_body : share;
}

/* The owner thread is the only writer: a relaxed load and store, no
 * read-modify-write instruction. */
int cfd_body_budget_reserve(cfd_body_budget *b, size_t n)
{
    size_t used = atomic_load_explicit(&b->used, memory_order_relaxed);
    if (b->limit != 0 && (used > b->limit || n > b->limit - used)) {
        atomic_store_explicit(&b->refused,
                              atomic_load_explicit(&b->refused, memory_order_relaxed) + 1,
                              memory_order_relaxed);
        return CFD_EBUSY;
    }
    atomic_store_explicit(&b->used, used + n, memory_order_relaxed);
    return 0;
}

void cfd_body_budget_release(cfd_body_budget *b, size_t n)
{
    size_t used = atomic_load_explicit(&b->used, memory_order_relaxed);
    assert(n <= used); /* released more than was reserved: an accounting bug */
    atomic_store_explicit(&b->used, n <= used ? used - n : 0, memory_order_relaxed);
}

size_t cfd_body_budget_used(const cfd_body_budget *b)
{
    return atomic_load_explicit(&b->used, memory_order_relaxed);
}

int cfd_body_budget_render(const cfd_body_budget *const *loops, size_t n_loops, cfd_buf *out)
{
    unsigned long long used = 0, limit = 0, refused = 0;
    for (size_t i = 0; i < n_loops; i++) {
        used += atomic_load_explicit(&loops[i]->used, memory_order_relaxed);
        limit += loops[i]->limit;
        refused += atomic_load_explicit(&loops[i]->refused, memory_order_relaxed);
    }
    cfd_buf_printf(out,
                   "# HELP classifyd_body_memory_bytes Request body bytes reserved now by "
                   "requests being received or served (max_body_memory).\n"
                   "# TYPE classifyd_body_memory_bytes gauge\nclassifyd_body_memory_bytes %llu\n"
                   "# HELP classifyd_body_memory_limit_bytes The loops' shares of "
                   "max_body_memory, summed.\n"
                   "# TYPE classifyd_body_memory_limit_bytes gauge\n"
                   "classifyd_body_memory_limit_bytes %llu\n"
                   "# HELP classifyd_body_memory_refused_total Requests answered 503 "
                   "body_memory_exhausted: their body did not fit in max_body_memory.\n"
                   "# TYPE classifyd_body_memory_refused_total counter\n"
                   "classifyd_body_memory_refused_total %llu\n",
                   used, limit, refused);
    return out->oom ? CFD_ENOMEM : 0;
}
