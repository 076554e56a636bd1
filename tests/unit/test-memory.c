/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* lib/memory against a recorded sysfs tree (fixtures/sysfs-modes/): an hmem device (soft-reserved
 * memory, dax_hmem) in system-ram, movable, on a node of its own in memory_tier22; an nd devdax
 * device; an unbound CXL one that shows its range only as mapping0/start; auto_online_blocks
 * "offline". The test bed's pc/TCG guests have no soft-reserved memory or CXL window of their
 * own, so these two providers are proven here, not in the guest. */

#include <stdlib.h>
#include <string.h>

#include "memory.h"
#include "sysfs-fixture.h"
#include "test-macro.h"

TEST(test_nodelist) {
        ASSERT_TRUE(memory_nodelist_has("0", 0));
        ASSERT_TRUE(!memory_nodelist_has("0", 1));
        ASSERT_TRUE(memory_nodelist_has("0-2,4", 2));
        ASSERT_TRUE(memory_nodelist_has("0-2,4", 4));
        ASSERT_TRUE(!memory_nodelist_has("0-2,4", 3));
        ASSERT_TRUE(!memory_nodelist_has("", 0));
        ASSERT_TRUE(!memory_nodelist_has("x", 0));
        ASSERT_TRUE(!memory_nodelist_has("1-", 1) || true); /* malformed: no crash */
        ASSERT_TRUE(!memory_nodelist_has(NULL, 0));
        ASSERT_TRUE(!memory_nodelist_has("0", -1));
}

TEST(test_fixture) {
        _cleanup_memory_platform_ MemoryPlatform *p = NULL;
        _cleanup_free_ char *error = NULL, *line = NULL, *root = sysfs_fixture("fixtures/sysfs-modes.tree");
        const DaxDev *d;

        ASSERT_EQ(memory_platform_read(root, &p, &error), 0);
        sysfs_fixture_remove(root);
        ASSERT_STREQ(p->auto_online, "offline");
        ASSERT_EQ_U64(p->block_size, 128u << 20);
        ASSERT_EQ(p->n_tiers, 2);
        ASSERT_EQ(p->tiers[0].id, 4);
        ASSERT_STREQ(p->tiers[0].nodelist, "0");
        ASSERT_EQ(p->tiers[1].id, 22);
        ASSERT_EQ(memory_tier_of_node(p, 1), 22);
        ASSERT_EQ(memory_tier_of_node(p, 7), -1);
        ASSERT_EQ(p->n_devs, 3);

        d = memory_platform_find(p, "dax0.0");
        ASSERT_TRUE(d);
        ASSERT_EQ(d->provider, DAX_PROVIDER_HMEM);
        ASSERT_STREQ(d->parent, "hmem.0");
        ASSERT_EQ_U64(d->resource, 0x140000000);
        ASSERT_EQ_U64(d->size, 512u << 20);
        ASSERT_STREQ(d->driver, "kmem");
        ASSERT_TRUE(d->system_ram);
        ASSERT_EQ(d->blocks, 4);
        ASSERT_EQ(d->online, 4);
        ASSERT_EQ(d->movable, 4);
        ASSERT_EQ(d->node, 1);
        ASSERT_EQ(d->target_node, 1);
        ASSERT_EQ(d->tier, 22);
        ASSERT_EQ(dax_dev_describe(d, &line), 0);
        ASSERT_STREQ(line, "dax0.0 hmem system-ram resource=0x140000000 size=536870912 node=1 tier=22 "
                           "online=4/4 zone=movable");
        free(line);
        line = NULL;

        d = memory_platform_find(p, "dax1.0");
        ASSERT_EQ(d->provider, DAX_PROVIDER_ND);
        ASSERT_STREQ(d->parent, "region1");
        ASSERT_STREQ(d->driver, "device_dax");
        ASSERT_TRUE(!d->system_ram);
        ASSERT_EQ(d->blocks, 0);
        ASSERT_EQ(d->tier, 4); /* its target node's */
        ASSERT_EQ(dax_dev_describe(d, &line), 0);
        ASSERT_STREQ(line, "dax1.0 nd devdax resource=0x180200000 size=534773760 target_node=0 tier=4");
        free(line);
        line = NULL;

        d = memory_platform_find(p, "dax2.0");
        ASSERT_EQ(d->provider, DAX_PROVIDER_CXL);
        ASSERT_STREQ(d->parent, "region0");
        ASSERT_TRUE(d->driver == NULL);
        ASSERT_EQ_U64(d->resource, 0x390000000);
        ASSERT_EQ(d->target_node, 2);
        ASSERT_EQ(d->tier, -1);
        ASSERT_EQ(dax_dev_describe(d, &line), 0);
        ASSERT_STREQ(line, "dax2.0 cxl unbound resource=0x390000000 size=268435456 target_node=2");
}

TEST(test_empty_root) {
        _cleanup_memory_platform_ MemoryPlatform *p = NULL;
        _cleanup_free_ char *error = NULL;

        /* A kernel without memory hot-plug, tiers or dax: all unknown, not an error. */
        ASSERT_EQ(memory_platform_read("fixtures/elf", &p, &error), 0);
        ASSERT_TRUE(p->auto_online == NULL);
        ASSERT_EQ(p->n_tiers, 0);
        ASSERT_EQ(p->n_devs, 0);
        p = memory_platform_free(p);
        ASSERT_TRUE(memory_platform_read("fixtures/no-such-dir", &p, &error) < 0);
        ASSERT_TRUE(strstr(error, "fixtures/no-such-dir"));
}

TEST(test_providers) {
        for (DaxProvider v = 0; v < _DAX_PROVIDER_MAX; v++)
                ASSERT_EQ(dax_provider_from_string(dax_provider_to_string(v)), v);
        ASSERT_EQ(dax_provider_from_string("nvdimm"), _DAX_PROVIDER_INVALID);
}

DEFINE_TEST_MAIN();
