/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The text of sysfs attributes (and the other short values) that the library turns into numbers
 * and enums: parse_u64() and parse_u32() in bases 0, 10 and 16 and parse_hex_range() on the
 * input as a file's contents; then, on the input as read_one_line_at() returns it (cut at the
 * first newline), pmem_region_parse() (region "resource" and "size": the input split at its
 * first NUL byte into the two files, or the same text for both), blockdev_queue_dax_parse()
 * (queue/dax), devdax_name_normalize(), devdax_parse_mode(), and devdax_parse_user() and
 * devdax_parse_group() on numeric ids (names go through NSS: not here).
 *
 * The oracle: each result is compared with a reference written independently on top of
 * strtoull(): success exactly when the reference succeeds, with the same value; a value that
 * parses prints back (printf) to a text that parses to the same value, with or without the
 * newline sysfs ends in; leading space, a sign, two newlines are refused. abort() on any
 * difference. */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>

#include "devdax.h"
#include "fuzz.h"
#include "mount-util.h"
#include "parse-util.h"
#include "pmem-range.h"

static bool is_digit_of(char c, unsigned base) {
        return base == 16  ? isxdigit((unsigned char) c)
               : base == 8 ? c >= '0' && c <= '7'
                           : isdigit((unsigned char) c);
}

/* @len characters of @s, all digits of @base, through strtoull(): 0, -EINVAL or -ERANGE. */
static int ref_digits(const char *s, size_t len, unsigned base, uint64_t *ret) {
        unsigned long long v;
        char *copy, *end;
        int r = 0;

        if (len == 0)
                return -EINVAL;
        for (size_t i = 0; i < len; i++)
                if (!is_digit_of(s[i], base))
                        return -EINVAL;
        copy = strndup(s, len);
        if (!copy)
                abort();
        errno = 0;
        v = strtoull(copy, &end, (int) base);
        if (*end != '\0')
                abort(); /* the reference itself is wrong */
        if (errno == ERANGE)
                r = -ERANGE;
        else
                *ret = v;
        free(copy);
        return r;
}

/* What parse_u64() is documented to do: one trailing newline allowed, "0x" in bases 0 and 16. */
static int ref_u64(const char *s, unsigned base, uint64_t *ret) {
        size_t len = strlen(s);

        if (len > 0 && s[len - 1] == '\n')
                len--;
        if ((base == 0 || base == 16) && len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
                s += 2;
                len -= 2;
                base = 16;
        } else if (base == 0)
                base = 10;
        return ref_digits(s, len, base, ret);
}

/* The same result, or both failing: with the same error when the reference overflows; with
 * -ERANGE allowed for -EINVAL, since a parser may meet the overflow before the bad character. */
static void same(int r, uint64_t v, int ref, uint64_t ref_v) {
        if ((r >= 0) != (ref >= 0))
                abort();
        if (r >= 0 && v != ref_v)
                abort();
        if (r < 0 && r != ref && !(ref == -EINVAL && r == -ERANGE))
                abort();
        if (r < 0 && r != -EINVAL && r != -ERANGE)
                abort();
}

static void check_u64(const char *s, unsigned base) {
        uint64_t v = 0, ref_v = 0, w;
        uint32_t v32 = 0;
        char buf[32];
        int r, ref, r32;

        r = parse_u64(s, base, &v);
        ref = ref_u64(s, base, &ref_v);
        same(r, v, ref, ref_v);
        if (r >= 0 && (isspace((unsigned char) s[0]) || s[0] == '+' || s[0] == '-'))
                abort();

        r32 = parse_u32(s, base, &v32);
        if (r < 0 ? r32 != r : v > UINT32_MAX ? r32 != -ERANGE : r32 != 0 || v32 != v)
                abort();

        if (r < 0)
                return;
        /* Printed back, in the bases the parser was given, with and without the newline. */
        (void) snprintf(buf, sizeof(buf), base == 16 ? "%" PRIx64 "\n" : "%" PRIu64 "\n", v);
        if (parse_u64(buf, base, &w) < 0 || w != v)
                abort();
        buf[strlen(buf) - 1] = '\0';
        if (parse_u64(buf, base, &w) < 0 || w != v)
                abort();
        (void) snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
        if (base != 10 && (parse_u64(buf, base, &w) < 0 || w != v))
                abort();
        (void) snprintf(buf, sizeof(buf), "%" PRIu64 "\n\n", v);
        if (parse_u64(buf, 10, &w) >= 0)
                abort();
        (void) snprintf(buf, sizeof(buf), " %" PRIu64, v);
        if (parse_u64(buf, 10, &w) >= 0)
                abort();
        (void) snprintf(buf, sizeof(buf), "+%" PRIu64, v);
        if (parse_u64(buf, 10, &w) >= 0)
                abort();
}

