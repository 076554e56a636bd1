/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The daemon's bus layer on the host: its real vtables, object enumerator, option tables and
 * error names, served over a socket pair as sd-bus's test-bus-objects.c does, against a Manager
 * made in memory (no pmem, no topology snapshot, an empty configuration, a temporary state
 * directory). Nothing here touches the system bus, /etc, /run or a device.
 *
 * The peer is never root, so every mutating method asks polkit: the CheckAuthorization call
 * goes to the only peer there is, this test's client, which answers it as polkitd would (or as
 * the bus does when polkitd is absent). Each interface is compared with the block its
 * docs/dbus/INTERFACE.md shows; that directory is the first argument. */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "bus-error.h"
#include "child-call.h"
#include "config.h"
#include "fileio.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "place.h"
#include "strv.h"
#include "topology.h"
#include "test-macro.h"

#define E "org.daxmgr1.Error."

static const char *docs_dir;
static char tmp_dir[] = "/tmp/test-bus-XXXXXX";

/* ---------------------------------------------------------------- polkit, as the client plays it */

typedef enum FakePolkit {
        POLKIT_ABSENT,    /* the bus's answer when no polkitd is there to ask */
        POLKIT_YES,       /* authorized */
        POLKIT_NO,        /* not authorized, no challenge */
        POLKIT_CHALLENGE, /* an agent could authenticate the caller */
} FakePolkit;

static FakePolkit polkit_mode;
static char polkit_action[128];
static unsigned polkit_calls;
static uint32_t polkit_flags; /* 1: AllowUserInteraction, the caller's flag passed on */

static int fake_check_authorization(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *kind, *action;
        uint32_t flags;

        ASSERT_TRUE(sd_bus_message_enter_container(msg, 'r', "sa{sv}") > 0);
        ASSERT_TRUE(sd_bus_message_read(msg, "s", &kind) > 0);
        ASSERT_STREQ(kind, "system-bus-name");
        ASSERT_TRUE(sd_bus_message_skip(msg, "a{sv}") >= 0);
        ASSERT_TRUE(sd_bus_message_exit_container(msg) >= 0);
        ASSERT_TRUE(sd_bus_message_read(msg, "s", &action) > 0);
        ASSERT_TRUE(sd_bus_message_skip(msg, "a{ss}") >= 0);
        ASSERT_TRUE(sd_bus_message_read(msg, "u", &flags) > 0);
        snprintf(polkit_action, sizeof(polkit_action), "%s", action);
        polkit_flags = flags;
        polkit_calls++;

        switch (polkit_mode) {
        case POLKIT_ABSENT:
                return sd_bus_error_set(error, "org.freedesktop.DBus.Error.ServiceUnknown",
                                        "The name org.freedesktop.PolicyKit1 was not provided by any "
                                        ".service files");
        case POLKIT_YES:
                return sd_bus_reply_method_return(msg, "(bba{ss})", 1, 0, 0);
        case POLKIT_NO:
                return sd_bus_reply_method_return(msg, "(bba{ss})", 0, 0, 0);
        case POLKIT_CHALLENGE:
                return sd_bus_reply_method_return(msg, "(bba{ss})", 0, 1, 0);
        }
        abort();
}

static const sd_bus_vtable fake_polkit_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("CheckAuthorization", "(sa{sv})sa{ss}us", "(bba{ss})", fake_check_authorization,
                      SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

/* ---------------------------------------------------------------- the connection */

typedef struct Ctx {
        Manager *m; /* owns the server end, m->bus */
        sd_bus *client;
} Ctx;

/* A connected socket pair whose peer credentials are not root's: the kernel records, for both
 * ends, who called socketpair(). As root, a child that has become nobody makes the pair. */
static void unprivileged_socketpair(int fds[2]) {
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int[2]))];
        } control = {};
        struct iovec iov = { .iov_base = &(char){ 0 }, .iov_len = 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        int channel[2], status;
        pid_t pid;

        if (geteuid() != 0) {
                ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds), 0);
                return;
        }
        ASSERT_EQ(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, channel), 0);
        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                int pair[2];

                if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0 ||
                    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) < 0) {
                        fprintf(stderr, "cannot make a socket pair as uid 65534: %m\n");
                        _exit(EXIT_FAILURE);
                }
                mh.msg_control = control.buf;
                mh.msg_controllen = sizeof(control.buf);
                CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
                CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
                CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(sizeof(int[2]));
                memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), pair, sizeof(int[2]));
                _exit(sendmsg(channel[1], &mh, 0) == 1 ? EXIT_SUCCESS : EXIT_FAILURE);
        }
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        mh.msg_control = control.buf;
        mh.msg_controllen = sizeof(control.buf);
        ASSERT_EQ(recvmsg(channel[0], &mh, MSG_CMSG_CLOEXEC), 1);
        ASSERT_TRUE(CMSG_FIRSTHDR(&mh) && CMSG_FIRSTHDR(&mh)->cmsg_type == SCM_RIGHTS &&
                    CMSG_FIRSTHDR(&mh)->cmsg_len == CMSG_LEN(sizeof(int[2])));
        memcpy(fds, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(int[2]));
        (void) close(channel[0]);
        (void) close(channel[1]);
}

/* Waits until either end, or the daemon's event loop (a child that answers a call), has
 * something to do, at most 10 s. */
static void wait_both(Ctx *c) {
        struct pollfd p[3] = {
                { .fd = sd_bus_get_fd(c->m->bus), .events = (short) sd_bus_get_events(c->m->bus) },
                { .fd = sd_bus_get_fd(c->client), .events = (short) sd_bus_get_events(c->client) },
                { .fd = c->m->n_child_calls > 0 ? sd_event_get_fd(c->m->event) : -1, .events = POLLIN },
        };

        ASSERT_TRUE(poll(p, 3, 10000) > 0);
}

