/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* daxmgr: the command line of daxmgrd, over the system bus (org.daxmgr1). Reading verbs print
 * tables for people or, with --json, the daemon's objects with the D-Bus property names;
 * mutating verbs start a job and follow it to its end. This file parses the command line and
 * dispatches to the verbs (verbs-read.c, verbs-job.c, monitor.c; cli.h lists what they share). */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "cli.h"
#include "macro.h"
#include "model.h"
#include "parse-util.h"
#include "size.h"

Arguments arg = { .ask_password = true };
bool use_color;
bool changes_found;

static const char *const option_names[] = {
        "--json",      "--force",
        "--no-block",  "--region",
        "--mode",      "--size",
        "--align",     "--map",
        "--name",      "--fs",
        "--label",     "--dax",
        "-o",          "--with-libraries",
        "--service",   "--no-entry-point",
        "--bind-host", "--zone",
        "--root",      "--refresh-policy",
        "--all",       "--detailed-exitcode",
        "--wait",      "--min",
        "--quiet",     "--no-legend",
        "--as",
};

/* ---------------------------------------------------------------- main */

/* The options every verb takes, in each verb's --help after its own (the first, the verbs that
 * talk to the daemon). */
static const char options_bus[] = "--no-ask-password\tdo not let polkit ask for a password\n";
static const char options_common[] = "--no-pager\taccepted and ignored: daxmgr never pages\n"
                                     "-h --help\tthis help\n";
static const char opt_json[] = "--json[=pretty|short]\tJSON; short: one line per object\n";
static const char opt_quiet[] = "-q --quiet\tprint nothing but errors\n";
static const char opt_job[] = "--no-block\tprint the job's object path and return without waiting\n"
                              "-q --quiet\tno progress and no result line: errors only\n";

