/* Callers: plain calls in a loop, and an address reference that is not a call site. */
#include "filters.h"

long process(const int *v, int n)
{
	long kept = 0;
	for (int i = 0; i < n; i++) {
		if (patchable(filter)(v[i]))
			kept++;
		patchable(account)(sizeof(v[i]));
	}
	return kept;
}

/* Taking the wrapper's address is a reference (R_X86_64_32S / PC32 on lea), never a site. */
void *filter_address(void)
{
	return (void *)&patchable(filter);
}
