/*
 * Self-test of branch.c, run by build.sh before the example: every branch form of the target
 * architecture is encoded to destinations near and far, decoded again, and must go exactly
 * there; at each end of the form's reach the last destination in reach must encode and the next
 * one must be refused. The forms the example's program does not reach (arm64 TBZ, A32/Thumb
 * interworking, loongarch beq, ...) are covered here. Nothing is executed: the instructions are
 * built in a data buffer. Prints "N checks, 0 failures" and exits 0, or lists the failures.
 */
#include "branch.h"

#include <stdio.h>
#include <string.h>

/* branch.c asks runtime.c about ARM state and ppc64 local entries; here the test decides. */
static char state = 't';
char code_state_at(uintptr_t addr)
{
	(void)addr;
	return state;
}

int function_st_other(uintptr_t entry)
{
	(void)entry;
	return -1;
}

static uint8_t buf[256] __attribute__((aligned(16)));
static int checks, failures;

/*
 * Puts insn (n bytes) at p = buf + 64, encodes it to p + d (with `flag` or'ed in: the ARM Thumb
 * bit), and checks the outcome: refused when !ok; else decoded again, the same kind, going to p + d.
 */
static void check(const char *what, const void *insn, int n, long d, uintptr_t flag, int ok)
{
	uintptr_t p = (uintptr_t)(buf + 64), to = p + (uintptr_t)d;
	struct branch b, again;
	uint8_t out[16];
	memset(buf, 0, sizeof buf);
	memcpy(buf + 64, insn, (size_t)n);
	checks++;
	if (branch_decode(p, &b) < 0) {
		printf("FAILED %s: not decoded\n", what);
		failures++;
		return;
	}
	const char *why = branch_encode(p, &b, to | flag, out);
	if (!ok || why) {
		if (ok || !why) {
			printf("FAILED %s, %+ld bytes: %s\n", what, d, why ? why : "encoded, but it is out of reach");
			failures++;
		}
		return;
	}
	memcpy((void *)(p + b.patch_offset), out, (size_t)b.patch_length);
	if (branch_decode(p, &again) < 0 || again.destination != to || again.tail != b.tail) {
		printf("FAILED %s, %+ld bytes: now %s to %#lx, not to %#lx\n", what, d, again.mnemonic,
		       (unsigned long)again.destination, (unsigned long)to);
		failures++;
	}
}

/* Near destinations both ways, then the reach [lo, hi] in steps of `step` bytes. */
static void form(const char *what, const void *insn, int n, long lo, long hi, long step, uintptr_t flag)
{
	check(what, insn, n, 8 * step, flag, 1);
	check(what, insn, n, -8 * step, flag, 1);
	check(what, insn, n, lo, flag, 1);
	check(what, insn, n, hi, flag, 1);
	check(what, insn, n, lo - step, flag, 0);
	check(what, insn, n, hi + step, flag, 0);
}

static __attribute__((unused)) void form32(const char *what, uint32_t insn, long lo, long hi, long step, uintptr_t flag)
{
	form(what, &insn, 4, lo, hi, step, flag);
}

