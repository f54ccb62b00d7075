package patchsites.collector.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** -j/--jobs: how many files are worked on at once, for commands that take many. */
final class JobsOption {
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    private Integer jobs;

    @Option(names = {"-j", "--jobs"}, paramLabel = "N",
            description = "Work on up to N files at once. Default: scan and pointers, one a CPU; emit and devirtualize, four a CPU up to 16"
                    + " (it mostly waits for its writes to reach the disk).")
    void jobs(int n) {
        if (n < 1) {
            throw new ParameterException(command.commandLine(), "--jobs takes a number of at least 1, not " + n);
        }
        jobs = n;
    }

    /** The number of threads: --jobs, else {@code dflt}. */
    int threads(int dflt) {
        return jobs != null ? jobs : dflt;
    }
}
