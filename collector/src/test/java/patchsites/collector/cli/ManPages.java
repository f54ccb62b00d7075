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
 * Writes the man pages ({@code target/man/patchsites.1}, {@code patchsites-COMMAND.1}) as troff
 * from the picocli model, as {@link CliDocs} writes docs/cli.md: the same texts as {@code --help},
 * laid out as man pages are (NAME, SYNOPSIS, DESCRIPTION, OPTIONS, ARGUMENTS, NOTES, EXAMPLES,
 * EXIT STATUS, SEE ALSO). Written directly, not through AsciiDoc, where symbol names such as
 * {@code __SCT__*} are markup and hard line breaks cut sentences. The build runs it
 * (collector/pom.xml, phase process-test-classes); {@code CliManPagesTest} renders every page
 * with {@code man -l} and compares it with the help.
 */
public final class ManPages {
    private ManPages() {}

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "target/man");
        Files.createDirectories(dir);
        Map<String, String> pages = pages();
        // A page of a command that no longer exists (an older build's) must not outlive it.
        try (var old = Files.newDirectoryStream(dir, "*.1")) {
            for (Path p : old) {
                if (!pages.containsKey(p.getFileName().toString())) {
                    Files.delete(p);
                }
            }
        }
        for (Map.Entry<String, String> page : pages.entrySet()) {
            Files.writeString(dir.resolve(page.getKey()), page.getValue(), StandardCharsets.UTF_8);
        }
    }

    /** File name → troff text, for the command and each subcommand (not {@code help}). */
    static Map<String, String> pages() {
        CommandLine cl = CliDocs.commandLine();
        Map<String, String> pages = new java.util.LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, CommandLine> e : cl.getSubcommands().entrySet()) {
            if (!(e.getValue().getCommand() instanceof CommandLine.HelpCommand)) {
                names.add(e.getKey());
            }
        }
        pages.put("patchsites.1", page(cl, "patchsites", names, names));
        for (String n : names) {
            List<String> others = new ArrayList<>(names);
            others.remove(n);
            pages.put("patchsites-" + n + ".1", page(cl.getSubcommands().get(n), "patchsites-" + n, List.of(), others));
        }
        return pages;
    }

    private static String page(CommandLine c, String title, List<String> commands, List<String> seeAlso) {
        CommandSpec spec = c.getCommandSpec();
        StringBuilder b = new StringBuilder();
        b.append(".\\\" Generated from the picocli model by collector/src/test/java/patchsites/collector/cli/ManPages.java\n");
        b.append(".TH \"").append(title.toUpperCase()).append("\" 1 \"\" \"patchsites ").append(Main.Version.version())
                .append("\" \"patchsites manual\"\n");
        b.append(".nh\n.ad l\n"); // no hyphenation, ragged right: names and options stay whole
        b.append(".SH NAME\n").append(escape(title)).append(" \\- ").append(escape(sentence(spec.usageMessage().header())))
                .append('\n');
        b.append(".SH SYNOPSIS\n").append(escape(synopsis(c))).append('\n');
        b.append(".SH DESCRIPTION\n").append(escape(sentence(spec.usageMessage().description()))).append('\n');
        if (!commands.isEmpty()) {
            b.append(".SH COMMANDS\n");
            for (String n : commands) {
                CommandSpec sub = c.getSubcommands().get(n).getCommandSpec();
                b.append(".TP\n\\fB").append(n).append("\\fR\n").append(escape(sentence(sub.usageMessage().header())))
                        .append("\nSee \\fBpatchsites\\-").append(n).append("\\fR(1).\n");
            }
        }
        b.append(".SH OPTIONS\n");
        for (OptionSpec o : spec.options()) {
            b.append(".TP\n");
            List<String> names = new ArrayList<>();
            for (String n : o.names()) {
                names.add("\\fB" + escape(n) + "\\fR");
            }
            b.append(String.join(", ", names));
            if (o.arity().max() > 0) {
                b.append("=\\fI").append(escape(o.paramLabel())).append("\\fR");
            }
            b.append('\n').append(escape(sentence(o.description()))).append('\n');
        }
        if (!spec.positionalParameters().isEmpty()) {
            b.append(".SH ARGUMENTS\n");
            for (PositionalParamSpec p : spec.positionalParameters()) {
                b.append(".TP\n\\fI").append(escape(p.paramLabel())).append("\\fR").append(p.arity().max() > 1 ? "..." : "")
                        .append('\n').append(escape(sentence(p.description()))).append('\n');
            }
        }
        notes(b, spec.usageMessage().footer());
        List<String> examples = CliDocs.examples(spec.usageMessage().footer());
        if (!examples.isEmpty()) {
            b.append(".SH EXAMPLES\n");
            for (String ex : examples) {
                b.append(".PP\n.RS 4\n.nf\n");
                for (String line : ex.split("\n")) {
                    b.append(escape(line)).append('\n');
                }
                b.append(".fi\n.RE\n");
            }
        }
        b.append(".SH \"EXIT STATUS\"\n");
        for (Map.Entry<String, String> row : spec.usageMessage().exitCodeList().entrySet()) {
            b.append(".TP\n\\fB").append(escape(row.getKey().strip())).append("\\fR\n").append(escape(row.getValue().strip()))
                    .append('\n');
        }
        b.append(".SH \"SEE ALSO\"\n");
        List<String> refs = new ArrayList<>();
        if (!title.equals("patchsites")) {
            refs.add("\\fBpatchsites\\fR(1)");
        }
        for (String n : seeAlso) {
            refs.add("\\fBpatchsites\\-" + n + "\\fR(1)");
        }
        refs.add("\\fBobjdump\\fR(1)");
        refs.add("\\fBreadelf\\fR(1)");
        b.append(String.join(", ", refs)).append('\n');
        b.append(".PP\ndocs/cli.md, docs/json.md and docs/formats.md in the patchsites sources.\n");
        return b.toString();
    }

    /**
     * The footer's prose, before its "Examples:": paragraphs (blank-line separated) flow as one
     * text; lines indented by two spaces (the layouts table of emit) keep their lines.
     */
    private static void notes(StringBuilder b, String[] footer) {
        List<String> lines = new ArrayList<>();
        for (String l : String.join("%n", footer).split("%n", -1)) {
            if (l.strip().equals("Examples:")) {
                break;
            }
            lines.add(l.stripTrailing().replace("%%", "%")); // picocli formats the help text: %% is a %
        }
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        if (lines.isEmpty()) {
            return;
        }
        b.append(".SH NOTES\n");
        StringBuilder prose = new StringBuilder();
        boolean verbatim = false;
        for (String l : lines) {
            if (l.isEmpty()) {
                flush(b, prose);
                if (verbatim) {
                    b.append(".fi\n.RE\n");
                    verbatim = false;
                }
            } else if (l.startsWith("  ")) {
                flush(b, prose);
                if (!verbatim) {
                    b.append(".RS 4\n.nf\n");
                    verbatim = true;
                }
                b.append(escape(l.substring(2))).append('\n');
            } else {
                if (verbatim) {
                    b.append(".fi\n.RE\n");
                    verbatim = false;
                }
                prose.append(prose.length() == 0 ? "" : " ").append(l.strip());
            }
        }
        flush(b, prose);
        if (verbatim) {
            b.append(".fi\n.RE\n");
        }
    }

    private static void flush(StringBuilder b, StringBuilder prose) {
        if (prose.length() > 0) {
            b.append(".PP\n").append(escape(prose.toString())).append('\n');
            prose.setLength(0);
        }
    }

    /** The synopsis as --help prints it, on one line (troff fills it to the page). */
    private static String synopsis(CommandLine c) {
        CommandLine.Help help = c.getHelp();
        return help.synopsis(0).replaceAll("\\s+", " ").strip();
    }

    private static String sentence(String[] text) {
        return String.join(" ", text).replace("%n", " ").replace("%%", "%").replaceAll("\\s+", " ").strip();
    }

    /**
     * Text as troff shows it literally: backslashes, minus signs (options stay ASCII '-' when
     * copied), quotes, and a leading period or quote that troff would take for a request.
     */
    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\': b.append("\\e"); break;
                case '-': b.append("\\-"); break;
                case '\'': b.append("\\(aq"); break;
                case '`': b.append("\\(ga"); break;
                case '~': b.append("\\(ti"); break;
                case '^': b.append("\\(ha"); break;
                default: b.append(c);
            }
        }
        return b.length() > 0 && b.charAt(0) == '.' ? "\\&" + b : b.toString();
    }
}
