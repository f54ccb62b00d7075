package patchsites.collector.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import patchsites.collector.cli.Main;
import patchsites.fixtures.Tools;

/**
 * The catalogue of malformed objects: each test crafts one broken file, from a gcc-built object by
 * patching bytes or from scratch, and names the exact line patchsites must print for it
 * ({@code patchsites: FILE: error: what is wrong}, exit status 2, nothing else on stderr or stdout). The
 * section layout is read from the object's bytes here, independently of the reader under test.
 */
class MalformedObjectTest {
    /** Static calls, a tail call, a data reference: relocations against targets in .text and .data. */
    private static final String SOURCE = """
            extern long __SCT__foo(long);
            extern long __SCT__bar(long);
            long a(long x) { return __SCT__foo(x) + 1; }
            long b(long x) { return __SCT__bar(x + 1); }
            void *p = &__SCT__foo;
            """;

    @TempDir
    Path dir;

    private Path good;
    private byte[] bytes;

    @BeforeEach
    void build() throws IOException {
        good = Tools.compileC(Tools.write(dir, "good.c", SOURCE), "good.o", "-fno-pic", "-mcmodel=kernel");
        bytes = Files.readAllBytes(good);
        assertEquals(List.of(), run("scan", "--target=__SCT__*", good.toString()).errors, "the unpatched object is fine");
    }

    // ---- the object's layout, read here from its bytes (ELF64 little-endian, as gcc writes it) ----

    private ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    private long shoff() {
        return le(bytes).getLong(40);
    }

    private int shnum() {
        return le(bytes).getShort(60) & 0xffff;
    }

    /** Offset of section header {@code i} in the file. */
    private int shdr(int i) {
        return (int) shoff() + 64 * i;
    }

    private int section(String name) {
        ByteBuffer b = le(bytes);
        int strndx = b.getShort(62) & 0xffff;
        long strOff = b.getLong(shdr(strndx) + 24);
        for (int i = 1; i < shnum(); i++) {
            int at = (int) strOff + b.getInt(shdr(i));
            int end = at;
            while (bytes[end] != 0) {
                end++;
            }
            if (new String(bytes, at, end - at, StandardCharsets.UTF_8).equals(name)) {
                return i;
            }
        }
        throw new AssertionError("no section " + name);
    }

    private long offsetOf(int sec) {
        return le(bytes).getLong(shdr(sec) + 24);
    }

