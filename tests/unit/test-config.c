/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The declarative configuration: the sample parses to what it says; main file, drop-ins and
 * /usr/lib vs /etc masking merge in order with "Key=" resets; every error class names its
 * file, line and key exactly; hostile bytes and counts are bounded and never crash. */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "strv.h"
#include "config.h"
#include "memory.h"
#include "test-macro.h"

#define F "/etc/daxmgr/daxmgr.conf.d/10-db.conf"

/* An fsdax namespace with a mount point, for the zone and placement cases. */
#define NS_DB "[Namespace db]\nMode=fsdax\nSize=1G\nMountPoint=/mnt/pmem/db\n" /* lines 1-4 */
#define ZONE  "[Zone apps]\nNamespace=db\nDirectory=xip\n"                     /* lines 5-7 */

static Config *parse_ok(const char *text, char ***ret_warnings) {
        Config *c = NULL;
        char *e = NULL;
        int r = config_parse_text(text, strlen(text), F, &c, ret_warnings, &e);

        if (r < 0) {
                fprintf(stderr, "unexpected failure (%d) of:\n%s\n-> %s\n", r, text, e);
                abort();
        }
        ASSERT_TRUE(c);
        free(e);
        return c;
}

/* The whole error sentence must be @expected, or start with it when it ends in "…". */
static void parse_fails_n(const char *text, size_t size, int r_expected, const char *expected) {
        char **w = NULL, *e = NULL;
        Config *c = NULL;
        size_t n = strlen(expected);
        bool prefix = n >= 3 && strcmp(expected + n - 3, "…") == 0;
        int r = config_parse_text(text, size, F, &c, &w, &e);

        if (r != r_expected || !e ||
            (prefix ? strncmp(e, expected, n - 3) != 0 : strcmp(e, expected) != 0)) {
                fprintf(stderr, "for:\n%.*s\nexpected: (%d) %s\n     got: (%d) %s\n",
                        (int) (size > 500 ? 500 : size), text, r_expected, expected, r, e);
                abort();
        }
        ASSERT_EQ(r, r_expected);
        ASSERT_TRUE(!c);
        ASSERT_TRUE(!w);
        free(e);
}

static void parse_fails(const char *text, const char *expected) {
        parse_fails_n(text, strlen(text), -EINVAL, expected);
}

/* The 1-based number of the first line of @text containing @s. */
static unsigned line_of(const char *text, const char *s) {
        const char *p = strstr(text, s);
        unsigned line = 1;

        ASSERT_TRUE(p);
        for (const char *q = text; q < p; q++)
                line += *q == '\n';
        return line;
}

TEST(test_sample) {
        const char *path = "../../docs/daxmgr.conf.sample";
        _cleanup_free_ char *text = NULL, *region = NULL;
        _cleanup_strv_free_ char **w = NULL;
        _cleanup_config_ Config *c = NULL;
        const ConfigNamespace *db, *vm;
        const ConfigZone *z;
        const ConfigPlacement *p;
        char *e = NULL;
        json_object *j, *o;
        size_t size;

        ASSERT_EQ(read_full_file(path, CONFIG_FILE_MAX, &text, &size), 0);
        if (config_parse_text(text, size, path, &c, &w, &e) < 0) {
                fprintf(stderr, "the sample does not parse: %s\n", e);
                abort();
        }
        ASSERT_EQ(strv_length(w), 0);
        ASSERT_EQ(c->n_files, 1);
        ASSERT_STREQ(c->files[0], path);
        ASSERT_EQ(c->n_namespaces, 2);
        ASSERT_EQ(c->n_zones, 1);
        ASSERT_EQ(c->n_placements, 1);

        db = config_find_namespace(c, "db");
        ASSERT_TRUE(db == &c->namespaces[0]);
        ASSERT_EQ(db->region.kind, CONFIG_REGION_ANY);
        ASSERT_EQ(db->mode, NAMESPACE_MODE_FSDAX);
        ASSERT_EQ(db->size.kind, SIZE_PERCENT);
        ASSERT_EQ(db->size.basis_points, 5000);
        ASSERT_EQ_U64(db->align, 2 * MiB);
        ASSERT_EQ(db->map, PFN_MAP_DEV);
        ASSERT_EQ(db->filesystem, FS_TYPE_XFS);
        ASSERT_STREQ(db->mount_point, "/mnt/pmem/db");
        ASSERT_EQ(db->dax, DAX_MODE_ALWAYS);
        ASSERT_STREQ(db->mount_options, "noatime");
        ASSERT_TRUE(!db->destroy);
        ASSERT_STREQ(db->section.file, path);
        ASSERT_EQ(db->section.line, line_of(text, "[Namespace db]"));
        ASSERT_EQ(db->where[CONFIG_NAMESPACE_SIZE].line, line_of(text, "Size=50%"));
        ASSERT_EQ(db->where[CONFIG_NAMESPACE_ALIGN].line, line_of(text, "Align=2M  "));
        ASSERT_TRUE(db->where[CONFIG_NAMESPACE_MAP].file == NULL); /* not set: the default */

        vm = config_find_namespace(c, "vm");
        ASSERT_TRUE(vm);
        ASSERT_EQ(vm->region.kind, CONFIG_REGION_ID);
        ASSERT_EQ(vm->region.number, 1);
        ASSERT_EQ(config_region_format(&vm->region, &region), 0);
        ASSERT_STREQ(region, "region1");
        ASSERT_EQ(vm->mode, NAMESPACE_MODE_DEVDAX);
        ASSERT_EQ(vm->size.kind, SIZE_BYTES);
        ASSERT_EQ_U64(vm->size.bytes, 16 * GiB);
        ASSERT_STREQ(vm->owner, "app");
        ASSERT_STREQ(vm->group, "app");
        ASSERT_EQ(vm->permissions, 0660);
        ASSERT_EQ(vm->system_ram, CONFIG_SYSTEM_RAM_NO);
        ASSERT_TRUE(!vm->mount_point);

        z = config_find_zone(c, "apps");
        ASSERT_TRUE(z);
        ASSERT_STREQ(z->namespace, "db");
        ASSERT_EQ(z->ns_index, 0);
        ASSERT_STREQ(z->directory, "xip");
        ASSERT_STREQ(z->path, "/mnt/pmem/db/xip");

        p = config_find_placement(c, "python");
        ASSERT_TRUE(p);
        ASSERT_STREQ(p->zone, "apps");
        ASSERT_EQ(p->zone_index, 0);
        ASSERT_STREQ(p->program, "/usr/bin/python3");
        ASSERT_TRUE(p->with_libraries);
        ASSERT_STREQ(p->service, "myapp.service");
        ASSERT_TRUE(p->entry_point);
        ASSERT_TRUE(!p->bind_host);
        ASSERT_TRUE(!config_find_placement(c, "ruby"));

        /* The effective configuration as JSON, with where each value came from. */
        ASSERT_EQ(config_to_json(c, &j), 0);
        o = json_object_array_get_idx(json_object_object_get(j, "namespaces"), 0);
        ASSERT_STREQ(json_object_get_string(json_object_object_get(o, "name")), "db");
        ASSERT_STREQ(
                json_object_get_string(json_object_object_get(json_object_object_get(o, "size"), "kind")),
                "percent");
        ASSERT_EQ(
                json_object_get_double(json_object_object_get(json_object_object_get(o, "size"), "percent")),
                50);
        ASSERT_EQ(json_object_get_int64(json_object_object_get(o, "align")), 2 * MiB);
        ASSERT_STREQ(json_object_get_string(json_object_object_get(o, "mount_point")), "/mnt/pmem/db");
        {
                _cleanup_free_ char *origin = NULL;

                ASSERT_TRUE(asprintf(&origin, "%s:%u", path, line_of(text, "Size=50%")) > 0);
                ASSERT_STREQ(json_object_get_string(
                                     json_object_object_get(json_object_object_get(o, "origins"), "Size")),
                             origin);
                ASSERT_TRUE(!json_object_object_get(json_object_object_get(o, "origins"), "Map"));
        }
        ASSERT_TRUE(!json_object_object_get_ex(o, "owner", NULL)); /* devdax keys only for devdax */
        o = json_object_array_get_idx(json_object_object_get(j, "namespaces"), 1);
        ASSERT_STREQ(json_object_get_string(json_object_object_get(o, "permissions")), "0660");
        ASSERT_STREQ(json_object_get_string(json_object_object_get(o, "region")), "region1");
        ASSERT_TRUE(!json_object_object_get_ex(o, "mount_point", NULL));
        o = json_object_array_get_idx(json_object_object_get(j, "zones"), 0);
        ASSERT_STREQ(json_object_get_string(json_object_object_get(o, "path")), "/mnt/pmem/db/xip");
        o = json_object_array_get_idx(json_object_object_get(j, "placements"), 0);
        ASSERT_STREQ(json_object_get_string(json_object_object_get(o, "service")), "myapp.service");
        ASSERT_TRUE(json_object_get_boolean(json_object_object_get(o, "with_libraries")));
        json_object_put(j);
}

