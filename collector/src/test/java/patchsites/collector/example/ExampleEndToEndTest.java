package patchsites.collector.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import patchsites.collector.fixtures.CliClassPath;
import patchsites.fixtures.Tools;

/**
 * The static-call example end to end ({@code examples/static-calls/build.sh}): gcc, {@code ld -r},
 * {@code patchsites emit}, {@code patchsites stubs}, the final link and a run in which the
 * example's runtime re-targets every call site of {@code __SCT__filter} from the table.
 *
 * <p>The oracle for the number of sites is objdump, not patchsites: every call, jmp or jcc whose
 * rel32 carries an {@code R_X86_64_PLT32}/{@code PC32} relocation against {@code __SCT__filter}
 * in the {@code ld -r} object must have been patched by the runtime, which only knows the sites
 * the emitted table lists. gcc and binutils missing is a failure, not a skip (as in the other
 * toolchain tests).
 */
class ExampleEndToEndTest {
    private static final long TIMEOUT_SECONDS = 600;
    /** Calls per call-cost measurement: the test checks the program, not the timings. */
    private static final String BENCH_CALLS = "200000";

    @TempDir
    Path tmp;

    @Test
    void emitStubsLinkRunPatchesEverySite() {
        Path buildSh = ExampleRuns.repositoryRoot().resolve("examples/static-calls/build.sh");
        Path out = tmp.resolve("out");
        Tools.Result build = run(Map.of("PATCHSITES_CLASSPATH", CliClassPath.current(),
                        "PATCHSITES_JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString()),
                "bash", buildSh.toString(), out.toString(), BENCH_CALLS);
        assertEquals(0, build.rc(), () -> "build.sh failed: " + build.describe());
        String output = build.out();
        assertTrue(output.contains("RESULT: all checks passed"), () -> "the program's own checks: " + build.describe());

        // The oracle: objdump's branches to __SCT__filter, in the ld -r object before and after emit.
        Path emitted = out.resolve("static-calls.o");
        Path preEmit = out.resolve("static-calls.pre-emit.o");
        Map<String, Integer> before = filterBranches(preEmit);
        Map<String, Integer> after = filterBranches(emitted);
        assertEquals(before, after, "emit changed the code's relocations to __SCT__filter");
        int oracle = after.values().stream().mapToInt(Integer::intValue).sum();
        // The example has calls, tail calls (jmp) and a conditional tail call (jne): all must be seen.
        assertTrue(after.containsKey("call") && after.containsKey("jmp") && after.containsKey("jne"),
                () -> "objdump found too few kinds of branches to __SCT__filter: " + after);

        long defaultBefore = ExampleRuns.checkPatchedRun(output, oracle, after);

        Tools.Result readelf = run(Map.of(), "readelf", "-a", "-W", emitted.toString());
        assertEquals(0, readelf.rc(), readelf::describe);
        assertEquals("", readelf.err(), () -> "readelf complains about the emitted object: " + readelf.describe());
        assertTrue(readelf.out().contains(".rela.static_call_sites"), "no .rela.static_call_sites in the emitted object");

        Path relinked = tmp.resolve("relinked.o");
        Tools.Result ld = run(Map.of(), "ld", "-r", "-o", relinked.toString(), emitted.toString());
        assertEquals(0, ld.rc(), () -> "ld -r of the emitted object: " + ld.describe());
        assertEquals("", ld.err(), () -> "ld -r of the emitted object: " + ld.describe());

        planApplyRetargetsTheLinkedProgram(out.resolve("static-calls"), defaultBefore);
        devirtualizedSitesFollowThePointer(preEmit, emitted, output);
    }

    private static final Pattern MEMORY_INDIRECT = Pattern.compile(
            "^\\s*([0-9a-f]+):\\tff (15|25) 00 00 00 00\\s*\\t.*\\t([0-9a-f]+): R_X86_64_PC32\\tshape_ops-0x4$");

    /**
     * {@code patchsites devirtualize --pointer=shape_ops}: objdump's {@code ff 15}/{@code ff 25}
     * through slot 0 ({@code shape_ops.area}, relocated {@code shape_ops-0x4}) in the object before,
     * are {@code call}/{@code jmp} with {@code R_X86_64_PLT32 area_default-0x4} after; the program
     * re-targeted exactly that many sites when it set the pointer through the table, and every
     * call of the workload then reached the new function.
     */
    private void devirtualizedSitesFollowThePointer(Path before, Path after, String output) {
        Map<Long, String> sites = new TreeMap<>();
        for (String line : objdump(before)) {
            Matcher m = MEMORY_INDIRECT.matcher(line);
            if (m.matches()) {
                long at = Long.parseLong(m.group(1), 16);
                assertEquals(at + 2, Long.parseLong(m.group(3), 16), line);
                sites.put(at, m.group(2).equals("15") ? "call" : "jmp");
            }
        }
        assertTrue(sites.size() >= 4 && sites.containsValue("jmp") && sites.containsValue("call"),
                () -> "objdump finds too few calls through shape_ops.area: " + sites);
        Map<Long, String> rewritten = new TreeMap<>();
        Pattern direct = Pattern.compile("^\\s*([0-9a-f]+):\\t(e8|e9) 00 00 00 00\\s*\\t(call|jmp)\\s.*\\t([0-9a-f]+):"
                + " R_X86_64_PLT32\\tarea_default-0x4$");
        List<String> lines = objdump(after);
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = direct.matcher(lines.get(i));
            if (m.matches() && sites.containsKey(Long.parseLong(m.group(1), 16))) {
                long at = Long.parseLong(m.group(1), 16);
                assertEquals(at + 1, Long.parseLong(m.group(4), 16), lines.get(i));
                assertTrue(lines.get(i + 1).matches("^\\s*" + Long.toHexString(at + 5) + ":\\t90\\s+\\tnop$"), lines.get(i + 1));
                rewritten.put(at, m.group(3));
            }
        }
        assertEquals(sites, rewritten, "the former ff 15/ff 25 sites, as objdump shows them after devirtualize");
        assertEquals(sites.size(), ExampleRuns.intOf(output, "patched (\\d+) sites of shape_ops\\.area, then stored the pointer"),
                output);
        long areaBefore = ExampleRuns.intOf(output, "before changing a pointer: workload result -?\\d+, area_default (\\d+) calls");
        assertTrue(areaBefore > 0, output);
        assertTrue(output.contains("area_default 0 calls, area_fast " + areaBefore + " calls"), output);
    }

