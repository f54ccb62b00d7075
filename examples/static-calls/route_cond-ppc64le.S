/*
 * A conditional tail call, `bne __SCT__filter` (bc, R_PPC64_REL14, +-32 KiB). On ELFv2 no
 * compiler tail-calls an external function (the TOC may differ); within one statically linked
 * program every function shares the TOC, and the linker sends the branch to filter's local
 * entry point. route_if uses no TOC, so it has one entry point (.localentry 0 by default).
 * int route_if(int x): filter(x) when x != 0, else -1.
 */
	.abiversion 2
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
