/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The options dictionary of the org.daxmgr1 methods: read_options() (daemon/bus-options.c) on
 * real D-Bus messages, with the option tables of daemon/bus.c.
 *
 * The bytes are not a marshalled message: they are a recipe that a client sd_bus follows to
 * build a method call with sd_bus_message_append*() (so every message is valid D-Bus), which it
 * sends over a socketpair to a server sd_bus, set up once and reused; the server receives it
 * as the daemon would (sealed, parsed back from the wire) and runs read_options() over it for
 * every table. Why not raw marshalled bytes: daxmgrd sits on the system bus, and the broker
 * (dbus-broker, dbus-daemon) checks every message it forwards, and sd-bus checks the body's
 * signature against the vtable before the method runs; so the daemon only ever sees valid
 * messages with an a{sv} where read_options() reads. What varies is what a client may choose:
 * keys, variant types, values, their order and repetition. Raw bytes would spend the run in
 * sd-bus's own unmarshaller (which systemd fuzzes itself) and rarely reach a known key.
 *
 * The recipe: byte 0 picks the method (how many strings precede the dictionary, as in
 * CreateNamespace, DestroyNamespace, Mount) and the body: an a{sv} (most of the time), an a{sv}
 * followed by another argument, or something else in its place (a{ss}, as, av, a{sa{sv}}, s,
 * (sv), nothing). Then, until the bytes run out, one dictionary entry each:
 *   key:   a known key of a table, a near miss of one (case, a character more or less),
 *          printable random bytes, the empty string, or a known key and up to 16 Ki letters;
 *   value: a variant of s, b, t, u, i, x, d, o, g, y, n, q, as, ay, ab, at, a{ss}, a{sv}, av,
 *          (ss), (st), (sv) or v (nested), with values from the bytes.
 *
 * The oracle: a model of read_options() computed from the recipe. For each table, an entry
 * whose key is not in the table, or whose variant is not exactly the table's type, must fail
 * with org.daxmgr1.Error.InvalidArgument and a message; otherwise it must succeed with one JSON
 * member per distinct key, holding the last value given for it. A body without the a{sv} must
 * fail, any error set must be InvalidArgument, and sd-bus must be able to send it back (its
 * message a valid UTF-8 string). abort() on any difference. */

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-id128.h>

#include "bus-options.h"
#include "fuzz.h"
#include "macro.h"

/* The daemon's own tables (daemon/bus-options.c). NULL is what the methods that take no options
 * yet pass (Reconcile, Unmount, CreateZone, RemoveZone, …). */
static const OptionSpec *const tables[] = {
        bus_create_options, bus_destroy_options, bus_format_options,  bus_mount_options,
        bus_place_options,  bus_unplace_options, bus_refresh_options, NULL,
};
#define N_TABLES (sizeof(tables) / sizeof(tables[0]))

static const struct {
        const char *member;
        unsigned n_strings; /* arguments before the a{sv} */
} methods[] = {
        { "CreateNamespace", 0 },
        { "DestroyNamespace", 1 },
        { "Mount", 2 },
};

/* Variant types; the first three are the ones the tables use. */
enum {
        T_S,
        T_B,
        T_T,
        T_U,
        T_I,
        T_X,
        T_D,
        T_O,
        T_G,
        T_Y,
        T_N,
        T_Q,
        T_AS,
        T_AY,
        T_AB,
        T_AT,
        T_ASS,
        T_ASV,
        T_AV,
        T_SS,
        T_ST,
        T_SV,
        T_V,
        T_ASASV, /* not in variants: only as a body instead of the a{sv} */
        _T_MAX,
};
static const char *const type_sig[_T_MAX] = {
        [T_S] = "s",       [T_B] = "b",       [T_T] = "t",   [T_U] = "u",
        [T_I] = "i",       [T_X] = "x",       [T_D] = "d",   [T_O] = "o",
        [T_G] = "g",       [T_Y] = "y",       [T_N] = "n",   [T_Q] = "q",
        [T_AS] = "as",     [T_AY] = "ay",     [T_AB] = "ab", [T_AT] = "at",
        [T_ASS] = "a{ss}", [T_ASV] = "a{sv}", [T_AV] = "av", [T_SS] = "(ss)",
        [T_ST] = "(st)",   [T_SV] = "(sv)",   [T_V] = "v",   [T_ASASV] = "a{sa{sv}}",
};
#define N_VARIANT_TYPES T_ASASV

