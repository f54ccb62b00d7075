package patchsites.isa;

import java.nio.ByteBuffer;

/**
 * x86 instruction length decoder: prefixes, REX, VEX/EVEX/XOP, the one-, two- and three-byte
 * opcode maps, ModRM/SIB/displacement and immediates. It exists for one question the bytes
 * alone cannot answer: is the 0x2e before an {@code E8} a CS prefix (gcc's
 * {@code -mindirect-branch-cs-prefix} on r8-r15 thunk calls) or the last byte of the previous
 * instruction ({@code je .+0x2e})? Decoding forward from a known instruction boundary, as objtool
 * does, answers it.
 */
public final class X86Length {
    private X86Length() {}

    // One-byte map: bit 0 = has ModRM; bits 1-3 = immediate kind.
    private static final int M = 1;
    private static final int I8 = 1 << 1, IZ = 2 << 1, I16 = 3 << 1, I16_8 = 4 << 1, MOFFS = 5 << 1, IV = 6 << 1,
            GRP3 = 7 << 1;
    private static final byte[] ONE = new byte[256];
    private static final byte[] TWO = new byte[256];

    static {
        for (int op = 0; op < 0x40; op++) { // the eight ALU groups: r/m,r and r,r/m, then al/eax with imm
            ONE[op] = (byte) ((op & 7) < 4 ? M : (op & 7) == 4 ? I8 : (op & 7) == 5 ? IZ : 0);
        }
        set(ONE, M, 0x63, 0xfe, 0xff);
        set(ONE, M | I8, 0x6b, 0x80, 0x82, 0x83, 0xc0, 0xc1, 0xc6);
        set(ONE, M | IZ, 0x69, 0x81, 0xc7);
        set(ONE, M | GRP3, 0xf6, 0xf7);
        set(ONE, I8, 0x6a, 0xa8, 0xcd, 0xd4, 0xd5, 0xeb);
        set(ONE, IZ, 0x68, 0xa9, X86Codec.CALL_REL32, X86Codec.JMP_REL32);
        set(ONE, I16, 0xc2, 0xca);
        set(ONE, I16_8, 0xc8);
        setRange(ONE, I8, 0x70, 0x80); // jcc rel8
        setRange(ONE, M, 0x84, 0x90);
        setRange(ONE, MOFFS, 0xa0, 0xa4);
        setRange(ONE, I8, 0xb0, 0xb8); // mov r8, imm8
        setRange(ONE, IV, 0xb8, 0xc0); // mov r, imm
        setRange(ONE, M, 0xd0, 0xd4); // shifts
        setRange(ONE, M, 0xd8, 0xe0); // x87
        setRange(ONE, I8, 0xe0, 0xe8); // loop, jrcxz, in, out

        setRange(TWO, M, 0, 256);
        set(TWO, 0, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0e, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
                0x77, 0xa0, 0xa1, 0xa2, 0xa8, 0xa9, 0xaa);
        setRange(TWO, 0, 0xc8, 0xd0); // bswap
        setRange(TWO, IZ, 0x80, 0x90); // jcc rel32
        set(TWO, M | I8, 0x0f, 0x70, 0x71, 0x72, 0x73, 0xa4, 0xac, 0xba, 0xc2, 0xc4, 0xc5, 0xc6);
    }

    private static void set(byte[] table, int flags, int... ops) {
        for (int op : ops) {
            table[op] = (byte) flags;
        }
    }

    private static void setRange(byte[] table, int flags, int from, int to) {
        for (int op = from; op < to; op++) {
            table[op] = (byte) flags;
        }
    }

    /** Whether the one-byte ({@code twoByte} false) or two-byte opcode {@code op} has a ModRM byte (not for 0F 38/3A, VEX). */
    static boolean hasModrm(boolean twoByte, int op) {
        return ((twoByte ? TWO[op] : ONE[op]) & M) != 0;
    }

