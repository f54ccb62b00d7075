package patchsites.collector.scan;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import patchsites.collector.arch.Arch;
import patchsites.collector.arch.CodeContext;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.FunctionIndex;
import patchsites.collector.elf.Relocations;
import patchsites.collector.elf.SymbolTable;
import patchsites.isa.SiteKind;
import patchsites.isa.X86Effects;

/**
 * Follows a function pointer loaded into a register, {@code mov ptr+off(%rip),%rax}, to the call
 * or jump through that register in the same straight line of code: {@code call *%rax}, {@code jmp
 * *%rax}, or the same through the retpoline thunk ({@code call __x86_indirect_thunk_rax}). A site
 * is only claimed when every instruction between the load and the call is known
 * ({@link X86Effects}) not to write the register, none of them is a branch, a call or a return,
 * and none after the load is a place that code can be entered at other than from the instruction
 * before it: the destination of a direct branch in the section, or an address a relocation names
 * (a jump table, an exception fixup, a static key's jump, an alternative, another section's
 * jump back into this one). Everything else ends the walk, and the load is counted as given up
 * with its reason: a site you are not sure of is not a site.
 */
final class LoadedPointers {
    /** Why a load was not followed to a call. Labels are the CLI/JSON spelling. */
    enum GiveUp {
        /** An instruction writes the register (also partly, or as a side effect). */
        REGISTER_WRITTEN("register-written"),
        /** A call comes first, which may clobber the register. */
        CALL_BETWEEN("call-between"),
        /** A branch, a return, the end of the function, or a branch target comes first. */
        BLOCK_END("block-end"),
        /** An instruction whose effect on the registers is not known, or bytes that do not decode. */
        UNKNOWN_INSTRUCTION("unknown-instruction");

        final String label;

        GiveUp(String label) {
            this.label = label;
        }
    }

    /** Where the walk from one load ended: a site (kind non-null) or a reason to give up. */
    static final class Outcome {
        SiteKind kind;
        long start;
        int length;
        int register;
        boolean thunk;
        GiveUp giveUp;
    }

    private final ElfFile elf;
    private final Arch arch;
    private final X86Effects effects;
    private final FunctionIndex functions;
    /** Section → its flow facts, built on the first load in it. */
    private final Map<Integer, SectionFlow> flows = new HashMap<>();
    /** Section → offsets in it that a relocation elsewhere names; built once per object. */
    private Map<Integer, BitSet> named;

    LoadedPointers(ElfFile elf, Arch arch, FunctionIndex functions) {
        this.elf = elf;
        this.arch = arch;
        this.effects = arch.registerEffects();
        this.functions = functions;
    }

    /** Whether this architecture follows loads at all. */
    boolean enabled() {
        return effects != null;
    }

    /**
     * The instruction start of the pointer load whose disp32 is the relocated {@code field} of
     * section {@code sec}, and its destination register in {@code out.register}; -1 when the
     * bytes there are no {@code mov disp32(%rip),%r64}.
     */
    long loadAt(ByteBuffer text, long field, Outcome out) {
        for (int prefix = 3; prefix <= 3; prefix++) { // REX.W 8B ModRM: the only form followed
            long start = field - prefix;
            if (start < 0 || start > Integer.MAX_VALUE || effects.decode(text, (int) start) < 0
                    || !effects.loadsRipRelative64 || start + effects.fieldOffset != field
                    || effects.length != prefix + 4) {
                continue;
            }
            out.register = effects.register;
            return start;
        }
        return -1;
    }

