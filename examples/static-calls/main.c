/*
 * The end-to-end example: print the call-site table, run a workload that reaches every call
 * site of the patchable function `filter`, re-target all of them from filter_default to
 * filter_strict, run it again, and check the counts; then measure what a call costs.
 * Exits 1 if any check fails.
 *
 * usage: static-calls [CALLS]   (CALLS per call-cost measurement, default 50000000)
 *        static-calls --workload  (run the workload once, print the counts, patch nothing: for
 *                                 checking a copy patched offline by `patchsites plan --apply`)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "example.h"
#include "filters.h"
#include "runtime.h"

/* How the call-cost table names the two kinds of call on this architecture. */
#if defined(__x86_64__) || defined(__i386__)
#define CALL_INSN "call"
#define POINTER_CALL "call *%reg"
#elif defined(__aarch64__)
#define CALL_INSN "bl"
#define POINTER_CALL "blr"
#elif defined(__arm__)
#define CALL_INSN "bl"
#define POINTER_CALL "blx reg"
#elif defined(__powerpc__) || defined(__powerpc64__)
#define CALL_INSN "bl"
#define POINTER_CALL "mtctr; bctrl"
#elif defined(__riscv)
#define CALL_INSN "call"
#define POINTER_CALL "jalr"
#elif defined(__s390x__)
#define CALL_INSN "brasl"
#define POINTER_CALL "basr"
#elif defined(__loongarch__)
#define CALL_INSN "bl"
#define POINTER_CALL "jirl"
#else
#define CALL_INSN "call"
#define POINTER_CALL "indirect"
#endif

int failures;

/* Two negatives go through process.cold; route() runs for every value. */
static const int input[] = {3, 8, -5, 12, 7, -2, 10, 1};
#define N_INPUT ((int)(sizeof input / sizeof input[0]))

struct counts {
	long result, filter_default, filter_strict, account_default, account_none;
};

static void reset_counts(void)
{
	filter_calls_default = filter_calls_strict = 0;
	account_calls_default = account_calls_none = 0;
}

/* Reaches every call site of __SCT__filter: process (call, and call in process.cold), route
 * (tail call), route_slow (call in .text.unlikely), route_rare (tail call in .text.unlikely),
 * route_if (conditional tail call). */
static struct counts workload(void)
{
	reset_counts();
	long r = process(input, N_INPUT);
	for (int i = 0; i < N_INPUT; i++)
		r += route(input[i]);
	r += route_slow(5);
	r += route_rare(7);
	r += route_if(9); /* jne __SCT__filter, taken */
	r += route_if(0); /* not taken: no call */
	return (struct counts){r, filter_calls_default, filter_calls_strict, account_calls_default,
			       account_calls_none};
}

static void print_counts(const char *when, struct counts c)
{
	printf("%s: workload result %ld, filter_default %ld calls, filter_strict %ld calls, "
	       "account_default %ld calls\n", when, c.result, c.filter_default, c.filter_strict, c.account_default);
}

static int sites_of(const void *key, const struct static_call_site **out, int max)
{
	int n = 0;
	for (const struct static_call_site *s = __start_static_call_sites; s < __stop_static_call_sites; s++)
		if (site_key(s) == key && n < max)
			out[n++] = s;
	return n;
}

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

#define RUNS 5

/* ns per call of one loop: the median and the fastest of RUNS runs of `calls` calls each. */
void measure(const char *what, int (*loop)(int (*)(int), long), int (*fn)(int), long calls)
{
	double ns[RUNS];
	for (int r = 0; r < RUNS; r++) {
		double t0 = now_ns();
		int acc = loop(fn, calls);
		ns[r] = (now_ns() - t0) / (double)calls;
		/* op_next adds 1 per call: anything else means the call did not go where it should. */
		CHECK(acc == (int)calls, "%s: %ld iterations returned %d\n", what, calls, acc);
	}
	qsort(ns, RUNS, sizeof ns[0], cmp_double);
	printf("  %-52s %8.2f %8.2f\n", what, ns[RUNS / 2], ns[0]);
}

static int empty_loop(int (*fn)(int), long calls)
{
	(void)fn;
	return bench_empty(calls);
}

