/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the configuration's files share (config-parse.c: the files and the parser into raw
 * sections; config.c: the string tables, validation, the model; config-validate-namespace.c,
 * config-validate-cxl.c, config-validate-dax.c: the sections of those types; config-json.c).
 * Not for use outside them. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "macro.h"

/* The string tables (config.c). */
extern const char *const config_section_type_table[_CONFIG_SECTION_TYPE_MAX];
extern const char *const config_namespace_key_table[_CONFIG_NAMESPACE_KEY_MAX];
extern const char *const config_zone_key_table[_CONFIG_ZONE_KEY_MAX];
extern const char *const config_placement_key_table[_CONFIG_PLACEMENT_KEY_MAX];
extern const char *const config_cxl_region_key_table[_CONFIG_CXL_REGION_KEY_MAX];
extern const char *const config_dax_device_key_table[_CONFIG_DAX_DEVICE_KEY_MAX];
extern const char *const config_metrics_key_table[_CONFIG_METRICS_KEY_MAX];
extern const char *const config_system_ram_table[_CONFIG_SYSTEM_RAM_MAX];

#define RAW_KEYS_MAX _CONFIG_NAMESPACE_KEY_MAX
_Static_assert((int) _CONFIG_ZONE_KEY_MAX <= (int) RAW_KEYS_MAX &&
                       (int) _CONFIG_PLACEMENT_KEY_MAX <= (int) RAW_KEYS_MAX &&
                       (int) _CONFIG_CXL_REGION_KEY_MAX <= (int) RAW_KEYS_MAX &&
                       (int) _CONFIG_DAX_DEVICE_KEY_MAX <= (int) RAW_KEYS_MAX &&
                       (int) _CONFIG_METRICS_KEY_MAX <= (int) RAW_KEYS_MAX,
               "RAW_KEYS_MAX must hold every section type's keys");

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

/* "FILE:LINE: KEY: sentence" (KEY NULL: "FILE:LINE: sentence"; LINE 0: "FILE: sentence"). */
int fail(char **ret_error, int r, const ConfigSource *at, const char *key, const char *fmt, ...)
        _printf_(5, 6);
/* A warning in the same form, kept in @p (at most CONFIG_WARNINGS_MAX, then counted). */
int parser_warn(Parser *p, const ConfigSource *at, const char *key, const char *fmt, ...) _printf_(4, 5);
/* Where a key's message points: its assignment, else its reset, else the section header. */
const ConfigSource *raw_where(const RawSection *s, unsigned key);
const char *raw_key_name(const RawSection *s, unsigned key);
/* "; did you mean X?" in @buf, or "" when nothing is close. */
const char *did_you_mean(const char *word, const char *const *candidates, size_t n, char *buf, size_t size);
/* "a, b or c" */
char *join_choices(const char *const *table, size_t n);

/* Value checks shared by the section types (config.c). */
int path_normalize(const char *s, bool absolute, char **ret, const char **ret_why);
bool user_name_is_valid(const char *s);
int choice_error(char **ret_error, const RawSection *s, unsigned key, const char *const *table, size_t n,
                 const char *what);
int bool_value(const RawSection *s, unsigned key, bool dflt, bool *ret, char **ret_error);
int required(const RawSection *s, unsigned key, const char *hint, char **ret_error);

/* Raw sections → typed ones, one section type at a time. */
int validate_namespace(Parser *p, const RawSection *s, ConfigNamespace *ns, char **ret_error);
int validate_cxl_region(const RawSection *s, ConfigCxlRegion *cr, char **ret_error);
int validate_dax_device(Parser *p, const RawSection *s, ConfigDaxDevice *d, char **ret_error);
int validate_dax_devices(const Config *c, char **ret_error);
/* Validates the raw sections of @p and hands over the configuration and the warnings. */
int parser_finish(Parser *p, Config **ret, char ***ret_warnings, char **ret_error);
