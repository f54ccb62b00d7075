package patchsites.collector.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import patchsites.collector.cli.CliPolishTest.Run;
import patchsites.fixtures.Cross;
import patchsites.fixtures.Tools;

/**
 * The messages and usage errors a new user meets (issue 13): each one line, worded once, the same
 * from every command; counts in the right number; no x86 terms for another architecture.
 */
class CliMessagesTest {
    @TempDir
    Path dir;

    private static Run run(String... args) {
        return CliPolishTest.run(args);
    }

    private static void assertUsageError(String line, Run r) {
        assertEquals(2, r.rc(), r::describe);
        assertEquals("", r.out(), r::describe);
        assertEquals("patchsites: error: " + line, r.err().lines().findFirst().orElse(""), r::describe);
        assertFalse(r.err().contains("error: error:") || r.err().contains("patchsites: patchsites:"), r::describe);
    }

    private Path object(String name, String source, String... flags) {
        return Tools.compileC(Tools.write(dir, name + ".c", source), name + ".o", flags);
    }

    /** An object with two calls to {@code ext}. */
    private Path callsExt() {
        return object("calls", String.join("\n",
                "extern long ext(long);",
                "long a(long x) { return ext(x) + 1; }",
                "long b(long x) { return ext(x + 1) * 2; }", ""), "-O2", "-fno-pic");
    }

    @Test
    void anEmptyTargetIsAUsageErrorNotAnInternalOne() {
        Path obj = callsExt();
        for (List<String> c : List.of(List.of("scan"), List.of("emit", "--section=.s", "--layout=site", "--in-place"),
                List.of("audit", "--section=.s", "--layout=site"))) {
            List<String> args = new ArrayList<>(c);
            args.add(c.size() == 1 ? "--target=" : "--target=");
            args.add(obj.toString());
            Run r = run(args.toArray(String[]::new));
            assertEquals(2, r.rc(), r::describe);
            assertEquals("patchsites: error: --target takes a symbol name or glob, not an empty string\n", r.err(),
                    r::describe);
        }
    }

    @Test
    void usageErrorsSayErrorOnceAndNameNoFileForAnOption() {
        assertUsageError("missing required argument (specify one of these): (--in-place | -o=OUT)",
                run("emit", "--target=x", "--section=.s", "--layout=site", "x.o"));
        assertUsageError("-o takes one input object; use --in-place for several",
                run("emit", "--target=x", "--section=.s", "--layout=site", "-o", "out.o", "a.o", "b.o"));
    }

    @Test
    void noArgumentsGivesOneHintAndUnknownCommandsOneWording() {
        Run none = run();
        assertEquals("patchsites: error: missing command\nTry 'patchsites --help' for more information.\n", none.err());
        Run bogus = run("bogus"), help = run("help", "bogus");
        assertEquals("patchsites: error: unknown command 'bogus'\nTry 'patchsites --help' for more information.\n",
                bogus.err(), bogus::describe);
        assertEquals(bogus, help);
    }

    @Test
    void quietAndVerboseTogetherAreRejected() {
        Path obj = callsExt();
        for (String[] args : List.of(new String[] {"-q", "-v", "scan", "--target=ext", obj.toString()},
                new String[] {"scan", "--quiet", "--verbose", "--target=ext", obj.toString()},
                new String[] {"-q", "scan", "-v", "--target=ext", obj.toString()})) {
            assertUsageError("--quiet and --verbose exclude each other", run(args));
        }
    }

    @Test
    void keyPrefixWithoutKeysIsRejected() {
        Path obj = callsExt();
        for (String layout : List.of("site", "abs")) {
            assertUsageError("--key-prefix applies to --layout=site-key only (the " + layout + " layout has no keys)",
                    run("emit", "--target=ext", "--section=.s", "--layout=" + layout, "--key-prefix=a=b", "--in-place",
                            obj.toString()));
            assertUsageError("--key-prefix applies to --layout=site-key only (the " + layout + " layout has no keys)",
                    run("audit", "--section=.s", "--layout=" + layout, "--key-prefix=a=b", obj.toString()));
        }
    }

