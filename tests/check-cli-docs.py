#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every daxmgr command the documentation shows exists: the verb, its arguments and options.

Reads the README, docs/*.md (code spans and code blocks) and man/daxmgr.1 (the commands and
their options), and runs each "daxmgr VERB ..." it finds through the real CLI with the system bus
pointed at nothing: the CLI checks the verb, the number of arguments and every option before it
connects, so exit status 2 (a usage error) means the documentation names something the CLI does
not have, and 5 (daemon not running) means the command line is one daxmgr accepts. Nothing runs
against a daemon. Placeholders (ZONE, PID, a|b) become values of the right form, taken from the
verb's synopsis in daxmgr --help.

    check-cli-docs.py DAXMGR SOURCE-DIR
"""

import concurrent.futures
import os
import re
import subprocess
import sys

daxmgr, src = sys.argv[1], sys.argv[2]
env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent/daxmgr-doc-check", LC_ALL="C")
# Under ASan the leak check at exit costs a second per run; leaks are the unit tests' business.
env["ASAN_OPTIONS"] = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS", ""), "detect_leaks=0"]))
env.pop("DBUS_SESSION_BUS_ADDRESS", None)

help_text = subprocess.run([daxmgr, "--help"], capture_output=True, text=True, env=env).stdout
# The verbs' synopses: "  place ZONE PROGRAM [--with-libraries] …" (continued on indented lines).
synopsis = {}
section = None
last = None
for line in help_text.splitlines():
    if line.startswith("Verbs:"):
        section = "verbs"
        continue
    if line.startswith("Options:"):
        break
    if section != "verbs" or not line.strip():
        continue
    if line.startswith("       ") and last:
        synopsis[last] += " " + line.strip()
        continue
    words = line.split()
    last = words[0]
    synopsis[last] = " ".join(words[1:])

failures = []
checked = 0

PLACEHOLDER = {
    "PID": "1", "PATH": "/usr/bin/true", "DIR": "/mnt/doc-check", "ZONE": "/mnt/doc-check/xip",
    "PROGRAM": "/usr/bin/true", "NS": "doc-check", "UNIT": "doc-check.service", "S": "1G",
    "A": "2M", "N": "doc-check", "L": "doc-check", "R": "region0", "OPTS": "noatime", "PERCENT": "90", "DEST": "50-doc-check.conf",
    "FILE": "/dev/null",
}


def value_for(word):
    """A value of the form a placeholder stands for."""
    word = word.strip("[]").rstrip(".")
    if "|" in word:
        word = word.split("|")[0]
    return PLACEHOLDER.get(word, word)


def positionals(verb, uses_option_alternative, rest=""):
    """The arguments before the options, from the synopsis; an optional one ("[FILE...]") when
    the documented line names it (config check FILE, or Ansible's %s)."""
    args = []
    for w in synopsis.get(verb, "").split():
        optional = re.fullmatch(r"\[([A-Z]+)(\.\.\.)?\]", w)
        if optional:
            if optional.group(1) in rest or "%s" in rest:
                args.append(value_for(w))
            continue
        if w.startswith("[") or w.startswith("--") or w.startswith("("):
            break
        if "|--" in w:  # refresh PROGRAM|--all
            if uses_option_alternative:
                continue
            w = w.split("|")[0]
        args.append(value_for(w))
    return args


def option_takes_value(verb, opt):
    m = re.search(re.escape(opt) + r"[ =]([A-Za-z][^\] ]*)", synopsis.get(verb, ""))
    if m and not m.group(1).startswith("-"):
        return value_for(m.group(1))
    if opt in ("--zone", "--region", "--mode", "--root"):
        return {"--zone": "/mnt/doc-check/xip", "--region": "region0", "--mode": "fsdax", "--root": "/"}[opt]
    return None


pending = []


def check(where, verb, rest):
    pending.append((where, verb, rest))


def run(where, verb, rest):
    opts = re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-o|-q)(?![\w-])", rest)
    # --detailed-exitcode folds every error into 1, a usage error too: the verb's synopsis says
    # whether it takes it, and the rest of the line is run without it.
    if "--detailed-exitcode" in opts:
        opts.remove("--detailed-exitcode")
        if "--detailed-exitcode" not in synopsis.get(verb, ""):
            return f"{where}: daxmgr {verb} {rest.strip()}\n    {verb} takes no --detailed-exitcode"
    args = positionals(verb, any("|" + o in synopsis.get(verb, "") for o in opts), rest)
    if verb == "list" and args:  # the kind the documented filter applies to
        kind = re.match(r"\s*([a-z]+)", rest)
        if kind and kind.group(1).rstrip("s") in ("region", "namespace", "device", "zone", "placement", "job"):
            args = [kind.group(1)]
        elif "--zone" in opts:
            args = ["placements"]
        elif "--region" in opts or "--mode" in opts:
            args = ["namespaces"]
    # Alternatives ("[--json|-q]", "[--no-block|--wait]") exclude each other: the first of each
    # in one run, the second in another.
    alternatives = re.findall(r"(--[a-z][a-z-]*|-q)\|(--[a-z][a-z-]*|-q)", rest)
    for pick in ([0, 1] if alternatives else [0]):
        drop = {a[1 - pick] for a in alternatives}
        argv = [daxmgr, verb] + args
        for o in opts:
            if o in drop:
                continue
            argv.append(o)
            v = option_takes_value(verb, o)
            if v is not None:
                argv.append(v)
        p = subprocess.run(argv, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=60)
        if p.returncode == 2:
            return f"{where}: daxmgr {verb} {rest.strip()}\n    ran {' '.join(argv[1:])}: {p.stderr.strip()}"
    return None


def text_commands(path, chunks):
    for lineno, chunk in chunks:
        for m in re.finditer(r"(?<![\w/.-])daxmgr\s+([a-z][a-z-]*)([^`\n;&|)]*)", chunk):
            verb, rest = m.group(1), m.group(2)
            if verb in ("tool",):
                continue
            if verb not in synopsis:
                failures.append(f"{path}:{lineno}: daxmgr {verb}: no such verb (daxmgr --help has: "
                                f"{' '.join(synopsis)})")
                continue
            check(f"{path}:{lineno}", verb, rest)


ALL_OPTIONS = set(re.findall(r"--[a-z][a-z-]*", help_text))


def bare_words(path, lineno, span, tool_section):
    """In the user guides of the CLI, a code span that is a bare option (`--refresh`) or a verb
    with an argument (`check-path PATH`) outside a section about daxmgr-tool must be daxmgr's."""
    if tool_section or path not in ("docs/XIP.md", "docs/CLI.md") or span.startswith("--opt"):
        return
    m = re.fullmatch(r"(--[a-z][a-z-]*)(?:[ =]\S+)?", span)
    if m and m.group(1) not in ALL_OPTIONS:
        failures.append(f"{path}:{lineno}: `{span}`: daxmgr has no option {m.group(1)}")
    m = re.fullmatch(r"([a-z][a-z-]+) (?:[A-Z][A-Z|]*|--\S+)( .*)?", span)
    if m and m.group(1) not in synopsis and m.group(1) not in ("daxmgr", "daxmgr-tool", "systemctl", "ndctl"):
        failures.append(f"{path}:{lineno}: `{span}`: {m.group(1)} is not a daxmgr verb (write it as "
                        f"a daxmgr command, or in a section about daxmgr-tool)")


def markdown_chunks(path):
    chunks = []
    in_block = False
    tool_section = False
    rel = os.path.relpath(path, src)
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.startswith("#") and not in_block:
                tool_section = "daxmgr-tool" in line
            if line.lstrip().startswith("```"):
                in_block = not in_block
                continue
            if in_block:
                # a shell prompt or a command line; output lines name commands too ("== … daxmgr verify PID")
                chunks.append((n, re.sub(r"(^|\s)#.*", "", line)))  # not shell comments
            else:
                for m in re.finditer(r"`([^`]+)`", line):
                    chunks.append((n, m.group(1)))
                    bare_words(rel, n, m.group(1), tool_section)
    return chunks


def roff_plain(s):
    s = re.sub(r"\\f[BIRP]", "", s)
    s = s.replace("\\-", "-").replace("\\%", "").replace("\\&", "")
    return re.sub(r'^\.(B|BR|BI|IR|RB|I)\s+', "", s).replace('"', "")


def man_commands(path):
    """The COMMANDS section of daxmgr.1: each '.TP' + '.B verb …' and the options listed under it."""
    lines = open(path, encoding="utf-8").read().splitlines()
    in_commands = False
    verb = None
    depth = 0
    for n, line in enumerate(lines, 1):
        if line.startswith(".SH"):
            in_commands = line.strip() == ".SH COMMANDS"
            verb = None
            continue
        if not in_commands:
            continue
        if line.startswith(".RS"):
            depth += 1
            continue
        if line.startswith(".RE"):
            depth -= 1
            continue
        if depth == 0 and n > 1 and lines[n - 2].startswith(".TP") and line.startswith(".B"):
            plain = roff_plain(line).split()
            verb = plain[0] if plain else None
            if verb not in synopsis:
                failures.append(f"{path}:{n}: '{verb}' is in COMMANDS but is not a daxmgr verb")
                verb = None
                continue
            check(f"{path}:{n}", verb, " ".join(plain[1:]))
        elif verb and depth > 0 and n > 1 and lines[n - 2].startswith(".TP") and line.startswith(".B"):
            plain = roff_plain(line)
            if plain.startswith("-"):
                check(f"{path}:{n}", verb, plain)


docs = [os.path.join(src, "README.md")]
docs += sorted(os.path.join(src, "docs", f) for f in os.listdir(os.path.join(src, "docs")) if f.endswith(".md"))
for d in docs:
    text_commands(os.path.relpath(d, src), markdown_chunks(d))
man_commands(os.path.join(src, "man", "daxmgr.1"))

# Each command line once, a few at a time.
unique = list(dict.fromkeys(pending))
with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
    for result in pool.map(lambda a: run(*a), unique):
        checked += 1
        if result:
            failures.append(result)

for f in failures:
    print("FAIL:", f)
print(f"{checked} documented daxmgr command lines checked against the CLI, {len(failures)} wrong")
print(f"{checked - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
