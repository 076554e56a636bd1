/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* polkit authorization over the bus, asynchronously, without GLib: the method call is kept,
 * CheckAuthorization goes to polkitd, and the method runs when (and if) the answer is yes.
 * Root is allowed without asking, as systemd's own daemons do. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "manager.h"
#include "polkit.h"

typedef struct PolkitQuery {
        struct PolkitQuery *next;
        Manager *manager;
        sd_bus_message *request;
        sd_bus_slot *slot;
        char *action;
        PolkitAuthorizedFn fn;
        void *userdata;
} PolkitQuery;

static void query_free(PolkitQuery *q) {
        Manager *m = q->manager;

        for (PolkitQuery **p = &m->polkit_queries; *p; p = &(*p)->next)
                if (*p == q) {
                        *p = q->next;
                        break;
                }
        sd_bus_slot_unref(q->slot);
        sd_bus_message_unref(q->request);
        free(q->action);
        free(q);
}

void polkit_queries_free(Manager *m) {
        while (m->polkit_queries)
                query_free(m->polkit_queries);
}

int bus_caller_uid(sd_bus_message *m, uid_t *ret) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        int r;

        r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID | SD_BUS_CREDS_UID | SD_BUS_CREDS_AUGMENT,
                                      &creds);
        if (r < 0)
                return r;
        /* The effective uid when the bus or /proc gives it, else the one dbus-daemon vouches for. */
        r = sd_bus_creds_get_euid(creds, ret);
        if (r < 0)
                r = sd_bus_creds_get_uid(creds, ret);
        return r;
}

static int on_check_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PolkitQuery *q = userdata;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int authorized = 0, challenge = 0, r;

        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *pe = sd_bus_message_get_error(reply);

                log_warning("polkit did not answer for %s: %s", q->action,
                            pe && pe->message ? pe->message : "?");
                sd_bus_error_setf(&e, "org.daxmgr1.Error.AccessDenied",
                                  "Cannot ask polkit whether %s is allowed (%s); only root may do it while "
                                  "polkitd is not running.",
                                  q->action, pe && pe->message ? pe->message : "no answer");
                goto reply;
        }
        r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r >= 0)
                r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
        if (r < 0) {
                sd_bus_error_setf(&e, "org.daxmgr1.Error.AccessDenied",
                                  "polkit's answer for %s could not be read: %s", q->action, strerror(-r));
                goto reply;
        }
        if (authorized) {
                r = sd_bus_message_rewind(q->request, true);
                if (r >= 0)
                        r = q->fn(q->request, q->userdata, &e);
                if (r < 0 && !sd_bus_error_is_set(&e))
                        bus_error_set_errno(&e, r, NULL);
                if (r >= 0 && !sd_bus_error_is_set(&e))
                        goto done; /* the method replied */
        } else if (challenge)
                sd_bus_error_setf(&e, "org.daxmgr1.Error.InteractiveAuthorizationRequired",
                                  "%s needs authentication (polkit action %s), but the call did not allow "
                                  "interactive authorization; run it as root, or allow interaction",
                                  sd_bus_message_get_member(q->request), q->action);
        else
                sd_bus_error_setf(&e, "org.daxmgr1.Error.AccessDenied",
                                  "%s is not allowed for this user (polkit action %s said no)",
                                  sd_bus_message_get_member(q->request), q->action);
reply:
        (void) sd_bus_reply_method_error(q->request, &e);
done:
        sd_bus_error_free(&e);
        query_free(q);
        return 0;
}

int polkit_authorize(Manager *m, sd_bus_message *msg, const char *action, PolkitAuthorizedFn fn,
                     void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        PolkitQuery *q;
        uid_t uid;
        int r;

        r = bus_caller_uid(msg, &uid);
        if (r < 0)
                return sd_bus_error_setf(error, "org.daxmgr1.Error.AccessDenied",
                                         "Cannot tell who is calling: %s", strerror(-r));
        if (uid == 0)
                return fn(msg, userdata, error);

        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->manager = m;
        q->request = sd_bus_message_ref(msg);
        q->action = strdup(action);
        q->fn = fn;
        q->userdata = userdata;
        q->next = m->polkit_queries;
        m->polkit_queries = q;
        if (!q->action) {
                query_free(q);
                return -ENOMEM;
        }

        r = sd_bus_message_new_method_call(m->bus, &call, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r >= 0)
                r = sd_bus_message_append(call, "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s",
                                          sd_bus_message_get_sender(msg), action, 0,
                                          sd_bus_message_get_allow_interactive_authorization(msg) ? 1u : 0u,
                                          "");
        if (r >= 0)
                /* An agent may wait for a person: allow that long. */
                r = sd_bus_call_async(m->bus, &q->slot, call, on_check_reply, q, 5 * 60 * 1000000ULL);
        if (r < 0) {
                query_free(q);
                return sd_bus_error_setf(error, "org.daxmgr1.Error.AccessDenied", "Cannot ask polkit: %s",
                                         strerror(-r));
        }
        return 1; /* the reply comes later */
}
