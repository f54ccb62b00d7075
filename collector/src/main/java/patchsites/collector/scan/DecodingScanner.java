package patchsites.collector.scan;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import patchsites.collector.arch.Arch;
import patchsites.collector.arch.Arches;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.FunctionIndex;
import patchsites.collector.elf.SymbolPlaces;
import patchsites.collector.elf.SymbolsAt;

/**
 * The sites of a linked program that kept no relocations: every function's bytes are walked
 * from its first instruction by the scan's decoder ({@link DecodingPass#walk}), and each direct
 * branch whose destination is where a target symbol stands is a site. Only where the
 * architecture decodes ({@link Arch#decodingCodec}); data inside a function (a jump table in
 * .text) can make the walk lose step, which is counted, never guessed over: the rest of that
 * function is skipped. Functions are those of the ELF index ({@link FunctionIndex}): aliases are
 * walked once, under the name the scan gives them.
 */
public final class DecodingScanner {
    /** The sites, and what the decoding covered: functions, bytes, functions where it lost step. */
    public record Result(List<CallSite> sites, int functions, long bytes, int lostStep) {}

    private DecodingScanner() {}

    /** Null when the architecture cannot decode without relocations, or the program has no symbol table. */
    public static Result scan(ElfFile elf, TargetMatcher matcher) {
        Arch arch = Arches.forObject(elf);
        int symtab = elf.symbolTableSection();
        if (symtab < 0 || arch.decodingCodec() == null) {
            return null;
        }
        SymbolPlaces places = new SymbolPlaces(elf, elf.symbolTable(symtab), Scanner.symbolConventions(arch));
        TargetIndex targets = new TargetIndex(places, matcher);
        FunctionIndex functions = new FunctionIndex(places);
        DecodingPass pass = new DecodingPass(arch);
        List<CallSite> sites = new ArrayList<>();
        int decoded = 0, lost = 0;
        long bytes = 0;
        for (int sec = 1; sec < elf.sectionCount(); sec++) {
            int first = functions.firstRow(sec), end = functions.firstRow(sec + 1);
            if (first == end || !elf.isExecutable(sec) || elf.sectionType(sec) == ElfFile.SHT_NOBITS
                    || arch.abi().isTemplateSection(elf.sectionName(sec))) {
                continue;
            }
            ByteBuffer text = elf.data(sec);
            long base = elf.sectionAddress(sec);
            for (int row = first; row < end; ) {
                // Aliases share a start: walked once, to the end of the longest, named as the scan names them.
                long start = functions.start(row), size = 0;
                int named = row;
                for (; row < end && functions.start(row) == start; row++) {
                    size = Math.max(size, functions.size(row));
                    named = row;
                }
                if (size == 0 || start < 0 || start >= text.limit()) {
                    continue;
                }
                long stop = Math.min(text.limit(), start + size);
                String function = functions.name(named);
                int section = sec;
                decoded++;
                long reached = pass.walk(text, start, stop, (pos, b) -> {
                    int target = targetAt(elf, targets.targetsAt, pass.destination(b, base + pos));
                    if (target >= 0) {
                        sites.add(new CallSite(section, elf.sectionName(section), pos, b.length(),
                                pos + b.fieldOffset(), b.kind(), places.symbols().name(target), function, pos - start,
                                CallSite.Via.DECODED));
                    }
                });
                bytes += reached - start;
                if (reached < stop) {
                    lost++;
                }
            }
        }
        return new Result(sites, decoded, bytes, lost);
    }

    /** The target standing at {@code address}, or -1: only sections that define a target are asked. */
    private static int targetAt(ElfFile elf, SymbolsAt targetsAt, long address) {
        for (int s = elf.sectionHolding(address, 0, 0); s > 0; s = elf.sectionHolding(address, 0, s)) {
            int t = targetsAt.defines(s) ? targetsAt.at(s, address - elf.sectionAddress(s)) : -1;
            if (t >= 0) {
                return t;
            }
        }
        return -1;
    }
}
