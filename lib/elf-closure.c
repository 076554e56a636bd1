/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* What ld.so would load for an ELF program, found as glibc searches and never run: PT_INTERP and
 * the DT_NEEDED closure (elf-closure.h). Objects are read by elf-object.c, the cache, machines
 * and dynamic string tokens are elf-ldso.c's. */

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>

#include "elf-closure.h"
#include "error.h"
#include "macro.h"
#include "string-table.h"

#define LOADER_NONE SIZE_MAX

/* ---- Small helpers ---- */

static int path_join(const char *dir, const char *name, char **ret) {
        size_t l = strlen(dir);
        char *p;

        if (l == 0)
                return -EINVAL;
        while (l > 1 && dir[l - 1] == '/')
                l--;
        if (asprintf(&p, "%.*s%s%s", (int) l, dir, dir[l - 1] == '/' ? "" : "/", name) < 0)
                return -ENOMEM;
        *ret = p;
        return 0;
}

/* The directory part of an absolute path: "/a/b/c" → "/a/b", "/c" → "/". */
static int path_dirname(const char *path, char **ret) {
        const char *slash = strrchr(path, '/');
        char *d;

        if (!slash)
                return -EINVAL;
        d = slash == path ? strdup("/") : strndup(path, (size_t) (slash - path));
        if (!d)
                return -ENOMEM;
        *ret = d;
        return 0;
}

static const char *elf_class_name(uint8_t c) {
        return c == ELFCLASS32 ? "32-bit" : c == ELFCLASS64 ? "64-bit" : "unknown-class";
}

/* This process's machine: $PLATFORM (AT_PLATFORM) only describes objects of it. */
#if defined(__x86_64__)
#define HOST_MACHINE EM_X86_64
#elif defined(__i386__)
#define HOST_MACHINE EM_386
#elif defined(__aarch64__)
#define HOST_MACHINE EM_AARCH64
#elif defined(__s390x__)
#define HOST_MACHINE EM_S390
#elif defined(__powerpc64__)
#define HOST_MACHINE EM_PPC64
#elif defined(__riscv)
#define HOST_MACHINE EM_RISCV
#else
#define HOST_MACHINE EM_NONE
#endif
#define HOST_CLASS (__SIZEOF_POINTER__ == 8 ? ELFCLASS64 : ELFCLASS32)

static const char *host_platform(uint8_t elf_class, uint16_t machine) {
        if (HOST_MACHINE == EM_NONE || machine != HOST_MACHINE || elf_class != HOST_CLASS)
                return NULL;
        return (const char *) getauxval(AT_PLATFORM);
}

/* ---- The closure ---- */

static const char *const elf_search_source_table[_ELF_SEARCH_SOURCE_MAX] = {
        [ELF_SEARCH_PATH] = "path",       [ELF_SEARCH_RPATH] = "rpath",
        [ELF_SEARCH_RUNPATH] = "runpath", [ELF_SEARCH_CACHE] = "ld.so.cache",
        [ELF_SEARCH_DEFAULT] = "default",
};
DEFINE_STRING_TABLE_LOOKUP(elf_search_source, ElfSearchSource)

typedef struct Loaded {
        ElfObject *obj;
        char *path;      /* as found */
        char *canonical; /* realpath() */
        char *origin;    /* $ORIGIN */
        char **names;    /* the DT_NEEDED names it satisfied, NULL-terminated */
        dev_t dev;
        ino_t ino;
        size_t loader; /* index of the object whose DT_NEEDED loaded it; LOADER_NONE for the root */
        unsigned depth;
        ElfSearchSource source;
        bool interpreter;
} Loaded;

typedef struct Search {
        const char *cache_path;
        ElfLdCache *cache;
        bool cache_tried;
        char **default_dirs;
        char *lib; /* $LIB */
        Loaded *objects;
        size_t n_objects;
        ElfUnresolved *unresolved;
        size_t n_unresolved;
} Search;

