/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdint.h>

#include "parse-util.h"
#include "test-macro.h"

TEST(test_parse_u64) {
        uint64_t v;

        ASSERT_EQ(parse_u64("0", 10, &v), 0);
        ASSERT_EQ_U64(v, 0);
        ASSERT_EQ(parse_u64("4096\n", 10, &v), 0); /* sysfs style */
        ASSERT_EQ_U64(v, 4096);
        ASSERT_EQ(parse_u64("18446744073709551615", 10, &v), 0);
        ASSERT_EQ_U64(v, UINT64_MAX);
        ASSERT_EQ(parse_u64("18446744073709551616", 10, &v), -ERANGE);
        ASSERT_EQ(parse_u64("0x140000000", 16, &v), 0);
        ASSERT_EQ_U64(v, 0x140000000);
        ASSERT_EQ(parse_u64("ffffffffffffffff", 16, &v), 0);
        ASSERT_EQ(parse_u64("1ffffffffffffffff", 16, &v), -ERANGE);
        ASSERT_EQ(parse_u64("0x10", 0, &v), 0);
        ASSERT_EQ_U64(v, 16);
        ASSERT_EQ(parse_u64("10", 0, &v), 0);
        ASSERT_EQ_U64(v, 10);

        /* Strictness: no sign, no spaces, no trailing junk, no empty string, no bare 0x. */
        ASSERT_EQ(parse_u64("", 10, &v), -EINVAL);
        ASSERT_EQ(parse_u64("\n", 10, &v), -EINVAL);
        ASSERT_EQ(parse_u64("-1", 10, &v), -EINVAL);
        ASSERT_EQ(parse_u64("+1", 10, &v), -EINVAL);
        ASSERT_EQ(parse_u64(" 1", 10, &v), -EINVAL);
        ASSERT_EQ(parse_u64("1 ", 10, &v), -EINVAL);
        ASSERT_EQ(parse_u64("12abc", 10, &v), -EINVAL);
        ASSERT_EQ(parse_u64("0x", 16, &v), -EINVAL);
        ASSERT_EQ(parse_u64("ff", 10, &v), -EINVAL);
        ASSERT_EQ(parse_u64("1\n\n", 10, &v), -EINVAL);
}

TEST(test_parse_u32) {
        uint32_t v;

        ASSERT_EQ(parse_u32("4294967295", 10, &v), 0);
        ASSERT_EQ_U64(v, UINT32_MAX);
        ASSERT_EQ(parse_u32("4294967296", 10, &v), -ERANGE);
}

TEST(test_parse_hex_range) {
        uint64_t a, b;

        ASSERT_EQ(parse_hex_range("100000000-17fffffff", &a, &b), 0);
        ASSERT_EQ_U64(a, 0x100000000);
        ASSERT_EQ_U64(b, 0x17fffffff);
        ASSERT_EQ(parse_hex_range("7f12a000-7f12b000", &a, &b), 0);
        ASSERT_EQ(parse_hex_range("100000000", &a, &b), -EINVAL);
        ASSERT_EQ(parse_hex_range("-1000", &a, &b), -EINVAL);
        ASSERT_EQ(parse_hex_range("1000-", &a, &b), -EINVAL);
        ASSERT_EQ(parse_hex_range("10g0-2000", &a, &b), -EINVAL);
        ASSERT_EQ(parse_hex_range("0x10-0x20", &a, &b), -EINVAL);
        ASSERT_EQ(parse_hex_range("1-2-3", &a, &b), -EINVAL);
}

TEST(test_service_name_is_valid) {
        static const char *const good[] = {
                "a.service",          "myapp.service",     "app@inst.service",         "app@.service",
                "getty@tty1.service", "x-y_z:1.2.service", "escaped\\x2dname.service",
        };
        static const char *const bad[] = {
                "",
                "service",
                ".service",
                "@.service",
                "@x.service",
                ".hidden.service",
                "a@b@c.service",
                "my app.service",
                "a/b.service",
                "app.socket",
                "app.service.d",
                "app.Service",
                "é.service",
                "a%i.service",
        };
        char longest[256], too_long[257];

        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                fprintf(stderr, "good: %s\n", good[i]);
                ASSERT_TRUE(service_name_is_valid(good[i]));
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                fprintf(stderr, "bad: %s\n", bad[i]);
                ASSERT_TRUE(!service_name_is_valid(bad[i]));
        }
        ASSERT_TRUE(!service_name_is_valid(NULL));
        memset(longest, 'a', sizeof(longest));
        memcpy(longest + 255 - strlen(".service"), ".service", sizeof(".service"));
        ASSERT_EQ(strlen(longest), 255);
        ASSERT_TRUE(service_name_is_valid(longest));
        memset(too_long, 'a', sizeof(too_long));
        memcpy(too_long + 256 - strlen(".service"), ".service", sizeof(".service"));
        ASSERT_EQ(strlen(too_long), 256);
        ASSERT_TRUE(!service_name_is_valid(too_long));
}

TEST(test_utf8_char_len) {
        static const struct {
                const char *s;
                size_t n, want;
        } cases[] = {
                { "a", 1, 1 },
                { "\t", 1, 1 },
                { "\xc3\xa9", 2, 2 },         /* é */
                { "\xe2\x82\xac", 3, 3 },     /* € */
                { "\xf0\x9f\x98\x80", 4, 4 }, /* U+1F600 */
                { "\xf4\x8f\xbf\xbf", 4, 4 }, /* U+10FFFF, the last */
                { "\xc0\x80", 2, 0 },         /* overlong NUL */
                { "\xc1\xbf", 2, 0 },         /* overlong */
                { "\xe0\x80\x80", 3, 0 },     /* overlong */
                { "\xf0\x80\x80\x80", 4, 0 }, /* overlong */
                { "\xed\xa0\x80", 3, 0 },     /* a surrogate, U+D800 */
                { "\xf4\x90\x80\x80", 4, 0 }, /* above U+10FFFF */
                { "\xf5\x80\x80\x80", 4, 0 }, /* never a lead byte */
                { "\x80", 1, 0 },             /* a lone continuation byte */
                { "\xc3", 1, 0 },             /* cut short */
                { "\xe2\x82", 2, 0 },         /* cut short */
                { "\xc3\xa9", 1, 0 },         /* cut short by n */
                { "\xe2(\xac", 3, 0 },        /* not a continuation byte */
                { "", 0, 0 },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                fprintf(stderr, "utf8 case %zu\n", i);
                ASSERT_EQ(utf8_char_len(cases[i].s, cases[i].n), cases[i].want);
        }
        /* NUL-terminated: a NUL ends a sequence as invalid, and nothing past it is read. */
        ASSERT_EQ(utf8_char_len("\xe2\x82", SIZE_MAX), 0);
        ASSERT_EQ(utf8_char_len("\xe2\x82\xac!", SIZE_MAX), 3);
        ASSERT_EQ(utf8_char_len("", SIZE_MAX), 1); /* the NUL itself: ASCII */
}

DEFINE_TEST_MAIN();
