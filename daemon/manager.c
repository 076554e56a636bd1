/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The daemon's state and its event loop's sources: the configuration and its reload, the
 * topology from the worker and the refresh, udev, SIGHUP, and when to reconcile. Jobs are in
 * job.c. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libudev.h>
#include <systemd/sd-daemon.h>

#include "child-call.h"
#include "error.h"
#include "strv.h"
#include "log.h"
#include "manager.h"
#include "reconcile-run.h"

#define REFRESH_DELAY_USEC (300 * 1000) /* udev events come in bursts: one refresh per burst */

static void staleness_free(Manager *m);

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
        sd_event_source_disable_unref(m->metrics_timer);
        watch_done(m);
        strv_free(m->config_programs);
        udev_monitor_unref(m->monitor);
        udev_unref(m->udev);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
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
        /* A textfile no longer configured would go on reporting what it last held: removed. */
        if (m->config && m->config->metrics.textfile_path &&
            (!c->metrics.textfile_path ||
             strcmp(c->metrics.textfile_path, m->config->metrics.textfile_path) != 0) &&
            unlink(m->config->metrics.textfile_path) < 0 && errno != ENOENT)
                log_warning("Cannot remove the metrics file %s: %s", m->config->metrics.textfile_path,
                            strerror(errno));
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

char *plan_key(const ReconcilePlan *p) {
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
                .closure_why = watch_closure_why,
                .userdata = m,
        };
        return &how;
}

/* @fresh: a snapshot was just taken (@t NULL: it could not be), and the memory platform is read
 * again with it; @t is taken. */
