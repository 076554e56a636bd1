/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <libmount.h>
#include <ndctl/libndctl.h>

#include "dax-mount.h"
#include "devdax.h"
#include "error.h"
#include "fileio.h"
#include "format.h"
#include "fs-util.h"
#include "mount-util.h"
#include "namespace.h"
#include "strv.h"
#include "cxl-region.h"
#include "reconcile-run.h"

static bool streq(const char *a, const char *b) {
        return a && b && strcmp(a, b) == 0;
}

ReconcileGathered *reconcile_gathered_free(ReconcileGathered *g) {
        if (!g)
                return NULL;
        if (g->input.topology == g->topology)
                topology_free(g->topology);
        if (g->input.state == g->state)
                place_state_free(g->state);
        free(g->owner_uids);
        free(g->group_gids);
        for (size_t i = 0; i < g->n_devnodes; i++)
                free((char *) g->devnodes[i].chardev);
        free(g->devnodes);
        for (size_t i = 0; i < g->n_placement_facts; i++) {
                free((char *) g->placement_facts[i].zone);
                free((char *) g->placement_facts[i].program);
                free((char *) g->placement_facts[i].stale_why);
        }
        free(g->placement_facts);
        for (size_t i = 0; i < g->n_mode_refusals; i++) {
                free((char *) g->mode_refusals[i].chardev);
                free((char *) g->mode_refusals[i].message);
        }
        free(g->mode_refusals);
        memory_platform_free(g->memory);
        free(g->dax_owner_uids);
        free(g->dax_group_gids);
        free(g->auto_online);
        strv_free(g->warnings);
        free(g);
        return NULL;
}

static char *basename_dup(const char *path) {
        const char *b = strrchr(path, '/');
        return strdup(b ? b + 1 : path);
}

/* Is activation (a) of @p in force: recorded for @unit in the state, and the drop-in systemd has
 * (the generator's output since the last reload) binding this program's copy? */
static bool dropin_names(const char *dropin_root, const char *unit, const Placement *p) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        const char *copy = p->copy;

        if (!p->dropin_unit || strcmp(p->dropin_unit, unit) != 0)
                return false;
        if (asprintf(&path, "%s/%s.d/" PLACE_DROPIN_NAME, dropin_root, unit) < 0)
                return false;
        if (read_full_file(path, 1024 * 1024, &text, NULL) < 0)
                return false;
        return strstr(text, copy) != NULL;
}

int reconcile_program_stale(const PlaceState *s, const char *zone, const char *program,
                            const ReconcileStaleness *how, bool *ret_stale, char **ret_why) {
        static const ReconcileStaleness full = { .may_hash = true, .closures = true };
        int r;

        how = how ?: &full;
        if (ret_why)
                *ret_why = NULL;
        for (size_t k = 0; k < s->n_placements; k++) {
                const Placement *q = &s->placements[k];
                _cleanup_free_ char *why = NULL;
                PlaceCheck c;

                if (strcmp(q->zone, zone) != 0 || !q->program || strcmp(q->program, program) != 0)
                        continue;
                if (how->stale && s == how->checked && k < how->n_stale) {
                        if (!how->stale[k])
                                continue;
                        *ret_stale = true;
                        if (ret_why && how->stale_why && how->stale_why[k] &&
                            !(*ret_why = strdup(how->stale_why[k])))
                                return -ENOMEM;
                        return 0;
                }
                r = placement_check(q, how->cache, how->may_hash, &c, &why);
                if (r < 0 || c != PLACE_CHECK_STALE)
                        continue; /* unreadable now: the copy stays until it can be compared */
                *ret_stale = true;
                if (ret_why)
                        *ret_why = TAKE_PTR(why);
                return 0;
        }
        if (how->closure_why) {
                const char *why = NULL;

                how->closure_why(how->userdata, zone, program, &why);
                if (why) {
                        *ret_stale = true;
                        if (ret_why && !(*ret_why = strdup(why)))
                                return -ENOMEM;
                        return 0;
                }
        }
        if (how->closures) {
                _cleanup_free_ char *why = NULL;

                r = placement_closure_changed(s, zone, program, &why);
                if (r < 0)
                        return r;
                if (why) {
                        *ret_stale = true;
                        if (ret_why)
                                *ret_why = TAKE_PTR(why);
                        return 0;
                }
        }
        *ret_stale = false;
        return 0;
}

