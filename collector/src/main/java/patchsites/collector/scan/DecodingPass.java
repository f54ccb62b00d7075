package patchsites.collector.scan;

import java.nio.ByteBuffer;
import java.util.Arrays;
import patchsites.collector.arch.Arch;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.Relocations;
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
        void site(int section, long start, Branch branch, int targetSymbol);
    }

    private final ElfFile elf;
    private final Arch arch;
    private final BranchCodec codec;
    /** Section index -> offsets of the relocations applying to it, ascending; built on first use. */
    private long[][] relocated;

    DecodingPass(ElfFile elf, Arch arch) {
        this.elf = elf;
        this.arch = arch;
        this.codec = arch.decodingCodec();
    }

    /**
     * Decodes section {@code sec}. {@code functionStarts} (ascending) are the known instruction
     * boundaries; {@code callsOnly} keeps calls only (jumps are still decoded, not reported).
     */
    void decode(int sec, long[] functionStarts, TargetIndex targets, boolean callsOnly, Sink sink) {
        if (elf.sectionType(sec) == ElfFile.SHT_NOBITS) {
            return;
        }
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
                    int target = targets.targetAt(sec, codec.destination(b, pos));
                    if (target >= 0) {
                        sink.site(sec, pos, b, target);
                    }
                }
            }
            pos = end;
        }
    }

    /** Offsets (in the section) of every relocation that applies to {@code sec}, sorted. */
    private long[] relocationsOf(int sec) {
        if (relocated == null) {
            relocated = new long[elf.sectionCount()][];
            int[] count = new int[elf.sectionCount()];
            for (int r = 1; r < elf.sectionCount(); r++) {
                int info = relocatedSection(r);
                if (info > 0) {
                    count[info] += elf.relocations(r).count();
                }
            }
            for (int r = 1; r < elf.sectionCount(); r++) {
                int info = relocatedSection(r);
                if (info <= 0) {
                    continue;
                }
                long[] into = relocated[info];
                if (into == null) {
                    into = relocated[info] = new long[count[info]];
                    count[info] = 0;
                }
                Relocations rel = elf.relocations(r);
                long base = TargetIndex.sectionBase(elf, info);
                for (int k = 0; k < rel.count(); k++) {
                    into[count[info]++] = rel.offset(k) - base;
                }
            }
            for (long[] offsets : relocated) {
                if (offsets != null) {
                    Arrays.sort(offsets);
                }
            }
        }
        long[] offsets = relocated[sec];
        return offsets == null ? new long[0] : offsets;
    }

    /** The section a relocation section applies to, or 0 when {@code r} is none (or dynamic). */
    private int relocatedSection(int r) {
        int t = elf.sectionType(r);
        if (t != ElfFile.SHT_REL && t != ElfFile.SHT_RELA) {
            return 0;
        }
        int info = elf.sectionInfo(r);
        return info > 0 && info < elf.sectionCount() ? info : 0;
    }
}
