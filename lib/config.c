/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The configuration: files → raw sections (strings with their file:line, merged across files)
 * → validated, typed sections. docs/CONFIG.md is the reference for the format. */

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <json-c/json.h>
#include <nettle/sha2.h>
#include <uuid/uuid.h>

#include "config.h"
#include "error.h"
#include "fileio.h"
#include "strv.h"
#include "model.h"
#include "parse-util.h"
#include "string-table.h"

#define CONFIG_MAIN   "/daxmgr.conf"
#define CONFIG_DROPIN "/daxmgr.conf.d"
#define DIR_ETC       "/etc/daxmgr"
#define DIR_USR       "/usr/lib/daxmgr"

/* ---- string tables ------------------------------------------------------------------------ */

static const char *const config_section_type_table[_CONFIG_SECTION_TYPE_MAX] = {
        [CONFIG_SECTION_NAMESPACE] = "Namespace",  [CONFIG_SECTION_ZONE] = "Zone",
        [CONFIG_SECTION_PLACEMENT] = "Placement",  [CONFIG_SECTION_CXL_REGION] = "CXLRegion",
        [CONFIG_SECTION_DAX_DEVICE] = "DaxDevice",
};
DEFINE_STRING_TABLE_LOOKUP(config_section_type, ConfigSectionType)

static const char *const config_namespace_key_table[_CONFIG_NAMESPACE_KEY_MAX] = {
        [CONFIG_NAMESPACE_REGION] = "Region",
        [CONFIG_NAMESPACE_MODE] = "Mode",
        [CONFIG_NAMESPACE_SIZE] = "Size",
        [CONFIG_NAMESPACE_ALIGN] = "Align",
        [CONFIG_NAMESPACE_MAP] = "Map",
        [CONFIG_NAMESPACE_FILESYSTEM] = "Filesystem",
        [CONFIG_NAMESPACE_MOUNT_POINT] = "MountPoint",
        [CONFIG_NAMESPACE_DAX] = "DAX",
        [CONFIG_NAMESPACE_MOUNT_OPTIONS] = "MountOptions",
        [CONFIG_NAMESPACE_OWNER] = "Owner",
        [CONFIG_NAMESPACE_GROUP] = "Group",
        [CONFIG_NAMESPACE_PERMISSIONS] = "Permissions",
        [CONFIG_NAMESPACE_SYSTEM_RAM] = "SystemRAM",
        [CONFIG_NAMESPACE_DESTROY] = "Destroy",
};
DEFINE_STRING_TABLE_LOOKUP(config_namespace_key, ConfigNamespaceKey)

static const char *const config_zone_key_table[_CONFIG_ZONE_KEY_MAX] = {
        [CONFIG_ZONE_NAMESPACE] = "Namespace",
        [CONFIG_ZONE_DIRECTORY] = "Directory",
};
DEFINE_STRING_TABLE_LOOKUP(config_zone_key, ConfigZoneKey)

static const char *const config_placement_key_table[_CONFIG_PLACEMENT_KEY_MAX] = {
        [CONFIG_PLACEMENT_ZONE] = "Zone",
        [CONFIG_PLACEMENT_PROGRAM] = "Program",
        [CONFIG_PLACEMENT_WITH_LIBRARIES] = "WithLibraries",
        [CONFIG_PLACEMENT_SERVICE] = "Service",
        [CONFIG_PLACEMENT_ENTRY_POINT] = "EntryPoint",
        [CONFIG_PLACEMENT_BIND_HOST] = "BindHost",
        [CONFIG_PLACEMENT_REFRESH] = "Refresh",
};
DEFINE_STRING_TABLE_LOOKUP(config_placement_key, ConfigPlacementKey)

static const char *const config_cxl_region_key_table[_CONFIG_CXL_REGION_KEY_MAX] = {
        [CONFIG_CXL_REGION_MEMDEVS] = "Memdevs",
        [CONFIG_CXL_REGION_SIZE] = "Size",
        [CONFIG_CXL_REGION_DECODER] = "Decoder",
};
DEFINE_STRING_TABLE_LOOKUP(config_cxl_region_key, ConfigCxlRegionKey)

static const char *const config_dax_device_key_table[_CONFIG_DAX_DEVICE_KEY_MAX] = {
        [CONFIG_DAX_DEVICE_PROVIDER] = "Provider",
        [CONFIG_DAX_DEVICE_RESOURCE] = "Resource",
        [CONFIG_DAX_DEVICE_TARGET_NODE] = "TargetNode",
        [CONFIG_DAX_DEVICE_SIZE] = "Size",
        [CONFIG_DAX_DEVICE_SYSTEM_RAM] = "SystemRAM",
        [CONFIG_DAX_DEVICE_OWNER] = "Owner",
        [CONFIG_DAX_DEVICE_GROUP] = "Group",
        [CONFIG_DAX_DEVICE_PERMISSIONS] = "Permissions",
};
DEFINE_STRING_TABLE_LOOKUP(config_dax_device_key, ConfigDaxDeviceKey)

static const char *const config_region_kind_table[_CONFIG_REGION_KIND_MAX] = {
        [CONFIG_REGION_ANY] = "any",   [CONFIG_REGION_ID] = "region", [CONFIG_REGION_NUMA] = "numa",
        [CONFIG_REGION_DIMM] = "dimm", [CONFIG_REGION_CXL] = "cxl",
};
DEFINE_STRING_TABLE_LOOKUP(config_region_kind, ConfigRegionKind)

static const char *const config_filesystem_table[_CONFIG_FILESYSTEM_MAX] = {
        [CONFIG_FILESYSTEM_XFS] = "xfs",
        [CONFIG_FILESYSTEM_EXT4] = "ext4",
        [CONFIG_FILESYSTEM_NONE] = "none",
};
DEFINE_STRING_TABLE_LOOKUP(config_filesystem, ConfigFilesystem)

static const char *const config_system_ram_table[_CONFIG_SYSTEM_RAM_MAX] = {
        [CONFIG_SYSTEM_RAM_NO] = "no",
        [CONFIG_SYSTEM_RAM_ONLINE] = "online",
        [CONFIG_SYSTEM_RAM_ONLINE_MOVABLE] = "online-movable",
};
DEFINE_STRING_TABLE_LOOKUP(config_system_ram, ConfigSystemRam)

/* The keys of each section type. */
static const struct {
        const char *const *keys;
        size_t n_keys;
} section_keys[_CONFIG_SECTION_TYPE_MAX] = {
        [CONFIG_SECTION_NAMESPACE] = { config_namespace_key_table, _CONFIG_NAMESPACE_KEY_MAX },
        [CONFIG_SECTION_ZONE] = { config_zone_key_table, _CONFIG_ZONE_KEY_MAX },
        [CONFIG_SECTION_PLACEMENT] = { config_placement_key_table, _CONFIG_PLACEMENT_KEY_MAX },
        [CONFIG_SECTION_CXL_REGION] = { config_cxl_region_key_table, _CONFIG_CXL_REGION_KEY_MAX },
        [CONFIG_SECTION_DAX_DEVICE] = { config_dax_device_key_table, _CONFIG_DAX_DEVICE_KEY_MAX },
};

#define RAW_KEYS_MAX _CONFIG_NAMESPACE_KEY_MAX
_Static_assert((int) _CONFIG_ZONE_KEY_MAX <= (int) RAW_KEYS_MAX &&
                       (int) _CONFIG_PLACEMENT_KEY_MAX <= (int) RAW_KEYS_MAX &&
                       (int) _CONFIG_CXL_REGION_KEY_MAX <= (int) RAW_KEYS_MAX &&
                       (int) _CONFIG_DAX_DEVICE_KEY_MAX <= (int) RAW_KEYS_MAX,
               "RAW_KEYS_MAX must hold every section type's keys");

/* ---- small helpers ------------------------------------------------------------------------ */

static char ascii_lower(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
}

#define SUGGEST_WORD_MAX 64

/* Edit distance of two short words: insertions, deletions, substitutions and transpositions of
 * neighbours (optimal string alignment), case ignored. SIZE_MAX for longer words. */
static size_t edit_distance(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        size_t rows[3][SUGGEST_WORD_MAX + 1], *prev2 = rows[0], *prev = rows[1], *cur = rows[2];

        if (lb > SUGGEST_WORD_MAX || la > SUGGEST_WORD_MAX)
                return SIZE_MAX;
        for (size_t j = 0; j <= lb; j++)
                prev[j] = j;
        for (size_t i = 1; i <= la; i++) {
                size_t *t;

                cur[0] = i;
                for (size_t j = 1; j <= lb; j++) {
                        size_t best = prev[j - 1] + (ascii_lower(a[i - 1]) == ascii_lower(b[j - 1]) ? 0 : 1);

                        if (prev[j] + 1 < best)
                                best = prev[j] + 1;
                        if (cur[j - 1] + 1 < best)
                                best = cur[j - 1] + 1;
                        if (i > 1 && j > 1 && ascii_lower(a[i - 1]) == ascii_lower(b[j - 2]) &&
                            ascii_lower(a[i - 2]) == ascii_lower(b[j - 1]) && prev2[j - 2] + 1 < best)
                                best = prev2[j - 2] + 1;
                        cur[j] = best;
                }
                t = prev2;
                prev2 = prev;
                prev = cur;
                cur = t;
        }
        return prev[lb];
}

/* The candidate closest to @word when it is close enough to be a typo (or differs in case
 * only): at most one edit for short candidates, two for longer ones. NULL if none. */
static const char *suggest(const char *word, const char *const *candidates, size_t n) {
        const char *best = NULL;
        size_t best_d = SIZE_MAX;

        for (size_t i = 0; i < n; i++) {
                size_t d, len;

                if (!candidates[i])
                        continue;
                len = strlen(candidates[i]);
                d = edit_distance(word, candidates[i]);
                if (d == 0 || d <= (len <= 4 ? 1u : 2u)) {
                        if (d < best_d) {
                                best = candidates[i];
                                best_d = d;
                        }
                }
        }
        return best;
}

/* "; did you mean X?" in @buf, or "" when nothing is close. */
static const char *did_you_mean(const char *word, const char *const *candidates, size_t n, char *buf,
                                size_t size) {
        const char *s = suggest(word, candidates, n);

        if (!s)
                return "";
        (void) snprintf(buf, size, "; did you mean %s?", s);
        return buf;
}

/* "a, b or c" */
static char *join_choices(const char *const *table, size_t n) {
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);

        if (!f)
                return NULL;
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", table[i]);
        if (fclose(f) != 0) {
                free(s);
                return NULL;
        }
        return s;
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

static char *strip(char *s) {
        size_t n;

        while (is_blank(*s))
                s++;
        n = strlen(s);
        while (n > 0 && is_blank(s[n - 1]))
                s[--n] = '\0';
        return s;
}

/* Cuts a comment: a line starting with '#' or ';', or '#'/';' after white space. */
static void strip_comment(char *s) {
        for (char *p = s; *p; p++)
                if ((*p == '#' || *p == ';') && (p == s || is_blank(p[-1]))) {
                        *p = '\0';
                        return;
                }
}

/* Checks the bytes of one line: no NUL, no control character but tab, valid UTF-8 (no overlong
 * forms, no surrogates, nothing above U+10FFFF). *ret_why is a static reason. */
static bool line_bytes_ok(const char *s, size_t n, size_t *ret_col, unsigned char *ret_byte,
                          const char **ret_why) {
        for (size_t i = 0; i < n;) {
                unsigned char c = (unsigned char) s[i];
                size_t len;

                *ret_col = i + 1;
                *ret_byte = c;
                if (c == 0) {
                        *ret_why = "a NUL byte";
                        return false;
                }
                if ((c < 0x20 && c != '\t') || c == 0x7f) {
                        *ret_why = "a control character";
                        return false;
                }
                len = utf8_char_len(s + i, n - i);
                if (len == 0) {
                        *ret_why = "invalid UTF-8";
                        return false;
                }
                i += len;
        }
        return true;
}

