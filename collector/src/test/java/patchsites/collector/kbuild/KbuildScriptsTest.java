package patchsites.collector.kbuild;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import patchsites.fixtures.Tools;

/**
 * linker-scripts/kbuild/*.patch against Debian's real Linux 6.1 files, and the final link run
 * through those real, patched files: {@code scripts/Makefile.vmlinux_o} (links vmlinux.o, runs
 * objtool and now patchsites-kbuild), {@code scripts/Makefile.vmlinux} and
 * {@code scripts/link-vmlinux.sh} (links vmlinux), driven by the mini tree's top-level Makefile
 * (test resource {@code kbuild/Makefile}) on the example's objects. Each object gets Debian's
 * 6.1 objtool's {@code .static_call_sites}, as in a kernel built without IBT or LTO.
 */
class KbuildScriptsTest {
    @TempDir
    Path tmp;

    private static String patch(String name) {
        return Kbuild.kbuildDir().resolve(name).toString();
    }

    /** {@code patch -p1} with no fuzz: every hunk applies exactly where it was made. */
    private static Tools.Result applyExactly(Path tree, String patchFile) {
        Tools.Result r = Kbuild.run(tree, Map.of(), "patch", "-p1", "-F0", "--no-backup-if-mismatch", "-i", patchFile).ok();
        assertFalse(r.out().contains("fuzz") || r.out().contains("offset"), () -> "the patch does not apply exactly: " + r.describe());
        return r;
    }

    @Test
    void kbuildPatchAppliesToDebians61ScriptsAndRevertsCleanly() throws IOException {
        Path tree = tmp.resolve("linux");
        Kbuild.miniTree(tree);
        String vmlinuxO = Files.readString(tree.resolve("scripts/Makefile.vmlinux_o"));
        String linkSh = Files.readString(tree.resolve("scripts/link-vmlinux.sh"));
        Tools.Result r = applyExactly(tree, patch("kbuild.patch"));
        assertEquals("patching file scripts/Makefile.vmlinux_o\npatching file scripts/link-vmlinux.sh\n", r.out());

        String patchedO = Files.readString(tree.resolve("scripts/Makefile.vmlinux_o"));
        assertTrue(patchedO.contains("\t--start-group $(KBUILD_VMLINUX_LIBS) --end-group \\\n\t$(cmd_objtool) $(cmd_patchsites)\n"),
                "patchsites runs after ld -r and objtool, in the same command");
        assertTrue(patchedO.contains("cmd_patchsites = $(if $(PATCHSITES_KBUILD), ; $(PATCHSITES_KBUILD) $@)\n"));
        String patchedSh = Files.readString(tree.resolve("scripts/link-vmlinux.sh"));
        assertTrue(patchedSh.contains(
                "\tif is_enabled CONFIG_LTO_CLANG || is_enabled CONFIG_X86_KERNEL_IBT || [ -n \"${PATCHSITES_KBUILD}\" ]; then\n"
                        + "\t\t# Use vmlinux.o instead of performing the slow LTO link again.\n\t\tobjs=vmlinux.o\n"),
                "the final link takes vmlinux.o when patchsites is on");
        assertEquals(5, changedLines(Files.readString(Path.of(patch("kbuild.patch")))),
                "the lines a kernel tree needs (3-5, comments included)");

        Kbuild.run(tree, Map.of(), "patch", "-p1", "-R", "-F0", "-i", patch("kbuild.patch")).ok();
        assertEquals(vmlinuxO, Files.readString(tree.resolve("scripts/Makefile.vmlinux_o")));
        assertEquals(linkSh, Files.readString(tree.resolve("scripts/link-vmlinux.sh")));
    }

    /** Lines added by a unified diff, not counting blank ones. */
    private static int changedLines(String diff) {
        int n = 0;
        for (String l : diff.split("\n")) {
            if (l.startsWith("+") && !l.startsWith("+++") && !l.substring(1).isBlank()) {
                n++;
            }
        }
        return n;
    }

