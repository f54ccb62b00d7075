package patchsites.collector.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import patchsites.collector.fixtures.LoadedPointerOracle;
import patchsites.collector.fixtures.ScanRun;
import patchsites.fixtures.Tools;

/**
 * The loaded pointer shape ({@code iload}, {@code iload-tail}) on C that gcc -O2 compiles at test
 * time, with and without -mindirect-branch=thunk-extern -mfunction-return=thunk-extern: the sites
 * and the loads scan reports equal those that {@link LoadedPointerOracle} reads from objdump and
 * readelf; each negative fixture (register written, partly, by xchg, by pop; a branch, a branch
 * target, a call between; an instruction not known) loads a slot and gives no site, with the
 * reason the scan gives for it.
 */
class LoadedPointersTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"plain", "retpoline"})
    void sitesAndLoadsMatchObjdump(String variant) {
        Path src = Tools.resource("fixtures/x86_loaded_pointers.c", dir);
        Path obj = variant.equals("plain") ? Tools.compileC(src, "l.o", "-fno-pic", "-mcmodel=kernel")
                : Tools.compileC(src, "l.o", "-fno-pic", "-mcmodel=kernel", "-mindirect-branch=thunk-extern",
                        "-mfunction-return=thunk-extern");
        LoadedPointerOracle oracle = new LoadedPointerOracle(obj, n -> n.endsWith("_ops"));
        ScanRun run = ScanRun.scan("--pointer=*_ops", "--json", obj.toString());
        assertEquals(0, run.rc(), run.describe());
        Set<String> sites = new TreeSet<>(), loads = new TreeSet<>();
        Map<String, String> outcome = new TreeMap<>(); // function -> kinds and reasons
        List<Map<String, Object>> records = new java.util.ArrayList<>(run.json());
        records.addAll(run.records("given-up"));
        for (Map<String, Object> r : records) {
            String function = (String) r.get("function");
            if ("given-up".equals(r.get("type"))) {
                loads.add(r.get("section") + "+0x" + hex(r.get("offset")) + " " + r.get("pointer"));
                outcome.merge(function, (String) r.get("reason"), (a, b) -> a + "," + b);
                continue;
            }
            outcome.merge(function, (String) r.get("kind"), (a, b) -> a + "," + b);
            if (r.get("load_offset") == null) {
                continue; // memory-indirect: PointerFixtureScanTest's
            }
            loads.add(r.get("section") + "+0x" + hex(r.get("load_offset")) + " " + r.get("pointer"));
            sites.add(r.get("section") + "+0x" + hex(r.get("offset")) + " " + r.get("kind") + " " + r.get("length")
                    + " " + r.get("pointer") + " load=0x" + hex(r.get("load_offset")) + " retpoline="
                    + r.get("retpoline"));
        }
        assertEquals(oracle.sites, sites, run.describe());
        assertEquals(oracle.loads, loads, run.describe());

        // The fixture's intent, so that an oracle and a scanner wrong in the same way cannot pass.
        boolean thunks = variant.equals("retpoline");
        assertEquals(thunks ? "iload" : "icall", outcome.get("call_a"), outcome::toString);
        assertEquals(thunks ? "iload-tail" : "itail", outcome.get("tail_b"), outcome::toString);
        assertEquals(thunks ? "iload-tail" : "itail", outcome.get("tail_ext"), outcome::toString);
        assertEquals("iload", outcome.get("pos_args"), outcome::toString);
        assertEquals("iload", outcome.get("pos_thunk_r11"), outcome::toString);
        assertTrue(outcome.get("twice").startsWith("iload"), outcome::toString);
        assertEquals("block-end", outcome.get("optional"), outcome::toString);
        assertEquals("register-written", outcome.get("data"), outcome::toString);
        assertEquals("call-between", outcome.get("neg_call_between"), outcome::toString);
        for (String f : List.of("neg_partial", "neg_xchg", "neg_pop", "neg_movabs")) {
            assertEquals("register-written", outcome.get(f), f + " " + outcome);
        }
        assertEquals("call-between", outcome.get("neg_other_register"), outcome::toString);
        assertEquals("block-end", outcome.get("neg_branch_target"), outcome::toString);
        assertEquals("block-end", outcome.get("neg_jump_between"), outcome::toString);
        assertEquals("unknown-instruction", outcome.get("neg_unknown"), outcome::toString);
        assertTrue(sites.stream().anyMatch(s -> s.contains("retpoline=true")) , sites::toString);
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "retpoline"})
    void summaryCountsTheLoadsGivenUp(String variant) {
        Path src = Tools.resource("fixtures/x86_loaded_pointers.c", dir);
        Path obj = variant.equals("plain") ? Tools.compileC(src, "l.o", "-fno-pic", "-mcmodel=kernel")
                : Tools.compileC(src, "l.o", "-fno-pic", "-mcmodel=kernel", "-mindirect-branch=thunk-extern");
        ScanRun run = ScanRun.scan("--pointer=*_ops", obj.toString());
        assertEquals(0, run.rc(), run.describe());
        List<String> lines = run.outLines();
        assertTrue(lines.get(lines.size() - 1).endsWith("in 1 object; 11 loads of a slot not followed (3 block-end,"
                + " 2 call-between, 5 register-written, 1 unknown-instruction)"), run.describe());
    }

    private static String hex(Object n) {
        return Long.toHexString(((Number) n).longValue());
    }
}
