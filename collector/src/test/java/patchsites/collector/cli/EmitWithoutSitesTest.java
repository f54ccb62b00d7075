package patchsites.collector.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import patchsites.collector.cli.CliPolishTest.Run;
import patchsites.fixtures.Tools;

/**
 * What a kernel builder expects when there is nothing to record (issue 13, item 8, decided in
 * docs/cli.md): objtool writes no {@code .static_call_sites} into a module without static calls,
 * and neither does emit; a {@code --target} that matched no symbol in any input (a misspelled
 * glob) is a warning, not a silent empty result. Sections are read back with readelf.
 */
class EmitWithoutSitesTest {
    @TempDir
    Path dir;

    private static Run run(String... args) {
        return CliPolishTest.run(args);
    }

    private Path object(String name, String source) {
        return Tools.compileC(Tools.write(dir, name + ".c", source), name + ".o", "-O2", "-fno-pic");
    }

    private Path noSites() {
        return object("plain", "extern long other(long);\nlong f(long x) { return other(x) + 1; }\n");
    }

    private Path withSites() {
        return object("sites", "extern long ext(long);\nlong g(long x) { return ext(x) + 2; }\n");
    }

    /** readelf's section names of {@code obj}. */
    private static String sections(Path obj) {
        return Tools.ok(obj.getParent(), "readelf", "-S", "-W", obj.toString());
    }

    @Test
    void anObjectWithoutSitesIsLeftAsItIsAndGetsNoSection() throws IOException {
        Path obj = noSites();
        byte[] before = Files.readAllBytes(obj);
        FileTime old = FileTime.fromMillis(1_000_000_000_000L);
        Files.setLastModifiedTime(obj, old);
        Run r = run("-v", "emit", "--target=ext", "--section=.ext_sites", "--layout=site", "--in-place", obj.toString());
        assertEquals(new Run(0, obj + ": 0 entries in .ext_sites (site): no sites, no section written\n",
                unmatched("--target=ext")), r, r::describe);
        assertArrayEquals(before, Files.readAllBytes(obj));
        assertEquals(old, Files.getLastModifiedTime(obj), "not rewritten: make sees no change");
        assertFalse(sections(obj).contains(".ext_sites"), sections(obj));

        // -o: the output is the object as it is.
        Path out = dir.resolve("out.o");
        assertEquals(0, run("-q", "emit", "--target=ext", "--section=.ext_sites", "--layout=site", "-o", out.toString(),
                obj.toString()).rc());
        assertArrayEquals(before, Files.readAllBytes(out));
    }

    @Test
    void anObjectWithoutATableAuditsAsAnEmptyOneWhenItsTargetsAreNamed() {
        String[] table = {"--target=ext", "--section=.ext_sites", "--layout=site"};
        // emit's output for an object without sites (no section) audits clean with the same options.
        Path none = noSites();
        assertEquals(0, run(concat(new String[] {"-q", "emit", "--in-place"}, table, none.toString())).rc());
        Run clean = run(concat(new String[] {"audit"}, table, none.toString()));
        assertEquals(0, clean.rc(), clean::describe);
        assertTrue(clean.out().startsWith(none + ": .ext_sites: 0 entries\n"), clean::describe);
        assertTrue(clean.out().contains("problems: 0 invalid, 0 missing, 0 extra, 0 duplicates"), clean::describe);

        // An object whose call to ext has no table: the site is missing. readelf names the rel32
        // field of the call; the call's opcode is the byte before it.
        Path sites = withSites();
        String relocs = Tools.ok(dir, "readelf", "-r", "-W", sites.toString());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^([0-9a-f]+) .*R_X86_64_PLT32 .* ext - 4$")
                .matcher(relocs);
        assertTrue(m.find(), relocs);
        long call = Long.parseLong(m.group(1), 16) - 1;
        Run missing = run(concat(new String[] {"audit"}, table, sites.toString()));
        assertEquals(1, missing.rc(), missing::describe);
        assertTrue(missing.out().contains("problems: 0 invalid, 1 missing, 0 extra, 0 duplicates"), missing::describe);
        assertTrue(missing.out().contains("  missing: .text+0x" + Long.toHexString(call) + " call ext has no entry\n"),
                missing::describe);

        // Without targets there is nothing to check the absence against: the table must be there.
        Run untargeted = run("audit", "--section=.ext_sites", "--layout=site", none.toString());
        assertEquals(new Run(2, "", "patchsites: " + none + ": error: no section .ext_sites\n"), untargeted,
                untargeted::describe);
    }

