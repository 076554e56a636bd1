/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Short-lived children that answer for the event loop (child-call.h). As the check child in
 * watch.c: pipe2() + fork(); the child resets the signal mask, dies with the daemon
 * (PR_SET_PDEATHSIG) and is named for ps; the loop reads the pipe (sd_event_add_io) and learns of
 * the end (sd_event_add_child), and a timer kills a child that takes too long. A killed child
 * still counts against CHILD_CALLS_MAX until it is reaped: one that hangs in the kernel (a lost
 * network mount) holds its place, so hung children cannot pile up. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "child-call.h"
#include "fileio.h"
#include "log.h"
#include "manager.h"
#include "worker.h"

#define CHILD_CALL_OUTPUT_MAX (16U * 1024 * 1024) /* more is not a document of ours: dropped */

struct ChildCall {
        Manager *manager;
        ChildCall *next;
        char *name;
        pid_t pid;
        int fd;
        char *buf;
        size_t n_buf;
        bool overflow;
        ChildCallDone done; /* NULL once called */
        void *userdata;
        sd_event_source *io_source, *child_source, *timer_source;
};

static void call_free(ChildCall *c) {
        Manager *m = c->manager;

        for (ChildCall **p = &m->child_calls; *p; p = &(*p)->next)
                if (*p == c) {
                        *p = c->next;
                        m->n_child_calls--;
                        break;
                }
        sd_event_source_disable_unref(c->io_source);
        sd_event_source_disable_unref(c->child_source);
        sd_event_source_disable_unref(c->timer_source);
        if (c->fd >= 0)
                (void) close(c->fd);
        free(c->buf);
        free(c->name);
        free(c);
}

/* Calls done once; what it was given is its own from then on. */
static void call_finish(ChildCall *c, struct json_object *result, int error, const char *detail) {
        ChildCallDone done = c->done;

        c->done = NULL;
        if (done)
                done(c->manager, result, error, detail, c->userdata);
}

int child_output_read(int fd, char **buf, size_t *n, size_t max, bool *overflow) {
        char chunk[4096];

        for (;;) {
                ssize_t k = read(fd, chunk, sizeof(chunk));
                char *nb;

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 && errno == EAGAIN)
                        return 0;
                if (k <= 0)
                        return 1;
                if (*overflow || *n + (size_t) k > max) {
                        *overflow = true;
                        continue;
                }
                nb = realloc(*buf, *n + (size_t) k + 1);
                if (!nb) {
                        *overflow = true;
                        continue;
                }
                *buf = nb;
                memcpy(nb + *n, chunk, (size_t) k);
                *n += (size_t) k;
                nb[*n] = '\0';
        }
}

static int on_call_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        ChildCall *c = userdata;

        if (child_output_read(fd, &c->buf, &c->n_buf, CHILD_CALL_OUTPUT_MAX, &c->overflow) > 0)
                c->io_source = sd_event_source_disable_unref(c->io_source);
        return 0;
}

static int on_call_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        ChildCall *c = userdata;
        struct json_object *o = NULL;
        char detail[64];

        if (c->io_source)
                (void) on_call_io(c->io_source, c->fd, EPOLLIN, c);
        if (si->si_code == CLD_EXITED)
                (void) snprintf(detail, sizeof(detail), "exit status %d", si->si_status);
        else
                (void) snprintf(detail, sizeof(detail), "killed by signal %d", si->si_status);
        if (si->si_code == CLD_EXITED && si->si_status == 0 && c->buf && !c->overflow)
                o = json_tokener_parse(c->buf);
        log_debug("%s[%d] ended (%s) with %zu byte(s)%s.", c->name, (int) c->pid, detail, c->n_buf,
                  c->done ? "" : ", already answered");
        c->pid = 0;
        if (o)
                call_finish(c, o, 0, NULL);
        else
                call_finish(c, NULL, -ECHILD, c->overflow ? "more output than a result can be" : detail);
        json_object_put(o);
        call_free(c);
        return 0;
}

static int on_call_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        ChildCall *c = userdata;

        log_warning("%s[%d] did not finish in time: killing it.", c->name, (int) c->pid);
        (void) kill(c->pid, SIGKILL);
        c->io_source = sd_event_source_disable_unref(c->io_source);
        c->timer_source = sd_event_source_disable_unref(c->timer_source);
        /* Answered now; the record stays (and counts) until the child is reaped. */
        call_finish(c, NULL, -ETIME, NULL);
        return 0;
}

