/*
 * Per-architecture branch decoding and encoding for the example's runtime (see branch.h). One
 * section per architecture, chosen by the compiler's predefined macros; each reads the
 * instruction at a site, says where it goes, and builds the same instruction with a new
 * displacement. Ranges are checked: a target out of the form's reach is refused, never
 * truncated. Instruction words are read and written with memcpy in the CPU's own byte order
 * (the program runs on, or is emulated as, its own architecture).
 */
#include "branch.h"

#include <string.h>

#define UNUSED_OK __attribute__((unused))

static UNUSED_OK uint32_t rd32(uintptr_t p)
{
	uint32_t w;
	memcpy(&w, (const void *)p, 4);
	return w;
}

static UNUSED_OK uint16_t rd16(uintptr_t p)
{
	uint16_t h;
	memcpy(&h, (const void *)p, 2);
	return h;
}

/* Sign-extends the low `bits` bits of v. */
static UNUSED_OK int64_t sext(uint64_t v, int bits)
{
	uint64_t m = 1ULL << (bits - 1);
	v &= (1ULL << bits) - 1;
	return (int64_t)((v ^ m) - m);
}

/* Whether d is a multiple of `align` and d / align fits a signed field of `bits` bits (arm64 BL:
 * imm26 counts words, reach(d, 26, 4); ppc bc: BD is 14 bits of words, reach(d, 14, 4)). */
static UNUSED_OK int reach(int64_t d, int bits, int align)
{
	if (d % align != 0)
		return 0;
	d /= align;
	return d >= -(1LL << (bits - 1)) && d < (1LL << (bits - 1));
}

/* to - from as a signed number, also where addresses are 32 bits wide. */
static UNUSED_OK int64_t delta(uintptr_t to, uintptr_t from)
{
	return (int64_t)(intptr_t)(to - from);
}

#define OUT_OF_REACH "the new target is out of the branch's reach"

#if defined(__x86_64__) || defined(__i386__)
/* ---- x86-64, i386: call (E8), jmp (E9), jcc (0F 80..8F), each with a rel32 ---- */

int branch_decode(uintptr_t p, struct branch *b)
{
	static const char *const jcc[16] = {"jo", "jno", "jb", "jae", "je", "jne", "jbe", "ja",
					    "js", "jns", "jp", "jnp", "jl", "jge", "jle", "jg"};
	const uint8_t *c = (const uint8_t *)p;
	int32_t rel;
	if (c[0] == 0xe8 || c[0] == 0xe9)
		*b = (struct branch){.length = 5, .patch_offset = 1, .tail = c[0] == 0xe9,
				     .mnemonic = c[0] == 0xe8 ? "call" : "jmp"};
	else if (c[0] == 0x0f && (c[1] & 0xf0) == 0x80)
		*b = (struct branch){.length = 6, .patch_offset = 2, .tail = 1, .mnemonic = jcc[c[1] & 0x0f]};
	else
		return -1;
	b->patch_length = 4;
	memcpy(&rel, c + b->patch_offset, 4);
	b->destination = p + b->length + (intptr_t)rel;
	return 0;
}

const char *branch_encode(uintptr_t p, const struct branch *b, uintptr_t to, uint8_t *out)
{
	int64_t d = delta(to, p + b->length);
#if defined(__x86_64__)
	if (d < INT32_MIN || d > INT32_MAX)
		return OUT_OF_REACH;
#endif
	int32_t rel = (int32_t)d; /* i386: the address space wraps, every target is in reach */
	memcpy(out, &rel, 4);
	return NULL;
}

#elif defined(__aarch64__)
/* ---- arm64: B/BL imm26; B.cond, CBZ/CBNZ imm19; TBZ/TBNZ imm14 (all x4, from the insn) ---- */

enum { A64_B26, A64_IMM19, A64_TB14 };

