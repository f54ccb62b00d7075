/*
 * A conditional tail call, `jgne __SCT__filter` (brcl 7, C0 74, R_390_PLT32DBL at +2): gcc
 * branches around a `jg` instead, so this caller is written by hand.
 * int route_if(int x): filter(x) when x != 0, else -1.
 */
	.text
	.globl	route_if
	.type	route_if, @function
	.p2align 3
route_if:
	ltr	%r2, %r2
	jgne	__SCT__filter@PLT
	lghi	%r2, -1
	br	%r14
	.size	route_if, . - route_if

	.section .note.GNU-stack, "", @progbits
