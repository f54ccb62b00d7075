package patchsites.collector.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import patchsites.collector.cli.Main;
import patchsites.fixtures.Cross;
import patchsites.fixtures.Tools;

/**
 * audit without --target derives the targets from the table's own sites; it must follow a
 * relocation to its target by the scan's rule. ppc32 -fPIC calls go through R_PPC_PLTREL24 with
 * the GOT-pointer offset 0x8000 as addend, which says nothing about the target: the audit once
 * read it as "8000 bytes into the target" and called emit's own entries invalid and extra.
 */
class AuditDerivedTargetsTest {
    private static final String SOURCE = """
            extern long __SCT__a(long);
            extern long __SCT__b(long);
            long one(long x) { return __SCT__a(x) + 1; }
            long two(long x) { return __SCT__b(x) * 3 + __SCT__a(x); }
            """;

    @TempDir
    Path tmp;

    @Test
    void ppc32PicTableAuditsCleanWithoutTargets() {
        Tools.write(tmp, "pic.c", SOURCE);
        Path obj = Cross.PPC32.compile(tmp.resolve("pic.c"), "pic.o", "-O2", "-fPIC", "-fno-asynchronous-unwind-tables");
        // Independently of patchsites: the calls are PLTREL24 relocations whose addend is 0x8000.
        String relocs = Cross.PPC32.relocations(obj);
        Matcher m = Pattern.compile("R_PPC_PLTREL24\\s+__SCT__[ab]\\+0x0*8000\\b").matcher(relocs);
        int calls = 0;
        while (m.find()) {
            calls++;
        }
        assertEquals(3, calls, relocs);

        String[] emitted = run("emit", "--target=__SCT__*", "--section=.test_sites", "--layout=site", "--in-place",
                obj.toString());
        assertEquals("0", emitted[0], emitted[2]);
        String[] audit = run("audit", "--section=.test_sites", "--layout=site", obj.toString());
        assertTrue(audit[1].contains(": 3 entries;"), audit[1]);
        assertTrue(audit[1].contains("0 invalid, 0 missing, 0 extra, 0 duplicates"), audit[1] + audit[2]);
        assertEquals("0", audit[0], audit[1] + audit[2]);
    }

    /** Exit status, stdout and stderr of one patchsites command. */
    private static String[] run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new String[] {String.valueOf(rc), out.toString(), err.toString()};
    }
}
