/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The topology model against a snapshot captured in the test-bed guest (40-topology-json.sh):
 * JSON round trip, lookups, the region shapes the planner gets, and hostile JSON. */

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "topology.h"
#include "test-macro.h"

#define FIXTURE "fixtures/topology-labelled.json"

static Topology *load(const char *path) {
        json_object *j = json_object_from_file(path);
        Topology *t = NULL;
        char *e = NULL;

        ASSERT_TRUE(j);
        if (topology_from_json(j, &t, &e) < 0) {
                fprintf(stderr, "%s: %s\n", path, e);
                abort();
        }
        json_object_put(j);
        return t;
}

TEST(test_round_trip) {
        json_object *orig = json_object_from_file(FIXTURE), *again;
        _cleanup_topology_ Topology *t = load(FIXTURE);

        again = topology_to_json(t);
        if (!json_object_equal(orig, again)) {
                fprintf(stderr, "round trip differs:\n%s\n",
                        json_object_to_json_string_ext(again, JSON_C_TO_STRING_PRETTY));
                abort();
        }
        json_object_put(orig);
        json_object_put(again);
}

TEST(test_model) {
        _cleanup_topology_ Topology *t = load(FIXTURE);
        const TopoNamespace *n;
        const TopoRegion *r;

        ASSERT_EQ(t->n_regions, 2);
        ASSERT_STREQ(t->regions[0].dev, "region0");
        ASSERT_TRUE(t->regions[0].labelled);
        ASSERT_EQ(t->regions[0].n_namespaces, 3);
        ASSERT_EQ(t->regions[0].n_supported_alignments, 3);
        ASSERT_EQ_U64(t->regions[0].supported_alignments[1], 2 * MiB);
        ASSERT_EQ(t->n_dimms, 2);

        /* Found by name, uuid, kernel name, block and character device. */
        ASSERT_EQ(topology_find_namespace(t, "ref-fsdax", &r, &n), 0);
        ASSERT_STREQ(r->dev, "region0");
        ASSERT_EQ(n->mode, NAMESPACE_MODE_FSDAX);
        ASSERT_EQ(n->map, PFN_MAP_MEM);
        ASSERT_STREQ(n->filesystem->type, "ext4");
        ASSERT_STREQ(n->filesystem->label, "reflabel");
        ASSERT_EQ(n->n_mounts, 1);
        ASSERT_STREQ(n->mounts[0].target, "/mnt/ref");
        ASSERT_STREQ(n->mounts[0].dax, "always");
        /* ndctl's two uuids: the pfn info block's, and the label's. */
        ASSERT_STREQ(n->uuid, "ecd51da4-bc8d-4fef-9bb6-33fcbe3c09c4");
        ASSERT_STREQ(n->raw_uuid, "9228b211-c9f0-4868-a0f3-2a3e2379dfbf");
        ASSERT_EQ(n->sector_size, 512);
        ASSERT_EQ(n->target_node, 0);
        ASSERT_TRUE(n->enabled);
        const TopoNamespace *by_uuid, *by_raw, *by_blk, *by_dev;
        ASSERT_EQ(topology_find_namespace(t, n->uuid, NULL, &by_uuid), 0);
        ASSERT_EQ(topology_find_namespace(t, "9228B211-C9F0-4868-A0F3-2A3E2379DFBF", NULL, &by_raw), 0);
        ASSERT_EQ(topology_find_namespace(t, "/dev/pmem0", NULL, &by_blk), 0);
        ASSERT_EQ(topology_find_namespace(t, n->dev, NULL, &by_dev), 0);
        ASSERT_TRUE(by_uuid == n && by_raw == n && by_blk == n && by_dev == n);

        ASSERT_EQ(topology_find_namespace(t, "dax0.1", NULL, &n), 0);
        ASSERT_EQ(n->mode, NAMESPACE_MODE_DEVDAX);
        ASSERT_STREQ(n->daxdev->mode, "devdax");
        ASSERT_STREQ(n->name, "ref-devdax");
        ASSERT_EQ(n->sector_size, 0);
        ASSERT_TRUE(topology_find_namespace(t, "/dev/dax0.1", NULL, &by_dev) == 0 && by_dev == n);

        /* Raw: ndctl's uuid is the label's, and so is the raw uuid. */
        ASSERT_EQ(topology_find_namespace(t, "pmem0.2", NULL, &n), 0);
        ASSERT_STREQ(n->uuid, n->raw_uuid);
        ASSERT_TRUE(topology_find_namespace(t, n->raw_uuid, NULL, &by_raw) == 0 && by_raw == n);

        /* A key that names two namespaces is refused with both named. */
        {
                _cleanup_topology_ Topology *t2 = load(FIXTURE);
                char *e = NULL;

                free(t2->regions[0].namespaces[2].name);
                t2->regions[0].namespaces[2].name = strdup("namespace0.2");
                ASSERT_EQ(topology_lookup_namespace(t2, "namespace0.2", NULL, NULL, &e), -ENOTUNIQ);
                ASSERT_TRUE(e && strstr(e, "namespace0.2 (its kernel name), namespace0.0 (its label name)"));
                free(e);
                e = NULL;
                ASSERT_EQ(topology_lookup_namespace(t2, "nosuch", NULL, NULL, &e), -ENOENT);
                ASSERT_TRUE(e && strstr(e, "there is no namespace \"nosuch\""));
                free(e);
        }

        ASSERT_EQ(topology_find_namespace(t, "nope", NULL, &n), -ENOENT);
        ASSERT_EQ(topology_find_namespace(t, "", NULL, &n), -EINVAL);
        ASSERT_TRUE(topology_find_region(t, "region1") == &t->regions[1]);
        ASSERT_TRUE(topology_find_region(t, "region7") == NULL);
}

