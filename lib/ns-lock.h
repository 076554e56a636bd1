/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The host-wide namespace lock: an open file description lock on <run_dir>/namespace.lock,
 * so two daxmgr processes (daemon, tool, a second daemon by mistake) never change namespaces
 * at the same time. The holder writes its PID into the file so a waiter can say who it waits
 * for. Released when the fd is closed, including when the holder dies. */

#include "context.h"

/* Takes the in-process mutex and the host-wide lock, waiting up to @timeout_sec for another
 * process. Returns an fd to pass to ns_lock_release(), or a negative errno (-EBUSY on
 * timeout, with a sentence naming the holder). */
int ns_lock_acquire(DaxContext *c, unsigned timeout_sec, char **ret_error);
void ns_lock_release(DaxContext *c, int fd);
