# SPDX-License-Identifier: LGPL-2.1-or-later
# gcc in the guest (sourced after lib.sh, not run): the release's C compiler, whose cc1 is the
# large program of issue 15 (Debian 13's: ET_EXEC, 21.8 MiB of text, 9 PMD-eligible 2 MiB
# windows). Its .debs are on the test bed's 'extra' share (tests/vm/build-guest's
# EXTRA_PACKAGES); gcc_unpack puts what `gcc -S` needs (the driver, cc1 and their libraries) into
# the root file system without dpkg's maintainer scripts, only files that were not there, and
# gcc_remove takes them out again (tests of one topology share a boot).

EXTRA=${EXTRA:-/run/testbed/extra}
GCC_FILES=${DAXMGR_TEST_OUT:-/tmp}/.gcc-files
# The packages `gcc -S` needs: the driver (gcc, gcc-N and, since Debian 13, their
# -x86-64-linux-gnu halves), cc1 (cpp-N, or cpp-N-x86-64-linux-gnu) and cc1's libraries that a
# minimal root file system lacks. Not binutils nor libgcc-N-dev: -S neither assembles nor links.
GCC_DEBS=('gcc_*' 'gcc-[0-9]*' 'gcc-x86-64*' 'cpp_*' 'cpp-[0-9]*' 'cpp-x86-64*' 'libisl*' 'libmpc*'
    'libmpfr*' 'libgmp*' 'libzstd*')

# gcc_unpack: skips the test (77) when the share has no gcc; sets CC1 (cc1's path) and GCC_SECS.
gcc_unpack() {
    local t0=${EPOCHREALTIME/./} g d stage=/run/gcc-root
    compgen -G "$EXTRA/gcc_*.deb" >/dev/null ||
        skip "no gcc .deb on the 'extra' share ($EXTRA): tests/vm/build-guest could not fetch it (see its extra.log)"
    rm -rf "$stage"
    mkdir -p "$stage"
    # Staged in tmpfs, without what -S never runs (lto1 and lto-dump: 35 MiB each) nor the
    # documentation.
    for g in "${GCC_DEBS[@]}"; do
        for d in "$EXTRA"/$g.deb; do
            [ -f "$d" ] || continue
            dpkg-deb --fsys-tarfile "$d" | tar -x -C "$stage" --wildcards --exclude='./usr/share/*' \
                --exclude='*/lto1' --exclude='*lto-dump*' --exclude='*/lto-wrapper' --exclude='*/plugin/*' ||
                fail "unpacking $d failed"
        done
    done
    # Only what the root file system lacks, recorded for gcc_remove.
    (cd "$stage" && find . ! -type d) | while read -r f; do
        [ -e "/$f" ] || [ -L "/$f" ] || printf '%s\n' "${f#./}"
    done >"$GCC_FILES"
    tar -C "$stage" -cf - -T "$GCC_FILES" | tar -C / -xf -
    rm -rf "$stage"
    ldconfig
    command -v gcc >/dev/null || fail "no gcc after unpacking $(wc -l <"$GCC_FILES") files"
    CC1=$(gcc -print-prog-name=cc1)
    [ -x "$CC1" ] || fail "gcc's cc1 ($CC1) is not there"
    GCC_SECS=$(((${EPOCHREALTIME/./} - t0) / 1000))
    GCC_SECS=$((GCC_SECS / 1000)).$(printf '%03d' $((GCC_SECS % 1000)))
    echo "gcc unpacked in $GCC_SECS s ($(wc -l <"$GCC_FILES") files): $(gcc --version | head -n 1); cc1 $CC1"
}

# gcc_remove: never fails (it runs in exit traps); a file a host bind still covers (BindHost=
# over cc1) is unmounted first.
gcc_remove() {
    local f
    [ -f "$GCC_FILES" ] || return 0
    while read -r f; do
        while mountpoint -q "/$f" 2>/dev/null; do umount -l "/$f" || break; done
        rm -f "/$f" || true
    done <"$GCC_FILES"
    rm -f "$GCC_FILES"
    ldconfig || true
}

