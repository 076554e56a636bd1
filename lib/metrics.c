/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The Prometheus text format and daxmgr's metrics (metrics.h). */

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "metrics.h"

typedef struct MetricFamily {
        char *name;
        MetricType type;
        char *help;
        char **samples; /* "NAME{LABELS} VALUE" each */
        size_t n_samples;
} MetricFamily;

struct Metrics {
        MetricFamily *families;
        size_t n_families;
};

static const char *const metric_type_table[_METRIC_TYPE_MAX] = {
        [METRIC_GAUGE] = "gauge",
        [METRIC_COUNTER] = "counter",
};

Metrics *metrics_new(void) {
        return calloc(1, sizeof(Metrics));
}

Metrics *metrics_free(Metrics *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n_families; i++) {
                MetricFamily *f = &m->families[i];

                for (size_t k = 0; k < f->n_samples; k++)
                        free(f->samples[k]);
                free(f->samples);
                free(f->name);
                free(f->help);
        }
        free(m->families);
        free(m);
        return NULL;
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* for a metric, [a-zA-Z_][a-zA-Z0-9_]* for a label, whose names
 * starting with "__" are reserved. */
static bool name_is_valid(const char *s, bool label) {
        if (!s || !*s || (label && strncmp(s, "__", 2) == 0))
                return false;
        for (const char *p = s; *p; p++) {
                bool alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
                             (!label && *p == ':');

                if (!alpha && !(p > s && *p >= '0' && *p <= '9'))
                        return false;
        }
        return true;
}

static MetricFamily *family_find(const Metrics *m, const char *name) {
        for (size_t i = 0; i < m->n_families; i++)
                if (strcmp(m->families[i].name, name) == 0)
                        return &m->families[i];
        return NULL;
}

int metrics_family(Metrics *m, const char *name, MetricType type, const char *help) {
        MetricFamily *f, *nf;

        if (!m || !name_is_valid(name, false) || type < 0 || type >= _METRIC_TYPE_MAX || !help)
                return -EINVAL;
        f = family_find(m, name);
        if (f)
                return f->type == type ? 0 : -EEXIST;
        nf = reallocarray(m->families, m->n_families + 1, sizeof(MetricFamily));
        if (!nf)
                return -ENOMEM;
        m->families = nf;
        f = &nf[m->n_families];
        *f = (MetricFamily){ .name = strdup(name), .type = type, .help = strdup(help) };
        if (!f->name || !f->help) {
                free(f->name);
                free(f->help);
                return -ENOMEM;
        }
        m->n_families++;
        return 0;
}

/* Appends @s to @f, escaped: \ and newline always, " only in a label value. */
static void put_escaped(FILE *f, const char *s, bool quote) {
        for (; *s; s++) {
                if (*s == '\\')
                        fputs("\\\\", f);
                else if (*s == '\n')
                        fputs("\\n", f);
                else if (*s == '"' && quote)
                        fputs("\\\"", f);
                else
                        fputc(*s, f);
        }
}

char *metrics_escape_label_value(const char *s) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);

        if (!f)
                return NULL;
        put_escaped(f, s ?: "", true);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

static int add_sample(Metrics *m, const char *name, const char *const *labels, const char *value) {
        MetricFamily *f = m ? family_find(m, name) : NULL;
        char *buf = NULL, **ns;
        size_t n = 0;
        bool first = true;
        FILE *out;

        if (!f)
                return -ENOENT;
        for (const char *const *l = labels; l && *l; l += 2)
                if (!name_is_valid(l[0], true))
                        return -EINVAL;
        out = open_memstream(&buf, &n);
        if (!out)
                return -ENOMEM;
        fputs(name, out);
        for (const char *const *l = labels; l && *l; l += 2) {
                if (!l[1])
                        continue;
                fprintf(out, "%s%s=\"", first ? "{" : ",", l[0]);
                put_escaped(out, l[1], true);
                fputc('"', out);
                first = false;
        }
        fprintf(out, "%s %s", first ? "" : "}", value);
        if (fclose(out) != 0) {
                free(buf);
                return -ENOMEM;
        }
        ns = reallocarray(f->samples, f->n_samples + 1, sizeof(char *));
        if (!ns) {
                free(buf);
                return -ENOMEM;
        }
        f->samples = ns;
        f->samples[f->n_samples++] = buf;
        return 0;
}

int metrics_add_u64(Metrics *m, const char *name, const char *const *labels, uint64_t value) {
        char v[24];

        (void) snprintf(v, sizeof(v), "%" PRIu64, value);
        return add_sample(m, name, labels, v);
}

int metrics_add_double(Metrics *m, const char *name, const char *const *labels, double value) {
        char v[40];

        if (isnan(value))
                (void) snprintf(v, sizeof(v), "NaN");
        else if (isinf(value))
                (void) snprintf(v, sizeof(v), "%sInf", value > 0 ? "+" : "-");
        else
                (void) snprintf(v, sizeof(v), "%.17g", value);
        return add_sample(m, name, labels, v);
}

