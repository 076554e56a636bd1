/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* daxmgr's metrics (lib/metrics.h): the facts, gathered in a short-lived child (child-call.h) from
 * the daemon's state as its bus objects show it plus what may block, measured there: the DAX
 * proof of each pmem mount (statx of a placed copy on it, or of a probe file as VerifyPath
 * does) and the resident text of the placed services' processes (/proc/PID/pagemap, as
 * VerifyProcess does). GetMetrics answers with them (bus-calls.c), and the textfile writer keeps
 * [Metrics] TextfilePath= up to date with them. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <json-c/json.h>

#include "bus-internal.h"
#include "child-call.h"
#include "dax-mount.h"
#include "error.h"
#include "fs-util.h"
#include "log.h"
#include "manager.h"
#include "metrics.h"
#include "pmem-range.h"
#include "proc-maps.h"
#include "strv.h"
#include "xip-verify.h"

#define METRICS_TEXTFILE_TIMEOUT_USEC (60 * 1000000ULL)
/* What no event tells the daemon (a placed service restarted, its pages faulted in) reaches the
 * file this long after the last write at the latest. */
#define METRICS_TEXTFILE_INTERVAL_USEC (60 * 1000000ULL)
/* Writes start at most once a second: a job's progress lines change the state many times. */
#define METRICS_TEXTFILE_MIN_USEC (1000000ULL)

static struct json_object *row(struct json_object *array) {
        struct json_object *o = json_object_new_object();

        if (o)
                json_object_array_add(array, o);
        return o;
}

static bool path_under(const char *path, const char *dir) {
        size_t l = strlen(dir);

        return strncmp(path, dir, l) == 0 && (path[l] == '/' || path[l] == 0 || l == 1);
}

/* The service configured (or asked for by hand) for the program placed in @zone. */
static const char *placement_service(Manager *m, const Placement *p) {
        for (size_t i = 0; m->config && i < m->config->n_placements; i++) {
                const ConfigPlacement *c = &m->config->placements[i];

                if (strcmp(c->program, p->source) == 0 &&
                    strcmp(m->config->zones[c->zone_index].path, p->zone) == 0)
                        return c->service;
        }
        return p->has_activation ? p->service : NULL;
}

static bool placement_stale_now(Manager *m, const Placement *p) {
        const char *why = NULL;

        for (size_t i = 0; m->state && i < m->state->n_placements; i++) {
                const Placement *q = &m->state->placements[i];

                if (strcmp(q->zone, p->zone) == 0 && q->program && strcmp(q->program, p->source) == 0 &&
                    i < m->n_placement_stale && m->placement_stale[i])
                        return true;
        }
        watch_closure_why(m, p->zone, p->source, &why);
        return why != NULL;
}

/* DAX in effect on the mount at @target: statx of a placed copy on it (nothing written), else a
 * probe file in its root (dax_path_check()). -1 when it cannot be told. */
static int mount_dax(Manager *m, const char *target) {
        _cleanup_free_ char *error = NULL;
        const char *path = target;
        DaxPathInfo i = {};
        int r;

        for (size_t k = 0; m->state && k < m->state->n_placements; k++)
                if (path_under(m->state->placements[k].copy, target) &&
                    access(m->state->placements[k].copy, F_OK) >= 0) {
                        path = m->state->placements[k].copy;
                        break;
                }
        r = dax_path_check(path, &i, &error);
        if (r < 0) {
                log_debug("Metrics: cannot tell whether %s is DAX: %s", target, error_message(error, r));
                return -1;
        }
        r = i.dax;
        dax_path_info_done(&i);
        return r;
}

