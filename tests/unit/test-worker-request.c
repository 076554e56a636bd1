/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The request daxmgrd sends to daxmgrd-worker (daemon/worker.h): what the worker reads back is
 * the job, the directories, the configuration in effect (the same, field for field, though the
 * files are not read again) and the hash cache; a request that is not one is refused with a
 * sentence. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "config.h"
#include "error.h"
#include "test-macro.h"
#include "worker.h"

#define MAIN_CONF                                                                                           \
        "# the main file\n"                                                                                 \
        "[Namespace db]\nMode=fsdax\nSize=1G\nMountPoint=/mnt/pmem/db\n"                                    \
        "[Zone apps]\nNamespace=db\nDirectory=xip\n"                                                        \
        "[Placement py]\nZone=apps\nProgram=/usr/bin/python3\n"
#define DROPIN_CONF "[Namespace db]\nSize=2G\n"

static char *config_json(const Config *c) {
        struct json_object *o = NULL;
        char *s;

        ASSERT_EQ(config_to_json(c, &o), 0);
        s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        ASSERT_TRUE(s);
        json_object_put(o);
        return s;
}

/* @o written out and parsed again, as it crosses the memfd. */
static struct json_object *through_text(struct json_object *o) {
        struct json_object *back =
                json_tokener_parse(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));

        ASSERT_TRUE(back);
        json_object_put(o);
        return back;
}

TEST(test_job_types) {
        for (int t = 0; t < _JOB_TYPE_MAX; t++) {
                ASSERT_TRUE(job_type_to_string(t));
                ASSERT_EQ(job_type_from_string(job_type_to_string(t)), t);
        }
        ASSERT_EQ(job_type_from_string("no-such-job"), _JOB_TYPE_INVALID);
        ASSERT_EQ(job_type_from_string(NULL), _JOB_TYPE_INVALID);
}

TEST(test_round_trip) {
        char *names[] = { (char *) "/etc/daxmgr/daxmgr.conf",
                          (char *) "/etc/daxmgr/daxmgr.conf.d/10-size.conf" };
        char *texts[] = { (char *) MAIN_CONF, (char *) DROPIN_CONF };
        size_t sizes[] = { strlen(MAIN_CONF), strlen(DROPIN_CONF) };
        _cleanup_config_ Config *c = NULL;
        _cleanup_free_ char *before = NULL, *after = NULL, *error = NULL;
        PlaceHashCache cache = {};
        struct json_object *args = json_object_new_object(), *o = NULL;
        WorkerJob w;

        ASSERT_EQ(config_parse_texts(names, texts, sizes, 2, &c, NULL, &error), 0);
        ASSERT_EQ(c->n_files, 2u);
        ASSERT_STREQ(c->texts[0], MAIN_CONF);
        ASSERT_STREQ(c->texts[1], DROPIN_CONF);
        ASSERT_EQ_U64(c->namespaces[0].size.bytes, 2ULL << 30);
        /* The daemon plans with the file a program's symlink resolves to (manager_reload()). */
        ASSERT_EQ(c->n_placements, 1u);
        free(c->placements[0].program);
        c->placements[0].program = strdup("/usr/bin/python3.13");
        ASSERT_TRUE(c->placements[0].program);

        for (unsigned i = 0; i < 3; i++) {
                PlaceHashEntry e = { .dev = 64768 + i,
                                     .ino = 1000 + i,
                                     .size = 4096,
                                     .mtime_ns = -1 - (int64_t) i,
                                     .ctime_ns = INT64_MAX - i };

                memset(e.sha256, 'a' + (int) i, 64);
                ASSERT_EQ(place_hash_cache_add(&cache, &e), 0);
        }
        json_object_object_add(args, "mount_point", json_object_new_string("/mnt/pmem/db"));
        json_object_object_add(args, "force", json_object_new_boolean(true));

        ASSERT_EQ(worker_request_to_json(JOB_MOUNT, "namespace0.0", args, c, "/var/lib/daxmgr", "/", &cache,
                                         &o),
                  0);
        json_object_put(args);
        o = through_text(o);
        ASSERT_EQ(worker_request_from_json(o, &w, &error), 0);
        json_object_put(o);

        ASSERT_EQ(w.type, JOB_MOUNT);
        ASSERT_STREQ(w.target, "namespace0.0");
        ASSERT_STREQ(w.state_dir, "/var/lib/daxmgr");
        ASSERT_STREQ(w.dropin_root, "/");
        ASSERT_STREQ(json_object_get_string(json_object_object_get(w.args, "mount_point")), "/mnt/pmem/db");
        ASSERT_TRUE(json_object_get_boolean(json_object_object_get(w.args, "force")));

        /* The same configuration, with its files and their lines (the origins in messages). */
        ASSERT_TRUE(w.config);
        before = config_json(c);
        after = config_json(w.config);
        ASSERT_STREQ(after, before);
        ASSERT_STREQ(w.config->files[1], names[1]);
        ASSERT_STREQ(w.config->placements[0].program, "/usr/bin/python3.13");

        ASSERT_EQ(w.hash_cache.n, 3u);
        for (unsigned i = 0; i < 3; i++) {
                const PlaceHashEntry *e = NULL;

                for (size_t k = 0; k < w.hash_cache.n; k++)
                        if (w.hash_cache.entries[k].ino == 1000 + i)
                                e = &w.hash_cache.entries[k];
                ASSERT_TRUE(e);
                ASSERT_EQ_U64(e->dev, 64768 + i);
                ASSERT_TRUE(e->mtime_ns == -1 - (int64_t) i);
                ASSERT_TRUE(e->ctime_ns == INT64_MAX - i);
                ASSERT_TRUE(e->sha256[0] == 'a' + (int) i && strlen(e->sha256) == 64);
        }
        worker_job_done(&w);
        place_hash_cache_done(&cache);
}

