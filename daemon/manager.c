/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libudev.h>
#include <systemd/sd-daemon.h>

#include "bus-error.h"
#include "child-call.h"
#include "error.h"
#include "strv.h"
#include "log.h"
#include "manager.h"
#include "messages.h"
#include "reconcile-run.h"
#include "string-table.h"

#define REFRESH_DELAY_USEC (300 * 1000)    /* udev events come in bursts: one refresh per burst */
#define JOB_LINGER_USEC    (60 * 1000000U) /* finished jobs stay on the bus this long */

static const char *const job_state_table[_JOB_STATE_MAX] = {
        [JOB_QUEUED] = "queued",
        [JOB_RUNNING] = "running",
        [JOB_DONE] = "done",
        [JOB_FAILED] = "failed",
};
DEFINE_STRING_TABLE_LOOKUP_TO_STRING(job_state, JobState)

static uint64_t now_realtime_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static void ctx_log(void *userdata, int priority, const char *message) {
        log_full(priority, "%s", message);
}

static void staleness_free(Manager *m);

static Job *job_free(Job *j) {
        if (!j)
                return NULL;
        sd_event_source_disable_unref(j->io_source);
        sd_event_source_disable_unref(j->child_source);
        sd_event_source_disable_unref(j->expire_source);
        if (j->fd >= 0)
                close(j->fd);
        free(j->path);
        free(j->target);
        json_object_put(j->args);
        free(j->progress_text);
        free(j->error_name);
        free(j->message);
        free(j->result);
        free(j->buf);
        free(j);
        return NULL;
}

int manager_new(Manager **ret) {
        Manager *m;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->next_job_id = 1;
        m->inotify_fd = -1;
        m->check_fd = -1;
        m->config_root = strdup("");
        m->state_dir = strdup(getenv("DAXMGR_STATE_DIR") ?: "/var/lib/daxmgr");
        m->dropin_root = strdup(getenv("DAXMGR_DROPIN_ROOT") ?: PLACE_DROPIN_ROOT);
        if (!m->config_root || !m->state_dir || !m->dropin_root) {
                manager_free(m);
                return -ENOMEM;
        }
        r = sd_event_default(&m->event);
        if (r < 0) {
                manager_free(m);
                return r;
        }
        *ret = m;
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        /* Calls still being answered in a child get their answer while the bus is there. */
        child_calls_done(m);
        for (size_t i = 0; i < m->n_jobs; i++) {
                if (m->jobs[i]->pid > 0)
                        (void) kill(m->jobs[i]->pid, SIGTERM);
                job_free(m->jobs[i]);
        }
        free(m->jobs);
        for (size_t i = 0; i < m->n_objects; i++) {
                free(m->objects[i].path);
                json_object_put(m->objects[i].props);
        }
        free(m->objects);
        sd_event_source_disable_unref(m->monitor_source);
        sd_event_source_disable_unref(m->refresh_source);
        sd_event_source_disable_unref(m->sighup_source);
        sd_event_source_disable_unref(m->ready_source);
        sd_event_source_disable_unref(m->dispatch_source);
        sd_event_source_disable_unref(m->sync_source);
        watch_done(m);
        strv_free(m->config_programs);
        udev_monitor_unref(m->monitor);
        udev_unref(m->udev);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        dax_context_unref(m->ctx);
        config_free(m->config);
        free(m->config_error);
        strv_free(m->config_warnings);
        topology_free(m->topology);
        memory_platform_free(m->memory);
        staleness_free(m);
        place_state_free(m->state);
        reconcile_plan_free(m->plan);
        free(m->plan_error);
        free(m->last_plan_key);
        free(m->last_reconcile_result);
        free(m->config_root);
        free(m->state_dir);
        free(m->dropin_root);
        free(m);
        return NULL;
}

