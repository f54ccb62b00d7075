/* Call-cost loops: a patched direct call site, and a call through a function pointer. */
#include "filters.h"

/* The same loop without a call (acc + 1 inline), for the loop's own cost. */
int bench_empty(long calls)
{
	int acc = 0;
	for (long i = 0; i < calls; i++) {
		acc = acc + 1;
		__asm__("" : "+r"(acc)); /* keeps the loop a loop */
	}
	return acc;
}

/* One call site of __SCT__op; the runtime points it at op_next before the measurement. */
int bench_direct(long calls)
{
	int acc = 0;
	for (long i = 0; i < calls; i++)
		acc = patchable(op)(acc);
	return acc;
}

/* `call *%reg`. The empty asm hides fn's value from the compiler, so it cannot devirtualise
 * the call even if it sees every caller (LTO, inlining). */
int bench_pointer(int (*fn)(int), long calls)
{
	__asm__("" : "+r"(fn));
	int acc = 0;
	for (long i = 0; i < calls; i++)
		acc = fn(acc);
	return acc;
}
