/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "fs-util.h"
#include "memory.h"
#include "parse-util.h"

MemoryPlatform *memory_platform_free(MemoryPlatform *p) {
        if (!p)
                return NULL;
        free(p->auto_online);
        for (size_t i = 0; i < p->n_tiers; i++)
                free(p->tiers[i].nodelist);
        free(p->tiers);
        for (size_t i = 0; i < p->n_devs; i++) {
                free(p->devs[i].name);
                free(p->devs[i].parent);
                free(p->devs[i].driver);
        }
        free(p->devs);
        free(p);
        return NULL;
}

/* ---------------------------------------------------------------- small readers */

/* A one-line attribute below the root fd; NULL (and 0) when it is missing. */
static int attr(int root, const char *path, char **ret) {
        int r = read_one_line_at(root, path, ret);

        if (r == -ENOENT || r == -ENOTDIR || r == -EACCES || r == -EINVAL || r == -ENXIO || r == -EIO) {
                *ret = NULL;
                return 0;
        }
        return r;
}

static int attr_u64(int root, const char *path, int base, uint64_t *ret) {
        _cleanup_free_ char *v = NULL;
        const char *s;
        int r;

        r = attr(root, path, &v);
        if (r < 0)
                return r;
        if (!v)
                return -ENOENT;
        s = v;
        if (base == 16 && (strncmp(s, "0x", 2) == 0 || strncmp(s, "0X", 2) == 0))
                s += 2;
        return parse_u64(s, base, ret);
}

static int attr_int(int root, const char *path, int *ret) {
        _cleanup_free_ char *v = NULL;
        uint32_t u;
        int r;

        r = attr(root, path, &v);
        if (r < 0)
                return r;
        if (!v)
                return -ENOENT;
        if (strcmp(v, "-1") == 0) {
                *ret = -1;
                return 0;
        }
        r = parse_u32(v, 10, &u);
        if (r < 0 || u > 65535)
                return -EINVAL;
        *ret = (int) u;
        return 0;
}

/* ---------------------------------------------------------------- node lists and tiers */

bool memory_nodelist_has(const char *nodelist, int node) {
        const char *p = nodelist;

        if (!nodelist || node < 0)
                return false;
        while (*p) {
                char *end;
                unsigned long a, b;

                if (*p < '0' || *p > '9')
                        return false;
                a = strtoul(p, &end, 10);
                b = a;
                if (*end == '-') {
                        if (end[1] < '0' || end[1] > '9')
                                return false;
                        b = strtoul(end + 1, &end, 10);
                }
                if ((unsigned long) node >= a && (unsigned long) node <= b)
                        return true;
                if (*end == ',')
                        end++;
                else if (*end)
                        return false;
                p = end;
        }
        return false;
}

int memory_tier_of_node(const MemoryPlatform *p, int node) {
        for (size_t i = 0; p && i < p->n_tiers; i++)
                if (memory_nodelist_has(p->tiers[i].nodelist, node))
                        return (int) p->tiers[i].id;
        return -1;
}

static int cmp_tier(const void *a, const void *b) {
        const MemoryTier *x = a, *y = b;
        return x->id < y->id ? -1 : x->id > y->id;
}