#define MAX_DEPTH   6
#define MAX_ENTRIES 64

typedef struct Src {
        const uint8_t *p;
        size_t n;
} Src;

static uint8_t take(Src *s) {
        if (s->n == 0)
                return 0;
        s->n--;
        return *s->p++;
}

static uint64_t take_u64(Src *s, unsigned bytes) {
        uint64_t v = 0;

        for (unsigned i = 0; i < bytes; i++)
                v = v << 8 | take(s);
        return v;
}

/* A growing string. */
typedef struct Buf {
        char *s;
        size_t n, cap;
} Buf;

static void buf_reserve(Buf *b, size_t n) {
        if (b->n + n + 1 > b->cap) {
                size_t cap = (b->n + n + 1) * 2;
                char *s = realloc(b->s, cap);

                if (!s)
                        abort();
                b->s = s;
                b->cap = cap;
        }
}

static void buf_add(Buf *b, const char *p, size_t n) {
        buf_reserve(b, n);
        memcpy(b->s + b->n, p, n);
        b->n += n;
        b->s[b->n] = '\0';
}

/* @unit @times times, by doubling: a loop per character costs more than the rest of the run. */
static void buf_add_repeated(Buf *b, const char *unit, size_t times) {
        size_t u = strlen(unit), total = u * times, done;
        char *p;

        if (total == 0)
                return;
        buf_reserve(b, total);
        p = b->s + b->n;
        memcpy(p, unit, u);
        for (done = u; done < total; done *= 2)
                memcpy(p + done, p, done < total - done ? done : total - done);
        b->n += total;
        b->s[b->n] = '\0';
}

static const OptionSpec *spec_at(uint8_t a, uint8_t b) {
        const OptionSpec *t = tables[a % (N_TABLES - 1)];
        size_t n = 0;

        while (t[n].key)
                n++;
        return &t[b % n];
}

static char *gen_key(Src *s) {
        Buf b = {};
        uint8_t op = take(s), a, c;
        const char *k;

        buf_add(&b, "", 0); /* never NULL */
        switch (op % 8) {
        case 0:
        case 1:
        case 2: /* a known key */
                a = take(s);
                k = spec_at(a, take(s))->key;
                buf_add(&b, k, strlen(k));
                break;
        case 3: { /* a near miss */
                a = take(s);
                k = spec_at(a, take(s))->key;
                c = take(s);
                switch (c % 6) {
                case 0: /* first letter upper case */
                        buf_add(&b, k, strlen(k));
                        b.s[0] = (char) (b.s[0] - 'a' + 'A');
                        break;
                case 1: /* one more character */
                        buf_add(&b, k, strlen(k));
                        buf_add(&b, &"s_ =x"[c / 6 % 5], 1);
                        break;
                case 2: /* one less */
                        buf_add(&b, k, strlen(k) - 1);
                        break;
                case 3: /* a prefix */
                        buf_add(&b, "x", 1);
                        buf_add(&b, k, strlen(k));
                        break;
                case 4: /* '_' and '-' swapped, or the last letter changed */
                        buf_add(&b, k, strlen(k));
                        for (char *p = b.s; *p; p++)
                                if (*p == '_')
                                        *p = '-';
                        if (!strchr(k, '_'))
                                b.s[b.n - 1] ^= 1;
                        break;
                default: /* a non-ASCII letter */
                        buf_add(&b, k, strlen(k));
                        buf_add(&b, "\xc3\xa9", 2);
                        break;
                }
                break;
        }
        case 4:
        case 5: { /* printable random bytes, some of them é */
                size_t n = take(s) % 65;

                for (size_t i = 0; i < n; i++) {
                        uint8_t x = take(s);

                        if (x & 0x80)
                                buf_add(&b, "\xc3\xa9", 2);
                        else
                                buf_add(&b, &(char){ (char) (x >= 0x20 && x < 0x7f ? x : 'a' + x % 26) }, 1);
                }
                break;
        }
        case 6: /* empty */
                buf_add(&b, "", 0);
                break;
        default: { /* a known key, then up to 16 Ki times one letter (ASCII or not) */
                size_t n = take_u64(s, 2) % (16 * 1024 + 1);
                const char *letter;

                a = take(s);
                k = spec_at(a, take(s))->key;
                letter = take(s) & 1 ? "\xc3\xa9" : "k";
                buf_add(&b, k, strlen(k));
                buf_add_repeated(&b, letter, n);
                break;
        }
        }
        return b.s;
}