void manager_refresh_internal(Manager *m, Topology *t, bool fresh) {
        _cleanup_free_ char *error = NULL, *key = NULL;
        PlaceState *s = NULL;
        ReconcilePlan *p = NULL;
        int r;

        m->refresh_pending = false;
        /* Asked to reconcile (start, reload, a call): the mode changes the kernel refused in
         * this boot are tried again; a refresh on an event does not retry them. */
        if (m->reconcile_wanted && reconcile_clear_mode_refusals(m->state_dir) > 0)
                log_info("Trying again the memory mode changes the kernel refused before.");
        if (!fresh)
                goto state;
        m->refresh_topology = false;
        if (t) {
                topology_free(m->topology);
                m->topology = t;
                m->topology_gen++;
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
                r = reconcile_compute(m->config ?: &(Config){}, m->topology, m->state, m->state_dir,
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
        manager_check_ready(m);
}

#define TOPOLOGY_CALL_TIMEOUT_USEC (120 * 1000000ULL) /* libndctl may wait for udev; not this long */

static int on_systemd_reloaded(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (e)
                log_warning("systemd did not reload its units: %s", e->message ?: e->name);
        return 0;
}

/* The first snapshot is in (or could not be taken): the bus, the plan, and READY=1. */
static void manager_started(Manager *m, Topology *t) {
        int r;

        r = bus_setup(m);
        if (r < 0) {
                topology_free(t);
                (void) sd_notifyf(false, "STATUS=Failed to start: %s\nERRNO=%d", strerror(-r), -r);
                (void) sd_event_exit(m->event, r);
                return;
        }
        if (m->reload_systemd) {
                /* The migrated drop-ins: daxmgr-generator writes them at this reload. */
                m->reload_systemd = false;
                r = sd_bus_call_method_async(m->bus, NULL, "org.freedesktop.systemd1",
                                             "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                             "Reload", on_systemd_reloaded, m, "");
                if (r < 0)
                        log_warning("systemd did not reload its units: %s", strerror(-r));
        }
        /* READY=1 once the reconcile this plan asks for is done (manager_check_ready()). */
        manager_refresh_internal(m, t, true);
}

static void on_topology(Manager *m, struct json_object *result, int error, const char *detail,
                        void *userdata) {
        _cleanup_free_ char *e = NULL;
        struct json_object *v, *msg;
        Topology *t = NULL;
        int r;

        m->topology_call = false;
        if (error == -ECANCELED)
                return; /* the daemon is stopping */
        if (!result)
                log_error("Cannot read the pmem topology: the worker %s.",
                          error == -ETIME ? "did not answer in time" : detail ?: strerror(-error));
        else if (json_object_object_get_ex(result, "topology", &v)) {
                r = topology_from_json(v, &t, &e);
                if (r < 0)
                        log_error("Cannot read the pmem topology: %s", error_message(e, r));
        } else
                log_error("Cannot read the pmem topology: %s",
                          json_object_object_get_ex(result, "message", &msg) ? json_object_get_string(msg)
                                                                             : "the worker did not say why");
        if (!m->started) {
                manager_started(m, t);
                /* A region that appeared while the first snapshot was taken (at boot, as the nd
                 * drivers probe) is only in the next one. */
                if (m->topology_again) {
                        m->topology_again = false;
                        manager_refresh(m);
                }
                return;
        }
        if (m->topology_again) {
                /* Events came while this snapshot was taken: another one is wanted. This one is
                 * still newer than the plan in effect, so plan on it now rather than drop it: a
                 * hot-added region's reconcile then starts one snapshot sooner (a snapshot is a
                 * worker's exec, and takes seconds under TCG; the uevents of one NVDIMM come over
                 * 2 s). Nothing acts on it unchecked: a reconcile job plans each step again on
                 * its own snapshot, and a job's end refreshes with the topology it left, which
                 * then covers those events too. */
                m->topology_again = false;
                if (m->running || m->topology_gen != m->topology_call_gen)
                        topology_free(t);
                else
                        manager_refresh_internal(m, t, true);
                if (!m->running)
                        manager_refresh(m);
                return;
        }
        if (m->running || m->topology_gen != m->topology_call_gen) {
                /* A job is changing things, or one brought a newer snapshot: its end refreshes. */
                topology_free(t);
                manager_check_ready(m); /* a job that ended meanwhile found this call running */
                return;
        }
        manager_refresh_internal(m, t, true);
}

void manager_refresh(Manager *m) {
        struct json_object *req;
        int r;

        if (m->topology_call) {
                m->topology_again = true;
                return;
        }
        req = json_object_new_object();
        r = req ? 0 : -ENOMEM;
        if (r >= 0 && (json_object_object_add(req, "call", json_object_new_string("topology")) < 0 ||
                       json_object_object_add(req, "log_level", json_object_new_int(log_max_priority)) < 0))
                r = -ENOMEM;
        if (r >= 0)
                r = child_call_exec(m, "daxmgrd-topology", TOPOLOGY_CALL_TIMEOUT_USEC, req, on_topology,
                                    NULL);
        json_object_put(req);
        if (r >= 0) {
                m->topology_call = true;
                m->topology_call_gen = m->topology_gen;
                return;
        }
        if (r == -EBUSY && m->started) {
                /* Every child is busy answering calls: soon. */
                m->refresh_topology = true;
                manager_schedule_refresh(m);
                return;
        }
        log_error("Cannot read the pmem topology: cannot start the worker: %s", strerror(-r));
        if (!m->started)
                manager_started(m, NULL);
        else
                manager_refresh_internal(m, NULL, true);
}

void manager_replan(Manager *m) {
        manager_refresh_internal(m, NULL, false);
}

static int on_refresh_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        if (m->running) {
                /* The worker is changing things; one refresh when it is done. */
                m->refresh_pending = true;
                return 0;
        }
        /* A change of a placed file alone needs no new topology snapshot. */
        if (m->refresh_topology || !m->topology)
                manager_refresh(m);
        else
                manager_replan(m);
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

/* Longest wait before READY=1, at the start or after a reload: below systemd's default start
 * timeout (90 s), which also bounds a reload. */
#define READY_WAIT_USEC (60ULL * 1000000ULL)
/* At the start, how long READY=1 also waits for a region the configuration waits for (a
 * Problem of kind "waiting") while some service has a drop-in: at boot the nd drivers may
 * probe a region after the daemon took its first snapshot. A region that stays away then
 * delays the placed services by this much; they start on their originals. */
#define READY_DEVICE_WAIT_USEC (20ULL * 1000000ULL)

static void manager_notify_ready(Manager *m) {
        m->ready_pending = false;
        m->ready_wait_devices = false;
        m->ready_source = sd_event_source_disable_unref(m->ready_source);
        (void) sd_notify(false, "READY=1");
}

/* Does the plan wait for a region, with a service whose drop-in a zone there could serve? */
static bool manager_waits_for_devices(Manager *m) {
        bool activated = false;

        for (size_t i = 0; m->state && i < m->state->n_placements && !activated; i++)
                activated = m->state->placements[i].dropin_unit != NULL;
        if (!activated || !m->plan)
                return false;
        for (size_t i = 0; i < m->plan->n_problems; i++)
                if (m->plan->problems[i].kind == RECONCILE_WAITING)
                        return true;
        return false;
}

void manager_check_ready(Manager *m) {
        int enabled = SD_EVENT_OFF;

        if (!m->ready_pending || !m->started)
                return;
        /* A snapshot being taken or due (udev events coalesce for REFRESH_DELAY_USEC), a
         * reconcile queued or running: what they bring is part of the start or reload. */
        if (m->topology_call || m->topology_again || m->refresh_pending)
                return;
        if (m->refresh_source)
                (void) sd_event_source_get_enabled(m->refresh_source, &enabled);
        if (enabled != SD_EVENT_OFF)
                return;
        if (manager_has_queued_reconcile(m) || (m->running && m->running->type == JOB_RECONCILE))
                return;
        if (m->ready_wait_devices && manager_waits_for_devices(m))
                return;
        manager_notify_ready(m);
}

static int on_ready_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        if (usec < m->ready_deadline_usec) {
                /* The grace for regions is over: ready once the reconcile is done. */
                m->ready_wait_devices = false;
                manager_check_ready(m);
                if (m->ready_pending)
                        (void) sd_event_source_set_time(s, m->ready_deadline_usec);
                return 0;
        }
        log_warning("The reconcile is still running after %u s: telling systemd the daemon is ready now.",
                    (unsigned) (READY_WAIT_USEC / 1000000ULL));
        manager_notify_ready(m);
        return 0;
}

/* READY=1 once the reconcile of what is loaded now is done (manager_check_ready(), called at the
 * end of every refresh and job): at the start (@start: and the regions the configuration waits
 * for have appeared, or READY_DEVICE_WAIT_USEC passed), and after a reload, so that with
 * Type=notify-reload "systemctl reload" returns once the configuration is in force. */
static void manager_ready_after_reconcile(Manager *m, bool start) {
        uint64_t now;

        m->ready_pending = true;
        m->ready_wait_devices = start;
        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        m->ready_deadline_usec = now + READY_WAIT_USEC;
        m->ready_source = sd_event_source_disable_unref(m->ready_source);
        (void) sd_event_add_time(m->event, &m->ready_source, CLOCK_MONOTONIC,
                                 start ? now + READY_DEVICE_WAIT_USEC : m->ready_deadline_usec, 0,
                                 on_ready_timer, m);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        struct timespec ts;

        log_info("SIGHUP: reloading the configuration.");
        if (!m->started) {
                /* Not ready yet: the first refresh plans with what is loaded now. */
                (void) manager_reload(m, NULL);
                return 0;
        }
        if (!m->ready_pending) {
                /* MONOTONIC_USEC: what Type=notify-reload (systemd >= 253) wants with
                 * RELOADING=1. (Before the first READY=1 there is nothing to reload.) */
                (void) clock_gettime(CLOCK_MONOTONIC, &ts);
                (void) sd_notifyf(false, "RELOADING=1\nMONOTONIC_USEC=%llu",
                                  (unsigned long long) ts.tv_sec * 1000000ULL +
                                          (unsigned long long) ts.tv_nsec / 1000);
        }
        (void) manager_reload(m, NULL);
        m->reconcile_wanted = true;
        /* The plan on the topology as the daemon knows it (udev keeps it current); a new
         * snapshot follows. */
        manager_ready_after_reconcile(m, false);
        manager_replan(m);
        manager_refresh(m);
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
        /* systemd reloads once the daemon is on the bus (manager_started()): not a call that
         * blocks the event loop before it runs. */
        m->reload_systemd = removed != NULL;
}

int manager_start(Manager *m) {
        sigset_t ss;
        int r;

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

        /* The initial enumeration: everything there is now, then reconcile it; and a check of
         * every placed original (it may have changed while the daemon was not running). The bus
         * name is taken once the worker's first snapshot is in (manager_started()): a client never
         * sees the daemon without its topology. READY=1 waits for the reconcile that snapshot
         * asks for (manager_check_ready()): units ordered after daxmgrd.service, the placed
         * services (their drop-ins), then find their zones mounted. */
        m->reconcile_wanted = true;
        m->check_wanted = true;
        manager_ready_after_reconcile(m, true);
        manager_refresh(m);
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
