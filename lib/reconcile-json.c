/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The plan as JSON, both ways (reconcile.h): what the worker sends the daemon and GetPlan
 * returns. Pure; split from reconcile.c, whose planner never reads JSON. */

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "parse-util.h"
#include "reconcile.h"

/* ---- JSON ---------------------------------------------------------------------------------- */

/* The fields each step type uses; exactly these are written and read. */
enum {
        F_REGION = 1u << 0,
        F_NAMESPACE = 1u << 1,
        F_DEVICE = 1u << 2,
        F_MODE = 1u << 3,
        F_MAP = 1u << 4,
        F_ALIGN = 1u << 5,
        F_SIZE = 1u << 6,
        F_FILESYSTEM = 1u << 7,
        F_FORCE = 1u << 8,
        F_MOUNT_POINT = 1u << 9,
        F_DAX = 1u << 10,
        F_MOUNT_OPTIONS = 1u << 11,
        F_UID = 1u << 12,
        F_GID = 1u << 13,
        F_PERMISSIONS = 1u << 14,
        F_SYSTEM_RAM = 1u << 15,
        F_ZONE = 1u << 16,
        F_PROGRAM = 1u << 17,
        F_WITH_LIBRARIES = 1u << 18,
        F_SERVICE = 1u << 19,
        F_MEMDEVS = 1u << 20,
        F_BYTES = 1u << 21,
        F_UUID = 1u << 22,
};

static const unsigned step_fields[_RECONCILE_STEP_TYPE_MAX] = {
        [RECONCILE_CREATE_CXL_REGION] = F_REGION | F_MEMDEVS | F_BYTES | F_UUID,
        [RECONCILE_CREATE_NAMESPACE] = F_REGION | F_NAMESPACE | F_MODE | F_MAP | F_ALIGN | F_SIZE,
        [RECONCILE_RECONFIGURE] = F_REGION | F_NAMESPACE | F_DEVICE | F_MODE | F_MAP | F_ALIGN | F_FORCE,
        [RECONCILE_FORMAT] = F_REGION | F_NAMESPACE | F_DEVICE | F_FILESYSTEM | F_FORCE,
        [RECONCILE_MOUNT] = F_REGION | F_NAMESPACE | F_DEVICE | F_MOUNT_POINT | F_DAX | F_MOUNT_OPTIONS,
        [RECONCILE_DEVDAX_ACCESS] = F_REGION | F_NAMESPACE | F_DEVICE | F_UID | F_GID | F_PERMISSIONS,
        [RECONCILE_DEVDAX_MODE] = F_REGION | F_NAMESPACE | F_DEVICE | F_SYSTEM_RAM,
        [RECONCILE_CREATE_ZONE] = F_NAMESPACE | F_ZONE,
        [RECONCILE_PLACE] = F_ZONE | F_PROGRAM | F_WITH_LIBRARIES,
        [RECONCILE_REFRESH] = F_ZONE | F_PROGRAM,
        [RECONCILE_WRITE_DROPIN] = F_ZONE | F_PROGRAM | F_SERVICE,
        [RECONCILE_WRITE_ENTRY_POINT] = F_ZONE | F_PROGRAM,
        [RECONCILE_BIND_HOST] = F_ZONE | F_PROGRAM,
        [RECONCILE_DEACTIVATE] = F_ZONE | F_PROGRAM | F_SERVICE,
        [RECONCILE_REMOVE_DROPIN] = F_ZONE | F_PROGRAM | F_SERVICE,
        [RECONCILE_REMOVE_ENTRY] = F_ZONE | F_PROGRAM,
        [RECONCILE_UNBIND_HOST] = F_ZONE | F_PROGRAM,
        [RECONCILE_DESTROY_NAMESPACE] = F_REGION | F_NAMESPACE | F_DEVICE | F_FORCE,
};

