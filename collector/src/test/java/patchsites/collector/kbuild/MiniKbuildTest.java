package patchsites.collector.kbuild;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import patchsites.fixtures.Tools;

/**
 * The final link of a kernel build, without a kernel: the example's objects (the static-call
 * program of {@code examples/static-calls}) → thin archive {@code vmlinux.a} ({@code ar cDPrST},
 * as kbuild's top Makefile) → {@code ld -r --whole-archive} into {@code vmlinux.o} (as
 * scripts/Makefile.vmlinux_o) → {@code patchsites-kbuild vmlinux.o} → the final link from
 * {@code vmlinux.o} with {@code gcc -Wl,-T} and a script built from {@code patchsites.lds.h} → the
 * program runs, finds its call sites through the table and re-targets them.
 *
 * <p>Needs gcc and binutils only; {@link KbuildScriptsTest} runs the same shape through Debian's
 * real 6.1 scripts.
 */
class MiniKbuildTest {
    @TempDir
    Path tmp;

    private Path tree;
    private Path bin;
    private Map<String, String> env;

    /** Objects, vmlinux.a, lib/lib.a and vmlinux.o, as kbuild has them when vmlinux.o is linked. */
    @BeforeEach
    void buildVmlinuxO() throws IOException {
        tree = tmp.resolve("tree");
        Files.createDirectories(tree);
        bin = Kbuild.patchsitesCommand(tmp.resolve("bin"));
        env = new HashMap<>();
        env.put("PATH", Kbuild.pathWith(bin));
        env.put("EX", Kbuild.example().toString());
        Kbuild.bash(tree, env, String.join("\n",
                "cflags=(-O2 -fno-pic -Wall -fcf-protection=none -I\"$EX\")",
                "mkdir -p kernel lib",
                "for s in impl.c process.c route.c route_cond.S runtime.c main.c bench.c retpoline.S; do",
                "    gcc \"${cflags[@]}\" -c \"$EX/$s\" -o \"kernel/${s%.*}.o\"",
                "done",
                "gcc \"${cflags[@]}\" -mindirect-branch=thunk-extern -c \"$EX/bench_retpoline.c\" -o kernel/bench_retpoline.o",
                "gcc \"${cflags[@]}\" -c \"$EX/branch.c\" -o lib/branch.o",
                // KBUILD_VMLINUX_LIBS: a regular archive, linked as a library (members on demand).
                "ar cDPrs lib/lib.a lib/branch.o",
                "ar cDPrST vmlinux.a kernel/*.o",
                "ld -r -o vmlinux.o --whole-archive vmlinux.a --no-whole-archive --start-group lib/lib.a --end-group",
                "patchsites stubs --alias=__SCT__filter=filter_default --alias=__SCT__account=account_default \\",
                "    --alias=__SCT__op=op_default --lds=aliases.lds"))
                .ok();
        assertTrue(Kbuild.run(tree, env, "ar", "t", "vmlinux.a").ok().out().contains("kernel/impl.o"));
        Files.copy(Kbuild.kbuildDir().resolve("patchsites.conf.example"), tree.resolve("patchsites.conf"));
    }

    private Tools.Result hook(Map<String, String> extraEnv, String... args) {
        Map<String, String> e = new HashMap<>(env);
        e.putAll(extraEnv);
        List<String> cmd = new java.util.ArrayList<>(List.of(Kbuild.wrapper().toString()));
        cmd.addAll(List.of(args));
        return Kbuild.run(tree, e, cmd);
    }

    /** cpp of a linker script that uses the fragment, as kbuild's cpp_lds_S does. */
    private void linkerScript(String body, String... defines) throws IOException {
        Files.writeString(tree.resolve("vmlinux.lds.S"), "#include <patchsites.lds.h>\n#include \"aliases.lds\"\n" + body);
        List<String> cmd = new java.util.ArrayList<>(List.of("cpp", "-P", "-D__ASSEMBLY__", "-DLINKER_SCRIPT",
                "-I" + Kbuild.kbuildDir()));
        cmd.addAll(List.of(defines));
        cmd.addAll(List.of("-o", "vmlinux.lds", "vmlinux.lds.S"));
        Kbuild.run(tree, env, cmd).ok();
    }

