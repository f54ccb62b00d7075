package patchsites.collector.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import patchsites.collector.cli.Main;
import patchsites.fixtures.Tools;

/**
 * Linked programs at a kernel's addresses ({@code ld -Ttext=0xffffffff81000000}): every address is
 * negative as a Java long, so any signed comparison of addresses, bounds or section ranges breaks
 * here. Built with gcc and ld like a kernel ({@code -mcmodel=kernel}); the table is written by
 * {@code emit} into the object before the link, and the number of sites is counted independently
 * in objdump's disassembly of the linked program.
 */
class UpperHalfLinkTest {
    static final String BASE = "0xffffffff81000000";

    /** Two static-call sites (one call, one tail call) of __SCT__tick, and __fentry__ calls from -pg. */
    static final String SOURCE = """
            void __SCT__tick(void);
            long __SCK__tick;
            long hits;
            __attribute__((noinline)) void calls(void) { __SCT__tick(); hits++; }
            __attribute__((noinline)) void tails(void) { __SCT__tick(); }
            void _start(void) { calls(); tails(); for (;;) { } }
            """;
    static final String TRAMPOLINE = """
            .text
            .globl __SCT__tick, __fentry__, other
            __SCT__tick: ret
            __fentry__: ret
            other: ret
            """;
    /** The table inside another output section, between its bounds (as the kernel's vmlinux.lds does). */
    static final String BOUNDS_SCRIPT = """
            SECTIONS {
              .kdata : {
                __start_static_call_sites = .;
                KEEP(*(.static_call_sites))
                __stop_static_call_sites = .;
              }
            } INSERT AFTER .data;
            """;

    @TempDir
    Path tmp;

    @BeforeEach
    void build() {
        Tools.write(tmp, "prog.c", SOURCE);
        Tools.write(tmp, "tramp.s", TRAMPOLINE);
        Tools.write(tmp, "bounds.ld", BOUNDS_SCRIPT);
        Tools.compileC(tmp.resolve("prog.c"), "prog.o", "-mcmodel=kernel", "-fno-pic", "-pg", "-mfentry",
                "-mrecord-mcount");
        Tools.gcc(tmp.resolve("tramp.s"), "tramp.o");
        assertEquals(0, cli("emit", "--target=__SCT__*", "--section=.static_call_sites", "--layout=site-key",
                "--key-prefix=__SCT__=__SCK__", "--in-place", tmp.resolve("prog.o").toString()).rc);
    }

    @Test
    void tableInItsOwnSectionAudits() {
        link("own", false);
        String out = assertClean("own", 2, "emitted");
        assertTrue(out.contains("(missing/extra checked by relocations)"), out);
    }

    @Test
    void withoutRelocationsTheCodeIsDecoded() {
        Tools.ok(tmp, "ld", "-Ttext=" + BASE, "-e", "_start", "-o", "norel", "prog.o", "tramp.o");
        assertTrue(!Tools.ok(tmp, "readelf", "-SW", "norel").contains(".rela.text"));
        String out = assertClean("norel", 2, "decoded");
        assertTrue(out.contains("checked by decoding each function"), out);
    }

    /** --kernel on a program at kernel addresses: the static-call table between bounds and gcc's __mcount_loc. */
    @Test
    void kernelTablesOfAnUpperHalfProgram() {
        link("bounded", true);
        String dis = Tools.ok(tmp, "objdump", "-d", "bounded");
        long fentryCalls = dis.lines().filter(l -> l.matches(".*\\bcall\\s+\\p{XDigit}+ <__fentry__>.*")).count();
        assertTrue(fentryCalls >= 3, dis);
        Run r = cli("audit", "--kernel", "--verbose", tmp.resolve("bounded").toString());
        assertEquals(0, r.rc, r.out + r.err);
        assertTrue(r.out.contains("bounded: .static_call_sites: 2 entries; 0 invalid, 0 missing, 0 extra, 0 duplicates"
                + " (checked by relocations)"), r.out);
        assertTrue(r.out.contains("bounded: __mcount_loc: " + fentryCalls + " entries; 0 invalid, 0 missing, 0 extra"),
                r.out);
    }

    @Test
    void tableBetweenUpperHalfBoundsAudits() {
        link("bounded", true);
        String nm = Tools.ok(tmp, "nm", "bounded");
        assertTrue(Pattern.compile("(?m)^ffffffff8\\p{XDigit}+ \\w __start_static_call_sites$").matcher(nm).find(), nm);
        assertClean("bounded", 2, "emitted");
    }

    @Test
    void planFindsTheKeyAndTargetAtUpperHalfAddresses() {
        link("bounded", true);
        Run r = cli("plan", "--section=.static_call_sites", "--layout=site-key", "--key=__SCK__tick", "--to=other",
                tmp.resolve("bounded").toString());
        assertEquals(0, r.rc, r.out + r.err);
        assertTrue(r.out.contains(": 2 sites of __SCK__tick (0xffffffff8"), r.out);
    }

    private void link(String out, boolean bounds) {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("ld", "-Ttext=" + BASE,
                "--emit-relocs", "-e", "_start", "-o", out, "prog.o", "tramp.o"));
        if (bounds) {
            cmd.add("-T");
            cmd.add("bounds.ld");
        }
        Tools.ok(tmp, cmd.toArray(String[]::new));
        String sections = Tools.ok(tmp, "readelf", "-SW", out);
        assertTrue(sections.contains(bounds ? ".kdata" : ".static_call_sites"), sections);
    }

    /** Audit exits 0 with {@code entries} entries, and objdump shows exactly that many branches to __SCT__tick. */
    private String assertClean(String prog, int entries, String why) {
        String dis = Tools.ok(tmp, "objdump", "-d", "--no-show-raw-insn", prog);
        Matcher m = Pattern.compile("(?m)^\\s*ffffffff8\\p{XDigit}+:\\s+(call|jmp)\\s+\\p{XDigit}+ <__SCT__tick>").matcher(dis);
        int branches = 0;
        while (m.find()) {
            branches++;
        }
        assertEquals(entries, branches, dis);
        Run r = cli("audit", "--section=.static_call_sites", "--layout=site-key", "--key-prefix=__SCT__=__SCK__",
                tmp.resolve(prog).toString());
        assertEquals(0, r.rc, why + ": " + r.out + r.err);
        assertTrue(r.out.contains(": .static_call_sites: " + entries + " entries"), r.out);
        assertTrue(r.out.contains("0 invalid, 0 missing, 0 extra, 0 duplicates"), r.out);
        return r.out;
    }

    record Run(int rc, String out, String err) {}

    static Run cli(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(rc, out.toString(), err.toString());
    }
}
