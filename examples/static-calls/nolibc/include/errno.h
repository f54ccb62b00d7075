/* nolibc: errno, set by the system-call wrappers. */
#ifndef NOLIBC_ERRNO_H
#define NOLIBC_ERRNO_H
extern int errno;
#endif
