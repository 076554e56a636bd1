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
 * The check child (a short-lived fork, "daxmgrd-check") hashes the originals whose identity
 * changed (once per identity: the results go into the manager's cache), reads the library
 * closures again, and lists the processes that still run a superseded copy (a copy replaced by
 * a refresh, or a stale one): /proc/PID/maps, and the unit from /proc/PID/cgroup. Its results
 * come back as JSON lines on a pipe.
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
#include "proc-maps.h"
#include "reconcile-run.h"
#include "strv.h"

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

static void emit(FILE *f, struct json_object *o) {
        fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
}

char *pid_unit(pid_t pid) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        char *u = NULL;

        if (asprintf(&path, "/proc/%d/cgroup", (int) pid) < 0 ||
            read_full_file(path, 64 * 1024, &text, NULL) < 0)
                return NULL;
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                char *c = strrchr(line, '/');

                if (strncmp(line, "0::", 3) != 0 || !c)
                        continue;
                c++;
                if (strstr(c, ".service") || strstr(c, ".scope"))
                        u = strdup(c);
        }
        return u;
}

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

/* Is (@dev, @ino) the copy of @program in @zone now? */
static bool is_current_copy(const PlaceState *s, const char *zone, const char *program, uint64_t dev,
                            uint64_t ino) {
        for (size_t i = 0; i < s->n_placements; i++) {
                const Placement *p = &s->placements[i];
                struct stat st;

                if (strcmp(p->zone, zone) == 0 && strcmp(p->program, program) == 0 &&
                    stat(p->copy, &st) >= 0 && (uint64_t) st.st_dev == dev && (uint64_t) st.st_ino == ino)
                        return true;
        }
        return false;
}

/* Processes that map a copy that is no longer the one placed (replaced by a refresh), or the copy
 * of a stale program. Found by device and inode, whatever path the process's maps show: a copy
 * bound over the original in a service (BindReadOnlyPaths=) shows the original's name, or none
 * that leads anywhere once the copy is replaced. */
static void scan_processes(Manager *m, FILE *out, char **stale_programs) {
        const PlaceState *s = m->state;
        DIR *d = opendir("/proc");

        if (!d)
                return;
        for (struct dirent *de; (de = readdir(d));) {
                _cleanup_(maps_freep) Maps *maps = NULL;
                char **seen = NULL;
                pid_t pid;
                char *end;
                long v = strtol(de->d_name, &end, 10);

                if (*end || v <= 0 || v == (long) getpid())
                        continue;
                pid = (pid_t) v;
                if (maps_read(pid, &maps) < 0)
                        continue;
                for (size_t i = 0; i < maps->n; i++) {
                        const MapsEntry *e = &maps->entries[i];
                        uint64_t dev = (uint64_t) makedev(e->dev_major, e->dev_minor);

                        if (e->inode == 0)
                                continue;
                        for (size_t k = 0; k < m->n_copy_inodes; k++) {
                                const CopyInode *c = &m->copy_inodes[k];
                                _cleanup_free_ char *key = NULL, *unit = NULL, *comm = NULL, *cpath = NULL;
                                struct json_object *o;

                                if (c->dev != dev || c->ino != e->inode)
                                        continue;
                                if (is_current_copy(s, c->zone, c->program, dev, e->inode) &&
                                    !strv_contains(stale_programs, c->program))
                                        continue;
                                if (asprintf(&key, "%s\n%s", c->zone, c->program) < 0 ||
                                    strv_contains(seen, key))
                                        continue;
                                (void) strv_extend(&seen, key);
                                unit = pid_unit(pid);
                                if (asprintf(&cpath, "/proc/%d/comm", (int) pid) >= 0 &&
                                    read_full_file(cpath, 4096, &comm, NULL) >= 0)
                                        comm[strcspn(comm, "\n")] = '\0';
                                o = json_object_new_object();
                                json_object_object_add(o, "restart", json_object_new_boolean(true));
                                json_object_object_add(o, "zone", json_object_new_string(c->zone));
                                json_object_object_add(o, "program", json_object_new_string(c->program));
                                json_object_object_add(o, "pid", json_object_new_int((int) pid));
                                json_object_object_add(o, "unit", json_object_new_string(unit ?: "-"));
                                json_object_object_add(o, "comm", json_object_new_string(comm ?: "?"));
                                json_object_object_add(o, "file", json_object_new_string(e->path ?: ""));
                                emit(out, o);
                        }
                }
                strv_free(seen);
        }
        (void) closedir(d);
}