/* One DT_NEEDED name being resolved for one object. */
typedef struct Attempt {
        const char *name;
        size_t needing;
        char *skipped; /* the first candidate skipped for its class or machine */
} Attempt;

static void attempt_done(Attempt *a) {
        free(a->skipped);
}

static void search_done(Search *s) {
        for (size_t i = 0; i < s->n_objects; i++) {
                Loaded *l = &s->objects[i];

                elf_object_free(l->obj);
                free(l->path);
                free(l->canonical);
                free(l->origin);
                strv_free(l->names);
        }
        free(s->objects);
        for (size_t i = 0; i < s->n_unresolved; i++) {
                free(s->unresolved[i].name);
                free(s->unresolved[i].needed_by);
                free(s->unresolved[i].reason);
        }
        free(s->unresolved);
        elf_ld_cache_free(s->cache);
        strv_free(s->default_dirs);
        free(s->lib);
}

static int add_unresolved(Search *s, const char *name, size_t needing, const char *fmt, ...) _printf_(4, 5);
static int add_unresolved(Search *s, const char *name, size_t needing, const char *fmt, ...) {
        ElfUnresolved u = {}, *a;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&u.reason, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        u.name = strdup(name);
        u.needed_by = strdup(s->objects[needing].canonical);
        a = reallocarray(s->unresolved, s->n_unresolved + 1, sizeof(ElfUnresolved));
        if (!u.name || !u.needed_by || !a) {
                if (a)
                        s->unresolved = a;
                free(u.name);
                free(u.needed_by);
                free(u.reason);
                return -ENOMEM;
        }
        s->unresolved = a;
        s->unresolved[s->n_unresolved++] = u;
        return 0;
}

static int loaded_add_name(Loaded *l, const char *name) {
        if (strv_contains(l->names, name))
                return 0;
        return strv_extend(&l->names, name);
}

static bool loaded_matches(const Loaded *l, const char *name) {
        return strcmp(l->path, name) == 0 || strv_contains(l->names, name) ||
               (l->obj->soname && strcmp(l->obj->soname, name) == 0);
}

/* Adds @obj (taken) found at @path for @name. */
static int add_object(Search *s, ElfObject *obj, const char *path, const char *name, size_t loader,
                      ElfSearchSource source, const struct stat *st, bool interpreter, char **ret_error) {
        _cleanup_elf_object_ ElfObject *o = obj;
        Loaded l = {}, *a;
        int r;

        if (s->n_objects >= ELF_CLOSURE_MAX_OBJECTS)
                return error_set(
                        ret_error, -E2BIG,
                        "The closure of %s has more than %u objects; refusing to follow it further.",
                        s->objects[0].canonical, ELF_CLOSURE_MAX_OBJECTS);
        l.depth = loader == LOADER_NONE ? 0 : s->objects[loader].depth + 1;
        if (l.depth > ELF_CLOSURE_MAX_DEPTH)
                return error_set(
                        ret_error, -ELOOP,
                        "The chain of DT_NEEDED from %s to %s is longer than %u; refusing to follow it.",
                        s->objects[0].canonical, path, ELF_CLOSURE_MAX_DEPTH);

        l.canonical = realpath(path, NULL);
        if (!l.canonical) {
                r = negative_errno();
                return error_set(ret_error, r, "Cannot resolve the path %s: %s.", path, strerror(-r));
        }
        r = -ENOMEM;
        l.path = strdup(path);
        if (!l.path)
                goto fail;
        /* ld.so's $ORIGIN: the directory of the path the object was opened by, except for the
         * program, whose path the kernel resolved (/proc/self/exe). */
        r = path_dirname(loader == LOADER_NONE ? l.canonical : l.path, &l.origin);
        if (r < 0)
                goto fail;
        if (name) {
                r = loaded_add_name(&l, name);
                if (r < 0)
                        goto fail;
        }
        a = reallocarray(s->objects, s->n_objects + 1, sizeof(Loaded));
        if (!a) {
                r = -ENOMEM;
                goto fail;
        }
        s->objects = a;
        l.obj = TAKE_PTR(o);
        l.dev = st->st_dev;
        l.ino = st->st_ino;
        l.loader = loader;
        l.source = source;
        l.interpreter = interpreter;
        s->objects[s->n_objects++] = l;
        return 0;

fail:
        free(l.canonical);
        free(l.path);
        free(l.origin);
        strv_free(l.names);
        return r;
}

