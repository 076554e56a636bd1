/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Following the originals of placed files (issue: a placed program never runs superseded code).
 *
 * Watches: one inotify fd on the event loop. For every placed file (and the name a library is
 * opened by), each directory on its path is watched for that one name (created, deleted,
 * renamed, attributes, written), and the file's own inode for writes, attributes and deletion
 * through any other name. Programs placed with their libraries add /etc for ld.so.cache. An
 * event that concerns a placed name only schedules a refresh (coalesced, 300 ms): the refresh
 * stat()s the originals, and a changed identity whose content is not hashed yet starts the check
 * child. Nothing on the event loop reads a whole file.
 *
 * The check child (the worker exec'd with a "check" call, worker-call.c, named "daxmgrd-check":
 * libelf is the worker's) hashes the originals whose identity changed (once per identity: the
 * results go into the manager's cache), reads the library closures again, and lists the
 * processes that still run a superseded copy (a copy replaced by a refresh, or a stale one):
 * /proc/PID/maps, and the unit from /proc/PID/cgroup. Its request carries the state directory,
 * the hash cache and the copies' inodes; its results come back as JSON lines on a pipe.
 *
 * A path that cannot be watched (WATCH_MAX reached, inotify's own limit, a network or FUSE file
 * system whose changes inotify does not see) is polled every POLL_INTERVAL_USEC instead, and the
 * journal and Manager.PolledPaths say so. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "error.h"
#include "fileio.h"
#include "child-call.h"
#include "log.h"
#include "manager.h"
#include "strv.h"
#include "worker.h"

#define DIR_MASK                                                                                            \
        (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_CLOSE_WRITE | IN_MODIFY |     \
         IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define FILE_MASK (IN_ATTRIB | IN_MODIFY | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF)

#define CHECK_MIN_INTERVAL_USEC (500 * 1000)   /* checks start at most twice a second */
#define RESTART_RESCAN_USEC     (30 * 1000000) /* while processes run superseded copies */

/* File systems on which changes made elsewhere (another host, a FUSE daemon) raise no inotify
 * event: what is placed from there is polled. */
static const struct {
        uint32_t magic;
        const char *name;
} fs_without_events[] = {
        { 0x6969, "nfs" },      { 0x517b, "smb" },      { 0xfe534d42, "smb2" }, { 0xff534d42, "cifs" },
        { 0x65735546, "fuse" }, { 0x01021997, "9p" },   { 0x00c36400, "ceph" }, { 0x5346414f, "afs" },
        { 0x73757245, "coda" }, { 0x01161970, "gfs2" },
};

/* The name of a file system type on which inotify does not see every change, or NULL. */
static const char *fs_unwatchable(const char *path) {
        struct statfs sf;

        if (statfs(path, &sf) < 0)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(fs_without_events); i++)
                if ((uint32_t) sf.f_type == fs_without_events[i].magic)
                        return fs_without_events[i].name;
        return NULL;
}

static void watches_clear(Manager *m) {
        for (size_t i = 0; i < m->n_watches; i++) {
                free(m->watches[i].path);
                strv_free(m->watches[i].names);
        }
        m->watches = mfree(m->watches);
        m->n_watches = 0;
        strv_free(m->polled);
        m->polled = NULL;
        m->inotify_source = sd_event_source_disable_unref(m->inotify_source);
        if (m->inotify_fd >= 0)
                (void) close(m->inotify_fd);
        m->inotify_fd = -1;
}

/* Polls @path instead, once, saying why. */
static void watch_poll(Manager *m, const char *path, const char *why) {
        if (strv_contains(m->polled, path))
                return;
        log_warning("Cannot watch %s (%s): polling it every %u s instead.", path, why,
                    (unsigned) (POLL_INTERVAL_USEC / 1000000));
        (void) strv_extend(&m->polled, path);
}

/* Adds @name (NULL: the inode itself) under the watch of @path. */
static int watch_add(Manager *m, const char *path, const char *name, uint32_t mask, const char *for_path) {
        Watch *w = NULL, *nw;
        const char *fs;
        int wd;

        if (!name && (fs = fs_unwatchable(path))) {
                char why[64];

                (void) snprintf(why, sizeof(why), "on %s, inotify does not see every change", fs);
                watch_poll(m, for_path, why);
                return 0;
        }
        if (m->n_watches >= WATCH_MAX) {
                watch_poll(m, for_path, "the daemon's limit of watches is reached");
                return 0;
        }
        wd = inotify_add_watch(m->inotify_fd, path, mask | IN_MASK_ADD);
        if (wd < 0) {
                char why[160];

                if (errno == ENOENT || errno == ENOTDIR)
                        return 0; /* not there (yet): its parent's watch sees it come */
                (void) snprintf(why, sizeof(why), "%s%s", strerror(errno),
                                errno == ENOSPC ? "; fs.inotify.max_user_watches is reached" : "");
                watch_poll(m, for_path, why);
                return 0;
        }
        for (size_t i = 0; i < m->n_watches; i++)
                if (m->watches[i].wd == wd)
                        w = &m->watches[i];
        if (!w) {
                nw = realloc(m->watches, (m->n_watches + 1) * sizeof(*nw));
                if (!nw)
                        return -ENOMEM;
                m->watches = nw;
                w = &nw[m->n_watches++];
                *w = (Watch){ .wd = wd, .path = strdup(path) };
                if (!w->path)
                        return -ENOMEM;
        }
        if (!name)
                w->self = true;
        else if (!strv_contains(w->names, name))
                return strv_extend(&w->names, name);
        return 0;
}

/* Every directory on @path for its next component, and the file itself. */
static int watch_path(Manager *m, const char *path) {
        _cleanup_free_ char *dir = strdup(path);
        int r;

        if (!dir)
                return -ENOMEM;
        if (fs_unwatchable(path)) {
                r = watch_add(m, path, NULL, FILE_MASK, path); /* says so */
                return r;
        }
        for (char *slash = dir; (slash = strchr(slash, '/'));) {
                char *next = strchr(slash + 1, '/'), saved;

                if (slash[1] == '\0')
                        break;
                /* dir up to @slash, the component after it */
                saved = *slash;
                *slash = '\0';
                if (next)
                        *next = '\0';
                r = watch_add(m, slash == dir ? "/" : dir, slash + 1, DIR_MASK, path);
                *slash = saved;
                if (next)
                        *next = '/';
                if (r < 0)
                        return r;
                if (!next)
                        break;
                slash = next;
        }
        return watch_add(m, path, NULL, FILE_MASK, path);
}

/* What is watched: "PATH INODE" of each placed original, so that a refresh that recorded a new
 * inode renews the watch on it. */
static char *watch_key(Manager *m) {
        _cleanup_free_ char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);

        if (!f)
                return NULL;
        for (size_t i = 0; m->state && i < m->state->n_placements; i++)
                fprintf(f, "%s %" PRIu64 "\n", m->state->placements[i].source, m->state->placements[i].ino);
        for (size_t i = 0; m->config && i < m->config->n_placements; i++)
                fprintf(f, "%s\n", m->config->placements[i].program);
        if (fclose(f) != 0)
                return NULL;
        return TAKE_PTR(s);
}

