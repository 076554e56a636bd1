/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>
#include <string.h>

#include "error.h"
#include "tool.h"

static const struct {
        const char *name;
        int (*run)(int argc, char *argv[]);
        const char *help;
} verbs[] = {
        { "topology", verb_topology, "print the pmem topology snapshot as JSON" },
        { "size-plan", verb_size_plan,
          "--region R --size S [--mode M] [--map M] [--align A]: what it would get" },
        { "create-namespace", verb_create_namespace,
          "--region R --size S --mode M [--map M] [--align A] [--name N]" },
        { "destroy-namespace", verb_destroy_namespace, "NAME|UUID|DEV [--force]" },
        { "verify", verb_verify, "PID [--json]: where the pages of each file mapping of PID live" },
        { "advise", verb_advise, "ELF: how much of it XIP can serve from pmem, and what defeats it" },
        { "layout", verb_layout,
          "COPY: its PMD-eligible 2 MiB windows of text, and how many are aligned on the device" },
        { "zone-create", verb_zone_create,
          "DIR: make DIR an XIP zone (refused unless DAX is in effect there)" },
        { "place", verb_place,
          "ZONE PROGRAM [--with-libs]: copy PROGRAM (and its loader and libraries) into ZONE" },
        { "unplace", verb_unplace, "ZONE PROGRAM [--force]: remove the copies (refused while running)" },
        { "placements", verb_placements,
          "[--refresh]: the placements and whether their sources changed (JSON)" },
        { "activate", verb_activate,
          "ZONE PROGRAM [--unit UNIT | --bind-host]: a drop-in for UNIT, a host-wide bind mount, or an "
          "entry point" },
        { "deactivate", verb_deactivate, "ZONE PROGRAM --unit UNIT | --bind-host: undo an activation" },
        { "provision", verb_provision,
          "--region R --size S --name N MOUNTPOINT: create, format (ext4), DAX-mount" },
        { "lock-hold", verb_lock_hold, "SECONDS: hold the host-wide namespace lock (tests)" },
        { "reconfigure-namespace", verb_reconfigure_namespace,
          "NAME|UUID|DEV --mode M [--map M] [--align A] [--force]" },
        { "format", verb_format, "DEV --fs xfs|ext4 [--force] [--label L] [--uuid U]: pmem-tuned mkfs" },
        { "mount", verb_mount, "DEV DIR [--dax always|inode] [--fs T] [--options O]: mount and prove DAX" },
        { "unmount", verb_unmount, "DIR: unmount (never lazily; says who keeps it busy)" },
        { "check-path", verb_check_path, "PATH: is DAX in effect there, and if not why (JSON)" },
        { "devdax-set", verb_devdax_set, "DEV [--owner U] [--group G] [--mode 0660]: device node access" },
        { "devdax-mode", verb_devdax_mode, "DEV devdax|system-ram [--movable|--no-movable]" },
        { "config-check", verb_config_check, "[--root DIR] [--json]: load and validate the configuration" },
};

int tool_fail(const char *verb, const char *message, int r) {
        fprintf(stderr, "daxmgr-tool %s: %s\n", verb, error_message(message, r));
        return 1;
}

static void help(void) {
        printf("Usage: daxmgr-tool VERB [ARGS...]\n\nDrive daxmgr's library directly (tests, "
               "benchmarks).\n\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %-18s %s\n", verbs[i].name, verbs[i].help);
}

int main(int argc, char *argv[]) {
        if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                help();
                return argc < 2 ? 2 : 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(argv[1], verbs[i].name) == 0)
                        return verbs[i].run(argc - 1, argv + 1);

        fprintf(stderr, "daxmgr-tool: unknown verb '%s'; see --help\n", argv[1]);
        return 2;
}
