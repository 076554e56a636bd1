/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The reconcile planner: configurations written against a captured topology (and small ones
 * written here) give exactly the steps, in order, and the problems they should; a system that
 * matches gives nothing; nothing is destroyed without Destroy=yes; the plan survives JSON. */

#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "place.h"
#include "reconcile.h"
#include "reconcile-run.h"
#include "topology.h"
#include "sysfs-fixture.h"
#include "test-macro.h"

#define FIXTURE "fixtures/topology-labelled.json"
#define F       "/etc/daxmgr/daxmgr.conf"

/* ---- helpers ------------------------------------------------------------------------------ */

static Topology *topo_json(json_object *j) {
        Topology *t = NULL;
        char *e = NULL;

        ASSERT_TRUE(j);
        if (topology_from_json(j, &t, &e) < 0) {
                fprintf(stderr, "topology: %s\n", e);
                abort();
        }
        json_object_put(j);
        return t;
}

static Topology *fixture(void) {
        return topo_json(json_object_from_file(FIXTURE));
}

static Topology *topo(const char *text) {
        return topo_json(json_tokener_parse(text));
}

static Config *conf(const char *text) {
        Config *c = NULL;
        char *e = NULL;

        if (config_parse_text(text, strlen(text), F, &c, NULL, &e) < 0) {
                fprintf(stderr, "config:\n%s\n-> %s\n", text, e);
                abort();
        }
        return c;
}

static PlaceState *state(const char *text) {
        json_object *j = json_tokener_parse(text);
        PlaceState *s = NULL;
        char *e = NULL;

        ASSERT_TRUE(j);
        if (place_state_from_json(j, "/var/lib/daxmgr/placements.json", &s, &e) < 0) {
                fprintf(stderr, "state: %s\n", e);
                abort();
        }
        json_object_put(j);
        return s;
}

