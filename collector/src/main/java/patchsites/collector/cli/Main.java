package patchsites.collector.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** Entry point of the {@code patchsites} command. */
@Command(name = "patchsites",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        subcommands = {ScanCommand.class, PointersCommand.class, EmitCommand.class, DevirtualizeCommand.class, StubsCommand.class, AuditCommand.class, PlanCommand.class, CommandLine.HelpCommand.class},
        synopsisSubcommandLabel = "COMMAND",
        header = "Collect, write and check tables of patchable call sites in ELF objects.",
        description = "Finds the call sites of patchable functions (static calls, __fentry__/mcount, retpoline"
                + " thunks, return thunks) in ELF objects through their relocations, as objtool and"
                + " recordmcount do for the Linux kernel; writes them as call-site tables into objects,"
                + " turns calls through function pointers with a known default into direct calls,"
                + " writes the final link's aliases and table placement, audits existing tables and plans"
                + " re-targeting a linked program's sites.",
        footerHeading = "%nNotes:%n",
        footer = {
                "Run 'patchsites COMMAND --help' for a command's options and examples. The",
                "global options may also follow the command. Diagnostics go to stderr, one",
                "line each: 'patchsites: FILE: error: ...', 'patchsites: FILE: warning: ...'.",
                "",
                "Examples:",
                "  patchsites scan --target='__SCT__*' vmlinux.o",
                "  patchsites -q audit --section=.static_call_sites --layout=site-key *.ko"},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {Main.EXIT_OK, Main.EXIT_FINDINGS, Main.EXIT_BAD})
public final class Main implements Runnable {
    /** The exit statuses, in picocli's "code:description" form (usage help, man pages, docs/cli.md). */
    static final String EXIT_OK = "0:ok",
            EXIT_FINDINGS = "1:findings: audit found problems in a table, plan has sites it cannot re-target",
            EXIT_BAD = "2:bad input or usage: an unreadable or malformed file, an output that cannot be written,"
                    + " a bad option. Each file is all or nothing: one that failed is left as it was, the others"
                    + " given with it are still written";

    @CommandLine.Spec
    CommandSpec spec;

