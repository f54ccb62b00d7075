package patchsites.collector.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import patchsites.collector.fixtures.ObjdumpOracle;
import patchsites.collector.fixtures.ReadElf;
import patchsites.collector.fixtures.ScanRun;
import patchsites.collector.fixtures.Site;
import patchsites.fixtures.Objdump;
import patchsites.fixtures.Tools;

/**
 * The command-line contract of {@code patchsites scan}, run in-process through
 * {@link Main#run(java.io.PrintWriter, java.io.PrintWriter, String...)} on objects gcc builds at
 * test time: the JSON lines, their order, the targets file, exit statuses and one-line errors.
 */
class CliContractTest {
    private static final Set<String> KEYS = Set.of("type", "file", "arch", "section", "offset", "length", "kind", "target",
            "pointer", "default", "function", "function_offset", "via", "load_offset", "retpoline");
    private static final Set<String> KINDS = Set.of("call", "tail", "cond-tail", "ref");

    /** No local targets, so scanning it prints no warning: stderr is all errors. */
    private static final String PLAIN_C = """
            extern long __SCT__foo(long);
            extern long __SCT__bar(long);
            long a(long x) { return __SCT__foo(x) + 1; }
            long b(long x) { return __SCT__bar(x + 1); }
            void *p = &__SCT__foo;
            """;

    @TempDir
    Path dir;

    Path plain;
    Path plainCopy;

    @BeforeEach
    void build() throws IOException {
        plain = Tools.compileC(Tools.write(dir, "plain.c", PLAIN_C), "plain.o", "-fno-pic", "-mcmodel=kernel");
        plainCopy = Files.copy(plain, dir.resolve("plain_copy.o"));
    }

    private Path branches() {
        return Tools.gcc(Tools.resource("fixtures/x86_branches.s", dir), "x86_branches.o");
    }

    private Path sites() {
        return Tools.compileC(Tools.resource("fixtures/x86_sites.c", dir), "x86_sites.o", "-fno-pic", "-mcmodel=kernel",
                "-ffunction-sections");
    }

    private static void assertNoStackTrace(ScanRun run) {
        assertFalse(run.err().contains("Exception") || run.err().contains("\tat ") || run.err().contains("java."),
                () -> "stack trace or exception name on stderr:\n" + run.describe());
    }

    @Test
    void jsonLinesHaveExactlyTheDocumentedKeys() throws IOException {
        Path br = branches(), st = sites();
        // A path that needs escaping must come back intact.
        Path odd = Files.copy(plain, dir.resolve("odd \"name\" \\ x.o"));
        ScanRun run = ScanRun.scan("--target=__SCT__*", "--target=__x86_indirect_thunk_*", "--include-refs", "--json",
                plain.toString(), br.toString(), st.toString(), odd.toString());
        assertEquals(0, run.rc(), run::describe);
        List<Map<String, Object>> rows = run.json();
        assertTrue(rows.size() > 20, run::describe);
        Set<String> files = new LinkedHashSet<>();
        Set<String> kinds = new LinkedHashSet<>();
        for (Map<String, Object> row : rows) {
            assertEquals(KEYS, row.keySet(), () -> "keys of " + row);
            checkTypes(row);
            files.add((String) row.get("file"));
            kinds.add((String) row.get("kind"));
        }
        assertEquals(List.of(plain.toString(), br.toString(), st.toString(), odd.toString()), List.copyOf(files),
                "file is the path as given, in command-line order");
        assertEquals(KINDS, kinds, "every kind appears in these fixtures");
        assertTrue(rows.stream().anyMatch(r -> r.get("function") == null), "a data ref has function null");

        // Archive members carry "member", and only they do.
        Tools.ok(dir, "ar", "rc", "lib.a", "plain.o");
        ScanRun ar = ScanRun.scan("--target=__SCT__*", "--include-refs", "--json", dir.resolve("lib.a").toString(),
                plain.toString());
        assertEquals(0, ar.rc(), ar::describe);
        Set<String> withMember = new LinkedHashSet<>(KEYS);
        withMember.add("member");
        int members = 0;
        for (Map<String, Object> row : ar.json()) {
            checkTypes(row);
            if (row.get("file").equals(plain.toString())) {
                assertEquals(KEYS, row.keySet(), () -> "keys of " + row);
            } else {
                assertEquals(withMember, row.keySet(), () -> "keys of " + row);
                assertEquals("plain.o", row.get("member"));
                members++;
            }
        }
        assertEquals(3, members, ar::describe); // call a, tail b, ref p
    }