static void dump(const ReconcilePlan *p) {
        json_object *j = NULL;

        ASSERT_EQ(reconcile_plan_to_json(p, &j), 0);
        fprintf(stderr, "%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY));
        json_object_put(j);
}

static ReconcilePlan *plan_in(const ReconcileInput *in) {
        ReconcilePlan *p = NULL;
        char *e = NULL;
        int r = reconcile_plan(in, &p, &e);

        if (r < 0) {
                fprintf(stderr, "reconcile_plan: %d %s\n", r, e);
                abort();
        }
        ASSERT_TRUE(p);
        return p;
}

static ReconcilePlan *plan(const Config *c, const Topology *t, const PlaceState *s) {
        return plan_in(&(ReconcileInput){ .config = c, .topology = t, .state = s });
}

/* The step types in order, space-separated, must be @want ("" for none). */
static void expect_steps(const ReconcilePlan *p, const char *want) {
        char got[1024] = "";

        for (size_t i = 0; i < p->n_steps; i++) {
                if (i > 0)
                        strcat(got, " ");
                strcat(got, reconcile_step_type_to_string(p->steps[i].type));
        }
        if (strcmp(got, want) != 0) {
                fprintf(stderr, "expected steps \"%s\", got \"%s\"\n", want, got);
                dump(p);
                abort();
        }
}

/* Exactly one problem, of @kind, whose message is @want (or starts with it if it ends in "…"). */
static void expect_problem(const ReconcilePlan *p, size_t idx, ReconcileProblemKind kind,
                           const char *section, const char *want) {
        size_t n = strlen(want);
        bool prefix = n >= 3 && strcmp(want + n - 3, "…") == 0;

        if (idx >= p->n_problems || p->problems[idx].kind != kind || !p->problems[idx].message ||
            (prefix ? strncmp(p->problems[idx].message, want, n - 3) != 0
                    : strcmp(p->problems[idx].message, want) != 0)) {
                fprintf(stderr, "expected problem %zu (%s): %s\n", idx,
                        reconcile_problem_kind_to_string(kind), want);
                dump(p);
                abort();
        }
        ASSERT_STREQ(p->problems[idx].section, section);
}

static void expect_no_problems(const ReconcilePlan *p) {
        if (p->n_problems != 0) {
                dump(p);
                abort();
        }
}

/* ---- topologies written here --------------------------------------------------------------- */

/* One labelled region of 4 GiB holding a blank fsdax namespace "pm0" (no file system, not
 * mounted), 2 GiB free. */
#define TOPO_BLANK_FSDAX                                                                                    \
        "{\"regions\": [{\"dev\": \"region1\", \"size\": 4294967296, \"available_size\": 2147483648,"       \
        " \"max_available_extent\": 2147483648, \"align\": 16777216, \"resource\": 68719476736,"            \
        " \"interleave_ways\": 1, \"numa_node\": 1, \"labelled\": true, \"enabled\": true,"                 \
        " \"supported_alignments\": [4096, 2097152], \"namespaces\": [{\"dev\": \"namespace1.0\","          \
        " \"mode\": \"fsdax\", \"map\": \"dev\", \"size\": 2113929216, \"name\": \"pm0\","                  \
        " \"align\": 2097152, \"blockdev\": \"pmem1\", \"filesystem\": null, \"mounts\": []}]}]}"

/* A label-less region (QEMU NVDIMM without label-size, virtio-pmem): one nameless namespace. */
#define TOPO_LABELLESS(mode, blockdev, fs, mounts)                                                          \
        "{\"regions\": [{\"dev\": \"region0\", \"size\": 2147483648, \"available_size\": 0,"                \
        " \"max_available_extent\": 0, \"align\": 16777216, \"resource\": 4294967296,"                      \
        " \"interleave_ways\": 1, \"numa_node\": 0, \"labelled\": false, \"enabled\": true,"                \
        " \"namespaces\": [{\"dev\": \"namespace0.0\", \"mode\": \"" mode "\", \"size\": 2147483648,"       \
        " \"blockdev\": " blockdev ", \"filesystem\": " fs ", \"mounts\": " mounts "}]}]}"

/* The fixture as a configuration: every namespace, a zone on ref-fsdax and a placement. */
#define CONF_MATCHING                                                                                       \
        "[Namespace ref-fsdax]\n"    /* 1 */                                                                \
        "Mode=fsdax\n"               /* 2 */                                                                \
        "Size=256M\n"                /* 3 */                                                                \
        "Map=mem\n"                  /* 4 */                                                                \
        "Align=2M\n"                 /* 5 */                                                                \
        "Filesystem=ext4\n"          /* 6 */                                                                \
        "MountPoint=/mnt/ref\n"      /* 7 */                                                                \
        "[Namespace ref-devdax]\n"   /* 8 */                                                                \
        "Mode=devdax\n"              /* 9 */                                                                \
        "Size=250M\n"                /* 10 */                                                               \
        "Owner=app\n"                /* 11 */                                                               \
        "Permissions=0660\n"         /* 12 */                                                               \
        "[Namespace ref-raw]\n"      /* 13 */                                                               \
        "Mode=raw\n"                 /* 14 */                                                               \
        "Size=128M\n"                /* 15 */                                                               \
        "[Zone tools]\n"             /* 16 */                                                               \
        "Namespace=ref-fsdax\n"      /* 17 */                                                               \
        "[Placement py]\n"           /* 18 */                                                               \
        "Zone=tools\n"               /* 19 */                                                               \
        "Program=/usr/bin/python3\n" /* 20 */                                                               \
        "WithLibraries=yes\n"        /* 21 */                                                               \
        "Service=web.service\n"      /* 22 */                                                               \
        "BindHost=yes\n"             /* 23 */

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define PLACED(zone, source, role, program)                                                                 \
        "{\"zone\": \"" zone "\", \"source\": \"" source "\", \"copy\": \"" zone "/root" source "\","       \
        " \"role\": \"" role "\", \"program\": \"" program "\", \"dev\": 1, \"ino\": 2, \"size\": 3,"       \
        " \"mtime_ns\": 4, \"sha256\": \"" SHA "\"}"
#define STATE_MATCHING                                                                                      \
        "{\"version\": 1, \"zones\": [\"/mnt/ref/tools\"], \"placements\": [" PLACED(                       \
                "/mnt/ref/tools", "/usr/bin/python3", "program",                                            \
                "/usr/bin/python3") ", " PLACED("/mnt/ref/tools", "/lib64/ld-linux-x86-64.so.2",            \
                                                "interpreter", "/usr/bin/python3") "]}"

static const uid_t matching_uids[] = { (uid_t) -1, 1000, (uid_t) -1 };
static const ReconcileDevNode matching_nodes[] = {
        { .chardev = "dax0.1", .uid = 1000, .gid = 0, .mode = 0660 },
};

static ReconcilePlacementFact matching_fact(void) {
        return (ReconcilePlacementFact){ .zone = "/mnt/ref/tools",
                                         .program = "/usr/bin/python3",
                                         .dropin_present = true,
                                         .entry_present = true,
                                         .bound = true };
}

static ReconcileInput matching_input(const Config *c, const Topology *t, const PlaceState *s,
                                     const ReconcilePlacementFact *fact) {
        return (ReconcileInput){
                .config = c,
                .topology = t,
                .state = s,
                .owner_uids = matching_uids,
                .devnodes = matching_nodes,
                .n_devnodes = ELEMENTSOF(matching_nodes),
                .placement_facts = fact,
                .n_placement_facts = fact ? 1 : 0,
        };
}

/* ---- tests --------------------------------------------------------------------------------- */

TEST(test_tables) {
        for (int i = 0; i < _RECONCILE_STEP_TYPE_MAX; i++) {
                ASSERT_TRUE(reconcile_step_type_to_string(i));
                ASSERT_EQ(reconcile_step_type_from_string(reconcile_step_type_to_string(i)), i);
        }
        for (int i = 0; i < _RECONCILE_PROBLEM_KIND_MAX; i++)
                ASSERT_EQ(reconcile_problem_kind_from_string(reconcile_problem_kind_to_string(i)), i);
        ASSERT_STREQ(reconcile_step_type_to_string(RECONCILE_WRITE_ENTRY_POINT), "write-entry-point");
        ASSERT_STREQ(reconcile_problem_kind_to_string(RECONCILE_NO_ROOM), "no-room");
        ASSERT_EQ(reconcile_step_type_from_string("mount "), _RECONCILE_STEP_TYPE_INVALID);
        ASSERT_TRUE(reconcile_step_type_to_string(_RECONCILE_STEP_TYPE_MAX) == NULL);
}

TEST(test_empty) {
        _cleanup_topology_ Topology *t = fixture(), *none = topo("{}");
        _cleanup_config_ Config *c = conf("");
        _cleanup_reconcile_plan_ ReconcilePlan *p = plan(c, t, NULL), *q = plan(c, none, NULL);

        /* Namespaces without a section are never touched: the fixture's three stay as they are. */
        expect_steps(p, "");
        expect_no_problems(p);
        expect_steps(q, "");
        expect_no_problems(q);
        ASSERT_EQ(reconcile_plan(&(ReconcileInput){ .config = c }, &p, NULL), -EINVAL);
}

TEST(test_new_any) {
        _cleanup_topology_ Topology *t = fixture();
        _cleanup_config_ Config *c = conf("[Namespace pm0]\nMode=fsdax\nSize=1G\nMountPoint=/mnt/pm0\n"
                                          "MountOptions=noatime\n");
        _cleanup_config_ Config *big = conf("[Namespace pm0]\nMode=fsdax\nSize=1.5G\nFilesystem=ext4\n");
        _cleanup_reconcile_plan_ ReconcilePlan *p = plan(c, t, NULL), *q = plan(big, t, NULL);
        const ReconcileStep *s;

        expect_steps(p, "create-namespace format mount");
        expect_no_problems(p);
        s = &p->steps[0];
        ASSERT_STREQ(s->section, "Namespace pm0");
        ASSERT_STREQ(s->region, "region0"); /* the first region with room, in topology order */
        ASSERT_STREQ(s->namespace, "pm0");
        ASSERT_TRUE(s->device == NULL);
        ASSERT_EQ(s->ns.mode, NAMESPACE_MODE_FSDAX);
        ASSERT_EQ(s->ns.map, PFN_MAP_DEV);
        ASSERT_EQ_U64(s->ns.align, 0);
        ASSERT_EQ(s->ns.size.kind, SIZE_BYTES);
        ASSERT_EQ_U64(s->ns.size.bytes, GiB);
        ASSERT_STREQ(s->description, "create fsdax namespace \"pm0\" of 1 GiB in region0");

        s = &p->steps[1];
        ASSERT_STREQ(s->namespace, "pm0");
        ASSERT_STREQ(s->region, "region0");
        ASSERT_TRUE(s->device == NULL); /* not known until it exists: the executor looks it up */
        ASSERT_EQ(s->fs, FS_TYPE_XFS);
        ASSERT_TRUE(!s->force);
        ASSERT_STREQ(s->description, "make an xfs file system on namespace \"pm0\"");

        s = &p->steps[2];
        ASSERT_TRUE(s->device == NULL);
        ASSERT_STREQ(s->mount_point, "/mnt/pm0");
        ASSERT_EQ(s->dax, DAX_MODE_ALWAYS);
        ASSERT_STREQ(s->mount_options, "noatime");
        ASSERT_STREQ(s->description, "mount namespace \"pm0\" at /mnt/pm0 with dax=always,noatime");

        /* 1.5 GiB does not fit in region0's 1.35 GiB extent: region1 gets it. No MountPoint: no mount. */
        expect_steps(q, "create-namespace format");
        ASSERT_STREQ(q->steps[0].region, "region1");
        ASSERT_EQ(q->steps[1].fs, FS_TYPE_EXT4);
}

TEST(test_new_region_numa_dimm) {
        _cleanup_topology_ Topology *t = fixture();
        static const struct {
                const char *region;
                const char *want; /* NULL: waiting */
        } cases[] = {
                { "region1", "region1" },
                { "region0", "region0" },
                { "numa:0", "region0" },
                { "dimm:0x57341200", "region1" },
                { "dimm:57341200", "region1" },
                { "dimm:0x56341200", "region0" },
                { "dimm:0x11", NULL },
                { "numa:1", NULL },
                { "region7", NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char text[256];
                _cleanup_config_ Config *c = NULL;
                _cleanup_reconcile_plan_ ReconcilePlan *p = NULL;

                (void) snprintf(text, sizeof(text), "[Namespace dd]\nRegion=%s\nMode=devdax\nSize=64M\n",
                                cases[i].region);
                c = conf(text);
                p = plan(c, t, NULL);
                if (!cases[i].want) {
                        expect_steps(p, "");
                        ASSERT_EQ(p->n_problems, 1);
                        ASSERT_EQ(p->problems[0].kind, RECONCILE_WAITING);
                        continue;
                }
                expect_steps(p, "create-namespace");
                expect_no_problems(p);
                if (strcmp(p->steps[0].region, cases[i].want) != 0) {
                        fprintf(stderr, "Region=%s: expected %s\n", cases[i].region, cases[i].want);
                        dump(p);
                        abort();
                }
                ASSERT_EQ(p->steps[0].ns.mode, NAMESPACE_MODE_DEVDAX);
        }
}

TEST(test_waiting) {
        _cleanup_topology_ Topology *t = fixture(), *none = topo("{\"regions\": []}");
        _cleanup_config_ Config *c = conf("[Namespace pm0]\nRegion=region5\nMode=fsdax\nSize=1G\n"
                                          "MountPoint=/mnt/pm0\n[Zone z]\nNamespace=pm0\n"
                                          "[Placement p]\nZone=z\nProgram=/usr/bin/true\n");
        _cleanup_config_ Config *any = conf("[Namespace a]\nMode=raw\nSize=rest\n"
                                            "[Namespace n]\nRegion=numa:3\nMode=raw\nSize=1G\n"
                                            "[Namespace d]\nRegion=dimm:0xabc\nMode=raw\nSize=1G\n");
        _cleanup_reconcile_plan_ ReconcilePlan *p = plan(c, t, NULL), *q = plan(any, none, NULL);

        expect_steps(p, "");
        ASSERT_EQ(p->n_problems, 3);
        expect_problem(p, 0, RECONCILE_WAITING, "Namespace pm0",
                       "region5 is not present; Namespace pm0 will be created when it appears");
        /* What lives on it is blocked, not planned. */
        expect_problem(p, 1, RECONCILE_BLOCKED, "Zone z",
                       "Zone z lives on Namespace pm0, which is not ready…");
        expect_problem(p, 2, RECONCILE_BLOCKED, "Placement p", "Placement p needs Zone z…");

        expect_steps(q, "");
        ASSERT_EQ(q->n_problems, 3);
        expect_problem(q, 0, RECONCILE_WAITING, "Namespace a",
                       "no pmem region is present; Namespace a will be created when one appears");
        expect_problem(
                q, 1, RECONCILE_WAITING, "Namespace n",
                "no pmem region on NUMA node 3 is present; Namespace n will be created when one appears");
        expect_problem(
                q, 2, RECONCILE_WAITING, "Namespace d",
                "no region with the DIMM of serial 0xabc is present; Namespace d will be created when it "
                "appears");
}

TEST(test_no_room) {
        _cleanup_topology_ Topology *t = fixture();
        _cleanup_config_ Config *c = conf("[Namespace big]\nRegion=region0\nMode=fsdax\nSize=2G\n"
                                          "MountPoint=/mnt/big\n[Zone z]\nNamespace=big\n");
        _cleanup_config_ Config *any = conf("[Namespace big]\nMode=raw\nSize=3G\n");
        _cleanup_reconcile_plan_ ReconcilePlan *p = plan(c, t, NULL), *q = plan(any, t, NULL);

        /* namespace_plan_size()'s words, at the Size= line. */
        expect_steps(p, "");
        ASSERT_EQ(p->n_problems, 2);
        expect_problem(
                p, 0, RECONCILE_NO_ROOM, "Namespace big",
                F ":4: Namespace big cannot be created: region0 has 1.35 GiB in its largest free extent; "
                  "2 GiB requested");
        expect_problem(p, 1, RECONCILE_BLOCKED, "Zone z", "Zone z lives on Namespace big…");

        /* Region=any: every region's reason. */
        expect_steps(q, "");
        ASSERT_EQ(q->n_problems, 1);
        expect_problem(
                q, 0, RECONCILE_NO_ROOM, "Namespace big",
                F ":3: Namespace big cannot be created: region0 has 1.35 GiB in its largest free extent; "
                  "3 GiB requested; region1 has 1.98 GiB in its largest free extent; 3 GiB requested");
}

TEST(test_idempotent) {
        _cleanup_topology_ Topology *t = fixture();
        _cleanup_config_ Config *c = conf(CONF_MATCHING);
        _cleanup_place_state_ PlaceState *s = state(STATE_MATCHING);
        ReconcilePlacementFact fact = matching_fact();
        ReconcileInput in = matching_input(c, t, s, &fact);
        _cleanup_reconcile_plan_ ReconcilePlan *p = plan_in(&in), *again = plan_in(&in);

        expect_steps(p, "");
        expect_no_problems(p);
        expect_steps(again, "");
        expect_no_problems(again);
}

TEST(test_mode_mismatch) {
        _cleanup_topology_ Topology *t = fixture();
        _cleanup_config_ Config *c =
                conf("[Namespace ref-devdax]\nMode=fsdax\nSize=250M\nMountPoint=/mnt/d\n"
                     "[Zone z]\nNamespace=ref-devdax\n");
        _cleanup_config_ Config *d =
                conf("[Namespace ref-devdax]\nMode=fsdax\nSize=250M\nMountPoint=/mnt/d\n"
                     "Destroy=yes\n[Zone z]\nNamespace=ref-devdax\n");
        _cleanup_config_ Config *busy = conf("[Namespace ref-fsdax]\nMode=devdax\nSize=250M\nDestroy=yes\n");
        _cleanup_reconcile_plan_ ReconcilePlan *p = plan(c, t, NULL), *q = plan(d, t, NULL),
                                               *b = plan(busy, t, NULL);

        /* Without Destroy=: a conflict at the Mode= line, and nothing planned for it or on it. */
        expect_steps(p, "");
        ASSERT_EQ(p->n_problems, 2);
        expect_problem(
                p, 0, RECONCILE_CONFLICT, "Namespace ref-devdax",
                F ":2: Namespace ref-devdax is configured as fsdax but namespace0.1 is devdax and may "
                  "hold data; set Destroy=yes to let daxmgr reconfigure it (its data is lost), or change "
                  "Mode=");
        expect_problem(p, 1, RECONCILE_BLOCKED, "Zone z", "Zone z lives on Namespace ref-devdax…");

        /* With it: reconfigure in place, then the new contents on a device not known yet. */
        expect_steps(q, "reconfigure format mount create-zone");
        expect_no_problems(q);
        ASSERT_STREQ(q->steps[0].device, "namespace0.1");
        ASSERT_STREQ(q->steps[0].namespace, "ref-devdax");
        ASSERT_STREQ(q->steps[0].region, "region0");
        ASSERT_EQ(q->steps[0].ns.mode, NAMESPACE_MODE_FSDAX);
        ASSERT_TRUE(q->steps[0].force);
        ASSERT_STREQ(q->steps[0].description,
                     "reconfigure namespace0.1 of region0 from devdax to fsdax, destroying what it holds "
                     "(Destroy=yes)");
        ASSERT_TRUE(q->steps[1].device == NULL);
        ASSERT_TRUE(q->steps[1].force);
        ASSERT_TRUE(q->steps[2].device == NULL);
        ASSERT_STREQ(q->steps[3].zone, "/mnt/d/z");

        /* Destroy=yes does not unmount. */
        expect_steps(b, "");
        expect_problem(
                b, 0, RECONCILE_CONFLICT, "Namespace ref-fsdax",
                F ":2: Namespace ref-fsdax is configured as devdax but namespace0.0 is fsdax, and it is "
                  "mounted at /mnt/ref; daxmgr never unmounts: unmount it first");
}

TEST(test_map_align_mismatch) {
        _cleanup_topology_ Topology *t = fixture();
        /* ref-fsdax has map=mem, align 2 MiB. No Map=/Align=: whatever it has is fine. */
        _cleanup_config_ Config *unset =
                conf("[Namespace ref-fsdax]\nMode=fsdax\nSize=256M\nFilesystem=ext4\n");
        _cleanup_config_ Config *map = conf("[Namespace ref-fsdax]\nMode=fsdax\nSize=256M\nFilesystem=ext4\n"
                                            "Map=dev\n");
        _cleanup_config_ Config *align =
                conf("[Namespace ref-fsdax]\nMode=fsdax\nSize=256M\nFilesystem=ext4\n"
                     "Align=1G\n");
        _cleanup_reconcile_plan_ ReconcilePlan *p = plan(unset, t, NULL), *m = plan(map, t, NULL),
                                               *a = plan(align, t, NULL);

        expect_steps(p, "");
        expect_no_problems(p);
        expect_steps(m, "");
        expect_problem(
                m, 0, RECONCILE_CONFLICT, "Namespace ref-fsdax",
                F ":5: Namespace ref-fsdax is configured with Map=dev but namespace0.0 has map=mem, and "
                  "it is mounted at /mnt/ref; daxmgr never unmounts: unmount it first, and set Destroy=yes "
                  "to let daxmgr reconfigure it (its data is lost), or change Map=");
        expect_steps(a, "");
        expect_problem(
                a, 0, RECONCILE_CONFLICT, "Namespace ref-fsdax",
                F ":5: Namespace ref-fsdax is configured with Align=1 GiB but namespace0.0 is aligned to 2 "
                  "MiB…");
}

TEST(test_filesystem_mismatch) {
        _cleanup_topology_ Topology *t = fixture();
        _cleanup_topology_ Topology *unmounted =
                topo("{\"regions\": [{\"dev\": \"region0\", \"labelled\": true, \"namespaces\": [{\"dev\": "
                     "\"namespace0.0\", \"mode\": \"fsdax\", \"name\": \"db\", \"blockdev\": \"pmem0\","
                     " \"filesystem\": {\"type\": \"ext4\"}, \"mounts\": []}, {\"dev\": \"namespace0.1\", "
                     "\"mode\":"
                     " \"fsdax\", \"name\": \"lvm\", \"blockdev\": \"pmem0.1\", \"filesystem\": {\"type\":"
                     " \"LVM2_member\"}, \"mounts\": []}]}]}");
        _cleanup_config_ Config *c =
                conf("[Namespace ref-fsdax]\nMode=fsdax\nSize=256M\nMountPoint=/mnt/ref\n");
        _cleanup_config_ Config *d =
                conf("[Namespace ref-fsdax]\nMode=fsdax\nSize=256M\nMountPoint=/mnt/ref\n"
                     "Destroy=yes\n");
        _cleanup_config_ Config *u = conf("[Namespace db]\nMode=fsdax\nSize=1G\nFilesystem=xfs\n"
                                          "MountPoint=/srv/db\nDestroy=yes\n"
                                          "[Namespace lvm]\nMode=fsdax\nSize=1G\n");
        _cleanup_reconcile_plan_ ReconcilePlan *p = plan(c, t, NULL), *q = plan(d, t, NULL),
                                               *r = plan(u, unmounted, NULL);

        /* Filesystem= is not set: the conflict is reported at the section header. */
        expect_steps(p, "");
        expect_problem(
                p, 0, RECONCILE_CONFLICT, "Namespace ref-fsdax",
                F ":1: Namespace ref-fsdax should hold xfs but /dev/pmem0 holds ext4; set Destroy=yes to "
                  "let daxmgr reformat it (its data is lost), or set Filesystem=ext4");
        expect_steps(q, "");
        expect_problem(
                q, 0, RECONCILE_CONFLICT, "Namespace ref-fsdax",
                F ":1: Namespace ref-fsdax should hold xfs but /dev/pmem0 holds ext4, and it is mounted "
                  "at /mnt/ref; daxmgr never unmounts: unmount it first");

        /* Not mounted and Destroy=yes: reformat over it, then mount. Another signature: conflict. */
        expect_steps(r, "format mount");
        ASSERT_STREQ(r->steps[0].device, "/dev/pmem0");
        ASSERT_TRUE(r->steps[0].force);
        ASSERT_EQ(r->steps[0].fs, FS_TYPE_XFS);
        ASSERT_STREQ(r->steps[0].description,
                     "make an xfs file system on /dev/pmem0, erasing the ext4 it holds (Destroy=yes)");
        ASSERT_STREQ(r->steps[1].device, "/dev/pmem0");
        ASSERT_EQ(r->n_problems, 1);
        expect_problem(
                r, 0, RECONCILE_CONFLICT, "Namespace lvm",
                F ":7: Namespace lvm should hold xfs but /dev/pmem0.1 holds LVM2_member; set Destroy=yes "
                  "to let daxmgr reformat it (its data is lost)");
}

TEST(test_mounted_elsewhere) {
        _cleanup_topology_ Topology *t = fixture();
        _cleanup_config_ Config *c = conf("[Namespace ref-fsdax]\nMode=fsdax\nSize=256M\nFilesystem=ext4\n"
                                          "MountPoint=/mnt/other\n");
        _cleanup_config_ Config *d = conf("[Namespace ref-fsdax]\nMode=fsdax\nSize=256M\nFilesystem=ext4\n"
                                          "MountPoint=/mnt/ref\nDAX=inode\n");
        _cleanup_reconcile_plan_ ReconcilePlan *p = plan(c, t, NULL), *q = plan(d, t, NULL);

        expect_steps(p, "");
        expect_problem(
                p, 0, RECONCILE_CONFLICT, "Namespace ref-fsdax",
                F ":5: Namespace ref-fsdax should be mounted at /mnt/other but /dev/pmem0 is mounted at "
                  "/mnt/ref; daxmgr never unmounts: unmount it, or set MountPoint=/mnt/ref");
        expect_steps(q, "");
        expect_problem(
                q, 0, RECONCILE_CONFLICT, "Namespace ref-fsdax",
                F ":6: Namespace ref-fsdax should be mounted with dax=inode but /mnt/ref is mounted with "
                  "dax=always; daxmgr never unmounts: unmount it and daxmgr will mount it as configured, "
                  "or set DAX=always");
}

TEST(test_mount_dax_default) {
        /* xfs shows no dax option for dax=inode, its default. */
        _cleanup_topology_ Topology *t = topo(
                TOPO_LABELLESS("fsdax", "\"pmem0\"", "{\"type\": \"xfs\"}",
                               "[{\"target\": \"/mnt/pm\", \"fstype\": \"xfs\", \"options\": \"rw\"}]"));
        _cleanup_config_ Config *inode = conf("[Namespace pm]\nRegion=region0\nMode=fsdax\nSize=rest\n"
                                              "MountPoint=/mnt/pm\nDAX=inode\n");
        _cleanup_config_ Config *always = conf("[Namespace pm]\nRegion=region0\nMode=fsdax\nSize=rest\n"
                                               "MountPoint=/mnt/pm\n");
        _cleanup_reconcile_plan_ ReconcilePlan *p = plan(inode, t, NULL), *q = plan(always, t, NULL);

        expect_steps(p, "");
        expect_no_problems(p);
        expect_steps(q, "");
        expect_problem(q, 0, RECONCILE_CONFLICT, "Namespace pm",
                       F ":1: Namespace pm should be mounted with dax=always but /mnt/pm is mounted with "
                         "dax=inode…");
}

TEST(test_format_mount_order) {
        _cleanup_topology_ Topology *t = topo(TOPO_BLANK_FSDAX);
        _cleanup_config_ Config *c =
                conf("[Namespace pm0]\nMode=fsdax\nSize=2G\nMountPoint=/mnt/pm0\n"
                     "DAX=inode\n[Zone tools]\nNamespace=pm0\nDirectory=xip/tools\n"
                     "[Placement sh]\nZone=tools\nProgram=/bin/sh\nService=a.service\n");
        /* The state remembers the zone and a placement: a new file system has neither. */
        _cleanup_place_state_ PlaceState *s =
                state("{\"zones\": [\"/mnt/pm0/xip/tools\"], \"placements\": [" PLACED(
                        "/mnt/pm0/xip/tools", "/bin/sh", "program", "/bin/sh") "]}");
        _cleanup_reconcile_plan_ ReconcilePlan *p = plan(c, t, s);

        expect_steps(p, "format mount create-zone place write-dropin write-entry-point");
        expect_no_problems(p);
        ASSERT_STREQ(p->steps[0].device, "/dev/pmem1");
        ASSERT_STREQ(p->steps[0].namespace, "pm0");
        ASSERT_TRUE(!p->steps[0].force);
        ASSERT_STREQ(p->steps[1].device, "/dev/pmem1");
        ASSERT_EQ(p->steps[1].dax, DAX_MODE_INODE);
        ASSERT_TRUE(p->steps[1].mount_options == NULL);
        ASSERT_STREQ(p->steps[1].description, "mount /dev/pmem1 at /mnt/pm0 with dax=inode");
        ASSERT_STREQ(p->steps[2].section, "Zone tools");
        ASSERT_STREQ(p->steps[2].zone, "/mnt/pm0/xip/tools");
        ASSERT_STREQ(p->steps[2].namespace, "pm0");
        ASSERT_STREQ(p->steps[3].section, "Placement sh");
        ASSERT_STREQ(p->steps[3].zone, "/mnt/pm0/xip/tools");
        ASSERT_STREQ(p->steps[3].program, "/bin/sh");
        ASSERT_TRUE(!p->steps[3].with_libraries);
        ASSERT_STREQ(p->steps[4].service, "a.service");
        ASSERT_STREQ(p->steps[5].description, "write the entry point /mnt/pm0/xip/tools/bin/sh");
}

TEST(test_remount_rechecks_zone) {
        /* After a reboot: the file system is there, not mounted; zone and placement are recorded. */
        _cleanup_topology_ Topology *t = fixture();
        _cleanup_config_ Config *c = conf("[Namespace ref-fsdax]\nMode=fsdax\nSize=256M\nFilesystem=ext4\n"
                                          "MountPoint=/mnt/ref\n[Zone tools]\nNamespace=ref-fsdax\n"
                                          "[Placement py]\nZone=tools\nProgram=/usr/bin/python3\n"
                                          "WithLibraries=yes\nEntryPoint=no\n");
        _cleanup_place_state_ PlaceState *s = state(STATE_MATCHING);
        _cleanup_reconcile_plan_ ReconcilePlan *p = NULL;

        t->regions[0].namespaces[2].n_mounts = 0; /* ref-fsdax, unmounted (its mounts are freed later) */
        p = plan(c, t, s);
        t->regions[0].namespaces[2].n_mounts = 1;
        expect_steps(p, "mount create-zone");
        expect_no_problems(p);
        ASSERT_STREQ(p->steps[0].device, "/dev/pmem0");
        ASSERT_STREQ(p->steps[1].zone, "/mnt/ref/tools");
}

TEST(test_devdax) {
        _cleanup_topology_ Topology *t = fixture();
        _cleanup_config_ Config *c = conf(CONF_MATCHING);
        _cleanup_config_ Config *ram = conf("[Namespace ref-devdax]\nMode=devdax\nSize=250M\n"
                                            "SystemRAM=online-movable\n");
        _cleanup_config_ Config *ram_destroy = conf("[Namespace ref-devdax]\nMode=devdax\nSize=250M\n"
                                                    "SystemRAM=online-movable\nDestroy=yes\n");
        _cleanup_config_ Config *fresh = conf("[Namespace dd]\nMode=devdax\nSize=128M\nRegion=region1\n"
                                              "Owner=app\nGroup=app\nPermissions=0600\n"
                                              "[Namespace ram]\nMode=devdax\nSize=128M\nRegion=region1\n"
                                              "SystemRAM=online\n");
        _cleanup_place_state_ PlaceState *s = state(STATE_MATCHING);
        ReconcilePlacementFact fact = matching_fact();
        ReconcileInput in = matching_input(c, t, s, &fact);
        ReconcileDevNode wrong_mode = { .chardev = "dax0.1", .uid = 1000, .gid = 5, .mode = 0600 };
        ReconcilePlan *p;

        /* The node has mode 0600: set what the section asks (the owner too; the group is left). */
        in.devnodes = &wrong_mode;
        p = plan_in(&in);
        expect_steps(p, "devdax-access");
        expect_no_problems(p);
        ASSERT_STREQ(p->steps[0].section, "Namespace ref-devdax");
        ASSERT_STREQ(p->steps[0].device, "dax0.1");
        ASSERT_STREQ(p->steps[0].namespace, "ref-devdax");
        ASSERT_EQ(p->steps[0].uid, 1000);
        ASSERT_EQ(p->steps[0].gid, (gid_t) -1);
        ASSERT_EQ(p->steps[0].permissions, 0660);
        ASSERT_STREQ(p->steps[0].description, "give /dev/dax0.1 owner 1000, mode 0660");
        p = reconcile_plan_free(p);

        /* Another owner. */
        wrong_mode = (ReconcileDevNode){ .chardev = "dax0.1", .uid = 0, .mode = 0660 };
        p = plan_in(&in);
        expect_steps(p, "devdax-access");
        p = reconcile_plan_free(p);

        /* No node known for an existing devdax: set it anyway. */
        in.devnodes = NULL;
        in.n_devnodes = 0;
        p = plan_in(&in);
        expect_steps(p, "devdax-access");
        p = reconcile_plan_free(p);

        /* Hand it to the kernel: a mode step, no access step (no node then), only while its
         * first 2 MiB are blank. */
        {
                ReconcileDevNode blank = { .chardev = "dax0.1",
                                           .mode = 0600,
                                           .content = RECONCILE_CONTENT_BLANK };

                p = plan_in(&(ReconcileInput){
                        .config = ram, .topology = t, .devnodes = &blank, .n_devnodes = 1 });
                expect_steps(p, "devdax-mode");
                expect_no_problems(p);
                ASSERT_STREQ(p->steps[0].device, "dax0.1");
                ASSERT_EQ(p->steps[0].system_ram, CONFIG_SYSTEM_RAM_ONLINE_MOVABLE);
                ASSERT_STREQ(p->steps[0].description,
                             "hand the memory of dax0.1 to the kernel as system RAM, online movable");
                p = reconcile_plan_free(p);

                /* Something was written to it: refused unless Destroy=yes, at the SystemRAM= line. */
                blank.content = RECONCILE_CONTENT_DATA;
                p = plan_in(&(ReconcileInput){
                        .config = ram, .topology = t, .devnodes = &blank, .n_devnodes = 1 });
                expect_steps(p, "");
                expect_problem(
                        p, 0, RECONCILE_CONFLICT, "Namespace ref-devdax",
                        F ":4: Namespace ref-devdax: SystemRAM=online-movable would hand dax0.1 to "
                          "the kernel as memory, which overwrites what it holds, and it holds data (its "
                          "first 2 MiB are not blank); set Destroy=yes in its section to let daxmgr do "
                          "it (the data is lost), or SystemRAM=no");
                p = reconcile_plan_free(p);

                p = plan_in(&(ReconcileInput){
                        .config = ram_destroy, .topology = t, .devnodes = &blank, .n_devnodes = 1 });
                expect_steps(p, "devdax-mode");
                expect_no_problems(p);
                p = reconcile_plan_free(p);

                /* The kernel's auto-online policy would online it outside ZONE_MOVABLE: a problem
                 * at the SystemRAM= line, no step (devdax_set_mode() would refuse it at every
                 * event); "offline" and "online_movable" do not stop it, and neither does a policy
                 * for SystemRAM=online. */
                blank.content = RECONCILE_CONTENT_BLANK;
                static const char *const policies[] = { "online", "online_kernel" };
                for (size_t k = 0; k < 2; k++) {
                        _cleanup_free_ char *want = NULL;

                        ASSERT_TRUE(asprintf(&want,
                                             F
                                             ":4: Namespace ref-devdax: SystemRAM=online-movable cannot be "
                                             "done while the kernel's memory auto-online policy is '%s' "
                                             "(/sys/devices/system/memory/auto_online_blocks): the kernel "
                                             "would online the memory of dax0.1 outside ZONE_MOVABLE the "
                                             "moment it became system RAM, where it may never give it "
                                             "back, so it stays devdax; boot with "
                                             "memhp_default_state=offline (or write offline to that file "
                                             "and run 'daxmgr reload'), or use SystemRAM=online",
                                             policies[k]) > 0);
                        p = plan_in(&(ReconcileInput){ .config = ram,
                                                       .topology = t,
                                                       .devnodes = &blank,
                                                       .n_devnodes = 1,
                                                       .auto_online = policies[k] });
                        expect_steps(p, "");
                        expect_problem(p, 0, RECONCILE_CONFLICT, "Namespace ref-devdax", want);
                        p = reconcile_plan_free(p);
                }
                p = plan_in(&(ReconcileInput){ .config = ram,
                                               .topology = t,
                                               .devnodes = &blank,
                                               .n_devnodes = 1,
                                               .auto_online = "online_movable" });
                expect_steps(p, "devdax-mode");
                expect_no_problems(p);
                p = reconcile_plan_free(p);
        }

        /* Not read (no node, or it could not be mapped): counts as data. */
        p = plan(ram, t, NULL);
        expect_steps(p, "");
        expect_problem(p, 0, RECONCILE_CONFLICT, "Namespace ref-devdax",
                       F
                       ":4: Namespace ref-devdax: SystemRAM=online-movable would hand dax0.1 to the kernel "
                       "as memory, which overwrites what it holds, and daxmgr cannot read it to see that it "
                       "is blank; set Destroy=yes…");
        p = reconcile_plan_free(p);

        /* New ones: access or mode after the create, on a device not known yet. */
        {
                static const uid_t uids[] = { 1001, (uid_t) -1 };
                static const gid_t gids[] = { 1002, (gid_t) -1 };

                p = plan_in(&(ReconcileInput){
                        .config = fresh, .topology = t, .owner_uids = uids, .group_gids = gids });
        }
        expect_steps(p, "create-namespace devdax-access create-namespace devdax-mode");
        expect_no_problems(p);
        ASSERT_TRUE(p->steps[1].device == NULL);
        ASSERT_STREQ(p->steps[1].namespace, "dd");
        ASSERT_EQ(p->steps[1].uid, 1001);
        ASSERT_EQ(p->steps[1].gid, 1002);
        ASSERT_EQ(p->steps[1].permissions, 0600);
        ASSERT_TRUE(p->steps[3].device == NULL);
        ASSERT_EQ(p->steps[3].system_ram, CONFIG_SYSTEM_RAM_ONLINE);
        p = reconcile_plan_free(p);
}

TEST(test_devdax_back_from_ram) {
        _cleanup_topology_ Topology *t =
                topo("{\"regions\": [{\"dev\": \"region0\", \"labelled\": true, \"namespaces\": [{\"dev\": "
                     "\"namespace0.0\", \"mode\": \"devdax\", \"name\": \"mem\", \"daxdev\": {\"chardev\": "
                     "\"dax0.0\", \"mode\": \"system-ram\", \"online\": true, \"movable\": false}}]}]}");
        _cleanup_config_ Config *online = conf("[Namespace mem]\nMode=devdax\nSize=1G\nSystemRAM=online\n");
        _cleanup_config_ Config *movable = conf("[Namespace mem]\nMode=devdax\nSize=1G\n"
                                                "SystemRAM=online-movable\n");
        _cleanup_config_ Config *back = conf("[Namespace mem]\nMode=devdax\nSize=1G\nPermissions=0600\n");
        _cleanup_reconcile_plan_ ReconcilePlan *a = plan(online, t, NULL), *b = plan(movable, t, NULL),
                                               *c = plan(back, t, NULL);

        expect_steps(a, "");
        expect_no_problems(a);
        expect_steps(b, "devdax-mode"); /* online, but not movable */
        /* Back to a character device, then its access (its node appears only then). */
        expect_steps(c, "devdax-mode devdax-access");
        ASSERT_EQ(c->steps[0].system_ram, CONFIG_SYSTEM_RAM_NO);
        ASSERT_STREQ(c->steps[1].device, "dax0.0");

        /* The kernel refused to take it offline before (EBUSY): a problem at SystemRAM= (the
         * section when it is not set), no step, so no retry at every event. */
        {
                static const ReconcileModeRefusal refused[] = {
                        { .chardev = "dax0.0", .system_ram = CONFIG_SYSTEM_RAM_NO, .message = "busy" },
                        { .chardev = "dax0.0",
                          .system_ram = CONFIG_SYSTEM_RAM_ONLINE_MOVABLE,
                          .message = "busy" },
                };
                ReconcilePlan *p;

                p = plan_in(&(ReconcileInput){
                        .config = back, .topology = t, .mode_refusals = refused, .n_mode_refusals = 1 });
                expect_steps(p, "");
                expect_problem(
                        p, 0, RECONCILE_CONFLICT, "Namespace mem",
                        F ":1: Namespace mem: the memory of dax0.0 is online in ZONE_NORMAL and the "
                          "kernel refused to take it offline (EBUSY), so it stays system RAM until a "
                          "reboot; reboot to get the device back (daxmgr then keeps it devdax), and for "
                          "memory you want back later use SystemRAM=online-movable and boot with "
                          "memhp_default_state=offline so that nothing onlines it into ZONE_NORMAL "
                          "before daxmgr runs ('daxmgr reload' tries again)");
                p = reconcile_plan_free(p);

                /* A refusal of another change does not stop this one. */
                p = plan_in(&(ReconcileInput){
                        .config = back, .topology = t, .mode_refusals = refused + 1, .n_mode_refusals = 1 });
                expect_steps(p, "devdax-mode devdax-access");
                p = reconcile_plan_free(p);

                /* Onlined by someone else into ZONE_NORMAL, wanted movable, refused. */
                p = plan_in(&(ReconcileInput){
                        .config = movable, .topology = t, .mode_refusals = refused, .n_mode_refusals = 2 });
                expect_steps(p, "");
                expect_problem(
                        p, 0, RECONCILE_CONFLICT, "Namespace mem",
                        F ":4: Namespace mem: the memory of dax0.0 is already online in ZONE_NORMAL "
                          "(onlined before daxmgr ran: the kernel's memory auto-onlining or a udev rule) "
                          "and the kernel refused…");
                p = reconcile_plan_free(p);
        }
}

static void round_trip(const ReconcilePlan *p);

/* [DaxDevice]: the recorded platform of fixtures/sysfs-modes.tree (hmem dax0.0 system-ram movable on node
 * 1, nd dax1.0 devdax, cxl dax2.0 unbound on node 2). */
TEST(test_dax_devices) {
        _cleanup_memory_platform_ MemoryPlatform *mp = NULL;
        _cleanup_topology_ Topology *t = topo("{\"regions\": []}");
        _cleanup_free_ char *error = NULL, *root = sysfs_fixture("fixtures/sysfs-modes.tree");
        ReconcilePlan *p;

        ASSERT_EQ(memory_platform_read(root, &mp, &error), 0);
        sysfs_fixture_remove(root);

        /* As it is: nothing to do. */
        {
                _cleanup_config_ Config *c = conf("[DaxDevice hbm]\nResource=0x140000000\n"
                                                  "SystemRAM=online-movable\n");

                p = plan_in(&(ReconcileInput){ .config = c, .topology = t, .memory = mp });
                expect_steps(p, "");
                expect_no_problems(p);
                p = reconcile_plan_free(p);
        }
        /* Back to devdax, then the access of its node. */
        {
                _cleanup_config_ Config *c = conf("[DaxDevice hbm]\nProvider=hmem\nTargetNode=1\n"
                                                  "Permissions=0600\n");

                p = plan_in(&(ReconcileInput){ .config = c, .topology = t, .memory = mp });
                expect_steps(p, "devdax-mode devdax-access");
                expect_no_problems(p);
                ASSERT_STREQ(p->steps[0].section, "DaxDevice hbm");
                ASSERT_STREQ(p->steps[0].device, "dax0.0");
                ASSERT_STREQ(p->steps[0].region, "hmem.0");
                ASSERT_EQ(p->steps[0].system_ram, CONFIG_SYSTEM_RAM_NO);
                ASSERT_STREQ(p->steps[0].description,
                             "make dax0.0 (hmem, hmem.0) a devdax character device, taking its memory back "
                             "from the kernel");
                ASSERT_STREQ(p->steps[1].description, "give /dev/dax0.0 mode 0600");
                round_trip(p);
                p = reconcile_plan_free(p);

                /* Refused before (EBUSY): a problem at the section, not a step. */
                {
                        static const ReconcileModeRefusal rf = { .chardev = "dax0.0",
                                                                 .system_ram = CONFIG_SYSTEM_RAM_NO };

                        p = plan_in(&(ReconcileInput){ .config = c,
                                                       .topology = t,
                                                       .memory = mp,
                                                       .mode_refusals = &rf,
                                                       .n_mode_refusals = 1 });
                        expect_steps(p, "");
                        expect_problem(
                                p, 0, RECONCILE_CONFLICT, "DaxDevice hbm",
                                F ":1: DaxDevice hbm: the memory of dax0.0 is online in ZONE_MOVABLE and "
                                  "the kernel refused to take it offline (EBUSY)…");
                        p = reconcile_plan_free(p);
                }
        }
        /* Online in ZONE_NORMAL asked: a mode step (offline, online again). */
        {
                _cleanup_config_ Config *c =
                        conf("[DaxDevice hbm]\nResource=0x140000000\nSystemRAM=online\n");

                p = plan_in(&(ReconcileInput){ .config = c, .topology = t, .memory = mp });
                expect_steps(p, "devdax-mode");
                ASSERT_STREQ(p->steps[0].description,
                             "hand the memory of dax0.0 (hmem, hmem.0) to the kernel as system RAM, online");
                p = reconcile_plan_free(p);
        }
        /* Back to devdax, then movable again while the policy is "online": the planner does not
         * turn devdax into system RAM, but memory that is system RAM already is left to the
         * executor (no new memory is hot-added). */
        {
                _cleanup_config_ Config *c = conf("[DaxDevice far]\nProvider=cxl\nTargetNode=2\n"
                                                  "SystemRAM=online-movable\n");

                p = plan_in(&(ReconcileInput){
                        .config = c, .topology = t, .memory = mp, .auto_online = "online" });
                expect_steps(p, "");
                expect_problem(
                        p, 0, RECONCILE_CONFLICT, "DaxDevice far",
                        F ":4: DaxDevice far: SystemRAM=online-movable cannot be done while the kernel's "
                          "memory auto-online policy is 'online'…");
                p = reconcile_plan_free(p);
                p = plan_in(&(ReconcileInput){
                        .config = c, .topology = t, .memory = mp, .auto_online = "offline" });
                expect_steps(p, "devdax-mode");
                p = reconcile_plan_free(p);
        }
        /* The unbound CXL device: bound as devdax. */
        {
                _cleanup_config_ Config *c = conf("[DaxDevice far]\nProvider=cxl\nTargetNode=2\n");

                p = plan_in(&(ReconcileInput){ .config = c, .topology = t, .memory = mp });
                expect_steps(p, "devdax-mode");
                ASSERT_STREQ(p->steps[0].description,
                             "make dax2.0 (cxl, region0) a devdax character device");
                p = reconcile_plan_free(p);
        }
        /* A namespace's device is not taken; several matches; none. */
        {
                _cleanup_config_ Config *nd = conf("[DaxDevice x]\nResource=0x180200000\n");
                _cleanup_config_ Config *two = conf("[DaxDevice x]\nTargetNode=1\nSystemRAM=online-movable\n"
                                                    "[DaxDevice y]\nTargetNode=1\n"
                                                    "Size=1G\n");
                _cleanup_config_ Config *none = conf("[DaxDevice x]\nResource=0x990000000\nSize=1G\n");

                p = plan_in(&(ReconcileInput){ .config = nd, .topology = t, .memory = mp });
                expect_steps(p, "");
                expect_problem(p, 0, RECONCILE_CONFLICT, "DaxDevice x",
                               F ":1: DaxDevice x matches dax1.0, which belongs to a namespace of region1: "
                                 "configure it in that namespace's [Namespace NAME] section (Mode=devdax, "
                                 "SystemRAM=)");
                p = reconcile_plan_free(p);
                p = plan_in(&(ReconcileInput){ .config = two, .topology = t, .memory = mp });
                expect_steps(p, "");
                ASSERT_EQ(p->n_problems, 1); /* x matches dax0.0; y (1 GiB) waits */
                expect_problem(p, 0, RECONCILE_WAITING, "DaxDevice y",
                               "no dax device on node 1 of 1 GiB is present; DaxDevice y is applied when it "
                               "appears");
                p = reconcile_plan_free(p);
                p = plan_in(&(ReconcileInput){ .config = none, .topology = t, .memory = NULL });
                expect_problem(
                        p, 0, RECONCILE_WAITING, "DaxDevice x",
                        "no dax device at 0x990000000 of 1 GiB is present; DaxDevice x is applied when it "
                        "appears");
                p = reconcile_plan_free(p);
        }
}

TEST(test_placements) {
        _cleanup_topology_ Topology *t = fixture();
        _cleanup_config_ Config *c = conf(CONF_MATCHING);
        _cleanup_place_state_ PlaceState *s = state(STATE_MATCHING);
        _cleanup_place_state_ PlaceState *no_zone = state("{\"zones\": [], \"placements\": [" PLACED(
                "/mnt/ref/tools", "/usr/bin/python3", "program",
                "/usr/bin/python3") ", " PLACED("/mnt/ref/tools", "/lib64/ld-linux-x86-64.so.2",
                                                "interpreter", "/usr/bin/python3") "]}");
        /* Only the interpreter recorded for the program, in another zone the program itself. */
        _cleanup_place_state_ PlaceState *other =
                state("{\"zones\": [\"/mnt/ref/tools\"], \"placements\": [" PLACED(
                        "/mnt/ref/tools", "/lib64/ld-linux-x86-64.so.2", "interpreter",
                        "/usr/bin/python3") ", " PLACED("/mnt/ref/other", "/usr/bin/python3", "program",
                                                        "/usr/bin/python3") "]}");
        ReconcilePlacementFact fact = matching_fact();
        ReconcileInput in = matching_input(c, t, s, &fact);
        ReconcilePlan *p;

        /* Stale: refresh, nothing else. */
        fact.stale = true;
        p = plan_in(&in);
        expect_steps(p, "refresh");
        ASSERT_STREQ(p->steps[0].section, "Placement py");
        ASSERT_STREQ(p->steps[0].zone, "/mnt/ref/tools");
        ASSERT_STREQ(p->steps[0].program, "/usr/bin/python3");
        p = reconcile_plan_free(p);

        /* Each missing activation alone. */
        fact = matching_fact();
        fact.entry_present = false;
        p = plan_in(&in);
        expect_steps(p, "write-entry-point");
        p = reconcile_plan_free(p);
        fact = matching_fact();
        fact.bound = false;
        p = plan_in(&in);
        expect_steps(p, "bind-host");
        p = reconcile_plan_free(p);
        fact = matching_fact();
        fact.dropin_present = false;
        fact.stale = true;
        p = plan_in(&in);
        expect_steps(p, "refresh write-dropin");
        ASSERT_STREQ(p->steps[1].service, "web.service");
        p = reconcile_plan_free(p);

        /* No fact for a placed program: nothing is known of its activation, so it is written. */
        in.placement_facts = NULL;
        in.n_placement_facts = 0;
        p = plan_in(&in);
        expect_steps(p, "write-dropin write-entry-point bind-host");
        p = reconcile_plan_free(p);

        /* The facts of another program do not count. */
        fact = matching_fact();
        fact.program = "/usr/bin/perl";
        in.placement_facts = &fact;
        in.n_placement_facts = 1;
        p = plan_in(&in);
        expect_steps(p, "write-dropin write-entry-point bind-host");
        p = reconcile_plan_free(p);

        /* Not placed (no state): place with its libraries, then every activation. */
        fact = matching_fact();
        in.state = NULL;
        p = plan_in(&in);
        expect_steps(p, "create-zone place write-dropin write-entry-point bind-host");
        ASSERT_TRUE(p->steps[1].with_libraries);
        ASSERT_STREQ(p->steps[1].description,
                     "place /usr/bin/python3 with its loader and libraries in the XIP zone /mnt/ref/tools");
        ASSERT_STREQ(p->steps[4].description,
                     "bind the copies in /mnt/ref/tools read-only over /usr/bin/python3 "
                     "and its files for the whole host");
        p = reconcile_plan_free(p);

        /* Zone not recorded (the program is): only the zone. */
        in.state = no_zone;
        p = plan_in(&in);
        expect_steps(p, "create-zone");
        p = reconcile_plan_free(p);

        /* Placed means: role program, this zone, this source. */
        in.state = other;
        p = plan_in(&in);
        expect_steps(p, "place write-dropin write-entry-point bind-host");
        p = reconcile_plan_free(p);
}

TEST(test_refresh_policy) {
        _cleanup_topology_ Topology *t = fixture();
        _cleanup_config_ Config *c = conf(CONF_MATCHING "Refresh=manual\n" /* 24 */);
        _cleanup_place_state_ PlaceState *s = state(STATE_MATCHING);
        ReconcilePlacementFact fact = matching_fact();
        ReconcileInput in = matching_input(c, t, s, &fact);
        ReconcilePlan *p;

        /* Fresh: nothing, whatever the policy. */
        p = plan_in(&in);
        expect_steps(p, "");
        expect_no_problems(p);
        p = reconcile_plan_free(p);

        /* Stale under Refresh=manual: a problem, and no new process may get the copy. */
        fact.stale = true;
        fact.stale_why = "/usr/bin/python3 changed since it was placed";
        p = plan_in(&in);
        expect_steps(p, "deactivate");
        ASSERT_STREQ(p->steps[0].service, "web.service");
        ASSERT_STREQ(p->steps[0].section, "Placement py");
        expect_problem(p, 0, RECONCILE_STALE, "Placement py",
                       F ":24: /usr/bin/python3: the copy in /mnt/ref/tools is stale and Refresh=manual: "
                         "/usr/bin/python3 changed since it was placed. New starts run the original; run "
                         "'daxmgr refresh /usr/bin/python3' to copy it again");
        p = reconcile_plan_free(p);

        /* Deactivated: the problem stays, no step (the plan is stable). */
        fact.dropin_present = false;
        fact.entry_fallback = true;
        fact.bound = false;
        p = plan_in(&in);
        expect_steps(p, "");
        ASSERT_EQ(p->n_problems, 1U);
        p = reconcile_plan_free(p);

        /* Refreshed by hand: activation back, the entry point rewritten. */
        fact.stale = false;
        p = plan_in(&in);
        expect_steps(p, "write-dropin write-entry-point bind-host");
        expect_no_problems(p);
        p = reconcile_plan_free(p);
}

TEST(test_hand_placements) {
        _cleanup_topology_ Topology *t = fixture();
        _cleanup_config_ Config *c = conf("");
        /* placed by hand with daxmgr place: the state remembers its activation */
        _cleanup_place_state_ PlaceState *s = state(
                "{\"zones\": [\"/mnt/ref/tools\"], \"placements\": [{\"zone\": \"/mnt/ref/tools\", "
                "\"source\": "
                "\"/usr/bin/vim\", \"copy\": \"/mnt/ref/tools/root/usr/bin/vim\", \"role\": \"program\", "
                "\"program\": \"/usr/bin/vim\", \"dev\": 1, \"ino\": 2, \"size\": 3, \"mtime_ns\": 4, "
                "\"ctime_ns\": 5, \"sha256\": \"" SHA "\", \"activation\": {\"refresh\": \"manual\", "
                "\"entry_point\": true, \"bind_host\": false, \"service\": \"ed.service\"}}]}");
        _cleanup_place_state_ PlaceState *old = state(STATE_MATCHING);
        ReconcilePlacementFact fact = { .zone = "/mnt/ref/tools",
                                        .program = "/usr/bin/vim",
                                        .dropin_present = true,
                                        .entry_present = true };
        ReconcileInput in = {
                .config = c, .topology = t, .state = s, .placement_facts = &fact, .n_placement_facts = 1
        };
        ReconcilePlan *p;

        ASSERT_TRUE(s->placements[0].has_activation);
        ASSERT_TRUE(s->placements[0].refresh_manual);
        ASSERT_EQ(s->placements[0].ctime_ns, 5);
        ASSERT_STREQ(s->placements[0].service, "ed.service");

        p = plan_in(&in);
        expect_steps(p, "");
        p = reconcile_plan_free(p);

        fact.stale = true;
        p = plan_in(&in);
        expect_steps(p, "deactivate");
        ASSERT_STREQ(p->steps[0].section, "Placed /usr/bin/vim");
        expect_problem(p, 0, RECONCILE_STALE, "Placed /usr/bin/vim",
                       "/usr/bin/vim: the copy in /mnt/ref/tools is stale…");
        p = reconcile_plan_free(p);

        s->placements[0].refresh_manual = false;
        p = plan_in(&in);
        expect_steps(p, "refresh");
        expect_no_problems(p);
        p = reconcile_plan_free(p);

        /* A state written before activations were remembered: left alone. */
        in.state = old;
        in.placement_facts = NULL;
        in.n_placement_facts = 0;
        p = plan_in(&in);
        expect_steps(p, "");
        p = reconcile_plan_free(p);
}

TEST(test_blocked) {
        _cleanup_topology_ Topology *t = fixture();
        /* ref-fsdax is mounted elsewhere: its zone and placements wait; the other zone goes on. */
        _cleanup_config_ Config *c = conf("[Namespace ref-fsdax]\nMode=fsdax\nSize=1G\nFilesystem=ext4\n"
                                          "MountPoint=/mnt/elsewhere\n"
                                          "[Namespace new]\nMode=fsdax\nSize=64M\nMountPoint=/mnt/new\n"
                                          "[Zone a]\nNamespace=ref-fsdax\n[Zone b]\nNamespace=new\n"
                                          "[Placement pa]\nZone=a\nProgram=/bin/true\n"
                                          "[Placement pb]\nZone=b\nProgram=/bin/true\nEntryPoint=no\n");
        _cleanup_reconcile_plan_ ReconcilePlan *p = plan(c, t, NULL);

        expect_steps(p, "create-namespace format mount create-zone place");
        ASSERT_STREQ(p->steps[3].section, "Zone b");
        ASSERT_STREQ(p->steps[4].section, "Placement pb");
        ASSERT_EQ(p->n_problems, 3);
        ASSERT_EQ(p->problems[0].kind, RECONCILE_CONFLICT);
        expect_problem(p, 1, RECONCILE_BLOCKED, "Zone a",
                       "Zone a lives on Namespace ref-fsdax, which is not ready (see its problem); the zone "
                       "will be made at /mnt/elsewhere/a once it is");
        expect_problem(p, 2, RECONCILE_BLOCKED, "Placement pa",
                       "Placement pa needs Zone a, which cannot be made yet (see its namespace's problem); "
                       "/bin/true will be placed once it is");
}

TEST(test_labelless) {
        _cleanup_topology_ Topology *raw = topo(TOPO_LABELLESS("raw", "\"pmem0\"", "null", "[]"));
        _cleanup_topology_ Topology *ext4 =
                topo(TOPO_LABELLESS("raw", "\"pmem0\"", "{\"type\": \"ext4\"}", "[]"));
        _cleanup_topology_ Topology *dax = topo(TOPO_LABELLESS("devdax", "null", "null", "[]"));
        _cleanup_topology_ Topology *done = topo(
                TOPO_LABELLESS("fsdax", "\"pmem0\"", "{\"type\": \"xfs\"}",
                               "[{\"target\": \"/mnt/pm\", \"fstype\": \"xfs\", \"dax\": \"always\"}]"));
        _cleanup_config_ Config *c = conf("[Namespace pm]\nRegion=region0\nMode=fsdax\nSize=rest\n"
                                          "MountPoint=/mnt/pm\n");
        _cleanup_config_ Config *d = conf("[Namespace pm]\nRegion=region0\nMode=fsdax\nSize=rest\n"
                                          "MountPoint=/mnt/pm\nDestroy=yes\n");
        _cleanup_config_ Config *any = conf("[Namespace pm]\nMode=fsdax\nSize=rest\n");
        ReconcilePlan *p;

        /* Raw and blank: it is taken over without Destroy=, in place, by its kernel name. */
        p = plan(c, raw, NULL);
        expect_steps(p, "reconfigure format mount");
        expect_no_problems(p);
        ASSERT_STREQ(p->steps[0].device, "namespace0.0");
        ASSERT_STREQ(p->steps[0].namespace, "namespace0.0");
        ASSERT_STREQ(p->steps[0].region, "region0");
        ASSERT_EQ(p->steps[0].ns.mode, NAMESPACE_MODE_FSDAX);
        ASSERT_TRUE(!p->steps[0].force);
        ASSERT_STREQ(p->steps[0].description, "reconfigure namespace0.0 of region0 from raw to fsdax");
        ASSERT_TRUE(p->steps[1].device == NULL);
        ASSERT_STREQ(p->steps[1].namespace, "namespace0.0"); /* no name to look it up by */
        ASSERT_TRUE(!p->steps[1].force);
        ASSERT_STREQ(p->steps[1].description, "make an xfs file system on namespace0.0");
        p = reconcile_plan_free(p);

        /* It holds a file system: only with Destroy=yes. */
        p = plan(c, ext4, NULL);
        expect_steps(p, "");
        expect_problem(p, 0, RECONCILE_CONFLICT, "Namespace pm",
                       F
                       ":3: Namespace pm is configured as fsdax but namespace0.0 is raw and holds ext4; set "
                       "Destroy=yes to let daxmgr reconfigure it (its data is lost), or change Mode=");
        p = reconcile_plan_free(p);
        p = plan(d, ext4, NULL);
        expect_steps(p, "reconfigure format mount");
        ASSERT_TRUE(p->steps[0].force);
        ASSERT_TRUE(p->steps[1].force);
        p = reconcile_plan_free(p);

        /* devdax shows nothing of what it holds: Destroy=yes needed. */
        p = plan(c, dax, NULL);
        expect_steps(p, "");
        ASSERT_EQ(p->n_problems, 1);
        ASSERT_EQ(p->problems[0].kind, RECONCILE_CONFLICT);
        p = reconcile_plan_free(p);

        /* Already as configured: nothing. */
        p = plan(c, done, NULL);
        expect_steps(p, "");
        expect_no_problems(p);
        p = reconcile_plan_free(p);

        /* Region=any never takes a label-less region's namespace. */
        p = plan(any, raw, NULL);
        expect_steps(p, "");
        expect_problem(p, 0, RECONCILE_NO_ROOM, "Namespace pm",
                       F
                       ":3: Namespace pm cannot be created: region0 has no label area: its one namespace is "
                       "taken over only by a section with Region=region0");
        p = reconcile_plan_free(p);
}

/* A labelled region of a kind daxmgr does not know (nd bus provider "of_pmem"), with room and a
 * blank fsdax namespace "pm0", and (KNOWN_TOO) an NVDIMM region with room after it. */
#define TOPO_UNKNOWN_KIND(more)                                                                             \
        "{\"regions\": [{\"dev\": \"region0\", \"provider\": \"of_pmem\", \"size\": 4294967296,"            \
        " \"available_size\": 2147483648, \"max_available_extent\": 2147483648, \"align\": 16777216,"       \
        " \"resource\": 68719476736, \"interleave_ways\": 1, \"numa_node\": 0, \"labelled\": true,"         \
        " \"enabled\": true, \"supported_alignments\": [4096, 2097152], \"namespaces\": [{\"dev\":"         \
        " \"namespace0.0\", \"mode\": \"fsdax\", \"map\": \"dev\", \"size\": 2113929216, \"name\": "        \
        "\"pm0\","                                                                                          \
        " \"align\": 2097152, \"blockdev\": \"pmem0\", \"filesystem\": null, \"mounts\": []}]}" more "]}"
#define KNOWN_TOO                                                                                           \
        ", {\"dev\": \"region1\", \"kind\": \"nvdimm\", \"size\": 4294967296, \"available_size\": "         \
        "4294967296,"                                                                                       \
        " \"max_available_extent\": 4294967296, \"align\": 16777216, \"resource\": 137438953472,"           \
        " \"interleave_ways\": 1, \"numa_node\": 0, \"labelled\": true, \"enabled\": true,"                 \
        " \"supported_alignments\": [4096, 2097152], \"namespaces\": []}"
/* A label-less region of kind @kind whose one namespace is as the kernel offers it. */
#define TOPO_LABELLESS_KIND(kind, mode, map)                                                                \
        "{\"regions\": [{\"dev\": \"region0\", \"kind\": \"" kind "\", \"size\": 1073741824,"               \
        " \"available_size\": 0, \"max_available_extent\": 0, \"align\": 16777216, \"resource\": "          \
        "4294967296,"                                                                                       \
        " \"interleave_ways\": 1, \"numa_node\": 0, \"labelled\": false, \"enabled\": true,"                \
        " \"namespaces\": [{\"dev\": \"namespace0.0\", \"mode\": \"" mode "\", \"map\": " map ","           \
        " \"size\": 1073741824, \"blockdev\": \"pmem0\", \"filesystem\": null, \"mounts\": []}]}]}"

/* Unknown kinds are left alone: shown, never changed, whatever the configuration matches. */
/* namespace_create() without a region picks through the planner's rule: never a region of an
 * unknown kind or a label-less one, and with none it says each candidate's reason. */
TEST(test_pick_region) {
        _cleanup_topology_ Topology *alone = topo(TOPO_UNKNOWN_KIND("")),
                                    *both = topo(TOPO_UNKNOWN_KIND(KNOWN_TOO));
        _cleanup_topology_ Topology *ll = topo(TOPO_LABELLESS_KIND("virtio-pmem", "raw", "null"));
        NamespaceRequest req = { .size = { .kind = SIZE_BYTES, .bytes = GiB },
                                 .mode = NAMESPACE_MODE_FSDAX };
        ConfigRegion region1 = { .kind = CONFIG_REGION_ID, .number = 1 };
        _cleanup_(region_pick_done) RegionPick p = {};

        ASSERT_EQ(topology_pick_region(both, NULL, &req, &p), 0);
        ASSERT_TRUE(p.region);
        ASSERT_STREQ(p.region->dev, "region1");
        ASSERT_TRUE(!p.why);
        ASSERT_EQ(p.n_candidates, 2);
        ASSERT_EQ(p.n_unknown, 1);
        ASSERT_TRUE(p.plan.size >= GiB);
        region_pick_done(&p);

        ASSERT_EQ(topology_pick_region(both, &region1, &req, &p), 0);
        ASSERT_STREQ(p.region->dev, "region1");
        ASSERT_EQ(p.n_candidates, 1);
        region_pick_done(&p);

        ASSERT_EQ(topology_pick_region(alone, NULL, &req, &p), 0);
        ASSERT_TRUE(!p.region);
        ASSERT_STREQ(p.why, "region0 is of a kind daxmgr does not know (nd bus provider \"of_pmem\") and is "
                            "left alone");
        region_pick_done(&p);

        ASSERT_EQ(topology_pick_region(ll, NULL, &req, &p), 0);
        ASSERT_TRUE(!p.region);
        ASSERT_EQ(p.n_candidates, 1);
        ASSERT_STREQ(p.why, "region0 has no label area: its one namespace is taken over only by a section "
                            "with Region=region0");
        region_pick_done(&p);

        /* Too big for every region: each one's reason. */
        req.size.bytes = 1024 * GiB;
        ASSERT_EQ(topology_pick_region(both, NULL, &req, &p), 0);
        ASSERT_TRUE(!p.region);
        ASSERT_TRUE(p.why && strstr(p.why, "region0 is of a kind") && strstr(p.why, "; region1 "));
        region_pick_done(&p);

        ASSERT_EQ(topology_pick_region(both, &(ConfigRegion){ .kind = CONFIG_REGION_ID, .number = 7 }, &req,
                                       &p),
                  0);
        ASSERT_TRUE(!p.region && !p.why);
        ASSERT_EQ(p.n_candidates, 0);
}

TEST(test_unknown_kind) {
        _cleanup_topology_ Topology *alone = topo(TOPO_UNKNOWN_KIND("")),
                                    *both = topo(TOPO_UNKNOWN_KIND(KNOWN_TOO));
        _cleanup_topology_ Topology *ll = topo(TOPO_LABELLESS_KIND("unknown", "raw", "null"));
        _cleanup_config_ Config *any = conf("[Namespace new]\nMode=fsdax\nSize=1G\n");
        _cleanup_config_ Config *named = conf("[Namespace new]\nRegion=region0\nMode=fsdax\nSize=1G\n");
        _cleanup_config_ Config *owned = conf("[Namespace pm0]\nMode=devdax\nSize=1G\nDestroy=yes\n");
        _cleanup_config_ Config *fs = conf("[Namespace pm0]\nMode=fsdax\nSize=1G\nMountPoint=/mnt/pm0\n");
        _cleanup_config_ Config *take = conf("[Namespace pm]\nRegion=region0\nMode=fsdax\nSize=rest\n"
                                             "MountPoint=/mnt/pm\nDestroy=yes\n");
        ReconcilePlan *p;

        ASSERT_EQ(alone->regions[0].kind, REGION_KIND_UNKNOWN);

        /* Region=any with room there: no namespace is created; waiting for a region daxmgr manages. */
        p = plan(any, alone, NULL);
        expect_steps(p, "");
        expect_problem(
                p, 0, RECONCILE_WAITING, "Namespace new",
                "no pmem region daxmgr manages is present (region0 is of a kind daxmgr does not know "
                "(nd bus provider \"of_pmem\") and is left alone); Namespace new will be created when "
                "one appears");
        p = reconcile_plan_free(p);

        /* With an NVDIMM region after it, Region=any goes there. */
        p = plan(any, both, NULL);
        expect_steps(p, "create-namespace format");
        expect_no_problems(p);
        ASSERT_STREQ(p->steps[0].region, "region1");
        p = reconcile_plan_free(p);

        /* Named explicitly: a conflict at Region=. */
        p = plan(named, alone, NULL);
        expect_steps(p, "");
        expect_problem(p, 0, RECONCILE_CONFLICT, "Namespace new",
                       F
                       ":2: Namespace new cannot be created: region0 is of a kind daxmgr does not know (nd "
                       "bus provider \"of_pmem\") and is left alone");
        p = reconcile_plan_free(p);

        /* Its namespace carries a configured name: not reconfigured even with Destroy=yes, not
         * formatted, not mounted. */
        p = plan(owned, alone, NULL);
        expect_steps(p, "");
        expect_problem(p, 0, RECONCILE_CONFLICT, "Namespace pm0",
                       F ":1: Namespace pm0 is namespace0.0 in region0, a region of a kind daxmgr does not "
                         "know (nd bus provider \"of_pmem\"): daxmgr leaves it as it is; manage it with "
                         "ndctl, or remove the section");
        p = reconcile_plan_free(p);
        p = plan(fs, both, NULL);
        expect_steps(p, "");
        ASSERT_EQ(p->n_problems, 1);
        ASSERT_EQ(p->problems[0].kind, RECONCILE_CONFLICT);
        p = reconcile_plan_free(p);

        /* A label-less one named by Region=: its namespace is not taken over. */
        p = plan(take, ll, NULL);
        expect_steps(p, "");
        ASSERT_EQ(p->n_problems, 1);
        ASSERT_EQ(p->problems[0].kind, RECONCILE_CONFLICT);
        p = reconcile_plan_free(p);
}

/* virtio-pmem and e820 (memmap=) come up as one fsdax namespace with its struct pages in RAM
 * (map=mem, no info block): used as the kernel offers it unless the section asks otherwise. */
TEST(test_labelless_kinds) {
        _cleanup_config_ Config *c = conf("[Namespace pm]\nRegion=region0\nMode=fsdax\nSize=rest\n"
                                          "MountPoint=/mnt/pm\n");
        _cleanup_config_ Config *dev = conf("[Namespace pm]\nRegion=region0\nMode=fsdax\nSize=rest\n"
                                            "Map=dev\nMountPoint=/mnt/pm\n");
        static const char *const kinds[] = { "virtio-pmem", "e820" };

        for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
                _cleanup_topology_ Topology *t = NULL;
                ReconcilePlan *p;
                char text[2048];

                (void) snprintf(
                        text, sizeof(text),
                        "{\"regions\": [{\"dev\": \"region0\", \"kind\": \"%s\", \"size\": 1073741824,"
                        " \"labelled\": false, \"enabled\": true, \"namespaces\": [{\"dev\": "
                        "\"namespace0.0\", \"mode\": \"fsdax\", \"map\": \"mem\", \"size\": 1073741824,"
                        " \"blockdev\": \"pmem0\", \"filesystem\": null, \"mounts\": []}]}]}",
                        kinds[k]);
                t = topo(text);

                p = plan(c, t, NULL);
                expect_steps(p, "format mount");
                expect_no_problems(p);
                ASSERT_STREQ(p->steps[0].device, "/dev/pmem0");
                p = reconcile_plan_free(p);

                /* Map=dev: the mode change the kernel requires, a new info block on the whole
                 * namespace (blank, so no Destroy= needed). */
                p = plan(dev, t, NULL);
                expect_steps(p, "reconfigure format mount");
                expect_no_problems(p);
                ASSERT_EQ(p->steps[0].ns.map, PFN_MAP_DEV);
                ASSERT_STREQ(p->steps[0].description,
                             "reconfigure namespace0.0 of region0 from fsdax map=mem to map=dev");
                p = reconcile_plan_free(p);
        }
}

TEST(test_duplicate_names) {
        _cleanup_topology_ Topology *t =
                topo("{\"regions\": [{\"dev\": \"region0\", \"labelled\": true, \"namespaces\": ["
                     "{\"dev\": \"namespace0.0\", \"mode\": \"raw\", \"name\": \"twin\"},"
                     "{\"dev\": \"namespace0.1\", \"mode\": \"raw\", \"name\": \"twin\"}]}]}");
        _cleanup_config_ Config *c = conf("[Namespace twin]\nMode=raw\nSize=1G\n");
        _cleanup_reconcile_plan_ ReconcilePlan *p = plan(c, t, NULL);

        expect_steps(p, "");
        expect_problem(p, 0, RECONCILE_CONFLICT, "Namespace twin",
                       F
                       ":1: Namespace twin: both namespace0.0 and namespace0.1 carry the name \"twin\", so "
                       "daxmgr cannot tell which one is meant; rename or destroy one of them with ndctl");
}

/* The section that owns a namespace, as the bus shows it (ConfigSection) and the planner uses it. */
TEST(test_namespace_owner) {
        _cleanup_topology_ Topology *twins =
                topo("{\"regions\": [{\"dev\": \"region0\", \"labelled\": true, \"namespaces\": ["
                     "{\"dev\": \"namespace0.0\", \"mode\": \"raw\", \"name\": \"twin\"},"
                     "{\"dev\": \"namespace0.1\", \"mode\": \"raw\", \"name\": \"twin\"},"
                     "{\"dev\": \"namespace0.2\", \"mode\": \"raw\"}]}]}");
        _cleanup_topology_ Topology *ll = topo(TOPO_LABELLESS_KIND("virtio-pmem", "raw", "null"));
        _cleanup_config_ Config *c = conf("[Namespace twin]\nMode=raw\nSize=1G\n");
        _cleanup_config_ Config *take = conf("[Namespace pm]\nRegion=region0\nMode=fsdax\nSize=rest\n");
        _cleanup_config_ Config *other = conf("[Namespace pm]\nRegion=region1\nMode=fsdax\nSize=rest\n");
        const TopoRegion *r = &twins->regions[0];

        ASSERT_TRUE(reconcile_namespace_owner(c, twins, &r->namespaces[0]) == &c->namespaces[0]);
        ASSERT_TRUE(reconcile_namespace_owner(c, twins, &r->namespaces[1]) == &c->namespaces[0]);
        ASSERT_TRUE(!reconcile_namespace_owner(c, twins, &r->namespaces[2]));
        ASSERT_TRUE(!reconcile_namespace_owner(NULL, twins, &r->namespaces[0]));

        ASSERT_TRUE(!ll->regions[0].labelled);
        ASSERT_TRUE(reconcile_namespace_owner(take, ll, &ll->regions[0].namespaces[0]) ==
                    &take->namespaces[0]);
        ASSERT_TRUE(!reconcile_namespace_owner(other, ll, &ll->regions[0].namespaces[0]));
        ASSERT_TRUE(!reconcile_namespace_owner(c, ll, &ll->regions[0].namespaces[0]));
}

static void round_trip(const ReconcilePlan *p) {
        _cleanup_reconcile_plan_ ReconcilePlan *back = NULL;
        json_object *j = NULL, *again = NULL;
        char *e = NULL;

        ASSERT_EQ(reconcile_plan_to_json(p, &j), 0);
        if (reconcile_plan_from_json(j, &back, &e) < 0) {
                fprintf(stderr, "from_json: %s\n%s\n", e, json_object_to_json_string(j));
                abort();
        }
        ASSERT_EQ(reconcile_plan_to_json(back, &again), 0);
        if (!json_object_equal(j, again)) {
                fprintf(stderr, "round trip differs:\n%s\n%s\n", json_object_to_json_string(j),
                        json_object_to_json_string(again));
                abort();
        }
        ASSERT_EQ(back->n_steps, p->n_steps);
        ASSERT_EQ(back->n_problems, p->n_problems);
        for (size_t i = 0; i < p->n_steps; i++) {
                const ReconcileStep *a = &p->steps[i], *b = &back->steps[i];

                ASSERT_EQ(a->type, b->type);
                ASSERT_STREQ(a->section, b->section);
                ASSERT_STREQ(a->description, b->description);
                ASSERT_TRUE((a->device == NULL) == (b->device == NULL));
                ASSERT_EQ(a->ns.mode, b->ns.mode);
                ASSERT_EQ(a->ns.map, b->ns.map);
                ASSERT_EQ_U64(a->ns.align, b->ns.align);
                ASSERT_EQ(a->ns.size.kind, b->ns.size.kind);
                ASSERT_EQ_U64(a->ns.size.bytes, b->ns.size.bytes);
                ASSERT_EQ(a->ns.size.basis_points, b->ns.size.basis_points);
                ASSERT_EQ(a->fs, b->fs);
                ASSERT_EQ(a->force, b->force);
                ASSERT_EQ(a->dax, b->dax);
                ASSERT_EQ(a->uid, b->uid);
                ASSERT_EQ(a->gid, b->gid);
                ASSERT_EQ(a->permissions, b->permissions);
                ASSERT_EQ(a->system_ram, b->system_ram);
                ASSERT_EQ(a->with_libraries, b->with_libraries);
        }
        for (size_t i = 0; i < p->n_problems; i++) {
                ASSERT_EQ(p->problems[i].kind, back->problems[i].kind);
                ASSERT_STREQ(p->problems[i].message, back->problems[i].message);
        }
        json_object_put(j);
        json_object_put(again);
}

static void bad_json(const char *text, const char *words) {
        json_object *j = json_tokener_parse(text);
        ReconcilePlan *p = NULL;
        char *e = NULL;

        ASSERT_TRUE(j);
        ASSERT_EQ(reconcile_plan_from_json(j, &p, &e), -EBADMSG);
        ASSERT_TRUE(p == NULL);
        if (!e || !strstr(e, words)) {
                fprintf(stderr, "for %s expected '%s', got '%s'\n", text, words, e);
                abort();
        }
        free(e);
        json_object_put(j);
}

TEST(test_json) {
        _cleanup_topology_ Topology *t = fixture();
        _cleanup_config_ Config *c =
                conf("[Namespace a]\nMode=fsdax\nSize=12.25%\nMap=mem\nAlign=2M\n"
                     "Filesystem=ext4\nMountPoint=/mnt/a\nMountOptions=noatime,lazytime\n"
                     "[Namespace b]\nRegion=region1\nMode=devdax\nSize=rest\nPermissions=0640\n"
                     "[Namespace c]\nRegion=region1\nMode=devdax\nSize=96M\nSystemRAM=online\n"
                     "[Namespace ref-devdax]\nMode=raw\nSize=256M\nDestroy=yes\n"
                     "[Namespace gone]\nRegion=region9\nMode=raw\nSize=1G\n"
                     "[Zone z]\nNamespace=a\n"
                     "[Placement p]\nZone=z\nProgram=/bin/ls\nWithLibraries=yes\n"
                     "Service=x.service\nBindHost=yes\n");
        _cleanup_config_ Config *m = conf(CONF_MATCHING);
        _cleanup_place_state_ PlaceState *s = state(STATE_MATCHING);
        ReconcilePlacementFact fact = { .zone = "/mnt/ref/tools",
                                        .program = "/usr/bin/python3",
                                        .stale = true };
        ReconcileInput in = matching_input(m, t, s, &fact);
        ReconcileDevNode node = { .chardev = "dax0.1", .uid = 7, .mode = 0600 };
        _cleanup_reconcile_plan_ ReconcilePlan *p = plan(c, t, NULL), *q = NULL, *empty = NULL;
        json_object *j = NULL;
        char *e = NULL;

        expect_steps(p,
                     "create-namespace format mount create-namespace devdax-access create-namespace "
                     "devdax-mode reconfigure create-zone place write-dropin write-entry-point bind-host");
        ASSERT_EQ(p->n_problems, 1);
        round_trip(p);

        in.devnodes = &node;
        q = plan_in(&in);
        expect_steps(q, "devdax-access refresh write-dropin write-entry-point bind-host");
        round_trip(q);

        /* The JSON of a step: its used fields with their words. */
        ASSERT_EQ(reconcile_plan_to_json(p, &j), 0);
        {
                json_object *st = json_object_array_get_idx(json_object_object_get(j, "steps"), 0), *v;

                ASSERT_STREQ(json_object_get_string(json_object_object_get(st, "type")), "create-namespace");
                ASSERT_STREQ(json_object_get_string(json_object_object_get(st, "size")), "12.25%");
                ASSERT_STREQ(json_object_get_string(json_object_object_get(st, "map")), "mem");
                ASSERT_EQ(json_object_get_int64(json_object_object_get(st, "align")), 2 * MiB);
                ASSERT_TRUE(!json_object_object_get_ex(st, "mount_point", &v)); /* not a create's field */
                st = json_object_array_get_idx(json_object_object_get(j, "steps"), 4);
                ASSERT_STREQ(json_object_get_string(json_object_object_get(st, "permissions")), "0640");
                ASSERT_TRUE(json_object_object_get_ex(st, "uid", &v) && v == NULL);
                st = json_object_array_get_idx(json_object_object_get(j, "problems"), 0);
                ASSERT_STREQ(json_object_get_string(json_object_object_get(st, "kind")), "waiting");
        }
        json_object_put(j);

        j = json_object_new_object();
        ASSERT_EQ(reconcile_plan_from_json(j, &empty, &e), -EBADMSG);
        ASSERT_TRUE(empty == NULL);
        json_object_put(j);
        free(e);
        j = json_tokener_parse("{\"steps\": [], \"problems\": []}");
        ASSERT_EQ(reconcile_plan_from_json(j, &empty, NULL), 0);
        ASSERT_EQ(empty->n_steps, 0);
        json_object_put(j);

        bad_json("[]", "the top level must be an object");
        bad_json("{\"steps\": [{\"type\": \"nope\"}], \"problems\": []}",
                 "steps[0].type must be a step type");
        bad_json(
                "{\"steps\": [{\"type\": \"mount\", \"section\": \"s\", \"description\": \"d\", \"region\": "
                "\"r\", \"namespace\": \"n\", \"device\": null, \"mount_point\": \"/m\", \"dax\": "
                "\"sometimes\"}],"
                " \"problems\": []}",
                "steps[0].dax must be always, inode or never");
        bad_json("{\"steps\": [{\"type\": \"create-namespace\", \"section\": \"s\", \"description\": \"d\", "
                 "\"region\": \"r\", \"namespace\": \"n\", \"mode\": \"fsdax\", \"map\": \"dev\", "
                 "\"align\": 0, "
                 "\"size\": \"12XB\"}], \"problems\": []}",
                 "steps[0].size must be a size");
        bad_json("{\"steps\": [{\"type\": \"devdax-access\", \"section\": \"s\", \"description\": \"d\", "
                 "\"region\": \"r\", \"namespace\": \"n\", \"device\": \"dax0.0\", \"uid\": null, \"gid\": "
                 "null, "
                 "\"permissions\": \"0999\"}], \"problems\": []}",
                 "steps[0].permissions must be an octal mode");
        bad_json("{\"steps\": [{\"type\": \"place\", \"section\": \"s\", \"description\": \"d\", \"zone\": "
                 "\"/z\"}],"
                 " \"problems\": []}",
                 "steps[0].program must be a string");
        bad_json("{\"steps\": [], \"problems\": [{\"kind\": \"fine\", \"section\": \"s\", \"message\": "
                 "\"m\"}]}",
                 "problems[0].kind must be waiting, conflict, no-room or blocked");
}

/* A CXL type-3 device of 512 MiB pmem behind one host bridge and a 512 MiB window, as the test
 * bed's cxl topology shows it; @ep is its endpoint decoder's extra fields, @regions the CXL
 * regions, @nd the nd regions. */
#define TOPO_CXL(ep, regions, nd)                                                                           \
        "{\"regions\": " nd ", \"cxl\": {\"buses\": [\"root0\"],"                                           \
        " \"memdevs\": [{\"memdev\": \"mem0\", \"serial\": \"0xc0de0000\", \"pmem_size\": 536870912,"       \
        " \"ram_size\": 0}],"                                                                               \
        " \"decoders\": [{\"decoder\": \"decoder0.0\", \"port\": \"root0\", \"kind\": \"root\","            \
        " \"resource\": 23890755584, \"size\": 536870912, \"interleave_ways\": 1,"                          \
        " \"interleave_granularity\": 256, \"pmem_capable\": true, \"volatile_capable\": true,"             \
        " \"max_available_extent\": " ep "},"                                                               \
        " {\"decoder\": \"decoder2.0\", \"port\": \"endpoint2\", \"kind\": \"endpoint\","                   \
        " \"memdev\": \"mem0\", \"mode\": \"none\", \"dpa_size\": 0}],"                                     \
        " \"regions\": " regions "}}"

TEST(test_cxl_region) {
        char uuid[37], json[2048];
        _cleanup_topology_ Topology *bare = topo(TOPO_CXL("536870912", "[]", "[]"));
        _cleanup_topology_ Topology *full = topo(TOPO_CXL("0", "[]", "[]"));
        _cleanup_config_ Config *c = conf("[CXLRegion fast]\n"          /* 1 */
                                          "Memdevs=serial:0xc0de0000\n" /* 2 */
                                          "[Namespace pm]\n"            /* 3 */
                                          "Region=cxl:fast\n"           /* 4 */
                                          "Mode=fsdax\nSize=rest\nMountPoint=/mnt/cxl\n");
        _cleanup_config_ Config *big = conf("[CXLRegion fast]\nMemdevs=mem0\nSize=1G\n");
        _cleanup_config_ Config *gone = conf("[CXLRegion fast]\nMemdevs=mem7\n");
        _cleanup_config_ Config *any = conf("[CXLRegion fast]\nDecoder=decoder0.0\n");
        ReconcilePlan *p;

        cxl_region_uuid_from_name("fast", uuid);
        ASSERT_STREQ(c->cxl_regions[0].uuid, uuid);
        ASSERT_STREQ(c->namespaces[0].region.cxl_uuid, uuid);
        ASSERT_EQ(uuid[14], '8'); /* version 8 */

        /* A bare device: the region first, the namespace waits for the nd region it produces. */
        p = plan(c, bare, NULL);
        expect_steps(p, "create-cxl-region");
        ASSERT_STREQ(p->steps[0].region, "decoder0.0");
        ASSERT_STREQ(p->steps[0].memdevs, "mem0");
        ASSERT_EQ_U64(p->steps[0].bytes, 512 * MiB);
        ASSERT_STREQ(p->steps[0].uuid, uuid);
        ASSERT_STREQ(p->steps[0].description,
                     "create CXL pmem region \"fast\" of 512 MiB from mem0 in decoder0.0");
        expect_problem(p, 0, RECONCILE_WAITING, "Namespace pm",
                       "the CXL region of [CXLRegion fast] has no nd region yet; Namespace pm will be "
                       "created when it appears");
        p = reconcile_plan_free(p);

        /* Made and enabled: the namespace goes into its nd region, whatever its number. */
        for (int committed = 1; committed >= 0; committed--) {
                (void) snprintf(
                        json, sizeof(json),
                        "{\"regions\": [{\"dev\": \"region3\", \"size\": 536870912, \"available_size\": "
                        "536870912, \"max_available_extent\": 536870912, \"align\": 16777216, "
                        "\"resource\": 23890755584, \"interleave_ways\": 1, \"numa_node\": 0, "
                        "\"labelled\": true, \"enabled\": true, \"namespaces\": []}], \"cxl\": "
                        "{\"regions\": [{\"region\": \"region0\", \"uuid\": \"%s\", \"type\": \"pmem\", "
                        "\"decoder\": \"decoder0.0\", \"resource\": 23890755584, \"size\": 536870912, "
                        "\"interleave_ways\": 1, \"decode_state\": \"%s\", \"enabled\": %s, "
                        "\"targets\": [\"decoder2.0\"], \"memdevs\": [\"mem0\"], \"nd_region\": %s}]}}",
                        uuid, committed ? "commit" : "reset", committed ? "true" : "false",
                        committed ? "\"region3\"" : "null");
                _cleanup_topology_ Topology *made = topo(json);

                p = plan(c, made, NULL);
                if (committed) {
                        expect_steps(p, "create-namespace format mount");
                        expect_no_problems(p);
                        ASSERT_STREQ(p->steps[0].region, "region3");
                } else {
                        /* Half made: reported, never removed by daxmgr. */
                        expect_steps(p, "");
                        expect_problem(p, 0, RECONCILE_CONFLICT, "CXLRegion fast",
                                       F ":1: CXL region region0 of [CXLRegion fast] exists but is not "
                                         "committed (decode_state reset)…");
                }
                p = reconcile_plan_free(p);
        }

        /* Too big for the device, a device that is not there, a window that is full. */
        p = plan(big, bare, NULL);
        expect_steps(p, "");
        expect_problem(
                p, 0, RECONCILE_NO_ROOM, "CXLRegion fast",
                F ":2: CXL memory device mem0 has 512 MiB of free persistent capacity; [CXLRegion fast] "
                  "needs its share of Size= on it");
        p = reconcile_plan_free(p);
        p = plan(gone, bare, NULL);
        expect_problem(p, 0, RECONCILE_WAITING, "CXLRegion fast",
                       F ":2: CXL memory device mem7 is not present; the region is made when it appears");
        p = reconcile_plan_free(p);
        p = plan(any, full, NULL);
        expect_steps(p, "");
        expect_problem(p, 0, RECONCILE_NO_ROOM, "CXLRegion fast",
                       F ":1: root decoder decoder0.0 has 0 B free in its window; [CXLRegion fast] needs "
                         "at least 256 MiB per device");
        p = reconcile_plan_free(p);
        /* Memdevs=any takes the device with room. */
        p = plan(any, bare, NULL);
        expect_steps(p, "create-cxl-region");
        ASSERT_STREQ(p->steps[0].memdevs, "mem0");
        p = reconcile_plan_free(p);
}

/* Results of placement_check() done already (the daemon's, once per refresh) are taken as they
 * are for the state they were made for, and not for another. The original does not exist, which
 * a check of its own finds stale: "fresh" can only come from the results. */
TEST(test_program_stale_precomputed) {
        Placement pl = { .zone = (char *) "/z",
                         .source = (char *) "/nonexistent/daxmgr-test/prog",
                         .copy = (char *) "/z/root/nonexistent/daxmgr-test/prog",
                         .role = PLACE_PROGRAM,
                         .program = (char *) "/nonexistent/daxmgr-test/prog" };
        PlaceState s = { .placements = &pl, .n_placements = 1 }, other = s;
        bool stale_v[1] = { true };
        char *why_v[1] = { (char *) "changed elsewhere" };
        ReconcileStaleness how = { .checked = &s, .stale = stale_v, .stale_why = why_v, .n_stale = 1 };
        _cleanup_free_ char *why = NULL;
        bool stale = false;

        ASSERT_EQ(reconcile_program_stale(&s, "/z", pl.source, &how, &stale, &why), 0);
        ASSERT_TRUE(stale);
        ASSERT_STREQ(why, "changed elsewhere");
        free(why);
        why = NULL;

        stale_v[0] = false;
        ASSERT_EQ(reconcile_program_stale(&s, "/z", pl.source, &how, &stale, &why), 0);
        ASSERT_TRUE(!stale);
        ASSERT_TRUE(!why);

        /* Another state (the same placements, another object) is checked. */
        ASSERT_EQ(reconcile_program_stale(&other, "/z", pl.source, &how, &stale, &why), 0);
        ASSERT_TRUE(stale);
        ASSERT_TRUE(why && strcmp(why, "changed elsewhere") != 0);
}

/* ---- drift: what the configuration no longer asks for --------------------------------------- */

#define CONF_DRIFT_ZONE                                                                                     \
        "[Namespace ref-fsdax]\nMode=fsdax\nSize=256M\nFilesystem=ext4\nMountPoint=/mnt/ref\n"              \
        "[Zone tools]\nNamespace=ref-fsdax\n"
#define CONF_DRIFT_PY CONF_DRIFT_ZONE "[Placement py]\nZone=tools\nProgram=/usr/bin/python3\n"
/* python3 placed with its loader; @applied: what the reconcile made for it ("applied": …). */
#define STATE_DRIFT(applied)                                                                                \
        "{\"version\": 1, \"zones\": [\"/mnt/ref/tools\"], \"placements\": [{\"zone\": \"/mnt/ref/tools\"," \
        " \"source\": \"/usr/bin/python3\", \"copy\": \"/mnt/ref/tools/root/usr/bin/python3\","             \
        " \"role\": \"program\", \"program\": \"/usr/bin/python3\", \"dev\": 1, \"ino\": 2, \"size\": 3,"   \
        " \"mtime_ns\": 4, \"sha256\": \"" SHA "\"" applied "}, " PLACED(                                   \
                "/mnt/ref/tools", "/lib64/ld-linux-x86-64.so.2", "interpreter", "/usr/bin/python3") "]}"
#define APPLIED_ALL                                                                                         \
        ", \"applied\": {\"service\": \"web.service\", \"entry_point\": true, \"bind_host\": true}"

static ReconcilePlan *plan_drift(const char *config, const char *st, const ReconcilePlacementFact *fact) {
        _cleanup_topology_ Topology *t = fixture();
        _cleanup_config_ Config *c = conf(config);
        _cleanup_place_state_ PlaceState *s = state(st);

        return plan_in(&(ReconcileInput){ .config = c,
                                          .topology = t,
                                          .state = s,
                                          .placement_facts = fact,
                                          .n_placement_facts = fact ? 1 : 0 });
}

TEST(test_drift_activation_removed) {
        ReconcilePlacementFact fact = matching_fact();
        _cleanup_place_state_ PlaceState *s = state(STATE_DRIFT(APPLIED_ALL));
        ReconcilePlan *p;

        /* The record survives the state file. */
        ASSERT_STREQ(s->placements[0].applied_service, "web.service");
        ASSERT_TRUE(s->placements[0].applied_entry_point);
        ASSERT_TRUE(s->placements[0].applied_bind_host);

        /* As configured: nothing. */
        p = plan_drift(CONF_DRIFT_PY "WithLibraries=yes\nService=web.service\nBindHost=yes\n",
                       STATE_DRIFT(APPLIED_ALL), &fact);
        expect_steps(p, "");
        expect_no_problems(p);
        p = reconcile_plan_free(p);

        /* Service=, EntryPoint= and BindHost= dropped: each undone, the bind first. */
        p = plan_drift(CONF_DRIFT_PY "WithLibraries=yes\nEntryPoint=no\n", STATE_DRIFT(APPLIED_ALL), &fact);
        expect_steps(p, "remove-dropin unbind-host remove-entry-point");
        expect_no_problems(p);
        ASSERT_STREQ(p->steps[0].service, "web.service");
        ASSERT_STREQ(p->steps[0].section, "Placement py");
        ASSERT_STREQ(p->steps[0].description,
                     "remove the drop-in that makes web.service run /usr/bin/python3 "
                     "from /mnt/ref/tools: no Service= asks for it any more");
        ASSERT_STREQ(p->steps[1].description,
                     "lift the host bind mounts of the copies in /mnt/ref/tools over "
                     "/usr/bin/python3: BindHost= is no longer yes");
        ASSERT_STREQ(p->steps[2].description,
                     "remove the entry point /mnt/ref/tools/bin/python3: EntryPoint= is no longer yes");
        ASSERT_STREQ(p->steps[2].zone, "/mnt/ref/tools");
        ASSERT_STREQ(p->steps[2].program, "/usr/bin/python3");
        p = reconcile_plan_free(p);

        /* BindHost yes → no alone. */
        p = plan_drift(CONF_DRIFT_PY "WithLibraries=yes\nService=web.service\n", STATE_DRIFT(APPLIED_ALL),
                       &fact);
        expect_steps(p, "unbind-host");
        p = reconcile_plan_free(p);

        /* Another unit: the old drop-in goes, the new one is written. */
        fact.dropin_present = false; /* of api.service */
        p = plan_drift(CONF_DRIFT_PY "WithLibraries=yes\nService=api.service\nBindHost=yes\n",
                       STATE_DRIFT(APPLIED_ALL), &fact);
        expect_steps(p, "remove-dropin write-dropin");
        ASSERT_STREQ(p->steps[0].service, "web.service");
        ASSERT_STREQ(p->steps[1].service, "api.service");
        ASSERT_TRUE(strstr(p->steps[0].description, "Service= names another unit now"));
        p = reconcile_plan_free(p);
        fact = matching_fact();

        /* A state of before the record: what the machine shows is undone; a drop-in of a unit no
         * longer named anywhere cannot be found. */
        p = plan_drift(CONF_DRIFT_PY "WithLibraries=yes\nEntryPoint=no\n", STATE_DRIFT(""), &fact);
        expect_steps(p, "unbind-host remove-entry-point");
        p = reconcile_plan_free(p);

        /* Undone: the record cleared, the machine without them: nothing more (idempotent). */
        fact.entry_present = fact.bound = fact.dropin_present = false;
        p = plan_drift(CONF_DRIFT_PY "WithLibraries=yes\nEntryPoint=no\n", STATE_DRIFT(""), &fact);
        expect_steps(p, "");
        expect_no_problems(p);
        p = reconcile_plan_free(p);
        fact = matching_fact();

        /* The [Placement] section removed: what the reconcile made is undone, the copies stay. */
        p = plan_drift(CONF_DRIFT_ZONE, STATE_DRIFT(APPLIED_ALL), &fact);
        expect_steps(p, "remove-dropin unbind-host remove-entry-point");
        ASSERT_STREQ(p->steps[0].section, "Placed /usr/bin/python3");
        ASSERT_STREQ(p->steps[0].service, "web.service");
        ASSERT_STREQ(p->steps[2].description,
                     "remove the entry point /mnt/ref/tools/bin/python3: its [Placement] section is gone");
        p = reconcile_plan_free(p);

        /* …but only what it made: without a record nothing is known to be the reconcile's. */
        p = plan_drift(CONF_DRIFT_ZONE, STATE_DRIFT(""), &fact);
        expect_steps(p, "");
        p = reconcile_plan_free(p);
        p = plan_drift(CONF_DRIFT_ZONE, STATE_DRIFT(", \"applied\": {\"entry_point\": true}"), &fact);
        expect_steps(p, "remove-entry-point");
        p = reconcile_plan_free(p);

        /* A placement made by hand (its activation remembered) is the user's: left as asked. */
        p = plan_drift(
                CONF_DRIFT_ZONE,
                STATE_DRIFT(", \"activation\": {\"entry_point\": true, \"bind_host\": true, \"service\": "
                            "\"web.service\"}"),
                &fact);
        expect_steps(p, "");
        p = reconcile_plan_free(p);
}

TEST(test_drift_with_libraries) {
        ReconcilePlacementFact fact = matching_fact();
        ReconcilePlan *p;

        /* yes → no: the host bind lifted (it holds the library copies), placed alone again, every
         * activation written again for the files placed now. */
        p = plan_drift(CONF_DRIFT_PY "Service=web.service\nBindHost=yes\n", STATE_DRIFT(APPLIED_ALL), &fact);
        expect_steps(p, "unbind-host place write-dropin write-entry-point bind-host");
        expect_no_problems(p);
        ASSERT_TRUE(!p->steps[1].with_libraries);
        ASSERT_STREQ(p->steps[1].description,
                     "place /usr/bin/python3 again without its loader and libraries in "
                     "the XIP zone /mnt/ref/tools, removing their copies");
        ASSERT_STREQ(p->steps[0].description,
                     "lift the host bind mounts of the copies in /mnt/ref/tools over "
                     "/usr/bin/python3, to bind the files placed now");
        p = reconcile_plan_free(p);

        /* no → yes (placed alone before). */
        {
                _cleanup_topology_ Topology *t = fixture();
                _cleanup_config_ Config *c = conf(CONF_DRIFT_PY "WithLibraries=yes\nService=web.service\n");
                _cleanup_place_state_ PlaceState *s =
                        state("{\"zones\": [\"/mnt/ref/tools\"], \"placements\": [" PLACED(
                                "/mnt/ref/tools", "/usr/bin/python3", "program", "/usr/bin/python3") "]}");

                fact.bound = false;
                p = plan_in(&(ReconcileInput){ .config = c,
                                               .topology = t,
                                               .state = s,
                                               .placement_facts = &fact,
                                               .n_placement_facts = 1 });
                expect_steps(p, "place write-dropin write-entry-point");
                ASSERT_TRUE(p->steps[0].with_libraries);
                ASSERT_STREQ(p->steps[0].description, "place /usr/bin/python3 again with its loader and "
                                                      "libraries in the XIP zone /mnt/ref/tools");
                p = reconcile_plan_free(p);
        }

        /* Unchanged: nothing. */
        fact = matching_fact();
        p = plan_drift(CONF_DRIFT_PY "WithLibraries=yes\nService=web.service\nBindHost=yes\n",
                       STATE_DRIFT(APPLIED_ALL), &fact);
        expect_steps(p, "");
        p = reconcile_plan_free(p);
}

TEST(test_drift_namespace_size_region) {
        _cleanup_topology_ Topology *t = fixture();
        /* ref-devdax is namespace0.1, 256 MiB in region0, not mounted. */
        _cleanup_config_ Config *same = conf("[Namespace ref-devdax]\nMode=devdax\nSize=250M\n");
        _cleanup_config_ Config *size = conf("[Namespace ref-devdax]\nMode=devdax\nSize=512M\n");
        _cleanup_config_ Config *size_d =
                conf("[Namespace ref-devdax]\nMode=devdax\nSize=512M\nDestroy=yes\n");
        _cleanup_config_ Config *huge_d =
                conf("[Namespace ref-devdax]\nMode=devdax\nSize=8G\nDestroy=yes\n");
        _cleanup_config_ Config *region =
                conf("[Namespace ref-devdax]\nMode=devdax\nSize=250M\nRegion=region1\n");
        _cleanup_config_ Config *region_d =
                conf("[Namespace ref-devdax]\nMode=devdax\nSize=250M\nRegion=region1\nDestroy=yes\n");
        _cleanup_config_ Config *rest = conf("[Namespace ref-devdax]\nMode=devdax\nSize=rest\n");
        _cleanup_config_ Config *mounted_d =
                conf("[Namespace ref-fsdax]\nMode=fsdax\nSize=512M\nFilesystem=ext4\nMountPoint=/mnt/ref\n"
                     "Destroy=yes\n[Zone tools]\nNamespace=ref-fsdax\n");
        ReconcilePlan *p;

        /* The size it was made with (rounded as then), or Size=rest: nothing. */
        p = plan(same, t, NULL);
        expect_steps(p, "");
        expect_no_problems(p);
        p = reconcile_plan_free(p);
        p = plan(rest, t, NULL);
        expect_steps(p, "");
        expect_no_problems(p);
        p = reconcile_plan_free(p);

        /* Another size: a problem at the Size= line; nothing destroyed. */
        p = plan(size, t, NULL);
        expect_steps(p, "");
        ASSERT_EQ(p->n_problems, 1);
        expect_problem(p, 0, RECONCILE_CONFLICT, "Namespace ref-devdax",
                       F ":3: Namespace ref-devdax is configured with a size of 512 MiB but namespace0.1 in "
                         "region0 is 256 MiB; a namespace cannot be resized without being destroyed; set "
                         "Destroy=yes to let daxmgr destroy it and create it again (its data is lost), or "
                         "change Size= back");
        p = reconcile_plan_free(p);

        /* With Destroy=yes: destroyed and made again, in its region. */
        p = plan(size_d, t, NULL);
        expect_steps(p, "destroy-namespace create-namespace");
        expect_no_problems(p);
        ASSERT_STREQ(p->steps[0].device, "namespace0.1");
        ASSERT_STREQ(p->steps[0].namespace, "ref-devdax");
        ASSERT_TRUE(p->steps[0].force);
        ASSERT_STREQ(p->steps[0].description,
                     "destroy namespace0.1 of region0 (256 MiB), and what it holds, to make it again "
                     "(Destroy=yes)");
        ASSERT_STREQ(p->steps[1].region, "region0");
        ASSERT_STREQ(p->steps[1].namespace, "ref-devdax");
        ASSERT_STREQ(p->steps[1].description,
                     "create devdax namespace \"ref-devdax\" of 512 MiB in region0");
        p = reconcile_plan_free(p);

        /* No room for the new one: nothing is destroyed. */
        p = plan(huge_d, t, NULL);
        expect_steps(p, "");
        expect_problem(p, 0, RECONCILE_NO_ROOM, "Namespace ref-devdax",
                       F ":3: Namespace ref-devdax is configured with a size of 8 GiB but namespace0.1 in "
                         "region0 is 256 MiB; a namespace cannot be resized without being destroyed, and "
                         "cannot be made again: …");
        p = reconcile_plan_free(p);

        /* Another region: a problem at the Region= line; with Destroy=yes, moved. */
        p = plan(region, t, NULL);
        expect_steps(p, "");
        expect_problem(p, 0, RECONCILE_CONFLICT, "Namespace ref-devdax",
                       F ":4: Namespace ref-devdax is configured with Region=region1 but namespace0.1 is in "
                         "region0; a namespace cannot move to another region without being destroyed; set "
                         "Destroy=yes to let daxmgr destroy it and create it again (its data is lost), or "
                         "change Region= back");
        p = reconcile_plan_free(p);
        p = plan(region_d, t, NULL);
        expect_steps(p, "destroy-namespace create-namespace");
        ASSERT_STREQ(p->steps[0].region, "region0");
        ASSERT_STREQ(p->steps[1].region, "region1");
        p = reconcile_plan_free(p);

        /* Destroy=yes never unmounts; what lives on it waits. */
        p = plan(mounted_d, t, NULL);
        expect_steps(p, "");
        expect_problem(
                p, 0, RECONCILE_CONFLICT, "Namespace ref-fsdax",
                F ":3: Namespace ref-fsdax is configured with a size of 512 MiB but namespace0.0 in "
                  "region0 is 256 MiB; a namespace cannot be resized without being destroyed, and it is "
                  "mounted at /mnt/ref; daxmgr never unmounts: unmount it first");
        expect_problem(p, 1, RECONCILE_BLOCKED, "Zone tools", "Zone tools lives on Namespace ref-fsdax…");
        p = reconcile_plan_free(p);
}

DEFINE_TEST_MAIN();