_Noreturn static void call_child(Manager *m, int fd, ChildCallRun run, void *userdata) {
        struct json_object *o = run(m, userdata);
        const char *s = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : NULL;

        _exit(s && write_string_fd(fd, s) >= 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

int json_sealed_memfd(struct json_object *o, const char *name) {
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        size_t n;
        int fd, r;

        if (!s)
                return -ENOMEM;
        fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return -errno;
        n = strlen(s);
        for (size_t done = 0; done < n;) {
                ssize_t k = write(fd, s + done, n - done);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        r = -errno;
                        (void) close(fd);
                        return r;
                }
                done += (size_t) k;
        }
        /* The reader gets it as it was written, whatever happens to the daemon. */
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0 ||
            lseek(fd, 0, SEEK_SET) < 0) {
                r = -errno;
                (void) close(fd);
                return r;
        }
        return fd;
}

_Noreturn void worker_exec(int request_fd, int report_fd) {
        const char *worker = secure_getenv("DAXMGR_WORKER") ?: WORKER_PATH;
        sigset_t ss;

        /* The worker gets the request as its stdin and the report pipe as fd 3, and keeps the
         * daemon's stdout and stderr (the journal); every other fd is closed by exec (O_CLOEXEC)
         * or here. The daemon's signal mask and handlers are not the worker's (mkfs inherits
         * them). */
        if (dup2(request_fd, STDIN_FILENO) < 0)
                _exit(127);
        if (report_fd == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(report_fd, 3) < 0)
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

/* @run in a forked copy of the daemon, or (@run NULL) the worker exec'd with @request_fd. */
static int call_spawn(Manager *m, const char *name, uint64_t timeout_usec, ChildCallRun run, int request_fd,
                      ChildCallDone done, void *userdata) {
        ChildCall *c;
        uint64_t now;
        int p[2], r;
        pid_t pid;

        if (m->n_child_calls >= CHILD_CALLS_MAX)
                return -EBUSY;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->manager = m;
        c->fd = -1;
        c->name = strdup(name);
        if (!c->name) {
                free(c);
                return -ENOMEM;
        }
        c->next = m->child_calls;
        m->child_calls = c;
        m->n_child_calls++;

        if (pipe2(p, O_CLOEXEC) < 0) {
                r = -errno;
                call_free(c);
                return r;
        }
        pid = fork();
        if (pid < 0) {
                r = -errno;
                (void) close(p[0]);
                (void) close(p[1]);
                call_free(c);
                return r;
        }
        if (pid == 0) {
                sigset_t ss;

                (void) close(p[0]);
                if (!run)
                        worker_exec(request_fd, p[1]);
                sigemptyset(&ss);
                sigprocmask(SIG_SETMASK, &ss, NULL);
                (void) prctl(PR_SET_PDEATHSIG, SIGTERM);
                (void) prctl(PR_SET_NAME, name);
                call_child(m, p[1], run, userdata);
        }
        (void) close(p[1]);
        c->pid = pid;
        c->fd = p[0];
        (void) fcntl(c->fd, F_SETFL, O_NONBLOCK);
        r = sd_event_add_io(m->event, &c->io_source, c->fd, EPOLLIN, on_call_io, c);
        if (r >= 0)
                r = sd_event_add_child(m->event, &c->child_source, pid, WEXITED, on_call_exit, c);
        if (r >= 0)
                r = sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        if (r >= 0)
                r = sd_event_add_time(m->event, &c->timer_source, CLOCK_MONOTONIC, now + timeout_usec, 0,
                                      on_call_timeout, c);
        if (r < 0) {
                /* Not watched, not answered: the child goes, and the caller answers. */
                log_error("Cannot watch %s[%d]: %s", name, (int) pid, strerror(-r));
                (void) kill(pid, SIGKILL);
                call_free(c);
                (void) waitpid(pid, NULL, 0);
                return r;
        }
        c->done = done;
        c->userdata = userdata;
        log_debug("%s[%d] started.", name, (int) pid);
        return 0;
}

int child_call_start(Manager *m, const char *name, uint64_t timeout_usec, ChildCallRun run,
                     ChildCallDone done, void *userdata) {
        return call_spawn(m, name, timeout_usec, run, -1, done, userdata);
}

int child_call_exec(Manager *m, const char *name, uint64_t timeout_usec, struct json_object *request,
                    ChildCallDone done, void *userdata) {
        int fd, r;

        fd = json_sealed_memfd(request, name);
        if (fd < 0)
                return fd;
        r = call_spawn(m, name, timeout_usec, NULL, fd, done, userdata);
        (void) close(fd);
        return r;
}

void child_calls_done(Manager *m) {
        while (m->child_calls) {
                ChildCall *c = m->child_calls;

                if (c->pid > 0)
                        (void) kill(c->pid, SIGKILL);
                call_finish(c, NULL, -ECANCELED, NULL);
                call_free(c);
        }
}
