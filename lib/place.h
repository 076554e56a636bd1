/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* XIP zones and placements.
 *
 * A zone is a directory on a mount where DAX is in effect for new files (checked with a probe
 * file, never assumed from mount options; on dax=inode mounts the directory gets FS_XFLAG_DAX
 * so what is placed inherits it). Inside, root/ mirrors the host paths of placed files
 * (root/usr/bin/foo is the copy of /usr/bin/foo) and bin/ holds entry points.
 *
 * Placing copies a file into root/ atomically: an O_TMPFILE inode is written, given the
 * source's owner, mode, times and extended attributes (file capabilities last: chown clears
 * them), fsynced, linked under a temporary name and renamed over the final name, and the
 * directory is fsynced. A crash leaves either the old copy or the new one, never a partial
 * file. The copy must come out DAX (statx), or it is removed and the reason given. Before it is
 * linked, a program's copy gets p_align 2 MiB on its text PT_LOADs where that makes every load
 * of it congruent modulo 2 MiB, and the copy's windows are primed (place-pmd.c, docs/XIP.md).
 *
 * Every placement is recorded with the source's identity (device, inode, size, mtime, ctime) in
 * a state file written the same atomic way, so a changed source is detected (stale) after any
 * number of reboots. The content's SHA-256 is not taken while copying (it would halve the
 * copy's speed): the record says the hash is pending and holds the copy's own identity; the
 * copy is hashed when a changed source identity first needs the comparison, and only while its
 * identity is still the one it had when written (docs/XIP.md, "The copy and its hash"). */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

struct json_object;
struct stat;

typedef enum PlaceRole {
        PLACE_PROGRAM,
        PLACE_LIBRARY,
        PLACE_INTERPRETER,
        _PLACE_ROLE_MAX,
        _PLACE_ROLE_INVALID = -EINVAL,
} PlaceRole;

const char *place_role_to_string(PlaceRole r);
PlaceRole place_role_from_string(const char *s);

/* What a copy's layout allows for 2 MiB (PMD) mappings of its text. */
typedef struct PlacementLayout {
        uint64_t text_bytes;
        uint64_t windows;         /* PMD-eligible windows by the ELF layout (elf-advice.h) */
        uint64_t aligned_windows; /* of those, physically 2 MiB-aligned on the device (FIEMAP) */
        double coverage;          /* windows × 2 MiB / text_bytes */
        bool extents_known;       /* false: the filesystem has no FIEMAP; aligned_windows is 0 */
} PlacementLayout;

/* A program header of a copy whose p_align daxmgr raised to 2 MiB (elf_pmd_align_segments()),
 * and the source's value, so that the source's bytes can be told from the copy's. */
typedef struct PlacementAlign {
        uint32_t phdr; /* index in the program header table */
        uint64_t was;  /* the source's p_align */
} PlacementAlign;

#define PLACEMENT_ALIGN_MAX 4

typedef struct Placement {
        char *zone;   /* the zone directory */
        char *source; /* absolute path of the original */
        char *copy;   /* absolute path of the copy in the zone */
        PlaceRole role;
        char *program;           /* the program this file was placed for (itself for a program) */
        uint64_t dev, ino, size; /* the source's identity when placed */
        int64_t mtime_ns;
        int64_t ctime_ns; /* 0 in a state written before it was recorded: not compared */
        /* The SHA-256 of the content placed (hex). While @hash_pending, not known yet: 64 zeros
         * here (what older versions read: a hash no content has), and @copy_identity is the
         * copy's inode, size, mtime and ctime right after it was written, which the copy must
         * still have when it is hashed. */
        char sha256[65];
        bool hash_pending;
        struct {
                uint64_t ino, size;
                int64_t mtime_ns, ctime_ns;
        } copy_identity;

        /* The program's own record (role PLACE_PROGRAM) of a placement made by hand (daxmgr place)
         * also remembers what it was asked for, so that the daemon can follow a change of the
         * original as it does for a configured placement. Unset (has_activation false) in older
         * states and in the records of libraries. */
        bool has_activation;
        bool refresh_manual; /* --refresh-policy=manual */
        bool entry_point;
        bool bind_host;
        char *service; /* NULL: none */

        /* Activation (a) as it is in force: the service daxmgr-generator writes a drop-in for,
         * binding this program's copies (set on the program's record, configured or by hand;
         * NULL: none). Kept apart from @service, which is only what a placement by hand asked
         * for: a stale copy under Refresh=manual clears this one and keeps that one. */
        char *dropin_unit;
        /* What the reconcile made for a configured placement (its program's record), so that it
         * can undo it once the configuration no longer asks for it: the unit whose drop-in it
         * wrote, the entry point, the host bind. Unset in older states: then only what the
         * machine shows (an entry point, a bind mount) can be undone, not a drop-in of a unit
         * no longer named anywhere. */
        char *applied_service; /* NULL: none */
        bool applied_entry_point;
        bool applied_bind_host;

        /* The copy's layout for 2 MiB mappings, found when it was written (from the one read of its
         * ELF headers that also raised its p_align, and one FIEMAP: what placement_layout() finds
         * in the copy), so that nobody has to read the copy again to tell. Unset (layout_known false) for an
         * alias, a file that is not ELF, and in states written before it was recorded, until the file is
         * copied again. */
        bool layout_known;
        PlacementLayout layout;

        /* The program headers whose p_align the copy has at 2 MiB and the source has not (an ET_DYN
         * program with PMD-eligible windows: see place_file()). The copy differs from the source in
         * those 8 bytes each; the recorded identity and SHA-256 stay the source's. */
        PlacementAlign aligned[PLACEMENT_ALIGN_MAX];
        size_t n_aligned;

        /* Not saved: how the copy's windows were primed when it was written (place_file()):
         * prime_error is 0, or the negative errno of the mapping that failed (a warning, never a
         * failed placement); primed_windows counts the windows faulted in. */
        int prime_error;
        uint64_t primed_windows;
} Placement;

