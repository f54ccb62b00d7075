package patchsites.collector.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import patchsites.fixtures.Tools;

/**
 * The command line as a binutils user expects it: {@code --help} on every command with its
 * examples and exit statuses, {@code --version}, usage errors as one GNU-style line and a pointer
 * to {@code --help}, {@code --quiet}/{@code --verbose} before or after the command, diagnostics
 * {@code patchsites: FILE: error:}/{@code warning:}, and the progress line only on a terminal.
 */
class CliPolishTest {
    @TempDir
    Path dir;

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
    @ValueSource(strings = {"", "scan", "emit", "stubs", "audit", "plan"})
    void helpReadsLikeABinutilsToolsWithExamplesAndExitStatus(String command) {
        Run r = command.isEmpty() ? run("--help") : run(command, "--help");
        assertEquals(0, r.rc(), r::describe);
        assertEquals("", r.err());
        String help = r.out();
        String name = command.isEmpty() ? "patchsites" : "patchsites " + command;
        assertTrue(help.startsWith("Usage: " + name + " "), help);
        int options = help.indexOf("\nOptions:\n"), examples = help.indexOf("\nExamples:\n  patchsites "),
                exit = help.indexOf("\nExit status:\n  0   ok");
        assertTrue(options > 0 && examples > options && exit > examples, () -> "Usage, Options, Examples, Exit status: " + help);
        assertTrue(help.contains("-q, --quiet") && help.contains("-v, --verbose") && help.contains("-V, --version"), help);
        assertTrue(help.contains("\n  2   bad input or usage"), help);
        for (String line : help.split("\n")) {
            assertTrue(line.length() <= 80, () -> "wider than 80 columns: '" + line + "'");
        }
        // `patchsites help COMMAND` prints the same.
        if (!command.isEmpty()) {
            assertEquals(help, run("help", command).out());
        }
    }

    @Test
    void auditAndPlanDocumentTheFindingsStatus() {
        for (String c : List.of("audit", "plan")) {
            assertTrue(run(c, "--help").out().contains("\n  1   findings: "), c);
        }
        assertTrue(run("--help").out().contains("\n  1   findings: "));
    }

    @Test
    void versionIsTheBuildsVersion() {
        Run r = run("--version");
        assertEquals(0, r.rc(), r::describe);
        // From version.properties (filtered by the build) here; from the jar manifest in ./patchsites.
        assertTrue(r.out().matches("(?s)patchsites \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\nJava .*"), r::describe);
        assertEquals(r.out(), run("scan", "--version").out());
    }

    @Test
    void usageErrorsAreOneGnuStyleLineAndAPointerToHelp() {
        Run unknown = run("scan", "--frobnicate", "x.o");
        assertEquals(2, unknown.rc());
        assertEquals("", unknown.out());
        assertEquals("patchsites: error: unknown option: '--frobnicate'\nTry 'patchsites scan --help' for more information.\n",
                unknown.err());
        Run missing = run("emit", "--target=x", "--in-place", "x.o");
        assertEquals(2, missing.rc());
        assertTrue(missing.err().startsWith("patchsites: error: missing required options: '--section=NAME', '--layout=LAYOUT'\n"),
                missing::describe);
        Run none = run();
        assertEquals(2, none.rc());
        assertEquals("patchsites: error: missing command\nTry 'patchsites --help' for more information.\n", none.err(),
                none::describe);
        Run layout = run("audit", "--section=.s", "--layout=bogus", "x.o");
        assertEquals(2, layout.rc());
        assertEquals("patchsites: error: unknown layout 'bogus' (site-key, site, abs)\n", layout.err());
    }

    /** An object whose scan warns: calls to a local target in the same section have no relocation. */
    private Path warningObject() {
        return Tools.compileC(Tools.write(dir, "loc.c", String.join("\n",
                "extern long ext(long);",
                "__attribute__((noinline)) static long __SCT__bar(long x) { asm volatile(\"\"); return x * 3; }",
                "long caller(long x) { return __SCT__bar(x) + ext(x); }", "")), "loc.o", "-O2");
    }

