package patchsites.collector.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Writes docs/cli.md from the picocli model, so that the page cannot drift from the CLI: every
 * command's usage text as {@code --help} prints it, a table of its options and parameters, and its
 * examples as {@code sh} blocks (run by {@code DocCommandsTest}). {@code CliDocsTest} fails when
 * docs/cli.md differs from {@link #markdown()}.
 *
 * <p>Regenerate: {@code mvn -q -B test -pl collector -Dtest=CliDocsTest -Dpatchsites.updateDocs=true},
 * or run this class' {@code main} with the file to write.
 */
public final class CliDocs {
    private CliDocs() {}

    public static void main(String[] args) throws IOException {
        String md = markdown();
        if (args.length == 0) {
            System.out.print(md);
        } else {
            Files.writeString(Path.of(args[0]), md, StandardCharsets.UTF_8);
        }
    }

    /** The command line as {@code patchsites} configures it, help 80 columns wide as on a terminal. */
    static CommandLine commandLine() {
        CommandLine cl = Main.commandLine();
        cl.setUsageHelpAutoWidth(false);
        cl.setUsageHelpWidth(80);
        return cl;
    }

    public static String markdown() {
        CommandLine cl = commandLine();
        StringBuilder b = new StringBuilder();
        b.append("# The `patchsites` command line\n\n");
        b.append("<!-- Generated from the picocli model by collector/src/test/java/patchsites/collector/cli/CliDocs.java:\n"
                + "     do not edit. CliDocsTest fails when this page differs from the CLI; regenerate with\n"
                + "     mvn -q -B test -pl collector -Dtest=CliDocsTest -Dpatchsites.updateDocs=true -->\n\n");
        b.append("`patchsites` is one command with subcommands, in the manner of binutils: options before or after\n"
                + "the files, `--help` on every subcommand, one line per diagnostic. `./patchsites` in the checkout\n"
                + "runs `collector/target/patchsites.jar`; the build also writes a bash completion script\n"
                + "(`collector/target/patchsites-completion.bash`) and man pages (`collector/target/man/`).\n\n");
        b.append("Commands: ");
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, CommandLine> e : cl.getSubcommands().entrySet()) {
            if (!isHelp(e.getValue())) {
                names.add("[`" + e.getKey() + "`](#patchsites-" + e.getKey() + ")");
            }
        }
        b.append(String.join(", ", names)).append(".\n\n");
        b.append("```text\n").append(usage(cl)).append("```\n\n");
        examples(b, cl.getCommandSpec());

        b.append("## Exit status\n\n");
        b.append("| status | meaning |\n|---|---|\n");
        for (Map.Entry<String, String> row : cl.getCommandSpec().usageMessage().exitCodeList().entrySet()) {
            b.append("| ").append(row.getKey().strip()).append(" | ").append(cell(row.getValue())).append(" |\n");
        }
        b.append("\nEach command's own list is at the end of its help below.\n");
        b.append('\n');
        b.append("## Diagnostics\n\n");
        b.append("Errors and warnings go to stderr, one line each, in the GNU manner:\n\n");
        b.append("```text\npatchsites: FILE: error: MESSAGE\npatchsites: FILE(MEMBER): warning: MESSAGE\n"
                + "patchsites: error: MESSAGE\n```\n\n");
        b.append("`FILE(MEMBER)` names a member of an archive; a usage error names no file. A bad file does not\n"
                + "stop the others: every file is read and reported, and the exit status is 2. Names read from a\n"
                + "file (sections, symbols, members) are printed with control characters as `\\xNN`, so a\n"
                + "diagnostic is always one line. `--quiet` drops the warnings, never the errors. When stderr is\n"
                + "a terminal and a command reads many files, a progress line counts them on stderr (never in a\n"
                + "pipe, a file or CI).\n\n");

        for (Map.Entry<String, CommandLine> e : cl.getSubcommands().entrySet()) {
            if (isHelp(e.getValue())) {
                continue;
            }
            command(b, e.getKey(), e.getValue());
        }
        return b.toString();
    }

    private static boolean isHelp(CommandLine c) {
        return c.getCommand() instanceof CommandLine.HelpCommand;
    }

    private static String usage(CommandLine c) {
        return c.getUsageMessage(CommandLine.Help.Ansi.OFF).replaceAll("(?m)[ \t]+$", "");
    }

    private static void command(StringBuilder b, String name, CommandLine c) {
        CommandSpec spec = c.getCommandSpec();
        b.append("## patchsites ").append(name).append("\n\n");
        b.append(text(spec.usageMessage().header())).append("\n\n");
        b.append("```text\n").append(usage(c)).append("```\n\n");

        b.append("| option | argument | default | description |\n|---|---|---|---|\n");
        for (OptionSpec o : spec.options()) {
            String label = o.arity().max() > 0 ? o.paramLabel() : "";
            String def = o.defaultValue() == null ? "" : "`" + o.defaultValue() + "`";
            b.append("| ").append(cell("`" + String.join("`, `", o.names()) + "`")).append(" | ")
                    .append(label.isEmpty() ? "" : cell("`" + label + "`")).append(" | ").append(def).append(" | ")
                    .append(cell(text(o.description()))).append(o.required() ? " Required." : "")
                    .append(o.isMultiValue() && !text(o.description()).contains("Repeatable.") ? " Repeatable." : "")
                    .append(" |\n");
        }
        for (PositionalParamSpec p : spec.positionalParameters()) {
            b.append("| ").append(cell("`" + p.paramLabel() + "`")).append(" | ").append(cell(p.arity().toString()))
                    .append(" |  | ").append(cell(text(p.description()))).append(" |\n");
        }
        b.append('\n');

        examples(b, spec);
    }

    private static void examples(StringBuilder b, CommandSpec spec) {
        List<String> examples = examples(spec.usageMessage().footer());
        if (!examples.isEmpty()) {
            b.append("Examples (each one is run by `DocCommandsTest` against test fixtures):\n\n```sh\n");
            for (String ex : examples) {
                b.append("$ ").append(ex).append('\n');
            }
            b.append("```\n\n");
        }
    }

    /**
     * The footer's example commands: lines {@code "  patchsites ..."}, with their continuation lines
     * (after a trailing backslash) kept as they are.
     */
    static List<String> examples(String[] footer) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = null;
        for (String raw : String.join("%n", footer).split("%n")) {
            String line = raw.stripTrailing();
            if (cur != null) {
                cur.append('\n').append(line);
                if (!line.endsWith("\\")) {
                    out.add(cur.toString());
                    cur = null;
                }
            } else if (line.startsWith("  patchsites ")) {
                String cmd = line.strip();
                if (cmd.endsWith("\\")) {
                    cur = new StringBuilder(cmd);
                } else {
                    out.add(cmd);
                }
            }
        }
        if (cur != null) {
            out.add(cur.toString());
        }
        return out;
    }

    private static String text(String[] description) {
        return String.join(" ", description).replace("%n", " ").replaceAll("\\s+", " ").trim();
    }

    private static String cell(String s) {
        return s.replace("|", "\\|");
    }
}
