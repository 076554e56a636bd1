/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A statically linked program that touches all of its own text and then waits: what an XIP
 * placement of a static binary looks like, with no loader or libraries involved. Prints
 * "ready" once its pages are resident, then sleeps ten minutes. */

#include <stdio.h>
#include <unistd.h>

extern const char __executable_start[], etext[];

int main(void) {
        volatile char sink = 0;

        for (const char *p = __executable_start; p < etext; p += 4096)
                sink ^= *(volatile const char *) p;
        printf("ready\n");
        (void) fflush(stdout);
        (void) sleep(600);
        return sink == 42 ? 1 : 0;
}