static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata);
static void copy_inodes_note(Manager *m);

void watch_sync(Manager *m) {
        _cleanup_free_ char *key = watch_key(m);
        bool libs = false;
        int r = 0;

        copy_inodes_note(m);
        if (!key || (m->watch_key && strcmp(key, m->watch_key) == 0))
                return;
        free(m->watch_key);
        m->watch_key = TAKE_PTR(key);

        watches_clear(m);
        m->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (m->inotify_fd < 0) {
                log_error("Cannot start inotify (%m): polling every placed file every %u s.",
                          (unsigned) (POLL_INTERVAL_USEC / 1000000));
                for (size_t i = 0; m->state && i < m->state->n_placements; i++)
                        watch_poll(m, m->state->placements[i].source, "inotify_init1() failed");
        } else {
                r = sd_event_add_io(m->event, &m->inotify_source, m->inotify_fd, EPOLLIN, on_inotify, m);
                for (size_t i = 0; r >= 0 && m->state && i < m->state->n_placements; i++) {
                        const Placement *p = &m->state->placements[i];

                        if (p->role == PLACE_INTERPRETER)
                                libs = true;
                        r = watch_path(m, p->source);
                }
                /* A configured program is often a symbolic link (python3 → python3.11): an
                 * alternatives switch changes what it resolves to. */
                for (size_t i = 0; r >= 0 && m->config_programs && m->config_programs[i]; i++)
                        r = watch_path(m, m->config_programs[i]);
                if (r >= 0 && libs)
                        r = watch_add(m, "/etc", "ld.so.cache", DIR_MASK, "/etc/ld.so.cache");
        }
        if (r < 0)
                log_error("Cannot set up the watches of the placed files: %s", strerror(-r));
        log_info("Watching %zu placed file(s) with %zu inotify watch(es) (at most %u); %zu polled.",
                 m->state ? m->state->n_placements : 0, m->n_watches, (unsigned) WATCH_MAX,
                 strv_length(m->polled));
        /* A change between the refresh's stat() and the new watches: one more look. */
        manager_schedule_refresh(m);
        watch_schedule_poll(m);
}

