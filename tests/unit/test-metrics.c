/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <json-c/json.h>

#include "fileio.h"
#include "macro.h"
#include "metrics.h"
#include "test-macro.h"

static unsigned count(const char *haystack, const char *needle) {
        unsigned n = 0;

        for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

TEST(test_escape_label_value) {
        char *s = metrics_escape_label_value("a\\b\"c\nd");

        ASSERT_STREQ(s, "a\\\\b\\\"c\\nd");
        free(s);
        s = metrics_escape_label_value("/usr/bin/plain");
        ASSERT_STREQ(s, "/usr/bin/plain");
        free(s);
        s = metrics_escape_label_value(NULL);
        ASSERT_STREQ(s, "");
        free(s);
}

TEST(test_families_grouped) {
        _cleanup_metrics_ Metrics *m = metrics_new();
        _cleanup_free_ char *text = NULL;

        ASSERT_TRUE(m);
        ASSERT_EQ(metrics_family(m, "x_bytes", METRIC_GAUGE, "Help with \\ and\nnewline \"quoted\"."), 0);
        ASSERT_EQ(metrics_family(m, "y_total", METRIC_COUNTER, "Y."), 0);
        ASSERT_EQ(metrics_family(m, "unused", METRIC_GAUGE, "Never sampled."), 0);
        /* Again with the same type: nothing; with another: refused. */
        ASSERT_EQ(metrics_family(m, "x_bytes", METRIC_GAUGE, "Other help."), 0);
        ASSERT_EQ(metrics_family(m, "x_bytes", METRIC_COUNTER, "Other help."), -EEXIST);
        ASSERT_EQ(metrics_family(m, "9bad", METRIC_GAUGE, "Bad."), -EINVAL);
        ASSERT_EQ(metrics_family(m, "bad-name", METRIC_GAUGE, "Bad."), -EINVAL);
        ASSERT_EQ(metrics_add_u64(m, "nope", NULL, 1), -ENOENT);
        ASSERT_EQ(metrics_add_u64(m, "x_bytes", (const char *const[]){ "__reserved", "v", NULL }, 1),
                  -EINVAL);
        ASSERT_EQ(metrics_add_u64(m, "x_bytes", (const char *const[]){ "bad-label", "v", NULL }, 1),
                  -EINVAL);

        /* Samples of two families interleaved come out grouped by family. */
        ASSERT_EQ(metrics_add_u64(m, "x_bytes", (const char *const[]){ "zone", "/a\"b\\c\nd", NULL }, 1), 0);
        ASSERT_EQ(metrics_add_u64(m, "y_total", (const char *const[]){ "result", "done", NULL }, 2), 0);
        ASSERT_EQ(metrics_add_u64(m, "x_bytes", (const char *const[]){ "zone", "/b", "skipped", NULL, NULL },
                                  18446744073709551615ULL),
                  0);
        ASSERT_EQ(metrics_add_double(m, "y_total", NULL, 1.5), 0);
        ASSERT_EQ(metrics_add_usec_as_seconds(m, "y_total", NULL, 5), 0);
        ASSERT_EQ(metrics_render(m, &text), 0);
        ASSERT_STREQ(text, "# HELP x_bytes Help with \\\\ and\\nnewline \"quoted\".\n"
                           "# TYPE x_bytes gauge\n"
                           "x_bytes{zone=\"/a\\\"b\\\\c\\nd\"} 1\n"
                           "x_bytes{zone=\"/b\"} 18446744073709551615\n"
                           "# HELP y_total Y.\n"
                           "# TYPE y_total counter\n"
                           "y_total{result=\"done\"} 2\n"
                           "y_total 1.5\n"
                           "y_total 0.000005\n");
}

TEST(test_render_facts) {
        _cleanup_free_ char *json = NULL, *text = NULL;
        struct json_object *facts;

        ASSERT_EQ(read_full_file("fixtures/metrics-facts.json", 1024 * 1024, &json, NULL), 0);
        facts = json_tokener_parse(json);
        ASSERT_TRUE(facts);
        ASSERT_EQ(metrics_render_facts(facts, &text), 0);
        json_object_put(facts);

        /* Each family's HELP and TYPE once, before its samples. */
        for (const char *p = text; (p = strstr(p, "# TYPE ")); p++) {
                char name[128], help[140];

                ASSERT_EQ(sscanf(p, "# TYPE %127s", name), 1);
                snprintf(help, sizeof(help), "# HELP %s ", name);
                ASSERT_EQ(count(text, help), 1);
                snprintf(help, sizeof(help), "# TYPE %s ", name);
                ASSERT_EQ(count(text, help), 1);
        }
        ASSERT_EQ(count(text, "# TYPE daxmgr_service_text_resident_bytes gauge\n"), 1);
        ASSERT_TRUE(strstr(text, "daxmgr_info{version=\"0.1\"} 1\n"));
        ASSERT_TRUE(strstr(text, "daxmgr_region_size_bytes{region=\"region0\"} 2147483648\n"));
        ASSERT_TRUE(strstr(text, "daxmgr_namespaces{region=\"region1\",mode=\"devdax\"} 1\n"));
        ASSERT_TRUE(
                strstr(text, "daxmgr_mount_dax{namespace=\"namespace0.0\",mountpoint=\"/mnt/pmem\"} 1\n"));
        ASSERT_TRUE(strstr(text, "daxmgr_mount_dax{namespace=\"namespace0.1\",mountpoint=\"/srv/with "
                                 "\\\"quotes\\\" and \\\\ back\"} 0\n"));
        /* No service: the label is left out. */
        ASSERT_TRUE(strstr(text,
                           "daxmgr_placement_stale{zone=\"/mnt/pmem/xip\",program=\"/usr/bin/other\"} 1\n"));
        ASSERT_TRUE(strstr(text,
                           "daxmgr_service_text_resident_bytes{service=\"sleeper.service\",zone=\"/mnt/"
                           "pmem/xip\",program=\"/usr/bin/daxmgr-static-sleeper\",memory=\"pmem\"} 401408\n"
                           "daxmgr_service_text_resident_bytes{service=\"sleeper.service\",zone=\"/mnt/"
                           "pmem/xip\",program=\"/usr/bin/daxmgr-static-sleeper\",memory=\"dram\"} 0\n"));
        ASSERT_TRUE(strstr(text, "daxmgr_reconcile_duration_seconds 1.234567\n"));
        ASSERT_TRUE(strstr(text, "daxmgr_reconcile_last_success_timestamp_seconds 1764912000.123456\n"));
        ASSERT_TRUE(strstr(text, "daxmgr_reconcile_success 1\n"));
        ASSERT_TRUE(strstr(text, "daxmgr_problems{kind=\"conflict\"} 1\n"));
        ASSERT_TRUE(
                strstr(text, "# TYPE daxmgr_jobs_total counter\ndaxmgr_jobs_total{result=\"done\"} 7\n"));
}

TEST(test_render_facts_empty) {
        _cleanup_free_ char *text = NULL;
        struct json_object *facts = json_object_new_object();

        ASSERT_EQ(metrics_render_facts(facts, &text), 0);
        json_object_put(facts);
        ASSERT_STREQ(text, "# HELP daxmgr_info daxmgrd's version (always 1).\n"
                           "# TYPE daxmgr_info gauge\n"
                           "daxmgr_info{version=\"\"} 1\n");
}

DEFINE_TEST_MAIN();