static void check_hex_range(const char *s) {
        const char *dash = strchr(s, '-');
        uint64_t a = 0, b = 0, ra = 0, rb = 0;
        int r, ref;

        r = parse_hex_range(s, &a, &b);
        if (!dash)
                ref = -EINVAL;
        else {
                ref = ref_digits(s, (size_t) (dash - s), 16, &ra);
                if (ref >= 0)
                        ref = ref_digits(dash + 1, strlen(dash + 1), 16, &rb);
        }
        same(r, a, ref, ra);
        if (r >= 0 && b != rb)
                abort();
}

static void check_region(const char *resource, const char *size) {
        uint64_t start = 0, end = 0, ref_start = 0, len = 0;
        int r, ref;

        r = pmem_region_parse(resource, size, &start, &end);
        ref = ref_u64(resource, 16, &ref_start);
        if (ref >= 0)
                ref = ref_u64(size, 10, &len);
        if (ref >= 0 && len == 0)
                ref = 1;
        else if (ref >= 0 && ref_start > UINT64_MAX - len)
                ref = -ERANGE;
        if (ref == 1 ? r != 1 : ref < 0 ? r >= 0 || (r != ref && !(ref == -EINVAL && r == -ERANGE)) : r != 0)
                abort();
        if (r == 0) {
                _cleanup_pmem_ranges_ PmemRanges *ranges = NULL;
                const PmemRange *p;

                if (start != ref_start || end - start != len || end <= start)
                        abort();
                if (pmem_ranges_new(&ranges) < 0)
                        abort();
                if (pmem_ranges_add(ranges, start, end, "region0") < 0)
                        abort();
                p = pmem_ranges_find(ranges, end - 1);
                if (!p || p != pmem_ranges_find(ranges, start) || pmem_ranges_find(ranges, end) ||
                    pmem_ranges_total(ranges) != len)
                        abort();
        }
}

static bool all_digits(const char *s, size_t n) {
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isdigit((unsigned char) s[i]))
                        return false;
        return true;
}

static void check_devdax(const char *line) {
        const char *name = strncmp(line, "/dev/", 5) == 0 ? line + 5 : line;
        const char *dot = strncmp(name, "dax", 3) == 0 ? strchr(name + 3, '.') : NULL;
        char *n = NULL;
        uint64_t v = 0;
        bool ok;
        mode_t mode = 0;
        int r;

        /* daxX.Y: digits on both sides of the one dot, at most 32 characters. */
        r = devdax_name_normalize(line, &n);
        ok = dot && all_digits(name + 3, (size_t) (dot - name - 3)) &&
             all_digits(dot + 1, strlen(dot + 1)) && strlen(name) <= 32;
        if (ok ? r < 0 || strcmp(n, name) != 0 : r != -EINVAL)
                abort();
        free(n);

        /* A mode: one to four octal digits, at most 0777. */
        r = devdax_parse_mode(line, &mode);
        ok = strlen(line) >= 1 && strlen(line) <= 4 && ref_digits(line, strlen(line), 8, &v) >= 0 &&
             v <= 0777;
        if (ok ? r < 0 || mode != v : r != -EINVAL)
                abort();

        /* A numeric id: decimal, no leading zero, below (uid_t) -1. */
        if (all_digits(line, strlen(line))) {
                uid_t uid = 0;
                gid_t gid = 0;
                int ru = devdax_parse_user(line, &uid), rg = devdax_parse_group(line, &gid);

                ok = ref_digits(line, strlen(line), 10, &v) >= 0 && v < UINT32_MAX &&
                     (line[0] != '0' || line[1] == '\0');
                if (ok ? ru < 0 || rg < 0 || uid != v || gid != v : ru != -EINVAL || rg != -EINVAL)
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_text(data, size), *line, *second;
        const uint8_t *nul;
        int r;

        if (!s)
                return 0;

        /* The file's contents as they are. */
        check_u64(s, 0);
        check_u64(s, 10);
        check_u64(s, 16);
        check_hex_range(s);

        /* As read_one_line_at() returns it. */
        line = strndup(s, strcspn(s, "\n"));
        if (!line)
                abort();
        r = blockdev_queue_dax_parse(line);
        if (r != (strcmp(line, "1") == 0 ? 1 : strcmp(line, "0") == 0 ? 0 : -EBADMSG))
                abort();
        check_devdax(line);

        /* Region resource and size: two files, split at the first NUL. */
        nul = size > 0 ? memchr(data, 0, size) : NULL;
        if (nul) {
                const char *rest = (const char *) nul + 1;
                size_t k = size - (size_t) (nul - data) - 1;

                second = strndup(rest, strnlen(rest, k));
                if (!second)
                        abort();
                second[strcspn(second, "\n")] = '\0';
        } else
                second = strdup(line);
        if (!second)
                abort();
        check_region(line, second);

        free(second);
        free(line);
        free(s);
        return 0;
}