    /**
     * vmlinux.lds.h.patch on the real vmlinux.lds.h: RO_AFTER_INIT_DATA defines the table's bounds
     * exactly once, whether STATIC_CALL_DATA places .static_call_sites (x86,
     * CONFIG_HAVE_STATIC_CALL_INLINE) or PATCHSITES_DATA does (every other arch); another table
     * gets bounds of its own next to the static calls'.
     */
    @Test
    void ldsPatchPlacesTheTableOnceInRoAfterInitData() throws IOException {
        Path tree = tmp.resolve("linux");
        Kbuild.miniTree(tree);
        Files.copy(Path.of(patch("patchsites.lds.h")), tree.resolve("include/asm-generic/patchsites.lds.h"));
        applyExactly(tree, patch("vmlinux.lds.h.patch"));
        Files.writeString(tree.resolve("probe.lds.S"), "#include <asm-generic/vmlinux.lds.h>\nprobe: RO_AFTER_INIT_DATA\n");

        String inline = roAfterInit(tree, "-DCONFIG_HAVE_STATIC_CALL_INLINE=1");
        assertEquals(1, count(inline, "__start_static_call_sites = ."), inline);
        assertEquals(1, count(inline, "KEEP(*(.static_call_sites))"), inline);
        assertTrue(inline.contains("__start_static_call_tramp_key"), "STATIC_CALL_DATA placed it: " + inline);

        String other = roAfterInit(tree);
        assertEquals(1, count(other, "__start_static_call_sites = ."), other);
        assertFalse(other.contains("__start_static_call_tramp_key"), "PATCHSITES_DATA placed it: " + other);
        assertTrue(other.indexOf("*(.data..ro_after_init)") < other.indexOf("__start_static_call_sites")
                && other.indexOf("__stop_static_call_sites") < other.indexOf("__end_ro_after_init"),
                "the table lies inside ro_after_init: " + other);

        String own = roAfterInit(tree, "-DCONFIG_HAVE_STATIC_CALL_INLINE=1", "-DPATCHSITES_SECTION_NAME=.patchsites_sites",
                "-DPATCHSITES_SECTION_ID=patchsites_sites");
        assertEquals(1, count(own, "__start_static_call_sites = ."), own);
        assertEquals(1, count(own, "__start_patchsites_sites = .; KEEP(*(.patchsites_sites)) __stop_patchsites_sites = .;"),
                own);
    }

