/*
 * Linux io_uring through the raw system calls (no liburing): ring setup
 * and teardown, submission and completion, and a synchronous helper that
 * runs one request on a ring owned by the calling thread.
 *
 *     int err;
 *     LuRing *r = luring_new(64, &err);          // NULL: -err from kernel
 *     struct io_uring_sqe *sqe = luring_get_sqe(r);
 *     luring_prep_rw(sqe, IORING_OP_READV, fd, iov, niov, offset, tag);
 *     luring_submit(r, 1);                       // and wait for one
 *     struct io_uring_cqe cqe;
 *     while (luring_pop_cqe(r, &cqe)) { ... cqe.user_data == tag ... }
 *     luring_free(r);
 *
 * A ring is not thread-safe: its owner serialises access.
 */
#ifndef BLOCK_IO_URING_H
#define BLOCK_IO_URING_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <linux/io_uring.h>

typedef struct LuRing LuRing;

/*
 * Whether the kernel lets us create rings (tried once; the answer is
 * cached).  QUASAR_NO_IO_URING=1 in the environment makes it answer
 * false, to test the fallback paths.  On false, *err (if not NULL) gets
 * the errno the kernel returned.
 */
bool luring_available(int *err);

/* A ring of at least `entries` submission slots; NULL with *err = errno. */
LuRing *luring_new(unsigned entries, int *err);
void luring_free(LuRing *r);
/* Lets the kernel signal completions on eventfd efd.  0 or -errno. */
int luring_register_eventfd(LuRing *r, int efd);

/* A free submission slot (zeroed), or NULL when the queue is full. */
struct io_uring_sqe *luring_get_sqe(LuRing *r);
void luring_prep_rw(struct io_uring_sqe *sqe, int op, int fd, const void *addr,
                    uint32_t len, uint64_t offset, uint64_t user_data);
/*
 * Hands the prepared slots to the kernel and, when wait_nr > 0, waits
 * until that many completions are available.  Returns 0 or -errno.
 */
int luring_submit(LuRing *r, unsigned wait_nr);
/* Takes the oldest completion into *cqe; false when there is none. */
bool luring_pop_cqe(LuRing *r, struct io_uring_cqe *cqe);

/*
 * Synchronous I/O on the calling thread's own ring (created on first use,
 * freed when the thread exits): one readv/writev of buf.  Returns the
 * bytes transferred (short at end of file, as pread/pwrite) or -errno.
 * op: IORING_OP_READV or IORING_OP_WRITEV.
 */
int luring_rw_once(int op, int fd, uint64_t offset, void *buf, uint32_t len);
/* fdatasync() through the thread's ring.  0 or -errno. */
int luring_fdatasync(int fd);

#endif
