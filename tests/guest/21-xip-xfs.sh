#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# topology: labelled
# smoke: yes
# timeout: 180
#
# The XIP proof on xfs (reflink off, 2 MiB stripe unit: what DAX needs).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xip-proof.sh"

xip_proof xfs region0