    private static final String RO_AFTER_INIT = String.join("\n",
            "SECTIONS",
            "{",
            "\t.data..ro_after_init : {",
            "\t\t. = ALIGN(8);",
            "\t\t__start_ro_after_init = .;",
            "\t\t*(.data..ro_after_init)",
            "\t\tPATCHSITES_DATA",
            "\t\t__end_ro_after_init = .;",
            "\t}",
            "}",
            "INSERT AFTER .data;",
            "");

    @Test
    void finalLinkFromTheRewrittenVmlinuxORunsAndPatchesThroughTheTable() throws IOException {
        Tools.Result r = hook(Map.of("quiet", "quiet_"), "vmlinux.o").ok();
        assertEquals("  PATCHSITES vmlinux.o\n", r.out(), "kbuild's quiet line");
        assertEquals("", r.err(), r::describe);
        int entries = tableEntries(tree.resolve("vmlinux.o"));
        int filterSites = scanCount("__SCT__filter");
        assertEquals(scanCount("__SCT__*"), entries, "entries in vmlinux.o vs the scan of its call sites");

        // The table inside the RO_AFTER_INIT_DATA-like output section, as PATCHSITES_DATA puts it.
        linkerScript(RO_AFTER_INIT);
        String lds = Files.readString(tree.resolve("vmlinux.lds"));
        assertTrue(lds.contains("__start_static_call_sites = .; KEEP(*(.static_call_sites)) __stop_static_call_sites = .;"),
                lds);
        Kbuild.run(tree, env, "gcc", "-no-pie", "-o", "vmlinux", "-Wl,-T,vmlinux.lds", "vmlinux.o").ok();

        Map<String, Long> sym = symbols(tree.resolve("vmlinux"));
        long start = sym.get("__start_static_call_sites"), stop = sym.get("__stop_static_call_sites");
        assertEquals(entries * 8L, stop - start, "the bounds bracket the whole table");
        assertTrue(sym.get("__start_ro_after_init") <= start && stop <= sym.get("__end_ro_after_init"),
                () -> "the table is not inside the ro_after_init section: " + sym);

        // audit and plan find the table of a linked program between its bounds when no section has
        // its name (the kernel's vmlinux keeps it inside .rodata).
        String sections = Kbuild.run(tree, env, "readelf", "-SW", "vmlinux").ok().out();
        assertTrue(!sections.contains(" .static_call_sites "), sections);
        Tools.Result audit = Kbuild.run(tree, env, bin.resolve("patchsites").toString(), "audit", "--section=.static_call_sites",
                "--layout=site-key", "--json", "vmlinux").ok();
        assertTrue(audit.out().contains("{\"type\":\"table\",\"file\":\"vmlinux\",\"table\":\".static_call_sites\","),
                audit::describe);
        assertTrue(audit.out().contains("\"entries\":" + entries + ",") && audit.out().contains("\"invalid\":0,"),
                audit::describe);

        Tools.Result prog = Kbuild.run(tree, env, tree.resolve("vmlinux").toString(), "20000");
        assertEquals(0, prog.rc(), prog::describe);
        assertTrue(prog.out().contains("RESULT: all checks passed"), prog::describe);
        assertTrue(prog.out().contains(".static_call_sites: " + entries + " entries"), prog::describe);
        assertTrue(prog.out().contains("patched " + filterSites + " sites of __SCK__filter"), prog::describe);
    }