/* The captured regions fed to the planner: what a create would get. */
TEST(test_plan_on_captured) {
        _cleanup_topology_ Topology *t = load(FIXTURE);
        RegionShape s = topo_region_shape(topology_find_region(t, "region0"));
        NamespaceRequest req = { .mode = NAMESPACE_MODE_FSDAX, .map = PFN_MAP_MEM };
        NamespacePlan p;
        char *e = NULL;

        ASSERT_EQ(size_spec_parse("rest", &req.size, NULL), 0);
        ASSERT_EQ(namespace_plan_size(&s, &req, &p, NULL), 0);
        ASSERT_EQ_U64(p.size, t->regions[0].max_available_extent);

        ASSERT_EQ(size_spec_parse("2G", &req.size, NULL), 0);
        ASSERT_EQ(namespace_plan_size(&s, &req, &p, &e), -ENOSPC);
        ASSERT_STREQ(e, "region0 has 1.35 GiB in its largest free extent; 2 GiB requested");
        free(e);
}

static void bad_json(const char *text, const char *words) {
        json_object *j = json_tokener_parse(text);
        Topology *t = NULL;
        char *e = NULL;

        ASSERT_TRUE(j);
        ASSERT_EQ(topology_from_json(j, &t, &e), -EBADMSG);
        ASSERT_TRUE(t == NULL);
        if (!e || !strstr(e, words)) {
                fprintf(stderr, "for %s expected '%s', got '%s'\n", text, words, e);
                abort();
        }
        free(e);
        json_object_put(j);
}

TEST(test_bad_json) {
        bad_json("[]", "top level must be an object");
        bad_json("{\"regions\": 3}", "topology.regions must be an array");
        bad_json("{\"regions\": [{\"size\": 1}]}", "regions[0].dev must be a string");
        bad_json("{\"regions\": [{\"dev\": \"region0\", \"size\": -5}]}",
                 "regions[0].size must be a non-negative");
        bad_json("{\"regions\": [{\"dev\": \"region0\", \"namespaces\": [{\"dev\": \"n\", \"mode\": "
                 "\"memory\"}]}]}",
                 "regions[0].namespaces[0].mode must be raw, sector, fsdax or devdax");
        bad_json("{\"regions\": [{\"dev\": \"r\", \"supported_alignments\": [0]}]}",
                 "array of positive integers");
        bad_json("{\"dimms\": [{\"dev\": 7}]}", "dimms[0].dev must be a string");
        bad_json("{\"regions\": [{\"dev\": \"region0\", \"kind\": \"optane\"}]}",
                 "regions[0].kind must be \"nvdimm\", \"virtio-pmem\", \"e820\", \"cxl\" or \"unknown\"");
}

static Topology *parse(const char *text) {
        json_object *j = json_tokener_parse(text);
        Topology *t = NULL;
        char *e = NULL;

        ASSERT_TRUE(j);
        if (topology_from_json(j, &t, &e) < 0) {
                fprintf(stderr, "%s: %s\n", text, e);
                abort();
        }
        json_object_put(j);
        return t;
}

/* The kind of each region: from its bus's provider, as the snapshot records it, and for
 * snapshots written before kinds, from the top-level provider, else an NVDIMM. */