TEST(test_values) {
        static const char text[] = "\xef\xbb\xbf# a byte order mark, comments and white space\r\n"
                                   "; a semicolon comment\n"
                                   "\n"
                                   "  [Namespace a]   # a trailing comment\n"
                                   "Region = region7\n"
                                   "Mode\t=\tfsdax ; trailing\n"
                                   "Size=rest\n"
                                   "Align=1G\n"
                                   "Map=mem\n"
                                   "Filesystem=ext4\n"
                                   "MountPoint=//mnt//pmem/a/\n"
                                   "DAX=inode\n"
                                   "MountOptions=noatime,nodev\n"
                                   "Destroy=YES\n"
                                   "[Namespace b]\n"
                                   "Region=numa:1\n"
                                   "Mode=devdax\n"
                                   "Size=12.5%\n"
                                   "Align=4K\n"
                                   "Owner=1000\n"
                                   "Group=_svc-grp.1$\n"
                                   "Permissions=600\n"
                                   "[Namespace c]\n"
                                   "Region=dimm:0x57341200\n"
                                   "Mode=devdax\n"
                                   "Size=1.5G\n"
                                   "SystemRAM=online-movable\n"
                                   "Destroy=off\n"
                                   "[Namespace d]\n"
                                   "Region=dimm:57341200\n"
                                   "Mode=raw\n"
                                   "Size=4096\n"
                                   "[Namespace e]\n"
                                   "Mode=fsdax\n"
                                   "Size=1G\n"
                                   "Filesystem=none\n"
                                   "[Zone z]\n"
                                   "Namespace=a\n"
                                   "[Zone y]\n"
                                   "Namespace=a\n"
                                   "Directory=zones//y/\n"
                                   "[Placement p]\n"
                                   "Zone=z\n"
                                   "Program=/usr//bin/python3.11\n"
                                   "WithLibraries=1\n"
                                   "EntryPoint=off\n"
                                   "BindHost=true\n"
                                   "Service=app@inst.service\n";
        _cleanup_config_ Config *c = parse_ok(text, NULL);
        const ConfigNamespace *ns;
        const ConfigPlacement *p;
        char *s = NULL;

        ns = config_find_namespace(c, "a");
        ASSERT_EQ(ns->region.kind, CONFIG_REGION_ID);
        ASSERT_EQ(ns->region.number, 7);
        ASSERT_EQ(ns->mode, NAMESPACE_MODE_FSDAX);
        ASSERT_EQ(ns->where[CONFIG_NAMESPACE_MODE].line, 6);
        ASSERT_EQ(ns->size.kind, SIZE_REST);
        ASSERT_EQ_U64(ns->align, GiB);
        ASSERT_EQ(ns->map, PFN_MAP_MEM);
        ASSERT_EQ(ns->filesystem, FS_TYPE_EXT4);
        ASSERT_STREQ(ns->mount_point, "/mnt/pmem/a");
        ASSERT_EQ(ns->dax, DAX_MODE_INODE);
        ASSERT_STREQ(ns->mount_options, "noatime,nodev");
        ASSERT_TRUE(ns->destroy);
        ASSERT_EQ(ns->section.line, 4);

        ns = config_find_namespace(c, "b");
        ASSERT_EQ(ns->region.kind, CONFIG_REGION_NUMA);
        ASSERT_EQ(ns->region.number, 1);
        ASSERT_EQ(ns->size.kind, SIZE_PERCENT);
        ASSERT_EQ(ns->size.basis_points, 1250);
        ASSERT_EQ_U64(ns->align, 4 * KiB);
        ASSERT_STREQ(ns->owner, "1000");
        ASSERT_STREQ(ns->group, "_svc-grp.1$");
        ASSERT_EQ(ns->permissions, 0600);

        ns = config_find_namespace(c, "c");
        ASSERT_EQ(ns->region.kind, CONFIG_REGION_DIMM);
        ASSERT_EQ(ns->region.number, 0x57341200);
        ASSERT_EQ(config_region_format(&ns->region, &s), 0);
        ASSERT_STREQ(s, "dimm:0x57341200");
        free(s);
        ASSERT_EQ_U64(ns->size.bytes, GiB + 512 * MiB);
        ASSERT_EQ(ns->system_ram, CONFIG_SYSTEM_RAM_ONLINE_MOVABLE);
        ASSERT_TRUE(!ns->destroy);
        ASSERT_TRUE(!ns->owner);
        ASSERT_EQ(ns->permissions, (mode_t) -1);

        ns = config_find_namespace(c, "d");
        ASSERT_EQ(ns->region.number, 0x57341200); /* the 0x is optional */
        ASSERT_EQ(ns->mode, NAMESPACE_MODE_RAW);
        ASSERT_EQ_U64(ns->size.bytes, 4096);

        ns = config_find_namespace(c, "e");
        ASSERT_EQ(ns->filesystem, FS_TYPE_NONE);
        ASSERT_TRUE(!ns->mount_point);

        /* Directory= defaults to the zone's name. */
        ASSERT_STREQ(config_find_zone(c, "z")->path, "/mnt/pmem/a/z");
        ASSERT_STREQ(config_find_zone(c, "y")->directory, "zones/y");
        ASSERT_STREQ(config_find_zone(c, "y")->path, "/mnt/pmem/a/zones/y");

        p = config_find_placement(c, "p");
        ASSERT_STREQ(p->program, "/usr/bin/python3.11");
        ASSERT_TRUE(p->with_libraries);
        ASSERT_TRUE(!p->entry_point);
        ASSERT_TRUE(p->bind_host);
        ASSERT_STREQ(p->service, "app@inst.service");
        {
                _cleanup_config_ Config *m =
                        parse_ok(NS_DB ZONE "[Placement p]\nZone=apps\nProgram=/bin/true\n"
                                            "Refresh=manual\n",
                                 NULL);

                ASSERT_TRUE(config_find_placement(m, "p")->refresh_manual);
        }
}

TEST(test_defaults) {
        _cleanup_config_ Config *c = parse_ok(NS_DB ZONE "[Placement p]\nZone=apps\nProgram=/bin/true\n"
                                                         "[Namespace v]\nMode=devdax\nSize=1G\n",
                                              NULL);
        const ConfigNamespace *ns = config_find_namespace(c, "db"), *v = config_find_namespace(c, "v");
        const ConfigPlacement *p = config_find_placement(c, "p");

        ASSERT_EQ(ns->region.kind, CONFIG_REGION_ANY);
        ASSERT_EQ_U64(ns->align, 0);
        ASSERT_EQ(ns->map, PFN_MAP_DEV);
        ASSERT_EQ(ns->filesystem, FS_TYPE_XFS);
        ASSERT_EQ(ns->dax, DAX_MODE_ALWAYS);
        ASSERT_TRUE(!ns->mount_options);
        ASSERT_TRUE(!ns->destroy);
        for (unsigned k = 0; k < _CONFIG_NAMESPACE_KEY_MAX; k++)
                ASSERT_EQ(!!ns->where[k].file, k == CONFIG_NAMESPACE_MODE || k == CONFIG_NAMESPACE_SIZE ||
                                                       k == CONFIG_NAMESPACE_MOUNT_POINT);
        ASSERT_EQ(v->permissions, (mode_t) -1);
        ASSERT_TRUE(!v->owner && !v->group);
        ASSERT_EQ(v->system_ram, CONFIG_SYSTEM_RAM_NO);
        ASSERT_TRUE(!p->with_libraries);
        ASSERT_TRUE(p->entry_point);
        ASSERT_TRUE(!p->bind_host);
        ASSERT_TRUE(!p->service);
        ASSERT_TRUE(!p->refresh_manual);

        /* An empty text is an empty configuration. */
        config_free(parse_ok("", NULL));
        config_free(parse_ok("# only a comment\n\n", NULL));
}

TEST(test_merge) {
        _cleanup_free_ char *text = NULL;
        _cleanup_config_ Config *c = NULL;
        size_t len = 0;
        FILE *f;

        /* Sections created in any order and named again later merge into the first, which keeps
         * its place and header line. */
        f = open_memstream(&text, &len);
        ASSERT_TRUE(f);
        for (unsigned i = 0; i < 200; i++)
                fprintf(f, "[Namespace n%u]\nMode=raw\nSize=1G\n", (i * 37) % 200);
        for (unsigned i = 0; i < 200; i++)
                fprintf(f, "[Namespace n%u]\nSize=%uG\n", (i * 91) % 200, (i * 91) % 200 + 2);
        ASSERT_EQ(fclose(f), 0);
        c = parse_ok(text, NULL);
        ASSERT_EQ(c->n_namespaces, 200);
        for (unsigned i = 0; i < 200; i++) {
                const ConfigNamespace *ns = &c->namespaces[i];
                unsigned n = (i * 37) % 200;
                char name[16];

                (void) snprintf(name, sizeof(name), "n%u", n);
                ASSERT_STREQ(ns->name, name);
                ASSERT_EQ(ns->section.line, 3 * i + 1);
                ASSERT_EQ_U64(ns->size.bytes, (n + 2) * GiB);
                ASSERT_TRUE(ns->where[CONFIG_NAMESPACE_SIZE].line > 600);
        }
        /* The same name in two section types: two sections. */
        c = config_free(c);
        c = parse_ok(NS_DB "[Zone db]\nNamespace=db\n", NULL);
        ASSERT_EQ(c->n_namespaces, 1);
        ASSERT_EQ(c->n_zones, 1);
        ASSERT_STREQ(c->zones[0].path, "/mnt/pmem/db/db");
}