    @Test
    void tableInAnOutputSectionOfItsOwn() throws IOException {
        hook(Map.of(), "vmlinux.o").ok();
        int entries = tableEntries(tree.resolve("vmlinux.o"));
        linkerScript("SECTIONS\n{\n\tPATCHSITES_SECTION\n}\nINSERT AFTER .data;\n");
        Kbuild.run(tree, env, "gcc", "-no-pie", "-o", "vmlinux", "-Wl,-T,vmlinux.lds", "vmlinux.o").ok();
        String sections = Kbuild.run(tree, env, "readelf", "-SW", "vmlinux").ok().out();
        Matcher m = Pattern.compile("\\] \\.static_call_sites\\s+PROGBITS\\s+([0-9a-f]+) [0-9a-f]+ ([0-9a-f]+) ").matcher(sections);
        assertTrue(m.find(), sections);
        Map<String, Long> sym = symbols(tree.resolve("vmlinux"));
        assertEquals(Long.parseLong(m.group(1), 16), sym.get("__start_static_call_sites"));
        assertEquals(entries * 8L, Long.parseLong(m.group(2), 16));
        assertEquals(entries * 8L, sym.get("__stop_static_call_sites") - sym.get("__start_static_call_sites"));
        Tools.Result prog = Kbuild.run(tree, env, tree.resolve("vmlinux").toString(), "20000");
        assertTrue(prog.rc() == 0 && prog.out().contains("RESULT: all checks passed"), prog::describe);
    }

    /**
     * Why link-vmlinux.sh must link vmlinux.o: linked from vmlinux.a again (what a kernel without
     * CONFIG_LTO_CLANG or CONFIG_X86_KERNEL_IBT does) the program has none of the table that was
     * written into vmlinux.o.
     */
    @Test
    void linkedFromVmlinuxAgainTheProgramHasNoTable() throws IOException {
        hook(Map.of(), "vmlinux.o").ok();
        linkerScript(RO_AFTER_INIT);
        Kbuild.run(tree, env, "gcc", "-no-pie", "-o", "vmlinux", "-Wl,-T,vmlinux.lds", "-Wl,--whole-archive", "vmlinux.a",
                "-Wl,--no-whole-archive", "-Wl,--start-group", "lib/lib.a", "-Wl,--end-group").ok();
        Map<String, Long> sym = symbols(tree.resolve("vmlinux"));
        assertEquals(sym.get("__start_static_call_sites"), sym.get("__stop_static_call_sites"), "an empty table");
        Tools.Result prog = Kbuild.run(tree, env, tree.resolve("vmlinux").toString(), "20000");
        assertEquals(1, prog.rc(), prog::describe);
        assertTrue(prog.out().contains("no call site of __SCK__filter in the table"), prog::describe);
    }

    @Test
    void verboseShowsTheCommandsAndSilentShowsNothing() {
        Tools.Result v = hook(Map.of("KBUILD_VERBOSE", "1", "quiet", ""), "vmlinux.o").ok();
        assertTrue(v.out().contains(" emit '--target=__SCT__*' --section=.static_call_sites --layout=site-key"
                + " --key-prefix=__SCT__=__SCK__ --key-fallback=error --verbose -o "), v::describe);
        assertTrue(v.out().contains("vmlinux.o: " + tableEntries(tree.resolve("vmlinux.o")) + " entries in .static_call_sites"),
                v::describe);
        assertTrue(!v.out().contains("PATCHSITES vmlinux.o"), v::describe);
        // V=1 from the command line (without kbuild's KBUILD_VERBOSE) does the same.
        assertTrue(hook(Map.of("V", "1"), "vmlinux.o").ok().out().contains("mv -f "));
        Tools.Result s = hook(Map.of("quiet", "silent_"), "vmlinux.o").ok();
        assertEquals("", s.out() + s.err(), s::describe);
    }

    @Test
    void auditAndSeveralTables() throws IOException {
        Files.writeString(tree.resolve("patchsites.conf"),
                Files.readString(tree.resolve("patchsites.conf")).replace("audit        = no", "audit        = yes"));
        Files.writeString(tree.resolve("retpolines.conf"), String.join("\n",
                "# the retpoline thunk calls of bench_retpoline.c",
                "targets = __x86_indirect_thunk_*, __x86_indirect_call_thunk_*",
                "section = .retpoline_sites",
                "layout = site",
                ""));
        Tools.Result r = hook(Map.of("V", "1"), "-c", "patchsites.conf", "--config=retpolines.conf", "vmlinux.o").ok();
        assertTrue(r.out().contains(" audit '--target=__SCT__*' --section=.static_call_sites"), r::describe);
        assertTrue(r.out().contains("problems: 0 invalid, 0 missing, 0 extra, 0 duplicates"), r::describe);
        assertTrue(r.out().contains(" in .retpoline_sites (site)"), r::describe);
        String sections = Kbuild.run(tree, env, "readelf", "-SW", "vmlinux.o").ok().out();
        assertTrue(sections.contains(".rela.static_call_sites") && sections.contains(".rela.retpoline_sites"), sections);
    }

