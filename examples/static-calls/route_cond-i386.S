/*
 * A conditional tail call, `jne __SCT__filter` (0F 85 rel32, R_386_PC32 with the addend -4 in
 * the field): clang emits these, gcc does not, so this caller is written by hand.
 * int route_if(int x): filter(x) when x != 0, else -1. The argument stays on the stack, where
 * filter finds it after the jump.
 */
	.text
	.globl	route_if
	.type	route_if, @function
route_if:
	cmpl	$0, 4(%esp)
	jne	__SCT__filter
	movl	$-1, %eax
	ret
	.size	route_if, . - route_if

	.section .note.GNU-stack, "", @progbits
