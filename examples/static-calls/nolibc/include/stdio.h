/* nolibc: the part of <stdio.h> the example uses (freestanding loongarch64, see nolibc.c). */
#ifndef NOLIBC_STDIO_H
#define NOLIBC_STDIO_H
#include <stdarg.h>
#include <stddef.h>

typedef struct nolibc_file FILE;
extern FILE *const stdout, *const stderr;
#define _IOFBF 0
#define _IOLBF 1
#define _IONBF 2

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fprintf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int snprintf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t len, const char *fmt, va_list ap);
int vfprintf(FILE *f, const char *fmt, va_list ap);
int setvbuf(FILE *f, char *buf, int mode, size_t size);
int fflush(FILE *f);
FILE *fopen(const char *path, const char *mode);
char *fgets(char *s, int n, FILE *f);
int fclose(FILE *f);
void perror(const char *s);
#endif