/* Runs both ends until *done (a reply came), at most 10 s without anything to do; and the
 * daemon's event loop while a child answers a call (child-call.h), else a queued job would start. */
static void pump(Ctx *c, const bool *done) {
        while (!*done) {
                int a, b, ev;

                a = sd_bus_process(c->m->bus, NULL);
                ASSERT_TRUE(a >= 0);
                b = sd_bus_process(c->client, NULL);
                ASSERT_TRUE(b >= 0);
                ev = c->m->n_child_calls > 0 ? sd_event_run(c->m->event, 0) : 0;
                ASSERT_TRUE(ev >= 0);
                if (a == 0 && b == 0 && ev == 0 && !*done)
                        wait_both(c);
        }
}

static Ctx *ctx_new(void) {
        Ctx *c = calloc(1, sizeof(*c));
        _cleanup_free_ char *error = NULL;
        sd_id128_t id;
        int fds[2];

        ASSERT_TRUE(c);
        ASSERT_EQ(manager_new(&c->m), 0);
        /* An empty configuration, read below the test's own directory, not /etc. */
        ASSERT_EQ(config_load(tmp_dir, &c->m->config, NULL, &error), 0);
        ASSERT_EQ(c->m->config->n_files, 0);

        unprivileged_socketpair(fds);
        ASSERT_EQ(sd_id128_randomize(&id), 0);
        ASSERT_EQ(sd_bus_new(&c->m->bus), 0);
        ASSERT_EQ(sd_bus_set_fd(c->m->bus, fds[0], fds[0]), 0);
        ASSERT_EQ(sd_bus_set_server(c->m->bus, 1, id), 0);
        ASSERT_EQ(sd_bus_set_anonymous(c->m->bus, 1), 0);
        ASSERT_EQ(sd_bus_start(c->m->bus), 0);
        ASSERT_EQ(sd_bus_new(&c->client), 0);
        ASSERT_EQ(sd_bus_set_fd(c->client, fds[1], fds[1]), 0);
        /* Anonymous: EXTERNAL would claim our uid, not the one the pair was made with. */
        ASSERT_EQ(sd_bus_set_anonymous(c->client, 1), 0);
        ASSERT_EQ(sd_bus_start(c->client), 0);

        ASSERT_EQ(bus_register_objects(c->m), 0);
        bus_sync_objects(c->m);
        ASSERT_EQ(sd_bus_add_object_vtable(c->client, NULL, "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", fake_polkit_vtable, NULL),
                  0);
        polkit_mode = POLKIT_ABSENT;
        polkit_calls = 0;
        polkit_action[0] = 0;

        /* Through the authentication, until both ends are running. */
        for (;;) {
                int a = sd_bus_process(c->m->bus, NULL), b = sd_bus_process(c->client, NULL);

                ASSERT_TRUE(a >= 0 && b >= 0);
                if (sd_bus_is_ready(c->client) > 0 && sd_bus_is_ready(c->m->bus) > 0)
                        break;
                if (a == 0 && b == 0)
                        wait_both(c);
        }
        return c;
}

static void ctx_free(Ctx *c) {
        manager_free(c->m); /* flushes and closes the server end */
        sd_bus_flush_close_unref(c->client);
        free(c);
}

typedef struct Reply {
        bool done;
        sd_bus_message *message;
} Reply;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        Reply *r = userdata;

        r->message = sd_bus_message_ref(m);
        r->done = true;
        return 1;
}

/* Sends @call and waits for its answer: 0 and *ret_reply, or the errno the error names (read
 * by the error map, as a client of the daemon reads it) with *ret_error set. */
static int call(Ctx *c, sd_bus_message *msg, sd_bus_message **ret_reply, sd_bus_error *ret_error) {
        Reply r = {};
        int k;

        ASSERT_TRUE(sd_bus_call_async(c->client, NULL, msg, on_reply, &r, 30 * 1000000ULL) >= 0);
        sd_bus_message_unref(msg);
        pump(c, &r.done);
        if (sd_bus_message_is_method_error(r.message, NULL)) {
                k = sd_bus_error_copy(ret_error, sd_bus_message_get_error(r.message));
                sd_bus_message_unref(r.message);
                ASSERT_TRUE(k < 0);
                return k;
        }
        if (ret_reply)
                *ret_reply = r.message;
        else
                sd_bus_message_unref(r.message);
        return 0;
}

static sd_bus_message *new_call(Ctx *c, const char *path, const char *interface, const char *member) {
        sd_bus_message *m = NULL;

        ASSERT_EQ(sd_bus_message_new_method_call(c->client, &m, NULL, path, interface, member), 0);
        return m;
}

static sd_bus_message *manager_call(Ctx *c, const char *member) {
        return new_call(c, "/org/daxmgr1", "org.daxmgr1.Manager", member);
}

/* Asserts an error reply of @name whose sentence contains @part (and is a sentence at all). */
static void assert_error(int r, sd_bus_error *e, const char *name, const char *part) {
        if (r >= 0 || !sd_bus_error_has_name(e, name) || !e->message || strlen(e->message) < 10 ||
            !strstr(e->message, part)) {
                fprintf(stderr, "expected %s (\"…%s…\"), got %d %s: %s\n", name, part, r,
                        e->name ?: "(no error)", e->message ?: "");
                abort();
        }
        /* The error map reads the name back as its errno, as the CLI does. */
        ASSERT_EQ(-r, bus_error_errno_for_name(name));
        sd_bus_error_free(e);
}