    private static String roAfterInit(Path tree, String... defines) {
        List<String> cmd = new ArrayList<>(List.of("cpp", "-P", "-D__ASSEMBLY__", "-DLINKER_SCRIPT", "-Iinclude"));
        cmd.addAll(List.of(defines));
        cmd.add("probe.lds.S");
        String out = Kbuild.run(tree, Map.of(), cmd).ok().out();
        int at = out.indexOf("probe:");
        assertTrue(at >= 0, out);
        return out.substring(at);
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    /** A tree patched with kbuild.patch and vmlinux.lds.h.patch; config = patchsites.conf's text. */
    private Path patchedTree(String config) throws IOException {
        Path tree = tmp.resolve("linux");
        Kbuild.miniTree(tree);
        applyExactly(tree, patch("kbuild.patch"));
        Files.copy(Path.of(patch("patchsites.lds.h")), tree.resolve("include/asm-generic/patchsites.lds.h"));
        applyExactly(tree, patch("vmlinux.lds.h.patch"));
        Files.writeString(tree.resolve("patchsites.conf"), config);
        return tree;
    }

    private Map<String, String> env() throws IOException {
        return Kbuild.treeEnv(Kbuild.patchsitesCommand(tmp.resolve("bin")), true);
    }

    private static String example() throws IOException {
        return Files.readString(Kbuild.kbuildDir().resolve("patchsites.conf.example"));
    }

    @Test
    void finalLinkThroughTheRealScriptsUsesTheRewrittenVmlinuxO() throws IOException {
        Path tree = patchedTree(example());
        Map<String, String> env = env();
        Tools.Result make = Kbuild.run(tree, env, "make", "PATCHSITES_KBUILD=" + Kbuild.wrapper(), "vmlinux").ok();
        // kbuild's quiet lines, in order: ld -r, then patchsites-kbuild on its result, then the final link.
        List<String> lines = make.out().lines().toList();
        int ld = lines.indexOf("  LD      vmlinux.o"), ps = lines.indexOf("  PATCHSITES vmlinux.o"),
                link = lines.indexOf("  LD      vmlinux");
        assertTrue(ld >= 0 && ps == ld + 1 && link > ps, make::describe);
        assertEquals("", make.err(), make::describe);

        Tools.Result prog = Kbuild.run(tree, env, tree.resolve("vmlinux").toString(), "20000");
        assertEquals(0, prog.rc(), prog::describe);
        assertTrue(prog.out().contains("RESULT: all checks passed"), prog::describe);
    }

    /**
     * The table in vmlinux is the one patchsites wrote into vmlinux.o, not objtool's from the
     * objects: with a table of the __SCT__filter sites alone, vmlinux has exactly those. And the
     * reason for link-vmlinux.sh's hunk: without it, vmlinux is linked from vmlinux.a again and
     * has objtool's table whatever patchsites wrote.
     */
    @Test
    void vmlinuxGetsPatchsitesTableOnlyThroughTheLinkVmlinuxHunk() throws IOException {
        String filterOnly = example().replace("targets      = __SCT__*", "targets      = __SCT__filter");
        Path tree = patchedTree(filterOnly);
        Map<String, String> env = env();
        Kbuild.run(tree, env, "make", "PATCHSITES_KBUILD=" + Kbuild.wrapper(), "vmlinux").ok();
        int all = tableEntries(tree, env, "vmlinux.a", "__SCT__*");
        int filter = tableEntries(tree, env, "vmlinux.a", "__SCT__filter");
        assertTrue(filter > 0 && filter < all, () -> filter + " of " + all);
        assertEquals(filter, linkedEntries(tree, env), "vmlinux's table is patchsites' (the __SCT__filter sites)");

        // link-vmlinux.sh as Debian ships it: the table written into vmlinux.o is lost.
        Files.copy(Kbuild.linuxSource().resolve("scripts/link-vmlinux.sh"), tree.resolve("scripts/link-vmlinux.sh"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Kbuild.run(tree, env, "make", "PATCHSITES_KBUILD=" + Kbuild.wrapper(), "vmlinux").ok();
        assertEquals(all, linkedEntries(tree, env), "linked from vmlinux.a: objtool's table of every object");
    }

    @Test
    void aFailingPatchsitesStopsTheBuild() throws IOException {
        Path tree = patchedTree(example().replace("layout       = site-key", "layout       = bogus"));
        Map<String, String> env = env();
        Tools.Result make = Kbuild.run(tree, env, "make", "PATCHSITES_KBUILD=" + Kbuild.wrapper(), "vmlinux");
        assertNotEquals(0, make.rc(), make::describe);
        assertTrue(make.err().contains("patchsites-kbuild: error: patchsites emit failed on vmlinux.o"), make::describe);
        assertTrue(make.err().contains("Deleting file 'vmlinux.o'"), "kbuild's .DELETE_ON_ERROR: " + make.describe());
        assertFalse(Files.exists(tree.resolve("vmlinux.o")));
        assertFalse(Files.exists(tree.resolve("vmlinux")));
    }

    /**
     * docs/kbuild.md's comparison with objtool on the same build: objtool's table (vmlinux.o
     * linked without patchsites) audits clean against patchsites' scan, and the table patchsites
     * writes into a copy has the same entries, relocation for relocation.
     */
    @Test
    void patchsitesTableEqualsObjtoolsOnTheSameBuild() throws IOException {
        Path tree = patchedTree(example());
        Map<String, String> env = env();
        Kbuild.run(tree, env, "make", "vmlinux").ok();
        Path bin = tmp.resolve("bin/patchsites");
        Tools.Result audit = Kbuild.run(tree, env, bin.toString(), "audit", "--section=.static_call_sites", "--layout=site-key",
                "--key-prefix=__SCT__=__SCK__", "vmlinux.o").ok();
        assertTrue(audit.out().contains("problems: 0 invalid, 0 missing, 0 extra, 0 duplicates"), audit::describe);
        Kbuild.run(tree, env, bin.toString(), "emit", "--target=__SCT__*", "--section=.static_call_sites", "--layout=site-key",
                "--key-prefix=__SCT__=__SCK__", "-o", "vmlinux.patchsites.o", "vmlinux.o").ok();
        List<String> objtool = relocations(tree, env, "vmlinux.o");
        List<String> ours = relocations(tree, env, "vmlinux.patchsites.o");
        assertEquals(2 * tableEntries(tree, env, "vmlinux.a", "__SCT__*"), objtool.size(), objtool::toString);
        assertEquals(objtool, ours);
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** Sorted "type symbol+addend" of .rela.static_call_sites. */
    private static List<String> relocations(Path tree, Map<String, String> env, String object) {
        String out = Kbuild.run(tree, env, "readelf", "-rW", object).ok().out();
        int at = out.indexOf("'.rela.static_call_sites'");
        assertTrue(at >= 0, () -> object + " has no .rela.static_call_sites");
        List<String> r = new ArrayList<>();
        for (String l : out.substring(at).split("\n")) {
            String[] f = l.trim().split("\\s+");
            if (f.length >= 7 && f[0].matches("[0-9a-f]{8,}")) {
                r.add(f[2] + " " + String.join(" ", List.of(f).subList(4, f.length)));
            } else if (!r.isEmpty() && l.isBlank()) {
                break;
            }
        }
        r.sort(null);
        return r;
    }

    private int tableEntries(Path tree, Map<String, String> env, String file, String target) {
        String json = Kbuild.run(tree, env, tmp.resolve("bin/patchsites").toString(), "scan", "--target=" + target, "--json",
                file).ok().out();
        return (int) json.lines().filter(l -> l.startsWith("{\"type\":\"site\",")).count();
    }

    /** Entries between __start_static_call_sites and __stop_static_call_sites in the linked vmlinux. */
    private static int linkedEntries(Path tree, Map<String, String> env) {
        Map<String, Long> sym = new HashMap<>();
        for (String line : Kbuild.run(tree, env, "nm", "vmlinux").ok().out().split("\n")) {
            Matcher m = Pattern.compile("^([0-9a-f]+) \\w (__st(?:art|op)_static_call_sites)$").matcher(line);
            if (m.matches()) {
                sym.put(m.group(2), Long.parseLong(m.group(1), 16));
            }
        }
        assertEquals(2, sym.size(), sym::toString);
        return (int) ((sym.get("__stop_static_call_sites") - sym.get("__start_static_call_sites")) / 8);
    }
}
