/* The implementations (defaults and the alternatives a runtime may switch to) and the keys. */
#include "filters.h"

/* The keys, defined like the kernel's DEFINE_STATIC_CALL: the call-site table names them. */
DEFINE_PATCHABLE_KEY(filter);
DEFINE_PATCHABLE_KEY(account);
DEFINE_PATCHABLE_KEY(op);

long filter_calls_default, filter_calls_strict, account_calls_default, account_calls_none;
long account_total, negatives_seen;

int filter_default(int x)
{
	filter_calls_default++;
	return x & 1;
}

int filter_strict(int x)
{
	(void)x;
	filter_calls_strict++;
	return 0;
}

void account_default(long bytes)
{
	account_calls_default++;
	account_total += bytes;
}

void account_none(long bytes)
{
	(void)bytes;
	account_calls_none++;
}

/* The benchmark's implementations: no counters, so that a call costs only the call. */
int op_default(int x)
{
	return x;
}

int op_next(int x)
{
	return x + 1;
}

void report_negative(int x)
{
	(void)x;
	negatives_seen++;
}
