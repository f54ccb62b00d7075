/*
 * The one architecture-specific part of the example's runtime: decoding the direct branch at a
 * call site and encoding the same branch to another destination (branch.c, one section per
 * architecture). Everything else in runtime.c is the same on every architecture.
 */
#ifndef BRANCH_H
#define BRANCH_H

#include <stdint.h>

/* A direct call, jump or conditional jump, as found at a call site. */
struct branch {
	int length;           /* of the instruction(s), in bytes */
	int patch_offset;     /* the bytes a re-target rewrites: [site + patch_offset, + patch_length) */
	int patch_length;
	int tail;             /* a jump (the callee returns to our caller), not a call */
	uintptr_t destination; /* where it goes now (a code address) */
	const char *mnemonic;
	unsigned word;        /* arch-private: what branch_encode needs to know about the form */
};

/* Decodes the branch at code address p. 0, or -1 when it is none this runtime re-targets. */
int branch_decode(uintptr_t p, struct branch *b);

/*
 * Writes into out[0 .. b->patch_length) the bytes that make the branch at p (decoded into b)
 * go to `to`, a code address from branch_target(). Returns NULL, or why it cannot (out of the
 * form's reach, a state change the form cannot make, ...); out is then undefined.
 */
const char *branch_encode(uintptr_t p, const struct branch *b, uintptr_t to, uint8_t *out);

/*
 * The code address a branch must go to so that it calls `func`, a C function pointer:
 * the function itself on most architectures; its code, not its descriptor, on ppc64 ELFv1;
 * its local entry point on ppc64 ELFv2 (sites share the caller's TOC); without the Thumb bit
 * on arm (branch_encode gets the bit back through `to | 1` and chooses BL or BLX by it).
 */
uintptr_t branch_target(const void *func);

/* The code address of a C function, for reading its instructions (ppc64 ELFv1, arm Thumb bit). */
uintptr_t function_code(const void *func);

/* Makes the instruction fetch see the bytes just written at [p, p + n). */
void branch_sync(uintptr_t p, int n);

/* Architecture facts runtime.c supplies to branch.c (from the program's own .symtab). */
char code_state_at(uintptr_t addr);          /* arm: 'a' (A32) or 't' (Thumb) by mapping symbol, 0 if unknown */
int function_st_other(uintptr_t entry);      /* st_other of the function symbol at entry, or -1 */

#endif
