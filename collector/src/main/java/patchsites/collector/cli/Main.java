package patchsites.collector.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code patchsites} command. */
@Command(name = "patchsites",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        subcommands = {ScanCommand.class, EmitCommand.class, StubsCommand.class, AuditCommand.class, PlanCommand.class, CommandLine.HelpCommand.class},
        description = "Collects patchable call sites (static calls, mcount, retpolines) from ELF objects%n"
                + "by scanning their relocations.",
        footer = {"", "Exit status: 0 ok, 2 bad input or usage."})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, false), new PrintWriter(System.err, true), args));
    }

    /** Runs the CLI with the given streams; returns the exit status. Used by tests in-process. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        int rc = cl.execute(args);
        out.flush();
        err.flush();
        return rc;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command (try: patchsites scan --help)");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"patchsites " + (v == null ? "(development build)" : v)};
        }
    }
}