int manager_reload(Manager *m, char **ret_error) {
        _cleanup_config_ Config *c = NULL;
        _cleanup_free_ char *error = NULL;
        char **warnings = NULL;
        int r;

        r = config_load(m->config_root, &c, &warnings, &error);
        if (r < 0) {
                const char *msg = error_message(error, r);

                log_error("The configuration has errors; %s the last good one: %s",
                          m->config ? "keeping" : "observing only, without", msg);
                free(m->config_error);
                m->config_error = strdup(msg);
                if (ret_error)
                        *ret_error = strdup(msg);
                manager_update_status(m);
                bus_sync_objects(m);
                return r;
        }
        for (size_t i = 0; warnings && warnings[i]; i++)
                log_warning("%s", warnings[i]);
        /* A placement names a program as people call it, "/usr/bin/python3", which is often a
         * symlink (python3 → python3.11). What is placed, recorded and bound is the file it
         * resolves to, so plan with that name too: otherwise the plan would never see the
         * placement as made. Resolved at every load, so that an alternatives switch is seen. */
        strv_free(m->config_programs);
        m->config_programs = calloc(c->n_placements + 1, sizeof(char *));
        for (size_t i = 0; i < c->n_placements; i++) {
                ConfigPlacement *p = &c->placements[i];
                char *real = realpath(p->program, NULL);

                if (m->config_programs)
                        m->config_programs[i] = strdup(p->program);

                if (!real)
                        continue; /* missing: the PLACE step says so */
                if (strcmp(real, p->program) == 0) {
                        free(real);
                        continue;
                }
                log_info("Placement %s: %s is %s; placing that.", p->name, p->program, real);
                free(p->program);
                p->program = real;
        }
        config_free(m->config);
        m->config = TAKE_PTR(c);
        strv_free(m->config_warnings);
        m->config_warnings = warnings;
        m->config_error = mfree(m->config_error);
        m->last_plan_key = mfree(m->last_plan_key);
        {
                _cleanup_free_ char *summary = NULL;

                (void) config_summary(m->config, &summary);
                log_info("Configuration loaded: %s.", summary ?: "out of memory to count its sections");
        }
        return 0;
}

static char *plan_key(const ReconcilePlan *p) {
        struct json_object *j = NULL;
        char *s;

        if (!p || reconcile_plan_to_json(p, &j) < 0)
                return NULL;
        s = strdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
        json_object_put(j);
        return s;
}

bool manager_has_queued_reconcile(Manager *m) {
        for (size_t i = 0; i < m->n_jobs; i++)
                if (m->jobs[i]->type == JOB_RECONCILE && m->jobs[i]->state == JOB_QUEUED)
                        return true;
        return false;
}

static void staleness_free(Manager *m) {
        for (size_t i = 0; m->placement_stale_why && i < m->n_placement_stale; i++)
                free(m->placement_stale_why[i]);
        m->n_placement_stale = 0;
        m->placement_stale_why = mfree(m->placement_stale_why);
        m->placement_stale = mfree(m->placement_stale);
}

static void manager_update_staleness(Manager *m) {
        size_t n = m->state ? m->state->n_placements : 0;

        staleness_free(m);
        m->placement_stale = calloc(n ?: 1, sizeof(bool));
        m->placement_stale_why = calloc(n ?: 1, sizeof(char *));
        if (!m->placement_stale || !m->placement_stale_why) {
                m->placement_stale = mfree(m->placement_stale);
                m->placement_stale_why = mfree(m->placement_stale_why);
                return;
        }
        m->n_placement_stale = n;
        m->stale_unknown = false;
        /* stat() only: a changed identity whose content is not hashed yet is the check child's. */
        for (size_t i = 0; i < n; i++) {
                PlaceCheck c;

                if (placement_check(&m->state->placements[i], &m->hash_cache, false, &c,
                                    &m->placement_stale_why[i]) < 0)
                        c = PLACE_CHECK_FRESH;
                m->placement_stale[i] = c == PLACE_CHECK_STALE;
                if (c == PLACE_CHECK_UNKNOWN)
                        m->stale_unknown = true;
        }
}

const ReconcileStaleness *manager_staleness(Manager *m) {
        static ReconcileStaleness how;

        how = (ReconcileStaleness){
                .cache = &m->hash_cache,
                .may_hash = false,
                .closures = false,
                .closure_why = watch_closure_why,
                .userdata = m,
        };
        return &how;
}

