/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include <blkid.h>

#include "error.h"
#include "format.h"
#include "mount-util.h"

extern char **environ;

#define XFS_SMALL_DEVICE (UINT64_C(1) << 30)

/* What model.h does not say of a file-system type: its tools' package and its longest label. */
static const struct {
        const char *package;
        size_t label_max;
} fs_type_info[_FS_TYPE_MAX] = {
        [FS_TYPE_XFS] = { "xfsprogs", 12 },
        [FS_TYPE_EXT4] = { "e2fsprogs", 16 },
};

size_t fs_type_label_max(FsType t) {
        if (!fs_type_is_made(t))
                return 0;
        return fs_type_info[t].label_max;
}

bool uuid_string_is_valid(const char *s) {
        if (!s || strlen(s) != 36)
                return false;
        for (size_t i = 0; i < 36; i++) {
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;
                char c = s[i];

                if (dash ? c != '-'
                         : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
                        return false;
        }
        return true;
}

static bool label_is_valid(const char *label) {
        for (const char *p = label; *p; p++)
                if ((unsigned char) *p < ' ' || *p == 0x7f)
                        return false;
        return true;
}

int format_build_argv(const char *device, uint64_t size, const FormatOptions *o, char ***ret,
                      char **ret_error) {
        _cleanup_strv_free_ char **argv = NULL;
        int r;

        if (!device || !o || !ret)
                return -EINVAL;
        if (device[0] != '/')
                return error_set(ret_error, -EINVAL, "Device \"%s\" is not an absolute path (/dev/pmemN).",
                                 device);
        if (!fs_type_is_made(o->fs))
                return error_set(
                        ret_error, -EINVAL,
                        "Cannot format %s: unsupported file system type (xfs or ext4 are supported).",
                        device);
        if (o->label) {
                if (o->label[0] == '\0' || !label_is_valid(o->label))
                        return error_set(ret_error, -EINVAL,
                                         "Cannot format %s: the label \"%s\" is empty or contains control "
                                         "characters.",
                                         device, o->label);
                if (strlen(o->label) > fs_type_label_max(o->fs))
                        return error_set(
                                ret_error, -EINVAL,
                                "Cannot format %s: the label \"%s\" is %zu bytes long, but %s keeps at "
                                "most %zu.",
                                device, o->label, strlen(o->label), fs_type_to_string(o->fs),
                                fs_type_label_max(o->fs));
        }
        if (o->uuid && !uuid_string_is_valid(o->uuid))
                return error_set(ret_error, -EINVAL,
                                 "Cannot format %s: \"%s\" is not a UUID (expected the form "
                                 "01234567-89ab-cdef-0123-456789abcdef).",
                                 device, o->uuid);

        switch (o->fs) {
        case FS_TYPE_XFS:
                /* extszinherit is in file-system blocks: 512 × 4 KiB = 2 MiB. Below 1 GiB, a 2 MiB
                 * stripe unit makes mkfs.xfs choose allocation groups too small to hold the
                 * 64 MiB minimum log: keep four groups there, as on an unstriped device. */
                r = strv_extend_many(&argv, "mkfs.xfs", "-f", "-b", "size=4096", "-m", "reflink=0", "-d",
                                     size > 0 && size < XFS_SMALL_DEVICE
                                             ? "su=2m,sw=1,extszinherit=512,agcount=4"
                                             : "su=2m,sw=1,extszinherit=512",
                                     NULL);
                if (r >= 0 && o->label)
                        r = strv_extend_many(&argv, "-L", o->label, NULL);
                if (r >= 0 && o->uuid) {
                        _cleanup_free_ char *m = NULL;

                        if (asprintf(&m, "uuid=%s", o->uuid) < 0)
                                return -ENOMEM;
                        r = strv_extend_many(&argv, "-m", m, NULL);
                }
                break;
        case FS_TYPE_EXT4:
                /* stride and stripe width are in 4 KiB blocks: 512 × 4 KiB = 2 MiB. */
                r = strv_extend_many(&argv, "mkfs.ext4", "-F", "-b", "4096", "-E",
                                     "stride=512,stripe_width=512", NULL);
                if (r >= 0 && o->label)
                        r = strv_extend_many(&argv, "-L", o->label, NULL);
                if (r >= 0 && o->uuid)
                        r = strv_extend_many(&argv, "-U", o->uuid, NULL);
                break;
        case FS_TYPE_NONE:
        case _FS_TYPE_MAX:
        case _FS_TYPE_INVALID:
                return -EINVAL;
        }
        if (r >= 0)
                r = strv_extend_many(&argv, device, NULL);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(argv);
        return 0;
}

void format_signature_done(FormatSignature *s) {
        if (!s)
                return;
        free(s->type);
        free(s->usage);
        free(s->label);
        free(s->uuid);
        free(s->pttype);
        *s = (FormatSignature){};
}

static void blkid_free_probep(blkid_probe *p) {
        if (*p)
                blkid_free_probe(*p);
}

static int probe_value(blkid_probe pr, const char *name, char **ret) {
        const char *v = NULL;

        if (blkid_probe_lookup_value(pr, name, &v, NULL) < 0 || !v || !*v)
                return 0;
        *ret = strdup(v);
        return *ret ? 1 : -ENOMEM;
}

int format_probe_fd(int fd, FormatSignature *ret) {
        blkid_probe pr __attribute__((cleanup(blkid_free_probep))) = NULL;
        FormatSignature s = {};
        int r;

        if (fd < 0 || !ret)
                return -EINVAL;
        pr = blkid_new_probe();
        if (!pr)
                return -ENOMEM;
        if (blkid_probe_set_device(pr, fd, 0, 0) < 0)
                return -EIO;
        blkid_probe_enable_superblocks(pr, 1);
        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID |
                                                      BLKID_SUBLKS_USAGE);
        blkid_probe_enable_partitions(pr, 1);
        blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);

        errno = 0;
        r = blkid_do_safeprobe(pr);
        if (r == 1)
                return 0;
        if (r == -2) {
                /* Several signatures: list their types with the low-level probe. */
                _cleanup_free_ char *types = NULL;

                s.ambivalent = true;
                (void) blkid_reset_probe(pr);
                while (blkid_do_probe(pr) == 0) {
                        const char *t = NULL;
                        char *joined;

                        if (blkid_probe_lookup_value(pr, "TYPE", &t, NULL) < 0 &&
                            blkid_probe_lookup_value(pr, "PTTYPE", &t, NULL) < 0)
                                continue;
                        if (asprintf(&joined, "%s%s%s", types ?: "", types ? ", " : "", t) < 0)
                                return -ENOMEM;
                        free(types);
                        types = joined;
                }
                s.type = TAKE_PTR(types);
                *ret = s;
                return 1;
        }
        if (r < 0)
                return errno > 0 ? -errno : -EIO;

        if (probe_value(pr, "TYPE", &s.type) < 0 || probe_value(pr, "USAGE", &s.usage) < 0 ||
            probe_value(pr, "LABEL", &s.label) < 0 || probe_value(pr, "UUID", &s.uuid) < 0 ||
            probe_value(pr, "PTTYPE", &s.pttype) < 0) {
                format_signature_done(&s);
                return -ENOMEM;
        }
        if (!s.type && !s.pttype) { /* found, but nothing we can name */
                s.type = strdup("unknown");
                if (!s.type)
                        return -ENOMEM;
        }
        *ret = s;
        return 1;
}