int metrics_add_usec_as_seconds(Metrics *m, const char *name, const char *const *labels, uint64_t usec) {
        char v[32];

        (void) snprintf(v, sizeof(v), "%" PRIu64 ".%06" PRIu64, usec / 1000000, usec % 1000000);
        return add_sample(m, name, labels, v);
}

int metrics_render(const Metrics *m, char **ret) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f;

        if (!m || !ret)
                return -EINVAL;
        f = open_memstream(&buf, &n);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_families; i++) {
                const MetricFamily *fam = &m->families[i];

                if (fam->n_samples == 0)
                        continue;
                fprintf(f, "# HELP %s ", fam->name);
                put_escaped(f, fam->help, false);
                fprintf(f, "\n# TYPE %s %s\n", fam->name, metric_type_table[fam->type]);
                for (size_t k = 0; k < fam->n_samples; k++)
                        fprintf(f, "%s\n", fam->samples[k]);
        }
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}

/* ---------------------------------------------------------------- daxmgr's metrics */

static const char *jget_str(struct json_object *o, const char *key) {
        struct json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

/* Whether @key is there (a number or a boolean), and its value. */
static bool jget_u64(struct json_object *o, const char *key, uint64_t *ret) {
        struct json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !v)
                return false;
        if (json_object_is_type(v, json_type_boolean))
                *ret = json_object_get_boolean(v);
        else if (json_object_is_type(v, json_type_int))
                *ret = json_object_get_uint64(v);
        else if (json_object_is_type(v, json_type_double))
                *ret = (uint64_t) json_object_get_double(v);
        else
                return false;
        return true;
}

static struct json_object *jget_array(struct json_object *o, const char *key) {
        struct json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
                return NULL;
        return v;
}

/* One family, declared and then fed from every element of facts[@array] that has @field. */
typedef struct FactMetric {
        const char *name;
        MetricType type;
        const char *help;
        const char *array;     /* the facts' array it comes from */
        const char *field;     /* the number (or boolean) of each element */
        bool usec;             /* the integer is µs, the metric seconds */
        const char *labels[6]; /* the element's fields that are labels, of the same name */
        const char *fixed[2];  /* one more label, with a fixed value: {"memory", "pmem"} */
} FactMetric;

/* The facts document:
 *   "version": "0.1",
 *   "regions":    [{"region", "size", "available"}],
 *   "namespaces": [{"region", "mode", "count"}]  (how many of each mode in each region),
 *   "mounts":     [{"namespace", "mountpoint", "dax" (bool; absent: unknown), "expected" (bool)}],
 *   "zones":      [{"zone", "mounted", "placements", "placed_bytes", "size", "available"}],
 *   "placements": [{"zone", "program", "service", "size", "stale"}],
 *   "services":   [{"service", "zone", "program", "processes", "pmem_bytes", "dram_bytes"}],
 *   "reconcile":  [{"success", "duration_usec", "last_usec", "last_success_usec", "pending_steps"}],
 *   "problems":   [{"kind", "count"}],
 *   "jobs":       [{"result", "count"}]
 * Numbers are integers (bytes, µs, counts). What is missing is left out of the text. */