int branch_decode(uintptr_t p, struct branch *b)
{
	static const char *const cond[16] = {"b.eq", "b.ne", "b.hs", "b.lo", "b.mi", "b.pl", "b.vs", "b.vc",
					     "b.hi", "b.ls", "b.ge", "b.lt", "b.gt", "b.le", "b.al", "b.nv"};
	uint32_t i = rd32(p);
	*b = (struct branch){.length = 4, .patch_length = 4, .tail = 1};
	if ((i & 0x7c000000) == 0x14000000) { /* B, BL (bit 31) */
		b->tail = !(i >> 31);
		b->mnemonic = b->tail ? "b" : "bl";
		b->word = A64_B26;
		b->destination = p + (sext(i, 26) << 2);
	} else if ((i & 0xff000010) == 0x54000000) {
		b->mnemonic = cond[i & 0xf];
		b->word = A64_IMM19;
		b->destination = p + (sext(i >> 5, 19) << 2);
	} else if ((i & 0x7e000000) == 0x34000000) {
		b->mnemonic = (i & 0x01000000) ? "cbnz" : "cbz";
		b->word = A64_IMM19;
		b->destination = p + (sext(i >> 5, 19) << 2);
	} else if ((i & 0x7e000000) == 0x36000000) {
		b->mnemonic = (i & 0x01000000) ? "tbnz" : "tbz";
		b->word = A64_TB14;
		b->destination = p + (sext(i >> 5, 14) << 2);
	} else {
		return -1;
	}
	return 0;
}

const char *branch_encode(uintptr_t p, const struct branch *b, uintptr_t to, uint8_t *out)
{
	int64_t d = delta(to, p);
	uint32_t i = rd32(p);
	switch (b->word) {
	case A64_B26:
		if (!reach(d, 26, 4))
			return OUT_OF_REACH;
		i = (i & 0xfc000000) | ((uint32_t)(d >> 2) & 0x03ffffff);
		break;
	case A64_IMM19:
		if (!reach(d, 19, 4))
			return OUT_OF_REACH;
		i = (i & 0xff00001f) | (((uint32_t)(d >> 2) & 0x7ffff) << 5);
		break;
	default:
		if (!reach(d, 14, 4))
			return OUT_OF_REACH;
		i = (i & 0xfff8001f) | (((uint32_t)(d >> 2) & 0x3fff) << 5);
		break;
	}
	memcpy(out, &i, 4);
	return NULL;
}

#elif defined(__arm__)
/*
 * ---- arm: Thumb-2 BL/BLX (T1/T2), B.W (T4), Bcc.W (T3); A32 BL/B/Bcc, BLX imm ----
 * Which instruction set a site is in comes from the mapping symbols ($t/$a) in our .symtab.
 * Targets carry the Thumb bit, as function pointers do: a call (BL/BLX) switches to whatever
 * the target needs, a jump (B, Bcc) cannot change state and is refused if it would have to.
 */

enum { T_BL, T_BLX, T_BW, T_BCC, A_BL, A_BLX, A_B };

static int thumb_at(uintptr_t p)
{
	char s = code_state_at(p);
	if (s == 't' || s == 'a')
		return s == 't';
#if defined(__thumb__)
	return 1; /* no mapping symbol: assume the state this file was compiled in */
#else
	return 0;
#endif
}

/* Thumb T1/T2/T4 offsets: S:I1:I2:imm10:imm11:0, I = NOT(J XOR S). */
static int64_t thumb_off24(uint16_t h1, uint16_t h2)
{
	uint32_t s = (h1 >> 10) & 1, j1 = (h2 >> 13) & 1, j2 = (h2 >> 11) & 1;
	uint32_t i1 = !(j1 ^ s), i2 = !(j2 ^ s);
	return sext((s << 24) | (i1 << 23) | (i2 << 22) | ((uint32_t)(h1 & 0x3ff) << 12) | ((uint32_t)(h2 & 0x7ff) << 1), 25);
}

static void thumb_put24(uint16_t *h1, uint16_t *h2, int64_t off)
{
	uint32_t s = (off >> 24) & 1, i1 = (off >> 23) & 1, i2 = (off >> 22) & 1;
	uint32_t j1 = !i1 ^ s, j2 = !i2 ^ s;
	*h1 = (uint16_t)((*h1 & 0xf800) | (s << 10) | ((off >> 12) & 0x3ff));
	*h2 = (uint16_t)((*h2 & 0xd000) | (j1 << 13) | (j2 << 11) | ((off >> 1) & 0x7ff));
}