static int gather_placements(ReconcileGathered *g, const Config *config, const char *dropin_root,
                             const ReconcileStaleness *how) {
        const PlaceState *s = g->input.state;
        _cleanup_(mnt_unref_tablep) struct libmnt_table *mounts = NULL;

        if (!s)
                return 0;
        (void) mount_table_load(NULL, &mounts);

        for (size_t i = 0; i < s->n_placements; i++) {
                const Placement *p = &s->placements[i];
                ReconcilePlacementFact *f, *nf;
                const ConfigPlacement *cp = NULL;
                _cleanup_free_ char *why = NULL;
                bool stale = false;
                int r;

                if (p->role != PLACE_PROGRAM)
                        continue;

                /* Stale when any file placed for this program changed. */
                r = reconcile_program_stale(s, p->zone, p->source, how, &stale, &why);
                if (r == -ENOMEM)
                        return r;

                for (size_t k = 0; config && k < config->n_placements; k++)
                        if (streq(config->placements[k].program, p->source) &&
                            streq(config->zones[config->placements[k].zone_index].path, p->zone))
                                cp = &config->placements[k];

                nf = realloc(g->placement_facts, (g->n_placement_facts + 1) * sizeof(*nf));
                if (!nf)
                        return -ENOMEM;
                g->placement_facts = nf;
                f = &nf[g->n_placement_facts];
                *f = (ReconcilePlacementFact){ .stale = stale, .stale_why = TAKE_PTR(why) };
                f->zone = strdup(p->zone);
                f->program = strdup(p->source);
                g->n_placement_facts++;
                if (!f->zone || !f->program)
                        return -ENOMEM;

                if (cp && cp->service)
                        f->dropin_present = dropin_names(dropin_root, cp->service, p);
                else if (!cp && p->has_activation && p->service)
                        f->dropin_present = dropin_names(dropin_root, p->service, p);
                {
                        _cleanup_free_ char *base = basename_dup(p->source);

                        /* An entry point of an earlier version counts as missing: written again. */
                        f->entry_present = base && place_entry_point_current(p->zone, base);
                        f->entry_fallback =
                                f->entry_present && place_entry_point_is_fallback(p->zone, p->source);
                }
                f->bound = mounts && mount_table_find_target(mounts, p->source);
        }
        return 0;
}

/* Is the content of a devdax device worth reading: some section wants a devdax namespace as
 * system RAM without Destroy=yes? (Reading maps 2 MiB of every devdax device; skip it when no
 * plan could need it.) */
static bool content_needed(const Config *config) {
        for (size_t i = 0; config && i < config->n_namespaces; i++)
                if (config->namespaces[i].mode == NAMESPACE_MODE_DEVDAX &&
                    config->namespaces[i].system_ram != CONFIG_SYSTEM_RAM_NO &&
                    !config->namespaces[i].destroy)
                        return true;
        return false;
}

static int resolve_owner_group(ReconcileGathered *g, const char *type, const char *name, const char *owner,
                               const ConfigSource *owner_at, const char *group, const ConfigSource *group_at,
                               uid_t *ret_uid, gid_t *ret_gid);

static int devnode_add(ReconcileGathered *g, const char *chardev, bool probe) {
        _cleanup_free_ char *node = NULL;
        ReconcileDevNode *nd;
        struct stat st;

        if (asprintf(&node, "/dev/%s", chardev) < 0)
                return -ENOMEM;
        if (stat(node, &st) < 0)
                return 0; /* system-ram, or udev has not made it yet */
        nd = realloc(g->devnodes, (g->n_devnodes + 1) * sizeof(*nd));
        if (!nd)
                return -ENOMEM;
        g->devnodes = nd;
        nd[g->n_devnodes] = (ReconcileDevNode){
                .chardev = strdup(chardev),
                .uid = st.st_uid,
                .gid = st.st_gid,
                .mode = st.st_mode & 07777,
        };
        if (probe && S_ISCHR(st.st_mode)) {
                int c = devdax_probe_content(chardev, NULL);

                nd[g->n_devnodes].content = c == 0  ? RECONCILE_CONTENT_BLANK
                                            : c > 0 ? RECONCILE_CONTENT_DATA
                                                    : RECONCILE_CONTENT_UNKNOWN;
        }
        return nd[g->n_devnodes++].chardev ? 0 : -ENOMEM;
}

/* [DaxDevice] sections: every dax device, and the nodes and owners of the ones not in an nd
 * namespace (those come with the topology). */
