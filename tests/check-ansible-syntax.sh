#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-ansible-syntax.sh SRCDIR: ansible-playbook --syntax-check of docs/FLEET.md's playbook
# (docs/examples/ansible/daxmgr.yml). Skipped (77) when ansible-core is not installed: it is no
# build or CI dependency (tools/install-deps), and tests/guest/84-fleet-ansible.sh runs the
# playbook itself in the guest. On Debian: apt-get install ansible-core.
set -eu
src=$1
playbook=$src/docs/examples/ansible/daxmgr.yml
if ! command -v ansible-playbook >/dev/null 2>&1; then
    echo "SKIP: ansible-playbook is not installed (apt-get install ansible-core); $playbook not checked"
    exit 77
fi
# Ansible wants a UTF-8 locale and a writable home; nothing is left behind.
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
LC_ALL=C.UTF-8 ANSIBLE_HOME=$home ANSIBLE_LOCAL_TEMP=$home/tmp ANSIBLE_NOCOLOR=1 \
    ansible-playbook --syntax-check -i localhost, "$playbook"
