/* nolibc: the part of <stdlib.h> the example uses. */
#ifndef NOLIBC_STDLIB_H
#define NOLIBC_STDLIB_H
#include <stddef.h>
long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
void exit(int status) __attribute__((noreturn));
#endif
