/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The worker's request (worker.h): written by the daemon, read by daxmgrd-worker. Apart from
 * worker.c so that the daemon's executable holds none of the worker's code. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "error.h"
#include "log.h"
#include "string-table.h"
#include "worker.h"

static const char *const job_type_table[_JOB_TYPE_MAX] = {
        [JOB_RECONCILE] = "reconcile",
        [JOB_CREATE_NAMESPACE] = "create-namespace",
        [JOB_DESTROY_NAMESPACE] = "destroy-namespace",
        [JOB_FORMAT] = "format",
        [JOB_MOUNT] = "mount",
        [JOB_UNMOUNT] = "unmount",
        [JOB_CREATE_ZONE] = "create-zone",
        [JOB_REMOVE_ZONE] = "remove-zone",
        [JOB_PLACE] = "place",
        [JOB_UNPLACE] = "unplace",
        [JOB_REFRESH] = "refresh",
};
DEFINE_STRING_TABLE_LOOKUP(job_type, JobType)

/* ---- the request ------------------------------------------------------------------------- */

static int add_string(struct json_object *o, const char *key, const char *value) {
        struct json_object *v = value ? json_object_new_string(value) : NULL;

        if (value && !v)
                return -ENOMEM;
        return json_object_object_add(o, key, v) < 0 ? (json_object_put(v), -ENOMEM) : 0;
}

static int add(struct json_object *o, const char *key, struct json_object *v) {
        if (!v)
                return -ENOMEM;
        return json_object_object_add(o, key, v) < 0 ? (json_object_put(v), -ENOMEM) : 0;
}

int worker_config_to_json(const Config *config, struct json_object *o) {
        struct json_object *files = NULL;
        int r = 0;

        /* The configuration as the texts it was parsed from, in their order. */
        if (config) {
                files = json_object_new_array();
                r = add(o, "config", files);
                for (size_t i = 0; r >= 0 && i < config->n_files; i++) {
                        struct json_object *f = json_object_new_object();

                        if (!f || json_object_array_add(files, f) < 0) {
                                json_object_put(f);
                                r = -ENOMEM;
                                break;
                        }
                        r = add_string(f, "file", config->files[i]);
                        if (r >= 0)
                                r = add_string(f, "text", config->texts ? config->texts[i] : NULL);
                }
        }
        /* The programs of the placements as the daemon resolved them at load (manager_reload():
         * python3 → python3.11), which the texts alone do not say. */
        if (r >= 0 && config) {
                struct json_object *programs = json_object_new_array();

                r = add(o, "programs", programs);
                for (size_t i = 0; r >= 0 && i < config->n_placements; i++) {
                        struct json_object *v = json_object_new_string(config->placements[i].program ?: "");

                        if (!v || json_object_array_add(programs, v) < 0) {
                                json_object_put(v);
                                r = -ENOMEM;
                        }
                }
        }
        return r;
}

int worker_hashes_to_json(const PlaceHashCache *hash_cache, struct json_object *o) {
        struct json_object *hashes = json_object_new_array();
        int r;

        r = add(o, "hashes", hashes);
        for (size_t i = 0; r >= 0 && hash_cache && i < hash_cache->n; i++) {
                /* Oldest first, as the ring would drop them. */
                const PlaceHashEntry *e =
                        &hash_cache->entries[hash_cache->n < PLACE_HASH_CACHE_MAX
                                                     ? i
                                                     : (hash_cache->next + i) % PLACE_HASH_CACHE_MAX];
                struct json_object *h = json_object_new_array();

                if (!h || json_object_array_add(hashes, h) < 0) {
                        json_object_put(h);
                        return -ENOMEM;
                }
                if (json_object_array_add(h, json_object_new_uint64(e->dev)) < 0 ||
                    json_object_array_add(h, json_object_new_uint64(e->ino)) < 0 ||
                    json_object_array_add(h, json_object_new_uint64(e->size)) < 0 ||
                    json_object_array_add(h, json_object_new_int64(e->mtime_ns)) < 0 ||
                    json_object_array_add(h, json_object_new_int64(e->ctime_ns)) < 0 ||
                    json_object_array_add(h, json_object_new_string(e->sha256)) < 0)
                        r = -ENOMEM;
        }
        return r;
}

