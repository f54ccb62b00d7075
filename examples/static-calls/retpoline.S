/*
 * Retpolines for the benchmark's bench_retpoline.c (built with -mindirect-branch=thunk-extern),
 * the kernel's __x86_indirect_thunk_<reg>: the indirect branch becomes a return whose
 * prediction is caught in a pause/lfence loop, so the branch target buffer is never consulted.
 * gcc picks the register that holds the pointer (rbp in the loop here, rax elsewhere), so every
 * general-purpose register gets one.
 */
	.text

.macro THUNK reg
	.globl	__x86_indirect_thunk_\reg
	.type	__x86_indirect_thunk_\reg, @function
	.p2align 4
__x86_indirect_thunk_\reg:
	call	1f
2:	pause
	lfence
	jmp	2b
1:	mov	%\reg, (%rsp)
	ret
	.size	__x86_indirect_thunk_\reg, . - __x86_indirect_thunk_\reg
.endm

	THUNK rax
	THUNK rbx
	THUNK rcx
	THUNK rdx
	THUNK rsi
	THUNK rdi
	THUNK rbp
	THUNK r8
	THUNK r9
	THUNK r10
	THUNK r11
	THUNK r12
	THUNK r13
	THUNK r14
	THUNK r15

	.section .note.GNU-stack, "", @progbits