static const char *const known_values[] = {
        "",       "xfs",    "ext4",  "btrfs", "fsdax",         "devdax",        "sector",
        "raw",    "always", "never", "inode", "region0",       "region1",       "10G",
        "50%",    "rest",   "mem",   "dev",   "nodev,noatime", "/usr/bin/true", "daxmgr-test.service",
        "0x1000", "-1",     "ns0",
};

static char *gen_string(Src *s) {
        Buf b = {};
        uint8_t op = take(s);

        buf_add(&b, "", 0); /* never NULL */
        if (op % 4 < 2) {
                const char *v = known_values[take(s) % (sizeof(known_values) / sizeof(known_values[0]))];

                buf_add(&b, v, strlen(v));
        } else if (op % 4 == 2) {
                size_t n = take(s) % 33;

                for (size_t i = 0; i < n; i++) {
                        uint8_t x = take(s);

                        buf_add(&b, &(char){ (char) (x >= 0x20 && x < 0x7f ? x : 'a' + x % 26) }, 1);
                }
        } else {
                size_t n = take_u64(s, 2) % (16 * 1024 + 1);

                buf_add_repeated(&b, "v", n);
        }
        return b.s;
}

/* What the model needs of an entry of the top-level dictionary. */
typedef struct Entry {
        char *key;
        unsigned type;
        char *s;
        bool b;
        uint64_t t;
} Entry;

static int append_value(sd_bus_message *m, unsigned type, Src *s, unsigned depth, Entry *model);

static int append_dict_entry(sd_bus_message *m, Src *s, unsigned depth, Entry *model) {
        _cleanup_free_ char *key = gen_key(s);
        unsigned type = take(s) % N_VARIANT_TYPES;
        int r;

        if (depth >= MAX_DEPTH && type >= T_AS)
                type = T_S;
        r = sd_bus_message_open_container(m, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append_basic(m, 's', key);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', type_sig[type]);
        if (r >= 0)
                r = append_value(m, type, s, depth + 1, model);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0 && model) {
                model->key = TAKE_PTR(key);
                model->type = type;
        }
        return r;
}

