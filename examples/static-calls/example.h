/* What main.c shares with pointers.c: the checks and the call-cost measurement. */
#ifndef EXAMPLE_H
#define EXAMPLE_H
#include <stdio.h>

/* Checks that failed; the program exits 1 if any did. */
extern int failures;

#define CHECK(cond, ...)                                          \
	do {                                                      \
		if (!(cond)) {                                    \
			failures++;                               \
			printf("CHECK FAILED: " __VA_ARGS__);     \
			printf("   (%s)\n", #cond);               \
		}                                                 \
	} while (0)

/* Prints what one loop costs per call: loop(fn, calls) must return calls (fn adds 1 per call). */
void measure(const char *what, int (*loop)(int (*)(int), long), int (*fn)(int), long calls);

/* pointers.c, on x86-64 when build.sh links it (weak: the kbuild tests link main.c without it). */
void pointer_calls(void) __attribute__((weak));
void pointer_costs(long calls) __attribute__((weak));
#endif