    private List<String> objdump(Path object) {
        Tools.Result r = run(Map.of(), "objdump", "-dr", "-w", object.toString());
        assertEquals(0, r.rc(), r::describe);
        return r.out().lines().toList();
    }

    /**
     * {@code patchsites plan --apply} on the linked program: objdump of the copy shows every branch
     * that went to filter_default going to filter_strict, and running the copy shows the new
     * behaviour without the program patching anything itself.
     */
    private void planApplyRetargetsTheLinkedProgram(Path program, long workloadCalls) {
        Path patched = tmp.resolve("static-calls.patched");
        java.io.StringWriter pout = new java.io.StringWriter(), perr = new java.io.StringWriter();
        int rc = patchsites.collector.cli.Main.run(new java.io.PrintWriter(pout), new java.io.PrintWriter(perr), "plan",
                "--section=.static_call_sites", "--layout=site-key", "--key=__SCK__filter", "--to=filter_strict",
                "--apply=" + patched, program.toString());
        assertEquals(0, rc, () -> "plan --apply: " + pout + perr);
        assertTrue(pout.toString().contains("transaction:"), () -> "no transaction summary: " + pout);

        List<Long> toDefault = branchesTo(program, "filter_default");
        assertTrue(toDefault.size() >= 6, () -> "objdump finds too few branches to filter_default: " + toDefault);
        assertEquals(List.of(), branchesTo(patched, "filter_default"), "branches to filter_default left in the copy");
        assertEquals(toDefault, branchesTo(patched, "filter_strict"), "the copy's branches to filter_strict");
        assertTrue(pout.toString().contains(toDefault.size() + " sites of __SCK__filter"), pout::toString);

        Tools.Result original = run(Map.of(), program.toString(), "--workload");
        assertEquals(0, original.rc(), original::describe);
        assertTrue(original.out().contains("filter_default " + workloadCalls + " calls, filter_strict 0 calls"),
                original::describe);
        Tools.Result copy = run(Map.of(), patched.toString(), "--workload");
        assertEquals(0, copy.rc(), copy::describe);
        assertTrue(copy.out().contains("filter_default 0 calls, filter_strict " + workloadCalls + " calls"), copy::describe);
    }