int main(void)
{
#if defined(__x86_64__) || defined(__i386__)
	uint8_t call[5] = {0xe8}, jmp[5] = {0xe9}, jne[6] = {0x0f, 0x85};
#if defined(__x86_64__) /* rel32 from the end of the instruction */
	form("call", call, 5, 5 - (1L << 31), 5 + (1L << 31) - 1, 1, 0);
	form("jne", jne, 6, 6 - (1L << 31), 6 + (1L << 31) - 1, 1, 0);
#else /* i386: the address space wraps, every destination is in reach */
	check("call", call, 5, -0x1000, 0, 1);
	check("jne", jne, 6, 0x1000, 0, 1);
#endif
	check("jmp", jmp, 5, 3, 0, 1);
#elif defined(__aarch64__)
	form32("bl", 0x94000000, -(1L << 27), (1L << 27) - 4, 4, 0);
	form32("b", 0x14000000, -(1L << 27), (1L << 27) - 4, 4, 0);
	form32("b.ne", 0x54000001, -(1L << 20), (1L << 20) - 4, 4, 0);
	form32("cbnz", 0x35000000, -(1L << 20), (1L << 20) - 4, 4, 0);
	form32("tbz", 0x36180000, -(1L << 15), (1L << 15) - 4, 4, 0);
#elif defined(__arm__)
	/* Thumb-2: offsets from the instruction + 4; the Thumb bit on the destination. */
	uint16_t bl[2] = {0xf000, 0xd000}, bw[2] = {0xf000, 0x9000}, bne[2] = {0xf040, 0x8000}, blx[2] = {0xf000, 0xc000};
	state = 't';
	form("thumb bl", bl, 4, 4 - (1L << 24), 4 + (1L << 24) - 2, 2, 1);
	form("thumb b.w", bw, 4, 4 - (1L << 24), 4 + (1L << 24) - 2, 2, 1);
	form("thumb bne.w", bne, 4, 4 - (1L << 20), 4 + (1L << 20) - 2, 2, 1);
	check("thumb bl to ARM (blx)", bl, 4, 0x200, 0, 1);
	check("thumb bl to ARM (blx)", bl, 4, -0x204, 0, 1);
	check("thumb blx to Thumb (bl)", blx, 4, 0x202, 1, 1);
	check("thumb b.w to ARM", bw, 4, 0x200, 0, 0);
	check("thumb bne.w to ARM", bne, 4, 0x200, 0, 0);
	/* A32: offsets from the instruction + 8. */
	state = 'a';
	form32("arm bl", 0xeb000000, 8 - (1L << 25), 8 + (1L << 25) - 4, 4, 0);
	form32("arm b", 0xea000000, 8 - (1L << 25), 8 + (1L << 25) - 4, 4, 0);
	form32("arm bne", 0x1a000000, 8 - (1L << 25), 8 + (1L << 25) - 4, 4, 0);
	form32("arm bl to Thumb (blx)", 0xeb000000, 8 - (1L << 25), 8 + (1L << 25) - 2, 2, 1);
	uint32_t a_blx = 0xfa000000, a_b = 0xea000000, a_blne = 0x1b000000;
	check("arm blx to ARM (bl)", &a_blx, 4, 0x200, 0, 1);
	check("arm b to Thumb", &a_b, 4, 0x200, 1, 0);
	check("arm blne to Thumb", &a_blne, 4, 0x200, 1, 0);
#elif defined(__powerpc__) || defined(__powerpc64__)
	form32("bl", 0x48000001, -(1L << 25), (1L << 25) - 4, 4, 0);
	form32("b", 0x48000000, -(1L << 25), (1L << 25) - 4, 4, 0);
	form32("bne", 0x40820000, -(1L << 15), (1L << 15) - 4, 4, 0);
#elif defined(__riscv)
	uint32_t call[2] = {0x00000097, 0x000080e7}, tail[2] = {0x00000317, 0x00030067};
	form("call (auipc+jalr)", call, 8, -(1L << 31) - 0x800, (1L << 31) - 0x800 - 2, 2, 0);
	form("tail (auipc+jr)", tail, 8, -(1L << 31) - 0x800, (1L << 31) - 0x800 - 2, 2, 0);
	for (long d = -0x1002; d <= 0x1002; d += 0x7fe) /* lo12 around its sign change */
		check("call (auipc+jalr)", call, 8, d, 0, 1);
	form32("jal", 0x000000ef, -(1L << 20), (1L << 20) - 2, 2, 0);
	form32("j", 0x0000006f, -(1L << 20), (1L << 20) - 2, 2, 0);
#elif defined(__s390x__)
	uint8_t brasl[6] = {0xc0, 0xe5}, jg[6] = {0xc0, 0xf4}, jgne[6] = {0xc0, 0x74}, larl[6] = {0xc0, 0x20};
	form("brasl", brasl, 6, -(1L << 32), (1L << 32) - 2, 2, 0);
	form("jg", jg, 6, -(1L << 32), (1L << 32) - 2, 2, 0);
	form("jgne", jgne, 6, -(1L << 32), (1L << 32) - 2, 2, 0);
	check("brasl to an odd address", brasl, 6, 7, 0, 0);
	struct branch b;
	memcpy(buf, larl, 6);
	checks++;
	if (branch_decode((uintptr_t)buf, &b) == 0) {
		printf("FAILED larl decoded as a branch\n");
		failures++;
	}
#elif defined(__loongarch__)
	form32("bl", 0x54000000, -(1L << 27), (1L << 27) - 4, 4, 0);
	form32("b", 0x50000000, -(1L << 27), (1L << 27) - 4, 4, 0);
	form32("bnez", 0x44000080, -(1L << 22), (1L << 22) - 4, 4, 0);
	form32("beq", 0x58000085, -(1L << 17), (1L << 17) - 4, 4, 0);
#else
#error "branch-selftest.c: no cases for this architecture"
#endif
	printf("branch.c self-test: %d checks, %d failures\n", checks, failures);
	return failures != 0;
}
