/*
 * The `file` protocol: a host file or block device.
 *
 * Sparse files (holes found with SEEK_DATA/SEEK_HOLE, zero writes that
 * punch holes), O_DIRECT for cache=none through aligned bounce buffers,
 * and QEMU-compatible image locking: OFD locks on single bytes, byte
 * 100+i held while we use permission i and byte 200+i held while we refuse
 * to share it (i: 0 consistent read, 1 write, 2 write unchanged, 3 resize).
 * Another QEMU and Quasar therefore refuse each other's conflicting opens.
 * With aio=io_uring (BDRV_O_IO_URING) every read, write and flush goes
 * through an io_uring ring of the calling thread instead of the plain
 * system calls; the async pool (aio-pool.c) submits to a ring of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <inttypes.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include "block/block_int.h"
#include "block/io-uring.h"

#define LOCK_PERM_BASE       100
#define LOCK_SHARED_BASE     200
#define PERM_CONSISTENT_READ 0x1
#define PERM_WRITE           0x2
#define PERM_WRITE_UNCHANGED 0x4
#define PERM_RESIZE          0x8
#define PERM_ALL             0xf
#define DIRECT_ALIGN         4096

typedef struct FileState {
    int fd;
    bool direct;
    bool is_blockdev;
    bool uring; /* aio=io_uring */
} FileState;

/* pread()/pwrite() semantics, through io_uring when the node uses it. */
static ssize_t file_sys_rw(FileState *s, bool write, void *buf, size_t n,
                           uint64_t offset)
{
    if (s->uring) {
        int r = luring_rw_once(write ? IORING_OP_WRITEV : IORING_OP_READV,
                               s->fd, offset, buf, MIN(n, 1u << 30));
        if (r < 0) {
            errno = -r;
            return -1;
        }
        return r;
    }
    return write ? pwrite(s->fd, buf, n, offset) : pread(s->fd, buf, n, offset);
}

static const char *const perm_names[] = {"consistent read", "write",
                                         "write unchanged", "resize"};

static int file_lock_byte(int fd, off_t byte)
{
    struct flock fl = {
        .l_whence = SEEK_SET,
        .l_start = byte,
        .l_len = 1,
        .l_type = F_RDLCK,
    };
    return fcntl(fd, F_OFD_SETLK, &fl) == -1 ? -errno : 0;
}

/* True when another open file description holds byte. */
static bool file_byte_taken(int fd, off_t byte)
{
    struct flock fl = {
        .l_whence = SEEK_SET,
        .l_start = byte,
        .l_len = 1,
        .l_type = F_WRLCK,
    };
    if (fcntl(fd, F_OFD_GETLK, &fl) == -1) {
        return false;
    }
    return fl.l_type != F_UNLCK;
}

static int file_lock(BlockDriverState *bs, int fd, unsigned perm,
                     unsigned shared, Error **errp)
{
    for (int i = 0; i < 4; i++) {
        if ((perm & (1u << i)) && file_lock_byte(fd, LOCK_PERM_BASE + i)) {
            goto unsupported;
        }
        if (!(shared & (1u << i)) && file_lock_byte(fd, LOCK_SHARED_BASE + i)) {
            goto unsupported;
        }
    }
    for (int i = 0; i < 4; i++) {
        if ((perm & (1u << i)) && file_byte_taken(fd, LOCK_SHARED_BASE + i)) {
            error_setg(errp,
                       "Failed to get \"%s\" lock\n"
                       "Is another process using the image [%s]?",
                       perm_names[i], bs->filename);
            return -EAGAIN;
        }
        if (!(shared & (1u << i)) && file_byte_taken(fd, LOCK_PERM_BASE + i)) {
            error_setg(errp,
                       "Failed to get shared \"%s\" lock\n"
                       "Is another process using the image [%s]?",
                       perm_names[i], bs->filename);
            return -EAGAIN;
        }
    }
    return 0;
unsupported:
    /* Filesystems without OFD locks: run unlocked, as QEMU does. */
    return 0;
}

