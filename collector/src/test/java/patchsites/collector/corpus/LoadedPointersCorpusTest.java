package patchsites.collector.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.Source;
import patchsites.collector.fixtures.LoadedPointerOracle;
import patchsites.collector.scan.GivenUpLoad;
import patchsites.collector.scan.PointerScanner;
import patchsites.collector.scan.PointerSite;
import patchsites.collector.scan.TargetMatcher;

/**
 * The loaded pointer shape on Debian's 6.1 modules, against {@link LoadedPointerOracle} (objdump
 * and readelf text): with {@code --pointer='*_ops' --pointer=x86_pmu --pointer=pv_ops}, every
 * module in which the scan sees a load of a slot, plus every 50th module of the corpus (where an
 * oracle load the scan missed would show), gives the same loads and the same sites.
 */
class LoadedPointersCorpusTest {
    private static final List<String> POINTERS = List.of("*_ops", "x86_pmu", "pv_ops");
    private static final Predicate<String> MATCHES = n -> n.endsWith("_ops") || n.equals("x86_pmu") || n.equals("pv_ops");
    private static List<Path> modules;

    @BeforeAll
    static void corpus() throws IOException {
        modules = Corpus.modules();
    }

    @Test
    void loadsAndSitesMatchObjdump() {
        PointerScanner scanner = new PointerScanner(TargetMatcher.of(POINTERS));
        Map<String, List<String>> problems = new ConcurrentSkipListMap<>();
        AtomicLong checked = new AtomicLong(), sites = new AtomicLong(), retpolined = new AtomicLong(),
                loads = new AtomicLong();
        Map<Path, Integer> index = new java.util.HashMap<>();
        for (int i = 0; i < modules.size(); i++) {
            index.put(modules.get(i), i);
        }
        final int every = 50;
        modules.parallelStream().forEach(ko -> {
            PointerScanner.Result r;
            try (Source src = Source.map(ko)) {
                r = scanner.scanAll(ElfFile.parse(src));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            Set<String> foundSites = new TreeSet<>(), foundLoads = new TreeSet<>();
            for (PointerSite s : r.sites()) {
                if (s.loadOffset() < 0) {
                    continue;
                }
                foundLoads.add(s.section() + "+0x" + Long.toHexString(s.loadOffset()) + " " + s.pointer());
                foundSites.add(s.section() + "+0x" + Long.toHexString(s.offset()) + " " + s.kind().label() + " "
                        + s.length() + " " + s.pointer() + " load=0x" + Long.toHexString(s.loadOffset())
                        + " retpoline=" + s.retpoline());
            }
            for (GivenUpLoad g : r.givenUp()) {
                foundLoads.add(g.section() + "+0x" + Long.toHexString(g.offset()) + " " + g.pointer());
            }
            if (foundLoads.isEmpty() && index.get(ko) % every != 0) {
                return;
            }
            LoadedPointerOracle oracle = new LoadedPointerOracle(ko, MATCHES);
            checked.incrementAndGet();
            sites.addAndGet(foundSites.size());
            loads.addAndGet(foundLoads.size());
            retpolined.addAndGet(foundSites.stream().filter(s -> s.endsWith("retpoline=true")).count());
            List<String> diff = new ArrayList<>();
            diff(oracle.sites, foundSites, "site", diff);
            diff(oracle.loads, foundLoads, "load", diff);
            if (!diff.isEmpty()) {
                problems.put(Corpus.root().relativize(ko).toString(), diff);
            }
        });
        System.out.printf("loaded pointers: %d modules checked, %d loads, %d sites (%d through a retpoline thunk),"
                + " %d modules with differences%n", checked.get(), loads.get(), sites.get(), retpolined.get(),
                problems.size());
        assertTrue(checked.get() > 100 && sites.get() > 20, "too little checked: the oracle or the corpus is broken");
        assertEquals(Map.of(), problems);
    }

    private static void diff(Set<String> expected, Set<String> found, String what, List<String> out) {
        for (String e : expected) {
            if (!found.contains(e)) {
                out.add("missing " + what + " " + e);
            }
        }
        for (String f : found) {
            if (!expected.contains(f)) {
                out.add("extra " + what + " " + f);
            }
        }
    }
}