    @Test
    void quietDropsWarningsAndTheSummaryBeforeOrAfterTheCommand() {
        Path obj = warningObject();
        Run loud = run("scan", "--target=__SCT__*", obj.toString());
        assertEquals(0, loud.rc(), loud::describe);
        // The call to the static target has no relocation: found by decoding, and said so.
        assertTrue(loud.err().startsWith("patchsites: " + obj + ": warning: target __SCT__bar is local (static)"),
                loud::describe);
        assertTrue(loud.out().endsWith("decoded\n1 site (1 call) in 1 object\n"), loud::describe);
        String rows = loud.out().substring(0, loud.out().lastIndexOf("1 site"));
        for (List<String> args : List.of(List.of("--quiet", "scan", "--target=__SCT__*", obj.toString()),
                List.of("scan", "-q", "--target=__SCT__*", obj.toString()))) {
            Run quiet = run(args.toArray(String[]::new));
            assertEquals(new Run(0, rows, ""), quiet, () -> args + ": " + quiet.describe());
        }
        // Errors stay.
        Run bad = run("-q", "scan", "--target=__SCT__*", dir.resolve("missing.o").toString());
        assertEquals(2, bad.rc());
        assertEquals("patchsites: " + dir.resolve("missing.o") + ": error: cannot read: No such file\n", bad.err());
    }

    @Test
    void verboseSaysWhatEmitAndStubsWroteAndAuditListsEveryEntry() throws IOException {
        Path obj = Tools.compileC(Tools.write(dir, "s.c", String.join("\n",
                "extern long __SCT__foo(long);",
                "extern struct { long x; } __SCK__foo;",
                "long a(long x) { return __SCT__foo(x) + 1; }",
                "long b(long x) { return __SCT__foo(x + 1); }",
                "void *k(void) { return &__SCK__foo; }", "")), "s.o", "-O2", "-fno-pic");
        String[] emit = {"emit", "--target=__SCT__*", "--section=.static_call_sites", "--layout=site-key",
                "--key-prefix=__SCT__=__SCK__", "--in-place", obj.toString()};
        assertEquals(new Run(0, "", ""), run(emit));
        Run v = run(concat(new String[] {"--verbose"}, emit));
        assertEquals(new Run(0, obj + ": 2 entries in .static_call_sites (site-key)\n", ""), v, v::describe);
        assertEquals(v, run(concat(emit, new String[] {"-v"})));

        Run audit = run("audit", "--section=.static_call_sites", "--layout=site-key", obj.toString());
        assertEquals(0, audit.rc(), audit::describe);
        assertFalse(audit.out().contains("  entry 0 "), audit::describe);
        Run all = run("audit", "-v", "--section=.static_call_sites", "--layout=site-key", obj.toString());
        assertTrue(all.out().contains("  entry 0 ") && all.out().contains("  entry 1 "), all::describe);

        Path lds = dir.resolve("a.lds");
        Run stubs = run("stubs", "-v", "--alias=__SCT__foo=foo_default", "--place=.static_call_sites", "--lds=" + lds);
        assertEquals(new Run(0, lds + ": 1 alias, .static_call_sites placed between __start_static_call_sites and"
                + " __stop_static_call_sites\n", ""), stubs);
        assertTrue(Files.readString(lds).contains("PROVIDE(__SCT__foo = foo_default);"));
    }

