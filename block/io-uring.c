/*
 * io_uring with the bare system calls (see io-uring.h).
 *
 * The kernel shares three regions with us: the submission ring (head,
 * tail, mask, and an index array into the slot table), the slot table
 * (struct io_uring_sqe) and the completion ring (head, tail, mask and the
 * struct io_uring_cqe entries).  We own the submission tail and the
 * completion head; the kernel owns the others.  Stores that publish to the
 * kernel are releases, loads of what it publishes are acquires.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <glib.h>
#include "block/io-uring.h"

struct LuRing {
    int fd;
    unsigned sq_entries;
    unsigned *sq_head, *sq_tail, *sq_mask, *sq_array;
    unsigned sq_local_tail; /* slots handed out, not yet published */
    struct io_uring_sqe *sqes;
    unsigned *cq_head, *cq_tail, *cq_mask;
    struct io_uring_cqe *cqes;
    void *sq_map, *cq_map;
    size_t sq_map_len, cq_map_len, sqes_len;
    bool single_mmap;
};

static int sys_io_uring_setup(unsigned entries, struct io_uring_params *p)
{
    return (int)syscall(__NR_io_uring_setup, entries, p);
}

static int sys_io_uring_enter(int fd, unsigned to_submit, unsigned min_complete,
                              unsigned flags)
{
    return (int)syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags,
                        NULL, 0);
}

static int sys_io_uring_register(int fd, unsigned op, void *arg, unsigned n)
{
    return (int)syscall(__NR_io_uring_register, fd, op, arg, n);
}

void luring_free(LuRing *r)
{
    if (!r) {
        return;
    }
    if (r->sqes && r->sqes != MAP_FAILED) {
        munmap(r->sqes, r->sqes_len);
    }
    if (r->cq_map && r->cq_map != MAP_FAILED && !r->single_mmap) {
        munmap(r->cq_map, r->cq_map_len);
    }
    if (r->sq_map && r->sq_map != MAP_FAILED) {
        munmap(r->sq_map, r->sq_map_len);
    }
    if (r->fd >= 0) {
        close(r->fd);
    }
    g_free(r);
}

LuRing *luring_new(unsigned entries, int *err)
{
    struct io_uring_params p;
    LuRing *r = g_new0(LuRing, 1);

    memset(&p, 0, sizeof(p));
    r->fd = sys_io_uring_setup(entries, &p);
    if (r->fd < 0) {
        *err = errno;
        g_free(r);
        return NULL;
    }
    r->sq_entries = p.sq_entries;
    r->sq_map_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    r->cq_map_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    r->single_mmap = p.features & IORING_FEAT_SINGLE_MMAP;
    if (r->single_mmap) {
        r->sq_map_len = r->cq_map_len = MAX(r->sq_map_len, r->cq_map_len);
    }
    r->sq_map = mmap(NULL, r->sq_map_len, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
    if (r->sq_map == MAP_FAILED) {
        goto fail;
    }
    if (r->single_mmap) {
        r->cq_map = r->sq_map;
    } else {
        r->cq_map = mmap(NULL, r->cq_map_len, PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
        if (r->cq_map == MAP_FAILED) {
            goto fail;
        }
    }
    r->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
    r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
    if (r->sqes == MAP_FAILED) {
        goto fail;
    }
    uint8_t *sq = r->sq_map, *cq = r->cq_map;
    r->sq_head = (unsigned *)(sq + p.sq_off.head);
    r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
    r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
    r->sq_array = (unsigned *)(sq + p.sq_off.array);
    r->cq_head = (unsigned *)(cq + p.cq_off.head);
    r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
    r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
    r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
    r->sq_local_tail = *r->sq_tail;
    return r;
fail:
    *err = errno;
    luring_free(r);
    return NULL;
}

bool luring_available(int *err)
{
    static gsize once;
    static int saved_err;

    if (g_once_init_enter(&once)) {
        const char *off = getenv("QUASAR_NO_IO_URING");
        if (off && *off && strcmp(off, "0")) {
            saved_err = ENOSYS;
        } else {
            int e = 0;
            LuRing *r = luring_new(2, &e);
            saved_err = r ? 0 : e;
            luring_free(r);
        }
        g_once_init_leave(&once, 1);
    }
    if (err) {
        *err = saved_err;
    }
    return saved_err == 0;
}

int luring_register_eventfd(LuRing *r, int efd)
{
    return sys_io_uring_register(r->fd, IORING_REGISTER_EVENTFD, &efd, 1) < 0
               ? -errno
               : 0;
}

struct io_uring_sqe *luring_get_sqe(LuRing *r)
{
    unsigned head = __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE);
    if (r->sq_local_tail - head >= r->sq_entries) {
        return NULL;
    }
    unsigned idx = r->sq_local_tail & *r->sq_mask;
    struct io_uring_sqe *sqe = &r->sqes[idx];
    r->sq_array[idx] = idx;
    r->sq_local_tail++;
    memset(sqe, 0, sizeof(*sqe));
    return sqe;
}

void luring_prep_rw(struct io_uring_sqe *sqe, int op, int fd, const void *addr,
                    uint32_t len, uint64_t offset, uint64_t user_data)
{
    sqe->opcode = (uint8_t)op;
    sqe->fd = fd;
    sqe->addr = (uint64_t)(uintptr_t)addr;
    sqe->len = len;
    sqe->off = offset;
    sqe->user_data = user_data;
}

int luring_submit(LuRing *r, unsigned wait_nr)
{
    unsigned tail = *r->sq_tail;
    unsigned n = r->sq_local_tail - tail;

    __atomic_store_n(r->sq_tail, r->sq_local_tail, __ATOMIC_RELEASE);
    while (n || wait_nr) {
        int ret = sys_io_uring_enter(r->fd, n, wait_nr,
                                     wait_nr ? IORING_ENTER_GETEVENTS : 0);
        if (ret < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        n -= MIN((unsigned)ret, n);
        if (wait_nr) {
            unsigned avail =
                __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE) - *r->cq_head;
            if (avail >= wait_nr) {
                wait_nr = 0;
            }
        }
    }
    return 0;
}

bool luring_pop_cqe(LuRing *r, struct io_uring_cqe *cqe)
{
    unsigned head = *r->cq_head;
    if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE)) {
        return false;
    }
    *cqe = r->cqes[head & *r->cq_mask];
    __atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
    return true;
}

