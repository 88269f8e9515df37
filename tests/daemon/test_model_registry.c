/*
 * Tests for the model registry (daemon/model_registry.c): the split-counted
 * slot (every object destroyed exactly once, never while held, under
 * concurrent readers and a swapping writer), publish / rollback / previous,
 * refusal of models built for another plugin, safe path resolution, and
 * concurrent readers that must always see a version whose labels belong to
 * it while a writer swaps between label sets and offers broken files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_test_util.h"
#include "model_registry.h"
#include "plugin_loader.h"

/* ---- the generic slot ---- */

#define MAGIC_LIVE 0x1175eedu
#define MAGIC_DEAD 0xdeadu

typedef struct obj {
    cfd_rc_obj rc;
    atomic_uint magic;
    unsigned id;
} obj;

static atomic_uint g_destroyed;

static void obj_destroy(cfd_rc_obj *o)
{
    obj *x = (obj *)o;
    assert_int_equal(atomic_load(&x->magic), MAGIC_LIVE);
    atomic_store(&x->magic, MAGIC_DEAD);
    atomic_fetch_add(&g_destroyed, 1);
    free(x);
}

static obj *obj_new(unsigned id)
{
    obj *x = cfd_rc_alloc(sizeof(*x), obj_destroy);
    assert_non_null(x);
    assert_int_equal((uintptr_t)x % CFD_RC_ALIGN, 0);
    atomic_init(&x->magic, MAGIC_LIVE);
    x->id = id;
    return x;
}

static void test_slot_basics(void **state)
{
    (void)state;
    cfd_rc_slot s;
    atomic_init(&s.word, 0);
    atomic_store(&g_destroyed, 0);
    assert_null(cfd_rc_acquire(&s));
    obj *a = obj_new(1);
    assert_null(cfd_rc_exchange(&s, &a->rc)); /* slot now holds a's reference */
    obj *h1 = (obj *)cfd_rc_acquire(&s);
    obj *h2 = (obj *)cfd_rc_acquire(&s);
    assert_ptr_equal(h1, a);
    assert_ptr_equal(h2, a);
    cfd_rc_release(&s, &h1->rc);
    /* Retire a while h2 still holds it: not destroyed yet. */
    obj *b = obj_new(2);
    cfd_rc_obj *old = cfd_rc_exchange(&s, &b->rc);
    assert_ptr_equal(old, a);
    cfd_rc_unref(old); /* drop the slot's former reference */
    assert_int_equal(atomic_load(&g_destroyed), 0);
    assert_int_equal(atomic_load(&a->magic), MAGIC_LIVE);
    cfd_rc_release(&s, &h2->rc); /* last user destroys it */
    assert_int_equal(atomic_load(&g_destroyed), 1);
    /* Re-publish an object that was held across its own retirement. */
    obj *h3 = (obj *)cfd_rc_acquire(&s); /* b */
    cfd_rc_obj *ob = cfd_rc_exchange(&s, NULL);
    cfd_rc_obj *back = cfd_rc_exchange(&s, ob); /* b again, with its reference */
    assert_null(back);
    obj *h4 = (obj *)cfd_rc_acquire(&s);
    cfd_rc_release(&s, &h3->rc);
    cfd_rc_release(&s, &h4->rc);
    assert_int_equal(atomic_load(&g_destroyed), 1);
    cfd_rc_unref(cfd_rc_exchange(&s, NULL));
    assert_int_equal(atomic_load(&g_destroyed), 2);
}

typedef struct slot_stress {
    cfd_rc_slot s;
    atomic_int stop;
    atomic_ullong reads;
} slot_stress;

static void *slot_reader(void *arg)
{
    slot_stress *st = arg;
    unsigned long long n = 0;
    while (!atomic_load_explicit(&st->stop, memory_order_relaxed)) {
        obj *o = (obj *)cfd_rc_acquire(&st->s);
        if (o == NULL)
            continue;
        if (atomic_load(&o->magic) != MAGIC_LIVE)
            abort(); /* used after free */
        /* hold a little while sometimes, so retirements overlap holders */
        if ((n & 15) == 0)
            sched_yield();
        if (atomic_load(&o->magic) != MAGIC_LIVE)
            abort();
        cfd_rc_release(&st->s, &o->rc);
        n++;
    }
    atomic_fetch_add(&st->reads, n);
    return NULL;
}

