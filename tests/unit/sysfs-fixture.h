/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Builds a recorded sysfs tree (fixtures/NAME.tree: "F PATH CONTENT" attributes and "L PATH
 * TARGET" symbolic links, as sysfs has them) in a temporary directory, for the code that reads
 * sysfs below a root. A text file rather than a tree in git: the Debian build copies regular
 * files only. */

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void fixture_mkdirs(char *path) {
        for (char *p = path + 1; *p; p++)
                if (*p == '/') {
                        *p = '\0';
                        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                                abort();
                        *p = '/';
                }
}

/* The root of the tree (free() it after sysfs_fixture_remove()). Aborts on any error. */
static char *sysfs_fixture(const char *tree) {
        char tmpl[] = "/tmp/daxmgr-sysfs-XXXXXX", line[4096];
        char *root;
        FILE *f = fopen(tree, "re");

        if (!f || !mkdtemp(tmpl))
                abort();
        root = strdup(tmpl);
        while (fgets(line, sizeof(line), f)) {
                char *path, *value, *full = NULL;

                line[strcspn(line, "\n")] = '\0';
                if (line[0] == '#' || line[0] == '\0')
                        continue;
                if ((line[0] != 'F' && line[0] != 'L') || line[1] != ' ')
                        abort();
                path = line + 2;
                value = strchr(path, ' ');
                if (!value)
                        abort();
                *value++ = '\0';
                if (asprintf(&full, "%s/%s", root, path) < 0)
                        abort();
                fixture_mkdirs(full);
                if (line[0] == 'L') {
                        if (symlink(value, full) < 0)
                                abort();
                } else {
                        FILE *o = fopen(full, "we");

                        if (!o || fprintf(o, "%s\n", value) < 0 || fclose(o) != 0)
                                abort();
                }
                free(full);
        }
        fclose(f);
        return root;
}

static int fixture_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) flag;
        (void) ftw;
        return remove(path);
}

static void sysfs_fixture_remove(const char *root) {
        (void) nftw(root, fixture_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
