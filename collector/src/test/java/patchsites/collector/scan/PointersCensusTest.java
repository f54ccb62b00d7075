package patchsites.collector.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import patchsites.collector.cli.Main;
import patchsites.collector.fixtures.LoadedPointerOracle;
import patchsites.collector.fixtures.ScanRun;
import patchsites.fixtures.Tools;

/**
 * {@code patchsites pointers} on C that gcc -O2 compiles at test time (with and without
 * retpolines), against objdump's and readelf's view: per slot, the call sites (memory-indirect
 * {@code ff 15/25} lines, loaded ones from {@link LoadedPointerOracle}), the stores (an instruction
 * whose last AT&amp;T operand is the relocated {@code 0x0(%rip)}), the address taken ({@code lea},
 * a {@code $0x0} immediate, a data relocation), each counted in and out of {@code .init.text};
 * then the documented ranking applied to those numbers. Also the usual one-line errors.
 */
class PointersCensusTest {
    private static final Pattern SECTION = Pattern.compile("^Disassembly of section (\\S+):$");
    private static final Pattern RELOC = Pattern.compile("\\t([0-9a-f]+): (R_X86_64_\\w+)\\t([\\w.]+)([+-]0x[0-9a-f]+)?");
    private static final Pattern DATA_RELOC = Pattern.compile(
            "^([0-9a-f]+)\\s+[0-9a-f]+\\s+(R_X86_64_\\w+)\\s+[0-9a-f]+\\s+(\\S+) ([+-]) ([0-9a-f]+)$");
    private static final Predicate<String> OPS = n -> n.endsWith("_ops");

    @TempDir
    Path dir;

