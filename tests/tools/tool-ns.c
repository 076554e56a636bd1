/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* daxmgr-tool verbs for the topology and namespaces. */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "context.h"
#include "dax-mount.h"
#include "error.h"
#include "format.h"
#include "namespace.h"
#include "ns-lock.h"
#include "parse-util.h"
#include "size.h"
#include "tool.h"
#include "topology.h"

static void log_stderr(void *userdata, int priority, const char *message) {
        fprintf(stderr, "daxmgr-tool: %s\n", message);
}

static int context(DaxContext **ret) {
        int r = dax_context_new(ret);

        if (r < 0) {
                fprintf(stderr, "daxmgr-tool: cannot start libndctl: %s\n", strerror(-r));
                return r;
        }
        dax_context_set_log(*ret, log_stderr, NULL, getenv("DAXMGR_DEBUG") ? LOG_DEBUG : LOG_WARNING);
        if (getenv("DAXMGR_LOCK_TIMEOUT") &&
            parse_u32(getenv("DAXMGR_LOCK_TIMEOUT"), 10, &(*ret)->lock_timeout_sec) < 0) {
                fprintf(stderr, "daxmgr-tool: DAXMGR_LOCK_TIMEOUT must be a number of seconds\n");
                return -EINVAL;
        }
        return 0;
}

static int parse_align(const char *verb, const char *s, uint64_t *ret) {
        _cleanup_free_ char *e = NULL;

        if (size_parse_bytes(s, ret, &e) < 0) {
                fprintf(stderr, "daxmgr-tool %s: --align: %s\n", verb, e);
                return -EINVAL;
        }
        return 0;
}

