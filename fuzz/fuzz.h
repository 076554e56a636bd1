/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What every fuzz target shares. A target defines LLVMFuzzerTestOneInput(): libFuzzer calls it
 * in the clang build (-Dfuzzing=true), replay-main.c in the ordinary one. It must accept any
 * bytes, never abort, and free everything it allocates. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of the input (the parsers of text take C strings); NULL without
 * memory, which a target treats as "nothing to do". */
static inline char *fuzz_text(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);

        if (!s)
                return NULL;
        if (size > 0)
                memcpy(s, data, size);
        s[size] = '\0';
        return s;
}
