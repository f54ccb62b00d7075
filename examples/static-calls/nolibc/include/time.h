/* nolibc: the part of <time.h> the example uses. */
#ifndef NOLIBC_TIME_H
#define NOLIBC_TIME_H
typedef long time_t;
struct timespec {
	time_t tv_sec;
	long tv_nsec;
};
#define CLOCK_MONOTONIC 1
int clock_gettime(int clock, struct timespec *t);
#endif
