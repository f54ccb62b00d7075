package patchsites.collector.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** What every command has: its spec, standard output, diagnostics that honour --quiet, and --verbose. */
abstract class Subcommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    Diagnostics diagnostics() {
        return Main.diagnostics(spec);
    }

    /** The global --verbose. */
    boolean verbose() {
        return Main.of(spec).verbose;
    }
}
