/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Activation (a), a service's drop-in, as daxmgr-generator writes it from the placement state:
 * its text, the record of which unit gets one, and the removal of the drop-ins earlier versions
 * wrote to /etc. Runs in a systemd generator, so nothing here talks to D-Bus, hashes a file or
 * waits for anything: it reads the state and stat()s the files it names. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "parse-util.h"
#include "place-internal.h"
#include "strv.h"

bool path_is_unit_safe(const char *p) {
        return strcspn(p, " \t\n\"'\\%:") == strlen(p);
}

int place_set_dropin_unit(PlaceState *s, const char *zone, const char *program, const char *unit,
                          char **ret_error) {
        _cleanup_free_ char *real = NULL, *copy = NULL;
        Placement *p;

        if (unit && !service_name_is_valid(unit))
                return error_set(ret_error, -EINVAL, "'%s' is not a systemd service unit name", unit);
        p = place_state_find_program(s, zone, program);
        if (!p && (real = realpath(program, NULL)))
                p = place_state_find_program(s, zone, real);
        if (!p) {
                if (!unit)
                        return 0; /* nothing placed, nothing activated */
                return error_set(ret_error, -ENOENT, "%s is not placed in %s", program, zone);
        }
        if (unit && !(copy = strdup(unit)))
                return -ENOMEM;
        free(p->dropin_unit);
        p->dropin_unit = TAKE_PTR(copy);
        return 0;
}

/* systemd's name for the mount unit of @path (systemd-escape --path --suffix=mount). */
static int mount_unit_name(const char *path, char **ret) {
        _cleanup_free_ char *s = NULL;
        size_t len = 0;
        FILE *f;

        while (*path == '/')
                path++;
        if (!*path)
                return (*ret = strdup("-.mount")) ? 0 : -ENOMEM;
        f = open_memstream(&s, &len);
        if (!f)
                return -ENOMEM;
        for (const char *c = path; *c; c++) {
                if (*c == '/') {
                        while (c[1] == '/')
                                c++;
                        if (c[1])
                                fputc('-', f);
                } else if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                           (*c >= '0' && *c <= '9') || *c == ':' || *c == '_' || (*c == '.' && c != path))
                        fputc(*c, f);
                else
                        fprintf(f, "\\x%02x", (unsigned char) *c);
        }
        fputs(".mount", f);
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(s);
        return 0;
}

/* Is @p's original still the file that was placed? A stat, not a hash, fast enough for a
 * generator: a package manager replaces a file (a new inode); the daemon compares contents. The
 * mtime is left out: a touch alone would leave the service without its drop-in. */
static bool original_unchanged(const Placement *p) {
        struct stat st;

        return stat(p->source, &st) >= 0 && (uint64_t) st.st_ino == p->ino &&
               (uint64_t) st.st_size == p->size;
}

/* The BindReadOnlyPaths= lines of @program in @zone into @f; false when a file changed or is
 * gone (then none: the service runs the originals, all of them). */
static int program_binds(const PlaceState *s, const char *zone, const char *program, FILE *f) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        FILE *g = open_memstream(&text, &len);

        if (!g)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_placements; i++) {
                const Placement *p = &s->placements[i];
                _cleanup_free_ char *target = NULL;
                struct stat st;

                if (strcmp(p->zone, zone) != 0 || strcmp(p->program, program) != 0)
                        continue;
                /* An alias (a symbolic link in the zone): the file it points to gets its own
                 * line. A copy that is not there (the zone not mounted yet) still gets its line,
                 * which the "-" makes optional. */
                if (lstat(p->copy, &st) >= 0 && !S_ISREG(st.st_mode))
                        continue;
                /* Bind over the real file: a bind mount onto a symlink would follow it anyway. */
                target = realpath(p->source, NULL);
                if (!target || !original_unchanged(p) || !path_is_unit_safe(target) ||
                    !path_is_unit_safe(p->copy)) {
                        (void) fclose(g);
                        return 0;
                }
                fprintf(g, "BindReadOnlyPaths=-%s:%s\n", p->copy, target);
        }
        if (fclose(g) != 0)
                return -ENOMEM;
        if (len == 0)
                return 0;
        fputs(text, f);
        return 1;
}