static const struct Verb {
        const char *name;
        size_t min_args, max_args;
        unsigned options;
        int (*run)(sd_bus *bus, char **args, size_t n);
        const char *synopsis;
        bool local;          /* needs no daemon */
        const char *summary; /* one line, for VERB --help */
        const char *help[3]; /* its options, "OPTION\tWHAT\n" each, in pieces */
} verbs[] = {
        { "status", 0, 0, OPT_JSON, verb_status, "status [--json]",
          .summary = "The daemon's state and problems, the platform, then every object.",
          .help = { opt_json } },
        { "list", 1, 1, OPT_JSON | OPT_REGION | OPT_MODE | OPT_ZONE | OPT_NO_LEGEND, verb_list,
          "list regions|namespaces|devices|zones|placements|jobs [--json] [--no-legend]\n"
          "       [--region regionN] [--mode fsdax|devdax|raw] (namespaces, devices) [--zone DIR] "
          "(placements)",
          .summary = "One table of objects (the singular, namespace, is accepted too).",
          .help = { opt_json, "--no-legend\tno header row, and nothing when the list is empty\n"
                              "--region regionN\tnamespaces, devices: only those of this region\n"
                              "--mode MODE\tnamespaces, devices: only those of this mode\n"
                              "--zone DIR\tplacements: only those in this zone\n" } },
        { "monitor", 0, 0, OPT_JSON, verb_monitor, "monitor [--json]",
          .summary = "The daemon's events, one line each, until Ctrl-C.",
          .help = { "--json[=pretty|short]\tJSON, one object per event (one line, unless pretty)\n" } },
        { "config", 1, SIZE_MAX, OPT_ROOT | OPT_JSON | OPT_QUIET | OPT_AS, verb_config,
          "config check [FILE...] [--as DEST] [--root DIR] [--json|-q]", .local = true,
          .summary = "Validate the configuration files as the daemon would, without it; 1 when invalid.",
          .help = { "--root DIR\tread the configuration below DIR instead of /\n"
                    "FILE...\tcheck candidate files with the live ones, as drop-ins read last\n"
                    "--as DEST\tthe one FILE replaces the live daxmgr.conf or drop-in DEST\n",
                    opt_json, "-q --quiet\tprint nothing but the error: the exit status is the answer\n" } },
        { "plan", 0, 0, OPT_JSON | OPT_DETAILED_EXITCODE | OPT_QUIET, verb_plan,
          "plan [--json|-q] [--detailed-exitcode]",
          .summary = "What the next reconcile would do, and the problems it leaves; changes nothing.",
          .help = { opt_json, "--detailed-exitcode\texit 0 nothing to do, 2 steps pending, 1 any error\n",
                    opt_quiet } },
        { "metrics", 0, 0, 0, verb_metrics, "metrics",
          .summary = "The daemon's metrics in the Prometheus text format (node_exporter's textfile too)." },
        { "reconcile", 0, 0, OPT_NO_BLOCK | OPT_WAIT | OPT_DETAILED_EXITCODE | OPT_QUIET, verb_reconcile,
          "reconcile [--no-block|--wait] [--detailed-exitcode] [-q]",
          .summary = "Make the machine match the configuration now.",
          .help = { opt_job, "--wait\tfollow the job to its end (the default)\n"
                             "--detailed-exitcode\texit 0 nothing done, 2 steps done, 1 any error\n" } },
        { "reload", 0, 0, OPT_QUIET, verb_reload, "reload [-q]",
          .summary = "Make the daemon re-read its configuration, then reconcile.", .help = { opt_quiet } },
        { "verify", 1, 1, OPT_JSON | OPT_MIN | OPT_QUIET, verb_verify,
          "verify PID|PATH [--json|-q] [--min PERCENT]",
          .summary = "Where a process's executable pages are: pmem or DRAM (a PATH: verify-path).",
          .help = { opt_json,
                    "--min PERCENT\texit 1 when less of the resident executable pages are in pmem\n",
                    "-q --quiet\tprint nothing: the exit status is the answer (verify-path -q for a "
                    "PATH)\n" } },
        { "verify-path", 1, 1, OPT_JSON | OPT_QUIET, verb_verify_path, "verify-path PATH [--json|-q]",
          .summary =
                  "Whether PATH is on a DAX mount and accessed with DAX, and whether MAP_SYNC is granted.",
          .help = { opt_json, "-q --quiet\tprint nothing; exit 1 when PATH is not DAX\n" } },
        { "create-namespace", 0, 0,
          OPT_REGION | OPT_MODE | OPT_SIZE | OPT_ALIGN | OPT_MAP | OPT_NAME | OPT_NO_BLOCK | OPT_QUIET,
          verb_create_namespace,
          "create-namespace [--region R] [--mode fsdax|devdax|raw] [--size S] [--align A] [--map dev|mem] "
          "[--name N]",
          .summary = "Create a namespace.",
          .help = { "--region R\tthe region (default: the first one with room)\n"
                    "--mode MODE\tfsdax (the default), devdax or raw; sector is not managed\n"
                    "--size S\t512M, 2G, 50% of the region, or rest (the default)\n"
                    "--align A\tthe pfn or dax alignment: 4K, 2M, 1G\n"
                    "--map dev|mem\twhere the page structures live (default: dev, the pmem)\n"
                    "--name N\tthe label name, by which it is found after a reboot\n",
                    opt_job } },
        { "destroy-namespace", 1, 1, OPT_FORCE | OPT_NO_BLOCK | OPT_QUIET, verb_destroy_namespace,
          "destroy-namespace NS --force", .summary = "Destroy a namespace and every byte on it.",
          .help = { "--force\tdo it; without, only say what would be lost (exit 1)\n", opt_job } },
        { "format", 1, 1, OPT_FS | OPT_LABEL | OPT_FORCE | OPT_NO_BLOCK | OPT_QUIET, verb_format,
          "format NS [--fs xfs|ext4] [--label L] [--force]",
          .summary = "Make a pmem-tuned file system on a namespace's block device.",
          .help = { "--fs xfs|ext4\tthe file system (default: xfs)\n"
                    "--label L\tits label\n"
                    "--force\tformat over an existing signature\n",
                    opt_job } },
        { "mount", 2, 2, OPT_DAX | OPT_OPTIONS | OPT_NO_BLOCK | OPT_QUIET, verb_mount,
          "mount NS DIR [--dax always|inode] [-o OPTS]",
          .summary = "Mount a namespace's file system on DIR with DAX, and prove DAX is in effect.",
          .help = { "--dax always|inode\tthe DAX mode (default: always)\n"
                    "-o --options OPTS\tmore mount options\n",
                    opt_job } },
        { "unmount", 1, 1, OPT_NO_BLOCK | OPT_QUIET, verb_unmount, "unmount DIR|NS",
          .summary = "Unmount a mount point, or the mount of a namespace; never lazily.",
          .help = { opt_job } },
        { "zone", 2, 2, OPT_NO_BLOCK | OPT_QUIET, verb_zone, "zone create|remove DIR",
          .summary = "Create or remove an XIP zone: a directory on a DAX mount for placed programs.",
          .help = { opt_job } },
        { "place", 2, 2,
          OPT_WITH_LIBRARIES | OPT_SERVICE | OPT_NO_ENTRY_POINT | OPT_BIND_HOST | OPT_REFRESH_POLICY |
                  OPT_NO_BLOCK | OPT_QUIET,
          verb_place,
          "place ZONE PROGRAM [--with-libraries] [--service UNIT] [--no-entry-point] [--bind-host]\n"
          "       [--refresh-policy auto|manual]",
          .summary = "Copy PROGRAM into the zone and activate it.",
          .help = { "--with-libraries\tplace its loader and shared libraries too\n"
                    "--service UNIT\tmake UNIT run the placed copy (a BindReadOnlyPaths= drop-in)\n"
                    "--no-entry-point\tno entry point in the zone's bin/\n"
                    "--bind-host\tbind the copy read-only over the original, host-wide\n"
                    "--refresh-policy P\tauto: copy again when the original changes; manual: not\n",
                    opt_job } },
        { "refresh", 0, 1, OPT_ALL | OPT_ZONE | OPT_NO_BLOCK | OPT_QUIET, verb_refresh,
          "refresh PROGRAM|--all [--zone DIR]",
          .summary = "Copy a placement again where its original changed.",
          .help = { "--all\tevery placement\n"
                    "--zone DIR\tonly the placements in this zone\n",
                    opt_job } },
        { "unplace", 2, 2, OPT_FORCE | OPT_NO_BLOCK | OPT_QUIET, verb_unplace,
          "unplace ZONE PROGRAM [--force]", .summary = "Remove a placement and its activation.",
          .help = { "--force\teven while the copy is running\n", opt_job } },
};

