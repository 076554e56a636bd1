/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>

#include "devdax.h"
#include "test-macro.h"

TEST(test_names) {
        _cleanup_free_ char *a = NULL, *b = NULL;
        char *x = NULL;

        ASSERT_EQ(devdax_name_normalize("dax0.0", &a), 0);
        ASSERT_STREQ(a, "dax0.0");
        ASSERT_EQ(devdax_name_normalize("/dev/dax12.34", &b), 0);
        ASSERT_STREQ(b, "dax12.34");
        ASSERT_EQ(devdax_name_normalize("dax0", &x), -EINVAL);
        ASSERT_EQ(devdax_name_normalize("dax.0", &x), -EINVAL);
        ASSERT_EQ(devdax_name_normalize("dax0.", &x), -EINVAL);
        ASSERT_EQ(devdax_name_normalize("dax0.0x", &x), -EINVAL);
        ASSERT_EQ(devdax_name_normalize("pmem0", &x), -EINVAL);
        ASSERT_EQ(devdax_name_normalize("/dev/../dev/dax0.0", &x), -EINVAL);
        ASSERT_EQ(devdax_name_normalize("/sys/dax0.0", &x), -EINVAL);
        ASSERT_EQ(devdax_name_normalize("dax0.0/../../etc", &x), -EINVAL);
        ASSERT_EQ(devdax_name_normalize("", &x), -EINVAL);
        ASSERT_TRUE(x == NULL);

        ASSERT_STREQ(devdax_mode_to_string(DEVDAX_MODE_DEVDAX), "devdax");
        ASSERT_STREQ(devdax_mode_to_string(DEVDAX_MODE_SYSTEM_RAM), "system-ram");
        ASSERT_EQ(devdax_mode_from_string("system-ram"), DEVDAX_MODE_SYSTEM_RAM);
        ASSERT_EQ(devdax_mode_from_string("devdax"), DEVDAX_MODE_DEVDAX);
        ASSERT_EQ(devdax_mode_from_string("fsdax"), -EINVAL);
        ASSERT_EQ(devdax_mode_from_string("system_ram"), -EINVAL);
}

TEST(test_mode) {
        mode_t m = 0;

        ASSERT_EQ(devdax_parse_mode("0660", &m), 0);
        ASSERT_EQ(m, 0660);
        ASSERT_EQ(devdax_parse_mode("600", &m), 0);
        ASSERT_EQ(m, 0600);
        ASSERT_EQ(devdax_parse_mode("0", &m), 0);
        ASSERT_EQ(m, 0);
        ASSERT_EQ(devdax_parse_mode("0777", &m), 0);
        ASSERT_EQ(m, 0777);
        m = 0123;
        ASSERT_EQ(devdax_parse_mode("4755", &m), -EINVAL); /* no setuid & co. on a device node */
        ASSERT_EQ(devdax_parse_mode("0888", &m), -EINVAL);
        ASSERT_EQ(devdax_parse_mode("06600", &m), -EINVAL);
        ASSERT_EQ(devdax_parse_mode("rw", &m), -EINVAL);
        ASSERT_EQ(devdax_parse_mode("", &m), -EINVAL);
        ASSERT_EQ(devdax_parse_mode("-660", &m), -EINVAL);
        ASSERT_EQ(devdax_parse_mode(" 660", &m), -EINVAL);
        ASSERT_EQ(devdax_parse_mode("0o660", &m), -EINVAL);
        ASSERT_EQ(m, 0123); /* untouched on failure */
}

TEST(test_ids) {
        uid_t u = 77;
        gid_t g = 77;

        ASSERT_EQ(devdax_parse_user("0", &u), 0);
        ASSERT_EQ(u, 0);
        ASSERT_EQ(devdax_parse_user("65534", &u), 0);
        ASSERT_EQ(u, 65534);
        ASSERT_EQ(devdax_parse_user("root", &u), 0); /* through NSS: every system has root */
        ASSERT_EQ(u, 0);
        ASSERT_EQ(devdax_parse_group("root", &g), 0);
        ASSERT_EQ(g, 0);
        ASSERT_EQ(devdax_parse_group("1000", &g), 0);
        ASSERT_EQ(g, 1000);
        u = 77;
        ASSERT_EQ(devdax_parse_user("no-such-user-daxmgr", &u), -ESRCH);
        ASSERT_EQ(devdax_parse_group("no-such-group-daxmgr", &g), -ESRCH);
        ASSERT_EQ(devdax_parse_user("4294967295", &u), -EINVAL); /* (uid_t) -1 means "unchanged" */
        ASSERT_EQ(devdax_parse_user("4294967296", &u), -EINVAL);
        ASSERT_EQ(devdax_parse_user("007", &u), -EINVAL);
        ASSERT_EQ(devdax_parse_user("", &u), -EINVAL);
        ASSERT_EQ(devdax_parse_user("root\n", &u), -EINVAL);
        ASSERT_EQ(u, 77);
}

TEST(test_refusals_without_hardware) {
        _cleanup_free_ char *error = NULL;

        ASSERT_EQ(devdax_set_access("/dev/null", 0, 0, 0600, &error), -EINVAL);
        ASSERT_TRUE(strstr(error, "not a device-dax name"));
        ASSERT_EQ(devdax_set_access("dax0.0", (uid_t) -1, (gid_t) -1, 01777, &error), -EINVAL);
        ASSERT_EQ(devdax_set_mode("pmem0", DEVDAX_MODE_SYSTEM_RAM, true, &error), -EINVAL);
        ASSERT_EQ(devdax_set_mode("dax0.0", _DEVDAX_MODE_INVALID, true, &error), -EINVAL);
}

DEFINE_TEST_MAIN();
