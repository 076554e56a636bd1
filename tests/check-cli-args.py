#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""daxmgr's argument parsing and its exit-code contract, on the host, without a daemon.

Runs the real CLI with the system bus pointed at nothing, as check-cli-docs.py does: a command
line the CLI accepts gets as far as connecting and exits 5 (the bus is not running), one it
refuses exits 2 before that. The options with a contract of their own are checked against
that: --detailed-exitcode folds every error into 1, --min and -q are parsed strictly, verify and
create-namespace --mode sector are refused before the bus is asked, VERB --help is the verb's.
config check runs without the daemon, so its -q and --json=short are checked for real, and so
is config check FILE (a candidate in the context of the live files: added, or --as replacing).

    check-cli-args.py DAXMGR
"""

import json
import os
import subprocess
import sys
import tempfile

daxmgr = sys.argv[1]
env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent/daxmgr-args-check", LC_ALL="C")
env["ASAN_OPTIONS"] = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS", ""), "detect_leaks=0"]))
env.pop("DBUS_SESSION_BUS_ADDRESS", None)
failures = []
checked = 0

ACCEPTED = 5  # got as far as the bus


def run(*args):
    return subprocess.run([daxmgr, *args], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=60)


def expect(code, args, stderr_has=None, stdout=None):
    """daxmgr ARGS exits with CODE (and says STDERR_HAS, and prints exactly STDOUT)."""
    global checked
    checked += 1
    p = run(*args)
    line = "daxmgr " + " ".join(args)
    if p.returncode != code:
        failures.append(f"{line}: exit status {p.returncode}, not {code}: {p.stderr.strip()}")
    elif stderr_has and stderr_has not in p.stderr:
        failures.append(f"{line}: did not say '{stderr_has}': {p.stderr.strip()}")
    elif stdout is not None and p.stdout != stdout:
        failures.append(f"{line}: printed {p.stdout!r}, not {stdout!r}")
    return p


# verify: a PID or a path, decided before the bus; --min only for a PID, 0 to 100.
expect(2, ["verify", "abc"], '"abc" is neither a process ID nor a path')
expect(2, ["verify", "0"], "neither a process ID nor a path")
expect(2, ["verify", "./prog", "--min", "50"], "--min is the share of a process's pages")
expect(ACCEPTED, ["verify", "1"])
expect(ACCEPTED, ["verify", "./prog"])
for good in ["0", "90", "99.5", "99.5%", "100", "100%"]:
    expect(ACCEPTED, ["verify", "1", "--min", good])
for bad in ["101", "-1", "1e2", ".", "", "50%%", "9O", "0x10", "100.1", " 50"]:
    expect(2, ["verify", "1", "--min", bad], "is not a percentage from 0 to 100")
expect(2, ["verify-path", "/x", "--min", "50"], "--min is not an option of verify-path")
expect(ACCEPTED, ["verify-path", "-q", "/x"])
expect(ACCEPTED, ["verify", "1", "--quiet", "--min", "90"])

# create-namespace --mode sector: not managed, said before the bus; list still filters on it.
expect(2, ["create-namespace", "--mode", "sector"], "sector (BTT) mode is not managed by daxmgr")
expect(ACCEPTED, ["create-namespace", "--mode", "devdax"])
expect(ACCEPTED, ["list", "namespaces", "--mode", "sector"])

# --detailed-exitcode: 0, 1 or 2 only, every error 1, wherever the option is.
for args in (["plan", "--detailed-exitcode"], ["reconcile", "--detailed-exitcode"],
             ["reconcile", "--wait", "--detailed-exitcode"], ["plan", "--detailed-exitcode", "--bogus"],
             ["plan", "--bogus", "--detailed-exitcode"], ["status", "--detailed-exitcode"],
             ["--detailed-exitcode", "frobnicate"], ["reconcile", "--no-block", "--detailed-exitcode"]):
    expect(1, args)
expect(0, ["plan", "--detailed-exitcode", "--help"])
expect(2, ["reconcile", "--no-block", "--wait"], "it cannot go with --wait")
expect(ACCEPTED, ["reconcile", "--wait"])

# -q, --no-legend, --no-pager, --json=FORM.
expect(2, ["verify", "1", "-q", "--json"], "--quiet prints nothing and --json prints JSON")
expect(2, ["status", "-q"], "--quiet is not an option of status")
expect(2, ["list", "namespaces", "-q"], "--quiet is not an option of list")
for verb in (["plan"], ["reload"], ["reconcile"], ["reconcile", "--no-block"], ["unmount", "/x"],
             ["format", "x"], ["place", "/z", "/p"], ["refresh", "--all"], ["verify-path", "/x"]):
    expect(ACCEPTED, verb + ["-q"])
expect(ACCEPTED, ["list", "jobs", "--no-legend"])
expect(2, ["status", "--no-legend"], "--no-legend is not an option of status")
for verb in (["status"], ["list", "zones"], ["plan"], ["monitor"], ["reconcile"], ["verify", "1"],
             ["mount", "x", "/y"]):
    expect(ACCEPTED, verb + ["--no-pager"])
for form in ("--json", "--json=pretty", "--json=short"):
    expect(ACCEPTED, ["list", "namespaces", form])
    expect(ACCEPTED, ["monitor", form])
expect(2, ["list", "namespaces", "--json=long"], "the JSON forms are pretty and short")
expect(2, ["list", "namespaces", "--json="], "the JSON forms are pretty and short")

# No bus: one line, about the bus; nothing claims the daemon is not running.
p = expect(5, ["status"], "daxmgr: the system bus is not running (unix:path=/nonexistent/daxmgr-args-check: ")
if p.stderr.count("\n") != 1 or "daxmgrd is not running" in p.stderr:
    failures.append(f"daxmgr status without a bus: not one line about the bus: {p.stderr!r}")

# --help: the whole; VERB --help (or --help VERB): the verb's usage, a line, its options.
whole = expect(0, ["--help"]).stdout
verbs = []
for line in whole[whole.index("Verbs:"):whole.index("Options:")].splitlines()[1:]:
    if line.startswith("  ") and not line.startswith("   "):
        verbs.append(line.split()[0])
if len(verbs) < 15:
    failures.append(f"daxmgr --help: only {len(verbs)} verbs: {verbs}")
for verb in verbs:
    for args in ([verb, "--help"], ["--help", verb], [verb, "-h"]):
        out = expect(0, args).stdout
        if not out.startswith(f"daxmgr {verb}") or "\nOptions:\n" not in out or out == whole:
            failures.append(f"daxmgr {' '.join(args)}: not the verb's help: {out[:200]!r}")
        elif "  -h --help" not in out or "--no-pager" not in out:
            failures.append(f"daxmgr {' '.join(args)}: lacks -h or --no-pager: {out!r}")
expect(2, ["frobnicate", "--help"], 'unknown verb "frobnicate"')

# config check runs here: -q prints nothing, --json=short one line.
with tempfile.TemporaryDirectory() as root:
    os.makedirs(os.path.join(root, "etc/daxmgr"))
    conf = os.path.join(root, "etc/daxmgr/daxmgr.conf")
    with open(conf, "w") as f:
        f.write("[Namespace data]\nMode=fsdax\nSize=1G\n")
    expect(0, ["config", "check", "--root", root, "-q"], stdout="")
    expect(0, ["config", "check", "--root", root, "--no-pager"])
    out = expect(0, ["config", "check", "--root", root, "--json=short"]).stdout
    if out.count("\n") != 1 or json.loads(out)["namespaces"][0]["name"] != "data":
        failures.append(f"config check --json=short: not one line of JSON: {out!r}")
    if expect(0, ["config", "check", "--root", root, "--json"]).stdout.count("\n") < 5:
        failures.append("config check --json: no longer indented")
    with open(conf, "w") as f:
        f.write("[Namespace data]\nMode=fsdax\nSize=lots\n")
    expect(1, ["config", "check", "--root", root, "-q"], "daxmgr.conf:3: Size: ", stdout="")

# config check FILE: candidates checked with the live files, as Ansible's validate: does.
with tempfile.TemporaryDirectory() as root, tempfile.TemporaryDirectory() as tmp:
    os.makedirs(os.path.join(root, "etc/daxmgr/daxmgr.conf.d"))
    conf = os.path.join(root, "etc/daxmgr/daxmgr.conf")
    dropin = os.path.join(root, "etc/daxmgr/daxmgr.conf.d/50-data.conf")

    def write(path, text):
        with open(path, "w") as f:
            f.write(text)
        return path

    write(conf, "[Namespace data]\nMode=fsdax\nSize=1G\nMountPoint=/mnt/pmem\n")
    good = write(os.path.join(tmp, "good"), "[Namespace logs]\nMode=fsdax\nSize=1G\n")
    bad = write(os.path.join(tmp, "bad"), "[Namespace logs]\nMode=fsdax\nSize=lots\n")
    clash = write(os.path.join(tmp, "clash"), "[Namespace logs]\nMode=fsdax\nSize=1G\nMountPoint=/mnt/pmem\n")
    bigger = write(os.path.join(tmp, "bigger"), "[Namespace data]\nSize=2G\n")
    base = ["config", "check", "--root", root]
    out = expect(0, base + [good, "--json=short"]).stdout
    files = json.loads(out)["files"] if out else []
    if files != [conf, good] or len(json.loads(out)["namespaces"]) != 2:
        failures.append(f"config check FILE: not the live file then the candidate: {out!r}")
    expect(0, base + [good, "-q"], stdout="")
    expect(1, base + [bad], f"daxmgr: config check: {bad}:3: Size: ", stdout="")
    # Valid alone, but not with the live main file (added), and fine in its place (--as).
    expect(0, ["config", "check", "--root", tmp, clash, "-q"], stdout="")
    expect(1, base + [clash, "-q"], f"{clash}:4: MountPoint: /mnt/pmem is already the mount point of namespace data")
    expect(0, base + [clash, "--as", "/etc/daxmgr/daxmgr.conf", "-q"], stdout="")
    # Added, a drop-in merges into the main file; replacing it, its [Namespace data] lacks Mode=.
    out = expect(0, base + [bigger, "--json"]).stdout
    if out and json.loads(out)["namespaces"][0]["size"]["bytes"] != 2 << 30:
        failures.append(f"config check FILE: the candidate drop-in did not merge: {out!r}")
    expect(1, base + [bigger, "--as", "/etc/daxmgr/daxmgr.conf"], "/etc/daxmgr/daxmgr.conf (candidate ")
    # --as a drop-in: replaces the live one of that name, else is read in its place by name.
    write(dropin, "[Namespace data]\nSize=lots\n")
    expect(1, base + ["-q"], "50-data.conf:2: Size: ")
    expect(1, base + [good, "-q"], "50-data.conf:2: Size: ")
    expect(0, base + [bigger, "--as", "50-data.conf", "-q"], stdout="")
    out = expect(0, base + [bigger, "--as", "/etc/daxmgr/daxmgr.conf.d/50-data.conf", "--json=short"]).stdout
    if out and json.loads(out)["files"] != [conf, f"/etc/daxmgr/daxmgr.conf.d/50-data.conf (candidate {bigger})"]:
        failures.append(f"config check --as DROPIN: not in the live drop-in's place: {out!r}")
    os.unlink(dropin)
    write(os.path.join(root, "etc/daxmgr/daxmgr.conf.d/70-size.conf"), "[Namespace data]\nSize=3G\n")
    out = expect(0, base + [bigger, "--as", "60-bigger.conf", "--json=short"]).stdout
    if out and json.loads(out)["namespaces"][0]["size"]["bytes"] != 3 << 30:
        failures.append(f"config check --as 60-…: not read before the live 70- drop-in: {out!r}")
    # A missing FILE is an error naming it; --as needs exactly one FILE that could be a file.
    expect(1, base + [os.path.join(tmp, "missing")], "missing: cannot read it: No such file or directory")
    expect(2, base + ["--as", "x.conf"], "name the candidate FILE")
    expect(2, base + [good, bad, "--as", "x.conf"], "one FILE takes the place of DEST")
    expect(2, base + [good, "--as", "/etc/daxmgr/daxmgr.ini"], "not daxmgr.conf nor a *.conf drop-in")
    expect(2, ["status", "--as", "x.conf"], "--as is not an option of status")

for f in failures:
    print("FAIL:", f)
print(f"{checked} daxmgr command lines checked, {len(failures)} wrong")
sys.exit(1 if failures else 0)
