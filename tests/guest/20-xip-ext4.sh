#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# smoke: yes
# timeout: 180
#
# The XIP proof on ext4: an fsdax namespace, 4 KiB blocks, mounted dax=always. The probe run
# from it finds every page of its own text at a pmem frame and its written .data page at a
# DRAM frame; the same probe run from the root disk finds no text page in pmem (the control).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xip-proof.sh"

xip_proof ext4 region0
