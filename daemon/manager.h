/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* daxmgrd's state: the event loop, the bus, the udev monitor, the configuration in effect, the
 * last topology and placement state, the plan, and the job queue. One Manager per process. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "context.h"
#include "memory.h"
#include "place.h"
#include "reconcile.h"
#include "reconcile-run.h"
#include "topology.h"
#include "worker.h"

struct json_object;
struct udev;
struct udev_monitor;

typedef enum JobState {
        JOB_QUEUED,
        JOB_RUNNING,
        JOB_DONE,
        JOB_FAILED,
        _JOB_STATE_MAX,
        _JOB_STATE_INVALID = -EINVAL,
} JobState;

const char *job_state_to_string(JobState s) _pure_;

typedef struct Manager Manager;

/* watch.c: an inotify watch, on a directory for some of its names, or on a file itself */
typedef struct Watch {
        int wd;
        char *path;
        char **names; /* the names in this directory that matter */
        bool self;    /* the inode itself matters (a placed file) */
} Watch;

/* The check child's findings. */
typedef struct ClosureChange {
        char *zone, *program, *why;
} ClosureChange;

/* A copy's inode as seen once: after a refresh replaced it, processes that still map it are found
 * by (dev, ino) whatever path their maps show (a BindReadOnlyPaths= mount of a deleted file). */
typedef struct CopyInode {
        uint64_t dev, ino;
        char *zone, *program;
} CopyInode;

#define COPY_INODES_MAX 4096U

typedef struct RestartNeeded {
        char *zone, *program; /* the placement whose superseded copy it runs */
        pid_t pid;
        char *unit; /* "-" outside any service or scope */
        char *comm;
} RestartNeeded;

#define WATCH_MAX          4096U             /* inotify watches the daemon sets up at most */
#define POLL_INTERVAL_USEC (10 * 1000000ULL) /* how often what cannot be watched is polled */

typedef struct Job {
        Manager *manager;
        uint32_t id;
        char id_string[sizeof("4294967295")]; /* DAXMGR_JOB= of its lines in the journal */
        char *path;
        JobType type;
        char *target;
        struct json_object *args; /* what the worker needs */
        JobState state;
        double progress;
        char *progress_text;
        char *error_name;
        char *message;
        char *result; /* JSON */
        uid_t caller;
        uint64_t created_usec, started_usec, finished_usec;

        pid_t pid;
        int fd;
        char *buf;
        size_t n_buf;
        bool got_final;
        Topology *topology; /* the topology as the job left it, from its worker */
        sd_event_source *io_source, *child_source, *expire_source;
} Job;

/* A bus object with its properties as JSON: the getters read it, and a rebuild compares the
 * old and new JSON to send PropertiesChanged, InterfacesAdded and InterfacesRemoved. */
typedef enum BusObjectKind {
        BUS_OBJECT_MANAGER,
        BUS_OBJECT_REGION,
        BUS_OBJECT_NAMESPACE,
        BUS_OBJECT_ZONE,
        BUS_OBJECT_PLACEMENT,
        BUS_OBJECT_JOB,
        _BUS_OBJECT_KIND_MAX,
} BusObjectKind;

typedef struct BusObject {
        char *path;
        BusObjectKind kind;
        struct json_object *props;
} BusObject;

struct Manager {
        sd_event *event;
        sd_bus *bus;
        struct udev *udev;
        struct udev_monitor *monitor;
        sd_event_source *monitor_source, *refresh_source, *sighup_source, *dispatch_source;
        /* READY=1 waits for the reconcile a start or a reload asks for (so that, with
         * Type=notify-reload, "systemctl reload" returns once the configuration is in force,
         * and services ordered after daxmgrd.service find their zones mounted): until
         * manager_check_ready() finds nothing left to do, at the start also no region waited for
         * (@ready_wait_devices, for READY_DEVICE_WAIT_USEC), at most until
         * @ready_deadline_usec (ready_source). */
        bool ready_pending, ready_wait_devices;
        bool reload_systemd; /* drop-ins migrated from /etc: systemd reloads once on the bus */
        uint64_t ready_deadline_usec;
        sd_event_source *ready_source;

        char *config_root; /* "" for the system */
        char *state_dir;
        char *dropin_root;

        Config *config;
        char *config_error;
        char **config_warnings;

        Topology *topology;         /* from the worker (worker-call.c, or a job's last report) */
        uint64_t topology_gen;      /* bumped whenever it is replaced */
        uint64_t topology_call_gen; /* topology_gen when the snapshot in flight was asked for */
        bool topology_call;         /* a snapshot is being taken by a worker */
        bool topology_again;        /* ... and another is wanted once it is in */
        MemoryPlatform *memory;     /* auto-online policy, memory tiers, every dax device (lib/memory.h) */
        PlaceState *state;
        bool *placement_stale; /* per state->placements[], computed once per refresh (it may
                                * hash a changed source: never on each bus update) */
        char **placement_stale_why;
        size_t n_placement_stale;
        /* watch.c */
        int inotify_fd;
        sd_event_source *inotify_source, *poll_source;
        Watch *watches;
        size_t n_watches;
        char **polled;          /* paths polled instead of watched */
        char *watch_key;        /* what the watches were set up for */
        char **config_programs; /* the configured programs as written (symbolic links) */
        PlaceHashCache hash_cache;
        ClosureChange *closures;
        size_t n_closures;
        RestartNeeded *restart;
        size_t n_restart;
        CopyInode *copy_inodes; /* a ring of COPY_INODES_MAX */
        size_t n_copy_inodes, next_copy_inode;
        pid_t check_pid;
        int check_fd;
        sd_event_source *check_io_source, *check_child_source, *check_timer;
        char *check_buf;
        size_t n_check_buf;
        bool check_wanted, check_done_refresh, stale_unknown;
        uint64_t check_ended_usec;

