/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Aligned text tables for people: a header row, then rows of cells; every column is as wide as its
 * widest cell, the last one is not padded. */

#include <stdbool.h>
#include <stdio.h>

typedef struct Table Table;

Table *table_new(size_t n_columns, const char *const *headers);
Table *table_free(Table *t);
/* Appends one row of n_columns cells (NULL prints as "-"); the cells are copied. */
int table_add_row(Table *t, const char *const *cells);
size_t table_rows(const Table *t);
/* @color: the header in bold. */
void table_print(const Table *t, FILE *f, bool color);
/* The rows only, as wide as they need (--no-legend). */
void table_print_rows(const Table *t, FILE *f);

static inline void table_freep(Table **t) {
        table_free(*t);
}
#define _cleanup_table_ __attribute__((cleanup(table_freep)))