/* ---------------------------------------------------------------- the documented interfaces */

/* "method Name(in T n, out T n)", "signal Name(T n, …)", "property readonly T Name": the members
 * of @interface as the block in docs/dbus/@interface.md shows them. */
static char **doc_members(const char *interface) {
        _cleanup_free_ char *path = NULL, *text = NULL, *head = NULL;
        const char *section = NULL;
        char **l = NULL, *p, *end;

        path = asprintf_safe("%s/%s.md", docs_dir, interface);
        head = asprintf_safe("\ninterface %s {\n", interface);
        ASSERT_TRUE(path && head);
        ASSERT_EQ(read_full_file(path, 1 << 20, &text, NULL), 0);
        p = strstr(text, head);
        ASSERT_TRUE(p);
        p += strlen(head);
        end = strstr(p, "\n};");
        ASSERT_TRUE(end);
        *end = 0;
        for (char *line = strtok(p, "\n"); line; line = strtok(NULL, "\n")) {
                char buf[512], *o = buf;

                line += strspn(line, " ");
                if (strcmp(line, "methods:") == 0 || strcmp(line, "signals:") == 0 ||
                    strcmp(line, "properties:") == 0) {
                        section = strcmp(line, "methods:") == 0   ? "method"
                                  : strcmp(line, "signals:") == 0 ? "signal"
                                                                  : "property";
                        continue;
                }
                ASSERT_TRUE(section);
                ASSERT_TRUE(strlen(line) > 1 && line[strlen(line) - 1] == ';');
                line[strlen(line) - 1] = 0;
                /* "in  a{sv} options" is "in a{sv} options": one space between words */
                o += snprintf(o, sizeof(buf), "%s ", section);
                for (const char *s = line; *s; s++)
                        if (*s != ' ' || (s[1] != ' ' && o[-1] != ' '))
                                *o++ = *s;
                *o = 0;
                ASSERT_EQ(strv_extend(&l, buf), 0);
        }
        ASSERT_TRUE(l);
        return l;
}

/* The value of attribute @attr of the tag that starts at @tag ("<arg type=… />"), or "". */
static void xml_attr(const char *tag, const char *attr, char *buf, size_t size) {
        _cleanup_free_ char *pattern = asprintf_safe(" %s=\"", attr);
        const char *close = strchr(tag, '>'), *v;
        size_t n;

        ASSERT_TRUE(pattern && close);
        buf[0] = 0;
        v = strstr(tag, pattern);
        if (!v || v > close)
                return;
        v += strlen(pattern);
        n = strcspn(v, "\"");
        ASSERT_TRUE(n < size);
        memcpy(buf, v, n);
        buf[n] = 0;
}

/* The same list from sd-bus's introspection XML of @path for @interface. */
static char **introspected_members(Ctx *c, const char *path, const char *interface) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *head = asprintf_safe("<interface name=\"%s\">", interface), *xml = NULL;
        const char *s, *p, *end;
        char **l = NULL;

        ASSERT_TRUE(head);
        ASSERT_EQ(
                call(c, new_call(c, path, "org.freedesktop.DBus.Introspectable", "Introspect"), &reply, &e),
                0);
        ASSERT_TRUE(sd_bus_message_read(reply, "s", &s) > 0);
        xml = strdup(s);
        ASSERT_TRUE(xml);
        p = strstr(xml, head);
        if (!p) {
                fprintf(stderr, "no %s in the introspection of %s:\n%s\n", interface, path, xml);
                abort();
        }
        end = strstr(p, "</interface>");
        ASSERT_TRUE(end);
        for (p = strchr(p + 1, '<'); p && p < end; p = strchr(p + 1, '<')) {
                char buf[1024], name[256], type[256], dir[16];

                if (strncmp(p, "<method ", 8) == 0 || strncmp(p, "<signal ", 8) == 0) {
                        bool method = p[1] == 'm';
                        const char *stop = strstr(p, method ? "</method>" : "</signal>");
                        size_t n;

                        ASSERT_TRUE(stop);
                        xml_attr(p, "name", name, sizeof(name));
                        n = (size_t) snprintf(buf, sizeof(buf), "%s %s(", method ? "method" : "signal",
                                              name);
                        for (const char *a = strstr(p, "<arg "); a && a < stop; a = strstr(a + 1, "<arg ")) {
                                char arg_name[256];

                                xml_attr(a, "type", type, sizeof(type));
                                xml_attr(a, "name", arg_name, sizeof(arg_name));
                                xml_attr(a, "direction", dir, sizeof(dir));
                                n += (size_t) snprintf(buf + n, sizeof(buf) - n, "%s%s%s%s %s",
                                                       buf[n - 1] == '(' ? "" : ", ", dir, *dir ? " " : "",
                                                       type, arg_name);
                                ASSERT_TRUE(n < sizeof(buf));
                        }
                        snprintf(buf + n, sizeof(buf) - n, ")");
                        ASSERT_EQ(strv_extend(&l, buf), 0);
                        p = stop;
                } else if (strncmp(p, "<property ", 10) == 0) {
                        char access[32];

                        xml_attr(p, "name", name, sizeof(name));
                        xml_attr(p, "type", type, sizeof(type));
                        xml_attr(p, "access", access, sizeof(access));
                        snprintf(buf, sizeof(buf), "property %s %s %s",
                                 strcmp(access, "read") == 0 ? "readonly" : access, type, name);
                        ASSERT_EQ(strv_extend(&l, buf), 0);
                }
        }
        ASSERT_TRUE(l);
        return l;
}