TEST(test_tables) {
        ASSERT_EQ(config_section_type_from_string("Zone"), CONFIG_SECTION_ZONE);
        ASSERT_EQ(config_section_type_from_string("zone"), _CONFIG_SECTION_TYPE_INVALID);
        ASSERT_STREQ(config_namespace_key_to_string(CONFIG_NAMESPACE_SYSTEM_RAM), "SystemRAM");
        ASSERT_EQ(config_namespace_key_from_string("MountPoint"), CONFIG_NAMESPACE_MOUNT_POINT);
        ASSERT_EQ(config_zone_key_from_string("Directory"), CONFIG_ZONE_DIRECTORY);
        ASSERT_EQ(config_placement_key_from_string("BindHost"), CONFIG_PLACEMENT_BIND_HOST);
        ASSERT_STREQ(fs_type_to_string(FS_TYPE_NONE), "none");
        ASSERT_EQ(config_system_ram_from_string("online-movable"), CONFIG_SYSTEM_RAM_ONLINE_MOVABLE);
        ASSERT_STREQ(config_region_kind_to_string(CONFIG_REGION_NUMA), "numa");
        ASSERT_TRUE(!config_placement_key_to_string(_CONFIG_PLACEMENT_KEY_MAX));
        ASSERT_TRUE(!config_zone_key_to_string(-1));
}

TEST(test_syntax_errors) {
        parse_fails("Mode=fsdax\n", F
                    ":1: Mode: assignment outside of a section: put it below a [Namespace NAME], "
                    "[Zone NAME], [Placement NAME], [CXLRegion NAME], [DaxDevice NAME] or [Metrics] header");
        parse_fails("[Namespace db]\nMode fsdax\n",
                    F ":2: expected a [Type NAME] section header or a Key=Value assignment");
        parse_fails("[Namespace db]\n=fsdax\n", F ":2: an assignment needs a key before '='");
        parse_fails(
                "[Namespace db]\nMount Point=/x\n",
                F ":2: 'Mount Point' is not a key: keys are letters and digits, as in MountPoint=/mnt/pmem");
        parse_fails("[Namespace db\n",
                    F ":1: a section header ends with ']': write [Namespace NAME], [Zone NAME], "
                      "[Placement NAME], [CXLRegion NAME], [DaxDevice NAME] or [Metrics]");
        parse_fails("[]\n",
                    F ":1: empty section header: write [Namespace NAME], [Zone NAME], [Placement NAME], "
                      "[CXLRegion NAME], [DaxDevice NAME] or [Metrics]");
        parse_fails("[Namespace [db]]\n", F ":1: a section header holds one '[' and one ']'");
        parse_fails("\n\n[Namespace]\n", F ":3: [Namespace] needs a name: write [Namespace NAME]");
        parse_fails("[Zone a b]\n",
                    F ":1: [Zone a b] has more than a type and a name: names cannot contain spaces");
        /* A line continuation is not one: the backslash stays in the value. */
        parse_fails("[Namespace db]\nMode=fsdax\nSize=1G\\\n",
                    F ":3: Size: '1G\\' has an unknown unit 'G\\'…");
}

TEST(test_metrics) {
        _cleanup_config_ Config *c = NULL;
        json_object *j = NULL, *m = NULL;

        c = parse_ok("[Metrics]\nTextfilePath=/var/lib/prometheus/node-exporter//daxmgr.prom\n", NULL);
        ASSERT_TRUE(c->metrics.present);
        ASSERT_STREQ(c->metrics.textfile_path, "/var/lib/prometheus/node-exporter/daxmgr.prom");
        ASSERT_EQ(config_to_json(c, &j), 0);
        ASSERT_TRUE(json_object_object_get_ex(j, "metrics", &m) && m);
        ASSERT_STREQ(json_object_get_string(json_object_object_get(m, "textfile_path")),
                     "/var/lib/prometheus/node-exporter/daxmgr.prom");
        ASSERT_STREQ(json_object_get_string(
                             json_object_object_get(json_object_object_get(m, "origins"), "TextfilePath")),
                     F ":2");
        json_object_put(j);
        config_free(TAKE_PTR(c));

        /* Off by default; a reset turns it off again. */
        c = parse_ok("[Namespace db]\nMode=fsdax\nSize=1G\n", NULL);
        ASSERT_TRUE(!c->metrics.present && !c->metrics.textfile_path);
        config_free(TAKE_PTR(c));
        c = parse_ok("[Metrics]\nTextfilePath=/x/a.prom\nTextfilePath=\n", NULL);
        ASSERT_TRUE(c->metrics.present && !c->metrics.textfile_path);

        parse_fails("[Metrics]\nTextfilePath=relative.prom\n", F ":2: TextfilePath: 'relative.prom' …");
        parse_fails("[Metrics]\nTextfilePath=/var/lib/daxmgr.txt\n",
                    F ":2: TextfilePath: '/var/lib/daxmgr.txt' does not end in NAME.prom…");
        parse_fails("[Metrics]\nTextfilePath=/var/lib/.prom\n",
                    F ":2: TextfilePath: '/var/lib/.prom' does not end in NAME.prom…");
        parse_fails("[Metrics node]\n", F ":1: [Metrics] takes no name: write [Metrics]");
        parse_fails("[Metrics]\nMode=fsdax\n",
                    F ":2: Mode: not a key of [Metrics] sections: it belongs in a [Namespace NAME] section");
        parse_fails("[Metrics]\nTextfilPath=/a.prom\n",
                    F ":2: TextfilPath: unknown key in [Metrics]; did you mean TextfilePath?");
        parse_fails(
                "[Namespace db]\nTextfilePath=/a.prom\n",
                F ":2: TextfilePath: not a key of [Namespace] sections: it belongs in a [Metrics] section");
}

TEST(test_section_errors) {
        parse_fails(
                "[Namepsace db]\n",
                F ":1: unknown section type 'Namepsace'; did you mean Namespace?; the types are Namespace, "
                  "Zone, Placement, CXLRegion, DaxDevice and Metrics");
        parse_fails("[namespace db]\n", F ":1: unknown section type 'namespace'; did you mean Namespace?…");
        parse_fails("[Pool db]\n",
                    F ":1: unknown section type 'Pool'; the types are Namespace, Zone, Placement, "
                      "CXLRegion, DaxDevice and Metrics");
        parse_fails(
                "[Namespace a/b]\n", F
                ":1: 'a/b' is not a valid namespace name: 1 to 63 printable ASCII characters, no spaces or "
                "'/'");
        parse_fails(
                "[Zone "
                "0123456789012345678901234567890123456789012345678901234567890123"
                "]\n",
                F
                ":1: '0123456789012345678901234567890123456789012345678901234567890123' is not a valid zone "
                "name…");
        parse_fails("[Placement caf\xc3\xa9]\n", F ":1: 'caf\xc3\xa9' is not a valid placement name…");
}

TEST(test_key_errors) {
        parse_fails("[Namespace db]\nMode=fsdax\nSise=1G\n",
                    F ":3: Sise: unknown key in [Namespace db]; did you mean Size?");
        parse_fails("[Namespace db]\nmountpoint=/x\n",
                    F ":2: mountpoint: unknown key in [Namespace db]; did you mean MountPoint?");
        parse_fails(
                "[Namespace db]\nProgram=/bin/sh\n", F
                ":2: Program: not a key of [Namespace] sections: it belongs in a [Placement NAME] section");
        parse_fails("[Zone z]\nColour=blue\n",
                    F ":2: Colour: unknown key in [Zone z]; the keys are Namespace or Directory");
        parse_fails("[Placement p]\nZone=z\nServce=a.service\n",
                    F ":3: Servce: unknown key in [Placement p]; did you mean Service?");
}

TEST(test_missing) {
        parse_fails("[Namespace db]\nSize=1G\n",
                    F ":1: Mode: [Namespace db] needs Mode=: fsdax, devdax or raw");
        parse_fails(
                "# x\n[Namespace db]\nMode=fsdax\n",
                F ":2: Size: [Namespace db] needs Size=: bytes with K, M, G or T (16G), a percentage of the "
                  "region (50%), or rest");
        parse_fails(
                "[Namespace db]\nMode=fsdax\nSize=1G\nMode=\n", F
                ":4: Mode: reset here and not set again, but [Namespace db] needs it: fsdax, devdax or raw");
        parse_fails(NS_DB "[Zone apps]\nDirectory=x\n", F
                    ":5: Namespace: [Zone apps] needs Namespace=: the fsdax namespace whose mount holds the "
                    "zone");
        parse_fails(NS_DB ZONE "[Placement p]\nProgram=/bin/sh\n",
                    F ":8: Zone: [Placement p] needs Zone=: the zone to place the program in");
        parse_fails(NS_DB ZONE "[Placement p]\nZone=apps\n", F
                    ":8: Program: [Placement p] needs Program=: the absolute path of the program to place");
}

