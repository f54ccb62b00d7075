package patchsites.collector.kbuild;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import patchsites.collector.corpus.Corpus;
import patchsites.fixtures.Tools;

/**
 * A real Linux 6.1 kernel whose call-site tables come only from patchsites, booted under qemu
 * (issue 16; docs/kbuild.md, "The boot test"): runs {@code linker-scripts/kbuild/boot/kernel-boot-test}
 * with the CLI as compiled now, then reads the serial consoles it wrote.
 *
 * <p>It builds a kernel (about 20 minutes on two cores the first time, cached under
 * {@code ~/.cache/patchsites}; then a relink, a minute or two), so it runs where the corpus is
 * required ({@code scripts/test.sh}, CI: env {@code PATCHSITES_REQUIRE_CORPUS=true}) or with
 * {@code -Dpatchsites.kernelBoot=true}, and is skipped otherwise. When it runs, a missing tool,
 * tree or qemu is a failure (the script's exit status 2), never a skip.
 */
class KernelBootTest {
    private static final long TIMEOUT_SECONDS = 50 * 60;

    @TempDir
    Path tmp;

    /** Bad input to the script, each one clear line and exit status 2 before any work (always run: no build). */
    @Test
    void badInputIsOneLineAndExitStatusTwo() throws IOException {
        Path script = Kbuild.kbuildDir().resolve("boot/kernel-boot-test");
        Path config = Kbuild.kbuildDir().resolve("boot/config");
        Path noSelftest = tmp.resolve("no-selftest.config");
        Files.writeString(noSelftest, Files.readString(config).replace("CONFIG_STATIC_CALL_SELFTEST=y\n", ""));
        Path emptyTree = Files.createDirectories(tmp.resolve("empty-tree"));
        Map<String, String> bin = Map.of("PATCHSITES", Kbuild.patchsitesCommand(tmp.resolve("bin")).resolve("patchsites").toString(),
                "PATCHSITES_CACHE", tmp.resolve("cache").toString());
        record Case(Map<String, String> env, List<String> args, String message) {}
        for (Case c : List.of(
                new Case(bin, List.of("--tree=" + emptyTree), emptyTree + ": error: not a Linux source tree"),
                new Case(bin, List.of("--config=" + noSelftest), noSelftest + ": error: CONFIG_STATIC_CALL_SELFTEST is not set"),
                new Case(bin, List.of("--config=" + tmp.resolve("missing.config")), "missing.config: error: No such file"),
                new Case(Map.of("QEMU", tmp.resolve("no-qemu").toString()), List.of(), "no-qemu: error: not found"),
                new Case(bin, List.of("--jobs=two"), "--jobs=two: error: not a number"))) {
            java.util.List<String> cmd = new java.util.ArrayList<>(List.of(script.toString()));
            cmd.addAll(c.args());
            Tools.Result r = Kbuild.run(tmp, c.env(), cmd);
            assertEquals(2, r.rc(), r.describe());
            assertEquals("", r.out(), r.describe());
            assertEquals(1, r.err().lines().count(), r.describe());
            assertTrue(r.err().startsWith("kernel-boot-test: ") && r.err().contains(c.message()), r.describe());
        }
    }

    @Test
    void kernelWithPatchsitesTablesBootsAndTheNegativeControlsFail() throws IOException {
        boolean required = Boolean.parseBoolean(System.getProperty(Corpus.REQUIRE_PROPERTY, "").trim())
                || Boolean.parseBoolean(System.getProperty("patchsites.kernelBoot", "").trim());
        Assumptions.assumeTrue(required, "the kernel boot test runs with PATCHSITES_REQUIRE_CORPUS=true "
                + "(scripts/test.sh) or -Dpatchsites.kernelBoot=true");

        Path work = Files.createTempDirectory("kernel-boot");
        Path bin = Kbuild.patchsitesCommand(work.resolve("bin"));
        Path out = work.resolve("out");
        Tools.Result r = Kbuild.run(Kbuild.repositoryRoot(), Map.of("PATCHSITES", bin.resolve("patchsites").toString()),
                List.of(Kbuild.kbuildDir().resolve("boot/kernel-boot-test").toString(), "--out=" + out), TIMEOUT_SECONDS);
        String report = r.out();
        assertEquals(0, r.rc(), r.describe());
        assertFalse(report.contains("kernel-boot-test: FAIL"), r.describe());

        // The script's own checks, each a PASS line (its exit status alone could hide a missing one).
        for (String pass : List.of("no table section in any of the", "no table section in patchsites_test.o",
                "patchsites audit of .static_call_sites in vmlinux.o", "patchsites audit of .return_sites in vmlinux.o",
                "patchsites audit of __mcount_loc in patchsites_test.ko", "patchsites audit of .static_call_sites in the linked vmlinux",
                "the objects objtool skips in arch/x86/entry/vdso have", "qemu boots the kernel",
                "negative control: the module without its table", "negative control: the kernel with one site moved")) {
            assertTrue(Pattern.compile("^kernel-boot-test: PASS " + Pattern.quote(pass), Pattern.MULTILINE).matcher(report).find(),
                    "no PASS line for '" + pass + "'\n" + r.describe());
        }

        // The serial console of the good boot, read here again.
        String console = Files.readString(out.resolve("console.log"));
        assertTrue(console.contains("patchsites-init: started"), console);
        assertTrue(console.contains("patchsites-init: done"), console);
        assertFalse(Pattern.compile("^patchsites-init: FAIL", Pattern.MULTILINE).matcher(console).find(), console);
        for (String line : console.split("\r?\n")) {
            if (!line.contains("patchsites-init:")) {
                assertFalse(line.matches(".*(WARNING:|BUG:|Oops|Kernel panic|unexpected static_call insn|missing return thunk).*"),
                        "kernel says: " + line);
            }
        }
        int notable = console.indexOf("insmod patchsites_test-notable.ko");
        assertTrue(notable > 0, console);
        String with = console.substring(0, notable);
        String without = console.substring(notable);
        for (String check : List.of("normal call site calls pst_default at load",
                "normal call site calls pst_alternative after static_call_update",
                "tail call site jumps to pst_alternative after static_call_update",
                "__init call site calls pst_alternative after static_call_update")) {
            assertTrue(with.contains("patchsites-test: PASS " + check), "module with its table: " + check + "\n" + console);
            assertTrue(without.contains("patchsites-test: FAIL " + check + ": site still calls the trampoline"),
                    "module without its table: " + check + "\n" + console);
        }
        assertTrue(console.contains("patchsites-init: PASS function tracer fired"), console);
        assertTrue(console.contains("patchsites-init: PASS ftrace lists pst_normal_site [patchsites_test]"), console);

        // The negative control: no init marker (the timeout or a panic ended qemu).
        String moved = Files.readString(out.resolve("console-moved.log"));
        assertFalse(moved.contains("patchsites-init:"), moved);
    }
}