static void manager_refresh_internal(Manager *m, bool snapshot) {
        _cleanup_free_ char *error = NULL, *key = NULL;
        Topology *t = NULL;
        PlaceState *s = NULL;
        ReconcilePlan *p = NULL;
        int r;

        m->refresh_pending = false;
        /* Asked to reconcile (start, reload, a call): the mode changes the kernel refused in
         * this boot are tried again; a refresh on an event does not retry them. */
        if (m->reconcile_wanted && reconcile_clear_mode_refusals(m->state_dir) > 0)
                log_info("Trying again the memory mode changes the kernel refused before.");
        if (!snapshot && m->topology)
                goto state;
        m->refresh_topology = false;
        /* A fresh library context for each refresh: ndctl_invalidate() drops libndctl's cached
         * buses, but objects reached through libdaxctl (device-dax instances of a namespace
         * made after the context) can stay as they were when first seen. */
        {
                DaxContext *c = NULL;

                if (dax_context_new(&c) >= 0) {
                        dax_context_set_log(c, ctx_log, m, LOG_WARNING);
                        dax_context_unref(m->ctx);
                        m->ctx = c;
                } else
                        dax_context_invalidate(m->ctx);
        }
        r = topology_snapshot(m->ctx, 0, &t, &error);
        if (r < 0)
                log_error("Cannot read the pmem topology: %s", error_message(error, r));
        else {
                topology_free(m->topology);
                m->topology = t;
        }
        error = mfree(error);
        {
                MemoryPlatform *mp = NULL;

                r = memory_platform_read("/", &mp, &error);
                if (r < 0)
                        log_warning("Cannot read the memory platform: %s", error_message(error, r));
                else {
                        memory_platform_free(m->memory);
                        m->memory = mp;
                }
                error = mfree(error);
        }
state:
        r = place_state_load(m->state_dir, &s, &error);
        if (r < 0)
                log_error("Cannot read the placement state: %s", error_message(error, r));
        else {
                place_state_free(m->state);
                m->state = s;
        }
        error = mfree(error);
        manager_update_staleness(m);

        if (m->topology) {
                /* Each placement is checked once per refresh: the plan takes the results above. */
                ReconcileStaleness how = *manager_staleness(m);

                how.checked = m->state;
                how.stale = m->placement_stale;
                how.stale_why = m->placement_stale_why;
                how.n_stale = m->n_placement_stale;
                r = reconcile_compute(m->ctx, m->config ?: &(Config){}, m->topology, m->state, m->state_dir,
                                      m->dropin_root, &how, &p, &error);
                if (r < 0) {
                        log_error("Cannot compute the reconcile plan: %s", error_message(error, r));
                        free(m->plan_error);
                        m->plan_error = strdup(error_message(error, r));
                } else {
                        reconcile_plan_free(m->plan);
                        m->plan = p;
                        m->plan_error = mfree(m->plan_error);
                }
        }
        m->started = true;

        /* Reconcile when asked to (start, reload, a call) or when the plan changed since the
         * last reconcile: a hot-added region, a namespace someone removed. A plan that is still
         * what the last reconcile left (a step that failed) is not retried in a loop. What an
         * interrupted step left behind (its marker) is a reason to reconcile even when the plan
         * has no step: the recovery clears a stale marker now, and undoes a half-made namespace
         * whose region came back after the start (the plan then shows it as a conflict). */
        key = plan_key(m->plan);
        if (m->plan && (m->plan->n_steps > 0 || reconcile_needs_recovery(m->state_dir)) &&
            !manager_has_queued_reconcile(m) && !m->running &&
            (m->reconcile_wanted || !m->last_plan_key || !key || strcmp(key, m->last_plan_key) != 0)) {
                if (m->plan->n_steps > 0)
                        log_info("%zu step(s) to carry out: reconciling.", m->plan->n_steps);
                else
                        log_info("An interrupted step left something behind in %s: reconciling to "
                                 "recover.",
                                 m->state_dir);
                (void) manager_queue_job(m, JOB_RECONCILE, "", json_object_new_object(), 0, NULL);
        }
        m->reconcile_wanted = false;
        manager_update_status(m);
        bus_sync_objects(m);

        /* The watches follow the placements; a changed original whose content is not hashed yet
         * goes to the check child (not again right after a check: it could not read it). */
        watch_sync(m);
        if ((m->stale_unknown && !m->check_done_refresh) || m->check_wanted)
                watch_request_check(m);
}

void manager_refresh(Manager *m) {
        manager_refresh_internal(m, true);
}

void manager_replan(Manager *m) {
        manager_refresh_internal(m, false);
}

static int on_refresh_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        if (m->running) {
                /* The worker is changing things; one refresh when it is done. */
                m->refresh_pending = true;
                return 0;
        }
        /* A change of a placed file alone needs no new topology snapshot. */
        manager_refresh_internal(m, m->refresh_topology);
        return 0;
}

void manager_schedule_refresh(Manager *m) {
        uint64_t now;

        if (m->running) {
                m->refresh_pending = true;
                return;
        }
        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        if (m->refresh_source) {
                int enabled = SD_EVENT_OFF;

                (void) sd_event_source_get_enabled(m->refresh_source, &enabled);
                if (enabled != SD_EVENT_OFF)
                        return; /* already due soon: coalesce */
                (void) sd_event_source_set_time(m->refresh_source, now + REFRESH_DELAY_USEC);
                (void) sd_event_source_set_enabled(m->refresh_source, SD_EVENT_ONESHOT);
                return;
        }
        (void) sd_event_add_time(m->event, &m->refresh_source, CLOCK_MONOTONIC, now + REFRESH_DELAY_USEC, 0,
                                 on_refresh_timer, m);
}