    /**
     * Several objects (Makefile.modfinal's batch over the modules): one emit per table over all of
     * them, each object gets its own table; an error in one leaves every object as it was.
     */
    @Test
    void severalObjectsEachGetTheirTableOrNoneChanges() throws IOException {
        Files.writeString(tree.resolve("modules.conf"), String.join("\n",
                "targets = __SCT__*", "section = .static_call_sites", "layout = site-key", "key-prefix = __SCT__=__SCK__",
                "key-fallback = target", "min-entries = 0", "audit = yes", ""));
        List<String> objects = List.of("kernel/impl.o", "kernel/process.o", "kernel/main.o", "lib/branch.o");
        Map<String, byte[]> before = new HashMap<>();
        for (String o : objects) {
            before.put(o, Files.readAllBytes(tree.resolve(o)));
        }
        List<String> args = new java.util.ArrayList<>(List.of("-c", "modules.conf"));
        args.addAll(objects);

        // One of them not an object: an error, and none of them changed (no copy left behind).
        Files.writeString(tree.resolve("lib/bad.o"), "not an object\n");
        List<String> withBad = new java.util.ArrayList<>(args);
        withBad.add("lib/bad.o");
        Tools.Result bad = hook(Map.of("quiet", "quiet_"), withBad.toArray(String[]::new));
        assertEquals(1, bad.rc(), bad::describe);
        assertTrue(bad.err().contains("patchsites-kbuild: error: "), bad::describe);
        for (String o : objects) {
            assertArrayEquals(before.get(o), Files.readAllBytes(tree.resolve(o)), o + " changed");
        }
        String left = Kbuild.run(tree, env, "find", ".", "-name", "*.patchsites").ok().out();
        assertEquals("", left, "copies left behind");

        Tools.Result r = hook(Map.of("quiet", "quiet_"), args.toArray(String[]::new)).ok();
        for (String o : objects) {
            assertTrue(r.out().contains("  PATCHSITES " + o + "\n"), r::describe);
            String json = Kbuild.run(tree, env, bin.resolve("patchsites").toString(), "scan", "--target=__SCT__*", "--json", o)
                    .ok().out();
            int sites = (int) json.lines().filter(l -> l.startsWith("{\"type\":\"site\",")).count();
            String sections = Kbuild.run(tree, env, "readelf", "-SW", o).ok().out();
            if (sites > 0) {
                assertEquals(sites, tableEntries(tree.resolve(o)), o);
            }
            assertTrue(sites > 0 || !sections.contains(".static_call_sites") || sections.matches(
                    "(?s).*\\] \\.static_call_sites\\s+PROGBITS\\s+[0-9a-f]+ [0-9a-f]+ 0+ .*"), o + ": " + sections);
        }
        assertTrue(objects.stream().anyMatch(o -> !java.util.Arrays.equals(before.get(o), readAll(tree.resolve(o)))),
                "no object got a table");
    }

