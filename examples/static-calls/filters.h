#ifndef FILTERS_H
#define FILTERS_H
#include "patchable.h"

DECLARE_PATCHABLE(filter, int, (int x));
DECLARE_PATCHABLE(account, void, (long bytes));

int filter_strict(int x);
void account_none(long bytes);

int route(int x);
int route_slow(int x);
long process(const int *v, int n);
#endif