_Noreturn static void check_child(Manager *m, int fd) {
        FILE *out = fdopen(fd, "w");
        const PlaceState *s = m->state;
        char **stale = NULL;

        if (!out || !s)
                _exit(out ? 0 : 1);
        /* Hash what changed identity (each identity once: the parent's cache came with the fork). */
        for (size_t i = 0; i < s->n_placements; i++) {
                const Placement *p = &s->placements[i];
                PlaceHashEntry e;
                struct stat st;
                struct json_object *o;
                PlaceCheck c;

                if (stat(p->source, &st) < 0 || place_hash_cache_find(&m->hash_cache, &st))
                        continue;
                if ((uint64_t) st.st_ino == p->ino && (uint64_t) st.st_dev == p->dev &&
                    (uint64_t) st.st_size == p->size &&
                    (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec == p->mtime_ns &&
                    (p->ctime_ns == 0 ||
                     (int64_t) st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec == p->ctime_ns))
                        continue;
                if (placement_check(p, &m->hash_cache, true, &c, NULL) < 0)
                        continue;
                if (!(place_hash_cache_find(&m->hash_cache, &st)))
                        continue;
                e = *place_hash_cache_find(&m->hash_cache, &st);
                o = json_object_new_object();
                json_object_object_add(o, "dev", json_object_new_uint64(e.dev));
                json_object_object_add(o, "ino", json_object_new_uint64(e.ino));
                json_object_object_add(o, "size", json_object_new_uint64(e.size));
                json_object_object_add(o, "mtime_ns", json_object_new_int64(e.mtime_ns));
                json_object_object_add(o, "ctime_ns", json_object_new_int64(e.ctime_ns));
                json_object_object_add(o, "sha256", json_object_new_string(e.sha256));
                emit(out, o);
        }
        /* Library closures, and which programs are stale now. */
        for (size_t i = 0; i < s->n_placements; i++) {
                const Placement *p = &s->placements[i];
                _cleanup_free_ char *why = NULL;
                bool st = false;

                if (p->role != PLACE_PROGRAM)
                        continue;
                if (placement_closure_changed(s, p->zone, p->source, &why) >= 0 && why) {
                        struct json_object *o = json_object_new_object();

                        json_object_object_add(o, "closure", json_object_new_string(why));
                        json_object_object_add(o, "zone", json_object_new_string(p->zone));
                        json_object_object_add(o, "program", json_object_new_string(p->source));
                        emit(out, o);
                }
                if (why || (reconcile_program_stale(
                                    s, p->zone, p->source,
                                    &(ReconcileStaleness){ .cache = &m->hash_cache, .may_hash = true }, &st,
                                    NULL) >= 0 &&
                            st))
                        (void) strv_extend(&stale, p->source);
        }
        scan_processes(m, out, stale);
        (void) fflush(out);
        _exit(0);
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

static void check_start(Manager *m) {
        uint64_t now;
        int p[2];
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
        if (pipe2(p, O_CLOEXEC) < 0)
                return;
        pid = fork();
        if (pid < 0) {
                (void) close(p[0]);
                (void) close(p[1]);
                return;
        }
        if (pid == 0) {
                sigset_t ss;

                (void) close(p[0]);
                sigemptyset(&ss);
                sigprocmask(SIG_SETMASK, &ss, NULL);
                (void) prctl(PR_SET_PDEATHSIG, SIGTERM);
                (void) prctl(PR_SET_NAME, "daxmgrd-check");
                check_child(m, p[1]);
        }
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