    private static void checkTypes(Map<String, Object> row) {
        assertTrue(row.get("file") instanceof String, () -> "file: " + row);
        assertEquals("x86_64", row.get("arch"));
        assertTrue(row.get("section") instanceof String, () -> "section: " + row);
        assertTrue(row.get("offset") instanceof Long && (Long) row.get("offset") >= 0, () -> "offset: " + row);
        assertEquals("site", row.get("type"));
        assertTrue(KINDS.contains(row.get("kind")), () -> "kind: " + row);
        assertTrue(row.get("target") instanceof String, () -> "target: " + row);
        assertTrue(row.get("function") == null || row.get("function") instanceof String, () -> "function: " + row);
        assertTrue(Set.of("relocation", "decoded").contains(row.get("via")), () -> "via: " + row);
        assertEquals(null, row.get("pointer"), () -> "a direct site has no pointer slot: " + row);
        assertEquals(null, row.get("default"), () -> "a direct site has no default: " + row);
        if (row.get("kind").equals("ref")) {
            assertEquals(null, row.get("length"), () -> "a ref has no length (the text output's -): " + row);
        } else {
            assertTrue(row.get("length") instanceof Long && (Long) row.get("length") >= 5,
                    () -> "a branch is at least 5 bytes: " + row);
        }
        if (row.get("function") == null) {
            assertEquals(null, row.get("function_offset"), () -> "no function, no offset: " + row);
        } else {
            assertTrue(row.get("function_offset") instanceof Long && (Long) row.get("function_offset") >= 0,
                    () -> "function_offset: " + row);
        }
    }

    @Test
    void outputIsOrderedBySectionIndexThenOffsetAndIsDeterministic() {
        Path br = branches(), st = sites();
        // The fixture's point: gas writes .rela.text out of offset order.
        List<Objdump.Reloc> raw = ObjdumpOracle.parseRelocations(Tools.ok(dir, "objdump", "-r", "-w", br.toString()))
                .get(".text");
        List<Long> rawOffsets = raw.stream().map(Objdump.Reloc::offset).toList();
        List<Long> sortedOffsets = rawOffsets.stream().sorted().toList();
        assertNotEquals(sortedOffsets, rawOffsets, "fixture: relocations of .text are not in offset order");

        String[] args = {"--target=__SCT__*", "--target=__x86_indirect_thunk_*", "--include-refs", "--json",
                br.toString(), st.toString(), plain.toString(), br.toString()};
        ScanRun first = ScanRun.scan(args);
        assertEquals(0, first.rc(), first::describe);
        for (int i = 0; i < 3; i++) {
            assertEquals(first.out(), ScanRun.scan(args).out(), "same input, same output");
        }

        Map<String, Map<String, Integer>> index = new TreeMap<>();
        for (Path p : List.of(br, st, plain)) {
            index.put(p.toString(), ReadElf.sectionIndexByName(ReadElf.sections(p)));
        }
        List<String> fileOrder = new ArrayList<>();
        String file = null;
        long[] last = null;
        for (Map<String, Object> row : first.json()) {
            String f = (String) row.get("file");
            if (!f.equals(file)) {
                fileOrder.add(f);
                file = f;
                last = null;
            }
            int sec = index.get(f).get((String) row.get("section"));
            assertTrue(sec > 0, () -> "section name not unique: " + row);
            long[] key = {sec, (Long) row.get("offset")};
            if (last != null) {
                long[] prev = last;
                assertTrue(key[0] > prev[0] || (key[0] == prev[0] && key[1] > prev[1]),
                        () -> "out of order: " + Arrays.toString(prev) + " then " + row);
            }
            last = key;
        }
        assertEquals(List.of(br.toString(), st.toString(), plain.toString(), br.toString()), fileOrder,
                "files in command-line order, each once per mention");
    }