# gen_source FILE N: a C file of N functions (loops, switch, unions, floating point, varargs,
# string literals) with no #include: no libc6-dev needed. -O2 -S of N=20 takes about 0.4 s on a
# 2020s x86 core.
gen_source() {
    python3 - "$2" >"$1" <<'PY'
import sys
n = int(sys.argv[1])
o = ["typedef unsigned long u64; typedef __builtin_va_list va_list;",
     "struct node { struct node *next; int key; double val; unsigned flags : 3; char name[16]; };",
     "union pun { double d; u64 u; float f[2]; };",
     "static int sink(int x) { return x * 3 + 1; }",
     "int vsum(int n, ...) { va_list ap; __builtin_va_start(ap, n); int s = 0;"
     " for (int i = 0; i < n; i++) s += __builtin_va_arg(ap, int); __builtin_va_end(ap); return s; }"]
for i in range(n):
    o.append(f"""
static double f{i}_helper(const double *a, int n) {{
    double s = 0; for (int k = 0; k < n; k++) s += a[k] * (k + {i % 7 + 1}) / (1.0 + a[(k + 1) % n]); return s;
}}
int f{i}(struct node *head, int x, const char *s, u64 m) {{
    int acc = {i};
    union pun p; p.d = x * 1.5;
    double v[8];
    for (int k = 0; k < 8; k++) v[k] = (double) (x + k * {i + 1}) / 3.0;
    for (struct node *q = head; q; q = q->next) {{
        switch ((q->key + {i}) & 7) {{
        case 0: acc += q->key * {i + 3}; break;
        case 1: acc ^= (int) (q->val * {i % 5 + 2}); break;
        case 2: acc -= sink(q->flags); break;
        case 3: acc += s[q->key & 15] == 'a' ? 7 : q->name[{i % 16}]; break;
        case 4: acc = (acc << {i % 13 + 1}) | (acc >> 3); break;
        case 5: acc += (int) __builtin_popcountl(m ^ p.u); break;
        default: acc += vsum(3, acc, x, {i}); break;
        }}
        if (acc > {1000 + i}) goto out;
    }}
    for (int k = 0; k < x; k++) {{
        m = m * 6364136223846793005UL + {i * 2 + 1};
        acc += (int) (m >> 33) % ({i % 11 + 2});
        if (k % {i % 5 + 2} == 0) v[k & 7] += f{i}_helper(v, 8);
    }}
out:
    return acc + (int) v[{i % 8}] + "{'x' * (i % 20)}abcdef"[{i % 6}];
}}""")
o.append("int main(void) { int t = 0;")
o += [f"  t += f{i}((struct node *) 0, {i}, \"abc\", {i}UL);" for i in range(n)]
o.append("  return t & 1; }")
print("\n".join(o))
PY
}

# PMD faults from the fs_dax tracepoints (tracefs): trace_pmd_on clears the buffer and enables
# dax_pmd_fault_done and dax_pmd_load_hole; trace_pmd_off stops them and keeps the lines in FILE.
TRACE=/sys/kernel/tracing
trace_pmd_on() {
    [ -d "$TRACE/events" ] || mount -t tracefs nodev "$TRACE" 2>/dev/null || true
    [ -e "$TRACE/events/fs_dax/dax_pmd_fault_done/enable" ] || return 1
    echo 0 >"$TRACE/tracing_on"
    echo >"$TRACE/trace"
    echo 1 >"$TRACE/events/fs_dax/dax_pmd_fault_done/enable"
    echo 1 >"$TRACE/events/fs_dax/dax_pmd_load_hole/enable"
    echo 1 >"$TRACE/tracing_on"
}
trace_pmd_off() {
    echo 0 >"$TRACE/tracing_on"
    grep -E 'dax_pmd_(fault_done|load_hole)' "$TRACE/trace" >"$1" || true
    echo 0 >"$TRACE/events/fs_dax/dax_pmd_fault_done/enable"
    echo 0 >"$TRACE/events/fs_dax/dax_pmd_load_hole/enable"
}
# pmd_count FILE WHAT [PID|COMM] [INODE] [VM_START]: the PMD faults in a trace_pmd_off FILE that
# were mapped (WHAT=mapped: results without FALLBACK), that fell back to 4 KiB entries in a
# PMD-eligible window (WHAT=fallback: the 2 MiB window wholly inside the mapping, congruent with
# its file offset; the kernel also tries, and falls back, where a mapping ends inside a window),
# or the holes loaded (WHAT=hole), of the task PID (a number) or COMM, of that inode and in the
# mapping that starts at VM_START (both hex, as the tracepoint prints them: 0x1a2b); an empty
# argument matches all. mawk has no strtonum: hex() by hand.
pmd_count() {
    awk -v what="$2" -v who="${3:-}" -v ino="${4:-}" -v vms="${5:-}" '
        function hex(s,    i, v) {
            s = tolower(s); sub(/^0x/, "", s); v = 0
            for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
            return v
        }
        {
            task = $1; sub(/-[0-9]+$/, "", task); pid = $1; sub(/.*-/, "", pid)
            if (who != "" && who != task && who != pid) next
            if (ino != "" && !index($0, " ino " ino " ")) next
            if (vms != "" && !index($0, " vm_start " vms " ")) next
            hole = index($0, "dax_pmd_load_hole") > 0
            fb = index($0, "FALLBACK") > 0
            for (i = 1; i < NF; i++) f[$i] = $(i + 1)
            M = 2097152; addr = hex(f["address"]); w = addr - addr % M
            eligible = w >= hex(f["vm_start"]) && w + M <= hex(f["vm_end"]) && (addr - hex(f["pgoff"]) * 4096) % M == 0
            if (what == "hole" && hole) n++
            else if (what == "mapped" && !hole && !fb) n++
            else if (what == "fallback" && !hole && fb && eligible) n++
        }
        END { print n + 0 }' "$1"
}