int format_signature_describe(const FormatSignature *s, char **ret) {
        _cleanup_free_ char *extra = NULL;
        const char *what;
        int r;

        if (!s || !ret)
                return -EINVAL;
        if (s->ambivalent)
                r = asprintf(ret, "several signatures (%s)", s->type ?: "unknown");
        else if (!s->type && s->pttype)
                r = asprintf(ret, "a%s %s partition table", strchr("aeiou", s->pttype[0]) ? "n" : "",
                             s->pttype);
        else {
                if (s->label && s->uuid)
                        r = asprintf(&extra, " (label \"%s\", UUID %s)", s->label, s->uuid);
                else if (s->label)
                        r = asprintf(&extra, " (label \"%s\")", s->label);
                else if (s->uuid)
                        r = asprintf(&extra, " (UUID %s)", s->uuid);
                else
                        r = 0;
                if (r < 0)
                        return -ENOMEM;
                what = s->usage && strcmp(s->usage, "filesystem") == 0 ? "file system"
                       : s->usage && strcmp(s->usage, "raid") == 0     ? "RAID member signature"
                       : s->usage && strcmp(s->usage, "crypto") == 0   ? "encrypted volume"
                                                                       : "signature";
                r = asprintf(ret, "a%s %s %s%s", strchr("aeiouxAEIOUX", s->type[0]) ? "n" : "", s->type,
                             what, extra ?: "");
        }
        return r < 0 ? -ENOMEM : 0;
}