static int append_value(sd_bus_message *m, unsigned type, Src *s, unsigned depth, Entry *model) {
        unsigned n;
        int r = 0;

        switch (type) {
        case T_S: {
                char *v = gen_string(s);

                r = sd_bus_message_append_basic(m, 's', v);
                if (model)
                        model->s = v;
                else
                        free(v);
                return r;
        }
        case T_B: {
                int v = take(s) & 1;

                if (model)
                        model->b = v;
                return sd_bus_message_append_basic(m, 'b', &v);
        }
        case T_T: {
                uint64_t v = take_u64(s, 1 + take(s) % 8);

                if (model)
                        model->t = v;
                return sd_bus_message_append_basic(m, 't', &v);
        }
        case T_U:
        case T_I: {
                uint32_t v = (uint32_t) take_u64(s, 4);

                return sd_bus_message_append_basic(m, type_sig[type][0], &v);
        }
        case T_X: {
                int64_t v = (int64_t) take_u64(s, 8);

                return sd_bus_message_append_basic(m, 'x', &v);
        }
        case T_D: {
                uint64_t bits = take_u64(s, 8);
                double v;

                memcpy(&v, &bits, sizeof(v));
                return sd_bus_message_append_basic(m, 'd', &v);
        }
        case T_O: {
                static const char *const paths[] = { "/", "/org/daxmgr1", "/org/daxmgr1/namespace/ns0",
                                                     "/a/b_1" };

                return sd_bus_message_append_basic(m, 'o', paths[take(s) % 4]);
        }
        case T_G: {
                static const char *const sigs[] = { "", "s", "b", "t", "a{sv}", "v", "(ss)" };

                return sd_bus_message_append_basic(m, 'g', sigs[take(s) % 7]);
        }
        case T_Y: {
                uint8_t v = take(s);

                return sd_bus_message_append_basic(m, 'y', &v);
        }
        case T_N:
        case T_Q: {
                uint16_t v = (uint16_t) take_u64(s, 2);

                return sd_bus_message_append_basic(m, type_sig[type][0], &v);
        }
        case T_AY: {
                size_t k = take(s);

                if (k > s->n)
                        k = s->n;
                r = sd_bus_message_append_array(m, 'y', s->p, k);
                s->p += k;
                s->n -= k;
                return r;
        }
        case T_AS:
        case T_AB:
        case T_AT:
        case T_AV: {
                unsigned elem = type == T_AS ? T_S : type == T_AB ? T_B : type == T_AT ? T_T : T_V;

                n = take(s) % 5;
                r = sd_bus_message_open_container(m, 'a', type_sig[elem]);
                for (unsigned i = 0; r >= 0 && i < n; i++) {
                        if (elem == T_V) {
                                unsigned inner = take(s) % N_VARIANT_TYPES;

                                if (depth >= MAX_DEPTH && inner >= T_AS)
                                        inner = T_S;
                                r = sd_bus_message_open_container(m, 'v', type_sig[inner]);
                                if (r >= 0)
                                        r = append_value(m, inner, s, depth + 1, NULL);
                                if (r >= 0)
                                        r = sd_bus_message_close_container(m);
                        } else
                                r = append_value(m, elem, s, depth + 1, NULL);
                }
                return r >= 0 ? sd_bus_message_close_container(m) : r;
        }
        case T_ASS:
                n = take(s) % 5;
                r = sd_bus_message_open_container(m, 'a', "{ss}");
                for (unsigned i = 0; r >= 0 && i < n; i++) {
                        _cleanup_free_ char *k = gen_key(s), *v = gen_string(s);

                        r = sd_bus_message_append(m, "{ss}", k, v);
                }
                return r >= 0 ? sd_bus_message_close_container(m) : r;
        case T_ASV:
                n = take(s) % 5;
                r = sd_bus_message_open_container(m, 'a', "{sv}");
                for (unsigned i = 0; r >= 0 && i < n; i++)
                        r = append_dict_entry(m, s, depth + 1, NULL);
                return r >= 0 ? sd_bus_message_close_container(m) : r;
        case T_ASASV:
                n = take(s) % 3;
                r = sd_bus_message_open_container(m, 'a', "{sa{sv}}");
                for (unsigned i = 0; r >= 0 && i < n; i++) {
                        _cleanup_free_ char *k = gen_key(s);

                        r = sd_bus_message_open_container(m, 'e', "sa{sv}");
                        if (r >= 0)
                                r = sd_bus_message_append_basic(m, 's', k);
                        if (r >= 0)
                                r = append_value(m, T_ASV, s, depth + 1, NULL);
                        if (r >= 0)
                                r = sd_bus_message_close_container(m);
                }
                return r >= 0 ? sd_bus_message_close_container(m) : r;
        case T_SS:
        case T_ST:
        case T_SV:
                r = sd_bus_message_open_container(m, 'r', type == T_SS ? "ss" : type == T_ST ? "st" : "sv");
                if (r >= 0)
                        r = append_value(m, T_S, s, depth + 1, NULL);
                if (r >= 0)
                        r = append_value(m,
                                         type == T_SS   ? T_S
                                         : type == T_ST ? T_T
                                                        : T_V,
                                         s, depth + 1, NULL);
                return r >= 0 ? sd_bus_message_close_container(m) : r;
        case T_V: {
                unsigned inner = take(s) % N_VARIANT_TYPES;

                if (depth >= MAX_DEPTH && inner >= T_AS)
                        inner = T_S;
                r = sd_bus_message_open_container(m, 'v', type_sig[inner]);
                if (r >= 0)
                        r = append_value(m, inner, s, depth + 1, NULL);
                return r >= 0 ? sd_bus_message_close_container(m) : r;
        }
        }
        abort();
}

