/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "parse-util.h"

/* Parses digits of @base from @s up to @len characters; every character must be a digit. */
static int parse_digits(const char *s, size_t len, unsigned base, uint64_t *ret) {
        uint64_t v = 0;

        if (len == 0)
                return -EINVAL;

        for (size_t i = 0; i < len; i++) {
                unsigned d;
                char c = s[i];

                if (c >= '0' && c <= '9')
                        d = (unsigned) (c - '0');
                else if (c >= 'a' && c <= 'f')
                        d = (unsigned) (c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        d = (unsigned) (c - 'A' + 10);
                else
                        return -EINVAL;
                if (d >= base)
                        return -EINVAL;
                if (v > (UINT64_MAX - d) / base)
                        return -ERANGE;
                v = v * base + d;
        }

        *ret = v;
        return 0;
}

int parse_u64(const char *s, unsigned base, uint64_t *ret) {
        size_t len;

        if (!s || !ret || (base != 10 && base != 16 && base != 0))
                return -EINVAL;

        len = strlen(s);
        if (len > 0 && s[len - 1] == '\n')
                len--;

        if (base == 0 || base == 16) {
                if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
                        s += 2;
                        len -= 2;
                        base = 16;
                } else if (base == 0)
                        base = 10;
        }

        return parse_digits(s, len, base, ret);
}

int parse_u32(const char *s, unsigned base, uint32_t *ret) {
        uint64_t v;
        int r;

        r = parse_u64(s, base, &v);
        if (r < 0)
                return r;
        if (v > UINT32_MAX)
                return -ERANGE;
        *ret = (uint32_t) v;
        return 0;
}

int parse_hex_range(const char *s, uint64_t *ret_start, uint64_t *ret_end) {
        const char *dash;
        uint64_t a, b;
        int r;

        if (!s)
                return -EINVAL;
        dash = strchr(s, '-');
        if (!dash)
                return -EINVAL;

        r = parse_digits(s, (size_t) (dash - s), 16, &a);
        if (r < 0)
                return r;
        r = parse_digits(dash + 1, strlen(dash + 1), 16, &b);
        if (r < 0)
                return r;

        *ret_start = a;
        *ret_end = b;
        return 0;
}

bool service_name_is_valid(const char *unit) {
        static const char suffix[] = ".service";
        const size_t ls = sizeof(suffix) - 1;
        const char *at;
        size_t n;

        if (!unit)
                return false;
        n = strlen(unit);
        if (n <= ls || n > 255 || strcmp(unit + n - ls, suffix) != 0)
                return false;
        for (size_t i = 0; i < n - ls; i++) {
                char c = unit[i];

                /* Not isalnum(): the CLI runs in the user's locale. */
                if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
                    !strchr(":-_.\\@", c))
                        return false;
        }
        at = strchr(unit, '@');
        if (at && strchr(at + 1, '@'))
                return false;
        /* The prefix: what comes before the '@', or before the suffix. */
        return unit[0] != '.' && unit[0] != '@';
}

size_t utf8_char_len(const char *s, size_t n) {
        const unsigned char *p = (const unsigned char *) s;
        size_t need;
        uint32_t cp, min;

        if (n == 0)
                return 0;
        if (p[0] < 0x80)
                return 1;
        if (p[0] >= 0xc2 && p[0] <= 0xdf) {
                need = 1;
                cp = p[0] & 0x1f;
                min = 0x80;
        } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
                need = 2;
                cp = p[0] & 0x0f;
                min = 0x800;
        } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
                need = 3;
                cp = p[0] & 0x07;
                min = 0x10000;
        } else
                return 0;
        if (n <= need)
                return 0;
        for (size_t k = 1; k <= need; k++) {
                if ((p[k] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (p[k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return need + 1;
}