static bool strv_has(char **l, const char *s) {
        for (size_t i = 0; l && l[i]; i++)
                if (strcmp(l[i], s) == 0)
                        return true;
        return false;
}

static void assert_interface_as_documented(Ctx *c, const char *path, const char *interface) {
        char **doc = doc_members(interface), **got = introspected_members(c, path, interface);
        bool same = true;

        for (size_t i = 0; doc[i]; i++)
                if (!strv_has(got, doc[i])) {
                        fprintf(stderr, "%s on %s: documented, not served: %s\n", interface, path, doc[i]);
                        same = false;
                }
        for (size_t i = 0; got[i]; i++)
                if (!strv_has(doc, got[i])) {
                        fprintf(stderr, "%s on %s: served, not documented: %s\n", interface, path, got[i]);
                        same = false;
                }
        ASSERT_TRUE(same);
        strv_free(doc);
        strv_free(got);
}

/* GetAll of @interface on @path: exactly the documented properties, each of its documented type. */
static void assert_properties_as_documented(Ctx *c, const char *path, const char *interface) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL, *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char **doc = doc_members(interface);
        size_t n_doc = 0, n = 0;
        int r;

        for (size_t i = 0; doc[i]; i++)
                n_doc += strncmp(doc[i], "property ", 9) == 0;
        msg = new_call(c, path, "org.freedesktop.DBus.Properties", "GetAll");
        ASSERT_TRUE(sd_bus_message_append(msg, "s", interface) >= 0);
        ASSERT_EQ(call(c, sd_bus_message_ref(msg), &reply, &e), 0);
        ASSERT_TRUE(sd_bus_message_enter_container(reply, 'a', "{sv}") > 0);
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *name, *contents;
                char want[512];
                char type;

                ASSERT_TRUE(sd_bus_message_read(reply, "s", &name) > 0);
                ASSERT_TRUE(sd_bus_message_peek_type(reply, &type, &contents) > 0);
                ASSERT_EQ(type, 'v');
                snprintf(want, sizeof(want), "property readonly %s %s", contents, name);
                if (!strv_has(doc, want)) {
                        fprintf(stderr, "%s on %s: %s is not documented as %s\n", interface, path, name,
                                contents);
                        abort();
                }
                ASSERT_TRUE(sd_bus_message_skip(reply, "v") >= 0);
                ASSERT_TRUE(sd_bus_message_exit_container(reply) >= 0);
                n++;
        }
        ASSERT_EQ(r, 0);
        ASSERT_EQ(n, n_doc);
        strv_free(doc);
}

/* ---------------------------------------------------------------- tests */

TEST(test_manager_interface) {
        Ctx *c = ctx_new();

        assert_interface_as_documented(c, "/org/daxmgr1", "org.daxmgr1.Manager");
        assert_properties_as_documented(c, "/org/daxmgr1", "org.daxmgr1.Manager");
        ctx_free(c);
}

TEST(test_manager_properties) {
        Ctx *c = ctx_new();
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        const char *s;
        uint64_t t;
        uint32_t u;
        int r;

        /* Each read through Get, as busctl get-property does. */
#define GET(name, sig, ...)                                                                                 \
        do {                                                                                                \
                sd_bus_message *_m = new_call(c, "/org/daxmgr1", "org.freedesktop.DBus.Properties", "Get"); \
                ASSERT_TRUE(sd_bus_message_append(_m, "ss", "org.daxmgr1.Manager", name) >= 0);             \
                reply = sd_bus_message_unref(reply);                                                        \
                ASSERT_EQ(call(c, _m, &reply, &e), 0);                                                      \
                ASSERT_TRUE(sd_bus_message_read(reply, "v", sig, __VA_ARGS__) > 0);                         \
        } while (0)

        GET("Version", "s", &s);
        ASSERT_STREQ(s, PACKAGE_VERSION);
        GET("State", "s", &s);
        ASSERT_STREQ(s, "starting"); /* no topology read yet */
        GET("ConfigError", "s", &s);
        ASSERT_STREQ(s, "");
        GET("PendingSteps", "u", &u);
        ASSERT_EQ(u, 0);
        GET("WatchLimit", "u", &u);
        ASSERT_EQ(u, 4096);
        GET("PollIntervalUSec", "t", &t);
        ASSERT_EQ_U64(t, 10 * 1000000ULL);
        GET("LastReconcileUSec", "t", &t);
        ASSERT_EQ_U64(t, 0);
        GET("MemoryAutoOnline", "s", &s);
        ASSERT_STREQ(s, "");
#undef GET

        /* An array: the empty configuration has no files. */
        {
                sd_bus_message *m = new_call(c, "/org/daxmgr1", "org.freedesktop.DBus.Properties", "Get");

                ASSERT_TRUE(sd_bus_message_append(m, "ss", "org.daxmgr1.Manager", "ConfigFiles") >= 0);
                reply = sd_bus_message_unref(reply);
                ASSERT_EQ(call(c, m, &reply, &e), 0);
                ASSERT_TRUE(sd_bus_message_enter_container(reply, 'v', "as") > 0);
                ASSERT_TRUE(sd_bus_message_enter_container(reply, 'a', "s") > 0);
                ASSERT_EQ(sd_bus_message_at_end(reply, false), 1);
        }

        /* sd-bus's own answer for what the vtable does not have. */
        {
                sd_bus_message *m = new_call(c, "/org/daxmgr1", "org.freedesktop.DBus.Properties", "Get");

                ASSERT_TRUE(sd_bus_message_append(m, "ss", "org.daxmgr1.Manager", "Nope") >= 0);
                r = call(c, m, NULL, &e);
                ASSERT_TRUE(r < 0 && sd_bus_error_has_name(&e, SD_BUS_ERROR_UNKNOWN_PROPERTY));
                sd_bus_error_free(&e);
        }
        ctx_free(c);
}