# cc1_hold_start FIFO CMD...: runs the gcc command CMD in the background (GCC_PID), whose -o
# must be FIFO, and returns once its cc1 (CC1_PID) is blocked writing the assembly into the full
# pipe that nobody reads yet: parsed, optimised, its first function written, and still running,
# for verify. cc1_hold_release lets it finish and waits for gcc (its exit status).
# For a gcc started otherwise (a service): cc1_hold_open FIFO, start it, cc1_hold_wait PID (the
# process whose child cc1 is); cc1_hold_release WAIT-CMD... runs WAIT-CMD instead of waiting.
cc1_hold_open() {
    rm -f "$1"
    mkfifo -m 0666 "$1"
    exec 3<>"$1" # a reader that reads nothing (read-write: the open does not block)
    # A pipe of one page (F_SETPIPE_SZ), not 64 KiB: a small file's assembly fills it too.
    python3 -c 'import fcntl, os, sys; fcntl.fcntl(os.open(sys.argv[1], os.O_RDWR | os.O_NONBLOCK), 1031, 4096)' "$1"
}
cc1_hold_wait() {
    local parent=$1 i nr rest
    CC1_PID=
    for ((i = 0; i < 6000; i++)); do
        kill -0 "$parent" 2>/dev/null || fail "process $parent ended before its cc1 filled the pipe"
        [ -n "$CC1_PID" ] || CC1_PID=$(pgrep -P "$parent" -x cc1 || true)
        if [ -n "$CC1_PID" ] && read -r nr rest <"/proc/$CC1_PID/syscall" 2>/dev/null && [ "$nr" = 1 ]; then
            return 0
        fi
        sleep 0.1
    done
    fail "cc1 of process $parent did not block writing its output in 600 s"
}
cc1_hold_start() {
    cc1_hold_open "$1"
    shift
    "$@" &
    GCC_PID=$!
    cc1_hold_wait "$GCC_PID"
}
cc1_hold_release() {
    local cat_pid rc=0
    cat <&3 >/dev/null &
    cat_pid=$!
    if [ $# -gt 0 ]; then
        "$@" || rc=$?
    else
        wait "$GCC_PID" || rc=$?
    fi
    kill "$cat_pid" 2>/dev/null
    wait "$cat_pid" 2>/dev/null || true
    exec 3<&-
    return $rc
}

# elf_text FILE: "TYPE OFFSET ADDRESS FILESZ WINDOWS" of its executable PT_LOAD (the first), with
# TYPE EXEC or DYN and WINDOWS its PMD-eligible 2 MiB windows (wholly inside, file offset and
# address congruent modulo 2 MiB): the guest has no readelf.
elf_text() {
    python3 - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read(65536)
e_type, = struct.unpack_from("<H", d, 16)
phoff, = struct.unpack_from("<Q", d, 32)
phentsize, phnum = struct.unpack_from("<HH", d, 54)
M = 2 << 20
for i in range(phnum):
    p_type, p_flags, off, addr, _, size, _, _ = struct.unpack_from("<IIQQQQQQ", d, phoff + i * phentsize)
    if p_type == 1 and p_flags & 1:
        w = 0 if (addr - off) % M else max(0, ((off + size) // M * M - (off + M - 1) // M * M) // M)
        print({2: "EXEC", 3: "DYN"}.get(e_type, e_type), hex(off), hex(addr), hex(size), w)
        break
PY
}