static bool watch_relevant(Manager *m, const struct inotify_event *e, bool *ret_closures) {
        for (size_t i = 0; i < m->n_watches; i++) {
                const Watch *w = &m->watches[i];

                if (w->wd != e->wd)
                        continue;
                if (e->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)) {
                        /* The directory or file itself went: set the watches up again. */
                        m->watch_key = mfree(m->watch_key);
                        return true;
                }
                if (e->len == 0)
                        return w->self;
                if (strv_contains(w->names, e->name)) {
                        if (strcmp(e->name, "ld.so.cache") == 0 && strcmp(w->path, "/etc") == 0)
                                *ret_closures = true;
                        if (e->mask & (IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM))
                                m->watch_key = mfree(m->watch_key); /* a new inode, or a new path */
                        return true;
                }
                /* A new file in a directory that holds placed libraries may be a new soname
                 * version the closure would now resolve. */
                if ((e->mask & (IN_CREATE | IN_MOVED_TO)) && strstr(e->name, ".so"))
                        *ret_closures = true;
                return false;
        }
        return false;
}

static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        union {
                struct inotify_event e;
                char buf[64 * 1024];
        } u;
        bool any = false, closures = false;

        for (;;) {
                ssize_t n = read(fd, &u, sizeof(u));

                if (n <= 0)
                        break;
                for (char *p = u.buf; p < u.buf + n;) {
                        const struct inotify_event *e = (const struct inotify_event *) p;

                        if (e->mask & IN_Q_OVERFLOW) {
                                log_warning("The inotify queue overflowed: checking every placed file.");
                                any = true;
                                m->watch_key = mfree(m->watch_key);
                        } else if (watch_relevant(m, e, &closures)) {
                                log_debug("inotify: %s%s%s (mask 0x%x)", e->len ? e->name : "",
                                          e->len ? " " : "", "changed", e->mask);
                                any = true;
                        }
                        p += sizeof(*e) + e->len;
                }
        }
        if (closures && !any)
                any = true;
        if (any) {
                m->check_wanted = true;
                manager_schedule_refresh(m);
        }
        return 0;
}

static int on_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        m->check_wanted = true;
        manager_schedule_refresh(m);
        watch_schedule_poll(m);
        return 0;
}

void watch_schedule_poll(Manager *m) {
        uint64_t now, interval = 0;

        if (m->polled)
                interval = POLL_INTERVAL_USEC;
        else if (m->n_restart > 0)
                interval = RESTART_RESCAN_USEC;
        if (interval == 0) {
                if (m->poll_source)
                        (void) sd_event_source_set_enabled(m->poll_source, SD_EVENT_OFF);
                return;
        }
        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        if (m->poll_source) {
                (void) sd_event_source_set_time(m->poll_source, now + interval);
                (void) sd_event_source_set_enabled(m->poll_source, SD_EVENT_ONESHOT);
        } else
                (void) sd_event_add_time(m->event, &m->poll_source, CLOCK_MONOTONIC, now + interval, 0,
                                         on_poll, m);
}

/* ---------------------------------------------------------------- the check child */