int place_dropin_text(const PlaceState *s, const char *unit, char **ret_text, char **ret_error) {
        _cleanup_free_ char *head = NULL, *binds = NULL, *text = NULL;
        _cleanup_strv_free_ char **after = NULL;
        size_t head_len = 0, binds_len = 0;
        FILE *h, *b;
        bool any = false;
        int r = 0;

        if (!service_name_is_valid(unit))
                return error_set(ret_error, -EINVAL, "'%s' is not a systemd service unit name", unit ?: "");
        h = open_memstream(&head, &head_len);
        b = open_memstream(&binds, &binds_len);
        if (!h || !b) {
                if (h)
                        (void) fclose(h);
                if (b)
                        (void) fclose(b);
                return -ENOMEM;
        }
        for (size_t i = 0; r >= 0 && i < s->n_placements; i++) {
                const Placement *p = &s->placements[i];
                _cleanup_free_ char *prefix = NULL;

                if (p->role != PLACE_PROGRAM || !p->dropin_unit || strcmp(p->dropin_unit, unit) != 0)
                        continue;
                r = program_binds(s, p->zone, p->program, b);
                if (r <= 0)
                        continue;
                fprintf(h, "%s: %s runs from the XIP zone %s inside this service only.\n",
                        any ? "#" : PLACE_DROPIN_MARKER " (daxmgr-generator, from the placement state)",
                        p->program, p->zone);
                any = true;
                /* After= every mount unit on the way to the zone: what RequiresMountsFor= orders
                 * by, without its Requires=. */
                prefix = strdup(p->zone);
                if (!prefix) {
                        r = -ENOMEM;
                        break;
                }
                for (char *slash = prefix; r >= 0 && slash;) {
                        _cleanup_free_ char *name = NULL;
                        char c;

                        slash = strchr(slash + 1, '/');
                        c = slash ? *slash : '\0';
                        if (slash)
                                *slash = '\0';
                        r = mount_unit_name(prefix, &name);
                        if (r >= 0 && !strv_contains(after, name))
                                r = strv_consume(&after, TAKE_PTR(name));
                        if (slash)
                                *slash = c;
                }
        }
        if (fclose(h) != 0 || fclose(b) != 0)
                return -ENOMEM;
        if (r < 0)
                return r;
        if (!any) {
                *ret_text = NULL;
                return 0;
        }
        {
                size_t len = 0;
                FILE *f = open_memstream(&text, &len);

                if (!f)
                        return -ENOMEM;
                fputs(head, f);
                fputs("# The host's files stay untouched, so package managers can still replace them;\n"
                      "# after an upgrade daxmgr reports the copies as stale until they are refreshed.\n"
                      "# Ordered after the zone's mount and daxmgrd (which mounts it), softly: a copy\n"
                      "# that is missing at start (\"-\") is skipped and the service runs the original;\n"
                      "# 'daxmgr verify PID' says where its text comes from.\n"
                      "[Unit]\n"
                      "After=daxmgrd.service\n",
                      f);
                for (size_t i = 0; after && after[i]; i++)
                        fprintf(f, "After=%s\n", after[i]);
                fputs("\n[Service]\n", f);
                fputs(binds, f);
                if (fclose(f) != 0)
                        return -ENOMEM;
        }
        *ret_text = TAKE_PTR(text);
        return 0;
}

int place_write_dropin(const PlaceState *s, const char *unit, const char *dir, char **ret_path,
                       char **ret_error) {
        _cleanup_free_ char *text = NULL, *path = NULL;
        int r;

        r = place_dropin_text(s, unit, &text, ret_error);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/%s.d/" PLACE_DROPIN_NAME, dir, unit) < 0)
                return -ENOMEM;
        if (!text) {
                r = place_remove_dropin(unit, dir, ret_error);
                if (r < 0)
                        return r;
        } else {
                r = mkdir_parent_of(path);
                if (r < 0)
                        return error_set(ret_error, r, "cannot create the drop-in directory for %s: %s",
                                         unit, strerror(-r));
                r = write_atomic(path, text, strlen(text), 0644, ret_error);
                if (r < 0)
                        return r;
        }
        if (ret_path)
                *ret_path = TAKE_PTR(path);
        return 0;
}

int place_remove_dropin(const char *unit, const char *dropin_root, char **ret_error) {
        _cleanup_free_ char *path = NULL, *dir = NULL;

        if (!service_name_is_valid(unit))
                return error_set(ret_error, -EINVAL, "'%s' is not a systemd service unit name", unit ?: "");
        if (asprintf(&path, "%s/%s.d/" PLACE_DROPIN_NAME, dropin_root, unit) < 0 ||
            asprintf(&dir, "%s/%s.d", dropin_root, unit) < 0)
                return -ENOMEM;
        if (unlink(path) < 0 && errno != ENOENT)
                return error_set(ret_error, negative_errno(), "cannot remove %s: %m", path);
        (void) rmdir(dir); /* only if empty */
        return 0;
}