    private static String[] concat(String[] head, String[] middle, String last) {
        String[] all = java.util.Arrays.copyOf(head, head.length + middle.length + 1);
        System.arraycopy(middle, 0, all, head.length, middle.length);
        all[all.length - 1] = last;
        return all;
    }

    @Test
    void aTableLeftFromAnEarlierRunIsEmptiedNotKept() {
        Path obj = withSites();
        assertEquals(0, run("emit", "--target=ext", "--section=.ext_sites", "--layout=site", "--in-place",
                obj.toString()).rc());
        assertTrue(sections(obj).matches("(?s).*\\] \\.ext_sites +PROGBITS +0+ [0-9a-f]+ 0+4 .*"), sections(obj));
        // The same object emitted again for a target it does not call: the stale entry goes.
        Run r = run("-q", "emit", "--target=other_target", "--section=.ext_sites", "--layout=site", "--in-place",
                obj.toString());
        assertEquals(new Run(0, "", ""), r, r::describe);
        assertTrue(sections(obj).matches("(?s).*\\] \\.ext_sites +PROGBITS +0+ [0-9a-f]+ 0+ .*"), sections(obj));
    }

    /** The run's one warning about options that matched nothing (UnmatchedTargets). */
    static String unmatched(String options) {
        return "patchsites: warning: " + options + " matched no symbol in any input: misspelled, or a static function"
                + " that the compiler inlined into every caller (docs/design.md, \"Calls without relocations\")\n";
    }

    @Test
    void aTargetNoInputMatchesIsAWarningOnceForTheWholeRun() throws IOException {
        Path a = noSites(), b = withSites();
        Path c = Files.copy(b, dir.resolve("copy.o"));
        Run emit = run("emit", "--target=__SCT__nomatch*", "--target=ext", "--section=.ext_sites", "--layout=site",
                "--in-place", a.toString(), b.toString(), c.toString());
        assertEquals(new Run(0, "", unmatched("--target=__SCT__nomatch*")), emit, emit::describe);
        Run scan = run("scan", "--target=__SCT__nomatch*", "--target=ext", "--target=ext_typo", a.toString(),
                b.toString());
        assertEquals(0, scan.rc(), scan::describe);
        assertEquals(unmatched("--target=__SCT__nomatch*, --target=ext_typo"), scan.err());
        // A symbol that is only declared, never called, is a match: the glob is not misspelled.
        Path declared = object("declared", "extern long ext(long);\nlong (*p)(long) = ext;\n");
        assertEquals(new Run(0, "", ""), run("emit", "--target=ext", "--section=.ext_sites", "--layout=site",
                "--in-place", declared.toString()));
        // --quiet drops it.
        assertEquals("", run("-q", "scan", "--target=nomatch", a.toString()).err());
        // A --targets-file lists candidates: named only when none of them matched.
        Path some = Tools.write(dir, "some.txt", "nomatch\next\n");
        assertEquals("", run("scan", "--targets-file=" + some, a.toString(), b.toString()).err());
        Path none = Tools.write(dir, "none.txt", "nomatch\nnomatch2*\n");
        assertEquals(unmatched("--target=ext_typo, --targets-file=" + none),
                run("scan", "--target=ext_typo", "--targets-file=" + none, a.toString(), b.toString()).err());
        // An input that cannot be read may hold the symbol: no warning, only its error.
        Run missing = run("scan", "--target=nomatch", a.toString(), dir.resolve("gone.o").toString());
        assertEquals(2, missing.rc(), missing::describe);
        assertEquals("patchsites: " + dir.resolve("gone.o") + ": error: cannot read: No such file\n", missing.err());
    }
}