/* Remembers the inode of every copy now, so that it is known after a refresh replaced it. */
static void copy_inodes_note(Manager *m) {
        for (size_t i = 0; m->state && i < m->state->n_placements; i++) {
                const Placement *p = &m->state->placements[i];
                struct stat st;
                bool known = false;

                if (lstat(p->copy, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                for (size_t k = 0; k < m->n_copy_inodes && !known; k++)
                        known = m->copy_inodes[k].dev == (uint64_t) st.st_dev &&
                                m->copy_inodes[k].ino == (uint64_t) st.st_ino &&
                                strcmp(m->copy_inodes[k].program, p->program) == 0 &&
                                strcmp(m->copy_inodes[k].zone, p->zone) == 0;
                if (known)
                        continue;
                if (!m->copy_inodes && !(m->copy_inodes = calloc(COPY_INODES_MAX, sizeof(CopyInode))))
                        return;
                {
                        CopyInode *c = &m->copy_inodes[m->next_copy_inode];

                        free(c->zone);
                        free(c->program);
                        *c = (CopyInode){ .dev = (uint64_t) st.st_dev,
                                          .ino = (uint64_t) st.st_ino,
                                          .zone = strdup(p->zone),
                                          .program = strdup(p->program) };
                        if (!c->zone || !c->program) {
                                c->zone = mfree(c->zone);
                                c->program = mfree(c->program);
                                return;
                        }
                }
                m->next_copy_inode = (m->next_copy_inode + 1) % COPY_INODES_MAX;
                if (m->n_copy_inodes < COPY_INODES_MAX)
                        m->n_copy_inodes++;
        }
}

static void checks_clear(Manager *m) {
        for (size_t i = 0; i < m->n_closures; i++) {
                free(m->closures[i].zone);
                free(m->closures[i].program);
                free(m->closures[i].why);
        }
        m->closures = mfree(m->closures);
        m->n_closures = 0;
        for (size_t i = 0; i < m->n_restart; i++) {
                free(m->restart[i].zone);
                free(m->restart[i].program);
                free(m->restart[i].unit);
                free(m->restart[i].comm);
        }
        m->restart = mfree(m->restart);
        m->n_restart = 0;
}

void watch_done(Manager *m) {
        if (m->check_pid > 0)
                (void) kill(m->check_pid, SIGTERM);
        m->check_child_source = sd_event_source_disable_unref(m->check_child_source);
        m->check_io_source = sd_event_source_disable_unref(m->check_io_source);
        m->check_timer = sd_event_source_disable_unref(m->check_timer);
        m->poll_source = sd_event_source_disable_unref(m->poll_source);
        if (m->check_fd >= 0)
                (void) close(m->check_fd);
        free(m->check_buf);
        watches_clear(m);
        free(m->watch_key);
        checks_clear(m);
        for (size_t i = 0; i < m->n_copy_inodes; i++) {
                free(m->copy_inodes[i].zone);
                free(m->copy_inodes[i].program);
        }
        free(m->copy_inodes);
        place_hash_cache_done(&m->hash_cache);
}

static void check_line(Manager *m, const char *line) {
        struct json_object *o = json_tokener_parse(line), *v;

        if (!o)
                return;
        if (json_object_object_get_ex(o, "sha256", &v)) {
                PlaceHashEntry e = {};
                struct json_object *x;

                if (json_object_object_get_ex(o, "dev", &x))
                        e.dev = json_object_get_uint64(x);
                if (json_object_object_get_ex(o, "ino", &x))
                        e.ino = json_object_get_uint64(x);
                if (json_object_object_get_ex(o, "size", &x))
                        e.size = json_object_get_uint64(x);
                if (json_object_object_get_ex(o, "mtime_ns", &x))
                        e.mtime_ns = json_object_get_int64(x);
                if (json_object_object_get_ex(o, "ctime_ns", &x))
                        e.ctime_ns = json_object_get_int64(x);
                (void) snprintf(e.sha256, sizeof(e.sha256), "%s", json_object_get_string(v));
                (void) place_hash_cache_add(&m->hash_cache, &e);
        } else if (json_object_object_get_ex(o, "closure", &v)) {
                ClosureChange *n = realloc(m->closures, (m->n_closures + 1) * sizeof(*n));
                struct json_object *z, *p;

                if (n && json_object_object_get_ex(o, "zone", &z) &&
                    json_object_object_get_ex(o, "program", &p)) {
                        m->closures = n;
                        n[m->n_closures++] = (ClosureChange){
                                .zone = strdup(json_object_get_string(z)),
                                .program = strdup(json_object_get_string(p)),
                                .why = strdup(json_object_get_string(v)),
                        };
                } else if (n)
                        m->closures = n;
        } else if (json_object_object_get_ex(o, "restart", &v)) {
                RestartNeeded *n = realloc(m->restart, (m->n_restart + 1) * sizeof(*n));
                struct json_object *z = NULL, *p = NULL, *pid = NULL, *u = NULL, *c = NULL;

                if (n) {
                        m->restart = n;
                        (void) json_object_object_get_ex(o, "zone", &z);
                        (void) json_object_object_get_ex(o, "program", &p);
                        (void) json_object_object_get_ex(o, "pid", &pid);
                        (void) json_object_object_get_ex(o, "unit", &u);
                        (void) json_object_object_get_ex(o, "comm", &c);
                        n[m->n_restart++] = (RestartNeeded){
                                .zone = strdup(json_object_get_string(z) ?: ""),
                                .program = strdup(json_object_get_string(p) ?: ""),
                                .pid = (pid_t) json_object_get_int(pid),
                                .unit = strdup(json_object_get_string(u) ?: "-"),
                                .comm = strdup(json_object_get_string(c) ?: "?"),
                        };
                }
        }
        json_object_put(o);
}

static int on_check_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        bool overflow = false; /* absurd output: what is past the bound is dropped */

        if (child_output_read(fd, &m->check_buf, &m->n_check_buf, 16 * 1024 * 1024, &overflow) > 0)
                m->check_io_source = sd_event_source_disable_unref(m->check_io_source);
        return 0;
}

static void check_start(Manager *m);

static int on_check_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        check_start(userdata);
        return 0;
}