static void help(void) {
        printf("daxmgr [OPTIONS] VERB [ARGS]\n\n"
               "Provision persistent memory through daxmgrd.\n\nVerbs:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %s\n", verbs[i].synopsis);
        printf("\nOptions:\n"
               "  -h --help            this help; daxmgr VERB --help: the verb's own\n"
               "     --version         the version\n"
               "     --json[=pretty|short]  JSON output (reading verbs); field names are the D-Bus\n"
               "                       property names; short: one line per object or event\n"
               "     --no-block        print the job's object path and return without waiting\n"
               "     --wait            reconcile: follow the job to its end (the default)\n"
               "     --detailed-exitcode  plan, reconcile: 0 nothing to change, 2 changes pending\n"
               "                       (plan) or made (reconcile), 1 any error\n"
               "     --min PERCENT     verify PID: exit 1 when less of its resident executable pages\n"
               "                       are in pmem\n"
               "  -q --quiet           print nothing but errors (verbs that do not only list);\n"
               "                       verify-path exits 1 when the path is not DAX\n"
               "     --no-legend       list: no header row\n"
               "     --no-pager        accepted and ignored: daxmgr never pages\n"
               "     --no-ask-password do not let polkit ask for a password\n"
               "     --region regionN  list: only the namespaces or devices of this region\n"
               "     --mode MODE       list: only the namespaces or devices of this mode\n"
               "     --zone DIR        list, refresh: only the placements in this zone\n"
               "     --root DIR        config check: read the configuration below DIR\n"
               "     --as DEST         config check FILE: FILE replaces (or becomes) the live\n"
               "                       daxmgr.conf or drop-in DEST; without it FILEs are drop-ins\n"
               "                       read after the live files\n"
               "\nSizes: 512M, 2G, 50%%, rest. Namespaces: name, uuid, namespace0.0, pmem0, dax0.0.\n"
               "\nmonitor streams the daemon's events until Ctrl-C (--json: one object per line).\n"
               "config check validates the configuration files without the daemon; with FILEs,\n"
               "the configuration they would make with the live files (Ansible's validate:).\n"
               "Ctrl-C while a job runs stops following it; the job goes on in daxmgrd.\n"
               "\nExit status: 0 success, 1 failure (or an invalid configuration), 2 bad arguments,\n"
               "3 no such object, 4 access denied, 5 daxmgrd (or the system bus) is not running,\n"
               "130 interrupted while following a job. --detailed-exitcode: 0, 1 or 2 only.\n");
}

