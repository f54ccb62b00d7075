/*
 * A conditional tail call, `cbnz w0, __SCT__filter` (R_AARCH64_CONDBR19, +-1 MiB): compilers
 * branch around a `b` instead, so this caller is written by hand.
 * int route_if(int x): filter(x) when x != 0, else -1.
 */
	.text
	.globl	route_if
	.type	route_if, %function
	.p2align 2
route_if:
	cbnz	w0, __SCT__filter
	mov	w0, #-1
	ret
	.size	route_if, . - route_if

	.section .note.GNU-stack, "", %progbits
