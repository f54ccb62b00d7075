package patchsites.collector.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import patchsites.collector.emit.AtomicFile;
import patchsites.lds.Alias;
import patchsites.lds.LinkerScript;
import patchsites.lds.Trampolines;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "stubs",
        mixinStandardHelpOptions = true,
        header = "Write the final link's aliases, table placement or trampolines.",
        description = "Writes what the final link needs: PROVIDE aliases and the table's placement as a"
                + " linker-script fragment (--lds), or assembly trampolines (--asm).",
        footerHeading = "%nNotes:%n",
        footer = {
                "The placed table is bracketed by __start_<id> and __stop_<id>, <id> being the",
                "section name without its leading dots (__start_static_call_sites). A PROVIDE",
                "takes effect only where nothing else defines the wrapper, so a trampoline of",
                "the same name wins. Files are written whole or not at all.",
                "",
                "Examples:",
                "  patchsites stubs --alias=__SCT__filter=filter_default --lds=aliases.lds \\",
                "      --place=.static_call_sites",
                "  patchsites stubs --aliases-file=aliases.txt --asm=tramp.S --arch=x86_64"},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {Main.EXIT_OK, Main.EXIT_BAD})
final class StubsCommand extends Subcommand {
    @Option(names = "--alias", paramLabel = "WRAPPER=DEFAULT", description = "Make WRAPPER the DEFAULT implementation. Repeatable.")
    List<String> aliasSpecs = new ArrayList<>();

    @Option(names = "--aliases-file", paramLabel = "FILE", description = "One WRAPPER=DEFAULT per line (# starts a comment).")
    Path aliasesFile;

    @Option(names = "--lds", paramLabel = "FILE", description = "Write the linker-script fragment here.")
    Path lds;

    @Option(names = "--place", paramLabel = "SECTION", description = "With --lds: also place SECTION (KEEP, start/stop symbols).")
    String place;

    @Option(names = "--asm", paramLabel = "FILE", description = "Write assembly trampolines here (needs --arch).")
    Path asm;

    @Option(names = "--arch", paramLabel = "ARCH", completionCandidates = Completions.TrampolineArches.class,
            description = "Architecture of the trampolines: ${COMPLETION-CANDIDATES}.")
    String arch;

    @Override
    public Integer call() {
        Diagnostics diag = diagnostics();
        List<Alias> aliases = new ArrayList<>();
        Path current = aliasesFile;
        try {
            for (String s : aliasSpecs) {
                aliases.add(Alias.parse(s));
            }
            if (aliasesFile != null) {
                for (String line : Files.readAllLines(aliasesFile, StandardCharsets.UTF_8)) {
                    String s = line.strip();
                    if (!s.isEmpty() && !s.startsWith("#")) {
                        aliases.add(Alias.parse(s));
                    }
                }
            }
            if (lds == null && asm == null) {
                throw new IllegalArgumentException("nothing to write: give --lds and/or --asm");
            }
            if (asm != null && arch == null) {
                throw new IllegalArgumentException("--asm needs --arch");
            }
            if (place != null && lds == null) {
                throw new IllegalArgumentException("--place goes with --lds");
            }
            if (asm != null && aliases.isEmpty()) {
                throw new IllegalArgumentException("--asm needs at least one alias");
            }
            if (lds != null) {
                String text = LinkerScript.fragment(aliases, place);
                current = lds;
                write(lds, text);
                if (verbose()) {
                    out().printf("%s: %s%s%n", lds, Diagnostics.count(aliases.size(), "alias", "aliases"),
                            place == null ? "" : ", " + place + " placed between " + LinkerScript.startSymbol(place) + " and "
                                    + LinkerScript.stopSymbol(place));
                }
            }
            if (asm != null) {
                String text = Trampolines.assembly(arch, aliases);
                current = asm;
                write(asm, text);
                if (verbose()) {
                    out().printf("%s: %s%n", asm, Diagnostics.count(aliases.size(), arch + " trampoline", arch + " trampolines"));
                }
            }
        } catch (IllegalArgumentException e) {
            diag.error(e.getMessage());
            return 2;
        } catch (AtomicFile.WriteFailure e) {
            diag.fail("stubs", e);
            return 2;
        } catch (IOException e) {
            diag.error(current != null ? current.toString() : "stubs", Diagnostics.failure(e));
            return 2;
        }
        out().flush();
        return 0;
    }

    private static void write(Path file, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(file, ch -> ch.write(java.nio.ByteBuffer.wrap(bytes)));
    }
}