    private static byte[] readAll(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static List<Arguments> failures() {
        return List.of(
                Arguments.of("no configuration", "", List.of("--config=missing.conf", "vmlinux.o"),
                        "patchsites-kbuild: error: missing.conf: No such file", 1),
                Arguments.of("unknown key", "targets = __SCT__*\nsection = .static_call_sites\nlayout = site-key\nkeyprefix = x\n",
                        List.of("vmlinux.o"), "patchsites.conf:4: unknown key 'keyprefix'", 1),
                Arguments.of("not key = value", "targets __SCT__*\n", List.of("vmlinux.o"),
                        "patchsites.conf:1: expected key = value", 1),
                Arguments.of("no section", "targets = __SCT__*\nlayout = site-key\n", List.of("vmlinux.o"),
                        "no section = ...", 1),
                Arguments.of("bad layout", "targets = __SCT__*\nsection = .static_call_sites\nlayout = bogus\n",
                        List.of("vmlinux.o"), "patchsites emit failed on vmlinux.o", 1),
                Arguments.of("targets that match nothing",
                        "targets = __SCT__nonesuch\nsection = .static_call_sites\nlayout = site-key\n", List.of("vmlinux.o"),
                        "0 entries in .static_call_sites, fewer than min-entries = 1", 1),
                Arguments.of("missing key with key-fallback = error",
                        "targets = __SCT__*\nsection = .static_call_sites\nlayout = site-key\nkey-prefix = __SCT__=__NOPE__\n"
                                + "key-fallback = error\n",
                        List.of("vmlinux.o"), "patchsites emit failed on vmlinux.o", 1),
                Arguments.of("not an object", "targets = __SCT__*\nsection = .static_call_sites\nlayout = site-key\n",
                        List.of("patchsites.conf"), "patchsites emit failed on patchsites.conf", 1),
                Arguments.of("no object", "", List.of(), "no OBJECT", 2),
                Arguments.of("object missing", "", List.of("vmlinux.x"), "vmlinux.x: No such file", 1),
                Arguments.of("unknown option", "", List.of("--frobnicate", "vmlinux.o"), "unknown option --frobnicate", 2));
    }

    /** Every error stops the build: a non-zero exit, one clear line, and vmlinux.o as it was. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("failures")
    void errorsFailTheBuildAndLeaveTheObjectAlone(String what, String config, List<String> args, String message, int rc)
            throws IOException {
        if (!config.isEmpty()) {
            Files.writeString(tree.resolve("patchsites.conf"), config);
        }
        byte[] before = Files.readAllBytes(tree.resolve("vmlinux.o"));
        Tools.Result r = hook(Map.of("quiet", "quiet_"), args.toArray(String[]::new));
        assertNotEquals(0, r.rc(), r::describe);
        assertEquals(rc, r.rc(), r::describe);
        assertTrue(r.err().contains(message), () -> "expected '" + message + "': " + r.describe());
        assertTrue(r.err().contains("patchsites-kbuild: error: "), r::describe);
        assertArrayEquals(before, Files.readAllBytes(tree.resolve("vmlinux.o")), "vmlinux.o changed");
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** Entries of .static_call_sites in an object: its size / 8. */
    private int tableEntries(Path object) {
        String sections = Kbuild.run(tree, env, "readelf", "-SW", object.toString()).ok().out();
        Matcher m = Pattern.compile("\\] \\.static_call_sites\\s+PROGBITS\\s+[0-9a-f]+ [0-9a-f]+ ([0-9a-f]+) ").matcher(sections);
        assertTrue(m.find(), () -> "no .static_call_sites in " + object + ":\n" + sections);
        return (int) (Long.parseLong(m.group(1), 16) / 8);
    }

    /** Call sites (call, tail, cond-tail) of the targets in vmlinux.a, by patchsites scan --json. */
    private int scanCount(String target) {
        String json = Kbuild.run(tree, env, bin.resolve("patchsites").toString(), "scan", "--target=" + target, "--json", "vmlinux.a").ok().out();
        return (int) json.lines().filter(l -> l.startsWith("{\"type\":\"site\",")).count();
    }

    private Map<String, Long> symbols(Path program) {
        Map<String, Long> sym = new HashMap<>();
        for (String line : Kbuild.run(tree, env, "nm", program.toString()).ok().out().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3) {
                sym.put(f[2], Long.parseLong(f[0], 16));
            }
        }
        for (String s : List.of("__start_static_call_sites", "__stop_static_call_sites")) {
            assertTrue(sym.containsKey(s), () -> s + " is not defined in " + program);
        }
        return sym;
    }
}
