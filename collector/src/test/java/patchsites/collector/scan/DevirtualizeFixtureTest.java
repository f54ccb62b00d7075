package patchsites.collector.scan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import patchsites.collector.cli.Main;
import patchsites.fixtures.Tools;

/**
 * {@code patchsites devirtualize} on an object gcc builds at test time, checked with objdump and
 * readelf alone: every {@code ff 15}/{@code ff 25} site whose slot has a default (found by
 * {@link PointerFixtureScanTest#objdumpSites}, the scan test's independent oracle) is, in the
 * output, {@code e8}/{@code e9} with an R_X86_64_PLT32 relocation against the default, addend
 * -4, at site + 1, then a one-byte nop; the sites without a default are untouched; the table's
 * relocations name each rewritten site (section + offset) and its slot (object + slot | tail);
 * the object links into a program that computes what the pointers say. Running it again changes
 * no byte.
 */
class DevirtualizeFixtureTest {
    private static final Pattern INSN = Pattern.compile("^\\s*([0-9a-f]+):\\t([0-9a-f ]+?)\\s*\\t(\\S+)\\s*(.*)$");
    private static final Pattern RELOC = Pattern.compile("^\\s*([0-9a-f]+): (R_X86_64_\\w+)\\t(\\S+)$");
    private static final Pattern TABLE_RELOC = Pattern.compile(
            "^([0-9a-f]+)\\s+[0-9a-f]+\\s+R_X86_64_PC32\\s+[0-9a-f]+\\s+(\\S+) \\+ ([0-9a-f]+)$");

    /** Calls f1..f5 of the fixture and checks what the defaults compute (ext_c and other_ops are here). */
    private static final String MAIN = String.join("\n",
            "struct ops { int (*a)(int); int (*b)(int); void (*c)(void); long (*d)(long); };",
            "int f1(int); void f2(void); long f3(long); int f4(int); long f5(long);",
            "static int c_calls; void ext_c(void) { c_calls++; }",
            "static long d_other(long x) { return x * 100; }",
            "struct ops other_ops = { .d = d_other };",
            "int main(void) {",
            "    f2();",
            "    return !(f1(5) == 6 + 15 && c_calls == 1 && f3(2) == 201 && f4(5) == 15 + 6 + 2 && f5(3) == 300);",
            "}", "");

    @TempDir
    Path dir;

    /** One in-process run of the CLI. */
    record Run(int rc, String out, String err) {
        String describe() {
            return "exit " + rc + "\n--- stdout ---\n" + out + "--- stderr ---\n" + err;
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc;
        try (PrintWriter o = new PrintWriter(out); PrintWriter e = new PrintWriter(err)) {
            rc = Main.run(o, e, args);
        }
        return new Run(rc, out.toString(), err.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"kernel", "pie"})
    void defaultedSitesBecomeDirectCallsAsObjdumpSees(String model) {
        Path src = Tools.resource("fixtures/x86_pointers.c", dir);
        Path obj = model.equals("kernel") ? Tools.compileC(src, "p.o", "-fno-pic", "-mcmodel=kernel")
                : Tools.compileC(src, "p.o");
        List<String> oracle = PointerFixtureScanTest.objdumpSites(obj);
        List<String[]> withDefault = new ArrayList<>(), without = new ArrayList<>();
        for (String s : oracle) {
            String[] f = s.split(" "); // section+0xoff kind length function pointer default
            (f[5].equals("null") ? without : withDefault).add(f);
        }
        assertTrue(withDefault.size() >= 4 && !without.isEmpty()
                && withDefault.stream().anyMatch(f -> f[1].equals("itail")), oracle::toString);

        Path out = dir.resolve("dv.o");
        Run r = run("-v", "devirtualize", "--pointer=*_ops", "--pointer=second_local", "-o", out.toString(), obj.toString());
        assertEquals(0, r.rc(), r.describe());
        assertTrue(r.out().startsWith(out + ": " + withDefault.size() + " sites devirtualized"), r.describe());
        assertTrue(r.out().contains(without.size() + " left as"), r.describe());

        Map<Long, String[]> code = disassembly(out); // offset in .text -> {bytes, mnemonic, relocation}
        for (String[] f : withDefault) {
            long at = offset(f[0]);
            boolean tail = f[1].equals("itail");
            String[] insn = code.get(at);
            assertTrue(insn != null && insn[0].equals(tail ? "e9 00 00 00 00" : "e8 00 00 00 00")
                    && insn[1].equals(tail ? "jmp" : "call"), () -> f[0] + ": " + String.join("|", code.getOrDefault(at, new String[0])));
            assertEquals(Long.toHexString(at + 1) + " R_X86_64_PLT32 " + f[5] + "-0x4", insn[2], f[0]);
            String[] nop = code.get(at + 5);
            assertTrue(nop != null && nop[0].equals("90") && nop[1].equals("nop"), f[0]);
        }
        for (String[] f : without) {
            String[] insn = code.get(offset(f[0]));
            assertTrue(insn != null && insn[0].startsWith("ff " + (f[1].equals("itail") ? "25" : "15")), f[0]);
        }

        // The table: .text + site, then object + slot | tail, one pair per rewritten site.
        TreeSet<String> expected = new TreeSet<>(), table = new TreeSet<>();
        for (String[] f : withDefault) {
            String object = f[4].replaceFirst("\\+0x[0-9a-f]+$", "");
            long slot = f[4].contains("+0x") ? Long.parseLong(f[4].substring(f[4].indexOf("+0x") + 3), 16) : 0;
            expected.add(f[0].substring(0, f[0].indexOf('+')) + "+" + Long.toHexString(offset(f[0])) + " " + object
                    + "+" + Long.toHexString(slot + (f[1].equals("itail") ? 1 : 0)));
        }
        List<String[]> rows = tableRelocations(out);
        for (int i = 0; i + 1 < rows.size(); i += 2) {
            assertEquals(Long.parseLong(rows.get(i)[0], 16) + 4, Long.parseLong(rows.get(i + 1)[0], 16));
            table.add(rows.get(i)[1] + "+" + rows.get(i)[2] + " " + rows.get(i + 1)[1] + "+" + rows.get(i + 1)[2]);
        }
        assertEquals(expected, table);
        assertEquals(2 * withDefault.size(), rows.size());

        // Valid for the tools, and it links into a program that computes what the defaults compute.
        Tools.Result readelf = Tools.run(dir, "readelf", "-a", "-W", out.toString());
        assertEquals("", readelf.err(), readelf::describe);
        Tools.write(dir, "main.c", MAIN);
        Tools.ok(dir, "gcc", "-O2", model.equals("kernel") ? "-no-pie" : "-pie", "-o", "prog", "main.c", out.toString());
        Tools.ok(dir, "./prog");
        Tools.ok(dir, "gcc", "-O2", model.equals("kernel") ? "-no-pie" : "-pie", "-o", "prog0", "main.c", obj.toString());
        Tools.ok(dir, "./prog0");
    }