static const FactMetric fact_metrics[] = {
        { "daxmgr_region_size_bytes",
          METRIC_GAUGE,
          "Capacity of the pmem region.",
          "regions",
          "size",
          0,
          { "region" } },
        { "daxmgr_region_available_bytes",
          METRIC_GAUGE,
          "Space of the pmem region that no namespace uses (what a new namespace can get).",
          "regions",
          "available",
          0,
          { "region" } },
        { "daxmgr_namespaces",
          METRIC_GAUGE,
          "Namespaces of the region by mode (fsdax, devdax, raw, sector, or unknown).",
          "namespaces",
          "count",
          0,
          { "region", "mode" } },
        { "daxmgr_mount_dax",
          METRIC_GAUGE,
          "1 when a new file on the mount of a pmem namespace is DAX (statx STATX_ATTR_DAX), 0 when "
          "not.",
          "mounts",
          "dax",
          0,
          { "namespace", "mountpoint" } },
        { "daxmgr_mount_dax_expected",
          METRIC_GAUGE,
          "1 when the mount should be DAX: it is configured or holds a zone.",
          "mounts",
          "expected",
          0,
          { "namespace", "mountpoint" } },
        { "daxmgr_zone_mounted",
          METRIC_GAUGE,
          "1 when the zone's directory is on a DAX mount.",
          "zones",
          "mounted",
          0,
          { "zone" } },
        { "daxmgr_zone_size_bytes",
          METRIC_GAUGE,
          "Size of the file system that holds the zone.",
          "zones",
          "size",
          0,
          { "zone" } },
        { "daxmgr_zone_available_bytes",
          METRIC_GAUGE,
          "Free space of the file system that holds the zone (for unprivileged users).",
          "zones",
          "available",
          0,
          { "zone" } },
        { "daxmgr_zone_placed_bytes",
          METRIC_GAUGE,
          "Bytes of the copies placed in the zone (programs and their libraries).",
          "zones",
          "placed_bytes",
          0,
          { "zone" } },
        { "daxmgr_zone_placements",
          METRIC_GAUGE,
          "Programs placed in the zone.",
          "zones",
          "placements",
          0,
          { "zone" } },
        { "daxmgr_placement_size_bytes",
          METRIC_GAUGE,
          "Bytes of the placement's copies (the program and its libraries).",
          "placements",
          "size",
          0,
          { "zone", "program", "service" } },
        { "daxmgr_placement_stale",
          METRIC_GAUGE,
          "1 when the placed copy no longer matches its original (it changed, or a library it needs "
          "did).",
          "placements",
          "stale",
          0,
          { "zone", "program", "service" } },
        { "daxmgr_service_processes",
          METRIC_GAUGE,
          "Running processes of the placed service.",
          "services",
          "processes",
          0,
          { "service", "zone", "program" } },
        { "daxmgr_service_text_resident_bytes",
          METRIC_GAUGE,
          "Resident text (executable file pages) of the placed program in the service's processes, by "
          "where it is: pmem (executed in place) or dram (page cache or a copy).",
          "services",
          "pmem_bytes",
          0,
          { "service", "zone", "program" },
          { "memory", "pmem" } },
        { "daxmgr_service_text_resident_bytes",
          METRIC_GAUGE,
          NULL,
          "services",
          "dram_bytes",
          0,
          { "service", "zone", "program" },
          { "memory", "dram" } },
        { "daxmgr_reconcile_success",
          METRIC_GAUGE,
          "1 when the last reconcile succeeded, 0 when it failed (absent before the first).",
          "reconcile",
          "success",
          0,
          {} },
        { "daxmgr_reconcile_duration_seconds",
          METRIC_GAUGE,
          "How long the last reconcile ran.",
          "reconcile",
          "duration_usec",
          true,
          {} },
        { "daxmgr_reconcile_last_timestamp_seconds",
          METRIC_GAUGE,
          "When the last reconcile ended (Unix time).",
          "reconcile",
          "last_usec",
          true,
          {} },
        { "daxmgr_reconcile_last_success_timestamp_seconds",
          METRIC_GAUGE,
          "When the last successful reconcile ended (Unix time).",
          "reconcile",
          "last_success_usec",
          true,
          {} },
        { "daxmgr_reconcile_pending_steps",
          METRIC_GAUGE,
          "Steps the current plan would carry out (0: the system matches the configuration).",
          "reconcile",
          "pending_steps",
          0,
          {} },
        { "daxmgr_problems",
          METRIC_GAUGE,
          "What the current plan will not or cannot do, by kind (waiting, conflict, no-room, blocked, "
          "stale).",
          "problems",
          "count",
          0,
          { "kind" } },
        { "daxmgr_jobs_total",
          METRIC_COUNTER,
          "Jobs finished since daxmgrd started, by result.",
          "jobs",
          "count",
          0,
          { "result" } },
};

static int render_fact_metric(Metrics *m, struct json_object *facts, const FactMetric *fm) {
        struct json_object *a = jget_array(facts, fm->array);
        const char *help = fm->help;
        int r;

        /* A family continued in the next row (another fixed label) has the help of its first. */
        for (size_t i = 0; !help && i < ELEMENTSOF(fact_metrics); i++)
                if (strcmp(fact_metrics[i].name, fm->name) == 0)
                        help = fact_metrics[i].help;
        r = metrics_family(m, fm->name, fm->type, help ?: "");
        if (r < 0)
                return r;
        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                struct json_object *e = json_object_array_get_idx(a, i);
                const char *labels[2 * (ELEMENTSOF(fm->labels) + 1) + 1] = {};
                size_t n = 0;
                uint64_t v;

                if (!jget_u64(e, fm->field, &v))
                        continue;
                for (size_t k = 0; k < ELEMENTSOF(fm->labels) && fm->labels[k]; k++) {
                        labels[n++] = fm->labels[k];
                        labels[n++] = jget_str(e, fm->labels[k]);
                }
                if (fm->fixed[0]) {
                        labels[n++] = fm->fixed[0];
                        labels[n++] = fm->fixed[1];
                }
                /* A label whose field is missing (NULL) is left out by the writer. */
                r = fm->usec ? metrics_add_usec_as_seconds(m, fm->name, labels, v)
                             : metrics_add_u64(m, fm->name, labels, v);
                if (r < 0)
                        return r;
        }
        return 0;
}

int metrics_render_facts(struct json_object *facts, char **ret) {
        _cleanup_metrics_ Metrics *m = metrics_new();
        int r;

        if (!m)
                return -ENOMEM;
        r = metrics_family(m, "daxmgr_info", METRIC_GAUGE, "daxmgrd's version (always 1).");
        if (r >= 0)
                r = metrics_add_u64(
                        m, "daxmgr_info",
                        (const char *const[]){ "version", jget_str(facts, "version") ?: "", NULL }, 1);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(fact_metrics); i++)
                r = render_fact_metric(m, facts, &fact_metrics[i]);
        if (r < 0)
                return r;
        return metrics_render(m, ret);
}