    /**
     * emit over many objects works on them in parallel, yet reads like one after the other:
     * messages in argument order, a bad file in the middle reported and the rest still written,
     * a file named twice rewritten twice without the two rewrites running into each other, and every result the same bytes as a single-file emit.
     */
    @Test
    void emitOverManyObjectsReportsInArgumentOrderAndMatchesOneByOne() throws IOException {
        Path obj = Tools.compileC(Tools.write(dir, "m.c", String.join("\n",
                "extern long __SCT__foo(long);",
                "long a(long x) { return __SCT__foo(x) + 1; }",
                "long b(long x) { return __SCT__foo(x + 1); }", "")), "m.o", "-O2", "-fno-pic");
        String[] emit = {"-v", "emit", "--target=__SCT__*", "--section=.static_call_sites", "--layout=site-key",
                "--key-prefix=__SCT__=__SCK__", "--in-place"};
        // What each file gets when emitted alone: the first emit adds section symbols, a second says less.
        Path single = Files.copy(obj, dir.resolve("single.o"));
        Run first = run(concat(emit, new String[] {single.toString()}));
        Run again = run(concat(emit, new String[] {single.toString()}));
        assertEquals(0, first.rc() + again.rc(), first.describe() + again.describe());
        byte[] expected = Files.readAllBytes(single);

        Path many = Files.createDirectory(dir.resolve("many"));
        List<String> args = new java.util.ArrayList<>();
        StringBuilder out = new StringBuilder(), err = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            Path f = many.resolve("o" + i + ".o");
            Run alone;
            if (i == 7) {
                Files.writeString(f, "not an object");
                alone = run(concat(emit, new String[] {f.toString()}));
                assertEquals(2, alone.rc());
            } else if (i == 23) {
                f = many.resolve("missing.o");
                alone = run(concat(emit, new String[] {f.toString()}));
            } else if (i == 30 || i == 35) {
                f = Path.of(args.get(3)); // the same file again, by the same path
                alone = again;
            } else if (i == 31) {
                // A hard link to another argument: one inode, so one task, after that argument. The
                // link is kept (docs/robustness.md, output rules): this name already has the table.
                f = Files.createLink(f, Path.of(args.get(4)));
                alone = again;
            } else {
                Files.copy(obj, f);
                alone = first;
            }
            out.append(alone.out().replace(single.toString(), f.toString()));
            err.append(alone.err());
            args.add(f.toString());
        }
        assertEquals(2, err.toString().lines().count(), err::toString);
        Run r = run(concat(emit, args.toArray(String[]::new)));
        assertEquals(new Run(2, out.toString(), err.toString()), r, r::describe);
        for (String a : args) {
            Path f = Path.of(a);
            if (Files.exists(f) && !a.endsWith("o7.o")) {
                assertTrue(java.util.Arrays.equals(expected, Files.readAllBytes(f)), a);
            }
        }
        assertEquals("not an object", Files.readString(many.resolve("o7.o")));
    }

    private static String[] concat(String[] a, String[] b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    // ---- progress ----------------------------------------------------------------------------

    @Test
    void progressOnlyWhereAPersonWatches() throws IOException {
        Path pts = Files.createSymbolicLink(dir.resolve("fd2-pts"), Path.of("/dev/pts/3"));
        Path pipe = Files.createSymbolicLink(dir.resolve("fd2-pipe"), Path.of("pipe:[4242]"));
        Path file = Files.writeString(dir.resolve("fd2-file"), "");
        Map<String, String> term = Map.of("TERM", "xterm");
        assertTrue(Progress.onTerminal(term, pts));
        assertFalse(Progress.onTerminal(Map.of("TERM", "xterm", "CI", "true"), pts), "CI");
        assertFalse(Progress.onTerminal(Map.of("TERM", "dumb"), pts), "dumb terminal");
        assertFalse(Progress.onTerminal(Map.of(), pts), "no TERM");
        assertFalse(Progress.onTerminal(term, pipe), "stderr is a pipe");
        assertFalse(Progress.onTerminal(term, file), "stderr is a file");
    }

    @Test
    void progressLineIsRedrawnInPlaceAndClearedAtTheEnd() {
        StringWriter s = new StringWriter();
        try (Progress p = new Progress(new PrintWriter(s), "scan", 3, true)) {
            assertTrue(p.enabled());
            p.step();
            p.step();
            p.step();
        }
        String out = s.toString();
        assertTrue(out.startsWith("\rpatchsites: scan: 1/3 files"), out);
        assertTrue(out.contains("\rpatchsites: scan: 3/3 files"), "the last step is always drawn: " + out);
        assertTrue(out.endsWith("\r" + " ".repeat("patchsites: scan: 3/3 files".length()) + "\r"), "cleared: " + out);
        assertFalse(out.contains("\n"), "never a new line");

        StringWriter one = new StringWriter();
        try (Progress p = new Progress(new PrintWriter(one), "scan", 1, true)) {
            p.step();
        }
        assertEquals("", one.toString(), "one file: no progress line");
    }

    /**
     * On a real pseudo-terminal ({@code script} gives the command one for stdin, stdout and stderr)
     * a scan of many files draws the progress line; the same scan in a pipe does not.
     */
    @Test
    void progressOnAPseudoTerminalNotInAPipe() throws IOException {
        Path obj = warningObject();
        StringBuilder files = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            Path copy = dir.resolve("c" + i + ".o");
            Files.copy(obj, copy);
            files.append(' ').append(copy);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String cmd = "'" + java + "' -cp '" + cp + "' patchsites.collector.cli.Main scan --target=ext" + files;
        Tools.Result tty = Tools.run(dir, "env", "-u", "CI", "TERM=xterm", "script", "-qec", cmd, "/dev/null");
        assertEquals(0, tty.rc(), tty::describe);
        assertTrue(tty.out().contains("\rpatchsites: scan: 40/40 files"), tty::describe);
        assertTrue(tty.out().contains("40 sites (40 call) in 40 objects"), tty::describe);
        // stdout into a file, stderr still the terminal (System.console() is null then): progress.
        Tools.Result redirected = Tools.run(dir, "env", "-u", "CI", "TERM=xterm", "script", "-qec",
                cmd + " > '" + dir.resolve("rows.txt") + "'", "/dev/null");
        assertEquals(0, redirected.rc(), redirected::describe);
        assertTrue(redirected.out().contains("\rpatchsites: scan: 40/40 files"), redirected::describe);
        assertTrue(Files.readString(dir.resolve("rows.txt")).contains("40 sites (40 call) in 40 objects"));
        assertFalse(Files.readString(dir.resolve("rows.txt")).contains("files"), "progress never on stdout");
        // --quiet: no progress line either.
        Tools.Result quiet = Tools.run(dir, "env", "-u", "CI", "TERM=xterm", "script", "-qec", cmd + " --quiet", "/dev/null");
        assertFalse(quiet.out().contains("files"), quiet::describe);
        Tools.Result piped = Tools.run(dir, "env", "-u", "CI", "TERM=xterm", "sh", "-c", cmd + " 2>&1 | cat");
        assertEquals(0, piped.rc(), piped::describe);
        assertFalse(piped.out().contains("files"), piped::describe);

        // emit over many objects draws it too, and clears it before its own messages.
        String emit = "'" + java + "' -cp '" + cp + "' patchsites.collector.cli.Main -v emit --target=ext"
                + " --section=.ext_sites --layout=site --in-place" + files;
        Tools.Result emitted = Tools.run(dir, "env", "-u", "CI", "TERM=xterm", "script", "-qec", emit, "/dev/null");
        assertEquals(0, emitted.rc(), emitted::describe);
        assertTrue(emitted.out().contains("\rpatchsites: emit: "), emitted::describe);
        for (String line : emitted.out().split("\n")) {
            String text = line.replaceAll("\r?$", "");
            // Every message line starts clean: a progress line was erased (\r, blanks, \r) before it.
            if (text.contains(" in .ext_sites (site)")) {
                String shown = text.substring(text.lastIndexOf('\r') + 1);
                assertTrue(shown.startsWith(dir.toString()), () -> "message drawn over the progress line: " + line);
            }
        }
        assertEquals(40, emitted.out().split(": 1 entry in .ext_sites", -1).length - 1, emitted::describe);
    }
}
