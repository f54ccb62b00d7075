/* nolibc: the part of <sys/mman.h> the example uses. */
#ifndef NOLIBC_SYS_MMAN_H
#define NOLIBC_SYS_MMAN_H
#include <stddef.h>
#include <unistd.h>
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_PRIVATE 2
#define MAP_FAILED ((void *)-1)
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int mprotect(void *addr, size_t len, int prot);
#endif