static int parse_boolean(const char *s) {
        static const char *const yes[] = { "yes", "true", "1", "on" }, *const no[] = { "no", "false", "0",
                                                                                       "off" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}

/* Normalizes a path: "//" collapsed, a trailing "/" dropped; "." and ".." components refused,
 * and an absolute path where a relative one is expected or the other way round. */
static int path_normalize(const char *s, bool absolute, char **ret, const char **ret_why) {
        _cleanup_free_ char *out = NULL;
        size_t len = 0;

        if (absolute != (s[0] == '/')) {
                *ret_why = absolute ? "must be an absolute path"
                                    : "must be a relative path, not an absolute one";
                return -EINVAL;
        }
        if (strlen(s) >= PATH_MAX) {
                *ret_why = "is too long for a path";
                return -EINVAL;
        }
        out = malloc(strlen(s) + 1);
        if (!out)
                return -ENOMEM;

        for (const char *p = s; *p;) {
                size_t n;

                while (*p == '/')
                        p++;
                n = strcspn(p, "/");
                if (n == 0)
                        break;
                if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
                        *ret_why = "must not contain '.' or '..' components";
                        return -EINVAL;
                }
                if (absolute || len > 0)
                        out[len++] = '/';
                memcpy(out + len, p, n);
                len += n;
                p += n;
        }
        if (len == 0) {
                *ret_why = absolute ? "must not be the root directory" : "must name a directory";
                return -EINVAL;
        }
        out[len] = '\0';
        *ret = TAKE_PTR(out);
        return 0;
}

/* A user or group: a number (not the reserved -1), or a name as useradd accepts it. */
static bool user_name_is_valid(const char *s) {
        uint32_t id;
        size_t n = strlen(s);

        if (s[0] >= '0' && s[0] <= '9')
                return parse_u32(s, 10, &id) == 0 && id != UINT32_MAX;
        if (n == 0 || n > 32)
                return false;
        if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
                return false;
        for (size_t i = 1; i < n; i++) {
                char c = s[i];

                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.' || (c == '$' && i == n - 1))
                        continue;
                return false;
        }
        return true;
}

/* Characters a path cannot hold in a BindReadOnlyPaths= line without escaping. */
static bool path_is_unit_safe(const char *p) {
        return strcspn(p, " \t\"'\\%:") == strlen(p);
}

/* ---- raw sections: strings with their origin, merged across files ------------------------- */

typedef struct RawValue {
        char *value;        /* NULL: not set, or reset by "Key=" */
        ConfigSource where; /* the assignment in effect (or the reset); file NULL: never assigned */
        size_t file;        /* 1 + the index of the file of that assignment; 0: none */
} RawValue;

typedef struct RawSection {
        ConfigSectionType type;
        char *name;
        ConfigSource where;
        RawValue values[RAW_KEYS_MAX];
} RawSection;

typedef struct Parser {
        Config *config;
        RawSection *sections;
        size_t n_sections;
        size_t *sorted; /* indices into sections, sorted by type and name */
        char **warnings;
        size_t n_warnings;
        size_t n_dropped;
        size_t file;          /* 1 + the index in config->files of the file being parsed */
        const char *filename; /* config->files[file - 1] */
        size_t current;       /* the section being filled; SIZE_MAX: none yet in this file */
} Parser;

static void parser_done(Parser *p) {
        for (size_t i = 0; i < p->n_sections; i++) {
                free(p->sections[i].name);
                for (size_t k = 0; k < RAW_KEYS_MAX; k++)
                        free(p->sections[i].values[k].value);
        }
        free(p->sections);
        free(p->sorted);
        strv_free(p->warnings);
        config_free(p->config);
}

/* "FILE:LINE: KEY: sentence" (KEY NULL: "FILE:LINE: sentence"; LINE 0: "FILE: sentence"). */
_printf_(5, 6) static int fail(char **ret_error, int r, const ConfigSource *at, const char *key,
                               const char *fmt, ...) {
        _cleanup_free_ char *m = NULL;
        char line[16] = "";
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (k < 0)
                return r;
        if (at->line > 0)
                (void) snprintf(line, sizeof(line), ":%u", at->line);
        return error_set(ret_error, r, "%s%s: %s%s%s", at->file ?: "(config)", line, key ?: "",
                         key ? ": " : "", m);
}

_printf_(4, 5) static int warn(Parser *p, const ConfigSource *at, const char *key, const char *fmt, ...) {
        _cleanup_free_ char *m = NULL, *w = NULL;
        va_list ap;
        char **l;
        int k;

        if (p->n_warnings >= CONFIG_WARNINGS_MAX) {
                p->n_dropped++;
                return 0;
        }
        va_start(ap, fmt);
        k = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        if (asprintf(&w, "%s:%u: %s%s%s", at->file, at->line, key ?: "", key ? ": " : "", m) < 0)
                return -ENOMEM;
        l = reallocarray(p->warnings, p->n_warnings + 2, sizeof(char *));
        if (!l)
                return -ENOMEM;
        p->warnings = l;
        l[p->n_warnings++] = TAKE_PTR(w);
        l[p->n_warnings] = NULL;
        return 0;
}

/* Where a key's message points: its assignment, else its reset, else the section header. */
static const ConfigSource *raw_where(const RawSection *s, unsigned key) {
        return s->values[key].where.file ? &s->values[key].where : &s->where;
}

static const char *raw_key_name(const RawSection *s, unsigned key) {
        return section_keys[s->type].keys[key];
}

static int section_cmp(ConfigSectionType ta, const char *na, const RawSection *b) {
        if (ta != b->type)
                return ta < b->type ? -1 : 1;
        return strcmp(na, b->name);
}

/* Finds the section (binary search over p->sorted); *ret_pos is where it is or would go. */
static RawSection *section_find(Parser *p, ConfigSectionType type, const char *name, size_t *ret_pos) {
        size_t lo = 0, hi = p->n_sections;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = section_cmp(type, name, &p->sections[p->sorted[mid]]);

                if (c == 0) {
                        *ret_pos = mid;
                        return &p->sections[p->sorted[mid]];
                }
                if (c < 0)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        *ret_pos = lo;
        return NULL;
}

static int parse_header(Parser *p, char *s, unsigned line, char **ret_error) {
        const ConfigSource at = { p->filename, line };
        char buf[96], *type_s, *name, *end;
        ConfigSectionType type;
        size_t len = strlen(s), pos;
        RawSection *sec;

        if (s[len - 1] != ']')
                return fail(ret_error, -EINVAL, &at, NULL,
                            "a section header ends with ']': write [Namespace NAME], [Zone NAME], "
                            "[Placement NAME], [CXLRegion NAME] or [DaxDevice NAME]");
        s[len - 1] = '\0';
        type_s = strip(s + 1);
        if (strpbrk(type_s, "[]"))
                return fail(ret_error, -EINVAL, &at, NULL, "a section header holds one '[' and one ']'");
        if (!*type_s)
                return fail(ret_error, -EINVAL, &at, NULL,
                            "empty section header: write [Namespace NAME], [Zone NAME], [Placement NAME], "
                            "[CXLRegion NAME] or [DaxDevice NAME]");

        end = type_s + strcspn(type_s, " \t");
        name = *end ? strip(end + 1) : end;
        *end = '\0';

        type = config_section_type_from_string(type_s);
        if (type < 0)
                return fail(ret_error, -EINVAL, &at, NULL,
                            "unknown section type '%.*s'%s; the types are Namespace, Zone, Placement, "
                            "CXLRegion and DaxDevice",
                            SUGGEST_WORD_MAX, type_s,
                            did_you_mean(type_s, config_section_type_table, _CONFIG_SECTION_TYPE_MAX, buf,
                                         sizeof(buf)));
        if (!*name)
                return fail(ret_error, -EINVAL, &at, NULL, "[%s] needs a name: write [%s NAME]", type_s,
                            type_s);
        if (strpbrk(name, " \t"))
                return fail(ret_error, -EINVAL, &at, NULL,
                            "[%s %s] has more than a type and a name: names cannot contain spaces", type_s,
                            name);
        if (!namespace_name_is_valid(name))
                return fail(
                        ret_error, -EINVAL, &at, NULL,
                        "'%s' is not a valid %s name: 1 to 63 printable ASCII characters, no spaces or '/'",
                        name,
                        type == CONFIG_SECTION_NAMESPACE    ? "namespace"
                        : type == CONFIG_SECTION_ZONE       ? "zone"
                        : type == CONFIG_SECTION_PLACEMENT  ? "placement"
                        : type == CONFIG_SECTION_CXL_REGION ? "CXL region"
                                                            : "dax device");

        sec = section_find(p, type, name, &pos);
        if (!sec) {
                RawSection *ns;
                size_t *sorted;

                if (p->n_sections >= CONFIG_SECTIONS_MAX)
                        return fail(ret_error, -E2BIG, &at, NULL,
                                    "more than %u sections: daxmgr accepts at most %u in all files together",
                                    CONFIG_SECTIONS_MAX, CONFIG_SECTIONS_MAX);
                ns = reallocarray(p->sections, p->n_sections + 1, sizeof(RawSection));
                if (!ns)
                        return -ENOMEM;
                p->sections = ns;
                sorted = reallocarray(p->sorted, p->n_sections + 1, sizeof(size_t));
                if (!sorted)
                        return -ENOMEM;
                p->sorted = sorted;

                sec = &p->sections[p->n_sections];
                *sec = (RawSection){ .type = type, .where = at };
                sec->name = strdup(name);
                if (!sec->name)
                        return -ENOMEM;
                memmove(p->sorted + pos + 1, p->sorted + pos, (p->n_sections - pos) * sizeof(size_t));
                p->sorted[pos] = p->n_sections++;
        }
        p->current = (size_t) (sec - p->sections);
        return 0;
}

static bool key_chars_ok(const char *k) {
        for (; *k; k++)
                if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9')))
                        return false;
        return true;
}

static int unknown_key(const ConfigSource *at, const RawSection *sec, const char *key, char **ret_error) {
        const char *const *keys = section_keys[sec->type].keys;
        size_t n = section_keys[sec->type].n_keys;
        const char *type = config_section_type_table[sec->type], *s;
        _cleanup_free_ char *list = NULL;

        s = suggest(key, keys, n);
        if (s)
                return fail(ret_error, -EINVAL, at, key, "unknown key in [%s %s]; did you mean %s?", type,
                            sec->name, s);
        for (ConfigSectionType t = 0; t < _CONFIG_SECTION_TYPE_MAX; t++)
                if (t != sec->type &&
                    string_table_lookup(section_keys[t].keys, section_keys[t].n_keys, key) >= 0)
                        return fail(ret_error, -EINVAL, at, key,
                                    "not a key of [%s] sections: it belongs in a [%s NAME] section", type,
                                    config_section_type_table[t]);
        list = join_choices(keys, n);
        return fail(ret_error, -EINVAL, at, key, "unknown key in [%s %s]; the keys are %s", type, sec->name,
                    list ?: "");
}

static int parse_assignment(Parser *p, char *s, char *eq, unsigned line, char **ret_error) {
        const ConfigSource at = { p->filename, line };
        char *key, *value;
        RawSection *sec;
        RawValue *v;
        int k;

        *eq = '\0';
        key = strip(s);
        value = strip(eq + 1);

        if (!*key)
                return fail(ret_error, -EINVAL, &at, NULL, "an assignment needs a key before '='");
        if (!key_chars_ok(key))
                return fail(ret_error, -EINVAL, &at, NULL,
                            "'%.*s' is not a key: keys are letters and digits, as in MountPoint=/mnt/pmem",
                            SUGGEST_WORD_MAX, key);
        if (strlen(key) > SUGGEST_WORD_MAX)
                return fail(ret_error, -EINVAL, &at, NULL, "'%.*s…' is not a key: no key is that long",
                            SUGGEST_WORD_MAX, key);
        if (p->current == SIZE_MAX)
                return fail(ret_error, -EINVAL, &at, key,
                            "assignment outside of a section: put it below a [Namespace NAME], [Zone NAME], "
                            "[Placement NAME], [CXLRegion NAME] or [DaxDevice NAME] header");

        sec = &p->sections[p->current];
        k = string_table_lookup(section_keys[sec->type].keys, section_keys[sec->type].n_keys, key);
        if (k < 0)
                return unknown_key(&at, sec, key, ret_error);

        v = &sec->values[k];
        if (v->file == p->file) {
                int r = warn(p, &at, key,
                             "set again in [%s %s] of the same file (line %u before); the last value wins",
                             config_section_type_table[sec->type], sec->name, v->where.line);
                if (r < 0)
                        return r;
        }
        free(v->value);
        v->value = NULL;
        if (*value) {
                v->value = strdup(value);
                if (!v->value)
                        return -ENOMEM;
        }
        v->where = at;
        v->file = p->file;
        return 0;
}

