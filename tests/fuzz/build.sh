#!/bin/sh
# Builds the libFuzzer harnesses (not part of the default build) and, with
# "run", fuzzes qcow2 for $FUZZ_SECONDS (default 60) from a seed corpus of
# images made by Quasar's and, when present, Debian's qemu-img.
#   tests/fuzz/build.sh [run]      (needs clang with -fsanitize=fuzzer)
set -e
cd "$(dirname "$0")/../.."
OUT=${FUZZ_OUT:-build-fuzz}
command -v clang >/dev/null || { echo "clang not found"; exit 77; }
if [ ! -f "$OUT/config-host.h" ]; then
    CC=clang meson setup "$OUT" >/dev/null
fi
ninja -C "$OUT" config-host.h >/dev/null 2>&1 || true
ZSTD=$(pkg-config --cflags --libs libzstd 2>/dev/null || true)
clang -g -O1 -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -D_GNU_SOURCE \
    -std=gnu11 -I. -I"$OUT" $(pkg-config --cflags glib-2.0 jansson) \
    tests/fuzz/fuzz-qcow2.c block/block.c block/file-posix.c block/io-uring.c \
    block/raw-format.c block/qcow2.c block/qcow2-cluster.c \
    block/qcow2-refcount.c block/qcow2-snapshot.c block/qcow2-bitmap.c \
    block/qcow2-check.c \
    util/error.c util/cutils.c \
    util/option.c util/log.c \
    $(pkg-config --libs glib-2.0 jansson zlib) $ZSTD -lm -lpthread \
    -o "$OUT/fuzz-qcow2"
echo "built $OUT/fuzz-qcow2"
[ "$1" = run ] || exit 0
CORPUS="$OUT/corpus-qcow2"
mkdir -p "$CORPUS"
if [ -z "$(ls "$CORPUS")" ]; then
    for o in "" compat=0.10 cluster_size=512 extended_l2=on refcount_bits=1; do
        n=$(echo "x$o" | tr -c 'a-z0-9' '_')
        if [ -x /usr/bin/qemu-img ]; then
            /usr/bin/qemu-img create -q -f qcow2 ${o:+-o $o} \
                "$CORPUS/$n.qcow2" 1M
            /usr/bin/qemu-io -c 'write -P 1 0 4k' -c 'write -c -P 2 64k 64k' \
                "$CORPUS/$n.qcow2" >/dev/null 2>&1 || true
            /usr/bin/qemu-img snapshot -c s "$CORPUS/$n.qcow2" || true
        fi
    done
fi
# Seeds with persistent bitmaps (loaded and stored on read-write opens).
if [ -x /usr/bin/qemu-img ] && [ ! -f "$CORPUS/bitmaps.qcow2" ]; then
    /usr/bin/qemu-img create -q -f qcow2 -o cluster_size=512 \
        "$CORPUS/bitmaps.qcow2" 1M
    /usr/bin/qemu-img bitmap --add -g 512 "$CORPUS/bitmaps.qcow2" b0 || true
    /usr/bin/qemu-img bitmap --add --disable "$CORPUS/bitmaps.qcow2" b1 || true
    /usr/bin/qemu-io -c 'write -P 1 0 4k' "$CORPUS/bitmaps.qcow2" \
        >/dev/null 2>&1 || true
fi
exec "$OUT/fuzz-qcow2" -artifact_prefix="$OUT/" -max_total_time="${FUZZ_SECONDS:-60}" \
    -max_len=262144 -rss_limit_mb=1024 "$CORPUS"
