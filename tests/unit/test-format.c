/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "format.h"
#include "test-macro.h"

static char *join(char **argv) {
        size_t len = 1;
        char *s, *p;

        for (char **a = argv; *a; a++)
                len += strlen(*a) + 1;
        s = p = calloc(1, len);
        ASSERT_TRUE(s);
        for (char **a = argv; *a; a++)
                p += sprintf(p, "%s%s", a == argv ? "" : " ", *a);
        return s;
}

#define GiB (UINT64_C(1) << 30)

TEST(test_argv) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *error = NULL, *s = NULL;
        FormatOptions o = { .fs = FS_TYPE_XFS };

        ASSERT_EQ(format_build_argv("/dev/pmem0", 16 * GiB, &o, &argv, &error), 0);
        s = join(argv);
        ASSERT_STREQ(s, "mkfs.xfs -f -b size=4096 -m reflink=0 -d su=2m,sw=1,extszinherit=512 /dev/pmem0");
        argv = strv_free(argv);
        free(s);

        /* Small: four allocation groups, so that the 64 MiB log fits. Unknown size: as large. */
        ASSERT_EQ(format_build_argv("/dev/pmem0", GiB - 4096, &o, &argv, &error), 0);
        s = join(argv);
        ASSERT_STREQ(
                s,
                "mkfs.xfs -f -b size=4096 -m reflink=0 -d su=2m,sw=1,extszinherit=512,agcount=4 /dev/pmem0");
        argv = strv_free(argv);
        free(s);
        ASSERT_EQ(format_build_argv("/dev/pmem0", 0, &o, &argv, &error), 0);
        s = join(argv);
        ASSERT_STREQ(s, "mkfs.xfs -f -b size=4096 -m reflink=0 -d su=2m,sw=1,extszinherit=512 /dev/pmem0");
        argv = strv_free(argv);
        free(s);

        o.label = "zone data";
        o.uuid = "0b6a1c2e-7d0b-4a47-9e0a-1234567890ab";
        ASSERT_EQ(format_build_argv("/dev/pmem1.2", 2 * GiB, &o, &argv, &error), 0);
        s = join(argv);
        ASSERT_STREQ(s,
                     "mkfs.xfs -f -b size=4096 -m reflink=0 -d su=2m,sw=1,extszinherit=512 -L zone data -m "
                     "uuid=0b6a1c2e-7d0b-4a47-9e0a-1234567890ab /dev/pmem1.2");
        ASSERT_STREQ(argv[9], "zone data"); /* one argument, no shell */
        argv = strv_free(argv);
        free(s);

        o.fs = FS_TYPE_EXT4;
        ASSERT_EQ(format_build_argv("/dev/pmem0", 512 * 1024 * 1024, &o, &argv, &error), 0);
        s = join(argv);
        ASSERT_STREQ(s, "mkfs.ext4 -F -b 4096 -E stride=512,stripe_width=512 -L zone data -U "
                        "0b6a1c2e-7d0b-4a47-9e0a-1234567890ab /dev/pmem0");
        argv = strv_free(argv);
        free(s);
        s = NULL;

        o = (FormatOptions){ .fs = FS_TYPE_EXT4 };
        ASSERT_EQ(format_build_argv("/dev/pmem0", 0, &o, &argv, &error), 0);
        s = join(argv);
        ASSERT_STREQ(s, "mkfs.ext4 -F -b 4096 -E stride=512,stripe_width=512 /dev/pmem0");
        argv = strv_free(argv);
}

TEST(test_argv_refusals) {
        _cleanup_free_ char *error = NULL;
        FormatOptions o = { .fs = FS_TYPE_XFS, .label = "thirteen-char" };
        char **argv = NULL;

        ASSERT_EQ(format_build_argv("/dev/pmem0", 0, &o, &argv, &error), -EINVAL);
        ASSERT_TRUE(argv == NULL);
        ASSERT_TRUE(strstr(error, "13 bytes") && strstr(error, "at most 12"));
        o.fs = FS_TYPE_EXT4; /* 16 for ext4 */
        ASSERT_EQ(format_build_argv("/dev/pmem0", 0, &o, &argv, &error), 0);
        argv = strv_free(argv);
        o.label = "seventeen-chars!!";
        ASSERT_EQ(format_build_argv("/dev/pmem0", 0, &o, &argv, &error), -EINVAL);
        ASSERT_TRUE(strstr(error, "at most 16"));
        o.label = "";
        ASSERT_EQ(format_build_argv("/dev/pmem0", 0, &o, &argv, &error), -EINVAL);
        o.label = "a\nb";
        ASSERT_EQ(format_build_argv("/dev/pmem0", 0, &o, &argv, &error), -EINVAL);
        o.label = NULL;
        o.uuid = "not-a-uuid";
        ASSERT_EQ(format_build_argv("/dev/pmem0", 0, &o, &argv, &error), -EINVAL);
        ASSERT_TRUE(strstr(error, "not a UUID"));
        o.uuid = NULL;
        o.fs = _FS_TYPE_INVALID;
        ASSERT_EQ(format_build_argv("/dev/pmem0", 0, &o, &argv, &error), -EINVAL);
        o.fs = FS_TYPE_XFS;
        ASSERT_EQ(format_build_argv("pmem0", 0, &o, &argv, &error), -EINVAL);
        ASSERT_TRUE(argv == NULL);
}

