#ifndef FILTERS_H
#define FILTERS_H
#include "patchable.h"

/* The patchable functions of the example. */
DECLARE_PATCHABLE(filter, int, (int x));      /* the one the runtime re-targets */
DECLARE_PATCHABLE(account, void, (long bytes)); /* left alone: its sites must not move */
DECLARE_PATCHABLE(op, int, (int x));          /* the call-cost benchmark's call site */

/* The alternatives a runtime may switch to. */
int filter_strict(int x);
void account_none(long bytes);
int op_next(int x);

/* Each implementation counts its calls. */
extern long filter_calls_default, filter_calls_strict, account_calls_default, account_calls_none;
extern long account_total, negatives_seen;

/* A cold function: gcc moves the blocks that call it to .text.unlikely (process.cold). */
__attribute__((cold)) void report_negative(int x);

/* The callers (process.c, route.c). */
long process(const int *v, int n);
void *filter_address(void);
int route(int x);
int route_slow(int x);
int route_rare(int x);
int route_if(int x); /* route_cond.S: a conditional tail call */

/* The call-cost loops (bench.c, bench_retpoline.c). */
int bench_empty(long calls);
int bench_direct(long calls);
int bench_pointer(int (*fn)(int), long calls);
int bench_retpoline(int (*fn)(int), long calls);
#endif