/* The connection, set up once: a server and a client sd_bus on the two ends of a socketpair
 * (anonymous authentication, no bus daemon). */
static sd_bus *server, *client;

static void pump(void) {
        struct pollfd p[2] = {
                { .fd = sd_bus_get_fd(server), .events = (short) sd_bus_get_events(server) },
                { .fd = sd_bus_get_fd(client), .events = (short) sd_bus_get_events(client) },
        };

        if (poll(p, 2, 10 * 1000) <= 0)
                abort(); /* nothing moves: the harness is broken */
}

static void setup(void) {
        sd_id128_t id;
        int fds[2];

        if (client)
                return;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) < 0 ||
            sd_id128_randomize(&id) < 0 || sd_bus_new(&server) < 0 ||
            sd_bus_set_fd(server, fds[0], fds[0]) < 0 || sd_bus_set_server(server, 1, id) < 0 ||
            sd_bus_set_anonymous(server, 1) < 0 || sd_bus_start(server) < 0 || sd_bus_new(&client) < 0 ||
            sd_bus_set_fd(client, fds[1], fds[1]) < 0 || sd_bus_set_anonymous(client, 1) < 0 ||
            sd_bus_start(client) < 0)
                abort();
        while (sd_bus_is_ready(server) <= 0 || sd_bus_is_ready(client) <= 0) {
                int a = sd_bus_process(client, NULL), b = sd_bus_process(server, NULL);

                if (a < 0 || b < 0)
                        abort();
                if (a == 0 && b == 0)
                        pump();
        }
}

/* Sends @m and returns it as the server received it. */
static sd_bus_message *deliver(sd_bus_message *m) {
        sd_bus_message *got = NULL;

        if (sd_bus_send(client, m, NULL) < 0)
                abort();
        for (;;) {
                int a = sd_bus_process(client, NULL), b = sd_bus_process(server, &got);

                if (a < 0 || b < 0)
                        abort();
                if (got)
                        return got;
                if (a == 0 && b == 0)
                        pump();
        }
}

static const OptionSpec *spec_find(const OptionSpec *specs, const char *key) {
        for (const OptionSpec *s = specs; s && s->key; s++)
                if (strcmp(s->key, key) == 0)
                        return s;
        return NULL;
}

/* The model: 1 if read_options() must succeed with @specs, 0 if it must refuse by name. */
static int model_accepts(const Entry *e, size_t n, const OptionSpec *specs) {
        for (size_t i = 0; i < n; i++) {
                const OptionSpec *spec = spec_find(specs, e[i].key);

                if (!spec || type_sig[e[i].type][1] != '\0' || type_sig[e[i].type][0] != spec->type)
                        return 0;
                /* The bounds: no string of PATH_MAX bytes or more, an "align" that is a power of
                 * two from 4 KiB to 1 GiB. */
                if (e[i].type == T_S && strlen(e[i].s) >= PATH_MAX)
                        return 0;
                if (e[i].type == T_T && strcmp(e[i].key, "align") == 0 &&
                    (e[i].t < 4096 || e[i].t > (UINT64_C(1) << 30) || (e[i].t & (e[i].t - 1)) != 0))
                        return 0;
        }
        return 1;
}