/* Runs @argv with stdin and stdout on /dev/null and stderr captured (up to 64 KiB). Returns
 * the exit status (0…255), 256 + signal number if killed, or a negative errno if it could
 * not be started. */
static int spawn_capture_stderr(char *const argv[], char **ret_stderr) {
        posix_spawn_file_actions_t fa;
        _cleanup_close_ int rd = -1, wr = -1;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, max = 64 * 1024;
        int pipefd[2], status, r;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return negative_errno();
        rd = pipefd[0];
        wr = pipefd[1];
        buf = malloc(max + 1);
        if (!buf)
                return -ENOMEM;

        r = posix_spawn_file_actions_init(&fa);
        if (r != 0)
                return -r;
        r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        if (r == 0)
                r = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&fa, wr, STDERR_FILENO);
        if (r == 0)
                r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
        (void) posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                return -r;
        wr = safe_close(wr);

        for (;;) {
                char drain[4096];
                ssize_t n;

                if (size < max)
                        n = read(rd, buf + size, max - size);
                else
                        n = read(rd, drain, sizeof(drain));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                if (size < max)
                        size += (size_t) n;
        }
        buf[size] = '\0';

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return negative_errno();

        if (ret_stderr)
                *ret_stderr = TAKE_PTR(buf);
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 256 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* mkfs's stderr as one line: lines joined by "; ", blank ones dropped, white space runs
 * squeezed, a usage text (which says nothing about the device) cut off, at most ~1000 bytes. */
char *format_stderr_line(const char *s) {
        size_t n = strlen(s);
        char *out = malloc(2 * n + 1), *w = out;
        bool line_start = true, pending_sep = false, pending_space = false;

        if (!out)
                return NULL;
        for (const char *p = s; *p; p++) {
                if (*p == '\n' || *p == '\r') {
                        pending_sep = w > out;
                        pending_space = false;
                        line_start = true;
                        continue;
                }
                if (*p == ' ' || *p == '\t') {
                        pending_space = !line_start;
                        continue;
                }
                if (line_start && strncmp(p, "Usage:", 6) == 0)
                        break;
                if (pending_sep)
                        w = stpcpy(w, "; ");
                else if (pending_space)
                        *w++ = ' ';
                pending_sep = pending_space = line_start = false;
                *w++ = *p;
        }
        *w = '\0';
        if (w - out > 1000)
                strcpy(out + 996, " ...");
        return out;
}

/* The refusals before mkfs runs: not a block device, mounted (force does not override that),
 * held by the kernel, or holding data without force. The argv of mkfs for the device's size. */
static int format_claim(const char *device, const FormatOptions *o, char ***ret_argv, char **ret_error) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_mnt_table_ struct libmnt_table *table = NULL;
        _cleanup_free_ char *what = NULL;
        _cleanup_close_ int fd = -1;
        FormatSignature sig = {};
        struct libmnt_fs *mounted;
        uint64_t size = 0;
        struct stat st;
        int r;

        r = format_build_argv(device, 0, o, &argv, ret_error); /* validates before any I/O */
        if (r < 0)
                return r;
        argv = strv_free(argv);

        fd = open(device, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return error_set(ret_error, negative_errno(), "Cannot format %s: cannot open it: %m.",
                                 device);
        if (fstat(fd, &st) < 0)
                return error_set(ret_error, negative_errno(), "Cannot format %s: cannot stat it: %m.",
                                 device);
        if (!S_ISBLK(st.st_mode))
                return error_set(ret_error, -ENOTBLK,
                                 "Cannot format %s: it is not a block device (expected an fsdax namespace's "
                                 "/dev/pmemN).",
                                 device);
        if (ioctl(fd, BLKGETSIZE64, &size) < 0)
                return error_set(ret_error, negative_errno(), "Cannot format %s: cannot read its size: %m.",
                                 device);
        r = format_build_argv(device, size, o, &argv, ret_error);
        if (r < 0)
                return r;

        /* Mounted here: name the mount point. Force does not override this. */
        r = mount_table_load(NULL, &table);
        if (r < 0)
                return error_set(ret_error, r, "Cannot format %s: cannot read the mount table: %s.", device,
                                 strerror(-r));
        mounted = mount_table_find_devno(table, st.st_rdev);
        if (mounted)
                return error_set(
                        ret_error, -EBUSY,
                        "Refusing to format %s: it is mounted at %s. Unmount it first; formatting a "
                        "mounted device is never allowed, not even with force.",
                        device, mnt_fs_get_target(mounted) ?: "?");

        /* Claimed by the kernel some other way (mounted in another namespace, swap, dm, md):
         * an exclusive open fails with EBUSY. Keep it open while probing. */
        fd = safe_close(fd);
        fd = open(device, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_EXCL);
        if (fd < 0) {
                if (errno == EBUSY)
                        return error_set(
                                ret_error, -EBUSY,
                                "Refusing to format %s: the kernel holds it (mounted in another mount "
                                "namespace, used as swap, or part of a device-mapper or RAID device).",
                                device);
                return error_set(ret_error, negative_errno(), "Cannot format %s: cannot open it: %m.",
                                 device);
        }

        r = format_probe_fd(fd, &sig);
        if (r < 0)
                return error_set(ret_error, r, "Cannot format %s: probing it for existing data failed: %s.",
                                 device, strerror(-r));
        if (r > 0) {
                r = format_signature_describe(&sig, &what);
                format_signature_done(&sig);
                if (r < 0)
                        return r;
                if (!o->force)
                        return error_set(
                                ret_error, -EEXIST,
                                "Refusing to format %s: it holds %s. Pass force to overwrite it, which "
                                "destroys it.",
                                device, what);
        }
        /* Closed on return: mkfs opens it exclusively itself. */
        *ret_argv = TAKE_PTR(argv);
        return 0;
}

