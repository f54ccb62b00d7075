package patchsites.collector.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import net.fornwall.jelf.ElfRelocation;
import net.fornwall.jelf.ElfRelocationAddend;
import net.fornwall.jelf.ElfRelocationAddendSection;
import net.fornwall.jelf.ElfRelocationSection;
import net.fornwall.jelf.ElfSection;
import net.fornwall.jelf.ElfSectionHeader;
import net.fornwall.jelf.ElfStringTable;
import net.fornwall.jelf.ElfSymbol;
import net.fornwall.jelf.ElfSymbolTableSection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import patchsites.collector.corpus.Corpus;

/**
 * Differential check of our in-place ELF reader against jelf (net.fornwall:jelf), an independent
 * implementation: every section header, every symbol and every relocation of every corpus module
 * and of objects gcc builds here (ELF64, i386 ELF32 with SHT_REL, x32 ELF32 with SHT_RELA) must
 * read the same through both.
 *
 * <p>Both readers are first turned into the same plain {@link Model}, then the models are compared,
 * so a reader that throws is attributed correctly. jelf 0.9.0 quirks the comparison normalises
 * (they are not differences in the file's contents):
 * <ul>
 * <li>e_shnum, e_type, e_machine and st_shndx are Java shorts: read {@code & 0xffff};
 * <li>ELF32 words (sh_flags, sh_addr, sh_offset, sh_size, sh_addralign, sh_entsize, st_value,
 *     st_size, r_offset, r_info) are sign-extended to long: read {@code & 0xffffffff}, and the
 *     ELF32 symbol index (signed r_info >> 8) {@code & 0xffffff};
 * <li>a section or symbol with name offset 0 has name {@code null}: read as "".
 * </ul>
 * Symbol names are looked up in the string table the symbol table's sh_link names (jelf's own
 * {@code ElfSymbol.getName()} always uses the section called ".strtab").
 *
 * <p>Files jelf cannot read because of a known jelf limitation (extended section numbering,
 * section counts of 32768 or more, see {@link #jelfLimitation}) are listed as skipped with the
 * reason; any other jelf failure, and any failure of our reader, fails the test.
 */
class JelfDifferentialTest {
    private static final int SHOWN = 25, KEPT_PER_FILE = 5;

    // ---------------------------------------------------------------- tests

    @Test
    void corpusModules() throws IOException {
        List<Path> modules = Corpus.modules();
        Report report = new Report("corpus");
        modules.parallelStream().forEach(report::compare);
        report.print();
        report.assertClean();
        assertEquals(modules.size(), report.compared() + report.limited.size(), "files compared or skipped");
        assertTrue(report.compared() > 0 && report.totals[2] > 0, "nothing was compared: " + report.summary());
    }

    @Test
    void gccObjects64(@TempDir Path dir) throws Exception {
        compareGcc(dir, "", List.of(
                "-O2",
                "-O0 -g",
                "-O2 -fPIC -ffunction-sections -fdata-sections",
                "-O2 -pg -mfentry -mrecord-mcount -fcommon",
                "-Os -mcmodel=kernel -fno-pic -mindirect-branch=thunk-extern -mfunction-return=thunk-extern"
                        + " -fcf-protection=none -g"));
    }

    /** i386: ELF32, SHT_REL (implicit addends). Fails where gcc cannot build -m32. */
    @Test
    void gccObjects32(@TempDir Path dir) throws Exception {
        compareGcc(dir, "-m32", List.of("-O2", "-O0 -g", "-O2 -fPIC -ffunction-sections -fcommon", "-O2 -pg"));
    }

    /** x32: ELF32 with SHT_RELA. Fails where gcc cannot build -mx32. */
    @Test
    void gccObjectsX32(@TempDir Path dir) throws Exception {
        compareGcc(dir, "-mx32", List.of("-O2 -g", "-O2 -fPIC -ffunction-sections"));
    }