TEST(test_read_methods_without_topology) {
        Ctx *c = ctx_new();
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *m;
        int r;

        /* The documented name and sentence; Failed is read as EIO. */
        r = call(c, manager_call(c, "GetPlan"), NULL, &e);
        ASSERT_EQ(r, -EIO);
        ASSERT_STREQ(e.name, E "Failed");
        ASSERT_STREQ(e.message, "the pmem topology has not been read yet");
        sd_bus_error_free(&e);
        r = call(c, manager_call(c, "GetTopology"), NULL, &e);
        assert_error(r, &e, E "Failed", "the pmem topology has not been read yet");

        /* VerifyProcess checks the PID before anything else, and asks no one to do it. */
        m = manager_call(c, "VerifyProcess");
        ASSERT_TRUE(sd_bus_message_append(m, "ua{sv}", 0, 0) >= 0);
        assert_error(call(c, m, NULL, &e), &e, E "InvalidArgument", "0 is not a process ID");
        m = manager_call(c, "VerifyProcess");
        ASSERT_TRUE(sd_bus_message_append(m, "ua{sv}", UINT32_MAX, 0) >= 0);
        assert_error(call(c, m, NULL, &e), &e, E "InvalidArgument", "4294967295 is not a process ID");

        /* VerifyPath: a path that is not canonical; and an errno named by the error map
         * (bus_error_set_errno()): a file that is not there. */
        m = manager_call(c, "VerifyPath");
        ASSERT_TRUE(sd_bus_message_append(m, "sa{sv}", "relative/path", 0) >= 0);
        assert_error(call(c, m, NULL, &e), &e, E "InvalidArgument", "is not absolute");
        {
                _cleanup_free_ char *missing = asprintf_safe("%s/missing", tmp_dir);

                m = manager_call(c, "VerifyPath");
                ASSERT_TRUE(sd_bus_message_append(m, "sa{sv}", missing, 0) >= 0);
                r = call(c, m, NULL, &e);
                ASSERT_EQ(r, -ENOENT);
                ASSERT_STREQ(e.name, bus_error_name_for_errno(-ENOENT));
                ASSERT_TRUE(e.message && *e.message);
                sd_bus_error_free(&e);
        }
        ASSERT_EQ(polkit_calls, 0);
        ctx_free(c);
}

/* VerifyPath is answered from a short-lived child (child-call.h): the reply comes once the child
 * has ended; more children than CHILD_CALLS_MAX are refused as Busy; and a call still being
 * answered when the daemon stops gets an error, not silence. A file in the test's directory:
 * no pmem, and no probe file (that is only for a directory). */
TEST(test_verify_path_async) {
        _cleanup_free_ char *file = asprintf_safe("%s/plain", tmp_dir);
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        struct json_object *j, *v;
        const char *text;
        sd_bus_message *m;
        Reply r = {};
        Ctx *c = ctx_new();
        FILE *f;

        ASSERT_TRUE(file && (f = fopen(file, "we")));
        ASSERT_EQ(fclose(f), 0);
        m = manager_call(c, "VerifyPath");
        ASSERT_TRUE(sd_bus_message_append(m, "sa{sv}", file, 0) >= 0);
        ASSERT_EQ(call(c, m, &reply, &e), 0);
        ASSERT_TRUE(sd_bus_message_read(reply, "s", &text) > 0);
        ASSERT_TRUE((j = json_tokener_parse(text)));
        ASSERT_TRUE(json_object_object_get_ex(j, "path", &v));
        ASSERT_STREQ(json_object_get_string(v), file);
        ASSERT_TRUE(json_object_object_get_ex(j, "type", &v));
        ASSERT_STREQ(json_object_get_string(v), "file");
        ASSERT_TRUE(json_object_object_get_ex(j, "dax", &v));
        ASSERT_TRUE(!json_object_get_boolean(v));
        json_object_put(j);
        ASSERT_EQ(c->m->n_child_calls, 0);

        /* All places taken: refused at once, nothing forked. */
        c->m->n_child_calls = CHILD_CALLS_MAX;
        m = manager_call(c, "VerifyPath");
        ASSERT_TRUE(sd_bus_message_append(m, "sa{sv}", file, 0) >= 0);
        assert_error(call(c, m, NULL, &e), &e, E "Busy",
                     "8 calls of GetPlan, GetMetrics, VerifyProcess or VerifyPath");
        c->m->n_child_calls = 0;

        /* The daemon stops while a child answers: the call is answered as it goes. */
        m = manager_call(c, "VerifyPath");
        ASSERT_TRUE(sd_bus_message_append(m, "sa{sv}", file, 0) >= 0);
        ASSERT_TRUE(sd_bus_call_async(c->client, NULL, m, on_reply, &r, 30 * 1000000ULL) >= 0);
        sd_bus_message_unref(m);
        while (c->m->n_child_calls == 0) {
                int a = sd_bus_process(c->m->bus, NULL), b = sd_bus_process(c->client, NULL);

                ASSERT_TRUE(a >= 0 && b >= 0);
                if (a == 0 && b == 0 && c->m->n_child_calls == 0)
                        wait_both(c);
        }
        c->m = manager_free(c->m);
        while (!r.done) {
                struct pollfd p = { .fd = sd_bus_get_fd(c->client), .events = POLLIN };

                if (sd_bus_process(c->client, NULL) == 0 && !r.done)
                        ASSERT_TRUE(poll(&p, 1, 10000) > 0);
        }
        ASSERT_TRUE(sd_bus_message_is_method_error(r.message, E "Failed"));
        ASSERT_TRUE(
                strstr(sd_bus_message_get_error(r.message)->message, "daxmgrd is stopping: VerifyPath of"));
        sd_bus_message_unref(r.message);
        sd_bus_flush_close_unref(c->client);
        free(c);
}