typedef struct PlaceState {
        char *file; /* <state_dir>/placements.json */
        char **zones;
        size_t n_zones;
        Placement *placements;
        size_t n_placements;
} PlaceState;

PlaceState *place_state_free(PlaceState *s);
static inline void place_state_freep(PlaceState **s) {
        place_state_free(*s);
}
#define _cleanup_place_state_ __attribute__((cleanup(place_state_freep)))

/* Loads <state_dir>/placements.json (an absent file is an empty state). */
int place_state_load(const char *state_dir, PlaceState **ret, char **ret_error);
/* Writes it atomically (temporary file, fsync, rename, fsync of the directory). */
int place_state_save(const PlaceState *s, char **ret_error);
int place_state_to_json(const PlaceState *s, struct json_object **ret);
int place_state_from_json(struct json_object *j, const char *file, PlaceState **ret, char **ret_error);

/* Creates (or re-checks) a zone at @dir: refuses unless DAX is really in effect for new files
 * there, saying why not. Records it in @s (not saved). */
int zone_create(PlaceState *s, const char *dir, char **ret_error);
/* Removes an empty zone from @s (refuses while it holds placements). */
int zone_remove(PlaceState *s, const char *dir, char **ret_error);
bool place_state_has_zone(const PlaceState *s, const char *dir);

/* The copy path of @source in @zone: <zone>/root<source>. */
int place_copy_path(const char *zone, const char *source, char **ret);

/* Copies @source (absolute, a regular file) into @zone atomically and records it (replacing an
 * earlier placement of the same source in that zone). */
int place_file(PlaceState *s, const char *zone, const char *source, PlaceRole role, const char *program,
               char **ret_error);

/* Places @program, and with @with_libs its program interpreter and shared-library closure
 * (read from the ELF, never by running anything). Unresolved libraries are an error. */
int place_program(PlaceState *s, const char *zone, const char *program, bool with_libs, char **ret_error);

/* One extent of a file as FIEMAP reports it (bytes). */
typedef struct FileExtent {
        uint64_t logical, physical, length;
        uint32_t flags; /* FIEMAP_EXTENT_* */
} FileExtent;

/* Of the 2 MiB windows at file offsets @windows, how many lie physically 2 MiB-aligned on the
 * device: covered wholly by extents of one run (physical - logical the same for all, nothing
 * unknown, delayed, encoded, inline or unwritten) whose physical offset plus @device_start (the
 * partition's start within the namespace) is a multiple of 2 MiB at the window. Pure. */
uint64_t extents_pmd_aligned_windows(const FileExtent *extents, size_t n_extents, const uint64_t *windows,
                                     size_t n_windows, uint64_t device_start);

/* Reads the copy's program headers and its extents (by path: the layout a placement records of
 * the copy it writes, read again). -ENOEXEC for a file that is not an ELF executable or shared
 * object. */
int placement_layout(const char *copy, PlacementLayout *ret, char **ret_error);
/* A sentence about a layout whose windows are not all aligned (NULL when they are, or there
 * are none): what it costs and what to do. */