static int on_check_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Manager *m = userdata;
        _cleanup_free_ char *before = NULL;
        size_t n_before = m->n_restart, len = 0;

        /* What was known before, so that only news is logged (a check runs on every change). */
        {
                FILE *f = open_memstream(&before, &len);

                for (size_t i = 0; f && i < m->n_restart; i++)
                        fprintf(f, "\n%d %s\n", (int) m->restart[i].pid, m->restart[i].program);
                if (f)
                        (void) fclose(f);
        }

        if (m->check_io_source)
                (void) on_check_io(m->check_io_source, m->check_fd, EPOLLIN, m);
        m->check_child_source = sd_event_source_disable_unref(m->check_child_source);
        m->check_io_source = sd_event_source_disable_unref(m->check_io_source);
        if (m->check_fd >= 0)
                (void) close(m->check_fd);
        m->check_fd = -1;
        m->check_pid = 0;
        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &m->check_ended_usec);

        checks_clear(m);
        {
                unsigned lines = 0;

                for (char *line = m->check_buf, *nl; line && (nl = strchr(line, '\n')); line = nl + 1) {
                        *nl = '\0';
                        check_line(m, line);
                        lines++;
                }
                log_debug("Check of the placed originals (child %d, %s %d): %u finding(s), %zu closure "
                          "change(s), "
                          "%zu process(es) on superseded copies.",
                          (int) si->si_pid, si->si_code == CLD_EXITED ? "status" : "signal", si->si_status,
                          lines, m->n_closures, m->n_restart);
        }
        m->check_buf = mfree(m->check_buf);
        m->n_check_buf = 0;
        for (size_t i = 0; i < m->n_restart; i++) {
                _cleanup_free_ char *k = NULL;

                if (asprintf(&k, "\n%d %s\n", (int) m->restart[i].pid, m->restart[i].program) >= 0 &&
                    before && strstr(before, k))
                        continue;
                log_info("Restart needed: PID %d (%s, unit %s) runs a superseded copy of %s.",
                         (int) m->restart[i].pid, m->restart[i].comm, m->restart[i].unit,
                         m->restart[i].program);
        }
        if (m->n_restart != n_before)
                log_info("%zu process(es) run a superseded copy of a placed file and need a restart.",
                         m->n_restart);
        /* What the hashes and closures say, planned. */
        m->check_done_refresh = true;
        if (m->running)
                m->refresh_pending = true;
        else
                manager_replan(m);
        m->check_done_refresh = false;
        watch_schedule_poll(m);
        if (m->check_wanted)
                check_start(m);
        return 0;
}