static int gather_dax_devices(ReconcileGathered *g, const Config *config) {
        size_t n = config ? config->n_dax_devices : 0;
        int r;

        if (n == 0)
                return 0;
        r = memory_platform_read("/", &g->memory, NULL);
        if (r < 0)
                return r == -ENOMEM ? r : 0; /* no dax devices known: the sections wait */
        for (size_t i = 0; i < g->memory->n_devs; i++)
                if (g->memory->devs[i].provider != DAX_PROVIDER_ND && !g->memory->devs[i].system_ram) {
                        r = devnode_add(g, g->memory->devs[i].name, false);
                        if (r < 0)
                                return r;
                }
        g->dax_owner_uids = calloc(n, sizeof(uid_t));
        g->dax_group_gids = calloc(n, sizeof(gid_t));
        if (!g->dax_owner_uids || !g->dax_group_gids)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const ConfigDaxDevice *d = &config->dax_devices[i];

                r = resolve_owner_group(
                        g, "DaxDevice", d->name, d->owner, &d->where[CONFIG_DAX_DEVICE_OWNER], d->group,
                        &d->where[CONFIG_DAX_DEVICE_GROUP], &g->dax_owner_uids[i], &g->dax_group_gids[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int gather_devnodes(ReconcileGathered *g) {
        const Topology *t = g->input.topology;
        bool probe = content_needed(g->input.config);

        for (size_t i = 0; i < t->n_regions; i++)
                for (size_t j = 0; j < t->regions[i].n_namespaces; j++) {
                        const TopoNamespace *n = &t->regions[i].namespaces[j];
                        int r;

                        if (!n->daxdev || !n->daxdev->chardev)
                                continue;
                        r = devnode_add(g, n->daxdev->chardev, probe);
                        if (r < 0)
                                return r;
                }
        return 0;
}

/* "FILE:LINE: Owner: Namespace vm names the user "app", who does not exist on this host…" */
static int warn_unknown_at(ReconcileGathered *g, const ConfigSource *at, const char *key, const char *type,
                           const char *name, const char *what, const char *value) {
        char *w = NULL;

        if (asprintf(
                    &w,
                    "%s:%u: %s: %s %s names the %s \"%s\", which does not exist on this host; it is left as "
                    "it is",
                    at->file ?: "?", at->line, key, type, name, what, value) < 0)
                return -ENOMEM;
        return strv_consume(&g->warnings, w);
}

/* The uid and gid a section's Owner= and Group= name ((uid_t) -1 and (gid_t) -1 when unset, or
 * unknown here: warned about at their lines). */
static int resolve_owner_group(ReconcileGathered *g, const char *type, const char *name, const char *owner,
                               const ConfigSource *owner_at, const char *group, const ConfigSource *group_at,
                               uid_t *ret_uid, gid_t *ret_gid) {
        int r;

        *ret_uid = (uid_t) -1;
        *ret_gid = (gid_t) -1;
        if (owner && devdax_parse_user(owner, ret_uid) < 0) {
                *ret_uid = (uid_t) -1;
                r = warn_unknown_at(g, owner_at, "Owner", type, name, "user", owner);
                if (r < 0)
                        return r;
        }
        if (group && devdax_parse_group(group, ret_gid) < 0) {
                *ret_gid = (gid_t) -1;
                r = warn_unknown_at(g, group_at, "Group", type, name, "group", group);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int gather_owners(ReconcileGathered *g, const Config *config) {
        size_t n = config ? config->n_namespaces : 0;
        int r;

        g->owner_uids = calloc(n ?: 1, sizeof(uid_t));
        g->group_gids = calloc(n ?: 1, sizeof(gid_t));
        if (!g->owner_uids || !g->group_gids)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const ConfigNamespace *ns = &config->namespaces[i];

                r = resolve_owner_group(
                        g, "Namespace", ns->name, ns->owner, &ns->where[CONFIG_NAMESPACE_OWNER], ns->group,
                        &ns->where[CONFIG_NAMESPACE_GROUP], &g->owner_uids[i], &g->group_gids[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---------------------------------------------------------------- refused mode changes
 *
 * "refused-mode-daxX.Y" in the state directory: "BOOT-ID\nSYSTEMRAM\nMESSAGE\n". Device names
 * are not stable across boots and a reboot gives the memory back, so a record of another boot
 * is stale and removed. */

#define REFUSAL_PREFIX "refused-mode-"

static int marker_set(const char *state_dir, const char *kind, const char *key, const char *content,
                      char **ret_error);

static int boot_id(char **ret) {
        return read_one_line_at(AT_FDCWD, "/proc/sys/kernel/random/boot_id", ret);
}

static int mode_refusal_record(const char *state_dir, const char *chardev, ConfigSystemRam want,
                               const char *message) {
        _cleanup_free_ char *id = NULL, *content = NULL;
        int r;

        _cleanup_free_ char *line = strdup(message ?: "");

        if (!line)
                return -ENOMEM;
        for (char *p = line; *p; p++)
                if (*p == '\n')
                        *p = ' '; /* one line per field */
        r = boot_id(&id);
        if (r < 0)
                return r;
        if (asprintf(&content, "%s\n%s\n%s\n", id, config_system_ram_to_string(want), line) < 0)
                return -ENOMEM;
        return marker_set(state_dir, "refused-mode", chardev, content, NULL);
}

int reconcile_clear_mode_refusals(const char *state_dir) {
        DIR *d = opendir(state_dir);
        struct dirent *de;
        int n = 0;

        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d)))
                if (strncmp(de->d_name, REFUSAL_PREFIX, strlen(REFUSAL_PREFIX)) == 0 &&
                    unlinkat(dirfd(d), de->d_name, 0) == 0)
                        n++;
        closedir(d);
        return n;
}

static int gather_mode_refusals(ReconcileGathered *g, const char *state_dir) {
        _cleanup_free_ char *id = NULL;
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (!state_dir || boot_id(&id) < 0)
                return 0;
        d = opendir(state_dir);
        if (!d)
                return 0;
        while (r >= 0 && (de = readdir(d))) {
                _cleanup_free_ char *text = NULL;
                char *want, *msg, *end;
                ConfigSystemRam sr;
                ReconcileModeRefusal *a;

                if (strncmp(de->d_name, REFUSAL_PREFIX, strlen(REFUSAL_PREFIX)) != 0)
                        continue;
                if (read_full_file_at(dirfd(d), de->d_name, 64 * 1024, &text, NULL) < 0)
                        continue;
                want = strchr(text, '\n');
                msg = want ? strchr(want + 1, '\n') : NULL;
                if (!msg) {
                        (void) unlinkat(dirfd(d), de->d_name, 0);
                        continue;
                }
                *want++ = '\0';
                *msg++ = '\0';
                end = strchr(msg, '\n');
                if (end)
                        *end = '\0';
                sr = config_system_ram_from_string(want);
                if (strcmp(text, id) != 0 || sr < 0) { /* another boot's */
                        (void) unlinkat(dirfd(d), de->d_name, 0);
                        continue;
                }
                a = reallocarray(g->mode_refusals, g->n_mode_refusals + 1, sizeof(*a));
                if (!a) {
                        r = -ENOMEM;
                        break;
                }
                g->mode_refusals = a;
                a[g->n_mode_refusals] = (ReconcileModeRefusal){
                        .chardev = strdup(de->d_name + strlen(REFUSAL_PREFIX)),
                        .system_ram = sr,
                        .message = strdup(msg),
                };
                if (!a[g->n_mode_refusals].chardev || !a[g->n_mode_refusals].message)
                        r = -ENOMEM;
                g->n_mode_refusals++;
        }
        closedir(d);
        return r;
}

int reconcile_gather(DaxContext *c, const Config *config, const Topology *topology, const PlaceState *state,
                     const char *state_dir, const char *dropin_root, const ReconcileStaleness *how,
                     ReconcileGathered **ret, char **ret_error) {
        ReconcileGathered *g;
        int r;

        g = calloc(1, sizeof(*g));
        if (!g)
                return -ENOMEM;
        g->input.config = config;

        if (topology)
                g->input.topology = topology;
        else {
                r = topology_snapshot(c, 0, &g->topology, ret_error);
                if (r < 0)
                        goto fail;
                g->input.topology = g->topology;
        }
        if (state)
                g->input.state = state;
        else {
                r = place_state_load(state_dir, &g->state, ret_error);
                if (r < 0)
                        goto fail;
                g->input.state = g->state;
        }

        r = gather_owners(g, config);
        if (r >= 0)
                r = gather_devnodes(g);
        if (r >= 0)
                r = gather_mode_refusals(g, state_dir);
        if (r >= 0)
                r = gather_dax_devices(g, config);
        if (r >= 0 && read_one_line_at(AT_FDCWD, "/sys/devices/system/memory/auto_online_blocks",
                                       &g->auto_online) == -ENOMEM)
                r = -ENOMEM;
        if (r >= 0)
                r = gather_placements(g, config, dropin_root ?: PLACE_DROPIN_ROOT, how);
        if (r < 0) {
                error_set(ret_error, r, "cannot gather the facts for a reconcile: %s", strerror(-r));
                goto fail;
        }
        g->input.owner_uids = g->owner_uids;
        g->input.group_gids = g->group_gids;
        g->input.devnodes = g->devnodes;
        g->input.n_devnodes = g->n_devnodes;
        g->input.placement_facts = g->placement_facts;
        g->input.n_placement_facts = g->n_placement_facts;
        g->input.mode_refusals = g->mode_refusals;
        g->input.n_mode_refusals = g->n_mode_refusals;
        g->input.memory = g->memory;
        g->input.dax_owner_uids = g->dax_owner_uids;
        g->input.dax_group_gids = g->dax_group_gids;
        g->input.auto_online = g->auto_online;
        *ret = g;
        return 0;
fail:
        reconcile_gathered_free(g);
        return r;
}

int reconcile_compute(DaxContext *c, const Config *config, const Topology *topology, const PlaceState *state,
                      const char *state_dir, const char *dropin_root, const ReconcileStaleness *how,
                      ReconcilePlan **ret, char **ret_error) {
        _cleanup_reconcile_gathered_ ReconcileGathered *g = NULL;
        _cleanup_reconcile_plan_ ReconcilePlan *p = NULL;
        int r;

        r = reconcile_gather(c, config, topology, state, state_dir, dropin_root, how, &g, ret_error);
        if (r < 0)
                return r;
        r = reconcile_plan(&g->input, &p, ret_error);
        if (r < 0)
                return r;
        for (size_t i = 0; g->warnings && g->warnings[i]; i++) {
                ReconcileProblem *np = realloc(p->problems, (p->n_problems + 1) * sizeof(*np));

                if (!np)
                        return -ENOMEM;
                p->problems = np;
                np[p->n_problems] = (ReconcileProblem){
                        .kind = RECONCILE_CONFLICT,
                        .section = NULL,
                        .message = strdup(g->warnings[i]),
                };
                if (!np[p->n_problems++].message)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(p);
        return 0;
}

/* ---------------------------------------------------------------- interrupted steps
 *
 * Two steps cannot be made atomic: a namespace is created in several sysfs writes, and mkfs
 * writes a file system over many seconds. Before each, a marker goes into the state directory
 * (fsynced); it is removed when the step is done. A marker found later means the step was
 * interrupted (SIGKILL, power cut): reconcile_recover() then finishes or undoes what that step
 * made — only ever what daxmgr itself was making. */

static int marker_path(const char *state_dir, const char *kind, const char *key, char **ret) {
        _cleanup_free_ char *k = strdup(key);

        if (!k)
                return -ENOMEM;
        for (char *c = k; *c; c++)
                if (*c == '/')
                        *c = '_';
        return asprintf(ret, "%s/%s-%s", state_dir, kind, k) < 0 ? -ENOMEM : 0;
}

static int marker_set(const char *state_dir, const char *kind, const char *key, const char *content,
                      char **ret_error) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1, dfd = -1;
        int r;

        r = mkdir_parents(state_dir, 0755, NULL);
        if (r < 0 && r != -EEXIST)
                return error_set(ret_error, r, "cannot create the state directory %s: %s", state_dir,
                                 strerror(-r));
        r = marker_path(state_dir, kind, key, &path);
        if (r < 0)
                return r;
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, content, strlen(content)) < 0 || fsync(fd) < 0)
                return error_set(ret_error, -errno, "cannot write %s: %m", path);
        /* The marker must survive a power cut before the step it guards begins: its directory
         * entry too. */
        dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsync(dfd) < 0) {
                r = -errno;
                (void) unlink(path);
                return error_set(ret_error, r, "cannot sync the state directory %s: %s", state_dir,
                                 strerror(-r));
        }
        return 0;
}

static void marker_clear(const char *state_dir, const char *kind, const char *key) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int dfd = -1;

        if (marker_path(state_dir, kind, key, &path) < 0)
                return;
        (void) unlink(path);
        dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0)
                (void) fsync(dfd);
}

