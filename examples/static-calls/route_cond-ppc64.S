/*
 * A conditional tail call, `bne __SCT__filter` (bc, R_PPC64_REL14 against the descriptor
 * symbol, +-32 KiB). ELFv1: route_if is a descriptor in .opd, its code is .L.route_if; the
 * linker resolves the branch to filter's code (the descriptor's entry). No compiler tail-calls
 * an external function on a TOC ABI; within one statically linked program the TOC is shared.
 * int route_if(int x): filter(x) when x != 0, else -1.
 */
	.section .opd, "aw"
	.p2align 3
	.globl	route_if
route_if:
	.quad	.L.route_if, .TOC.@tocbase, 0
	.previous
	.type	route_if, @function
	.text
	.p2align 2
.L.route_if:
	cmpwi	0, 3, 0
	bne	0, __SCT__filter
	li	3, -1
	blr
	.size	route_if, . - .L.route_if

	.section .note.GNU-stack, "", @progbits
