// SPDX-License-Identifier: GPL-2.0
/*
 * patchsites boot-test module (linker-scripts/kbuild/boot, docs/kbuild.md).
 *
 * Defines its own static call with three sites: a normal call, a tail call and one in __init
 * code. Its .static_call_sites table comes only from patchsites (objtool runs without
 * --static-call). At load the kernel patches each site listed in the table to call the
 * current function directly; static_call_update() re-targets them. The module then reads its
 * own text: a site's rel32 must point at the new function, not at the trampoline. A module
 * whose table was removed keeps calling the trampoline, and says so in a FAIL line.
 *
 * One line per check: "patchsites-test: PASS <check>" or "patchsites-test: FAIL <check>: why".
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/static_call.h>

static noinline int pst_default(int x)
{
	return x + 1;
}

static noinline int pst_alternative(int x)
{
	return x * 10;
}

DEFINE_STATIC_CALL(pst_call, pst_default);

/* A normal call: the result is used after the call returns. */
noinline int pst_normal_site(int x)
{
	return static_call(pst_call)(x) + 100;
}
EXPORT_SYMBOL_GPL(pst_normal_site); /* a symbol of its own in available_filter_functions */

/* A tail call: the compiler emits jmp __SCT__pst_call. */
noinline int pst_tail_site(int x)
{
	return static_call(pst_call)(x);
}
EXPORT_SYMBOL_GPL(pst_tail_site);

static noinline int __init pst_init_site(int x)
{
	return static_call(pst_call)(x) + 1000;
}

static int failures;

static void check(bool ok, const char *what, const char *why)
{
	if (ok) {
		pr_info("patchsites-test: PASS %s\n", what);
	} else {
		pr_info("patchsites-test: FAIL %s: %s\n", what, why);
		failures++;
	}
}

/*
 * Where the call or jmp in FUNC's first bytes goes: the first E8/E9 rel32 whose destination
 * is the trampoline or one of the two functions (an exact 32-bit match, so a stray E8 byte
 * inside another instruction does not count). NULL when there is none.
 */
static void *site_destination(const void *func, bool tail)
{
	const u8 *p = func;
	const void *candidates[] = {
		STATIC_CALL_TRAMP_ADDR(pst_call), pst_default, pst_alternative,
	};
	int i, c;

	for (i = 0; i < 64; i++) {
		const void *dest;

		if (p[i] != (tail ? 0xe9 : 0xe8))
			continue;
		dest = p + i + 5 + *(const s32 *)(p + i + 1);
		for (c = 0; c < ARRAY_SIZE(candidates); c++)
			if (dest == candidates[c])
				return (void *)dest;
	}
	return NULL;
}

static void check_site(const char *what, const void *func, bool tail, const void *want)
{
	const void *dest = site_destination(func, tail);
	char why[96];

	if (dest == want)
		check(true, what, NULL);
	else {
		snprintf(why, sizeof(why), "%s",
			 !dest ? "no call/jmp to the static call found" :
			 dest == STATIC_CALL_TRAMP_ADDR(pst_call) ? "site still calls the trampoline" :
			 "site calls the old function");
		check(false, what, why);
	}
}

static int __init pst_init(void)
{
	pr_info("patchsites-test: loaded\n");
	check_site("normal call site calls pst_default at load", pst_normal_site, false, pst_default);
	check(pst_normal_site(1) == 102 && pst_tail_site(1) == 2 && pst_init_site(1) == 1002,
	      "calls return pst_default's results", "wrong result");

	static_call_update(pst_call, pst_alternative);

	check_site("normal call site calls pst_alternative after static_call_update",
		   pst_normal_site, false, pst_alternative);
	check_site("tail call site jumps to pst_alternative after static_call_update",
		   pst_tail_site, true, pst_alternative);
	check_site("__init call site calls pst_alternative after static_call_update",
		   pst_init_site, false, pst_alternative);
	check(pst_normal_site(2) == 120 && pst_tail_site(2) == 20 && pst_init_site(2) == 1020,
	      "calls return pst_alternative's results", "wrong result");
	pr_info("patchsites-test: done, %d failed\n", failures);
	return 0;
}

static void __exit pst_exit(void)
{
	pr_info("patchsites-test: unloaded\n");
}

module_init(pst_init);
module_exit(pst_exit);
MODULE_DESCRIPTION("patchsites boot test: a module's static-call table written by patchsites");
MODULE_LICENSE("GPL");
