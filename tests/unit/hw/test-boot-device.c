/*
 * Unit tests of the bootindex list (hw/core/boot-device.c) behind the
 * "bootorder" fw_cfg file: paths come out by increasing bootindex, one
 * per line, NUL-terminated; boot ROMs come first; an index may be used
 * once; no index means not listed.
 */
#include <string.h>
#include <glib.h>

#include "hw/core/boot-device.h"

static void test_order_and_format(void)
{
    size_t len;
    g_autofree char *empty = boot_device_list(&len);
    Error *err = NULL;
    DeviceState *dev = NULL; /* the list never looks inside devices */

    g_assert_cmpstr(empty, ==, "");
    g_assert_cmpuint(len, ==, 1);
    g_assert_true(boot_device_add(-1, dev, "/not/listed", &error_abort));
    g_assert_true(boot_device_add(5, dev, "/five", &error_abort));
    g_assert_true(boot_device_add(1, dev, "/one", &error_abort));
    g_assert_true(boot_device_add(3, dev, "/three", &error_abort));
    g_assert_false(boot_device_add(3, dev, "/again", &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "The bootindex 3 has already been used");
    error_free(err);
    boot_device_add_rom("/rom@genroms/linuxboot.bin");
    {
        g_autofree char *list = boot_device_list(&len);
        const char *want = "/rom@genroms/linuxboot.bin\n/one\n/three\n/five";
        g_assert_cmpstr(list, ==, want);
        g_assert_cmpuint(len, ==, strlen(want) + 1);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/boot-device/order-and-format", test_order_and_format);
    return g_test_run();
}