    /** The oracle's numbers for one slot. */
    private static final class Row {
        int mem, load, retp, stores, storesInit;
        String object;
        long offset;
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "retpoline"})
    void censusMatchesObjdump(String variant) {
        Path src = Tools.resource("fixtures/x86_census.c", dir);
        Path obj = variant.equals("plain") ? Tools.compileC(src, "c.o", "-fno-pic", "-mcmodel=kernel")
                : Tools.compileC(src, "c.o", "-fno-pic", "-mcmodel=kernel", "-mindirect-branch=thunk-extern");
        Map<String, Row> expected = oracle(obj);
        Map<String, int[]> address = addressTaken(obj);
        // The oracle's ranking, as docs/pointers.md states it.
        List<String> order = new ArrayList<>(expected.keySet());
        Map<String, String> written = new HashMap<>();
        for (String slot : order) {
            Row r = expected.get(slot);
            int[] a = address.getOrDefault(r.object, new int[2]);
            boolean defined = !r.object.equals("ext_ops");
            written.put(slot, r.stores > r.storesInit || a[0] > a[1] ? "runtime" : defined ? "init-only" : "not-seen");
        }
        List<String> classes = List.of("init-only", "not-seen", "runtime");
        order.sort(Comparator.<String>comparingInt(s -> classes.indexOf(written.get(s)))
                .thenComparing(Comparator.<String>comparingInt(s -> score(expected.get(s))).reversed())
                .thenComparing(Comparator.<String>comparingInt(s -> sites(expected.get(s))).reversed())
                .thenComparing(s -> s));

        ScanRun run = run("pointers", "--pointer=*_ops", "--json", obj.toString());
        assertEquals(0, run.rc(), run.describe());
        List<String> actualOrder = new ArrayList<>();
        for (Map<String, Object> j : run.records("slot")) {
            String slot = (String) j.get("slot");
            actualOrder.add(slot);
            Row r = expected.get(slot);
            assertTrue(r != null, "census has a slot the oracle has not: " + slot + "\n" + run.describe());
            int[] a = address.getOrDefault(r.object, new int[2]);
            String want = sites(r) + " " + r.mem + " " + r.load + " " + r.retp + " " + r.stores + "/" + r.storesInit
                    + " " + a[0] + "/" + a[1] + " " + written.get(slot) + " " + score(r);
            String got = j.get("sites") + " " + j.get("memory_indirect") + " " + j.get("loaded") + " "
                    + j.get("retpoline") + " " + j.get("stores") + "/" + j.get("stores_init") + " "
                    + j.get("address_taken") + "/" + j.get("address_taken_init") + " " + j.get("written") + " "
                    + j.get("score");
            assertEquals(want, got, slot + "\n" + run.describe());
        }
        assertEquals(order, actualOrder, run.describe());
        // What the fixture is for, so that an oracle wrong like the code cannot pass.
        assertEquals("boot_ops", actualOrder.get(0), run.describe());
        assertEquals("runtime", written.get("run_ops+0x8"));
        assertEquals("init-only", written.get("addr_ops"));
        assertTrue(expected.get("boot_ops").storesInit == 1 && address.get("addr_ops")[1] == 1, expected::toString);
        if (variant.equals("retpoline")) {
            assertEquals(sites(expected.get("boot_ops")), expected.get("boot_ops").retp);
        }
    }

    @Test
    void tableRanksAndSummarises() {
        Path obj = Tools.compileC(Tools.resource("fixtures/x86_census.c", dir), "c.o", "-fno-pic", "-mcmodel=kernel",
                "-mindirect-branch=thunk-extern");
        ScanRun run = run("pointers", "--pointer=*_ops", "--top=2", obj.toString());
        assertEquals(0, run.rc(), run.describe());
        List<String> lines = run.outLines();
        assertTrue(lines.get(0).matches("RANK +SLOT +SITES +MEM +LOAD +RETP +DEFAULT +STORES +ADDR +WRITTEN +SCORE"),
                run.describe());
        assertTrue(lines.get(1).matches(" +1 +boot_ops +3 +0 +3 +3 +def_a +1/1 +0/0 +init-only +6"), run.describe());
        assertEquals(4, lines.size(), run.describe());
        assertEquals("6 slots called through, 9 sites (0 memory-indirect, 9 loaded, 9 through a retpoline thunk) in 1"
                + " object; 0 loads of a slot not followed", lines.get(3), run.describe());
    }

    @Test
    void badInputIsOneLineEach() throws Exception {
        Path obj = Tools.compileC(Tools.resource("fixtures/x86_census.c", dir), "c.o", "-fno-pic", "-mcmodel=kernel");
        Path text = Files.writeString(dir.resolve("notes.txt"), "not an object\n");
        Path missing = dir.resolve("missing.o");
        ScanRun run = run("pointers", "--pointer=*_ops", obj.toString(), text.toString(), missing.toString());
        assertEquals(2, run.rc(), run.describe());
        assertEquals(2, run.errLines().size(), run.describe());
        assertTrue(run.errLines().get(0).startsWith("patchsites: " + text + ": error: "), run.describe());
        assertTrue(run.errLines().get(1).startsWith("patchsites: " + missing + ": error: "), run.describe());
        assertTrue(run.outLines().get(1).contains("boot_ops"), run.describe()); // the good file is still counted

        ScanRun top = run("pointers", "--top=0", obj.toString());
        assertEquals(2, top.rc(), top.describe());
        assertEquals(List.of("patchsites: error: --top takes a number of at least 1, not 0"), top.errLines());
        ScanRun list = run("pointers", "--pointers-file=" + missing, obj.toString());
        assertEquals(2, list.rc(), list.describe());
        assertEquals(1, list.errLines().size(), list.describe());
        assertTrue(list.errLines().get(0).startsWith("patchsites: " + missing + ": error: "), list.describe());
    }

    private static int sites(Row r) {
        return r.mem + r.load;
    }

    private static int score(Row r) {
        return sites(r) + r.retp;
    }

    private static ScanRun run(String... args) {
        java.io.StringWriter out = new java.io.StringWriter(), err = new java.io.StringWriter();
        int rc;
        try (java.io.PrintWriter o = new java.io.PrintWriter(out); java.io.PrintWriter e = new java.io.PrintWriter(err)) {
            rc = Main.run(o, e, args);
        }
        return new ScanRun(List.of(args), rc, out.toString(), err.toString());
    }

    /** Slot -> its sites and stores, from objdump -drw. */
    private Map<String, Row> oracle(Path obj) {
        Map<String, Row> rows = new HashMap<>();
        LoadedPointerOracle loaded = new LoadedPointerOracle(obj, OPS);
        for (String s : loaded.sites) { // "section+0xAT kind len slot load=0x.. retpoline=B"
            String[] f = s.split(" ");
            Row r = row(rows, f[3]);
            r.load++;
            r.retp += f[5].equals("retpoline=true") ? 1 : 0;
        }
        String section = null;
        for (String line : Tools.ok(dir, "objdump", "-drw", obj.toString()).split("\n")) {
            Matcher m = SECTION.matcher(line);
            if (m.matches()) {
                section = m.group(1);
                continue;
            }
            String[] parts = line.split("\t");
            Matcher r = RELOC.matcher(line);
            if (parts.length < 4 || !r.find() || !OPS.test(r.group(3))) {
                continue;
            }
            long at = Long.parseLong(parts[0].trim().replace(":", ""), 16);
            int length = parts[1].trim().split(" ").length;
            long field = Long.parseLong(r.group(1), 16);
            long addend = r.group(4) == null ? 0 : Long.decode(r.group(4));
            String text = parts[2].trim().replaceAll("\\s+#.*$", "");
            String slot = r.group(3) + offset(addend + at + length - field);
            if (parts[1].trim().startsWith("ff 15") || parts[1].trim().startsWith("ff 25")) {
                row(rows, slot).mem++;
            } else if (text.matches("mov[bwlq]?\\s+\\S+,0x0\\(%rip\\)")) {
                Row w = row(rows, slot);
                w.stores++;
                w.storesInit += section.startsWith(".init.") ? 1 : 0;
            }
        }
        rows.values().removeIf(row -> sites(row) == 0);
        return rows;
    }

    /** Object -> {address taken, of which in .init sections}: lea, $imm and data relocations against it. */
    private Map<String, int[]> addressTaken(Path obj) {
        Map<String, int[]> out = new HashMap<>();
        String relocated = null;
        for (String line : Tools.ok(dir, "readelf", "-rW", obj.toString()).split("\n")) {
            if (line.startsWith("Relocation section '.rela")) {
                relocated = line.substring("Relocation section '.rela".length(), line.indexOf("' at"));
                continue;
            }
            Matcher m = DATA_RELOC.matcher(line.trim());
            if (!m.matches() || !OPS.test(m.group(3)) || relocated.equals(".eh_frame")) {
                continue;
            }
            boolean code = relocated.startsWith(".text") || relocated.startsWith(".init.text");
            // In code only the immediates (R_X86_64_32S) take the address in this fixture: the PC32 ones are
            // calls, loads and stores (objdump shows no lea against an object here).
            if (code && !m.group(2).equals("R_X86_64_32S")) {
                continue;
            }
            int[] n = out.computeIfAbsent(m.group(3), k -> new int[2]);
            n[0]++;
            n[1] += relocated.startsWith(".init.") ? 1 : 0;
        }
        return out;
    }

    private static Row row(Map<String, Row> rows, String slot) {
        return rows.computeIfAbsent(slot, k -> {
            Row r = new Row();
            int plus = k.indexOf('+');
            r.object = plus < 0 ? k : k.substring(0, plus);
            r.offset = plus < 0 ? 0 : Long.decode(k.substring(plus + 1));
            return r;
        });
    }

    private static String offset(long slot) {
        return slot == 0 ? "" : "+0x" + Long.toHexString(slot);
    }
}