static int direct_loop(int (*fn)(int), long calls)
{
	(void)fn;
	return bench_direct(calls);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && strcmp(argv[1], "--workload") == 0) {
		struct counts c = workload();
		printf("workload: filter_default %ld calls, filter_strict %ld calls\n", c.filter_default,
		       c.filter_strict);
		return 0;
	}
	long calls = argc > 1 ? strtol(argv[1], NULL, 0) : 50000000L;
	char name[64];

	printf("== the call-site table, before patching\n");
	sites_print(stdout);
	const struct static_call_site *fsites[64];
	int nf = sites_of(patchable_key(filter), fsites, 64);
	CHECK(nf > 0, "no call site of __SCK__filter in the table\n");
	for (size_t i = 0; i < sites_count(); i++) {
		const struct static_call_site *s = &__start_static_call_sites[i];
		CHECK(site_destination(s) != NULL, "entry %zu does not point at a call, jmp or jcc\n", i);
	}
	/* The taken address is a reference, not a site: no entry may point into filter_address. */
	for (int i = 0; i < nf; i++)
		CHECK(strncmp(symbol_name(site_address(fsites[i]), name, sizeof name), "filter_address", 14) != 0,
		      "the taken address in filter_address became a call site\n");
	void *taken = filter_address();

	printf("\n== before patching\n");
	struct counts before = workload();
	print_counts("before patching", before);
	CHECK(before.filter_default > 0 && before.filter_strict == 0, "the defaults did not run before patching\n");

	/* Every site must be on the workload's path: point one site at a time at filter_strict and
	 * count what arrives there. The hits must add up to every call filter_default got. */
	printf("\n== coverage: each __SCK__filter site alone re-targeted to filter_strict\n");
	long hits_total = 0;
	for (int i = 0; i < nf; i++) {
		if (site_retarget(fsites[i], (const void *)filter_strict) < 0) {
			CHECK(0, "cannot re-target site %d\n", i);
			continue;
		}
		struct counts c = workload();
		CHECK(site_retarget(fsites[i], (const void *)filter_default) == 0, "cannot restore site %d\n", i);
		printf("  %-24s %-4s %ld calls\n", symbol_name(site_address(fsites[i]), name, sizeof name),
		       site_is_tail(fsites[i]) ? "tail" : "", c.filter_strict);
		CHECK(c.filter_strict > 0, "site %d is not reached by the workload\n", i);
		hits_total += c.filter_strict;
	}
	printf("  %d sites, %ld calls in all\n", nf, hits_total);
	CHECK(hits_total == before.filter_default, "the sites' calls (%ld) are not all of filter_default's (%ld)\n",
	      hits_total, before.filter_default);

	/* The runtime must refuse an entry that does not point at a call: a forged one aimed at
	 * the first instruction of filter_address (an address load: mov, adrp, lis, larl, ...). */
	static struct static_call_site forged;
	uintptr_t load = function_code((const void *)filter_address);
	forged.addr = (int32_t)((intptr_t)load - (intptr_t)&forged.addr);
	forged.key = (int32_t)((intptr_t)patchable_key(filter) - (intptr_t)&forged.key);
	uint8_t code[8];
	memcpy(code, (const void *)load, sizeof code);
	printf("\n== a forged entry pointing at an address load must be refused\n");
	fflush(stdout);
	CHECK(site_retarget(&forged, (const void *)filter_strict) < 0, "a forged entry was patched\n");
	CHECK(memcmp(code, (const void *)load, sizeof code) == 0, "refused, but the code changed\n");

	printf("\n== re-target every __SCK__filter site: filter_default -> filter_strict\n");
	int prot_before[64];
	for (int i = 0; i < nf; i++)
		prot_before[i] = current_protection(site_address(fsites[i]));
	int patched = sites_retarget(patchable_key(filter), (const void *)filter_strict);
	printf("patched %d sites of __SCK__filter\n", patched);
	CHECK(patched == nf, "patched %d of %d sites\n", patched, nf);
	for (int i = 0; i < nf; i++) {
		int now = current_protection(site_address(fsites[i]));
		CHECK(now == prot_before[i] && !(now & PROT_WRITE), "site %d: protection %d after patching, %d before\n",
		      i, now, prot_before[i]);
	}
	int prot = current_protection(site_address(fsites[0]));
	printf("text protection after patching: %c%c%c (as before)\n", prot & PROT_READ ? 'r' : '-',
	       prot & PROT_WRITE ? 'w' : '-', prot & PROT_EXEC ? 'x' : '-');
	struct counts after = workload();
	print_counts("after patching", after);
	CHECK(after.filter_default == 0, "filter_default still called %ld times\n", after.filter_default);
	CHECK(after.filter_strict == before.filter_default, "filter_strict called %ld times, not %ld\n",
	      after.filter_strict, before.filter_default);
	CHECK(after.account_default == before.account_default && after.account_none == 0,
	      "the __SCK__account sites moved\n");
	CHECK(filter_address() == taken && taken == (void *)filter_default,
	      "the taken address changed or is not filter_default\n");
	printf("taken address &__SCT__filter = %s (unchanged: not a call site)\n",
	       symbol_name((uintptr_t)filter_address(), name, sizeof name));
	printf("\n== the call-site table, after patching\n");
	sites_print(stdout);

#if defined(__x86_64__)
	if (pointer_calls) /* pointers.c: linked by build.sh after `patchsites devirtualize` */
		pointer_calls();
#endif

	printf("\n== call cost (op_next(x) = x + 1; %ld calls per run, %d runs)\n", calls, RUNS);
	/* gcc unrolls the loop on some architectures (ppc): one site per copy of the call. */
	const struct static_call_site *osites[64];
	int no = sites_of(patchable_key(op), osites, 64);
	int op_patched = sites_retarget(patchable_key(op), (const void *)op_next);
	CHECK(no > 0 && op_patched == no, "patched %d sites of __SCK__op, expected %d\n", op_patched, no);
	printf("  (patched %d site%s of __SCK__op: op_default -> op_next)\n", op_patched, op_patched == 1 ? "" : "s");
	printf("  %-52s %8s %8s\n", "", "median", "fastest");
	measure("the loop alone, no call (acc + 1 inline)", empty_loop, op_next, calls);
	measure("patched direct call site (" CALL_INSN " __SCT__op -> op_next)", direct_loop, op_next, calls);
	measure("function pointer (" POINTER_CALL ")", bench_pointer, op_next, calls);
#if defined(__x86_64__)
	measure("retpolined pointer (call __x86_indirect_thunk_<reg>)", bench_retpoline, op_next, calls);
	if (pointer_costs)
		pointer_costs(calls);
#endif
	printf("  (ns per call, loop included)\n");

	if (failures) {
		printf("\nRESULT: FAILED (%d checks)\n", failures);
		return 1;
	}
	printf("\nRESULT: all checks passed\n");
	return 0;
}