    private long sizeOf(int sec) {
        return le(bytes).getLong(shdr(sec) + 32);
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    /** A copy of the good object with {@code patch} applied, written as {@code name}. */
    private Path craft(String name, java.util.function.Consumer<ByteBuffer> patch) throws IOException {
        byte[] b = bytes.clone();
        patch.accept(le(b));
        return Files.write(dir.resolve(name), b);
    }

    // ---- running patchsites ----

    private record Run(int rc, String out, List<String> errors, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        List<String> errors = err.toString().lines().filter(l -> !l.contains(": warning: ")).toList();
        return new Run(rc, out.toString(), errors, err.toString());
    }

    /** scan (with references, so that every relocation section is read) prints exactly this line. */
    private static void assertScanSays(Path file, String message) {
        assertSays(file, message, "scan", "--target=__SCT__*", "--include-refs");
    }

    /** emit prints exactly this line and leaves the file as it was. */
    private static void assertEmitSays(Path file, String message) throws IOException {
        byte[] before = Files.readAllBytes(file);
        assertSays(file, message, "emit", "--target=__SCT__*", "--section=.static_call_sites", "--layout=site-key",
                "--in-place");
        assertTrue(Arrays.equals(before, Files.readAllBytes(file)), "emit changed a file it rejected");
    }

    private static void assertSays(Path file, String message, String... command) {
        List<String> args = new ArrayList<>(List.of(command));
        args.add(file.toString());
        Run r = run(args.toArray(String[]::new));
        assertEquals(List.of("patchsites: " + file + ": error: " + message), r.errors, () -> String.join(" ", args) + "\n" + r.err);
        assertEquals(2, r.rc, r.err);
        if (command[0].equals("scan")) {
            assertEquals("0 sites in 0 objects", r.out.strip(), "a rejected object prints no sites");
        }
    }

    // ---- the catalogue ----

    @Test
    void truncatedHeader() throws IOException {
        assertScanSays(Files.write(dir.resolve("t40.o"), Arrays.copyOf(bytes, 40)), "truncated ELF header (40 bytes, need 64)");
        assertScanSays(Files.write(dir.resolve("t10.o"), Arrays.copyOf(bytes, 10)), "truncated ELF header (10 bytes)");
        assertEmitSays(Files.write(dir.resolve("t63.o"), Arrays.copyOf(bytes, 63)), "truncated ELF header (63 bytes, need 64)");
    }

    @Test
    void sectionHeaderTablePastTheEnd() throws IOException {
        long past = bytes.length + 0x1000L;
        assertScanSays(craft("shoff.o", b -> b.putLong(40, past)),
                "section header table at " + hex(past) + " is past the end of the file");
        assertScanSays(craft("shnum.o", b -> b.putShort(60, (short) 0x7fff)),
                "section header table (32767 entries at " + hex(shoff()) + ") runs past the end of the file");
        // Cut in the middle of the table: the header claims more than the file holds.
        Path cut = Files.write(dir.resolve("cut.o"), Arrays.copyOf(bytes, shdr(shnum() - 1) + 10));
        assertEmitSays(cut, "section header table (" + shnum() + " entries at " + hex(shoff())
                + ") runs past the end of the file");
    }

    @Test
    void sectionDataPastTheEnd() throws IOException {
        int text = section(".text");
        assertScanSays(craft("data.o", b -> b.putLong(shdr(text) + 32, 0x100000)),
                "section " + text + " (.text) data [" + hex(offsetOf(text)) + ", +0x100000) lies past the end of the file ("
                        + hex(bytes.length) + " bytes)");
        // An offset of 2^63 and more is negative as a Java long: still past the end, not a crash.
        assertScanSays(craft("negative.o", b -> b.putLong(shdr(text) + 24, Long.MIN_VALUE)),
                "section " + text + " (.text) data [" + hex(Long.MIN_VALUE) + ", +" + hex(sizeOf(text))
                        + ") lies past the end of the file (" + hex(bytes.length) + " bytes)");
    }

    @Test
    void linkAndInfoOutOfRange() throws IOException {
        int symtab = section(".symtab"), rela = section(".rela.text"), text = section(".text");
        assertScanSays(craft("link.o", b -> b.putInt(shdr(symtab) + 40, 99)),
                "section " + symtab + " (.symtab): sh_link 99 out of range (" + shnum() + " sections)");
        assertScanSays(craft("info.o", b -> b.putInt(shdr(rela) + 44, -1)),
                "section " + rela + " (.rela.text): sh_info 4294967295 out of range (" + shnum() + " sections)");
        // In range, but of the wrong kind.
        assertScanSays(craft("linkkind.o", b -> b.putInt(shdr(symtab) + 40, text)),
                "section " + symtab + " (.symtab): sh_link " + text + " is not a string table (section " + text
                        + " (.text) is SHT_PROGBITS)");
        assertScanSays(craft("relalink.o", b -> b.putInt(shdr(rela) + 40, text)),
                "section " + rela + " (.rela.text): sh_link " + text + " is not a symbol table (section " + text
                        + " (.text) is SHT_PROGBITS)");
        assertEmitSays(craft("infokind.o", b -> b.putInt(shdr(rela) + 44, symtab)),
                "section " + rela + " (.rela.text): sh_info " + symtab + " names section " + symtab
                        + " (.symtab), a SHT_SYMTAB section, which relocations cannot patch");
    }

    @Test
    void symbolIndexOutOfRange() throws IOException {
        int rela = section(".rela.text"), symtab = section(".symtab");
        long symbols = sizeOf(symtab) / 24;
        assertScanSays(craft("sym.o", b -> b.putInt((int) offsetOf(rela) + 12, 0x7fffffff)),
                ".rela.text entry 0: symbol index 2147483647 out of range (.symtab has " + symbols + " symbols)");
        // emit renumbers every relocation that names .symtab, and checks each on the way.
        int data = section(".rela.data");
        assertEmitSays(craft("symdata.o", b -> b.putInt((int) offsetOf(data) + 12, (int) symbols)),
                ".rela.data entry 0: symbol index " + symbols + " out of range (.symtab has " + symbols + " symbols)");
    }

    @Test
    void relocationOffsetPastItsSection() throws IOException {
        int rela = section(".rela.text"), text = section(".text");
        // Entry 0 of .rela.text is the call in a(): it names a target, so the scan decodes at its offset.
        assertScanSays(craft("roff.o", b -> b.putLong((int) offsetOf(rela), 0x10000)),
                ".rela.text entry 0: offset 0x10000 is outside .text (" + hex(sizeOf(text)) + " bytes)");
    }

    @Test
    void relocationOffsetPastItsSectionInThePointerScan() throws IOException {
        // The pointer scan reads the same relocations (.rela.text's call names __SCT__foo, .rela.data
        // takes its address into p) and says the same line: it once said less, or nothing for data.
        int rela = section(".rela.text"), text = section(".text"), relaData = section(".rela.data"),
                data = section(".data");
        assertSays(craft("proff.o", b -> b.putLong((int) offsetOf(rela), 0x10000)),
                ".rela.text entry 0: offset 0x10000 is outside .text (" + hex(sizeOf(text)) + " bytes)",
                "pointers", "--pointer=__SCT__foo");
        assertSays(craft("pdoff.o", b -> b.putLong((int) offsetOf(relaData), 0x10000)),
                ".rela.data entry 0: offset 0x10000 is outside .data (" + hex(sizeOf(data)) + " bytes)",
                "pointers", "--pointer=__SCT__foo");
    }

    @Test
    void wrongEntrySize() throws IOException {
        int symtab = section(".symtab"), rela = section(".rela.text");
        assertScanSays(craft("symentsize.o", b -> b.putLong(shdr(symtab) + 56, 16)),
                "section .symtab: sh_entsize is 16, expected 24");
        assertScanSays(craft("relentsize.o", b -> b.putLong(shdr(rela) + 56, 0)),
                "section .rela.text: sh_entsize is 0, expected 24");
        assertScanSays(craft("relsize.o", b -> b.putLong(shdr(rela) + 32, sizeOf(rela) - 1)),
                "section .rela.text: size " + (sizeOf(rela) - 1) + " is not a multiple of its entry size 24");
    }

    @Test
    void sectionCountAndExtendedNumberingInconsistent() throws IOException {
        int n = shnum(), strndx = le(bytes).getShort(62) & 0xffff;
        // e_shnum 0 says "look in section header 0", which says nothing.
        assertScanSays(craft("noshnum.o", b -> b.putShort(60, (short) 0)),
                "e_shnum is 0 and section header 0 gives no count (sh_size 0), but e_shoff is " + hex(shoff()));
        // Both places give a count, and they differ.
        assertScanSays(craft("twocounts.o", b -> b.putLong(shdr(0) + 32, n + 5)),
                "e_shnum is " + n + " but section header 0 says " + (n + 5) + " sections (sh_size)");
        // Extended count of 2^63: negative as a long, must not become an array size.
        assertScanSays(craft("hugecount.o", b -> {
            b.putShort(60, (short) 0);
            b.putLong(shdr(0) + 32, Long.MIN_VALUE);
        }), "section header table (9223372036854775808 entries at " + hex(shoff()) + ") runs past the end of the file");
        // ...and of 2^64 - 1: (int) -1 was an array size (NegativeArraySizeException).
        assertScanSays(craft("minusone.o", b -> {
            b.putShort(60, (short) 0);
            b.putLong(shdr(0) + 32, -1L);
        }), "section header table (18446744073709551615 entries at " + hex(shoff()) + ") runs past the end of the file");
        assertScanSays(craft("reservedshnum.o", b -> b.putShort(60, (short) 0xff00)),
                "e_shnum 0xff00 is a reserved value (a count that large goes in section header 0)");
        // SHN_XINDEX: the name table's index is in section header 0's sh_link.
        assertScanSays(craft("xindex.o", b -> {
            b.putShort(62, (short) 0xffff);
            b.putInt(shdr(0) + 40, 0x7fffffff);
        }), "section name table index 2147483647 out of range (" + n + " sections)");
        assertScanSays(craft("reservedstrndx.o", b -> b.putShort(62, (short) 0xff05)),
                "e_shstrndx 0xff05 is a reserved section index");
        assertScanSays(craft("twostrndx.o", b -> b.putInt(shdr(0) + 40, strndx - 1)),
                "e_shstrndx is " + strndx + " but section header 0 says " + (strndx - 1) + " (sh_link)");
        // The same, consistent, is fine: extended numbering with the counts only in section header 0.
        Path extended = craft("extended.o", b -> {
            b.putShort(60, (short) 0);
            b.putLong(shdr(0) + 32, n);
            b.putShort(62, (short) 0xffff);
            b.putInt(shdr(0) + 40, strndx);
        });
        Run ok = run("scan", "--target=__SCT__*", "--json", extended.toString());
        assertEquals(0, ok.rc, ok.err);
        String expected = run("scan", "--target=__SCT__*", "--json", good.toString()).out;
        assertTrue(expected.contains("__SCT__foo"), expected);
        assertEquals(expected.replace(good.toString(), extended.toString()), ok.out);
        // A symbol that says SHN_XINDEX needs SHT_SYMTAB_SHNDX.
        int symtab = section(".symtab");
        int fn = symbolNamed("a");
        assertScanSays(craft("symxindex.o", b -> b.putShort((int) offsetOf(symtab) + fn * 24 + 6, (short) 0xffff)),
                ".symtab: symbol " + fn + " says SHN_XINDEX but there is no SHT_SYMTAB_SHNDX");
    }

    private int symbolNamed(String name) {
        int symtab = section(".symtab"), strtab = section(".strtab");
        ByteBuffer b = le(bytes);
        for (int i = 1; i < sizeOf(symtab) / 24; i++) {
            int at = (int) offsetOf(strtab) + b.getInt((int) offsetOf(symtab) + i * 24);
            int end = at;
            while (bytes[end] != 0) {
                end++;
            }
            if (new String(bytes, at, end - at, StandardCharsets.UTF_8).equals(name)) {
                return i;
            }
        }
        throw new AssertionError("no symbol " + name);
    }

    @Test
    void stringTableWithoutTerminator() throws IOException {
        int strtab = section(".strtab"), shstrtab = section(".shstrtab");
        long end = offsetOf(strtab) + sizeOf(strtab) - 1;
        assertScanSays(craft("strtab.o", b -> b.put((int) end, (byte) 'x')),
                "string table of .symtab (section " + strtab + ") does not end with a NUL byte");
        long shEnd = offsetOf(shstrtab) + sizeOf(shstrtab) - 1;
        assertScanSays(craft("shstrtab.o", b -> b.put((int) shEnd, (byte) 'x')),
                "section name table (section " + shstrtab + ") does not end with a NUL byte");
    }

    @Test
    void overlappingSections() throws IOException {
        int text = section(".text"), rela = section(".rela.text"), comment = section(".comment");
        long textEnd = offsetOf(text) + sizeOf(text);
        // A relocation section over code: rewriting one would silently change the other.
        assertScanSays(craft("overlap.o", b -> b.putLong(shdr(rela) + 24, offsetOf(text) + 8)),
                "section " + text + " (.text) [" + hex(offsetOf(text)) + ", " + hex(textEnd) + ") overlaps section "
                        + rela + " (.rela.text) [" + hex(offsetOf(text) + 8) + ", " + hex(offsetOf(text) + 8 + sizeOf(rela))
                        + ")");
        // Over the ELF header.
        assertEmitSays(craft("header.o", b -> b.putLong(shdr(rela) + 24, 0x10)),
                "the ELF header [0x0, 0x40) overlaps section " + rela + " (.rela.text) [0x10, " + hex(0x10 + sizeOf(rela))
                        + ")");
        // Over the section header table.
        assertScanSays(craft("shdrs.o", b -> b.putLong(shdr(comment) + 24, shoff() + 64)),
                "the section header table [" + hex(shoff()) + ", " + hex(shoff() + 64L * shnum()) + ") overlaps section "
                        + comment + " (.comment) [" + hex(shoff() + 64) + ", " + hex(shoff() + 64 + sizeOf(comment)) + ")");
        // Empty sections share offsets in every real object; that is no overlap.
        Path empty = craft("empty.o", b -> {
            int bss = section(".bss");
            b.putLong(shdr(bss) + 24, offsetOf(text));
        });
        assertEquals(0, run("scan", "--target=__SCT__*", empty.toString()).rc);
    }

    @Test
    void executableNobits() throws IOException {
        int text = section(".text"), rela = section(".rela.text");
        assertScanSays(craft("nobits.o", b -> b.putInt(shdr(text) + 4, 8)),
                "section " + rela + " (.rela.text) relocates section " + text + " (.text), which is SHT_NOBITS and has no"
                        + " contents");
    }

    @Test
    void archiveMemberSizePastTheEnd() throws IOException {
        Tools.ok(dir, "ar", "rcS", "lib.a", "good.o");
        byte[] a = Files.readAllBytes(dir.resolve("lib.a"));
        byte[] size = String.format("%-10d", a.length).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(size, 0, a, 8 + 48, 10);
        Path bad = Files.write(dir.resolve("bad.a"), a);
        assertScanSays(bad, "archive member good.o/ at 0x8: size " + a.length + " runs past the end of the archive");
        // A header cut short.
        Path cut = Files.write(dir.resolve("cut.a"), Arrays.copyOf(Files.readAllBytes(dir.resolve("lib.a")), 8 + 30));
        assertScanSays(cut, "archive member header at 0x8 is truncated");
    }

    @Test
    void thinArchiveMemberMissing() throws IOException {
        Path sub = Files.createDirectories(dir.resolve("sub"));
        Files.copy(good, sub.resolve("gone.o"));
        Tools.ok(sub, "ar", "rcST", "thin.a", "gone.o");
        Files.delete(sub.resolve("gone.o"));
        Path thin = sub.resolve("thin.a");
        assertScanSays(thin, "thin archive member gone.o is missing (" + sub.toAbsolutePath().resolve("gone.o") + ")");
    }

    /** Beyond the brief's list: what the fuzzer and the review found (docs/robustness.md). */
    @Test
    void archivesNestedWithoutEnd() throws IOException {
        // 40 archives, each the only member of the next: would recurse once per level.
        byte[] inner = bytes;
        for (int level = 0; level < 40; level++) {
            inner = archiveOf("n.a/", inner);
        }
        Path deep = Files.write(dir.resolve("deep.a"), inner);
        Run d = run("scan", "--target=__SCT__*", deep.toString());
        assertEquals(2, d.rc, d.err);
        assertEquals(List.of("patchsites: " + deep + "(" + String.join("/", java.util.Collections.nCopies(16, "n.a"))
                + "): error: archives nested more than 16 deep"), d.errors);
        // A thin archive whose member is the archive itself: would recurse until the stack overflows.
        byte[] self = thinArchiveOf("self.a/", 68);
        assertEquals(68, self.length);
        Path selfPath = Files.write(dir.resolve("self.a"), self);
        Run r = run("scan", "--target=__SCT__*", selfPath.toString());
        assertEquals(2, r.rc, r.err);
        assertEquals(List.of("patchsites: " + selfPath + "(" + String.join("/",
                java.util.Collections.nCopies(16, "self.a")) + "): error: archives nested more than 16 deep"), r.errors);
    }

    private static byte[] archiveOf(String name, byte[] member) {
        byte[] header = String.format("%-16s%-12s%-6s%-6s%-8s%-10d`\n", name, "0", "0", "0", "644", member.length)
                .getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[8 + header.length + member.length + (member.length & 1)];
        System.arraycopy("!<arch>\n".getBytes(StandardCharsets.US_ASCII), 0, out, 0, 8);
        System.arraycopy(header, 0, out, 8, header.length);
        System.arraycopy(member, 0, out, 8 + header.length, member.length);
        if ((member.length & 1) != 0) {
            out[out.length - 1] = '\n';
        }
        return out;
    }

    private static byte[] thinArchiveOf(String name, int size) {
        String s = "!<thin>\n" + String.format("%-16s%-12s%-6s%-6s%-8s%-10d`\n", name, "0", "0", "0", "644", size);
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void emitRefusesWhatItCannotRewriteFaithfully() throws IOException {
        int text = section(".text");
        assertEmitSays(craft("align.o", b -> b.putLong(shdr(text) + 48, 3)),
                "section " + text + " (.text): sh_addralign 3 is not a power of two");
        assertEmitSays(craft("phdrs.o", b -> b.putShort(56, (short) 1)), "relocatable object with program headers (e_phnum 1)");
        // Two relocation sections for .text: which one would emit renumber, which one would the linker use?
        int rela = section(".rela.text"), data = section(".rela.data");
        Path twice = craft("twice.o", b -> b.putInt(shdr(data) + 44, text));
        assertEmitSays(twice, "sections " + rela + " and " + data + " both relocate section " + text + " (.text)");
        // A table name that is taken by something that is not a table.
        Run r = run("emit", "--target=__SCT__*", "--section=.text", "--layout=site", "--in-place", good.toString());
        assertEquals(List.of("patchsites: " + good + ": error: section .text exists and is not a table that emit may replace"
                + " (executable)"), r.errors);
        // An alignment of 2^40 is legal ELF; the rewritten file is not padded to a terabyte for it.
        Path huge = craft("huge.o", b -> b.putLong(shdr(section(".data")) + 48, 1L << 40));
        Run ok = run("emit", "--target=__SCT__*", "--section=.static_call_sites", "--layout=site-key", "--in-place",
                huge.toString());
        assertEquals(0, ok.rc, ok.err);
        assertTrue(Files.size(huge) < 2L * bytes.length + 4096, () -> "emitted " + huge + " is large");
    }

    /**
     * Issue 13, item 21: a bad symbol index in a relocation section the scan never reads (data,
     * __dyndbg) is rejected by emit also when emit has no section symbols to add, i.e. when it
     * would otherwise copy the section unread: here, the second emit of an object.
     */
    @Test
    void emitChecksRelocationsItDoesNotRenumber() throws IOException {
        Path once = Files.copy(good, dir.resolve("once.o"));
        Run first = run("emit", "--target=__SCT__*", "--section=.static_call_sites", "--layout=site-key", "--in-place",
                once.toString());
        assertEquals(0, first.rc, first.err);
        bytes = Files.readAllBytes(once); // the layout helpers now read the emitted object
        Run again = run("-v", "emit", "--target=__SCT__*", "--section=.static_call_sites", "--layout=site-key",
                "--in-place", once.toString());
        assertEquals(0, again.rc, again.err);
        assertTrue(!again.out.contains("section symbol"), "nothing to renumber the second time: " + again.out);
        int data = section(".rela.data");
        long symbols = sizeOf(section(".symtab")) / 24;
        assertEmitSays(craft("dyndbg.o", b -> b.putInt((int) offsetOf(data) + 12, 100000)),
                ".rela.data entry 0: symbol index 100000 out of range (.symtab has " + symbols + " symbols)");
    }

    /** A compressed .text holds a compression header and deflated bytes, not instructions: rejected, not decoded. */
    @Test
    void compressedCodeIsRejected() throws IOException {
        int text = section(".text");
        Path compressed = craft("compressed.o", b -> b.putLong(shdr(text) + 8, b.getLong(shdr(text) + 8) | 0x800));
        String message = ".rela.text relocates .text, which is compressed (SHF_COMPRESSED): code must be uncompressed"
                + " to be scanned";
        assertScanSays(compressed, message);
        assertEmitSays(compressed, message);
    }

    /** Values read from the file are unsigned: never printed as negative numbers. */
    @Test
    void largeValuesArePrintedUnsigned() throws IOException {
        int n = shnum(), rela = section(".rela.text"), symtab = section(".symtab");
        assertScanSays(craft("hugesize0.o", b -> b.putLong(shdr(0) + 32, 0xd00dfeed00000000L)),
                "e_shnum is " + n + " but section header 0 says " + Long.toUnsignedString(0xd00dfeed00000000L)
                        + " sections (sh_size)");
        assertScanSays(craft("minusonesym.o", b -> b.putInt((int) offsetOf(rela) + 12, -1)),
                ".rela.text entry 0: symbol index 4294967295 out of range (.symtab has " + sizeOf(symtab) / 24
                        + " symbols)");
    }
}