static int on_udev(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        struct udev_device *d;
        bool any = false;

        while ((d = udev_monitor_receive_device(m->monitor))) {
                const char *subsystem = udev_device_get_subsystem(d), *sysname = udev_device_get_sysname(d);

                /* Only pmem block devices matter among block devices. */
                if (!subsystem || strcmp(subsystem, "block") != 0 ||
                    (sysname && strncmp(sysname, "pmem", 4) == 0)) {
                        log_debug("uevent %s %s/%s", udev_device_get_action(d) ?: "?", subsystem ?: "?",
                                  sysname ?: "?");
                        any = true;
                }
                udev_device_unref(d);
        }
        if (any) {
                m->refresh_topology = true;
                manager_schedule_refresh(m);
        }
        return 0;
}

static int udev_setup(Manager *m) {
        int r;

        m->udev = udev_new();
        if (!m->udev)
                return -errno ?: -ENOMEM;
        m->monitor = udev_monitor_new_from_netlink(m->udev, "udev");
        if (!m->monitor)
                return -errno ?: -ENOMEM;
        if (udev_monitor_filter_add_match_subsystem_devtype(m->monitor, "nd", NULL) < 0 ||
            udev_monitor_filter_add_match_subsystem_devtype(m->monitor, "dax", NULL) < 0 ||
            udev_monitor_filter_add_match_subsystem_devtype(m->monitor, "block", "disk") < 0)
                return -ENOMEM;
        r = udev_monitor_enable_receiving(m->monitor);
        if (r < 0)
                return r;
        (void) udev_monitor_set_receive_buffer_size(m->monitor, 4 * 1024 * 1024);
        return sd_event_add_io(m->event, &m->monitor_source, udev_monitor_get_fd(m->monitor), EPOLLIN,
                               on_udev, m);
}

/* Longest wait for the reconcile before READY=1: below systemd's default start timeout (90 s),
 * which also bounds a reload. */
#define READY_WAIT_USEC (60ULL * 1000000ULL)

static void manager_notify_ready(Manager *m) {
        m->ready_pending = false;
        m->ready_source = sd_event_source_disable_unref(m->ready_source);
        (void) sd_notify(false, "READY=1");
}

static int on_ready_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        log_warning("The reconcile is still running after %u s: telling systemd the daemon is ready now.",
                    (unsigned) (READY_WAIT_USEC / 1000000ULL));
        manager_notify_ready(m);
        return 0;
}

/* READY=1 now, or once the reconcile that was just queued (or is running) has finished. */
static void manager_ready_after_reconcile(Manager *m) {
        uint64_t now;

        if (!manager_has_queued_reconcile(m) && !(m->running && m->running->type == JOB_RECONCILE)) {
                manager_notify_ready(m);
                return;
        }
        m->ready_pending = true;
        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        if (!m->ready_source)
                (void) sd_event_add_time(m->event, &m->ready_source, CLOCK_MONOTONIC, now + READY_WAIT_USEC,
                                         0, on_ready_timeout, m);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        struct timespec ts;

        log_info("SIGHUP: reloading the configuration.");
        /* MONOTONIC_USEC: what Type=notify-reload (systemd >= 253) wants with RELOADING=1. */
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        (void) sd_notifyf(false, "RELOADING=1\nMONOTONIC_USEC=%llu",
                          (unsigned long long) ts.tv_sec * 1000000ULL +
                                  (unsigned long long) ts.tv_nsec / 1000);
        (void) manager_reload(m, NULL);
        m->reconcile_wanted = true;
        manager_refresh(m);
        manager_ready_after_reconcile(m);
        return 0;
}

/* Drop-ins that versions before daxmgr-generator wrote to /etc/systemd/system: removed, with
 * the activation they made recorded in the state, and systemd reloaded so that the generator
 * writes them into its own directory. */
static void manager_migrate_dropins(Manager *m) {
        _cleanup_strv_free_ char **removed = NULL;
        _cleanup_free_ char *error = NULL;
        const char *root = getenv("DAXMGR_LEGACY_DROPIN_ROOT") ?: PLACE_LEGACY_DROPIN_ROOT;
        PlaceState *s = NULL;
        int r;

        if (place_state_load(m->state_dir, &s, &error) < 0)
                s = NULL; /* the refresh says why */
        error = mfree(error);
        r = place_migrate_legacy_dropins(root, s, &removed, &error);
        if (r < 0)
                log_warning("Cannot remove the drop-ins an earlier version wrote to %s: %s", root,
                            error_message(error, r));
        error = mfree(error);
        for (size_t i = 0; removed && removed[i]; i++)
                log_info("Removed %s, written by an earlier version: daxmgr-generator writes this drop-in "
                         "into %s now.",
                         removed[i], PLACE_GENERATOR_DIR);
        if (removed && s) {
                r = place_state_save(s, &error);
                if (r < 0)
                        log_error("Cannot record the migrated drop-ins: %s", error_message(error, r));
                error = mfree(error);
        }
        place_state_free(s);
        if (removed) {
                r = place_systemd_reload(&error);
                if (r < 0)
                        log_warning("%s", error_message(error, r));
        }
}

