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
 * The sites that no relocation shows: a call from a section to a {@code static} (or otherwise
 * local) function of the same section is resolved by the assembler, which then writes no
 * relocation, and the relocation scan cannot see it. This pass decodes every instruction of one
 * executable section, stepping by the architecture's instruction length
 * ({@link Arch#instructionLength}: x86's length decoder, 4 on the fixed-width ISAs) and asking
 * its branch codec ({@link Arch#decodingCodec}, patchsites.isa) for a direct branch, from the
 * section's first byte as objtool does, starting again at a function's first byte when an
 * instruction would run over it (the decode lost its way in data). A direct call, jump or
 * conditional jump whose bytes carry no relocation and whose destination is a target is a site.
 * Branches with a relocation are the relocation scan's; they are skipped here, so the two never
 * report one site twice.
 */
final class DecodingPass {
    /** Receives each site found: the branch that starts at {@code start}. */
    interface Sink {
        void site(long start, Branch branch, int targetSymbol);
    }

    private final ElfFile elf;
    private final Arch arch;
    private final BranchCodec codec;

    DecodingPass(ElfFile elf, Arch arch) {
        this.elf = elf;
        this.arch = arch;
        this.codec = arch.decodingCodec();
    }

    /**
     * Decodes section {@code sec}. {@code functionStarts} (ascending) are the known instruction
     * boundaries; {@code callsOnly} keeps calls only (jumps are still decoded, not reported).
     */
    void decode(int sec, long[] functionStarts, SymbolsAt targets, boolean callsOnly, Sink sink) {
        ByteBuffer text = elf.data(sec);
        long[] relocs = relocationsOf(sec);
        long size = text.limit();
        int nextFunction = 0, nextReloc = 0;
        long pos = 0;
        while (pos < size) {
            while (nextFunction < functionStarts.length && functionStarts[nextFunction] <= pos) {
                nextFunction++;
            }
            long resume = nextFunction < functionStarts.length ? functionStarts[nextFunction] : size;
            int len = arch.instructionLength(text, (int) pos);
            if (len <= 0) {
                pos = resume; // undecodable bytes: go on at the next function
                continue;
            }
            long end = pos + len;
            if (end > resume) {
                pos = resume; // ran over a function's first byte: trust the symbol
                continue;
            }
            // The codec's branch must be this very instruction (x86: prefixes and opcode fill it).
            Branch b = codec.decode(text, (int) pos);
            if (b != null && b.length() >= len && (!callsOnly || b.kind() == SiteKind.CALL)) {
                while (nextReloc < relocs.length && relocs[nextReloc] < pos) {
                    nextReloc++;
                }
                boolean hasRelocation = nextReloc < relocs.length && relocs[nextReloc] < pos + b.length();
                if (!hasRelocation) {
                    int target = targets.at(sec, codec.destination(b, pos));
                    if (target >= 0) {
                        sink.site(pos, b, target);
                    }
                }
            }
            pos = end;
        }
    }

    /** Offsets (in the section) of the relocations that apply to {@code sec}, sorted. */
    private long[] relocationsOf(int sec) {
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