int branch_decode(uintptr_t p, struct branch *b)
{
	static const char *const cc[16] = {"eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc",
					   "hi", "ls", "ge", "lt", "gt", "le", "", ""};
	static char names[3][16][8]; /* b<cc>.w, b<cc>, bl<cc> */
	*b = (struct branch){.length = 4, .patch_length = 4};
	if (thumb_at(p)) {
		uint16_t h1 = rd16(p), h2 = rd16(p + 2);
		if ((h1 & 0xf800) != 0xf000)
			return -1;
		if ((h2 & 0xd000) == 0xd000) {
			*b = (struct branch){4, 0, 4, 0, p + 4 + thumb_off24(h1, h2), "bl", T_BL};
		} else if ((h2 & 0xd001) == 0xc000) {
			*b = (struct branch){4, 0, 4, 0, ((p + 4) & ~(uintptr_t)3) + thumb_off24(h1, h2), "blx", T_BLX};
		} else if ((h2 & 0xd000) == 0x9000) {
			*b = (struct branch){4, 0, 4, 1, p + 4 + thumb_off24(h1, h2), "b.w", T_BW};
		} else if ((h2 & 0xd000) == 0x8000 && ((h1 >> 6) & 0xf) < 14) {
			unsigned c = (h1 >> 6) & 0xf;
			uint32_t s = (h1 >> 10) & 1, j1 = (h2 >> 13) & 1, j2 = (h2 >> 11) & 1;
			int64_t off = sext((s << 20) | (j2 << 19) | (j1 << 18) | ((uint32_t)(h1 & 0x3f) << 12) |
					   ((uint32_t)(h2 & 0x7ff) << 1), 21);
			char *n = names[0][c];
			if (!n[0])
				strcat(strcat(strcpy(n, "b"), cc[c]), ".w");
			*b = (struct branch){4, 0, 4, 1, p + 4 + off, n, T_BCC};
		} else {
			return -1;
		}
		return 0;
	}
	uint32_t i = rd32(p), c = i >> 28;
	int64_t off = sext(i, 24) << 2;
	if (c == 0xf && (i & 0xfe000000) == 0xfa000000) {
		*b = (struct branch){4, 0, 4, 0, p + 8 + off + ((i >> 23) & 2), "blx", A_BLX};
	} else if (c != 0xf && (i & 0x0e000000) == 0x0a000000) {
		int link = (i >> 24) & 1;
		char *n = names[1 + link][c];
		if (!n[0])
			strcat(strcpy(n, link ? "bl" : "b"), cc[c]);
		*b = (struct branch){4, 0, 4, !link, p + 8 + off, n, link ? A_BL : A_B};
	} else {
		return -1;
	}
	return 0;
}

const char *branch_encode(uintptr_t p, const struct branch *b, uintptr_t to, uint8_t *out)
{
	int thumb_target = to & 1;
	uintptr_t code = to & ~(uintptr_t)1;
	if (b->word <= T_BCC) {
		uint16_t h1 = rd16(p), h2 = rd16(p + 2);
		int64_t d;
		switch (b->word) {
		case T_BL:
		case T_BLX:
			if (thumb_target) { /* BL: Thumb to Thumb */
				d = delta(code, p + 4);
				h2 |= 0x1000;
			} else {             /* BLX: Thumb to ARM, from the word-aligned PC */
				d = delta(code, (p + 4) & ~(uintptr_t)3);
				if (d & 3)
					return "an ARM target must be word-aligned";
				h2 &= (uint16_t)~0x1000;
			}
			if (!reach(d, 24, 2))
				return OUT_OF_REACH;
			thumb_put24(&h1, &h2, d);
			break;
		case T_BW:
			if (!thumb_target)
				return "a Thumb b.w cannot branch to ARM code";
			d = delta(code, p + 4);
			if (!reach(d, 24, 2))
				return OUT_OF_REACH;
			thumb_put24(&h1, &h2, d);
			break;
		default: /* T_BCC: S:J2:J1:imm6:imm11:0 */
			if (!thumb_target)
				return "a Thumb conditional branch cannot branch to ARM code";
			d = delta(code, p + 4);
			if (!reach(d, 20, 2))
				return OUT_OF_REACH;
			h1 = (uint16_t)((h1 & 0xfbc0) | (((d >> 20) & 1) << 10) | ((d >> 12) & 0x3f));
			h2 = (uint16_t)((h2 & 0xd000) | (((d >> 18) & 1) << 13) | (((d >> 19) & 1) << 11) | ((d >> 1) & 0x7ff));
			break;
		}
		memcpy(out, &h1, 2);
		memcpy(out + 2, &h2, 2);
		return NULL;
	}
	uint32_t i = rd32(p);
	int64_t d = delta(code, p + 8);
	if (b->word == A_B && thumb_target)
		return "an ARM b cannot branch to Thumb code";
	if (b->word == A_BL && thumb_target && (i >> 28) != 0xe)
		return "a conditional ARM bl cannot become blx";
	if (b->word != A_B && thumb_target) { /* BLX imm: H is bit 1 of the offset */
		if (!reach(d, 25, 2))
			return OUT_OF_REACH;
		i = 0xfa000000 | ((uint32_t)((d >> 1) & 1) << 24) | ((uint32_t)(d >> 2) & 0x00ffffff);
	} else {
		if (!reach(d, 24, 4))
			return OUT_OF_REACH;
		if (b->word == A_BLX)
			i = 0xeb000000; /* back to an unconditional BL */
		i = (i & 0xff000000) | ((uint32_t)(d >> 2) & 0x00ffffff);
	}
	memcpy(out, &i, 4);
	return NULL;
}

