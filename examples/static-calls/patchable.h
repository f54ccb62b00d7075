/*
 * Lutomirski-style patchable calls ("static calls"), the user-space shape of the kernel's.
 *
 * Code calls the wrapper symbol __SCT__<name>; nothing defines it in C. The final link aliases
 * it to <name>_default (a linker-script PROVIDE, or an assembly trampoline, both written by
 * `patchsites stubs`), so an unpatched call goes straight to the default. `patchsites emit`
 * records every direct call and jump to __SCT__<name> in .static_call_sites, keyed by the
 * object __SCK__<name>, and a runtime re-targets those call sites in place (runtime.c).
 */
#ifndef PATCHABLE_H
#define PATCHABLE_H

#include <stdint.h>

/* The key of a patchable function: only its address matters (and its alignment: the table
 * keeps flags in the low two bits of the key). */
struct patchable_key {
	long unused;
};

/* Declares a patchable function: the wrapper callers call, its key, and the default. */
#define DECLARE_PATCHABLE(name, ret, args)          \
	extern ret __SCT__##name args;               \
	extern struct patchable_key __SCK__##name;  \
	ret name##_default args

/* Defines the key, in exactly one file (as DEFINE_STATIC_CALL does in the kernel). */
#define DEFINE_PATCHABLE_KEY(name) \
	struct patchable_key __SCK__##name __attribute__((aligned(8)))

/* Calls the current implementation of a patchable function. */
#define patchable(name) __SCT__##name

/* The key of a patchable function, as the call-site table names it. */
#define patchable_key(name) (&__SCK__##name)

/*
 * One entry of .static_call_sites, the kernel's struct static_call_site: both fields are
 * relative to their own address. site -> first byte of the call/jmp; key -> the key, with
 * bit 0 set for a tail call (a jmp) and bit 1 reserved (the kernel's "init" flag).
 */
struct static_call_site {
	int32_t addr;
	int32_t key;
};

#define STATIC_CALL_SITE_TAIL  1UL
#define STATIC_CALL_SITE_INIT  2UL
#define STATIC_CALL_SITE_FLAGS 3UL

#endif
