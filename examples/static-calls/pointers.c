/*
 * The function-pointer half of the example (x86-64 only; build.sh links it after `patchsites
 * devirtualize --pointer=shape_ops`): the table of devirtualized sites, a check that each call
 * lands where its pointer says, setting a pointer through the table (what SET_FFP would do),
 * and the call costs of the three ways to call through an ops slot.
 */
#include <stdio.h>

#include "example.h"
#include "filters.h"
#include "ops.h"
#include "runtime.h"

extern struct static_call_site __start_pointer_call_sites[], __stop_pointer_call_sites[];
static const struct site_table pointer_table = {".pointer_call_sites", __start_pointer_call_sites,
						__stop_pointer_call_sites};

static const int shapes_input[] = {2, 3, 5, 7};
#define N_SHAPES ((int)(sizeof shapes_input / sizeof shapes_input[0]))

struct shape_counts {
	long result, area_default, area_fast, perimeter_default;
};

/* Reaches every call through shape_ops.area: shapes (a call in a loop), shape_tail (a tail
 * call), shape_twice (two calls), and shapes_retpoline (loaded, then the retpoline thunk). */
static struct shape_counts shape_workload(void)
{
	area_calls_default = area_calls_fast = perimeter_calls_default = 0;
	long r = shapes(shapes_input, N_SHAPES) + shape_tail(3) + shape_twice(4) +
		 shapes_retpoline(shapes_input, N_SHAPES);
	return (struct shape_counts){r, area_calls_default, area_calls_fast, perimeter_calls_default};
}

static void print_shape_counts(const char *when, struct shape_counts c)
{
	printf("%s: workload result %ld, area_default %ld calls, area_fast %ld calls, perimeter_default %ld calls\n",
	       when, c.result, c.area_default, c.area_fast, c.perimeter_default);
}

static int slot_sites(void *slot, const struct static_call_site **out, int max)
{
	int n = 0;
	for (const struct static_call_site *s = pointer_table.begin; s < pointer_table.end; s++)
		if (site_key(s) == slot && n < max)
			out[n++] = s;
	return n;
}

/* Each entry's direct branch goes where its slot points; returns how many do not. */
static int sites_off_their_pointer(void)
{
	int off = 0;
	for (const struct static_call_site *s = pointer_table.begin; s < pointer_table.end; s++) {
		const void *dest = site_destination(s);
		void *const *slot = (void *const *)site_key(s);
		if (dest == NULL || (uintptr_t)dest != branch_target(*slot))
			off++;
	}
	return off;
}

void pointer_calls(void)
{
	char name[64];
	printf("\n== the pointer-call table (patchsites devirtualize --pointer=shape_ops)\n");
	table_print(&pointer_table, stdout);
	CHECK(pointer_table.end > pointer_table.begin, "no entry in .pointer_call_sites\n");
	CHECK(sites_off_their_pointer() == 0, "a devirtualized site does not go where its pointer points\n");
	const struct static_call_site *asites[64], *psites[64];
	int na = slot_sites(&shape_ops.area, asites, 64), np = slot_sites(&shape_ops.perimeter, psites, 64);
	int tails = 0;
	for (int i = 0; i < na; i++)
		tails += site_is_tail(asites[i]);
	CHECK(na >= 4 && tails >= 1, "shape_ops.area: %d sites, %d tail calls\n", na, tails);
	CHECK(np >= 1, "no site of shape_ops.perimeter\n");

	printf("\n== the devirtualized calls land where the pointers say\n");
	struct shape_counts before = shape_workload();
	print_shape_counts("before changing a pointer", before);
	CHECK(before.area_default > 0 && before.area_fast == 0, "the defaults did not run\n");
	area_calls_default = 0;
	shapes_retpoline(shapes_input, N_SHAPES);
	long retpolined = area_calls_default;
	printf("  of which through the retpoline (loaded pointer, not devirtualized): %ld calls\n", retpolined);

	/* Every table site is on the workload's path, and they and the retpolined calls are all the
	 * calls area_default got. */
	long hits = 0;
	for (int i = 0; i < na; i++) {
		CHECK(site_retarget(asites[i], (const void *)area_fast) == 0, "cannot re-target site %d\n", i);
		struct shape_counts c = shape_workload();
		CHECK(site_retarget(asites[i], (const void *)area_default) == 0, "cannot restore site %d\n", i);
		printf("  %-24s %-4s %ld calls\n", symbol_name(site_address(asites[i]), name, sizeof name),
		       site_is_tail(asites[i]) ? "tail" : "", c.area_fast);
		CHECK(c.area_fast > 0, "site %d of shape_ops.area is not reached\n", i);
		hits += c.area_fast;
	}
	printf("  %d sites, %ld calls in all, + %ld retpolined\n", na, hits, retpolined);
	CHECK(hits + retpolined == before.area_default, "the sites' calls (%ld + %ld) are not all of area_default's (%ld)\n",
	      hits, retpolined, before.area_default);

	printf("\n== set shape_ops.area = area_fast through the table (what SET_FFP would do)\n");
	int patched = pointer_set(&pointer_table, (void **)&shape_ops.area, (void *)area_fast);
	printf("patched %d sites of shape_ops.area, then stored the pointer\n", patched);
	CHECK(patched == na, "patched %d of %d sites\n", patched, na);
	CHECK(shape_ops.area == area_fast, "the pointer was not stored\n");
	CHECK(sites_off_their_pointer() == 0, "a site does not follow its pointer\n");
	struct shape_counts after = shape_workload();
	print_shape_counts("after changing the pointer", after);
	CHECK(after.area_default == 0 && after.area_fast == before.area_default,
	      "area_default %ld, area_fast %ld calls; expected 0 and %ld\n", after.area_default, after.area_fast,
	      before.area_default);
	CHECK(after.result == before.result && after.perimeter_default == before.perimeter_default,
	      "the results or the shape_ops.perimeter calls changed\n");
	printf("\n== the pointer-call table, after\n");
	table_print(&pointer_table, stdout);
}

static int ops_devirt_loop(int (*fn)(int), long calls)
{
	(void)fn;
	return bench_ops_devirt(calls);
}

static int ops_pointer_loop(int (*fn)(int), long calls)
{
	(void)fn;
	return bench_ops_pointer(calls);
}

static int ops_retpoline_loop(int (*fn)(int), long calls)
{
	(void)fn;
	return bench_ops_retpoline(calls);
}

void pointer_costs(long calls)
{
	/* shape_ops.op: devirtualized, then set to op_next through the table; plain_ops.op: the same
	 * slot of an ops structure left as compiled. */
	int patched = pointer_set(&pointer_table, (void **)&shape_ops.op, (void *)op_next);
	plain_ops.op = op_next;
	CHECK(patched >= 1, "patched %d sites of shape_ops.op\n", patched);
	printf("  (set shape_ops.op = op_next through the table: %d site%s; plain_ops.op = op_next)\n", patched,
	       patched == 1 ? "" : "s");
	measure("ops, memory-indirect (call *plain_ops+0x10(%rip))", ops_pointer_loop, op_next, calls);
	measure("ops, retpolined (mov; call __x86_indirect_thunk_rax)", ops_retpoline_loop, op_next, calls);
	measure("ops, devirtualized (call op_next)", ops_devirt_loop, op_next, calls);
}
