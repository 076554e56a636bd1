/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Size expressions: size_parse_bytes() ("1.5G") and size_spec_parse() ("12.5%", "rest"). */

#include "fuzz.h"
#include "size.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_text(data, size), *error = NULL;
        uint64_t bytes;
        SizeSpec spec;

        if (!s)
                return 0;
        if (size_parse_bytes(s, &bytes, &error) >= 0)
                (void) SIZE_FMT(bytes);
        free(error);
        error = NULL;
        if (size_spec_parse(s, &spec, &error) >= 0 && spec.kind == SIZE_BYTES)
                (void) SIZE_FMT(spec.bytes);
        free(error);
        free(s);
        return 0;
}