TEST(test_value_errors) {
        /* The example of the brief, with lib/size.c's own words. */
        parse_fails("[Namespace db]\nMode=fsdax\n\n\n\n\nSize=12XB\n",
                    F ":7: Size: '12XB' has an unknown unit 'XB': use K, M, G, T (powers of 1024)");
        parse_fails("[Namespace db]\nMode=fsdax\nSize=1GB\n",
                    F ":3: Size: '1GB' is ambiguous: write G or GiB…");
        parse_fails_n("[Namespace db]\nMode=fsdax\nSize=0%\n", 34, -ERANGE,
                      F ":3: Size: '0%' must be more than 0% and at most 100%");
        parse_fails("[Namespace db]\nMode=FSDAX\nSize=1G\n",
                    F ":2: Mode: 'FSDAX' is not a mode: use fsdax, devdax or raw; did you mean fsdax?");
        parse_fails("[Namespace db]\nMode=sector\nSize=1G\n",
                    F ":2: Mode: sector mode (BTT) is not managed by daxmgr: use fsdax, devdax or raw");
        parse_fails("[Namespace db]\nRegion=region\nMode=fsdax\nSize=1G\n",
                    F ":2: Region: 'region' is not a region: use any, regionN, numa:N, dimm:SERIAL (hex, as "
                      "ndctl shows it) or cxl:NAME (a [CXLRegion NAME] section)");
        parse_fails("[Namespace db]\nRegion=numa:-1\nMode=fsdax\nSize=1G\n",
                    F ":2: Region: 'numa:-1' is not a region…");
        parse_fails("[Namespace db]\nRegion=region99999999999\nMode=fsdax\nSize=1G\n",
                    F ":2: Region: 'region99999999999' is not a region…");
        parse_fails("[Namespace db]\nRegion=dimm:xyz\nMode=fsdax\nSize=1G\n",
                    F ":2: Region: 'dimm:xyz' is not a DIMM serial: give it in hex as ndctl shows it, e.g. "
                      "dimm:0x57341200");
        parse_fails("[Namespace db]\nMode=fsdax\nSize=1G\nAlign=3M\n",
                    F ":4: Align: '3M' is not an alignment the kernel offers: use 4K, 2M or 1G");
        parse_fails("[Namespace db]\nMode=fsdax\nSize=1G\nMap=ram\n",
                    F ":4: Map: 'ram' is not a place for the struct pages: use mem or dev");
        parse_fails("[Namespace db]\nMode=fsdax\nSize=1G\nFilesystem=btrfs\n",
                    F ":4: Filesystem: 'btrfs' is not a file system daxmgr makes: use xfs, ext4 or none");
        parse_fails("[Namespace db]\nMode=fsdax\nSize=1G\nMountPoint=mnt/db\n",
                    F ":4: MountPoint: 'mnt/db' must be an absolute path");
        parse_fails("[Namespace db]\nMode=fsdax\nSize=1G\nMountPoint=/mnt/../etc\n",
                    F ":4: MountPoint: '/mnt/../etc' must not contain '.' or '..' components");
        parse_fails("[Namespace db]\nMode=fsdax\nSize=1G\nMountPoint=//\n",
                    F ":4: MountPoint: '//' must not be the root directory");
        parse_fails("[Namespace db]\nMode=fsdax\nSize=1G\nMountPoint=/m\nDAX=never\n",
                    F ":5: DAX: never would defeat the purpose of pmem: use always or inode");
        parse_fails("[Namespace db]\nMode=fsdax\nSize=1G\nMountPoint=/m\nDAX=Always\n",
                    F ":5: DAX: 'Always' is not a DAX mode: use always or inode; did you mean always?");
        parse_fails("[Namespace db]\nMode=fsdax\nSize=1G\nMountPoint=/m\nMountOptions=noatime,dax=inode\n",
                    F ":5: MountOptions: 'dax=inode' is not allowed here: DAX= is the key for it (always or "
                      "inode)");
        parse_fails("[Namespace db]\nMode=fsdax\nSize=1G\nMountPoint=/m\nMountOptions=dax\n",
                    F ":5: MountOptions: 'dax' is not allowed here…");
        parse_fails(
                "[Namespace db]\nMode=fsdax\nSize=1G\nMountPoint=/m\nMountOptions=noatime,,nodev\n", F
                ":5: MountOptions: 'noatime,,nodev' has an empty option: separate options by single commas");
        parse_fails("[Namespace db]\nMode=fsdax\nSize=1G\nMountPoint=/m\nMountOptions=noatime, nodev\n",
                    F ":5: MountOptions: 'noatime, nodev' contains white space…");
        parse_fails("[Namespace v]\nMode=devdax\nSize=1G\nOwner=-app\n",
                    F ":4: Owner: '-app' is not a user name or number");
        parse_fails("[Namespace v]\nMode=devdax\nSize=1G\nOwner=4294967295\n",
                    F ":4: Owner: '4294967295' is not a user name or number");
        parse_fails("[Namespace v]\nMode=devdax\nSize=1G\nGroup=a b\n",
                    F ":4: Group: 'a b' is not a group name or number");
        parse_fails("[Namespace v]\nMode=devdax\nSize=1G\nPermissions=0968\n",
                    F ":4: Permissions: '0968' is not an octal mode such as 0660 (at most 0777)");
        parse_fails("[Namespace v]\nMode=devdax\nSize=1G\nPermissions=4660\n",
                    F ":4: Permissions: '4660' has bits beyond the permissions (at most 0777)…");
        parse_fails("[Namespace v]\nMode=devdax\nSize=1G\nSystemRAM=yes\n",
                    F ":4: SystemRAM: 'yes' is not a system-RAM setting: use no, online or online-movable");
        parse_fails("[Namespace v]\nMode=devdax\nSize=1G\nDestroy=maybe\n",
                    F ":4: Destroy: 'maybe' is not a boolean: use yes or no (true/false, on/off, 1/0)");
        parse_fails(
                NS_DB "[Zone apps]\nNamespace=db\nDirectory=/abs\n", F
                ":7: Directory: '/abs' must be a relative path, not an absolute one (it is relative to the "
                "mount point of namespace db)");
        parse_fails(NS_DB "[Zone apps]\nNamespace=db\nDirectory=a/../../etc\n",
                    F ":7: Directory: 'a/../../etc' must not contain '.' or '..' components…");
        parse_fails(
                NS_DB "[Zone ..]\nNamespace=db\n",
                F ":5: Directory: '..' must not contain '.' or '..' components (it is relative to the mount "
                  "point of namespace db)");
        parse_fails(NS_DB ZONE "[Placement p]\nZone=apps\nProgram=python3\n",
                    F ":10: Program: 'python3' must be an absolute path");
        parse_fails(NS_DB ZONE "[Placement p]\nZone=apps\nProgram=/usr/bin/../bin/sh\n",
                    F ":10: Program: '/usr/bin/../bin/sh' must not contain '.' or '..' components");
        parse_fails(NS_DB ZONE "[Placement p]\nZone=apps\nProgram=/bin/sh\nWithLibraries=yess\n",
                    F ":11: WithLibraries: 'yess' is not a boolean…");
        parse_fails(NS_DB ZONE "[Placement p]\nZone=apps\nProgram=/bin/sh\nService=myapp\n",
                    F ":11: Service: 'myapp' is not a service unit name such as myapp.service");
        parse_fails(NS_DB ZONE "[Placement p]\nZone=apps\nProgram=/bin/sh\nService=my app.service\n",
                    F ":11: Service: 'my app.service' is not a service unit name…");
        parse_fails(NS_DB ZONE "[Placement p]\nZone=apps\nProgram=/bin/sh\nService=a.socket\n",
                    F ":11: Service: 'a.socket' is not a service unit name…");
        parse_fails(
                NS_DB ZONE "[Placement p]\nZone=apps\nProgram=/opt/my:app\nService=a.service\n", F
                ":11: Service: /opt/my:app or zone apps (/mnt/pmem/db/xip) holds a space, quote, '\\', '%' "
                "or ':', which a BindReadOnlyPaths= line cannot carry");
        parse_fails(NS_DB ZONE "[Placement p]\nZone=apps\nProgram=/bin/sh\nRefresh=never\n",
                    F ":11: Refresh: 'never' is not a refresh policy: use auto or manual");
        parse_fails(
                NS_DB ZONE "[Placement p]\nZone=apps\nProgram=/bin/sh\nRefresh=manua\n",
                F ":11: Refresh: 'manua' is not a refresh policy: use auto or manual; did you mean manual?");
}

