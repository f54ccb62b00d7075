package patchsites.collector.arch;

import java.nio.ByteBuffer;
import patchsites.model.ModelOptions;
import patchsites.model.PatchRules;
import patchsites.model.SiteKind;
import patchsites.model.X86_64Rules;

/**
 * x86-64 (System V psABI, RELA). Direct branches are {@code E8 rel32} (call), {@code E9 rel32}
 * (jmp: a tail call when it leaves the function) and {@code 0F 80+cc rel32} (a conditional tail
 * call, which clang emits), with R_X86_64_PLT32 (gas since 2.31) or R_X86_64_PC32 on the rel32.
 */
public final class X86_64 implements Arch {
    public static final int R_X86_64_NONE = 0, R_X86_64_64 = 1, R_X86_64_PC32 = 2, R_X86_64_PLT32 = 4,
            R_X86_64_GOTPCREL = 9, R_X86_64_32 = 10, R_X86_64_32S = 11, R_X86_64_PC64 = 24,
            R_X86_64_GOTPCRELX = 41, R_X86_64_REX_GOTPCRELX = 42;

    /** Prefixes seen on branches: CS/DS (hints, -mindirect-branch-cs-prefix, notrack), BND (MPX). */
    private static final int CS_PREFIX = 0x2e, DS_PREFIX = 0x3e, BND_PREFIX = 0xf2;

    @Override
    public String name() {
        return "x86_64";
    }

    @Override
    public boolean decodeBranch(ByteBuffer text, long field, int relocType, CodeContext context,
            DecodedBranch out) {
        if (relocType != R_X86_64_PC32 && relocType != R_X86_64_PLT32) {
            return false;
        }
        return decodeRel32(text, field, context, true, out);
    }

    /** Shared with i386, whose branch forms are byte-for-byte the same. */
    static boolean decodeRel32(ByteBuffer text, long field, CodeContext context, boolean mode64,
            DecodedBranch out) {
        int size = text.limit();
        if (field < 1 || field > size - 4) {
            return false;
        }
        int f = (int) field;
        int op = text.get(f - 1) & 0xff;
        int start;
        SiteKind kind;
        if (op == 0xe8) {
            kind = SiteKind.CALL;
            start = f - 1;
        } else if (op == 0xe9) {
            kind = SiteKind.TAIL;
            start = f - 1;
        } else if ((op & 0xf0) == 0x80 && f >= 2 && (text.get(f - 2) & 0xff) == 0x0f) {
            kind = SiteKind.COND_TAIL;
            start = f - 2;
        } else {
            return false;
        }
        // A segment-override prefix on a branch is padding or a hint (gcc -mindirect-branch-cs-prefix
        // puts CS on r8-r15 thunk calls); objtool's site is the first prefix byte. The byte before
        // the opcode may as well end the previous instruction (je .+0x2e), so decode forward.
        if (start > 0 && isSegmentPrefix(text.get(start - 1))) {
            start = startByDecoding(text, start, context.atOrBefore(start - 1), mode64);
        }
        return out.found(kind, start, f + 4 - start, 4); // rel32 counts from the end of the instruction
    }

    private static boolean isSegmentPrefix(byte b) {
        int p = b & 0xff;
        return p == CS_PREFIX || p == DS_PREFIX || p == BND_PREFIX;
    }

    /**
     * Walks instructions from {@code from} to find the one that covers {@code opcode}; returns its
     * start when it is the opcode behind prefixes only, else {@code opcode} itself (the decode
     * lost sync, e.g. on data in code: trust the opcode, as the relocation sits right after it).
     */
    private static int startByDecoding(ByteBuffer text, int opcode, long from, boolean mode64) {
        long p = Math.max(0, from);
        while (p < opcode) {
            int len = X86Length.length(text, (int) p, mode64);
            if (len <= 0) {
                return opcode;
            }
            if (p + len > opcode) {
                for (long q = p; q < opcode; q++) {
                    if (!isSegmentPrefix(text.get((int) q))) {
                        return opcode;
                    }
                }
                return (int) p;
            }
            p += len;
        }
        return opcode;
    }

    @Override
    public long referenceBias(ByteBuffer section, long field, int relocType, boolean code, CodeContext context) {
        switch (relocType) {
            case R_X86_64_PC32:
            case R_X86_64_PLT32:
            case R_X86_64_GOTPCREL:
            case R_X86_64_GOTPCRELX:
            case R_X86_64_REX_GOTPCRELX:
                break;
            default:
                return 0; // absolute: the field holds S + A
        }
        return pcRelativeBias(section, field, code, context, true);
    }

    /** Distance from a PC-relative field to the end of its instruction (0 in data), shared with i386. */
    static long pcRelativeBias(ByteBuffer section, long field, boolean code, CodeContext context, boolean mode64) {
        if (!code) {
            return 0; // data (.long sym - .): the field's own address is the base
        }
        // RIP-relative: the base is the end of the instruction, which an immediate may follow
        // (cmpq $0, x(%rip): 5 bytes after the field start; movl $1, x(%rip): 8).
        long p = Math.max(0, context.atOrBefore(field));
        while (p <= field) {
            int len = X86Length.length(section, (int) p, mode64);
            if (len <= 0) {
                break;
            }
            if (p + len > field) {
                return p + len - field;
            }
            p += len;
        }
        return 4;
    }

    @Override
    public boolean usesRela() {
        return true;
    }

    @Override
    public int tablePcRel32Type() {
        return R_X86_64_PC32;
    }

    @Override
    public int tableAbsoluteType() {
        return R_X86_64_64;
    }

    @Override
    public PatchRules patchRules(ModelOptions options) {
        return new X86_64Rules(options.x86Policy());
    }

    @Override
    public boolean isTemplateSection(String name) {
        return name.equals(".altinstr_replacement");
    }

    @Override
    public String relocationName(int type) {
        switch (type) {
            case R_X86_64_NONE: return "R_X86_64_NONE";
            case R_X86_64_64: return "R_X86_64_64";
            case R_X86_64_PC32: return "R_X86_64_PC32";
            case R_X86_64_PLT32: return "R_X86_64_PLT32";
            case R_X86_64_GOTPCREL: return "R_X86_64_GOTPCREL";
            case R_X86_64_32: return "R_X86_64_32";
            case R_X86_64_32S: return "R_X86_64_32S";
            case R_X86_64_PC64: return "R_X86_64_PC64";
            case R_X86_64_GOTPCRELX: return "R_X86_64_GOTPCRELX";
            case R_X86_64_REX_GOTPCRELX: return "R_X86_64_REX_GOTPCRELX";
            default: return "R_X86_64_" + type;
        }
    }
}
