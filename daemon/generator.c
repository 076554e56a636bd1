/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* daxmgr-generator: a systemd generator (systemd.generator(7)) that turns the placement state
 * into the drop-ins of placed services, the way systemd-fstab-generator turns /etc/fstab into
 * mount units. systemd runs it very early at boot and again on every daemon-reload, before
 * loading units: no D-Bus, nothing but its output directory written, quick, and never a failure
 * that could stop the boot. It reads <state_dir>/placements.json (DAXMGR_STATE_DIR, else
 * /var/lib/daxmgr) and writes NORMAL_DIR/UNIT.d/50-daxmgr-xip.conf for every service a
 * placement activates (place_generate()). A state it cannot read (a /var not mounted yet, a
 * damaged file) gives no drop-in and a message: the services then run their originals.
 *
 * Usage: daxmgr-generator NORMAL_DIR [EARLY_DIR LATE_DIR] (only the first is used). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "macro.h"
#include "place.h"

int main(int argc, char *argv[]) {
        _cleanup_place_state_ PlaceState *s = NULL;
        _cleanup_free_ char *error = NULL;
        const char *state_dir = getenv("DAXMGR_STATE_DIR") ?: "/var/lib/daxmgr";
        int r;

        if (argc != 2 && argc != 4) {
                fprintf(stderr, "Usage: %s NORMAL_DIR [EARLY_DIR LATE_DIR]\n", argv[0]);
                return EXIT_FAILURE;
        }
        r = place_state_load(state_dir, &s, &error);
        if (r < 0) {
                fprintf(stderr, "daxmgr-generator: %s; placed services run their originals.\n",
                        error_message(error, r));
                return EXIT_SUCCESS;
        }
        r = place_generate(s, argv[1], NULL, &error);
        if (r < 0)
                fprintf(stderr, "daxmgr-generator: %s\n", error_message(error, r));
        /* A drop-in that could not be written leaves its service on its originals: not a reason
         * to fail the boot. */
        return EXIT_SUCCESS;
}