/* A marker names the namespace by its label's uuid, which a mode change keeps (before the
 * uuids followed ndctl's, this was the namespace's "uuid": markers of that version name the
 * same), or by its kernel name on a label-less region. */
static const char *ns_key(const TopoNamespace *n) {
        return n->raw_uuid ?: n->dev;
}

/* "region1" for "namespace1.3": the namespace's parent in sysfs. */
static char *namespace_region(const char *dev) {
        _cleanup_free_ char *link = NULL, *real = NULL;
        char *slash;

        if (asprintf(&link, "/sys/bus/nd/devices/%s", dev) < 0)
                return NULL;
        real = realpath(link, NULL);
        if (!real || !(slash = strrchr(real, '/')))
                return NULL;
        *slash = '\0';
        slash = strrchr(real, '/');
        return slash && strncmp(slash + 1, "region", 6) == 0 ? strdup(slash + 1) : NULL;
}

int reconcile_format(const TopoNamespace *n, const char *device, const FormatOptions *o,
                     const char *state_dir, char **ret_uuid, char **ret_error) {
        _cleanup_free_ char *region = namespace_region(n->dev), *content = NULL;
        int r;

        /* The device, and the region: after a power cut the recovery may run before the
         * region is back, and must then wait rather than take the marker for stale. */
        if (asprintf(&content, "%s\n%s\n", device, region ?: "") < 0)
                return -ENOMEM;
        r = marker_set(state_dir, "formatting", ns_key(n), content, ret_error);
        if (r < 0)
                return r;
        r = format_device(device, o, ret_uuid, ret_error);
        /* A failed mkfs is a finished step too: it said why, and a retry starts over. */
        marker_clear(state_dir, "formatting", ns_key(n));
        return r;
}