typedef enum Candidate {
        CANDIDATE_ABSENT,    /* no such file (or not a regular file, or not readable): search on */
        CANDIDATE_OTHER_ABI, /* an ELF file of another class, byte order or machine: search on */
        CANDIDATE_NOT_ELF,   /* stops the search, as in ld.so */
        CANDIDATE_OK,
} Candidate;

/* Looks at the ELF header of @path like ld.so's open_verify(), for an object like @like. */
static Candidate candidate_check(const char *path, const ElfObject *like, struct stat *ret_st) {
        _cleanup_close_ int fd = -1;
        unsigned char h[EI_NIDENT + 4];
        uint16_t machine;
        ssize_t n;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return CANDIDATE_ABSENT;
        if (fstat(fd, ret_st) < 0 || !S_ISREG(ret_st->st_mode))
                return CANDIDATE_ABSENT;
        do
                n = pread(fd, h, sizeof(h), 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return CANDIDATE_ABSENT;
        if ((size_t) n < sizeof(h) || memcmp(h, ELFMAG, SELFMAG) != 0)
                return CANDIDATE_NOT_ELF;
        if (h[EI_CLASS] != like->elf_class || h[EI_DATA] != like->data)
                return CANDIDATE_OTHER_ABI;
        /* e_machine follows e_type, in the file's byte order. */
        machine = h[EI_DATA] == ELFDATA2LSB ? (uint16_t) (h[EI_NIDENT + 2] | h[EI_NIDENT + 3] << 8)
                                            : (uint16_t) (h[EI_NIDENT + 2] << 8 | h[EI_NIDENT + 3]);
        if (machine != like->machine)
                return CANDIDATE_OTHER_ABI;
        return CANDIDATE_OK;
}

/* Returns 1 when the search for @a is over (the object is loaded, or the name is recorded as
 * unresolved), 0 to search on, < 0 on error. */
static int try_candidate(Search *s, Attempt *a, const char *path, ElfSearchSource source, char **ret_error) {
        _cleanup_elf_object_ ElfObject *obj = NULL;
        _cleanup_free_ char *why = NULL;
        const Loaded *needing = &s->objects[a->needing];
        struct stat st;
        int r;

        switch (candidate_check(path, needing->obj, &st)) {
        case CANDIDATE_ABSENT:
                return 0;
        case CANDIDATE_OTHER_ABI:
                if (!a->skipped) {
                        a->skipped = strdup(path);
                        if (!a->skipped)
                                return -ENOMEM;
                }
                return 0;
        case CANDIDATE_NOT_ELF:
                r = add_unresolved(s, a->name, a->needing, "%s is not an ELF file (ld.so stops there).",
                                   path);
                return r < 0 ? r : 1;
        case CANDIDATE_OK:
                break;
        }

        /* The same file under another name: ld.so compares device and inode. */
        for (size_t i = 0; i < s->n_objects; i++)
                if (s->objects[i].dev == st.st_dev && s->objects[i].ino == st.st_ino) {
                        r = loaded_add_name(&s->objects[i], a->name);
                        return r < 0 ? r : 1;
                }

        r = elf_object_read(path, &obj, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                r = add_unresolved(s, a->name, a->needing, "%s", error_message(why, r));
                return r < 0 ? r : 1;
        }
        if (obj->type != ET_DYN) {
                r = add_unresolved(s, a->name, a->needing, "%s is not a shared object (ELF type %u).", path,
                                   obj->type);
                return r < 0 ? r : 1;
        }
        r = add_object(s, TAKE_PTR(obj), path, a->name, a->needing, source, &st, false, ret_error);
        return r < 0 ? r : 1;
}

/* Tries @a->name in each directory of the ':'-separated @list of the object @owner. */
static int try_path_list(Search *s, Attempt *a, const char *list, size_t owner, ElfSearchSource source,
                         char **ret_error) {
        const ElfObject *obj = s->objects[owner].obj;
        const char *platform = host_platform(obj->elf_class, obj->machine);

        for (const char *p = list;;) {
                const char *colon = strchrnul(p, ':');
                _cleanup_free_ char *element = NULL, *dir = NULL, *path = NULL;
                int r;

                element = strndup(p, (size_t) (colon - p));
                if (!element)
                        return -ENOMEM;
                /* s->objects moves when an object is added, but then the search is over. */
                r = elf_expand_dst(element, s->objects[owner].origin, s->lib, platform, &dir);
                if (r == -ENOMEM)
                        return r;
                /* Dropped: a token without value, and relative (or empty) elements, which depend on
                 * the working directory at run time. */
                if (r >= 0 && dir[0] == '/') {
                        r = path_join(dir, a->name, &path);
                        if (r < 0)
                                return r;
                        r = try_candidate(s, a, path, source, ret_error);
                        if (r != 0)
                                return r;
                }
                if (!*colon)
                        return 0;
                p = colon + 1;
        }
}

static int resolve_needed(Search *s, size_t needing, const char *name, char **ret_error) {
        _cleanup_(attempt_done) Attempt a = { .name = name, .needing = needing };
        const ElfObject *obj = s->objects[needing].obj;
        int r;

        if (name[0] == '\0')
                return add_unresolved(s, name, needing, "The DT_NEEDED entry is empty.");

        for (size_t i = 0; i < s->n_objects; i++)
                if (loaded_matches(&s->objects[i], name))
                        return 0;

        if (strchr(name, '/')) {
                _cleanup_free_ char *path = NULL;

                r = elf_expand_dst(name, s->objects[needing].origin, s->lib,
                                   host_platform(obj->elf_class, obj->machine), &path);
                if (r == -ENOKEY)
                        return add_unresolved(s, name, needing,
                                              "It holds a dynamic string token that has no value "
                                              "here.");
                if (r < 0)
                        return r;
                if (path[0] != '/')
                        return add_unresolved(s, name, needing,
                                              "It is a relative path: what it names depends on the working "
                                              "directory at run time.");
                r = try_candidate(s, &a, path, ELF_SEARCH_PATH, ret_error);
                if (r != 0)
                        return r < 0 ? r : 0;
                if (a.skipped)
                        return add_unresolved(s, name, needing,
                                              "%s is not for the same ELF class or machine.", path);
                return add_unresolved(s, name, needing, "%s does not exist.", path);
        }

        /* DT_RPATH of the needing object, its loader, …, up to the program; not at all when the
         * needing object has DT_RUNPATH. An object with both has its DT_RPATH ignored. */
        if (!obj->runpath)
                for (size_t l = needing; l != LOADER_NONE; l = s->objects[l].loader) {
                        const ElfObject *lo = s->objects[l].obj;

                        if (!lo->rpath || lo->runpath)
                                continue;
                        r = try_path_list(s, &a, lo->rpath, l, ELF_SEARCH_RPATH, ret_error);
                        if (r != 0)
                                return r < 0 ? r : 0;
                }

        /* (LD_LIBRARY_PATH would come here: deliberately not honoured.) */

        if (obj->runpath) {
                r = try_path_list(s, &a, obj->runpath, needing, ELF_SEARCH_RUNPATH, ret_error);
                if (r != 0)
                        return r < 0 ? r : 0;
        }

        if (!(obj->flags_1 & DF_1_NODEFLIB)) {
                int32_t flags = elf_ld_cache_flags_for(obj->elf_class, obj->machine);
                size_t iter = 0;
                const char *p;

                if (!s->cache_tried) {
                        s->cache_tried = true;
                        /* Missing or damaged: ignored, as ld.so does. */
                        if (s->cache_path[0] != '\0' &&
                            elf_ld_cache_load(s->cache_path, &s->cache) == -ENOMEM)
                                return -ENOMEM;
                }
                while ((p = elf_ld_cache_lookup(s->cache, name, flags, &iter))) {
                        if (p[0] != '/')
                                continue;
                        r = try_candidate(s, &a, p, ELF_SEARCH_CACHE, ret_error);
                        if (r != 0)
                                return r < 0 ? r : 0;
                }

                for (char **d = s->default_dirs; d && *d; d++) {
                        _cleanup_free_ char *path = NULL;

                        if ((*d)[0] != '/')
                                continue;
                        r = path_join(*d, name, &path);
                        if (r < 0)
                                return r;
                        r = try_candidate(s, &a, path, ELF_SEARCH_DEFAULT, ret_error);
                        if (r != 0)
                                return r < 0 ? r : 0;
                }
        }

        if (a.skipped)
                return add_unresolved(
                        s, name, needing,
                        "Not found for a %s object of machine %u: %s was skipped, it is for another "
                        "ELF class, byte order or machine.",
                        elf_class_name(obj->elf_class), obj->machine, a.skipped);
        return add_unresolved(s, name, needing,
                              "Not found in the DT_RPATH, DT_RUNPATH, ld.so.cache or default directories.");
}

static int resolve_interpreter(Search *s, ElfClosure *c, char **ret_error) {
        _cleanup_elf_object_ ElfObject *obj = NULL;
        _cleanup_free_ char *why = NULL;
        const char *interp = s->objects[0].obj->interpreter;
        struct stat st;
        int r;

        if (interp[0] != '/')
                return add_unresolved(
                        s, interp, 0,
                        "The program interpreter is a relative path: what it names depends on the "
                        "working directory at run time.");
        switch (candidate_check(interp, s->objects[0].obj, &st)) {
        case CANDIDATE_ABSENT:
                return add_unresolved(s, interp, 0, "The program interpreter %s does not exist.", interp);
        case CANDIDATE_OTHER_ABI:
                return add_unresolved(
                        s, interp, 0,
                        "The program interpreter %s is not for the program's ELF class or machine.", interp);
        case CANDIDATE_NOT_ELF:
                return add_unresolved(s, interp, 0, "The program interpreter %s is not an ELF file.",
                                      interp);
        case CANDIDATE_OK:
                break;
        }
        r = elf_object_read(interp, &obj, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return add_unresolved(s, interp, 0, "%s", error_message(why, r));

        r = add_object(s, TAKE_PTR(obj), interp, interp, 0, ELF_SEARCH_PATH, &st, true, ret_error);
        if (r < 0)
                return r;
        c->interpreter_realpath = strdup(s->objects[s->n_objects - 1].canonical);
        return c->interpreter_realpath ? 0 : -ENOMEM;
}

ElfClosure *elf_closure_free(ElfClosure *c) {
        if (!c)
                return NULL;
        free(c->path);
        free(c->interpreter);
        free(c->interpreter_realpath);
        for (size_t i = 0; i < c->n_libraries; i++) {
                ElfLibrary *l = &c->libraries[i];

                free(l->name);
                free(l->path);
                free(l->realpath);
                free(l->soname);
                free(l->needed_by);
        }
        free(c->libraries);
        for (size_t i = 0; i < c->n_unresolved; i++) {
                free(c->unresolved[i].name);
                free(c->unresolved[i].needed_by);
                free(c->unresolved[i].reason);
        }
        free(c->unresolved);
        free(c);
        return NULL;
}

static int closure_collect(Search *s, ElfClosure *c) {
        c->libraries = calloc(s->n_objects, sizeof(ElfLibrary));
        if (!c->libraries)
                return -ENOMEM;
        for (size_t i = 1; i < s->n_objects; i++) {
                const Loaded *o = &s->objects[i];
                ElfLibrary *l = &c->libraries[c->n_libraries];

                if (o->interpreter)
                        continue;
                c->n_libraries++;
                l->source = o->source;
                l->depth = o->depth;
                l->name = strdup(o->names[0]);
                l->path = strdup(o->path);
                l->realpath = strdup(o->canonical);
                l->needed_by = strdup(s->objects[o->loader].canonical);
                if (o->obj->soname)
                        l->soname = strdup(o->obj->soname);
                if (!l->name || !l->path || !l->realpath || !l->needed_by || (o->obj->soname && !l->soname))
                        return -ENOMEM;
        }
        c->unresolved = TAKE_PTR(s->unresolved);
        c->n_unresolved = s->n_unresolved;
        s->n_unresolved = 0;
        return 0;
}

int elf_closure(const char *path, const ElfClosureOptions *options, ElfClosure **ret, char **ret_error) {
        _cleanup_elf_closure_ ElfClosure *c = NULL;
        _cleanup_elf_object_ ElfObject *root = NULL;
        Search s = {};
        struct stat st;
        int r;

        if (!path || !ret)
                return -EINVAL;

        r = elf_object_read(path, &root, ret_error);
        if (r < 0)
                return r;
        if (root->type != ET_EXEC && root->type != ET_DYN)
                return error_set(ret_error, -ENOEXEC,
                                 "%s is an ELF file but not an executable or shared object (ELF type %u).",
                                 path, root->type);
        if (stat(path, &st) < 0) {
                r = negative_errno();
                return error_set(ret_error, r, "Cannot stat %s: %s.", path, strerror(-r));
        }

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        if (root->interpreter) {
                c->interpreter = strdup(root->interpreter);
                if (!c->interpreter)
                        return -ENOMEM;
        }

        s.cache_path = options && options->ld_so_cache ? options->ld_so_cache : ELF_LD_CACHE_PATH;
        r = elf_default_dirs(root->elf_class, root->machine, &s.default_dirs, &s.lib);
        if (r < 0)
                goto finish;
        if (options && options->default_dirs) {
                strv_free(s.default_dirs);
                s.default_dirs = NULL;
                for (const char *const *d = options->default_dirs; *d; d++) {
                        r = strv_extend(&s.default_dirs, *d);
                        if (r < 0)
                                goto finish;
                }
        }

        r = add_object(&s, TAKE_PTR(root), path, NULL, LOADER_NONE, ELF_SEARCH_PATH, &st, false, ret_error);
        if (r < 0)
                goto finish;
        c->path = strdup(s.objects[0].canonical);
        if (!c->path) {
                r = -ENOMEM;
                goto finish;
        }

        if (c->interpreter) {
                r = resolve_interpreter(&s, c, ret_error);
                if (r < 0)
                        goto finish;
        }

        /* Breadth first, like _dl_map_object_deps(): the objects array grows while it is walked. */
        for (size_t i = 0; i < s.n_objects; i++) {
                if (s.objects[i].interpreter)
                        continue;
                for (size_t j = 0; j < s.objects[i].obj->n_needed; j++) {
                        r = resolve_needed(&s, i, s.objects[i].obj->needed[j], ret_error);
                        if (r < 0)
                                goto finish;
                }
        }

        r = closure_collect(&s, c);
        if (r < 0)
                goto finish;
        *ret = TAKE_PTR(c);
        r = 0;
finish:
        search_done(&s);
        return r;
}

const ElfLibrary *elf_closure_find(const ElfClosure *c, const char *canonical) {
        for (size_t i = 0; c && canonical && i < c->n_libraries; i++)
                if (strcmp(c->libraries[i].realpath, canonical) == 0)
                        return &c->libraries[i];
        return NULL;
}
