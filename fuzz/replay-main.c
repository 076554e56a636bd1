/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The fuzz targets as ordinary tests: runs LLVMFuzzerTestOneInput() over every file of a corpus
 * directory, then over deterministic mutations of them (byte flips, interesting bytes,
 * truncation, deletion, duplication, splicing; a fixed seed, so a failure reproduces). Under
 * ASan+UBSan any crash, leak or undefined behaviour fails the test.
 *
 *     fuzz-NAME-replay [--iterations N] [--seconds S] DIR|FILE...
 *
 * Stops mutating after N inputs (default 20000) or S seconds (default 2.5), whichever comes
 * first. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

#define INPUT_MAX (1024u * 1024u)

typedef struct Input {
        uint8_t *data;
        size_t size;
} Input;

static Input *inputs;
static size_t n_inputs;

static int add_file(const char *path) {
        uint8_t *buf = NULL;
        size_t size = 0;
        struct stat st;
        Input *a;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0) {
                fprintf(stderr, "%s: %m\n", path);
                if (fd >= 0)
                        close(fd);
                return -errno;
        }
        if (!S_ISREG(st.st_mode) || st.st_size > (off_t) INPUT_MAX) {
                close(fd);
                return 0;
        }
        buf = malloc((size_t) st.st_size + 1);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        while (size < (size_t) st.st_size) {
                ssize_t k = read(fd, buf + size, (size_t) st.st_size - size);

                if (k <= 0)
                        break;
                size += (size_t) k;
        }
        close(fd);
        a = realloc(inputs, (n_inputs + 1) * sizeof(Input));
        if (!a) {
                free(buf);
                return -ENOMEM;
        }
        inputs = a;
        inputs[n_inputs++] = (Input){ buf, size };
        return 0;
}

static int add_path(const char *path) {
        struct dirent **names = NULL;
        struct stat st;
        int n, r = 0;

        if (stat(path, &st) < 0) {
                fprintf(stderr, "%s: %m\n", path);
                return -errno;
        }
        if (!S_ISDIR(st.st_mode))
                return add_file(path);

        n = scandir(path, &names, NULL, alphasort); /* sorted: the same order every run */
        if (n < 0) {
                fprintf(stderr, "%s: %m\n", path);
                return -errno;
        }
        for (int i = 0; i < n; i++) {
                char *p = NULL;

                if (names[i]->d_name[0] != '.' && r >= 0) {
                        if (asprintf(&p, "%s/%s", path, names[i]->d_name) < 0)
                                r = -ENOMEM;
                        else
                                r = add_file(p);
                        free(p);
                }
                free(names[i]);
        }
        free(names);
        return r;
}

/* xorshift64*: small, and the same sequence everywhere. */
static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t rng(void) {
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return rng_state * UINT64_C(0x2545f4914f6cdd1d);
}

static size_t rng_below(size_t n) {
        return n == 0 ? 0 : (size_t) (rng() % n);
}

static const uint8_t interesting[] = {
        0x00, 0x01, 0x7f, 0x80, 0xff, '\n', ' ', '=', '[', ']', '#', ';', ',', '.',  '%',  '-',
        ':',  '/',  '"',  '\\', '{',  '}',  '9', '0', 'G', 'K', 'x', '(', ')', '\t', '\r',
};

/* One mutation of @buf (room for @cap bytes) of *size bytes, in place. */
static void mutate_once(uint8_t *buf, size_t *size, size_t cap) {
        size_t n = *size, i, k;

        switch (rng_below(n == 0 ? 1 : 8)) {
        case 0: /* insert an interesting byte */
                if (n >= cap)
                        break;
                i = rng_below(n + 1);
                memmove(buf + i + 1, buf + i, n - i);
                buf[i] = interesting[rng_below(sizeof(interesting))];
                *size = n + 1;
                break;
        case 1: /* flip a bit */
                buf[rng_below(n)] ^= (uint8_t) (1u << rng_below(8));
                break;
        case 2: /* a random byte */
                buf[rng_below(n)] = (uint8_t) rng();
                break;
        case 3: /* an interesting byte */
                buf[rng_below(n)] = interesting[rng_below(sizeof(interesting))];
                break;
        case 4: /* truncate */
                *size = rng_below(n);
                break;
        case 5: /* delete a range */
                i = rng_below(n);
                k = 1 + rng_below(n - i < 16 ? n - i : 16);
                memmove(buf + i, buf + i + k, n - i - k);
                *size = n - k;
                break;
        case 6: /* duplicate a range */
                i = rng_below(n);
                k = 1 + rng_below(n - i < 32 ? n - i : 32);
                if (n + k > cap)
                        break;
                memmove(buf + i + k, buf + i, n - i);
                *size = n + k;
                break;
        case 7: { /* splice: a piece of another input */
                const Input *o = &inputs[rng_below(n_inputs)];
                size_t from, len;

                if (o->size == 0)
                        break;
                from = rng_below(o->size);
                len = 1 + rng_below(o->size - from < 64 ? o->size - from : 64);
                i = rng_below(n + 1);
                if (n + len > cap)
                        break;
                memmove(buf + i + len, buf + i, n - i);
                memcpy(buf + i, o->data + from, len);
                *size = n + len;
                break;
        }
        }
}

static double now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int main(int argc, char *argv[]) {
        unsigned long iterations = 20000, done = 0;
        double seconds = 2.5, start;
        size_t max = 0;
        uint8_t *buf;
        int i;

        for (i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc)
                        iterations = strtoul(argv[++i], NULL, 10);
                else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
                        seconds = strtod(argv[++i], NULL);
                else if (add_path(argv[i]) < 0)
                        return EXIT_FAILURE;
        }
        if (n_inputs == 0) {
                fprintf(stderr, "No inputs: give a corpus directory or files.\n");
                return EXIT_FAILURE;
        }

        start = now();
        for (size_t j = 0; j < n_inputs; j++) {
                LLVMFuzzerTestOneInput(inputs[j].data, inputs[j].size);
                if (inputs[j].size > max)
                        max = inputs[j].size;
        }

        buf = malloc(max + 256);
        if (!buf)
                return EXIT_FAILURE;
        for (; done < iterations && now() - start < seconds; done++) {
                const Input *in = &inputs[rng_below(n_inputs)];
                size_t size = in->size;
                unsigned rounds = 1 + (unsigned) rng_below(4);
                uint8_t *copy;

                memcpy(buf, in->data, size);
                for (unsigned m = 0; m < rounds; m++)
                        mutate_once(buf, &size, max + 256);
                /* An exact-size copy, so that ASan catches a read one byte past the input. */
                copy = malloc(size ? size : 1);
                if (!copy)
                        break;
                memcpy(copy, buf, size);
                LLVMFuzzerTestOneInput(copy, size);
                free(copy);
        }

        printf("%zu corpus inputs, %lu mutations in %.2f s\n", n_inputs, done, now() - start);
        free(buf);
        for (size_t j = 0; j < n_inputs; j++)
                free(inputs[j].data);
        free(inputs);
        return EXIT_SUCCESS;
}