/* Runs mkfs; its failure as one sentence with its own words. */
static int format_run(const char *device, const FormatOptions *o, char *const *argv, char **ret_error) {
        _cleanup_free_ char *err = NULL, *line = NULL;
        int r;

        r = spawn_capture_stderr(argv, &err);
        if (r == -ENOENT)
                return error_set(ret_error, -ENOENT, "Cannot format %s: %s was not found; install %s.",
                                 device, argv[0], fs_type_info[o->fs].package);
        if (r < 0)
                return error_set(ret_error, r, "Cannot format %s: cannot run %s: %s.", device, argv[0],
                                 strerror(-r));
        if (r == 0)
                return 0;
        line = format_stderr_line(err ?: "");
        if (!line)
                return -ENOMEM;
        if (r > 255)
                return error_set(ret_error, -EIO, "Formatting %s failed: %s was killed by signal %d%s%s",
                                 device, argv[0], r - 256, *line ? ": " : ".", line);
        return error_set(ret_error, -EIO, "Formatting %s failed: %s exited with status %d%s%s", device,
                         argv[0], r, *line ? ": " : ".", line);
}

/* What is on the device now must be the file system @mkfs said it made; its uuid. */
static int format_read_back(const char *device, const FormatOptions *o, const char *mkfs, char **ret_uuid,
                            char **ret_error) {
        _cleanup_close_ int fd = -1;
        FormatSignature sig = {};
        int r;

        fd = open(device, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return error_set(ret_error, negative_errno(), "Formatted %s, but cannot reopen it: %m.",
                                 device);
        r = format_probe_fd(fd, &sig);
        if (r <= 0 || sig.ambivalent || !sig.type || strcmp(sig.type, fs_type_to_string(o->fs)) != 0) {
                _cleanup_free_ char *found = NULL;

                if (r > 0)
                        (void) format_signature_describe(&sig, &found);
                format_signature_done(&sig);
                return error_set(
                        ret_error, r < 0 ? r : -EIO,
                        "%s reported success on %s, but libblkid now finds %s instead of an %s file "
                        "system: the device may not keep what is written to it (write a block with dd "
                        "oflag=direct and read it back to see; the kernel log may say why).",
                        mkfs, device, found ?: "nothing", fs_type_to_string(o->fs));
        }
        if (ret_uuid)
                *ret_uuid = TAKE_PTR(sig.uuid);
        format_signature_done(&sig);
        return 0;
}

int format_device(const char *device, const FormatOptions *o, char **ret_uuid, char **ret_error) {
        _cleanup_strv_free_ char **argv = NULL;
        int r;

        r = format_claim(device, o, &argv, ret_error);
        if (r < 0)
                return r;
        r = format_run(device, o, argv, ret_error);
        if (r < 0)
                return r;
        return format_read_back(device, o, argv[0], ret_uuid, ret_error);
}
