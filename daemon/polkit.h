/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include <systemd/sd-bus.h>

typedef struct Manager Manager;

/* Runs @fn now for root; otherwise asks polkit for @action and runs @fn (with the message
 * rewound) when the answer is yes, or replies with org.daxmgr1.Error.AccessDenied /
 * InteractiveAuthorizationRequired. Returns what a method handler returns. */
typedef int (*PolkitAuthorizedFn)(sd_bus_message *m, void *userdata, sd_bus_error *error);
int polkit_authorize(Manager *m, sd_bus_message *msg, const char *action, PolkitAuthorizedFn fn,
                     void *userdata, sd_bus_error *error);
void polkit_queries_free(Manager *m);

int bus_caller_uid(sd_bus_message *m, uid_t *ret);