TEST(test_cross_field_errors) {
        parse_fails("[Namespace v]\nMode=devdax\nSize=1G\nFilesystem=xfs\n",
                    F ":4: Filesystem: applies to fsdax namespaces only (Mode=devdax at " F ":2)");
        parse_fails("[Namespace v]\nMode=raw\nSize=1G\nMountPoint=/m\n",
                    F ":4: MountPoint: applies to fsdax namespaces only (Mode=raw at " F ":2)");
        parse_fails("[Namespace v]\nMode=devdax\nSize=1G\nDAX=always\n",
                    F ":4: DAX: applies to fsdax namespaces only (Mode=devdax at " F ":2)");
        parse_fails("[Namespace v]\nMode=fsdax\nSize=1G\nOwner=app\n",
                    F ":4: Owner: applies to devdax namespaces only (Mode=fsdax at " F ":2)");
        parse_fails("[Namespace v]\nMode=fsdax\nSize=1G\nPermissions=0660\n",
                    F ":4: Permissions: applies to devdax namespaces only…");
        parse_fails("[Namespace v]\nMode=raw\nSize=1G\nSystemRAM=online\n",
                    F ":4: SystemRAM: applies to devdax namespaces only (Mode=raw at " F ":2)");
        parse_fails("[Namespace v]\nMode=raw\nSize=1G\nAlign=2M\n",
                    F ":4: Align: applies to fsdax and devdax namespaces only (Mode=raw at " F ":2)");
        parse_fails("[Namespace v]\nMode=raw\nSize=1G\nMap=dev\n",
                    F ":4: Map: applies to fsdax and devdax namespaces only…");
        parse_fails("[Namespace v]\nMode=fsdax\nSize=1G\nFilesystem=none\nMountPoint=/m\n",
                    F ":5: MountPoint: Filesystem=none leaves nothing to mount");
        parse_fails(
                "[Namespace v]\nMode=devdax\nSize=1G\nSystemRAM=online\nOwner=app\n",
                F ":5: Owner: applies to the /dev/daxX.Y node, which a namespace with SystemRAM=online does "
                  "not keep");
        parse_fails(NS_DB "[Namespace other]\nMode=fsdax\nSize=1G\nMountPoint=/mnt/pmem//db/\n",
                    F ":8: MountPoint: /mnt/pmem/db is already the mount point of namespace db (" F ":4)");

        /* Zones: the namespace must exist, be fsdax and be mounted. */
        parse_fails(
                NS_DB "[Zone apps]\nNamespace=bd\n",
                F ":6: Namespace: no [Namespace bd] is configured; did you mean db?; the namespaces are db");
        parse_fails("[Zone apps]\nNamespace=db\n",
                    F ":2: Namespace: no [Namespace db] is configured (there are no namespaces)");
        parse_fails("[Namespace v]\nMode=devdax\nSize=1G\n[Zone apps]\nNamespace=v\n",
                    F ":5: Namespace: namespace v is devdax (" F
                      ":2): a zone needs an fsdax namespace with a file "
                      "system and MountPoint=");
        parse_fails("[Namespace v]\nMode=fsdax\nSize=1G\n[Zone apps]\nNamespace=v\n",
                    F ":5: Namespace: namespace v has no MountPoint= (section at " F
                      ":1): a zone lives on its mount");
        parse_fails(NS_DB ZONE "[Zone b]\nNamespace=db\nDirectory=xip/\n",
                    F ":10: Directory: /mnt/pmem/db/xip is already the directory of zone apps (" F ":5)");
        parse_fails(
                NS_DB ZONE "[Zone b]\nNamespace=db\nDirectory=xip/inner\n", F
                ":10: Directory: /mnt/pmem/db/xip/inner and the directory of zone apps (/mnt/pmem/db/xip, " F
                ":5) are nested: zones must not hold each other");
        parse_fails(NS_DB "[Zone xip]\nNamespace=db\n[Zone apps]\nNamespace=db\nDirectory=xipper\n[Zone c]\n"
                          "Namespace=db\nDirectory=xip/c\n",
                    F ":12: Directory: /mnt/pmem/db/xip/c and the directory of zone xip…");

        /* Placements: the zone must exist; no program twice in a zone or bound twice. */
        parse_fails(NS_DB ZONE "[Placement p]\nZone=app\nProgram=/bin/sh\n",
                    F ":9: Zone: no [Zone app] is configured; did you mean apps?");
        parse_fails(NS_DB ZONE "[Placement p]\nZone=apps\nProgram=/bin/sh\n[Placement q]\nZone=apps\n"
                               "Program=/bin//sh\n",
                    F ":13: Program: /bin/sh is already placed in zone apps by [Placement p] (" F ":8)");
        parse_fails(NS_DB ZONE "[Zone other]\nNamespace=db\n[Placement p]\nZone=apps\nProgram=/bin/sh\n"
                               "BindHost=yes\n[Placement q]\nZone=other\nProgram=/bin/sh\nBindHost=yes\n",
                    F ":17: BindHost: /bin/sh is already bound over the host's copy by [Placement p] (" F
                      ":10): one file cannot be bound twice");
        parse_fails(
                NS_DB ZONE "[Placement p]\nZone=apps\nProgram=/usr/bin/python3\n[Placement q]\nZone=apps\n"
                           "Program=/opt/bin/python3\n",
                F ":13: Program: zone apps would get two entry points bin/python3 (also [Placement p], " F
                  ":8): set EntryPoint=no on one");
        /* … which EntryPoint=no on one of them settles, as does another zone. */
        config_free(parse_ok(NS_DB ZONE "[Placement p]\nZone=apps\nProgram=/usr/bin/python3\n[Placement q]\n"
                                        "Zone=apps\nProgram=/opt/bin/python3\nEntryPoint=no\n",
                             NULL));
}

TEST(test_warnings) {
        _cleanup_strv_free_ char **w = NULL;
        _cleanup_config_ Config *c = NULL;
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        FILE *f;

        /* Duplicate keys in one section of one file: a warning, the last value wins, also across
         * two headers of the same section in one file. */
        c = parse_ok("[Namespace db]\nMode=fsdax\nSize=1G\nSize=2G\n[Namespace db]\nSize=3G\n", &w);
        ASSERT_EQ(strv_length(w), 2);
        ASSERT_STREQ(w[0],
                     F ":4: Size: set again in [Namespace db] of the same file (line 3 before); the last "
                       "value wins");
        ASSERT_STREQ(w[1],
                     F ":6: Size: set again in [Namespace db] of the same file (line 4 before); the last "
                       "value wins");
        ASSERT_EQ_U64(c->namespaces[0].size.bytes, 3 * GiB);
        ASSERT_EQ(c->namespaces[0].where[CONFIG_NAMESPACE_SIZE].line, 6);
        c = config_free(c);
        w = strv_free(w);

        /* Keys that do nothing without a mount point, and a device everyone may write. */
        c = parse_ok("[Namespace db]\nMode=fsdax\nSize=1G\nDAX=inode\nMountOptions=noatime\n"
                     "[Namespace v]\nMode=devdax\nSize=1G\nPermissions=0666\n",
                     &w);
        ASSERT_EQ(strv_length(w), 3);
        ASSERT_STREQ(w[0], F ":4: DAX: has no effect: [Namespace db] has no MountPoint=");
        ASSERT_STREQ(w[1], F ":5: MountOptions: has no effect: [Namespace db] has no MountPoint=");
        ASSERT_STREQ(w[2],
                     F ":9: Permissions: 0666 lets every user of the machine write the pmem of namespace v");
        c = config_free(c);
        w = strv_free(w);

        /* No warnings: NULL. */
        c = parse_ok(NS_DB, &w);
        ASSERT_TRUE(!w);
        c = config_free(c);

        /* Bounded: CONFIG_WARNINGS_MAX sentences and one that counts the rest. */
        f = open_memstream(&text, &len);
        ASSERT_TRUE(f);
        fprintf(f, "[Namespace db]\nMode=fsdax\n");
        for (unsigned i = 0; i < 5000; i++)
                fprintf(f, "Size=%uG\n", i + 1);
        ASSERT_EQ(fclose(f), 0);
        c = parse_ok(text, &w);
        ASSERT_EQ(strv_length(w), CONFIG_WARNINGS_MAX + 1);
        ASSERT_STREQ(w[CONFIG_WARNINGS_MAX], "4899 more warnings not shown");
        ASSERT_EQ_U64(c->namespaces[0].size.bytes, 5000 * GiB);
}

/* ---- files: main, drop-ins, masking ------------------------------------------------------ */

