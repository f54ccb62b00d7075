package patchsites.collector.scan;

import java.nio.ByteBuffer;
import java.util.Arrays;
import patchsites.collector.arch.Arch;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.Relocations;
import patchsites.collector.elf.SymbolsAt;
import patchsites.isa.Branch;
import patchsites.isa.BranchCodec;
import patchsites.isa.SiteKind;

/**
 * The one instruction walk of the project, for the sites no relocation shows. It steps by the
 * architecture's instruction length ({@link Arch#instructionLength}: x86's length decoder, 4 on
 * the fixed-width ISAs) and asks its branch codec ({@link Arch#decodingCodec}, patchsites.isa)
 * for a direct branch at each boundary; a run of code is walked from a known boundary (a
 * section's or a function's first byte) until its end, or until an instruction does not decode
 * or would run past the end (the walk lost its way in data): then the rest is skipped, never
 * guessed over.
 *
 * <p>In an object ({@link #decode}): a call from a section to a {@code static} (or otherwise
 * local) function of the same section is resolved by the assembler, which then writes no
 * relocation. Every instruction of the section is decoded from its first byte as objtool does,
 * starting again at each function's first byte; a direct call, jump or conditional jump whose
 * bytes carry no relocation and whose destination is a target is a site. Branches with a
 * relocation are the relocation scan's, so the two never report one site twice. In a linked
 * program without relocations, {@link DecodingScanner} walks each function with it.
 */
final class DecodingPass {
    /** Receives each site found: the branch that starts at {@code start}. */
    interface Sink {
        void site(long start, Branch branch, int targetSymbol);
    }

    /** Receives each direct branch the walk decodes, at {@code start}. */
    interface Branches {
        void branch(long start, Branch branch);
    }

    private final Arch arch;
    private final BranchCodec codec;

    /** Only where {@link Arch#decodingCodec} is not null. */
    DecodingPass(Arch arch) {
        this.arch = arch;
        this.codec = arch.decodingCodec();
    }

    /**
     * Decodes the instructions of {@code [from, to)} of {@code text} one after another, from the
     * boundary {@code from}, telling {@code out} of each direct branch. Returns where it stopped:
     * {@code to}, or the first byte of an instruction that does not decode or runs past {@code to}.
     */
    long walk(ByteBuffer text, long from, long to, Branches out) {
        long pos = from;
        while (pos < to) {
            int len = arch.instructionLength(text, (int) pos);
            if (len <= 0 || pos + len > to) {
                return pos;
            }
            // The codec's branch must be this very instruction (x86: prefixes and opcode fill it).
            Branch b = codec.decode(text, (int) pos);
            if (b != null && b.length() == len) {
                out.branch(pos, b);
            }
            pos += len;
        }
        return pos;
    }

    /** Where branch {@code b} placed at {@code address} goes. */
    long destination(Branch b, long address) {
        return codec.destination(b, address);
    }

    /**
     * Decodes executable section {@code sec} of {@code elf} for the sites of {@code targets}
     * that carry no relocation. {@code functionStarts} (ascending) are the known instruction
     * boundaries; {@code callsOnly} keeps calls only (jumps are still decoded, not reported).
     */
    void decode(ElfFile elf, int sec, long[] functionStarts, SymbolsAt targets, boolean callsOnly, Sink sink) {
        ByteBuffer text = elf.data(sec);
        long[] relocs = relocationsOf(elf, sec);
        int[] nextReloc = {0};
        Branches found = (pos, b) -> {
            if (callsOnly && b.kind() != SiteKind.CALL) {
                return;
            }
            int r = nextReloc[0];
            while (r < relocs.length && relocs[r] < pos) {
                r++;
            }
            nextReloc[0] = r;
            if (r < relocs.length && relocs[r] < pos + b.length()) {
                return; // the relocation scan's
            }
            int target = targets.at(sec, codec.destination(b, pos));
            if (target >= 0) {
                sink.site(pos, b, target);
            }
        };
        long size = text.limit();
        int next = 0;
        for (long from = 0; from < size; ) {
            while (next < functionStarts.length && functionStarts[next] <= from) {
                next++;
            }
            long to = next < functionStarts.length ? Math.min(functionStarts[next], size) : size;
            walk(text, from, to, found); // where it stops early, the next function's first byte is trusted
            from = to;
        }
    }

    /** Offsets (in the section) of the relocations that apply to {@code sec}, sorted. */
    private static long[] relocationsOf(ElfFile elf, int sec) {
        int r = elf.relocationSectionOf(sec);
        if (r < 0) {
            return new long[0];
        }
        Relocations rel = elf.relocations(r);
        long base = elf.sectionBase(sec);
        long[] offsets = new long[rel.count()];
        for (int k = 0; k < offsets.length; k++) {
            offsets[k] = rel.offset(k) - base;
        }
        Arrays.sort(offsets);
        return offsets;
    }
}
