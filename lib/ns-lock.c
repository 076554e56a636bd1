/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "error.h"
#include "fileio.h"
#include "ns-lock.h"

static int try_lock(int fd) {
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

        if (fcntl(fd, F_OFD_SETLK, &fl) < 0)
                return errno == EAGAIN || errno == EACCES ? -EBUSY : negative_errno();
        return 0;
}

int ns_lock_acquire(DaxContext *c, unsigned timeout_sec, char **ret_error) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1;
        struct timespec start, now;
        char pid[32];
        int r;

        if (asprintf(&path, "%s/namespace.lock", c->run_dir) < 0)
                return -ENOMEM;
        if (mkdir(c->run_dir, 0755) < 0 && errno != EEXIST)
                return error_set(ret_error, negative_errno(), "cannot create %s for the namespace lock: %m",
                                 c->run_dir);

        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return error_set(ret_error, negative_errno(), "cannot open the namespace lock %s: %m", path);

        (void) pthread_mutex_lock(&c->mutation_lock);
        (void) clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                r = try_lock(fd);
                if (r != -EBUSY)
                        break;
                (void) clock_gettime(CLOCK_MONOTONIC, &now);
                if ((unsigned) (now.tv_sec - start.tv_sec) >= timeout_sec) {
                        _cleanup_free_ char *holder = NULL;

                        (void) read_one_line_at(AT_FDCWD, path, &holder);
                        (void) pthread_mutex_unlock(&c->mutation_lock);
                        return error_set(
                                ret_error, -EBUSY,
                                "another process (PID %s) is changing namespaces and held %s for %u s; "
                                "try again when it has finished",
                                holder && *holder ? holder : "unknown", path, timeout_sec);
                }
                (void) nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
        }
        if (r < 0) {
                (void) pthread_mutex_unlock(&c->mutation_lock);
                return error_set(ret_error, r, "cannot lock %s: %s", path, strerror(-r));
        }

        (void) snprintf(pid, sizeof(pid), "%d\n", (int) getpid());
        if (ftruncate(fd, 0) == 0)
                (void) !pwrite(fd, pid, strlen(pid), 0);
        return TAKE_FD(fd);
}

void ns_lock_release(DaxContext *c, int fd) {
        if (fd < 0)
                return;
        /* The PID is only for "another process (PID N) holds it" messages: a stale one is no
         * danger (the lock is the OFD lock, not the file's content), but say why it is there. */
        if (ftruncate(fd, 0) < 0)
                dax_log(c, LOG_WARNING,
                        "Cannot clear this process's PID from the namespace lock (%m); a waiter may name "
                        "PID %d although it no longer holds the lock.",
                        (int) getpid());
        (void) safe_close(fd);
        (void) pthread_mutex_unlock(&c->mutation_lock);
}
