/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One computation off the event loop: a short-lived child forked from the daemon runs it, writes
 * one JSON document to a pipe and _exit()s; the loop gets the document when the child has ended.
 * For what may block (stat() of a configured path on a hung mount, reading /proc/PID/pagemap, a
 * probe file): the loop only forks, reads a pipe and reaps. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;
typedef struct Manager Manager;
typedef struct ChildCall ChildCall;

#define CHILD_CALLS_MAX 8U /* children at once; child_call_start() refuses more (-EBUSY) */

/* In the child: the document to write (NULL: none, which the loop reads as -ECHILD). The child
 * has a copy of the Manager as it was at the fork; it must not use the bus connection. */
typedef struct json_object *(*ChildCallRun)(Manager *m, void *userdata);
/* On the loop, exactly once: the document (borrowed) and 0, or NULL and why there is none:
 * -ETIME (the child was killed after the timeout; *ret_detail NULL), -ECHILD (it ended without a
 * document: the status is in @detail, "exit status 1", "signal 9"), -ECANCELED (the daemon is
 * stopping), or a fork error. Then @userdata is the callback's to free. */
typedef void (*ChildCallDone)(Manager *m, struct json_object *result, int error, const char *detail,
                              void *userdata);

/* Forks "daxmgrd-@name" to run @run(@m, @userdata), killed after @timeout_usec. 0: @done will be
 * called; <0 (-EBUSY: CHILD_CALLS_MAX children run; or fork/pipe errors): it will not. */
int child_call_start(Manager *m, const char *name, uint64_t timeout_usec, ChildCallRun run,
                     ChildCallDone done, void *userdata);

/* The same, but the child execs the worker (worker.h) with @request (a JSON object with "call":
 * worker-call.c) on its standard input, and the document is what the worker writes to fd 3:
 * the daemon's process needs none of the libraries the call uses. */
int child_call_exec(Manager *m, const char *name, uint64_t timeout_usec, struct json_object *request,
                    ChildCallDone done, void *userdata);

/* @o as a sealed memfd (O_CLOEXEC) at offset 0, for a worker's standard input; or -errno. */
int json_sealed_memfd(struct json_object *o, const char *name);
/* In a child forked from the daemon: execs the worker with @request_fd as its standard input and
 * @report_fd as its fd 3. */
_Noreturn void worker_exec(int request_fd, int report_fd);

/* The daemon stops: every child is killed (not waited for) and its @done told -ECANCELED. */
void child_calls_done(Manager *m);

/* Reads what a child wrote to the non-blocking pipe @fd, until it would block, into *@buf (kept
 * NUL-terminated, *@n bytes). Past @max bytes the rest is read and dropped (*@overflow set), so
 * that the pipe is drained and the loop not woken again for it. Returns 1 at the end of the
 * pipe (or a read error): the caller stops watching it; 0 when it would block. */
int child_output_read(int fd, char **buf, size_t *n, size_t max, bool *overflow);
