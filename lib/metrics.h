/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Metrics in the Prometheus text exposition format (version 0.0.4), the format node_exporter's
 * textfile collector and `promtool check metrics` read.
 *
 * Two layers, both pure (no I/O):
 *  - a writer: families declared with a type and a help text, samples added to them in any
 *    order; the text has each family once, its "# HELP" and "# TYPE" lines first, then all of
 *    its samples, label values escaped (\\, \" and \n) as the format asks;
 *  - daxmgr's metrics, rendered from a "facts" document (JSON) that daxmgrd fills from the state
 *    its bus objects expose plus what it measures off the event loop (the DAX proof of each
 *    mount, the pages of the placed services): metrics_render_facts(). docs/CLI.md (`daxmgr
 *    metrics`) lists the names. */

#include <stdint.h>

#include "macro.h"

struct json_object;

typedef enum MetricType {
        METRIC_GAUGE,
        METRIC_COUNTER,
        _METRIC_TYPE_MAX,
        _METRIC_TYPE_INVALID = -EINVAL,
} MetricType;

typedef struct Metrics Metrics;

Metrics *metrics_new(void);
Metrics *metrics_free(Metrics *m);
static inline void metrics_freep(Metrics **m) {
        metrics_free(*m);
}
#define _cleanup_metrics_ _cleanup_(metrics_freep)

/* Declares the family @name (a counter's name ends in "_total"). Declaring it again with the same
 * type is a no-op; -EEXIST with another type, -EINVAL for a name the format does not allow. */
int metrics_family(Metrics *m, const char *name, MetricType type, const char *help);

/* Adds a sample of the declared family @name: @labels is NULL or a NULL-terminated list of
 * names and values, "region", "region0", …, NULL. A NULL value leaves that label out.
 * -ENOENT for a family not declared, -EINVAL for a bad label name. */
int metrics_add_u64(Metrics *m, const char *name, const char *const *labels, uint64_t value);
int metrics_add_double(Metrics *m, const char *name, const char *const *labels, double value);
/* Seconds from microseconds, exactly: "1.234567", with no binary rounding noise. */
int metrics_add_usec_as_seconds(Metrics *m, const char *name, const char *const *labels, uint64_t usec);

/* The text: every family that has samples, in the order they were declared. */
int metrics_render(const Metrics *m, char **ret);

/* A label value as the format writes it between its quotes: \ → \\, " → \", newline → \n. */
char *metrics_escape_label_value(const char *s);

/* daxmgr's metrics from the facts daxmgrd gathered (metrics_render_facts() in lib/metrics.c
 * documents the document's fields). -ENOMEM, or 0 and *ret. */
int metrics_render_facts(struct json_object *facts, char **ret);