int manager_start(Manager *m) {
        sigset_t ss;
        int r;

        r = dax_context_new(&m->ctx);
        if (r < 0)
                return log_error_errno(r, "Cannot start libndctl: %s", strerror(-r));
        dax_context_set_log(m->ctx, ctx_log, m, LOG_WARNING);

        sigemptyset(&ss);
        sigaddset(&ss, SIGHUP);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        sigaddset(&ss, SIGCHLD);
        sigprocmask(SIG_BLOCK, &ss, NULL);
        (void) sd_event_add_signal(m->event, NULL, SIGTERM, NULL, NULL);
        (void) sd_event_add_signal(m->event, NULL, SIGINT, NULL, NULL);
        r = sd_event_add_signal(m->event, &m->sighup_source, SIGHUP, on_sighup, m);
        if (r < 0)
                return log_error_errno(r, "Cannot watch SIGHUP: %s", strerror(-r));
        (void) sd_event_set_watchdog(m->event, true);

        r = udev_setup(m);
        if (r < 0)
                return log_error_errno(r, "Cannot listen to udev events: %s", strerror(-r));

        (void) manager_reload(m, NULL);
        manager_migrate_dropins(m);

        r = bus_setup(m);
        if (r < 0)
                return r;

        /* The initial enumeration: everything there is now, then reconcile it; and a check of
         * every placed original (it may have changed while the daemon was not running). Ready
         * once that reconcile is done: units ordered after daxmgrd.service (the drop-ins of
         * placed services) then find their zones mounted. */
        m->reconcile_wanted = true;
        m->check_wanted = true;
        manager_refresh(m);
        manager_ready_after_reconcile(m);
        return 0;
}

void manager_update_status(Manager *m) {
        size_t n_ns = 0, n_regions = m->topology ? m->topology->n_regions : 0;
        const char *what;

        for (size_t i = 0; i < n_regions; i++)
                n_ns += m->topology->regions[i].n_namespaces;
        if (m->running)
                what = "busy";
        else if (m->config_error)
                what = "configuration has errors";
        else if (m->plan && m->plan->n_problems > 0)
                what = "problems";
        else
                what = "idle";
        (void) sd_notifyf(
                false, "STATUS=%s: %zu region(s), %zu namespace(s), %zu zone(s), %zu pending step(s)", what,
                n_regions, n_ns, m->state ? m->state->n_zones : 0, m->plan ? m->plan->n_steps : 0);
}

/* ---------------------------------------------------------------- jobs */

Job *manager_find_job_by_path(Manager *m, const char *path) {
        for (size_t i = 0; i < m->n_jobs; i++)
                if (strcmp(m->jobs[i]->path, path) == 0)
                        return m->jobs[i];
        return NULL;
}

static void manager_remove_job(Manager *m, Job *j) {
        for (size_t i = 0; i < m->n_jobs; i++)
                if (m->jobs[i] == j) {
                        memmove(m->jobs + i, m->jobs + i + 1, (m->n_jobs - i - 1) * sizeof(Job *));
                        m->n_jobs--;
                        break;
                }
        job_free(j);
        bus_sync_objects(m);
}

static int on_job_expire(sd_event_source *s, uint64_t usec, void *userdata) {
        Job *j = userdata;

        manager_remove_job(j->manager, j);
        return 0;
}

static void manager_dispatch_queue(Manager *m);

