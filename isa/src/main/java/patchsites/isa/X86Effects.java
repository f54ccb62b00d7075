package patchsites.isa;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * What one x86-64 instruction does to the general-purpose registers and to the flow of control,
 * as far as following a loaded function pointer needs ({@code mov ptr(%rip),%rax} ... {@code call
 * *%rax}): which registers it may write, whether it is a branch, a call or a return, and the two
 * shapes of that pattern themselves. Conservative by construction: only the opcodes listed here
 * are known; any other instruction (SSE, string ops, system instructions, VEX/EVEX, ...) is
 * {@link #known} false, and the caller gives up rather than guess. Lengths come from
 * {@link X86Length}; this class adds only the meaning of the opcode.
 *
 * <p>Registers are numbered as in the encoding: 0 rax, 1 rcx, 2 rdx, 3 rbx, 4 rsp, 5 rbp, 6 rsi,
 * 7 rdi, 8-15 r8-r15. A write to any part of a register (al, ah, ax, eax) counts as a write to it.
 * One instance is reused per walk, so decoding allocates nothing.
 */
public final class X86Effects {
    /** The flow of control after the instruction. */
    public enum Flow {
        /** Falls through to the next instruction. */
        NEXT,
        /** {@code call rel32}: {@link #destination} is relative to the instruction's start. */
        CALL_DIRECT,
        /** {@code jmp rel32}/{@code jmp rel8}. */
        JUMP_DIRECT,
        /** {@code jcc}, {@code loop}, {@code jrcxz}: may fall through or branch. */
        JUMP_CONDITIONAL,
        /** {@code call *%reg} ({@code ff /2}, mod 11): {@link #register} is the register. */
        CALL_REGISTER,
        /** {@code jmp *%reg} ({@code ff /4}, mod 11). */
        JUMP_REGISTER,
        /** Any other call (through memory, far). */
        CALL_OTHER,
        /** Any other end of the straight line: ret, jmp through memory, int3, ud2, hlt, far jumps. */
        STOP
    }

    /** Register names as the retpoline thunks spell them ({@code __x86_indirect_thunk_rax}). */
    private static final String[] NAMES = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10",
        "r11", "r12", "r13", "r14", "r15"};
    private static final int RAX = 1, RCX = 1 << 1, RDX = 1 << 2, RSP = 1 << 4, RBP = 1 << 5, ALL = 0xffff;
    /** {@code mov r/m64, r64} ({@code REX.W 8B /r}): with ModRM mod 00 rm 101, a RIP-relative load. */
    static final int MOV_LOAD = 0x8b;
    private static final int MODRM_RIP_RELATIVE = 0x05, MODRM_RIP_MASK = 0xc7, MODRM_SIB = 0x04, SIB_NO_BASE = 0x05;

    /** Instruction length (0 when it does not decode). */
    public int length;
    /** False when the instruction is not one this class knows: give up. */
    public boolean known;
    public Flow flow;
    /** Bit r set: the instruction may write register r (all bits when not known). */
    public int writes;
    /** For CALL_REGISTER/JUMP_REGISTER the register; for {@link #loadsRipRelative64} the destination. */
    public int register;
    /** True for {@code mov disp32(%rip),%r64} without legacy prefixes: a pointer load. */
    public boolean loadsRipRelative64;
    /** Offset of the disp32 (RIP load) or rel32 (direct call/jump) from the start; 0 otherwise. */
    public int fieldOffset;
    /** For direct branches: destination minus the instruction's start. */
    public long destination;
    /**
     * Offset of the disp32 of a memory operand that holds an address: RIP-relative ({@link
     * #memoryRipRelative}) or absolute with an index ({@code disp32(,%rdi,8)}, {@link
     * #memoryIndexed}); 0 when there is none.
     */
    public int memoryField;
    public boolean memoryRipRelative, memoryIndexed;
    /** The instruction writes its memory operand ({@code mov %rax,x(%rip)}, {@code movq $0,x(%rip)}, ...). */
    public boolean storesMemory;
    /** {@code lea}: the memory operand's address is computed, the memory not read. */
    public boolean computesAddress;

    /** The register that {@code __x86_indirect_thunk_<name>} calls through, or -1. */
    public static int registerNamed(String name) {
        for (int r = 0; r < NAMES.length; r++) {
            if (NAMES[r].equals(name)) {
                return r;
            }
        }
        return -1;
    }

    public static String registerName(int r) {
        return NAMES[r];
    }

    // The instruction being decoded: its end, REX bits and ModRM fields.
    private int end;
    private boolean rex;
    private int reg, rm, slash;
    private boolean direct;

    /**
     * Decodes the instruction at {@code pos} (a known instruction boundary, 64-bit mode); returns
     * its length, or -1 when it does not decode (then {@link #known} is false).
     */
    public int decode(ByteBuffer b, int pos) {
        known = false;
        flow = Flow.NEXT;
        writes = ALL;
        register = -1;
        loadsRipRelative64 = false;
        fieldOffset = 0;
        destination = 0;
        memoryField = 0;
        memoryRipRelative = false;
        memoryIndexed = false;
        storesMemory = false;
        computesAddress = false;
        int len = X86Length.length(b, pos, true);
        length = Math.max(0, len);
        if (len <= 0) {
            return -1;
        }
        end = pos + len;
        int legacyEnd = X86Length.afterLegacyPrefixes(b, pos, end);
        // rep/repne (bnd) change what many opcodes mean: only the forms listed under it are known.
        boolean rep = X86Length.hasPrefix(b, pos, legacyEnd, 0xf3)
                || X86Length.hasPrefix(b, pos, legacyEnd, X86Codec.BND_PREFIX);
        int p = legacyEnd;
        boolean rexW = false, rexR = false, rexB = false;
        rex = (b.get(p) & 0xf0) == 0x40;
        if (rex) {
            int r = b.get(p++);
            rexW = (r & 8) != 0;
            rexR = (r & 4) != 0;
            rexB = (r & 1) != 0;
        }
        int op = b.get(p++) & 0xff;
        boolean twoByte = op == X86Codec.TWO_BYTE_MAP;
        if (twoByte) {
            op = b.get(p++) & 0xff;
        }
        int modrm = p < end ? b.get(p) & 0xff : 0;
        reg = ((modrm >> 3) & 7) | (rexR ? 8 : 0);
        rm = (modrm & 7) | (rexB ? 8 : 0);
        direct = (modrm >> 6) == 3;
        slash = (modrm >> 3) & 7;
        boolean hasModrm = X86Length.hasModrm(twoByte, op);
        if (hasModrm && (modrm & MODRM_RIP_MASK) == MODRM_RIP_RELATIVE) {
            memoryField = p + 1 - pos;
            memoryRipRelative = true;
        } else if (hasModrm && (modrm & MODRM_RIP_MASK) == MODRM_SIB && p + 1 < end
                && (b.get(p + 1) & 7) == SIB_NO_BASE) {
            memoryField = p + 2 - pos; // ModRM 00 xxx 100, SIB base 101: disp32 + index*scale
            memoryIndexed = true;
        }
        int w = twoByte ? twoByte(b, pos, op, rep) : oneByte(b, pos, op, rep, rexB);
        if (w < 0) {
            flow = Flow.NEXT;
            return len;
        }
        if (!twoByte && op == MOV_LOAD && rexW && legacyEnd == pos && (modrm & MODRM_RIP_MASK) == MODRM_RIP_RELATIVE) {
            loadsRipRelative64 = true; // REX.W 8B modrm disp32 and nothing else
            register = reg;
            fieldOffset = p + 1 - pos;
        }
        known = true;
        writes = w;
        return len;
    }

    /** The registers a one-byte-map opcode writes, or -1 when it is not known. */
    private int oneByte(ByteBuffer b, int pos, int op, boolean rep, boolean rexB) {
        int len = end - pos;
        if (rep && op != 0x90 && op != 0xc3 && op != 0xc2 && op != X86Codec.CALL_REL32 && op != X86Codec.JMP_REL32
                && op != 0xeb && op != 0xff && !(op >= 0x70 && op <= 0x7f)) {
            return -1; // string instructions and the like
        }
        if (op < 0x40 && (op & 7) < 6) { // add or adc sbb and sub xor cmp
            int form = op & 7;
            if (op >> 3 == 7) {
                return 0; // cmp
            }
            switch (form) {
                case 0: return byteWrite(rmWrite(), rm, direct);
                case 1: return rmWrite();
                case 2: return byteWrite(bit(reg), reg, true);
                case 3: return bit(reg);
                default: return RAX; // al/eax, imm
            }
        }
        if (op >= 0x50 && op <= 0x57 || op == 0x68 || op == 0x6a || op == 0x9c || op == 0x9d) {
            return RSP; // push, pushf, popf
        }
        if (op >= 0x58 && op <= 0x5f) {
            return RSP | bit((op & 7) | (rexB ? 8 : 0)); // pop
        }
        if (op == 0x8d) {
            computesAddress = true; // lea
        }
        if (op == 0x63 || op == MOV_LOAD || op == 0x8d || op == 0x69 || op == 0x6b) {
            return bit(reg); // movslq, mov load, lea, imul
        }
        if (op == 0x8a) {
            return byteWrite(bit(reg), reg, true);
        }
        if (op >= 0x70 && op <= 0x7f || op >= 0xe0 && op <= 0xe3) {
            flow = Flow.JUMP_CONDITIONAL; // jcc rel8; loop/jrcxz
            destination = len + b.get(end - 1);
            return op <= 0xe2 && op >= 0xe0 ? RCX : 0;
        }
        if (op == 0x80 || op == 0x81 || op == 0x83) {
            return slash == 7 ? 0 : op == 0x80 ? byteWrite(rmWrite(), rm, direct) : rmWrite(); // cmp: nothing
        }
        if (op == 0x84 || op == 0x85 || op == 0xa8 || op == 0xa9 || op == 0xa2 || op == 0xa3) {
            return 0; // test; mov to moffs
        }
        if (op == 0x86) {
            return byteWrite(bit(reg), reg, true) | byteWrite(rmWrite(), rm, direct); // xchg
        }
        if (op == 0x87) {
            return bit(reg) | rmWrite();
        }
        if (op == 0x88) {
            return byteWrite(rmWrite(), rm, direct);
        }
        if (op == 0x89) {
            return rmWrite();
        }
        if (op == 0x8f && slash == 0) {
            return RSP | rmWrite(); // pop r/m
        }
        if (op == 0x90 && !rexB) {
            return 0; // nop, pause
        }
        if (op >= 0x90 && op <= 0x97) {
            return RAX | bit((op & 7) | (rexB ? 8 : 0)); // xchg %rax,reg
        }
        if (op == 0x98 || op == 0xa0 || op == 0xa1) {
            return RAX; // cltq; mov from moffs
        }
        if (op == 0x99) {
            return RDX; // cqto
        }
        if (op >= 0xb0 && op <= 0xb7) {
            int r = (op & 7) | (rexB ? 8 : 0);
            return byteWrite(bit(r), r, true);
        }
        if (op >= 0xb8 && op <= 0xbf) {
            return bit((op & 7) | (rexB ? 8 : 0));
        }
        if (op == 0xc0 || op == 0xd0 || op == 0xd2) {
            return byteWrite(rmWrite(), rm, direct); // shifts and rotates
        }
        if (op == 0xc1 || op == 0xd1 || op == 0xd3) {
            return rmWrite();
        }
        if (op == 0xc6 && slash == 0) {
            return byteWrite(rmWrite(), rm, direct);
        }
        if (op == 0xc7 && slash == 0) {
            return rmWrite();
        }
        if (op == 0xc9) {
            return RSP | RBP; // leave
        }
        if (op == 0xc2 || op == 0xc3 || op == 0xcc || op == 0xf4) {
            flow = Flow.STOP; // ret, int3, hlt
            return 0;
        }
        if (op == X86Codec.CALL_REL32) {
            flow = Flow.CALL_DIRECT;
            fieldOffset = len - 4;
            destination = len + rel32(b, end - 4);
            return ALL; // the callee may clobber what the ABI lets it
        }
        if (op == X86Codec.JMP_REL32 || op == 0xeb) {
            flow = Flow.JUMP_DIRECT;
            fieldOffset = op == 0xeb ? 0 : len - 4;
            destination = len + (op == 0xeb ? b.get(end - 1) : rel32(b, end - 4));
            return 0;
        }
        if (op == 0xf5 || op >= 0xf8 && op <= 0xfd) {
            return 0; // cmc clc stc cli sti cld std
        }
        if (op == 0xf6 || op == 0xf7) {
            if (slash <= 1) {
                return 0; // test
            }
            if (slash <= 3) {
                return op == 0xf6 ? byteWrite(rmWrite(), rm, direct) : rmWrite(); // not, neg
            }
            return RAX | RDX; // mul imul div idiv
        }
        if (op == 0xfe && slash <= 1) {
            return byteWrite(rmWrite(), rm, direct); // inc, dec
        }
        if (op == 0xff) {
            switch (slash) {
                case 0: case 1: return rmWrite(); // inc, dec
                case 2:
                    flow = direct ? Flow.CALL_REGISTER : Flow.CALL_OTHER;
                    register = direct ? rm : -1;
                    return ALL;
                case 4:
                    flow = direct ? Flow.JUMP_REGISTER : Flow.STOP;
                    register = direct ? rm : -1;
                    return 0;
                case 6: return RSP; // push r/m
                default: return -1; // far call/jmp
            }
        }
        return -1;
    }

    /** The registers a two-byte-map opcode ({@code 0F op}) writes, or -1 when it is not known. */
    private int twoByte(ByteBuffer b, int pos, int op, boolean rep) {
        if (op >= 0x80 && op <= 0x8f) {
            flow = Flow.JUMP_CONDITIONAL; // jcc rel32 (bnd jcc too)
            fieldOffset = end - pos - 4;
            destination = end - pos + rel32(b, end - 4);
            return 0;
        }
        if (rep) {
            if (op == 0x1e) {
                return 0; // endbr64 and the other hint nops
            }
            return op == 0xb8 || op == 0xbc || op == 0xbd ? bit(reg) : -1; // popcnt, tzcnt, lzcnt
        }
        if (op >= 0x18 && op <= 0x1f || op == 0x0d) {
            return 0; // prefetch, hint nops (nopl)
        }
        if (op >= 0x40 && op <= 0x4f || op == 0xaf || op == 0xb6 || op == 0xb7 || op == 0xbe || op == 0xbf
                || op == 0xbc || op == 0xbd) {
            return bit(reg); // cmovcc, imul, movzx, movsx, bsf, bsr
        }
        if (op >= 0x90 && op <= 0x9f) {
            return byteWrite(rmWrite(), rm, direct); // setcc
        }
        if (op == 0xa3) {
            return 0; // bt
        }
        if (op == 0xab || op == 0xb3 || op == 0xbb || op == 0xa4 || op == 0xa5 || op == 0xac || op == 0xad) {
            return rmWrite(); // bts btr btc shld shrd
        }
        if (op == 0xba) {
            return slash == 4 ? 0 : slash >= 5 ? rmWrite() : -1; // bt, bts, btr, btc imm8
        }
        if (op == 0xb0) {
            return RAX | byteWrite(rmWrite(), rm, direct); // cmpxchg
        }
        if (op == 0xb1) {
            return RAX | rmWrite();
        }
        if (op == 0xc0) {
            return byteWrite(bit(reg), reg, true) | byteWrite(rmWrite(), rm, direct); // xadd
        }
        if (op == 0xc1) {
            return bit(reg) | rmWrite();
        }
        if (op >= 0xc8 && op <= 0xcf) {
            return bit(rm & 8 | op & 7); // bswap: REX.B extends the register in the opcode
        }
        if (op == 0xae && (!direct || slash >= 5)) {
            return 0; // lfence mfence sfence; clflush, fxsave and the other memory forms
        }
        if (op == 0x0b) {
            flow = Flow.STOP; // ud2
            return 0;
        }
        return -1;
    }

    private static long rel32(ByteBuffer b, int at) {
        return Words.u32(b, at, ByteOrder.LITTLE_ENDIAN);
    }

    private static int bit(int r) {
        return 1 << r;
    }

    /** The register written when the r/m operand is one (mod 11); 0 for a store to memory. */
    private int rmWrite() {
        storesMemory |= !direct;
        return direct ? bit(rm) : 0;
    }

    /**
     * An 8-bit register operand 4-7 without a REX prefix is ah, ch, dh, bh: a write to rax, rcx,
     * rdx, rbx rather than rsp..rdi. Both are counted, which is safe either way.
     */
    private int byteWrite(int w, int r, boolean isRegister) {
        if (!isRegister || rex || r < 4 || r > 7 || (w & bit(r)) == 0) {
            return w;
        }
        return w | bit(r - 4);
    }
}