    /**
     * Length of the instruction at {@code pos}, or -1 if it cannot be decoded (truncated or an
     * opcode that is invalid in the mode).
     */
    public static int length(ByteBuffer b, int pos, boolean mode64) {
        int end = b.limit();
        int p = afterLegacyPrefixes(b, pos, end);
        boolean opsize16 = hasPrefix(b, pos, p, 0x66), addr32 = hasPrefix(b, pos, p, 0x67), rexW = false;
        if (mode64 && p < end && ((b.get(p) & 0xf0) == 0x40)) {
            rexW = (b.get(p) & 0x08) != 0;
            p++;
        }
        if (p >= end) {
            return -1;
        }
        int op = b.get(p++) & 0xff;
        if (isVexLike(b, p, end, op, mode64)) {
            return lengthTo(vexEnd(b, p, end, op), pos);
        }
        int flags;
        if (op == X86Codec.TWO_BYTE_MAP) {
            if (p >= end) {
                return -1;
            }
            int op2 = b.get(p++) & 0xff;
            if (op2 == 0x38 || op2 == 0x3a) {
                return lengthTo(threeByteEnd(b, p, end, op2 == 0x3a, addr32 && !mode64), pos);
            }
            flags = TWO[op2];
        } else {
            if (mode64 && isInvalid64(op)) {
                return -1;
            }
            flags = ONE[op];
        }
        int modrmAt = p;
        if ((flags & M) != 0) {
            p = modrm(b, p, end, addr32 && !mode64);
            if (p < 0) {
                return -1;
            }
        }
        int imm = immediateSize(flags & ~M, op, (flags & M) != 0 ? b.get(modrmAt) : 0, mode64, opsize16, addr32, rexW);
        return imm < 0 ? -1 : lengthTo(p + imm <= end ? p + imm : -1, pos);
    }

    private static int lengthTo(int end, int pos) {
        return end < 0 ? -1 : end - pos;
    }

    /** Legacy prefixes: at most 14, to stay within the 15-byte limit. */
    static int afterLegacyPrefixes(ByteBuffer b, int pos, int end) {
        int p = pos;
        while (p < end && p - pos < 14) {
            int c = b.get(p) & 0xff;
            if (c != 0x66 && c != 0x67 && c != 0xf0 && c != X86Codec.BND_PREFIX && c != 0xf3 && c != X86Codec.CS_PREFIX
                    && c != 0x36 && c != X86Codec.DS_PREFIX && c != 0x26 && c != 0x64 && c != 0x65) {
                break;
            }
            p++;
        }
        return p;
    }

    /** Whether {@code prefix} is among the bytes from {@code from} to {@code to}. */
    static boolean hasPrefix(ByteBuffer b, int from, int to, int prefix) {
        for (int q = from; q < to; q++) {
            if ((b.get(q) & 0xff) == prefix) {
                return true;
            }
        }
        return false;
    }

    /**
     * VEX (C4/C5), EVEX (62) and XOP (8F with map >= 8) carry their own opcode map. In 32-bit mode
     * C4/C5/62 are LES/LDS/BOUND unless the next byte's ModRM.mod is 3.
     */
    private static boolean isVexLike(ByteBuffer b, int p, int end, int op, boolean mode64) {
        if (op == 0xc5 || op == 0xc4 || op == 0x62) {
            return mode64 || (p < end && (b.get(p) & 0xc0) == 0xc0);
        }
        return op == 0x8f && p < end && (b.get(p) & 0x1f) >= 8;
    }