/* The options a{sv}: an unknown key, and a known one of the wrong type, by name. */
TEST(test_options) {
        Ctx *c = ctx_new();
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *m;

        /* VerifyPath takes no options and asks polkit nothing. */
        m = manager_call(c, "VerifyPath");
        ASSERT_TRUE(sd_bus_message_append(m, "sa{sv}", "/", 1, "forse", "b", 1) >= 0);
        assert_error(call(c, m, NULL, &e), &e, E "InvalidArgument",
                     "VerifyPath has no option \"forse\"; it takes no options");
        ASSERT_EQ(polkit_calls, 0);

        /* The mutating methods read their options once polkit said yes. */
        polkit_mode = POLKIT_YES;
        m = manager_call(c, "Reconcile");
        ASSERT_TRUE(sd_bus_message_append(m, "a{sv}", 1, "force", "b", 1) >= 0);
        assert_error(call(c, m, NULL, &e), &e, E "InvalidArgument",
                     "Reconcile has no option \"force\"; it takes no options");
        ASSERT_STREQ(polkit_action, "org.daxmgr1.reconcile");

        /* The unknown key's sentence lists the table (bus_create_options). */
        m = manager_call(c, "CreateNamespace");
        ASSERT_TRUE(sd_bus_message_append(m, "a{sv}", 1, "regoin", "s", "region0") >= 0);
        assert_error(call(c, m, NULL, &e), &e, E "InvalidArgument",
                     "CreateNamespace has no option \"regoin\"; it takes region, mode, size, align, map, "
                     "name");
        ASSERT_STREQ(polkit_action, "org.daxmgr1.create-namespace");
        m = manager_call(c, "CreateNamespace");
        ASSERT_TRUE(sd_bus_message_append(m, "a{sv}", 1, "align", "s", "4096") >= 0);
        assert_error(call(c, m, NULL, &e), &e, E "InvalidArgument",
                     "option \"align\" of CreateNamespace must be of type 't', not 's'");
        m = manager_call(c, "CreateNamespace");
        ASSERT_TRUE(sd_bus_message_append(m, "a{sv}", 1, "align", "t", UINT64_C(12345)) >= 0);
        assert_error(call(c, m, NULL, &e), &e, E "InvalidArgument",
                     "align must be a power of two from 4096 to 1073741824 bytes, not 12345");
        /* Valid options, checked further: no region without a topology. */
        m = manager_call(c, "CreateNamespace");
        ASSERT_TRUE(sd_bus_message_append(m, "a{sv}", 2, "region", "s", "region0", "mode", "s", "devdax") >=
                    0);
        assert_error(call(c, m, NULL, &e), &e, E "NotFound", "there is no region \"region0\"");

        /* Refresh's table (bus_refresh_options): "zone" is a string. */
        m = manager_call(c, "Refresh");
        ASSERT_TRUE(sd_bus_message_append(m, "sa{sv}", "", 1, "zone", "b", 1) >= 0);
        assert_error(call(c, m, NULL, &e), &e, E "InvalidArgument",
                     "option \"zone\" of Refresh must be of type 's', not 'b'");
        ASSERT_STREQ(polkit_action, "org.daxmgr1.place");

        /* The namespace is looked up before the options are read. */
        m = manager_call(c, "DestroyNamespace");
        ASSERT_TRUE(sd_bus_message_append(m, "sa{sv}", "pm0", 1, "forse", "b", 1) >= 0);
        assert_error(call(c, m, NULL, &e), &e, E "NotFound", "there is no namespace \"pm0\"");
        ASSERT_TRUE(c->m->n_jobs == 0);
        ctx_free(c);
}

/* What a caller that is not root gets from a mutating method, by what polkit says. */
TEST(test_polkit) {
        Ctx *c = ctx_new();
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *m;

        /* No polkitd: the bus answers CheckAuthorization with an error. */
        polkit_mode = POLKIT_ABSENT;
        m = manager_call(c, "Reconcile");
        ASSERT_TRUE(sd_bus_message_append(m, "a{sv}", 0) >= 0);
        assert_error(call(c, m, NULL, &e), &e, E "AccessDenied",
                     "Cannot ask polkit whether org.daxmgr1.reconcile is allowed (The name "
                     "org.freedesktop.PolicyKit1 was not provided by any .service files); only root may do "
                     "it while polkitd is not running.");
        ASSERT_EQ(polkit_calls, 1);

        ASSERT_EQ(polkit_flags, 0);

        polkit_mode = POLKIT_NO;
        m = manager_call(c, "Unplace");
        ASSERT_TRUE(sd_bus_message_append(m, "ssa{sv}", "/mnt/z", "/usr/bin/true", 0) >= 0);
        ASSERT_TRUE(sd_bus_message_set_allow_interactive_authorization(m, 1) >= 0);
        assert_error(call(c, m, NULL, &e), &e, E "AccessDenied",
                     "Unplace is not allowed for this user (polkit action org.daxmgr1.unplace said no)");
        ASSERT_EQ(polkit_flags, 1);

        polkit_mode = POLKIT_CHALLENGE;
        m = manager_call(c, "Format");
        ASSERT_TRUE(sd_bus_message_append(m, "sa{sv}", "pm0", 0) >= 0);
        assert_error(call(c, m, NULL, &e), &e, E "InteractiveAuthorizationRequired",
                     "Format needs authentication (polkit action org.daxmgr1.format)");
        ASSERT_EQ(polkit_calls, 3);
        ASSERT_EQ(c->m->n_jobs, 0);
        ASSERT_TRUE(!c->m->polkit_queries);
        ctx_free(c);
}

