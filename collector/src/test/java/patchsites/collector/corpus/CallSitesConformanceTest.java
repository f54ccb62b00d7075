package patchsites.collector.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.Source;
import patchsites.collector.scan.CallSite;
import patchsites.collector.scan.ScanResult;
import patchsites.collector.scan.Scanner;
import patchsites.collector.scan.TargetMatcher;

/**
 * {@code scan --target='*' --all-calls} against objtool's {@code .call_sites} (Linux 6.2+,
 * call-depth tracking: one 4-byte PC-relative entry per direct CALL, with or without a
 * relocation) in every module of Debian's 6.12 cloud-amd64 kernel. The table is decoded by
 * {@link KernelTables}, which shares no code with the scanner.
 *
 * <p>objtool leaves some direct calls out on purpose ({@code annotate_call_site} in
 * tools/objtool/check.c returns before the {@code call_list} for them); a site that differs only
 * for such a documented reason is counted in its class, and every other difference fails.
 */
class CallSitesConformanceTest {
    private static List<Path> modules;

    @BeforeAll
    static void corpus() throws IOException {
        modules = Corpus.modules612();
    }

    /**
     * Why objtool leaves a direct call out of .call_sites (docs/design.md, "Conformance"): the
     * table objtool files it in instead, which must then hold the site, else null.
     */
    static String[] objtoolFilesElsewhere(CallSite s) {
        String t = s.target();
        // arch_is_retpoline(): add_call_destinations() -> add_retpoline_call() -> annotate_call_site()
        // returns after adding it to retpoline_call_list.
        if (t.startsWith("__x86_indirect_thunk_") || t.startsWith("__x86_indirect_call_thunk_")
                || t.startsWith("__x86_indirect_jump_thunk_")) {
            return new String[] {".retpoline_sites", "call to a retpoline thunk (sym->retpoline_thunk)"};
        }
        // is_static_call_tramp(): annotate_call_site() returns after adding it to static_call_list.
        if (t.startsWith("__SCT__")) {
            return new String[] {".static_call_sites", "call to a static-call trampoline (sym->static_call_tramp)"};
        }
        return null;
    }

    @Test
    void everyDirectCallIsACallSite() {
        Scanner scanner = new Scanner(TargetMatcher.of(List.of("*")), false, Scanner.Decoding.ALL_CALLS);
        ConcurrentLinkedQueue<String> unexplained = new ConcurrentLinkedQueue<>();
        Map<String, AtomicLong> explained = new ConcurrentHashMap<>();
        AtomicLong entries = new AtomicLong(), withTable = new AtomicLong(), decoded = new AtomicLong(),
                unexplainedCount = new AtomicLong();
        modules.parallelStream().forEach(ko -> {
            try {
                KernelTables oracle = new KernelTables(ko);
                Set<String> expected = new TreeSet<>();
                for (KernelTables.Entry e : oracle.entries(".call_sites", 4, false)) {
                    expected.add(e.section() + "+0x" + Long.toHexString(e.offset()));
                }
                if (!expected.isEmpty()) {
                    withTable.incrementAndGet();
                    entries.addAndGet(expected.size());
                }
                ScanResult r;
                try (Source src = Source.map(ko)) {
                    r = scanner.scan(ElfFile.parse(src));
                }
                Map<String, CallSite> found = new TreeMap<>();
                for (CallSite s : r.sites()) {
                    found.put(s.section() + "+0x" + Long.toHexString(s.offset()), s);
                    if (s.via() == CallSite.Via.DECODED) {
                        decoded.incrementAndGet();
                    }
                }
                for (String m : expected) {
                    if (!found.containsKey(m)) {
                        unexplainedCount.incrementAndGet();
                        unexplained.add(ko + ": missing " + m + "  bytes " + bytesOf(oracle, m));
                    }
                }
                Map<String, Set<String>> others = new TreeMap<>();
                for (Map.Entry<String, CallSite> f : found.entrySet()) {
                    if (expected.contains(f.getKey())) {
                        continue;
                    }
                    String[] elsewhere = objtoolFilesElsewhere(f.getValue());
                    if (elsewhere != null && !others.containsKey(elsewhere[0])) {
                        others.put(elsewhere[0], otherTable(oracle, elsewhere[0]));
                    }
                    if (elsewhere != null && others.get(elsewhere[0]).contains(f.getKey())) {
                        explained.computeIfAbsent(elsewhere[1] + ": in " + elsewhere[0] + " instead",
                                k -> new AtomicLong()).incrementAndGet();
                    } else {
                        unexplainedCount.incrementAndGet();
                        unexplained.add(ko + ": extra " + f.getKey() + " -> " + f.getValue().target() + " ("
                                + f.getValue().via().label() + ")  bytes " + bytesOf(oracle, f.getKey()));
                    }
                }
            } catch (IOException | RuntimeException e) {
                unexplainedCount.incrementAndGet();
                unexplained.add(ko + ": " + e);
            }
        });
        List<String> first = new ArrayList<>(unexplained);
        Collections.sort(first);
        System.out.printf(".call_sites: %d modules, %d with the table, %d entries, %d sites found by decoding,"
                + " %d unexplained mismatches%n", modules.size(), withTable.get(), entries.get(), decoded.get(),
                unexplainedCount.get());
        new TreeMap<>(explained).forEach((why, n) -> System.out.printf("  not in .call_sites by objtool's rule: %d %s%n",
                n.get(), why));
        assertTrue(withTable.get() > 0, "no module has .call_sites: wrong corpus?");
        assertEquals(0, unexplainedCount.get(), ".call_sites mismatches (first 40):\n"
                + String.join("\n", first.subList(0, Math.min(40, first.size()))));
    }

    private static Set<String> otherTable(KernelTables oracle, String table) throws IOException {
        Set<String> sites = new TreeSet<>();
        int entrySize = table.equals(".static_call_sites") ? 8 : 4;
        for (KernelTables.Entry e : oracle.entries(table, entrySize, entrySize == 8)) {
            sites.add(e.section() + "+0x" + Long.toHexString(e.offset()));
        }
        return sites;
    }

    private static String bytesOf(KernelTables oracle, String site) {
        int plus = site.lastIndexOf("+0x");
        return oracle.bytes(site.substring(0, plus), Long.parseLong(site.substring(plus + 3), 16), 8);
    }
}