int placement_layout_warning(const char *copy, const PlacementLayout *l, char **ret);

/* A sentence about a copy whose windows could not be primed when it was written (NULL when they
 * were, or there were none to prime). */
int placement_prime_warning(const Placement *p, char **ret);
/* placement_prime_warning() of every file of @st written since it was loaded (only those know
 * whether they were primed: it is not saved), in the state's order; *ret is NULL when there is
 * none. */
int place_state_prime_warnings(const PlaceState *st, char ***ret);

/* Has the source changed since it was placed? *ret_why (optional) says how. Hashes the source
 * when its identity changed (and the copy, when its hash is pending). */
int placement_is_stale(const Placement *p, bool *ret_stale, char **ret_why);

/* The SHA-256 of files by identity (device, inode, size, mtime, ctime), so that a file whose
 * identity changed but whose content did not (touch, a package reinstalled) is hashed once, not
 * at every check. Bounded: the oldest entries go first. */
typedef struct PlaceHashEntry {
        uint64_t dev, ino, size;
        int64_t mtime_ns, ctime_ns;
        char sha256[65];
} PlaceHashEntry;

typedef struct PlaceHashCache {
        PlaceHashEntry *entries;
        size_t n, next; /* a ring of PLACE_HASH_CACHE_MAX */
} PlaceHashCache;

#define PLACE_HASH_CACHE_MAX 4096

void place_hash_cache_done(PlaceHashCache *c);
const PlaceHashEntry *place_hash_cache_find(const PlaceHashCache *c, const struct stat *st);
int place_hash_cache_add(PlaceHashCache *c, const PlaceHashEntry *e);

typedef enum PlaceCheck {
        PLACE_CHECK_FRESH,   /* the copy is what the original is */
        PLACE_CHECK_STALE,   /* the original changed: content, owner, mode or capabilities */
        PLACE_CHECK_UNKNOWN, /* the identity changed and the content is not hashed yet (!may_hash) */
        _PLACE_CHECK_MAX,
} PlaceCheck;

/* placement_is_stale() in steps: stat() first; only when the identity changed, the content's
 * SHA-256, from @cache (optional) or, when @may_hash, read now (and added to @cache); with the
 * placement's hash pending, the copy's too, the same way, keyed by the copy's identity (a copy
 * whose identity is no longer the one recorded when it was written is stale). Without
 * @may_hash an unknown hash gives PLACE_CHECK_UNKNOWN: the event loop of the daemon never reads a
 * whole file. When the content is the same, the owner, mode and file capabilities are compared
 * with the copy's. *ret_why (optional) says what changed. */
int placement_check(const Placement *p, PlaceHashCache *cache, bool may_hash, PlaceCheck *ret,
                    char **ret_why);

/* The placed content's SHA-256 of a placement whose hash is pending: the copy's, from @cache or,
 * when @may_hash, read now (and added to @cache, keyed by the copy's identity; *ret_st, optional,
 * gets that identity). Returns 1 with @ret_sha set, 0 when not known (!may_hash), -ESTALE when the
 * copy is gone or its identity is no longer the one recorded when it was written. */
int placement_copy_hash(const Placement *p, PlaceHashCache *cache, bool may_hash, char ret_sha[static 65],
                        struct stat *ret_st);

/* For a program placed with its loader and libraries: would ld.so now load other files than the
 * placed ones (a new soname version, a changed ld.so.cache, a library that moved)? Reads the
 * ELF closure again (libelf, never runs anything). *ret_why gets the first difference, or NULL
 * when the closure is still the placed one. */
int placement_closure_changed(const PlaceState *s, const char *zone, const char *program, char **ret_why);

/* The program record of @program in @zone, or NULL. */
Placement *place_state_find_program(const PlaceState *s, const char *zone, const char *program);
/* Was @program placed with its loader (and so with its libraries)? */
bool place_state_with_libraries(const PlaceState *s, const char *zone, const char *program);
/* Copies the source again (after a package upgrade) and updates the record. */
int placement_refresh(PlaceState *s, Placement *p, char **ret_error);

/* Removes the placement of @program in @zone (all its files no other placed program needs).
 * Refuses while a process maps or runs one of the copies unless @force. */
int place_remove(PlaceState *s, const char *zone, const char *program, bool force, char **ret_error);

