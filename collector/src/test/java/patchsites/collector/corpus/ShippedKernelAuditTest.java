package patchsites.collector.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import patchsites.collector.cli.Main;
import patchsites.fixtures.Tools;

/**
 * The kernel Debian ships (scripts/fetch-kernel-dbg.sh): the cloud -dbg package's vmlinux, an
 * ET_EXEC at 0xffffffff81000000 linked with --emit-relocs, and the modules of the same release.
 * Every x86 table must audit valid with no extra or duplicate entry; the only missing entries are
 * the five return-thunk jumps of arch/x86/entry/vdso/, which 6.1 builds with
 * {@code OBJECT_FILES_NON_STANDARD := y}: objtool never sees them, so .return_sites lacks them
 * (upstream later ran objtool on those objects). Entry counts are checked against nm and readelf.
 */
class ShippedKernelAuditTest {
    /** Functions of arch/x86/entry/vdso/{vma.c,vdso32-setup.c} whose return-thunk jumps objtool skips. */
    static final Set<String> VDSO_FUNCTIONS = Set.of("fixup_vdso_exception", "sysenter_setup", "vdso32_setup",
            "ia32_binfmt_init");

    @TempDir
    Path tmp;

    record Run(int rc, String out, String err) {}

    static Run cli(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(rc, out.toString(), err.toString());
    }

    static final Pattern NUMBER = Pattern.compile("\"(\\w+)\":(-?\\d+)");

    static Map<String, Long> numbers(String jsonLine) {
        Map<String, Long> m = new HashMap<>();
        Matcher x = NUMBER.matcher(jsonLine);
        while (x.find()) {
            m.putIfAbsent(x.group(1), Long.parseLong(x.group(2)));
        }
        return m;
    }

    static String field(String jsonLine, String name) {
        Matcher x = Pattern.compile("\"" + name + "\":\"([^\"]*)\"").matcher(jsonLine);
        return x.find() ? x.group(1) : null;
    }

    /** The table's bounds from nm, independent of patchsites: (stop - start) / entry size. */
    static long countByNm(String nm, String start, String stop, int entrySize) {
        return (address(nm, stop) - address(nm, start)) / entrySize;
    }

    static long address(String nm, String symbol) {
        Matcher m = Pattern.compile("(?m)^(\\p{XDigit}{16}) \\w " + Pattern.quote(symbol) + "$").matcher(nm);
        assertTrue(m.find(), "nm has no " + symbol);
        return Long.parseUnsignedLong(m.group(1), 16);
    }

