/* Callers in the first object: plain calls in a loop, a call in the loop's cold part
 * (.text.unlikely, process.cold), and an address reference that is not a call site. */
#include "filters.h"

long process(const int *v, int n)
{
	long kept = 0;
	for (int i = 0; i < n; i++) {
		int x = v[i];
		if (x < 0) {
			/* report_negative is cold, so gcc moves this block to process.cold. */
			report_negative(x);
			kept += 2 * patchable(filter)(-x);
			continue;
		}
		if (patchable(filter)(x))
			kept++;
		patchable(account)(sizeof(x));
	}
	return kept;
}

/* Taking the wrapper's address is a reference (R_X86_64_32S on mov), never a call site: the
 * runtime must leave it alone, and it keeps pointing at the default. */
void *filter_address(void)
{
	return (void *)&patchable(filter);
}