static int file_open(BlockDriverState *bs, int flags, Error **errp)
{
    FileState *s = bs->opaque;
    int oflags = O_CLOEXEC | ((flags & BDRV_O_RDWR) ? O_RDWR : O_RDONLY);
    struct stat st;

    if (flags & BDRV_O_NOCACHE) {
        oflags |= O_DIRECT;
        s->direct = true;
    }
    if ((flags & BDRV_O_NATIVE_AIO) && !(flags & BDRV_O_NOCACHE)) {
        error_setg(errp, "aio=native was specified, but it requires "
                         "cache.direct=on, which was not specified.");
        return -EINVAL;
    }
    if (flags & BDRV_O_IO_URING) {
        int e = 0;
        if (!luring_available(&e)) {
            error_setg(errp,
                       "Unable to use io_uring: failed to init linux "
                       "io_uring ring: %s",
                       strerror(e));
            return -e;
        }
        s->uring = true;
    }
    s->fd = open(bs->filename, oflags);
    if (s->fd < 0 && errno == EINVAL && s->direct) {
        error_setg(errp,
                   "Could not open '%s': filesystem does not support "
                   "O_DIRECT",
                   bs->filename);
        return -EINVAL;
    }
    if (s->fd < 0) {
        int e = errno;
        error_setg_errno(errp, e, "Could not open '%s'", bs->filename);
        return -e;
    }
    if (fstat(s->fd, &st) == 0 && S_ISBLK(st.st_mode)) {
        s->is_blockdev = true;
    }
    if (!(flags & (BDRV_O_NO_LOCK | BDRV_O_FORCE_SHARE)) ||
        ((flags & BDRV_O_FORCE_SHARE) && (flags & BDRV_O_RDWR))) {
        unsigned perm = PERM_CONSISTENT_READ;
        unsigned shared = PERM_ALL & ~PERM_WRITE;
        if (flags & BDRV_O_RDWR) {
            perm |= PERM_WRITE | PERM_RESIZE;
            shared = PERM_CONSISTENT_READ | PERM_WRITE_UNCHANGED;
        }
        int ret = file_lock(bs, s->fd, perm, shared, errp);
        if (ret < 0) {
            close(s->fd);
            return ret;
        }
    }
    return 0;
}

static void file_close(BlockDriverState *bs)
{
    FileState *s = bs->opaque;
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
}

/*
 * O_DIRECT needs aligned offsets, lengths and buffers: the aligned window
 * [*start, *end) around [offset, offset + bytes) and a bounce buffer of
 * its size (free()), or NULL when it can't be allocated.
 */
static void *direct_bounce(uint64_t offset, uint64_t bytes, uint64_t *start,
                           uint64_t *end)
{
    void *bounce;

    *start = offset & ~(uint64_t)(DIRECT_ALIGN - 1);
    *end = (offset + bytes + DIRECT_ALIGN - 1) & ~(uint64_t)(DIRECT_ALIGN - 1);
    return posix_memalign(&bounce, DIRECT_ALIGN, *end - *start) ? NULL : bounce;
}

static int file_pread_direct(FileState *s, uint64_t offset, uint64_t bytes,
                             void *buf)
{
    uint64_t start, end;
    void *bounce = direct_bounce(offset, bytes, &start, &end);
    if (!bounce) {
        return -ENOMEM;
    }
    uint64_t done = 0;
    while (done < end - start) {
        ssize_t r = file_sys_rw(s, false, (uint8_t *)bounce + done,
                                end - start - done, start + done);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            int e = -errno;
            free(bounce);
            return e;
        }
        if (r == 0) {
            memset((uint8_t *)bounce + done, 0, end - start - done);
            break;
        }
        done += r;
    }
    memcpy(buf, (uint8_t *)bounce + (offset - start), bytes);
    free(bounce);
    return 0;
}

static int file_pread(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      void *buf)
{
    FileState *s = bs->opaque;
    if (s->direct) {
        return file_pread_direct(s, offset, bytes, buf);
    }
    uint8_t *p = buf;
    while (bytes) {
        ssize_t r = file_sys_rw(s, false, p, bytes, offset);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        if (r == 0) {
            memset(p, 0, bytes); /* past EOF reads as zero */
            return 0;
        }
        p += r;
        offset += r;
        bytes -= r;
    }
    return 0;
}

static int file_pwrite_buffered(FileState *s, uint64_t offset, uint64_t bytes,
                                const void *buf)
{
    const uint8_t *p = buf;
    while (bytes) {
        ssize_t r = file_sys_rw(s, true, (void *)p, bytes, offset);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        p += r;
        offset += r;
        bytes -= r;
    }
    return 0;
}