    @Test
    void targetsFileWithCommentsActsLikeTheSameTargetsOnTheCommandLine() {
        Path br = branches();
        Path targets = Tools.write(dir, "targets.txt", "# static call trampolines\n"
                + "\n"
                + "   # an indented comment\n"
                + "__SCT__foo\r\n"
                + "\t__x86_indirect_thunk_*  \n"
                + "\n");
        ScanRun fromFile = ScanRun.scan("--targets-file=" + targets, "--json", br.toString(), plain.toString());
        ScanRun fromFlags = ScanRun.scan("--target=__SCT__foo", "--target=__x86_indirect_thunk_*", "--json", br.toString(),
                plain.toString());
        assertEquals(0, fromFile.rc(), fromFile::describe);
        assertEquals(fromFlags.out(), fromFile.out());
        Set<String> seen = new LinkedHashSet<>();
        fromFile.sites().forEach(s -> seen.add(s.target()));
        assertEquals(Set.of("__SCT__foo", "__x86_indirect_thunk_r11"), seen, "both patterns of the file are used, nothing else");

        // --target and --targets-file add up.
        ScanRun both = ScanRun.scan("--targets-file=" + targets, "--target=__SCT__bar", "--json", plain.toString());
        assertEquals(0, both.rc(), both::describe);
        Set<String> bothTargets = new LinkedHashSet<>();
        both.sites().forEach(s -> bothTargets.add(s.target()));
        assertEquals(Set.of("__SCT__foo", "__SCT__bar"), bothTargets);
    }

    @Test
    void noTargetIsAUsageError() {
        ScanRun none = ScanRun.scan("--json", plain.toString());
        assertEquals(2, none.rc(), none::describe);
        assertEquals("", none.out());
        assertEquals(1, none.errLines().size(), none::describe);
        assertEquals(List.of("patchsites: error: no targets: give --target or --targets-file"), none.errLines());
        assertNoStackTrace(none);

        Path onlyComments = Tools.write(dir, "empty-targets.txt", "# nothing here\n\n   # really\n");
        ScanRun empty = ScanRun.scan("--targets-file=" + onlyComments, plain.toString());
        assertEquals(2, empty.rc(), empty::describe);
        assertEquals("", empty.out());
        assertEquals(1, empty.errLines().size(), empty::describe);
        assertNoStackTrace(empty);

        Path missing = dir.resolve("no-such-targets.txt");
        ScanRun gone = ScanRun.scan("--targets-file=" + missing, plain.toString());
        assertEquals(2, gone.rc(), gone::describe);
        assertEquals(List.of("patchsites: " + missing + ": error: cannot read: No such file"), gone.errLines());
        assertNoStackTrace(gone);
    }

    @Test
    void noSitesIsNotAnError() {
        ScanRun run = ScanRun.scan("--target=__no_such_symbol", "--json", plain.toString());
        assertEquals(0, run.rc(), run::describe);
        assertEquals("{\"type\":\"summary\",\"schema\":1,\"command\":\"scan\",\"objects\":1,\"sites\":0,\"kinds\":{},\"given_up\":0}\n",
                run.out());
        // Only the warning that the name is nowhere (misspelled, or a static default inlined everywhere).
        assertEquals(EmitWithoutSitesTest.unmatched("--target=__no_such_symbol"), run.err());
    }

