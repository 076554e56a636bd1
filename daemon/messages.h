/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The MESSAGE_ID= of daxmgrd's key events in the journal, as systemd's sd-messages.h has its
 * own: fixed 128-bit ids, each made once with `systemd-id128 new` and never changed or reused,
 * so that `journalctl MESSAGE_ID=…` finds an event whatever its wording becomes. The events,
 * their fields and these ids are listed in docs/ARCHITECTURE.md ("Logs") and daxmgrd(8). */

/* A namespace made (CreateNamespace, or a reconcile step). DAXMGR_NAMESPACE=, DAXMGR_REGION=,
 * DAXMGR_NAMESPACE_NAME= (if it has a name). */
#define DAXMGR_MESSAGE_NAMESPACE_CREATED "669c40123bd14cd1b593e36b5fe32935"
/* A namespace destroyed (DestroyNamespace). DAXMGR_NAMESPACE=, DAXMGR_NAMESPACE_NAME=. */
#define DAXMGR_MESSAGE_NAMESPACE_DESTROYED "16f2df5cd7cb4161981ebe4eaca961d7"
/* A file system mounted with DAX proven in effect. DAXMGR_NAMESPACE=, DAXMGR_MOUNT_POINT=. */
#define DAXMGR_MESSAGE_DAX_MOUNTED "dff2c4b5b36642febf26e07b0a877638"
/* A DAX mount refused: the file system cannot do DAX, or DAX was not in effect once mounted (and
 * the mount was undone). The same fields. */
#define DAXMGR_MESSAGE_DAX_REFUSED "6ab246140720446bbd1990a1f8e7f764"
/* A zone made, DAX proven for new files in it. DAXMGR_ZONE=. */
#define DAXMGR_MESSAGE_ZONE_READY "f34dea45dab44b0aa18ff665aadd1a14"
/* A program copied into a zone and recorded. DAXMGR_ZONE=, DAXMGR_PROGRAM=. */
#define DAXMGR_MESSAGE_PROGRAM_PLACED "f45b1f02e1114efcbdf4c9419f62cd3c"
/* A placed program removed from its zone (Unplace). DAXMGR_ZONE=, DAXMGR_PROGRAM=. */
#define DAXMGR_MESSAGE_PROGRAM_REMOVED "17834bd1d46b4998b4e2029e4f85f3d8"
/* A reconcile job ended, as the Reconciled signal says. DAXMGR_RESULT= (done, failed). */
#define DAXMGR_MESSAGE_RECONCILE_FINISHED "6e58a64d1cb24a21847c58e204437b57"
/* Any job ended. DAXMGR_JOB_TYPE=, DAXMGR_RESULT= (done, failed). */
#define DAXMGR_MESSAGE_JOB_FINISHED "651b23c633254a3dacd1a89decc970f1"