static void facts_topology(Manager *m, struct json_object *facts) {
        struct json_object *regions = json_object_new_array(), *nss = json_object_new_array(),
                           *mounts = json_object_new_array();

        for (size_t i = 0; m->topology && i < m->topology->n_regions; i++) {
                const TopoRegion *r = &m->topology->regions[i];
                unsigned by_mode[_NAMESPACE_MODE_MAX + 1] = {};
                struct json_object *o = row(regions);

                add(o, "region", jstr(r->dev));
                add(o, "size", ju64(r->size));
                add(o, "available", ju64(r->available_size));
                for (size_t k = 0; k < r->n_namespaces; k++) {
                        const TopoNamespace *n = &r->namespaces[k];
                        const ConfigNamespace *owner = reconcile_namespace_owner(m->config, m->topology, n);

                        if (n->mode >= 0 && n->mode < _NAMESPACE_MODE_MAX)
                                by_mode[n->mode]++;
                        else
                                by_mode[_NAMESPACE_MODE_MAX]++;
                        for (size_t j = 0; j < n->n_mounts; j++) {
                                const char *target = n->mounts[j].target;
                                bool expected = owner && owner->mount_point &&
                                                strcmp(owner->mount_point, target) == 0;
                                int dax = mount_dax(m, target);

                                for (size_t z = 0; !expected && m->state && z < m->state->n_zones; z++)
                                        expected = path_under(m->state->zones[z], target);
                                o = row(mounts);
                                add(o, "namespace", jstr(n->dev));
                                add(o, "mountpoint", jstr(target));
                                if (dax >= 0)
                                        add(o, "dax", json_object_new_boolean(dax));
                                add(o, "expected", json_object_new_boolean(expected));
                        }
                }
                for (int k = 0; k <= _NAMESPACE_MODE_MAX; k++) {
                        if (by_mode[k] == 0)
                                continue;
                        o = row(nss);
                        add(o, "region", jstr(r->dev));
                        add(o, "mode",
                            jstr(k < _NAMESPACE_MODE_MAX ? namespace_mode_to_string(k) : "unknown"));
                        add(o, "count", ju64(by_mode[k]));
                }
        }
        add(facts, "regions", regions);
        add(facts, "namespaces", nss);
        add(facts, "mounts", mounts);
}

static void facts_zones(Manager *m, struct json_object *facts) {
        struct json_object *zones = json_object_new_array(), *placements = json_object_new_array();

        for (size_t z = 0; m->state && z < m->state->n_zones; z++) {
                const char *dir = m->state->zones[z];
                struct json_object *o = row(zones);
                uint64_t placed = 0, programs = 0;
                struct statvfs sv;

                for (size_t i = 0; i < m->state->n_placements; i++) {
                        const Placement *p = &m->state->placements[i];

                        if (strcmp(p->zone, dir) != 0)
                                continue;
                        placed += p->size;
                        programs += p->role == PLACE_PROGRAM;
                }
                add(o, "zone", jstr(dir));
                add(o, "mounted", json_object_new_boolean(path_is_mounted_dax(m->topology, dir)));
                add(o, "placements", ju64(programs));
                add(o, "placed_bytes", ju64(placed));
                if (statvfs(dir, &sv) >= 0) {
                        add(o, "size", ju64((uint64_t) sv.f_blocks * sv.f_frsize));
                        add(o, "available", ju64((uint64_t) sv.f_bavail * sv.f_frsize));
                }
        }
        for (size_t i = 0; m->state && i < m->state->n_placements; i++) {
                const Placement *p = &m->state->placements[i];
                const char *service;
                struct json_object *o;
                uint64_t size = 0;

                if (p->role != PLACE_PROGRAM)
                        continue;
                for (size_t k = 0; k < m->state->n_placements; k++) {
                        const Placement *q = &m->state->placements[k];

                        if (strcmp(q->zone, p->zone) == 0 && q->program &&
                            strcmp(q->program, p->source) == 0)
                                size += q->size;
                }
                service = placement_service(m, p);
                o = row(placements);
                add(o, "zone", jstr(p->zone));
                add(o, "program", jstr(p->source));
                if (service)
                        add(o, "service", jstr(service));
                add(o, "size", ju64(size));
                add(o, "stale", json_object_new_boolean(placement_stale_now(m, p)));
        }
        add(facts, "zones", zones);
        add(facts, "placements", placements);
}

/* The text pages of the placed program (its copy, or the original it runs from instead) in
 * the processes of @service. */