/* A job exists without pmem: a Reconcile polkit allowed. It is queued, never run (the event
 * loop does not run here). */
TEST(test_job_object) {
        Ctx *c = ctx_new();
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        const char *path;
        sd_bus_message *m;

        polkit_mode = POLKIT_YES;
        m = manager_call(c, "Reconcile");
        ASSERT_TRUE(sd_bus_message_append(m, "a{sv}", 0) >= 0);
        ASSERT_EQ(call(c, m, &reply, &e), 0);
        ASSERT_TRUE(sd_bus_message_read(reply, "o", &path) > 0);
        ASSERT_STREQ(path, "/org/daxmgr1/job/1");
        ASSERT_EQ(c->m->n_jobs, 1);
        ASSERT_EQ(c->m->jobs[0]->state, JOB_QUEUED);
        assert_interface_as_documented(c, path, "org.daxmgr1.Job");
        assert_properties_as_documented(c, path, "org.daxmgr1.Job");

        /* A second one while the first waits is the same job. */
        reply = sd_bus_message_unref(reply);
        m = manager_call(c, "Reconcile");
        ASSERT_TRUE(sd_bus_message_append(m, "a{sv}", 0) >= 0);
        ASSERT_EQ(call(c, m, &reply, &e), 0);
        ASSERT_TRUE(sd_bus_message_read(reply, "o", &path) > 0);
        ASSERT_STREQ(path, "/org/daxmgr1/job/1");
        ASSERT_EQ(c->m->n_jobs, 1);
        ctx_free(c);
}

static const char placement_state[] =
        "{\"zones\": [\"/mnt/pmem/apps\"], \"placements\": [{\"zone\": \"/mnt/pmem/apps\", \"source\": "
        "\"/usr/bin/python3.11\", \"copy\": \"/mnt/pmem/apps/root/usr/bin/python3.11\", \"role\": "
        "\"program\", "
        "\"program\": \"/usr/bin/python3.11\", \"dev\": 65025, \"ino\": 1234, \"size\": 6831704, "
        "\"mtime_ns\": "
        "1700000000123456789, \"sha256\": "
        "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\", \"layout\": "
        "{\"text_bytes\": 8388608, \"pmd_windows\": 2, \"pmd_windows_aligned\": 1, \"extents_known\": "
        "true}, \"p_align_raised\": [{\"phdr\": 3, \"was\": 4096}, {\"phdr\": 5, \"was\": 65536}]}]}";