static void job_finish(Job *j, const char *error_name, const char *message, const char *result) {
        Manager *m = j->manager;
        uint64_t now;

        j->state = error_name ? JOB_FAILED : JOB_DONE;
        j->finished_usec = now_realtime_usec();
        if (!error_name)
                j->progress = 1.0;
        free(j->error_name);
        j->error_name = error_name ? strdup(error_name) : NULL;
        free(j->message);
        j->message = message ? strdup(message) : NULL;
        if (result && result != j->result) {
                free(j->result);
                j->result = strdup(result);
        }
        {
                const LogField *f = LOG_FIELDS({ "MESSAGE_ID", DAXMGR_MESSAGE_JOB_FINISHED },
                                               { "DAXMGR_JOB", j->id_string },
                                               { "DAXMGR_JOB_TYPE", job_type_to_string(j->type) },
                                               { "DAXMGR_RESULT", error_name ? "failed" : "done" });

                if (error_name)
                        log_struct(LOG_ERR, f, "Job %" PRIu32 " (%s%s%s) failed: %s", j->id,
                                   job_type_to_string(j->type), *j->target ? " " : "", j->target,
                                   message ?: error_name);
                else
                        log_struct(LOG_INFO, f, "Job %" PRIu32 " (%s%s%s) done.", j->id,
                                   job_type_to_string(j->type), *j->target ? " " : "", j->target);
        }

        if (j->type == JOB_RECONCILE) {
                m->last_reconcile_usec = j->finished_usec;
                free(m->last_reconcile_result);
                if (error_name)
                        m->last_reconcile_result =
                                asprintf_safe("failed: %s", message ?: error_name) ?: strdup(error_name);
                else
                        m->last_reconcile_result = strdup("done");
        }
        if (m->running == j)
                m->running = NULL;

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        (void) sd_event_add_time(m->event, &j->expire_source, CLOCK_MONOTONIC, now + JOB_LINGER_USEC, 0,
                                 on_job_expire, j);

        /* What the job changed: one refresh (the plan after it is what it left undone), and a check:
         * a refresh leaves processes on the copies it replaced. */
        m->check_wanted = true;
        manager_refresh(m);
        if (j->type == JOB_RECONCILE) {
                free(m->last_plan_key);
                m->last_plan_key = plan_key(m->plan);
                {
                        unsigned steps = 0, problems;
                        struct json_object *r = j->result ? json_tokener_parse(j->result) : NULL, *v;
                        const LogField *f;

                        if (r && json_object_object_get_ex(r, "steps", &v))
                                steps = (unsigned) json_object_get_int(v);
                        json_object_put(r);
                        problems = m->plan ? (unsigned) m->plan->n_problems : 0;
                        f = LOG_FIELDS({ "MESSAGE_ID", DAXMGR_MESSAGE_RECONCILE_FINISHED },
                                       { "DAXMGR_JOB", j->id_string },
                                       { "DAXMGR_RESULT", error_name ? "failed" : "done" });
                        if (error_name)
                                log_struct(LOG_WARNING, f, "Reconcile finished: failed; %u problem(s) left.",
                                           problems);
                        else
                                log_struct(LOG_INFO, f,
                                           "Reconcile finished: %u step(s) done; %u problem(s) left.", steps,
                                           problems);
                        bus_emit_reconciled(m, steps, problems);
                }
                if (m->ready_pending)
                        manager_notify_ready(m);
        }
        bus_job_completed(m, j);
        manager_dispatch_queue(m);
}

/* A key event the worker reports (worker.c, event()), logged from here with the job's id. */
static void job_log_event(Job *j, struct json_object *l) {
        struct json_object *fields = NULL, *prio = NULL, *text = NULL;
        _cleanup_free_ LogField *f = NULL;
        int priority = LOG_INFO;
        size_t n = 0;

        if (!json_object_object_get_ex(l, "text", &text) || !json_object_is_type(text, json_type_string))
                return;
        if (json_object_object_get_ex(l, "priority", &prio) && json_object_is_type(prio, json_type_int))
                priority = json_object_get_int(prio);
        if (priority < LOG_EMERG || priority > LOG_DEBUG)
                priority = LOG_INFO;
        if (!json_object_object_get_ex(l, "fields", &fields) ||
            !json_object_is_type(fields, json_type_object))
                fields = NULL;
        f = calloc((fields ? (size_t) json_object_object_length(fields) : 0) + 2, sizeof(LogField));
        if (f) {
                f[n++] = (LogField){ "DAXMGR_JOB", j->id_string };
                if (fields) {
                        json_object_object_foreach(fields, key, val) {
                                if (json_object_is_type(val, json_type_string) &&
                                    strcmp(key, "DAXMGR_JOB") != 0)
                                        f[n++] = (LogField){ key, json_object_get_string(val) };
                        }
                }
        }
        /* Without memory for the fields, the message alone. */
        log_struct(priority, f, "%s", json_object_get_string(text));
}

static void job_handle_line(Job *j, const char *line) {
        struct json_object *o = json_tokener_parse(line), *v;

        if (!o) {
                log_struct(LOG_WARNING, LOG_FIELDS({ "DAXMGR_JOB", j->id_string }),
                           "Job %" PRIu32 ": the worker wrote a line that is not JSON: %.200s", j->id, line);
                return;
        }
        if (json_object_object_get_ex(o, "log", &v)) {
                job_log_event(j, v);
        } else if (json_object_object_get_ex(o, "progress", &v)) {
                j->progress = json_object_get_double(v);
                if (json_object_object_get_ex(o, "text", &v)) {
                        free(j->progress_text);
                        j->progress_text = strdup(json_object_get_string(v));
                        log_struct(LOG_INFO, LOG_FIELDS({ "DAXMGR_JOB", j->id_string }),
                                   "Job %" PRIu32 ": %s", j->id, j->progress_text);
                }
                bus_sync_objects(j->manager);
        } else if (json_object_object_get_ex(o, "ok", &v)) {
                j->got_final = true;
                if (json_object_get_boolean(v)) {
                        struct json_object *res = NULL;

                        json_object_object_get_ex(o, "result", &res);
                        free(j->result);
                        j->result = strdup(res ? json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN)
                                               : "{}");
                } else {
                        struct json_object *e = NULL, *msg = NULL;

                        json_object_object_get_ex(o, "errno", &e);
                        json_object_object_get_ex(o, "message", &msg);
                        free(j->error_name);
                        j->error_name = strdup(bus_error_name_for_errno(-json_object_get_int(e)));
                        free(j->message);
                        j->message = strdup(msg ? json_object_get_string(msg) : "the job failed");
                }
        }
        json_object_put(o);
}