int place_generate(const PlaceState *s, const char *dir, unsigned *ret_n, char **ret_error) {
        _cleanup_strv_free_ char **done = NULL;
        unsigned n = 0;
        int ret = 0;

        for (size_t i = 0; i < s->n_placements; i++) {
                const Placement *p = &s->placements[i];
                _cleanup_free_ char *path = NULL, *e = NULL;
                int r;

                if (p->role != PLACE_PROGRAM || !p->dropin_unit || strv_contains(done, p->dropin_unit))
                        continue;
                r = strv_extend(&done, p->dropin_unit);
                if (r < 0)
                        return r;
                r = place_write_dropin(s, p->dropin_unit, dir, &path, &e);
                if (r < 0) {
                        if (ret >= 0) {
                                ret = r;
                                if (ret_error && e && !*ret_error)
                                        *ret_error = TAKE_PTR(e);
                        }
                        continue;
                }
                if (access(path, F_OK) >= 0)
                        n++;
        }
        if (ret_n)
                *ret_n = n;
        return ret;
}

/* Is @name in @dfd a regular file (not a link: an administrator's mask) starting with the
 * marker? *ret_text gets its text. */
static bool is_ours(int dfd, const char *name, char **ret_text) {
        _cleanup_free_ char *text = NULL;
        struct stat st;

        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                return false;
        if (read_full_file_at(dfd, name, 1024 * 1024, &text, NULL) < 0 ||
            strncmp(text, PLACE_DROPIN_MARKER, strlen(PLACE_DROPIN_MARKER)) != 0)
                return false;
        *ret_text = TAKE_PTR(text);
        return true;
}

/* The program records whose copy the old drop-in @text of @unit bound, without an activation
 * recorded yet, get @unit: the generator writes the same drop-in from now on. A record of a
 * placement not made by hand also gets it as what the reconcile made (@applied_service), so that
 * a Service= no longer configured undoes it (remove-dropin) as it undoes a newer one. */
static int adopt(PlaceState *s, const char *unit, const char *text) {
        for (size_t i = 0; s && i < s->n_placements; i++) {
                Placement *p = &s->placements[i];
                _cleanup_free_ char *line = NULL;

                if (p->role != PLACE_PROGRAM || p->dropin_unit)
                        continue;
                if (asprintf(&line, "BindReadOnlyPaths=%s:", p->copy) < 0)
                        return -ENOMEM;
                if (!strstr(text, line))
                        continue;
                p->dropin_unit = strdup(unit);
                if (!p->dropin_unit)
                        return -ENOMEM;
                if (!p->has_activation && !p->applied_service) {
                        p->applied_service = strdup(unit);
                        if (!p->applied_service)
                                return -ENOMEM;
                }
        }
        return 0;
}

int place_migrate_legacy_dropins(const char *root, PlaceState *s, char ***ret_removed, char **ret_error) {
        _cleanup_strv_free_ char **removed = NULL;
        DIR *d;
        struct dirent *de;
        int r = 0;

        *ret_removed = NULL;
        d = opendir(root);
        if (!d) {
                if (errno == ENOENT)
                        return 0;
                return error_set(ret_error, negative_errno(), "cannot read %s: %m", root);
        }
        while ((de = readdir(d))) {
                _cleanup_free_ char *unit = NULL, *path = NULL, *text = NULL;
                _cleanup_close_ int dfd = -1;
                size_t l = strlen(de->d_name);

                if (l <= strlen(".service.d") ||
                    strcmp(de->d_name + l - strlen(".service.d"), ".service.d") != 0)
                        continue;
                unit = strndup(de->d_name, l - 2);
                if (!unit) {
                        r = -ENOMEM;
                        break;
                }
                if (!service_name_is_valid(unit))
                        continue;
                dfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (dfd < 0 || !is_ours(dfd, PLACE_DROPIN_NAME, &text))
                        continue;
                if (asprintf(&path, "%s/%s/" PLACE_DROPIN_NAME, root, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                if (adopt(s, unit, text) < 0) {
                        r = -ENOMEM;
                        break;
                }
                if (unlinkat(dfd, PLACE_DROPIN_NAME, 0) < 0) {
                        if (r >= 0)
                                r = error_set(ret_error, negative_errno(), "cannot remove %s: %m", path);
                        continue;
                }
                (void) unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR); /* only if empty */
                if (strv_consume(&removed, TAKE_PTR(path)) < 0) {
                        r = -ENOMEM;
                        break;
                }
        }
        (void) closedir(d);
        *ret_removed = TAKE_PTR(removed);
        return r;
}
