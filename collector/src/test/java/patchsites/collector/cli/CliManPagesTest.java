package patchsites.collector.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import patchsites.fixtures.Tools;

/**
 * The man pages the build writes (target/man, {@link ManPages}), as {@code man -l} shows them,
 * against the {@code --help} text: every option and argument with its whole description, every
 * note paragraph, every example on the lines it has in the help, every exit status; headings as
 * man pages have them (no colons), EXAMPLES and SEE ALSO present, and no page for {@code help}.
 * The help is parsed from its printed form, not from the model the pages are made from.
 */
class CliManPagesTest {
    private static final Path MAN = Path.of("target", "man").toAbsolutePath();
    private static final Pattern ROW = Pattern.compile("^( {2}| {6})(\\S.*?)(?: {2,}(\\S.*))?$");

    @Test
    void onePagePerCommandAndNoneForHelp() throws IOException {
        TreeSet<String> expected = new TreeSet<>(List.of("patchsites.1"));
        for (String c : Main.commandLine().getSubcommands().keySet()) {
            if (!c.equals("help")) {
                expected.add("patchsites-" + c + ".1");
            }
        }
        try (Stream<Path> files = Files.list(MAN)) {
            assertEquals(expected, files.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new)),
                    MAN + ": the build (exec-maven-plugin, ManPages) writes the pages");
        }
        for (Map.Entry<String, String> page : ManPages.pages().entrySet()) {
            assertEquals(page.getValue(), Files.readString(MAN.resolve(page.getKey())), page.getKey() + " is stale");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "scan", "emit", "devirtualize", "stubs", "audit", "plan"})
    void pageShowsWhatHelpSays(String command) {
        String page = command.isEmpty() ? "patchsites.1" : "patchsites-" + command + ".1";
        Tools.Result man = Tools.run(MAN, "env", "MANWIDTH=80", "LC_ALL=C.UTF-8", "man", "-l", "-P", "cat", page);
        assertEquals(0, man.rc(), man::describe);
        assertEquals("", man.err(), "groff warnings: " + man.describe());
        String shown = man.out().replaceAll(".\b", ""); // overstrike bold, if any
        String flat = flat(shown);
        List<String> shownLines = shown.lines().map(String::strip).toList();

        List<String> headings = shown.lines().filter(l -> l.matches("[A-Z][A-Z ]+")).toList();
        for (String h : List.of("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXAMPLES", "EXIT STATUS", "SEE ALSO")) {
            assertTrue(headings.contains(h), () -> page + " has no " + h + " section: " + headings);
        }
        assertFalse(shown.lines().anyMatch(l -> l.matches("[A-Z][A-Za-z ]*:")), () -> "a heading with a colon:\n" + shown);

        CliPolishTest.Run help = command.isEmpty() ? CliPolishTest.run("--help") : CliPolishTest.run(command, "--help");
        List<String> lines = help.out().lines().toList();
        int i = 0;
        StringBuilder usage = new StringBuilder(lines.get(i++).substring("Usage: ".length()));
        while (lines.get(i).startsWith(" ")) {
            usage.append(' ').append(lines.get(i++).strip());
        }
        assertTrue(flat.contains(flat(usage.toString())), () -> "synopsis " + usage + " not in\n" + shown);
        StringBuilder description = new StringBuilder();
        while (!lines.get(i).isEmpty()) {
            description.append(' ').append(lines.get(i++));
        }
        assertTrue(flat.contains(flat(description.toString())), () -> "description not in\n" + shown);

        String section = "";
        List<String[]> rows = new ArrayList<>();
        List<String> prose = new ArrayList<>();
        StringBuilder paragraph = new StringBuilder();
        List<List<String>> examples = new ArrayList<>();
        for (; i < lines.size(); i++) {
            String l = lines.get(i);
            if (!l.startsWith(" ") && l.endsWith(":") && !section.equals("Notes:")
                    || l.equals("Examples:") || l.equals("Exit status:")) {
                section = l;
                continue;
            }
            if (l.isBlank()) {
                if (paragraph.length() > 0) {
                    prose.add(paragraph.toString());
                    paragraph.setLength(0);
                }
                continue;
            }
            switch (section) {
                case "Arguments:", "Options:", "Commands:" -> {
                    Matcher m = ROW.matcher(l);
                    if (m.matches() && section.equals("Commands:") && m.group(2).equals("help")) {
                        rows.add(new String[] {"", ""}); // no page for help; its lines go nowhere
                    } else if (m.matches()) {
                        rows.add(new String[] {m.group(2), m.group(3) == null ? "" : m.group(3)});
                    } else {
                        String[] last = rows.get(rows.size() - 1);
                        last[1] = last[1] + " " + l.strip();
                    }
                }
                case "Notes:" -> {
                    if (l.startsWith("  ")) {
                        assertTrue(shownLines.contains(l.strip()), () -> "note line '" + l + "' not a line of\n" + shown);
                    } else {
                        paragraph.append(' ').append(l);
                    }
                }
                case "Examples:" -> {
                    if (l.startsWith("  patchsites ")) {
                        examples.add(new ArrayList<>());
                    }
                    examples.get(examples.size() - 1).add(l.strip());
                }
                case "Exit status:" -> {
                    Matcher m = Pattern.compile("^ +(\\d+) +(.*)$").matcher(l);
                    if (m.matches()) {
                        rows.add(new String[] {m.group(1), m.group(2)});
                    } else {
                        String[] last = rows.get(rows.size() - 1);
                        last[1] = last[1] + " " + l.strip();
                    }
                }
                default -> throw new AssertionError("help line outside a known section: '" + l + "'");
            }
        }
        if (paragraph.length() > 0) {
            prose.add(paragraph.toString());
        }
        assertFalse(rows.isEmpty() || examples.isEmpty(), help::describe);
        for (String[] row : rows) {
            String text = flat(row[0]) + " " + flat(row[1]);
            // An option's names, then its whole description; a command's name, then its header.
            assertTrue(flat.contains(text.strip()), () -> "'" + text + "' not in\n" + shown);
        }
        for (String p : prose) {
            assertTrue(flat.contains(flat(p)), () -> "note '" + p + "' not in\n" + shown);
        }
        for (List<String> ex : examples) {
            boolean found = false;
            for (int at = 0; at + ex.size() <= shownLines.size() && !found; at++) {
                found = shownLines.subList(at, at + ex.size()).equals(ex);
            }
            assertTrue(found, () -> "example " + ex + " is not on the same lines in\n" + shown);
        }
        if (List.of("scan", "emit", "audit").contains(command)) {
            assertTrue(flat.contains("(__SCT__*, __x86_indirect_thunk_*)"), shown);
        }
    }

    /** Whitespace as one space, as a filled paragraph reads whatever its line breaks. */
    private static String flat(String s) {
        return s.replaceAll("\\s+", " ").strip();
    }
}