static int on_job_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Job *j = userdata;
        char buf[4096];
        ssize_t n;

        n = read(fd, buf, sizeof(buf));
        if (n <= 0) {
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return 0;
                j->io_source = sd_event_source_disable_unref(j->io_source);
                return 0;
        }
        if (j->n_buf + (size_t) n > 1024 * 1024) {
                log_struct(LOG_WARNING, LOG_FIELDS({ "DAXMGR_JOB", j->id_string }),
                           "Job %" PRIu32 ": the worker's output is too long; dropping it", j->id);
                j->n_buf = 0;
        }
        {
                char *nb = realloc(j->buf, j->n_buf + (size_t) n + 1);

                if (!nb)
                        return 0;
                j->buf = nb;
        }
        memcpy(j->buf + j->n_buf, buf, (size_t) n);
        j->n_buf += (size_t) n;
        j->buf[j->n_buf] = 0;
        for (;;) {
                char *nl = memchr(j->buf, '\n', j->n_buf);
                size_t len;

                if (!nl)
                        break;
                *nl = 0;
                job_handle_line(j, j->buf);
                len = (size_t) (nl - j->buf) + 1;
                memmove(j->buf, nl + 1, j->n_buf - len);
                j->n_buf -= len;
                j->buf[j->n_buf] = 0;
        }
        return 0;
}

static int on_job_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Job *j = userdata;
        _cleanup_free_ char *msg = NULL;

        /* Drain what the worker wrote before it exited. */
        if (j->io_source)
                while (on_job_io(j->io_source, j->fd, EPOLLIN, j) == 0 && j->io_source) {
                        int avail = 0;

                        if (ioctl(j->fd, FIONREAD, &avail) < 0 || avail <= 0)
                                break;
                }
        j->child_source = sd_event_source_disable_unref(j->child_source);
        j->io_source = sd_event_source_disable_unref(j->io_source);
        j->pid = 0;

        if (j->got_final && !j->error_name)
                job_finish(j, NULL, NULL, j->result ?: "{}");
        else if (j->got_final) {
                _cleanup_free_ char *name = strdup(j->error_name),
                                    *text = j->message ? strdup(j->message) : NULL;

                job_finish(j, name, text, NULL);
        } else {
                if (si->si_code == CLD_EXITED)
                        msg = asprintf_safe("the worker of job %" PRIu32
                                            " exited with status %d without a result",
                                            j->id, si->si_status);
                else
                        msg = asprintf_safe("the worker of job %" PRIu32 " was killed by signal %s", j->id,
                                            strsignal(si->si_status));
                /* Not enough memory for the sentence: the words without the numbers. */
                job_finish(j, "org.daxmgr1.Error.Failed", msg ?: "the worker exited without a result", NULL);
        }
        return 0;
}

/* The request of @j for its worker, in a sealed memfd: its standard input. */
static int job_request_fd(Job *j) {
        Manager *m = j->manager;
        struct json_object *o = NULL;
        const char *s;
        size_t n;
        int fd, r;

        r = worker_request_to_json(j->type, j->target, j->args, m->config, m->state_dir, m->dropin_root,
                                   &m->hash_cache, &o);
        if (r < 0)
                return r;
        s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        if (!s) {
                json_object_put(o);
                return -ENOMEM;
        }
        fd = memfd_create("daxmgrd-job", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0) {
                json_object_put(o);
                return -errno;
        }
        n = strlen(s);
        for (size_t done = 0; done < n;) {
                ssize_t k = write(fd, s + done, n - done);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        r = -errno;
                        json_object_put(o);
                        (void) close(fd);
                        return r;
                }
                done += (size_t) k;
        }
        json_object_put(o);
        /* The worker reads it as it was written, whatever happens to the daemon. */
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0 ||
            lseek(fd, 0, SEEK_SET) < 0) {
                r = -errno;
                (void) close(fd);
                return r;
        }
        return fd;
}

