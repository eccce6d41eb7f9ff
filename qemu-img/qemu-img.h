/*
 * qemu-img: shared helpers between the command files.
 */
#ifndef QEMU_IMG_H
#define QEMU_IMG_H

#include <stdbool.h>
#include <stdint.h>
#include <inttypes.h>
#include "block/block.h"

/* Opens an image; reports "qemu-img: Could not open ..." on failure. */
BlockDriverState *img_open(const char *filename, const char *fmt, int flags,
                           bool force_share, bool quiet);
/* QEMU's size_to_str: units switch at 1000 of the smaller unit. */
char *img_size_to_str(uint64_t size);
/* -t/-T cache mode to open flags; false on a bad mode. */
bool img_parse_cache(const char *mode, int *flags);
/* A usage error: the message plus QEMU's "Try 'qemu-img --help'" line. */
void img_usage_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Writes the progress line "    (xx.xx/100%)\r". */
void img_progress(bool enabled, double pct);

int img_convert(int argc, char **argv);
int img_compare(int argc, char **argv);
int img_commit(int argc, char **argv);
int img_rebase(int argc, char **argv);
int img_dd(int argc, char **argv);
int img_bench(int argc, char **argv);
int img_bitmap(int argc, char **argv);

#endif
