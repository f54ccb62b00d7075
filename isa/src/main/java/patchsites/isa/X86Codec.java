package patchsites.isa;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * x86 direct branches with a 32-bit displacement: {@code E8 rel32} (call), {@code E9 rel32}
 * (jmp), {@code 0F 80+cc rel32} (jcc), possibly behind the prefixes seen on branches (CS/DS:
 * hints, notrack, {@code -mindirect-branch-cs-prefix}; BND: MPX). The same on x86-64 and i386,
 * except that rel32 wraps around i386's 32-bit address space.
 */
public final class X86Codec implements BranchCodec {
    public static final X86Codec X86_64 = new X86Codec(true), I386 = new X86Codec(false);

    /** The opcodes (X86Length sizes their rel32 too); {@code 0F 80+cc} is jcc in the two-byte map. */
    static final int CALL_REL32 = 0xe8, JMP_REL32 = 0xe9, TWO_BYTE_MAP = 0x0f, JCC_REL32 = 0x80;
    /**
     * Memory-indirect branches: opcode {@code FF} (group 5) with ModRM {@code 15} (/2, call) or
     * {@code 25} (/4, jmp), both mod 00 rm 101: a RIP-relative disp32 on x86-64, an absolute one on i386.
     */
    static final int GROUP5 = 0xff, MODRM_CALL_DISP32 = 0x15, MODRM_JMP_DISP32 = 0x25;
    /** {@code FF /2 disp32} and {@code FF /4 disp32}: opcode, ModRM, disp32. */
    public static final int MEMORY_INDIRECT_LENGTH = 6;
    /** The one-byte NOP, what pads a 5-byte direct branch into the 6 bytes of a memory-indirect one. */
    static final int NOP1 = 0x90;
    /** The legacy prefixes seen on branches (of {@link X86Length}'s list): CS, DS and BND (REPNE). */
    static final int CS_PREFIX = 0x2e, DS_PREFIX = 0x3e, BND_PREFIX = 0xf2;
    /** An instruction has at most 15 bytes. */
    private static final int MAX_PREFIXES = 14;

    private final boolean mode64;

    private X86Codec(boolean mode64) {
        this.mode64 = mode64;
    }

    public static boolean isBranchPrefix(byte b) {
        int p = b & 0xff;
        return p == CS_PREFIX || p == DS_PREFIX || p == BND_PREFIX;
    }

    /** 1 or 2: the opcode bytes of a rel32 branch at {@code p}; 0 when none starts there. */
    private static int opcodeLength(ByteBuffer code, int p) {
        int end = code.limit();
        if (p >= end) {
            return 0;
        }
        int op = code.get(p) & 0xff;
        if (op == CALL_REL32 || op == JMP_REL32) {
            return 1;
        }
        return op == TWO_BYTE_MAP && p + 1 < end && (code.get(p + 1) & 0xf0) == JCC_REL32 ? 2 : 0;
    }

    @Override
    public Branch decode(ByteBuffer code, int at) {
        int p = at;
        while (p < code.limit() && p - at < MAX_PREFIXES && isBranchPrefix(code.get(p))) {
            p++;
        }
        int opLength = opcodeLength(code, p);
        int field = p + opLength;
        if (opLength == 0 || !Words.fits(code, field, 4)) {
            return null;
        }
        int op = code.get(p) & 0xff;
        SiteKind kind = op == CALL_REL32 ? SiteKind.CALL : op == JMP_REL32 ? SiteKind.TAIL : SiteKind.COND_TAIL;
        int length = field + 4 - at;
        long rel32 = Words.u32(code, field, ByteOrder.LITTLE_ENDIAN);
        return new Branch(kind, length, field - at, length, length + rel32, 32, 1, false);
    }

    @Override
    public boolean encode(ByteBuffer code, int at, Branch b, long displacement) {
        long rel = displacement - b.pcOffset();
        if (mode64 && rel != (int) rel) { // on i386 rel32 wraps around the whole address space
            return false;
        }
        Words.put32(code, at + b.fieldOffset(), ByteOrder.LITTLE_ENDIAN, (int) rel);
        return true;
    }

    /**
     * The opcode of the rel32 branch whose displacement field is at {@code field}, or -1 when no
     * call/jmp/jcc opcode precedes the field.
     */
    public static int opcodeBefore(ByteBuffer code, int field) {
        if (field < 1 || field > code.limit() - 4) {
            return -1;
        }
        return opcodeLength(code, field - 1) == 1 ? field - 1
                : field >= 2 && opcodeLength(code, field - 2) == 2 ? field - 2 : -1;
    }