/* A temporary of placements.json (place_state_save() writes one, syncs it and renames it over
 * the state) whose writer died before the rename. The state itself is whole: the old version or
 * the new one. */
static bool is_state_temporary(const char *name) {
        return strncmp(name, "placements.json.tmp-", 20) == 0 ||
               strncmp(name, ".placements.json.tmp-", 21) == 0;
}

/* Is the region a marker names (a line "regionN" of its content) in @t, and enabled? A marker
 * that names none cannot tell: true. */
static bool marker_region_present(const Topology *t, const char *marker) {
        _cleanup_free_ char *text = NULL;
        char *region = NULL;

        if (read_full_file(marker, 4096, &text, NULL) < 0)
                return true;
        for (char *line = text, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (strncmp(line, "region", 6) == 0)
                        region = line;
        }
        if (!region)
                return true;
        for (size_t i = 0; i < t->n_regions; i++)
                if (streq(t->regions[i].dev, region))
                        return t->regions[i].enabled;
        return false;
}

bool reconcile_needs_recovery(const char *state_dir) {
        DIR *d = opendir(state_dir);
        struct dirent *de;
        bool found = false;

        if (!d)
                return false;
        while (!found && (de = readdir(d)))
                found = strncmp(de->d_name, "creating-", 9) == 0 ||
                        strncmp(de->d_name, "formatting-", 11) == 0 || is_state_temporary(de->d_name);
        closedir(d);
        return found;
}