    @Test
    void countsAreInTheRightNumberAndAnEmptyTableHasNoTrailingSeparator() throws IOException {
        Path one = object("one", "extern long ext(long);\nlong a(long x) { return ext(x) + 1; }\n", "-O2", "-fno-pic");
        Run emit = run("-v", "emit", "--target=ext", "--section=.ext_sites", "--layout=site", "--in-place", one.toString());
        assertEquals(new Run(0, one + ": 1 entry in .ext_sites (site), 1 section symbol added\n", ""), emit);
        Run audit = run("audit", "--section=.ext_sites", "--layout=site", one.toString());
        assertTrue(audit.out().startsWith(one + ": .ext_sites: 1 entry; "), audit::describe);
        assertTrue(audit.out().contains("0 invalid, 0 missing, 0 extra, 0 duplicates"), audit::describe);

        // A table with no entries (an assembler-made empty section): no "; " with nothing after it.
        Path empty = object("empty", "asm(\".section .ext_sites,\\\"a\\\"\\n.previous\");\nint x;\n");
        Run none = run("audit", "--section=.ext_sites", "--layout=site", empty.toString());
        assertEquals(0, none.rc(), none::describe);
        assertEquals(empty + ": .ext_sites: 0 entries", none.out().lines().findFirst().orElseThrow(), none::describe);
    }

    /** --quiet audit prints the tables with problems only: a quiet run that says nothing is a clean bill. */
    @Test
    void quietAuditPrintsOnlyTablesWithProblems() {
        Path obj = callsExt();
        Path other = object("other", "extern long ext(long), ext2(long);\nlong c(long x) { return ext(x) + ext2(x); }\n",
                "-O2", "-fno-pic");
        for (Path p : List.of(obj, other)) {
            assertEquals(0, run("emit", "--target=ext", "--section=.ext_sites", "--layout=site", "--in-place",
                    p.toString()).rc());
        }
        Run loud = run("audit", "--section=.ext_sites", "--layout=site", obj.toString());
        assertFalse(loud.out().isEmpty());
        assertEquals(new Run(0, "", ""), run("-q", "audit", "--section=.ext_sites", "--layout=site", obj.toString()));
        // ext2's site has no entry when ext* are the targets: that table is printed, the clean one not.
        Run quiet = run("-q", "audit", "--target=ext*", "--section=.ext_sites", "--layout=site", obj.toString(),
                other.toString());
        assertEquals(1, quiet.rc(), quiet::describe);
        assertFalse(quiet.out().contains(obj.toString()), quiet::describe);
        assertTrue(quiet.out().startsWith(other + ": .ext_sites: 1 entry;"), quiet::describe);
        assertTrue(quiet.out().contains("  missing: "), quiet::describe);
    }

    private Path linkedProgram(List<String> cc, String name) {
        return linkedProgram(dir, cc, name);
    }

