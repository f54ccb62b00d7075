/* The implementations: defaults and the alternatives a runtime may switch to. */
#include "filters.h"

long account_total;
int filter_calls_default, filter_calls_strict;

int filter_default(int x)
{
	filter_calls_default++;
	return x & 1;
}

int filter_strict(int x)
{
	filter_calls_strict++;
	return 0;
}

void account_default(long bytes)
{
	account_total += bytes;
}

void account_none(long bytes)
{
	(void)bytes;
}