/* Activation (a) is materialized by daxmgr-generator (generator/daxmgr-generator.c), a systemd
 * generator: at boot and on every daemon-reload it reads the placement state and writes
 * <normal-dir>/UNIT.d/50-daxmgr-xip.conf for every program record with a @dropin_unit. Nothing
 * is written to /etc: the daemon records the activation in the state, saves it and asks
 * systemd to reload (place_systemd_reload()); undoing it is the same with the record cleared.
 * An administrator overrides a drop-in with a file of the same name in
 * /etc/systemd/system/UNIT.d/ (a link to /dev/null masks it). */
#define PLACE_GENERATOR_DIR "/run/systemd/generator"
/* Where the drop-ins are read back from (the plan's facts): the generator's output. A test
 * or the daemon's DAXMGR_DROPIN_ROOT may give another directory, into which place_and_activate()
 * then also writes them itself. */
#define PLACE_DROPIN_ROOT PLACE_GENERATOR_DIR
#define PLACE_DROPIN_NAME "50-daxmgr-xip.conf"
/* Where versions before the generator wrote them, marked by PLACE_DROPIN_MARKER as first line. */
#define PLACE_LEGACY_DROPIN_ROOT "/etc/systemd/system"
#define PLACE_DROPIN_MARKER      "# Generated by daxmgr"

/* Removes the loader and libraries placed for @program in @zone (their files no other placed
 * program needs, and their records), keeping the program itself: WithLibraries= turned off. */
int place_remove_libraries(PlaceState *s, const char *zone, const char *program, char **ret_error);

/* Records (or with @unit NULL clears) activation (a) of @program (its program record, by the
 * path it is recorded under or that path resolved) in @zone. Not saved. */
int place_set_dropin_unit(PlaceState *s, const char *zone, const char *program, const char *unit,
                          char **ret_error);

/* The text of @unit's drop-in: for every program record of @s whose @dropin_unit is @unit, its
 * copies bound read-only over the originals (BindReadOnlyPaths=-COPY:ORIGINAL; "-": a copy
 * missing at start, the zone not mounted, is skipped and the service runs the original), and
 * the service ordered after the zone's mount units and daxmgrd.service (After= only: soft).
 * A program one of whose originals is gone or replaced since it was placed (another inode or
 * size: a stat, never a hash) is left out: it runs its originals until the daemon refreshes it. Returns 0
 * and *ret_text NULL when nothing is to be bound. */
int place_dropin_text(const PlaceState *s, const char *unit, char **ret_text, char **ret_error);

/* Writes @unit's drop-in (place_dropin_text()) to @dir/UNIT.d/50-daxmgr-xip.conf, or removes it
 * when nothing is to be bound. *ret_path (optional) gets its path. */
int place_write_dropin(const PlaceState *s, const char *unit, const char *dir, char **ret_path,
                       char **ret_error);
int place_remove_dropin(const char *unit, const char *dropin_root, char **ret_error);

/* The generator's work: the drop-in of every unit some record names, into @dir. *ret_n
 * (optional) gets the number of drop-ins written. Goes on past a unit it cannot write; returns
 * the first error. */
int place_generate(const PlaceState *s, const char *dir, unsigned *ret_n, char **ret_error);

/* Removes the drop-ins earlier versions wrote under @root (PLACE_LEGACY_DROPIN_ROOT):
 * @root/NAME.service.d/50-daxmgr-xip.conf whose first line starts with PLACE_DROPIN_MARKER
 * (an administrator's file of that name, or a link masking the generated one, is left alone),
 * and the NAME.service.d directory when that leaves it empty. The program records of @s
 * (optional; not saved) whose copies such a file bound get NAME.service as their @dropin_unit,
 * so that the generator writes the same drop-in. *ret_removed gets the paths removed (a strv,
 * NULL when none), also on an error. */
int place_migrate_legacy_dropins(const char *root, PlaceState *s, char ***ret_removed, char **ret_error);

/* Activation (c), only when explicitly asked: bind every file placed for @program read-only
 * over its original in the host's mount namespace, so every process runs the placed copy.
 * The caveat, which is why it is not the default: while bound, a package manager cannot
 * replace the original (rename() onto a mount point fails with EBUSY), so unbind before
 * upgrading. Binding what is already bound is a no-op. */
int place_bind_host(const PlaceState *s, const char *zone, const char *program, char **ret_error);
/* Undoes it; refuses (EBUSY, naming who) while a process runs from a bound file. */
int place_unbind_host(const PlaceState *s, const char *zone, const char *program, char **ret_error);

/* Activation (b): <zone>/bin/<name>, an entry point a user can put on PATH. A program placed
 * alone gets a symlink to its copy; one placed with its interpreter and libraries gets a copy of
 * the static daxmgr-xip-launch (with <zone>/bin/.<name>.launch) that starts the placed
 * interpreter on the placed libraries, or a shell script where the launcher is not installed. */