int reconcile_recover(DaxContext *c, const char *state_dir, char ***ret_done, char **ret_error) {
        _cleanup_topology_ Topology *t = NULL;
        DIR *d = NULL;
        char **done = NULL;
        struct dirent *de;
        int r;

        *ret_done = NULL;
        d = opendir(state_dir);
        if (!d)
                return errno == ENOENT ? 0 : error_set(ret_error, -errno, "cannot read %s: %m", state_dir);
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL, *error = NULL, *msg = NULL;
                const TopoNamespace *n = NULL;
                const char *key;
                bool creating;

                if (is_state_temporary(de->d_name)) {
                        if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
                                r = error_set(ret_error, -errno, "cannot remove %s/%s: %m", state_dir,
                                              de->d_name);
                                closedir(d);
                                strv_free(done);
                                return r;
                        }
                        if (asprintf(&msg,
                                     "removed %s/%s, left behind by an interrupted write of the placement "
                                     "state (the state itself is whole)",
                                     state_dir, de->d_name) < 0 ||
                            strv_consume(&done, TAKE_PTR(msg)) < 0) {
                                closedir(d);
                                strv_free(done);
                                return -ENOMEM;
                        }
                        continue;
                }
                if (strncmp(de->d_name, "creating-", 9) == 0)
                        creating = true;
                else if (strncmp(de->d_name, "formatting-", 11) == 0)
                        creating = false;
                else
                        continue;
                key = strchr(de->d_name, '-') + 1;
                if (asprintf(&path, "%s/%s", state_dir, de->d_name) < 0) {
                        closedir(d);
                        return -ENOMEM;
                }
                if (!t) {
                        struct ndctl_bus *bus;

                        /* At boot udev starts the daemon as soon as a region appears, and the
                         * region's namespaces are probed asynchronously: not finding the
                         * namespace a marker names must mean it is not there, not "not yet". */
                        dax_context_invalidate(c);
                        ndctl_bus_foreach (c->ndctl, bus)
                                (void) ndctl_bus_wait_probe(bus);
                        dax_context_invalidate(c);
                        r = topology_snapshot(c, TOPOLOGY_NO_FILESYSTEMS, &t, ret_error);
                        if (r < 0) {
                                closedir(d);
                                strv_free(done);
                                return r;
                        }
                }
                r = topology_find_namespace(t, key, NULL, &n);
                if (r < 0) {
                        /* Nothing was made, or it is gone already; unless the region it was
                         * made in is not there (disabled, not probed): then nothing can be told
                         * yet, and the marker waits for the next reconcile. */
                        if (!marker_region_present(t, path))
                                continue;
                        (void) unlink(path);
                        continue;
                }
                if (creating) {
                        /* A namespace named by an interrupted create: it may lack its mode or
                         * its info block. It holds nothing yet (it was being made): destroy it,
                         * and the plan creates it afresh. */
                        r = namespace_destroy(c, n->dev, true, &error);
                        if (r >= 0)
                                msg = asprintf_safe(
                                        "namespace \"%s\" (%s) was left half-made by an interrupted "
                                        "create; destroyed it to make it again",
                                        key, n->dev);
                } else {
                        /* A half-written file system: wipe its signatures so that nothing
                         * mounts it, and the plan formats it again. */
                        r = n->blockdev ? namespace_wipe_signatures(n->blockdev) : -ENODEV;
                        if (r >= 0)
                                msg = asprintf_safe(
                                        "the file system on /dev/%s (namespace %s) was left "
                                        "half-made by an interrupted mkfs; wiped it to format it again",
                                        n->blockdev, n->name ?: n->dev);
                }
                if (r < 0) {
                        closedir(d);
                        strv_free(done);
                        return error_set(ret_error, r,
                                         "cannot recover namespace %s after an interrupted %s: %s", key,
                                         creating ? "create" : "mkfs", error_message(error, r));
                }
                (void) unlink(path);
                if (msg && strv_consume(&done, TAKE_PTR(msg)) < 0) {
                        closedir(d);
                        strv_free(done);
                        return -ENOMEM;
                }
        }
        closedir(d);
        *ret_done = done;
        return 0;
}

/* The namespace a step works on, now. */
static int step_namespace(const Topology *t, const ReconcileStep *s, const TopoNamespace **ret,
                          char **ret_error) {
        int r;

        if (!s->namespace)
                return error_set(ret_error, -EINVAL, "%s: the step names no namespace", s->section ?: "?");
        r = topology_find_namespace(t, s->namespace, NULL, ret);
        if (r == -ENOENT)
                return error_set(ret_error, r, "%s: no namespace named \"%s\" exists (any more)",
                                 s->section ?: "?", s->namespace);
        if (r == -ENOTUNIQ)
                return error_set(ret_error, r,
                                 "%s: several namespaces are named \"%s\"; rename or destroy all but one "
                                 "(ndctl list -N shows them)",
                                 s->section ?: "?", s->namespace);
        return r;
}

static int step_blockdev(const Topology *t, const ReconcileStep *s, char **ret, char **ret_error) {
        const TopoNamespace *n;
        int r;

        if (s->device) {
                *ret = strdup(s->device);
                return *ret ? 0 : -ENOMEM;
        }
        r = step_namespace(t, s, &n, ret_error);
        if (r < 0)
                return r;
        if (!n->blockdev)
                return error_set(ret_error, -ENODEV, "%s: namespace %s (%s) has no block device", s->section,
                                 s->namespace, n->dev);
        return asprintf(ret, "/dev/%s", n->blockdev) < 0 ? -ENOMEM : 0;
}

static int step_chardev(const Topology *t, const ReconcileStep *s, char **ret, char **ret_error) {
        const TopoNamespace *n;
        int r;

        if (s->device) {
                *ret = strdup(s->device);
                return *ret ? 0 : -ENOMEM;
        }
        r = step_namespace(t, s, &n, ret_error);
        if (r < 0)
                return r;
        if (!n->daxdev || !n->daxdev->chardev)
                return error_set(ret_error, -ENODEV, "%s: namespace %s (%s) has no device-dax instance",
                                 s->section, s->namespace, n->dev);
        *ret = strdup(n->daxdev->chardev);
        return *ret ? 0 : -ENOMEM;
}

