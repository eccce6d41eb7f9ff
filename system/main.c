/*
 * qemu-system-<arch> entry point.
 */
#include "system/system.h"

int main(int argc, char **argv)
{
    return qemu_main(argc, argv, TARGET_NAME);
}