int place_write_entry_point(const PlaceState *s, const char *zone, const char *program, char **ret_path,
                            char **ret_error);
/* Is <zone>/bin/<name> there, and of this version: a symlink, or a launcher (or script) with the
 * link <zone>/bin/.exec/<name> it starts the loader by? One written by an earlier version, which
 * started the loader under its own name, is not: the reconcile writes it again. */
bool place_entry_point_current(const char *zone, const char *name);

/* While a placement is stale and its policy is manual, its entry point must not start the old
 * copy: <zone>/bin/<name> becomes a symbolic link to the original program itself. */
int place_write_entry_point_fallback(const char *zone, const char *program, char **ret_error);
/* Is <zone>/bin/<name> that fallback (a symbolic link to @program)? */
bool place_entry_point_is_fallback(const char *zone, const char *program);

/* Removes <zone>/bin/<name> and what it starts by (bin/.exec/<name>, bin/.<name>.launch). Nothing
 * there is not an error. */
int place_remove_entry_point(const char *zone, const char *program, char **ret_error);

/* Asks systemd to reload its units over the system bus (after a drop-in was written or removed). */
int place_systemd_reload(char **ret_error);

/* The parts of place_and_activate(), in the order it does them; @progress hears of each as it
 * starts. */
typedef enum PlaceActivateStep {
        PLACE_ACTIVATE_PLACE,
        PLACE_ACTIVATE_ENTRY_POINT,
        PLACE_ACTIVATE_DROPIN,
        PLACE_ACTIVATE_BIND_HOST,
        _PLACE_ACTIVATE_STEP_MAX,
} PlaceActivateStep;

typedef struct PlaceActivation PlaceActivation;
struct PlaceActivation {
        const char *zone;    /* a zone of the state */
        const char *program; /* as the caller names it; placing resolves it */

        /* Copy the program first (with its loader and libraries when @with_libraries) and save
         * the state. Without @place, what is placed is only activated and nothing is saved. */
        bool place;
        bool with_libraries;
        /* With @place: remember in the program's record what was asked for (@refresh_manual and
         * the activations below), as for a placement made by hand (daxmgr place). */
        bool remember;
        bool refresh_manual;

        /* The activations wanted, made in this order after placing. */
        bool entry_point;        /* (b) <zone>/bin/<name> */
        const char *service;     /* (a) a drop-in for this unit; NULL: none */
        const char *dropin_root; /* NULL or PLACE_GENERATOR_DIR: the generator writes the drop-in;
                                  * another directory (tests): written there too */
        bool no_reload;          /* the caller reloads systemd after the drop-in, not this */
        bool bind_host;          /* (c) bound over the originals in the host's mount namespace */

        void (*progress)(PlaceActivateStep step, const PlaceActivation *a, void *userdata);
        void *userdata;
};

/* Places @a->program in @a->zone (when @a->place) and activates it as @a asks, against the one
 * state @st: the state is saved after placing and before any activation; then the entry
 * point, the drop-in (recorded in the state, which is saved again, and the reload of systemd,
 * which runs the generator), the host bind. Stops at the first failure,
 * leaving what was done before it (the placement saved, an earlier activation made).
 * *ret_entry_point and *ret_dropin (optional) get the paths written, NULL for what was not
 * asked. */
int place_and_activate(PlaceState *st, const PlaceActivation *a, char **ret_entry_point, char **ret_dropin,
                       char **ret_error);

/* The counterpart: undoes the activations @a names (@a->place, @a->with_libraries, @a->remember
 * and @a->refresh_manual are ignored; the copies stay placed), in the reverse order: the host
 * bind is lifted, the drop-in of @a->service undone (the program's @dropin_unit cleared and the
 * state saved, so that daxmgr-generator no longer writes it, and systemd reloaded unless
 * @a->no_reload), the entry point removed. What is not there is not an error. Stops at the first
 * failure. */
int place_deactivate(PlaceState *st, const PlaceActivation *a, char **ret_error);

/* Opens the zone directory @zone (absolute and canonical, as zones are recorded) with
 * O_DIRECTORY|O_NOFOLLOW and no symbolic link anywhere on its path (openat2()
 * RESOLVE_NO_SYMLINKS): every write into the zone is then made relative to this fd with
 * openat_beneath() and the *at() calls, so no symbolic link planted or swapped into the zone
 * at any moment can make it land outside. Returns the fd, or a negative errno with a sentence. */
int zone_open(const char *zone, char **ret_error);