static void facts_service(Manager *m, const Placement *p, const char *service, const PmemRanges *ranges,
                          struct json_object *services) {
        uint64_t pmem = 0, dram = 0, processes = 0, page = (uint64_t) sysconf(_SC_PAGESIZE);
        struct stat copy = {}, orig = {};
        bool have_copy = stat(p->copy, &copy) >= 0, have_orig = stat(p->source, &orig) >= 0;
        DIR *d = opendir("/proc");
        struct json_object *o;

        if (!d)
                return;
        for (struct dirent *de; (de = readdir(d));) {
                _cleanup_xip_report_ XipReport *report = NULL;
                _cleanup_free_ char *unit = NULL, *error = NULL;
                char *end;
                long v = strtol(de->d_name, &end, 10);
                XipSummary s;

                if (*end || v <= 0 || v == (long) getpid())
                        continue;
                unit = pid_unit((pid_t) v);
                if (!unit || strcmp(unit, service) != 0)
                        continue;
                processes++;
                if (xip_verify_process((pid_t) v, ranges, &report, &error) < 0)
                        continue;
                if (have_copy && xip_report_file_summary(report, major(copy.st_dev), minor(copy.st_dev),
                                                         (uint64_t) copy.st_ino, &s)) {
                        pmem += s.exec_pmem;
                        dram += s.exec_dram;
                }
                if (have_orig && xip_report_file_summary(report, major(orig.st_dev), minor(orig.st_dev),
                                                         (uint64_t) orig.st_ino, &s)) {
                        pmem += s.exec_pmem;
                        dram += s.exec_dram;
                }
        }
        closedir(d);
        if (processes == 0) /* not running */
                return;
        o = row(services);
        add(o, "service", jstr(service));
        add(o, "zone", jstr(p->zone));
        add(o, "program", jstr(p->source));
        add(o, "processes", ju64(processes));
        add(o, "pmem_bytes", ju64(pmem * page));
        add(o, "dram_bytes", ju64(dram * page));
}

static void facts_services(Manager *m, struct json_object *facts) {
        struct json_object *services = json_object_new_array();
        PmemRanges *ranges = NULL;

        (void) pmem_ranges_load(&ranges);
        for (size_t i = 0; m->state && i < m->state->n_placements; i++) {
                const Placement *p = &m->state->placements[i];
                const char *service = p->role == PLACE_PROGRAM ? placement_service(m, p) : NULL;

                if (service)
                        facts_service(m, p, service, ranges, services);
        }
        pmem_ranges_free(ranges);
        add(facts, "services", services);
}

static void facts_manager(Manager *m, struct json_object *facts) {
        struct json_object *rec = json_object_new_array(), *problems = json_object_new_array(),
                           *jobs = json_object_new_array(), *o = row(rec);

        if (m->last_reconcile_result && *m->last_reconcile_result) {
                add(o, "success", json_object_new_boolean(strcmp(m->last_reconcile_result, "done") == 0));
                add(o, "duration_usec", ju64(m->last_reconcile_duration_usec));
                add(o, "last_usec", ju64(m->last_reconcile_usec));
        }
        if (m->last_reconcile_success_usec > 0)
                add(o, "last_success_usec", ju64(m->last_reconcile_success_usec));
        if (m->plan)
                add(o, "pending_steps", ju64(m->plan->n_steps));
        for (int k = 0; k < _RECONCILE_PROBLEM_KIND_MAX; k++) {
                uint64_t n = 0;

                for (size_t i = 0; m->plan && i < m->plan->n_problems; i++)
                        n += m->plan->problems[i].kind == (ReconcileProblemKind) k;
                o = row(problems);
                add(o, "kind", jstr(reconcile_problem_kind_to_string(k)));
                add(o, "count", ju64(n));
        }
        o = row(jobs);
        add(o, "result", jstr("done"));
        add(o, "count", ju64(m->n_jobs_done));
        o = row(jobs);
        add(o, "result", jstr("failed"));
        add(o, "count", ju64(m->n_jobs_failed));
        add(facts, "reconcile", rec);
        add(facts, "problems", problems);
        add(facts, "jobs", jobs);
}

struct json_object *metrics_facts(Manager *m) {
        struct json_object *facts = json_object_new_object();

        if (!facts)
                return NULL;
        add(facts, "version", jstr(PACKAGE_VERSION));
        facts_topology(m, facts);
        facts_zones(m, facts);
        facts_services(m, facts);
        facts_manager(m, facts);
        return facts;
}

int metrics_text(Manager *m, char **ret) {
        struct json_object *facts = metrics_facts(m);
        int r;

        if (!facts)
                return -ENOMEM;
        r = metrics_render_facts(facts, ret);
        json_object_put(facts);
        return r;
}

/* ---------------------------------------------------------------- the textfile */

/* In the child: the text to a temporary file next to @path, mode 0644, then renamed over it, so
 * that node_exporter never reads half a file. */