    @Test
    void againChangesNothingAndRunsMerge() throws Exception {
        Path obj = Tools.compileC(Tools.resource("fixtures/x86_pointers.c", dir), "p.o", "-fno-pic", "-mcmodel=kernel");
        Path both = dir.resolve("both.o"), steps = dir.resolve("steps.o"), again = dir.resolve("again.o");
        assertEquals(0, run("devirtualize", "--pointer=my_ops", "--pointer=local_ops", "-o", both.toString(),
                obj.toString()).rc());
        // One pointer, then the other: the second run keeps the first one's entries.
        assertEquals(0, run("devirtualize", "--pointer=my_ops", "-o", steps.toString(), obj.toString()).rc());
        Run second = run("devirtualize", "--pointer=local_ops", "--in-place", steps.toString());
        assertEquals(0, second.rc(), second.describe());
        assertArrayEquals(Files.readAllBytes(both), Files.readAllBytes(steps));
        // Again: nothing left to rewrite, the same bytes.
        Run third = run("devirtualize", "--pointer=my_ops", "--pointer=local_ops", "-o", again.toString(), both.toString());
        assertEquals(0, third.rc(), third.describe());
        assertTrue(third.out().contains(": 0 sites devirtualized"), third.describe());
        assertArrayEquals(Files.readAllBytes(both), Files.readAllBytes(again));
        // In place with nothing to rewrite: the file is not written at all.
        java.nio.file.attribute.FileTime mtime = java.nio.file.attribute.FileTime.fromMillis(1_000_000_000L);
        Files.setLastModifiedTime(again, mtime);
        Run inPlace = run("devirtualize", "--pointer=my_ops", "--in-place", again.toString());
        assertEquals(0, inPlace.rc(), inPlace.describe());
        assertEquals(mtime, Files.getLastModifiedTime(again));
        assertArrayEquals(Files.readAllBytes(both), Files.readAllBytes(again));
        Tools.ok(dir, "ld", "-r", "-o", "linked.o", again.toString());
    }

    /**
     * A section symbol with a value (assemblers write 0; found by fuzzing): the table's site field
     * is relocated against it with addend = offset - value, so that a reader's value + addend is
     * the site, and a second run reads the table back to the same bytes.
     */
    @Test
    void sectionSymbolWithAValue() throws Exception {
        Path obj = Tools.compileC(Tools.resource("fixtures/x86_pointers.c", dir), "p.o", "-fno-pic", "-mcmodel=kernel");
        byte[] b = Files.readAllBytes(obj);
        Matcher sh = Pattern.compile("\\] \\.symtab\\s+SYMTAB\\s+[0-9a-f]+ ([0-9a-f]+) ").matcher(
                Tools.ok(dir, "readelf", "-SW", obj.toString()));
        assertTrue(sh.find());
        Matcher sym = Pattern.compile("(?m)^\\s+(\\d+): 0+ +0 SECTION LOCAL +DEFAULT +\\d+ \\.text$").matcher(
                Tools.ok(dir, "readelf", "-sW", obj.toString()));
        assertTrue(sym.find(), "no .text section symbol");
        int at = Integer.parseInt(sh.group(1), 16) + Integer.parseInt(sym.group(1)) * 24 + 8;
        java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(at, 0x42);
        Files.write(obj, b);
        Path once = dir.resolve("once.o"), twice = dir.resolve("twice.o");
        assertEquals(0, run("devirtualize", "--pointer=my_ops", "-o", once.toString(), obj.toString()).rc());
        assertEquals(0, run("devirtualize", "--pointer=my_ops", "-o", twice.toString(), once.toString()).rc());
        assertArrayEquals(Files.readAllBytes(once), Files.readAllBytes(twice));
        Map<Long, String[]> code = disassembly(once);
        List<String[]> rows = tableRelocations(once);
        assertFalse(rows.isEmpty());
        for (int i = 0; i < rows.size(); i += 2) {
            long site = 0x42 + Long.parseLong(rows.get(i)[2], 16);
            String[] insn = code.get(site);
            assertTrue(insn != null && (insn[1].equals("call") || insn[1].equals("jmp")) && insn[2].contains("R_X86_64_PLT32"),
                    () -> Long.toHexString(site) + ": " + String.join("|", code.getOrDefault(site, new String[0])));
        }
    }

