/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The configuration's files and their parser: the main file of /etc (else /usr/lib) and the
 * drop-ins of both, read in order and parsed into raw sections (strings with their file:line,
 * merged across files) that config.c validates. docs/CONFIG.md is the reference for the format. */

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "config-internal.h"
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
const char *did_you_mean(const char *word, const char *const *candidates, size_t n, char *buf, size_t size) {
        const char *s = suggest(word, candidates, n);

        if (!s)
                return "";
        (void) snprintf(buf, size, "; did you mean %s?", s);
        return buf;
}

/* "a, b or c" */
char *join_choices(const char *const *table, size_t n) {
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

/* ---- raw sections: strings with their origin, merged across files ------------------------- */

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
        [CONFIG_SECTION_METRICS] = { config_metrics_key_table, _CONFIG_METRICS_KEY_MAX },
};

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
_printf_(5, 6) int fail(char **ret_error, int r, const ConfigSource *at, const char *key, const char *fmt,
                        ...) {
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

_printf_(4, 5) int parser_warn(Parser *p, const ConfigSource *at, const char *key, const char *fmt, ...) {
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
const ConfigSource *raw_where(const RawSection *s, unsigned key) {
        return s->values[key].where.file ? &s->values[key].where : &s->where;
}

const char *raw_key_name(const RawSection *s, unsigned key) {
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
                            "[Placement NAME], [CXLRegion NAME], [DaxDevice NAME] or [Metrics]");
        s[len - 1] = '\0';
        type_s = strip(s + 1);
        if (strpbrk(type_s, "[]"))
                return fail(ret_error, -EINVAL, &at, NULL, "a section header holds one '[' and one ']'");
        if (!*type_s)
                return fail(ret_error, -EINVAL, &at, NULL,
                            "empty section header: write [Namespace NAME], [Zone NAME], [Placement NAME], "
                            "[CXLRegion NAME], [DaxDevice NAME] or [Metrics]");

        end = type_s + strcspn(type_s, " \t");
        name = *end ? strip(end + 1) : end;
        *end = '\0';

        type = config_section_type_from_string(type_s);
        if (type < 0)
                return fail(ret_error, -EINVAL, &at, NULL,
                            "unknown section type '%.*s'%s; the types are Namespace, Zone, Placement, "
                            "CXLRegion, DaxDevice and Metrics",
                            SUGGEST_WORD_MAX, type_s,
                            did_you_mean(type_s, config_section_type_table, _CONFIG_SECTION_TYPE_MAX, buf,
                                         sizeof(buf)));
        if (type == CONFIG_SECTION_METRICS && *name)
                return fail(ret_error, -EINVAL, &at, NULL, "[Metrics] takes no name: write [Metrics]");
        if (!*name && type != CONFIG_SECTION_METRICS)
                return fail(ret_error, -EINVAL, &at, NULL, "[%s] needs a name: write [%s NAME]", type_s,
                            type_s);
        if (type != CONFIG_SECTION_METRICS && strpbrk(name, " \t"))
                return fail(ret_error, -EINVAL, &at, NULL,
                            "[%s %s] has more than a type and a name: names cannot contain spaces", type_s,
                            name);
        if (type != CONFIG_SECTION_METRICS && !namespace_name_is_valid(name))
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
                return fail(ret_error, -EINVAL, at, key, "unknown key in [%s%s%s]; did you mean %s?", type,
                            *sec->name ? " " : "", sec->name, s);
        for (ConfigSectionType t = 0; t < _CONFIG_SECTION_TYPE_MAX; t++)
                if (t != sec->type &&
                    string_table_lookup(section_keys[t].keys, section_keys[t].n_keys, key) >= 0)
                        return fail(ret_error, -EINVAL, at, key,
                                    "not a key of [%s] sections: it belongs in a [%s%s] section", type,
                                    config_section_type_table[t],
                                    t == CONFIG_SECTION_METRICS ? "" : " NAME");
        list = join_choices(keys, n);
        return fail(ret_error, -EINVAL, at, key, "unknown key in [%s%s%s]; the keys are %s", type,
                    *sec->name ? " " : "", sec->name, list ?: "");
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
                            "[Placement NAME], [CXLRegion NAME], [DaxDevice NAME] or [Metrics] header");

        sec = &p->sections[p->current];
        k = string_table_lookup(section_keys[sec->type].keys, section_keys[sec->type].n_keys, key);
        if (k < 0)
                return unknown_key(&at, sec, key, ret_error);

        v = &sec->values[k];
        if (v->file == p->file) {
                int r = parser_warn(
                        p, &at, key,
                        "set again in [%s%s%s] of the same file (line %u before); the last value wins",
                        config_section_type_table[sec->type], *sec->name ? " " : "", sec->name,
                        v->where.line);
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

        files = reallocarray(p->config->texts, p->config->n_files + 2, sizeof(char *));
        if (!files)
                return -ENOMEM;
        p->config->texts = files;
        files[p->config->n_files] = files[p->config->n_files + 1] = NULL;
        files = reallocarray(p->config->files, p->config->n_files + 2, sizeof(char *));
        if (!files)
                return -ENOMEM;
        p->config->files = files;
        files[p->config->n_files] = strdup(filename);
        if (!files[p->config->n_files])
                return -ENOMEM;
        files[p->config->n_files + 1] = NULL;
        /* The text is kept only when it can be given again as it was (a NUL byte is refused below). */
        if (size <= CONFIG_FILE_MAX && !memchr(text, '\0', size)) {
                p->config->texts[p->config->n_files] = strndup(text, size);
                if (!p->config->texts[p->config->n_files]) {
                        free(files[p->config->n_files]);
                        files[p->config->n_files] = NULL;
                        return -ENOMEM;
                }
        }
        p->config->n_files++;
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

int config_parse_texts(char *const *filenames, char *const *texts, const size_t *sizes, size_t n,
                       Config **ret, char ***ret_warnings, char **ret_error) {
        _cleanup_(parser_done) Parser p = {};
        int r;

        if (!ret || (n > 0 && (!filenames || !texts || !sizes)))
                return -EINVAL;
        r = parser_init(&p);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                if (!filenames[i] || !texts[i])
                        return -EINVAL;
                r = parse_file(&p, texts[i], sizes[i], filenames[i], ret_error);
                if (r < 0)
                        return r;
        }
        return parser_finish(&p, ret, ret_warnings, ret_error);
}

/* ---- files ------------------------------------------------------------------------------- */

/* Reads one configuration file. Returns 0 and the text, -ENOENT if it does not exist (or is a
 * dangling symlink), another error with a sentence. A symlink to /dev/null (or an empty file)
 * masks: it reads as empty. */
int config_file_read(const char *path, char **ret, size_t *ret_size, char **ret_error) {
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

/* The paths under @prefix, which has no trailing slash. */
static int config_paths(const char *prefix, char **etc_main, char **usr_main, char **etc_dir,
                        char **usr_dir) {
        if (asprintf(etc_main, "%s" DIR_ETC CONFIG_MAIN, prefix) < 0 ||
            asprintf(usr_main, "%s" DIR_USR CONFIG_MAIN, prefix) < 0 ||
            asprintf(etc_dir, "%s" DIR_ETC CONFIG_DROPIN, prefix) < 0 ||
            asprintf(usr_dir, "%s" DIR_USR CONFIG_DROPIN, prefix) < 0)
                return -ENOMEM;
        return 0;
}

int config_files_list(const char *root, char ***ret_paths, bool *ret_has_main, char **ret_error) {
        _cleanup_free_ char *prefix = NULL, *etc_main = NULL, *usr_main = NULL, *etc_dir = NULL,
                            *usr_dir = NULL;
        _cleanup_strv_free_ char **paths = NULL;
        DropIn *dropins = NULL;
        size_t n_dropins = 0, len;
        bool has_main = false;
        int r;

        if (!ret_paths)
                return -EINVAL;
        prefix = strdup(root ?: "");
        if (!prefix)
                return -ENOMEM;
        len = strlen(prefix);
        while (len > 0 && prefix[len - 1] == '/')
                prefix[--len] = '\0';
        r = config_paths(prefix, &etc_main, &usr_main, &etc_dir, &usr_dir);
        if (r < 0)
                return r;

        if (*prefix) { /* a mistyped root must not pass for "no configuration" */
                struct stat st;

                if (stat(prefix, &st) < 0)
                        return error_set(ret_error, negative_errno(), "%s: cannot use it as the root: %m",
                                         prefix);
                if (!S_ISDIR(st.st_mode))
                        return error_set(ret_error, -ENOTDIR, "%s: not a directory, so not a root", prefix);
        }

        /* The main file: /etc's, else the vendor's. A dangling symlink is no file. */
        for (unsigned i = 0; i < 2 && !has_main; i++) {
                const char *path = i == 0 ? etc_main : usr_main;
                struct stat st;

                if (stat(path, &st) < 0) {
                        if (errno == ENOENT)
                                continue;
                        return error_set(ret_error, negative_errno(), "%s: cannot read it: %m", path);
                }
                r = strv_extend(&paths, path);
                if (r < 0)
                        return r;
                has_main = true;
        }

        /* The drop-ins of both directories, by file name; /etc's mask the vendor's. */
        r = dropins_add(etc_dir, &dropins, &n_dropins, ret_error);
        if (r >= 0)
                r = dropins_add(usr_dir, &dropins, &n_dropins, ret_error);
        if (r >= 0 && n_dropins > 0)
                qsort(dropins, n_dropins, sizeof(DropIn), dropin_cmp);
        for (size_t i = 0; r >= 0 && i < n_dropins; i++) {
                r = strv_consume(&paths, dropins[i].path);
                dropins[i].path = NULL;
        }
        dropins_free(dropins, n_dropins);
        if (r < 0)
                return r;

        *ret_paths = TAKE_PTR(paths);
        if (ret_has_main)
                *ret_has_main = has_main;
        return 0;
}

int config_load(const char *root, Config **ret, char ***ret_warnings, char **ret_error) {
        _cleanup_(parser_done) Parser p = {};
        _cleanup_strv_free_ char **paths = NULL;
        int r;

        if (!ret)
                return -EINVAL;
        r = config_files_list(root, &paths, NULL, ret_error);
        if (r < 0)
                return r;
        r = parser_init(&p);
        if (r < 0)
                return r;
        for (size_t i = 0; paths && paths[i]; i++) {
                _cleanup_free_ char *text = NULL;
                size_t size;

                r = config_file_read(paths[i], &text, &size, ret_error);
                if (r == -ENOENT) /* a dangling symlink, or removed since: nothing to apply */
                        continue;
                if (r < 0)
                        return r;
                r = parse_file(&p, text, size, paths[i], ret_error);
                if (r < 0)
                        return r;
        }
        return parser_finish(&p, ret, ret_warnings, ret_error);
}