static int job_start(Job *j) {
        Manager *m = j->manager;
        const char *worker = secure_getenv("DAXMGR_WORKER") ?: WORKER_PATH;
        int p[2], req;
        pid_t pid;

        req = job_request_fd(j);
        if (req < 0)
                return req;
        if (pipe2(p, O_CLOEXEC) < 0) {
                int r = -errno;

                (void) close(req);
                return r;
        }
        pid = fork();
        if (pid < 0) {
                int r = -errno;

                close(p[0]);
                close(p[1]);
                close(req);
                return r;
        }
        if (pid == 0) {
                sigset_t ss;

                /* The worker gets the request as its stdin and the report pipe as fd 3, and keeps
                 * the daemon's stdout and stderr (the journal); every other fd is closed by exec
                 * (O_CLOEXEC) or here. The daemon's signal mask and handlers are not the worker's
                 * (mkfs inherits them). */
                if (dup2(req, STDIN_FILENO) < 0 || dup2(p[1], 3) < 0)
                        _exit(127);
                (void) close_range(4, ~0U, 0);
                sigemptyset(&ss);
                sigprocmask(SIG_SETMASK, &ss, NULL);
                signal(SIGPIPE, SIG_DFL);
                (void) prctl(PR_SET_PDEATHSIG, SIGTERM);
                execl(worker, "daxmgrd-worker", (char *) NULL);
                fprintf(stderr, "<3>Cannot run the worker %s: %m\n", worker);
                _exit(127);
        }
        close(p[1]);
        close(req);
        j->pid = pid;
        j->fd = p[0];
        (void) fcntl(j->fd, F_SETFL, O_NONBLOCK);
        (void) sd_event_add_io(m->event, &j->io_source, j->fd, EPOLLIN, on_job_io, j);
        (void) sd_event_add_child(m->event, &j->child_source, pid, WEXITED, on_job_exit, j);
        j->state = JOB_RUNNING;
        m->running = j;
        log_struct(LOG_INFO, LOG_FIELDS({ "DAXMGR_JOB", j->id_string }),
                   "Job %" PRIu32 " (%s%s%s) started in worker %d.", j->id, job_type_to_string(j->type),
                   *j->target ? " " : "", j->target, (int) pid);
        manager_update_status(m);
        bus_sync_objects(m);
        return 0;
}

static void manager_dispatch_queue(Manager *m) {
        if (m->running)
                return;
        if (m->refresh_pending)
                manager_refresh(m);
        for (size_t i = 0; i < m->n_jobs && !m->running; i++) {
                Job *j = m->jobs[i];
                int r;

                if (j->state != JOB_QUEUED)
                        continue;
                r = job_start(j);
                if (r < 0) {
                        _cleanup_free_ char *msg = NULL;

                        msg = asprintf_safe("cannot start a worker for job %" PRIu32 ": %s", j->id,
                                            strerror(-r));
                        job_finish(j, "org.daxmgr1.Error.Failed", msg ?: strerror(-r), NULL);
                        return;
                }
        }
}

static int on_dispatch(sd_event_source *s, void *userdata) {
        manager_dispatch_queue(userdata);
        return 0;
}

int manager_queue_job(Manager *m, JobType type, const char *target, struct json_object *args, uid_t caller,
                      Job **ret) {
        Job *j, **nj;

        if (!args)
                return -ENOMEM;
        j = calloc(1, sizeof(*j));
        if (!j) {
                json_object_put(args);
                return -ENOMEM;
        }
        j->manager = m;
        j->fd = -1;
        j->id = m->next_job_id++;
        (void) snprintf(j->id_string, sizeof(j->id_string), "%" PRIu32, j->id);
        j->type = type;
        j->args = args;
        j->caller = caller;
        j->state = JOB_QUEUED;
        j->created_usec = now_realtime_usec();
        j->target = strdup(target ?: "");
        j->result = strdup("{}");
        if (!j->target || !j->result || asprintf(&j->path, "/org/daxmgr1/job/%" PRIu32, j->id) < 0) {
                job_free(j);
                return -ENOMEM;
        }
        nj = realloc(m->jobs, (m->n_jobs + 1) * sizeof(Job *));
        if (!nj) {
                job_free(j);
                return -ENOMEM;
        }
        m->jobs = nj;
        m->jobs[m->n_jobs++] = j;
        log_struct(LOG_INFO, LOG_FIELDS({ "DAXMGR_JOB", j->id_string }), "Job %" PRIu32 " queued: %s%s%s",
                   j->id, job_type_to_string(type), *j->target ? " " : "", j->target);
        bus_sync_objects(m);
        bus_job_new(m, j);
        /* Start it from the event loop, after the method's reply has gone out. */
        if (m->dispatch_source)
                (void) sd_event_source_set_enabled(m->dispatch_source, SD_EVENT_ONESHOT);
        else if (sd_event_add_defer(m->event, &m->dispatch_source, on_dispatch, m) >= 0)
                (void) sd_event_source_set_enabled(m->dispatch_source, SD_EVENT_ONESHOT);
        if (ret)
                *ret = j;
        return 0;
}