/* "1G", "512M", "4096", "12.5%", "rest": what size_spec_parse() reads back to the same spec. */
static int size_spec_format(const SizeSpec *s, char **ret) {
        static const char units[] = "KMGT";
        uint64_t b = s->bytes;
        unsigned u = 0;
        int k = -1; /* every kind sets it: the compiler cannot know that the enum is closed */

        switch (s->kind) {
        case SIZE_REST:
                k = asprintf(ret, "rest");
                break;
        case SIZE_PERCENT:
                if (s->basis_points % 100 == 0)
                        k = asprintf(ret, "%" PRIu32 "%%", s->basis_points / 100);
                else if (s->basis_points % 10 == 0)
                        k = asprintf(ret, "%" PRIu32 ".%" PRIu32 "%%", s->basis_points / 100,
                                     s->basis_points % 100 / 10);
                else
                        k = asprintf(ret, "%" PRIu32 ".%02" PRIu32 "%%", s->basis_points / 100,
                                     s->basis_points % 100);
                break;
        case SIZE_BYTES:
                while (b != 0 && b % 1024 == 0 && u < sizeof(units) - 1) {
                        b /= 1024;
                        u++;
                }
                if (u == 0)
                        k = asprintf(ret, "%" PRIu64, b);
                else
                        k = asprintf(ret, "%" PRIu64 "%c", b, units[u - 1]);
                break;
        case _SIZE_KIND_MAX:
        case _SIZE_KIND_INVALID:
                return -EINVAL;
        }
        if (k < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

static json_object *jstr(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

static int add(json_object *o, const char *key, json_object *v, bool may_be_null) {
        if (!v && !may_be_null)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int step_to_json(const ReconcileStep *s, json_object **ret) {
        json_object *o = json_object_new_object();
        unsigned f;
        int r = 0;

        if (!o)
                return -ENOMEM;
        if (s->type < 0 || s->type >= _RECONCILE_STEP_TYPE_MAX) {
                json_object_put(o);
                return -EINVAL;
        }
        f = step_fields[s->type];

#define ADD(key, v, null_ok)                                                                                \
        do {                                                                                                \
                if (r >= 0)                                                                                 \
                        r = add(o, key, v, null_ok);                                                        \
        } while (0)

        ADD("type", jstr(reconcile_step_type_to_string(s->type)), false);
        ADD("section", jstr(s->section), true);
        ADD("description", jstr(s->description), true);
        if (f & F_REGION)
                ADD("region", jstr(s->region), true);
        if (f & F_NAMESPACE)
                ADD("namespace", jstr(s->namespace), true);
        if (f & F_DEVICE)
                ADD("device", jstr(s->device), true);
        if (f & F_MODE)
                ADD("mode", jstr(namespace_mode_to_string(s->ns.mode)), true);
        if (f & F_MAP)
                ADD("map", jstr(pfn_map_to_string(s->ns.map)), true);
        if (f & F_ALIGN)
                ADD("align", json_object_new_uint64(s->ns.align), false);
        if (f & F_SIZE) {
                _cleanup_free_ char *size = NULL;

                if (r >= 0)
                        r = size_spec_format(&s->ns.size, &size);
                ADD("size", jstr(size), false);
        }
        if (f & F_FILESYSTEM)
                ADD("filesystem", jstr(fs_type_to_string(s->fs)), true);
        if (f & F_FORCE)
                ADD("force", json_object_new_boolean(s->force), false);
        if (f & F_MOUNT_POINT)
                ADD("mount_point", jstr(s->mount_point), true);
        if (f & F_DAX)
                ADD("dax", jstr(dax_mode_to_string(s->dax)), true);
        if (f & F_MOUNT_OPTIONS)
                ADD("mount_options", jstr(s->mount_options), true);
        if (f & F_UID)
                ADD("uid", s->uid == (uid_t) -1 ? NULL : json_object_new_uint64(s->uid),
                    s->uid == (uid_t) -1);
        if (f & F_GID)
                ADD("gid", s->gid == (gid_t) -1 ? NULL : json_object_new_uint64(s->gid),
                    s->gid == (gid_t) -1);
        if (f & F_PERMISSIONS) {
                char perm[16];

                (void) snprintf(perm, sizeof(perm), "%04o", (unsigned) s->permissions & 07777);
                ADD("permissions", s->permissions == (mode_t) -1 ? NULL : json_object_new_string(perm),
                    s->permissions == (mode_t) -1);
        }
        if (f & F_SYSTEM_RAM)
                ADD("system_ram", jstr(config_system_ram_to_string(s->system_ram)), true);
        if (f & F_ZONE)
                ADD("zone", jstr(s->zone), true);
        if (f & F_PROGRAM)
                ADD("program", jstr(s->program), true);
        if (f & F_WITH_LIBRARIES)
                ADD("with_libraries", json_object_new_boolean(s->with_libraries), false);
        if (f & F_SERVICE)
                ADD("service", jstr(s->service), true);
        if (f & F_MEMDEVS)
                ADD("memdevs", jstr(s->memdevs), true);
        if (f & F_BYTES)
                ADD("bytes", json_object_new_uint64(s->bytes), false);
        if (f & F_UUID)
                ADD("uuid", jstr(s->uuid), true);
#undef ADD

        if (r < 0) {
                json_object_put(o);
                return r;
        }
        *ret = o;
        return 0;
}

int reconcile_plan_to_json(const ReconcilePlan *p, json_object **ret) {
        json_object *o = json_object_new_object(), *steps = json_object_new_array(),
                    *problems = json_object_new_array();
        int r = 0;

        if (!p || !ret)
                r = -EINVAL;
        else if (!o || !steps || !problems)
                r = -ENOMEM;
        for (size_t i = 0; r >= 0 && i < p->n_steps; i++) {
                json_object *s;

                r = step_to_json(&p->steps[i], &s);
                if (r >= 0 && json_object_array_add(steps, s) < 0) {
                        json_object_put(s);
                        r = -ENOMEM;
                }
        }
        for (size_t i = 0; r >= 0 && i < p->n_problems; i++) {
                const ReconcileProblem *pr = &p->problems[i];
                json_object *j = json_object_new_object();

                if (!j) {
                        r = -ENOMEM;
                        break;
                }
                if ((r = add(j, "kind", jstr(reconcile_problem_kind_to_string(pr->kind)), false)) < 0 ||
                    (r = add(j, "section", jstr(pr->section), true)) < 0 ||
                    (r = add(j, "message", jstr(pr->message), true)) < 0 ||
                    json_object_array_add(problems, j) < 0) {
                        json_object_put(j);
                        r = r < 0 ? r : -ENOMEM;
                }
        }
        if (r >= 0) {
                r = add(o, "steps", steps, false);
                steps = NULL;
        }
        if (r >= 0) {
                r = add(o, "problems", problems, false);
                problems = NULL;
        }
        if (r < 0) {
                json_object_put(o);
                json_object_put(steps);
                json_object_put(problems);
                return r;
        }
        *ret = o;
        return 0;
}

typedef struct Reader {
        char **ret_error;
        char where[48]; /* "steps[3]" */
} Reader;

static int bad(Reader *rd, const char *key, const char *want) {
        return error_set(rd->ret_error, -EBADMSG, "plan JSON: %s.%s must be %s", rd->where, key, want);
}

/* A string field: absent or null gives NULL, refused unless @null_ok. */
static int get_str(Reader *rd, json_object *o, const char *key, bool null_ok, char **ret) {
        json_object *v = NULL;

        *ret = NULL;
        if (!json_object_object_get_ex(o, key, &v) || !v)
                return null_ok ? 0 : bad(rd, key, "a string");
        if (!json_object_is_type(v, json_type_string))
                return bad(rd, key, null_ok ? "a string or null" : "a string");
        *ret = strdup(json_object_get_string(v));
        return *ret ? 0 : -ENOMEM;
}

/* An enum given by its name: @from_string's result, or an error naming the field. */
static int get_enum(Reader *rd, json_object *o, const char *key, int (*from_string)(const char *),
                    const char *want, int *ret) {
        _cleanup_free_ char *s = NULL;
        int r, v;

        r = get_str(rd, o, key, false, &s);
        if (r < 0)
                return r;
        v = from_string(s);
        if (v < 0)
                return bad(rd, key, want);
        *ret = v;
        return 0;
}

static int get_u64(Reader *rd, json_object *o, const char *key, bool null_ok, uint64_t *ret,
                   bool *ret_null) {
        json_object *v = NULL;

        if (ret_null)
                *ret_null = false;
        if (!json_object_object_get_ex(o, key, &v) || !v) {
                if (!null_ok)
                        return bad(rd, key, "a non-negative integer");
                *ret_null = true;
                return 0;
        }
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
                return bad(rd, key, "a non-negative integer");
        *ret = json_object_get_uint64(v);
        return 0;
}

static int get_bool(Reader *rd, json_object *o, const char *key, bool *ret) {
        json_object *v = NULL;

        if (!json_object_object_get_ex(o, key, &v) || !v || !json_object_is_type(v, json_type_boolean))
                return bad(rd, key, "true or false");
        *ret = json_object_get_boolean(v);
        return 0;
}

static int mode_from(const char *s) {
        return (int) namespace_mode_from_string(s);
}
static int map_from(const char *s) {
        return (int) pfn_map_from_string(s);
}
static int fs_from(const char *s) {
        return (int) fs_type_from_string(s);
}
static int dax_from(const char *s) {
        return (int) dax_mode_from_string(s);
}
static int system_ram_from(const char *s) {
        return (int) config_system_ram_from_string(s);
}

#define TRY(expr)                                                                                           \
        do {                                                                                                \
                int _r = (expr);                                                                            \
                if (_r < 0)                                                                                 \
                        return _r;                                                                          \
        } while (0)

static int step_from_json(Reader *rd, json_object *o, ReconcileStep *s) {
        _cleanup_free_ char *type = NULL;
        unsigned f;
        int v = 0;

        if (!json_object_is_type(o, json_type_object))
                return error_set(rd->ret_error, -EBADMSG, "plan JSON: %s must be an object", rd->where);
        TRY(get_str(rd, o, "type", false, &type));
        s->type = reconcile_step_type_from_string(type);
        if (s->type < 0)
                return bad(rd, "type", "a step type such as \"create-namespace\" or \"mount\"");
        f = step_fields[s->type];
        if (s->type == RECONCILE_DEVDAX_ACCESS) {
                s->uid = (uid_t) -1;
                s->gid = (gid_t) -1;
                s->permissions = (mode_t) -1;
        }

        TRY(get_str(rd, o, "section", false, &s->section));
        TRY(get_str(rd, o, "description", false, &s->description));
        if (f & F_REGION)
                TRY(get_str(rd, o, "region", false, &s->region));
        if (f & F_NAMESPACE)
                TRY(get_str(rd, o, "namespace", false, &s->namespace));
        if (f & F_DEVICE)
                TRY(get_str(rd, o, "device", true, &s->device));
        if (f & F_MODE) {
                TRY(get_enum(rd, o, "mode", mode_from, "fsdax, devdax, raw or sector", &v));
                s->ns.mode = (NamespaceMode) v;
        }
        if (f & F_MAP) {
                TRY(get_enum(rd, o, "map", map_from, "mem or dev", &v));
                s->ns.map = (PfnMap) v;
        }
        if (f & F_ALIGN)
                TRY(get_u64(rd, o, "align", false, &s->ns.align, NULL));
        if (f & F_SIZE) {
                _cleanup_free_ char *size = NULL;

                TRY(get_str(rd, o, "size", false, &size));
                if (size_spec_parse(size, &s->ns.size, NULL) < 0)
                        return bad(rd, "size", "a size such as \"16G\", \"50%\" or \"rest\"");
        }
        if (f & F_FILESYSTEM) {
                TRY(get_enum(rd, o, "filesystem", fs_from, "xfs, ext4 or none", &v));
                s->fs = (FsType) v;
        }
        if (f & F_FORCE)
                TRY(get_bool(rd, o, "force", &s->force));
        if (f & F_MOUNT_POINT)
                TRY(get_str(rd, o, "mount_point", false, &s->mount_point));
        if (f & F_DAX) {
                TRY(get_enum(rd, o, "dax", dax_from, "always, inode or never", &v));
                s->dax = (DaxMode) v;
        }
        if (f & F_MOUNT_OPTIONS)
                TRY(get_str(rd, o, "mount_options", true, &s->mount_options));
        if (f & (F_UID | F_GID)) {
                uint64_t u = 0, g = 0;
                bool u_null, g_null;

                TRY(get_u64(rd, o, "uid", true, &u, &u_null));
                TRY(get_u64(rd, o, "gid", true, &g, &g_null));
                if (!u_null && u >= (uid_t) -1)
                        return bad(rd, "uid", "a user number or null");
                if (!g_null && g >= (gid_t) -1)
                        return bad(rd, "gid", "a group number or null");
                s->uid = u_null ? (uid_t) -1 : (uid_t) u;
                s->gid = g_null ? (gid_t) -1 : (gid_t) g;
        }
        if (f & F_PERMISSIONS) {
                _cleanup_free_ char *perm = NULL;

                TRY(get_str(rd, o, "permissions", true, &perm));
                if (perm) {
                        size_t n = strlen(perm);
                        mode_t m = 0;

                        if (n == 0 || n > 4 || strspn(perm, "01234567") != n)
                                return bad(rd, "permissions", "an octal mode such as \"0660\" or null");
                        for (size_t k = 0; k < n; k++)
                                m = m * 8 + (mode_t) (perm[k] - '0');
                        if (m > 0777)
                                return bad(rd, "permissions", "an octal mode such as \"0660\" or null");
                        s->permissions = m;
                }
        }
        if (f & F_SYSTEM_RAM) {
                TRY(get_enum(rd, o, "system_ram", system_ram_from, "no, online or online-movable", &v));
                s->system_ram = (ConfigSystemRam) v;
        }
        if (f & F_ZONE)
                TRY(get_str(rd, o, "zone", false, &s->zone));
        if (f & F_PROGRAM)
                TRY(get_str(rd, o, "program", false, &s->program));
        if (f & F_WITH_LIBRARIES)
                TRY(get_bool(rd, o, "with_libraries", &s->with_libraries));
        if (f & F_SERVICE)
                TRY(get_str(rd, o, "service", false, &s->service));
        if (f & F_MEMDEVS)
                TRY(get_str(rd, o, "memdevs", false, &s->memdevs));
        if (f & F_BYTES)
                TRY(get_u64(rd, o, "bytes", false, &s->bytes, NULL));
        if (f & F_UUID)
                TRY(get_str(rd, o, "uuid", false, &s->uuid));
        return 0;
}

static int problem_from_json(Reader *rd, json_object *o, ReconcileProblem *p) {
        _cleanup_free_ char *kind = NULL;

        if (!json_object_is_type(o, json_type_object))
                return error_set(rd->ret_error, -EBADMSG, "plan JSON: %s must be an object", rd->where);
        TRY(get_str(rd, o, "kind", false, &kind));
        p->kind = reconcile_problem_kind_from_string(kind);
        if (p->kind < 0)
                return bad(rd, "kind", "waiting, conflict, no-room or blocked");
        TRY(get_str(rd, o, "section", false, &p->section));
        TRY(get_str(rd, o, "message", false, &p->message));
        return 0;
}

int reconcile_plan_from_json(json_object *j, ReconcilePlan **ret, char **ret_error) {
        _cleanup_reconcile_plan_ ReconcilePlan *p = NULL;
        json_object *steps = NULL, *problems = NULL;
        Reader rd = { .ret_error = ret_error };
        size_t n;

        if (!ret)
                return -EINVAL;
        if (!j || !json_object_is_type(j, json_type_object) ||
            !json_object_object_get_ex(j, "steps", &steps) || !json_object_is_type(steps, json_type_array) ||
            !json_object_object_get_ex(j, "problems", &problems) ||
            !json_object_is_type(problems, json_type_array))
                return error_set(
                        ret_error, -EBADMSG,
                        "plan JSON: the top level must be an object with the arrays steps and problems");

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;

        n = json_object_array_length(steps);
        if (n > 0) {
                p->steps = calloc(n, sizeof(*p->steps));
                if (!p->steps)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                (void) snprintf(rd.where, sizeof(rd.where), "steps[%zu]", i);
                p->n_steps = i + 1; /* freed with the plan even when half read */
                TRY(step_from_json(&rd, json_object_array_get_idx(steps, i), &p->steps[i]));
        }

        n = json_object_array_length(problems);
        if (n > 0) {
                p->problems = calloc(n, sizeof(*p->problems));
                if (!p->problems)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                (void) snprintf(rd.where, sizeof(rd.where), "problems[%zu]", i);
                p->n_problems = i + 1;
                TRY(problem_from_json(&rd, json_object_array_get_idx(problems, i), &p->problems[i]));
        }

        *ret = TAKE_PTR(p);
        return 0;
}
