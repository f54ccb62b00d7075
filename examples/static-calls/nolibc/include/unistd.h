/* nolibc: the part of <unistd.h> the example uses. */
#ifndef NOLIBC_UNISTD_H
#define NOLIBC_UNISTD_H
#include <stddef.h>
typedef long off_t;
typedef long ssize_t;
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define _SC_PAGESIZE 30
int close(int fd);
off_t lseek(int fd, off_t off, int whence);
ssize_t read(int fd, void *buf, size_t n);
ssize_t write(int fd, const void *buf, size_t n);
long sysconf(int name);
#endif
