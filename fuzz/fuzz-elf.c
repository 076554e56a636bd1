/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* ELF files: elf_object_read() (libelf, through a path: the input goes into a memfd and is read
 * as /proc/self/fd/N) and elf_advice_from_object(). */

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf-advice.h"
#include "elf-closure.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ElfObject *o = NULL;
        ElfAdvice *a = NULL;
        char path[64], *error = NULL;
        size_t done = 0;
        int fd;

        fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
        if (fd < 0)
                return 0;
        while (done < size) {
                ssize_t k = write(fd, data + done, size - done);

                if (k <= 0)
                        goto finish;
                done += (size_t) k;
        }
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        if (elf_object_read(path, &o, &error) >= 0) {
                free(error);
                error = NULL;
                (void) elf_ld_cache_flags_for(o->elf_class, o->machine);
                (void) elf_advice_from_object(o, &a, &error);
        }
finish:
        elf_advice_free(a);
        elf_object_free(o);
        free(error);
        close(fd);
        return 0;
}
