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
#include "reconcile-gather.h"
#include "reconcile-run.h"

static bool streq(const char *a, const char *b) {
        return a && b && strcmp(a, b) == 0;
}

static char *basename_dup(const char *path) {
        const char *b = strrchr(path, '/');
        return strdup(b ? b + 1 : path);
}

/* The refused mode changes this step records (reconcile-gather.c reads them). */
static int marker_set(const char *state_dir, const char *kind, const char *key, const char *content,
                      char **ret_error);

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
        r = reconcile_boot_id(&id);
        if (r < 0)
                return r;
        if (asprintf(&content, "%s\n%s\n%s\n", id, config_system_ram_to_string(want), line) < 0)
                return -ENOMEM;
        return marker_set(state_dir, "refused-mode", chardev, content, NULL);
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

                if (reconcile_state_is_temporary(de->d_name)) {
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

/* What a configured placement's activation steps made or undid, in its program's record, so that
 * a later reconcile can undo what the configuration no longer asks for (Placement.applied_*). */
static void record_applied(PlaceState *st, const ReconcileStep *s) {
        _cleanup_free_ char *real = s->program ? realpath(s->program, NULL) : NULL;
        Placement *p = s->program ? place_state_find_program(st, s->zone, s->program) : NULL;

        if (!p && real)
                p = place_state_find_program(st, s->zone, real);
        if (!p)
                return;
        switch (s->type) {
        case RECONCILE_WRITE_DROPIN:
                if (s->service && !streq(p->applied_service, s->service)) {
                        char *u = strdup(s->service);

                        if (u) {
                                free(p->applied_service);
                                p->applied_service = u;
                        }
                }
                break;
        case RECONCILE_REMOVE_DROPIN:
                if (streq(p->applied_service, s->service)) {
                        free(p->applied_service);
                        p->applied_service = NULL;
                }
                break;
        case RECONCILE_WRITE_ENTRY_POINT:
        case RECONCILE_REMOVE_ENTRY:
                p->applied_entry_point = s->type == RECONCILE_WRITE_ENTRY_POINT;
                break;
        case RECONCILE_BIND_HOST:
        case RECONCILE_UNBIND_HOST:
                p->applied_bind_host = s->type == RECONCILE_BIND_HOST;
                break;
        default:
                break;
        }
}

/* A placed program whose WithLibraries= changed: placed again with or without its loader and
 * libraries (those no longer wanted removed), the state saved, and the activations it has (its
 * entry point, the drop-in the reconcile wrote) written again at once for the files placed now:
 * they named the files placed before, and the plan made after this step sees them present. The
 * host bind was lifted before this step (the planner's unbind-host); it is made again after it. */
static int place_again(PlaceState *st, const ReconcileStep *s, const char *real, const char *dropin_root,
                       char **ret_error) {
        _cleanup_free_ char *entry = NULL, *service = NULL;
        PlaceActivation a = { .zone = s->zone, .program = real, .dropin_root = dropin_root };
        const Placement *prog;
        struct stat sst;
        int r;

        r = place_program(st, s->zone, real, s->with_libraries, ret_error);
        if (r >= 0 && !s->with_libraries)
                r = place_remove_libraries(st, s->zone, real, ret_error);
        if (r >= 0)
                r = place_state_save(st, ret_error);
        if (r < 0)
                return r;

        prog = place_state_find_program(st, s->zone, real);
        if (prog && prog->applied_service && !(service = strdup(prog->applied_service)))
                return -ENOMEM;
        a.service = service;
        {
                _cleanup_free_ char *base = basename_dup(real);

                if (!base || asprintf(&entry, "%s/bin/%s", s->zone, base) < 0)
                        return -ENOMEM;
        }
        if (lstat(entry, &sst) >= 0) {
                /* A launcher and its links, or a symbolic link: what is written now may be the
                 * other kind. */
                r = place_remove_entry_point(s->zone, real, ret_error);
                if (r < 0)
                        return r;
                a.entry_point = true;
        }
        if (!a.entry_point && !a.service)
                return 0;
        return place_and_activate(st, &a, NULL, NULL, ret_error);
}

static int step_placement_run(PlaceState *st, const ReconcileStep *s, const char *dropin_root,
                              char **ret_error) {
        /* Placing and the three activations are each a step of the plan: one part of
         * place_and_activate() each. */
        PlaceActivation a = { .zone = s->zone, .program = s->program, .dropin_root = dropin_root };
        int r = 0;

        switch (s->type) {
        case RECONCILE_CREATE_ZONE:
                r = zone_create(st, s->zone, ret_error);
                break;
        case RECONCILE_PLACE:
                if (s->program && s->zone) {
                        _cleanup_free_ char *real = realpath(s->program, NULL);

                        if (real && place_state_find_program(st, s->zone, real) &&
                            place_state_with_libraries(st, s->zone, real) != s->with_libraries)
                                return place_again(st, s, real, dropin_root, ret_error);
                }
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
                r = place_and_activate(st, &a, NULL, NULL, ret_error);
                break;
        case RECONCILE_WRITE_ENTRY_POINT:
                a.entry_point = true;
                r = place_and_activate(st, &a, NULL, NULL, ret_error);
                break;
        case RECONCILE_BIND_HOST:
                a.bind_host = true;
                r = place_and_activate(st, &a, NULL, NULL, ret_error);
                break;
        case RECONCILE_REMOVE_DROPIN:
                if (!s->service)
                        return error_set(ret_error, -EINVAL, "%s: the step names no unit",
                                         s->section ?: "?");
                a.service = s->service;
                r = place_deactivate(st, &a, ret_error);
                break;
        case RECONCILE_REMOVE_ENTRY:
                a.entry_point = true;
                r = place_deactivate(st, &a, ret_error);
                break;
        case RECONCILE_UNBIND_HOST:
                a.bind_host = true;
                r = place_deactivate(st, &a, ret_error);
                break;
        case RECONCILE_CREATE_CXL_REGION:
        case RECONCILE_CREATE_NAMESPACE:
        case RECONCILE_RECONFIGURE:
        case RECONCILE_FORMAT:
        case RECONCILE_MOUNT:
        case RECONCILE_DEVDAX_ACCESS:
        case RECONCILE_DEVDAX_MODE:
        case RECONCILE_DESTROY_NAMESPACE:
        case _RECONCILE_STEP_TYPE_MAX:
        case _RECONCILE_STEP_TYPE_INVALID:
                return -EINVAL; /* not a placement step: step_run() does not send them here */
        }
        if (r < 0)
                return r;
        record_applied(st, s);
        return place_state_save(st, ret_error);
}

static int step_placement(const ReconcileStep *s, const char *state_dir, const char *dropin_root,
                          char ***ret_warnings, char **ret_error) {
        _cleanup_place_state_ PlaceState *st = NULL;
        int r;

        if (!s->zone)
                return error_set(ret_error, -EINVAL, "%s: the step names no zone", s->section ?: "?");
        r = place_state_load(state_dir, &st, ret_error);
        if (r < 0)
                return r;
        r = step_placement_run(st, s, dropin_root, ret_error);
        if (r < 0)
                return r;
        /* The copies this step wrote, which alone know whether they were primed (not saved):
         * a step that placed or refreshed has done its work, so at worst a warning is lost. */
        if (ret_warnings)
                (void) place_state_prime_warnings(st, ret_warnings);
        return r;
}

int reconcile_step_execute(DaxContext *c, const Topology *t, const ReconcileStep *s, const char *state_dir,
                           const char *dropin_root, char ***ret_warnings, char **ret_error) {
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
        case RECONCILE_REMOVE_DROPIN:
        case RECONCILE_REMOVE_ENTRY:
        case RECONCILE_UNBIND_HOST:
                return step_placement(s, state_dir, dropin_root, ret_warnings, ret_error);
        case RECONCILE_DESTROY_NAMESPACE:
                /* Only with Destroy=yes in its section (the planner's rule): force is that. */
                if (!s->force)
                        return error_set(ret_error, -EPERM,
                                         "%s: destroying a namespace needs Destroy=yes in its section",
                                         s->section ?: "?");
                if (s->device)
                        return namespace_destroy(c, s->device, true, ret_error);
                r = step_namespace(t, s, &n, ret_error);
                if (r < 0)
                        return r;
                return namespace_destroy(c, n->dev, true, ret_error);
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
