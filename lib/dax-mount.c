/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dax-mount.h"
#include "error.h"
#include "format.h"
#include "fs-util.h"
#include "holders.h"
#include "strv.h"

/* ---------------------------------------------------------------- kernel messages */

int fs_context_message_parse(const char *msg, size_t len, char *ret_level, char **ret) {
        char level = '?', *t;

        if (!msg || !ret_level || !ret)
                return -EINVAL;
        len = strnlen(msg, len);
        while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
                len--;
        if (len >= 2 && (msg[0] == 'e' || msg[0] == 'w' || msg[0] == 'i') && msg[1] == ' ') {
                level = msg[0];
                msg += 2;
                len -= 2;
        }
        t = strndup(msg, len);
        if (!t)
                return -ENOMEM;
        *ret_level = level;
        *ret = t;
        return 0;
}

int kmsg_record_text(const char *rec, size_t len, char **ret) {
        const char *semi, *end;
        char *t;

        if (!rec || !ret)
                return -EINVAL;
        end = memchr(rec, '\n', len);
        if (!end)
                end = rec + len;
        semi = memchr(rec, ';', (size_t) (end - rec));
        if (!semi)
                return -EBADMSG;
        t = strndup(semi + 1, (size_t) (end - semi - 1));
        if (!t)
                return -ENOMEM;
        *ret = t;
        return 0;
}

bool kmsg_line_names_device(const char *line, const char *devname) {
        _cleanup_free_ char *paren = NULL;
        size_t n;

        if (!line || !devname || !*devname)
                return false;
        n = strlen(devname);
        if (strncmp(line, devname, n) == 0 && line[n] == ':')
                return true;
        if (asprintf(&paren, "(%s)", devname) < 0)
                return false;
        return strstr(line, paren) != NULL;
}

int log_append_unique(char **log, const char *line) {
        size_t old;
        char *p;

        if (!log || !line || !*line)
                return 0;
        if (*log && strstr(*log, line))
                return 0;
        old = *log ? strlen(*log) : 0;
        p = realloc(*log, old + 2 + strlen(line) + 1);
        if (!p)
                return -ENOMEM;
        if (old > 0)
                strcpy(p + old, "; "), old += 2;
        strcpy(p + old, line);
        *log = p;
        return 0;
}

/* Drains the messages a file-system context fd holds (read() returns one at a time and fails
 * with ENODATA when none is left). Informational ones are dropped. */
static void fs_log_drain(int fs_fd, char **log) {
        char buf[4096];

        for (;;) {
                _cleanup_free_ char *text = NULL, *line = NULL;
                ssize_t n = read(fs_fd, buf, sizeof(buf));
                char level;

                if (n <= 0)
                        return;
                if (fs_context_message_parse(buf, (size_t) n, &level, &text) < 0)
                        return;
                if (level == 'i')
                        continue;
                if (level == 'w' && asprintf(&line, "warning: %s", text) < 0)
                        return;
                (void) log_append_unique(log, line ?: text);
        }
}

/* /dev/kmsg positioned at its end, so that only what the kernel logs from now on is read.
 * -1 if it is not readable (no CAP_SYSLOG, no /dev/kmsg): the kernel's words are a bonus. */
static int kmsg_open_at_end(void) {
        int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

        if (fd < 0)
                return -1;
        if (lseek(fd, 0, SEEK_END) < 0)
                return safe_close(fd);
        return fd;
}

/* Appends the kernel log lines naming @devname to the list *lines (of *n). */
static void kmsg_collect(int fd, const char *devname, char ***lines) {
        char buf[8192]; /* one record per read; the kernel caps them at about 1 KiB */

        if (fd < 0 || !devname)
                return;
        for (;;) {
                char *text = NULL;
                ssize_t k = read(fd, buf, sizeof(buf) - 1);

                if (k < 0 && (errno == EINTR || errno == EPIPE)) /* EPIPE: records were overwritten */
                        continue;
                if (k <= 0)
                        return;
                if (kmsg_record_text(buf, (size_t) k, &text) < 0)
                        continue;
                if (kmsg_line_names_device(text, devname))
                        (void) strv_consume(lines, text); /* frees it when it cannot keep it */
                else
                        free(text);
        }
}

