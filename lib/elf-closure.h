/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the dynamic loader would load for an ELF executable or shared object: its program
 * interpreter and its shared-library closure, found by reading ELF files with elfutils' libelf —
 * never by running the program or ldd.
 *
 * The search follows glibc's ld.so (elf/dl-load.c, elf/dl-deps.c) for the common cases,
 * breadth first, each object loaded once. For each DT_NEEDED name of an object:
 *  - a name already loaded (as a needed name, as the path it was found by, or as its DT_SONAME)
 *    is that object, and so is a file already loaded under another name (same device and inode);
 *  - a name containing '/' is a path (dynamic string tokens expanded). A relative one depends
 *    on the working directory at run time and is reported unresolved;
 *  - otherwise, in order: DT_RPATH of the needing object, then of the object that loaded it,
 *    and so on up to the program — only when the needing object has no DT_RUNPATH (an object
 *    with both has its DT_RPATH ignored, as glibc does); DT_RUNPATH of the needing object;
 *    /etc/ld.so.cache; the default directories of the object's machine (for x86_64:
 *    /lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu, /lib64, /usr/lib64, /lib, /usr/lib).
 *    The cache and the default directories are skipped for a needing object with
 *    DF_1_NODEFLIB;
 *  - a candidate whose ELF class, byte order or machine differ from the needing object's is
 *    skipped (a 32-bit library in a directory searched for a 64-bit program), as ld.so does; a
 *    candidate that is not an ELF file at all stops the search (ld.so fails there too).
 *
 * LD_LIBRARY_PATH and /etc/ld.so.preload are NOT honoured: the daemon computes closures for
 * programs that run in other environments (services), its own environment says nothing about
 * theirs, and a placed closure must not depend on one.
 *
 * Dynamic string tokens (in DT_RPATH, DT_RUNPATH and names containing '/'):
 *  - $ORIGIN, ${ORIGIN}: the directory of the object — of its canonical path for the object the
 *    closure is computed for (the kernel's /proc/self/exe view), of the path it was found by for
 *    a library (what ld.so does: symbolic links in the search path are not resolved);
 *  - $LIB, ${LIB}: "lib/<multiarch>" when /lib/<multiarch> exists (Debian's glibc), otherwise
 *    the machine's library directory ("lib64" on x86_64);
 *  - $PLATFORM, ${PLATFORM}: this host's AT_PLATFORM, for objects of the host's machine only.
 * A path element with a token that has no value is dropped, as ld.so does.
 *
 * Not modelled: the glibc-hwcaps and legacy hwcap subdirectories ld.so tries first in each
 * directory (glibc-hwcaps/x86-64-v3/, tls/, x86_64/) and the hwcap entries of ld.so.cache (a
 * system with CPU-specific builds of a library may run one of those instead of the one
 * reported); secure-execution (setuid) restrictions; relative path elements in DT_RPATH and
 * DT_RUNPATH (they depend on the working directory at run time: dropped); libraries opened with
 * dlopen() (they are in no DT_NEEDED); DT_NEEDED entries of the program interpreter itself. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "strv.h"

/* At most this many objects in a closure (the program, its interpreter and the libraries), and
 * at most this long a chain of DT_NEEDED from the program. */
#define ELF_CLOSURE_MAX_OBJECTS 1024u
#define ELF_CLOSURE_MAX_DEPTH   64u

/* ---- One ELF file ---- */

typedef struct ElfSegment {
        uint32_t type;  /* PT_* */
        uint32_t flags; /* PF_R | PF_W | PF_X */
        uint64_t offset, vaddr, filesz, memsz, align;
} ElfSegment;

/* What one ELF file says about loading it: header, program headers, PT_INTERP and the dynamic
 * section (read through the section headers: SHT_DYNAMIC and its sh_link string table; through
 * PT_DYNAMIC and DT_STRTAB/DT_STRSZ when the section headers were stripped). */
typedef struct ElfObject {
        char *path;        /* as opened, or the name given with its file descriptor */
        uint8_t elf_class; /* ELFCLASS32, ELFCLASS64 */
        uint8_t data;      /* ELFDATA2LSB, ELFDATA2MSB */
        uint8_t osabi;
        uint16_t type;    /* ET_EXEC, ET_DYN, … */
        uint16_t machine; /* EM_* */
        uint32_t e_flags;
        uint64_t phoff;       /* e_phoff: where the program header table starts in the file */
        uint16_t phentsize;   /* e_phentsize, as the header says (libelf reads the table with its
                               * own entry size, whatever this is) */
        ElfSegment *segments; /* all program headers, in file order */
        size_t n_segments;
        char *interpreter; /* PT_INTERP, NULL if none */
        bool dynamic;      /* has PT_DYNAMIC; false for a static executable */
        char **needed;     /* DT_NEEDED in order */
        size_t n_needed;
        char *soname;     /* DT_SONAME, NULL if none */
        char *rpath;      /* DT_RPATH as written, NULL if none (even when DT_RUNPATH hides it) */
        char *runpath;    /* DT_RUNPATH as written, NULL if none */
        uint64_t flags;   /* DT_FLAGS */
        uint64_t flags_1; /* DT_FLAGS_1 */
        bool textrel;     /* DT_TEXTREL, or DF_TEXTREL in DT_FLAGS */
} ElfObject;

ElfObject *elf_object_free(ElfObject *o);
static inline void elf_object_freep(ElfObject **o) {
        elf_object_free(*o);
}
#define _cleanup_elf_object_ __attribute__((cleanup(elf_object_freep)))

/* Reads @path (opened O_RDONLY|O_CLOEXEC; libelf with ELF_C_READ, so a file truncated while it
 * is read cannot fault). -ENOEXEC "… is not an ELF file" for anything else, -EBADMSG for an ELF
 * file that is damaged or truncated, saying where. */
int elf_object_read(const char *path, ElfObject **ret, char **ret_error);
/* The same for the file open at @fd (for reading; left open, its offset unchanged: libelf reads
 * with pread() and never maps it), named @name in messages and in ->path. */
int elf_object_read_fd(int fd, const char *name, ElfObject **ret, char **ret_error);

/* ---- /etc/ld.so.cache ---- */

/* glibc's cache written by ldconfig: the "glibc-ld.so.cache1.1" format, alone or after the old
 * "ld.so-1.7.0" one (then only the new part is read); the old format alone is read too. It is
 * untrusted input: every count, offset and string is bounds-checked, anything out of bounds
 * refuses the whole file (-EBADMSG), as does a cache written for the other byte order. */

#define ELF_LD_CACHE_PATH        "/etc/ld.so.cache"
#define ELF_LD_CACHE_MAX_SIZE    (64u * 1024u * 1024u)
#define ELF_LD_CACHE_FLAGS_ANY   INT32_C(-1) /* for elf_ld_cache_lookup(): any glibc ELF entry */
#define ELF_LD_CACHE_TYPE_MASK   0x00ff
#define ELF_LD_CACHE_ELF_LIBC6   0x0003
#define ELF_LD_CACHE_X8664_LIB64 0x0300

typedef struct ElfLdCacheEntry {
        int32_t flags;     /* FLAG_ELF_LIBC6 | the ABI (FLAG_X8664_LIB64, …) */
        uint64_t hwcap;    /* 0 for an ordinary entry */
        const char *key;   /* the soname, "libc.so.6" */
        const char *value; /* its path */
} ElfLdCacheEntry;

typedef struct ElfLdCache {
        char *data; /* a private copy of the file; entries point into it */
        size_t size;
        ElfLdCacheEntry *entries;
        size_t n_entries;
} ElfLdCache;

ElfLdCache *elf_ld_cache_free(ElfLdCache *c);
static inline void elf_ld_cache_freep(ElfLdCache **c) {
        elf_ld_cache_free(*c);
}
#define _cleanup_elf_ld_cache_ __attribute__((cleanup(elf_ld_cache_freep)))

int elf_ld_cache_parse(const void *data, size_t size, ElfLdCache **ret);
int elf_ld_cache_load(const char *path, ElfLdCache **ret);

/* The cache flags ld.so accepts for objects of this class and machine: 0x0303 for x86_64.
 * ELF_LD_CACHE_FLAGS_ANY for a machine not in the table (candidates are checked anyway). */
int32_t elf_ld_cache_flags_for(uint8_t elf_class, uint16_t machine);

/* The path of the next entry from *iter on (start with 0) whose key is @name and whose flags
 * are @flags, skipping hwcap entries; NULL when there is none left. */
const char *elf_ld_cache_lookup(const ElfLdCache *c, const char *name, int32_t flags, size_t *iter);

/* ---- Search paths ---- */

/* Expands $ORIGIN, $LIB and $PLATFORM (also in the ${…} form) in @s. A token whose value is
 * NULL makes the string unusable: -ENOKEY (the path element is dropped). A '$' that starts no
 * known token is kept, as in "$ORIGINAL" or "$HOME". */
int elf_expand_dst(const char *s, const char *origin, const char *lib, const char *platform, char **ret);

/* The default directories for objects of this class and machine in search order (a newly
 * allocated NULL-terminated array, for strv_free()), and the value of $LIB. */
int elf_default_dirs(uint8_t elf_class, uint16_t machine, char ***ret_dirs, char **ret_lib);

/* ---- The closure ---- */

typedef enum ElfSearchSource {
        ELF_SEARCH_PATH,    /* the name contains '/' */
        ELF_SEARCH_RPATH,   /* DT_RPATH of the needing object or of one of its loaders */
        ELF_SEARCH_RUNPATH, /* DT_RUNPATH of the needing object */
        ELF_SEARCH_CACHE,   /* /etc/ld.so.cache */
        ELF_SEARCH_DEFAULT, /* a default directory */
        _ELF_SEARCH_SOURCE_MAX,
        _ELF_SEARCH_SOURCE_INVALID = -EINVAL,
} ElfSearchSource;

const char *elf_search_source_to_string(ElfSearchSource s) _pure_;
ElfSearchSource elf_search_source_from_string(const char *s) _pure_;

typedef struct ElfLibrary {
        char *name;      /* the DT_NEEDED name that first needed it */
        char *path;      /* the path ld.so opens: directory + name, the cache's path, or the name */
        char *realpath;  /* canonical absolute path: the file to place */
        char *soname;    /* DT_SONAME, NULL if none */
        char *needed_by; /* canonical path of the object whose DT_NEEDED found it */
        ElfSearchSource source;
        unsigned depth; /* 1 for a dependency of the program itself */
} ElfLibrary;

typedef struct ElfUnresolved {
        char *name;      /* the DT_NEEDED name, or the PT_INTERP path */
        char *needed_by; /* canonical path of the object that needs it */
        char *reason;    /* a sentence: not found, skipped candidates, not an ELF file, … */
} ElfUnresolved;

typedef struct ElfClosure {
        char *path;                 /* canonical path of the object itself */
        char *interpreter;          /* PT_INTERP as written; NULL for a static program or a library */
        char *interpreter_realpath; /* its canonical path; NULL when it is unusable (then unresolved) */
        ElfLibrary *libraries;      /* in load order; the interpreter is not repeated here even
                                     * when a library names it in DT_NEEDED (ld.so matches it by
                                     * soname) */
        size_t n_libraries;
        ElfUnresolved *unresolved;
        size_t n_unresolved;
} ElfClosure;

typedef struct ElfClosureOptions {
        const char *ld_so_cache;         /* NULL: ELF_LD_CACHE_PATH; "": no cache */
        const char *const *default_dirs; /* NULL: the machine's; else NULL-terminated */
} ElfClosureOptions;

ElfClosure *elf_closure_free(ElfClosure *c);
static inline void elf_closure_freep(ElfClosure **c) {
        elf_closure_free(*c);
}
#define _cleanup_elf_closure_ __attribute__((cleanup(elf_closure_freep)))

/* The closure of @path (@options may be NULL). Libraries that cannot be found are listed in
 * unresolved, not an error: the caller decides. Errors: the object itself cannot be read or is
 * not an executable or shared object (-ENOEXEC, -EBADMSG), the closure exceeds
 * ELF_CLOSURE_MAX_OBJECTS (-E2BIG) or ELF_CLOSURE_MAX_DEPTH (-ELOOP). A missing or damaged
 * ld.so.cache is ignored, as ld.so ignores it. */
int elf_closure(const char *path, const ElfClosureOptions *options, ElfClosure **ret, char **ret_error);

/* The library of @c whose realpath is @p, NULL if none. */
const ElfLibrary *elf_closure_find(const ElfClosure *c, const char *canonical);