    @Option(names = {"-q", "--quiet"}, scope = ScopeType.INHERIT,
            description = "No warnings, no summary line, no progress line; audit prints only the tables"
                    + " with problems. Errors are still reported.")
    boolean quiet;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "Say more: what emit, devirtualize and stubs wrote, every entry audit checked.")
    boolean verbose;

    public static void main(String[] args) {
        System.exit(run(new Stdout(), new PrintWriter(System.err, true), args));
    }

    /**
     * Runs the CLI with the given streams; returns the exit status. Used by tests in-process. A
     * failure to write {@code out} (a full disk, a closed pipe) is an error like any other: one
     * line, exit 2 — JSON that feeds another program must not end silently short.
     */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = commandLine();
        cl.setOut(out);
        cl.setErr(err);
        int rc = cl.execute(args);
        if (out.checkError()) { // flushes first
            IOException failure = out instanceof Stdout s ? s.stream.failure : null;
            String why = failure != null ? Diagnostics.describe(failure) : "write error";
            err.println(Diagnostics.oneLine("patchsites: standard output: error: cannot write: " + why));
            rc = 2;
        }
        err.flush();
        return rc;
    }

    /**
     * Standard output that remembers why a write failed: PrintWriter (and System.out) keep only a
     * flag, and "No space left on device" says more than "write error".
     */
    private static final class Stdout extends PrintWriter {
        private final Recording stream;

        Stdout() {
            this(new Recording(new java.io.FileOutputStream(java.io.FileDescriptor.out)));
        }

        private Stdout(Recording stream) {
            super(new java.io.OutputStreamWriter(new java.io.BufferedOutputStream(stream, 1 << 16),
                    java.nio.charset.Charset.defaultCharset()), false);
            this.stream = stream;
        }
    }

    private static final class Recording extends java.io.FilterOutputStream {
        IOException failure;

        Recording(java.io.OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }
    }

    /** The configured command line: usage layout, exit codes and GNU-style error handling. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler(Main::usageError);
        cl.setExecutionStrategy(parsed -> {
            Main main = (Main) parsed.commandSpec().userObject();
            if (main.quiet && main.verbose) {
                throw new CommandLine.ParameterException(parsed.asCommandLineList().get(parsed.asCommandLineList().size() - 1),
                        "--quiet and --verbose exclude each other");
            }
            return new CommandLine.RunLast().execute(parsed);
        });
        cl.setExecutionExceptionHandler((e, c, parsed) -> {
            // A failure no command turned into a diagnostic: still one line and exit 2.
            diagnostics(c.getCommandSpec()).error(e instanceof RuntimeException r ? Diagnostics.internal(r) : e.toString());
            return 2;
        });
        layout(cl);
        return cl;
    }

    /** Every command's help ends with its examples (the footer) and then its exit status, as man pages do. */
    private static void layout(CommandLine cl) {
        List<String> keys = new ArrayList<>(cl.getHelpSectionKeys());
        // The one-line header is for command lists and the man pages' NAME: the help starts with Usage.
        keys.remove(CommandLine.Model.UsageMessageSpec.SECTION_KEY_HEADER_HEADING);
        keys.remove(CommandLine.Model.UsageMessageSpec.SECTION_KEY_HEADER);
        keys.remove(CommandLine.Model.UsageMessageSpec.SECTION_KEY_EXIT_CODE_LIST_HEADING);
        keys.remove(CommandLine.Model.UsageMessageSpec.SECTION_KEY_EXIT_CODE_LIST);
        int footer = keys.indexOf(CommandLine.Model.UsageMessageSpec.SECTION_KEY_FOOTER);
        keys.add(footer + 1, CommandLine.Model.UsageMessageSpec.SECTION_KEY_EXIT_CODE_LIST_HEADING);
        keys.add(footer + 2, CommandLine.Model.UsageMessageSpec.SECTION_KEY_EXIT_CODE_LIST);
        cl.setHelpSectionKeys(keys);
        CommandLine.Model.UsageMessageSpec u = cl.getCommandSpec().usageMessage();
        u.sortOptions(false);
        u.parameterListHeading("%nArguments:%n");
        u.optionListHeading("%nOptions:%n");
        u.commandListHeading("%nCommands:%n");
        for (CommandLine sub : cl.getSubcommands().values()) {
            sub.getCommandSpec().versionProvider(new Version()); // patchsites scan --version, too
            layout(sub);
        }
    }

    /** A usage error, as binutils reports one: one line, a pointer to --help, exit status 2. */
    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine c = e.getCommandLine();
        PrintWriter err = c.getErr();
        err.println(Diagnostics.oneLine("patchsites: error: " + usageMessage(e)));
        err.println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        return 2;
    }

    /**
     * picocli's message in the words of the other diagnostics: lower case, no "Error: " of its own
     * (ArgGroup messages carry one), and one wording for an unknown command whether it came as
     * {@code patchsites bogus} or {@code patchsites help bogus}.
     */
    static String usageMessage(CommandLine.ParameterException e) {
        String m = e.getMessage() == null ? "" : e.getMessage().strip();
        m = m.replaceFirst("^(?i)error:\\s*", "");
        java.util.regex.Matcher help = java.util.regex.Pattern.compile("^Unknown subcommand '(.*)'\\.?$").matcher(m);
        if (help.matches()) {
            return "unknown command '" + help.group(1) + "'";
        }
        if (e instanceof CommandLine.UnmatchedArgumentException u && !e.getCommandLine().getSubcommands().isEmpty()
                && e.getCommandLine().getCommandSpec().positionalParameters().isEmpty()) {
            List<String> unmatched = u.getUnmatched();
            if (!unmatched.isEmpty() && !unmatched.get(0).startsWith("-")) {
                return "unknown command '" + unmatched.get(0) + "'";
            }
        }
        if (m.endsWith(".")) {
            m = m.substring(0, m.length() - 1);
        }
        return m.isEmpty() ? m : Character.toLowerCase(m.charAt(0)) + m.substring(1);
    }

    /** The top-level command of a subcommand's spec: its global options. */
    static Main of(CommandSpec spec) {
        return (Main) spec.root().userObject();
    }

    /** Diagnostics for a subcommand, honouring the global --quiet. */
    static Diagnostics diagnostics(CommandSpec spec) {
        return new Diagnostics(spec.commandLine().getErr(), of(spec).quiet);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    /**
     * The version: the jar manifest's Implementation-Version, else the version the build wrote
     * into {@code version.properties} (class directories, as in tests).
     */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"patchsites " + version(), "Java " + System.getProperty("java.version") + " ("
                    + System.getProperty("java.vm.name") + ")"};
        }

        static String version() {
            String v = Main.class.getPackage().getImplementationVersion();
            if (v != null) {
                return v;
            }
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    Properties p = new Properties();
                    p.load(in);
                    String pv = p.getProperty("version", "");
                    if (!pv.isEmpty() && !pv.startsWith("${")) {
                        return pv;
                    }
                }
            } catch (IOException e) {
                // fall through
            }
            return "(development build)";
        }
    }
}