static int file_pwrite(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                       const void *buf, int flags)
{
    FileState *s = bs->opaque;
    if (!s->direct) {
        return file_pwrite_buffered(s, offset, bytes, buf);
    }
    /* O_DIRECT: read-modify-write through an aligned bounce buffer. */
    uint64_t start, end;
    void *bounce = direct_bounce(offset, bytes, &start, &end);
    if (!bounce) {
        return -ENOMEM;
    }
    int ret = 0;
    if (start != offset || end != offset + bytes) {
        ret = file_pread_direct(s, start, end - start, bounce);
    }
    if (ret == 0) {
        memcpy((uint8_t *)bounce + (offset - start), buf, bytes);
        ret = file_pwrite_buffered(s, start, end - start, bounce);
    }
    free(bounce);
    if (ret == 0 && end != offset + bytes) {
        /* Keep the file length exact when the write extended it. */
        struct stat st;
        if (fstat(s->fd, &st) == 0 && (uint64_t)st.st_size == end &&
            !s->is_blockdev) {
            ret = ftruncate(s->fd, offset + bytes) ? -errno : 0;
        }
    }
    return ret;
}

static int64_t file_getlength(BlockDriverState *bs)
{
    FileState *s = bs->opaque;
    if (s->is_blockdev) {
        uint64_t size;
        if (ioctl(s->fd, BLKGETSIZE64, &size) == 0) {
            return (int64_t)size;
        }
    }
    off_t len = lseek(s->fd, 0, SEEK_END);
    return len < 0 ? -errno : len;
}

static int file_pwrite_zeroes(BlockDriverState *bs, uint64_t offset,
                              uint64_t bytes, int flags)
{
    FileState *s = bs->opaque;
    int64_t len = file_getlength(bs);

    if (s->is_blockdev) {
        return -ENOTSUP;
    }
    if (len >= 0 && offset >= (uint64_t)len) {
        /* Past EOF: extending the file leaves a hole that reads zero. */
        if (ftruncate(s->fd, offset + bytes) == 0) {
            return 0;
        }
    }
    if ((flags & BDRV_REQ_MAY_UNMAP) &&
        fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset,
                  bytes) == 0) {
        if (len >= 0 && offset + bytes > (uint64_t)len &&
            ftruncate(s->fd, offset + bytes) < 0) {
            return -errno;
        }
        return 0;
    }
    if (fallocate(s->fd, FALLOC_FL_ZERO_RANGE, offset, bytes) == 0) {
        return 0;
    }
    if (fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset,
                  bytes) == 0) {
        if (len >= 0 && offset + bytes > (uint64_t)len &&
            ftruncate(s->fd, offset + bytes) < 0) {
            return -errno;
        }
        return 0;
    }
    return -ENOTSUP;
}

static int file_discard(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    FileState *s = bs->opaque;
    if (s->is_blockdev) {
        uint64_t range[2] = {offset, bytes};
        return ioctl(s->fd, BLKDISCARD, range) ? -errno : 0;
    }
    if (fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset,
                  bytes) < 0 &&
        errno != EOPNOTSUPP) {
        return -errno;
    }
    return 0;
}

static int file_flush(BlockDriverState *bs)
{
    FileState *s = bs->opaque;
    if (bs->open_flags & BDRV_O_NO_FLUSH) {
        return 0; /* cache=unsafe */
    }
    if (s->uring) {
        return luring_fdatasync(s->fd);
    }
    return fdatasync(s->fd) ? -errno : 0;
}

static int file_prealloc(FileState *s, uint64_t from, uint64_t to,
                         PreallocMode mode)
{
    if (mode == PREALLOC_MODE_FALLOC) {
        int r = posix_fallocate(s->fd, from, to - from);
        return r ? -r : 0;
    }
    if (mode == PREALLOC_MODE_FULL) {
        enum { CHUNK = 1 << 20 };
        g_autofree uint8_t *z = g_malloc0(CHUNK);
        for (uint64_t p = from; p < to;) {
            uint64_t n = MIN((uint64_t)CHUNK, to - p);
            int ret = file_pwrite_buffered(s, p, n, z);
            if (ret < 0) {
                return ret;
            }
            p += n;
        }
    }
    return 0;
}

static int file_truncate(BlockDriverState *bs, uint64_t size, bool exact,
                         PreallocMode prealloc, Error **errp)
{
    FileState *s = bs->opaque;
    int64_t cur = file_getlength(bs);

    if (s->is_blockdev) {
        if (cur >= 0 && (uint64_t)cur < size) {
            error_setg(errp, "Cannot grow device files");
            return -EINVAL;
        }
        return 0;
    }
    if (!exact && cur >= 0 && (uint64_t)cur >= size) {
        return 0;
    }
    if (prealloc != PREALLOC_MODE_OFF && cur >= 0 && size > (uint64_t)cur) {
        int ret = file_prealloc(s, cur, size, prealloc);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not preallocate new data");
            return ret;
        }
    }
    if (ftruncate(s->fd, size) < 0) {
        int e = errno;
        error_setg_errno(errp, e, "Failed to resize file");
        return -e;
    }
    return 0;
}

