/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Mount options: mount_options_parse() (a caller's or the configuration's MountOptions=), then
 * mount_options_join(), and mount_options_dax_mode() (mountinfo's option strings). */

#include "fuzz.h"
#include "mount-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_text(data, size), *error = NULL;
        MountOptions o = {};

        if (!s)
                return 0;
        if (mount_options_parse(s, &o, &error) >= 0) {
                char *joined = NULL;

                if (mount_options_join(&o, "dax=always", &joined) >= 0)
                        free(joined);
        }
        mount_options_done(&o);
        free(error);
        (void) mount_options_dax_mode(s);
        free(s);
        return 0;
}
