/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* daxmgr-tool: drives lib/ directly, one verb per library operation, for the guest tests and
 * the benchmarks (the daemon and the CLI come later and go through D-Bus). Each verb is
 * "int verb_xxx(int argc, char *argv[])" with argv[0] the verb name; it prints its result on
 * stdout (JSON where there is structure), one error sentence on stderr, and returns the exit
 * status: 0 ok, 1 failed, 2 bad usage. */

#include <stdbool.h>

int verb_topology(int argc, char *argv[]);
int verb_size_plan(int argc, char *argv[]);
int verb_create_namespace(int argc, char *argv[]);
int verb_destroy_namespace(int argc, char *argv[]);
int verb_reconfigure_namespace(int argc, char *argv[]);
int verb_lock_hold(int argc, char *argv[]);
int verb_provision(int argc, char *argv[]);
int verb_verify(int argc, char *argv[]);
int verb_advise(int argc, char *argv[]);
int verb_layout(int argc, char *argv[]);
int verb_zone_create(int argc, char *argv[]);
int verb_place(int argc, char *argv[]);
int verb_unplace(int argc, char *argv[]);
int verb_placements(int argc, char *argv[]);
int verb_activate(int argc, char *argv[]);
int verb_deactivate(int argc, char *argv[]);

int verb_format(int argc, char *argv[]);
int verb_mount(int argc, char *argv[]);
int verb_unmount(int argc, char *argv[]);
int verb_devdax_set(int argc, char *argv[]);
int verb_devdax_mode(int argc, char *argv[]);
int verb_check_path(int argc, char *argv[]);
int verb_config_check(int argc, char *argv[]);

/* Prints "daxmgr-tool VERB: MESSAGE" on stderr and returns 1. */
int tool_fail(const char *verb, const char *message, int r);