    @Test
    void badInputIsOneLineAndLeavesTheFile() throws Exception {
        Path junk = Tools.write(dir, "junk.o", "not an object\n");
        Run r = run("devirtualize", "--pointer=my_ops", "--in-place", junk.toString());
        assertEquals(2, r.rc(), r.describe());
        assertEquals("patchsites: " + junk + ": error: file format not recognized (neither ELF nor ar archive)\n", r.err());
        assertEquals("not an object\n", Files.readString(junk));

        Run none = run("devirtualize", "--in-place", junk.toString());
        assertEquals(2, none.rc(), none.describe());
        assertEquals(1, none.err().lines().count(), none.describe());

        // A table of that name devirtualize did not write (here: the code itself) is refused, the file kept.
        Path obj = Tools.compileC(Tools.resource("fixtures/x86_pointers.c", dir), "p.o", "-fno-pic");
        byte[] before = Files.readAllBytes(obj);
        Run text = run("devirtualize", "--pointer=my_ops", "--section=.text", "--in-place", obj.toString());
        assertEquals(2, text.rc(), text.describe());
        assertTrue(text.err().matches("patchsites: " + Pattern.quote(obj.toString()) + ": error: section \\.text exists"
                + " and is not a table devirtualize wrote.*\n"), text.describe());
        assertArrayEquals(before, Files.readAllBytes(obj));
        assertFalse(Files.list(dir).anyMatch(p -> p.getFileName().toString().contains("patchsites-tmp")));
    }

    @Test
    void otherArchitecturesAreRefused() throws Exception {
        Path src = Tools.resource("fixtures/x86_pointers.c", dir);
        Tools.ok(dir, "aarch64-linux-gnu-gcc", "-O2", "-c", src.toString(), "-o", "arm64.o");
        Path obj = dir.resolve("arm64.o");
        byte[] before = Files.readAllBytes(obj);
        Run r = run("devirtualize", "--pointer=my_ops", "--in-place", obj.toString());
        assertEquals(2, r.rc(), r.describe());
        assertEquals("patchsites: " + obj + ": error: devirtualize has no rewrite for arm64 objects (x86-64 only)\n", r.err());
        assertArrayEquals(before, Files.readAllBytes(obj));
    }

    private static long offset(String sectionPlusOffset) {
        return Long.parseLong(sectionPlusOffset.substring(sectionPlusOffset.indexOf("+0x") + 3), 16);
    }

    /** objdump -dr of .text: offset -> {bytes, mnemonic, "offset TYPE sym+addend" of the relocation after it or ""}. */
    private static Map<Long, String[]> disassembly(Path obj) {
        Map<Long, String[]> code = new TreeMap<>();
        String[] last = null;
        for (String line : Tools.ok(obj.getParent(), "objdump", "-dr", "-j", ".text", obj.toString()).split("\n")) {
            Matcher m = INSN.matcher(line);
            if (m.matches()) {
                last = new String[] {m.group(2).trim(), m.group(3), ""};
                code.put(Long.parseLong(m.group(1), 16), last);
                continue;
            }
            m = RELOC.matcher(line);
            if (m.matches() && last != null) {
                last[2] = m.group(1) + " " + m.group(2) + " " + m.group(3);
            }
        }
        return code;
    }

    /** readelf -rW of .rela.pointer_call_sites: {offset, symbol, addend (hex)} per relocation. */
    private static List<String[]> tableRelocations(Path obj) {
        List<String[]> rows = new ArrayList<>();
        boolean in = false;
        for (String line : Tools.ok(obj.getParent(), "readelf", "-rW", obj.toString()).split("\n")) {
            if (line.startsWith("Relocation section ")) {
                in = line.startsWith("Relocation section '.rela.pointer_call_sites'");
                continue;
            }
            Matcher m = TABLE_RELOC.matcher(line.trim());
            if (in && m.matches()) {
                rows.add(new String[] {m.group(1), m.group(2), m.group(3)});
            }
        }
        return rows;
    }
}