        ReconcilePlan *plan;
        char *plan_error;    /* the plan could not be computed */
        char *last_plan_key; /* the plan JSON after the last reconcile: a plan that is still
                              * the same is not retried until something changes */
        bool started;
        bool refresh_pending;
        bool refresh_topology; /* the scheduled refresh takes a topology snapshot (udev) */
        bool reconcile_wanted; /* reconcile once the topology is fresh */

        Job **jobs;
        size_t n_jobs;
        uint32_t next_job_id;
        Job *running;

        uint64_t last_reconcile_usec;
        char *last_reconcile_result;
        uint64_t last_reconcile_duration_usec; /* how long the last reconcile's worker ran */
        uint64_t last_reconcile_success_usec;  /* CLOCK_REALTIME end of the last that succeeded */
        uint64_t n_jobs_done, n_jobs_failed;   /* finished since the start, for the metrics */

        /* metrics.c: the textfile of [Metrics] TextfilePath=, written by one child at a time */
        bool metrics_writing, metrics_wanted, metrics_failed;
        sd_event_source *metrics_timer; /* the next write: at most one a second, at least one a minute */
        uint64_t metrics_started_usec;  /* CLOCK_MONOTONIC start of the last write */

        BusObject *objects;
        size_t n_objects;
        bool objects_dirty;           /* the state changed since the objects were built */
        sd_event_source *sync_source; /* rebuilds them once per event-loop iteration */
        uint64_t n_sync_requests, n_syncs, n_sync_signals; /* logged with DAXMGR_DEBUG */

        struct PolkitQuery *polkit_queries;
        struct ChildCall *child_calls; /* child-call.c: short-lived children answering calls */
        unsigned n_child_calls;
};

int manager_new(Manager **ret);
Manager *manager_free(Manager *m);
static inline void manager_freep(Manager **m) {
        manager_free(*m);
}

int manager_start(Manager *m);
/* Reads the configuration again; keeps the old one when the new one has errors. */
int manager_reload(Manager *m, char **ret_error);
/* Asks a worker for a topology snapshot (child_call_exec(): the daemon does not load libndctl);
 * when it is in, reloads the placement state, recomputes the plan and updates the bus objects,
 * and queues a reconcile when it is wanted or when a udev event brought something new to do. The
 * first one, at the start, sets up the bus; READY=1 follows the reconcile it queues
 * (manager_check_ready()). */
void manager_refresh(Manager *m);
/* The same now, without a new topology snapshot: the placement state, staleness and plan only (a
 * placed file changed, the configuration was reloaded). */
void manager_replan(Manager *m);
/* After a udev event: refresh soon (events come in bursts; one refresh per burst). */
void manager_schedule_refresh(Manager *m);
void manager_update_status(Manager *m);
/* How the daemon's plans decide staleness: stat() and the hash cache, never a read of a file. A
 * refresh adds its own placement_check() results (checked once); GetPlan's child checks anew. */
const ReconcileStaleness *manager_staleness(Manager *m);

/* Queues a job; *ret (optional) borrows it. Takes @args. */
int manager_queue_job(Manager *m, JobType type, const char *target, struct json_object *args, uid_t caller,
                      Job **ret);
Job *manager_find_job_by_path(Manager *m, const char *path);
bool manager_has_queued_reconcile(Manager *m);

/* Between manager.c and job.c: a job's end refreshes with the topology the worker sent
 * (manager_refresh_internal(), @fresh: a new snapshot, not the one held), and compares the plan
 * it left by its key; the manager frees what jobs remain. */
void manager_refresh_internal(Manager *m, Topology *t, bool fresh);
/* READY=1 when the start or reload waits for it and nothing is left to wait for: no snapshot
 * taken or due, no reconcile queued or running (at the start, no region the plan waits for,
 * for a while). Called after every refresh and at the end of every job. */
void manager_check_ready(Manager *m);
char *plan_key(const ReconcilePlan *p);
Job *job_free(Job *j);

/* watch.c */
void watch_sync(Manager *m);
void watch_schedule_poll(Manager *m);
void watch_request_check(Manager *m);
void watch_closure_why(void *userdata, const char *zone, const char *program, const char **ret_why);
void watch_done(Manager *m);

/* metrics.c: the facts of lib/metrics.h's metrics_render_facts(), and the text (in a child: they
 * read /proc/PID/pagemap and probe mounts); the state changed, so the textfile of [Metrics]
 * TextfilePath= is written again (by a child, soon). */
struct json_object *metrics_facts(Manager *m);
int metrics_text(Manager *m, char **ret);
void metrics_textfile_changed(Manager *m);

/* bus.c */
int bus_setup(Manager *m);
/* The vtables, node enumerators and object manager of org.daxmgr1 on m->bus, without the
 * well-known name or the event loop (bus_setup() does both; the unit test serves a socket pair). */
int bus_register_objects(Manager *m);
/* The state changed: the objects are rebuilt, and their change signals sent, once, from a
 * deferred event source before the next bus message is read (at once if no event loop serves
 * the bus). */
void bus_sync_objects(Manager *m);
/* Rebuilds the objects now if the state changed, sending the change signals. */
void bus_flush_objects(Manager *m);
void bus_job_completed(Manager *m, Job *j);
void bus_job_new(Manager *m, Job *j);
void bus_emit_reconciled(Manager *m, unsigned steps, unsigned problems);
int bus_error_set_errno(sd_bus_error *e, int r, const char *message);