/* The check's request for the worker (worker-call.c), in a sealed memfd: the state directory,
 * the hash cache (each identity is hashed once) and the inodes of the copies seen. */
static int check_request(Manager *m) {
        struct json_object *o = json_object_new_object(), *inodes = json_object_new_array();
        int r = o && inodes ? 0 : -ENOMEM;

        for (size_t i = 0; r >= 0 && i < m->n_copy_inodes; i++) {
                const CopyInode *c = &m->copy_inodes[i];
                struct json_object *a = json_object_new_array();

                if (!a || json_object_array_add(inodes, a) < 0 ||
                    json_object_array_add(a, json_object_new_uint64(c->dev)) < 0 ||
                    json_object_array_add(a, json_object_new_uint64(c->ino)) < 0 ||
                    json_object_array_add(a, json_object_new_string(c->zone ?: "")) < 0 ||
                    json_object_array_add(a, json_object_new_string(c->program ?: "")) < 0)
                        r = -ENOMEM;
        }
        if (r >= 0) {
                if (json_object_object_add(o, "copy_inodes", inodes) < 0)
                        r = -ENOMEM;
                else
                        inodes = NULL; /* the request's now */
        }
        if (r >= 0 && (json_object_object_add(o, "call", json_object_new_string("check")) < 0 ||
                       json_object_object_add(o, "name", json_object_new_string("daxmgrd-check")) < 0 ||
                       json_object_object_add(o, "log_level", json_object_new_int(log_max_priority)) < 0 ||
                       json_object_object_add(o, "state_dir", json_object_new_string(m->state_dir)) < 0))
                r = -ENOMEM;
        if (r >= 0)
                r = worker_hashes_to_json(&m->hash_cache, o);
        if (r >= 0)
                r = json_sealed_memfd(o, "daxmgrd-check");
        json_object_put(inodes);
        json_object_put(o);
        return r;
}

static void check_start(Manager *m) {
        uint64_t now;
        int p[2], req;
        pid_t pid;

        if (m->check_pid > 0 || !m->state)
                return;
        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        if (m->check_ended_usec && now < m->check_ended_usec + CHECK_MIN_INTERVAL_USEC) {
                uint64_t when = m->check_ended_usec + CHECK_MIN_INTERVAL_USEC;

                if (m->check_timer) {
                        (void) sd_event_source_set_time(m->check_timer, when);
                        (void) sd_event_source_set_enabled(m->check_timer, SD_EVENT_ONESHOT);
                } else
                        (void) sd_event_add_time(m->event, &m->check_timer, CLOCK_MONOTONIC, when, 0,
                                                 on_check_timer, m);
                return;
        }
        m->check_wanted = false;
        req = check_request(m);
        if (req < 0) {
                log_warning("Cannot start the check of the placed files: %s", strerror(-req));
                return;
        }
        if (pipe2(p, O_CLOEXEC) < 0) {
                (void) close(req);
                return;
        }
        pid = fork();
        if (pid < 0) {
                (void) close(p[0]);
                (void) close(p[1]);
                (void) close(req);
                return;
        }
        if (pid == 0)
                worker_exec(req, p[1]);
        (void) close(req);
        (void) close(p[1]);
        m->check_pid = pid;
        m->check_fd = p[0];
        (void) fcntl(m->check_fd, F_SETFL, O_NONBLOCK);
        (void) sd_event_add_io(m->event, &m->check_io_source, m->check_fd, EPOLLIN, on_check_io, m);
        (void) sd_event_add_child(m->event, &m->check_child_source, pid, WEXITED, on_check_exit, m);
}

void watch_request_check(Manager *m) {
        m->check_wanted = true;
        if (m->check_pid <= 0)
                check_start(m);
}

void watch_closure_why(void *userdata, const char *zone, const char *program, const char **ret_why) {
        Manager *m = userdata;

        *ret_why = NULL;
        for (size_t i = 0; i < m->n_closures; i++)
                if (m->closures[i].zone && m->closures[i].program &&
                    strcmp(m->closures[i].zone, zone) == 0 && strcmp(m->closures[i].program, program) == 0)
                        *ret_why = m->closures[i].why;
}
