/* The same pointer loop, compiled with -mindirect-branch=thunk-extern (build.sh): the indirect
 * call becomes `call __x86_indirect_thunk_<reg>`, the retpoline in retpoline.S. */
#include "filters.h"

int bench_retpoline(int (*fn)(int), long calls)
{
	__asm__("" : "+r"(fn));
	int acc = 0;
	for (long i = 0; i < calls; i++)
		acc = fn(acc);
	return acc;
}