    /**
     * The kind of the memory-indirect branch ({@code ff 15 disp32} call, {@code ff 25 disp32} jmp)
     * whose displacement field is at {@code field}, or null when the two bytes before the field are
     * not such an opcode. The branch is 6 bytes from {@code field - 2}, its disp32 the last four.
     */
    public static SiteKind memoryIndirectBefore(ByteBuffer code, int field) {
        if (field < 2 || field > code.limit() - 4 || (code.get(field - 2) & 0xff) != GROUP5) {
            return null;
        }
        int modrm = code.get(field - 1) & 0xff;
        return modrm == MODRM_CALL_DISP32 ? SiteKind.ICALL : modrm == MODRM_JMP_DISP32 ? SiteKind.ITAIL : null;
    }

    /**
     * Rewrites the memory-indirect call or jump at {@code at} ({@code ff 15 disp32} /
     * {@code ff 25 disp32}, 6 bytes) into the direct one of the same kind to a destination a
     * relocation will fill in: {@code e8 00000000} / {@code e9 00000000}, then a one-byte NOP in
     * the sixth byte, as the kernel's paravirt patching pads a call it writes over a PVOP call.
     * Returns the new branch (its {@code fieldOffset} is where the relocation goes), or null, with
     * the bytes untouched, when no memory-indirect branch starts at {@code at}.
     */
    public static Branch directFromMemoryIndirect(ByteBuffer code, int at) {
        SiteKind kind = at < 0 ? null : memoryIndirectBefore(code, at + 2);
        if (kind == null) {
            return null;
        }
        code.put(at, (byte) (kind == SiteKind.ICALL ? CALL_REL32 : JMP_REL32));
        Words.put32(code, at + 1, ByteOrder.LITTLE_ENDIAN, 0);
        code.put(at + MEMORY_INDIRECT_LENGTH - 1, (byte) NOP1);
        return X86_64.decode(code, at);
    }

    /**
     * Whether an instruction starts at {@code at}, decoding forward from the boundary {@code from}
     * (a function start); true as well when the decode loses sync before reaching it (data in code).
     */
    public boolean startsAt(ByteBuffer code, int at, long from) {
        long p = instructionCovering(code, at, from);
        return p < 0 || p == at;
    }

    /**
     * Whether the byte before {@code opcode} may be a branch prefix, or as well the end of the
     * previous instruction ({@code je .+0x2e}): only decoding forward from an instruction
     * boundary ({@link #firstPrefix}) tells.
     */
    public static boolean prefixMayPrecede(ByteBuffer code, int opcode) {
        return opcode > 0 && isBranchPrefix(code.get(opcode - 1));
    }

    /**
     * Walks instructions from the boundary {@code from} to find the one that covers {@code
     * opcode}; returns its start when it is the opcode behind branch prefixes only (where objtool
     * records the site), else {@code opcode} itself (the decode lost sync, e.g. on data in code:
     * trust the opcode, as the relocation sits right after it).
     */
    public int firstPrefix(ByteBuffer code, int opcode, long from) {
        long p = instructionCovering(code, opcode, from);
        if (p < 0 || p >= opcode) {
            return opcode;
        }
        for (long q = p; q < opcode; q++) {
            if (!isBranchPrefix(code.get((int) q))) {
                return opcode;
            }
        }
        return (int) p;
    }

    /**
     * Bytes from the PC-relative field at {@code field} to the end of its instruction, which an
     * immediate may follow ({@code cmpq $0, x(%rip)}: 5; {@code movl $1, x(%rip)}: 8), decoding
     * forward from the instruction boundary {@code from}; 4 when the decode does not reach it.
     */
    public long fieldToEnd(ByteBuffer code, long field, long from) {
        long p = instructionCovering(code, field, from);
        int len = p < 0 || p > field ? 0 : X86Length.length(code, (int) p, mode64);
        return len > 0 ? p + len - field : 4;
    }

    /**
     * The start of the instruction that covers byte {@code offset}, decoding forward from the
     * boundary {@code from}: {@code offset} itself when one starts there, {@code from} when that
     * is past {@code offset}, and -1 when the decode loses sync before (data in code). The one walk
     * of {@link #startsAt}, {@link #firstPrefix} and {@link #fieldToEnd}.
     */
    private long instructionCovering(ByteBuffer code, long offset, long from) {
        long p = Math.max(0, from);
        while (p < offset) {
            int len = X86Length.length(code, (int) p, mode64);
            if (len <= 0) {
                return -1;
            }
            if (p + len > offset) {
                return p;
            }
            p += len;
        }
        return p;
    }
}