#elif defined(__powerpc__) || defined(__powerpc64__)
/*
 * ---- powerpc (32, 64 ELFv1, 64 ELFv2): b/bl LI x4 (+-32 MiB), bc BD x4 (+-32 KiB) ----
 * On ppc64 a `bl` to another function is followed by a `nop` that the linker turns into the
 * TOC restore `ld r2,24(r1)` (40 on ELFv1) when the call goes through a TOC-switching stub.
 * In one statically linked program every function shares the TOC, so the nop stays a nop and
 * the `bl` goes straight to the callee's local entry point; re-targeting rewrites only the
 * `bl`, to the new function's local entry (branch_target). A site whose nop became the
 * restore is refused: a direct `bl` there would leave the restore reloading a stale r2.
 */

enum { PPC_I, PPC_B };

int branch_decode(uintptr_t p, struct branch *b)
{
	static const char *const bt[4] = {"blt", "bgt", "beq", "bso"}, *const bf[4] = {"bge", "ble", "bne", "bns"};
	uint32_t i = rd32(p), op = i >> 26;
	if (i & 2)
		return -1; /* absolute (AA) forms are no calls to move */
	*b = (struct branch){.length = 4, .patch_length = 4, .tail = !(i & 1)};
	if (op == 18) {
		b->mnemonic = b->tail ? "b" : "bl";
		b->word = PPC_I;
		b->destination = p + sext(i & 0x03fffffc, 26);
#if defined(__powerpc64__)
		if (!b->tail && rd32(p + 4) == 0x60000000)
			b->length = 8; /* bl + the nop that is kept for a TOC restore */
#endif
	} else if (op == 16) {
		uint32_t bo = (i >> 21) & 0x1f, bi = (i >> 16) & 0x1f;
		b->mnemonic = (bo & 0x14) == 0x14 ? "b" : (bo & 0x1c) == 0x0c ? bt[bi & 3] : (bo & 0x1c) == 0x04 ? bf[bi & 3] : "bc";
		b->word = PPC_B;
		b->destination = p + sext(i & 0xfffc, 16);
	} else {
		return -1;
	}
	return 0;
}

const char *branch_encode(uintptr_t p, const struct branch *b, uintptr_t to, uint8_t *out)
{
	uint32_t i = rd32(p);
	int64_t d = delta(to, p);
#if defined(__powerpc64__)
	uint32_t next = rd32(p + 4);
	if (!b->tail && (next == 0xe8410018 || next == 0xe8410028))
		return "the call goes through a TOC-switching stub (ld r2 after the bl)";
#endif
	if (b->word == PPC_I) {
		if (!reach(d, 24, 4))
			return OUT_OF_REACH;
		i = (i & 0xfc000003) | ((uint32_t)d & 0x03fffffc);
	} else {
		if (!reach(d, 14, 4))
			return OUT_OF_REACH;
		i = (i & 0xffff0003) | ((uint32_t)d & 0xfffc);
	}
	memcpy(out, &i, 4);
	return NULL;
}

#elif defined(__riscv) && __riscv_xlen == 64
/*
 * ---- riscv64: auipc+jalr pairs (call/tail, +-2 GiB), jal/j (+-1 MiB) ----
 * A pair is rewritten whole (8 bytes, two instructions): fine here, where one thread patches
 * while nothing runs the site; not atomic for a running hart (see docs/runtime-model.md).
 * Compressed jumps (c.j, which only linker relaxation would produce) are refused.
 */

enum { RV_PAIR, RV_JAL };