    /**
     * 70,000 sections, one call each: e_shnum = 0, e_shstrndx = SHN_XINDEX and symbols with
     * st_shndx = SHN_XINDEX resolved through SHT_SYMTAB_SHNDX. jelf 0.9.0 rejects such a file, so
     * our reader is checked against readelf here; if a later jelf reads it, it is compared too.
     */
    @Test
    void extendedSectionNumbering(@TempDir Path dir) throws Exception {
        int n = 70_000;
        StringBuilder asm = new StringBuilder(n * 96);
        for (int i = 0; i < n; i++) {
            asm.append("\t.section .text.f").append(i).append(",\"ax\",@progbits\n\t.globl f").append(i)
                    .append("\n\t.type f").append(i).append(",@function\nf").append(i).append(":\n\tcall ext\n\tret\n")
                    .append("\t.size f").append(i).append(", .-f").append(i).append('\n');
        }
        Path s = dir.resolve("many.s"), o = dir.resolve("many.o");
        Files.writeString(s, asm);
        Exec as = run(dir, "as", "--64", "-o", o.toString(), s.toString());
        assertTrue(as.ok(), () -> "GNU as failed (scripts/setup.sh installs binutils): " + as.out.strip());

        byte[] bytes = Files.readAllBytes(o);
        ByteBuffer eh = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0, eh.getShort(60), "e_shnum should be 0 (extended numbering)");
        assertEquals(ElfFile.SHN_XINDEX, eh.getShort(62) & 0xffff, "e_shstrndx should be SHN_XINDEX");

        Exec readelf = run(dir, "readelf", "-h", "-s", "-W", o.toString());
        assertTrue(readelf.ok(), () -> "readelf failed (scripts/setup.sh installs binutils): " + readelf.out.strip());
        Matcher m = Pattern.compile("Number of section headers:\\s+0 \\((\\d+)\\)").matcher(readelf.out);
        assertTrue(m.find(), "readelf -h did not report an extended section count");
        int readelfCount = Integer.parseInt(m.group(1));
        // readelf -s: "   Num:    Value          Size Type    Bind   Vis      Ndx Name", Ndx resolved through SHT_SYMTAB_SHNDX.
        Map<String, Integer> readelfNdx = new java.util.HashMap<>();
        Matcher sym = Pattern.compile("(?m)^\\s*\\d+: \\S+\\s+\\d+\\s+FUNC\\s+GLOBAL\\s+\\S+\\s+(\\d+) (f\\d+)$").matcher(readelf.out);
        while (sym.find()) {
            readelfNdx.put(sym.group(2), Integer.parseInt(sym.group(1)));
        }
        assertEquals(n, readelfNdx.size(), "function symbols readelf lists");

        try (Source src = Source.map(o)) {
            ElfFile elf = ElfFile.parse(src);
            assertEquals(readelfCount, elf.sectionCount(), "section count (readelf says " + readelfCount + ")");
            int symtab = -1, relocated = 0;
            for (int i = 1; i < elf.sectionCount(); i++) {
                if (elf.sectionType(i) == ElfFile.SHT_SYMTAB) {
                    symtab = i;
                } else if (elf.sectionType(i) == ElfFile.SHT_RELA) {
                    Relocations r = elf.relocations(i);
                    String target = elf.sectionName(elf.sectionInfo(i));
                    assertEquals(".rela" + target, elf.sectionName(i), "section " + i + " relocates " + target);
                    assertEquals(1, r.count(), elf.sectionName(i));
                    relocated++;
                }
            }
            assertEquals(n, relocated, "relocation sections");
            assertTrue(symtab > 0, "no symbol table");
            SymbolTable st = elf.symbolTable(symtab);
            int checked = 0, beyond = 0;
            for (int i = 0; i < st.count(); i++) {
                Integer expected = readelfNdx.get(st.name(i));
                if (expected != null && st.type(i) == SymbolTable.STT_FUNC) {
                    int section = st.definingSection(i);
                    assertEquals(expected, section, "section of " + st.name(i) + " (readelf)");
                    assertEquals(".text." + st.name(i), elf.sectionName(section), "section name of " + st.name(i));
                    beyond += st.rawSectionIndex(i) == ElfFile.SHN_XINDEX ? 1 : 0;
                    checked++;
                }
            }
            assertEquals(n, checked, "function symbols checked");
            assertTrue(beyond > 0, "no symbol needed SHT_SYMTAB_SHNDX; the test does not test what it says");
        }