TEST(test_kinds) {
        static const struct {
                const char *provider;
                RegionKind kind;
        } providers[] = {
                { "ACPI.NFIT", REGION_KIND_NVDIMM }, { "virtio-pmem", REGION_KIND_VIRTIO_PMEM },
                { "e820", REGION_KIND_E820 },        { "CXL", REGION_KIND_CXL },
                { "cxl_acpi", REGION_KIND_CXL },     { "of_pmem", REGION_KIND_UNKNOWN },
                { "papr_scm", REGION_KIND_UNKNOWN }, { "", REGION_KIND_UNKNOWN },
                { NULL, REGION_KIND_UNKNOWN },
        };
        _cleanup_topology_ Topology *t = NULL, *old = NULL, *bus = NULL;
        json_object *j;
        char *e = NULL;

        for (size_t i = 0; i < ELEMENTSOF(providers); i++)
                ASSERT_EQ(region_kind_from_provider(providers[i].provider), providers[i].kind);
        for (int k = 0; k < _REGION_KIND_MAX; k++)
                ASSERT_EQ(region_kind_from_string(region_kind_to_string(k)), k);
        ASSERT_EQ(region_kind_from_string("NVDIMM"), _REGION_KIND_INVALID);
        ASSERT_TRUE(region_kind_to_string(_REGION_KIND_MAX) == NULL);

        /* MAP_SYNC: refused on virtio-pmem (asynchronous flush), not known for an unknown kind. */
        ASSERT_EQ(region_kind_map_sync(REGION_KIND_NVDIMM), 1);
        ASSERT_EQ(region_kind_map_sync(REGION_KIND_E820), 1);
        ASSERT_EQ(region_kind_map_sync(REGION_KIND_CXL), 1);
        ASSERT_EQ(region_kind_map_sync(REGION_KIND_VIRTIO_PMEM), 0);
        ASSERT_EQ(region_kind_map_sync(REGION_KIND_UNKNOWN), -1);
        /* The kernel granting MAP_SYNC on virtio-pmem contradicts the kind (a stale synchronous
         * flag on its dax device): said; the kernel's expected answers, or none, are not. */
        ASSERT_TRUE(region_kind_map_sync_contradiction(REGION_KIND_VIRTIO_PMEM, 1) != NULL);
        ASSERT_TRUE(strstr(region_kind_map_sync_contradiction(REGION_KIND_VIRTIO_PMEM, 1), "fsync()"));
        ASSERT_TRUE(region_kind_map_sync_contradiction(REGION_KIND_VIRTIO_PMEM, 0) == NULL);
        ASSERT_TRUE(region_kind_map_sync_contradiction(REGION_KIND_VIRTIO_PMEM, -1) == NULL);
        ASSERT_TRUE(region_kind_map_sync_contradiction(REGION_KIND_NVDIMM, 1) == NULL);
        ASSERT_TRUE(region_kind_map_sync_contradiction(REGION_KIND_NVDIMM, 0) == NULL);
        ASSERT_TRUE(region_kind_map_sync_contradiction(REGION_KIND_UNKNOWN, 1) == NULL);

        t = parse("{\"regions\": [{\"dev\": \"region0\", \"kind\": \"virtio-pmem\", \"provider\": "
                  "\"virtio-pmem\"}, {\"dev\": \"region1\", \"provider\": \"e820\"}, {\"dev\": \"region2\", "
                  "\"provider\": \"of_pmem\"}, {\"dev\": \"region3\", \"kind\": \"cxl\"}]}");
        ASSERT_EQ(t->regions[0].kind, REGION_KIND_VIRTIO_PMEM);
        ASSERT_EQ(t->regions[1].kind, REGION_KIND_E820);
        ASSERT_EQ(t->regions[2].kind, REGION_KIND_UNKNOWN);
        ASSERT_STREQ(t->regions[2].provider, "of_pmem");
        ASSERT_EQ(t->regions[3].kind, REGION_KIND_CXL);
        ASSERT_TRUE(t->regions[3].provider == NULL);

        /* Written back with both. */
        j = topology_to_json(t);
        ASSERT_STREQ(json_object_get_string(json_object_object_get(
                             json_object_array_get_idx(json_object_object_get(j, "regions"), 1), "kind")),
                     "e820");
        json_object_put(j);

        old = parse("{\"regions\": [{\"dev\": \"region0\"}]}");
        ASSERT_EQ(old->regions[0].kind, REGION_KIND_NVDIMM);
        bus = parse("{\"provider\": \"virtio-pmem\", \"regions\": [{\"dev\": \"region0\"}]}");
        ASSERT_EQ(bus->regions[0].kind, REGION_KIND_VIRTIO_PMEM);

        /* A region daxmgr does not know is refused for every change, with the provider named. */
        ASSERT_EQ(topo_region_check_managed(&t->regions[0], "create a namespace in", NULL), 0);
        ASSERT_EQ(topo_region_check_managed(&t->regions[2], "create a namespace in", &e), -EOPNOTSUPP);
        ASSERT_STREQ(
                e, "daxmgr does not create a namespace in region2: its nd bus provider \"of_pmem\" is not a "
                   "kind of pmem daxmgr knows (nvdimm, virtio-pmem, e820, cxl), so it shows it and never "
                   "changes it; use ndctl for it");
        free(e);
}

TEST(test_region_is) {
        TopoRegion r0 = { .dev = (char *) "region0" }, r12 = { .dev = (char *) "region12" },
                   none = { .dev = NULL };

        ASSERT_TRUE(topo_region_is(&r0, 0));
        ASSERT_TRUE(!topo_region_is(&r0, 1));
        ASSERT_TRUE(topo_region_is(&r12, 12));
        ASSERT_TRUE(!topo_region_is(&r12, 1));
        ASSERT_TRUE(!topo_region_is(&none, 0));
        ASSERT_TRUE(!topo_region_is(NULL, 0));
}

DEFINE_TEST_MAIN();
