package patchsites.collector.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import patchsites.collector.emit.AtomicFile;
import patchsites.lds.Alias;
import patchsites.lds.LinkerScript;
import patchsites.lds.Trampolines;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "stubs",
        mixinStandardHelpOptions = true,
        description = "Write what the final link needs: PROVIDE aliases and the table's placement (--lds),%n"
                + "or assembly trampolines (--asm).",
        footer = {"",
                "The placed table is bracketed by __start_<id> and __stop_<id>, where <id> is the section",
                "name without its leading dots (.static_call_sites -> __start_static_call_sites).",
                "",
                "Examples:",
                "  patchsites stubs --alias=__SCT__filter=filter_default --lds=aliases.lds --place=.static_call_sites",
                "  patchsites stubs --aliases-file=aliases.txt --asm=tramp.S --arch=x86_64",
                "",
                "Exit status: 0 ok, 2 bad input or usage."})
final class StubsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

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

    @Option(names = "--arch", paramLabel = "ARCH", description = "Architecture of the trampolines: x86_64, i386, arm64, arm, ppc64le, ppc64, ppc32, riscv64, s390x, loongarch64.")
    String arch;

    @Override
    public Integer call() {
        Diagnostics diag = new Diagnostics(spec.commandLine().getErr());
        List<Alias> aliases = new ArrayList<>();
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
                write(lds, text);
            }
            if (asm != null) {
                write(asm, Trampolines.assembly(arch, aliases));
            }
        } catch (IllegalArgumentException e) {
            diag.error("stubs", e.getMessage());
            return 2;
        } catch (IOException e) {
            diag.error(aliasesFile != null ? aliasesFile.toString() : "stubs", Diagnostics.describe(e));
            return 2;
        }
        return 0;
    }

    private static void write(Path file, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(file, ch -> ch.write(java.nio.ByteBuffer.wrap(bytes)));
    }
}