    /** Walks from the load at {@code load} (register {@code register}) in section {@code sec}. */
    void follow(int sec, ByteBuffer text, long load, int register, Outcome out) {
        out.kind = null;
        out.giveUp = null;
        out.thunk = false;
        out.register = register;
        int row = functions.containing(sec, load);
        if (row < 0) {
            out.giveUp = GiveUp.UNKNOWN_INSTRUCTION; // no function: no known instruction boundary
            return;
        }
        SectionFlow flow = flows.computeIfAbsent(sec, s -> new SectionFlow(s, text));
        if (!flow.boundaries.get((int) load)) {
            out.giveUp = GiveUp.UNKNOWN_INSTRUCTION; // the function's decode does not meet the load
            return;
        }
        long end = Math.min(functions.end(row), flow.nextFunctionStart(load));
        long pos = load + effects.decode(text, (int) load);
        BitSet entered = namedIn(sec);
        while (true) {
            if (pos >= end) {
                out.giveUp = GiveUp.BLOCK_END;
                return;
            }
            if (!flow.boundaries.get((int) pos)) {
                out.giveUp = GiveUp.UNKNOWN_INSTRUCTION;
                return;
            }
            if (flow.destinations.get((int) pos) || entered.get((int) pos)) {
                out.giveUp = GiveUp.BLOCK_END; // another path joins here
                return;
            }
            int len = effects.decode(text, (int) pos);
            if (len <= 0 || !effects.known) {
                out.giveUp = GiveUp.UNKNOWN_INSTRUCTION;
                return;
            }
            switch (effects.flow) {
                case CALL_REGISTER:
                case JUMP_REGISTER:
                    if (effects.register == register) {
                        site(out, effects.flow == X86Effects.Flow.CALL_REGISTER, pos, len, false);
                    } else {
                        out.giveUp = effects.flow == X86Effects.Flow.CALL_REGISTER ? GiveUp.CALL_BETWEEN : GiveUp.BLOCK_END;
                    }
                    return;
                case CALL_DIRECT:
                case JUMP_DIRECT:
                    boolean call = effects.flow == X86Effects.Flow.CALL_DIRECT;
                    if (effects.fieldOffset > 0 && flow.thunkAt(pos + effects.fieldOffset) == register) {
                        site(out, call, pos, len, true);
                    } else {
                        out.giveUp = call ? GiveUp.CALL_BETWEEN : GiveUp.BLOCK_END;
                    }
                    return;
                case CALL_OTHER:
                    out.giveUp = GiveUp.CALL_BETWEEN;
                    return;
                case JUMP_CONDITIONAL:
                case STOP:
                    out.giveUp = GiveUp.BLOCK_END;
                    return;
                default:
                    if ((effects.writes & (1 << register)) != 0) {
                        out.giveUp = GiveUp.REGISTER_WRITTEN;
                        return;
                    }
                    pos += len;
            }
        }
    }

    /** What an instruction does with the memory operand its relocation names. */
    enum Access {
        /** Writes it, or may (an instruction {@link X86Effects} does not know). */
        STORE,
        /** Only reads it ({@code cmpq $0,x(%rip)}, a 32-bit load). */
        READ,
        /** Takes the address ({@code lea}, {@code mov $x,%rdi}), or the field is not a memory operand. */
        ADDRESS
    }

    /**
     * Classifies the instruction of section {@code sec} that holds the relocated {@code field}; for
     * a RIP-relative operand {@code bias[0]} is set to the bytes from the field to the end of the
     * instruction (what to add to symbol + addend to get the address), else 0.
     */
    Access access(int sec, ByteBuffer text, long field, long[] bias) {
        bias[0] = 0;
        SectionFlow flow = flows.computeIfAbsent(sec, s -> new SectionFlow(s, text));
        int start = field > 0 ? flow.boundaries.previousSetBit((int) field - 1) : -1;
        if (start < 0 || effects.decode(text, start) <= 0 || start + effects.length <= field) {
            return Access.ADDRESS; // not inside a decoded instruction: its address may be taken
        }
        if (effects.memoryField == 0 || start + effects.memoryField != field) {
            return Access.ADDRESS; // an immediate: mov $x,%rdi
        }
        bias[0] = effects.memoryRipRelative ? start + effects.length - field : 0;
        if (effects.computesAddress) {
            return Access.ADDRESS;
        }
        if (!effects.known || effects.storesMemory) {
            return effects.memoryIndexed ? Access.ADDRESS : Access.STORE; // an indexed store: any slot
        }
        return Access.READ; // also indexed: paravirt_patch reading ((void **)&pv_ops)[type]
    }

    private static void site(Outcome out, boolean call, long start, int length, boolean thunk) {
        out.kind = call ? SiteKind.ILOAD : SiteKind.ILOAD_TAIL;
        out.start = start;
        out.length = length;
        out.thunk = thunk;
    }

    /**
     * What one executable section's own bytes and relocations say about its flow: instruction
     * boundaries (decoded from the section's start, again from each function's start when an
     * instruction would run over it, as {@link DecodingPass} does), the destinations of its
     * direct branches that carry no relocation, and which relocated branch fields name a
     * retpoline thunk.
     */
    private final class SectionFlow {
        final BitSet boundaries = new BitSet();
        final BitSet destinations = new BitSet();
        final long[] functionStarts;
        /** Relocated fields of this section, ascending, and the thunk register each names (-1: none). */
        private long[] fields;
        private int[] thunks;

        SectionFlow(int sec, ByteBuffer text) {
            functionStarts = functions.startsIn(sec);
            relocatedFields(sec);
            X86Effects e = arch.registerEffects();
            long size = text.limit();
            int next = 0;
            long pos = 0;
            while (pos < size) {
                while (next < functionStarts.length && functionStarts[next] <= pos) {
                    next++;
                }
                long resume = next < functionStarts.length ? functionStarts[next] : size;
                int len = e.decode(text, (int) pos);
                if (len <= 0 || pos + len > resume) {
                    pos = resume; // undecodable, or ran over a function's first byte: trust the symbol
                    continue;
                }
                boundaries.set((int) pos);
                boolean branch = e.flow == X86Effects.Flow.JUMP_DIRECT || e.flow == X86Effects.Flow.JUMP_CONDITIONAL
                        || e.flow == X86Effects.Flow.CALL_DIRECT;
                // A relocated branch goes where its relocation says: relocations are counted by namedIn.
                if (branch && (e.fieldOffset == 0 || index(pos + e.fieldOffset) < 0)) {
                    long to = pos + e.destination;
                    if (to >= 0 && to < size) {
                        destinations.set((int) to);
                    }
                }
                pos += len;
            }
        }