static int parse_line(Parser *p, char *l, unsigned line, char **ret_error) {
        char *s = strip(l), *eq;
        const ConfigSource at = { p->filename, line };

        strip_comment(s);
        s = strip(s);
        if (!*s)
                return 0;
        if (*s == '[')
                return parse_header(p, s, line, ret_error);
        eq = strchr(s, '=');
        if (!eq)
                return fail(ret_error, -EINVAL, &at, NULL,
                            "expected a [Type NAME] section header or a Key=Value assignment");
        return parse_assignment(p, s, eq, line, ret_error);
}

/* Adds @filename to config->files and parses @text as that file. */
static int parse_file(Parser *p, const char *text, size_t size, const char *filename, char **ret_error) {
        ConfigSource at = { NULL, 0 };
        char **files;
        unsigned line = 0;
        size_t pos = 0;
        int r;

        files = reallocarray(p->config->files, p->config->n_files + 2, sizeof(char *));
        if (!files)
                return -ENOMEM;
        p->config->files = files;
        files[p->config->n_files] = strdup(filename);
        if (!files[p->config->n_files])
                return -ENOMEM;
        files[++p->config->n_files] = NULL;
        p->file = p->config->n_files;
        p->filename = files[p->file - 1];
        p->current = SIZE_MAX; /* a file starts outside of any section */
        at.file = p->filename;

        if (size > CONFIG_FILE_MAX)
                return fail(ret_error, -EFBIG, &at, NULL,
                            "larger than %u KiB: daxmgr reads configuration files of at most that size",
                            CONFIG_FILE_MAX / 1024);
        if (size >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) /* a UTF-8 byte order mark */
                pos = 3;

        while (pos < size) {
                const char *start = text + pos, *nl = memchr(start, '\n', size - pos), *why;
                size_t len = nl ? (size_t) (nl - start) : size - pos, col;
                _cleanup_free_ char *l = NULL;
                unsigned char byte;

                pos += len + (nl ? 1 : 0);
                at.line = ++line;
                if (len > 0 && start[len - 1] == '\r')
                        len--;
                if (len > CONFIG_LINE_MAX)
                        return fail(ret_error, -E2BIG, &at, NULL,
                                    "line longer than %u bytes: daxmgr accepts no longer lines",
                                    CONFIG_LINE_MAX);
                if (!line_bytes_ok(start, len, &col, &byte, &why))
                        return fail(ret_error, -EINVAL, &at, NULL,
                                    "%s (byte 0x%02x) at column %zu: configuration files are UTF-8 text",
                                    why, byte, col);
                l = strndup(start, len);
                if (!l)
                        return -ENOMEM;
                r = parse_line(p, l, line, ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- validation: raw sections → typed ---------------------------------------------------- */

/* "(Mode=devdax at FILE:LINE)" — for cross-field messages. */
static char *mode_origin(const RawSection *s) {
        const ConfigSource *w = &s->values[CONFIG_NAMESPACE_MODE].where;
        char *m = NULL;

        if (asprintf(&m, "Mode=%s at %s:%u", s->values[CONFIG_NAMESPACE_MODE].value, w->file, w->line) < 0)
                return NULL;
        return m;
}

static int choice_error(char **ret_error, const RawSection *s, unsigned key, const char *const *table,
                        size_t n, const char *what) {
        _cleanup_free_ char *list = join_choices(table, n);
        const char *v = s->values[key].value;
        char buf[96];

        return fail(ret_error, -EINVAL, raw_where(s, key), raw_key_name(s, key), "'%s' is not %s: use %s%s",
                    v, what, list ?: "", did_you_mean(v, table, n, buf, sizeof(buf)));
}

static int bool_value(const RawSection *s, unsigned key, bool dflt, bool *ret, char **ret_error) {
        const char *v = s->values[key].value;
        int b;

        if (!v) {
                *ret = dflt;
                return 0;
        }
        b = parse_boolean(v);
        if (b < 0)
                return fail(ret_error, -EINVAL, raw_where(s, key), raw_key_name(s, key),
                            "'%s' is not a boolean: use yes or no (true/false, on/off, 1/0)", v);
        *ret = b;
        return 0;
}

static int required(const RawSection *s, unsigned key, const char *hint, char **ret_error) {
        const RawValue *v = &s->values[key];

        if (v->value)
                return 0;
        if (v->where.file)
                return fail(ret_error, -EINVAL, &v->where, raw_key_name(s, key),
                            "reset here and not set again, but [%s %s] needs it: %s",
                            config_section_type_table[s->type], s->name, hint);
        return fail(ret_error, -EINVAL, &s->where, raw_key_name(s, key), "[%s %s] needs %s=: %s",
                    config_section_type_table[s->type], s->name, raw_key_name(s, key), hint);
}

static int parse_region(const Config *c, const RawSection *s, ConfigRegion *ret, char **ret_error) {
        const char *v = s->values[CONFIG_NAMESPACE_REGION].value;
        uint32_t n;

        if (v && strncmp(v, "cxl:", 4) == 0) {
                const ConfigCxlRegion *cr = config_find_cxl_region(c, v + 4);

                if (!cr)
                        return fail(
                                ret_error, -EINVAL, raw_where(s, CONFIG_NAMESPACE_REGION), "Region",
                                "no [CXLRegion %s] is configured: Region=cxl:NAME names the CXL region of "
                                "a [CXLRegion NAME] section",
                                v + 4);
                *ret = (ConfigRegion){ .kind = CONFIG_REGION_CXL };
                (void) snprintf(ret->cxl, sizeof(ret->cxl), "%s", cr->name);
                memcpy(ret->cxl_uuid, cr->uuid, sizeof(ret->cxl_uuid));
                return 0;
        }

        if (!v || strcmp(v, "any") == 0) {
                *ret = (ConfigRegion){ .kind = CONFIG_REGION_ANY };
                return 0;
        }
        if (strncmp(v, "region", 6) == 0 && v[6] >= '0' && v[6] <= '9' && parse_u32(v + 6, 10, &n) == 0) {
                *ret = (ConfigRegion){ .kind = CONFIG_REGION_ID, .number = n };
                return 0;
        }
        if (strncmp(v, "numa:", 5) == 0 && v[5] >= '0' && v[5] <= '9' && parse_u32(v + 5, 10, &n) == 0) {
                *ret = (ConfigRegion){ .kind = CONFIG_REGION_NUMA, .number = n };
                return 0;
        }
        if (strncmp(v, "dimm:", 5) == 0) {
                if (parse_u32(v + 5, 16, &n) == 0) {
                        *ret = (ConfigRegion){ .kind = CONFIG_REGION_DIMM, .number = n };
                        return 0;
                }
                return fail(
                        ret_error, -EINVAL, raw_where(s, CONFIG_NAMESPACE_REGION), "Region",
                        "'%s' is not a DIMM serial: give it in hex as ndctl shows it, e.g. dimm:0x57341200",
                        v);
        }
        return fail(ret_error, -EINVAL, raw_where(s, CONFIG_NAMESPACE_REGION), "Region",
                    "'%s' is not a region: use any, regionN, numa:N, dimm:SERIAL (hex, as ndctl shows it) "
                    "or cxl:NAME (a [CXLRegion NAME] section)",
                    v);
}

static int parse_mount_options(const RawSection *s, char **ret, char **ret_error) {
        const char *v = s->values[CONFIG_NAMESPACE_MOUNT_OPTIONS].value;
        const ConfigSource *at = raw_where(s, CONFIG_NAMESPACE_MOUNT_OPTIONS);

        *ret = NULL;
        if (!v)
                return 0;
        for (const char *p = v;;) {
                size_t n = strcspn(p, ",");

                if (n == 0)
                        return fail(ret_error, -EINVAL, at, "MountOptions",
                                    "'%s' has an empty option: separate options by single commas", v);
                if (strcspn(p, " \t") < n)
                        return fail(ret_error, -EINVAL, at, "MountOptions",
                                    "'%s' contains white space: separate options by commas only", v);
                if ((n == 3 || (n > 3 && p[3] == '=')) && strncmp(p, "dax", 3) == 0)
                        return fail(ret_error, -EINVAL, at, "MountOptions",
                                    "'%.*s' is not allowed here: DAX= is the key for it (always or inode)",
                                    (int) n, p);
                if (!p[n])
                        break;
                p += n + 1;
        }
        *ret = strdup(v);
        return *ret ? 0 : -ENOMEM;
}

static int validate_namespace(Parser *p, const RawSection *s, ConfigNamespace *ns, char **ret_error) {
        static const char *const modes[] = { "fsdax", "devdax", "raw" };
        static const ConfigNamespaceKey fsdax_keys[] = { CONFIG_NAMESPACE_FILESYSTEM,
                                                         CONFIG_NAMESPACE_MOUNT_POINT, CONFIG_NAMESPACE_DAX,
                                                         CONFIG_NAMESPACE_MOUNT_OPTIONS };
        static const ConfigNamespaceKey devdax_keys[] = { CONFIG_NAMESPACE_OWNER, CONFIG_NAMESPACE_GROUP,
                                                          CONFIG_NAMESPACE_PERMISSIONS,
                                                          CONFIG_NAMESPACE_SYSTEM_RAM };
        const RawValue *v = s->values;
        _cleanup_free_ char *origin = NULL;
        const char *why;
        int r;

        *ns = (ConfigNamespace){
                .region = { .kind = CONFIG_REGION_ANY },
                .map = PFN_MAP_DEV,
                .filesystem = CONFIG_FILESYSTEM_XFS,
                .dax = DAX_MODE_ALWAYS,
                .permissions = (mode_t) -1,
                .system_ram = CONFIG_SYSTEM_RAM_NO,
                .section = s->where,
        };
        ns->name = strdup(s->name);
        if (!ns->name)
                return -ENOMEM;
        for (size_t k = 0; k < _CONFIG_NAMESPACE_KEY_MAX; k++)
                if (v[k].value)
                        ns->where[k] = v[k].where;

        r = parse_region(p->config, s, &ns->region, ret_error);
        if (r < 0)
                return r;

        r = required(s, CONFIG_NAMESPACE_MODE, "fsdax, devdax or raw", ret_error);
        if (r < 0)
                return r;
        ns->mode = namespace_mode_from_string(v[CONFIG_NAMESPACE_MODE].value);
        if (ns->mode == NAMESPACE_MODE_SECTOR)
                return fail(ret_error, -EINVAL, raw_where(s, CONFIG_NAMESPACE_MODE), "Mode",
                            "sector mode (BTT) is not managed by daxmgr: use fsdax, devdax or raw");
        if (ns->mode < 0)
                return choice_error(ret_error, s, CONFIG_NAMESPACE_MODE, modes, ELEMENTSOF(modes), "a mode");
        origin = mode_origin(s);
        if (!origin)
                return -ENOMEM;

        r = required(s, CONFIG_NAMESPACE_SIZE,
                     "bytes with K, M, G or T (16G), a percentage of the region (50%), "
                     "or rest",
                     ret_error);
        if (r < 0)
                return r;
        {
                _cleanup_free_ char *e = NULL;

                r = size_spec_parse(v[CONFIG_NAMESPACE_SIZE].value, &ns->size, &e);
                if (r < 0)
                        return fail(ret_error, r, raw_where(s, CONFIG_NAMESPACE_SIZE), "Size", "%s",
                                    e ?: "not a size");
        }

        if (v[CONFIG_NAMESPACE_ALIGN].value) {
                const char *a = v[CONFIG_NAMESPACE_ALIGN].value;
                uint64_t b;

                if (ns->mode == NAMESPACE_MODE_RAW)
                        return fail(ret_error, -EINVAL, raw_where(s, CONFIG_NAMESPACE_ALIGN), "Align",
                                    "applies to fsdax and devdax namespaces only (%s)", origin);
                if (size_parse_bytes(a, &b, NULL) < 0 || (b != 4 * KiB && b != 2 * MiB && b != GiB))
                        return fail(ret_error, -EINVAL, raw_where(s, CONFIG_NAMESPACE_ALIGN), "Align",
                                    "'%s' is not an alignment the kernel offers: use 4K, 2M or 1G", a);
                ns->align = b;
        }
        if (v[CONFIG_NAMESPACE_MAP].value) {
                if (ns->mode == NAMESPACE_MODE_RAW)
                        return fail(ret_error, -EINVAL, raw_where(s, CONFIG_NAMESPACE_MAP), "Map",
                                    "applies to fsdax and devdax namespaces only (%s)", origin);
                ns->map = pfn_map_from_string(v[CONFIG_NAMESPACE_MAP].value);
                if (ns->map < 0) {
                        static const char *const maps[] = { "mem", "dev" };

                        return choice_error(ret_error, s, CONFIG_NAMESPACE_MAP, maps, ELEMENTSOF(maps),
                                            "a place for the struct pages");
                }
        }
        r = bool_value(s, CONFIG_NAMESPACE_DESTROY, false, &ns->destroy, ret_error);
        if (r < 0)
                return r;

        for (size_t i = 0; i < ELEMENTSOF(fsdax_keys); i++)
                if (ns->mode != NAMESPACE_MODE_FSDAX && v[fsdax_keys[i]].value)
                        return fail(ret_error, -EINVAL, raw_where(s, fsdax_keys[i]),
                                    raw_key_name(s, fsdax_keys[i]), "applies to fsdax namespaces only (%s)",
                                    origin);
        for (size_t i = 0; i < ELEMENTSOF(devdax_keys); i++)
                if (ns->mode != NAMESPACE_MODE_DEVDAX && v[devdax_keys[i]].value)
                        return fail(ret_error, -EINVAL, raw_where(s, devdax_keys[i]),
                                    raw_key_name(s, devdax_keys[i]),
                                    "applies to devdax namespaces only (%s)", origin);

        if (ns->mode == NAMESPACE_MODE_FSDAX) {
                if (v[CONFIG_NAMESPACE_FILESYSTEM].value) {
                        ns->filesystem = config_filesystem_from_string(v[CONFIG_NAMESPACE_FILESYSTEM].value);
                        if (ns->filesystem < 0)
                                return choice_error(ret_error, s, CONFIG_NAMESPACE_FILESYSTEM,
                                                    config_filesystem_table, _CONFIG_FILESYSTEM_MAX,
                                                    "a file system daxmgr makes");
                }
                if (v[CONFIG_NAMESPACE_DAX].value) {
                        static const char *const daxes[] = { "always", "inode" };

                        ns->dax = dax_mode_from_string(v[CONFIG_NAMESPACE_DAX].value);
                        if (ns->dax == DAX_MODE_NEVER)
                                return fail(ret_error, -EINVAL, raw_where(s, CONFIG_NAMESPACE_DAX), "DAX",
                                            "never would defeat the purpose of pmem: use always or inode");
                        if (ns->dax < 0)
                                return choice_error(ret_error, s, CONFIG_NAMESPACE_DAX, daxes,
                                                    ELEMENTSOF(daxes), "a DAX mode");
                }
                r = parse_mount_options(s, &ns->mount_options, ret_error);
                if (r < 0)
                        return r;
                if (v[CONFIG_NAMESPACE_MOUNT_POINT].value) {
                        if (ns->filesystem == CONFIG_FILESYSTEM_NONE)
                                return fail(ret_error, -EINVAL, raw_where(s, CONFIG_NAMESPACE_MOUNT_POINT),
                                            "MountPoint", "Filesystem=none leaves nothing to mount");
                        r = path_normalize(v[CONFIG_NAMESPACE_MOUNT_POINT].value, true, &ns->mount_point,
                                           &why);
                        if (r == -EINVAL)
                                return fail(ret_error, r, raw_where(s, CONFIG_NAMESPACE_MOUNT_POINT),
                                            "MountPoint", "'%s' %s", v[CONFIG_NAMESPACE_MOUNT_POINT].value,
                                            why);
                        if (r < 0)
                                return r;
                } else
                        for (unsigned k = CONFIG_NAMESPACE_DAX; k <= CONFIG_NAMESPACE_MOUNT_OPTIONS; k++)
                                if (v[k].value) {
                                        r = warn(
                                                p, raw_where(s, k), raw_key_name(s, k),
                                                "has no effect: [Namespace %s] has no MountPoint=", s->name);
                                        if (r < 0)
                                                return r;
                                }
        }

        if (ns->mode == NAMESPACE_MODE_DEVDAX) {
                if (v[CONFIG_NAMESPACE_SYSTEM_RAM].value) {
                        ns->system_ram = config_system_ram_from_string(v[CONFIG_NAMESPACE_SYSTEM_RAM].value);
                        if (ns->system_ram < 0)
                                return choice_error(ret_error, s, CONFIG_NAMESPACE_SYSTEM_RAM,
                                                    config_system_ram_table, _CONFIG_SYSTEM_RAM_MAX,
                                                    "a system-RAM setting");
                }
                for (unsigned k = CONFIG_NAMESPACE_OWNER; k <= CONFIG_NAMESPACE_PERMISSIONS; k++)
                        if (v[k].value && ns->system_ram != CONFIG_SYSTEM_RAM_NO)
                                return fail(ret_error, -EINVAL, raw_where(s, k), raw_key_name(s, k),
                                            "applies to the /dev/daxX.Y node, which a namespace with "
                                            "SystemRAM=%s does not keep",
                                            config_system_ram_table[ns->system_ram]);
                for (unsigned k = CONFIG_NAMESPACE_OWNER; k <= CONFIG_NAMESPACE_GROUP; k++) {
                        if (!v[k].value)
                                continue;
                        if (!user_name_is_valid(v[k].value))
                                return fail(ret_error, -EINVAL, raw_where(s, k), raw_key_name(s, k),
                                            "'%s' is not a %s name or number", v[k].value,
                                            k == CONFIG_NAMESPACE_OWNER ? "user" : "group");
                        if (k == CONFIG_NAMESPACE_OWNER)
                                ns->owner = strdup(v[k].value);
                        else
                                ns->group = strdup(v[k].value);
                        if (!(k == CONFIG_NAMESPACE_OWNER ? ns->owner : ns->group))
                                return -ENOMEM;
                }
                if (v[CONFIG_NAMESPACE_PERMISSIONS].value) {
                        const char *m = v[CONFIG_NAMESPACE_PERMISSIONS].value;
                        mode_t mode = 0;
                        size_t n = strlen(m);

                        if (n == 0 || n > 4 || strspn(m, "01234567") != n)
                                return fail(ret_error, -EINVAL, raw_where(s, CONFIG_NAMESPACE_PERMISSIONS),
                                            "Permissions",
                                            "'%s' is not an octal mode such as 0660 (at most 0777)", m);
                        for (size_t i = 0; i < n; i++)
                                mode = mode * 8 + (mode_t) (m[i] - '0');
                        if (mode > 0777)
                                return fail(
                                        ret_error, -EINVAL, raw_where(s, CONFIG_NAMESPACE_PERMISSIONS),
                                        "Permissions",
                                        "'%s' has bits beyond the permissions (at most 0777): no setuid, "
                                        "setgid or sticky bits on a device",
                                        m);
                        if (mode & 0002) {
                                r = warn(
                                        p, raw_where(s, CONFIG_NAMESPACE_PERMISSIONS), "Permissions",
                                        "%04o lets every user of the machine write the pmem of namespace %s",
                                        (unsigned) mode, s->name);
                                if (r < 0)
                                        return r;
                        }
                        ns->permissions = mode;
                }
        }
        return 0;
}

void cxl_region_uuid_from_name(const char *name, char ret[static 37]) {
        static const char prefix[] = "daxmgr.cxl-region:";
        uint8_t digest[SHA256_DIGEST_SIZE];
        struct sha256_ctx ctx;
        uuid_t uu;

        sha256_init(&ctx);
        sha256_update(&ctx, sizeof(prefix) - 1, (const uint8_t *) prefix);
        sha256_update(&ctx, strlen(name), (const uint8_t *) name);
        sha256_digest(&ctx, sizeof(digest), digest);
        memcpy(uu, digest, sizeof(uu));
        uu[6] = (uint8_t) ((uu[6] & 0x0f) | 0x80); /* version 8: custom (RFC 9562) */
        uu[8] = (uint8_t) ((uu[8] & 0x3f) | 0x80); /* the RFC variant */
        uuid_unparse_lower(uu, ret);
}

/* Memdevs=: "memN" or "serial:HEX", separated by spaces or commas. */
static int parse_cxl_memdevs(const RawSection *s, ConfigCxlRegion *cr, char **ret_error) {
        const ConfigSource *at = raw_where(s, CONFIG_CXL_REGION_MEMDEVS);
        const char *v = s->values[CONFIG_CXL_REGION_MEMDEVS].value;

        if (!v || strcmp(v, "any") == 0)
                return 0;
        for (const char *p = v; *p;) {
                size_t n = strcspn(p, " \t,");
                _cleanup_free_ char *item = NULL;
                uint64_t serial;
                uint32_t id;
                char **l;

                if (n == 0) {
                        p++;
                        continue;
                }
                item = strndup(p, n);
                if (!item)
                        return -ENOMEM;
                p += n;
                if (strncmp(item, "serial:", 7) == 0) {
                        if (parse_u64(item + 7, 16, &serial) < 0)
                                return fail(ret_error, -EINVAL, at, "Memdevs",
                                            "'%s' is not a serial number: give it in hex as cxl list shows "
                                            "it, e.g. serial:0xc0de0000",
                                            item);
                } else if (strncmp(item, "mem", 3) != 0 || item[3] < '0' || item[3] > '9' ||
                           parse_u32(item + 3, 10, &id) < 0)
                        return fail(ret_error, -EINVAL, at, "Memdevs",
                                    "'%s' is not a CXL memory device: use memN (as cxl list shows it) or "
                                    "serial:HEX, or any",
                                    item);
                for (size_t i = 0; i < cr->n_memdevs; i++)
                        if (strcmp(cr->memdevs[i], item) == 0)
                                return fail(ret_error, -EINVAL, at, "Memdevs",
                                            "%s is named twice: a region interleaves distinct devices",
                                            item);
                if (cr->n_memdevs >= CONFIG_CXL_WAYS_MAX)
                        return fail(ret_error, -EINVAL, at, "Memdevs",
                                    "more than %u memory devices: CXL interleaves at most %u",
                                    CONFIG_CXL_WAYS_MAX, CONFIG_CXL_WAYS_MAX);
                l = reallocarray(cr->memdevs, cr->n_memdevs + 1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
                cr->memdevs = l;
                l[cr->n_memdevs++] = TAKE_PTR(item);
        }
        switch (cr->n_memdevs) {
        case 0:
                return fail(ret_error, -EINVAL, at, "Memdevs",
                            "names no memory device: use memN or serial:HEX, or any");
        case 1:
        case 2:
        case 3:
        case 4:
        case 6:
        case 8:
        case 12:
        case 16:
                return 0;
        default:
                return fail(ret_error, -EINVAL, at, "Memdevs",
                            "%zu memory devices cannot be interleaved: CXL interleaves 1, 2, 3, 4, 6, 8, 12 "
                            "or 16",
                            cr->n_memdevs);
        }
}

static int validate_cxl_region(const RawSection *s, ConfigCxlRegion *cr, char **ret_error) {
        const RawValue *v = s->values;
        uint32_t a, b;
        int r;

        *cr = (ConfigCxlRegion){ .section = s->where };
        cr->name = strdup(s->name);
        if (!cr->name)
                return -ENOMEM;
        for (size_t k = 0; k < _CONFIG_CXL_REGION_KEY_MAX; k++)
                if (v[k].value)
                        cr->where[k] = v[k].where;
        cxl_region_uuid_from_name(cr->name, cr->uuid);

        r = parse_cxl_memdevs(s, cr, ret_error);
        if (r < 0)
                return r;

        if (v[CONFIG_CXL_REGION_SIZE].value && strcmp(v[CONFIG_CXL_REGION_SIZE].value, "rest") != 0) {
                _cleanup_free_ char *e = NULL;
                uint64_t unit = (uint64_t) 256 << 20;
                size_t ways = cr->n_memdevs ?: 1;

                r = size_parse_bytes(v[CONFIG_CXL_REGION_SIZE].value, &cr->size, &e);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return fail(ret_error, r, raw_where(s, CONFIG_CXL_REGION_SIZE), "Size",
                                    "%s (or rest)", e ?: "not a size");
                if (cr->size == 0 || cr->size % (unit * ways) != 0)
                        return fail(
                                ret_error, -EINVAL, raw_where(s, CONFIG_CXL_REGION_SIZE), "Size",
                                "'%s' is not a multiple of %zu × 256 MiB: a CXL region is made of 256 MiB "
                                "blocks on each of its %zu memory device%s; use a multiple, or rest",
                                v[CONFIG_CXL_REGION_SIZE].value, ways, ways, ways == 1 ? "" : "s");
        }

        if (v[CONFIG_CXL_REGION_DECODER].value && strcmp(v[CONFIG_CXL_REGION_DECODER].value, "any") != 0) {
                const char *d = v[CONFIG_CXL_REGION_DECODER].value, *dot = strchr(d, '.');
                _cleanup_free_ char *left = NULL;

                if (strncmp(d, "decoder", 7) != 0 || !dot || dot == d + 7 ||
                    !(left = strndup(d + 7, (size_t) (dot - d - 7))) || parse_u32(left, 10, &a) < 0 ||
                    !dot[1] || parse_u32(dot + 1, 10, &b) < 0)
                        return fail(ret_error, -EINVAL, raw_where(s, CONFIG_CXL_REGION_DECODER), "Decoder",
                                    "'%s' is not a root decoder: use decoderX.Y (a CXL fixed memory window, "
                                    "as cxl list -D shows it) or any",
                                    d);
                cr->decoder = strdup(d);
                if (!cr->decoder)
                        return -ENOMEM;
        }
        return 0;
}

static int namespace_names_joined(const Config *c, char **ret) {
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);

        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_namespaces; i++)
                fprintf(f, "%s%s", i ? ", " : "", c->namespaces[i].name);
        if (fclose(f) != 0) {
                free(s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

static int validate_zone(const Config *c, const RawSection *s, ConfigZone *z, char **ret_error) {
        const RawValue *v = s->values;
        const ConfigNamespace *ns = NULL;
        const char *why, *dir;
        int r;

        *z = (ConfigZone){ .section = s->where };
        z->name = strdup(s->name);
        if (!z->name)
                return -ENOMEM;
        for (size_t k = 0; k < _CONFIG_ZONE_KEY_MAX; k++)
                if (v[k].value)
                        z->where[k] = v[k].where;

        r = required(s, CONFIG_ZONE_NAMESPACE, "the fsdax namespace whose mount holds the zone", ret_error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < c->n_namespaces; i++)
                if (strcmp(c->namespaces[i].name, v[CONFIG_ZONE_NAMESPACE].value) == 0) {
                        ns = &c->namespaces[i];
                        z->ns_index = i;
                }
        if (!ns) {
                _cleanup_free_ const char **names = NULL;
                _cleanup_free_ char *list = NULL;
                char buf[96];

                names = calloc(c->n_namespaces + 1, sizeof(char *));
                if (!names || namespace_names_joined(c, &list) < 0)
                        return -ENOMEM;
                for (size_t i = 0; i < c->n_namespaces; i++)
                        names[i] = c->namespaces[i].name;
                return fail(ret_error, -EINVAL, raw_where(s, CONFIG_ZONE_NAMESPACE), "Namespace",
                            "no [Namespace %s] is configured%s%s%s", v[CONFIG_ZONE_NAMESPACE].value,
                            did_you_mean(v[CONFIG_ZONE_NAMESPACE].value, names, c->n_namespaces, buf,
                                         sizeof(buf)),
                            c->n_namespaces > 0 ? "; the namespaces are " : " (there are no namespaces)",
                            c->n_namespaces > 0 ? list : "");
        }
        if (ns->mode != NAMESPACE_MODE_FSDAX)
                return fail(ret_error, -EINVAL, raw_where(s, CONFIG_ZONE_NAMESPACE), "Namespace",
                            "namespace %s is %s (%s:%u): a zone needs an fsdax namespace with a file system "
                            "and MountPoint=",
                            ns->name, namespace_mode_to_string(ns->mode),
                            ns->where[CONFIG_NAMESPACE_MODE].file, ns->where[CONFIG_NAMESPACE_MODE].line);
        if (!ns->mount_point)
                return fail(ret_error, -EINVAL, raw_where(s, CONFIG_ZONE_NAMESPACE), "Namespace",
                            "namespace %s has no MountPoint= (section at %s:%u): a zone lives on its mount",
                            ns->name, ns->section.file, ns->section.line);

        dir = v[CONFIG_ZONE_DIRECTORY].value ?: s->name;
        r = path_normalize(dir, false, &z->directory, &why);
        if (r == -EINVAL)
                return fail(ret_error, r, raw_where(s, CONFIG_ZONE_DIRECTORY), "Directory",
                            "'%s' %s (it is relative to the mount point of namespace %s)", dir, why,
                            ns->name);
        if (r < 0)
                return r;
        z->namespace = strdup(ns->name);
        if (!z->namespace || asprintf(&z->path, "%s/%s", ns->mount_point, z->directory) < 0)
                return -ENOMEM;
        return 0;
}

static int validate_placement(const Config *c, const RawSection *s, ConfigPlacement *pl, char **ret_error) {
        const RawValue *v = s->values;
        const ConfigZone *z = NULL;
        const char *why;
        int r;

        *pl = (ConfigPlacement){ .section = s->where };
        pl->name = strdup(s->name);
        if (!pl->name)
                return -ENOMEM;
        for (size_t k = 0; k < _CONFIG_PLACEMENT_KEY_MAX; k++)
                if (v[k].value)
                        pl->where[k] = v[k].where;

        r = required(s, CONFIG_PLACEMENT_ZONE, "the zone to place the program in", ret_error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < c->n_zones; i++)
                if (strcmp(c->zones[i].name, v[CONFIG_PLACEMENT_ZONE].value) == 0) {
                        z = &c->zones[i];
                        pl->zone_index = i;
                }
        if (!z) {
                _cleanup_free_ const char **names = calloc(c->n_zones + 1, sizeof(char *));
                char buf[96];

                if (!names)
                        return -ENOMEM;
                for (size_t i = 0; i < c->n_zones; i++)
                        names[i] = c->zones[i].name;
                return fail(
                        ret_error, -EINVAL, raw_where(s, CONFIG_PLACEMENT_ZONE), "Zone",
                        "no [Zone %s] is configured%s", v[CONFIG_PLACEMENT_ZONE].value,
                        did_you_mean(v[CONFIG_PLACEMENT_ZONE].value, names, c->n_zones, buf, sizeof(buf)));
        }
        pl->zone = strdup(z->name);
        if (!pl->zone)
                return -ENOMEM;

        r = required(s, CONFIG_PLACEMENT_PROGRAM, "the absolute path of the program to place", ret_error);
        if (r < 0)
                return r;
        r = path_normalize(v[CONFIG_PLACEMENT_PROGRAM].value, true, &pl->program, &why);
        if (r == -EINVAL)
                return fail(ret_error, r, raw_where(s, CONFIG_PLACEMENT_PROGRAM), "Program", "'%s' %s",
                            v[CONFIG_PLACEMENT_PROGRAM].value, why);
        if (r < 0)
                return r;

        r = bool_value(s, CONFIG_PLACEMENT_WITH_LIBRARIES, false, &pl->with_libraries, ret_error);
        if (r < 0)
                return r;
        r = bool_value(s, CONFIG_PLACEMENT_ENTRY_POINT, true, &pl->entry_point, ret_error);
        if (r < 0)
                return r;
        r = bool_value(s, CONFIG_PLACEMENT_BIND_HOST, false, &pl->bind_host, ret_error);
        if (r < 0)
                return r;
        if (v[CONFIG_PLACEMENT_REFRESH].value) {
                static const char *const policies[] = { "auto", "manual" };
                const char *p = v[CONFIG_PLACEMENT_REFRESH].value;

                if (strcmp(p, "manual") == 0)
                        pl->refresh_manual = true;
                else if (strcmp(p, "auto") != 0)
                        return choice_error(ret_error, s, CONFIG_PLACEMENT_REFRESH, policies,
                                            ELEMENTSOF(policies), "a refresh policy");
        }

        if (v[CONFIG_PLACEMENT_SERVICE].value) {
                const char *u = v[CONFIG_PLACEMENT_SERVICE].value;

                if (!service_name_is_valid(u))
                        return fail(ret_error, -EINVAL, raw_where(s, CONFIG_PLACEMENT_SERVICE), "Service",
                                    "'%s' is not a service unit name such as myapp.service", u);
                if (!path_is_unit_safe(pl->program) || !path_is_unit_safe(z->path))
                        return fail(ret_error, -EINVAL, raw_where(s, CONFIG_PLACEMENT_SERVICE), "Service",
                                    "%s or zone %s (%s) holds a space, quote, '\\', '%%' or ':', which a "
                                    "BindReadOnlyPaths= line cannot carry",
                                    pl->program, z->name, z->path);
                pl->service = strdup(u);
                if (!pl->service)
                        return -ENOMEM;
        }
        return 0;
}

static const char *base_name(const char *path) {
        const char *s = strrchr(path, '/');

        return s ? s + 1 : path;
}

/* Rules between sections of the same type. */
static int validate_across(const Config *c, char **ret_error) {
        for (size_t i = 0; i < c->n_namespaces; i++)
                for (size_t j = 0; j < i; j++) {
                        const ConfigNamespace *a = &c->namespaces[j], *b = &c->namespaces[i];

                        if (a->mount_point && b->mount_point && strcmp(a->mount_point, b->mount_point) == 0)
                                return fail(ret_error, -EINVAL, &b->where[CONFIG_NAMESPACE_MOUNT_POINT],
                                            "MountPoint",
                                            "%s is already the mount point of namespace %s (%s:%u)",
                                            b->mount_point, a->name,
                                            a->where[CONFIG_NAMESPACE_MOUNT_POINT].file,
                                            a->where[CONFIG_NAMESPACE_MOUNT_POINT].line);
                }

        for (size_t i = 0; i < c->n_zones; i++)
                for (size_t j = 0; j < i; j++) {
                        const ConfigZone *a = &c->zones[j], *b = &c->zones[i];
                        const ConfigSource *at = b->where[CONFIG_ZONE_DIRECTORY].file
                                                         ? &b->where[CONFIG_ZONE_DIRECTORY]
                                                         : &b->section;
                        size_t la = strlen(a->path), lb = strlen(b->path);

                        if (strcmp(a->path, b->path) == 0)
                                return fail(ret_error, -EINVAL, at, "Directory",
                                            "%s is already the directory of zone %s (%s:%u)", b->path,
                                            a->name, a->section.file, a->section.line);
                        if ((la < lb && strncmp(a->path, b->path, la) == 0 && b->path[la] == '/') ||
                            (lb < la && strncmp(a->path, b->path, lb) == 0 && a->path[lb] == '/'))
                                return fail(
                                        ret_error, -EINVAL, at, "Directory",
                                        "%s and the directory of zone %s (%s, %s:%u) are nested: zones must "
                                        "not hold each other",
                                        b->path, a->name, a->path, a->section.file, a->section.line);
                }

        for (size_t i = 0; i < c->n_cxl_regions; i++)
                for (size_t j = 0; j < i; j++) {
                        const ConfigCxlRegion *a = &c->cxl_regions[j], *b = &c->cxl_regions[i];

                        for (size_t x = 0; x < a->n_memdevs; x++)
                                for (size_t y = 0; y < b->n_memdevs; y++)
                                        if (strcmp(a->memdevs[x], b->memdevs[y]) == 0 &&
                                            (!a->size || !b->size))
                                                return fail(
                                                        ret_error, -EINVAL,
                                                        &b->where[CONFIG_CXL_REGION_MEMDEVS], "Memdevs",
                                                        "%s is also in [CXLRegion %s] (%s:%u), and one of "
                                                        "the two takes all its free capacity (Size=rest): "
                                                        "give both a Size=",
                                                        b->memdevs[y], a->name, a->section.file,
                                                        a->section.line);
                }

        for (size_t i = 0; i < c->n_placements; i++)
                for (size_t j = 0; j < i; j++) {
                        const ConfigPlacement *a = &c->placements[j], *b = &c->placements[i];
                        const ConfigSource *at = &b->where[CONFIG_PLACEMENT_PROGRAM];
                        bool same_program = strcmp(a->program, b->program) == 0;

                        if (same_program && a->zone_index == b->zone_index)
                                return fail(ret_error, -EINVAL, at, "Program",
                                            "%s is already placed in zone %s by [Placement %s] (%s:%u)",
                                            b->program, b->zone, a->name, a->section.file, a->section.line);
                        if (same_program && a->bind_host && b->bind_host)
                                return fail(ret_error, -EINVAL, &b->where[CONFIG_PLACEMENT_BIND_HOST],
                                            "BindHost",
                                            "%s is already bound over the host's copy by [Placement %s] "
                                            "(%s:%u): "
                                            "one file cannot be bound twice",
                                            b->program, a->name, a->section.file, a->section.line);
                        if (a->zone_index == b->zone_index && a->entry_point && b->entry_point &&
                            strcmp(base_name(a->program), base_name(b->program)) == 0)
                                return fail(
                                        ret_error, -EINVAL, at, "Program",
                                        "zone %s would get two entry points bin/%s (also [Placement %s], "
                                        "%s:%u): set EntryPoint=no on one",
                                        b->zone, base_name(b->program), a->name, a->section.file,
                                        a->section.line);
                }
        return 0;
}

/* Owner=, Group=, Permissions= of a devdax node (both section types use the same words). */
static int devdax_access_keys(Parser *p, const RawSection *s, unsigned owner_key, unsigned group_key,
                              unsigned perm_key, char **ret_owner, char **ret_group, mode_t *ret_perm,
                              char **ret_error) {
        const RawValue *v = s->values;
        int r;

        for (unsigned k = owner_key; k <= group_key; k++) {
                char *d;

                if (!v[k].value)
                        continue;
                if (!user_name_is_valid(v[k].value))
                        return fail(ret_error, -EINVAL, raw_where(s, k), raw_key_name(s, k),
                                    "'%s' is not a %s name or number", v[k].value,
                                    k == owner_key ? "user" : "group");
                d = strdup(v[k].value);
                if (!d)
                        return -ENOMEM;
                free(k == owner_key ? *ret_owner : *ret_group);
                *(k == owner_key ? ret_owner : ret_group) = d;
        }
        if (v[perm_key].value) {
                const char *m = v[perm_key].value;
                mode_t mode = 0;
                size_t n = strlen(m);

                if (n == 0 || n > 4 || strspn(m, "01234567") != n)
                        return fail(ret_error, -EINVAL, raw_where(s, perm_key), "Permissions",
                                    "'%s' is not an octal mode such as 0660 (at most 0777)", m);
                for (size_t i = 0; i < n; i++)
                        mode = mode * 8 + (mode_t) (m[i] - '0');
                if (mode > 0777)
                        return fail(ret_error, -EINVAL, raw_where(s, perm_key), "Permissions",
                                    "'%s' has bits beyond the permissions (at most 0777): no setuid, setgid "
                                    "or sticky bits on a device",
                                    m);
                if (mode & 0002) {
                        r = warn(p, raw_where(s, perm_key), "Permissions",
                                 "%04o lets every user of the machine write the memory of %s %s",
                                 (unsigned) mode, config_section_type_table[s->type], s->name);
                        if (r < 0)
                                return r;
                }
                *ret_perm = mode;
        }
        return 0;
}

static int validate_dax_device(Parser *p, const RawSection *s, ConfigDaxDevice *d, char **ret_error) {
        const RawValue *v = s->values;
        int r;

        *d = (ConfigDaxDevice){
                .provider = -1,
                .resource = UINT64_MAX,
                .target_node = -1,
                .system_ram = CONFIG_SYSTEM_RAM_NO,
                .permissions = (mode_t) -1,
                .section = s->where,
        };
        d->name = strdup(s->name);
        if (!d->name)
                return -ENOMEM;
        for (size_t k = 0; k < _CONFIG_DAX_DEVICE_KEY_MAX; k++)
                if (v[k].value)
                        d->where[k] = v[k].where;

        if (v[CONFIG_DAX_DEVICE_PROVIDER].value) {
                static const char *const providers[] = { "hmem", "cxl", "any" };
                const char *pv = v[CONFIG_DAX_DEVICE_PROVIDER].value;

                if (strcmp(pv, "nd") == 0)
                        return fail(ret_error, -EINVAL, raw_where(s, CONFIG_DAX_DEVICE_PROVIDER), "Provider",
                                    "the dax device of a namespace is configured in its [Namespace NAME] "
                                    "section (Mode=devdax, SystemRAM=), not here");
                if (strcmp(pv, "any") != 0) {
                        d->provider = dax_provider_from_string(pv);
                        if (d->provider != DAX_PROVIDER_HMEM && d->provider != DAX_PROVIDER_CXL)
                                return choice_error(ret_error, s, CONFIG_DAX_DEVICE_PROVIDER, providers,
                                                    ELEMENTSOF(providers), "a dax device provider");
                }
        }
        if (v[CONFIG_DAX_DEVICE_RESOURCE].value) {
                const char *rv = v[CONFIG_DAX_DEVICE_RESOURCE].value;

                if (strncmp(rv, "0x", 2) != 0 || parse_u64(rv + 2, 16, &d->resource) < 0 ||
                    d->resource == UINT64_MAX)
                        return fail(ret_error, -EINVAL, raw_where(s, CONFIG_DAX_DEVICE_RESOURCE), "Resource",
                                    "'%s' is not a physical address in hex such as 0x140000000 (the "
                                    "device's start, as daxctl list shows it)",
                                    rv);
        }
        if (v[CONFIG_DAX_DEVICE_TARGET_NODE].value) {
                uint32_t n;

                if (parse_u32(v[CONFIG_DAX_DEVICE_TARGET_NODE].value, 10, &n) < 0 || n > 65535)
                        return fail(ret_error, -EINVAL, raw_where(s, CONFIG_DAX_DEVICE_TARGET_NODE),
                                    "TargetNode", "'%s' is not a NUMA node number",
                                    v[CONFIG_DAX_DEVICE_TARGET_NODE].value);
                d->target_node = (int) n;
        }
        if (v[CONFIG_DAX_DEVICE_SIZE].value) {
                _cleanup_free_ char *e = NULL;

                r = size_parse_bytes(v[CONFIG_DAX_DEVICE_SIZE].value, &d->size, &e);
                if (r < 0 || d->size == 0)
                        return fail(ret_error, r < 0 ? r : -EINVAL, raw_where(s, CONFIG_DAX_DEVICE_SIZE),
                                    "Size", "%s", e ?: "the size of a device cannot be 0");
        }
        if (d->resource == UINT64_MAX && d->target_node < 0)
                return fail(ret_error, -EINVAL, &s->where, NULL,
                            "[DaxDevice %s] needs Resource= or TargetNode= to find its device: device names "
                            "(daxX.Y) change from boot to boot, its physical start and node do not",
                            s->name);
        if (v[CONFIG_DAX_DEVICE_SYSTEM_RAM].value) {
                d->system_ram = config_system_ram_from_string(v[CONFIG_DAX_DEVICE_SYSTEM_RAM].value);
                if (d->system_ram < 0)
                        return choice_error(ret_error, s, CONFIG_DAX_DEVICE_SYSTEM_RAM,
                                            config_system_ram_table, _CONFIG_SYSTEM_RAM_MAX,
                                            "a system-RAM setting");
        }
        for (unsigned k = CONFIG_DAX_DEVICE_OWNER; k <= CONFIG_DAX_DEVICE_PERMISSIONS; k++)
                if (v[k].value && d->system_ram != CONFIG_SYSTEM_RAM_NO)
                        return fail(ret_error, -EINVAL, raw_where(s, k), raw_key_name(s, k),
                                    "applies to the /dev/daxX.Y node, which a device with SystemRAM=%s does "
                                    "not keep",
                                    config_system_ram_table[d->system_ram]);
        return devdax_access_keys(p, s, CONFIG_DAX_DEVICE_OWNER, CONFIG_DAX_DEVICE_GROUP,
                                  CONFIG_DAX_DEVICE_PERMISSIONS, &d->owner, &d->group, &d->permissions,
                                  ret_error);
}

/* Two [DaxDevice] sections that could claim the same device: the same Resource=. */
static int validate_dax_devices(const Config *c, char **ret_error) {
        for (size_t i = 0; i < c->n_dax_devices; i++)
                for (size_t j = 0; j < i; j++) {
                        const ConfigDaxDevice *a = &c->dax_devices[j], *b = &c->dax_devices[i];

                        if (a->resource != UINT64_MAX && a->resource == b->resource)
                                return fail(
                                        ret_error, -EINVAL, &b->where[CONFIG_DAX_DEVICE_RESOURCE],
                                        "Resource",
                                        "[DaxDevice %s] and [DaxDevice %s] (%s:%u) both match the device at "
                                        "%#" PRIx64 ": keep one",
                                        b->name, a->name, a->where[CONFIG_DAX_DEVICE_RESOURCE].file,
                                        a->where[CONFIG_DAX_DEVICE_RESOURCE].line, a->resource);
                }
        return 0;
}

static int parser_finish(Parser *p, Config **ret, char ***ret_warnings, char **ret_error) {
        Config *c = p->config;
        size_t n[_CONFIG_SECTION_TYPE_MAX] = {};
        int r;

        for (size_t i = 0; i < p->n_sections; i++)
                n[p->sections[i].type]++;
        c->namespaces = calloc(n[CONFIG_SECTION_NAMESPACE] ?: 1, sizeof(ConfigNamespace));
        c->zones = calloc(n[CONFIG_SECTION_ZONE] ?: 1, sizeof(ConfigZone));
        c->placements = calloc(n[CONFIG_SECTION_PLACEMENT] ?: 1, sizeof(ConfigPlacement));
        c->cxl_regions = calloc(n[CONFIG_SECTION_CXL_REGION] ?: 1, sizeof(ConfigCxlRegion));
        c->dax_devices = calloc(n[CONFIG_SECTION_DAX_DEVICE] ?: 1, sizeof(ConfigDaxDevice));
        if (!c->namespaces || !c->zones || !c->placements || !c->cxl_regions || !c->dax_devices)
                return -ENOMEM;

        /* CXL regions, namespaces, zones, then placements: each refers to the ones before. Dax
         * devices refer to none. */
        for (size_t i = 0; i < p->n_sections; i++)
                if (p->sections[i].type == CONFIG_SECTION_CXL_REGION) {
                        r = validate_cxl_region(&p->sections[i], &c->cxl_regions[c->n_cxl_regions++],
                                                ret_error);
                        if (r < 0)
                                return r;
                }
        for (size_t i = 0; i < p->n_sections; i++)
                if (p->sections[i].type == CONFIG_SECTION_NAMESPACE) {
                        r = validate_namespace(p, &p->sections[i], &c->namespaces[c->n_namespaces++],
                                               ret_error);
                        if (r < 0)
                                return r;
                }
        for (size_t i = 0; i < p->n_sections; i++)
                if (p->sections[i].type == CONFIG_SECTION_ZONE) {
                        r = validate_zone(c, &p->sections[i], &c->zones[c->n_zones++], ret_error);
                        if (r < 0)
                                return r;
                }
        for (size_t i = 0; i < p->n_sections; i++)
                if (p->sections[i].type == CONFIG_SECTION_PLACEMENT) {
                        r = validate_placement(c, &p->sections[i], &c->placements[c->n_placements++],
                                               ret_error);
                        if (r < 0)
                                return r;
                }
        for (size_t i = 0; i < p->n_sections; i++)
                if (p->sections[i].type == CONFIG_SECTION_DAX_DEVICE) {
                        r = validate_dax_device(p, &p->sections[i], &c->dax_devices[c->n_dax_devices++],
                                                ret_error);
                        if (r < 0)
                                return r;
                }
        r = validate_across(c, ret_error);
        if (r < 0)
                return r;
        r = validate_dax_devices(c, ret_error);
        if (r < 0)
                return r;

        if (p->n_dropped > 0) {
                char *w = NULL, **l;

                if (asprintf(&w, "%zu more warnings not shown", p->n_dropped) < 0)
                        return -ENOMEM;
                l = reallocarray(p->warnings, p->n_warnings + 2, sizeof(char *));
                if (!l) {
                        free(w);
                        return -ENOMEM;
                }
                p->warnings = l;
                l[p->n_warnings++] = w;
                l[p->n_warnings] = NULL;
        }

        if (ret_warnings)
                *ret_warnings = TAKE_PTR(p->warnings);
        *ret = TAKE_PTR(p->config);
        return 0;
}

static int parser_init(Parser *p) {
        *p = (Parser){ .current = SIZE_MAX };
        p->config = calloc(1, sizeof(Config));
        return p->config ? 0 : -ENOMEM;
}

int config_parse_text(const char *text, size_t size, const char *filename, Config **ret,
                      char ***ret_warnings, char **ret_error) {
        _cleanup_(parser_done) Parser p = {};
        int r;

        if (!text || !filename || !ret)
                return -EINVAL;
        r = parser_init(&p);
        if (r < 0)
                return r;
        r = parse_file(&p, text, size, filename, ret_error);
        if (r < 0)
                return r;
        return parser_finish(&p, ret, ret_warnings, ret_error);
}

/* ---- files ------------------------------------------------------------------------------- */

/* Reads one configuration file. Returns 0 and the text, -ENOENT if it does not exist (or is a
 * dangling symlink), another error with a sentence. A symlink to /dev/null (or an empty file)
 * masks: it reads as empty. */
static int read_config_file(const char *path, char **ret, size_t *ret_size, char **ret_error) {
        struct stat st;
        int r;

        if (stat(path, &st) < 0) {
                if (errno == ENOENT)
                        return -ENOENT;
                return error_set(ret_error, negative_errno(), "%s: cannot read it: %m", path);
        }
        if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3) { /* /dev/null */
                *ret = strdup("");
                *ret_size = 0;
                return *ret ? 0 : -ENOMEM;
        }
        if (!S_ISREG(st.st_mode))
                return error_set(ret_error, -EINVAL, "%s: not a regular file", path);
        if (st.st_size > (off_t) CONFIG_FILE_MAX)
                return error_set(
                        ret_error, -EFBIG,
                        "%s: larger than %u KiB: daxmgr reads configuration files of at most that size",
                        path, CONFIG_FILE_MAX / 1024);
        r = read_full_file(path, CONFIG_FILE_MAX, ret, ret_size);
        if (r == -EFBIG)
                return error_set(
                        ret_error, r,
                        "%s: larger than %u KiB: daxmgr reads configuration files of at most that size",
                        path, CONFIG_FILE_MAX / 1024);
        if (r < 0)
                return error_set(ret_error, r, "%s: cannot read it: %s", path, strerror(-r));
        return 0;
}

typedef struct DropIn {
        char *name; /* the file name, which orders and masks */
        char *path;
} DropIn;

static void dropins_free(DropIn *d, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(d[i].name);
                free(d[i].path);
        }
        free(d);
}

static int dropin_cmp(const void *a, const void *b) {
        return strcmp(((const DropIn *) a)->name, ((const DropIn *) b)->name);
}

/* Adds the *.conf files of @dir to @list, unless a file of the same name is there already
 * (an earlier directory masks a later one). A missing directory adds nothing. */
static int dropins_add(const char *dir, DropIn **list, size_t *n, char **ret_error) {
        DIR *d = opendir(dir);
        struct dirent *de;
        int r = 0;

        if (!d) {
                if (errno == ENOENT)
                        return 0;
                return error_set(ret_error, negative_errno(), "%s: cannot read the directory: %m", dir);
        }
        errno = 0;
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                bool masked = false;
                DropIn *l;

                if (de->d_name[0] == '.' || len <= 5 || strcmp(de->d_name + len - 5, ".conf") != 0)
                        continue;
                for (size_t i = 0; i < *n && !masked; i++)
                        masked = strcmp((*list)[i].name, de->d_name) == 0;
                if (masked)
                        continue;
                if (*n >= CONFIG_DROPINS_MAX) {
                        r = error_set(ret_error, -E2BIG,
                                      "%s: more than %u drop-ins: daxmgr reads at most %u", dir,
                                      CONFIG_DROPINS_MAX, CONFIG_DROPINS_MAX);
                        break;
                }
                l = reallocarray(*list, *n + 1, sizeof(DropIn));
                if (!l) {
                        r = -ENOMEM;
                        break;
                }
                *list = l;
                l[*n] = (DropIn){ .name = strdup(de->d_name) };
                if (!l[*n].name || asprintf(&l[*n].path, "%s/%s", dir, de->d_name) < 0) {
                        free(l[*n].name);
                        r = -ENOMEM;
                        break;
                }
                (*n)++;
                errno = 0;
        }
        if (r == 0 && errno != 0)
                r = error_set(ret_error, negative_errno(), "%s: cannot read the directory: %m", dir);
        (void) closedir(d);
        return r;
}

int config_load(const char *root, Config **ret, char ***ret_warnings, char **ret_error) {
        _cleanup_(parser_done) Parser p = {};
        _cleanup_free_ char *prefix = NULL, *etc_main = NULL, *usr_main = NULL, *etc_dir = NULL,
                            *usr_dir = NULL;
        DropIn *dropins = NULL;
        size_t n_dropins = 0, len;
        int r;

        if (!ret)
                return -EINVAL;
        prefix = strdup(root ?: "");
        if (!prefix)
                return -ENOMEM;
        len = strlen(prefix);
        while (len > 0 && prefix[len - 1] == '/')
                prefix[--len] = '\0';
        if (asprintf(&etc_main, "%s" DIR_ETC CONFIG_MAIN, prefix) < 0 ||
            asprintf(&usr_main, "%s" DIR_USR CONFIG_MAIN, prefix) < 0 ||
            asprintf(&etc_dir, "%s" DIR_ETC CONFIG_DROPIN, prefix) < 0 ||
            asprintf(&usr_dir, "%s" DIR_USR CONFIG_DROPIN, prefix) < 0)
                return -ENOMEM;

        if (*prefix) { /* a mistyped root must not pass for "no configuration" */
                struct stat st;

                if (stat(prefix, &st) < 0)
                        return error_set(ret_error, negative_errno(), "%s: cannot use it as the root: %m",
                                         prefix);
                if (!S_ISDIR(st.st_mode))
                        return error_set(ret_error, -ENOTDIR, "%s: not a directory, so not a root", prefix);
        }

        r = parser_init(&p);
        if (r < 0)
                return r;

        /* The main file: /etc's, else the vendor's. */
        for (unsigned i = 0; i < 2; i++) {
                const char *path = i == 0 ? etc_main : usr_main;
                _cleanup_free_ char *text = NULL;
                size_t size;

                r = read_config_file(path, &text, &size, ret_error);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                r = parse_file(&p, text, size, path, ret_error);
                if (r < 0)
                        return r;
                break;
        }

        /* The drop-ins of both directories, by file name; /etc's mask the vendor's. */
        r = dropins_add(etc_dir, &dropins, &n_dropins, ret_error);
        if (r >= 0)
                r = dropins_add(usr_dir, &dropins, &n_dropins, ret_error);
        if (r >= 0 && n_dropins > 0)
                qsort(dropins, n_dropins, sizeof(DropIn), dropin_cmp);
        for (size_t i = 0; r >= 0 && i < n_dropins; i++) {
                _cleanup_free_ char *text = NULL;
                size_t size;

                r = read_config_file(dropins[i].path, &text, &size, ret_error);
                if (r == -ENOENT) { /* a dangling symlink, or removed since: nothing to apply */
                        r = 0;
                        continue;
                }
                if (r >= 0)
                        r = parse_file(&p, text, size, dropins[i].path, ret_error);
        }
        dropins_free(dropins, n_dropins);
        if (r < 0)
                return r;

        return parser_finish(&p, ret, ret_warnings, ret_error);
}

/* ---- the model --------------------------------------------------------------------------- */

Config *config_free(Config *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n_files; i++)
                free(c->files[i]);
        free(c->files);
        for (size_t i = 0; i < c->n_namespaces; i++) {
                ConfigNamespace *ns = &c->namespaces[i];

                free(ns->name);
                free(ns->mount_point);
                free(ns->mount_options);
                free(ns->owner);
                free(ns->group);
        }
        free(c->namespaces);
        for (size_t i = 0; i < c->n_zones; i++) {
                free(c->zones[i].name);
                free(c->zones[i].namespace);
                free(c->zones[i].directory);
                free(c->zones[i].path);
        }
        free(c->zones);
        for (size_t i = 0; i < c->n_placements; i++) {
                free(c->placements[i].name);
                free(c->placements[i].zone);
                free(c->placements[i].program);
                free(c->placements[i].service);
        }
        free(c->placements);
        for (size_t i = 0; i < c->n_cxl_regions; i++) {
                free(c->cxl_regions[i].name);
                for (size_t k = 0; k < c->cxl_regions[i].n_memdevs; k++)
                        free(c->cxl_regions[i].memdevs[k]);
                free(c->cxl_regions[i].memdevs);
                free(c->cxl_regions[i].decoder);
        }
        free(c->cxl_regions);

        for (size_t i = 0; i < c->n_dax_devices; i++) {
                free(c->dax_devices[i].name);
                free(c->dax_devices[i].owner);
                free(c->dax_devices[i].group);
        }
        free(c->dax_devices);
        free(c);
        return NULL;
}

const ConfigCxlRegion *config_find_cxl_region(const Config *c, const char *name) {
        for (size_t i = 0; c && name && i < c->n_cxl_regions; i++)
                if (strcmp(c->cxl_regions[i].name, name) == 0)
                        return &c->cxl_regions[i];
        return NULL;
}

const ConfigDaxDevice *config_find_dax_device(const Config *c, const char *name) {
        for (size_t i = 0; c && name && i < c->n_dax_devices; i++)
                if (strcmp(c->dax_devices[i].name, name) == 0)
                        return &c->dax_devices[i];
        return NULL;
}

const ConfigNamespace *config_find_namespace(const Config *c, const char *name) {
        for (size_t i = 0; c && name && i < c->n_namespaces; i++)
                if (strcmp(c->namespaces[i].name, name) == 0)
                        return &c->namespaces[i];
        return NULL;
}

const ConfigZone *config_find_zone(const Config *c, const char *name) {
        for (size_t i = 0; c && name && i < c->n_zones; i++)
                if (strcmp(c->zones[i].name, name) == 0)
                        return &c->zones[i];
        return NULL;
}

const ConfigPlacement *config_find_placement(const Config *c, const char *name) {
        for (size_t i = 0; c && name && i < c->n_placements; i++)
                if (strcmp(c->placements[i].name, name) == 0)
                        return &c->placements[i];
        return NULL;
}

int config_region_format(const ConfigRegion *r, char **ret) {
        int k = -1; /* every kind sets it: the compiler cannot know that the enum is closed */

        switch (r->kind) {
        case CONFIG_REGION_ANY:
                k = asprintf(ret, "any");
                break;
        case CONFIG_REGION_ID:
                k = asprintf(ret, "region%" PRIu32, r->number);
                break;
        case CONFIG_REGION_NUMA:
                k = asprintf(ret, "numa:%" PRIu32, r->number);
                break;
        case CONFIG_REGION_DIMM:
                k = asprintf(ret, "dimm:%#" PRIx32, r->number);
                break;
        case CONFIG_REGION_CXL:
                k = asprintf(ret, "cxl:%s", r->cxl);
                break;
        case _CONFIG_REGION_KIND_MAX:
        case _CONFIG_REGION_KIND_INVALID:
                return -EINVAL;
        }
        return k < 0 ? -ENOMEM : 0;
}

int config_summary(const Config *c, char **ret) {
        if (!c || !ret)
                return -EINVAL;
        if (asprintf(ret,
                     "%zu CXL region(s), %zu namespace(s), %zu DAX device(s), %zu zone(s), %zu placement(s) "
                     "from %zu file(s)",
                     c->n_cxl_regions, c->n_namespaces, c->n_dax_devices, c->n_zones, c->n_placements,
                     c->n_files) < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* ---- JSON -------------------------------------------------------------------------------- */

static json_object *json_string_or_null(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

/* "FILE:LINE", or null for a default. */
static json_object *json_source(const ConfigSource *s) {
        _cleanup_free_ char *t = NULL;

        if (!s->file || asprintf(&t, "%s:%u", s->file, s->line) < 0)
                return NULL;
        return json_object_new_string(t);
}

static json_object *json_origins(const ConfigSource *where, const char *const *keys, size_t n) {
        json_object *o = json_object_new_object();

        for (size_t k = 0; o && k < n; k++)
                if (where[k].file)
                        json_object_object_add(o, keys[k], json_source(&where[k]));
        return o;
}

static json_object *json_size(const SizeSpec *s) {
        json_object *o = json_object_new_object();
        char buf[32];

        if (!o)
                return NULL;
        switch (s->kind) {
        case SIZE_BYTES:
                json_object_object_add(o, "kind", json_object_new_string("bytes"));
                json_object_object_add(o, "bytes", json_object_new_uint64(s->bytes));
                break;
        case SIZE_PERCENT:
                if (s->basis_points % 100 == 0)
                        (void) snprintf(buf, sizeof(buf), "%" PRIu32, s->basis_points / 100);
                else
                        (void) snprintf(buf, sizeof(buf), "%" PRIu32 ".%02" PRIu32, s->basis_points / 100,
                                        s->basis_points % 100);
                json_object_object_add(o, "kind", json_object_new_string("percent"));
                json_object_object_add(o, "percent", json_object_new_double_s(s->basis_points / 100.0, buf));
                break;
        case SIZE_REST:
                json_object_object_add(o, "kind", json_object_new_string("rest"));
                break;
        case _SIZE_KIND_MAX:
        case _SIZE_KIND_INVALID:
                break;
        }
        return o;
}

static json_object *namespace_to_json(const ConfigNamespace *ns) {
        json_object *o = json_object_new_object();
        _cleanup_free_ char *region = NULL;
        char perm[8];

        if (!o || config_region_format(&ns->region, &region) < 0) {
                json_object_put(o);
                return NULL;
        }
        json_object_object_add(o, "name", json_object_new_string(ns->name));
        json_object_object_add(o, "source", json_source(&ns->section));
        json_object_object_add(o, "region", json_object_new_string(region));
        json_object_object_add(o, "mode", json_object_new_string(namespace_mode_to_string(ns->mode)));
        json_object_object_add(o, "size", json_size(&ns->size));
        if (ns->mode != NAMESPACE_MODE_RAW) {
                json_object_object_add(o, "align", ns->align ? json_object_new_uint64(ns->align) : NULL);
                json_object_object_add(o, "map", json_object_new_string(pfn_map_to_string(ns->map)));
        }
        if (ns->mode == NAMESPACE_MODE_FSDAX) {
                json_object_object_add(o, "filesystem",
                                       json_object_new_string(config_filesystem_to_string(ns->filesystem)));
                json_object_object_add(o, "mount_point", json_string_or_null(ns->mount_point));
                json_object_object_add(o, "dax", json_object_new_string(dax_mode_to_string(ns->dax)));
                json_object_object_add(o, "mount_options", json_string_or_null(ns->mount_options));
        }
        if (ns->mode == NAMESPACE_MODE_DEVDAX) {
                json_object_object_add(o, "owner", json_string_or_null(ns->owner));
                json_object_object_add(o, "group", json_string_or_null(ns->group));
                (void) snprintf(perm, sizeof(perm), "%04o", (unsigned) (ns->permissions & 07777));
                json_object_object_add(o, "permissions",
                                       ns->permissions == (mode_t) -1 ? NULL : json_object_new_string(perm));
                json_object_object_add(o, "system_ram",
                                       json_object_new_string(config_system_ram_to_string(ns->system_ram)));
        }
        json_object_object_add(o, "destroy", json_object_new_boolean(ns->destroy));
        json_object_object_add(
                o, "origins",
                json_origins(ns->where, config_namespace_key_table, _CONFIG_NAMESPACE_KEY_MAX));
        return o;
}

static json_object *zone_to_json(const ConfigZone *z) {
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        json_object_object_add(o, "name", json_object_new_string(z->name));
        json_object_object_add(o, "source", json_source(&z->section));
        json_object_object_add(o, "namespace", json_object_new_string(z->namespace));
        json_object_object_add(o, "directory", json_object_new_string(z->directory));
        json_object_object_add(o, "path", json_object_new_string(z->path));
        json_object_object_add(o, "origins",
                               json_origins(z->where, config_zone_key_table, _CONFIG_ZONE_KEY_MAX));
        return o;
}

static json_object *placement_to_json(const ConfigPlacement *pl) {
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        json_object_object_add(o, "name", json_object_new_string(pl->name));
        json_object_object_add(o, "source", json_source(&pl->section));
        json_object_object_add(o, "zone", json_object_new_string(pl->zone));
        json_object_object_add(o, "program", json_object_new_string(pl->program));
        json_object_object_add(o, "with_libraries", json_object_new_boolean(pl->with_libraries));
        json_object_object_add(o, "service", json_string_or_null(pl->service));
        json_object_object_add(o, "entry_point", json_object_new_boolean(pl->entry_point));
        json_object_object_add(o, "bind_host", json_object_new_boolean(pl->bind_host));
        json_object_object_add(o, "refresh", json_object_new_string(pl->refresh_manual ? "manual" : "auto"));
        json_object_object_add(
                o, "origins",
                json_origins(pl->where, config_placement_key_table, _CONFIG_PLACEMENT_KEY_MAX));
        return o;
}

static json_object *cxl_region_to_json(const ConfigCxlRegion *cr) {
        json_object *o = json_object_new_object(), *m = json_object_new_array();

        if (!o || !m) {
                json_object_put(o);
                json_object_put(m);
                return NULL;
        }
        json_object_object_add(o, "name", json_object_new_string(cr->name));
        json_object_object_add(o, "source", json_source(&cr->section));
        for (size_t i = 0; i < cr->n_memdevs; i++)
                json_object_array_add(m, json_object_new_string(cr->memdevs[i]));
        json_object_object_add(o, "memdevs", m);
        json_object_object_add(o, "size", cr->size ? json_object_new_uint64(cr->size) : NULL);
        json_object_object_add(o, "decoder", json_string_or_null(cr->decoder));
        json_object_object_add(o, "uuid", json_object_new_string(cr->uuid));
        json_object_object_add(
                o, "origins",
                json_origins(cr->where, config_cxl_region_key_table, _CONFIG_CXL_REGION_KEY_MAX));
        return o;
}

static json_object *dax_device_to_json(const ConfigDaxDevice *d) {
        json_object *o = json_object_new_object();
        char res[32];

        if (!o)
                return NULL;
        (void) snprintf(res, sizeof(res), "%#" PRIx64, d->resource);
        json_object_object_add(o, "name", json_object_new_string(d->name));
        json_object_object_add(o, "source", json_source(&d->section));
        json_object_object_add(
                o, "provider",
                json_object_new_string(d->provider < 0 ? "any" : dax_provider_to_string(d->provider)));
        json_object_object_add(o, "resource",
                               d->resource == UINT64_MAX ? NULL : json_object_new_string(res));
        json_object_object_add(o, "target_node",
                               d->target_node < 0 ? NULL : json_object_new_int(d->target_node));
        json_object_object_add(o, "size", d->size ? json_object_new_uint64(d->size) : NULL);
        json_object_object_add(o, "system_ram",
                               json_object_new_string(config_system_ram_to_string(d->system_ram)));
        if (d->system_ram == CONFIG_SYSTEM_RAM_NO) {
                char perm[8];

                (void) snprintf(perm, sizeof(perm), "%04o", (unsigned) d->permissions);
                json_object_object_add(o, "owner", json_string_or_null(d->owner));
                json_object_object_add(o, "group", json_string_or_null(d->group));
                json_object_object_add(o, "permissions",
                                       d->permissions == (mode_t) -1 ? NULL : json_object_new_string(perm));
        }
        json_object_object_add(
                o, "origins",
                json_origins(d->where, config_dax_device_key_table, _CONFIG_DAX_DEVICE_KEY_MAX));
        return o;
}

int config_to_json(const Config *c, struct json_object **ret) {
        json_object *o, *files, *nss, *zones, *pls, *cxl;

        if (!c || !ret)
                return -EINVAL;
        o = json_object_new_object();
        files = json_object_new_array();
        nss = json_object_new_array();
        zones = json_object_new_array();
        pls = json_object_new_array();
        cxl = json_object_new_array();
        if (!o || !files || !nss || !zones || !pls || !cxl)
                goto fail;
        json_object_object_add(o, "files", files);
        json_object_object_add(o, "namespaces", nss);
        json_object_object_add(o, "zones", zones);
        json_object_object_add(o, "placements", pls);
        json_object_object_add(o, "cxl_regions", cxl);
        files = nss = zones = pls = cxl = NULL;

        for (size_t i = 0; i < c->n_cxl_regions; i++) {
                json_object *j = cxl_region_to_json(&c->cxl_regions[i]);

                if (!j || json_object_array_add(json_object_object_get(o, "cxl_regions"), j) < 0) {
                        json_object_put(j);
                        goto fail;
                }
        }
        for (size_t i = 0; i < c->n_files; i++)
                if (json_object_array_add(json_object_object_get(o, "files"),
                                          json_object_new_string(c->files[i])) < 0)
                        goto fail;
        for (size_t i = 0; i < c->n_namespaces; i++) {
                json_object *j = namespace_to_json(&c->namespaces[i]);

                if (!j || json_object_array_add(json_object_object_get(o, "namespaces"), j) < 0) {
                        json_object_put(j);
                        goto fail;
                }
        }
        for (size_t i = 0; i < c->n_zones; i++) {
                json_object *j = zone_to_json(&c->zones[i]);

                if (!j || json_object_array_add(json_object_object_get(o, "zones"), j) < 0) {
                        json_object_put(j);
                        goto fail;
                }
        }
        for (size_t i = 0; i < c->n_placements; i++) {
                json_object *j = placement_to_json(&c->placements[i]);

                if (!j || json_object_array_add(json_object_object_get(o, "placements"), j) < 0) {
                        json_object_put(j);
                        goto fail;
                }
        }
        {
                json_object *dds = json_object_new_array();

                if (!dds)
                        goto fail;
                json_object_object_add(o, "dax_devices", dds);
                for (size_t i = 0; i < c->n_dax_devices; i++) {
                        json_object *j = dax_device_to_json(&c->dax_devices[i]);

                        if (!j || json_object_array_add(dds, j) < 0) {
                                json_object_put(j);
                                goto fail;
                        }
                }
        }
        *ret = o;
        return 0;

fail:
        json_object_put(o);
        json_object_put(files);
        json_object_put(nss);
        json_object_put(zones);
        json_object_put(pls);
        json_object_put(cxl);
        return -ENOMEM;
}