int worker_request_to_json(JobType type, const char *target, struct json_object *args, const Config *config,
                           const char *state_dir, const char *dropin_root, const PlaceHashCache *hash_cache,
                           struct json_object **ret) {
        struct json_object *o = json_object_new_object();
        int r;

        if (!o)
                return -ENOMEM;
        r = add_string(o, "type", job_type_to_string(type));
        if (r >= 0)
                r = add_string(o, "target", target ?: "");
        if (r >= 0)
                r = add(o, "args", args ? json_object_get(args) : json_object_new_object());
        if (r >= 0)
                r = add_string(o, "state_dir", state_dir);
        if (r >= 0)
                r = add_string(o, "dropin_root", dropin_root);
        if (r >= 0)
                r = add(o, "log_level", json_object_new_int(log_max_priority));
        if (r >= 0)
                r = worker_config_to_json(config, o);
        if (r >= 0)
                r = worker_hashes_to_json(hash_cache, o);
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        *ret = o;
        return 0;
}

static int request_string(struct json_object *o, const char *key, bool required, char **ret,
                          char **ret_error) {
        struct json_object *v;

        *ret = NULL;
        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
                if (required)
                        return error_set(ret_error, -EINVAL, "the request has no \"%s\"", key);
                return 0;
        }
        if (!json_object_is_type(v, json_type_string))
                return error_set(ret_error, -EINVAL, "the request's \"%s\" is not a string", key);
        *ret = strdup(json_object_get_string(v));
        return *ret ? 0 : -ENOMEM;
}

static int request_config(struct json_object *files, Config **ret, char **ret_error) {
        size_t n = json_object_array_length(files);
        _cleanup_free_ char **names = calloc(n + 1, sizeof(char *)), **texts = calloc(n + 1, sizeof(char *));
        _cleanup_free_ size_t *sizes = calloc(n + 1, sizeof(size_t));
        _cleanup_free_ char *error = NULL;
        int r;

        if (!names || !texts || !sizes)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                struct json_object *f = json_object_array_get_idx(files, i), *name, *text;

                if (!json_object_object_get_ex(f, "file", &name) ||
                    !json_object_is_type(name, json_type_string) ||
                    !json_object_object_get_ex(f, "text", &text) ||
                    !json_object_is_type(text, json_type_string))
                        return error_set(ret_error, -EINVAL,
                                         "the request's configuration file %zu has no file or text", i + 1);
                names[i] = (char *) json_object_get_string(name);
                texts[i] = (char *) json_object_get_string(text);
                sizes[i] = (size_t) json_object_get_string_len(text);
        }
        r = config_parse_texts(names, texts, sizes, n, ret, NULL, &error);
        if (r < 0)
                return error_set(ret_error, r, "the configuration in effect does not parse again: %s",
                                 error_message(error, r));
        return 0;
}

int worker_config_from_json(struct json_object *o, Config **ret, char **ret_error) {
        Config *config = NULL;
        struct json_object *v;
        int r = 0;

        if (json_object_object_get_ex(o, "config", &v) && json_object_is_type(v, json_type_array))
                r = request_config(v, &config, ret_error);
        if (r >= 0 && config && json_object_object_get_ex(o, "programs", &v)) {
                if (!json_object_is_type(v, json_type_array) ||
                    json_object_array_length(v) != config->n_placements)
                        r = error_set(
                                ret_error, -EINVAL,
                                "the request's programs do not match the placements of its configuration");
                for (size_t i = 0; r >= 0 && i < config->n_placements; i++) {
                        struct json_object *p = json_object_array_get_idx(v, i);
                        char *program;

                        if (!json_object_is_type(p, json_type_string) ||
                            json_object_get_string_len(p) == 0) {
                                r = error_set(ret_error, -EINVAL, "the request's program %zu is not a path",
                                              i + 1);
                                break;
                        }
                        program = strdup(json_object_get_string(p));
                        if (!program) {
                                r = -ENOMEM;
                                break;
                        }
                        free(config->placements[i].program);
                        config->placements[i].program = program;
                }
        }
        if (r < 0) {
                config_free(config);
                return r;
        }
        *ret = config;
        return 0;
}

