/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The worker: one job of daxmgrd, carried out in its own executable (daxmgrd-worker, exec'd by
 * the daemon for each job) so that libndctl's waits for udev, mkfs and large copies never block
 * the event loop, and so that the worker inherits nothing of the daemon but what it is given.
 *
 * The daemon writes one request (worker_request_to_json()) to the worker's standard input: the
 * job, the configuration in effect as the texts it was parsed from (Config.files/texts: the
 * files may have changed since, the job still runs with what the daemon loaded) with the
 * placements' programs as the daemon resolved them at load, the state and
 * drop-in directories and the daemon's cache of content hashes. The worker reports on fd 3, one
 * JSON object per line (worker.c). */

#include <errno.h>

#include "config.h"
#include "place.h"

struct json_object;

typedef enum JobType {
        JOB_RECONCILE,
        JOB_CREATE_NAMESPACE,
        JOB_DESTROY_NAMESPACE,
        JOB_FORMAT,
        JOB_MOUNT,
        JOB_UNMOUNT,
        JOB_CREATE_ZONE,
        JOB_REMOVE_ZONE,
        JOB_PLACE,
        JOB_UNPLACE,
        JOB_REFRESH,
        _JOB_TYPE_MAX,
        _JOB_TYPE_INVALID = -EINVAL,
} JobType;

const char *job_type_to_string(JobType t) _pure_;
JobType job_type_from_string(const char *s) _pure_;

/* What a worker is given. */
typedef struct WorkerJob {
        JobType type;
        char *target;             /* "" when the job has none */
        struct json_object *args; /* the job's arguments (bus.c) */
        Config *config;           /* the configuration in effect; NULL: none loaded */
        char *state_dir, *dropin_root;
        PlaceHashCache hash_cache;
} WorkerJob;

/* The request for a worker, as the daemon sends it. -ENOMEM, or 0 and *ret. */
int worker_request_to_json(JobType type, const char *target, struct json_object *args, const Config *config,
                           const char *state_dir, const char *dropin_root, const PlaceHashCache *hash_cache,
                           struct json_object **ret);
/* The request read back, in the worker. -EINVAL with a sentence when it is not one. */
int worker_request_from_json(struct json_object *o, WorkerJob *ret, char **ret_error);
void worker_job_done(WorkerJob *w);

/* The parts of a request that the calls (worker-call.c) share with the jobs: the configuration in
 * effect ("config" and "programs"; *ret NULL when the request has none) and the hash cache
 * ("hashes"), added to and read from the request @o. */
int worker_config_to_json(const Config *config, struct json_object *o);
int worker_hashes_to_json(const PlaceHashCache *hash_cache, struct json_object *o);
int worker_config_from_json(struct json_object *o, Config **ret, char **ret_error);
int worker_hashes_from_json(struct json_object *o, PlaceHashCache *cache);

/* Carries out @w, reporting on @fd; never returns (exit status 0 on success, 1 on failure). */
_Noreturn void worker_run(WorkerJob *w, int fd);

/* worker-call.c: a call of the daemon ({"call": "topology"}) answered on @fd; never returns. */
_Noreturn void worker_call_run(struct json_object *request, int fd);
/* A snapshot of the topology as JSON (topology_to_json()) with a fresh libndctl context; NULL and
 * a sentence when it cannot be taken. */
struct json_object *worker_topology_json(char **ret_error);

/* The worker's executable; $DAXMGR_WORKER overrides it (tests from a build tree). */
#define WORKER_PATH LIBEXECDIR "/daxmgrd-worker"