    /** Each bad input: how to make it from a good object in {@code dir}. */
    static Stream<Arguments> badInputs() {
        return Stream.of(
                bad("not an ELF file", (dir, good) -> Tools.write(dir, "notes.txt", "hello, world\n")),
                bad("empty file", (dir, good) -> Tools.write(dir, "empty.o", "")),
                bad("truncated ELF (first 40 bytes)",
                        (dir, good) -> Tools.writeBytes(dir.resolve("truncated.o"), Arrays.copyOf(Tools.read(good), 40))),
                bad("e_shoff past the end of the file", (dir, good) -> {
                    byte[] b = Tools.read(good);
                    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(40, b.length + 4096L);
                    return Tools.writeBytes(dir.resolve("bad_shoff.o"), b);
                }),
                bad("missing file", (dir, good) -> dir.resolve("does-not-exist.o")),
                // Beyond the brief: more ways a file can be broken.
                bad("section header table runs past the end (e_shnum)", (dir, good) -> {
                    byte[] b = Tools.read(good);
                    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putShort(60, (short) 0x7fff);
                    return Tools.writeBytes(dir.resolve("bad_shnum.o"), b);
                }),
                bad("relocation symbol index out of range", (dir, good) -> {
                    byte[] b = Tools.read(good);
                    long rela = sectionFileOffset(good, ".rela.text.a", ".rela.text");
                    ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
                    int info = (int) rela + 8;
                    bb.putLong(info, (0x7fffffffL << 32) | (bb.getLong(info) & 0xffffffffL));
                    return Tools.writeBytes(dir.resolve("bad_symidx.o"), b);
                }),
                bad("unsupported machine (e_machine = EM_MIPS; arm64 and the others are supported now)", (dir, good) -> {
                    byte[] b = Tools.read(good);
                    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putShort(18, (short) 8);
                    return Tools.writeBytes(dir.resolve("mips.o"), b);
                }),
                bad("truncated archive", (dir, good) -> {
                    Tools.ok(dir, "ar", "rc", "full.a", good.getFileName().toString());
                    byte[] b = Tools.read(dir.resolve("full.a"));
                    return Tools.writeBytes(dir.resolve("cut.a"), Arrays.copyOf(b, b.length / 2));
                }),
                bad("a directory", (dir, good) -> {
                    try {
                        return Files.createDirectory(dir.resolve("adir.o"));
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }));
    }

    private static Arguments bad(String name, BiFunction<Path, Path, Path> make) {
        return Arguments.of(name, make);
    }

    private static final Pattern SECTION_ROW = Pattern.compile("^\\s*\\[\\s*\\d+\\]\\s+(\\S+)\\s+\\S+\\s+[0-9a-f]+\\s+([0-9a-f]+)\\s");

    private static long sectionFileOffset(Path obj, String... names) {
        String text = Tools.ok(obj.getParent(), "readelf", "-SW", obj.toString());
        for (String name : names) {
            for (String line : text.split("\n")) {
                Matcher m = SECTION_ROW.matcher(line);
                if (m.find() && m.group(1).equals(name)) {
                    return Long.parseLong(m.group(2), 16);
                }
            }
        }
        throw new AssertionError("no section " + Arrays.toString(names) + " in " + obj);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void aBadInputIsOneLineAndTheGoodFilesAreStillReported(String what, BiFunction<Path, Path, Path> make) {
        Path bad = make.apply(dir, plain);
        String[] common = {"--target=__SCT__*", "--include-refs", "--json"};

        List<Site> expected = new ArrayList<>();
        for (Path good : List.of(plain, plainCopy)) {
            ScanRun alone = ScanRun.scan(concat(common, good.toString()));
            assertEquals(0, alone.rc(), alone::describe);
            assertEquals("", alone.err(), alone::describe);
            expected.addAll(alone.sites());
        }
        assertEquals(6, expected.size(), "fixture: 3 sites in each good object");

        ScanRun run = ScanRun.scan(concat(common, plain.toString(), bad.toString(), plainCopy.toString()));
        assertEquals(2, run.rc(), run::describe);
        assertEquals(1, run.errLines().size(), () -> what + ": exactly one stderr line\n" + run.describe());
        String line = run.errLines().get(0);
        assertTrue(line.startsWith("patchsites: " + bad + ": error: ")
                || line.matches(java.util.regex.Pattern.quote("patchsites: " + bad + "(") + "[^)]*\\): error: .*"),
                () -> what + ": 'patchsites: FILE: error: message', got: " + line);
        assertTrue(line.length() > ("patchsites: " + bad + ": error: ").length(), () -> "a message follows: " + line);
        assertNoStackTrace(run);

        List<String> files = run.json().stream().map(r -> (String) r.get("file")).distinct().toList();
        assertEquals(List.of(plain.toString(), plainCopy.toString()), files, "only the good files have sites");
        assertEquals(expected, run.sites(), "the good files' sites, as when scanned alone");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