static void test_slot_concurrent(void **state)
{
    (void)state;
    slot_stress st;
    atomic_init(&st.s.word, 0);
    atomic_init(&st.stop, 0);
    atomic_init(&st.reads, 0);
    atomic_store(&g_destroyed, 0);
    cfd_rc_unref(cfd_rc_exchange(&st.s, &obj_new(0)->rc));
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, slot_reader, &st), 0);
    const unsigned swaps = 20000;
    for (unsigned i = 1; i <= swaps; i++) {
        cfd_rc_unref(cfd_rc_exchange(&st.s, &obj_new(i)->rc));
        if ((i & 63) == 0)
            usleep(50);
    }
    atomic_store(&st.stop, 1);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    cfd_rc_unref(cfd_rc_exchange(&st.s, NULL));
    /* every object published was destroyed exactly once */
    assert_int_equal(atomic_load(&g_destroyed), swaps + 1);
    assert_true(atomic_load(&st.reads) > 0);
}

/* ---- registry with the text-model test plugin ---- */

typedef struct fixture {
    char dir[256];
    cfd_loaded_plugin lp;
    cfd_model_registry r;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    cfd_error err;
    tu_tmpdir(f->dir, sizeof(f->dir));
    if (cfd_plugin_open(TU_TEST_PLUGIN_DIR, "good", &f->lp, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(cfd_registry_init(&f->r, f->lp.p, f->dir, &err), 0);
    tu_write(f->dir, "v1.txt", "good\nv1\nA\nB\n");
    tu_write(f->dir, "v2.txt", "good\nv2\nX\nY\nZ\n");
    tu_write(f->dir, "other.txt", "section\nv9\nA\n");
    tu_write(f->dir, "dup.txt", "good\nv3\nA\nA\n");
    tu_write(f->dir, "nolabels.txt", "good\nv4\n");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cfd_registry_destroy(&f->r);
    assert_int_equal(atomic_load(&f->r.live_versions), 0);
    cfd_plugin_close(&f->lp);
    tu_rmrf(f->dir);
    free(f);
    return 0;
}

static cfd_model_version *load(fixture *f, const char *file)
{
    cfd_model_version *v;
    cfd_error err;
    if (cfd_registry_load(&f->r, file, &v, &err) != 0)
        fail_msg("%s: %s", file, err.msg);
    return v;
}

static void test_publish_rollback(void **state)
{
    fixture *f = *state;
    cfd_error err;
    assert_null(cfd_registry_acquire(&f->r));
    assert_int_equal(cfd_registry_rollback(&f->r, &err), CFD_EEMPTY);
    assert_non_null(strstr(err.msg, "no previous model"));
    cfd_registry_publish(&f->r, load(f, "v1.txt"));
    cfd_model_version *held = cfd_registry_acquire(&f->r);
    assert_string_equal(held->version, "v1");
    cfd_registry_publish(&f->r, load(f, "v2.txt"));
    cfd_model_version *cur = cfd_registry_acquire(&f->r);
    assert_string_equal(cur->version, "v2");
    assert_int_equal(cur->info.n_labels, 3);
    assert_true(cur->serial > held->serial);
    assert_string_equal(held->info.labels[1], "B"); /* still valid while held */
    cfd_registry_release(&f->r, cur);
    cfd_registry_release(&f->r, held);
    assert_int_equal(atomic_load(&f->r.live_versions), 2);

    assert_int_equal(cfd_registry_rollback(&f->r, &err), 0);
    cur = cfd_registry_acquire(&f->r);
    assert_string_equal(cur->version, "v1");
    cfd_registry_release(&f->r, cur);
    assert_string_equal(f->r.previous->version, "v2");

    /* A third version retires the oldest (v2 is previous -> dropped). */
    cfd_registry_publish(&f->r, load(f, "v2.txt"));
    assert_int_equal(atomic_load(&f->r.live_versions), 2);
    assert_string_equal(f->r.previous->version, "v1");

    cfd_buf b = CFD_BUF_INIT;
    assert_int_equal(cfd_registry_describe(&f->r, &b), 0);
    assert_non_null(strstr(b.data, "\"labels\":[\"X\",\"Y\",\"Z\"]"));
    assert_non_null(strstr(b.data, "\"file\":\"v1.txt\""));
    assert_non_null(strstr(b.data, "\"last_error\":null"));
    cfd_buf_free(&b);
    assert_int_equal(atomic_load(&f->r.loads_ok), 3);
}

static void test_refused_models(void **state)
{
    fixture *f = *state;
    cfd_model_version *v;
    cfd_error err;
    assert_int_equal(cfd_registry_load(&f->r, "other.txt", &v, &err), CFD_EMISMATCH);
    assert_non_null(strstr(err.msg, "built for plugin \"section\", not \"good\""));
    assert_null(v);
    assert_int_equal(cfd_registry_load(&f->r, "dup.txt", &v, &err), CFD_EFORMAT);
    assert_non_null(strstr(err.msg, "appears twice"));
    assert_int_equal(cfd_registry_load(&f->r, "nolabels.txt", &v, &err), CFD_ERANGE);
    assert_int_equal(atomic_load(&f->r.loads_failed), 3);
    assert_int_equal(atomic_load(&f->r.live_versions), 0); /* each was unloaded */
    cfd_buf b = CFD_BUF_INIT;
    cfd_registry_describe(&f->r, &b);
    assert_non_null(strstr(b.data, "\"last_error\":\"nolabels.txt"));
    cfd_buf_free(&b);
}

static void test_paths(void **state)
{
    fixture *f = *state;
    char out[PATH_MAX], outside[512], link[512];
    cfd_error err;
    const char *d = f->r.models_dir;
    assert_int_equal(cfd_models_resolve(d, "v1.txt", out, sizeof(out), &err), 0);
    assert_int_equal(strncmp(out, d, strlen(d)), 0);
    assert_int_equal(cfd_models_resolve(d, "", out, sizeof(out), &err), CFD_EINVAL);
    assert_int_equal(cfd_models_resolve(d, "../x", out, sizeof(out), &err), CFD_EPERM);
    assert_int_equal(cfd_models_resolve(d, "a/../v1.txt", out, sizeof(out), &err), CFD_EPERM);
    assert_int_equal(cfd_models_resolve(d, "..", out, sizeof(out), &err), CFD_EPERM);
    assert_int_equal(cfd_models_resolve(d, "/etc/passwd", out, sizeof(out), &err), CFD_EPERM);
    assert_int_equal(cfd_models_resolve(d, "missing", out, sizeof(out), &err), CFD_ENOENT);
    /* says what to do (it gave only ENOENT's text): a hot swap of a file not
     * copied over yet is the usual case */
    assert_non_null(strstr(err.msg, "/missing does not exist (copy the file into the models"));
    /* "..x" is an ordinary name */
    tu_write(f->dir, "..x", "good\nv5\nA\n");
    assert_int_equal(cfd_models_resolve(d, "..x", out, sizeof(out), &err), 0);
    /* symlinks: inside is fine, escaping is refused */
    snprintf(link, sizeof(link), "%s/in.txt", f->dir);
    assert_int_equal(symlink("v1.txt", link), 0);
    assert_int_equal(cfd_models_resolve(d, "in.txt", out, sizeof(out), &err), 0);
    char odir[256];
    tu_tmpdir(odir, sizeof(odir));
    tu_write(odir, "evil.txt", "good\nv6\nA\n");
    snprintf(outside, sizeof(outside), "%s/evil.txt", odir);
    snprintf(link, sizeof(link), "%s/evil.txt", f->dir);
    assert_int_equal(symlink(outside, link), 0);
    assert_int_equal(cfd_models_resolve(d, "evil.txt", out, sizeof(out), &err), CFD_EPERM);
    assert_non_null(strstr(err.msg, "outside the models directory"));
    snprintf(link, sizeof(link), "%s/sub", f->dir);
    assert_int_equal(mkdir(link, 0700), 0);
    assert_int_equal(cfd_models_resolve(d, "sub", out, sizeof(out), &err), CFD_EINVAL);
    /* the directory itself is no model file (it read "outside the models
     * directory" while naming that very directory) */
    assert_int_equal(cfd_models_resolve(d, ".", out, sizeof(out), &err), CFD_EINVAL);
    assert_non_null(strstr(err.msg, "names the models directory"));
    assert_int_equal(cfd_models_resolve(d, "./", out, sizeof(out), &err), CFD_EINVAL);
    tu_rmrf(odir);
}

/* A models directory that is a symlink switched to another release
 * (cur -> a, then cur -> b, renamed into place) is followed by the next
 * load, as <models>/aggregate.conf is; a file of the old release is then
 * outside the models directory. */
static void test_models_dir_symlink_switch(void **state)
{
    fixture *f = *state;
    char a[300], b[300], cur[300], tmp[300], link[320];
    cfd_model_registry r2;
    cfd_model_version *v;
    cfd_error err;
    snprintf(a, sizeof(a), "%s/a", f->dir);
    snprintf(b, sizeof(b), "%s/b", f->dir);
    snprintf(cur, sizeof(cur), "%s/cur", f->dir);
    snprintf(tmp, sizeof(tmp), "%s/cur.new", f->dir);
    assert_int_equal(mkdir(a, 0700), 0);
    assert_int_equal(mkdir(b, 0700), 0);
    tu_write(a, "m.txt", "good\nrelease-a\nA\nB\n");
    tu_write(b, "m.txt", "good\nrelease-b\nX\nY\nZ\n");
    assert_int_equal(symlink("a", cur), 0);
    assert_int_equal(cfd_registry_init(&r2, f->lp.p, cur, &err), 0);
    assert_int_equal(cfd_registry_load(&r2, "m.txt", &v, &err), 0);
    assert_string_equal(v->version, "release-a");
    cfd_registry_publish(&r2, v);

    assert_int_equal(symlink("b", tmp), 0);
    assert_int_equal(rename(tmp, cur), 0);
    assert_int_equal(cfd_registry_load(&r2, "m.txt", &v, &err), 0);
    assert_string_equal(v->version, "release-b");
    cfd_registry_publish(&r2, v);

    snprintf(link, sizeof(link), "%s/old.txt", b);
    assert_int_equal(symlink("../a/m.txt", link), 0);
    assert_int_equal(cfd_registry_load(&r2, "old.txt", &v, &err), CFD_EPERM);
    assert_non_null(strstr(err.msg, "outside the models directory"));
    cfd_registry_destroy(&r2);
}

/* Readers always see labels that belong to the version they hold. */
typedef struct swap_ctx {
    fixture *f;
    atomic_int stop;
    atomic_int bad;
    atomic_ullong reads;
} swap_ctx;

static void *registry_reader(void *arg)
{
    swap_ctx *c = arg;
    unsigned long long n = 0;
    while (!atomic_load(&c->stop)) {
        cfd_model_version *v = cfd_registry_acquire(&c->f->r);
        if (v == NULL)
            continue;
        const char *want = !strcmp(v->version, "v1") ? "A" : "X";
        uint32_t want_n = !strcmp(v->version, "v1") ? 2 : 3;
        if (v->info.n_labels != want_n || strcmp(v->info.labels[0], want) != 0 ||
            strncmp(v->labels_json, "\"", 1) != 0)
            atomic_fetch_add(&c->bad, 1);
        cfd_registry_release(&c->f->r, v);
        n++;
        atomic_fetch_add(&c->reads, 1); /* live, so the swapper can wait for us */
    }
    (void)n;
    return NULL;
}

/* Waits (bounded) until the readers have made progress past `since`, so the
 * swaps really overlap reads even when a loaded machine delays the threads. */
static void wait_reads(swap_ctx *c, unsigned long long since)
{
    for (int i = 0; i < 10000 && atomic_load(&c->reads) <= since; i++)
        usleep(1000);
}

static void test_concurrent_swaps(void **state)
{
    fixture *f = *state;
    swap_ctx c;
    c.f = f;
    atomic_init(&c.stop, 0);
    atomic_init(&c.bad, 0);
    atomic_init(&c.reads, 0);
    tu_write(f->dir, "broken.txt", "good\n"); /* no version line */
    cfd_registry_publish(&f->r, load(f, "v1.txt"));
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&th[i], NULL, registry_reader, &c), 0);
    cfd_error err;
    wait_reads(&c, 0);
    for (int i = 0; i < 200; i++) {
        cfd_model_version *v;
        if (i % 20 == 0)
            wait_reads(&c, atomic_load(&c.reads));
        if (i % 20 == 10)
            assert_true(cfd_registry_load(&f->r, "broken.txt", &v, &err) < 0);
        if (i % 7 == 3) {
            assert_int_equal(cfd_registry_rollback(&f->r, &err), 0);
            continue;
        }
        cfd_registry_publish(&f->r, load(f, i % 2 ? "v1.txt" : "v2.txt"));
    }
    atomic_store(&c.stop, 1);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&c.bad), 0);
    assert_true(atomic_load(&c.reads) > 0);
    /* only current and previous remain in memory: nothing leaked */
    assert_int_equal(atomic_load(&f->r.live_versions), 2);
    assert_int_equal(atomic_load(&f->r.loads_failed), 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slot_basics),
        cmocka_unit_test(test_slot_concurrent),
        cmocka_unit_test_setup_teardown(test_publish_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_models, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_models_dir_symlink_switch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_swaps, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
