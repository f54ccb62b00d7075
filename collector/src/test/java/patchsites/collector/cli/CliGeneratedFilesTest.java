package patchsites.collector.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import patchsites.fixtures.Tools;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine;

/**
 * The bash completion script that the build writes with picocli's AutoComplete (collector/pom.xml,
 * phase process-classes, before the tests): it exists, covers every command and option of the CLI
 * as compiled now, and completes commands, options and option values in bash. The man pages have
 * their own test, CliManPagesTest.
 */
class CliGeneratedFilesTest {
    private static final Path TARGET = Path.of("target").toAbsolutePath();

    @Test
    void completionScriptCompletesCommandsAndOptions() throws IOException {
        Path script = TARGET.resolve("patchsites-completion.bash");
        assertTrue(Files.isRegularFile(script), script + " is missing: the build (exec-maven-plugin) writes it");
        String text = Files.readString(script);
        CommandLine cl = Main.commandLine();
        for (Map.Entry<String, CommandLine> e : cl.getSubcommands().entrySet()) {
            assertTrue(text.contains("_picocli_patchsites_" + e.getKey() + "()"), "no completion for " + e.getKey());
            for (OptionSpec o : e.getValue().getCommandSpec().options()) {
                for (String n : o.names()) {
                    assertTrue(text.contains(n), () -> "completion lacks " + e.getKey() + " " + n);
                }
            }
        }
        Tools.Result r = Tools.run(TARGET, "bash", "-c", String.join("\n",
                "source '" + script + "'",
                "complete_for() { COMP_LINE=\"$*\"; COMP_WORDS=(\"$@\"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=();",
                "  _complete_patchsites; printf '%s\\n' \"${COMPREPLY[*]}\"; }",
                "complete_for patchsites em",
                "complete_for patchsites scan --targ",
                "complete_for patchsites audit --x86"));
        assertEquals(0, r.rc(), r::describe);
        assertEquals("emit\n--target --targets-file\n--x86-policy\n", r.out(), r::describe);
    }

    /** The options that take one of a few words offer those words, and each word is one the command takes. */
    @Test
    void completionOffersTheValuesOfWordOptions() throws IOException {
        Path script = TARGET.resolve("patchsites-completion.bash");
        Tools.Result r = Tools.run(TARGET, "bash", "-c", String.join("\n",
                "source '" + script + "'",
                "complete_for() { COMP_LINE=\"$*\"; COMP_WORDS=(\"$@\"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=();",
                "  _complete_patchsites; printf '%s\\n' \"${COMPREPLY[*]}\"; }",
                "complete_for patchsites emit --layout ''",
                "complete_for patchsites audit --layout s",
                "complete_for patchsites plan --layout a",
                "complete_for patchsites audit --x86-policy ''",
                "complete_for patchsites plan --x86-policy c",
                "complete_for patchsites emit --key-fallback ''",
                "complete_for patchsites stubs --arch ar",
                "complete_for patchsites stubs --arch ''"));
        assertEquals(0, r.rc(), r::describe);
        assertEquals(String.join("\n", "site-key site abs", "site-key site", "abs", "linux aligned cacheline", "cacheline",
                "target error", "arm64 arm",
                "x86_64 i386 arm64 arm ppc64le ppc64 ppc32 riscv64 s390x loongarch64", ""), r.out(), r::describe);
        // Every offered word is accepted: an in-process run gets past option parsing to the input file.
        Path none = TARGET.resolve("no-such-input.o");
        for (String layout : new Completions.Layouts()) {
            for (String policy : new Completions.X86Policies()) {
                CliPolishTest.Run a = CliPolishTest.run("audit", "--section=.s", "--layout=" + layout,
                        "--x86-policy=" + policy, none.toString());
                assertEquals("patchsites: " + none + ": error: cannot read: No such file\n", a.err(), a::describe);
            }
        }
        for (String fallback : new Completions.KeyFallbacks()) {
            CliPolishTest.Run e = CliPolishTest.run("emit", "--target=x", "--section=.s", "--layout=site-key",
                    "--key-fallback=" + fallback, "--in-place", none.toString());
            assertEquals("patchsites: " + none + ": error: cannot read: No such file\n", e.err(), e::describe);
        }
        for (String arch : new Completions.TrampolineArches()) {
            assertTrue(patchsites.lds.Trampolines.supports(arch), arch);
        }
    }
}
