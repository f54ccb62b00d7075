package patchsites.bench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The concurrent-patching harness on this CPU: 10^4 generated sites, the table written by
 * {@code patchsites emit}, the verdicts by {@code patchsites plan}; worker threads call every site
 * while the patcher re-targets them. Bounded by patch counts, not by time; no timing assertion.
 * The independent side is objdump: which branches go to the four defaults, and where their rel32
 * fields lie, decides how many sites the aligned policy must call atomic and how many sync rounds
 * the breakpoint protocol must have paid.
 */
class ConcurrentHarnessTest {
    static final int SITES = 10_000;

    @TempDir
    static Path dir;

    /** Address of each branch to h0_a..h3_a (the defaults) -> offset of its rel32 field, from objdump. */
    static Map<Long, Integer> oracle;
    static long alignedSites;

    @BeforeAll
    static void build() {
        ConcurrentHarness.build(dir, SITES, "aligned", System.getProperty("java.class.path"));
        ConcurrentHarness.Finished d = Objdump.disassemble(dir.resolve("harness"));
        oracle = Objdump.branchesTo(d.output(), Pattern.compile("h[0-3]_a"));
        alignedSites = oracle.entrySet().stream().filter(e -> ((e.getKey() + e.getValue()) & 3) == 0).count();
    }

    private static Map<String, String> table(String output) {
        Map<String, String> t = Report.line(output, "table: ");
        assertEquals(oracle.size(), Long.parseLong(t.get("sites")), "table entries vs branches to the defaults in objdump");
        assertEquals(SITES, oracle.size(), "objdump's branches to the defaults vs sites generated");
        assertEquals(alignedSites, Long.parseLong(t.get("atomic")), "plan's atomic sites vs rel32 fields 4-byte aligned in objdump");
        return t;
    }

    /** Runs to {@code patches} patches; every failure count must be 0 and the final check clean. */
    private static Map<String, String> clean(long patches, String... args) {
        String[] all = new String[args.length + 3];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--max-patches=" + patches;
        all[args.length + 1] = "--seconds=300";
        all[args.length + 2] = "--paced"; // every round overlaps a whole pass of every worker
        ConcurrentHarness.Finished f = ConcurrentHarness.run(dir, 300, all);
        table(f.output());
        Map<String, String> run = Report.line(f.output(), "run: ");
        assertEquals(0, Report.failures(run), () -> "faults or wrong answers:\n" + f.output());
        assertEquals("0", Report.line(f.output(), "verify: ").get("stale"), f::output);
        assertEquals(0, f.exit(), f::output);
        assertEquals(patches, Long.parseLong(run.get("patches")), f::output);
        // paced: each round over the sites overlapped a full pass of every worker over every site
        long workers = Long.parseLong(run.get("workers"));
        long rounds = patches / Long.parseLong(run.get("sites"));
        assertTrue(Long.parseLong(run.get("calls")) >= workers * (rounds - 1) * SITES, f::output);
        return run;
    }

    @Test
    void theModelsProtocolsRetargetEverySiteWithoutAFault() {
        // every site three times, in table order: atomic sites by one store, the others by INT3
        Map<String, String> run = clean(3L * SITES, "--protocol=model", "--batch=1");
        long breakpointPatches = 3 * (SITES - alignedSites);
        assertEquals(3 * breakpointPatches, Long.parseLong(run.get("sync-rounds")),
                "three sync rounds per breakpoint patch, none per atomic one");
    }

    @Test
    void batchedBreakpointsPayThreeRoundsPerBatch() {
        Map<String, String> run = clean(2L * SITES, "--protocol=breakpoint", "--batch=256");
        // paced: each round over the sites ends its last, partial batch
        assertEquals(3 * 2 * ((SITES + 255) / 256), Long.parseLong(run.get("sync-rounds")));
    }

    @Test
    void stopMachineAndAtomicOnTheirSites() {
        clean(SITES, "--protocol=stop-machine", "--batch=256");
        Map<String, String> atomic = clean(4 * alignedSites, "--protocol=atomic", "--select=atomic");
        assertEquals("0", atomic.get("sync-rounds"));
        assertEquals(alignedSites, Long.parseLong(atomic.get("sites")));
    }

    @Test
    void aPlantedWrongTargetIsCountedAtItsSite() {
        ConcurrentHarness.Finished f = ConcurrentHarness.run(dir, 300, "--protocol=model", "--plant=3",
                "--max-patches=" + 3 * SITES, "--seconds=300");
        assertEquals(1, f.exit(), f::output);
        Set<Long> planted = addresses(f.output(), "^planted: site (0x[0-9a-f]+)");
        Set<Long> failing = addresses(f.output(), "^FAIL \\S+ x\\d+ site (0x[0-9a-f]+)");
        assertEquals(3, planted.size(), f::output);
        assertTrue(oracle.keySet().containsAll(planted), "planted sites are branches objdump shows");
        assertEquals(planted, failing, () -> "the failing sites are exactly the planted ones:\n" + f.output());
        Map<String, String> run = Report.line(f.output(), "run: ");
        long wrong = Long.parseLong(run.get("wrong")) + Long.parseLong(Report.line(f.output(), "verify: ").get("stale"));
        assertTrue(wrong > 0, f::output);
        assertEquals(wrong, Report.failures(run) + Long.parseLong(Report.line(f.output(), "verify: ").get("stale")),
                "nothing but wrong answers");
    }

    @Test
    void aPlantedInt3IsCountedAsAFaultAtItsSite() {
        ConcurrentHarness.Finished f = ConcurrentHarness.run(dir, 300, "--protocol=model", "--plant-trap=2",
                "--max-patches=" + 2 * SITES, "--seconds=300", "--paced");
        assertEquals(1, f.exit(), f::output);
        Set<Long> planted = addresses(f.output(), "^planted: site (0x[0-9a-f]+) holds an INT3");
        Set<Long> failing = addresses(f.output(), "^FAIL trap-unexpected x\\d+ site (0x[0-9a-f]+)");
        assertEquals(2, planted.size(), f::output);
        assertTrue(oracle.keySet().containsAll(planted), "planted sites are branches objdump shows");
        assertEquals(planted, failing, () -> "the faulting sites are exactly the planted ones:\n" + f.output());
        Map<String, String> run = Report.line(f.output(), "run: ");
        assertTrue(Long.parseLong(run.get("trap-unexpected")) > 0, f::output);
        assertEquals(Long.parseLong(run.get("trap-unexpected")), Report.failures(run), "nothing but the planted faults");
        assertTrue(f.output().contains("\nfailing sites: 2\n"), f::output);
    }

    private static Set<Long> addresses(String output, String regex) {
        Set<Long> s = new TreeSet<>();
        Matcher m = Pattern.compile(regex, Pattern.MULTILINE).matcher(output);
        while (m.find()) {
            s.add(Long.decode(m.group(1)));
        }
        return s;
    }
}
