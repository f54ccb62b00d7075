/*
 * A conditional tail call, `bne __SCT__filter` (bc, R_PPC_REL14, +-32 KiB): compilers branch
 * around a `b` instead, so this caller is written by hand.
 * int route_if(int x): filter(x) when x != 0, else -1.
 */
	.text
	.globl	route_if
	.type	route_if, @function
	.p2align 2
route_if:
	cmpwi	0, 3, 0
	bne	0, __SCT__filter
	li	3, -1
	blr
	.size	route_if, . - route_if

	.section .note.GNU-stack, "", @progbits