int branch_decode(uintptr_t p, struct branch *b)
{
	uint32_t w0 = rd32(p);
	if ((w0 & 0x7f) == 0x17) { /* auipc rd, hi20 */
		uint32_t rd = (w0 >> 7) & 0x1f, w1 = rd32(p + 4), link = (w1 >> 7) & 0x1f;
		if ((w1 & 0x707f) != 0x67 || ((w1 >> 15) & 0x1f) != rd || rd == 0 || link > 1)
			return -1;
		*b = (struct branch){8, 0, 8, link == 0, p + (int64_t)(int32_t)(w0 & 0xfffff000) + ((int64_t)(int32_t)w1 >> 20),
				     link ? "call" : "tail", RV_PAIR};
		return 0;
	}
	if ((w0 & 0x7f) == 0x6f) { /* jal rd, imm: imm[20|10:1|11|19:12] */
		uint32_t link = (w0 >> 7) & 0x1f;
		if (link > 1)
			return -1;
		uint32_t imm = ((w0 >> 31) << 20) | (((w0 >> 21) & 0x3ff) << 1) | (((w0 >> 20) & 1) << 11) | (w0 & 0xff000);
		*b = (struct branch){4, 0, 4, link == 0, p + sext(imm, 21), link ? "jal" : "j", RV_JAL};
		return 0;
	}
	return -1;
}

const char *branch_encode(uintptr_t p, const struct branch *b, uintptr_t to, uint8_t *out)
{
	int64_t d = delta(to, p);
	uint32_t w0 = rd32(p);
	if (b->word == RV_PAIR) {
		/* auipc adds hi << 12, jalr a signed 12-bit lo: hi = (d + 0x800) >> 12 */
		if (d < -(1LL << 31) - 0x800 || d >= (1LL << 31) - 0x800 || (d & 1))
			return OUT_OF_REACH;
		int64_t hi = (d + 0x800) >> 12, lo = d - (hi << 12);
		uint32_t w1 = rd32(p + 4);
		w0 = (w0 & 0xfff) | ((uint32_t)hi << 12);
		w1 = (w1 & 0xfffff) | ((uint32_t)lo << 20);
		memcpy(out, &w0, 4);
		memcpy(out + 4, &w1, 4);
		return NULL;
	}
	if (!reach(d, 20, 2))
		return OUT_OF_REACH;
	uint32_t u = (uint32_t)d;
	w0 = (w0 & 0xfff) | (((u >> 20) & 1) << 31) | (((u >> 1) & 0x3ff) << 21) | (((u >> 11) & 1) << 20) | (u & 0xff000);
	memcpy(out, &w0, 4);
	return NULL;
}

#elif defined(__s390x__)
/*
 * ---- s390x: brasl (C0 E5), brcl m (C0 m4: jg for m = 15, conditional for 1..14), a signed
 * 32-bit count of halfwords at +2, counted from the instruction's first byte (+-4 GiB) ----
 */

int branch_decode(uintptr_t p, struct branch *b)
{
	static const char *const jg[16] = {NULL, "jgo", "jgh", "jgnle", "jgl", "jgnhe", "jglh", "jgne",
					   "jge", "jgnlh", "jghe", "jgnl", "jgle", "jgnh", "jgno", "jg"};
	const uint8_t *c = (const uint8_t *)p;
	int32_t disp;
	if (c[0] != 0xc0)
		return -1;
	unsigned low = c[1] & 0x0f, mask = c[1] >> 4;
	if (low == 5)
		*b = (struct branch){.tail = 0, .mnemonic = "brasl"};
	else if (low == 4 && mask != 0)
		*b = (struct branch){.tail = 1, .mnemonic = jg[mask]};
	else
		return -1; /* larl (C0 x0) and the other RIL instructions, brcl 0 (a nop) */
	b->length = 6;
	b->patch_offset = 2;
	b->patch_length = 4;
	memcpy(&disp, c + 2, 4);
	b->destination = p + 2 * (int64_t)disp;
	return 0;
}

const char *branch_encode(uintptr_t p, const struct branch *b, uintptr_t to, uint8_t *out)
{
	(void)b;
	int64_t d = delta(to, p);
	if (!reach(d, 32, 2))
		return OUT_OF_REACH;
	int32_t disp = (int32_t)(d / 2);
	memcpy(out, &disp, 4);
	return NULL;
}

#elif defined(__loongarch__) && __loongarch_grlen == 64
/*
 * ---- loongarch64: b/bl offs26 (+-128 MiB), beqz/bnez offs21 (+-4 MiB), beq..bgeu offs16
 * (+-128 KiB); all x4 from the instruction. offs26 = [9:0] high 10 bits, [25:10] low 16. ----
 */

enum { LA_26, LA_21, LA_16 };

