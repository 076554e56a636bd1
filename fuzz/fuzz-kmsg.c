/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Kernel messages: a file-system context message (fs_context_message_parse()) and a /dev/kmsg
 * record (kmsg_record_text()), both taking a length (no terminating NUL), then
 * kmsg_line_names_device() on the text found. */

#include "dax-mount.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char level, *text = NULL;

        if (fs_context_message_parse((const char *) data, size, &level, &text) >= 0 && text)
                (void) kmsg_line_names_device(text, "pmem0");
        free(text);
        text = NULL;
        if (kmsg_record_text((const char *) data, size, &text) >= 0 && text)
                (void) kmsg_line_names_device(text, "pmem1");
        free(text);
        return 0;
}
