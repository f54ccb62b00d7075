/*
 * nolibc: just enough of a C library, on raw Linux system calls, to run the static-call
 * example on loongarch64, for which Debian has neither a GNU cross compiler nor a C library
 * (the example is built there with clang-19 -ffreestanding and linked with ld.lld-19, see
 * build.sh). It implements what main.c and runtime.c call and nothing more: formatted output
 * (%d %i %u %x %s %c %p %f with flags - # 0, width, precision, l/ll/z), reading
 * /proc/self/maps line by line, open/lseek/mmap/mprotect/close, clock_gettime, a few string
 * functions, strtol/strtoul, qsort, and _start. The system-call numbers are the asm-generic
 * ones LoongArch uses (it has no fstat: the runtime sizes a file with lseek).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#if !defined(__loongarch__) || __loongarch_grlen != 64
#error "nolibc.c: system calls are written for loongarch64 only"
#endif

enum {
	SYS_openat = 56, SYS_close = 57, SYS_lseek = 62, SYS_read = 63, SYS_write = 64,
	SYS_exit_group = 94, SYS_clock_gettime = 113, SYS_mmap = 222, SYS_mprotect = 226,
};
#define AT_FDCWD (-100)
#define AT_PAGESZ 6

int errno;
static long page_size = 4096;

static long syscall6(long n, long a, long b, long c, long d, long e, long f)
{
	register long a7 __asm__("a7") = n;
	register long a0 __asm__("a0") = a, a1 __asm__("a1") = b, a2 __asm__("a2") = c;
	register long a3 __asm__("a3") = d, a4 __asm__("a4") = e, a5 __asm__("a5") = f;
	__asm__ volatile("syscall 0"
			 : "+r"(a0)
			 : "r"(a7), "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a5)
			 : "memory", "$t0", "$t1", "$t2", "$t3", "$t4", "$t5", "$t6", "$t7", "$t8");
	if (a0 < 0 && a0 > -4096) {
		errno = (int)-a0;
		return -1;
	}
	return a0;
}

#define syscall3(n, a, b, c) syscall6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)

int open(const char *path, int flags, ...)
{
	return (int)syscall6(SYS_openat, AT_FDCWD, (long)path, flags, 0, 0, 0);
}

int close(int fd)
{
	return (int)syscall3(SYS_close, fd, 0, 0);
}

off_t lseek(int fd, off_t off, int whence)
{
	return syscall3(SYS_lseek, fd, off, whence);
}

ssize_t read(int fd, void *buf, size_t n)
{
	return syscall3(SYS_read, fd, buf, n);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	return syscall3(SYS_write, fd, buf, n);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	long r = syscall6(SYS_mmap, (long)addr, (long)len, prot, flags, fd, off);
	return r == -1 ? MAP_FAILED : (void *)r;
}

int mprotect(void *addr, size_t len, int prot)
{
	return (int)syscall3(SYS_mprotect, addr, len, prot);
}

int clock_gettime(int clock, struct timespec *t)
{
	return (int)syscall3(SYS_clock_gettime, clock, t, 0);
}

long sysconf(int name)
{
	return name == _SC_PAGESIZE ? page_size : -1;
}

void exit(int status)
{
	for (;;)
		syscall3(SYS_exit_group, status, 0, 0);
}

/* ---- strings ---- */

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;
	while (n--)
		*dp++ = *sp++;
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;
	if (dp < sp)
		return memcpy(d, s, n);
	while (n--)
		dp[n] = sp[n];
	return d;
}