static void write_file(const char *root, const char *rel, const char *content) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1;

        ASSERT_TRUE(asprintf(&path, "%s/%s", root, rel) > 0);
        for (char *p = strchr(path + strlen(root) + 1, '/'); p; p = strchr(p + 1, '/')) {
                *p = '\0';
                ASSERT_TRUE(mkdir(path, 0755) == 0 || errno == EEXIST);
                *p = '/';
        }
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(write(fd, content, strlen(content)), (ssize_t) strlen(content));
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static void rm_tree(const char *root) {
        ASSERT_EQ(nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static void load_fails(const char *root, int r_expected, const char *expected) {
        char **w = NULL, *e = NULL;
        Config *c = NULL;
        size_t n = strlen(expected);
        bool prefix = n >= 3 && strcmp(expected + n - 3, "…") == 0;
        int r = config_load(root, &c, &w, &e);

        if (r != r_expected || !e ||
            (prefix ? strncmp(e, expected, n - 3) != 0 : strcmp(e, expected) != 0)) {
                fprintf(stderr, "expected: (%d) %s\n     got: (%d) %s\n", r_expected, expected, r, e);
                abort();
        }
        ASSERT_EQ(r, r_expected);
        ASSERT_TRUE(!c && !w);
        free(e);
}

static _printf_(1, 2) char *fmt(const char *f, ...) {
        va_list ap;
        char *s = NULL;

        va_start(ap, f);
        ASSERT_TRUE(vasprintf(&s, f, ap) >= 0);
        va_end(ap);
        return s;
}

TEST(test_load) {
        char root[] = "/tmp/test-config-XXXXXX";
        _cleanup_strv_free_ char **w = NULL;
        _cleanup_config_ Config *c = NULL;
        _cleanup_free_ char *e = NULL, *expect = NULL, *slash = NULL;
        const ConfigNamespace *ns;

        ASSERT_TRUE(mkdtemp(root));

        /* Nothing at all: an empty configuration, and not an error. */
        ASSERT_EQ(config_load(root, &c, &w, &e), 0);
        ASSERT_EQ(c->n_files, 0);
        ASSERT_EQ(c->n_namespaces, 0);
        ASSERT_TRUE(!w);
        c = config_free(c);

        /* The vendor's main file is read when /etc has none… */
        write_file(root, "usr/lib/daxmgr/daxmgr.conf", "[Namespace db]\nMode=devdax\nSize=1G\n");
        ASSERT_EQ(config_load(root, &c, &w, &e), 0);
        ASSERT_EQ(c->n_files, 1);
        ASSERT_EQ(c->namespaces[0].mode, NAMESPACE_MODE_DEVDAX);
        c = config_free(c);

        /* …and not at all once /etc has one. */
        write_file(root, "etc/daxmgr/daxmgr.conf",
                   "[Namespace db]\nMode=fsdax\nSize=1G\nMountPoint=/mnt/a\nDAX=inode\n");
        /* Drop-ins of both directories by file name: 05 (etc) 10 (usr) 20 (etc, masking usr's) 30 (usr). */
        write_file(root, "etc/daxmgr/daxmgr.conf.d/05-zone.conf",
                   "[Zone apps]\nNamespace=db\nDirectory=a\nDirectory=b\n");
        write_file(root, "usr/lib/daxmgr/daxmgr.conf.d/10-size.conf", "[Namespace db]\nSize=2G\nAlign=2M\n");
        write_file(root, "etc/daxmgr/daxmgr.conf.d/20-mask.conf", "[Namespace db]\nSize=4G\n");
        write_file(root, "usr/lib/daxmgr/daxmgr.conf.d/20-mask.conf",
                   "[Namespace db]\nSize=8G\nMountOptions=nodev\n");
        write_file(root, "usr/lib/daxmgr/daxmgr.conf.d/30-reset.conf", "[Namespace db]\nDAX=\nAlign=\n");
        /* Neither a .conf nor visible: never read. */
        write_file(root, "etc/daxmgr/daxmgr.conf.d/README", "garbage\n");
        write_file(root, "etc/daxmgr/daxmgr.conf.d/.hidden.conf", "garbage\n");
        write_file(root, "etc/daxmgr/daxmgr.conf.d/40-x.conf.disabled", "garbage\n");

        ASSERT_EQ(config_load(root, &c, &w, &e), 0);
        ASSERT_EQ(c->n_files, 5);
        expect = fmt("%s/etc/daxmgr/daxmgr.conf", root);
        ASSERT_STREQ(c->files[0], expect);
        free(expect);
        expect = fmt("%s/etc/daxmgr/daxmgr.conf.d/05-zone.conf", root);
        ASSERT_STREQ(c->files[1], expect);
        free(expect);
        expect = fmt("%s/usr/lib/daxmgr/daxmgr.conf.d/10-size.conf", root);
        ASSERT_STREQ(c->files[2], expect);
        free(expect);
        expect = fmt("%s/etc/daxmgr/daxmgr.conf.d/20-mask.conf", root);
        ASSERT_STREQ(c->files[3], expect);
        free(expect);
        expect = fmt("%s/usr/lib/daxmgr/daxmgr.conf.d/30-reset.conf", root);
        ASSERT_STREQ(c->files[4], expect);
        free(expect);

        ns = config_find_namespace(c, "db");
        ASSERT_EQ(ns->mode, NAMESPACE_MODE_FSDAX); /* /etc's main file, not the vendor's */
        ASSERT_EQ_U64(ns->size.bytes, 4 * GiB);    /* 20-mask.conf of /etc, last to set it */
        ASSERT_STREQ(ns->where[CONFIG_NAMESPACE_SIZE].file, c->files[3]);
        ASSERT_EQ(ns->where[CONFIG_NAMESPACE_SIZE].line, 2);
        ASSERT_TRUE(!ns->mount_options);     /* the masked /usr/lib drop-in */
        ASSERT_EQ(ns->dax, DAX_MODE_ALWAYS); /* reset: the default again */
        ASSERT_TRUE(!ns->where[CONFIG_NAMESPACE_DAX].file);
        ASSERT_EQ_U64(ns->align, 0);
        ASSERT_STREQ(ns->section.file, c->files[0]);
        ASSERT_STREQ(config_find_zone(c, "apps")->directory, "b"); /* the last of a duplicate */
        ASSERT_EQ(strv_length(w), 1);
        expect = fmt(
                "%s:4: Directory: set again in [Zone apps] of the same file (line 3 before); the last value "
                "wins",
                c->files[1]);
        ASSERT_STREQ(w[0], expect);
        free(expect);
        c = config_free(c);
        w = strv_free(w);

        /* A root that is not there is not an empty configuration. */
        load_fails("/nonexistent-daxmgr-root", -ENOENT,
                   "/nonexistent-daxmgr-root: cannot use it as the root: No such file or directory");
        slash = fmt("%s/etc/daxmgr/daxmgr.conf", root);
        expect = fmt("%s: not a directory, so not a root", slash);
        load_fails(slash, -ENOTDIR, expect);
        free(expect);
        free(slash);

        /* A root with trailing slashes reads the same files, named the same. */
        slash = fmt("%s//", root);
        ASSERT_EQ(config_load(slash, &c, NULL, &e), 0);
        ASSERT_EQ(c->n_files, 5);
        expect = fmt("%s/etc/daxmgr/daxmgr.conf", root);
        ASSERT_STREQ(c->files[0], expect);
        free(expect);
        c = config_free(c);

        /* An error in a drop-in names the drop-in and its line. */
        write_file(root, "etc/daxmgr/daxmgr.conf.d/50-bad.conf", "# db\n[Namespace db]\nSize=12XB\n");
        expect = fmt("%s/etc/daxmgr/daxmgr.conf.d/50-bad.conf:3: Size: '12XB' has an unknown unit 'XB': use "
                     "K, M, "
                     "G, T (powers of 1024)",
                     root);
        load_fails(root, -EINVAL, expect);
        free(expect);

        /* A drop-in starts outside of any section, whatever the file before it ended with. */
        write_file(root, "etc/daxmgr/daxmgr.conf.d/50-bad.conf", "# no header\nSize=2G\n");
        expect = fmt("%s/etc/daxmgr/daxmgr.conf.d/50-bad.conf:2: Size: assignment outside of a section…",
                     root);
        load_fails(root, -EINVAL, expect);
        free(expect);

        /* A required key reset by a drop-in and never set again. */
        write_file(root, "etc/daxmgr/daxmgr.conf.d/50-bad.conf", "[Namespace db]\n\nSize=\n");
        expect = fmt("%s/etc/daxmgr/daxmgr.conf.d/50-bad.conf:3: Size: reset here and not set again, but "
                     "[Namespace "
                     "db] needs it…",
                     root);
        load_fails(root, -EINVAL, expect);
        free(expect);

        /* A cross-field error between files: the key's file, and where Mode= came from. */
        write_file(root, "etc/daxmgr/daxmgr.conf.d/50-bad.conf", "[Namespace db]\nMode=devdax\n");
        expect = fmt(
                "%s/etc/daxmgr/daxmgr.conf:4: MountPoint: applies to fsdax namespaces only (Mode=devdax at "
                "%s/etc/daxmgr/daxmgr.conf.d/50-bad.conf:2)",
                root, root);
        load_fails(root, -EINVAL, expect);
        free(expect);

        /* Masking with a symlink to /dev/null, as systemd does. */
        ASSERT_EQ(unlink(expect = fmt("%s/etc/daxmgr/daxmgr.conf.d/50-bad.conf", root)), 0);
        free(expect);
        write_file(root, "usr/lib/daxmgr/daxmgr.conf.d/60-broken.conf", "this is not a configuration\n");
        expect = fmt(
                "%s/usr/lib/daxmgr/daxmgr.conf.d/60-broken.conf:1: expected a [Type NAME] section header or "
                "a Key=Value assignment",
                root);
        load_fails(root, -EINVAL, expect);
        free(expect);
        expect = fmt("%s/etc/daxmgr/daxmgr.conf.d/60-broken.conf", root);
        ASSERT_EQ(symlink("/dev/null", expect), 0);
        free(expect);
        ASSERT_EQ(config_load(root, &c, &w, &e), 0);
        ASSERT_EQ(c->n_files, 6);
        c = config_free(c);
        w = strv_free(w);

        /* A directory where a file should be. */
        expect = fmt("%s/etc/daxmgr/daxmgr.conf.d/70-dir.conf", root);
        ASSERT_EQ(mkdir(expect, 0755), 0);
        free(expect);
        expect = fmt("%s/etc/daxmgr/daxmgr.conf.d/70-dir.conf: not a regular file", root);
        load_fails(root, -EINVAL, expect);
        free(expect);
        expect = fmt("%s/etc/daxmgr/daxmgr.conf.d/70-dir.conf", root);
        ASSERT_EQ(rmdir(expect), 0);
        free(expect);
        expect = NULL;

        /* A file over the size bound is refused before it is read. */
        {
                _cleanup_free_ char *big = malloc(CONFIG_FILE_MAX + 2);

                ASSERT_TRUE(big);
                memset(big, '#', CONFIG_FILE_MAX + 1);
                big[CONFIG_FILE_MAX + 1] = '\0';
                write_file(root, "etc/daxmgr/daxmgr.conf.d/80-big.conf", big);
                expect = fmt("%s/etc/daxmgr/daxmgr.conf.d/80-big.conf: larger than 1024 KiB…", root);
                load_fails(root, -EFBIG, expect);
        }

        rm_tree(root);
}

/* ---- hostile input ----------------------------------------------------------------------- */

/* Any outcome but a crash: success, or a sentence that names the file. */
static void parse_anything(const char *text, size_t size) {
        char **w = NULL, *e = NULL;
        Config *c = NULL;
        int r = config_parse_text(text, size, F, &c, &w, &e);

        if (r < 0) {
                ASSERT_TRUE(!c && !w);
                if (!e || strncmp(e, F ":", strlen(F ":")) != 0) {
                        fprintf(stderr, "error without its file: (%d) %s\n", r, e);
                        abort();
                }
        } else
                ASSERT_TRUE(c && !e);
        free(e);
        strv_free(w);
        config_free(c);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15;

static uint64_t rng(void) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return rng_state;
}

TEST(test_hostile) {
        _cleanup_free_ char *text = NULL, *sample = NULL;
        size_t len = 0, sample_size;
        FILE *f;

        /* Lines: CONFIG_LINE_MAX bytes pass, one more does not, a megabyte without a newline either. */
        f = open_memstream(&text, &len);
        ASSERT_TRUE(f);
        fprintf(f, "[Namespace db]\nMode=raw\nSize=1G\n#");
        for (unsigned i = 0; i < CONFIG_LINE_MAX - 1; i++)
                fputc('x', f);
        fputs("\r\n", f); /* the CR is not counted */
        ASSERT_EQ(fclose(f), 0);
        config_free(parse_ok(text, NULL));
        free(text);

        f = open_memstream(&text, &len);
        ASSERT_TRUE(f);
        fprintf(f, "[Namespace db]\nMode=raw\nSize=1G\n#");
        for (unsigned i = 0; i < CONFIG_LINE_MAX; i++) /* one byte too many */
                fputc('x', f);
        fputc('\n', f);
        ASSERT_EQ(fclose(f), 0);
        parse_fails_n(text, len, -E2BIG,
                      F ":4: line longer than 4096 bytes: daxmgr accepts no longer lines");
        free(text);

        text = malloc(CONFIG_FILE_MAX);
        ASSERT_TRUE(text);
        memset(text, 'A', CONFIG_FILE_MAX);
        parse_fails_n(text, CONFIG_FILE_MAX, -E2BIG, F ":1: line longer than 4096 bytes…");
        free(text);
        text = calloc(1, CONFIG_FILE_MAX + 1);
        ASSERT_TRUE(text);
        parse_fails_n(text, CONFIG_FILE_MAX + 1, -EFBIG,
                      F ": larger than 1024 KiB: daxmgr reads configuration files of at most that size");
        free(text);
        text = NULL;

        /* Bytes: NUL, control characters, invalid UTF-8 of every kind; valid UTF-8 passes. */
        parse_fails_n("[Namespace db]\nMode=fs\0dax\n", 26, -EINVAL,
                      F ":2: a NUL byte (byte 0x00) at column 8: configuration files are UTF-8 text");
        parse_fails("[Namespace db]\nMode=fsdax\x1b[0m\n", F
                    ":2: a control character (byte 0x1b) at column 11: configuration files are UTF-8 text");
        parse_fails("[Namespace db]\x7f\n", F ":1: a control character (byte 0x7f) at column 15…");
        parse_fails("#\xc0\x80\n",
                    F ":1: invalid UTF-8 (byte 0xc0) at column 2: configuration files are UTF-8 text");
        parse_fails("#\xe0\x80\x80\n", F ":1: invalid UTF-8 (byte 0xe0) at column 2…");     /* overlong */
        parse_fails("#\xed\xa0\x80\n", F ":1: invalid UTF-8 (byte 0xed) at column 2…");     /* surrogate */
        parse_fails("#\xf4\x90\x80\x80\n", F ":1: invalid UTF-8 (byte 0xf4) at column 2…"); /* > U+10FFFF */
        parse_fails("#\xf5\x80\x80\x80\n", F ":1: invalid UTF-8 (byte 0xf5) at column 2…");
        parse_fails("#ok\n#\xe2\x82\n", F ":2: invalid UTF-8 (byte 0xe2) at column 2…"); /* cut at the end */
        parse_fails("#ok\n#\xe2\x82", F ":2: invalid UTF-8 (byte 0xe2) at column 2…"); /* … of the text */
        parse_fails("#\x80\n", F ":1: invalid UTF-8 (byte 0x80) at column 2…");
        config_free(parse_ok("# caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d\n" NS_DB
                             "[Namespace x]\nMode=fsdax\nSize=1G\nMountPoint=/mnt/donn\xc3\xa9\x65s\n",
                             NULL));

        /* Counts: CONFIG_SECTIONS_MAX sections pass, one more does not; 10^5 are refused early. */
        f = open_memstream(&text, &len);
        ASSERT_TRUE(f);
        for (unsigned i = 0; i < CONFIG_SECTIONS_MAX; i++)
                fprintf(f, "[Namespace n%u]\nMode=raw\nSize=1G\n", i);
        ASSERT_EQ(fflush(f), 0);
        {
                _cleanup_config_ Config *c = parse_ok(text, NULL);

                ASSERT_EQ(c->n_namespaces, CONFIG_SECTIONS_MAX);
                ASSERT_STREQ(c->namespaces[CONFIG_SECTIONS_MAX - 1].name, "n1023");
        }
        fprintf(f, "[Zone one-too-many]\n");
        ASSERT_EQ(fclose(f), 0);
        parse_fails_n(text, len, -E2BIG,
                      F ":3073: more than 1024 sections: daxmgr accepts at most 1024 in all files together");
        free(text);

        f = open_memstream(&text, &len);
        ASSERT_TRUE(f);
        for (unsigned i = 0; i < 100000; i++)
                fprintf(f, "[Zone z%u]\n", i);
        ASSERT_EQ(fclose(f), 0);
        ASSERT_TRUE(len > CONFIG_FILE_MAX);
        parse_fails_n(text, len, -EFBIG, F ": larger than 1024 KiB…");
        parse_fails_n(text, CONFIG_FILE_MAX, -E2BIG, F ":1025: more than 1024 sections…");
        free(text);

        /* Headers of sections that exist already, over and over: cheap (binary search). */
        f = open_memstream(&text, &len);
        ASSERT_TRUE(f);
        fprintf(f, NS_DB);
        while (len < CONFIG_FILE_MAX - 32) {
                fprintf(f, "[Namespace db]\n");
                ASSERT_EQ(fflush(f), 0);
        }
        ASSERT_EQ(fclose(f), 0);
        config_free(parse_ok(text, NULL));
        free(text);
        text = NULL;

        /* Garbage: random bytes, and the sample with random bytes changed, inserted, deleted. */
        {
                char buf[512];

                for (unsigned i = 0; i < 3000; i++) {
                        size_t n = rng() % sizeof(buf);

                        for (size_t k = 0; k < n; k++) {
                                uint64_t x = rng();
                                /* Mostly the characters that matter to the parser. */
                                buf[k] = x % 4 == 0 ? "[]=#;\n \t/.%:@\\"[(x >> 8) % 15] : (char) (x >> 16);
                        }
                        parse_anything(buf, n);
                }
        }
        ASSERT_EQ(read_full_file("../../docs/daxmgr.conf.sample", CONFIG_FILE_MAX, &sample, &sample_size),
                  0);
        for (unsigned i = 0; i < 3000; i++) {
                _cleanup_free_ char *m = malloc(sample_size + 16);
                size_t n = sample_size;

                ASSERT_TRUE(m);
                memcpy(m, sample, sample_size);
                for (unsigned k = 0, edits = 1 + rng() % 4; k < edits && n > 0; k++) {
                        size_t at = rng() % n;

                        switch (rng() % 3) {
                        case 0:
                                m[at] = (char) rng();
                                break;
                        case 1:
                                memmove(m + at + 1, m + at, n - at);
                                m[at] = "\0\n=[]#\xff"[rng() % 7];
                                n++;
                                break;
                        default:
                                memmove(m + at, m + at + 1, n - at - 1);
                                n--;
                                break;
                        }
                }
                parse_anything(m, n);
        }
}

TEST(test_cxl_region) {
        _cleanup_config_ Config *c = parse_ok("[CXLRegion fast]\n"
                                              "Memdevs=mem0, serial:0xc0de0001\n"
                                              "Size=1G\n"
                                              "Decoder=decoder0.0\n"
                                              "[CXLRegion slow]\n"
                                              "[Namespace pm]\nRegion=cxl:fast\nMode=fsdax\nSize=rest\n",
                                              NULL);
        _cleanup_free_ char *region = NULL, *summary = NULL;
        char uuid[37];

        ASSERT_EQ(c->n_cxl_regions, 2);
        /* daxmgrd --check-config and "Configuration loaded:" count the [CXLRegion] sections too. */
        ASSERT_EQ(config_summary(c, &summary), 0);
        ASSERT_STREQ(summary, "2 CXL region(s), 1 namespace(s), 0 DAX device(s), 0 zone(s), 0 placement(s) "
                              "from 1 file(s)");
        ASSERT_STREQ(c->cxl_regions[0].name, "fast");
        ASSERT_EQ(c->cxl_regions[0].n_memdevs, 2);
        ASSERT_STREQ(c->cxl_regions[0].memdevs[0], "mem0");
        ASSERT_STREQ(c->cxl_regions[0].memdevs[1], "serial:0xc0de0001");
        ASSERT_EQ_U64(c->cxl_regions[0].size, 1024 * MiB);
        ASSERT_STREQ(c->cxl_regions[0].decoder, "decoder0.0");
        /* Defaults: any one device, all its free capacity, any window. */
        ASSERT_EQ(c->cxl_regions[1].n_memdevs, 0);
        ASSERT_EQ_U64(c->cxl_regions[1].size, 0);
        ASSERT_TRUE(!c->cxl_regions[1].decoder);
        /* The uuid comes from the name: the same on every boot, different per name. */
        cxl_region_uuid_from_name("fast", uuid);
        ASSERT_STREQ(c->cxl_regions[0].uuid, uuid);
        ASSERT_TRUE(strcmp(c->cxl_regions[0].uuid, c->cxl_regions[1].uuid) != 0);
        ASSERT_EQ(c->namespaces[0].region.kind, CONFIG_REGION_CXL);
        ASSERT_STREQ(c->namespaces[0].region.cxl_uuid, uuid);
        ASSERT_EQ(config_region_format(&c->namespaces[0].region, &region), 0);
        ASSERT_STREQ(region, "cxl:fast");
        ASSERT_TRUE(config_find_cxl_region(c, "slow") == &c->cxl_regions[1]);

        parse_fails("[CXLRegion r]\nMemdevs=mem0 mem0\n",
                    F ":2: Memdevs: mem0 is named twice: a region interleaves distinct devices");
        parse_fails("[CXLRegion r]\nMemdevs=nvme0\n",
                    F ":2: Memdevs: 'nvme0' is not a CXL memory device: use memN (as cxl list shows it) or "
                      "serial:HEX, or any");
        parse_fails("[CXLRegion r]\nMemdevs=serial:xyz\n", F
                    ":2: Memdevs: 'serial:xyz' is not a serial number: give it in hex as cxl list shows it, "
                    "e.g. serial:0xc0de0000");
        parse_fails(
                "[CXLRegion r]\nMemdevs=mem0 mem1 mem2 mem3 mem4\n", F
                ":2: Memdevs: 5 memory devices cannot be interleaved: CXL interleaves 1, 2, 3, 4, 6, 8, 12 "
                "or 16");
        parse_fails("[CXLRegion r]\nMemdevs=mem0 mem1\nSize=256M\n",
                    F ":3: Size: '256M' is not a multiple of 2 × 256 MiB: a CXL region is made of 256 MiB "
                      "blocks on each of its 2 memory devices; use a multiple, or rest");
        parse_fails("[CXLRegion r]\nSize=12XB\n", F ":2: Size: '12XB' has an unknown unit 'XB'…");
        parse_fails("[CXLRegion r]\nDecoder=decoder0\n",
                    F ":2: Decoder: 'decoder0' is not a root decoder: use decoderX.Y (a CXL fixed memory "
                      "window, as cxl list -D shows it) or any");
        parse_fails("[CXLRegion r]\nMode=fsdax\n",
                    F ":2: Mode: not a key of [CXLRegion] sections: it belongs in a "
                      "[Namespace NAME] section");
        parse_fails(
                "[Namespace pm]\nRegion=cxl:nope\nMode=fsdax\nSize=1G\n",
                F ":2: Region: no [CXLRegion nope] is configured: Region=cxl:NAME names the CXL region of a "
                  "[CXLRegion NAME] section");
        parse_fails("[CXLRegion a]\nMemdevs=mem0\n[CXLRegion b]\nMemdevs=mem0\nSize=256M\n", F
                    ":4: Memdevs: mem0 is also in [CXLRegion a] (" F ":1), and one of the two takes all its "
                    "free capacity (Size=rest): give both a Size=");
}

TEST(test_dax_device) {
        _cleanup_config_ Config *c = NULL;
        _cleanup_free_ char *summary = NULL;
        json_object *j = NULL;
        const ConfigDaxDevice *d;

        c = parse_ok("[DaxDevice hbm]\nProvider=hmem\nResource=0x140000000\nSize=512M\n"
                     "SystemRAM=online-movable\n"
                     "[DaxDevice cxl]\nTargetNode=2\nOwner=nobody\nPermissions=0600\n",
                     NULL);
        ASSERT_EQ(c->n_dax_devices, 2);
        ASSERT_EQ(config_summary(c, &summary), 0);
        ASSERT_STREQ(summary, "0 CXL region(s), 0 namespace(s), 2 DAX device(s), 0 zone(s), 0 placement(s) "
                              "from 1 file(s)");
        d = config_find_dax_device(c, "hbm");
        ASSERT_EQ(d->provider, DAX_PROVIDER_HMEM);
        ASSERT_EQ_U64(d->resource, 0x140000000);
        ASSERT_EQ_U64(d->size, 512u << 20);
        ASSERT_EQ(d->target_node, -1);
        ASSERT_EQ(d->system_ram, CONFIG_SYSTEM_RAM_ONLINE_MOVABLE);
        ASSERT_EQ(d->where[CONFIG_DAX_DEVICE_SYSTEM_RAM].line, 5);
        d = config_find_dax_device(c, "cxl");
        ASSERT_EQ(d->provider, -1);
        ASSERT_EQ(d->target_node, 2);
        ASSERT_EQ_U64(d->resource, UINT64_MAX);
        ASSERT_STREQ(d->owner, "nobody");
        ASSERT_EQ(d->permissions, 0600);
        ASSERT_EQ(d->system_ram, CONFIG_SYSTEM_RAM_NO);
        ASSERT_EQ(config_to_json(c, &j), 0);
        ASSERT_STREQ(
                json_object_get_string(json_object_object_get(
                        json_object_array_get_idx(json_object_object_get(j, "dax_devices"), 0), "resource")),
                "0x140000000");
        json_object_put(j);

        parse_fails("[DaxDevice hbm]\nSystemRAM=online\n",
                    F ":1: [DaxDevice hbm] needs Resource= or TargetNode= to find its device: device names "
                      "(daxX.Y) change from boot to boot, its physical start and node do not");
        parse_fails("[DaxDevice hbm]\nResource=140000000\n",
                    F ":2: Resource: '140000000' is not a physical address in hex such as 0x140000000 (the "
                      "device's start, as daxctl list shows it)");
        parse_fails("[DaxDevice hbm]\nTargetNode=one\n",
                    F ":2: TargetNode: 'one' is not a NUMA node number");
        parse_fails("[DaxDevice hbm]\nTargetNode=1\nProvider=nd\n",
                    F ":3: Provider: the dax device of a namespace is configured in its [Namespace NAME] "
                      "section (Mode=devdax, SystemRAM=), not here");
        parse_fails("[DaxDevice hbm]\nTargetNode=1\nProvider=hmm\n",
                    F ":3: Provider: 'hmm' is not a dax device provider: use hmem, cxl or any; did you mean "
                      "hmem?…");
        parse_fails("[DaxDevice hbm]\nTargetNode=1\nSystemRAM=movable\n",
                    F ":3: SystemRAM: 'movable' is not a system-RAM setting…");
        parse_fails("[DaxDevice hbm]\nTargetNode=1\nSystemRAM=online\nOwner=nobody\n", F
                    ":4: Owner: applies to the /dev/daxX.Y node, which a device with SystemRAM=online does "
                    "not keep");
        parse_fails("[DaxDevice hbm]\nTargetNode=1\nSize=0\n", F ":3: Size: …");
        parse_fails(
                "[DaxDevice hbm]\nTargetNode=1\nRegion=region0\n",
                F ":3: Region: not a key of [DaxDevice] sections: it belongs in a [Namespace NAME] section");
        parse_fails("[DaxDevice a]\nResource=0x100000000\n[DaxDevice b]\nResource=0x100000000\n",
                    F ":4: Resource: [DaxDevice b] and [DaxDevice a] (" F ":2) both match the device at "
                      "0x100000000: keep one");
}

DEFINE_TEST_MAIN();