TEST(test_strings) {
        ASSERT_STREQ(fs_type_to_string(FS_TYPE_XFS), "xfs");
        ASSERT_STREQ(fs_type_to_string(FS_TYPE_EXT4), "ext4");
        ASSERT_EQ(fs_type_from_string("xfs"), FS_TYPE_XFS);
        ASSERT_EQ(fs_type_from_string("ext4"), FS_TYPE_EXT4);
        ASSERT_EQ(fs_type_from_string("ext3"), -EINVAL);
        ASSERT_EQ(fs_type_label_max(FS_TYPE_XFS), 12);
        ASSERT_EQ(fs_type_label_max(FS_TYPE_EXT4), 16);

        ASSERT_TRUE(uuid_string_is_valid("0b6a1c2e-7d0b-4a47-9e0a-1234567890ab"));
        ASSERT_TRUE(uuid_string_is_valid("0B6A1C2E-7D0B-4A47-9E0A-1234567890AB"));
        ASSERT_TRUE(!uuid_string_is_valid("0b6a1c2e7d0b4a479e0a1234567890ab"));
        ASSERT_TRUE(!uuid_string_is_valid("0b6a1c2e-7d0b-4a47-9e0a-1234567890a"));
        ASSERT_TRUE(!uuid_string_is_valid("0b6a1c2e-7d0b-4a47-9e0a-1234567890abc"));
        ASSERT_TRUE(!uuid_string_is_valid("0b6a1c2e-7d0b-4a47-9e0a_1234567890ab"));
        ASSERT_TRUE(!uuid_string_is_valid("gb6a1c2e-7d0b-4a47-9e0a-1234567890ab"));
        ASSERT_TRUE(!uuid_string_is_valid(NULL));
}

TEST(test_stderr_line) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL;

        a = format_stderr_line("mkfs.xfs: cannot open /dev/pmem0: Device or resource busy\n");
        ASSERT_STREQ(a, "mkfs.xfs: cannot open /dev/pmem0: Device or resource busy");
        b = format_stderr_line(
                "line one\n\n  line\ttwo  \nUsage: mkfs.xfs\n/* blocksize */\t[-b size=num]\n");
        ASSERT_STREQ(b, "line one; line two");
        c = format_stderr_line("");
        ASSERT_STREQ(c, "");
        {
                char big[3000];

                memset(big, 'x', sizeof(big) - 1);
                big[sizeof(big) - 1] = '\0';
                d = format_stderr_line(big);
                ASSERT_EQ(strlen(d), 1000);
                ASSERT_STREQ(d + 996, " ...");
        }
}

TEST(test_describe) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL;
        FormatSignature s = { .type = (char *) "xfs",
                              .usage = (char *) "filesystem",
                              .label = (char *) "data",
                              .uuid = (char *) "1234" };

        ASSERT_EQ(format_signature_describe(&s, &a), 0);
        ASSERT_STREQ(a, "an xfs file system (label \"data\", UUID 1234)");
        s = (FormatSignature){ .type = (char *) "swap", .usage = (char *) "other" };
        ASSERT_EQ(format_signature_describe(&s, &b), 0);
        ASSERT_STREQ(b, "a swap signature");
        s = (FormatSignature){ .pttype = (char *) "gpt" };
        ASSERT_EQ(format_signature_describe(&s, &c), 0);
        ASSERT_STREQ(c, "a gpt partition table");
        s = (FormatSignature){ .type = (char *) "ext4, xfs", .ambivalent = true };
        ASSERT_EQ(format_signature_describe(&s, &d), 0);
        ASSERT_STREQ(d, "several signatures (ext4, xfs)");
}

/* libblkid on an image file: blank, then (if mkfs.ext4 is installed) an ext4 with a label. */
TEST(test_probe_image) {
        char path[] = "/tmp/test-format-XXXXXX";
        _cleanup_free_ char *error = NULL;
        _cleanup_close_ int fd = -1;
        FormatSignature s = {};
        FormatOptions o = { .fs = FS_TYPE_EXT4 };
        pid_t pid;
        int status;

        fd = mkostemp(path, O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(ftruncate(fd, 64 * 1024 * 1024), 0);
        ASSERT_EQ(format_probe_fd(fd, &s), 0);

        /* Not a block device: refused before anything else. */
        ASSERT_EQ(format_device(path, &o, NULL, &error), -ENOTBLK);
        ASSERT_TRUE(strstr(error, path) && strstr(error, "not a block device"));

        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY);
                (void) dup2(null, 1);
                (void) dup2(null, 2);
                execlp("mkfs.ext4", "mkfs.ext4", "-q", "-F", "-L", "probe-me", path, NULL);
                _exit(127);
        }
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
                fprintf(stderr, "mkfs.ext4 not installed: skipping the ext4 probe\n");
        else {
                ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
                ASSERT_EQ(format_probe_fd(fd, &s), 1);
                ASSERT_STREQ(s.type, "ext4");
                ASSERT_STREQ(s.usage, "filesystem");
                ASSERT_STREQ(s.label, "probe-me");
                ASSERT_TRUE(s.uuid && uuid_string_is_valid(s.uuid));
                ASSERT_TRUE(!s.ambivalent);
                format_signature_done(&s);
                ASSERT_TRUE(s.type == NULL);
        }
        (void) unlink(path);
}

DEFINE_TEST_MAIN();