        long nextFunctionStart(long offset) {
            int i = Arrays.binarySearch(functionStarts, offset + 1);
            i = i < 0 ? -i - 1 : i;
            while (i < functionStarts.length && functionStarts[i] <= offset) {
                i++;
            }
            return i < functionStarts.length ? functionStarts[i] : Long.MAX_VALUE;
        }

        int thunkAt(long field) {
            int i = index(field);
            return i < 0 ? -1 : thunks[i];
        }

        private int index(long field) {
            int i = Arrays.binarySearch(fields, field);
            return i < 0 ? -1 : i;
        }

        private void relocatedFields(int sec) {
            long base = elf.sectionBase(sec);
            int r = elf.relocationSectionOf(sec);
            if (r < 0 || elf.sectionType(elf.sectionLink(r)) != ElfFile.SHT_SYMTAB) {
                fields = new long[0];
                thunks = new int[0];
                return;
            }
            Relocations rel = elf.relocations(r);
            SymbolTable syms = elf.symbolTable(elf.sectionLink(r));
            int n = rel.count();
            long[] keys = new long[n];
            for (int i = 0; i < n; i++) {
                int sym = rel.symbol(i);
                int thunk = sym > 0 && sym < syms.count() && syms.nameOffset(sym) != 0
                        ? arch.thunkRegister(syms.name(sym)) : -1;
                // (offset << 5) | thunk + 1: one sort keeps each field with its thunk
                keys[i] = (rel.offset(i) - base) << 5 | (thunk + 1);
            }
            Arrays.sort(keys);
            fields = new long[n];
            thunks = new int[n];
            for (int i = 0; i < n; i++) {
                fields[i] = keys[i] >> 5;
                thunks[i] = (int) (keys[i] & 31) - 1;
            }
        }
    }

    /**
     * Offsets in section {@code sec} that a relocation names from anywhere in the object (its
     * symbol defined in {@code sec}, plus the addend and the bias of a PC-relative field in code),
     * except from sections that only describe instructions ({@link DefinedTargets#describesInstructions}).
     */
    private BitSet namedIn(int sec) {
        if (named == null) {
            named = new HashMap<>();
            for (int r = 1; r < elf.sectionCount(); r++) {
                int t = elf.sectionType(r);
                int applies = elf.sectionInfo(r);
                if (t != ElfFile.SHT_REL && t != ElfFile.SHT_RELA || applies <= 0 || applies >= elf.sectionCount()
                        || elf.sectionType(elf.sectionLink(r)) != ElfFile.SHT_SYMTAB
                        || elf.sectionType(applies) == ElfFile.SHT_NOBITS
                        || DefinedTargets.describesInstructions(elf.sectionName(applies))) {
                    continue;
                }
                markNamed(r, applies);
            }
        }
        return named.computeIfAbsent(sec, s -> new BitSet());
    }

    private void markNamed(int r, int applies) {
        Relocations rel = elf.relocations(r);
        SymbolTable syms = elf.symbolTable(elf.sectionLink(r));
        boolean code = elf.isExecutable(applies);
        ByteBuffer data = null;
        long appliesBase = elf.sectionBase(applies);
        CodeContext context = offset -> {
            int row = functions.containing(applies, offset);
            return row < 0 ? 0 : functions.start(row);
        };
        for (int i = 0; i < rel.count(); i++) {
            int sym = rel.symbol(i);
            if (sym <= 0 || sym >= syms.count()) {
                continue;
            }
            int sec = syms.definingSection(sym);
            if (sec <= 0 || sec >= elf.sectionCount() || !elf.isExecutable(sec)) {
                continue;
            }
            if (data == null) {
                data = elf.data(applies);
            }
            long field = rel.offset(i) - appliesBase;
            if (field < 0 || field >= data.limit()) {
                continue;
            }
            long addend = arch.addend(rel, i, data, field);
            long at = arch.codeAddress(syms.value(sym)) - elf.sectionBase(sec) + addend
                    + arch.referenceBias(data, field, rel.type(i), code, context);
            if (at >= 0 && at < Integer.MAX_VALUE) {
                named.computeIfAbsent(sec, s -> new BitSet()).set((int) at);
            }
        }
    }
}
