/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* daxmgrd: watches pmem with udev, makes it what the configuration says, and serves
 * org.daxmgr1 on the system bus. Runs in the foreground under systemd (Type=notify). */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "bus-error.h"
#include "config.h"
#include "error.h"
#include "strv.h"
#include "log.h"
#include "manager.h"
#include "polkit.h"

static void help(void) {
        printf("daxmgrd [OPTIONS]\n\n"
               "The daxmgr daemon: provisions persistent memory as its configuration says and serves\n"
               "org.daxmgr1 on the system bus. Started by systemd (daxmgrd.service).\n\n"
               "  -h --help            Show this help\n"
               "     --version         Show the version\n"
               "     --check-config    Validate the configuration and exit (0: valid, 1: errors)\n"
               "     --root DIR        Read the configuration below DIR (with --check-config)\n"
               "     --debug           Log debug messages\n");
}

static int check_config(const char *root) {
        _cleanup_config_ Config *c = NULL;
        _cleanup_free_ char *error = NULL;
        char **warnings = NULL;
        int r;

        r = config_load(root ?: "", &c, &warnings, &error);
        if (r < 0) {
                fprintf(stderr, "%s\n", error_message(error, r));
                return EXIT_FAILURE;
        }
        for (size_t i = 0; warnings && warnings[i]; i++)
                fprintf(stderr, "warning: %s\n", warnings[i]);
        strv_free(warnings);
        if (c->n_files == 0)
                printf("No configuration file: daxmgrd will only observe.\n");
        else {
                _cleanup_free_ char *summary = NULL;

                if (config_summary(c, &summary) < 0) {
                        fprintf(stderr, "Out of memory.\n");
                        return EXIT_FAILURE;
                }
                printf("Valid: %s.\n", summary);
        }
        return EXIT_SUCCESS;
}

int main(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_CHECK_CONFIG, ARG_ROOT, ARG_DEBUG };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "check-config", no_argument, NULL, ARG_CHECK_CONFIG },
                { "root", required_argument, NULL, ARG_ROOT },
                { "debug", no_argument, NULL, ARG_DEBUG },
                {},
        };
        __attribute__((cleanup(manager_freep))) Manager *m = NULL;
        const char *root = NULL;
        bool check = false;
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_SUCCESS;
                case ARG_VERSION:
                        printf("daxmgrd %s\n", PACKAGE_VERSION);
                        return EXIT_SUCCESS;
                case ARG_CHECK_CONFIG:
                        check = true;
                        break;
                case ARG_ROOT:
                        root = optarg;
                        break;
                case ARG_DEBUG:
                        log_max_priority = LOG_DEBUG;
                        break;
                default:
                        fprintf(stderr, "Try 'daxmgrd --help'.\n");
                        return 2;
                }
        if (optind < argc) {
                fprintf(stderr, "daxmgrd takes no arguments (\"%s\"); try 'daxmgrd --help'.\n",
                        argv[optind]);
                return 2;
        }
        if (check)
                return check_config(root);
        if (root) {
                fprintf(stderr, "--root only goes with --check-config.\n");
                return 2;
        }
        if (getenv("DAXMGR_DEBUG"))
                log_max_priority = LOG_DEBUG;
        log_open();

        r = bus_error_map_register();
        if (r >= 0)
                r = manager_new(&m);
        if (r < 0) {
                log_error("Cannot start: %s", strerror(-r));
                return EXIT_FAILURE;
        }
        r = manager_start(m);
        if (r < 0) {
                (void) sd_notifyf(false, "STATUS=Failed to start: %s\nERRNO=%d", strerror(-r), -r);
                return EXIT_FAILURE;
        }
        r = sd_event_loop(m->event);
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Shutting down.");
        polkit_queries_free(m);
        if (r < 0) {
                log_error("The event loop failed: %s", strerror(-r));
                return EXIT_FAILURE;
        }
        log_info("Stopped.");
        return r;
}
