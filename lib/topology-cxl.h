/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The CXL part of the snapshot (topology.h has the types). */

#include "topology.h"

/* Fills @c through libcxl; nothing on a machine without CXL. Negative errno when libcxl cannot
 * start or memory runs out (then @c is left empty). */
int topology_collect_cxl(TopoCxl *c);

/* Sets each CXL region's nd_region: the nd region of the same physical resource. */
void topology_link_cxl(Topology *t);
