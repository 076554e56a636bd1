/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* daxmgrd-worker: one job of daxmgrd (worker.h). Not for people: the daemon starts it with the
 * request on standard input and reads its reports from fd 3. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "error.h"
#include "fileio.h"
#include "log.h"
#include "worker.h"

/* A request is the job and the configuration's texts (at most 64 files of 1 MiB, config.h) and
 * the hash cache (4096 entries): far less than this. */
#define REQUEST_MAX (256U * 1024U * 1024U)

int main(int argc, char **argv) {
        _cleanup_free_ char *text = NULL, *error = NULL;
        struct json_object *o;
        WorkerJob w;
        size_t size;
        int r;

        (void) argv;
        if (argc != 1 || isatty(STDIN_FILENO) || fcntl(3, F_GETFD) < 0) {
                fprintf(stderr, "daxmgrd-worker carries out one job of daxmgrd, which starts it; it is not "
                                "meant to be run by hand.\n");
                return 2;
        }
        r = read_full_file("/dev/stdin", REQUEST_MAX, &text, &size);
        if (r < 0) {
                log_error("Cannot read the job request: %s", strerror(-r));
                return 1;
        }
        o = json_tokener_parse(text);
        if (!o) {
                log_error("The job request is not JSON.");
                return 1;
        }
        if (json_object_object_get_ex(o, "call", NULL))
                worker_call_run(o, 3);
        r = worker_request_from_json(o, &w, &error);
        json_object_put(o);
        if (r < 0) {
                log_error("Cannot use the job request: %s", error_message(error, r));
                return 1;
        }
        worker_run(&w, 3);
}
