package patchsites.collector.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.Sets;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.Source;
import patchsites.collector.scan.PointerScanner;
import patchsites.collector.scan.PointerSite;
import patchsites.collector.scan.TargetMatcher;

/**
 * {@code scan --pointer=pv_ops} must find exactly the PVOP call sites that the kernel itself records
 * in {@code .parainstructions}, in every Debian 6.1 x86-64 module that has the section. In 6.1
 * (arch/x86/include/asm/paravirt_types.h, _paravirt_alt) an entry is 16 bytes: {@code u8 *instr}
 * (an R_X86_64_64 relocation), {@code u8 type} = the pv_ops slot index (offset / 8), {@code u8 len}
 * = the instruction's length, then the clobber mask and padding. The entries are decoded by
 * {@link KernelTables}, which shares no code with the scanner.
 */
class ParainstructionsConformanceTest {
    private static final String TABLE = ".parainstructions";
    private static final int ENTRY = 16, TYPE = 8, LEN = 9;
    private static List<Path> modules;

    @BeforeAll
    static void corpus() throws IOException {
        modules = Corpus.modules();
    }

    @Test
    void pvOpsSitesAreExactlyTheTable() {
        PointerScanner scanner = new PointerScanner(TargetMatcher.of(List.of("pv_ops")));
        Map<String, List<String>> byModule = new ConcurrentSkipListMap<>();
        AtomicLong entries = new AtomicLong(), withTable = new AtomicLong(), mismatches = new AtomicLong();
        AtomicLong calls = new AtomicLong(), jumps = new AtomicLong(), loaded = new AtomicLong();
        modules.parallelStream().forEach(ko -> {
            List<String> problems = new ArrayList<>();
            try {
                KernelTables oracle = new KernelTables(ko);
                Set<String> expected = new TreeSet<>();
                if (oracle.has(TABLE)) {
                    List<KernelTables.Entry> table = oracle.entries(TABLE, ENTRY, false);
                    for (int i = 0; i < table.size(); i++) {
                        KernelTables.Entry e = table.get(i);
                        expected.add(e.section() + "+0x" + Long.toHexString(e.offset()) + " type "
                                + oracle.byteAt(TABLE, (long) ENTRY * i + TYPE) + " len "
                                + oracle.byteAt(TABLE, (long) ENTRY * i + LEN));
                    }
                    withTable.incrementAndGet();
                    entries.addAndGet(table.size());
                }
                List<PointerSite> sites;
                try (Source src = Source.map(ko)) {
                    sites = scanner.scan(ElfFile.parse(src));
                }
                Set<String> found = new TreeSet<>();
                for (PointerSite s : sites) {
                    if (s.loadOffset() >= 0) {
                        loaded.incrementAndGet(); // the loaded shape: not a paravirt site (LoadedPointersCorpusTest)
                        continue;
                    }
                    (s.kind().isTail() ? jumps : calls).incrementAndGet();
                    String type = s.slotOffset() % 8 == 0 ? Long.toString(s.slotOffset() / 8) : s.pointer();
                    found.add(s.section() + "+0x" + Long.toHexString(s.offset()) + " type " + type + " len "
                            + s.length());
                }
                Set<String> missing = Sets.difference(expected, found);
                Set<String> extra = Sets.difference(found, expected);
                for (String m : missing) {
                    problems.add("missing " + m + "  bytes " + bytesOf(oracle, m));
                }
                for (String x : extra) {
                    problems.add("extra " + x + "  bytes " + bytesOf(oracle, x));
                }
            } catch (IOException | RuntimeException e) {
                problems.add(e.toString());
            }
            if (!problems.isEmpty()) {
                mismatches.addAndGet(problems.size());
                byModule.put(ko.toString(), problems);
            }
        });
        List<String> report = new ArrayList<>();
        for (Map.Entry<String, List<String>> m : byModule.entrySet()) {
            report.add(m.getKey() + ": " + m.getValue().size() + " mismatches");
            m.getValue().stream().limit(5).forEach(p -> report.add("    " + p));
        }
        System.out.printf("%s: %d modules, %d with the table, %d entries; scan: %d icall, %d itail (%d loaded, not"
                + " compared); %d mismatches in %d modules%n", TABLE, modules.size(), withTable.get(), entries.get(),
                calls.get(), jumps.get(), loaded.get(), mismatches.get(), byModule.size());
        assertTrue(withTable.get() > 0, "no module has " + TABLE + ": wrong corpus?");
        assertEquals(0, mismatches.get(), TABLE + " mismatches by module (first 40 lines):\n"
                + String.join("\n", report.subList(0, Math.min(40, report.size()))));
    }

    private static String bytesOf(KernelTables oracle, String site) {
        int plus = site.lastIndexOf("+0x");
        String rest = site.substring(plus + 3);
        return oracle.bytes(site.substring(0, plus), Long.parseLong(rest.substring(0, rest.indexOf(' ')), 16), 8);
    }
}
