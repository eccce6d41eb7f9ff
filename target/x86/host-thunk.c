/*
 * Host instruction thunks: a small executable arena, one thunk per
 * distinct byte sequence, looked up in a hash table.  Only called at
 * translate time (and rarely), so one mutex is enough.
 */
#include <glib.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "target/x86/host-thunk.h"
#include "tcg/tcg.h"

#define THUNK_ARENA_SIZE (4 * 1024 * 1024)

static pthread_mutex_t thunk_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *arena, *arena_ptr;
static GHashTable *thunks, *infos;

static guint bytes_hash(gconstpointer p)
{
    return g_bytes_hash(p);
}

static gboolean bytes_equal(gconstpointer a, gconstpointer b)
{
    return g_bytes_equal(a, b);
}

void *x86_host_thunk(const uint8_t *code, size_t len)
{
    GBytes *key = g_bytes_new(code, len);
    void *fn;

    pthread_mutex_lock(&thunk_lock);
    if (!thunks) {
        thunks = g_hash_table_new_full(bytes_hash, bytes_equal,
                                       (GDestroyNotify)g_bytes_unref, NULL);
        arena = mmap(NULL, THUNK_ARENA_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        g_assert(arena != MAP_FAILED);
        arena_ptr = arena;
    }
    fn = g_hash_table_lookup(thunks, key);
    if (!fn) {
        g_assert(arena_ptr + len + 16 < arena + THUNK_ARENA_SIZE);
        fn = arena_ptr;
        memcpy(arena_ptr, code, len);
        arena_ptr[len] = 0xc3; /* ret */
        arena_ptr += (len + 1 + 15) & ~15;
        g_hash_table_insert(thunks, key, fn);
    } else {
        g_bytes_unref(key);
    }
    pthread_mutex_unlock(&thunk_lock);
    return fn;
}

const TCGHelperInfo *x86_host_thunk_info(void *fn, const TCGHelperInfo *proto)
{
    TCGHelperInfo *info;

    pthread_mutex_lock(&thunk_lock);
    if (!infos) {
        infos = g_hash_table_new(g_direct_hash, g_direct_equal);
    }
    info = g_hash_table_lookup(infos, fn);
    if (!info) {
        info = g_new(TCGHelperInfo, 1);
        *info = *proto;
        info->func = fn;
        g_hash_table_insert(infos, fn, info);
    }
    pthread_mutex_unlock(&thunk_lock);
    return info;
}

bool x86_host_thunk_contains(uintptr_t pc)
{
    uint8_t *a = __atomic_load_n(&arena, __ATOMIC_ACQUIRE);
    return a && pc >= (uintptr_t)a && pc < (uintptr_t)a + THUNK_ARENA_SIZE;
}