/* "OPTION\tWHAT\n" lines as two columns. */
static void help_options(const char *lines) {
        for (const char *l = lines; l && *l;) {
                const char *tab = strchr(l, '\t'), *nl = strchr(l, '\n');
                int n = nl ? (int) (nl - l) : (int) strlen(l);

                if (tab && tab < l + n) {
                        int w = (int) (tab - l);

                        /* A short option first, a long one aligned under the others. */
                        printf("  %s%-*.*s %.*s\n", l[1] == '-' ? "   " : "", l[1] == '-' ? 23 : 26, w, l,
                               n - w - 1, tab + 1);
                } else
                        printf("  %.*s\n", n, l);
                l += n + (nl ? 1 : 0);
        }
}

/* daxmgr VERB --help: its usage, what it does, its options one line each. */
static void help_verb(const struct Verb *v) {
        printf("daxmgr %s\n\n%s\n\nOptions:\n", v->synopsis, v->summary);
        for (size_t i = 0; i < ELEMENTSOF(v->help); i++)
                help_options(v->help[i]);
        if (!v->local)
                help_options(options_bus);
        help_options(options_common);
}

enum {
        ARG_VERSION = 0x100,
        ARG_JSON,
        ARG_FORCE,
        ARG_NO_BLOCK,
        ARG_NO_ASK_PASSWORD,
        ARG_REGION,
        ARG_MODE,
        ARG_SIZE,
        ARG_ALIGN,
        ARG_MAP,
        ARG_NAME,
        ARG_FS,
        ARG_LABEL,
        ARG_DAX,
        ARG_WITH_LIBRARIES,
        ARG_SERVICE,
        ARG_NO_ENTRY_POINT,
        ARG_BIND_HOST,
        ARG_ZONE,
        ARG_ROOT,
        ARG_REFRESH_POLICY,
        ARG_ALL,
        ARG_DETAILED_EXITCODE,
        ARG_WAIT,
        ARG_MIN,
        ARG_NO_LEGEND,
        ARG_NO_PAGER,
        ARG_AS,
};

/* "90", "99.5" or "99.5%": 0 to 100, digits and at most one point (no exponent, no sign, no
 * locale). */
