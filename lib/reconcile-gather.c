/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The facts a plan is computed from (reconcile_gather(), reconcile_compute()), the staleness of a
 * placed program, and what the state directory says (refused mode changes, interrupted steps):
 * the planning half of the reconcile, which the daemon runs on its event loop on a topology the
 * worker took. What carries steps out is in reconcile-run.c; nothing here needs libndctl,
 * libdaxctl, libcxl or libelf. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devdax.h"
#include "error.h"
#include "fileio.h"
#include "mount-util.h"
#include "reconcile-gather.h"
#include "reconcile-run.h"
#include "strv.h"

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
        static const ReconcileStaleness full = { .may_hash = true };
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
        if (how->closure_changed) {
                _cleanup_free_ char *why = NULL;

                r = how->closure_changed(s, zone, program, &why);
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

/* Does the path of @p's original lead to its copy (the same file: a host bind mount of it)? */
static bool shows_copy(const Placement *p) {
        struct stat a, b;

        return stat(p->copy, &a) == 0 && stat(p->source, &b) == 0 && a.st_dev == b.st_dev &&
               a.st_ino == b.st_ino;
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
                /* Bound from this zone: the original shows this copy (what place_unbind_host()
                 * lifts). A bind from another zone's copy of the same program is that zone's:
                 * counted here, this zone's unbind step would lift nothing, and be planned again
                 * on every reconcile. */
                f->bound = mounts && mount_table_find_target(mounts, p->source) && shows_copy(p);
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

int reconcile_clear_mode_refusals(const char *state_dir) {
        DIR *d = opendir(state_dir);
        struct dirent *de;
        int n = 0;

        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d)))
                if (strncmp(de->d_name, RECONCILE_REFUSAL_PREFIX, strlen(RECONCILE_REFUSAL_PREFIX)) == 0 &&
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

        if (!state_dir || reconcile_boot_id(&id) < 0)
                return 0;
        d = opendir(state_dir);
        if (!d)
                return 0;
        while (r >= 0 && (de = readdir(d))) {
                _cleanup_free_ char *text = NULL;
                char *want, *msg, *end;
                ConfigSystemRam sr;
                ReconcileModeRefusal *a;

                if (strncmp(de->d_name, RECONCILE_REFUSAL_PREFIX, strlen(RECONCILE_REFUSAL_PREFIX)) != 0)
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
                        .chardev = strdup(de->d_name + strlen(RECONCILE_REFUSAL_PREFIX)),
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

int reconcile_gather(const Config *config, const Topology *topology, const PlaceState *state,
                     const char *state_dir, const char *dropin_root, const ReconcileStaleness *how,
                     ReconcileGathered **ret, char **ret_error) {
        ReconcileGathered *g;
        int r;

        g = calloc(1, sizeof(*g));
        if (!g)
                return -ENOMEM;
        g->input.config = config;

        g->input.topology = topology;
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

int reconcile_compute(const Config *config, const Topology *topology, const PlaceState *state,
                      const char *state_dir, const char *dropin_root, const ReconcileStaleness *how,
                      ReconcilePlan **ret, char **ret_error) {
        _cleanup_reconcile_gathered_ ReconcileGathered *g = NULL;
        _cleanup_reconcile_plan_ ReconcilePlan *p = NULL;
        int r;

        r = reconcile_gather(config, topology, state, state_dir, dropin_root, how, &g, ret_error);
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

/* A temporary of placements.json (place_state_save() writes one, syncs it and renames it over
 * the state) whose writer died before the rename. The state itself is whole: the old version or
 * the new one. */
bool reconcile_state_is_temporary(const char *name) {
        return strncmp(name, "placements.json.tmp-", 20) == 0 ||
               strncmp(name, ".placements.json.tmp-", 21) == 0;
}

bool reconcile_needs_recovery(const char *state_dir) {
        DIR *d = opendir(state_dir);
        struct dirent *de;
        bool found = false;

        if (!d)
                return false;
        while (!found && (de = readdir(d)))
                found = strncmp(de->d_name, "creating-", 9) == 0 ||
                        strncmp(de->d_name, "formatting-", 11) == 0 ||
                        reconcile_state_is_temporary(de->d_name);
        closedir(d);
        return found;
}