TEST(test_no_config) {
        _cleanup_free_ char *error = NULL;
        struct json_object *o = NULL;
        WorkerJob w;

        ASSERT_EQ(worker_request_to_json(JOB_RECONCILE, NULL, NULL, NULL, "/var/lib/daxmgr", NULL, NULL, &o),
                  0);
        o = through_text(o);
        ASSERT_EQ(worker_request_from_json(o, &w, &error), 0);
        json_object_put(o);
        ASSERT_EQ(w.type, JOB_RECONCILE);
        ASSERT_STREQ(w.target, "");
        ASSERT_TRUE(!w.config);
        ASSERT_TRUE(!w.dropin_root);
        ASSERT_TRUE(json_object_is_type(w.args, json_type_object));
        worker_job_done(&w);
}

/* A namespace, a zone and a placement, as a JSON string's content. */
#define NS_ZONE_PLACEMENT                                                                                   \
        "[Namespace db]\\nMode=fsdax\\nSize=1G\\nMountPoint=/mnt/pmem/db\\n[Zone apps]\\nNamespace=db\\n"   \
        "Directory=xip\\n[Placement py]\\nZone=apps\\nProgram=/usr/bin/python3\\n"

static void refused(const char *text, const char *want) {
        struct json_object *o = json_tokener_parse(text);
        _cleanup_free_ char *error = NULL;
        WorkerJob w;

        ASSERT_TRUE(o);
        ASSERT_EQ(worker_request_from_json(o, &w, &error), -EINVAL);
        json_object_put(o);
        if (!error || !strstr(error, want)) {
                fprintf(stderr, "%s\n-> %s (wanted \"%s\")\n", text, error ?: "(no sentence)", want);
                abort();
        }
}

TEST(test_refused) {
        refused("[]", "not a JSON object");
        refused("{}", "no \"type\"");
        refused("{\"type\": \"fly\", \"target\": \"\", \"state_dir\": \"/s\"}",
                "job type \"fly\" is not known");
        refused("{\"type\": 3}", "\"type\" is not a string");
        refused("{\"type\": \"mount\", \"target\": \"\"}", "no \"state_dir\"");
        refused("{\"type\": \"mount\", \"target\": \"\", \"state_dir\": \"/s\", \"config\": [{\"file\": "
                "\"a\"}]}",
                "configuration file 1 has no file or text");
        refused("{\"type\": \"mount\", \"target\": \"\", \"state_dir\": \"/s\", \"config\": [{\"file\": "
                "\"/etc/x.conf\", "
                "\"text\": \"[Namespace]\\n\"}]}",
                "the configuration in effect does not parse again: /etc/x.conf:1");
        refused("{\"type\": \"mount\", \"target\": \"\", \"state_dir\": \"/s\", \"config\": [{\"file\": "
                "\"/etc/x.conf\", "
                "\"text\": \"" NS_ZONE_PLACEMENT "\"}], \"programs\": []}",
                "programs do not match the placements");
        refused("{\"type\": \"mount\", \"target\": \"\", \"state_dir\": \"/s\", \"config\": [{\"file\": "
                "\"/etc/x.conf\", "
                "\"text\": \"" NS_ZONE_PLACEMENT "\"}], \"programs\": [\"\"]}",
                "program 1 is not a path");
}

DEFINE_TEST_MAIN();