static int64_t file_get_allocated_file_size(BlockDriverState *bs)
{
    FileState *s = bs->opaque;
    struct stat st;
    if (fstat(s->fd, &st) < 0) {
        return -errno;
    }
    return (int64_t)st.st_blocks * 512;
}

static int file_block_status(BlockDriverState *bs, uint64_t offset,
                             uint64_t bytes, uint64_t *pnum, uint64_t *map,
                             BlockDriverState **file)
{
    FileState *s = bs->opaque;
    int ret = BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID;

    *map = offset;
    *file = bs;
    *pnum = bytes;
    if (s->is_blockdev) {
        return ret;
    }
    off_t data = lseek(s->fd, offset, SEEK_DATA);
    if (data < 0) {
        if (errno == ENXIO) {
            /* No data at or after offset: a hole up to EOF. */
            return BDRV_BLOCK_ZERO | BDRV_BLOCK_OFFSET_VALID;
        }
        return ret;
    }
    if ((uint64_t)data > offset) {
        *pnum = MIN(bytes, (uint64_t)data - offset);
        return BDRV_BLOCK_ZERO | BDRV_BLOCK_OFFSET_VALID;
    }
    off_t hole = lseek(s->fd, offset, SEEK_HOLE);
    if (hole > (off_t)offset) {
        *pnum = MIN(bytes, (uint64_t)hole - offset);
    }
    return ret;
}

static const OptDesc file_create_opts[] = {
    {"size", OPT_SIZE, "Virtual disk size"},
    {"preallocation", OPT_STRING,
     "Preallocation mode (allowed values: off, falloc, full)"},
    {"nocow", OPT_BOOL, "Turn off copy-on-write (valid only on btrfs)"},
    {NULL},
};

static int file_create(const char *filename, Opts *opts, Error **errp)
{
    uint64_t size = opts_get_size(opts, "size", 0);
    PreallocMode prealloc = PREALLOC_MODE_OFF;
    const char *p = opts_get(opts, "preallocation");

    if (p && !bdrv_parse_prealloc(p, &prealloc, errp)) {
        return -EINVAL;
    }
    if (prealloc == PREALLOC_MODE_METADATA) {
        error_setg(errp, "Unsupported preallocation mode 'metadata'");
        return -EINVAL;
    }
    int fd = open(filename, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        error_setg_errno(errp, e, "Could not create '%s'", filename);
        return -e;
    }
    struct stat st;
    int ret = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        if (ftruncate(fd, 0) < 0 || ftruncate(fd, size) < 0) {
            ret = -errno;
            error_setg_errno(errp, -ret, "Could not resize file");
        } else {
            FileState fs = {.fd = fd};
            ret = file_prealloc(&fs, 0, size, prealloc);
            if (ret < 0) {
                error_setg_errno(errp, -ret, "Could not preallocate data");
            } else if (prealloc == PREALLOC_MODE_OFF && size) {
                /*
                 * Like QEMU, allocate the first block so that later
                 * alignment probing sees real data (and "disk size" and
                 * map agree with QEMU's for a new image).
                 */
                static const uint8_t zero[4096];
                ret =
                    file_pwrite_buffered(&fs, 0, MIN(size, sizeof(zero)), zero);
                if (ret < 0) {
                    error_setg_errno(errp, -ret, "Could not write to '%s'",
                                     filename);
                }
            }
        }
    }
    close(fd);
    return ret;
}

int file_host_fd(BlockDriverState *bs, bool *direct)
{
    FileState *s = bs->opaque;
    *direct = s->direct;
    return s->fd;
}

bool file_uring_fd(BlockDriverState *bs, int *fd, bool *direct)
{
    FileState *s = bs->opaque;
    if (bs->drv != &bdrv_file || !s->uring || s->fd < 0) {
        return false;
    }
    *fd = s->fd;
    *direct = s->direct;
    return true;
}

static bool file_has_zero_init(BlockDriverState *bs)
{
    FileState *s = bs->opaque;
    return !s->is_blockdev;
}

const BlockDriver bdrv_file = {
    .format_name = "file",
    .instance_size = sizeof(FileState),
    .is_protocol = true,
    .create_opts = file_create_opts,
    .open = file_open,
    .close = file_close,
    .create = file_create,
    .pread = file_pread,
    .pwrite = file_pwrite,
    .pwrite_zeroes = file_pwrite_zeroes,
    .discard = file_discard,
    .flush = file_flush,
    .truncate = file_truncate,
    .getlength = file_getlength,
    .get_allocated_file_size = file_get_allocated_file_size,
    .block_status = file_block_status,
    .has_zero_init = file_has_zero_init,
};
