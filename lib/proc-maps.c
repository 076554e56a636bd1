/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "macro.h"
#include "parse-util.h"
#include "proc-maps.h"

void maps_entry_done(MapsEntry *e) {
        if (e)
                e->path = (free(e->path), NULL);
}

Maps *maps_free(Maps *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n; i++)
                maps_entry_done(&m->entries[i]);
        free(m->entries);
        free(m);
        return NULL;
}

/* Copies the next space-separated field of [*p, end) into @buf (at most @size - 1 chars). */
static int next_field(const char **p, const char *end, char *buf, size_t size) {
        const char *s = *p, *e;

        while (s < end && *s == ' ')
                s++;
        for (e = s; e < end && *e != ' '; e++)
                ;
        if (e == s || (size_t) (e - s) >= size)
                return -EBADMSG;
        memcpy(buf, s, (size_t) (e - s));
        buf[e - s] = '\0';
        *p = e;
        return 0;
}

int maps_parse_line(const char *line, size_t len, MapsEntry *ret) {
        const char *p = line, *end = line + len;
        char range[64], perms[8], offset[32], dev[32], inode[32];
        MapsEntry e = {};
        char *colon;
        uint64_t v;

        if (!line || !ret)
                return -EINVAL;
        if (len > 0 && end[-1] == '\n')
                end--;

        if (next_field(&p, end, range, sizeof range) < 0 || next_field(&p, end, perms, sizeof perms) < 0 ||
            next_field(&p, end, offset, sizeof offset) < 0 || next_field(&p, end, dev, sizeof dev) < 0 ||
            next_field(&p, end, inode, sizeof inode) < 0)
                return -EBADMSG;

        if (parse_hex_range(range, &e.start, &e.end) < 0 || e.end < e.start)
                return -EBADMSG;
        if (strlen(perms) != 4 || !strchr("r-", perms[0]) || !strchr("w-", perms[1]) ||
            !strchr("x-", perms[2]) || !strchr("ps", perms[3]))
                return -EBADMSG;
        e.read = perms[0] == 'r';
        e.write = perms[1] == 'w';
        e.exec = perms[2] == 'x';
        e.shared = perms[3] == 's';

        if (parse_u64(offset, 16, &e.offset) < 0 || strncmp(offset, "0x", 2) == 0)
                return -EBADMSG;
        colon = strchr(dev, ':');
        if (!colon)
                return -EBADMSG;
        *colon = '\0';
        if (parse_u64(dev, 16, &v) < 0 || v > UINT32_MAX || strncmp(dev, "0x", 2) == 0)
                return -EBADMSG;
        e.dev_major = (unsigned) v;
        if (parse_u64(colon + 1, 16, &v) < 0 || v > UINT32_MAX || strncmp(colon + 1, "0x", 2) == 0)
                return -EBADMSG;
        e.dev_minor = (unsigned) v;
        if (parse_u64(inode, 10, &e.inode) < 0)
                return -EBADMSG;

        while (p < end && *p == ' ')
                p++;
        if (p < end) {
                static const char deleted[] = " (deleted)";
                size_t n = (size_t) (end - p);

                if (n > strlen(deleted) && memcmp(end - strlen(deleted), deleted, strlen(deleted)) == 0) {
                        e.deleted = true;
                        n -= strlen(deleted);
                }
                e.path = strndup(p, n);
                if (!e.path)
                        return -ENOMEM;
        }

        *ret = e;
        return 0;
}

int maps_parse(const char *text, Maps **ret) {
        _cleanup_maps_ Maps *m = NULL;

        if (!text || !ret)
                return -EINVAL;
        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;

        for (const char *line = text; *line;) {
                const char *eol = strchrnul(line, '\n');
                MapsEntry *a;
                int r;

                if (eol > line) {
                        a = reallocarray(m->entries, m->n + 1, sizeof(*a));
                        if (!a)
                                return -ENOMEM;
                        m->entries = a;
                        r = maps_parse_line(line, (size_t) (eol - line), &m->entries[m->n]);
                        if (r < 0)
                                return r;
                        m->n++;
                }
                line = *eol ? eol + 1 : eol;
        }

        *ret = TAKE_PTR(m);
        return 0;
}

int maps_read(pid_t pid, Maps **ret) {
        char path[sizeof("/proc//maps") + 3 * sizeof(pid_t)];
        _cleanup_free_ char *text = NULL;
        int r;

        if (pid < 0)
                return -EINVAL;
        if (pid == 0)
                strcpy(path, "/proc/self/maps");
        else
                (void) snprintf(path, sizeof(path), "/proc/%d/maps", (int) pid);

        r = read_full_file(path, READ_FULL_FILE_MAX, &text, NULL);
        if (r < 0)
                return r;
        return maps_parse(text, ret);
}

bool maps_entry_is_file(const MapsEntry *e) {
        return e && e->inode != 0 && e->path && e->path[0] == '/';
}

/* The unit of @pid from its cgroup ("0::/system.slice/foo.service" → "foo.service"), or NULL. */
char *pid_unit(pid_t pid) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        char *u = NULL;

        if (asprintf(&path, "/proc/%d/cgroup", (int) pid) < 0 ||
            read_full_file(path, 64 * 1024, &text, NULL) < 0)
                return NULL;
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                char *c = strrchr(line, '/');

                if (strncmp(line, "0::", 3) != 0 || !c)
                        continue;
                c++;
                if (strstr(c, ".service") || strstr(c, ".scope"))
                        u = strdup(c);
        }
        return u;
}
