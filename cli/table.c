/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "table.h"

struct Table {
        size_t n_columns;
        size_t n_cells; /* including the header */
        char **cells;
};

Table *table_new(size_t n_columns, const char *const *headers) {
        Table *t = calloc(1, sizeof(Table));

        if (!t)
                return NULL;
        t->n_columns = n_columns;
        if (table_add_row(t, headers) < 0)
                return table_free(t);
        return t;
}

Table *table_free(Table *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_cells; i++)
                free(t->cells[i]);
        free(t->cells);
        free(t);
        return NULL;
}

int table_add_row(Table *t, const char *const *cells) {
        char **n = realloc(t->cells, (t->n_cells + t->n_columns) * sizeof(char *));

        if (!n)
                return -ENOMEM;
        t->cells = n;
        for (size_t c = 0; c < t->n_columns; c++) {
                char *s = strdup(cells[c] ?: "-");

                if (!s) {
                        for (size_t i = 0; i < c; i++)
                                free(t->cells[t->n_cells + i]);
                        return -ENOMEM;
                }
                t->cells[t->n_cells + c] = s;
        }
        t->n_cells += t->n_columns;
        return 0;
}

size_t table_rows(const Table *t) {
        return t->n_cells / t->n_columns - 1;
}

/* Display width: UTF-8 continuation bytes take no column. */
static size_t width(const char *s) {
        size_t w = 0;

        for (; *s; s++)
                if (((unsigned char) *s & 0xc0) != 0x80)
                        w++;
        return w;
}

static void print(const Table *t, FILE *f, bool color, bool legend) {
        _cleanup_free_ size_t *widths = calloc(t->n_columns ?: 1, sizeof(size_t));
        size_t first = legend ? 0 : t->n_columns;

        if (!widths)
                return;
        for (size_t i = first; i < t->n_cells; i++) {
                size_t w = width(t->cells[i]);

                if (w > widths[i % t->n_columns])
                        widths[i % t->n_columns] = w;
        }
        for (size_t i = first; i < t->n_cells; i++) {
                size_t c = i % t->n_columns;
                bool header = i < t->n_columns, last = c + 1 == t->n_columns;

                if (header && color && c == 0)
                        fputs("\033[1m", f);
                fputs(t->cells[i], f);
                if (!last)
                        fprintf(f, "%*s", (int) (widths[c] - width(t->cells[i]) + 2), "");
                else {
                        if (header && color)
                                fputs("\033[0m", f);
                        fputc('\n', f);
                }
        }
}

void table_print(const Table *t, FILE *f, bool color) {
        print(t, f, color, true);
}

void table_print_rows(const Table *t, FILE *f) {
        print(t, f, false, false);
}