    /** A linked program in {@code dir/name} with a table (.ext_sites, site) of its calls to ext, for {@code cc}. */
    static Path linkedProgram(Path dir, List<String> cc, String name) {
        Path sub = dir.resolve(name);
        try {
            Files.createDirectories(sub);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Tools.write(sub, "a.c", String.join("\n",
                "extern long ext(long);",
                "long a(long x) { return ext(x) + 1; }",
                "long b(long x) { return ext(x + 1) * 2; }",
                "void _start(void) { for (;;) a(b(1)); }", ""));
        Tools.write(sub, "b.c", "long ext(long x) { return x * 3; }\nlong other(long x) { return x * 5; }\n");
        for (String c : List.of("a", "b")) {
            List<String> cmd = new ArrayList<>(cc);
            cmd.addAll(List.of("-O2", "-fno-pic", "-fno-asynchronous-unwind-tables", "-c", c + ".c", "-o", c + ".o"));
            Tools.ok(sub, cmd.toArray(String[]::new));
        }
        Run emit = run("emit", "--target=ext", "--section=.ext_sites", "--layout=site", "--in-place",
                sub.resolve("a.o").toString());
        assertEquals(0, emit.rc(), emit::describe);
        List<String> link = new ArrayList<>(cc);
        link.addAll(List.of("-nostdlib", "-static", "-no-pie", "-o", "prog", "a.o", "b.o"));
        Tools.ok(sub, link.toArray(String[]::new));
        return sub.resolve("prog");
    }

    /** The transaction's cost in the kernel terms of the program's architecture (PatchRules.syncRounds). */
    @Test
    void planSpeaksTheKernelTermsOfTheProgramsArchitecture() {
        Run x86 = run("plan", "--section=.ext_sites", "--layout=site", "--key=ext", "--to=other",
                linkedProgram(List.of("gcc"), "x86").toString());
        assertEquals(0, x86.rc(), x86::describe);
        assertTrue(x86.out().contains(" sites of ext (") && x86.out().contains("text_poke_queue"), x86::describe);
        Run arm64 = run("plan", "--section=.ext_sites", "--layout=site", "--key=ext", "--to=other",
                linkedProgram(Cross.ARM64.cc(), "arm64").toString());
        assertEquals(0, arm64.rc(), arm64::describe);
        assertTrue(arm64.out().contains(" sites of ext (") && arm64.out().matches("(?s).*\n  transaction: \\d+ atomic, sync rounds: 0\n"),
                arm64::describe);
        for (String x86Term : List.of("text_poke", "static_call_update", "INT3", "int3")) {
            assertFalse(arm64.out().contains(x86Term), () -> x86Term + " in an arm64 plan:\n" + arm64.describe());
        }
    }

    /** binutils' nm goes on past an archive member that is no object and says so; so does patchsites. */
    @Test
    void aNonElfArchiveMemberIsAWarningAndTheOtherMembersAreRead() {
        Path obj = callsExt();
        Tools.write(dir, "README", "not an object\n");
        Tools.ok(dir, "ar", "rc", "lib.a", "README", obj.getFileName().toString());
        Path lib = dir.resolve("lib.a");
        String warning = "patchsites: " + lib + "(README): warning: not an ELF object; skipped\n";
        Run scan = run("scan", "--target=ext", lib.toString());
        assertEquals(0, scan.rc(), scan::describe);
        assertEquals(warning, scan.err());
        assertTrue(scan.out().endsWith("2 sites (2 call) in 1 object\n"), scan::describe);
        assertEquals(scan.err(), run("-v", "scan", "--target=ext", lib.toString()).err());
        assertEquals("", run("-q", "scan", "--target=ext", lib.toString()).err());
        Run audit = run("audit", "--section=.ext_sites", "--layout=site", lib.toString());
        assertTrue(audit.err().startsWith(warning), audit::describe);
    }

    /** One classification of what a file is, so every command says the same of the same bad input. */
    @Test
    void everyCommandSaysTheSameOfTheSameBadInput() throws IOException {
        Map<String, Path> inputs = new LinkedHashMap<>();
        inputs.put("is a directory", Files.createDirectory(dir.resolve("adir.o")));
        inputs.put("empty file", Files.writeString(dir.resolve("empty.o"), ""));
        inputs.put("file format not recognized (neither ELF nor ar archive)", Files.writeString(dir.resolve("t.txt"), "hello\n"));
        inputs.put("truncated ELF header (2 bytes)", Files.write(dir.resolve("short.o"), new byte[] {0x7f, 'E'}));
        inputs.put("truncated ELF header (10 bytes)", Files.write(dir.resolve("ten.o"),
                java.util.Arrays.copyOf(Tools.read(callsExt()), 10)));
        inputs.put("cannot read: No such file", dir.resolve("missing.o"));
        List<List<String>> commands = List.of(List.of("scan", "--target=ext"),
                List.of("audit", "--section=.s", "--layout=site"),
                List.of("emit", "--target=ext", "--section=.s", "--layout=site", "--in-place"),
                List.of("emit", "--target=ext", "--section=.s", "--layout=site", "-o", dir.resolve("out.o").toString()),
                List.of("plan", "--section=.s", "--layout=site", "--key=ext", "--to=x"));
        for (Map.Entry<String, Path> in : inputs.entrySet()) {
            for (List<String> c : commands) {
                List<String> args = new ArrayList<>(c);
                args.add(0, "-q");
                args.add(in.getValue().toString());
                Run r = run(args.toArray(String[]::new));
                assertEquals(new Run(2, "", "patchsites: " + in.getValue() + ": error: " + in.getKey() + "\n"), r,
                        () -> c + ": " + r.describe());
            }
        }
        assertFalse(Files.exists(dir.resolve("out.o")));
    }

    /** A C file with 30 static functions, each called once from entry: 30 local targets for --target='*'. */
    private Path manyStatics() {
        StringBuilder c = new StringBuilder("extern int ext(int);\n");
        StringBuilder sum = new StringBuilder("int entry(int x) { return 0");
        for (int i = 0; i < 30; i++) {
            c.append("static __attribute__((noinline)) int s").append(i).append("(int x) { return ext(x) + ").append(i)
                    .append("; }\n");
            sum.append(" + s").append(i).append("(x)");
        }
        return Tools.write(dir, "many.c", c.append(sum).append("; }\n").toString());
    }

    /** readelf's symbols of {@code obj}: "TYPE BIND NAME" per symbol. */
    private static List<String[]> symbols(Cross tc, Path obj) {
        return tc.readelf(obj, "-sW").out().lines().map(l -> l.trim().split("\\s+"))
                .filter(f -> f.length >= 8 && f[0].endsWith(":")).map(f -> new String[] {f[3], f[4], f[7]}).toList();
    }

    /**
     * Issue 13, item 11: --target='*' makes every static function a local target, and (ARM,
     * AArch64, RISC-V) every mapping symbol ($x) one more. One warning per kind and object, with
     * the count that readelf and objdump give, not one line per symbol; mapping symbols are never
     * targets (a decoded call to s0 was reported as a call to $x, which sits at the same address).
     */
    @Test
    void localTargetsAreOneWarningPerKindWithACount() {
        // arm64: decoded. The count of local functions is readelf's; of calls without relocation, objdump's.
        Path a64 = Cross.ARM64.compile(manyStatics(), "many-a64.o", "-O2");
        List<String[]> syms = symbols(Cross.ARM64, a64);
        long locals = syms.stream().filter(f -> f[0].equals("FUNC") && f[1].equals("LOCAL")).count();
        assertEquals(30, locals, "fixture: the statics");
        assertTrue(syms.stream().anyMatch(f -> f[2].equals("$x")), "fixture: a mapping symbol");
        String dis = Tools.ok(dir, Cross.ARM64.objdump(), "-dr", a64.toString());
        long unrelocated = 0;
        String[] lines = dis.split("\n");
        for (int i = 0; i < lines.length; i++) {
            boolean relocated = i + 1 < lines.length && lines[i + 1].contains("R_AARCH64_");
            if (lines[i].matches(".*\\sbl\\s+[0-9a-f]+ <s\\d+>.*") && !relocated) {
                unrelocated++;
            }
        }
        assertEquals(30, unrelocated, dis);
        Run r = run("scan", "--target=*", a64.toString());
        assertEquals(0, r.rc(), r::describe);
        assertEquals(List.of("patchsites: " + a64 + ": warning: " + locals + " targets are local (static) (s0 in .text,"
                + " s1 in .text, s2 in .text, and " + (locals - 3) + " more): " + unrelocated + " call sites have no"
                + " relocation (the assembler resolved them) and were found only by decoding; for calls the linker sees,"
                + " call a wrapper name that 'patchsites stubs --alias=WRAPPER=TARGET' defines (docs/design.md, \"Calls"
                + " without relocations\")"), r.err().lines().toList(), r::describe);
        assertFalse(r.out().contains("$x"), r::describe);
        assertTrue(r.out().lines().anyMatch(l -> l.matches(".* call +4 +s0 +entry\\+0x[0-9a-f]+ +decoded")), r::describe);
        // emit says it once too.
        Run emit = run("emit", "--target=*", "--section=.all", "--layout=site", "-o", dir.resolve("out.o").toString(),
                a64.toString());
        assertEquals(1, emit.err().lines().count(), emit::describe);

        // riscv64 is not decoded: one warning for its 30 local targets, none for its 31 mapping symbols.
        Path rv = Cross.RISCV64.compile(manyStatics(), "many-rv.o", "-O2", "-ffunction-sections");
        List<String[]> rvSyms = symbols(Cross.RISCV64, rv);
        long rvLocals = rvSyms.stream().filter(f -> f[0].equals("FUNC") && f[1].equals("LOCAL")).count();
        assertTrue(rvSyms.stream().filter(f -> f[2].startsWith("$x")).count() > 1, "fixture: mapping symbols");
        Run rvRun = run("scan", "--target=*", rv.toString());
        assertEquals(0, rvRun.rc(), rvRun::describe);
        assertEquals(1, rvRun.err().lines().count(), rvRun::describe);
        assertTrue(rvRun.err().startsWith("patchsites: " + rv + ": warning: " + rvLocals + " targets are local symbols in"
                + " code (s0 in .text.s0, s1 in .text.s1, s2 in .text.s2, and " + (rvLocals - 3) + " more): "),
                rvRun::describe);
    }
}
