/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The job queue: jobs queued by the bus methods and the reconcile, run one at a time by the
 * exec'd worker (worker.h), their progress lines and result read from its fd 3, and each kept on
 * the bus a minute after it ends. The refresh and the topology are manager.c's. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "bus-error.h"
#include "child-call.h"
#include "error.h"
#include "log.h"
#include "manager.h"
#include "messages.h"
#include "reconcile-run.h"
#include "string-table.h"

#define JOB_LINGER_USEC (60 * 1000000U) /* finished jobs stay on the bus this long */

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

Job *job_free(Job *j) {
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
        topology_free(j->topology);
        free(j);
        return NULL;
}

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

        if (error_name)
                m->n_jobs_failed++;
        else
                m->n_jobs_done++;
        if (j->type == JOB_RECONCILE) {
                m->last_reconcile_usec = j->finished_usec;
                m->last_reconcile_duration_usec = j->started_usec > 0 && j->finished_usec > j->started_usec
                                                          ? j->finished_usec - j->started_usec
                                                          : 0;
                if (!error_name)
                        m->last_reconcile_success_usec = j->finished_usec;
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
        if (j->topology)
                manager_refresh_internal(m, TAKE_PTR(j->topology), true);
        else {
                /* The worker did not say (it died): the plan now, the snapshot when it is in. */
                manager_replan(m);
                manager_refresh(m);
        }
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
        }
        bus_job_completed(m, j);
        manager_dispatch_queue(m);
        manager_check_ready(m);
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
        } else if (json_object_object_get_ex(o, "topology", &v)) {
                _cleanup_free_ char *error = NULL;
                Topology *t = NULL;
                int r;

                r = topology_from_json(v, &t, &error);
                if (r < 0)
                        log_struct(LOG_WARNING, LOG_FIELDS({ "DAXMGR_JOB", j->id_string }),
                                   "Job %" PRIu32 ": cannot use the worker's topology: %s", j->id,
                                   error_message(error, r));
                else {
                        topology_free(j->topology);
                        j->topology = t;
                }
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
        int fd, r;

        r = worker_request_to_json(j->type, j->target, j->args, m->config, m->state_dir, m->dropin_root,
                                   &m->hash_cache, &o);
        if (r < 0)
                return r;
        fd = json_sealed_memfd(o, "daxmgrd-job");
        json_object_put(o);
        return fd;
}

static int job_start(Job *j) {
        Manager *m = j->manager;
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
        if (pid == 0)
                worker_exec(req, p[1]);
        close(p[1]);
        close(req);
        j->pid = pid;
        j->fd = p[0];
        (void) fcntl(j->fd, F_SETFL, O_NONBLOCK);
        (void) sd_event_add_io(m->event, &j->io_source, j->fd, EPOLLIN, on_job_io, j);
        (void) sd_event_add_child(m->event, &j->child_source, pid, WEXITED, on_job_exit, j);
        j->state = JOB_RUNNING;
        j->started_usec = now_realtime_usec();
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