void *memset(void *d, int c, size_t n)
{
	unsigned char *dp = d;
	while (n--)
		*dp++ = (unsigned char)c;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

int strcmp(const char *a, const char *b)
{
	return strncmp(a, b, (size_t)-1);
}

char *strcpy(char *d, const char *s)
{
	return memcpy(d, s, strlen(s) + 1);
}

char *strcat(char *d, const char *s)
{
	strcpy(d + strlen(d), s);
	return d;
}

unsigned long strtoul(const char *s, char **end, int base)
{
	unsigned long v = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	if ((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		base = 16;
	} else if (base == 0) {
		base = s[0] == '0' ? 8 : 10;
	}
	for (;; s++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0'
			: *s >= 'a' && *s <= 'z' ? *s - 'a' + 10
			: *s >= 'A' && *s <= 'Z' ? *s - 'A' + 10 : 99;
		if (d >= base)
			break;
		v = v * (unsigned long)base + (unsigned long)d;
	}
	if (end)
		*end = (char *)s;
	return v;
}

long strtol(const char *s, char **end, int base)
{
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '-')
		return -(long)strtoul(s + 1, end, base);
	return (long)strtoul(*s == '+' ? s + 1 : s, end, base);
}

void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	unsigned char *a = base, tmp[64];
	if (size > sizeof tmp)
		return;
	for (size_t i = 1; i < n; i++) /* insertion sort: the example sorts 5 numbers */
		for (size_t j = i; j > 0 && cmp(a + (j - 1) * size, a + j * size) > 0; j--) {
			memcpy(tmp, a + j * size, size);
			memcpy(a + j * size, a + (j - 1) * size, size);
			memcpy(a + (j - 1) * size, tmp, size);
		}
}

/* ---- formatted output ---- */

struct out {
	char *buf;
	size_t len, n; /* capacity, characters produced (also past the capacity) */
};

static void put(struct out *o, char c)
{
	if (o->n + 1 < o->len)
		o->buf[o->n] = c;
	o->n++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

/* A field: prefix ("-", "0x"), then digits/text, padded to width. */
static void field(struct out *o, const char *prefix, const char *body, int blen, int width, int left, int zero)
{
	int plen = (int)strlen(prefix), fill = width - plen - blen;
	if (!left && !zero)
		pad(o, ' ', fill);
	for (const char *p = prefix; *p; p++)
		put(o, *p);
	if (!left && zero)
		pad(o, '0', fill);
	for (int i = 0; i < blen; i++)
		put(o, body[i]);
	if (left)
		pad(o, ' ', fill);
}

static int digits(char *tmp, unsigned long long v, unsigned base)
{
	char rev[24];
	int n = 0, k = 0;
	do {
		rev[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n)
		tmp[k++] = rev[--n];
	return k;
}

int vsnprintf(char *buf, size_t len, const char *fmt, va_list ap)
{
	struct out o = {buf, len, 0};
	char tmp[64];
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			put(&o, *f);
			continue;
		}
		int left = 0, alt = 0, zero = 0, width = 0, prec = -1, lng = 0;
		for (f++;; f++) {
			if (*f == '-')
				left = 1;
			else if (*f == '#')
				alt = 1;
			else if (*f == '0')
				zero = 1;
			else
				break;
		}
		for (; *f >= '0' && *f <= '9'; f++)
			width = width * 10 + (*f - '0');
		if (*f == '.')
			for (prec = 0, f++; *f >= '0' && *f <= '9'; f++)
				prec = prec * 10 + (*f - '0');
		for (; *f == 'l' || *f == 'z'; f++)
			lng++;
		switch (*f) {
		case 'd':
		case 'i': {
			long long v = lng ? va_arg(ap, long) : va_arg(ap, int);
			unsigned long long u = v < 0 ? -(unsigned long long)v : (unsigned long long)v;
			field(&o, v < 0 ? "-" : "", tmp, digits(tmp, u, 10), width, left, zero);
			break;
		}
		case 'u':
		case 'x': {
			unsigned long long u = lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
			field(&o, *f == 'x' && alt && u ? "0x" : "", tmp, digits(tmp, u, *f == 'x' ? 16 : 10), width,
			      left, zero);
			break;
		}
		case 'p': {
			unsigned long long u = (uintptr_t)va_arg(ap, void *);
			field(&o, "0x", tmp, digits(tmp, u, 16), width, left, zero);
			break;
		}
		case 'c':
			tmp[0] = (char)va_arg(ap, int);
			field(&o, "", tmp, 1, width, left, 0);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			int n = (int)strlen(s);
			if (prec >= 0 && prec < n)
				n = prec;
			field(&o, "", s, n, width, left, 0);
			break;
		}
		case 'f': {
			double v = va_arg(ap, double), scale = 1;
			if (prec < 0)
				prec = 6;
			for (int i = 0; i < prec; i++)
				scale *= 10;
			int neg = v < 0;
			unsigned long long all = (unsigned long long)((neg ? -v : v) * scale + 0.5);
			unsigned long long ip = all / (unsigned long long)scale, fp = all % (unsigned long long)scale;
			int k = digits(tmp, ip, 10);
			if (prec > 0) {
				char fd[24];
				int m = digits(fd, fp, 10);
				tmp[k++] = '.';
				for (int i = m; i < prec; i++)
					tmp[k++] = '0';
				memcpy(tmp + k, fd, (size_t)m);
				k += m;
			}
			field(&o, neg ? "-" : "", tmp, k, width, left, zero);
			break;
		}
		case '%':
			put(&o, '%');
			break;
		default: /* unknown: print it as it is */
			put(&o, '%');
			put(&o, *f);
			break;
		}
	}
	if (len)
		buf[o.n < len ? o.n : len - 1] = 0;
	return (int)o.n;
}

int snprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n;
}

/* ---- files: unbuffered output, line input ---- */

struct nolibc_file {
	int fd, pos, len, used;
	char buf[4096];
};

/* Initialised, so that this object has a .data section: ld.lld cannot INSERT the call-site
 * table AFTER .data in a program without one (GNU ld does not mind). */
static struct nolibc_file files[4] = {{.fd = 1, .used = 1}, {.fd = 2, .used = 1}};
FILE *const stdout = &files[0], *const stderr = &files[1];

int vfprintf(FILE *f, const char *fmt, va_list ap)
{
	char line[1024];
	int n = vsnprintf(line, sizeof line, fmt, ap);
	size_t len = n < (int)sizeof line ? (size_t)n : sizeof line - 1;
	for (size_t done = 0; done < len;) {
		ssize_t w = write(f->fd, line + done, len - done);
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	return n;
}

int fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vfprintf(f, fmt, ap);
	va_end(ap);
	return n;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vfprintf(stdout, fmt, ap);
	va_end(ap);
	return n;
}

int setvbuf(FILE *f, char *buf, int mode, size_t size)
{
	(void)f, (void)buf, (void)mode, (void)size;
	return 0; /* output is unbuffered anyway */
}

int fflush(FILE *f)
{
	(void)f;
	return 0;
}

void perror(const char *s)
{
	fprintf(stderr, "%s: error %d\n", s, errno);
}

FILE *fopen(const char *path, const char *mode)
{
	if (mode[0] != 'r')
		return NULL;
	for (unsigned i = 2; i < sizeof files / sizeof files[0]; i++) {
		if (files[i].used)
			continue;
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return NULL;
		files[i] = (struct nolibc_file){.fd = fd, .used = 1};
		return &files[i];
	}
	return NULL;
}

char *fgets(char *s, int n, FILE *f)
{
	int k = 0;
	while (k + 1 < n) {
		if (f->pos == f->len) {
			ssize_t r = read(f->fd, f->buf, sizeof f->buf);
			if (r <= 0)
				break;
			f->pos = 0;
			f->len = (int)r;
		}
		char c = f->buf[f->pos++];
		s[k++] = c;
		if (c == '\n')
			break;
	}
	if (k == 0)
		return NULL;
	s[k] = 0;
	return s;
}

int fclose(FILE *f)
{
	int rc = close(f->fd);
	f->used = 0;
	return rc;
}

/* ---- start-up: sp -> argc, argv[], NULL, envp[], NULL, auxv pairs ---- */

int main(int argc, char **argv);

__attribute__((used)) static void start_c(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1), **envp = argv + argc + 1;
	while (*envp)
		envp++;
	for (long *aux = (long *)(envp + 1); aux[0] != 0; aux += 2)
		if (aux[0] == AT_PAGESZ)
			page_size = aux[1];
	exit(main(argc, argv));
}

__asm__(".text\n"
	".globl _start\n"
	".type _start, @function\n"
	"_start:\n"
	"	move $a0, $sp\n"
	"	bstrins.d $sp, $zero, 3, 0\n" /* 16-byte aligned, as the ABI wants at a call */
	"	bl start_c\n"
	".size _start, . - _start\n");
