/*
 * Linked into the native scriptexecd only (ScriptExec.Daemon.csproj). Before main, and so before the NativeAOT runtime
 * unpacks its dehydrated data into the executable's zero-initialised segment (about 6 MB), asks the kernel to
 * populate that segment in one call instead of one page fault per 4 KiB page as the unpacking touches it. Page faults
 * are costly in virtual machines: about 1,400 fewer faults took 5-8 ms off the CPU a start needs on the machine the
 * benchmarks ran on (docs/BENCHMARKS.md, "Start-up, third pass"). MADV_POPULATE_WRITE is Linux 5.14+; on an older
 * kernel the call fails and the pages fault in as before.
 */
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static int populate_zero_fill(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    if (info->dlpi_phdr != (const ElfW(Phdr) *)getauxval(AT_PHDR))
    {
        return 0; /* a shared library: only the executable, whose headers the kernel passed in AT_PHDR, is ours */
    }

    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    for (int i = 0; i < info->dlpi_phnum; i++)
    {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        if (segment->p_type != PT_LOAD || (segment->p_flags & PF_W) == 0 || segment->p_memsz <= segment->p_filesz)
        {
            continue;
        }

        /* The anonymous pages past the file's part: the partial page holding the end of the file data is left alone. */
        uintptr_t start = (info->dlpi_addr + segment->p_vaddr + segment->p_filesz + page - 1) & ~(page - 1);
        uintptr_t end = (info->dlpi_addr + segment->p_vaddr + segment->p_memsz + page - 1) & ~(page - 1);
        if (end > start)
        {
            (void)madvise((void *)start, end - start, MADV_POPULATE_WRITE);
        }
    }

    return 1;
}

__attribute__((constructor)) static void scriptexecd_populate_zero_fill(void)
{
    (void)dl_iterate_phdr(populate_zero_fill, NULL);
}
