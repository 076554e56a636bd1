/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* /etc/ld.so.cache (elf_ld_cache_parse()), and lookups in what it found. */

#include "elf-closure.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ElfLdCache *c = NULL;

        if (elf_ld_cache_parse(data, size, &c) >= 0) {
                size_t iter = 0;

                while (elf_ld_cache_lookup(c, "libc.so.6", ELF_LD_CACHE_FLAGS_ANY, &iter))
                        ;
                if (c->n_entries > 0) {
                        iter = 0;
                        (void) elf_ld_cache_lookup(
                                c, c->entries[0].key,
                                elf_ld_cache_flags_for(2 /* ELFCLASS64 */, 62 /* EM_X86_64 */), &iter);
                }
        }
        elf_ld_cache_free(c);
        return 0;
}