int branch_decode(uintptr_t p, struct branch *b)
{
	static const char *const b16[6] = {"beq", "bne", "blt", "bge", "bltu", "bgeu"};
	uint32_t i = rd32(p), op = i >> 26, lo16 = (i >> 10) & 0xffff;
	*b = (struct branch){.length = 4, .patch_length = 4, .tail = 1};
	if (op == 0x14 || op == 0x15) {
		b->tail = op == 0x14;
		b->mnemonic = b->tail ? "b" : "bl";
		b->word = LA_26;
		b->destination = p + (sext(lo16 | ((i & 0x3ff) << 16), 26) << 2);
	} else if (op == 0x10 || op == 0x11) {
		b->mnemonic = op == 0x10 ? "beqz" : "bnez";
		b->word = LA_21;
		b->destination = p + (sext(lo16 | ((i & 0x1f) << 16), 21) << 2);
	} else if (op >= 0x16 && op <= 0x1b) {
		b->mnemonic = b16[op - 0x16];
		b->word = LA_16;
		b->destination = p + (sext(lo16, 16) << 2);
	} else {
		return -1;
	}
	return 0;
}

const char *branch_encode(uintptr_t p, const struct branch *b, uintptr_t to, uint8_t *out)
{
	int64_t d = delta(to, p);
	uint32_t i = rd32(p), o = (uint32_t)(d >> 2);
	switch (b->word) {
	case LA_26:
		if (!reach(d, 26, 4))
			return OUT_OF_REACH;
		i = (i & 0xfc000000) | ((o & 0xffff) << 10) | ((o >> 16) & 0x3ff);
		break;
	case LA_21:
		if (!reach(d, 21, 4))
			return OUT_OF_REACH;
		i = (i & 0xfc0003e0) | ((o & 0xffff) << 10) | ((o >> 16) & 0x1f);
		break;
	default:
		if (!reach(d, 16, 4))
			return OUT_OF_REACH;
		i = (i & 0xfc0003ff) | ((o & 0xffff) << 10);
		break;
	}
	memcpy(out, &i, 4);
	return NULL;
}

#else
#error "branch.c: no branch encoding for this architecture"
#endif

uintptr_t function_code(const void *func)
{
#if defined(__powerpc64__) && (!defined(_CALL_ELF) || _CALL_ELF == 1)
	return *(const uintptr_t *)func; /* ELFv1: the descriptor's first doubleword */
#elif defined(__arm__)
	return (uintptr_t)func & ~(uintptr_t)1;
#else
	return (uintptr_t)func;
#endif
}

uintptr_t branch_target(const void *func)
{
#if defined(__powerpc64__) && defined(_CALL_ELF) && _CALL_ELF == 2
	/* ELFv2: the local entry, st_other bits 5-7 (2..6 -> 4..64 bytes past the global entry).
	 * Without a symbol, recognise the global entry's TOC set-up: addis r2,r12,hi; addi r2,r2,lo. */
	uintptr_t entry = (uintptr_t)func;
	int other = function_st_other(entry);
	if (other >= 0) {
		int v = (other >> 5) & 7;
		return entry + (v >= 2 && v <= 6 ? (uintptr_t)1 << v >> 2 << 2 : 0);
	}
	return entry + ((rd32(entry) >> 16) == 0x3c4c && (rd32(entry + 4) >> 16) == 0x3842 ? 8 : 0);
#elif defined(__arm__)
	return (uintptr_t)func; /* the Thumb bit tells branch_encode which state the target is in */
#else
	return function_code(func);
#endif
}

void branch_sync(uintptr_t p, int n)
{
#if defined(__powerpc__) || defined(__powerpc64__)
	/* GCC's __builtin___clear_cache emits nothing for powerpc: do what Linux's
	 * patch_instruction does, per cache block touched (32 bytes is the smallest block size). */
	for (uintptr_t a = p & ~(uintptr_t)31; a < p + n; a += 32)
		__asm__ volatile("dcbst 0,%0; sync; icbi 0,%0; sync; isync" : : "r"(a) : "memory");
#elif defined(__loongarch__)
	/* The hardware keeps the instruction cache coherent; ibar orders this hart's fetches
	 * after the store (Linux's local_flush_icache_range). No libgcc/compiler-rt here. */
	(void)p;
	(void)n;
	__asm__ volatile("ibar 0" : : : "memory");
#else
	__builtin___clear_cache((char *)p, (char *)p + n);
#endif
}