int kernel_lines_pick(char *const *lines, bool only_dax, char **ret) {
        _cleanup_free_ char *log = NULL;
        size_t n = 0, dax = 0;
        int r;

        if (!ret)
                return -EINVAL;
        for (; lines && lines[n]; n++)
                if (strcasestr(lines[n], "dax"))
                        dax++;
        for (size_t i = 0; i < n; i++) {
                if (dax > 0 || only_dax ? !strcasestr(lines[i], "dax") : i + 3 < n)
                        continue;
                r = log_append_unique(&log, lines[i]);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(log);
        return 0;
}

/* ---------------------------------------------------------------- mounting */

/* The new mount API. On failure *ret_step says which step failed. Kernel messages (errors and
 * warnings) are appended to *log. Returns -ENOSYS untouched when fsopen() does not exist. */
static int mount_fsopen(const char *source, const char *target, const char *fstype, DaxMode dax,
                        const MountOptions *mo, char **ret_step, char **log) {
        _cleanup_close_ int fs_fd = -1, mnt_fd = -1;
        int r;

        fs_fd = fsopen(fstype, FSOPEN_CLOEXEC);
        if (fs_fd < 0) {
                r = negative_errno();
                *ret_step = asprintf_safe("opening the %s file system type", fstype);
                return r;
        }

#define STEP(call, ...)                                                                                     \
        do {                                                                                                \
                if ((call) < 0) {                                                                           \
                        r = negative_errno();                                                               \
                        *ret_step = asprintf_safe(__VA_ARGS__);                                             \
                        fs_log_drain(fs_fd, log);                                                           \
                        return r;                                                                           \
                }                                                                                           \
        } while (0)

        STEP(fsconfig(fs_fd, FSCONFIG_SET_STRING, "source", source, 0), "setting the source");
        STEP(fsconfig(fs_fd, FSCONFIG_SET_STRING, "dax", dax_mode_to_string(dax), 0), "setting dax=%s",
             dax_mode_to_string(dax));
        if (mo->read_only)
                STEP(fsconfig(fs_fd, FSCONFIG_SET_FLAG, "ro", NULL, 0), "setting ro");
        for (size_t i = 0; i < mo->n_fs; i++) {
                const char *eq = strchr(mo->fs[i], '=');
                _cleanup_free_ char *key =
                        strndup(mo->fs[i], eq ? (size_t) (eq - mo->fs[i]) : strlen(mo->fs[i]));

                if (!key)
                        return -ENOMEM;
                if (eq)
                        STEP(fsconfig(fs_fd, FSCONFIG_SET_STRING, key, eq + 1, 0),
                             "setting the option \"%s\"", mo->fs[i]);
                else
                        STEP(fsconfig(fs_fd, FSCONFIG_SET_FLAG, key, NULL, 0), "setting the option \"%s\"",
                             mo->fs[i]);
        }
        STEP(fsconfig(fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0), "creating the file system instance");
        mnt_fd = fsmount(fs_fd, FSMOUNT_CLOEXEC, mo->attr);
        STEP(mnt_fd, "creating the mount");
        STEP(move_mount(mnt_fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH), "attaching it at %s",
             target);
#undef STEP

        fs_log_drain(fs_fd, log);
        return 0;
}

static int mount_legacy(const char *source, const char *target, const char *fstype, DaxMode dax,
                        const MountOptions *mo, char **ret_step) {
        _cleanup_free_ char *first = NULL, *data = NULL;
        int r;

        if (asprintf(&first, "dax=%s", dax_mode_to_string(dax)) < 0)
                return -ENOMEM;
        r = mount_options_join(mo, first, &data);
        if (r < 0)
                return r;
        if (mount(source, target, fstype, mo->ms, data) < 0) {
                r = negative_errno();
                *ret_step = asprintf_safe("mount(2) with \"%s\"", data);
                return r;
        }
        return 0;
}

/* The tail of an error sentence: what the device's queue/dax and the kernel had to say
 * (the file-system context's messages, then the kernel log lines about the device). */
static char *explain_tail(int queue_dax, const char *devname, const char *fs_log, char *const *klines,
                          bool only_dax) {
        _cleanup_free_ char *words = NULL, *picked = NULL;
        const char *end;
        char *s = NULL;
        int r;

        if (fs_log && log_append_unique(&words, fs_log) < 0)
                return NULL;
        if (kernel_lines_pick(klines, only_dax, &picked) < 0 ||
            (picked && log_append_unique(&words, picked) < 0))
                return NULL;
        end = words && words[strlen(words) - 1] != '.' ? "." : "";

        if (queue_dax == 0)
                r = asprintf(&s, " /sys/block/%s/queue/dax is 0: the device cannot do DAX (%s).%s%s%s",
                             devname,
                             strncmp(devname, "pmem", 4) == 0
                                     ? "a raw-mode namespace; reconfigure the namespace in fsdax mode"
                                     : "not a pmem device; use an fsdax namespace's /dev/pmemN",
                             words ? " The kernel said: " : "", words ?: "", words ? end : "");
        else
                r = asprintf(&s, "%s%s%s", words ? " The kernel said: " : "", words ?: "", words ? end : "");
        return r < 0 ? NULL : s;
}

/* The probed file system type of @source, if libblkid is sure it holds one. */
static int mount_probe_fstype(const char *source, char **ret_type, char **ret_error) {
        _cleanup_close_ int fd = open(source, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        FormatSignature sig = {};
        int r;

        if (fd < 0)
                return error_set(ret_error, negative_errno(), "Cannot mount %s: cannot open it: %m.",
                                 source);
        r = format_probe_fd(fd, &sig);
        if (r < 0)
                return error_set(ret_error, r, "Cannot mount %s: probing its file system failed: %s.",
                                 source, strerror(-r));
        if (r > 0 && !sig.ambivalent && sig.type && sig.usage && strcmp(sig.usage, "filesystem") == 0)
                *ret_type = TAKE_PTR(sig.type);
        format_signature_done(&sig);
        return 0;
}

/* The request and the device: a pmem block device holding a file system that can do DAX. */
static int mount_check_source(const char *source, const char *target, const DaxMountRequest *req,
                              struct stat *st, char **ret_devname, int *ret_queue_dax, char **ret_fstype,
                              char **ret_error) {
        _cleanup_free_ char *probed_type = NULL;
        int r;

        if (req->dax != DAX_MODE_ALWAYS && req->dax != DAX_MODE_INODE)
                return error_set(ret_error, -EINVAL,
                                 "Cannot mount %s: the DAX mode must be always or inode.", source);
        if (target[0] != '/')
                return error_set(ret_error, -EINVAL,
                                 "Cannot mount %s: the mount point \"%s\" is not an absolute path.", source,
                                 target);

        /* tmpfs, ramfs, "none": no device, and "dax" would be silently meaningless. */
        if (fstype_is_virtual_memory(source) || fstype_is_virtual_memory(req->fstype) ||
            strcmp(source, "none") == 0)
                return error_set(
                        ret_error, -ENOTBLK,
                        "Refusing to DAX-mount \"%s\"%s%s: DAX needs xfs or ext4 on a pmem block device "
                        "(/dev/pmemN); tmpfs and ramfs keep files in ordinary RAM, where \"dax\" means "
                        "nothing.",
                        source, req->fstype ? " as " : "", req->fstype ?: "");
        if (stat(source, st) < 0)
                return error_set(ret_error, negative_errno(), "Cannot mount %s: %m.", source);
        if (!S_ISBLK(st->st_mode))
                return error_set(ret_error, -ENOTBLK,
                                 "Refusing to DAX-mount %s: it is not a block device. DAX needs xfs or ext4 "
                                 "on a pmem "
                                 "block device (/dev/pmemN); on anything else \"dax\" means nothing.",
                                 source);
        (void) blockdev_name(st->st_rdev, ret_devname);
        *ret_queue_dax = blockdev_queue_dax(st->st_rdev);

        /* What is on it. */
        r = mount_probe_fstype(source, &probed_type, ret_error);
        if (r < 0)
                return r;
        if (!probed_type)
                return error_set(
                        ret_error, -ENODATA,
                        "Cannot mount %s: it holds no file system that libblkid recognises; format it "
                        "first.",
                        source);
        if (req->fstype && strcmp(req->fstype, probed_type) != 0)
                return error_set(ret_error, -EMEDIUMTYPE, "Cannot mount %s as %s: it holds %s.", source,
                                 req->fstype, probed_type);
        if (!fstype_supports_dax(probed_type))
                return error_set(ret_error, -EOPNOTSUPP,
                                 "Cannot DAX-mount %s: it holds %s, which cannot do DAX; use xfs or ext4.",
                                 source, probed_type);
        *ret_fstype = TAKE_PTR(probed_type);
        return 0;
}

/* Creates the mount point if needed (*ret_created says what was created, to undo) and resolves it. */
static int mount_point_prepare(const char *source, const char *target, char **ret_created,
                               char **ret_canonical, char **ret_error) {
        int r;

        r = mkdir_parents(target, 0755, ret_created);
        if (r < 0) {
                error_set(ret_error, r, "Cannot mount %s: cannot create the mount point %s: %s.", source,
                          target, strerror(-r));
                return r;
        }
        *ret_canonical = realpath(target, NULL);
        if (!*ret_canonical)
                return error_set(ret_error, negative_errno(), "Cannot mount %s: cannot resolve %s: %m.",
                                 source, target);
        return 0;
}

/* What is already mounted at @canonical or from the device. 1 if it is this device, mounted as
 * asked with DAX in effect; 0 if neither is mounted; <0 (with *ret_error) otherwise. */
static int mount_check_existing(const char *source, const char *canonical, const char *fstype, dev_t devno,
                                DaxMode dax, int queue_dax, const char *devname, char **ret_error) {
        _cleanup_free_ char *why = NULL, *tail = NULL;
        _cleanup_mnt_table_ struct libmnt_table *table = NULL;
        _cleanup_close_ int root_fd = -1;
        const char *dax_name = dax_mode_to_string(dax);
        struct libmnt_fs *fs;
        int r;

        r = mount_table_load(NULL, &table);
        if (r < 0) {
                error_set(ret_error, r, "Cannot mount %s: cannot read the mount table: %s.", source,
                          strerror(-r));
                return r;
        }
        fs = mount_table_find_target(table, canonical);
        if (fs) {
                const char *ftype = mnt_fs_get_fstype(fs), *fsrc = mnt_fs_get_source(fs);
                DaxMode have;

                if (mnt_fs_get_devno(fs) != devno || !ftype || strcmp(ftype, fstype) != 0)
                        return error_set(ret_error, -EBUSY,
                                         "Cannot mount %s at %s: %s (%s) is already mounted there; "
                                         "unmount it or choose another mount point.",
                                         source, canonical, fsrc ?: "something", ftype ?: "?");
                have = mount_options_dax_mode(mnt_fs_get_fs_options(fs));
                if (have != dax)
                        return error_set(
                                ret_error, -EBUSY,
                                "%s is already mounted at %s with dax=%s, not dax=%s; unmount it first to "
                                "change the DAX mode.",
                                source, canonical, dax_mode_to_string(have), dax_name);
                root_fd = open(canonical, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (root_fd < 0)
                        return error_set(ret_error, negative_errno(), "Cannot check the mount at %s: %m.",
                                         canonical);
                r = dax_verify_mount(root_fd, dax, mnt_fs_get_option(fs, "ro", NULL, NULL) == 0, queue_dax,
                                     &why);
                if (r <= 0) {
                        tail = explain_tail(queue_dax, devname ?: "?", NULL, NULL, true);
                        return error_set(
                                ret_error, -EOPNOTSUPP,
                                "%s is already mounted at %s with dax=%s, but DAX is not in effect: %s.%s "
                                "Unmount it and investigate.",
                                source, canonical, dax_name, why ?: "unknown reason", tail ?: "");
                }
                return 1; /* already mounted as asked */
        }
        fs = mount_table_find_devno(table, devno);
        if (fs)
                return error_set(
                        ret_error, -EBUSY,
                        "Cannot mount %s at %s: it is already mounted at %s; unmount it there first.",
                        source, canonical, mnt_fs_get_target(fs) ?: "?");
        return 0;
}

/* Mounts with the new API, or mount(2) where it does not exist; on failure explains the step that
 * failed with what the kernel said (*log, *klines: kept for the DAX proof). */
static int mount_attach(const char *source, const char *canonical, const char *fstype, DaxMode dax,
                        const MountOptions *mo, int queue_dax, const char *devname, int kmsg_fd, char **log,
                        char ***klines, char **ret_error) {
        _cleanup_free_ char *step = NULL, *tail = NULL;
        int r;

        r = mount_fsopen(source, canonical, fstype, dax, mo, &step, log);
        if (r == -ENOSYS) {
                free(step);
                step = NULL;
                r = mount_legacy(source, canonical, fstype, dax, mo, &step);
        }
        kmsg_collect(kmsg_fd, devname, klines);
        if (r < 0) {
                /* queue/dax only matters once the options were accepted. */
                bool sb = step && strcmp(step, "creating the file system instance") == 0;

                tail = explain_tail(sb ? queue_dax : -1, devname ?: "?", *log, *klines, false);
                error_set(ret_error, r, "Mounting %s (%s) at %s with dax=%s failed while %s: %s.%s", source,
                          fstype, canonical, dax_mode_to_string(dax), step ?: "mounting", strerror(-r),
                          tail ?: "");
                return r;
        }
        return 0;
}

/* Mounted: now prove it. If DAX is not in effect, unmounts it again and explains. */
static int mount_prove_dax(const char *source, const char *canonical, DaxMode dax, bool read_only,
                           int queue_dax, const char *devname, int kmsg_fd, const char *log, char ***klines,
                           char **ret_error) {
        _cleanup_free_ char *why = NULL, *tail = NULL;
        const char *dax_name = dax_mode_to_string(dax);
        int root_fd, r;

        root_fd = open(canonical, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                r = negative_errno();
        else
                r = dax_verify_mount(root_fd, dax, read_only, queue_dax, &why);
        root_fd = safe_close(root_fd);
        kmsg_collect(kmsg_fd, devname, klines);
        if (r <= 0) {
                int u = umount2(canonical, UMOUNT_NOFOLLOW) < 0 ? -errno : 0;

                tail = explain_tail(queue_dax, devname ?: "?", log, *klines, true);
                if (u < 0)
                        error_set(ret_error, -EOPNOTSUPP,
                                  "Mounted %s at %s with dax=%s, but DAX is not in effect: %s.%s Unmounting "
                                  "it "
                                  "again failed (%s): it is still mounted.",
                                  source, canonical, dax_name, why ?: strerror(-r), tail ?: "",
                                  strerror(-u));
                else
                        error_set(ret_error, -EOPNOTSUPP,
                                  "Mounted %s at %s with dax=%s, but DAX is not in effect: %s; unmounted it "
                                  "again.%s",
                                  source, canonical, dax_name, why ?: strerror(-r), tail ?: "");
                return -EOPNOTSUPP;
        }
        return 0;
}

int dax_mount(const char *source, const char *target, const DaxMountRequest *req, char **ret_error) {
        _cleanup_free_ char *canonical = NULL, *created = NULL, *devname = NULL, *fstype = NULL, *log = NULL;
        _cleanup_strv_free_ char **klines = NULL;
        _cleanup_close_ int kmsg_fd = -1;
        MountOptions mo = {};
        int queue_dax = -1, r; /* set by mount_check_source() */
        struct stat st;

        if (!source || !target || !req)
                return -EINVAL;
        r = mount_check_source(source, target, req, &st, &devname, &queue_dax, &fstype, ret_error);
        if (r < 0)
                return r;

        r = mount_options_parse(req->options, &mo, ret_error);
        if (r < 0)
                return r;

        r = mount_point_prepare(source, target, &created, &canonical, ret_error);
        if (r < 0)
                goto finish;
        r = mount_check_existing(source, canonical, fstype, st.st_rdev, req->dax, queue_dax, devname,
                                 ret_error);
        if (r != 0)
                goto finish;

        kmsg_fd = kmsg_open_at_end();
        r = mount_attach(source, canonical, fstype, req->dax, &mo, queue_dax, devname, kmsg_fd, &log,
                         &klines, ret_error);
        if (r < 0)
                goto finish;
        r = mount_prove_dax(source, canonical, req->dax, mo.read_only, queue_dax, devname, kmsg_fd, log,
                            &klines, ret_error);

finish:
        if (r < 0 && created)
                rmdir_parents(canonical ?: target, created);
        mount_options_done(&mo);
        return r;
}

/* ---------------------------------------------------------------- unmounting */

int dax_unmount(const char *target, char **ret_error) {
        _cleanup_mnt_table_ struct libmnt_table *table = NULL;
        _cleanup_free_ char *canonical = NULL, *below = NULL, *who = NULL;
        _cleanup_holders_ Holders *holders = NULL;
        struct stat st;
        int r;

        if (!target)
                return -EINVAL;
        canonical = realpath(target, NULL);
        if (!canonical)
                return error_set(ret_error, negative_errno(), "Cannot unmount %s: %m.", target);
        r = mount_table_load(NULL, &table);
        if (r < 0)
                return error_set(ret_error, r, "Cannot unmount %s: cannot read the mount table: %s.",
                                 canonical, strerror(-r));
        if (!mount_table_find_target(table, canonical))
                return error_set(ret_error, -EINVAL, "Cannot unmount %s: it is not a mount point.",
                                 canonical);
        if (stat(canonical, &st) < 0)
                return error_set(ret_error, negative_errno(), "Cannot unmount %s: %m.", canonical);

        if (umount2(canonical, UMOUNT_NOFOLLOW) >= 0)
                return 0;
        r = negative_errno();
        if (r == -EPERM)
                return error_set(ret_error, r,
                                 "Cannot unmount %s: permission denied (CAP_SYS_ADMIN is needed).",
                                 canonical);
        if (r != -EBUSY)
                return error_set(ret_error, r, "Cannot unmount %s: %s.", canonical, strerror(-r));

        (void) mount_table_submounts(table, canonical, &below);
        if (below)
                return error_set(
                        ret_error, -EBUSY,
                        "Cannot unmount %s: it is busy; file systems are mounted below it (%s). Unmount "
                        "those first.",
                        canonical, below);
        if (holders_of_fs(st.st_dev, &holders) >= 0 && holders->n > 0 &&
            holders_describe(holders, 8, &who) >= 0)
                return error_set(
                        ret_error, -EBUSY,
                        "Cannot unmount %s: it is busy, in use by %s. Stop those processes or make them "
                        "leave %s (change directory, close files), then try again; it is never unmounted "
                        "lazily.",
                        canonical, who, canonical);
        return error_set(
                ret_error, -EBUSY,
                "Cannot unmount %s: it is busy, but no process was found using it (a kernel user such as a "
                "loop device, a swap file or an NFS export, or a process in another mount namespace). "
                "Release it, then try again; it is never unmounted lazily.",
                canonical);
}
