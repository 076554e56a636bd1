/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "log.h"
#include "parse-util.h"

#define FIELD_NAME_MAX 64 /* journald's limit */

int log_max_priority = LOG_INFO;

/* The process that sends to the journal itself (daxmgrd's main process), 0 for none. A child
 * forked from it writes to the inherited stderr stream instead: journald finds a sender's unit
 * (_SYSTEMD_UNIT=) through its PID, which a short-lived worker may no longer have when its
 * message is read, while a stream's is recorded once, from the daemon, when it connects. */
static pid_t journal_pid;

/* JOURNAL_STREAM is "DEVICE:INODE" of the stream systemd connected stdout and stderr to (both
 * decimal); stderr is still that stream unless someone redirected it. */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM"), *colon;
        _cleanup_free_ char *dev_s = NULL;
        uint64_t dev, ino;
        struct stat st;

        if (!e || !(colon = strchr(e, ':')))
                return false;
        dev_s = strndup(e, (size_t) (colon - e));
        if (!dev_s || parse_u64(dev_s, 10, &dev) < 0 || parse_u64(colon + 1, 10, &ino) < 0)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (uint64_t) st.st_dev == dev && (uint64_t) st.st_ino == ino;
}

void log_open(void) {
        journal_pid = stderr_is_journal() ? getpid() : 0;
}

bool log_field_name_is_valid(const char *name) {
        size_t n;

        if (!name || !*name || (*name >= '0' && *name <= '9') || *name == '_')
                return false;
        for (n = 0; name[n]; n++)
                if (!((name[n] >= 'A' && name[n] <= 'Z') || (name[n] >= '0' && name[n] <= '9') ||
                      name[n] == '_'))
                        return false;
        return n <= FIELD_NAME_MAX && strcmp(name, "MESSAGE") != 0 && strcmp(name, "PRIORITY") != 0 &&
               strncmp(name, "SYSLOG_", 7) != 0;
}

/* "NAME=value" with the value on one line, in valid UTF-8. */
static char *field_format(const LogField *f) {
        size_t l = strlen(f->name);
        char *s = asprintf_safe("%s=%s", f->name, f->value);

        for (char *p = s ? s + l + 1 : NULL; p && *p;) {
                size_t k = utf8_char_len(p, SIZE_MAX);

                if (k == 0 || (unsigned char) *p < 0x20 || *p == 0x7f) {
                        *p++ = '?';
                        continue;
                }
                p += k;
        }
        return s;
}

/* Sends @text, one entry per line as the stderr stream would have made them, with @fields.
 * Returns how many bytes of @text were sent: the rest is for stderr. */
static size_t journal_send(int priority, const LogField *fields, const char *text) {
        size_t n_fields = 0, n_iov = 0, sent = 0;
        _cleanup_free_ char *prio = NULL, *ident = NULL;
        _cleanup_free_ struct iovec *iov = NULL;
        char **strs = NULL;

        for (size_t i = 0; fields && fields[i].name; i++)
                n_fields++;
        prio = asprintf_safe("PRIORITY=%d", LOG_PRI(priority));
        ident = asprintf_safe("SYSLOG_IDENTIFIER=%s", program_invocation_short_name);
        iov = calloc(n_fields + 4, sizeof(struct iovec));
        strs = calloc(n_fields + 1, sizeof(char *));
        if (!prio || !ident || !iov || !strs)
                goto finish;

        /* iov[0] is MESSAGE=, per line. */
        n_iov = 1;
        iov[n_iov++] = (struct iovec){ prio, strlen(prio) };
        iov[n_iov++] = (struct iovec){ (char *) "SYSLOG_FACILITY=3", strlen("SYSLOG_FACILITY=3") };
        iov[n_iov++] = (struct iovec){ ident, strlen(ident) };
        for (size_t i = 0, k = 0; i < n_fields; i++) {
                if (!fields[i].value || !log_field_name_is_valid(fields[i].name))
                        continue;
                strs[k] = field_format(&fields[i]);
                if (!strs[k])
                        goto finish;
                iov[n_iov++] = (struct iovec){ strs[k], strlen(strs[k]) };
                k++;
        }

        for (;;) {
                const char *line = text + sent;
                size_t len = strcspn(line, "\n");
                _cleanup_free_ char *m = asprintf_safe("MESSAGE=%.*s", (int) len, line);

                if (!m)
                        break;
                iov[0] = (struct iovec){ m, strlen(m) };
                if (sd_journal_sendv(iov, (int) n_iov) < 0)
                        break;
                if (!line[len]) {
                        sent += len;
                        break;
                }
                sent += len + 1;
        }

finish:
        for (size_t i = 0; strs && strs[i]; i++)
                free(strs[i]);
        free(strs);
        return sent;
}

static void log_internal(int priority, const LogField *fields, const char *fmt, va_list ap) _printf_(3, 0);
static void log_internal(int priority, const LogField *fields, const char *fmt, va_list ap) {
        _cleanup_free_ char *text = NULL;
        size_t sent = 0;

        if (LOG_PRI(priority) > log_max_priority)
                return;
        if (journal_pid != 0 && journal_pid == getpid()) {
                va_list aq;

                va_copy(aq, ap);
                if (vasprintf(&text, fmt, aq) < 0)
                        text = NULL;
                va_end(aq);
        }
        if (!text) {
                fprintf(stderr, "<%d>", priority);
                vfprintf(stderr, fmt, ap);
                fputc('\n', stderr);
                return;
        }
        sent = journal_send(priority, fields, text);
        if (text[sent])
                /* The journal did not take it (all of it): the rest goes where it went before. */
                fprintf(stderr, "<%d>%s\n", priority, text + sent);
}

void log_full(int priority, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        log_internal(priority, NULL, fmt, ap);
        va_end(ap);
}

void log_struct(int priority, const LogField *fields, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        log_internal(priority, fields, fmt, ap);
        va_end(ap);
}