    /** The end of a VEX/EVEX/XOP instruction whose escape byte {@code op} is just before {@code p}, or -1. */
    private static int vexEnd(ByteBuffer b, int p, int end, int op) {
        boolean vex2 = op == 0xc5, evex = op == 0x62, xop = op == 0x8f;
        int map;
        if (vex2) {
            map = 1;
            p += 1;
        } else if (evex) {
            if (p + 3 > end) {
                return -1;
            }
            map = b.get(p) & 0x07;
            p += 3;
        } else {
            if (p + 2 > end) {
                return -1;
            }
            map = b.get(p) & 0x1f;
            p += 2;
        }
        if (p >= end) {
            return -1;
        }
        int vop = b.get(p++) & 0xff;
        if (map == 1 && vop == 0x77 && !evex) {
            return p; // vzeroupper / vzeroall: no ModRM
        }
        boolean imm8;
        if (xop) {
            if (map == 0xa) {
                p = modrm(b, p, end, false);
                return p < 0 || p + 4 > end ? -1 : p + 4; // XOP map A: imm32
            }
            imm8 = map == 8;
        } else {
            imm8 = map == 3 || (map == 1 && ((vop >= 0x70 && vop <= 0x73) || vop == 0xc2 || (vop >= 0xc4 && vop <= 0xc6)));
        }
        p = modrm(b, p, end, false);
        if (p < 0) {
            return -1;
        }
        p += imm8 ? 1 : 0;
        return p > end ? -1 : p;
    }

    /** The end of a {@code 0F 38}/{@code 0F 3A} instruction whose third opcode byte is at {@code p}, or -1. */
    private static int threeByteEnd(ByteBuffer b, int p, int end, boolean imm8, boolean addr16) {
        if (p >= end) {
            return -1;
        }
        p = modrm(b, p + 1, end, addr16);
        if (p < 0) {
            return -1;
        }
        p += imm8 ? 1 : 0;
        return p > end ? -1 : p;
    }

    /** Bytes of immediate for the one- or two-byte opcode {@code op} (0x0f for the two-byte map), or -1. */
    private static int immediateSize(int kind, int op, byte modrm, boolean mode64, boolean opsize16, boolean addr32,
            boolean rexW) {
        int z = opsize16 ? 2 : 4;
        switch (kind) {
            case 0: return 0;
            case I8: return 1;
            case IZ: // call/jmp/jcc rel32 stay 4 bytes under 0x66 in 64-bit mode
                return (op == X86Codec.CALL_REL32 || op == X86Codec.JMP_REL32 || op == X86Codec.TWO_BYTE_MAP) && mode64
                        ? 4 : z;
            case I16: return 2;
            case I16_8: return 3;
            case MOFFS: return mode64 ? (addr32 ? 4 : 8) : (addr32 ? 2 : 4);
            case IV: return rexW ? 8 : z;
            case GRP3: return ((modrm >> 3) & 7) < 2 ? (op == 0xf6 ? 1 : z) : 0; // test r/m, imm
            default: return -1;
        }
    }

    private static boolean isInvalid64(int op) {
        switch (op) {
            case 0x06: case 0x07: case 0x0e: case 0x16: case 0x17: case 0x1e: case 0x1f: case 0x27: case 0x2f:
            case 0x37: case 0x3f: case 0x60: case 0x61: case 0x82: case 0x9a: case 0xc4: case 0xc5: case 0xd4:
            case 0xd5: case 0xd6: case 0xea:
                return true;
            default:
                return false;
        }
    }

    /** Skips ModRM, SIB and displacement; returns the position after them, or -1. */
    private static int modrm(ByteBuffer b, int p, int end, boolean addr16) {
        if (p >= end) {
            return -1;
        }
        int m = b.get(p++) & 0xff;
        int mod = m >>> 6, rm = m & 7;
        if (mod == 3) {
            return p;
        }
        if (addr16) {
            if (mod == 0 && rm == 6) {
                return p + 2;
            }
            return p + (mod == 1 ? 1 : mod == 2 ? 2 : 0);
        }
        if (rm == 4) {
            if (p >= end) {
                return -1;
            }
            int sib = b.get(p++) & 0xff;
            if (mod == 0 && (sib & 7) == 5) {
                return p + 4;
            }
        } else if (mod == 0 && rm == 5) {
            return p + 4;
        }
        return p + (mod == 1 ? 1 : mod == 2 ? 4 : 0);
    }
}