        Report report = new Report("extended numbering");
        report.compare(o);
        report.print();
        report.assertClean();
        // Today jelf 0.9.0 refuses the file; if a new jelf reads it, the comparison above covered it.
        assertEquals(1, report.compared() + report.limited.size());
    }

    // ---------------------------------------------------------------- gcc objects

    private static final String SAMPLE_C = String.join("\n",
            "extern void ext_call(int);",
            "extern int ext_data;",
            "extern void (*ext_fp)(void);",
            "static int counter;",
            "int initialised = 42;",
            "int common_var;", // SHN_COMMON under -fcommon
            "__thread int tls_var;",
            "__attribute__((visibility(\"hidden\"))) int hidden_var;", // st_other = STV_HIDDEN
            "__attribute__((weak)) void weak_fn(void) {}",
            "static const char *const names[] = {\"a\", \"b\", \"c\"};",
            "static __attribute__((noinline)) int helper(int x) { ext_call(x); return x + counter++; }",
            "int dispatch(int k) {",
            "    switch (k) {",
            "    case 0: return helper(1);",
            "    case 1: ext_call(2); return 3;",
            "    case 2: return ext_data;",
            "    case 3: return hidden_var;",
            "    case 4: return tls_var;",
            "    case 5: ext_fp(); return 0;",
            "    case 6: return names[k - 6][0];",
            "    case 7: weak_fn(); return 1;",
            "    default: return helper(k) + 7;",
            "    }",
            "}",
            "void tail(int x) { ext_call(x); }",
            // SHN_ABS with a value >= 2^31 and a size >= 2^31 (jelf sign-extends both in ELF32),
            // and a COMDAT group (SHT_GROUP).
            "__asm__(\".globl abs_big\\n.set abs_big, 0x87654321\\n\"",
            "        \".pushsection .rodata.huge,\\\"a\\\"\\n.globl huge_obj\\n.type huge_obj,@object\\n\"",
            "        \"huge_obj: .byte 0\\n.size huge_obj, 0x80000010\\n.popsection\\n\"",
            "        \".section .text.grp,\\\"axG\\\",@progbits,grp_sig,comdat\\n.globl grp_sig\\n\"",
            "        \".type grp_sig,@function\\ngrp_sig: call ext_call\\nret\\n.size grp_sig, .-grp_sig\\n.previous\\n\");",
            "");

    private static void compareGcc(Path dir, String machine, List<String> variants) throws Exception {
        Path c = dir.resolve("sample.c");
        Files.writeString(c, SAMPLE_C);
        Exec probe = run(dir, gcc(machine, "-O0", c, dir.resolve("probe.o")));
        assertTrue(probe.ok(), () -> "gcc " + machine + " -c failed (scripts/setup.sh installs the cross compilers): "
                + probe.out.strip());
        Report report = new Report("gcc " + machine);
        int i = 0;
        List<Path> objects = new ArrayList<>();
        for (String v : variants) {
            Path o = dir.resolve("sample" + i++ + ".o");
            List<String> cmd = new ArrayList<>(gcc(machine, v, c, o));
            Exec e = run(dir, cmd);
            assertTrue(e.ok(), () -> String.join(" ", cmd) + " failed:\n" + e.out);
            objects.add(o);
        }
        for (Path o : objects) {
            report.compare(o);
        }
        report.print();
        report.assertClean();
        assertEquals(objects.size(), report.compared(), "gcc objects jelf and our reader both read");
        assertTrue(report.totals[1] > 0 && report.totals[2] > 0, "nothing was compared: " + report.summary());
        if (machine.equals("-m32")) {
            assertTrue(report.sawRel, "i386 objects should have SHT_REL sections");
        }
    }

    private static List<String> gcc(String machine, String flags, Path c, Path o) {
        List<String> cmd = new ArrayList<>(List.of("gcc", "-c"));
        if (!machine.isEmpty()) {
            cmd.add(machine);
        }
        cmd.addAll(Arrays.asList(flags.trim().split("\\s+")));
        cmd.addAll(List.of("-o", o.toString(), c.toString()));
        return cmd;
    }

    private record Exec(int status, String out) {
        boolean ok() {
            return status == 0;
        }
    }

    private static Exec run(Path dir, String... cmd) throws InterruptedException {
        return run(dir, List.of(cmd));
    }

    private static Exec run(Path dir, List<String> cmd) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                return new Exec(-1, "timed out");
            }
            return new Exec(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Exec(-1, cmd.get(0) + ": " + e.getMessage());
        }
    }

    // ---------------------------------------------------------------- model

    record Section(String name, int type, long flags, long addr, long offset, long size, int link, int info, long align,
            long entsize) {}

    record Symbols(int section, String[] name, long[] value, long[] size, int[] info, int[] other, int[] shndx) {}

    record Relocs(int section, boolean rela, long[] offset, int[] type, int[] symbol, long[] addend) {}

    record Model(boolean is64, int type, int machine, List<Section> sections, List<Symbols> symbols, List<Relocs> relocs) {}

    static Model ours(ElfFile e) {
        List<Section> sections = new ArrayList<>();
        List<Symbols> symbols = new ArrayList<>();
        List<Relocs> relocs = new ArrayList<>();
        for (int i = 0; i < e.sectionCount(); i++) {
            sections.add(new Section(e.sectionName(i), e.sectionType(i), e.sectionFlags(i), e.sectionAddress(i),
                    e.sectionOffset(i), e.sectionSize(i), e.sectionLink(i), e.sectionInfo(i), e.sectionAlign(i),
                    e.sectionEntrySize(i)));
        }
        for (int i = 0; i < e.sectionCount(); i++) {
            int t = e.sectionType(i);
            if (t == ElfFile.SHT_SYMTAB || t == ElfFile.SHT_DYNSYM) {
                SymbolTable st = e.symbolTable(i);
                int n = st.count();
                Symbols s = new Symbols(i, new String[n], new long[n], new long[n], new int[n], new int[n], new int[n]);
                for (int k = 0; k < n; k++) {
                    s.name[k] = st.name(k);
                    s.value[k] = st.value(k);
                    s.size[k] = st.size(k);
                    s.info[k] = st.info(k);
                    s.other[k] = st.other(k);
                    s.shndx[k] = st.rawSectionIndex(k);
                }
                symbols.add(s);
            } else if (t == ElfFile.SHT_RELA || t == ElfFile.SHT_REL) {
                Relocations r = e.relocations(i);
                int n = r.count();
                Relocs rs = new Relocs(i, r.hasAddends(), new long[n], new int[n], new int[n], new long[n]);
                for (int k = 0; k < n; k++) {
                    rs.offset[k] = r.offset(k);
                    rs.type[k] = r.type(k);
                    rs.symbol[k] = r.symbol(k);
                    rs.addend[k] = r.addend(k);
                }
                relocs.add(rs);
            }
        }
        return new Model(e.is64(), e.type(), e.machine(), sections, symbols, relocs);
    }

    static Model jelf(byte[] bytes) throws Exception {
        net.fornwall.jelf.ElfFile j = net.fornwall.jelf.ElfFile.from(bytes);
        boolean is64 = j.ei_class == net.fornwall.jelf.ElfFile.CLASS_64;
        long word = is64 ? -1L : 0xffffffffL; // jelf sign-extends ELF32 words
        int n = j.e_shnum & 0xffff;
        List<Section> sections = new ArrayList<>();
        List<Symbols> symbols = new ArrayList<>();
        List<Relocs> relocs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ElfSection s = j.getSection(i);
            ElfSectionHeader h = s.header;
            String name = h.getName();
            sections.add(new Section(name == null ? "" : name, h.sh_type, h.sh_flags & word, h.sh_addr & word,
                    h.sh_offset & word, h.sh_size & word, h.sh_link, h.sh_info, h.sh_addralign & word,
                    h.sh_entsize & word));
            if (s instanceof ElfSymbolTableSection) {
                ElfSymbol[] syms = ((ElfSymbolTableSection) s).symbols;
                ElfStringTable names = (ElfStringTable) j.getSection(h.sh_link);
                int c = syms.length;
                Symbols out = new Symbols(i, new String[c], new long[c], new long[c], new int[c], new int[c], new int[c]);
                for (int k = 0; k < c; k++) {
                    ElfSymbol y = syms[k];
                    out.name[k] = names.get(y.st_name);
                    out.value[k] = y.st_value & word;
                    out.size[k] = y.st_size & word;
                    out.info[k] = y.st_info;
                    out.other[k] = y.st_other;
                    out.shndx[k] = y.st_shndx & 0xffff;
                }
                symbols.add(out);
            } else if (s instanceof ElfRelocationAddendSection) {
                ElfRelocationAddend[] rs = ((ElfRelocationAddendSection) s).relocations;
                int c = rs.length;
                Relocs out = new Relocs(i, true, new long[c], new int[c], new int[c], new long[c]);
                for (int k = 0; k < c; k++) {
                    out.offset[k] = rs[k].r_offset & word;
                    out.type[k] = (int) rs[k].getType();
                    out.symbol[k] = is64 ? rs[k].getSymbolIndex() : rs[k].getSymbolIndex() & 0xffffff;
                    out.addend[k] = rs[k].r_addend;
                }
                relocs.add(out);
            } else if (s instanceof ElfRelocationSection) {
                ElfRelocation[] rs = ((ElfRelocationSection) s).relocations;
                int c = rs.length;
                Relocs out = new Relocs(i, false, new long[c], new int[c], new int[c], new long[c]);
                for (int k = 0; k < c; k++) {
                    out.offset[k] = rs[k].r_offset & word;
                    out.type[k] = (int) rs[k].getType();
                    out.symbol[k] = is64 ? rs[k].getSymbolIndex() : rs[k].getSymbolIndex() & 0xffffff;
                }
                relocs.add(out);
            }
        }
        return new Model(is64, j.e_type & 0xffff, j.e_machine & 0xffff, sections, symbols, relocs);
    }

    /**
     * Why jelf 0.9.0 cannot read this file, from its raw ELF header, or null when it should.
     * jelf throws on e_shnum = 0 (extended numbering) and keeps e_shnum and e_shstrndx in Java
     * shorts, so 32768 sections or more make a negative array size or index.
     */
    static String jelfLimitation(byte[] b) {
        if (b.length < 64 || (b[4] != 1 && b[4] != 2)) {
            return null;
        }
        boolean is64 = b[4] == 2;
        ByteBuffer eh = ByteBuffer.wrap(b).order(b[5] == 2 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        long shoff = is64 ? eh.getLong(40) : eh.getInt(32) & 0xffffffffL;
        int shnum = eh.getShort(is64 ? 60 : 48) & 0xffff, shstrndx = eh.getShort(is64 ? 62 : 50) & 0xffff;
        if (shoff != 0 && shnum == 0) {
            return "extended section numbering (e_shnum = 0, e_shstrndx = " + shstrndx
                    + "): jelf 0.9.0 does not support it";
        }
        if (shnum >= 0x8000 || shstrndx >= 0x8000) {
            return "e_shnum = " + shnum + ", e_shstrndx = " + shstrndx
                    + ": jelf 0.9.0 stores them in a Java short, which goes negative at 32768";
        }
        return null;
    }

    // ---------------------------------------------------------------- comparison

    /** Differences and failures over a set of files; thread-safe per file. */
    static final class Report {
        final String what;
        final Map<Path, String> limited = new ConcurrentHashMap<>(), jelfFailed = new ConcurrentHashMap<>(),
                oursFailed = new ConcurrentHashMap<>();
        final Map<Path, List<String>> differences = new ConcurrentHashMap<>();
        final Map<Path, Long> differenceCounts = new ConcurrentHashMap<>();
        final Map<Path, long[]> counted = new ConcurrentHashMap<>();
        /** Sections, symbols, relocations compared. */
        final long[] totals = new long[3];
        volatile boolean sawRel;

        Report(String what) {
            this.what = what;
        }

        int compared() {
            return counted.size();
        }

        void compare(Path file) {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(file);
            } catch (IOException e) {
                oursFailed.put(file, "cannot read: " + e);
                return;
            }
            Model ours;
            try (Source src = Source.map(file)) {
                ours = ours(ElfFile.parse(src));
            } catch (IOException | RuntimeException e) {
                oursFailed.put(file, describe(e));
                return;
            }
            Model theirs;
            try {
                theirs = jelf(bytes);
            } catch (Exception | LinkageError e) {
                String limitation = jelfLimitation(bytes);
                if (limitation != null) {
                    limited.put(file, limitation + " [jelf: " + describe(e) + "]");
                } else {
                    jelfFailed.put(file, describe(e));
                }
                return;
            }
            List<String> kept = new ArrayList<>();
            long[] count = {0};
            Differ d = (where, field, a, b) -> {
                if (count[0]++ < KEPT_PER_FILE) {
                    kept.add(file + ": " + where + ": " + field + " ours=" + a + " jelf=" + b);
                }
            };
            long[] sizes = diff(ours, theirs, d);
            if (count[0] > 0) {
                differences.put(file, kept);
                differenceCounts.put(file, count[0]);
            }
            counted.put(file, sizes);
            synchronized (totals) {
                for (int i = 0; i < 3; i++) {
                    totals[i] += sizes[i];
                }
            }
            if (ours.relocs.stream().anyMatch(r -> !r.rela)) {
                sawRel = true;
            }
        }

        String summary() {
            long diffs = differenceCounts.values().stream().mapToLong(Long::longValue).sum();
            return String.format("%s: %d files compared (%d sections, %d symbols, %d relocations), %d differences in %d"
                    + " files, %d skipped for a known jelf limitation, %d jelf failures, %d failures of our reader",
                    what, compared(), totals[0], totals[1], totals[2], diffs, differences.size(), limited.size(),
                    jelfFailed.size(), oursFailed.size());
        }

        void print() {
            System.out.println("[jelf differential] " + summary());
            limited.entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .forEach(e -> System.out.println("[jelf differential] skipped " + e.getKey() + ": " + e.getValue()));
        }

        void assertClean() {
            if (differences.isEmpty() && jelfFailed.isEmpty() && oursFailed.isEmpty()) {
                return;
            }
            StringBuilder m = new StringBuilder(summary());
            section(m, "our reader failed on", oursFailed);
            section(m, "jelf failed (no known jelf limitation) on", jelfFailed);
            if (!differences.isEmpty()) {
                m.append("\nfirst differences:");
                differences.entrySet().stream().sorted(Map.Entry.comparingByKey()).flatMap(e -> e.getValue().stream())
                        .limit(SHOWN).forEach(s -> m.append("\n  ").append(s));
            }
            section(m, "skipped (known jelf limitation)", limited);
            fail(m.toString());
        }

        private static void section(StringBuilder m, String title, Map<Path, String> files) {
            if (!files.isEmpty()) {
                m.append('\n').append(title).append(' ').append(files.size()).append(" files:");
                files.entrySet().stream().sorted(Map.Entry.comparingByKey()).limit(SHOWN)
                        .forEach(e -> m.append("\n  ").append(e.getKey()).append(": ").append(e.getValue()));
            }
        }

        private static String describe(Throwable e) {
            StackTraceElement[] st = e.getStackTrace();
            return e.getClass().getSimpleName() + ": " + e.getMessage() + (st.length > 0 ? " at " + st[0] : "");
        }
    }

    interface Differ {
        void difference(String where, String field, Object ours, Object jelf);
    }

    /** Reports every difference; returns the number of sections, symbols and relocations compared. */
    static long[] diff(Model a, Model b, Differ d) {
        check(d, "ELF header", "class", a.is64 ? "ELF64" : "ELF32", b.is64 ? "ELF64" : "ELF32");
        check(d, "ELF header", "e_type", a.type, b.type);
        check(d, "ELF header", "e_machine", a.machine, b.machine);
        check(d, "ELF header", "section count", a.sections.size(), b.sections.size());
        int n = Math.min(a.sections.size(), b.sections.size());
        for (int i = 0; i < n; i++) {
            Section x = a.sections.get(i), y = b.sections.get(i);
            String w = "section [" + i + "] " + x.name;
            check(d, w, "sh_name", x.name, y.name);
            check(d, w, "sh_type", x.type, y.type);
            checkHex(d, w, "sh_flags", x.flags, y.flags);
            checkHex(d, w, "sh_addr", x.addr, y.addr);
            checkHex(d, w, "sh_offset", x.offset, y.offset);
            checkHex(d, w, "sh_size", x.size, y.size);
            check(d, w, "sh_link", x.link, y.link);
            check(d, w, "sh_info", x.info, y.info);
            checkHex(d, w, "sh_addralign", x.align, y.align);
            checkHex(d, w, "sh_entsize", x.entsize, y.entsize);
        }
        long symbols = 0, relocations = 0;
        check(d, "symbol tables", "sections", a.symbols.stream().map(Symbols::section).collect(Collectors.toList()),
                b.symbols.stream().map(Symbols::section).collect(Collectors.toList()));
        for (int t = 0; t < Math.min(a.symbols.size(), b.symbols.size()); t++) {
            Symbols x = a.symbols.get(t), y = b.symbols.get(t);
            String w = "section [" + x.section + "] " + a.sections.get(x.section).name;
            check(d, w, "symbol count", x.name.length, y.name.length);
            for (int k = 0; k < Math.min(x.name.length, y.name.length); k++) {
                String ws = w + " symbol " + k + " " + x.name[k];
                check(d, ws, "st_name", x.name[k], y.name[k]);
                checkHex(d, ws, "st_value", x.value[k], y.value[k]);
                checkHex(d, ws, "st_size", x.size[k], y.size[k]);
                checkHex(d, ws, "st_info", x.info[k], y.info[k]);
                checkHex(d, ws, "st_other", x.other[k], y.other[k]);
                checkHex(d, ws, "st_shndx", x.shndx[k], y.shndx[k]);
                symbols++;
            }
        }
        check(d, "relocation sections", "sections", a.relocs.stream().map(Relocs::section).collect(Collectors.toList()),
                b.relocs.stream().map(Relocs::section).collect(Collectors.toList()));
        for (int t = 0; t < Math.min(a.relocs.size(), b.relocs.size()); t++) {
            Relocs x = a.relocs.get(t), y = b.relocs.get(t);
            String w = "section [" + x.section + "] " + a.sections.get(x.section).name;
            check(d, w, "SHT_RELA", x.rela, y.rela);
            check(d, w, "relocation count", x.offset.length, y.offset.length);
            for (int k = 0; k < Math.min(x.offset.length, y.offset.length); k++) {
                String wr = w + " relocation " + k;
                checkHex(d, wr, "r_offset", x.offset[k], y.offset[k]);
                check(d, wr, "type", x.type[k], y.type[k]);
                check(d, wr, "symbol", x.symbol[k], y.symbol[k]);
                checkHex(d, wr, "r_addend", x.addend[k], y.addend[k]);
                relocations++;
            }
        }
        return new long[] {n, symbols, relocations};
    }

    private static void check(Differ d, String where, String field, Object ours, Object jelf) {
        if (!java.util.Objects.equals(ours, jelf)) {
            d.difference(where, field, ours, jelf);
        }
    }

    private static void checkHex(Differ d, String where, String field, long ours, long jelf) {
        if (ours != jelf) {
            d.difference(where, field, "0x" + Long.toHexString(ours), "0x" + Long.toHexString(jelf));
        }
    }

    @Test
    void differCatchesADifference() {
        // The comparison must be able to fail: one flipped field is reported with both values.
        Model a = new Model(true, 1, 62, List.of(new Section("", 0, 0, 0, 0, 0, 0, 0, 0, 0),
                new Section(".text", 1, 6, 0, 64, 16, 0, 0, 16, 0)), List.of(), List.of(new Relocs(1, true,
                        new long[] {4}, new int[] {4}, new int[] {7}, new long[] {-4})));
        Model b = new Model(true, 1, 62, a.sections, List.of(), List.of(new Relocs(1, true,
                new long[] {4}, new int[] {4}, new int[] {7}, new long[] {-5})));
        List<String> seen = new ArrayList<>();
        diff(a, b, (w, f, x, y) -> seen.add(w + ": " + f + " ours=" + x + " jelf=" + y));
        assertEquals(List.of("section [1] .text relocation 0: r_addend ours=0xfffffffffffffffc jelf=0xfffffffffffffffb"),
                seen);
        assertNull(jelfLimitation(new byte[64]), "a zero header is no jelf limitation");
    }
}