int verb_topology(int argc, char *argv[]) {
        _cleanup_dax_context_ DaxContext *c = NULL;
        _cleanup_topology_ Topology *t = NULL;
        _cleanup_free_ char *e = NULL;
        json_object *j;

        if (argc > 1) {
                fprintf(stderr, "daxmgr-tool topology: takes no arguments\n");
                return 2;
        }
        if (context(&c) < 0)
                return 1;
        if (topology_snapshot(c, 0, &t, &e) < 0)
                return tool_fail(argv[0], e, -EIO);
        j = topology_to_json(t);
        printf("%s\n",
               json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(j);
        return 0;
}

static const struct option ns_options[] = {
        { "region", required_argument, NULL, 'r' }, { "size", required_argument, NULL, 's' },
        { "mode", required_argument, NULL, 'm' },   { "map", required_argument, NULL, 'M' },
        { "align", required_argument, NULL, 'a' },  { "name", required_argument, NULL, 'n' },
        { "force", no_argument, NULL, 'f' },        {},
};

typedef struct NsArgs {
        const char *region, *size, *name;
        NamespaceMode mode;
        PfnMap map;
        uint64_t align;
        bool force;
} NsArgs;

static int parse_ns_args(int argc, char *argv[], NsArgs *a) {
        int c;

        *a = (NsArgs){ .mode = NAMESPACE_MODE_FSDAX, .map = PFN_MAP_DEV };
        optind = 1;
        while ((c = getopt_long(argc, argv, "r:s:m:M:a:n:f", ns_options, NULL)) >= 0)
                switch (c) {
                case 'r':
                        a->region = optarg;
                        break;
                case 's':
                        a->size = optarg;
                        break;
                case 'm':
                        a->mode = namespace_mode_from_string(optarg);
                        if (a->mode < 0) {
                                fprintf(stderr, "daxmgr-tool %s: --mode must be fsdax, devdax or raw\n",
                                        argv[0]);
                                return -EINVAL;
                        }
                        break;
                case 'M':
                        a->map = pfn_map_from_string(optarg);
                        if (a->map < 0) {
                                fprintf(stderr, "daxmgr-tool %s: --map must be mem or dev\n", argv[0]);
                                return -EINVAL;
                        }
                        break;
                case 'a':
                        if (parse_align(argv[0], optarg, &a->align) < 0)
                                return -EINVAL;
                        break;
                case 'n':
                        a->name = optarg;
                        break;
                case 'f':
                        a->force = true;
                        break;
                default:
                        return -EINVAL;
                }
        return 0;
}

int verb_size_plan(int argc, char *argv[]) {
        _cleanup_dax_context_ DaxContext *c = NULL;
        _cleanup_topology_ Topology *t = NULL;
        _cleanup_free_ char *e = NULL;
        const TopoRegion *r;
        NamespaceRequest req;
        NamespacePlan p;
        RegionShape shape;
        NsArgs a;

        if (parse_ns_args(argc, argv, &a) < 0)
                return 2;
        if (!a.region || !a.size) {
                fprintf(stderr, "daxmgr-tool size-plan: --region and --size are required\n");
                return 2;
        }
        req = (NamespaceRequest){ .mode = a.mode, .map = a.map, .align = a.align };
        if (size_spec_parse(a.size, &req.size, &e) < 0)
                return tool_fail(argv[0], e, -EINVAL);
        if (context(&c) < 0)
                return 1;
        if (topology_snapshot(c, 0, &t, &e) < 0)
                return tool_fail(argv[0], e, -EIO);
        r = topology_find_region(t, a.region);
        if (!r) {
                fprintf(stderr, "daxmgr-tool size-plan: there is no pmem region %s\n", a.region);
                return 1;
        }
        shape = topo_region_shape(r);
        if (namespace_plan_size(&shape, &req, &p, &e) < 0)
                return tool_fail(argv[0], e, -EINVAL);
        printf("{\"size\":%" PRIu64 ",\"align\":%" PRIu64 ",\"unit\":%" PRIu64 ",\"usable\":%" PRIu64
               ",\"rounded\":%s}\n",
               p.size, p.align, p.unit, p.usable, p.rounded ? "true" : "false");
        return 0;
}

int verb_create_namespace(int argc, char *argv[]) {
        _cleanup_dax_context_ DaxContext *c = NULL;
        _cleanup_free_ char *e = NULL, *dev = NULL, *uuid = NULL, *raw_uuid = NULL;
        NamespaceCreate req;
        NsArgs a;

        if (parse_ns_args(argc, argv, &a) < 0)
                return 2;
        if (!a.region || !a.size || optind < argc) {
                fprintf(stderr,
                        "daxmgr-tool create-namespace: --region and --size are required, nothing else\n");
                return 2;
        }
        req = (NamespaceCreate){ .region = a.region,
                                 .ns = { .mode = a.mode, .map = a.map, .align = a.align },
                                 .name = a.name };
        if (size_spec_parse(a.size, &req.ns.size, &e) < 0)
                return tool_fail(argv[0], e, -EINVAL);
        if (context(&c) < 0)
                return 1;
        if (namespace_create(c, &req, &dev, &uuid, &raw_uuid, &e) < 0)
                return tool_fail(argv[0], e, -EIO);
        printf("{\"dev\":\"%s\",\"uuid\":\"%s\",\"raw_uuid\":\"%s\"}\n", dev, uuid, raw_uuid);
        return 0;
}

int verb_destroy_namespace(int argc, char *argv[]) {
        _cleanup_dax_context_ DaxContext *c = NULL;
        _cleanup_free_ char *e = NULL;
        NsArgs a;

        if (parse_ns_args(argc, argv, &a) < 0)
                return 2;
        if (optind != argc - 1) {
                fprintf(stderr, "daxmgr-tool destroy-namespace: give exactly one namespace (name, "
                                "kernel name, device, uuid or raw uuid)\n");
                return 2;
        }
        if (context(&c) < 0)
                return 1;
        if (namespace_destroy(c, argv[optind], a.force, &e) < 0)
                return tool_fail(argv[0], e, -EIO);
        return 0;
}

int verb_reconfigure_namespace(int argc, char *argv[]) {
        _cleanup_dax_context_ DaxContext *c = NULL;
        _cleanup_free_ char *e = NULL;
        NsArgs a;

        if (parse_ns_args(argc, argv, &a) < 0)
                return 2;
        if (optind != argc - 1) {
                fprintf(stderr,
                        "daxmgr-tool reconfigure-namespace: give exactly one namespace and --mode\n");
                return 2;
        }
        if (context(&c) < 0)
                return 1;
        if (namespace_reconfigure(c, argv[optind], a.mode, a.map, a.align, a.force, &e) < 0)
                return tool_fail(argv[0], e, -EIO);
        return 0;
}

/* Holds the namespace lock for SECONDS: lets a test show what a second writer experiences. */
int verb_lock_hold(int argc, char *argv[]) {
        _cleanup_dax_context_ DaxContext *c = NULL;
        _cleanup_free_ char *e = NULL;
        uint32_t secs;
        int fd;

        if (argc != 2 || parse_u32(argv[1], 10, &secs) < 0) {
                fprintf(stderr, "daxmgr-tool lock-hold: give the number of seconds\n");
                return 2;
        }
        if (context(&c) < 0)
                return 1;
        fd = ns_lock_acquire(c, c->lock_timeout_sec, &e);
        if (fd < 0)
                return tool_fail(argv[0], e, fd);
        printf("holding the namespace lock for %" PRIu32 " s\n", secs);
        (void) fflush(stdout);
        (void) sleep(secs);
        ns_lock_release(c, fd);
        return 0;
}

/* create-namespace + format + mount in one process, as the daemon will do it: for the
 * provisioning benchmark, and a handy one-shot. */
int verb_provision(int argc, char *argv[]) {
        _cleanup_dax_context_ DaxContext *c = NULL;
        _cleanup_topology_ Topology *t = NULL;
        _cleanup_free_ char *e = NULL, *dev = NULL, *uuid = NULL, *blk = NULL;
        const TopoNamespace *n;
        NamespaceCreate req;
        NsArgs a;
        int r;

        if (parse_ns_args(argc, argv, &a) < 0)
                return 2;
        if (!a.region || !a.size || !a.name || optind != argc - 1) {
                fprintf(stderr, "daxmgr-tool provision: --region R --size S --name N [--map M] [--align A] "
                                "MOUNTPOINT (an fsdax namespace with ext4, DAX-mounted)\n");
                return 2;
        }
        req = (NamespaceCreate){ .region = a.region,
                                 .ns = { .mode = NAMESPACE_MODE_FSDAX, .map = a.map, .align = a.align },
                                 .name = a.name };
        if (size_spec_parse(a.size, &req.ns.size, &e) < 0)
                return tool_fail(argv[0], e, -EINVAL);
        if (context(&c) < 0)
                return 1;
        r = namespace_create(c, &req, &dev, &uuid, NULL, &e);
        if (r < 0)
                return tool_fail(argv[0], e, r);
        r = topology_snapshot(c, TOPOLOGY_NO_FILESYSTEMS, &t, &e);
        if (r < 0)
                return tool_fail(argv[0], e, r);
        if (topology_find_namespace(t, uuid, NULL, &n) < 0 || !n->blockdev)
                return tool_fail(argv[0], "the new namespace has no block device", -ENODEV);
        if (asprintf(&blk, "/dev/%s", n->blockdev) < 0)
                return 1;
        r = format_device(blk, &(FormatOptions){ .fs = FS_TYPE_EXT4 }, NULL, &e);
        if (r < 0)
                return tool_fail(argv[0], e, r);
        r = dax_mount(blk, argv[optind], &(DaxMountRequest){ .dax = DAX_MODE_ALWAYS }, &e);
        if (r < 0)
                return tool_fail(argv[0], e, r);
        printf("{\"dev\":\"%s\",\"uuid\":\"%s\",\"blockdev\":\"%s\",\"mountpoint\":\"%s\"}\n", dev, uuid,
               n->blockdev, argv[optind]);
        return 0;
}
