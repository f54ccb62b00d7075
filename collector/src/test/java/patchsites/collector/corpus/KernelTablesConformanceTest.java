package patchsites.collector.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.Sets;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.Source;
import patchsites.collector.scan.CallSite;
import patchsites.collector.scan.ScanResult;
import patchsites.collector.scan.Scanner;
import patchsites.collector.scan.TargetMatcher;

/**
 * The scan must find exactly the sites that the real toolchain recorded in every module of
 * Debian's 6.1 x86-64 kernel: objtool's .static_call_sites, .retpoline_sites and .return_sites,
 * and gcc -mrecord-mcount's __mcount_loc. Tables are decoded by {@link KernelTables}, which shares
 * no code with the scanner.
 */
class KernelTablesConformanceTest {
    private static List<Path> modules;

    @BeforeAll
    static void corpus() throws IOException {
        modules = Corpus.modules();
    }

    @Test
    void staticCallSites() {
        // Entries carry the tail flag in the key's addend (STATIC_CALL_SITE_TAIL = 1).
        compare(".static_call_sites", 8, true, "__SCT__*", s -> true);
    }

    @Test
    void mcountLoc() {
        compare("__mcount_loc", 8, false, "__fentry__", s -> true);
    }

    @Test
    void retpolineSites() {
        compare(".retpoline_sites", 4, false, "__x86_indirect_thunk_*", s -> true);
    }

    @Test
    void returnSites() {
        compare(".return_sites", 4, false, "__x86_return_thunk", s -> true);
    }

    private static void compare(String table, int entrySize, boolean keyed, String glob, Predicate<CallSite> filter) {
        Scanner scanner = new Scanner(TargetMatcher.of(List.of(glob)), false);
        ConcurrentLinkedQueue<String> mismatches = new ConcurrentLinkedQueue<>();
        AtomicLong entries = new AtomicLong(), withTable = new AtomicLong(), mismatchCount = new AtomicLong();
        modules.parallelStream().forEach(ko -> {
            try {
                KernelTables oracle = new KernelTables(ko);
                Set<String> expected = new TreeSet<>();
                for (KernelTables.Entry e : oracle.entries(table, entrySize, keyed)) {
                    String tail = keyed ? ((e.keyAddend() & 1) != 0 ? " tail" : " call") : "";
                    if (!expected.add(e.section() + "+0x" + Long.toHexString(e.offset()) + tail)) {
                        expected.add(e.section() + "+0x" + Long.toHexString(e.offset()) + tail + " (duplicate)");
                    }
                }
                if (!expected.isEmpty()) {
                    withTable.incrementAndGet();
                    entries.addAndGet(expected.size());
                }
                ScanResult r;
                try (Source src = Source.map(ko)) {
                    r = scanner.scan(ElfFile.parse(src));
                }
                Set<String> found = new TreeSet<>();
                for (CallSite s : r.sites()) {
                    if (filter.test(s)) {
                        String tail = keyed ? (s.kind().isTail() ? " tail" : " call") : "";
                        found.add(s.section() + "+0x" + Long.toHexString(s.offset()) + tail);
                    }
                }
                if (!expected.equals(found)) {
                    Set<String> missing = Sets.difference(expected, found);
                    Set<String> extra = Sets.difference(found, expected);
                    mismatchCount.addAndGet(missing.size() + extra.size());
                    for (String m : missing) {
                        mismatches.add(ko + ": missing " + m + "  bytes " + bytesOf(oracle, m));
                    }
                    for (String x : extra) {
                        mismatches.add(ko + ": extra " + x + "  bytes " + bytesOf(oracle, x));
                    }
                }
            } catch (IOException | RuntimeException e) {
                mismatchCount.incrementAndGet();
                mismatches.add(ko + ": " + e);
            }
        });
        List<String> first = new ArrayList<>(mismatches);
        Collections.sort(first);
        System.out.printf("%s: %d modules, %d with the table, %d entries, %d mismatches%n", table, modules.size(),
                withTable.get(), entries.get(), mismatchCount.get());
        assertTrue(withTable.get() > 0, "no module has " + table + ": wrong corpus?");
        assertEquals(0, mismatchCount.get(), table + " mismatches (first 30):\n"
                + String.join("\n", first.subList(0, Math.min(30, first.size()))));
    }

    private static String bytesOf(KernelTables oracle, String site) {
        int plus = site.lastIndexOf("+0x");
        String sec = site.substring(0, plus);
        String rest = site.substring(plus + 3);
        int sp = rest.indexOf(' ');
        long off = Long.parseLong(sp < 0 ? rest : rest.substring(0, sp), 16);
        return oracle.bytes(sec, off, 8);
    }
}