static int parse_percent(const char *s, double *ret) {
        double v = 0, scale = 0;
        bool digits = false;

        for (; *s >= '0' && *s <= '9'; s++, digits = true)
                v = v * 10 + (*s - '0');
        if (*s == '.')
                for (s++, scale = 0.1; *s >= '0' && *s <= '9'; s++, scale /= 10, digits = true)
                        v += scale * (*s - '0');
        if (*s == '%')
                s++;
        if (!digits || *s || v > 100)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* Long only because it has one short case per option; cut up, the options would be scattered. */
/* Long, as systemd's parse_argv() functions are: one table and one case per option, each case a
 * few lines that check the value where the option is read. Split, the table and the checks would
 * drift apart. */
static int parse_argv(int argc, char **argv) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "json", optional_argument, NULL, ARG_JSON },
                { "force", no_argument, NULL, ARG_FORCE },
                { "no-block", no_argument, NULL, ARG_NO_BLOCK },
                { "no-ask-password", no_argument, NULL, ARG_NO_ASK_PASSWORD },
                { "region", required_argument, NULL, ARG_REGION },
                { "mode", required_argument, NULL, ARG_MODE },
                { "size", required_argument, NULL, ARG_SIZE },
                { "align", required_argument, NULL, ARG_ALIGN },
                { "map", required_argument, NULL, ARG_MAP },
                { "name", required_argument, NULL, ARG_NAME },
                { "fs", required_argument, NULL, ARG_FS },
                { "label", required_argument, NULL, ARG_LABEL },
                { "dax", required_argument, NULL, ARG_DAX },
                { "options", required_argument, NULL, 'o' },
                { "with-libraries", no_argument, NULL, ARG_WITH_LIBRARIES },
                { "service", required_argument, NULL, ARG_SERVICE },
                { "no-entry-point", no_argument, NULL, ARG_NO_ENTRY_POINT },
                { "bind-host", no_argument, NULL, ARG_BIND_HOST },
                { "zone", required_argument, NULL, ARG_ZONE },
                { "root", required_argument, NULL, ARG_ROOT },
                { "refresh-policy", required_argument, NULL, ARG_REFRESH_POLICY },
                { "all", no_argument, NULL, ARG_ALL },
                { "detailed-exitcode", no_argument, NULL, ARG_DETAILED_EXITCODE },
                { "wait", no_argument, NULL, ARG_WAIT },
                { "min", required_argument, NULL, ARG_MIN },
                { "quiet", no_argument, NULL, 'q' },
                { "no-legend", no_argument, NULL, ARG_NO_LEGEND },
                { "no-pager", no_argument, NULL, ARG_NO_PAGER },
                { "as", required_argument, NULL, ARG_AS },
                {},
        };
        _cleanup_free_ char *error = NULL;
        bool want_help = false;
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "ho:q", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        want_help = true;
                        break;
                case ARG_VERSION:
                        printf("daxmgr %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_JSON:
                        if (!optarg)
                                arg.json = JSON_DEFAULT;
                        else if (strcmp(optarg, "pretty") == 0)
                                arg.json = JSON_PRETTY;
                        else if (strcmp(optarg, "short") == 0)
                                arg.json = JSON_SHORT;
                        else
                                return -usage_error("--json=%s: the JSON forms are pretty and short",
                                                    optarg);
                        arg.given |= OPT_JSON;
                        break;
                case ARG_FORCE:
                        arg.given |= OPT_FORCE;
                        break;
                case ARG_NO_BLOCK:
                        arg.given |= OPT_NO_BLOCK;
                        break;
                case ARG_NO_ASK_PASSWORD:
                        arg.ask_password = false;
                        break;
                case ARG_REGION:
                        arg.given |= OPT_REGION;
                        arg.region = optarg;
                        break;
                case ARG_MODE:
                        if (namespace_mode_from_string(optarg) < 0)
                                return -usage_error("--mode: \"%s\" is not fsdax, devdax, raw or sector",
                                                    optarg);
                        arg.given |= OPT_MODE;
                        arg.mode = optarg;
                        break;
                case ARG_SIZE: {
                        SizeSpec s;

                        if (size_spec_parse(optarg, &s, &error) < 0)
                                return -usage_error("--size: %s", error ?: "not a size");
                        arg.given |= OPT_SIZE;
                        arg.size = optarg;
                        break;
                }
                case ARG_ALIGN:
                        if (size_parse_bytes(optarg, &arg.align, &error) < 0)
                                return -usage_error("--align: %s", error ?: "not a size");
                        arg.given |= OPT_ALIGN;
                        break;
                case ARG_MAP:
                        if (pfn_map_from_string(optarg) < 0)
                                return -usage_error("--map: \"%s\" is not dev or mem", optarg);
                        arg.given |= OPT_MAP;
                        arg.map = optarg;
                        break;
                case ARG_NAME:
                        arg.given |= OPT_NAME;
                        arg.name = optarg;
                        break;
                case ARG_FS:
                        if (strcmp(optarg, "xfs") != 0 && strcmp(optarg, "ext4") != 0)
                                return -usage_error("--fs: \"%s\" is not xfs or ext4", optarg);
                        arg.given |= OPT_FS;
                        arg.fs = optarg;
                        break;
                case ARG_LABEL:
                        arg.given |= OPT_LABEL;
                        arg.label = optarg;
                        break;
                case ARG_DAX:
                        if (dax_mount_mode_from_string(optarg) < 0)
                                return -usage_error("--dax: \"%s\" is not always or inode", optarg);
                        arg.given |= OPT_DAX;
                        arg.dax = optarg;
                        break;
                case 'o':
                        arg.given |= OPT_OPTIONS;
                        arg.options = optarg;
                        break;
                case ARG_WITH_LIBRARIES:
                        arg.given |= OPT_WITH_LIBRARIES;
                        break;
                case ARG_SERVICE:
                        arg.given |= OPT_SERVICE;
                        arg.service = optarg;
                        break;
                case ARG_NO_ENTRY_POINT:
                        arg.given |= OPT_NO_ENTRY_POINT;
                        break;
                case ARG_BIND_HOST:
                        arg.given |= OPT_BIND_HOST;
                        break;
                case ARG_ZONE:
                        arg.given |= OPT_ZONE;
                        arg.zone = optarg;
                        break;
                case ARG_ROOT:
                        arg.given |= OPT_ROOT;
                        arg.root = optarg;
                        break;
                case ARG_REFRESH_POLICY:
                        if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "manual") != 0)
                                return -usage_error("--refresh-policy is auto or manual, not \"%s\"",
                                                    optarg);
                        arg.given |= OPT_REFRESH_POLICY;
                        arg.refresh_policy = optarg;
                        break;
                case ARG_ALL:
                        arg.given |= OPT_ALL;
                        break;
                case ARG_DETAILED_EXITCODE:
                        arg.given |= OPT_DETAILED_EXITCODE;
                        break;
                case ARG_WAIT:
                        arg.given |= OPT_WAIT;
                        break;
                case ARG_MIN:
                        if (parse_percent(optarg, &arg.min_percent) < 0)
                                return -usage_error(
                                        "--min: \"%s\" is not a percentage from 0 to 100 (90, 99.5%%)",
                                        optarg);
                        arg.given |= OPT_MIN;
                        break;
                case 'q':
                        arg.given |= OPT_QUIET;
                        break;
                case ARG_NO_LEGEND:
                        arg.given |= OPT_NO_LEGEND;
                        break;
                case ARG_NO_PAGER: /* nothing pages: accepted, as scripts pass it to every tool */
                        break;
                case ARG_AS:
                        arg.given |= OPT_AS;
                        arg.as = optarg;
                        break;
                case '?':
                        if (optopt)
                                return -usage_error("unknown option -%c, or it lacks its argument", optopt);
                        return -usage_error("unknown option %s, or it lacks its argument", argv[optind - 1]);
                default:
                        return -usage_error("unknown option");
                }
        if (want_help) {
                /* daxmgr VERB --help (or --help VERB): the verb's own; alone, the whole. */
                if (optind < argc) {
                        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                                if (strcmp(verbs[i].name, argv[optind]) == 0) {
                                        help_verb(&verbs[i]);
                                        return 0;
                                }
                        return -usage_error("unknown verb \"%s\"", argv[optind]);
                }
                help();
                return 0;
        }
        return 1;
}

/* Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF): what D-Bus accepts
 * in a string. */
static bool utf8_valid(const char *s) {
        for (size_t len; *s; s += len) {
                len = utf8_char_len(s, SIZE_MAX);
                if (len == 0)
                        return false;
        }
        return true;
}

/* Every argument before anything else looks at it (and before any message quotes it): at most
 * PATH_MAX - 1 bytes, valid UTF-8 (D-Bus strings must be). */
static int check_argv(int argc, char **argv) {
        for (int i = 1; i < argc; i++) {
                size_t l = strlen(argv[i]);

                if (l >= PATH_MAX)
                        return usage_error("argument %d is %zu bytes long; at most %d are accepted", i, l,
                                           PATH_MAX - 1);
                if (!utf8_valid(argv[i]))
                        return usage_error(
                                "argument %d is not valid UTF-8; names and paths given to daxmgr must be",
                                i);
        }
        return EXIT_OK;
}

static int run(int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const struct Verb *v = NULL;
        size_t n;
        int r;

        r = check_argv(argc, argv);
        if (r != EXIT_OK)
                return r;
        r = parse_argv(argc, argv);
        if (r <= 0)
                return -r;
        use_color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR") &&
                    !(getenv("TERM") && strcmp(getenv("TERM"), "dumb") == 0);
        if (optind >= argc)
                return usage_error("which verb? (status, list, monitor, plan, create-namespace, …)");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(verbs[i].name, argv[optind]) == 0)
                        v = &verbs[i];
        if (!v)
                return usage_error("unknown verb \"%s\"", argv[optind]);
        n = (size_t) (argc - optind - 1);
        if (n < v->min_args || n > v->max_args)
                return usage_error("usage: daxmgr %s", v->synopsis);
        for (size_t b = 0; b < ELEMENTSOF(option_names); b++)
                if ((arg.given & (1u << b)) && !(v->options & (1u << b)))
                        return usage_error("%s is not an option of %s", option_names[b], v->name);
        if (v->run == verb_list) {
                r = verb_list_check(argv[optind + 1]);
                if (r != EXIT_OK)
                        return r;
        }
        if (v->run == verb_verify) {
                r = verb_verify_check(argv[optind + 1], NULL);
                if (r != EXIT_OK)
                        return r;
        }
        /* list --mode sector finds the sector namespaces there are; none is made by daxmgr. */
        if (v->run == verb_create_namespace && (arg.given & OPT_MODE) &&
            namespace_mode_from_string(arg.mode) == NAMESPACE_MODE_SECTOR)
                return usage_error("create-namespace --mode sector: sector (BTT) mode is not managed by "
                                   "daxmgr; the mode must be fsdax, devdax or raw");
        if (v->run == verb_refresh && (n > 0) == !!(arg.given & OPT_ALL))
                return usage_error("refresh: name one PROGRAM, or --all (usage: daxmgr %s)", v->synopsis);
        if ((arg.given & OPT_QUIET) && (arg.given & OPT_JSON))
                return usage_error("%s: --quiet prints nothing and --json prints JSON: give one of them",
                                   v->name);
        if ((arg.given & OPT_NO_BLOCK) && (arg.given & (OPT_WAIT | OPT_DETAILED_EXITCODE)))
                return usage_error("%s: --no-block returns before the job ends; it cannot go with %s",
                                   v->name, arg.given & OPT_WAIT ? "--wait" : "--detailed-exitcode");
        if (v->run == verb_config && strcmp(argv[optind + 1], "check") != 0)
                return usage_error("config %s: the config verb is: check", argv[optind + 1]);
        if (v->local)
                return v->run(NULL, argv + optind + 1, n);
        r = connect_bus(&bus);
        if (r != EXIT_OK)
                return r;
        return v->run(bus, argv + optind + 1, n);
}

/* Whether --detailed-exitcode was asked for, even where a usage error stops the parsing before
 * it: a script that reads 2 as "changes" must not read a bad option as one. */
static bool detailed_exitcode(int argc, char **argv) {
        if (arg.given & OPT_DETAILED_EXITCODE)
                return true;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--") == 0)
                        break;
                if (strcmp(argv[i], "--detailed-exitcode") == 0)
                        return true;
        }
        return false;
}

int main(int argc, char **argv) {
        int r = run(argc, argv);

        if (!detailed_exitcode(argc, argv))
                return r;
        /* Terraform's contract: 0, 2 (changes), and 1 for every error, whatever its usual code
         * (the message already said which). */
        if (r == EXIT_OK)
                return changes_found ? EXIT_CHANGES : EXIT_OK;
        return EXIT_FAILURE_;
}