static void check_json(const Entry *e, size_t n, const OptionSpec *specs, struct json_object *j) {
        size_t distinct = 0;

        json_object_object_foreach(j, member, value) {
                (void) value;
                if (!spec_find(specs, member))
                        abort();
        }
        for (size_t i = 0; i < n; i++) {
                struct json_object *v;
                bool last = true;

                for (size_t l = i + 1; l < n; l++)
                        if (strcmp(e[l].key, e[i].key) == 0)
                                last = false;
                if (!last)
                        continue;
                distinct++;
                if (!json_object_object_get_ex(j, e[i].key, &v))
                        abort();
                switch (e[i].type) {
                case T_S:
                        if (!json_object_is_type(v, json_type_string) ||
                            strcmp(json_object_get_string(v), e[i].s))
                                abort();
                        break;
                case T_B:
                        if (!json_object_is_type(v, json_type_boolean) ||
                            json_object_get_boolean(v) != e[i].b)
                                abort();
                        break;
                case T_T:
                        if (!json_object_is_type(v, json_type_int) || json_object_get_uint64(v) != e[i].t)
                                abort();
                        break;
                default:
                        abort();
                }
        }
        if ((size_t) json_object_object_length(j) != distinct)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *got = NULL;
        Entry entries[MAX_ENTRIES] = {};
        Src src = { data, size };
        size_t n = 0, n_strings;
        unsigned body, member;
        int r;

        if (size == 0)
                return 0;
        setup();

        /* utf8_make_valid() of the raw bytes: what comes out, sd-bus accepts as a string. */
        {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *t = NULL;
                _cleanup_free_ char *raw = strndup((const char *) data, size);

                if (!raw || sd_bus_message_new_method_call(client, &t, NULL, "/", "a.b", "C") < 0)
                        abort();
                if (sd_bus_message_append_basic(t, 's', utf8_make_valid(raw)) < 0)
                        abort();
        }

        member = take(&src) % 3;
        body = take(&src) % 16;
        n_strings = methods[member].n_strings;
        if (sd_bus_message_new_method_call(client, &m, NULL, "/org/daxmgr1", "org.daxmgr1.Manager",
                                           methods[member].member) < 0)
                abort();
        for (size_t i = 0; i < n_strings; i++)
                if (sd_bus_message_append_basic(m, 's', i == 0 ? "pmem0" : "/mnt/pmem0") < 0)
                        abort();

        if (body < 12) { /* the a{sv} (and after it, sometimes, another argument) */
                r = sd_bus_message_open_container(m, 'a', "{sv}");
                while (r >= 0 && src.n > 0 && n < MAX_ENTRIES) {
                        r = append_dict_entry(m, &src, 0, &entries[n]);
                        if (r >= 0)
                                n++;
                }
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0 && body >= 10)
                        r = append_value(m, body == 10 ? T_S : T_ASV, &src, 1, NULL);
        } else { /* something else where the a{sv} should be */
                static const unsigned other[] = { T_ASS, T_AS, T_AV, T_ASASV };

                r = body == 15 ? 0 : append_value(m, other[body - 12], &src, 1, NULL);
        }
        if (r < 0)
                goto finish; /* a recipe sd-bus refuses to build (too deep, too big): no message */
        got = deliver(m);

        for (size_t t = 0; t < N_TABLES; t++) {
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                struct json_object *j = json_object_new_object();

                if (!j || sd_bus_message_rewind(got, true) < 0)
                        abort();
                for (size_t i = 0; i < n_strings; i++)
                        if (sd_bus_message_read_basic(got, 's', &(const char *){ NULL }) < 0)
                                abort();
                r = read_options(got, tables[t], j, &e);
                if (sd_bus_error_is_set(&e)) {
                        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

                        if (r >= 0 || strcmp(e.name, ERROR_PREFIX "InvalidArgument") != 0 || !e.message)
                                abort();
                        /* The error reply the daemon sends: its text must be a D-Bus string too. */
                        if (sd_bus_message_new_method_error(got, &reply, &e) < 0)
                                abort();
                }
                if (body >= 12) {
                        if (r >= 0)
                                abort();
                } else if (model_accepts(entries, n, tables[t])) {
                        if (r < 0)
                                abort();
                        check_json(entries, n, tables[t], j);
                } else if (r >= 0 || !sd_bus_error_is_set(&e))
                        abort();
                json_object_put(j);
        }

finish:
        for (size_t i = 0; i < MAX_ENTRIES; i++) {
                free(entries[i].key);
                free(entries[i].s);
        }
        return 0;
}