    @Test
    void everyTableOfTheShippedKernelIsValidAndComplete() {
        Path vmlinux = ShippedKernel.vmlinux();
        String nm = Tools.ok(tmp, "nm", vmlinux.toString());
        Map<String, Long> expected = Map.of(
                ".static_call_sites", countByNm(nm, "__start_static_call_sites", "__stop_static_call_sites", 8),
                "__mcount_loc", countByNm(nm, "__start_mcount_loc", "__stop_mcount_loc", 8),
                ".retpoline_sites", countByNm(nm, "__retpoline_sites", "__retpoline_sites_end", 4),
                ".return_sites", countByNm(nm, "__return_sites", "__return_sites_end", 4));
        Run r = cli("audit", "--kernel", "--json", vmlinux.toString());
        assertEquals("", r.err);
        Map<String, Map<String, Long>> tables = new HashMap<>();
        List<String> missing = new ArrayList<>();
        for (String line : r.out.split("\n")) {
            String type = field(line, "type");
            if ("table".equals(type)) {
                tables.put(field(line, "table"), numbers(line));
                assertEquals("relocations", field(line, "method"), line);
            } else if ("missing".equals(type)) {
                missing.add(line);
            } else if ("entry".equals(type)) {
                throw new AssertionError("an entry with a problem: " + line);
            }
        }
        assertEquals(expected.keySet(), tables.keySet(), r.out);
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            Map<String, Long> t = tables.get(e.getKey());
            assertTrue(e.getValue() > 1000, e.getKey() + ": " + e.getValue() + " entries by nm");
            assertEquals(e.getValue(), t.get("entries"), e.getKey() + " entries vs nm");
            assertEquals(0, t.get("invalid"), e.getKey());
            assertEquals(0, t.get("extra"), e.getKey());
            assertEquals(0, t.get("duplicates"), e.getKey());
            assertEquals(e.getKey().equals(".return_sites") ? 5 : 0, t.get("missing"), e.getKey() + ": " + missing);
        }
        Set<String> functions = new TreeSet<>();
        for (String m : missing) {
            assertEquals(".return_sites", field(m, "table"), m);
            functions.add(field(m, "function"));
        }
        assertEquals(new TreeSet<>(VDSO_FUNCTIONS), functions, missing.toString());
        assertEquals(1, r.rc, "the five vdso sites are findings: " + r.out);
    }

    @Test
    void wholePackageInOneRun() throws Exception {
        long kos;
        try (var walk = Files.walk(ShippedKernel.modules())) {
            kos = walk.filter(p -> p.toString().endsWith(".ko")).count();
        }
        Run r = cli("audit", "--kernel", "--json", ShippedKernel.vmlinux().toString(), ShippedKernel.modules().toString());
        assertEquals("", r.err);
        String[] lines = r.out.split("\n");
        String last = lines[lines.length - 1];
        assertEquals("summary", field(last, "type"), last);
        assertEquals("audit", field(last, "command"), last);
        Map<String, Long> total = numbers(last);
        assertEquals(kos + 1, total.get("files"), last);
        assertEquals(1, total.get("linked"), last);
        assertEquals(0, total.get("bad_input"), last);
        long missing = 0;
        int summaries = 0;
        for (String line : lines) {
            if ("kernel-table".equals(field(line, "type"))) {
                summaries++;
                Map<String, Long> t = numbers(line);
                assertTrue(t.get("files") > 100, line);
                assertEquals(0, t.get("invalid") + t.get("extra") + t.get("duplicates"), line);
                missing += t.get("missing");
            } else if ("missing".equals(field(line, "type"))) {
                assertTrue(VDSO_FUNCTIONS.contains(field(line, "function")), line);
            }
        }
        assertEquals(4, summaries, r.out);
        assertEquals(5, missing, r.out);
        assertEquals(1, r.rc);
    }

    /** The check docs/kbuild.md gives for a linked vmlinux, run as written on Debian's kernel. */
    @Test
    void kbuildDocsAuditCommandWorksOnTheShippedKernel() throws Exception {
        String doc = Files.readString(Path.of(System.getProperty("user.dir")).getParent().resolve("docs/kbuild.md"));
        Matcher m = Pattern.compile("(?m)^\\$ patchsites (audit --section=\\S+ --layout=\\S+) vmlinux$").matcher(doc);
        assertTrue(m.find(), "docs/kbuild.md no longer shows the audit of a linked vmlinux");
        List<String> args = new ArrayList<>(List.of(m.group(1).split(" ")));
        args.add(ShippedKernel.vmlinux().toString());
        Run r = cli(args.toArray(String[]::new));
        assertEquals(0, r.rc, r.out + r.err);
        assertTrue(r.out.contains("0 invalid, 0 missing, 0 extra, 0 duplicates (missing/extra checked by relocations)"),
                r.out);
    }

    /**
     * Without relocations (a copy with every .rela section removed) the same sites are found by
     * decoding each function with the length decoder: the same result as from the relocations.
     */
    @Test
    void withoutRelocationsDecodingFindsTheSameSites() {
        Path copy = tmp.resolve("vmlinux.norel");
        Tools.ok(tmp, "objcopy", "--strip-debug", "--remove-relocations=*", ShippedKernel.vmlinux().toString(),
                copy.toString());
        assertTrue(!Tools.ok(tmp, "readelf", "-SW", copy.toString()).contains(".rela.text"));
        Run r = cli("audit", "--kernel", "--json", copy.toString());
        assertEquals("", r.err);
        int tables = 0;
        long missing = 0;
        for (String line : r.out.split("\n")) {
            if ("table".equals(field(line, "type"))) {
                tables++;
                assertEquals("decoding", field(line, "method"), line);
                Map<String, Long> t = numbers(line);
                assertEquals(0, t.get("invalid") + t.get("extra") + t.get("duplicates"), line);
                missing += t.get("missing");
            } else if ("missing".equals(field(line, "type"))) {
                assertTrue(VDSO_FUNCTIONS.contains(field(line, "function")), line);
            }
        }
        assertEquals(4, tables, r.out);
        assertEquals(5, missing, r.out);
    }

    /** A copy with one .static_call_sites and one __mcount_loc entry moved by one byte: both are named. */
    @Test
    void entryMovedOneByteIsReported() throws Exception {
        Path copy = tmp.resolve("vmlinux");
        // Without debug info the copy is ~10% of the file; code, tables, symbols and .rela.text stay.
        Tools.ok(tmp, "objcopy", "--strip-debug", ShippedKernel.vmlinux().toString(), copy.toString());
        String nm = Tools.ok(tmp, "nm", copy.toString());
        int staticCall = 100, mcount = 2000;
        long scField = address(nm, "__start_static_call_sites") + 8L * staticCall;
        long mcField = address(nm, "__start_mcount_loc") + 8L * mcount;
        adjust(copy, fileOffset(copy, scField), 4, 1);
        adjust(copy, fileOffset(copy, mcField), 8, 1);
        Run r = cli("audit", "--kernel", copy.toString());
        assertEquals(1, r.rc, r.out + r.err);
        assertTrue(r.out.contains(".static_call_sites entry " + staticCall + " "), r.out);
        assertTrue(r.out.contains("__mcount_loc entry " + mcount + " "), r.out);
        assertTrue(Pattern.compile("(?m)^  \\.static_call_sites\\s+1\\s+\\d+\\s+1\\s+1\\s+1\\s+0 ").matcher(r.out).find(),
                r.out);
        assertTrue(Pattern.compile("(?m)^  __mcount_loc\\s+1\\s+\\d+\\s+1\\s+1\\s+1\\s+0 ").matcher(r.out).find(), r.out);
    }

    /** File offset of a virtual address, from readelf's section table (not from patchsites). */
    static long fileOffset(Path elf, long address) {
        String s = Tools.ok(elf.getParent(), "readelf", "-SW", elf.toString());
        Matcher m = Pattern.compile("(?m)^\\s*\\[\\s*\\d+\\]\\s+(\\S+)\\s+PROGBITS\\s+(\\p{XDigit}+)\\s+(\\p{XDigit}+)\\s+(\\p{XDigit}+)").matcher(s);
        while (m.find()) {
            long addr = Long.parseUnsignedLong(m.group(2), 16), off = Long.parseLong(m.group(3), 16),
                    size = Long.parseLong(m.group(4), 16);
            if (addr != 0 && Long.compareUnsigned(address - addr, size) < 0) {
                return off + (address - addr);
            }
        }
        throw new AssertionError("no section holds 0x" + Long.toHexString(address) + ":\n" + s);
    }

    static void adjust(Path file, long at, int width, long delta) throws Exception {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(width).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, at);
            if (width == 4) {
                b.putInt(0, b.getInt(0) + (int) delta);
            } else {
                b.putLong(0, b.getLong(0) + delta);
            }
            b.rewind();
            ch.write(b, at);
        }
    }

    /** Bad input: one line naming what is missing, exit 2. */
    @Test
    void badInputIsOneLineAndExitTwo() throws Exception {
        Path stripped = tmp.resolve("vmlinux.stripped");
        Tools.ok(tmp, "objcopy", "--strip-all", ShippedKernel.vmlinux().toString(), stripped.toString());
        Path xz = tmp.resolve("fat.ko.xz");
        Path fat;
        try (var walk = Files.walk(ShippedKernel.modules())) {
            fat = walk.filter(p -> p.endsWith("fs/fat/fat.ko")).findFirst().orElseThrow();
        }
        Tools.ok(tmp, "sh", "-c", "xz -0 -c '" + fat + "' > '" + xz + "'");
        Map<Path, String> cases = Map.of(
                stripped, "no symbol table",
                ShippedKernel.root().resolve("vmlinux.extracted"), "no symbol table",
                ShippedKernel.root().resolve("vmlinuz"), "it is a bzImage",
                xz, "it is xz-compressed");
        for (Map.Entry<Path, String> c : cases.entrySet()) {
            Run r = cli("audit", "--kernel", c.getKey().toString());
            assertEquals(2, r.rc, c.getKey() + ": " + r.out + r.err);
            String[] err = r.err.strip().split("\n");
            assertEquals(1, err.length, r.err);
            assertTrue(err[0].startsWith("patchsites: " + c.getKey() + ": error: ") && err[0].contains(c.getValue()),
                    r.err);
            assertEquals("", r.out, c.getKey().toString());
        }
    }
}
