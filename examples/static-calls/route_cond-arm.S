/*
 * A conditional tail call: Thumb-2 `bne.w __SCT__filter` (R_ARM_THM_JUMP19, +-1 MiB), or ARM
 * `bne __SCT__filter` (R_ARM_JUMP24) when the example is built with -marm. Compilers branch
 * around a `b` instead, so this caller is written by hand.
 * int route_if(int x): filter(x) when x != 0, else -1.
 */
	.syntax	unified
	.text
	.globl	route_if
	.type	route_if, %function
#if defined(__thumb__)
	.thumb
	.p2align 1
	.thumb_func
route_if:
	cmp	r0, #0
	bne.w	__SCT__filter
#else
	.arm
	.p2align 2
route_if:
	cmp	r0, #0
	bne	__SCT__filter
#endif
	mvn	r0, #0
	bx	lr
	.size	route_if, . - route_if

	.section .note.GNU-stack, "", %progbits