int placement_refresh_program(PlaceState *st, const char *zone, const char *program, unsigned *ret_n,
                              char **ret_error) {
        _cleanup_free_ char *closure = NULL;
        bool bound = false;
        unsigned n = 0;
        int r;

        /* A host bind mount holds the old copy's inode: lift it first, bind the new copy after. */
        {
                _cleanup_(mnt_unref_tablep) struct libmnt_table *mounts = NULL;

                bound = mount_table_load(NULL, &mounts) >= 0 && mount_table_find_target(mounts, program);
        }
        if (bound) {
                r = place_unbind_host(st, zone, program, ret_error);
                if (r < 0)
                        return r;
        }
        r = placement_closure_changed(st, zone, program, &closure);
        if (r < 0)
                return r;
        if (closure) {
                /* ld.so would load other files now: place the closure as it is now. */
                r = place_program(st, zone, program, true, ret_error);
                n++;
        } else
                for (size_t i = 0; i < st->n_placements && r >= 0; i++) {
                        Placement *p = &st->placements[i];
                        PlaceCheck c;

                        if (!streq(p->zone, zone) || !p->program || !streq(p->program, program))
                                continue;
                        r = placement_check(p, NULL, true, &c, NULL);
                        if (r >= 0 && c == PLACE_CHECK_STALE) {
                                r = placement_refresh(st, p, ret_error);
                                n++;
                        }
                }
        if (r >= 0 && bound)
                r = place_bind_host(st, zone, program, ret_error);
        if (r >= 0 && ret_n)
                *ret_n = n;
        return r;
}

int placement_deactivate(PlaceState *st, const char *zone, const char *program, const char *service,
                         const char *dropin_root, char **ret_error) {
        _cleanup_(mnt_unref_tablep) struct libmnt_table *mounts = NULL;
        _cleanup_free_ char *base = basename_dup(program), *entry = NULL;
        struct stat sst;
        int r;

        /* Each part on its own: a drop-in removed even when the bind mount cannot be lifted. */
        if (service) {
                r = place_set_dropin_unit(st, zone, program, NULL, ret_error);
                if (r >= 0)
                        r = place_state_save(st, ret_error);
                if (r >= 0 && dropin_root && strcmp(dropin_root, PLACE_GENERATOR_DIR) != 0)
                        r = place_write_dropin(st, service, dropin_root, NULL, ret_error);
                if (r >= 0)
                        r = place_systemd_reload(ret_error);
                if (r < 0)
                        return r;
        }
        if (base && asprintf(&entry, "%s/bin/%s", zone, base) >= 0 && lstat(entry, &sst) >= 0 &&
            !place_entry_point_is_fallback(zone, program)) {
                r = place_write_entry_point_fallback(zone, program, ret_error);
                if (r < 0)
                        return r;
        }
        if (mount_table_load(NULL, &mounts) >= 0 && mount_table_find_target(mounts, program))
                return place_unbind_host(st, zone, program, ret_error);
        return 0;
}

static int step_placement(const ReconcileStep *s, const char *state_dir, const char *dropin_root,
                          char **ret_error) {
        _cleanup_place_state_ PlaceState *st = NULL;
        /* Placing and the three activations are each a step of the plan: one part of
         * place_and_activate() each. */
        PlaceActivation a = { .zone = s->zone, .program = s->program, .dropin_root = dropin_root };
        int r;

        if (!s->zone)
                return error_set(ret_error, -EINVAL, "%s: the step names no zone", s->section ?: "?");
        r = place_state_load(state_dir, &st, ret_error);
        if (r < 0)
                return r;

        switch (s->type) {
        case RECONCILE_CREATE_ZONE:
                r = zone_create(st, s->zone, ret_error);
                break;
        case RECONCILE_PLACE:
                a.place = true;
                a.with_libraries = s->with_libraries;
                return place_and_activate(st, &a, NULL, NULL, ret_error); /* saves the state */
        case RECONCILE_REFRESH:
                r = placement_refresh_program(st, s->zone, s->program, NULL, ret_error);
                break;
        case RECONCILE_DEACTIVATE:
                return placement_deactivate(st, s->zone, s->program, s->service, dropin_root, ret_error);
        case RECONCILE_WRITE_DROPIN:
                a.service = s->service ?: ""; /* none: refused by name, as a unit name '' */
                return place_and_activate(st, &a, NULL, NULL, ret_error);
        case RECONCILE_WRITE_ENTRY_POINT:
                a.entry_point = true;
                return place_and_activate(st, &a, NULL, NULL, ret_error);
        case RECONCILE_BIND_HOST:
                a.bind_host = true;
                return place_and_activate(st, &a, NULL, NULL, ret_error);
        case RECONCILE_CREATE_CXL_REGION:
        case RECONCILE_CREATE_NAMESPACE:
        case RECONCILE_RECONFIGURE:
        case RECONCILE_FORMAT:
        case RECONCILE_MOUNT:
        case RECONCILE_DEVDAX_ACCESS:
        case RECONCILE_DEVDAX_MODE:
        case _RECONCILE_STEP_TYPE_MAX:
        case _RECONCILE_STEP_TYPE_INVALID:
                return -EINVAL; /* not a placement step: step_run() does not send them here */
        }
        if (r < 0)
                return r;
        return place_state_save(st, ret_error);
}