static int read_tiers(int root, MemoryPlatform *p) {
        const char *dir = "sys/devices/virtual/memory_tiering";
        _cleanup_close_ int fd = -1;
        DIR *d;
        struct dirent *de;
        int r = 0;

        fd = openat(root, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        fd = -1; /* owned by d now */
        while (r >= 0 && (de = readdir(d))) {
                _cleanup_free_ char *path = NULL, *nodes = NULL;
                MemoryTier *a;
                uint32_t id;

                if (strncmp(de->d_name, "memory_tier", 11) != 0 || parse_u32(de->d_name + 11, 10, &id) < 0)
                        continue;
                if (asprintf(&path, "%s/%s/nodelist", dir, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                r = attr(root, path, &nodes);
                if (r < 0)
                        break;
                a = reallocarray(p->tiers, p->n_tiers + 1, sizeof(*a));
                if (!a) {
                        r = -ENOMEM;
                        break;
                }
                p->tiers = a;
                a[p->n_tiers++] = (MemoryTier){ .id = id, .nodelist = nodes ? TAKE_PTR(nodes) : strdup("") };
                if (!a[p->n_tiers - 1].nodelist)
                        r = -ENOMEM;
        }
        closedir(d);
        if (r >= 0 && p->n_tiers > 1)
                qsort(p->tiers, p->n_tiers, sizeof(*p->tiers), cmp_tier);
        return r;
}

/* ---------------------------------------------------------------- dax devices */

/* The name of the path component before @at in @s ("…/region1/dax1.0/dax1.0", at the last
 * "/dax1.0") */
static char *component_before(const char *s, const char *at) {
        const char *end = at, *start;

        while (end > s && end[-1] == '/')
                end--;
        start = end;
        while (start > s && start[-1] != '/')
                start--;
        return end > start ? strndup(start, (size_t) (end - start)) : NULL;
}

/* Who made the device, from where it sits in /sys/devices. */
static int classify(const char *target, DaxDev *d) {
        const char *last = strrchr(target, '/'), *p;

        if (!last)
                return -EINVAL;
        if ((p = strstr(target, "/ndbus"))) {
                /* …/ndbusN/regionM/daxM.K/daxM.K */
                const char *region = strstr(p, "/region");

                d->provider = DAX_PROVIDER_ND;
                if (region) {
                        const char *e = strchr(region + 1, '/');
                        d->parent = e ? strndup(region + 1, (size_t) (e - region - 1)) : strdup(region + 1);
                }
        } else if ((p = strstr(target, "/dax_region"))) {
                /* CXL: …/decoderX.Y/regionN/dax_regionN/daxN.M */
                d->provider = DAX_PROVIDER_CXL;
                d->parent = component_before(target, p);
        } else if ((p = strstr(target, "/hmem."))) {
                const char *e = strchr(p + 1, '/');

                d->provider = DAX_PROVIDER_HMEM;
                d->parent = e ? strndup(p + 1, (size_t) (e - p - 1)) : strdup(p + 1);
        } else {
                d->provider = DAX_PROVIDER_OTHER;
                d->parent = component_before(target, last);
        }
        return 0;
}

/* The node of memory block @dir ("sys/devices/system/memory/memory40"): its "nodeN" entry. */
static int block_node(int root, const char *dir) {
        _cleanup_close_ int fd = openat(root, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct dirent *de;
        uint32_t n;
        int node = -1;
        DIR *d;

        if (fd < 0)
                return -1;
        d = fdopendir(fd);
        if (!d)
                return -1;
        fd = -1;
        while ((de = readdir(d)))
                if (strncmp(de->d_name, "node", 4) == 0 && parse_u32(de->d_name + 4, 10, &n) >= 0 &&
                    n < 65536) {
                        node = (int) n;
                        break;
                }
        closedir(d);
        return node;
}

static void read_blocks(int root, const MemoryPlatform *p, DaxDev *d) {
        uint64_t bs = p->block_size, first, end;

        d->node = -1;
        if (!d->system_ram || bs == 0 || d->resource == UINT64_MAX || d->size == 0)
                return;
        first = (d->resource + bs - 1) / bs;
        end = (d->resource + d->size) / bs;
        for (uint64_t b = first; b < end && b - first < 1u << 20; b++) {
                _cleanup_free_ char *dir = NULL, *path = NULL, *state = NULL, *zones = NULL;
                int node;

                if (asprintf(&dir, "sys/devices/system/memory/memory%" PRIu64, b) < 0)
                        return;
                d->blocks++;
                if (asprintf(&path, "%s/state", dir) < 0 || attr(root, path, &state) < 0 || !state ||
                    strcmp(state, "online") != 0)
                        continue;
                d->online++;
                free(path);
                path = NULL;
                /* Online, valid_zones shows the one zone the block is in. */
                if (asprintf(&path, "%s/valid_zones", dir) >= 0 && attr(root, path, &zones) >= 0 && zones &&
                    strncmp(zones, "Movable", 7) == 0)
                        d->movable++;
                node = block_node(root, dir);
                if (node >= 0)
                        d->node = d->node == -1 || d->node == node ? node : -2;
        }
}

static int read_dev(int root, const MemoryPlatform *p, const char *name, DaxDev *d) {
        _cleanup_free_ char *base = NULL, *link = NULL, *path = NULL, *drv = NULL;
        int r;

        *d = (DaxDev){ .resource = UINT64_MAX, .target_node = -1, .node = -1, .tier = -1 };
        d->name = strdup(name);
        if (!d->name || asprintf(&base, "sys/bus/dax/devices/%s", name) < 0)
                return -ENOMEM;
        r = readlinkat_malloc(root, base, &link);
        if (r == -ENOMEM)
                return r;
        if (r >= 0) {
                r = classify(link, d);
                if (r < 0)
                        d->provider = DAX_PROVIDER_OTHER;
        } else
                d->provider = DAX_PROVIDER_OTHER;

#define ATTR_PATH(a) (free(path), path = NULL, asprintf(&path, "%s/%s", base, a) < 0 ? NULL : path)
        if (!ATTR_PATH("size"))
                return -ENOMEM;
        (void) attr_u64(root, path, 10, &d->size);
        if (!ATTR_PATH("align"))
                return -ENOMEM;
        (void) attr_u64(root, path, 10, &d->align);
        if (!ATTR_PATH("resource"))
                return -ENOMEM;
        if (attr_u64(root, path, 16, &d->resource) < 0) {
                d->resource = UINT64_MAX;
                if (!ATTR_PATH("mapping0/start"))
                        return -ENOMEM;
                if (attr_u64(root, path, 16, &d->resource) < 0)
                        d->resource = UINT64_MAX;
        }
        if (!ATTR_PATH("target_node"))
                return -ENOMEM;
        if (attr_int(root, path, &d->target_node) < 0)
                d->target_node = -1;
        if (!ATTR_PATH("driver"))
                return -ENOMEM;
#undef ATTR_PATH
        r = readlinkat_malloc(root, path, &drv);
        if (r == -ENOMEM)
                return r;
        if (r >= 0) {
                const char *b = strrchr(drv, '/');
                d->driver = strdup(b ? b + 1 : drv);
                if (!d->driver)
                        return -ENOMEM;
                d->system_ram = strcmp(d->driver, "kmem") == 0;
        }
        read_blocks(root, p, d);
        d->tier = memory_tier_of_node(p, d->node >= 0 ? d->node : d->target_node);
        return 0;
}

static int cmp_dev(const void *a, const void *b) {
        return strverscmp(((const DaxDev *) a)->name, ((const DaxDev *) b)->name);
}

static int read_devs(int root, MemoryPlatform *p) {
        _cleanup_close_ int fd = -1;
        struct dirent *de;
        DIR *d;
        int r = 0;

        fd = openat(root, "sys/bus/dax/devices", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        fd = -1;
        while (r >= 0 && (de = readdir(d))) {
                DaxDev *a;

                if (strncmp(de->d_name, "dax", 3) != 0 || p->n_devs >= 4096)
                        continue;
                a = reallocarray(p->devs, p->n_devs + 1, sizeof(*a));
                if (!a) {
                        r = -ENOMEM;
                        break;
                }
                p->devs = a;
                r = read_dev(root, p, de->d_name, &a[p->n_devs]);
                p->n_devs++; /* freed with the platform even when half read */
        }
        closedir(d);
        if (r >= 0 && p->n_devs > 1)
                qsort(p->devs, p->n_devs, sizeof(*p->devs), cmp_dev);
        return r;
}

int memory_platform_read(const char *root, MemoryPlatform **ret, char **ret_error) {
        _cleanup_memory_platform_ MemoryPlatform *p = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        if (!ret)
                return -EINVAL;
        if (!root || !*root)
                root = "/";
        fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return error_set(ret_error, negative_errno(), "Cannot open %s: %m.", root);
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        r = attr(fd, "sys/devices/system/memory/auto_online_blocks", &p->auto_online);
        if (r < 0)
                return error_set(ret_error, r, "Cannot read the memory auto-online policy: %s.",
                                 strerror(-r));
        if (attr_u64(fd, "sys/devices/system/memory/block_size_bytes", 16, &p->block_size) < 0)
                p->block_size = 0;
        r = read_tiers(fd, p);
        if (r < 0)
                return error_set(ret_error, r, "Cannot read the memory tiers: %s.", strerror(-r));
        r = read_devs(fd, p);
        if (r < 0)
                return error_set(ret_error, r, "Cannot read the dax devices: %s.", strerror(-r));
        *ret = TAKE_PTR(p);
        return 0;
}

const DaxDev *memory_platform_find(const MemoryPlatform *p, const char *name) {
        for (size_t i = 0; p && name && i < p->n_devs; i++)
                if (strcmp(p->devs[i].name, name) == 0)
                        return &p->devs[i];
        return NULL;
}

int dax_dev_describe(const DaxDev *d, char **ret) {
        char res[32] = "?", node[48] = "", tier[32] = "", blocks[96] = "";
        int k;

        if (d->resource != UINT64_MAX)
                (void) snprintf(res, sizeof(res), "%#" PRIx64, d->resource);
        if (d->system_ram) {
                if (d->node >= 0)
                        (void) snprintf(node, sizeof(node), " node=%d", d->node);
                else
                        (void) snprintf(node, sizeof(node), " node=%s", d->node == -2 ? "several" : "none");
                (void) snprintf(blocks, sizeof(blocks), " online=%u/%u zone=%s", d->online, d->blocks,
                                d->online == 0            ? "none"
                                : d->movable == d->online ? "movable"
                                : d->movable == 0         ? "normal"
                                                          : "mixed");
        } else if (d->target_node >= 0)
                (void) snprintf(node, sizeof(node), " target_node=%d", d->target_node);
        if (d->tier >= 0)
                (void) snprintf(tier, sizeof(tier), " tier=%d", d->tier);
        k = asprintf(ret, "%s %s %s resource=%s size=%" PRIu64 "%s%s%s", d->name,
                     dax_provider_to_string(d->provider),
                     d->system_ram ? "system-ram"
                     : d->driver   ? "devdax"
                                   : "unbound",
                     res, d->size, node, tier, blocks);
        if (k < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}