/* ---- per-thread rings for synchronous requests ------------------------- */

static pthread_key_t thread_ring_key;
static pthread_once_t thread_ring_once = PTHREAD_ONCE_INIT;

static void thread_ring_free(void *p)
{
    luring_free(p);
}

static void thread_ring_init(void)
{
    pthread_key_create(&thread_ring_key, thread_ring_free);
}

static LuRing *thread_ring(int *err)
{
    pthread_once(&thread_ring_once, thread_ring_init);
    LuRing *r = pthread_getspecific(thread_ring_key);
    if (!r) {
        r = luring_new(4, err);
        if (r) {
            pthread_setspecific(thread_ring_key, r);
        }
    }
    return r;
}

/* Runs one request on the thread's ring; returns the CQE's result. */
static int thread_ring_run(int op, int fd, const void *addr, uint32_t len,
                           uint64_t offset, uint32_t fsync_flags)
{
    int err = 0;
    LuRing *r = thread_ring(&err);
    if (!r) {
        return -err;
    }
    struct io_uring_sqe *sqe = luring_get_sqe(r);
    if (!sqe) {
        return -EBUSY; /* cannot happen: one request at a time */
    }
    luring_prep_rw(sqe, op, fd, addr, len, offset, 1);
    sqe->fsync_flags = fsync_flags;
    int ret = luring_submit(r, 1);
    if (ret < 0) {
        return ret;
    }
    struct io_uring_cqe cqe;
    while (!luring_pop_cqe(r, &cqe)) {
        ret = luring_submit(r, 1);
        if (ret < 0) {
            return ret;
        }
    }
    return cqe.res;
}

int luring_rw_once(int op, int fd, uint64_t offset, void *buf, uint32_t len)
{
    struct iovec iov = {buf, len};
    int r;
    do {
        r = thread_ring_run(op, fd, &iov, 1, offset, 0);
    } while (r == -EINTR || r == -EAGAIN);
    return r;
}

int luring_fdatasync(int fd)
{
    int r;
    do {
        r = thread_ring_run(IORING_OP_FSYNC, fd, NULL, 0, 0,
                            IORING_FSYNC_DATASYNC);
    } while (r == -EINTR);
    return r < 0 ? r : 0;
}