    private static final Pattern DIRECT_BRANCH = Pattern.compile(
            "^\\s*([0-9a-f]+):\\t(?:[0-9a-f]{2} )+\\s*\\t(?:(?:cs|ds|bnd|notrack) )*(?:call|jmp|j[a-z]{1,3})q?\\s+[0-9a-f]+ <(\\w+)>$");

    /** Addresses of the direct branches to {@code symbol} in a linked program, per objdump. */
    private List<Long> branchesTo(Path program, String symbol) {
        Tools.Result objdump = run(Map.of(), "objdump", "-d", "-w", program.toString());
        assertEquals(0, objdump.rc(), objdump::describe);
        List<Long> at = new java.util.ArrayList<>();
        for (String line : objdump.out().split("\n")) {
            Matcher m = DIRECT_BRANCH.matcher(line);
            if (m.matches() && m.group(2).equals(symbol)) {
                at.add(Long.parseLong(m.group(1), 16));
            }
        }
        return at;
    }

    /**
     * Line of {@code objdump -dr -w}: address, bytes, mnemonic and operands, then the relocation
     * of a field of that instruction on the same line.
     */
    private static final Pattern INSN_WITH_RELOC = Pattern.compile(
            "^\\s*([0-9a-f]+):\\t((?:[0-9a-f]{2} )+)\\s*\\t(.*?)\\t([0-9a-f]+): (R_X86_64_\\w+)\\t(\\S+)$");
    private static final Pattern BRANCH = Pattern.compile("^(?:(?:cs|ds|bnd|notrack) )*(call|jmp|j[a-z]{1,3})q?\\b.*");

    /**
     * Branches whose rel32 is relocated against {@code __SCT__filter} (addend -4: the branch
     * goes to the symbol itself), by mnemonic. The relocated field must be the last four bytes
     * of the instruction, which is where a call's, jmp's or jcc's rel32 is.
     */
    private Map<String, Integer> filterBranches(Path object) {
        Tools.Result objdump = run(Map.of(), "objdump", "-dr", "-w", object.toString());
        assertEquals(0, objdump.rc(), objdump::describe);
        Map<String, Integer> byMnemonic = new TreeMap<>();
        for (String line : objdump.out().split("\n")) {
            Matcher m = INSN_WITH_RELOC.matcher(line);
            if (!m.matches() || !m.group(6).equals("__SCT__filter-0x4")) {
                continue;
            }
            String type = m.group(5);
            Matcher b = BRANCH.matcher(m.group(3));
            if (!b.matches() || !(type.equals("R_X86_64_PLT32") || type.equals("R_X86_64_PC32"))) {
                continue; // a reference (lea, mov), not a call site
            }
            long insn = Long.parseLong(m.group(1), 16);
            int length = m.group(2).trim().split(" ").length;
            long field = Long.parseLong(m.group(4), 16);
            assertEquals(insn + length - 4, field, () -> "the relocated field is not the branch's rel32: " + line);
            byMnemonic.merge(b.group(1), 1, Integer::sum);
        }
        return byMnemonic;
    }

    private Tools.Result run(Map<String, String> env, String... cmd) {
        return ExampleRuns.run(tmp, TIMEOUT_SECONDS, env, cmd);
    }
}