static struct json_object *textfile_run(Manager *m, void *userdata) {
        const char *path = userdata;
        _cleanup_free_ char *text = NULL, *tmp = NULL;
        struct json_object *doc = json_object_new_object();
        FILE *f = NULL;
        int fd, r;

        if (!doc)
                return NULL;
        r = metrics_text(m, &text);
        if (r >= 0 && asprintf(&tmp, "%s.XXXXXX", path) < 0) {
                tmp = NULL;
                r = -ENOMEM;
        }
        if (r >= 0) {
                fd = mkostemp(tmp, O_CLOEXEC);
                if (fd < 0)
                        r = -errno;
                else if (fchmod(fd, 0644) < 0 || !(f = fdopen(fd, "w"))) {
                        r = -errno;
                        (void) close(fd);
                }
        }
        if (f) {
                if (fputs(text, f) < 0 || fflush(f) != 0 || fsync(fileno(f)) < 0)
                        r = -errno ?: -EIO;
                if (fclose(f) != 0 && r >= 0)
                        r = -errno;
                if (r >= 0 && rename(tmp, path) < 0)
                        r = -errno;
                if (r < 0)
                        (void) unlink(tmp);
        }
        if (r < 0)
                add(doc, "error", jstr(strerror(-r)));
        return doc;
}

static void textfile_start(Manager *m);

static int on_textfile_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        metrics_textfile_changed(userdata);
        return 0;
}

/* The next write at @usec (CLOCK_MONOTONIC). */
static void textfile_arm(Manager *m, uint64_t usec) {
        if (m->metrics_timer) {
                (void) sd_event_source_set_time(m->metrics_timer, usec);
                (void) sd_event_source_set_enabled(m->metrics_timer, SD_EVENT_ONESHOT);
        } else
                (void) sd_event_add_time(m->event, &m->metrics_timer, CLOCK_MONOTONIC, usec, 0,
                                         on_textfile_timer, m);
}

static void textfile_done(Manager *m, struct json_object *doc, int error, const char *detail,
                          void *userdata) {
        struct json_object *e = NULL;
        uint64_t now;

        free(userdata);
        m->metrics_writing = false;
        if (error == -ECANCELED)
                return;
        if (error < 0 || json_object_object_get_ex(doc, "error", &e)) {
                /* Once until a write succeeds again, not on every change. */
                if (!m->metrics_failed)
                        log_warning("Cannot write the metrics to %s: %s.",
                                    m->config && m->config->metrics.textfile_path ? m->config->metrics.textfile_path : "?",
                                    e ? json_object_get_string(e) : detail ?: strerror(-error));
                m->metrics_failed = true;
        } else
                m->metrics_failed = false;
        if (m->metrics_wanted)
                metrics_textfile_changed(m);
        else if (m->event && sd_event_now(m->event, CLOCK_MONOTONIC, &now) >= 0)
                textfile_arm(m, now + METRICS_TEXTFILE_INTERVAL_USEC);
}

static void textfile_start(Manager *m) {
        char *path;
        int r;

        m->metrics_wanted = false;
        if (!m->config || !m->config->metrics.textfile_path)
                return;
        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &m->metrics_started_usec);
        path = strdup(m->config->metrics.textfile_path);
        if (!path)
                return;
        m->metrics_writing = true;
        r = child_call_start(m, "daxmgrd-metrics", METRICS_TEXTFILE_TIMEOUT_USEC, textfile_run,
                             textfile_done, path);
        if (r < 0) {
                free(path);
                m->metrics_writing = false;
                m->metrics_wanted = true; /* tried again in a second (Busy: 8 calls at once) */
                textfile_arm(m, m->metrics_started_usec + METRICS_TEXTFILE_MIN_USEC);
                log_debug("Cannot start writing the metrics: %s", strerror(-r));
        }
}

void metrics_textfile_changed(Manager *m) {
        uint64_t now = 0;

        if (!m->config || !m->config->metrics.textfile_path || !m->event)
                return;
        m->metrics_wanted = true;
        if (m->metrics_writing) /* textfile_done() comes back here */
                return;
        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        if (m->metrics_started_usec > 0 && now < m->metrics_started_usec + METRICS_TEXTFILE_MIN_USEC)
                textfile_arm(m, m->metrics_started_usec + METRICS_TEXTFILE_MIN_USEC);
        else
                textfile_start(m);
}
