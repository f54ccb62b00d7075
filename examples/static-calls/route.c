/* Callers in their own object: a tail call and a call from a cold (.text.unlikely) function. */
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