int reconcile_step_execute(DaxContext *c, const Topology *t, const ReconcileStep *s, const char *state_dir,
                           const char *dropin_root, char **ret_error) {
        _cleanup_free_ char *dev = NULL;
        const TopoNamespace *n;
        int r;

        dropin_root = dropin_root ?: PLACE_DROPIN_ROOT;

        switch (s->type) {
        case RECONCILE_CREATE_CXL_REGION: {
                const char *memdevs[16];
                _cleanup_free_ char *list = s->memdevs ? strdup(s->memdevs) : NULL;
                CxlRegionCreate req = {
                        .decoder = s->region, .memdevs = memdevs, .size = s->bytes, .uuid = s->uuid
                };
                char *save = NULL;

                if (!list)
                        return s->memdevs
                                       ? -ENOMEM
                                       : error_set(ret_error, -EINVAL, "%s: the step names no memory device",
                                                   s->section ?: "?");
                for (char *w = strtok_r(list, " ", &save); w && req.n_memdevs < 16;
                     w = strtok_r(NULL, " ", &save))
                        memdevs[req.n_memdevs++] = w;
                return cxl_region_create(c, &req, NULL, ret_error);
        }
        case RECONCILE_CREATE_NAMESPACE: {
                NamespaceCreate req = { .region = s->region, .ns = s->ns, .name = s->namespace };
                r = marker_set(state_dir, "creating", s->namespace, s->region ?: "", ret_error);
                if (r < 0)
                        return r;
                r = namespace_create(c, &req, NULL, NULL, NULL, ret_error);
                marker_clear(state_dir, "creating", s->namespace);
                return r;
        }
        case RECONCILE_RECONFIGURE:
                if (s->device)
                        return namespace_reconfigure(c, s->device, s->ns.mode, s->ns.map, s->ns.align,
                                                     s->force, ret_error);
                r = step_namespace(t, s, &n, ret_error);
                if (r < 0)
                        return r;
                return namespace_reconfigure(c, n->dev, s->ns.mode, s->ns.map, s->ns.align, s->force,
                                             ret_error);
        case RECONCILE_FORMAT: {
                FormatOptions o = {
                        .fs = s->fs,
                        .force = s->force,
                };
                if (s->fs == FS_TYPE_NONE)
                        return 0;
                r = step_blockdev(t, s, &dev, ret_error);
                if (r < 0)
                        return r;
                if (topology_find_namespace(t, s->namespace ?: dev, NULL, &n) < 0 &&
                    topology_find_namespace(t, dev, NULL, &n) < 0)
                        return format_device(dev, &o, NULL, ret_error);
                return reconcile_format(n, dev, &o, state_dir, NULL, ret_error);
        }
        case RECONCILE_MOUNT: {
                DaxMountRequest req = { .dax = s->dax, .options = s->mount_options };

                r = step_blockdev(t, s, &dev, ret_error);
                if (r < 0)
                        return r;
                return dax_mount(dev, s->mount_point, &req, ret_error);
        }
        case RECONCILE_DEVDAX_ACCESS:
                r = step_chardev(t, s, &dev, ret_error);
                if (r < 0)
                        return r;
                return devdax_set_access(dev, s->uid, s->gid, s->permissions, ret_error);
        case RECONCILE_DEVDAX_MODE:
                r = step_chardev(t, s, &dev, ret_error);
                if (r < 0)
                        return r;
                r = devdax_set_mode(dev,
                                    s->system_ram == CONFIG_SYSTEM_RAM_NO ? DEVDAX_MODE_DEVDAX
                                                                          : DEVDAX_MODE_SYSTEM_RAM,
                                    s->system_ram == CONFIG_SYSTEM_RAM_ONLINE_MOVABLE, ret_error);
                /* Memory the kernel would not take offline: remembered, so that the plan shows a
                 * problem instead of trying again at every event (not for a device a process
                 * holds open: that clears when the process ends). */
                if (r == -EBUSY && ret_error && *ret_error && strstr(*ret_error, "in use by") == NULL)
                        (void) mode_refusal_record(state_dir, dev, s->system_ram, *ret_error);
                return r;
        case RECONCILE_CREATE_ZONE:
        case RECONCILE_PLACE:
        case RECONCILE_REFRESH:
        case RECONCILE_WRITE_DROPIN:
        case RECONCILE_WRITE_ENTRY_POINT:
        case RECONCILE_BIND_HOST:
        case RECONCILE_DEACTIVATE:
                return step_placement(s, state_dir, dropin_root, ret_error);
        case _RECONCILE_STEP_TYPE_MAX:
        case _RECONCILE_STEP_TYPE_INVALID:
                break;
        }
        return error_set(ret_error, -EINVAL, "unknown reconcile step type %d", (int) s->type);
}

int reconcile_section_parent(const Config *config, const char *section, char **ret) {
        *ret = NULL;
        if (!config || !section)
                return 0;
        if (strncmp(section, "Zone ", 5) == 0) {
                const ConfigZone *z = config_find_zone(config, section + 5);

                if (z && asprintf(ret, "Namespace %s", z->namespace) < 0)
                        return -ENOMEM;
        } else if (strncmp(section, "Placement ", 10) == 0) {
                const ConfigPlacement *p = config_find_placement(config, section + 10);

                if (p && asprintf(ret, "Zone %s", p->zone) < 0)
                        return -ENOMEM;
        }
        return 0;
}
