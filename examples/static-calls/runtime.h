/* The example's static-call runtime: walks .static_call_sites and re-targets call sites. */
#ifndef RUNTIME_H
#define RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "branch.h"
#include "patchable.h"

/* The table, bounded by the symbols the linker script of `patchsites stubs --place` defines. */
extern struct static_call_site __start_static_call_sites[], __stop_static_call_sites[];

size_t sites_count(void);
uintptr_t site_address(const struct static_call_site *s);
const void *site_key(const struct static_call_site *s);
int site_is_tail(const struct static_call_site *s);

/* The current destination (a code address) of a site's branch, or NULL if the site holds no
 * branch this runtime knows (branch.c). */
const void *site_destination(const struct static_call_site *s);

/* Prints the table: site, function+offset, instruction, current destination, key, tail flag. */
void sites_print(FILE *out);

/*
 * A table of site-key entries between two bounds: .static_call_sites (the key is a static call's
 * key) or .pointer_call_sites, which `patchsites devirtualize` writes (the key is a function
 * pointer's slot, &ops.member; docs/formats.md). The same entry, the same patching.
 */
struct site_table {
	const char *name;
	const struct static_call_site *begin, *end;
};
void table_print(const struct site_table *t, FILE *out);
/* sites_retarget over any table: checks every site of key before it patches any. */
int table_retarget(const struct site_table *t, const void *key, const void *func);

/*
 * What SET_FFP would do: re-target every site of the pointer slot in table t (its direct calls
 * and jumps, devirtualized from `call *slot`) to func, then store func into the slot, so the
 * calls that still load the pointer follow too. Returns the number of sites patched, or -1
 * (nothing patched, the pointer unchanged).
 */
int pointer_set(const struct site_table *t, void **slot, void *func);

/*
 * Re-targets one site to func (a C function pointer): checks the instruction first (a direct
 * call, jump or conditional jump of the architecture, branch.c, whose kind matches the entry's
 * tail flag) and that func is in its reach, makes the page(s) writable, rewrites the branch's
 * displacement, makes the instruction fetch see it (branch_sync), and restores the protection
 * the pages had. Returns 0, or -1 with a message on stderr and the code untouched.
 */
int site_retarget(const struct static_call_site *s, const void *func);

/* Re-targets every site whose key is key; checks all of them before patching any. Returns the
 * number patched, or -1 (nothing patched). */
int sites_retarget(const void *key, const void *func);

/* PROT_* of the mapping that holds addr now, from /proc/self/maps; -1 if there is none. */
int current_protection(uintptr_t addr);

/* "name+0xoff" of the symbol (function or object) containing addr, from /proc/self/exe's
 * .symtab; "0x..." when there is none. Returns buf. */
const char *symbol_name(uintptr_t addr, char *buf, size_t len);

#endif
