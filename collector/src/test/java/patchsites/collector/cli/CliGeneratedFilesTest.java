package patchsites.collector.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import patchsites.collector.fixtures.Tools;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The bash completion script and the man pages' AsciiDoc that the build writes with picocli-codegen
 * (collector/pom.xml, phase process-classes, before the tests): they exist, cover every command and
 * option of the CLI as compiled now, and the completion works in bash. (asciidoctor turns the
 * AsciiDoc into target/man/*.1 when packaging, after the tests.)
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

    @Test
    void manPageSourcesCoverEveryCommand() throws IOException {
        Path dir = TARGET.resolve("man-adoc");
        for (String c : Main.commandLine().getSubcommands().keySet()) {
            Path page = dir.resolve("patchsites-" + c + ".adoc");
            assertTrue(Files.isRegularFile(page), page + " is missing: the build (ManPageGenerator) writes it");
            String text = Files.readString(page);
            assertTrue(text.contains(":doctype: manpage") && text.contains("= patchsites-" + c + "(1)"), page::toString);
            if (!c.equals("help")) {
                assertTrue(text.contains("== Synopsis") && text.contains("== Options") && text.contains("Exit status")
                        && text.contains("Examples:"), () -> page + " lacks a section:\n" + text);
                // Symbol names survive AsciiDoc: __SCT__x is emphasis markup unless passed through.
                assertTrue(!text.contains("__SCT__") || text.contains("pass:[__]SCT"), page::toString);
            }
        }
        assertTrue(Files.readString(dir.resolve("patchsites.adoc")).contains("*--quiet*"));
    }
}
