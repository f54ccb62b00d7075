/* Callers in the second object: a tail call, and calls from cold (.text.unlikely) functions. */
#include "filters.h"

/* A sibling call: gcc -O2 emits `jmp __SCT__filter`. */
int route(int x)
{
	return patchable(filter)(x + 2);
}

/* Cold code lands in .text.unlikely, a section of its own. */
__attribute__((cold, noinline)) int route_slow(int x)
{
	int r = patchable(filter)(x);
	patchable(account)(1);
	return r + 1;
}

/* A tail call from cold code: `jmp __SCT__filter` in .text.unlikely. */
__attribute__((cold, noinline)) int route_rare(int x)
{
	return patchable(filter)(3 * x);
}
