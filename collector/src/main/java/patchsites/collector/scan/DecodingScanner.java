package patchsites.collector.scan;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import patchsites.collector.arch.Arch;
import patchsites.collector.arch.Arches;
import patchsites.collector.arch.DecodedBranch;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.SymbolTable;

/**
 * The sites of a linked program that kept no relocations: every function symbol's bytes are
 * decoded from its first instruction with the architecture's length decoder, and each direct
 * branch whose target address is a target symbol's is a site. Only where {@link
 * Arch#decodeInstruction} decodes (x86-64, i386); data inside a function (a jump table in
 * .text) can make the decoder lose step, which is counted, never guessed over: the rest of
 * that function is skipped.
 */
public final class DecodingScanner {
    /** The sites, and what the decoding covered: functions, bytes, functions where it lost step. */
    public record Result(List<CallSite> sites, int functions, long bytes, int lostStep) {}

    private DecodingScanner() {}

    /** Null when the architecture cannot decode without relocations, or the program has no symbol table. */
    public static Result scan(ElfFile elf, TargetMatcher matcher) {
        Arch arch = Arches.forObject(elf);
        int symtab = -1;
        for (int s = 1; s < elf.sectionCount() && symtab < 0; s++) {
            if (elf.sectionType(s) == ElfFile.SHT_SYMTAB) {
                symtab = s;
            }
        }
        if (symtab < 0) {
            return null;
        }
        SymbolTable syms = elf.symbolTable(symtab);
        java.nio.ByteBuffer names = syms.names().bytes();
        Map<Long, String> targets = new HashMap<>();
        List<long[]> functions = new ArrayList<>(); // section, address, size, symbol
        for (int i = 1; i < syms.count(); i++) {
            int type = syms.type(i), sec = syms.definingSection(i);
            if (type == SymbolTable.STT_SECTION || type == SymbolTable.STT_FILE || sec <= 0) {
                continue;
            }
            long at = arch.codeAddress(syms.value(i));
            int nameOffset = syms.nameOffset(i);
            if (nameOffset != 0 && matcher.matches(names, nameOffset, syms.names().length(nameOffset))) {
                String prev = targets.get(at);
                if (prev == null || syms.binding(i) != SymbolTable.STB_LOCAL) {
                    targets.put(at, syms.name(i));
                }
            }
            if (type == SymbolTable.STT_FUNC && syms.size(i) > 0 && elf.isExecutable(sec)
                    && elf.sectionType(sec) != ElfFile.SHT_NOBITS && !arch.abi().isTemplateSection(elf.sectionName(sec))) {
                functions.add(new long[] {sec, at, syms.size(i), i});
            }
        }
        // By address; aliases (same start) decoded once.
        long[][] fs = functions.toArray(long[][]::new);
        Arrays.sort(fs, (a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compareUnsigned(a[1], b[1]));
        List<CallSite> sites = new ArrayList<>();
        DecodedBranch branch = new DecodedBranch();
        int decoded = 0, lost = 0;
        long bytes = 0;
        ByteBuffer text = null;
        int textSection = -1;
        for (int k = 0; k < fs.length; k++) {
            int sec = (int) fs[k][0];
            if (k > 0 && fs[k - 1][0] == sec && fs[k - 1][1] == fs[k][1]) {
                continue;
            }
            if (sec != textSection) {
                text = elf.data(sec);
                textSection = sec;
            }
            long base = elf.sectionAddress(sec);
            long start = fs[k][1] - base, end = Math.min(text.limit(), start + fs[k][2]);
            if (start < 0 || start >= text.limit()) {
                continue;
            }
            String function = syms.name((int) fs[k][3]);
            decoded++;
            for (long pos = start; pos < end; ) {
                int len = arch.decodeInstruction(text, (int) pos, branch);
                if (len == 0) {
                    return null; // the architecture does not decode
                }
                if (len < 0 || pos + len > end) {
                    lost++;
                    break;
                }
                if (branch.kind != null) {
                    String target = targets.get(base + pos + branch.targetBias);
                    if (target != null) {
                        sites.add(new CallSite(sec, elf.sectionName(sec), pos, branch.length, pos + len - 4, branch.kind,
                                target, function, pos - start, CallSite.Via.DECODED));
                    }
                }
                bytes += len;
                pos += len;
            }
        }
        return new Result(sites, decoded, bytes, lost);
    }
}