/* Every kind of object, from a recorded topology and a placement state in memory. */
TEST(test_object_interfaces) {
        static const struct {
                const char *interface, *prefix, *key;
        } objects[] = {
                { "org.daxmgr1.Region", "/org/daxmgr1/region", "region0" },
                { "org.daxmgr1.Namespace", "/org/daxmgr1/namespace", "namespace0.2" },
                { "org.daxmgr1.Zone", "/org/daxmgr1/zone", "/mnt/pmem/apps" },
                { "org.daxmgr1.Placement", "/org/daxmgr1/placement", "/mnt/pmem/apps:/usr/bin/python3.11" },
        };
        Ctx *c = ctx_new();
        _cleanup_free_ char *text = NULL, *error = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        struct json_object *j;
        size_t n_daxmgr = 0;

        ASSERT_EQ(read_full_file("fixtures/topology-labelled.json", 1 << 20, &text, NULL), 0);
        j = json_tokener_parse(text);
        ASSERT_EQ(topology_from_json(j, &c->m->topology, &error), 0);
        json_object_put(j);
        j = json_tokener_parse(placement_state);
        ASSERT_EQ(place_state_from_json(j, "placements.json", &c->m->state, &error), 0);
        json_object_put(j);
        bus_sync_objects(c->m);

        for (size_t i = 0; i < ELEMENTSOF(objects); i++) {
                _cleanup_free_ char *path = NULL;

                ASSERT_EQ(sd_bus_path_encode(objects[i].prefix, objects[i].key, &path), 0);
                assert_interface_as_documented(c, path, objects[i].interface);
                assert_properties_as_documented(c, path, objects[i].interface);
        }

        /* The placement's 2 MiB layout, as recorded in the state (nothing is read for it). */
        {
                _cleanup_free_ char *path = NULL;
                const char *w = NULL;
                uint64_t t;
                double d;

                ASSERT_EQ(sd_bus_path_encode("/org/daxmgr1/placement", "/mnt/pmem/apps:/usr/bin/python3.11",
                                             &path),
                          0);
#define GET(name, sig, ...)                                                                                 \
        do {                                                                                                \
                sd_bus_message *_m = new_call(c, path, "org.freedesktop.DBus.Properties", "Get");           \
                ASSERT_TRUE(sd_bus_message_append(_m, "ss", "org.daxmgr1.Placement", name) >= 0);           \
                reply = sd_bus_message_unref(reply);                                                        \
                ASSERT_EQ(call(c, _m, &reply, &e), 0);                                                      \
                ASSERT_TRUE(sd_bus_message_read(reply, "v", sig, __VA_ARGS__) > 0);                         \
        } while (0)
                GET("PmdWindows", "t", &t);
                ASSERT_EQ_U64(t, 2);
                GET("PmdWindowsAligned", "t", &t);
                ASSERT_EQ_U64(t, 1);
                GET("TextPmdCoverage", "d", &d);
                ASSERT_TRUE(d > 0.49 && d < 0.51);
#undef GET
                sd_bus_message *m = new_call(c, path, "org.freedesktop.DBus.Properties", "Get");
                ASSERT_TRUE(sd_bus_message_append(m, "ss", "org.daxmgr1.Placement", "LayoutWarnings") >= 0);
                reply = sd_bus_message_unref(reply);
                ASSERT_EQ(call(c, m, &reply, &e), 0);
                ASSERT_TRUE(sd_bus_message_enter_container(reply, 'v', "as") > 0);
                ASSERT_TRUE(sd_bus_message_enter_container(reply, 'a', "s") > 0);
                ASSERT_TRUE(sd_bus_message_read(reply, "s", &w) > 0);
                ASSERT_TRUE(strstr(w, "1 of its 2 PMD-eligible"));
                ASSERT_EQ(sd_bus_message_at_end(reply, false), 1);
                reply = sd_bus_message_unref(reply);

                /* The program headers whose p_align was raised, "PHDR WAS" each. */
                m = new_call(c, path, "org.freedesktop.DBus.Properties", "Get");
                ASSERT_TRUE(sd_bus_message_append(m, "ss", "org.daxmgr1.Placement", "PAlignRaised") >= 0);
                ASSERT_EQ(call(c, m, &reply, &e), 0);
                ASSERT_TRUE(sd_bus_message_enter_container(reply, 'v', "as") > 0);
                ASSERT_TRUE(sd_bus_message_enter_container(reply, 'a', "s") > 0);
                ASSERT_TRUE(sd_bus_message_read(reply, "s", &w) > 0);
                ASSERT_STREQ(w, "3 4096");
                ASSERT_TRUE(sd_bus_message_read(reply, "s", &w) > 0);
                ASSERT_STREQ(w, "5 65536");
                ASSERT_EQ(sd_bus_message_at_end(reply, false), 1);
                reply = sd_bus_message_unref(reply);
        }

        /* GetManagedObjects: the enumerator's objects, each with its one org.daxmgr1 interface. */
        ASSERT_EQ(
                call(c,
                     new_call(c, "/org/daxmgr1", "org.freedesktop.DBus.ObjectManager", "GetManagedObjects"),
                     &reply, &e),
                0);
        ASSERT_TRUE(sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}") > 0);
        while (sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}") > 0) {
                const char *path, *interface;

                ASSERT_TRUE(sd_bus_message_read(reply, "o", &path) > 0);
                ASSERT_TRUE(sd_bus_message_enter_container(reply, 'a', "{sa{sv}}") > 0);
                while (sd_bus_message_enter_container(reply, 'e', "sa{sv}") > 0) {
                        ASSERT_TRUE(sd_bus_message_read(reply, "s", &interface) > 0);
                        if (strncmp(interface, "org.daxmgr1.", 12) == 0)
                                n_daxmgr++;
                        ASSERT_TRUE(sd_bus_message_skip(reply, "a{sv}") >= 0);
                        ASSERT_TRUE(sd_bus_message_exit_container(reply) >= 0);
                }
                ASSERT_TRUE(sd_bus_message_exit_container(reply) >= 0);
                ASSERT_TRUE(sd_bus_message_exit_container(reply) >= 0);
        }
        /* Not the manager (GetManagedObjects lists what is below it); every region and
         * namespace of the fixture, the zone and the placement. */
        {
                size_t want = 2;

                for (size_t i = 0; i < c->m->topology->n_regions; i++)
                        want += 1 + c->m->topology->regions[i].n_namespaces;
                ASSERT_EQ(n_daxmgr, want);
        }
        ctx_free(c);
}

static int setup(int argc, char **argv) {
        _cleanup_free_ char *state = NULL, *dropin = NULL;

        if (argc != 2) {
                fprintf(stderr, "usage: %s DOCS_DBUS_DIR\n", program_invocation_short_name);
                return EXIT_FAILURE;
        }
        docs_dir = argv[1];
        ASSERT_EQ(bus_error_map_register(), 0);
        /* As daxmgrd: SIGCHLD blocked, so that sd-event can watch the children that answer calls. */
        {
                sigset_t ss;

                ASSERT_EQ(sigemptyset(&ss), 0);
                ASSERT_EQ(sigaddset(&ss, SIGCHLD), 0);
                ASSERT_EQ(sigprocmask(SIG_BLOCK, &ss, NULL), 0);
        }
        ASSERT_TRUE(mkdtemp(tmp_dir));
        state = asprintf_safe("%s/state", tmp_dir);
        dropin = asprintf_safe("%s/dropin", tmp_dir);
        ASSERT_TRUE(state && dropin);
        ASSERT_EQ(mkdir(state, 0755), 0);
        ASSERT_EQ(mkdir(dropin, 0755), 0);
        /* manager_new() reads them: never /var/lib/daxmgr or /run. */
        ASSERT_EQ(setenv("DAXMGR_STATE_DIR", state, 1), 0);
        ASSERT_EQ(setenv("DAXMGR_DROPIN_ROOT", dropin, 1), 0);
        log_max_priority = LOG_WARNING;
        return 0;
}

static void teardown(void) {
        _cleanup_free_ char *cmd = asprintf_safe("rm -rf -- '%s'", tmp_dir);

        ASSERT_TRUE(cmd);
        ASSERT_EQ(system(cmd), 0);
}

DEFINE_TEST_MAIN_FULL(setup, teardown);