int worker_hashes_from_json(struct json_object *o, PlaceHashCache *cache) {
        struct json_object *v;
        int r = 0;

        if (json_object_object_get_ex(o, "hashes", &v) && json_object_is_type(v, json_type_array))
                for (size_t i = 0; r >= 0 && i < json_object_array_length(v); i++) {
                        struct json_object *h = json_object_array_get_idx(v, i);
                        PlaceHashEntry e = {};
                        const char *sha;

                        if (!json_object_is_type(h, json_type_array) || json_object_array_length(h) != 6)
                                continue; /* only a cache: what it cannot use, it hashes again */
                        sha = json_object_get_string(json_object_array_get_idx(h, 5));
                        if (!sha || strlen(sha) != 64)
                                continue;
                        e.dev = json_object_get_uint64(json_object_array_get_idx(h, 0));
                        e.ino = json_object_get_uint64(json_object_array_get_idx(h, 1));
                        e.size = json_object_get_uint64(json_object_array_get_idx(h, 2));
                        e.mtime_ns = json_object_get_int64(json_object_array_get_idx(h, 3));
                        e.ctime_ns = json_object_get_int64(json_object_array_get_idx(h, 4));
                        memcpy(e.sha256, sha, 65);
                        r = place_hash_cache_add(cache, &e);
                }
        return r;
}

int worker_request_from_json(struct json_object *o, WorkerJob *ret, char **ret_error) {
        _cleanup_free_ char *type = NULL;
        struct json_object *v;
        WorkerJob w = { .type = _JOB_TYPE_INVALID };
        int r;

        if (!json_object_is_type(o, json_type_object))
                return error_set(ret_error, -EINVAL, "the request is not a JSON object");
        r = request_string(o, "type", true, &type, ret_error);
        if (r >= 0) {
                w.type = job_type_from_string(type);
                if (w.type < 0)
                        r = error_set(ret_error, -EINVAL, "the request's job type \"%s\" is not known",
                                      type);
        }
        if (r >= 0)
                r = request_string(o, "target", true, &w.target, ret_error);
        if (r >= 0)
                r = request_string(o, "state_dir", true, &w.state_dir, ret_error);
        if (r >= 0)
                r = request_string(o, "dropin_root", false, &w.dropin_root, ret_error);
        if (r >= 0 && json_object_object_get_ex(o, "log_level", &v) && json_object_is_type(v, json_type_int))
                log_max_priority = json_object_get_int(v);
        if (r >= 0 && json_object_object_get_ex(o, "args", &v) && json_object_is_type(v, json_type_object))
                w.args = json_object_get(v);
        else if (r >= 0)
                w.args = json_object_new_object();
        if (r >= 0)
                r = worker_config_from_json(o, &w.config, ret_error);
        if (r >= 0)
                r = worker_hashes_from_json(o, &w.hash_cache);
        if (r >= 0 && !w.args)
                r = -ENOMEM;
        if (r < 0) {
                worker_job_done(&w);
                return r;
        }
        *ret = w;
        return 0;
}

void worker_job_done(WorkerJob *w) {
        free(w->target);
        json_object_put(w->args);
        config_free(w->config);
        free(w->state_dir);
        free(w->dropin_root);
        place_hash_cache_done(&w->hash_cache);
        *w = (WorkerJob){};
}
