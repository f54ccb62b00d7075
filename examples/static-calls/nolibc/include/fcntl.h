/* nolibc: the part of <fcntl.h> the example uses (asm-generic values, as on loongarch64). */
#ifndef NOLIBC_FCNTL_H
#define NOLIBC_FCNTL_H
#define O_RDONLY 0
#define O_CLOEXEC 02000000
int open(const char *path, int flags, ...);
#endif
